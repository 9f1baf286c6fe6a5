"""The generator writes rows directly for speed (issue 19, point 3): what it writes equals what the services
write for the same history.

Full histories: each generated petition's events are replayed through xinfang.petitions.services
(petition_register, then services.ACTIONS[action] with the event's actor, time and data), on a new
petition with the same facts; both rows must then be equal: state, owner and routing unit, the queue's
due date, every deadline (period, basis, extension, pause, due, met), the decisions and evaluations,
and the events (action, from/to state, actor, time, data), each chain verifying and each row what its
events say (replay.rows_verify). Ledger imports (one event, no history to replay): each open deadline
is the one deadlines.deadline_new opens for its kind, day and unit, and the event's actor is the
registering unit's, labelled as the services label them (the queue's due date, the event's hash and the
services carrying on are tests/demo/test_generate.py's ImportedLedger)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management import call_command
from django.test import TestCase

from xinfang.demo.generate import petitions_generate
from xinfang.demo.generate.write import TABLES
from xinfang.org.models import Unit, User
from xinfang.petitions import deadlines, registration, services
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Deadline, Event, Petition, State
from xinfang.petitions.replay import rows_verify

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
DEADLINE_FIELDS = tuple(TABLES["deadline"][1][1:])  # every column but the petition's
ROW_FIELDS = (
    "state",
    "owner_unit_id",
    "routed_by_unit_id",
    "due_on",
    "decline_reason",
    "redirect_channel",
    "log_seq",
    "channel",
    "kind",
    "region_id",
    "category_id",
    "priority",
    "headcount",
    "received_at",
    "registering_unit_id",
    "registered_by_id",
    "accused_unit_id",
    "accused_name",
    "title",
    "content",
)
# the actions whose service takes arguments: (service keyword, event data key)
ARGUMENTS = {
    "forward": (("to_unit", "to_unit"), ("note", "note")),
    "assign": (("to_unit", "to_unit"), ("report_days", "report_days"), ("note", "note")),
    "decline": (("reason", "reason"), ("note", "note")),
    "redirect": (("channel", "channel"), ("note", "note")),
    "return": (("reason", "reason"),),
    "record_step": (("note", "note"),),
    "extend": (("days", "days"), ("reason", "reason")),
    "evaluate": (("satisfaction", "satisfaction"), ("reason", "reason")),
    "close": (("waived", "waived"),),
    "decide": (("outcome", "outcome"), ("measure", "measure")),
    "review_decide": (("outcome", "outcome"), ("measure", "measure")),
    "reexamine_decide": (("outcome", "outcome"), ("measure", "measure")),
}
DECISION_STAGE = {"decide": "handling", "review_decide": "review", "reexamine_decide": "reexamination"}


def load_demo() -> None:
    call_command("load_demo", verbosity=0)


def service_kwargs(p: Petition, e: Event) -> dict:
    """The service's arguments for event `e` of generated petition `p`, from its data (and, for a
    decision, the text of the decision written with it)."""
    kwargs = {name: e.data[key] for name, key in ARGUMENTS.get(e.action, ())}
    if "to_unit" in kwargs:
        kwargs["to_unit"] = Unit.objects.get(pk=kwargs["to_unit"])
    if e.action in DECISION_STAGE:
        kwargs["text"] = p.decisions.get(stage=DECISION_STAGE[e.action]).text
    return kwargs


def through_services(p: Petition) -> Petition:
    """A new petition with p's facts, registered and then taken through p's events by the services."""
    first, *rest = p.events.order_by("seq")
    people = [party.petitioner for party in p.parties.select_related("petitioner").order_by("pk")]
    representatives = [party.petitioner for party in p.parties.order_by("pk") if party.is_representative]
    q = registration.petition_register(
        actor=User.objects.get(pk=first.actor_id),
        channel=p.channel,
        kind=p.kind,
        region=p.region,
        title=p.title,
        content=p.content,
        received_at=p.received_at,
        category=p.category,
        petitioners=people,
        representatives=[r for r in people if r in representatives],
        headcount=p.headcount,
        priority=p.priority,
        accused_unit=p.accused_unit,
        accused_name=p.accused_name,
        at=first.at,
    )
    for e in rest:
        actor = User.objects.get(pk=e.actor_id)
        q = services.ACTIONS[e.action](q, actor=actor, at=e.at, **service_kwargs(p, e))
    return Petition.objects.get(pk=q.pk)


def row(p: Petition) -> dict:
    return {name: getattr(p, name) for name in ROW_FIELDS}


def deadline_rows(p: Petition) -> list[tuple]:
    return sorted(Deadline.objects.filter(petition=p).values_list(*DEADLINE_FIELDS), key=repr)


def event_rows(p: Petition) -> list[tuple]:
    fields = ("seq", "action", "from_state", "to_state", "actor_id", "actor_label", "at", "data")
    return list(p.events.order_by("seq").values_list(*fields))


def side_rows(p: Petition) -> tuple[list, list]:
    decisions = p.decisions.order_by("pk").values_list(
        "stage", "unit_id", "outcome", "measure", "text", "decided_on", "decided_by_id"
    )
    evaluations = p.evaluations.order_by("pk").values_list("satisfaction", "reason", "evaluated_on")
    return list(decisions), list(evaluations)


class FullHistoriesThroughTheServices(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_demo()
        petitions_generate(400, seed=7, now=NOW, workers=0, batch=400, history="full")
        cls.chosen = cls.choose()

    @classmethod
    def choose(cls) -> list[int]:
        """The first petition in each state the generator left, and the first with each kind of event."""
        chosen: dict[str, int] = {}
        for pk, state in Petition.objects.order_by("pk").values_list("pk", "state"):
            chosen.setdefault(f"state {state}", pk)
        for pk, action in Event.objects.order_by("petition_id").values_list("petition_id", "action"):
            chosen.setdefault(f"action {action}", pk)
        return sorted(set(chosen.values()))

    def test_the_sample_covers_every_state_and_action_it_makes(self):
        states = {p.state for p in Petition.objects.filter(pk__in=self.chosen)}
        assert states == set(Petition.objects.values_list("state", flat=True))
        assert {State.CLOSED, State.DECLINED, State.REDIRECTED, State.ACCEPTED, State.REVIEWED} <= states
        actions = set(Event.objects.filter(petition_id__in=self.chosen).values_list("action", flat=True))
        assert actions == set(Event.objects.values_list("action", flat=True))
        assert {"extend", "hearing_start", "hearing_end", "return", "assign", "evaluate", "record_step"} <= actions

    def test_each_history_gives_the_rows_the_services_give(self):
        for pk in self.chosen:
            p = Petition.objects.get(pk=pk)
            q = through_services(p)
            assert row(q) == row(p), pk
            assert deadline_rows(q) == deadline_rows(p), pk
            assert side_rows(q) == side_rows(p), pk
            assert event_rows(q) == event_rows(p), pk
            assert list(verify_chains([p.pk, q.pk])) == [], pk
            found = [(c.petition_id, c.differences, c.unrecorded) for c in rows_verify([p.pk, q.pk])]
            assert found == [], found

    def test_the_sample_is_not_everything_alike(self):
        lengths = Counter(Event.objects.filter(petition_id__in=self.chosen).values_list("petition_id", flat=True))
        assert len(set(lengths.values())) >= 5


class LedgerImportsAsTheServicesOpenThem(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_demo()
        petitions_generate(1500, seed=11, now=NOW, workers=0, batch=1500)

    def test_every_open_deadline_is_the_one_deadline_new_opens(self):
        kinds = Counter()
        for d in Deadline.objects.select_related("petition", "unit"):
            report = d.kind == deadlines.DeadlineKind.ASSIGNMENT_REPORT
            new = deadlines.deadline_new(d.petition, d.kind, d.start_on, d.unit, days=d.period_days if report else None)
            if d.extension_days:
                new.extension_days, new.extension_reason = d.extension_days, d.extension_reason
                new.due_on = deadlines.compute_due(new).end
            got = tuple(getattr(d, f) for f in DEADLINE_FIELDS)
            assert got == tuple(getattr(new, f) for f in DEADLINE_FIELDS), d.pk
            assert d.unit_id == (d.petition.owner_unit_id if d.kind in deadlines.UNIT_DEADLINES else None), d.pk
            kinds[d.kind] += 1
        assert set(kinds) == set(deadlines.DeadlineKind.values)  # each state's, from registered to re-examination
        assert Deadline.objects.filter(extension_days__gt=0).exists()

    def test_the_import_event_is_by_the_registering_units_router_as_the_services_label_them(self):
        labels = {u.pk: (u.unit_id, services.actor_label(u)) for u in User.objects.all()}
        for p, e in ((p, p.events.get()) for p in Petition.objects.order_by("pk")):
            assert labels[e.actor_id] == (p.registering_unit_id, e.actor_label), p.pk
        assert len(set(Petition.objects.values_list("state", flat=True))) >= 11
