"""The synthetic petition generator (manage.py generate_petitions): every petition it makes is one the
services could have made (--history full), or one taken over from a ledger that the services can
carry on with (--history import, the default).

The generated data is built once per class (django.test.TestCase.setUpTestData) and rolled back
after it; tests that need a database of their own (the forked worker, the query counts) make it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from xinfang.demo.generate import (
    IMPORT_ACTION,
    GenerateError,
    ImportGenerator,
    _plan,
    petitions_generate,
    texts_load,
)
from xinfang.org import calendar
from xinfang.org.models import Region, Role, Unit, User
from xinfang.petitions import deadlines, services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import GENESIS, event_hash, verify_chains
from xinfang.petitions.models import (
    Deadline,
    Decision,
    DecisionStage,
    Evaluation,
    Event,
    Petition,
    Petitioner,
    PetitionParty,
    State,
)
from xinfang.petitions.models import (
    DeadlineKind as DK,
)
from xinfang.petitions.replay import rows_verify
from xinfang.petitions.search import search_filter, search_row_count, search_terms
from xinfang.petitions.services import _queue_due
from xinfang.petitions.workflow import EVALUATE_TARGET, OPEN_STATES, TABLE
from xinfang.workbench.selectors import work_queue_for

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)


def reachable_states() -> set[str]:
    seen, todo = {State.REGISTERED.value}, [State.REGISTERED.value]
    while todo:
        state = todo.pop()
        for t in TABLE.values():
            if state in t.sources:
                target = EVALUATE_TARGET.get(state) if t.action == "evaluate" else t.target
                if target and target not in seen:
                    seen.add(target)
                    todo.append(target)
    return seen


def load_demo() -> None:
    """manage.py load_demo (its demo accounts' passwords: tests/conftest.py's fast hasher)."""
    call_command("load_demo", verbosity=0)


# ---------------------------------------------------------------- checks both histories pass


def check_states_spread() -> None:
    states = Counter(Petition.objects.values_list("state", flat=True))
    assert set(states) <= reachable_states()
    assert len(states) >= 6, states
    assert {State.CLOSED, State.DECLINED, State.ACCEPTED} <= set(states)
    assert Petition.objects.values("region").distinct().count() >= 30
    assert Petition.objects.values("owner_unit").distinct().count() >= 15
    assert Petition.objects.values("channel").distinct().count() >= 4
    assert Petition.objects.values("kind").distinct().count() == 3
    assert Petition.objects.exclude(category=None).values("category").distinct().count() >= 20
    first = Petition.objects.order_by("received_at").first().received_at
    last = Petition.objects.order_by("-received_at").first().received_at
    assert last <= NOW and (last - first).days > 365


def check_owners_in_place() -> None:
    units = {u.pk: u for u in Unit.objects.select_related("region")}
    regions = {r.pk: r for r in Region.objects.all()}
    for p in Petition.objects.filter(state__in=OPEN_STATES):
        owner = units[p.owner_unit_id]
        assert owner.is_active
        assert regions[p.region_id].prefix.startswith(owner.region.prefix), (p.pk, owner.name)


def check_due_dates() -> None:
    by_petition: dict[int, list[Deadline]] = {}
    for d in Deadline.objects.all():
        assert d.due_on == deadlines.compute_due(d).end, d.pk
        if d.is_open:
            by_petition.setdefault(d.petition_id, []).append(d)
        else:
            assert d.met_on is not None
    for p in Petition.objects.all():
        open_ = by_petition.get(p.pk, [])
        assert p.due_on == _queue_due(open_), p.pk
        if any(d.kind in deadlines.OBLIGATIONS for d in open_):
            assert p.due_on == deadlines.petition_due_on(p)
        if p.state not in OPEN_STATES:
            assert not open_ and p.due_on is None
    assert Petition.objects.filter(state__in=OPEN_STATES, due_on__isnull=False).exists()


def assert_rows_replay(petition_ids=None) -> None:
    """The log covers the rows: replaying each petition's events gives its row (replay.rows_verify)."""
    found = [(c.petition_id, c.differences, c.unrecorded) for c in rows_verify(petition_ids)]
    assert found == [], found[:5]


