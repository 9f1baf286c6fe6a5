"""Notice templates (告知书、意见书) that an administrator edits in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("notice of acceptance")
    DECLINE = "decline", _("notice of declining")
    ROUTING = "routing", _("forwarding or assignment slip")
    EXTENSION = "extension", _("notice of extension")
    HANDLING = "handling", _("written handling opinion")
    REVIEW = "review", _("written review opinion")
    REEXAMINATION = "reexamination", _("written reexamination opinion")
    SUPERVISION = "supervision", _("supervision notice")  # 督办通知书, filled in by xinfang.oversight.notices


class NoticeTemplate(models.Model):
    """The wording of one kind of notice: a title and a body with Django template placeholders.

    Each line of the body is one paragraph; the first line, when it ends with "：", is the
    addressee (顶格), every other paragraph gets a first-line indent of two characters. The issuing
    unit and the date are added at the end. At most one template of a kind is active.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("body"),
        help_text=_(
            "One paragraph per line. The first line, ending with “：”, is the addressee. Placeholders such as "
            "{{ petition.query_code }}, {{ petitioner_names }}, {{ unit.name }}, {{ decision.text }}, "
            "{{ due_on }} and {{ today }} are filled in; the list is below."
        ),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Only the active template of a kind is used; without one, that notice is not offered."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["kind", "-is_active", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="notice_template_one_active")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.title}"

    def clean(self) -> None:
        errors = {}
        for field in ("title", "body"):
            try:
                Template(getattr(self, field))
            except TemplateSyntaxError as e:
                errors[field] = _("The placeholders cannot be read: %(error)s") % {"error": e}
        if errors:
            raise ValidationError(errors)
        if (
            self.is_active
            and NoticeTemplate.objects.filter(kind=self.kind, is_active=True).exclude(pk=self.pk).exists()
        ):
            raise ValidationError({"is_active": _("Another template of this kind is active; deactivate it first.")})
