"""The append-only, hash-chained event log; verify_log and check_deadlines."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import act, at, at_date, handler, owner_handler, path_to, register
from xinfang.petitions.deadlines import OBLIGATIONS
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import GENESIS, verify_chains
from xinfang.petitions.models import Deadline, Event, Kind, Petition, State
from xinfang.petitions.models import DeadlineKind as K
from xinfang.petitions.workflow import TABLE

pytestmark = pytest.mark.django_db

SOURCE = {  # a state on the happy path from which each action may be taken
    a: next(
        s
        for s in (
            State.REGISTERED,
            State.FORWARDED,
            State.ACCEPTED,
            State.DECIDED,
            State.EVALUATED,
            State.REVIEW_REQUESTED,
            State.REVIEWED,
            State.REEXAMINATION_REQUESTED,
            State.REEXAMINED,
        )
        if s in t.sources
    )
    for a, t in TABLE.items()
}


def actor_for(org, action, p):
    if action == "extend":
        return org.user(org.unit_key(p.owner_unit_id), "unit_head")
    return owner_handler(org, p) if TABLE[action].owner_only else org.u_clerk


def ready(org, action):
    if action == "confirm_accused":  # an accusation received online, its accused not yet confirmed
        p, day = path_to(
            org, SOURCE[action], kind=Kind.ACCUSATION, accused_unit=org.units["land"], accused_confirmed=False
        )
        return p, at_date(day, 15)
    p, day = path_to(org, SOURCE[action])
    if action == "hearing_end":
        p = act(org, "hearing_start", p, owner_handler(org, p), at_date(day, 11))
    return p, at_date(day, 15)


# ---------------------------------------------------------------- one event per service, same transaction


def test_register_writes_one_event(org):
    p = register(org, on=at(2026, 3, 2))
    e = Event.objects.get(petition=p)
    assert (e.seq, e.action, e.from_state, e.to_state, e.prev_hash) == (1, "register", "", State.REGISTERED, GENESIS)
    assert (p.log_seq, p.log_head) == (1, e.hash)
    assert e.actor_id == org.u_clerk.pk and e.actor_label.startswith("clerk（")


@pytest.mark.parametrize("action", list(TABLE))
def test_every_service_writes_exactly_one_event(org, action):
    p, on = ready(org, action)
    before = list(Event.objects.filter(petition=p).order_by("seq"))
    state = p.state
    p = act(org, action, p, actor_for(org, action, p), on)
    after = list(Event.objects.filter(petition=p).order_by("seq"))
    assert after[:-1] == before and len(after) == len(before) + 1
    e = after[-1]
    assert (e.seq, e.action, e.from_state, e.to_state) == (len(after), action, state, p.state)
    assert e.prev_hash == before[-1].hash
    assert (p.log_seq, p.log_head) == (e.seq, e.hash)
    assert e.at == on
    assert list(verify_chains([p.pk])) == []


def _state_of(p):
    p = Petition.objects.get(pk=p.pk)
    return (
        p.state,
        p.owner_unit_id,
        p.log_seq,
        p.log_head,
        p.due_on,
        sorted(Deadline.objects.filter(petition=p).values_list("kind", "due_on", "is_open")),
        p.decisions.count(),
        p.evaluations.count(),
    )


@pytest.mark.parametrize("action", list(TABLE))
def test_the_event_is_written_in_the_same_transaction(org, action, monkeypatch):
    p, on = ready(org, action)
    before = _state_of(p)

    def fail(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Event, "save", fail)
    with pytest.raises(RuntimeError):
        act(org, action, p, actor_for(org, action, p), on)
    assert _state_of(p) == before


def test_registration_is_undone_when_its_event_cannot_be_written(org, monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Event, "save", fail)
    monkeypatch.setattr(Event.objects, "bulk_create", fail)  # registration writes its events in one INSERT
    with pytest.raises(RuntimeError):
        register(org, on=at(2026, 3, 2))
    assert not Petition.objects.exists() and not Deadline.objects.exists()


def test_refused_actions_write_no_event(org):
    p = register(org, on=at(2026, 3, 2))
    with pytest.raises(WorkflowError):
        act(org, "decide", p, handler(org, "bureau"), at(2026, 3, 3))
    assert Event.objects.filter(petition=p).count() == 1


# ---------------------------------------------------------------- tampering is detected


@pytest.fixture
def chain(org):
    p, _ = path_to(org, State.REVIEWED)
    other, _ = path_to(org, State.ACCEPTED)
    assert list(verify_chains()) == []
    return p, list(Event.objects.filter(petition=p).order_by("seq")), other


def test_altered_data_is_detected_naming_the_row(chain):
    p, events, other = chain
    target = events[2]
    Event.objects.filter(pk=target.pk).update(data={**target.data, "stage": "forged"})
    breaks = list(verify_chains())
    assert [(b.petition_id, b.event_id, b.seq) for b in breaks] == [(p.pk, target.pk, target.seq)]
    assert "altered" in breaks[0].problem


@pytest.mark.parametrize(
    "field,value",
    [
        ("actor_label", "某人"),
        ("action", "decline"),
        ("to_state", State.CLOSED),
        ("at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        ("hash", "f" * 64),
    ],
)
def test_any_altered_field_is_detected(chain, field, value):
    p, events, other = chain
    target = events[1]
    Event.objects.filter(pk=target.pk).update(**{field: value})
    breaks = list(verify_chains())
    assert breaks and all(b.petition_id == p.pk for b in breaks)
    assert breaks[0].event_id == target.pk


def test_deleted_row_is_detected_naming_the_next_row(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[2].pk).delete()  # a raw delete, bypassing Event.delete()
    breaks = list(verify_chains())
    assert breaks and {b.petition_id for b in breaks} == {p.pk}
    assert breaks[0].event_id == events[3].pk and "expected sequence number 3, found 4" in breaks[0].problem


def test_deleted_last_row_is_detected_by_the_petition_head(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[-1].pk).delete()
    breaks = list(verify_chains())
    assert [(b.petition_id, b.event_id, b.seq) for b in breaks] == [(p.pk, None, events[-1].seq)]


def test_changed_prev_hash_is_detected(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[4].pk).update(prev_hash="0" * 64)
    breaks = list(verify_chains())
    assert {b.event_id for b in breaks} == {events[4].pk}
    assert any("prev_hash" in b.problem for b in breaks)


def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(chain):
    from xinfang.petitions.eventlog import event_hash

    p, events, other = chain
    e = events[2]
    forged = {**e.data, "outcome": "not_support"}
    h = event_hash(
        petition_id=e.petition_id,
        seq=e.seq,
        at=e.at,
        actor_id=e.actor_id,
        actor_label=e.actor_label,
        action=e.action,
        from_state=e.from_state,
        to_state=e.to_state,
        data=forged,
        prev_hash=e.prev_hash,
    )
    Event.objects.filter(pk=e.pk).update(data=forged, hash=h)
    breaks = list(verify_chains())
    assert [b.event_id for b in breaks] == [events[3].pk]


def test_verify_chains_can_be_limited_to_some_petitions(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[1].pk).update(actor_label="x")
    assert list(verify_chains([other.pk])) == []
    assert list(verify_chains([p.pk]))


def test_event_save_on_an_existing_row_raises(chain):
    p, events, other = chain
    e = events[0]
    e.actor_label = "改过"
    with pytest.raises(ValueError, match="append-only"):
        e.save()
    with pytest.raises(ValueError, match="append-only"):
        e.delete()
    assert Event.objects.get(pk=e.pk).actor_label != "改过"


# ---------------------------------------------------------------- verify_log


def test_verify_log_passes_on_a_clean_log(chain):
    out = StringIO()
    call_command("verify_log", stdout=out, stderr=StringIO())
    assert "全部校验通过" in out.getvalue()


def test_verify_log_fails_naming_the_broken_row(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[2].pk).update(data={"forged": True})
    err = StringIO()
    with pytest.raises(CommandError, match="校验失败"):
        call_command("verify_log", stdout=StringIO(), stderr=err)
    assert f"petition {p.pk}, event id {events[2].pk} (#{events[2].seq})" in err.getvalue()


def test_verify_log_fails_on_a_missing_last_row(chain):
    p, events, other = chain
    Event.objects.filter(pk=events[-1].pk).delete()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_log", stdout=StringIO(), stderr=err)
    assert f"petition {p.pk}, petition log head" in err.getvalue()


# ---------------------------------------------------------------- check_deadlines


def run_check(monkeypatch, now: dt.datetime) -> str:
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    out = StringIO()
    call_command("check_deadlines", stdout=out, stderr=StringIO())
    return out.getvalue()


def db_state():
    return (
        sorted(Deadline.objects.values_list("pk", "warned_at", "overdue_at")),
        sorted(Event.objects.values_list("pk", "hash")),
        sorted(Petition.objects.values_list("pk", "log_seq", "log_head")),
    )


def test_check_deadlines_warns_before_and_flags_after_and_is_idempotent(org, monkeypatch):
    p = register(org, on=at(2026, 3, 2))  # intake due 2026-03-17
    d = Deadline.objects.get(petition=p, kind=K.INTAKE)

    # three working days before Tuesday the 17th is Thursday the 12th (the weekend does not count)
    assert "warned: 0" in run_check(monkeypatch, at(2026, 3, 11))  # four working days before: too early
    assert "warned: 1" in run_check(monkeypatch, at(2026, 3, 12))  # three working days before
    d.refresh_from_db()
    assert d.warned_at == at(2026, 3, 12) and d.overdue_at is None
    warning = Event.objects.get(petition=p, action="deadline_warning")
    assert warning.data == {"deadline": K.INTAKE, "due_on": "2026-03-17", "unit": org.bureau.pk}
    assert warning.from_state == warning.to_state == State.REGISTERED

    snap = db_state()
    assert "warned: 0" in run_check(monkeypatch, at(2026, 3, 14, 11))  # a later run: nothing
    assert db_state() == snap

    assert "flagged overdue: 0" in run_check(monkeypatch, at(2026, 3, 17, 23))  # the due day is not late
    assert "flagged overdue: 1" in run_check(monkeypatch, at(2026, 3, 18, 8))
    d.refresh_from_db()
    assert d.overdue_at == at(2026, 3, 18, 8)
    snap = db_state()
    assert "warned: 0，超期标记 flagged overdue: 0" in run_check(monkeypatch, at(2026, 3, 18, 9))
    assert db_state() == snap
    assert list(verify_chains()) == []


OBLIGATION_STATES = [
    (State.REGISTERED, K.INTAKE),
    (State.FORWARDED, K.ACCEPTANCE),
    (State.ASSIGNED, K.ASSIGNMENT_REPORT),
    (State.ASSIGNED, K.ACCEPTANCE),
    (State.ACCEPTED, K.HANDLING),
    (State.REVIEW_REQUESTED, K.REVIEW_ANSWER),
    (State.REEXAMINATION_REQUESTED, K.REEXAMINATION_ANSWER),
]


@pytest.mark.parametrize("state,kind", OBLIGATION_STATES)
def test_check_deadlines_covers_every_obligation(org, monkeypatch, state, kind):
    p, _ = path_to(org, state)
    d = Deadline.objects.get(petition=p, kind=kind, is_open=True)
    run_check(monkeypatch, at_date(d.due_on - dt.timedelta(days=3)))
    d.refresh_from_db()
    assert d.warned_at is not None and d.overdue_at is None
    run_check(monkeypatch, at_date(d.due_on))
    d.refresh_from_db()
    assert d.overdue_at is None
    run_check(monkeypatch, at_date(d.due_on + dt.timedelta(days=1)))
    d.refresh_from_db()
    assert d.overdue_at is not None
    snap = db_state()
    run_check(monkeypatch, at_date(d.due_on + dt.timedelta(days=1), 18))
    assert db_state() == snap
    assert list(verify_chains()) == []


def test_check_deadlines_leaves_the_petitioners_windows_and_met_deadlines_alone(org, monkeypatch):
    p, day = path_to(org, State.DECIDED)
    assert {d.kind for d in Deadline.objects.filter(petition=p, is_open=True)} == {K.REVIEW_REQUEST}
    run_check(monkeypatch, at(2026, 12, 31))
    assert not Deadline.objects.filter(petition=p).exclude(warned_at=None, overdue_at=None).exists()
    assert not Event.objects.filter(petition=p, action__startswith="deadline_").exists()
    assert set(OBLIGATIONS).isdisjoint({K.REVIEW_REQUEST, K.REEXAMINATION_REQUEST, K.OBJECTION})


def test_a_deadline_already_past_when_first_seen_is_flagged_not_warned(org, monkeypatch):
    p = register(org, on=at(2026, 3, 2))
    assert "warned: 0，超期标记 flagged overdue: 1" in run_check(monkeypatch, at(2026, 4, 1))
    d = Deadline.objects.get(petition=p, kind=K.INTAKE)
    assert d.warned_at is None and d.overdue_at is not None
