"""Random sequences of actions, actors and dates through the services, with the invariants checked
after every step.

Each example registers one or two petitions (the second possibly related to the first) and then
takes a list of steps: (petition, action, days forward, actor, data). An action is either any row
of the transition table or "one of the actions the table offers in the current state" (so that
examples get deep into the lifecycle); an actor is either any user or a member of the owning unit.
Most steps are refused; a refused step must change nothing. After every step, replaying the
petition's events (replay.rows_verify) gives exactly its row: state, owner, accused, deadlines, due date.

hypothesis.extra.django.TestCase runs every example in its own transaction, rolled back after it;
the org tree is built once per class in setUpTestData.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import event, example, given, note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra.django import TestCase

from tests.conftest import D, at_date, is_chinese, org_build
from xinfang.org.models import Role
from xinfang.petitions import deadlines, registration, rules, services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Deadline, Decision, DecisionStage, Event, Kind, Petition, Petitioner, State
from xinfang.petitions.replay import rows_verify
from xinfang.petitions.workflow import EVALUATE_TARGET, TABLE, TERMINAL, actions_from

ACTIONS = list(TABLE)
UNIT_KEYS = [
    "city_gov",
    "county_gov",
    "bureau",
    "discipline",
    "hrss",
    "land",
    "town_a",
    "town_b",
    "village_a",
    "village_b",
    "other_gov",
]
FIXED_USERS = [
    "admin",
    "clerk",
    "bureau_staff",
    "supervisor",
    "leader",
    "city_bureau_staff",
    "other_bureau_staff",
    "town_a_clerk",
    "town_b_clerk",
] + [f"{u}_{r}" for u in UNIT_KEYS for r in (Role.HANDLER, Role.UNIT_HEAD)]

# Weighted towards what the table offers, taken by the owner's staff, a few days apart, with valid
# data: otherwise nearly every step is refused and examples never get past routing.
offered_st = st.tuples(st.just("offered"), st.integers(0, 9))
action_st = st.one_of(offered_st, offered_st, offered_st, st.tuples(st.just("any"), st.sampled_from(ACTIONS)))
owner_st = st.sampled_from(["owner:handler", "owner:unit_head"])
actor_st = st.one_of(owner_st, owner_st, owner_st, st.sampled_from(FIXED_USERS))
small_days = st.integers(0, 2)
days_st = st.one_of(small_days, small_days, small_days, small_days, st.integers(0, 40))
data_st = st.fixed_dictionaries(
    {
        "to_unit": st.sampled_from(UNIT_KEYS),
        "report_days": st.one_of(st.integers(1, 75), st.integers(-1, 90)),
        "reason": st.sampled_from(list(rules.DECLINE_REASONS) + ["bogus"]),
        "channel": st.sampled_from(list(rules.LEGAL_CHANNELS) + ["bogus"]),
        "days": st.integers(0, 35),
        "outcome": st.sampled_from(["support", "explain", "not_support", "bogus"]),
        "measure": st.sampled_from(["resolved", "explained", "assisted", "law"]),
        "waived": st.booleans(),
        "satisfaction": st.sampled_from(["satisfied", "basically", "dissatisfied", "meh"]),
        "text": st.sampled_from(["意见书正文", "经调查处理如下。", "已核实", "  "]),
    }
)
step_st = st.tuples(st.sampled_from([0, 0, 0, 1]), action_st, days_st, actor_st, data_st)
setup_st = st.fixed_dictionaries(
    {
        "kind": st.sampled_from([Kind.SUGGESTION, Kind.ACCUSATION, Kind.CLAIM]),
        "registrar": st.sampled_from(["clerk", "bureau_staff", "town_a_clerk", "hrss_handler", "discipline_handler"]),
        "accused": st.sampled_from(UNIT_KEYS),
        "accused_user": st.sampled_from([None, "hrss_handler", "bureau_staff", "admin", "county_gov_unit_head"]),
        "second": st.sampled_from([None, "related", "unrelated"]),
        "start": st.dates(D(2026, 1, 1), D(2026, 12, 31)),
        # an accusation received online (API): its accused proposed, unconfirmed, and it may accuse the registrar
        "online": st.booleans(),
    }
)


def kwargs_for(org, action: str, data: dict) -> dict:
    decision = {"outcome": data["outcome"], "measure": data["measure"], "text": data["text"]}
    return {
        "accept": {},
        "request_review": {},
        "request_reexamination": {},
        "hearing_start": {},
        "hearing_end": {},
        "confirm_accused": {"accused_unit": org.units[data["to_unit"]]},
        "decline": {"reason": data["reason"]},
        "forward": {"to_unit": org.units[data["to_unit"]]},
        "assign": {"to_unit": org.units[data["to_unit"]], "report_days": data["report_days"]},
        "redirect": {"channel": data["channel"]},
        "return": {"reason": data["text"]},
        "extend": {"days": data["days"], "reason": data["text"]},
        "record_step": {"note": data["text"]},
        "decide": decision,
        "review_decide": decision,
        "reexamine_decide": decision,
        "evaluate": {"satisfaction": data["satisfaction"]},
        "close": {"waived": data["waived"]},
    }[action]


def queue_due(open_rows: list[Deadline]) -> dt.date | None:
    """services._queue_due, restated: earliest open obligation, else earliest petitioner's window
    (the objection period is the unit's own escape hatch, not a queue date)."""
    obligations = [d.due_on for d in open_rows if d.kind in deadlines.OBLIGATIONS]
    windows = [d.due_on for d in open_rows if d.kind in deadlines.WINDOWS and d.kind != "objection"]
    return min(obligations) if obligations else (min(windows) if windows else None)


def snapshot(pk: int) -> tuple:
    p = Petition.objects.get(pk=pk)
    return (
        p.state,
        p.owner_unit_id,
        p.routed_by_unit_id,
        p.log_seq,
        p.log_head,
        p.due_on,
        p.decline_reason,
        p.redirect_channel,
        p.accused_unit_id,
        p.accused_user_id,
        p.accused_confirmed,
        sorted(
            Deadline.objects.filter(petition_id=pk).values_list(
                "id", "kind", "due_on", "is_open", "met_on", "extension_days", "paused_days", "paused_since"
            )
        ),
        Event.objects.filter(petition_id=pk).count(),
        Decision.objects.filter(petition_id=pk).count(),
        p.evaluations.count(),
    )


VALID = {
    "to_unit": "hrss",
    "report_days": 20,
    "reason": "not_competent",
    "channel": "litigation",
    "days": 30,
    "outcome": "explain",
    "measure": "explained",
    "waived": False,
    "satisfaction": "dissatisfied",
    "text": "意见书正文",
}


def _s(action, days, actor, which=0, **data):
    return (which, ("any", action), days, actor, VALID | data)


# The whole lifecycle, always run first: forward, accept, extend, decide, review, reexamination with a
# hearing; then the related petition may not be accepted (不再受理) and is declined instead.
DEEP = [
    _s("forward", 1, "bureau_staff"),
    _s("return", 1, "owner:handler"),
    _s("forward", 1, "bureau_staff"),
    _s("accept", 2, "owner:handler"),
    _s("extend", 50, "owner:unit_head"),
    _s("decide", 20, "owner:handler"),
    _s("evaluate", 1, "clerk"),
    _s("request_review", 10, "clerk"),
    _s("review_decide", 25, "owner:handler"),
    _s("request_reexamination", 30, "clerk"),
    _s("hearing_start", 5, "owner:handler"),
    _s("hearing_end", 3, "owner:handler"),
    _s("reexamine_decide", 20, "owner:handler"),
    _s("accept", 1, "owner:handler", which=1),
    _s("decline", 0, "owner:handler", which=1, reason="reexamined"),
    _s("close", 0, "owner:handler"),
]


class WorkflowInvariants(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.org = org_build()

    # ------------------------------------------------------------ invariants

    def check(self, pk: int, shadow: dict[int, tuple[dt.date, bool]], action: str | None) -> None:
        """`action`: the action just carried out on this petition, None if it was refused or was
        carried out on the other petition."""
        p = Petition.objects.get(pk=pk)
        events = list(Event.objects.filter(petition_id=pk).order_by("seq"))

        # the state is reachable per the TABLE: every event is a row of it, chained state to state
        assert events[0].action == "register" and events[0].from_state == "" and events[0].to_state == "registered"
        owner = events[0].data.get("owner_unit", events[0].data["unit"])
        for prev, e in zip(events, events[1:]):
            t = TABLE[e.action]
            assert e.from_state == prev.to_state, (prev.action, e.action)
            assert e.from_state in t.sources, (e.action, e.from_state)
            expected = t.target or (
                EVALUATE_TARGET.get(e.from_state, e.from_state) if e.action == "evaluate" else e.from_state
            )
            assert e.to_state == expected, (e.action, e.from_state, e.to_state)
            owner = e.data.get("owner_unit", owner)
        assert p.state == events[-1].to_state
        assert p.log_seq == len(events) and p.log_head == events[-1].hash

        # exactly one owner, the one the log says; never the accused unit of an accusation
        assert p.owner_unit_id is not None and p.owner_unit_id == owner
        if p.kind == Kind.ACCUSATION and p.accused_unit_id:
            assert p.owner_unit_id != p.accused_unit_id
        # Art. 30: nothing routes an accusation before its accused are confirmed
        if p.kind == Kind.ACCUSATION and not p.accused_confirmed:
            assert p.state in (State.REGISTERED, State.DECLINED) and p.owner_unit_id == owner
            assert {e.action for e in events} <= {"register", "decline", "attach"}, [e.action for e in events]

        rows = list(Deadline.objects.filter(petition_id=pk))
        open_rows = [d for d in rows if d.is_open]
        # at most one open deadline of each kind; the unit's obligations bind the owner
        assert len({d.kind for d in open_rows}) == len(open_rows)
        for d in open_rows:
            if d.kind in deadlines.OBLIGATIONS:
                assert d.unit_id == p.owner_unit_id, (d.kind, d.unit_id, p.owner_unit_id)
        if p.state in TERMINAL:
            assert not open_rows, [d.kind for d in open_rows]
        assert p.due_on == queue_due(open_rows)

        # a due date never moves later except by an approved extension or the end of a hearing;
        # a met deadline never reopens; nothing disappears
        seen = set()
        for d in rows:
            seen.add(d.pk)
            if d.pk in shadow:
                due, was_open = shadow[d.pk]
                if d.due_on != due:
                    assert action in ("extend", "hearing_end") and d.due_on > due, (action, d.kind, due, d.due_on)
                assert was_open or not d.is_open, d.kind
            else:
                assert action is not None or len(events) == 1, "a deadline appeared without an action"
            shadow[d.pk] = (d.due_on, d.is_open)
        assert set(shadow) <= seen

        # 不再受理: an acceptance never follows a reexamination of a related petition
        if action == "accept":
            assert not Decision.objects.filter(petition__in=p.related.all(), stage=DecisionStage.REEXAMINATION).exists()

        assert list(verify_chains([pk])) == []
        # the log covers the row: replaying the events gives the row, every field of it (replay.py)
        assert list(rows_verify([pk])) == []

    # ------------------------------------------------------------ the test

    def actor(self, key: str, p: Petition):
        org = self.org
        if key.startswith("owner:"):
            unit_key = org.unit_key(p.owner_unit_id)
            return org.users.get(f"{unit_key}_{key[6:]}") or org.users["clerk"]
        return org.users[key]

    def run_steps(self, setup, steps) -> list[str]:
        """Register, take the steps, check after each; returns every state the log reached."""
        org = self.org
        registrar = org.users[setup["registrar"]]
        kw: dict = {}
        if setup["kind"] == Kind.ACCUSATION and setup.get("online"):
            kw["accused_unit"] = org.units[setup["accused"]]
            kw["accused_confirmed"] = False
        elif setup["kind"] == Kind.ACCUSATION:
            kw["accused_unit"] = org.units[setup["accused"]]
            if kw["accused_unit"].pk == registrar.unit_id:
                kw["accused_unit"] = org.units["land" if registrar.unit_id != org.units["land"].pk else "hrss"]
            # an accusation against the registrar's own unit, or one of its officials, is refused (Art. 30)
            if setup["accused_user"] and org.users[setup["accused_user"]].unit_id != registrar.unit_id:
                kw["accused_user"] = org.users[setup["accused_user"]]
        if setup["kind"] == Kind.CLAIM:
            kw["petitioners"] = [Petitioner(name="李四")]
        start = at_date(setup["start"], 9)
        first = registration.petition_register(
            actor=registrar,
            channel="letter",
            kind=setup["kind"],
            region=org.regions["village_a"],
            title="事项",
            content="内容",
            at=start,
            **kw,
        )
        pks = [first.pk]
        if setup["second"]:
            second = registration.petition_register(
                actor=org.users["clerk"],
                channel="visit",
                kind=Kind.SUGGESTION,
                region=org.regions["village_b"],
                title="同一事项",
                content="内容",
                at=start,
                related=[first] if setup["second"] == "related" else (),
            )
            pks.append(second.pk)
        shadows: dict[int, dict] = {pk: {} for pk in pks}
        for pk in pks:
            self.check(pk, shadows[pk], None)

        say = note if currently_in_test_context() else print
        day = setup["start"]
        for n, (which, (how, pick), forward, actor_key, data) in enumerate(steps):
            pk = pks[which % len(pks)]
            p = Petition.objects.select_related("owner_unit").get(pk=pk)
            if how == "offered":
                offered = actions_from(p.state)
                if not offered:
                    continue
                action = offered[pick % len(offered)].action
            else:
                action = pick
            actor = self.actor(actor_key, p)
            day += dt.timedelta(days=forward)
            on = at_date(day, 9) + dt.timedelta(minutes=n)
            before = snapshot(pk)
            try:
                services.ACTIONS[action](p, actor=actor, at=on, **kwargs_for(org, action, data))
            except WorkflowError as e:
                say(f"{n}: {action} by {actor.username} on {day}: refused: {e}")
                assert is_chinese(str(e)), str(e)
                assert snapshot(pk) == before, f"refused {action} changed the petition"
                done = None
            else:
                say(f"{n}: {action} by {actor.username} on {day}: {Petition.objects.get(pk=pk).state}")
                done = action
            self.check(pk, shadows[pk], done)
        for pk in pks:
            self.check(pk, shadows[pk], None)
        return list(
            Event.objects.filter(petition_id__in=pks).order_by("petition_id", "seq").values_list("to_state", flat=True)
        )

    @example(
        setup={
            "kind": Kind.CLAIM,
            "registrar": "clerk",
            "accused": "land",
            "accused_user": None,
            "second": "related",
            "start": D(2026, 3, 2),
        },
        steps=DEEP,
    )
    @given(setup=setup_st, steps=st.lists(step_st, min_size=10, max_size=50))
    def test_random_sequences_keep_the_invariants(self, setup, steps):
        for state in set(self.run_steps(setup, steps)):
            event(f"reached {state}")

    def test_the_deep_example_goes_through_the_whole_lifecycle(self):
        setup = {
            "kind": Kind.CLAIM,
            "registrar": "clerk",
            "accused": "land",
            "accused_user": None,
            "second": "related",
            "start": D(2026, 3, 2),
        }
        states = self.run_steps(setup, DEEP)
        assert states == [
            "registered",
            "forwarded",
            "registered",
            "forwarded",
            "accepted",
            "accepted",
            "decided",
            "evaluated",
            "review_requested",
            "reviewed",
            "reexamination_requested",
            "reexamination_requested",
            "reexamination_requested",
            "reexamined",
            "closed",
            "registered",
            "declined",
        ], states
