"""The demo county's oversight (manage.py load_demo --petitions N): the demo supervisor's supervisions
(online, waiting for its answer; on-site, answered; escalated, reopened by a follow-up that found a fake
resolution), a work recommendation waiting for its answer and two follow-ups, all written through the
oversight services (every petition's log verifies), added once, never without --petitions, and shown on
the supervisor's oversight pages."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import staff_login
from xinfang.demo.generate import petitions_generate
from xinfang.org.models import User
from xinfang.oversight.follow_ups import handling_unit_ids
from xinfang.oversight.models import (
    Finding,
    FindingKind,
    FollowUp,
    Recommendation,
    RecommendationKind,
    RecommendationState,
    Supervision,
    SupervisionStep,
)
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event

pytestmark = pytest.mark.django_db

PETITIONS = 400


def load_demo(*args: str) -> None:
    call_command("load_demo", *args, verbosity=0)


def oversight_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Supervision, SupervisionStep, Recommendation, FollowUp, Finding))


@pytest.fixture
def demo(db) -> User:
    """The demo county with petitions (generated here in one process), then load_demo --petitions, which
    finds petitions already there and adds only the oversight items. Returns the demo supervisor."""
    load_demo()
    petitions_generate(PETITIONS, seed=1, workers=0)
    assert oversight_counts() == (0, 0, 0, 0, 0)
    load_demo("--petitions", str(PETITIONS))
    return User.objects.get(username="supervisor")


def test_without_petitions_argument_no_oversight_is_added(db):
    load_demo()
    petitions_generate(50, seed=2, workers=0)
    load_demo()  # as the benchmarks call it
    assert oversight_counts() == (0, 0, 0, 0, 0)


def test_the_demo_has_supervisions_a_recommendation_and_follow_ups(demo):
    today = timezone.localdate()
    supervisions = {s.mode: s for s in Supervision.objects.select_related("petition")}
    assert {mode: s.state for mode, s in supervisions.items()} == {
        "online": "waiting",
        "on_site": "answered",
        "escalated": "waiting",
    }
    for s in supervisions.values():
        assert s.is_open and s.opened_by == demo and s.answer_due_on >= today
        assert s.petition.owner_unit_id == s.unit_id != demo.unit_id
        assert Event.objects.filter(petition=s.petition, action="supervise", data__supervision=s.pk).exists()
    answered = supervisions["on_site"]
    assert answered.answer and answered.answered_by.unit_id == answered.unit_id
    assert Event.objects.filter(petition=answered.petition, action="supervision_answer").exists()

    r = Recommendation.objects.get()
    assert (r.kind, r.state, r.made_by) == (RecommendationKind.WORK, RecommendationState.WAITING, demo)
    assert r.due_on >= today and r.to_unit == r.about_unit == supervisions["online"].unit

    follow_ups = {f.settled: f for f in FollowUp.objects.select_related("petition")}
    assert set(follow_ups) == {True, False}
    for f in follow_ups.values():
        assert f.by == demo and f.reached and f.by_unit_id not in handling_unit_ids(f.petition)
        assert Event.objects.filter(petition=f.petition, action="follow_up", data__follow_up=f.pk).exists()
    finding = Finding.objects.get()
    assert (finding.kind, finding.follow_up, finding.petition) == (
        FindingKind.FAKE_RESOLUTION,
        follow_ups[False],
        follow_ups[False].petition,
    )
    assert finding.supervision == supervisions["escalated"]
    assert supervisions["escalated"].petition == follow_ups[False].petition
    assert list(verify_chains()) == []


def test_a_second_run_adds_nothing(demo):
    before = oversight_counts()
    load_demo("--petitions", str(PETITIONS))
    assert oversight_counts() == before


def test_the_supervisor_sees_them_on_the_oversight_pages(demo):
    c = Client()
    staff_login(c, demo)  # the demo supervisor's own authenticator (two-step sign-in)
    page = c.get("/supervision/").content.decode()
    assert set(re.findall(r'<a href="/supervision/(\d+)/">', page)) == {
        str(pk) for pk in Supervision.objects.values_list("pk", flat=True)
    }
    assert "待审核答复 1 件" in page

    r = Recommendation.objects.get()
    page = c.get("/recommendations/").content.decode()
    assert f'href="/recommendations/{r.pk}/"' in page and "工作建议" in page

    finding = Finding.objects.get()
    page = c.get("/follow-up/findings/").content.decode()
    assert f'href="/follow-up/p/{finding.petition_id}/"' in page
    assert f'href="/supervision/{finding.supervision_id}/"' in page

    for f in FollowUp.objects.all():
        page = c.get(f"/follow-up/p/{f.petition_id}/").content.decode()
        assert f.notes in page


def test_the_demo_has_an_online_accusation_waiting_for_the_bureau_to_confirm_its_accused(demo):
    from xinfang.demo.portal import DEMO_ACCUSATION
    from xinfang.petitions.models import Kind, Petition
    from xinfang.petitions.selectors import petition_is_visible

    p = Petition.objects.get(title=DEMO_ACCUSATION[0])
    assert p.kind == Kind.ACCUSATION and not p.accused_confirmed and p.accused_unit.name == "青石镇人民政府"
    assert petition_is_visible(User.objects.get(username="bureau"), p)
    for name in ("clerk", "town_handler", "town_head", "supervisor"):
        assert not petition_is_visible(User.objects.get(username=name), p), name
    load_demo("--petitions", str(PETITIONS))
    assert Petition.objects.filter(title=DEMO_ACCUSATION[0]).count() == 1


def test_verify_log_passes_on_the_demo(demo):
    """The demo's generated petitions (generate.py), its accusation and its oversight events: each
    petition's replayed log is its row, every field recorded (issue 18, point 3)."""
    out, err = StringIO(), StringIO()
    call_command("verify_log", stdout=out, stderr=err)
    assert "全部校验通过" in out.getvalue() and "未核对" not in out.getvalue(), out.getvalue()
    assert err.getvalue() == ""
