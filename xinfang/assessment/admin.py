from django.contrib import admin

from xinfang.assessment.models import (
    AssessmentSettings,
    IndicatorWeight,
    KeyManagement,
    MonthClose,
    MonthRank,
    QualitativeScore,
    RectificationPlan,
    RuleFiring,
)


@admin.register(IndicatorWeight)
class IndicatorWeightAdmin(admin.ModelAdmin):
    list_display = ("key", "weight", "floor", "target", "direction", "claim_mix", "source")
    list_editable = ("weight", "floor", "target", "claim_mix")


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "population_floor", "expected_per_10k", "claim_mix_allowance", "top_n", "bottom_n")

    def has_add_permission(self, request) -> bool:
        return not AssessmentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualitativeScore)
class QualitativeScoreAdmin(admin.ModelAdmin):
    list_display = ("month", "unit", "source", "score", "note", "entered_by")
    list_filter = ("month", "source")
    autocomplete_fields = ("unit",)
    exclude = ("entered_by",)

    def save_model(self, request, obj, form, change) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KeyManagement)
class KeyManagementAdmin(admin.ModelAdmin):
    list_display = ("unit", "from_month", "to_month", "reason")
    autocomplete_fields = ("unit",)


class ReadOnly(admin.ModelAdmin):
    """History: kept as it happened, not edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnly):
    list_display = ("month", "closed_at", "units")


@admin.register(MonthRank)
class MonthRankAdmin(ReadOnly):
    list_display = ("month", "rank", "unit", "score", "excellent", "bottom", "key_management")
    list_filter = ("month",)


@admin.register(RuleFiring)
class RuleFiringAdmin(ReadOnly):
    list_display = ("month", "unit", "rule", "streak", "deduction", "due_on", "fired_at")
    list_filter = ("rule", "month")


@admin.register(RectificationPlan)
class RectificationPlanAdmin(ReadOnly):
    list_display = ("firing", "state", "submitted_by", "submitted_at", "decided_by", "decided_at")
    list_filter = ("state",)
