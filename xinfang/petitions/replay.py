"""The log covers the row: replay a petition's events and compare the result with its row.

`petition_replay(events)` folds one petition's events (register or import, then the workflow actions of
workflow.TABLE; supervision, attachments and deadline warnings change none of the compared fields) into a
`Snapshot`: what the row must hold. `row_differences(row, snapshot)` names every field where the row
says something else. `rows_verify()` does both for every petition (or some), in chunks of petitions with
four queries each, so memory and queries stay bounded at any size (verify_log calls it).

Compared: state, owning unit, co-handling units, the accused (unit, official, name, confirmed), the
registered facts (title and content by SHA-256 of the text, channel, kind, place, headcount, day received,
category, priority), the reason declined and the legal channel redirected to, every deadline row (kind,
unit, counted from, due, open, met on) and the queue's due date. The events record what is needed
(registration.petition_register, services._apply: "opened" due dates; xinfang/demo/generate writes the same).

Events written before a field was recorded (a register event without "title_sha256", an opening event
without "opened" ...) cannot prove that field: it is reported as not recorded (`RowCheck.unrecorded`),
never as a difference and never as checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils import timezone

from xinfang.petitions import deadlines as dl
from xinfang.petitions.models import CoHandling, Deadline, DeadlineKind, Event, Kind, Petition
from xinfang.petitions.workflow import TABLE

# the fields a register (or import) event records, as the row's column or the name reported
FACTS = ("channel", "kind", "region", "headcount", "received_on", "category", "priority")
ACCUSED = ("accused_unit", "accused_user", "accused_name", "accused_confirmed")
TEXTS = {"title": "title_sha256", "content": "content_sha256"}
NOT_ACCUSED = {"accused_unit": None, "accused_user": None, "accused_name": "", "accused_confirmed": True}
IMPORT_ACTION = "import"  # xinfang.demo.generate.ImportGenerator's one event (台账导入)
# the order differences are reported in
FIELD_ORDER = (
    "state",
    "owner_unit",
    "co_units",
    *ACCUSED,
    *TEXTS,
    *FACTS,
    "decline_reason",
    "redirect_channel",
    "due_on",
)


def text_digest(text: str) -> str:
    """What the register event records of the title and of the content: never the text itself."""
    return hashlib.sha256(text.encode()).hexdigest()


class LoggedEvent(NamedTuple):
    action: str
    at: dt.datetime
    to_state: str
    data: dict[str, Any]


@dataclass
class DeadlineState:
    kind: str
    unit: int | None
    start_on: dt.date
    due_on: dt.date | None  # None: the event that opened it did not record its due date
    is_open: bool = True
    met_on: dt.date | None = None

    def key(self) -> tuple:
        return (self.kind, self.unit, self.start_on, self.is_open, self.met_on)

    def describe(self) -> str:
        state = "未完成" if self.is_open else f"{self.met_on}完成"
        return f"{self.kind} 自{self.start_on}起 截止{self.due_on or '（未记录）'} {state}"


@dataclass
class Snapshot:
    """What the log says the row holds: `fields` by name, the deadlines, and the fields it cannot say."""

    fields: dict[str, Any] = field(default_factory=dict)
    deadlines: list[DeadlineState] = field(default_factory=list)
    unrecorded: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Difference:
    field: str
    row: str
    log: str


@dataclass
class RowCheck:
    petition_id: int
    query_code: str
    differences: list[Difference]
    unrecorded: set[str]


@dataclass
class PetitionRow:
    """The compared columns of one petition, as `fields`, with its deadline rows."""

    petition_id: int
    query_code: str
    fields: dict[str, Any]
    deadlines: list[DeadlineState]


# ---------------------------------------------------------------- the replay


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _take(snap: Snapshot, data: dict[str, Any], names: Iterable[str], keys: dict[str, str] | None = None) -> None:
    for name in names:
        key = (keys or {}).get(name, name)
        if key in data:
            snap.fields[name] = data[key]
        else:
            snap.fields.pop(name, None)
            snap.unrecorded.add(name)


def _first(snap: Snapshot, e: LoggedEvent) -> None:
    """register (registration.petition_register) or import (a ledger row, xinfang.demo.generate.ImportGenerator)."""
    data = e.data
    snap.fields["owner_unit"] = data.get("owner_unit") or data.get("unit")
    _take(snap, data, FACTS)
    _take(snap, data, TEXTS, TEXTS)
    _take(snap, data, ["co_units"])
    if "co_units" in snap.fields:
        snap.fields["co_units"] = sorted(snap.fields["co_units"])
    if data.get("kind") == Kind.ACCUSATION:
        _take(snap, data, ACCUSED)
    else:
        snap.fields.update(NOT_ACCUSED)
    for name in ("decline_reason", "redirect_channel"):
        snap.fields[name] = ""
    if e.action == IMPORT_ACTION:
        for name, value in (("decline_reason", "declined"), ("redirect_channel", "redirected")):
            if name in data:
                snap.fields[name] = data[name]
            elif e.to_state == value:
                snap.unrecorded.add(name)
        if "open_deadlines" not in data:
            snap.unrecorded.add("deadlines")
        for kind, unit, start, due in data.get("open_deadlines", []):
            snap.deadlines.append(DeadlineState(kind, unit, _day(start), _day(due)))
    else:
        due = data.get("opened", {}).get(DeadlineKind.INTAKE)
        snap.deadlines.append(
            DeadlineState(DeadlineKind.INTAKE, snap.fields["owner_unit"], _day(data.get("received_on")), _day(due))
        )


def _open(snap: Snapshot, kind: str) -> DeadlineState | None:
    return next((d for d in snap.deadlines if d.is_open and d.kind == kind), None)


def _action(snap: Snapshot, e: LoggedEvent) -> None:
    """One row of workflow.TABLE, as services._apply carried it out."""
    t, data = TABLE[e.action], e.data
    today = timezone.localdate(e.at)
    owner = data.get("owner_unit", snap.fields.get("owner_unit"))
    if e.action == "confirm_accused":
        _take(snap, data, ACCUSED)
        if owner != snap.fields.get("owner_unit"):  # it accused its holder: moved on, deadlines with it
            for d in snap.deadlines:
                if d.is_open and d.unit is not None:
                    d.unit = owner
    snap.fields["owner_unit"] = owner
    if e.action == "decline":
        snap.fields["decline_reason"] = data.get("reason", "")
    elif e.action == "redirect":
        snap.fields["redirect_channel"] = data.get("channel", "")
    elif e.action in ("extend", "hearing_end"):
        kind = DeadlineKind.HANDLING if e.action == "extend" else DeadlineKind.REEXAMINATION_ANSWER
        d = _open(snap, kind)
        if d is not None:
            d.due_on = _day(data.get("due_after"))
    for kind in t.closes:
        d = _open(snap, kind)
        if d is not None:
            d.is_open, d.met_on = False, today
    opened = data.get("opened", {})
    for kind in t.opens:
        unit = owner if kind in dl.UNIT_DEADLINES else None
        snap.deadlines.append(DeadlineState(kind, unit, today, _day(opened.get(kind))))


def petition_replay(events: Iterable[LoggedEvent]) -> Snapshot:
    """The row one petition's events (in sequence order) describe."""
    snap = Snapshot()
    for n, e in enumerate(events):
        if n == 0:
            _first(snap, e)
        elif e.action in TABLE:
            _action(snap, e)
        snap.fields["state"] = e.to_state
    if "deadlines" not in snap.unrecorded:
        open_ = [(d.kind, d.due_on) for d in snap.deadlines if d.is_open]
        if any(due is None for _, due in open_):
            snap.unrecorded.add("due_on")
        else:
            snap.fields["due_on"] = dl.queue_due(open_)
    else:
        snap.unrecorded.add("due_on")
    return snap


