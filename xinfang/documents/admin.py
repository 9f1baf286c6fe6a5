"""The wording of the notices, edited by an administrator."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from xinfang.documents.defaults import DEFAULT_TEMPLATES
from xinfang.documents.models import NoticeTemplate
from xinfang.documents.services import PLACEHOLDERS


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "title", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "body")
    fields = ("kind", "title", "body", "is_active", "placeholders")
    readonly_fields = ("placeholders",)
    actions = ["restore_defaults"]

    @admin.display(description=_("placeholders"))
    def placeholders(self, obj=None) -> str:
        rows = format_html_join("", "<li><code>{{{{ {} }}}}</code> {}</li>", sorted(PLACEHOLDERS.items()))
        return format_html("<ul>{}</ul>", rows)

    @admin.action(description=_("Restore the default wording"))
    def restore_defaults(self, request, queryset) -> None:
        with transaction.atomic():
            for template in queryset:
                template.title, template.body = DEFAULT_TEMPLATES[template.kind]
                template.save(update_fields=["title", "body", "updated_at"])
        messages.success(request, _("The default wording was restored."))
