"""Follow-up (回访) of concluded petitions: only by someone outside the handling units; a resolution the
petitioner denies becomes a finding of fake resolution (假化解) and reopens supervision, escalated; the
follow-up list and its sample rules; the findings per unit and month for the assessment."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import act, owner_handler, path_to, staff_login, user_make
from xinfang.org.models import Role
from xinfang.oversight import follow_ups, selectors
from xinfang.oversight import services as oversight
from xinfang.oversight.models import Finding, FollowUp, FollowUpRule, Supervision
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.eventlog import verify_chains
from xinfang.petitions.models import Event, State

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
START = TODAY - dt.timedelta(days=20)  # decided on START + 10 (the conftest's happy path)


def concluded(org, **kw):
    """A claim handled by 县人社局 and decided as resolved (三到位一处理: 合理诉求解决到位)."""
    p, _ = path_to(org, State.DECIDED, start=kw.pop("start", START), **kw)
    return p


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def record(org, p, who="supervisor", **kw):
    data = {"method": "phone", "reached": True, "settled": True, "notes": ""} | kw
    return follow_ups.follow_up_record(p, actor=org.users[who] if isinstance(who, str) else who, **data)


def test_confirmed_resolution_is_recorded_and_logged(org):
    p = concluded(org)
    f = record(org, p, notes="信访人表示补发工资已到账")
    assert (f.by_unit, f.settled) == (org.bureau, True)
    assert not Finding.objects.exists() and not Supervision.objects.exists()
    e = Event.objects.filter(petition=p).order_by("-seq").first()
    assert (e.action, e.data["settled"], e.from_state, e.to_state) == ("follow_up", True, p.state, p.state)


def test_denied_resolution_becomes_a_finding_and_reopens_supervision(org):
    p = concluded(org)
    f = record(org, p, who="bureau_staff", settled=False, notes="信访人称工资仍未补发")
    finding = Finding.objects.get()
    assert (finding.unit, finding.petition, finding.follow_up, finding.kind) == (org.hrss, p, f, "fake_resolution")
    s = finding.supervision
    assert (s.petition, s.mode, s.unit, s.is_open, s.state) == (p, "escalated", org.hrss, True, "waiting")
    assert "否认问题已化解" in s.reason and "信访人称工资仍未补发" in s.reason
    actions = list(Event.objects.filter(petition=p).order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["follow_up", "supervise"]
    assert Event.objects.get(petition=p, action="supervise").data["finding"] == finding.pk
    assert list(verify_chains([p.pk])) == []
    # the handling unit answers the reopened supervision
    oversight.supervision_answer(s, actor=owner_handler(org, p), answer="已补发并附银行回单")


def test_denied_with_an_open_supervision_links_it(org):
    p = concluded(org)
    open_one = oversight.supervision_open(
        p, actor=org.u_supervisor, mode="online", reason="群众反映", requirement="报告", answer_due_on=TODAY
    )
    record(org, p, settled=False)
    assert Finding.objects.get().supervision == open_one
    assert Supervision.objects.count() == 1
    assert list(open_one.steps.values_list("action", flat=True)) == ["open", "finding"]


@pytest.mark.parametrize("kw", [{"reached": False, "settled": False}, {"settled": None, "reached": False}])
def test_not_reached_finds_nothing(org, kw):
    p = concluded(org)
    f = record(org, p, **kw)
    assert f.settled is None and not Finding.objects.exists()


def test_denied_but_not_concluded_as_resolved_is_no_finding(org):
    p, _ = path_to(org, State.ACCEPTED, start=START)
    act(org, "decide", p, owner_handler(org, p), timezone.now(), measure="explained", outcome="explain")
    record(org, p, settled=False, notes="仍不服")
    assert not Finding.objects.exists()
    assert FollowUp.objects.get().settled is False


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("hrss_leader", "回访须由承办单位以外的人员进行：您所在的县人力资源和社会保障局承办了该事项，不能自己回访。"),
        ("hrss_handler", "您的角色（单位经办人）不能回访。"),
        ("clerk", "您的角色（登记员）不能回访。"),
        ("other_bureau_staff", "您无权查看该事项，不能回访。"),
        ("unitless_admin", "您没有所属单位，不能回访（回访记录须写明回访人单位）。"),
    ],
)
def test_refusals_in_chinese_change_nothing(org, who, message):
    p = concluded(org)
    seq = p.log_seq
    if who == "hrss_leader":
        org.users[who] = user_make(org.hrss, Role.LEADER, who)
    if who == "unitless_admin":
        org.users[who] = user_make(None, Role.ADMIN, who, is_superuser=True)
    actor = org.users[who] if who in org.users else org.user("hrss", Role.HANDLER)
    with pytest.raises(WorkflowError) as e:
        record(org, p, who=actor, settled=False)
    assert str(e.value) == message
    p.refresh_from_db()
    assert p.log_seq == seq and not FollowUp.objects.exists()


def test_a_unit_that_gave_a_decision_is_a_handling_unit_too(org):
    p = concluded(org)
    # the county bureau's staff decided nothing here; make the bureau a deciding unit
    p.decisions.update(unit=org.bureau)
    with pytest.raises(WorkflowError, match="您所在的示范县信访局承办了该事项"):
        record(org, p)


def test_open_petition_cannot_be_followed_up_and_reached_needs_an_answer(org):
    p, _ = path_to(org, State.ACCEPTED, start=START)
    with pytest.raises(WorkflowError, match="该事项尚未办结"):
        record(org, p)
    q = concluded(org)
    with pytest.raises(WorkflowError, match="请记录信访人是否认为问题已真正解决"):
        record(org, q, settled=None)
    with pytest.raises(WorkflowError, match="请选择回访方式"):
        record(org, q, method="letter")


# ---------------------------------------------------------------- the list and its sample rules


def due_ids(org, user="supervisor"):
    return list(selectors.follow_up_due_for(org.users[user]).values_list("pk", flat=True))


def test_seeded_rules_every_resolved_one_and_a_sample_of_the_rest(org):
    assert list(FollowUpRule.objects.values_list("resolved_only", "percent")) == [(True, 100), (False, 10)]
    resolved = concluded(org)
    explained, _ = path_to(org, State.ACCEPTED, start=START)
    act(org, "decide", explained, owner_handler(org, explained), timezone.now(), measure="explained", outcome="explain")
    expected = [resolved.pk] + ([explained.pk] if explained.pk * 37 % 100 < 10 else [])
    assert sorted(due_ids(org)) == sorted(expected)
    record(org, resolved)
    assert resolved.pk not in due_ids(org)


def test_sample_percentage_and_window(org):
    FollowUpRule.objects.all().delete()
    rule = FollowUpRule.objects.create(name="全部", resolved_only=False, percent=100, within_days=30)
    recent = concluded(org)
    old = concluded(org, start=TODAY - dt.timedelta(days=50))  # decided 40 days ago
    assert due_ids(org) == [recent.pk]
    rule.percent = 0
    rule.save()
    assert due_ids(org) == []
    rule.percent, rule.within_days = 100, 60
    rule.save()
    assert due_ids(org) == [old.pk, recent.pk]  # the longest-waiting first
    rule.is_active = False
    rule.save()
    assert due_ids(org) == []


def test_follow_up_list_page_export_and_queries(org, django_assert_max_num_queries):
    for _ in range(3):
        concluded(org)
    c = client_for(org.u_supervisor)
    with django_assert_max_num_queries(8):
        page = c.get("/follow-up/")
    assert page.status_code == 200 and page.content.decode().count('href="/follow-up/p/') == 6  # code + title
    for _ in range(4):
        concluded(org)
    with django_assert_max_num_queries(8):
        assert c.get("/follow-up/").status_code == 200
    export = c.get("/follow-up/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[0][:3] == ("查询码", "标题", "承办单位") and len(rows) == 8
    assert client_for(org.user("hrss", Role.HANDLER)).get("/follow-up/").status_code == 404


def test_follow_up_page_records_and_refuses_the_handling_unit(org):
    p = concluded(org)
    handling = user_make(org.hrss, Role.LEADER, "hrss_leader")
    page = client_for(handling).get(f"/follow-up/p/{p.pk}/").content.decode()
    assert "回访须由承办单位以外的人员进行" in page and 'name="follow_up-method"' not in page
    response = client_for(handling).post(
        f"/follow-up/p/{p.pk}/", {"follow_up-method": "phone", "follow_up-reached": "yes", "follow_up-settled": "no"}
    )
    assert response.status_code == 400 and not FollowUp.objects.exists()
    response = client_for(org.u_supervisor).post(
        f"/follow-up/p/{p.pk}/",
        {
            "follow_up-method": "visit",
            "follow_up-reached": "yes",
            "follow_up-settled": "no",
            "follow_up-notes": "信访人称问题未解决",
        },
    )
    assert response.status_code == 302
    page = client_for(org.u_supervisor).get(f"/follow-up/p/{p.pk}/").content.decode()
    assert "县人力资源和社会保障局存在假化解问题" in page and "重新督办" in page
    findings = client_for(org.u_supervisor).get("/follow-up/findings/").content.decode()
    assert p.query_code in findings


# ---------------------------------------------------------------- for the assessment


def test_findings_per_unit_and_month(org):
    a, b, c = concluded(org), concluded(org), concluded(org)
    jan, feb = timezone.make_aware(dt.datetime(2026, 1, 15, 10)), timezone.make_aware(dt.datetime(2026, 2, 3, 10))
    for p, when in ((a, jan), (b, jan), (c, feb)):
        record(org, p, settled=False, at=when)
    rows = selectors.findings_per_unit_month(dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert rows == [(org.hrss.pk, dt.date(2026, 1, 1), 2), (org.hrss.pk, dt.date(2026, 2, 1), 1)]
    assert selectors.findings_per_unit_month(dt.date(2026, 2, 1), dt.date(2026, 2, 28), units=[org.town_a.pk]) == []
    assert selectors.follow_up_counts_per_unit_month(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == [
        (org.hrss.pk, dt.date(2026, 1, 1), 2, 0)
    ]
