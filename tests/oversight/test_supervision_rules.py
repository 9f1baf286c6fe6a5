"""Automatic supervision rules (自动督办规则): each kind at its edge, once per rule and petition, only
open petitions, with the rule recorded and in the event log; SQL selects, not a loop over petitions."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import path_to, register
from xinfang.oversight import services as oversight
from xinfang.oversight.autorules import rule_matches, rules_apply
from xinfang.oversight.models import HotIssue, HotIssueMember, Supervision, SupervisionRule
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event, Priority, State

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _no_seeded_rules(db):
    """The migration seeds four rules; each test makes the one it needs."""
    SupervisionRule.objects.all().delete()


def rule(org, kind: str, n: int = 0, **kw) -> SupervisionRule:
    return SupervisionRule.objects.create(
        name=f"{kind}≥{n}",
        kind=kind,
        threshold=n,
        unit=kw.pop("unit", org.bureau),
        requirement="请报告办理情况",
        answer_days=7,
        **kw,
    )


def received(org, at: dt.datetime, **kw):
    return register(org, on=at, **kw)


def test_open_days_at_its_edge(org):
    r = rule(org, "open_days", 60)
    exactly = received(org, NOW - dt.timedelta(days=60))
    older = received(org, NOW - dt.timedelta(days=60, seconds=1))
    assert list(rule_matches(r, NOW)) == [older]
    assert rules_apply(NOW) == {r.name: 1}
    s = Supervision.objects.get()
    assert (s.petition, s.rule, s.unit, s.supervising_unit, s.opened_by) == (
        older,
        r,
        older.owner_unit,
        org.bureau,
        None,
    )
    assert s.answer_due_on == timezone.localdate(NOW) + dt.timedelta(days=7)
    assert "已60日仍未办结" in s.reason
    assert not exactly.supervisions.exists()


def test_headcount_at_its_edge(org):
    r = rule(org, "headcount", 5)
    received(org, NOW, headcount=4)
    five = received(org, NOW, headcount=5)
    assert list(rule_matches(r, NOW)) == [five]


def test_repeats_count_the_petition_and_those_on_the_same_matter(org):
    r = rule(org, "repeats", 3)
    first, second, third = (received(org, NOW) for _ in range(3))
    lone_pair = received(org, NOW)
    first.related.add(second, third)  # symmetrical: second and third are linked to first only
    lone_pair.related.add(received(org, NOW))
    assert list(rule_matches(r, NOW)) == [first]  # 3 with itself; the others count 2


def test_attention_urgent_priority_or_hot_issue_of_the_latest_build(org):
    r = rule(org, "attention")
    received(org, NOW, priority=Priority.IMPORTANT)
    urgent = received(org, NOW, priority=Priority.URGENT)
    hot, stale = received(org, NOW), received(org, NOW)

    def build(at, member, title):
        issue = HotIssue.objects.create(
            built_at=at,
            period_start=at.date(),
            period_end=at.date(),
            region=org.r_county,
            title=title,
            size=3,
            petitioners=3,
            places=1,
            growth=0,
            score=3,
            first_received_at=at,
            last_received_at=at,
        )
        HotIssueMember.objects.create(hot_issue=issue, petition=member, closeness=1)

    build(NOW - dt.timedelta(days=2), stale, "旧热点")
    build(NOW - dt.timedelta(days=1), hot, "村道积水")
    assert list(rule_matches(r, NOW)) == [urgent, hot]
    rules_apply(NOW)
    assert "热点问题“村道积水”" in Supervision.objects.get(petition=hot).reason
    assert "紧急" in Supervision.objects.get(petition=urgent).reason


def test_idempotent_and_an_ended_item_is_not_put_back(org):
    r = rule(org, "headcount", 5)
    p = received(org, NOW, headcount=8)
    assert rules_apply(NOW) == {r.name: 1}
    assert rules_apply(NOW) == {r.name: 0}
    s = Supervision.objects.get()
    oversight.supervision_end(s, actor=org.u_supervisor, note="已现场处置")
    assert rules_apply(NOW + dt.timedelta(days=1)) == {r.name: 0}
    assert p.supervisions.count() == 1
    # the event names the rule as the actor, in the petition's chain
    e = Event.objects.filter(petition=p, action="supervise").get()
    assert (e.actor_id, e.actor_label, e.data["rule"]) == (None, f"自动督办规则：{r.name}", r.pk)
    assert list(verify_chains([p.pk])) == []


def test_only_open_petitions_without_an_open_supervision(org):
    r = rule(org, "headcount", 5)
    declined, _ = path_to(org, State.DECLINED, headcount=9)
    manual = received(org, NOW, headcount=9)
    oversight.supervision_open(
        manual,
        actor=org.u_supervisor,
        mode="online",
        reason="人多",
        requirement="报告",
        answer_due_on=timezone.localdate(),
    )
    assert list(rule_matches(r, NOW)) == []
    assert not declined.supervisions.exists()


def test_two_rules_each_put_a_petition_once_in_turn(org):
    big = rule(org, "headcount", 5)
    old = rule(org, "open_days", 30)
    p = received(org, NOW - dt.timedelta(days=40), headcount=6)
    assert rules_apply(NOW) == {big.name: 1, old.name: 0}  # one open supervision at a time
    oversight.supervision_end(Supervision.objects.get(), actor=org.u_supervisor, note="先结束")
    assert rules_apply(NOW) == {big.name: 0, old.name: 1}
    assert list(p.supervisions.order_by("pk").values_list("rule", flat=True)) == [big.pk, old.pk]


def test_place_of_the_rule_and_the_nearest_bureau_without_a_unit(org):
    town = rule(org, "headcount", 5, unit=None, region=org.r_town_a)
    in_town = received(org, NOW, headcount=6, region=org.r_village_a)
    received(org, NOW, headcount=6, region=org.r_village_b)
    assert list(rule_matches(town, NOW)) == [in_town]
    rules_apply(NOW)
    assert Supervision.objects.get().supervising_unit == org.bureau  # 示范县信访局 is nearest above 丰收村
    county_rule = rule(org, "headcount", 5, unit=org.other_bureau)
    assert list(rule_matches(county_rule, NOW)) == []  # the other county's bureau: its own county only


def test_no_loop_over_petitions(org, django_assert_max_num_queries):
    rule(org, "open_days", 60)
    rule(org, "headcount", 5)
    rule(org, "repeats", 3)
    rule(org, "attention")
    for _ in range(25):
        received(org, NOW)
    with django_assert_max_num_queries(6):  # the rules, then one select per rule; nothing matches
        assert sum(rules_apply(NOW).values()) == 0


def test_the_command_prints_what_it_did(org):
    rule(org, "headcount", 5)
    received(org, NOW, headcount=7)
    out = StringIO()
    call_command("supervision_rules_apply", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"opened": 1}
    out = StringIO()
    call_command("supervision_rules_apply", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"opened": 0}


def test_the_supervising_units_queue_tab_holds_what_its_rules_put_there(org):
    from django.test import Client

    from tests.conftest import staff_login

    rule(org, "headcount", 5)
    p = received(org, NOW, headcount=6)
    rules_apply(NOW)
    c = Client()
    staff_login(c, org.u_supervisor)
    page = c.get("/queue/", {"tab": "supervised"}).content.decode()
    assert p.query_code in page
