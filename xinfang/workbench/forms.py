"""Forms of the staff workbench: the registration desk, the queue filters and one form per action.

Forms only read and validate; the services in xinfang.petitions.services do every write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from xinfang.org.models import Region, RegionLevel, Unit, User
from xinfang.org.selectors import county_places, home_region, unit_list_active, upper_regions
from xinfang.petitions import rules
from xinfang.petitions.categories import CategoryRow, category_rows, category_subtree
from xinfang.petitions.forms import MultipleFileField, attachments_help
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
from xinfang.petitions.selectors import (
    id_number_normalise,
    petition_list_for,
    phone_normalise,
)
from xinfang.routing.panels import unit_proposals_attach
from xinfang.workbench.selectors import QUEUE_SORTS, QUEUE_TABS, QueueQuery

DESK_CHANNELS = [(c.value, c.label) for c in (Channel.VISIT, Channel.LETTER, Channel.PHONE)]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


# ---------------------------------------------------------------- places and categories


def place_choices(user: User) -> dict[str, Region]:
    """Label → region for the county's own level, its townships and villages ("青石镇 · 青丰收村"), held in
    memory like the other pickers (org.selectors.county_places): a shared dict, not to be modified."""
    county = home_region(user)
    if county is None:
        return {}
    cached = county_places.get()
    if county.prefix not in cached:
        cached[county.prefix] = _place_labels(county)
    return cached[county.prefix]


def _place_labels(county: Region) -> dict[str, Region]:
    regions = (
        Region.objects.filter(prefix__startswith=county.prefix, level__gte=county.level)
        .select_related("parent")
        .order_by("code")
    )
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


def category_choices() -> dict[str, CategoryRow]:
    """Full path → category row, every level (a first-level name is what a category proposal fills in;
    the second and third levels say more), from the category table held in memory: no query, and no
    model instance for each of ~600 options."""
    return {c.path: c for c in category_rows()}


def pick_by_part(options: dict[str, Any], typed: str) -> tuple[Any | None, list[str]]:
    """The option whose label is `typed`, or else the only one whose label contains it (any part of
    the name, as the pickers search); otherwise None and up to five labels that contain it."""
    typed = typed.strip()
    if typed in options:
        return options[typed], []
    labels = [label for label in options if typed and typed in label]
    if len(labels) == 1:
        return options[labels[0]], []
    return None, labels[:5]


# ---------------------------------------------------------------- registration desk (登记)


class RegisterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("channel"), choices=DESK_CHANNELS, initial=Channel.VISIT, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, initial=Kind.CLAIM, widget=forms.RadioSelect)
    category = forms.CharField(
        label=_("category"),
        required=False,
        widget=forms.TextInput(
            attrs={"list": "category-list", "autocomplete": "off", "placeholder": _("type to search")}
        ),
    )
    place = forms.CharField(
        label=_("place"),
        widget=forms.TextInput(
            attrs={"list": "place-list", "autocomplete": "off", "placeholder": _("township or village")}
        ),
    )
    title = forms.CharField(label=_("title"), max_length=200)
    content = forms.CharField(label=_("content"), widget=forms.Textarea(attrs={"rows": 5}))
    received_at = forms.DateTimeField(
        label=_("received at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    priority = forms.TypedChoiceField(
        label=_("priority"), choices=Priority.choices, coerce=int, initial=Priority.ORDINARY
    )
    # the desk's lookup (partials/lookup.html) runs as these three are typed: see register.html
    name = forms.CharField(
        label=_("petitioner's name"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    headcount = forms.IntegerField(label=_("number of people"), min_value=1, initial=1)
    accused_unit = forms.ModelChoiceField(label=_("accused unit"), queryset=Unit.objects.none(), required=False)
    accused_name = forms.CharField(label=_("accused person"), max_length=100, required=False)
    petitioner_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField(label=_("attachments (scanned letters, photos, documents)"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["attachments"].help_text = attachments_help()
        self.places = place_choices(user)
        self.categories = category_choices()
        for i in range(1, rules.MAX_REPRESENTATIVES + 1):
            self.fields[f"rep_{i}"] = forms.CharField(
                label=_("representative %(n)s") % {"n": i}, max_length=50, required=False
            )
        county = home_region(user)
        if county is not None:
            self.fields["accused_unit"].queryset = Unit.objects.filter(
                region__prefix__startswith=county.prefix, is_active=True
            ).order_by("region__code", "name")
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def representative_fields(self) -> list[forms.BoundField]:
        return [self[f"rep_{i}"] for i in range(1, rules.MAX_REPRESENTATIVES + 1)]

    def clean_place(self) -> Region:
        region, labels = pick_by_part(self.places, self.cleaned_data["place"])
        if region is None and labels:
            raise forms.ValidationError(
                _("Several places match: %(labels)s. Choose one from the list.") % {"labels": "、".join(labels)}
            )
        if region is None:
            raise forms.ValidationError(_("Choose a place from the list."))
        return region

    def clean_category(self) -> Category | None:
        if not self.cleaned_data["category"].strip():
            return None
        row, labels = pick_by_part(self.categories, self.cleaned_data["category"])
        if row is None and labels:
            raise forms.ValidationError(
                _("Several categories match: %(labels)s. Choose one from the list.") % {"labels": "、".join(labels)}
            )
        if row is None:
            raise forms.ValidationError(_("Choose a category from the list."))
        # an unsaved instance carrying the primary key: enough to link the petition to it
        return Category(pk=row.pk, name=row.name, path=row.path, level=row.level, parent_id=row.parent_id)

    def clean_petitioner_id(self) -> Petitioner | None:
        """An earlier petitioner chosen in the lookup: only one the user sees a petition of."""
        pk = self.cleaned_data.get("petitioner_id")
        if not pk:
            return None
        visible = petition_list_for(self.user).filter(parties__petitioner_id=OuterRef("pk"))
        person = Petitioner.objects.filter(pk=pk).filter(Exists(visible)).first()
        if person is None:
            raise forms.ValidationError(_("That petitioner cannot be used."))
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ids = [v for v in self.data.getlist("related") if v.isdigit()] if hasattr(self.data, "getlist") else []
        data["related"] = list(petition_list_for(self.user).filter(pk__in=ids)) if ids else []
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The arguments of registration.petition_register from the cleaned form."""
        d = self.cleaned_data
        person = d.get("petitioner_id")
        if person is None and d["name"].strip():
            person = Petitioner(
                name=d["name"].strip(),
                phone=phone_normalise(d["phone"]),
                id_number=id_number_normalise(d["id_number"]),
                address=d["address"].strip(),
            )
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
            "channel": d["channel"],
            "kind": d["kind"],
            "category": d["category"],
            "region": d["place"],
            "title": d["title"],
            "content": d["content"],
            "received_at": d["received_at"],
            "priority": d["priority"],
            "headcount": d["headcount"],
            "petitioners": people,
            "representatives": representatives,
            "related": d["related"],
            "accused_unit": d["accused_unit"] if d["kind"] == Kind.ACCUSATION else None,
            "accused_name": d["accused_name"].strip() if d["kind"] == Kind.ACCUSATION else "",
            "attachments": d.get("attachments") or [],
        }


