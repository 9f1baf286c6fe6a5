"""Forms of the public portal. They only read and validate; petitions.services does every write and
checks everything again (attachments by content, claims need a petitioner, the appeal windows)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from xinfang.petitions.categories import category_rows
from xinfang.petitions.forms import MultipleFileField, attachments_help
from xinfang.petitions.models import Category, Channel, Kind, Petitioner, Satisfaction
from xinfang.petitions.selectors import phone_normalise
from xinfang.portal import selectors

SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
PHONE_DIGITS = (7, 12)  # a landline without area code … a mobile with a leading 0 or an area code


class GroupedSelect(forms.Select):
    """A <select> with <optgroup>s written in Python (one string join, not a template per option)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        chosen = "" if value is None else str(value)

        def options(items) -> str:
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((str(v), mark_safe(" selected") if str(v) == chosen else "", label) for v, label in items),
            )

        parts = []
        for value_or_group, label_or_items in self.choices:
            if isinstance(label_or_items, (list, tuple)):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', value_or_group, options(label_or_items)))
            else:
                parts.append(options([(value_or_group, label_or_items)]))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(parts)),
        )


def category_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """Second-level categories under their first level (the third is too fine for the public)."""
    top = {c.pk: c.name for c in category_rows() if c.level == 1}
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in category_rows():
        if c.level == 2 and c.parent_id in top:
            groups.setdefault(top[c.parent_id], []).append((c.pk, c.name))
    return list(groups.items())


def phone_clean(value: str) -> str:
    digits = phone_normalise(value)
    if value.strip() and not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise forms.ValidationError(_("Enter a mobile or landline number, digits only."))
    return digits


KIND_HELP = {
    Kind.SUGGESTION: _("Proposals and opinions on the work of government. May be anonymous."),
    Kind.ACCUSATION: _(
        "Unlawful conduct of an official or a unit. May be anonymous; the accused never sees your materials."
    ),
    Kind.CLAIM: _("A request about your own rights and interests. Needs your name and mobile number."),
}


def submission_token_new() -> str:
    """The one-time token of a form shown (SubmitForm.submission): 256 random bits."""
    return secrets.token_urlsafe(32)


class SubmitForm(forms.Form):
    # minted when the form is shown; a second sending of it shows the first one's receipt
    submission = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, widget=forms.RadioSelect)
    place = forms.TypedChoiceField(label=_("where did it happen"), coerce=int, widget=GroupedSelect)
    category = forms.TypedChoiceField(
        label=_("subject"), coerce=int, required=False, empty_value=None, widget=GroupedSelect
    )
    title = forms.CharField(
        label=_("in one sentence"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. wages unpaid for three months")}),
    )
    content = forms.CharField(
        label=_("what happened and what you ask for"), max_length=5000, widget=forms.Textarea(attrs={"rows": 7})
    )
    accused_name = forms.CharField(
        label=_("unit or person you accuse"), max_length=100, required=False, help_text=_("Accusations only.")
    )
    attachments = MultipleFileField(label=_("attachments (photos, scanned documents)"))
    anonymous = forms.BooleanField(
        label=_("submit anonymously"),
        required=False,
        help_text=_("Suggestions and accusations only. You will get no notices."),
    )
    name = forms.CharField(
        label=_("your name"), max_length=50, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("e-mail (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    address = forms.CharField(label=_("address (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("choose the township or village"))] + selectors.place_groups()
        self.fields["category"].choices = [("", _("not sure"))] + category_groups()
        self.fields["attachments"].help_text = attachments_help()
        if not self.is_bound:
            self.initial.setdefault("submission", submission_token_new())

    def kind_options(self) -> list[tuple[Any, str]]:
        """Each kind's radio button with a line saying what it is for."""
        return [(radio, KIND_HELP[radio.data["value"]]) for radio in self["kind"]]

    def clean_place(self) -> selectors.Place:
        place = selectors.place_get(self.cleaned_data["place"])
        if place is None:
            raise forms.ValidationError(_("Choose the township or village from the list."))
        return place

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data["category"]
        row = next((c for c in category_rows() if c.pk == pk), None) if pk else None
        # an unsaved instance carrying the primary key: enough to link the petition to it
        return Category(pk=row.pk, name=row.name, path=row.path, level=row.level) if row else None

    def clean_submission(self) -> str:
        token = self.cleaned_data["submission"]
        if not SUBMISSION_TOKEN.fullmatch(token):  # the page is shown again with a fresh token
            self.data = self.data.copy()
            self.data["submission"] = submission_token_new()
            raise forms.ValidationError(_("This page has expired: check the form and send it again."))
        return token

    def clean_phone(self) -> str:
        return phone_clean(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        kind = d.get("kind")
        if d.get("anonymous") and kind == Kind.CLAIM:
            self.add_error("anonymous", _("A claim needs your name and mobile number: it cannot be anonymous."))
        elif d.get("anonymous"):
            d["name"] = d["email"] = d["address"] = ""
        else:
            if not (d.get("name") or "").strip():
                self.add_error("name", _("Enter your name, or submit anonymously (suggestions and accusations)."))
            if "phone" in d and not d["phone"]:
                self.add_error("phone", _("Enter your mobile number: you track your petition with it."))
        if kind != Kind.ACCUSATION:
            d["accused_name"] = ""
        return d

    def service_kwargs(self, user_agent: str = "") -> dict[str, Any]:
        """The arguments of portal.services.petition_submit from the cleaned form."""
        d = self.cleaned_data
        place: selectors.Place = d["place"]
        person = (
            None
            if d["anonymous"]
            else Petitioner(name=d["name"].strip(), phone=d["phone"], email=d["email"], address=d["address"].strip())
        )
        return {
            "channel": Channel.WECHAT if "MicroMessenger" in user_agent else Channel.WEB,
            "kind": d["kind"],
            "region": place.region(),
            "bureau": place.bureau,
            "category": d["category"],
            "title": d["title"],
            "content": d["content"],
            "petitioner": person,
            "tracking_phone": d["phone"] if d["anonymous"] else "",
            "accused_name": d["accused_name"].strip(),
            "attachments": d.get("attachments") or [],
        }


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("query code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("mobile phone given with the petition"),
        max_length=20,
        required=False,
        help_text=_("Leave empty only if you gave no phone."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )


class EvaluateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("how satisfied are you with the handling"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("reasons"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("satisfaction") == Satisfaction.DISSATISFIED and not d.get("reason", "").strip():
            self.add_error("reason", _("Tell us why you are dissatisfied."))
        return d


class AppealForm(forms.Form):
    confirm = forms.BooleanField(label=_("I ask for it"), required=True)
