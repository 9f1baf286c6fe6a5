"""The audit log in the admin, for administrators: read only (no one adds, changes or deletes a row),
searched by who and what, filtered by action, date and kind of object, exported to Excel. A petition's
rows: /admin/audit/auditentry/?object_type=petitions.petition&object_id=<id> (the "object" link of
any row of it, and the link on the petition's admin page)."""
from __future__ import annotations

import io
import json
from collections.abc import Iterable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xinfang.audit.models import AuditEntry

EXPORT_MAX_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def object_rows_url(object_type: str, object_id: str) -> str:
    """The admin's list of the audit rows of one object (a petition, a user)."""
    return f"{reverse('admin:audit_auditentry_changelist')}?object_type={object_type}&object_id={object_id}"


def audit_xlsx(entries: Iterable[AuditEntry]) -> bytes:
    """The rows as an .xlsx workbook (write-only), at most EXPORT_MAX_ROWS, then a note that the list was cut."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("audit log"))
    ws.append([_("at"), _("who"), _("action"), _("object type"), _("object"), _("detail"), _("IP address")])
    for n, e in enumerate(entries):
        if n == EXPORT_MAX_ROWS:
            ws.append([_("Only the first %(n)s rows are exported: narrow the filters to export the rest.")
                       % {"n": f"{EXPORT_MAX_ROWS:,}"}])
            break
        ws.append([timezone.localtime(e.at).replace(tzinfo=None, microsecond=0), e.actor_label,
                   e.get_action_display(), e.object_type, e.object_id,
                   json.dumps(e.detail, ensure_ascii=False) if e.detail else "", e.ip or ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@admin.action(description=gettext_lazy("Export to Excel"))
def export_xlsx(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponse:
    """The chosen rows (or all the filtered ones) as Excel; the export is itself in the log (the
    export middleware records it, with the list's filters)."""
    body = audit_xlsx(queryset.order_by("-at", "-pk").iterator(chunk_size=2000))
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate().isoformat()}.xlsx"'
    return response


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_link", "ip")
    list_filter = ("action", ("at", admin.DateFieldListFilter), "object_type")
    date_hierarchy = "at"
    search_fields = ("actor_label", "actor__username", "=object_id", "=ip")
    list_select_related = ()
    show_full_result_count = False
    actions = [export_xlsx]
    fields = ("at", "actor", "actor_label", "action", "object_type", "object_id", "detail_text", "ip")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("object"))
    def object_link(self, obj: AuditEntry) -> str:
        if not obj.object_id:
            return ""
        return format_html('<a href="{}">{}</a>', object_rows_url(obj.object_type, obj.object_id), obj.object_id)

    @admin.display(description=gettext_lazy("detail"))
    def detail_text(self, obj: AuditEntry) -> str:
        return json.dumps(obj.detail, ensure_ascii=False) if obj.detail else ""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # one object's rows, from a link (object_link, the petition's admin page)
        return lookup in ("object_type", "object_id") or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