def check_petitioners() -> None:
    people = list(Petitioner.objects.all())
    assert people
    for person in people:
        assert "某" in person.name and person.name[1] == "某"
        assert person.phone.startswith("100") and len(person.phone) == 11
        assert person.id_number == ""
    assert PetitionParty.objects.count() >= len(people)
    assert not Petition.objects.filter(kind="claim", parties=None).exists()


def check_searchable() -> None:
    """Every petition has its row in the full-text index, found by the words of its title and content."""
    assert search_row_count() == Petition.objects.count()
    everything = Petition.objects.all()
    for p in Petition.objects.order_by("?")[:40]:
        assert search_filter(everything, p.title).filter(pk=p.pk).exists(), p.pk
        words = search_terms(p.content)
        query = " ".join(words[len(words) // 2 : len(words) // 2 + 3])
        assert search_filter(everything, query).filter(pk=p.pk).exists(), (p.pk, query)


# ---------------------------------------------------------------- --history full


class FullHistory(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_demo()
        cls.generated = petitions_generate(400, seed=7, now=NOW, workers=0, batch=150, history="full")

    def test_count_and_every_chain_verifies(self):
        assert self.generated.count == 400 == Petition.objects.count()
        assert list(verify_chains()) == []
        assert_rows_replay()
        assert Event.objects.count() >= 3 * 400

    def test_histories_follow_the_transition_table(self):
        for action, frm, to in Event.objects.values_list("action", "from_state", "to_state"):
            if action == "register":
                assert (frm, to) == ("", State.REGISTERED)
                continue
            t = TABLE[action]
            assert frm in t.sources, (action, frm)
            target = EVALUATE_TARGET.get(frm) if action == "evaluate" else t.target
            assert to == (target or frm), (action, frm, to)
        heads = dict(Event.objects.filter(seq=1).values_list("petition_id", "action"))
        assert set(heads.values()) == {"register"} and len(heads) == 400
        last = {}
        for pid, _seq, to in Event.objects.order_by("petition_id", "seq").values_list("petition_id", "seq", "to_state"):
            last[pid] = to
        for p in Petition.objects.all():
            assert last[p.pk] == p.state

    def test_states_are_reachable_and_spread(self):
        check_states_spread()

    def test_open_petitions_have_an_owner_in_their_place(self):
        check_owners_in_place()

    def test_due_dates_are_what_the_services_compute(self):
        check_due_dates()

    def test_side_records_match_the_events(self):
        decided = Event.objects.filter(action__in=["decide", "review_decide", "reexamine_decide"]).count()
        assert Decision.objects.count() == decided
        assert Evaluation.objects.count() == Event.objects.filter(action="evaluate").count()
        closed = Petition.objects.filter(state=State.CLOSED)
        assert not closed.filter(decisions=None).exists()
        assert not Petition.objects.filter(kind="claim", parties=None).exists()

    def test_petitioners_are_synthetic(self):
        check_petitioners()

    def test_every_petition_is_searchable(self):
        check_searchable()

    def test_a_second_run_continues_the_ids_and_chains(self):
        more = petitions_generate(50, seed=8, now=NOW, workers=0, history="full")
        assert more.first_id == 401 and Petition.objects.count() == 450
        assert list(verify_chains()) == []
        assert_rows_replay()
        assert Petition.objects.values("query_code").distinct().count() == 450


# ---------------------------------------------------------------- --history import (台账导入)

# what each state needs open to go on, as the services would have left it
OPEN_FOR = {
    State.REGISTERED: {DK.INTAKE},
    State.FORWARDED: {DK.ACCEPTANCE, DK.OBJECTION},
    State.ASSIGNED: {DK.ACCEPTANCE, DK.OBJECTION, DK.ASSIGNMENT_REPORT},
    State.ACCEPTED: {DK.HANDLING},
    State.DECIDED: {DK.REVIEW_REQUEST},
    State.EVALUATED: {DK.REVIEW_REQUEST},
    State.REVIEW_REQUESTED: {DK.REVIEW_ANSWER},
    State.REVIEWED: {DK.REEXAMINATION_REQUEST},
    State.REEXAMINATION_REQUESTED: {DK.REEXAMINATION_ANSWER},
    State.REEXAMINED: set(),
    State.DECLINED: set(),
    State.REDIRECTED: set(),
    State.CLOSED: set(),
}
STAGES_FOR = {  # decisions a petition in this state has had
    State.DECIDED: {DecisionStage.HANDLING},
    State.EVALUATED: {DecisionStage.HANDLING},
    State.REVIEW_REQUESTED: {DecisionStage.HANDLING},
    State.REVIEWED: {DecisionStage.HANDLING, DecisionStage.REVIEW},
    State.REEXAMINATION_REQUESTED: {DecisionStage.HANDLING, DecisionStage.REVIEW},
    State.REEXAMINED: {DecisionStage.HANDLING, DecisionStage.REVIEW, DecisionStage.REEXAMINATION},
}


def at_day(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=calendar_tz())


def calendar_tz():
    from django.utils import timezone

    return timezone.get_default_timezone()


def staff(unit_id: int, roles=(Role.HANDLER,)) -> User:
    return User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).order_by("pk").first()


class ImportedLedger(TestCase):
    COUNT = 3000

    @classmethod
    def setUpTestData(cls):
        load_demo()
        cls.generated = petitions_generate(cls.COUNT, seed=11, now=NOW, workers=0, batch=1000)

    def open_deadlines(self, p: Petition) -> dict[str, Deadline]:
        return {d.kind: d for d in p.deadlines.filter(is_open=True)}

    def pick(self, state: str, **filters) -> list[Petition]:
        found = list(Petition.objects.filter(state=state, **filters).order_by("pk")[:50])
        assert found, f"no {state} petition among the generated ones"
        return found

    # -- the data
    def test_one_import_event_per_petition_and_every_chain_verifies(self):
        assert self.generated.count == self.COUNT == Petition.objects.count()
        assert Event.objects.count() == self.COUNT
        assert list(verify_chains()) == []
        assert_rows_replay()
        for p, e in ((p, p.events.get()) for p in Petition.objects.order_by("pk")[:200]):
            assert (e.seq, e.action, e.from_state, e.to_state, e.prev_hash) == (1, IMPORT_ACTION, "", p.state, GENESIS)
            assert (p.log_seq, p.log_head) == (1, e.hash)
            assert e.actor_id is not None and e.actor_label
            assert e.hash == event_hash(
                petition_id=p.pk,
                seq=1,
                at=e.at,
                actor_id=e.actor_id,
                actor_label=e.actor_label,
                action=e.action,
                from_state="",
                to_state=p.state,
                data=e.data,
                prev_hash=GENESIS,
            )
            assert e.data["state"] == p.state and e.data["owner_unit"] == p.owner_unit_id
            assert {"channel", "kind", "region", "received_on"} <= set(e.data)
            assert e.at <= NOW and e.at >= p.received_at
        call_command("verify_log", verbosity=0)

    def test_states_are_reachable_and_spread(self):
        check_states_spread()
        states = Counter(Petition.objects.values_list("state", flat=True))
        assert states[State.CLOSED] > self.COUNT / 2 and states[State.DECLINED] > self.COUNT / 20
        assert len(states) >= 11, states

    def test_ids_follow_the_received_dates(self):
        received = list(Petition.objects.order_by("pk").values_list("received_at", flat=True))
        late = sum(b < a - dt.timedelta(days=1) for a, b in zip(received, received[1:]))
        assert late == 0

    def test_open_petitions_have_an_owner_in_their_place(self):
        check_owners_in_place()

    def test_due_dates_are_what_the_services_compute(self):
        check_due_dates()

    def test_every_petition_is_searchable(self):
        check_searchable()

    def test_only_what_the_state_needs_is_written(self):
        assert not Deadline.objects.filter(is_open=False).exists()
        open_ = {}
        for pid, kind, unit in Deadline.objects.values_list("petition_id", "kind", "unit_id"):
            open_.setdefault(pid, {})[kind] = unit
        stages = {}
        for pid, stage in Decision.objects.values_list("petition_id", "stage"):
            stages.setdefault(pid, []).append(stage)
        evaluated = set(Evaluation.objects.values_list("petition_id", flat=True))
        for p in Petition.objects.all():
            kinds = open_.get(p.pk, {})
            want = set(OPEN_FOR[p.state])
            if p.state == State.ACCEPTED and p.routed_by_unit_id and DK.ASSIGNMENT_REPORT in kinds:
                want.add(DK.ASSIGNMENT_REPORT)  # an assignment's report date stays open until the decision
            assert set(kinds) == want, (p.pk, p.state, kinds)
            for kind, unit in kinds.items():  # unit as services._apply sets it
                assert unit == (p.owner_unit_id if kind in services.UNIT_DEADLINES else None), (p.pk, kind)
            if p.state in (State.FORWARDED, State.ASSIGNED):
                assert p.routed_by_unit_id not in (None, p.owner_unit_id)
            if p.state in STAGES_FOR:
                assert set(stages.get(p.pk, [])) == STAGES_FOR[p.state], (p.pk, p.state)
                assert len(stages[p.pk]) == len(STAGES_FOR[p.state])
            elif p.state == State.CLOSED:
                assert DecisionStage.HANDLING in stages.get(p.pk, []), p.pk
            else:
                assert p.pk not in stages
            if p.state == State.EVALUATED:
                assert p.pk in evaluated
            assert (p.state == State.DECLINED) == bool(p.decline_reason)
            assert (p.state == State.REDIRECTED) == bool(p.redirect_channel)
        decided = Event.objects.filter(to_state__in=list(STAGES_FOR)).count()
        assert decided and Decision.objects.filter(stage=DecisionStage.HANDLING).count() >= decided
        assert Decision.objects.values("outcome").distinct().count() == 3
        assert Decision.objects.values("measure").distinct().count() == 4

    def test_petitioners_come_from_a_pool(self):
        check_petitioners()
        people = Petitioner.objects.count()
        assert 0.2 * self.COUNT < people < 0.5 * self.COUNT, people  # about one new person in three petitions
        times = Counter(PetitionParty.objects.values_list("petitioner_id", flat=True))
        assert max(times.values()) >= 4 and sum(1 for n in times.values() if n > 1) > people / 3

    def test_a_second_run_continues_the_ids_and_chains(self):
        more = petitions_generate(50, seed=12, now=NOW, workers=0)
        assert more.first_id == self.COUNT + 1 and Petition.objects.count() == self.COUNT + 50
        assert list(verify_chains()) == []
        assert_rows_replay()
        assert Petition.objects.values("query_code").distinct().count() == self.COUNT + 50

    # -- the services carry on with imported petitions
    def test_accept_a_registered_one(self):
        p = self.pick(State.REGISTERED)[0]
        intake = self.open_deadlines(p)[DK.INTAKE]
        actor = staff(p.owner_unit_id, (Role.CLERK, Role.BUREAU_STAFF, Role.HANDLER))
        p = services.petition_accept(p, actor=actor, at=at_day(intake.start_on + dt.timedelta(days=3)))
        assert p.state == State.ACCEPTED and p.log_seq == 2
        assert set(self.open_deadlines(p)) == {DK.HANDLING}
        assert Deadline.objects.get(petition=p, kind=DK.INTAKE).met_on is not None
        assert list(verify_chains([p.pk])) == []
        assert_rows_replay([p.pk])

    def test_return_within_the_objection_window_and_not_after(self):
        routed = self.pick(State.FORWARDED) + self.pick(State.ASSIGNED)
        first, second = routed[0], routed[-1]
        objection = self.open_deadlines(first)[DK.OBJECTION]
        back_to = first.routed_by_unit_id
        p = services.petition_return(
            first,
            actor=staff(first.owner_unit_id),
            reason="不属于本单位职权范围",
            at=at_day(objection.start_on + dt.timedelta(days=1)),
        )
        assert p.state == State.REGISTERED and p.owner_unit_id == back_to and p.routed_by_unit_id is None
        assert set(self.open_deadlines(p)) == {DK.INTAKE}
        late = self.open_deadlines(second)[DK.OBJECTION].due_on + dt.timedelta(days=1)
        with pytest.raises(WorkflowError, match="期限已过"):
            services.petition_return(
                second, actor=staff(second.owner_unit_id), reason="不属于本单位职权范围", at=at_day(late)
            )
        accepted = services.petition_accept(second, actor=staff(second.owner_unit_id), at=at_day(late))
        assert accepted.state == State.ACCEPTED
        assert list(verify_chains([first.pk, second.pk])) == []
        assert_rows_replay([first.pk, second.pk])

    def test_decide_an_accepted_one(self):
        p = self.pick(State.ACCEPTED)[0]
        handling = self.open_deadlines(p)[DK.HANDLING]
        p = services.petition_decide(
            p,
            actor=staff(p.owner_unit_id),
            outcome="support",
            measure="resolved",
            text="经调查核实，诉求合理，已予解决。",
            at=at_day(handling.start_on + dt.timedelta(days=10)),
        )
        assert p.state == State.DECIDED and p.log_seq == 2
        assert set(self.open_deadlines(p)) == {DK.REVIEW_REQUEST}
        assert p.decisions.filter(stage=DecisionStage.HANDLING).count() == 1
        assert list(verify_chains([p.pk])) == []
        assert_rows_replay([p.pk])

    def test_request_review_inside_its_window_and_not_outside(self):
        cands = [p for p in self.pick(State.DECIDED) + self.pick(State.EVALUATED) if p.owner_unit.parent_id]
        inside, outside = cands[0], cands[-1]
        window = self.open_deadlines(inside)[DK.REVIEW_REQUEST]
        higher = inside.owner_unit.parent_id
        p = services.petition_request_review(
            inside, actor=staff(inside.owner_unit_id), at=at_day(window.start_on + dt.timedelta(days=5))
        )
        assert p.state == State.REVIEW_REQUESTED and p.owner_unit_id == higher
        assert set(self.open_deadlines(p)) == {DK.REVIEW_ANSWER}
        late = self.open_deadlines(outside)[DK.REVIEW_REQUEST].due_on + dt.timedelta(days=1)
        with pytest.raises(WorkflowError, match="期限"):
            services.petition_request_review(outside, actor=staff(outside.owner_unit_id), at=at_day(late))
        assert list(verify_chains([inside.pk, outside.pk])) == []
        assert_rows_replay([inside.pk, outside.pk])

    def test_close_an_evaluated_one(self):
        p = self.pick(State.EVALUATED)[0]
        window = self.open_deadlines(p)[DK.REVIEW_REQUEST]
        actor = staff(p.owner_unit_id)
        with pytest.raises(WorkflowError, match="期限届满前不能结案"):
            services.petition_close(p, actor=actor, at=at_day(window.due_on))
        p = services.petition_close(p, actor=actor, at=at_day(window.due_on + dt.timedelta(days=1)))
        assert p.state == State.CLOSED and p.due_on is None and not self.open_deadlines(p)
        assert list(verify_chains([p.pk])) == []
        assert_rows_replay([p.pk])

    def test_answer_a_review_and_a_reexamination(self):
        p = self.pick(State.REVIEW_REQUESTED)[0]
        answer = self.open_deadlines(p)[DK.REVIEW_ANSWER]
        p = services.petition_review_decide(
            p,
            actor=staff(p.owner_unit_id),
            outcome="explain",
            measure="explained",
            text="复查意见：维持原处理意见。",
            at=at_day(answer.start_on + dt.timedelta(days=7)),
        )
        assert p.state == State.REVIEWED and set(self.open_deadlines(p)) == {DK.REEXAMINATION_REQUEST}
        assert list(verify_chains([p.pk])) == []
        assert_rows_replay([p.pk])

    def test_imported_petitions_show_in_the_work_queue(self):
        counts = Counter(Petition.objects.filter(state__in=OPEN_STATES).values_list("owner_unit", flat=True))
        unit_id = counts.most_common(1)[0][0]
        rows = work_queue_for(User.objects.get(pk=staff(unit_id).pk))
        assert rows and all(p.owner_unit_id == unit_id and p.state in OPEN_STATES for p in rows)
        dated = [p.due_on for p in rows if p.due_on]
        assert dated == sorted(dated)


# ---------------------------------------------------------------- pieces, the worker, the command


@pytest.mark.django_db
def test_due_dates_are_the_calendars():
    gen = ImportGenerator.__new__(ImportGenerator)
    gen._due, gen._workday = {}, {}
    start = dt.date(2025, 9, 1).toordinal()
    for day in range(start, start + 200):
        for days, working, roll in ((15, False, True), (5, True, True), (60, False, True), (37, False, False)):
            expected = calendar.count_forward(dt.date.fromordinal(day), days, working, roll).end.toordinal()
            assert gen.due(day, days, working, roll) == expected


def test_the_plan_ends_with_small_batches():
    for count, batch in ((200000, 20000), (400, 150), (50, 20000), (25000, 20000), (1, 5)):
        plan = _plan(101, count, batch)
        assert sum(n for _, n in plan) == count and plan[0][0] == 101
        assert all(a + n == b for (a, n), (b, _) in zip(plan, plan[1:]))
        assert max(n for _, n in plan) <= batch
    assert _plan(1, 200000, 20000)[-1][1] <= 5000


@pytest.fixture
def county(db):
    load_demo()


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_worker_writes_the_same_kind_of_data():
    """workers=1: generated in a forked process; on SQLite spooled through a scratch file with text
    indexes, copied in with INSERT ... SELECT; on PostgreSQL handed over and COPYed."""
    load_demo()
    result = petitions_generate(2500, seed=5, now=NOW, workers=1, batch=1000)
    assert result.count == 2500 == Petition.objects.count() == Event.objects.count()
    assert list(verify_chains()) == []
    assert_rows_replay()
    p = Petition.objects.filter(decisions__isnull=False).first()
    assert p.title and len(p.content) > 10 and p.decisions.first().text
    assert set(texts_load().replies) >= set(Decision.objects.values_list("text", flat=True)[:100])
    assert Petitioner.objects.count() == result.rows["petitioner"]
    check_due_dates()
    check_searchable()


@pytest.mark.django_db(transaction=True)
def test_a_long_run_builds_the_search_index_at_the_end(monkeypatch):
    """PostgreSQL: a long run into an empty index drops the GIN index and builds it once at the end."""
    from xinfang.demo.generate import run as generate
    from xinfang.petitions import search

    load_demo()
    monkeypatch.setattr(generate, "PG_INDEX_REBUILD_MIN", 100)
    petitions_generate(300, seed=9, now=NOW, workers=0)
    check_searchable()
    with connection.cursor() as cur:
        indexes = connection.introspection.get_constraints(cur, Petition._meta.db_table)
    assert (search.PG_INDEX in indexes) == (connection.vendor == "postgresql")


@pytest.mark.django_db
def test_work_queue_costs_the_same_queries_at_50_and_500(county):
    def queue_queries() -> tuple[int, int]:
        counts = Counter(Petition.objects.filter(state__in=OPEN_STATES).values_list("owner_unit", flat=True))
        unit_id = counts.most_common(1)[0][0]
        user = User.objects.filter(unit_id=unit_id, role=Role.HANDLER).first()
        user = User.objects.get(pk=user.pk)
        with CaptureQueriesContext(connection) as ctx:
            rows = work_queue_for(user)
        assert rows and all(p.owner_unit_id == unit_id and p.state in OPEN_STATES for p in rows)
        return len(ctx.captured_queries), len(rows)

    petitions_generate(50, seed=1, now=NOW, workers=0)
    small, _ = queue_queries()
    petitions_generate(450, seed=2, now=NOW, workers=0)
    large, _ = queue_queries()
    assert small == large <= 10


@pytest.mark.django_db
def test_without_an_org_tree_it_says_run_load_demo():
    with pytest.raises(GenerateError, match="load_demo"):
        petitions_generate(10, workers=0)


@pytest.mark.django_db
def test_an_unknown_history_is_refused(county):
    with pytest.raises(GenerateError, match="history"):
        petitions_generate(10, workers=0, history="some")


@pytest.mark.django_db
def test_the_command(county, capsys):
    call_command("generate_petitions", "--count", "40", "--seed", "3", "--workers", "0", verbosity=0)
    out = capsys.readouterr().out
    assert "petitions/s" in out and "每秒" in out
    assert Petition.objects.count() == 40 == Event.objects.filter(action=IMPORT_ACTION).count()
    call_command(
        "generate_petitions", "--count", "20", "--seed", "4", "--workers", "0", "--history", "full", verbosity=0
    )
    assert Petition.objects.count() == 60 and Event.objects.filter(action="register").count() == 20
    assert list(verify_chains()) == []
    assert_rows_replay()


def test_texts_fall_back_without_the_datasets(tmp_path):
    texts = texts_load(tmp_path)
    assert texts.items and texts.replies
    assert all(title and content for title, content, _ in texts.items)


def test_texts_come_from_the_datasets_in_the_repository():
    """A clone with nothing beside it: the generator draws from the 附件3, 附件4 and sample messages of datasets/."""
    texts = texts_load()
    assert len(texts.items) > 7000 and len(texts.replies) > 2000
    assert any(label for _, _, label in texts.items)  # the sample's messages carry their label
