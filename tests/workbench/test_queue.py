"""Work queues for every role: scopes, tabs, filters, capped counts, export, and a fixed query count."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.workbench import accepted_by_town_a, client_for, make_org, queue_codes, register
from xinfang.org.models import Role, User
from xinfang.oversight import services as oversight
from xinfang.petitions import registration, selectors, services
from xinfang.petitions.models import Category, Channel, Kind, State
from xinfang.workbench import selectors as queues
from xinfang.workbench import views as workbench_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    org = make_org()
    org["leader"] = User.objects.create(username="leader", role=Role.LEADER, unit=org["gov"])
    org["supervisor"] = User.objects.create(username="supervisor", role=Role.SUPERVISOR, unit=org["bureau"])
    return org


def codes(user, **params) -> list[str]:
    return queue_codes(client_for(user).get("/queue/", params).content.decode())


def test_each_queue_holds_what_the_unit_owns(org):
    mine = accepted_by_town_a(org, title="甲镇办理")
    theirs = register(org, actor=org["handler_b"], title="乙镇登记", region=org["village_b"])
    assert codes(org["handler_a"]) == [mine.query_code]
    assert codes(org["handler_b"]) == [theirs.query_code]
    assert codes(org["leader"]) == []  # the county government owns nothing yet


def test_a_supervisors_supervised_tab_holds_what_they_supervise(org):
    p = accepted_by_town_a(org)
    assert codes(org["supervisor"], tab="supervised") == []
    oversight.supervision_open(
        p, actor=org["supervisor"], mode="online", reason="关注", requirement="报告", answer_due_on=timezone.localdate()
    )
    assert codes(org["supervisor"], tab="supervised") == [p.query_code]
    assert codes(org["handler_a"], tab="supervised") == [p.query_code]
    assert codes(org["handler_b"], tab="supervised") == []
    counts = queues.queue_tab_counts(org["supervisor"], timezone.localdate())
    assert counts["supervised"] == 1 and counts["open"] == 0


def test_owned_list_is_the_visibility_rule_narrowed_to_the_owner(org):
    """petition_owned_list_for writes the rule differently for speed: it must agree with it."""
    from xinfang.org.models import User as U

    accused_official = U.objects.create(username="official", role=Role.HANDLER, unit=org["office_b"])
    accepted_by_town_a(org)
    register(org, actor=org["handler_b"], region=org["village_b"])
    for accused in ({"accused_user": accused_official}, {"accused_name": "某某"}, {"accused_unit": org["office_a"]}):
        registration.petition_register(
            actor=org["clerk"],
            channel="letter",
            kind=Kind.ACCUSATION,
            region=org["village_b"],
            title="检举",
            content="检举某干部。",
            **accused,
        )
    # the accused official later moves to the unit that owns an accusation against them
    accused_official.unit = org["bureau"]
    accused_official.save()
    for user in U.objects.all():
        if user.unit_id is None:
            continue
        rule = set(selectors.petition_list_for(user).filter(owner_unit_id=user.unit_id).values_list("pk", flat=True))
        fast = set(selectors.petition_owned_list_for(user).values_list("pk", flat=True))
        assert rule == fast, user.username


def test_tabs_follow_the_states(org):
    accept = register(org, actor=org["handler_a"], title="待受理")
    handle = accepted_by_town_a(org, title="待办理")
    decided = accepted_by_town_a(org, title="待结案")
    services.petition_decide(decided, actor=org["handler_a"], outcome="support", measure="resolved", text="已解决。")
    declined = register(org, actor=org["handler_a"], title="已不予受理")
    services.petition_decline(declined, actor=org["handler_a"], reason="not_petition")
    supervised = accepted_by_town_a(org, title="督办件")
    oversight.supervision_open(
        supervised,
        actor=org["supervisor"],
        mode="online",
        reason="群众反映强烈",
        requirement="七日内报告办理进展",
        answer_due_on=timezone.localdate(),
    )
    user = org["handler_a"]
    assert codes(user, tab="accept") == [accept.query_code]
    assert set(codes(user, tab="handle")) == {handle.query_code, supervised.query_code}
    assert codes(user, tab="close") == [decided.query_code]
    assert codes(user, tab="supervised") == [supervised.query_code]
    assert codes(user, tab="concluded") == [declined.query_code]
    assert declined.query_code not in codes(user)  # "all open" leaves out what is concluded
    counts = queues.queue_tab_counts(user, timezone.localdate())
    assert counts == {
        "open": 4,
        "accept": 1,
        "handle": 2,
        "answer": 0,
        "close": 1,
        "soon": 0,
        "overdue": 0,
        "supervised": 1,
    }


def test_answer_tab_holds_review_requests_for_the_higher_unit(org):
    head_gov = User.objects.create(username="head_gov", role=Role.HANDLER, unit=org["gov"])
    p = accepted_by_town_a(org)
    services.petition_decide(p, actor=org["handler_a"], outcome="explain", measure="explained", text="已解释。")
    services.petition_request_review(p, actor=org["clerk"])
    assert codes(head_gov, tab="answer") == [p.query_code]
    assert codes(org["handler_a"], tab="answer") == []


def test_category_filter_takes_the_subtree(org):
    top = Category.objects.get(level=1, name="劳动和社会保障")
    leaf = Category.objects.filter(path__startswith=top.path + "/", level=3).first()
    other = Category.objects.exclude(path__startswith=top.path).filter(level=3).first()
    inside = register(org, actor=org["handler_a"], title="工资")
    outside = register(org, actor=org["handler_a"], title="道路")
    type(inside).objects.filter(pk=inside.pk).update(category=leaf)
    type(outside).objects.filter(pk=outside.pk).update(category=other)
    assert codes(org["handler_a"], category=top.pk) == [inside.query_code]
    assert codes(org["handler_a"], category=leaf.parent_id) == [inside.query_code]


def test_filters_and_page_numbers_that_make_no_sense_are_ignored(org):
    p = register(org, actor=org["handler_a"])
    for params in (
        {"sort": "bogus"},
        {"page": "abc"},
        {"page": "999"},
        {"tab": "nope"},
        {"category": "x"},
        {"received_from": "yesterday"},
    ):
        assert codes(org["handler_a"], **params) == [p.query_code], params


def test_long_lists_are_counted_up_to_a_cap(org, monkeypatch):
    monkeypatch.setattr(queues, "QUEUE_COUNT_CAP", 3)
    made = [register(org, actor=org["handler_a"], title=f"件{i}", channel=Channel.LETTER) for i in range(5)]
    c = client_for(org["handler_a"])
    page = c.get("/queue/").content.decode()
    assert "超过 3 件" in page
    # pages still work up to the cap (50 a page here: all 5 rows are on the first)
    assert sorted(queue_codes(page)) == sorted(p.query_code for p in made)
    q = queues.petition_queue_for(org["handler_a"], queues.QueueQuery(), timezone.localdate())
    first = queues.queue_page(q, "due", 1, per_page=2)
    assert (first.count, first.capped, first.num_pages, len(first.rows)) == (3, True, 2, 2)


def test_a_search_is_counted_to_its_own_lower_cap(org, monkeypatch):
    monkeypatch.setattr(queues, "QUEUE_COUNT_CAP", 10)
    monkeypatch.setattr(workbench_views, "SEARCH_COUNT_CAP", 2)
    made = [register(org, actor=org["handler_a"], title=f"拖欠工资{i}", channel=Channel.LETTER) for i in range(3)]
    c = client_for(org["handler_a"])
    searched = c.get("/queue/", {"q": "工资"}).content.decode()
    assert "超过 2 件" in searched
    assert sorted(queue_codes(searched)) == sorted(p.query_code for p in made)  # every match is still listed
    assert "共3件" in c.get("/queue/").content.decode()  # without words: the queue's own cap


def test_export_follows_the_tab_and_cuts_long_lists(org, monkeypatch):
    from openpyxl import load_workbook

    from xinfang.lib import xlsx

    for i in range(3):
        register(org, actor=org["handler_a"], title=f"来信{i}", channel=Channel.LETTER)
    accepted_by_town_a(org, title="办理中")
    monkeypatch.setattr(xlsx, "EXPORT_MAX_ROWS", 2)
    response = client_for(org["handler_a"]).get("/queue/export.xlsx", {"tab": "accept"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "查询码"
    assert len(rows) == 1 + 2 + 1 and "只导出了前 2 行" in rows[-1][0]


def queries(user, url: str) -> int:
    c = client_for(user)
    c.get(url)  # load the in-memory tables (units, regions, categories)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


URLS = [
    "/queue/?tab=open",
    "/queue/?tab=accept&sort=priority",
    "/queue/?tab=handle&sort=received",
    "/queue/?tab=supervised",
    "/queue/?tab=concluded",
    "/queue/?tab=overdue&channel=visit&kind=claim",
    "/queue/?tab=open&q=积水",
    "/",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("who", ["handler_a", "supervisor"])
def test_every_queue_costs_the_same_few_queries_whatever_the_volume(org, url, who):
    def add(n: int) -> None:
        for i in range(n):
            p = accepted_by_town_a(org, title=f"件{i}") if i % 3 == 0 else register(org, actor=org["handler_a"])
            if i % 5 == 0:
                oversight.supervision_open(
                    p,
                    actor=org["supervisor"],
                    mode="online",
                    reason="关注",
                    requirement="报告",
                    answer_due_on=timezone.localdate(),
                )
            if i % 7 == 1 and p.state == State.REGISTERED:
                services.petition_decline(p, actor=org["handler_a"], reason="not_petition")

    add(5)
    few = queries(org[who], url)
    add(45)
    many = queries(org[who], url)
    assert few == many <= 10, (few, many)


def test_the_concluded_tab_index_holds_the_concluded_states():
    """The partial index of the "concluded" tab (petition_unit_concluded_idx) serves it only while its
    condition names exactly the states the tab shows."""
    from xinfang.petitions.models import CONCLUDED_STATES
    from xinfang.petitions.workflow import TERMINAL

    assert set(CONCLUDED_STATES) == set(TERMINAL)


def test_the_open_queue_index_holds_the_open_states_as_the_queues_name_them():
    """The partial index of the open tabs (petition_open_queue_idx) serves them only while its condition
    is the queries' own: the same states, in the same order."""
    from xinfang.petitions.models import OPEN_STATES_SORTED
    from xinfang.petitions.workflow import OPEN_STATES
    from xinfang.workbench.selectors import OPEN

    assert OPEN == OPEN_STATES_SORTED == tuple(sorted(OPEN_STATES))
