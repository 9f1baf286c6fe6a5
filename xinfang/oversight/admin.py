from django.contrib import admin

from xinfang.oversight.models import Supervision
from xinfang.petitions.admin import ReadOnlyAdmin
from xinfang.petitions.selectors import petition_list_for


@admin.register(Supervision)
class SupervisionAdmin(ReadOnlyAdmin):
    """Read-only here: supervision is opened, answered and ended through the workbench, which logs each step."""

    list_display = ("petition", "unit", "mode", "answer_due_on", "is_open", "opened_at")
    list_filter = ("mode", "is_open")
    raw_id_fields = ("petition",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(petition__in=petition_list_for(request.user).values("pk"))
