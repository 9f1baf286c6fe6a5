"""Forms of the staff workbench: the registration desk, the queue filters and one form per action.

Forms only read and validate; the services in xinfang.petitions.services do every write.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Region, RegionLevel, Unit, User
from xinfang.petitions import rules
from xinfang.petitions.models import (
    Category,
    Channel,
    Kind,
    Measure,
    Outcome,
    Petition,
    Petitioner,
    Priority,
    Satisfaction,
    State,
)
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.workflow import OPEN_STATES

DESK_CHANNELS = [(c.value, c.label) for c in (Channel.VISIT, Channel.LETTER, Channel.PHONE)]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


# ---------------------------------------------------------------- places and categories

def home_region(user: User) -> Region | None:
    """The county (or the larger area of a city or province unit) whose places the user registers."""
    if user.unit_id is None:
        return None
    region = user.unit.region
    while region.level > RegionLevel.COUNTY and region.parent_id is not None:
        region = region.parent
    return region


def place_choices(user: User) -> dict[str, Region]:
    """Label → region for the county's own level, its townships and villages ("青石镇 · 青丰收村")."""
    county = home_region(user)
    if county is None:
        return {}
    regions = (Region.objects.filter(prefix__startswith=county.prefix, level__gte=county.level)
               .select_related("parent").order_by("code"))
    labels: dict[str, Region] = {}
    for r in regions:
        if r.level == RegionLevel.VILLAGE and r.parent is not None:
            label = f"{r.parent.name} · {r.name}"
        else:
            label = r.name
        if label in labels:
            label = f"{label}（{r.code}）"
        labels[label] = r
    return labels


def township_choices(user: User) -> list[tuple[str, str]]:
    """(prefix, name) of the townships of the user's county: the queue's place filter."""
    county = home_region(user)
    if county is None:
        return []
    rows = (Region.objects.filter(prefix__startswith=county.prefix, level=RegionLevel.TOWNSHIP)
            .order_by("code").values_list("prefix", "name"))
    return list(rows)


def category_choices() -> dict[str, Category]:
    """Full path → category, second and third level (the first level alone is too coarse)."""
    return {c.path: c for c in Category.objects.filter(level__gte=2).order_by("path")}


# ---------------------------------------------------------------- registration desk (登记)

class RegisterForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=DESK_CHANNELS, initial=Channel.VISIT,
                                widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.CLAIM, widget=forms.RadioSelect)
    category = forms.CharField(label=_("category"), required=False,
                               widget=forms.TextInput(attrs={"list": "category-list", "autocomplete": "off",
                                                             "placeholder": _("type to search")}))
    place = forms.CharField(label=_("place"),
                            widget=forms.TextInput(attrs={"list": "place-list", "autocomplete": "off",
                                                          "placeholder": _("township or village")}))
    title = forms.CharField(label=_("title"), max_length=200)
    content = forms.CharField(label=_("content"), widget=forms.Textarea(attrs={"rows": 5}))
    received_at = forms.DateTimeField(label=_("received at"), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format=DATETIME_LOCAL))
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices, coerce=int,
                                      initial=Priority.ORDINARY)
    name = forms.CharField(label=_("petitioner's name"), max_length=50, required=False)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={
                                "type": "tel", "autocomplete": "off",
                                "hx-target": "#lookup",
                                "hx-trigger": "input changed delay:400ms, change"}))
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    headcount = forms.IntegerField(label=_("number of people"), min_value=1, initial=1)
    accused_unit = forms.ModelChoiceField(label=_("accused unit"), queryset=Unit.objects.none(), required=False)
    accused_name = forms.CharField(label=_("accused person"), max_length=100, required=False)
    petitioner_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["phone"].widget.attrs["hx-get"] = reverse("workbench:register_lookup")
        self.places = place_choices(user)
        self.categories = category_choices()
        for i in range(1, rules.MAX_REPRESENTATIVES + 1):
            self.fields[f"rep_{i}"] = forms.CharField(label=_("representative %(n)s") % {"n": i},
                                                      max_length=50, required=False)
        county = home_region(user)
        if county is not None:
            self.fields["accused_unit"].queryset = (
                Unit.objects.filter(region__prefix__startswith=county.prefix, is_active=True)
                .order_by("region__code", "name"))
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def representative_fields(self) -> list[forms.BoundField]:
        return [self[f"rep_{i}"] for i in range(1, rules.MAX_REPRESENTATIVES + 1)]

    def clean_place(self) -> Region:
        label = self.cleaned_data["place"].strip()
        region = self.places.get(label)
        if region is None:
            matches = [r for lab, r in self.places.items() if label and label in lab]
            if len(matches) != 1:
                raise forms.ValidationError(_("Choose a place from the list."))
            region = matches[0]
        return region

    def clean_category(self) -> Category | None:
        path = self.cleaned_data["category"].strip()
        if not path:
            return None
        category = self.categories.get(path)
        if category is None:
            raise forms.ValidationError(_("Choose a category from the list."))
        return category

    def clean_petitioner_id(self) -> Petitioner | None:
        pk = self.cleaned_data.get("petitioner_id")
        if not pk:
            return None
        visible = petition_list_for(self.user).filter(petitioners__pk=pk)
        person = Petitioner.objects.filter(pk=pk).first() if visible.exists() else None
        if person is None:
            raise forms.ValidationError(_("That petitioner cannot be used."))
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ids = [v for v in self.data.getlist("related") if v.isdigit()] if hasattr(self.data, "getlist") else []
        data["related"] = list(petition_list_for(self.user).filter(pk__in=ids)) if ids else []
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The arguments of services.petition_register from the cleaned form."""
        d = self.cleaned_data
        person = d.get("petitioner_id")
        if person is None and d["name"].strip():
            person = Petitioner(name=d["name"].strip(), phone=d["phone"].strip(),
                                id_number=d["id_number"].strip().upper(), address=d["address"].strip())
        people = [person] if person else []
        taken = {person.name} if person else set()
        representatives = []
        for field in self.representative_fields():
            name = (d.get(field.name) or "").strip()
            if name and name not in taken:
                taken.add(name)
                representatives.append(Petitioner(name=name))
        people += representatives
        return {
            "channel": d["channel"], "kind": d["kind"], "category": d["category"], "region": d["place"],
            "title": d["title"], "content": d["content"], "received_at": d["received_at"],
            "priority": d["priority"], "headcount": d["headcount"], "petitioners": people,
            "representatives": representatives, "related": d["related"],
            "accused_unit": d["accused_unit"] if d["kind"] == Kind.ACCUSATION else None,
            "accused_name": d["accused_name"].strip() if d["kind"] == Kind.ACCUSATION else "",
        }


# ---------------------------------------------------------------- work queue filters

QUEUE_TABS: dict[str, tuple[str, Any]] = {
    # key: (label, filter given today)
    "all": (_("all open"), lambda today: Q()),
    "accept": (_("to accept"), lambda today: Q(state__in=[State.REGISTERED, State.FORWARDED, State.ASSIGNED])),
    "handle": (_("to handle"), lambda today: Q(state=State.ACCEPTED)),
    "review": (_("under review"),
               lambda today: Q(state__in=[State.REVIEW_REQUESTED, State.REEXAMINATION_REQUESTED])),
    "soon": (_("due soon"), lambda today: Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=3))),
    "overdue": (_("overdue"), lambda today: Q(due_on__lt=today)),
}

SORTS: dict[str, tuple[str, list[Any]]] = {
    "due": (_("due date"), ["due_on", "-priority", "pk"]),
    "received": (_("received, newest first"), ["-received_at", "pk"]),
    "priority": (_("priority"), ["-priority", "due_on", "pk"]),
}


class QueueFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=[(k, v[0]) for k, v in QUEUE_TABS.items()], required=False,
                            widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("channel"), required=False,
                                choices=[("", _("any channel"))] + list(Channel.choices))
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", _("any kind"))] + list(Kind.choices))
    state = forms.ChoiceField(label=_("state"), required=False,
                              choices=[("", _("any state"))] + [c for c in State.choices if c[0] in OPEN_STATES])
    region = forms.ChoiceField(label=_("place"), required=False)
    received_from = forms.DateField(label=_("received from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    received_to = forms.DateField(label=_("received until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    sort = forms.ChoiceField(label=_("sort by"), required=False, choices=[(k, v[0]) for k, v in SORTS.items()])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("any place"))] + township_choices(user)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


# ---------------------------------------------------------------- one form per workflow action

class ActionForm(forms.Form):
    """The data of one action; `kwargs()` gives the service's keyword arguments (besides actor)."""

    def __init__(self, *args: Any, petition: Petition, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.user = user

    def kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _note() -> forms.CharField:
    return forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(ActionForm):
    reason = forms.ChoiceField(label=_("legal reason"), choices=list(rules.DECLINE_REASONS.items()))
    note = _note()


def routing_units(petition: Petition) -> list[Unit]:
    """The active units a petition may be forwarded to (not its owner, not the unit it accuses),
    read once per petition object whatever forms need them."""
    cached = petition.__dict__.get("_routing_units")
    if cached is None:
        qs = Unit.objects.filter(is_active=True).exclude(pk=petition.owner_unit_id).select_related("region")
        if petition.kind == Kind.ACCUSATION and petition.accused_unit_id:
            qs = qs.exclude(pk=petition.accused_unit_id)
        cached = petition.__dict__["_routing_units"] = list(qs.order_by("region__code", "name"))
    return cached


class UnitChoiceField(forms.TypedChoiceField):
    """A select of units given as a list (so that several forms can share one query)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, coerce=int, **kwargs)
        self.units: dict[int, Unit] = {}

    def set_units(self, units: list[Unit]) -> None:
        self.units = {u.pk: u for u in units}
        self.choices = [("", "---------")] + [(u.pk, u.name) for u in units]

    def clean(self, value: Any) -> Unit | None:
        pk = super().clean(value)
        return self.units.get(pk) if pk not in (None, "") else None


class ForwardForm(ActionForm):
    to_unit = UnitChoiceField(label=_("to unit"))
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].set_units(routing_units(self.petition))


class AssignForm(ActionForm):
    to_unit = UnitChoiceField(label=_("to unit"))
    report_days = forms.IntegerField(label=_("report within (days)"), min_value=1, initial=30)
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = self.petition.owner_unit.region.prefix
        self.fields["to_unit"].set_units([u for u in routing_units(self.petition)
                                          if u.region.prefix.startswith(prefix)])


class RedirectForm(ActionForm):
    channel = forms.ChoiceField(label=_("legal channel"), choices=list(rules.LEGAL_CHANNELS.items()))
    note = _note()


class ReturnForm(ActionForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(ActionForm):
    days = forms.IntegerField(label=_("days"), min_value=1, initial=30)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RecordStepForm(ActionForm):
    note = forms.CharField(label=_("what was done"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(ActionForm):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    measure = forms.ChoiceField(label=_("three in place, one handled"), choices=Measure.choices)
    text = forms.CharField(label=_("text of the opinion"), widget=forms.Textarea(attrs={"rows": 5}))


class EvaluateForm(ActionForm):
    satisfaction = forms.ChoiceField(label=_("satisfaction"), choices=Satisfaction.choices)
    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(ActionForm):
    waived = forms.BooleanField(label=_("the petitioner has said they will not appeal"), required=False)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "decline": DeclineForm, "forward": ForwardForm, "assign": AssignForm, "redirect": RedirectForm,
    "return": ReturnForm, "extend": ExtendForm, "record_step": RecordStepForm, "decide": DecisionForm,
    "review_decide": DecisionForm, "reexamine_decide": DecisionForm, "evaluate": EvaluateForm,
    "close": CloseForm,
}


def action_form(action: str, petition: Petition, user: User, data: Any = None) -> ActionForm:
    """The form of `action` (an empty ActionForm for actions without data), prefixed by the action."""
    cls = ACTION_FORMS.get(action, ActionForm)
    return cls(data, petition=petition, user=user, prefix=action)
