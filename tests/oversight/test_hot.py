"""Hot issues (热点问题): grouping by text, place and period; the stored build; the page shows only what the
user may see, in a fixed number of queries; a group can be put under supervision."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import TZ, act, register, staff_login
from tests.support.hot import END, MIXER, START
from xinfang.org.models import Role
from xinfang.oversight import hot
from xinfang.oversight.models import HotIssue, HotIssueMember, Supervision
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Event, Petitioner

pytestmark = pytest.mark.django_db

OTHERS = [
    ("学校乱收费", "某中学以资料费名义向每名学生收取三百元，家长意见很大，请教育部门查处。"),
    ("公交线路调整建议", "建议增开从高铁站到城区的夜间公交线路，方便旅客出行。"),
    ("拖欠工资", "某建筑公司拖欠农民工工资三个月，多次讨要无果，请求督促支付。"),
]


def item(key, text, day: int, *, people=(), place="village", bucket=0) -> hot.Item:
    return hot.Item(key, text[0], text[1], START + dt.timedelta(days=day), place, tuple(people), bucket)


def test_one_problem_told_by_several_people_is_one_group(db):
    items = [
        item(f"m{n}", t, 20 + n, people=[f"p{n}"], place="village" if n % 2 else "town") for n, t in enumerate(MIXER)
    ]
    items += [item(f"o{n}", t, 3 + n, people=[f"q{n}"]) for n, t in enumerate(OTHERS)]
    groups = hot.hot_groups(items, period=(START, END))
    assert len(groups) == 1
    g = groups[0]
    assert sorted(items[i].key for i in g.members) == ["m0", "m1", "m2", "m3"]
    assert (g.size, g.petitioners, g.places, g.growth) == (4, 4, 2, 4)  # all in the later half
    assert g.score == 4 + 0 + 2 * 1 + 0.5 * 4
    assert "搅拌站" in g.keywords and g.closeness == sorted(g.closeness, reverse=True)


def test_one_person_writing_again_is_not_a_hot_issue_and_counties_are_apart(db):
    same_person = [item(f"m{n}", t, n, people=["p"]) for n, t in enumerate(MIXER)]
    assert hot.hot_groups(same_person, period=(START, END)) == []
    # the same words in two counties: two places, not one group across them
    split = [item(f"m{n}", t, n, people=[f"p{n}"], bucket=n // 2) for n, t in enumerate(MIXER)]
    assert hot.hot_groups(split, period=(START, END)) == []
    together = [item(f"m{n}", t, n, people=[f"p{n}"]) for n, t in enumerate(MIXER)]
    assert len(hot.hot_groups(together, period=(START, END))) == 1
    both = together + [item(f"x{n}", t, n, people=[f"x{n}"], bucket=1) for n, t in enumerate(MIXER)]
    both += [item(f"o{n}", t, n, people=[f"q{n}"], bucket=n % 2) for n, t in enumerate(OTHERS)]
    assert sorted(g.bucket for g in hot.hot_groups(both, period=(START, END))) == [0, 1]


def test_growth_and_spread_rank_the_groups(db):
    early = [item(f"e{n}", t, n, people=[f"e{n}"]) for n, t in enumerate(MIXER[:3])]
    wages = [("拖欠农民工工资", f"幸福家园工地包工头拖欠{n + 10}名农民工工资三个月，多次讨要无果。") for n in range(4)]
    late = [item(f"w{n}", t, 25, people=[f"w{n}"], place=f"village{n}") for n, t in enumerate(wages)]
    groups = hot.hot_groups(early + late, period=(START, END))
    assert [g.size for g in groups] == [4, 3]  # the growing, widespread group first
    assert (groups[0].places, groups[0].growth, groups[1].places, groups[1].growth) == (4, 4, 1, -3)


# ---------------------------------------------------------------- the build and the page


def petition(org, text, day: int, *, actor="clerk", region="village_a", name=None):
    on = dt.datetime(2026, 3, day, 9, tzinfo=TZ)
    people = [Petitioner(name=name)] if name else []
    return register(
        org,
        on=on,
        actor=org.users[actor],
        region=org.regions[region],
        title=text[0],
        content=text[1],
        received_at=on,
        petitioners=people,
    )


def build(until=dt.date(2026, 3, 31), days=30, hour=8):
    return hot.hot_issues_build(until=until, days=days, at=dt.datetime(2026, 4, 1, hour, tzinfo=TZ))


def test_the_build_stores_the_groups_of_its_period_only(org):
    a = [petition(org, t, 10 + n, name=f"甲{n}") for n, t in enumerate(MIXER[:3])]
    petition(org, MIXER[3], 1, name="乙")  # before the period
    petition(org, OTHERS[0], 12, name="丙")
    result = build(until=dt.date(2026, 3, 31), days=25)
    assert (result.petitions, result.groups, result.kept) == (4, 1, 1)
    issue = HotIssue.objects.get()
    assert (issue.size, issue.petitioners, issue.period_start, issue.period_end) == (
        3,
        3,
        dt.date(2026, 3, 7),
        dt.date(2026, 3, 31),
    )
    assert issue.region == org.regions["county"]  # the county is the place; its villages the sub-places
    assert set(HotIssueMember.objects.values_list("petition_id", flat=True)) == {p.pk for p in a}


def test_hot_issues_build_command(org):
    for n, t in enumerate(MIXER):
        petition(org, t, 5 + n, name=f"甲{n}")
    out = StringIO()
    call_command("hot_issues_build", "--until", "2026-03-31", "--days", "30", stdout=out)
    assert "发现 1 个热点问题" in out.getvalue() and "4 件 4 人" in out.getvalue()


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


@pytest.fixture
def mixed(org):
    """One hot issue: two petitions registered by 青石镇 (丰收村), two by 柳河镇 (新民村)."""
    ours = [petition(org, MIXER[n], 10 + n, actor="town_a_clerk", name=f"甲{n}") for n in (0, 1)]
    theirs = [petition(org, MIXER[n], 12 + n, actor="town_b_clerk", region="village_b", name=f"乙{n}") for n in (2, 3)]
    build()
    return ours, theirs


def test_a_township_sees_only_its_own_petitions_of_a_group(org, mixed):
    ours, theirs = mixed
    issue = HotIssue.objects.get()
    for url in ("/hot/", f"/hot/{issue.pk}/"):
        page = client_for(org.users["town_a_clerk"]).get(url).content.decode()
        assert all(p.query_code in page for p in ours)
        assert not any(p.query_code in page or p.title in page for p in theirs)
        assert "您可见 2 件，共 4 件" in page
    bureau = client_for(org.users["bureau_staff"]).get(f"/hot/{issue.pk}/").content.decode()
    assert all(p.query_code in bureau for p in ours + theirs)
    # a unit that sees none of them: no group, and the group's page is not found
    assert "搅拌站" not in client_for(org.user("land", Role.HANDLER)).get("/hot/").content.decode()
    assert client_for(org.user("land", Role.HANDLER)).get(f"/hot/{issue.pk}/").status_code == 404


def test_the_page_costs_the_same_queries_for_more_groups(org, django_assert_max_num_queries):
    for n, t in enumerate(MIXER):
        petition(org, t, 5 + n, name=f"甲{n}")
    build()
    c = client_for(org.users["bureau_staff"])
    # the session, the user, the latest build's groups, their visible petitions' ids, the petitions shown
    with django_assert_max_num_queries(5) as few:
        assert c.get("/hot/").status_code == 200
    wages = [("拖欠农民工工资", f"幸福家园工地包工头拖欠{n + 10}名农民工工资三个月，多次讨要无果。") for n in range(4)]
    fees = [
        ("学校乱收费", f"某中学以资料费名义向每名学生收取{n + 2}百元，家长意见很大，请教育部门查处。") for n in range(3)
    ]
    for n, t in enumerate(wages + fees):
        petition(org, t, 1 + n, region="village_b", name=f"丙{n}")
    assert len(build(hour=9).issues) == 3  # the page shows this later build only
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = c.get("/hot/").content.decode()
    assert page.count('class="hot-members"') == 3
    # the session, the user, the group, one page of its visible petitions (with their places and units)
    with django_assert_max_num_queries(4):
        assert c.get(f"/hot/{HotIssue.objects.order_by('-score').first().pk}/").status_code == 200


# ---------------------------------------------------------------- a group under supervision


def test_a_group_is_put_under_supervision_through_the_petition_chosen(org, mixed):
    ours, theirs = mixed
    issue = HotIssue.objects.get()
    chosen = theirs[0]
    s = hot.hot_issue_supervise(
        issue,
        actor=org.users["supervisor"],
        petition=chosen,
        mode="on_site",
        requirement="十日内报告搅拌站整改情况",
        note="群众反映集中。",
        answer_due_on=timezone.localdate() + dt.timedelta(days=10),
    )
    issue.refresh_from_db()
    assert issue.supervision == s and s.petition == chosen and s.is_open
    assert (
        f"热点问题（第{issue.pk}号）" in s.reason and "共4件，4人" in s.reason and s.reason.endswith("群众反映集中。")
    )
    assert not any(p.title in s.reason for p in ours)  # the supervised unit may not see the others
    assert Event.objects.filter(petition=chosen, action="supervise").count() == 1
    with pytest.raises(WorkflowError, match="该热点问题已在督办中"):
        hot.hot_issue_supervise(
            issue,
            actor=org.users["supervisor"],
            petition=ours[0],
            mode="online",
            requirement="报告",
            answer_due_on=timezone.localdate(),
        )
    assert Supervision.objects.count() == 1


def test_who_may_put_a_group_under_supervision(org, mixed):
    ours, _theirs = mixed
    issue = HotIssue.objects.get()
    due = timezone.localdate() + dt.timedelta(days=5)
    with pytest.raises(WorkflowError, match="不能督办"):
        hot.hot_issue_supervise(
            issue,
            actor=org.users["town_a_clerk"],
            petition=ours[0],
            mode="online",
            requirement="报告",
            answer_due_on=due,
        )
    outsider = register(org, on=dt.datetime(2026, 3, 20, 9, tzinfo=TZ), title="其他事项", content="与本问题无关。")
    with pytest.raises(WorkflowError, match="不属于该热点问题"):
        hot.hot_issue_supervise(
            issue,
            actor=org.users["supervisor"],
            petition=outsider,
            mode="online",
            requirement="报告",
            answer_due_on=due,
        )
    assert not Supervision.objects.exists()


def test_the_page_puts_a_group_under_supervision(org, mixed):
    ours, theirs = mixed
    issue = HotIssue.objects.get()
    c = client_for(org.users["supervisor"])
    page = c.get(f"/hot/{issue.pk}/").content.decode()
    assert f'action="/hot/{issue.pk}/supervise/"' in page
    # a closed petition cannot stand for the group: it is not offered
    act(
        org,
        "decline",
        ours[0],
        org.users["town_a_clerk"],
        dt.datetime(2026, 3, 21, 9, tzinfo=TZ),
        reason="not_competent",
    )
    page = c.get(f"/hot/{issue.pk}/").content.decode()
    assert f'value="{ours[0].pk}"' not in page and f'value="{theirs[0].pk}"' in page
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = c.post(
        f"/hot/{issue.pk}/supervise/",
        {
            "supervise-petition": str(theirs[1].pk),
            "supervise-mode": "joint",
            "supervise-reason": "",
            "supervise-requirement": "联合住建、环保部门现场核查",
            "supervise-answer_due_on": due,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/p/{theirs[1].pk}/"
    assert HotIssue.objects.get().supervision.petition == theirs[1]
    page = c.get(f"/hot/{issue.pk}/").content.decode()
    assert f'action="/hot/{issue.pk}/supervise/"' not in page and "督办中" in page
    # a clerk sees no form, and a POST is refused in Chinese
    clerk = client_for(org.users["town_a_clerk"])
    assert 'supervise/"' not in clerk.get(f"/hot/{issue.pk}/").content.decode()
    refused = clerk.post(
        f"/hot/{issue.pk}/supervise/",
        {
            "supervise-petition": str(ours[1].pk),
            "supervise-mode": "online",
            "supervise-requirement": "报告",
            "supervise-answer_due_on": due,
        },
    )
    assert refused.status_code == 400 and Supervision.objects.count() == 1


# ---------------------------------------------------------------- hot_issues_evaluate


def test_hot_issues_evaluate_compares_with_other_groups(db, tmp_path):
    messages, groups = tmp_path / "messages.csv", tmp_path / "groups.csv"
    with messages.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"])
        for n, (title, content) in enumerate(MIXER + OTHERS):
            w.writerow([100 + n, f"U{n}", title, f"2019/5/{n + 1} 10:00:00", f"A2区{content}", 0, 0])
    with groups.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["问题ID", "留言编号"])
        w.writerows([["1", 100], ["1", 101], ["1", 102], ["1", 103], ["2", 104], ["2", 105]])
    out = StringIO()
    call_command("hot_issues_evaluate", "--csv", str(messages), "--groups", str(groups), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert any(line.startswith("#1 4 件 4 人") for line in lines)
    result = json.loads(lines[-1])
    assert result["groups_found"] == 1 and result["top"][0]["size"] == 4
    assert [(w["weak_group"], w["jaccard"]) for w in result["weak"]] == [("1", 1.0), ("2", 0.0)]
    assert result["mean_jaccard"] == 0.5 and result["threshold"] == hot.THRESHOLD