# ---------------------------------------------------------------- the comparison


def _show(name: str, value: Any) -> str:
    if name in TEXTS and value:
        return f"sha256 {value[:12]}…"
    return "（空）" if value in (None, "", []) else str(value)


def _deadline_differences(rows: Sequence[DeadlineState], replayed: Sequence[DeadlineState]) -> list[Difference]:
    """Match rows and replayed deadlines by (kind, unit, counted from, open, met on); within each, the due
    dates (a replayed one not recorded matches any)."""
    by_key: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for d in rows:
        by_key[d.key()][0].append(d)
    for d in replayed:
        by_key[d.key()][1].append(d)
    out = []
    for key, (have, want) in sorted(by_key.items(), key=lambda kv: str(kv[0])):
        extra = Counter(d.due_on for d in have) - Counter(d.due_on for d in want if d.due_on is not None)
        unknown = sum(1 for d in want if d.due_on is None)
        if len(have) != len(want) or sum(extra.values()) > unknown:
            out.append(
                Difference(
                    f"deadlines.{key[0]}",
                    "；".join(d.describe() for d in have) or "（无）",
                    "；".join(d.describe() for d in want) or "（无）",
                )
            )
    return out


def row_differences(row: PetitionRow, snapshot: Snapshot) -> list[Difference]:
    """Every compared field where the row is not what the log says (fields not recorded are skipped)."""
    log = snapshot.fields
    out = [
        Difference(name, _show(name, row.fields.get(name)), _show(name, log[name]))
        for name in FIELD_ORDER
        if name in log and row.fields.get(name) != log[name]
    ]
    if "deadlines" not in snapshot.unrecorded:
        out += _deadline_differences(row.deadlines, snapshot.deadlines)
    return out


