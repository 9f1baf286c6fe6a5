from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xinfang.routing.classifier import model_current
from xinfang.routing.models import CategoryModelRecord, ProposalOutcome, RoutingRule, UnitOutcome


@admin.register(ProposalOutcome)
class ProposalOutcomeAdmin(admin.ModelAdmin):
    """Read only: outcomes are written by registration, and are what the models learn from."""

    list_display = ("petition", "kind", "proposed", "confidence", "chosen", "accepted", "model_version", "recorded_at")
    list_filter = ("kind", "accepted", "model_version")
    list_select_related = ("petition",)
    search_fields = ("petition__query_code", "proposed", "chosen")
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """The routing table (派单目录): one rule a line; suggested rules wait, inactive, for a tick."""

    list_display = (
        "__str__",
        "category",
        "region_level",
        "region",
        "target",
        "unit",
        "is_active",
        "source",
        "corrections",
        "proposed_count",
        "accepted_count",
        "note",
    )
    list_display_links = ("__str__",)
    list_editable = ("is_active",)
    list_filter = (
        "is_active",
        "source",
        "target",
        "region_level",
        ("category", admin.RelatedOnlyFieldListFilter),
        ("unit", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("category", "region", "unit")
    search_fields = ("category__path", "unit__name", "region__name", "note")
    autocomplete_fields = ("category", "region", "unit")
    readonly_fields = ("source", "corrections", "proposed_count", "accepted_count", "created_at")
    fields = ("category", "region_level", "region", "target", "unit", "note", "is_active", *readonly_fields)


@admin.register(UnitOutcome)
class UnitOutcomeAdmin(admin.ModelAdmin):
    """Read only: written at each forward and assignment; what `routing_learn` learns from."""

    list_display = (
        "petition",
        "action",
        "category",
        "region_level",
        "proposed_unit",
        "confidence",
        "chosen_unit",
        "accepted",
        "rule",
        "recorded_at",
    )
    list_filter = ("accepted", "action", "region_level", ("chosen_unit", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("petition", "category", "proposed_unit", "chosen_unit", "rule")
    search_fields = ("petition__query_code", "category__path", "chosen_unit__name", "proposed_unit__name")
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CategoryModelRecord)
class CategoryModelRecordAdmin(admin.ModelAdmin):
    """Read only: each category model trained (routing_train, the schedule's category_model_full), the
    one the desk proposes with now, and the cross-validated figures once measured."""

    list_display = (
        "version",
        "in_use",
        "reading",
        "trained_at",
        "samples",
        "seconds",
        "cv_folds",
        "cv_accuracy",
        "cv_macro_f1",
        "source",
    )
    list_filter = ("reading",)

    @admin.display(description=_("in use"), boolean=True)
    def in_use(self, record: CategoryModelRecord) -> bool:
        current = model_current()
        return current is not None and current.version == record.version

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