# ---------------------------------------------------------------- work queue filters

QUEUE_TAB_LABELS: dict[str, Any] = {
    "open": _("all open"),
    "accept": _("to accept"),
    "handle": _("to handle"),
    "answer": _("to answer (review, reexamination)"),
    "close": _("to close"),
    "soon": _("due soon"),
    "overdue": _("overdue"),
    "supervised": _("under supervision"),
    "concluded": _("concluded"),
    "all": _("any state"),
}
QUEUE_SORT_LABELS: dict[str, Any] = {
    "due": _("due date"),
    "received": _("received, newest first"),
    "priority": _("priority"),
}
assert set(QUEUE_TAB_LABELS) == set(QUEUE_TABS) and set(QUEUE_SORT_LABELS) == set(QUEUE_SORTS)


def queue_category_choices() -> list[tuple[str, str]]:
    """First- and second-level categories, the second indented under the first."""
    return [(str(c.pk), ("　" if c.level == 2 else "") + c.name) for c in category_rows() if c.level <= 2]


class FastSelect(forms.Select):
    """A <select> written in Python: Django's widget templates render each <option> through the
    template engine, which made the queue's filter bar (≈150 options) the slowest part of the page.
    The options' HTML is kept per list of choices (and language), and the chosen one marked in it."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        options = _options_html(self.choices)
        if value not in (None, ""):
            chosen = format_html('<option value="{}">', str(value))
            options = mark_safe(options.replace(chosen, chosen[:-1] + " selected>", 1))
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final), options)


_OPTIONS_HTML: dict[tuple[tuple[str, str], ...], str] = {}


def _options_html(choices: Any) -> str:
    """The <option>s of `choices`, rendered once per distinct list (labels in the current language)."""
    key = tuple((str(v), str(label)) for v, label in choices)
    html = _OPTIONS_HTML.get(key)
    if html is None:
        if len(_OPTIONS_HTML) > 500:  # languages × counties × lists: never near this; a bound all the same
            _OPTIONS_HTML.clear()
        html = _OPTIONS_HTML[key] = format_html_join("", '<option value="{}">{}</option>', key)
    return html


def _fast(field: forms.ChoiceField) -> forms.ChoiceField:
    field.widget = FastSelect(choices=field.choices)
    return field


class QueueFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=list(QUEUE_TAB_LABELS.items()), required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("words in title or content")}),
    )
    channel = forms.ChoiceField(
        label=_("channel"), required=False, choices=[("", _("any channel"))] + list(Channel.choices)
    )
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", _("any kind"))] + list(Kind.choices))
    category = forms.ChoiceField(label=_("category"), required=False)
    state = forms.ChoiceField(label=_("state"), required=False, choices=[("", _("any state"))] + list(State.choices))
    region = forms.ChoiceField(label=_("place"), required=False)
    received_from = forms.DateField(
        label=_("received from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    received_to = forms.DateField(
        label=_("received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(label=_("sort by"), required=False, choices=list(QUEUE_SORT_LABELS.items()))
    # set by the leaders' dashboard's links (xinfang.assessment.dashboard), kept through the filter bar
    area = forms.BooleanField(required=False, widget=forms.HiddenInput)
    satisfaction = forms.ChoiceField(
        required=False, choices=[("", "")] + list(Satisfaction.choices), widget=forms.HiddenInput
    )
    evaluated_from = forms.DateField(required=False, widget=forms.HiddenInput)
    evaluated_to = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        county = home_region(user)
        # the townships of a county; a city's (or province's) counties come before their townships
        places = (
            [
                r
                for r in upper_regions.get().values()
                if county and r.prefix.startswith(county.prefix) and county.level < r.level <= RegionLevel.TOWNSHIP
            ]
            if county
            else []
        )
        self.fields["region"].choices = [("", _("any place"))] + [(r.prefix, r.name) for r in places]
        self.fields["category"].choices = [("", _("any category"))] + queue_category_choices()
        for name in ("channel", "kind", "category", "state", "region", "sort"):
            _fast(self.fields[name])

    def query(self) -> QueueQuery:
        """The QueueQuery of the submitted values; an invalid value is ignored, not an error page."""
        self.is_valid()
        d = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        category_ids: tuple[int, ...] = ()
        if d.get("category"):
            category_ids = category_subtree(int(d["category"]))
        return QueueQuery(
            tab=d.get("tab") or "open",
            channel=d.get("channel") or "",
            kind=d.get("kind") or "",
            state=d.get("state") or "",
            category_ids=category_ids,
            region_prefix=d.get("region") or "",
            received_from=d.get("received_from"),
            received_to=d.get("received_to"),
            text=d.get("q") or "",
            sort=d.get("sort") or "",
            area=bool(d.get("area")),
            satisfaction=d.get("satisfaction") or "",
            evaluated_from=d.get("evaluated_from"),
            evaluated_to=d.get("evaluated_to"),
        )


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
    """The active units a petition may be forwarded to: not its owner, not the unit it accuses."""
    accused = petition.accused_unit_id if petition.kind == Kind.ACCUSATION else None
    return [u for u in unit_list_active() if u.pk not in (petition.owner_unit_id, accused)]


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


class ConfirmAccusedForm(ActionForm):
    """Art. 30: the accused of an accusation received online, proposed from its text, confirmed or corrected."""

    accused_unit = UnitChoiceField(label=_("accused unit"), required=False)
    accused_user = forms.TypedChoiceField(
        label=_("accused official (user)"), coerce=int, required=False, empty_value=None
    )
    accused_name = forms.CharField(label=_("accused person"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accused_unit"].set_units(unit_list_active())
        self.people = {
            u.pk: u
            for u in User.objects.filter(is_active=True, unit__isnull=False)
            .select_related("unit")
            .order_by("unit__name", "display_name", "username")
        }
        self.fields["accused_user"].choices = [("", "---------")] + [
            (u.pk, f"{u.unit.name} · {u.display_name or u.username}") for u in self.people.values()
        ]
        if not self.is_bound:
            self.initial = {
                "accused_unit": self.petition.accused_unit_id,
                "accused_user": self.petition.accused_user_id,
                "accused_name": self.petition.accused_name,
            }

    def kwargs(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["accused_user"] = self.people.get(d["accused_user"]) if d["accused_user"] else None
        return d


class ForwardForm(ActionForm):
    to_unit = UnitChoiceField(label=_("to unit"))
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].set_units(routing_units(self.petition))
        unit_proposals_attach(self)  # the routing table's proposal, pre-selected (xinfang.routing)


class AssignForm(ActionForm):
    to_unit = UnitChoiceField(label=_("to unit"))
    report_days = forms.IntegerField(label=_("report within (days)"), min_value=1, initial=30)
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = self.petition.owner_unit.region.prefix
        self.fields["to_unit"].set_units(
            [u for u in routing_units(self.petition) if u.region.prefix.startswith(prefix)]
        )
        unit_proposals_attach(self)


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
    "confirm_accused": ConfirmAccusedForm,
    "decline": DeclineForm,
    "forward": ForwardForm,
    "assign": AssignForm,
    "redirect": RedirectForm,
    "return": ReturnForm,
    "extend": ExtendForm,
    "record_step": RecordStepForm,
    "decide": DecisionForm,
    "review_decide": DecisionForm,
    "reexamine_decide": DecisionForm,
    "evaluate": EvaluateForm,
    "close": CloseForm,
}


def action_form(action: str, petition: Petition, user: User, data: Any = None) -> ActionForm:
    """The form of `action` (an empty ActionForm for actions without data), prefixed by the action."""
    cls = ACTION_FORMS.get(action, ActionForm)
    return cls(data, petition=petition, user=user, prefix=action)
