"""The outbox in the admin: read-only, phone numbers and addresses masked, "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from xinfang.notify.masking import mask_recipient
from xinfang.notify.models import Notice
from xinfang.notify.services import notices_retry_now
from xinfang.petitions.admin import ReadOnlyAdmin
from xinfang.petitions.selectors import petition_list_for


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "petition",
        "stage",
        "channel",
        "masked_recipient",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    )
    list_filter = ("state", "channel", "stage")
    list_select_related = ("petition",)
    search_fields = ("petition__query_code",)
    fields = (
        "petition",
        "stage",
        "channel",
        "masked_recipient",
        "subject",
        "text",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = ("masked_recipient",)
    show_full_result_count = False
    actions = ["retry_now"]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: Notice) -> str:
        return mask_recipient(obj.channel, obj.recipient)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(petition__in=petition_list_for(request.user).values("pk"))

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("notify.change_notice")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset) -> None:
        count = notices_retry_now(list(queryset.values_list("pk", flat=True)))
        messages.success(
            request, _("Notices to send again at the next pass of the worker: %(count)d.") % {"count": count}
        )
