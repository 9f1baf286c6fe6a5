"""Forms of the oversight pages: hot issues, supervision, recommendations, follow-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Unit
from xinfang.oversight.models import FollowUpMethod, RecommendationKind, SupervisionMode, SupervisionState
from xinfang.petitions.models import Petition

# ---------------------------------------------------------------- supervision (督办)


class SuperviseForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("form of supervision"), choices=SupervisionMode.choices, initial=SupervisionMode.ONLINE
    )
    reason = forms.CharField(label=_("reason for supervision"), widget=forms.Textarea(attrs={"rows": 2}))
    requirement = forms.CharField(label=_("what the unit must do and answer"), widget=forms.Textarea(attrs={"rows": 2}))
    answer_due_on = forms.DateField(
        label=_("answer due on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="supervise", **kwargs)
        if not self.is_bound:
            self.initial["answer_due_on"] = timezone.localdate() + dt.timedelta(days=7)


class SupervisionAnswerForm(forms.Form):
    answer = forms.CharField(label=_("answer to the supervision"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="supervision_answer", **kwargs)


class SupervisionEndForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="supervision_end", **kwargs)


SUPERVISION_FORMS: dict[str, type[forms.Form]] = {
    "supervise": SuperviseForm,
    "answer": SupervisionAnswerForm,
    "end": SupervisionEndForm,
}


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


# ---------------------------------------------------------------- supervision of a unit, checking answers


class UnitSuperviseForm(SuperviseForm):
    """Supervision of a whole unit: the unit (those in the supervisor's reach) and the usual fields."""

    unit = forms.ModelChoiceField(label=_("unit to supervise"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.order_fields(["unit", "mode", "reason", "requirement", "answer_due_on"])


class SupervisionAcceptForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="supervision_accept", **kwargs)


class SupervisionReturnForm(forms.Form):
    note = forms.CharField(label=_("why the answer is sent back"), widget=forms.Textarea(attrs={"rows": 2}))
    answer_due_on = forms.DateField(
        label=_("new answer date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="supervision_return", **kwargs)


# The steps after an answer, beside SUPERVISION_FORMS (supervise, answer, end).
CHECK_FORMS: dict[str, type[forms.Form]] = {"accept": SupervisionAcceptForm, "return": SupervisionReturnForm}


class SupervisionFilterForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("supervision of"),
        required=False,
        choices=[("", _("petitions and units")), ("petition", _("a petition")), ("unit", _("a whole unit"))],
    )
    state = forms.ChoiceField(
        label=_("state"),
        required=False,
        choices=[
            ("", _("any state")),
            ("open", _("in progress")),
            ("overdue", _("answer overdue")),
            *SupervisionState.choices,
        ],
    )
    mode = forms.ChoiceField(
        label=_("form of supervision"), required=False, choices=[("", _("any form")), *SupervisionMode.choices]
    )
    source = forms.ChoiceField(
        label=_("put on the list by"),
        required=False,
        choices=[("", _("anyone")), ("manual", _("a supervisor")), ("rule", _("an automatic rule"))],
    )
    unit = forms.TypedChoiceField(label=_("supervised unit"), required=False, coerce=int, empty_value=None)
    opened_from = forms.DateField(
        label=_("opened from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    opened_to = forms.DateField(
        label=_("opened to"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("any unit")), *units]


# ---------------------------------------------------------------- recommendations (督查建议)


class RecommendationForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of recommendation"), choices=RecommendationKind.choices)
    query_code = forms.CharField(label=_("about the petition (query code)"), required=False, max_length=20)
    about_unit = forms.ModelChoiceField(label=_("or about the unit"), required=False, queryset=Unit.objects.none())
    to_unit = forms.ModelChoiceField(label=_("addressed to"), queryset=Unit.objects.none())
    text = forms.CharField(label=_("recommendation"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(
        label=_("answer due on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, prefix="recommendation", **kwargs)
        self.fields["about_unit"].queryset = units
        self.fields["to_unit"].queryset = Unit.objects.filter(is_active=True).select_related("region")
        if not self.is_bound:
            self.initial.setdefault("due_on", timezone.localdate() + dt.timedelta(days=15))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="answer", **kwargs)


class RecommendationCheckForm(forms.Form):
    note = forms.CharField(
        label=_("note (the reason when sending back)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(
        label=_("new answer date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="check", **kwargs)


# ---------------------------------------------------------------- follow-up (回访)

SETTLED_CHOICES = [("yes", _("yes, really settled")), ("no", _("no, not settled")), ("", _("not asked / no answer"))]


class FollowUpForm(forms.Form):
    method = forms.ChoiceField(label=_("how"), choices=FollowUpMethod.choices, initial=FollowUpMethod.PHONE)
    reached = forms.TypedChoiceField(
        label=_("petitioner reached"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("yes")), ("no", _("no"))],
        widget=forms.RadioSelect,
        initial="yes",
    )
    settled = forms.ChoiceField(
        label=_("the petitioner says the matter is really settled"),
        required=False,
        choices=SETTLED_CHOICES,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="follow_up", **kwargs)

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        settled = {"yes": True, "no": False}.get(d["settled"])
        return {"method": d["method"], "reached": d["reached"], "settled": settled, "notes": d["notes"]}
