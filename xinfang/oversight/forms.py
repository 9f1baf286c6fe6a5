"""Forms of the hot-issue pages."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from xinfang.petitions.models import Petition
from xinfang.workbench.forms import SuperviseForm


class HotIssueSuperviseForm(SuperviseForm):
    """Supervision of a group: the petition that stands for it (one of its open petitions the supervisor
    may see, the most typical first), and the usual supervision fields; the reason is written from the
    group, the supervisor may add to it."""

    petition = forms.TypedChoiceField(label=_("petition that stands for the group"), coerce=int)

    def __init__(self, *args: Any, petitions: list[Petition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["petition"].choices = [(p.pk, f"{p.query_code} {p.title[:30]}") for p in petitions]
        self.fields["reason"].required = False
        self.fields["reason"].label = _("more on the reason (the group is described already)")
        self.order_fields(["petition", "mode", "requirement", "answer_due_on", "reason"])