# ---------------------------------------------------------------- every petition, in chunks

ROW_COLUMNS = (
    "pk",
    "query_code",
    "state",
    "owner_unit_id",
    "accused_unit_id",
    "accused_user_id",
    "accused_name",
    "accused_confirmed",
    "title",
    "content",
    "channel",
    "kind",
    "region__code",
    "headcount",
    "received_at",
    "category_id",
    "priority",
    "decline_reason",
    "redirect_channel",
    "due_on",
)
DEADLINE_COLUMNS = ("petition_id", "kind", "unit_id", "start_on", "due_on", "is_open", "met_on")


def _row(values: dict[str, Any], co_units: list[int], deadlines: list[DeadlineState]) -> PetitionRow:
    f = {
        "state": values["state"],
        "owner_unit": values["owner_unit_id"],
        "co_units": sorted(co_units),
        "accused_unit": values["accused_unit_id"],
        "accused_user": values["accused_user_id"],
        "accused_name": values["accused_name"],
        "accused_confirmed": values["accused_confirmed"],
        "title": text_digest(values["title"]),
        "content": text_digest(values["content"]),
        "channel": values["channel"],
        "kind": values["kind"],
        "region": values["region__code"],
        "headcount": values["headcount"],
        "received_on": timezone.localdate(values["received_at"]).isoformat(),
        "category": values["category_id"],
        "priority": values["priority"],
        "decline_reason": values["decline_reason"],
        "redirect_channel": values["redirect_channel"],
        "due_on": values["due_on"],
    }
    return PetitionRow(values["pk"], values["query_code"], f, deadlines)


def petition_row(petition: Petition) -> PetitionRow:
    """The compared columns of one petition as they are in the database now."""
    pk = petition.pk
    values = Petition.objects.filter(pk=pk).values(*ROW_COLUMNS).get()
    co = list(CoHandling.objects.filter(petition_id=pk).values_list("unit_id", flat=True))
    rows = [
        DeadlineState(k, u, s, d, o, m)
        for _, k, u, s, d, o, m in Deadline.objects.filter(petition_id=pk).values_list(*DEADLINE_COLUMNS)
    ]
    return _row(values, co, rows)


def petition_events(petition_id: int) -> list[LoggedEvent]:
    return [
        LoggedEvent(*e)
        for e in Event.objects.filter(petition_id=petition_id)
        .order_by("seq")
        .values_list("action", "at", "to_state", "data")
    ]


def rows_verify(
    petition_ids: Sequence[int] | None = None, chunk: int = 1000, progress: Callable[[int], object] | None = None
) -> Iterator[RowCheck]:
    """Replay every petition (or those of `petition_ids`) and compare it with its row; yield a RowCheck
    for each with a difference or a field its log does not record. Four queries per `chunk` petitions
    (rows, events, co-handling units, deadlines); `progress(n)` after each chunk of n petitions."""
    petitions = Petition.objects.order_by("pk")
    if petition_ids is not None:
        petitions = petitions.filter(pk__in=list(petition_ids))
    last = 0
    while True:
        rows = list(petitions.filter(pk__gt=last).values(*ROW_COLUMNS)[:chunk])
        if not rows:
            return
        last = rows[-1]["pk"]
        span: dict[str, Any] = (
            {"petition_id__gte": rows[0]["pk"], "petition_id__lte": last}
            if petition_ids is None
            else {"petition_id__in": [r["pk"] for r in rows]}
        )
        events: dict[int, list[LoggedEvent]] = defaultdict(list)
        for pid, *rest in (
            Event.objects.filter(**span)
            .order_by("petition_id", "seq")
            .values_list("petition_id", "action", "at", "to_state", "data")
        ):
            events[pid].append(LoggedEvent(*rest))
        co: dict[int, list[int]] = defaultdict(list)
        for pid, unit in CoHandling.objects.filter(**span).values_list("petition_id", "unit_id"):
            co[pid].append(unit)
        due: dict[int, list[DeadlineState]] = defaultdict(list)
        for pid, *rest in Deadline.objects.filter(**span).values_list(*DEADLINE_COLUMNS):
            due[pid].append(DeadlineState(*rest))
        for values in rows:
            pk = values["pk"]
            row = _row(values, co.get(pk, []), due.get(pk, []))
            if not events.get(pk):
                yield RowCheck(pk, row.query_code, [Difference("events", "（行存在）", "（无事件）")], set())
                continue
            snap = petition_replay(events[pk])
            found = row_differences(row, snap)
            if found or snap.unrecorded:
                yield RowCheck(pk, row.query_code, found, snap.unrecorded)
        if progress:
            progress(len(rows))
