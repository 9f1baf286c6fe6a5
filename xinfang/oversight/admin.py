from django.contrib import admin

from xinfang.oversight.models import Finding, FollowUp, FollowUpRule, Recommendation, Supervision, SupervisionRule
from xinfang.oversight.selectors import finding_list_for, recommendation_visibility, supervision_visibility
from xinfang.petitions.admin import ReadOnlyAdmin
from xinfang.petitions.selectors import petition_list_for


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdmin):
    """Read-only here: supervision is opened, answered and ended through the workbench, which logs each step."""

    list_display = ("pk", "petition", "unit", "mode", "state", "answer_due_on", "rule", "opened_at")
    list_filter = ("mode", "state", "is_open")
    raw_id_fields = ("petition",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(supervision_visibility(request.user))


@admin.register(SupervisionRule)
class SupervisionRuleAdmin(admin.ModelAdmin):
    """The automatic rules that `manage.py supervision_rules_apply` applies (自动督办规则)."""

    list_display = ("name", "kind", "threshold", "unit", "region", "mode", "answer_days", "is_active")
    list_filter = ("kind", "is_active")
    list_editable = ("threshold", "is_active")
    raw_id_fields = ("region",)


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    """Which concluded petitions the follow-up list asks for (回访抽样规则)."""

    list_display = ("name", "resolved_only", "percent", "within_days", "is_active")
    list_editable = ("resolved_only", "percent", "within_days", "is_active")


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "petition", "about_unit", "to_unit", "due_on", "state")
    list_filter = ("kind", "state")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recommendation_visibility(request.user))


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("petition", "method", "reached", "settled", "by", "at")
    list_filter = ("method", "reached", "settled")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(petition__in=petition_list_for(request.user).values("pk"))


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("kind", "unit", "petition", "found_on", "supervision")
    list_filter = ("kind",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=finding_list_for(request.user).values("pk"))
