"""The registration desk's category panel (routing/category_panel.html), from the title and content
typed so far (a GET of the htmx request, or the POST of a form shown again); its place panel
(routing/place_panel.html); the unit proposals of the petition page's forward and assignment forms; the draft check of its decide
forms (routing/reply_check_panel.html)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import QueryDict

from xinfang.org.models import RegionLevel, User
from xinfang.org.selectors import RegionRow
from xinfang.petitions.models import DeadlineKind, Petition
from xinfang.routing.classifier import model_current
from xinfang.routing.places import name_index, place_propose, user_county
from xinfang.routing.reply_check import reply_check
from xinfang.routing.selectors import MIN_CHARS, category_propose, petition_text
from xinfang.routing.units import unit_propose_for


def category_context(params: QueryDict) -> dict[str, Any]:
    text = petition_text(params.get("title", ""), params.get("content", ""))
    return {
        "proposals": category_propose(text),
        "proposals_asked": len("".join(text.split())) >= MIN_CHARS,
        "category_model_ready": model_current() is not None,
    }


# ---------------------------------------------------------------- places (registration desk)


def place_labels(county: RegionRow | None) -> dict[int, str]:
    """Region → its label in the desk's place picker (xinfang.workbench.forms.place_choices: "青石镇 ·
    青丰收村", a repeated label with its code), from the name index: no query."""
    if county is None:
        return {}
    rows = name_index.get().rows
    labels: dict[int, str] = {}
    taken: set[str] = set()
    for r in rows.values():  # in code order
        if not r.prefix.startswith(county.prefix) or r.level < county.level:
            continue
        parent = rows.get(r.parent_id) if r.parent_id else None
        label = f"{parent.name} · {r.name}" if r.level == RegionLevel.VILLAGE and parent else r.name
        if label in taken:
            label = f"{label}（{r.code}）"
        taken.add(label)
        labels[r.pk] = label
    return labels


def place_context(user: User, params: QueryDict) -> dict[str, Any]:
    """The desk's place panel (routing/place_panel.html) from the address, title and content typed."""
    county = user_county(user.unit_id)
    text = petition_text(params.get("title", ""), params.get("content", ""))
    address = params.get("address", "")
    proposals = place_propose(text, address, county) if len("".join((text + address).split())) >= 2 else []
    labels = place_labels(county)
    return {"place_proposals": [(p, labels.get(p.pk, "")) for p in proposals]}


# ---------------------------------------------------------------- units (petition page: forward, assign)


def unit_proposals_attach(form: Any, field: str = "to_unit") -> None:
    """Give a forward or assignment form the routing table's proposals (`form.unit_proposals`: each with
    whether this form's select offers it) and pre-select the first one offered. Staff may choose any
    other unit: what they choose is kept (services.unit_outcome_record)."""
    offered = form.fields[field].units
    proposals = unit_propose_for(form.petition)
    form.unit_proposals = [(p, not p.excluded and p.unit.pk in offered) for p in proposals]
    first = next((p for p, ok in form.unit_proposals if ok), None)
    if first is not None and not form.is_bound:
        form.initial[field] = first.unit.pk


# ---------------------------------------------------------------- draft check (petition page's decide forms)

DECISION_DEADLINES = (DeadlineKind.HANDLING, DeadlineKind.REVIEW_ANSWER, DeadlineKind.REEXAMINATION_ANSWER)


def draft_text(params: QueryDict) -> str:
    """The opinion typed in a decide form (its field is prefixed by the action: "decide-text")."""
    return next((v for k, v in params.items() if k == "text" or k.endswith("-text")), "")


def reply_check_context(petition: Petition, draft: str, today: date) -> dict[str, Any]:
    """The flags of the draft decision on `petition`, against its open decision deadline (one query)."""
    due_on = (
        petition.deadlines.filter(is_open=True, kind__in=DECISION_DEADLINES)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    flags = reply_check(petition.content, draft, due_on=due_on, today=today, title=petition.title)
    return {"flags": flags, "checked": bool(draft.strip()), "due_on": due_on}
