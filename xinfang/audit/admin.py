"""The audit log in the admin, for administrators: read only (no one adds, changes or deletes a row),
searched by who and what, filtered by action, date and kind of object, exported to Excel. A petition's
rows: /admin/audit/auditentry/?object_type=petitions.petition&object_id=<id> (the "object" link of
any row of it, and the link on the petition's admin page)."""

from __future__ import annotations

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
from xinfang.lib.xlsx import Formatted, xlsx_response, xlsx_write


def object_rows_url(object_type: str, object_id: str) -> str:
    """The admin's list of the audit rows of one object (a petition, a user)."""
    return f"{reverse('admin:audit_auditentry_changelist')}?object_type={object_type}&object_id={object_id}"


def audit_xlsx(entries: Iterable[AuditEntry]) -> bytes:
    """The rows as an .xlsx workbook (lib.xlsx: inert cells, so a user name typed at a failed sign-in
    stays text), at most EXPORT_MAX_ROWS, then a note that the list was cut."""
    header = [_("at"), _("who"), _("action"), _("object type"), _("object"), _("detail"), _("IP address")]
    rows = (
        [
            Formatted(timezone.localtime(e.at).replace(microsecond=0), "yyyy-mm-dd hh:mm:ss"),
            e.actor_label,
            e.get_action_display(),
            e.object_type,
            e.object_id,
            json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
            e.ip or "",
        ]
        for e in entries
    )
    return xlsx_write(_("audit log"), header, rows)


@admin.action(description=gettext_lazy("Export to Excel"))
def export_xlsx(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponse:
    """The chosen rows (or all the filtered ones) as Excel; the export is itself in the log (the
    export middleware records it, with the list's filters)."""
    body = audit_xlsx(queryset.order_by("-at", "-pk").iterator(chunk_size=2000))
    return xlsx_response(body, f"audit-{timezone.localdate().isoformat()}.xlsx")


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
