"""Reads of the public portal: the places a petition may be about (and the petition bureau that
receives it), finding a petition by query code and phone, what its petitioner may see of it, and
the published reception days and policy answers.

The one rule of what the public sees: a petition only after its query code and phone were given
(`petition_find_for_petitioner`), and of it only `petitioner_view` — never a note of staff, a staff
member's name, the accused unit or person, nor another petitioner's contact details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from xinfang.org.models import Region, RegionLevel, Unit, UnitKind
from xinfang.org.selectors import RegionRow, unit_list_active
from xinfang.org.tablecache import TableCache
from xinfang.petitions import deadlines, rules
from xinfang.petitions.crypto import lookup_digest
from xinfang.petitions.models import (
    Deadline,
    DeadlineKind,
    Decision,
    DecisionStage,
    Event,
    Outcome,
    Petition,
    Satisfaction,
)
from xinfang.petitions.selectors import phone_normalise
from xinfang.petitions.services import query_code_normalise
from xinfang.petitions.workflow import TABLE
from xinfang.portal.models import PolicyAnswer, ReceptionDay, Submission

try:  # notices to petitioners (xinfang.notify): none shown where that app is not installed
    from xinfang.notify.selectors import notice_list_for_petitioner
except ImportError:  # pragma: no cover - depends on the installed apps

    def notice_list_for_petitioner(petition: Petition) -> list:
        return []


# ---------------------------------------------------------------- places and the receiving bureau


@dataclass(frozen=True)
class Place(RegionRow):
    label: str  # what the picker shows
    group: str  # the picker's group: the county, or the county and township
    bureau: Unit  # the county petition bureau that receives petitions about this place

    def region(self) -> Region:
        """An unsaved Region carrying the primary key and code: enough to register a petition with."""
        return Region(
            pk=self.pk, code=self.code, prefix=self.prefix, name=self.name, level=self.level, parent_id=self.parent_id
        )


def _places() -> dict[int, Place]:
    """Every county that has an active petition bureau, with its townships and villages, in code order
    (the locality principle: a petition about a place goes to that county's bureau)."""
    bureaus = {
        u.region.prefix: u
        for u in unit_list_active()
        if u.kind == UnitKind.BUREAU and u.region.level == RegionLevel.COUNTY
    }
    if not bureaus:
        return {}
    rows = (
        Region.objects.filter(level__gte=RegionLevel.COUNTY)
        .order_by("code")
        .values_list("pk", "code", "prefix", "name", "level", "parent_id")
    )
    names: dict[int, str] = {}
    places: dict[int, Place] = {}
    several = len(bureaus) > 1
    for pk, code, prefix, name, level, parent_id in rows:
        bureau = bureaus.get(prefix[:6])
        if bureau is None:
            continue
        names[pk] = name
        county = bureau.region.name
        if level == RegionLevel.COUNTY:
            group, label = county, _("%(county)s (county town, or not sure which township)") % {"county": name}
        elif level == RegionLevel.TOWNSHIP:
            group = f"{county} · {name}" if several else name
            label = _("%(township)s (not sure which village)") % {"township": name}
        else:
            township = names.get(parent_id, "")
            group = f"{county} · {township}" if several else township
            label = name
        places[pk] = Place(pk, code, prefix, name, level, parent_id, label, group, bureau)
    return places


places = TableCache(_places)
invalidate_cache = places.invalidate  # connected to Region's and Unit's save and delete signals


def place_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """The places for a <select> with one <optgroup> per county or township, in code order."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for p in places.get().values():
        groups.setdefault(p.group, []).append((p.pk, p.label))
    return list(groups.items())


def place_get(pk: int) -> Place | None:
    return places.get().get(pk)


# ---------------------------------------------------------------- finding a petition by code and phone


def phone_digest(phone: str) -> str:
    """The keyed hash under which an anonymous petitioner's tracking phone is kept (TrackingPhone)."""
    return salted_hmac("xinfang.portal.tracking-phone", phone_normalise(phone), algorithm="sha256").hexdigest()


# ---------------------------------------------------------------- one-time tokens and receipts


def submission_get(token: str) -> Submission | None:
    """The sending of the form with this one-time token, if it was stored."""
    return Submission.objects.filter(token=token).first() if token else None


def submission_browser_digest(token: str, browser: str) -> str:
    """What a Submission keeps of the browser that sent it: an HMAC of its cookie with the token."""
    return salted_hmac("xinfang.portal.submission-browser", f"{token}:{browser}", algorithm="sha256").hexdigest()


def receipt_state(submission: Submission, browser: str, now: dt.datetime | None = None) -> str:
    """Whether the receipt of `submission` may be shown to the browser with cookie `browser`: "shown";
    "elsewhere" (another browser: it learns nothing); "expired" (the same browser, more than
    settings.PORTAL_RECEIPT_MINUTES after sending)."""
    if not browser or not constant_time_compare(
        submission.browser, submission_browser_digest(submission.token, browser)
    ):
        return "elsewhere"
    if (now or timezone.now()) - submission.at > dt.timedelta(minutes=settings.PORTAL_RECEIPT_MINUTES):
        return "expired"
    return "shown"


def petition_find_for_petitioner(code: str, phone: str) -> int | None:
    """The id of the petition with query code `code` whose petitioner's phone is `phone` (digits
    compared, a leading 86 ignored), else None: the same None, after the same one query, whether the
    code does not exist or the phone does not match. A petition with no phone on file (an anonymous
    letter, a petitioner without a phone) is found by its code with the phone left empty."""
    typed = phone_normalise(phone)
    # the petitioners' phones are compared by their keyed hashes (they are encrypted at rest)
    rows = list(
        Petition.objects.filter(query_code=query_code_normalise(code)).values_list(
            "pk", "parties__petitioner__phone_digest", "tracking_phone__digest"
        )
    )
    if not rows:
        return None
    phones = {p for _, p, _ in rows if p}
    digests = {d for *_, d in rows if d}
    if not phones and not digests:
        return rows[0][0] if not typed else None
    if typed and (lookup_digest("phone", typed) in phones or phone_digest(typed) in digests):
        return rows[0][0]
    return None


# ---------------------------------------------------------------- what the petitioner sees

# Deadlines between units (a unit's objection, an assignment's report date) are not the petitioner's.
PETITIONER_DEADLINES = frozenset(DeadlineKind.values) - {DeadlineKind.OBJECTION, DeadlineKind.ASSIGNMENT_REPORT}
DECISION_ACTIONS = frozenset({"decide", "review_decide", "reexamine_decide"})
APPEAL_WINDOWS = {
    "request_review": DeadlineKind.REVIEW_REQUEST,
    "request_reexamination": DeadlineKind.REEXAMINATION_REQUEST,
}


def appeal_action(state: str) -> str | None:
    """The appeal a petitioner may ask for in `state`: 复查 after a decision, 复核 after a review."""
    return next((a for a in APPEAL_WINDOWS if state in TABLE[a].sources), None)


@dataclass
class Entry:
    """One line of the petitioner's timeline: an event of the petition or a notice sent to them."""

    at: dt.datetime
    what: str
    detail: str = ""
    kind: str = "event"  # event | decision | notice | mine


@dataclass
class PetitionerView:
    petition: Petition
    timeline: list[Entry]
    decisions: list[Decision]
    deadlines: list[dict[str, Any]]
    may_evaluate: bool
    evaluated: bool  # the latest decision has been rated
    appeal: str | None  # "request_review" / "request_reexamination", if the state allows one
    appeal_window: Deadline | None


def _unit_names(ids: set[int]) -> dict[int, str]:
    names = {u.pk: u.name for u in unit_list_active() if u.pk in ids}
    missing = ids - names.keys()
    if missing:  # a unit no longer active
        names |= dict(Unit.objects.filter(pk__in=missing).values_list("pk", "name"))
    return names


def _event_entry(e: Event, owner: str, units: dict[int, str]) -> Entry | None:
    """What the petitioner may read of one event; None for what is not theirs (staff notes, handling
    steps, supervision, alerts, files staff added)."""
    d = e.data
    to = units.get(d.get("to_unit"), "")
    texts: dict[str, tuple[str, str]] = {
        "register": (_("Received and registered"), owner),
        "import": (_("Registered"), owner),
        "forward": (_("Forwarded to the competent unit"), to),
        "assign": (_("Assigned to a unit to handle"), to),
        "accept": (_("Accepted"), owner),
        "return": (_("Sent back to be routed again"), ""),
        "decline": (_("Not accepted"), rules.DECLINE_REASONS.get(d.get("reason", ""), "")),
        "redirect": (_("To be settled through a legal channel"), rules.LEGAL_CHANNELS.get(d.get("channel", ""), "")),
        "extend": (
            _("Handling period extended"),
            _("%(days)s days more, until %(due)s. Reason: %(reason)s")
            % {"days": d.get("days", ""), "due": d.get("due_after", ""), "reason": d.get("reason", "")},
        ),
        "request_review": (_("You asked for a review"), to),
        "request_reexamination": (_("You asked for a reexamination"), to),
        "hearing_start": (_("Hearing held (its days do not count towards the time limit)"), owner),
        "hearing_end": (_("Hearing ended"), owner),
        "close": (_("Concluded"), owner),
    }
    if e.action in DECISION_ACTIONS:
        stage = DecisionStage(d.get("stage", DecisionStage.HANDLING)).label
        outcome = Outcome(d["outcome"]).label if d.get("outcome") in Outcome.values else ""
        return Entry(e.at, str(stage), f"{owner}：{outcome}", "decision")
    if e.action == "evaluate":
        rating = Satisfaction(d["satisfaction"]).label if d.get("satisfaction") in Satisfaction.values else ""
        return Entry(e.at, _("Your evaluation"), "；".join(str(x) for x in (rating, d.get("reason")) if x), "mine")
    if e.action == "attach":  # the petitioner's own files, sent with the petition
        return Entry(e.at, _("Attachment received"), d.get("name", ""), "mine") if e.actor_id is None else None
    if e.action in texts:
        what, detail = texts[e.action]
        return Entry(e.at, str(what), str(detail))
    return None


def petitioner_view(pk: int) -> PetitionerView:
    """The petition as its petitioner sees it (Petition.DoesNotExist if there is none): the timeline
    of events and notices, the written decisions, the dates the law promises with how each was
    computed, and what they may do now. Six queries, however long the history."""
    p = (
        Petition.objects.select_related("category", "region", "owner_unit", "registering_unit")
        .defer("search_vector")
        .get(pk=pk)
    )
    events = list(Event.objects.filter(petition_id=pk).order_by("seq").only("at", "action", "data", "actor_id", "seq"))
    ids = {v for e in events for k, v in e.data.items() if k in ("to_unit", "unit", "owner_unit") and v}
    units = _unit_names(ids)
    timeline: list[Entry] = []
    owner = p.registering_unit.name
    rated_since_decision = False
    for e in events:
        entry = _event_entry(e, owner, units)
        if entry:
            timeline.append(entry)
        if e.action in DECISION_ACTIONS:
            rated_since_decision = False
        elif e.action == "evaluate":
            rated_since_decision = True
        owner = units.get(e.data.get("owner_unit"), owner)  # after a routing or an appeal
    for n in notice_list_for_petitioner(p):
        what = _("Notice by %(channel)s (%(state)s)") % {
            "channel": n.get_channel_display(),
            "state": n.get_state_display(),
        }
        timeline.append(Entry(n.created_at, what, n.text, "notice"))
    timeline.sort(key=lambda x: x.at)
    decisions = list(
        Decision.objects.filter(petition_id=pk)
        .select_related("unit")
        .order_by("decided_on", "pk")
        .only("stage", "outcome", "measure", "text", "decided_on", "unit__name")
    )
    own = list(
        Deadline.objects.filter(petition_id=pk, kind__in=PETITIONER_DEADLINES)
        .select_related("unit")
        .order_by("start_on", "pk")
    )
    appeal = appeal_action(p.state)
    window = next((d for d in own if d.is_open and d.kind == APPEAL_WINDOWS.get(appeal or "")), None)
    may_evaluate = p.state in TABLE["evaluate"].sources
    return PetitionerView(
        petition=p,
        timeline=timeline,
        decisions=decisions,
        deadlines=[
            {
                "deadline": d,
                "explain": deadlines.explain(d),
                "late": d.is_open and d.kind in deadlines.OBLIGATIONS and d.due_on < timezone.localdate(),
            }
            for d in own
        ],
        may_evaluate=may_evaluate and not rated_since_decision,
        evaluated=rated_since_decision,
        appeal=appeal,
        appeal_window=window,
    )


# ---------------------------------------------------------------- published content

RECEPTION_DAYS_SHOWN = 60


def reception_day_list_upcoming(today: dt.date) -> list[ReceptionDay]:
    return list(
        ReceptionDay.objects.filter(is_published=True, on__gte=today)
        .select_related("unit")
        .order_by("on", "pk")[:RECEPTION_DAYS_SHOWN]
    )


def policy_answer_list(text: str = "") -> list[PolicyAnswer]:
    """The published answers, in their order; with `text`, those whose question or answer contains it."""
    qs = PolicyAnswer.objects.filter(is_published=True)
    if text.strip():
        word = text.strip()
        qs = qs.filter(Q(question__icontains=word) | Q(answer__icontains=word) | Q(basis__icontains=word))
    return list(qs.order_by("order", "pk"))
