"""The leaders' dashboard (/dashboard/): its figures come from the pre-aggregated facts, each chart's
points link to the work queue listing exactly their petitions, the page is drawn by a static script
from a JSON data block (no inline script), and its cost is a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import D, at, path_to, register, staff_login
from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.dashboard import Period, dashboard_for, period_parse
from xinfang.petitions import registration
from xinfang.petitions.models import Category, Channel, Kind, Petition

MARCH = "/dashboard/?period=month&month=2026-03"


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def _march(org) -> dict[str, Petition]:
    """In 示范县, March 2026: two visits in 青石镇 (category A), a letter in 柳河镇 (no category); one
    evaluated as dissatisfied; in 邻县 a visit."""
    top = Category.objects.filter(level=1).order_by("pk")
    leaf = Category.objects.filter(parent__parent=top[0]).first()
    p = {
        "visit1": register(org, on=at(2026, 3, 9, 9), category=leaf),
        "visit2": register(org, on=at(2026, 3, 10, 9), category=leaf, headcount=6),
        "letter": registration.petition_register(
            actor=org.users["clerk"],
            channel=Channel.LETTER,
            kind=Kind.SUGGESTION,
            region=org.regions["village_b"],
            title="路灯",
            content="路灯不亮。",
            at=at(2026, 3, 11),
        ),
        "other": registration.petition_register(
            actor=org.users["other_bureau_staff"],
            channel=Channel.VISIT,
            kind=Kind.SUGGESTION,
            region=org.regions["other_county"],
            title="桥",
            content="桥坏了。",
            at=at(2026, 3, 9),
        ),
    }
    p["rated"], _day = path_to(org, "evaluated", start=D(2026, 3, 2))
    from xinfang.petitions.models import Evaluation

    Evaluation.objects.filter(petition=p["rated"]).update(satisfaction="dissatisfied")
    aggregates_rebuild(D(2026, 3, 1), today=D(2026, 4, 1))
    return p


def _chart(page: str, chart_id: str) -> dict:
    data = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(data.group(1))[chart_id]


def _codes_listed(client: Client, link: str) -> set[str]:
    page = client.get(link).content.decode()
    return set(re.findall(r'<td class="mono"><a href="/p/\d+/">([A-Z0-9]+)</a>', page))


def test_who_may_see_it(org):
    for key in ("leader", "bureau_staff", "supervisor", "admin", "city_bureau_staff"):
        assert client_for(org.users[key]).get("/dashboard/").status_code == 200, key
    assert client_for(org.user("town_a", "handler")).get("/dashboard/").status_code == 403
    assert client_for(org.users["clerk"]).get("/dashboard/").status_code == 403


def test_the_figures_are_the_areas_and_each_point_lists_its_petitions(org):
    p = _march(org)
    staff = client_for(org.users["bureau_staff"])
    page = staff.get(MARCH).content.decode()
    channel = _chart(page, "channel")
    assert dict(zip(channel["labels"], channel["series"][0]["values"], strict=True)) == {"来访": 3, "来信": 1}
    visits = channel["series"][0]["links"][channel["labels"].index("来访")]
    assert _codes_listed(staff, visits) == {p[k].query_code for k in ("visit1", "visit2", "rated")}
    place = _chart(page, "place")
    assert dict(zip(place["labels"], place["series"][0]["values"], strict=True)) == {"青石镇": 3, "柳河镇": 1}
    town_b = place["series"][0]["links"][place["labels"].index("柳河镇")]
    assert _codes_listed(staff, town_b) == {p["letter"].query_code}
    category = _chart(page, "category")
    first = Category.objects.filter(level=1).order_by("pk").first().name
    assert category["series"][0]["values"][category["labels"].index(first)] == 2
    link = category["series"][0]["links"][category["labels"].index(first)]
    assert _codes_listed(staff, link) == {p["visit1"].query_code, p["visit2"].query_code}
    time = _chart(page, "time")
    assert len(time["labels"]) == 31 and sum(time["series"][0]["values"]) == 4
    assert _codes_listed(staff, time["series"][0]["links"][8]) == {p["visit1"].query_code}  # 03-09
    satisfaction = _chart(page, "satisfaction")
    assert satisfaction["series"][0]["values"] == [0, 0, 1]
    assert _codes_listed(staff, satisfaction["series"][0]["links"][2]) == {p["rated"].query_code}
    assert p["other"].query_code not in page
    # 邻县's staff see 邻县's
    other = client_for(org.users["other_bureau_staff"]).get(MARCH).content.decode()
    assert sum(_chart(other, "channel")["series"][0]["values"]) == 1


def test_overdue_is_the_snapshot_at_the_periods_end_and_lists_the_overdue(org):
    p = _march(org)
    board = dashboard_for(org.users["bureau_staff"], Period("month", D(2026, 3, 1), D(2026, 3, 31)), D(2026, 4, 1))
    tiles = {t.key: (t.value, t.link) for t in board.tiles}
    assert board.overdue_as_of == D(2026, 3, 31)
    overdue = next(c for c in board.charts if c.id == "overdue")
    assert sum(overdue.series[0]["values"]) == int(tiles["overdue"][0]) > 0
    listed = _codes_listed(client_for(org.users["bureau_staff"]), tiles["overdue"][1])
    today = dt.date.today()
    assert listed == {
        x.query_code
        for x in Petition.objects.filter(pk__in=[v.pk for v in p.values()], due_on__lt=today).exclude(
            region=org.regions["other_county"]
        )
    }


def test_the_page_runs_no_inline_script_and_serves_echarts_itself(org):
    _march(org)
    page = client_for(org.users["leader"]).get(MARCH).content.decode()

    class Scripts(HTMLParser):
        found: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                self.found.append(dict(attrs))

    parser = Scripts()
    parser.feed(page)
    for attrs in parser.found:  # every script is a file of the site, or a JSON data block (never executed)
        assert attrs.get("src", "").startswith("/static/") or attrs.get("type") == "application/json", attrs
    assert any(a.get("src", "").endswith("assessment/vendor/echarts.min.js") for a in parser.found)
    assert 'id="dashboard-data" type="application/json"' in page
    assert "<style" not in page and "onclick" not in page and "http" not in re.sub(r'href="[^"]*"', "", page)


@pytest.mark.parametrize(
    ("params", "start", "end", "kind"),
    [
        ({"period": "month", "month": "2026-02"}, D(2026, 2, 1), D(2026, 2, 28), "month"),
        ({"period": "quarter", "quarter": "2026-Q4"}, D(2026, 10, 1), D(2026, 12, 31), "quarter"),
        ({"period": "custom", "from": "2026-01", "to": "2026-06"}, D(2026, 1, 1), D(2026, 6, 30), "custom"),
        # a full date stands for its month: the roll-ups hold whole months
        ({"period": "custom", "from": "2026-01-15", "to": "2026-06-20"}, D(2026, 1, 1), D(2026, 6, 30), "custom"),
        ({"period": "custom", "from": "2026-06", "to": "2026-01"}, D(2026, 3, 1), D(2026, 3, 31), "month"),
        ({"period": "custom", "from": "2024-01", "to": "2025-12"}, D(2024, 1, 1), D(2025, 12, 31), "custom"),
        ({"period": "custom", "from": "2024-01", "to": "2026-01"}, D(2026, 3, 1), D(2026, 3, 31), "month"),
        ({"period": "quarter", "quarter": "2026-Q5"}, D(2026, 3, 1), D(2026, 3, 31), "month"),
        ({}, D(2026, 3, 1), D(2026, 3, 31), "month"),
    ],
)
def test_period_picker(params, start, end, kind):
    p = period_parse(params, D(2026, 3, 20))
    assert (p.start, p.end, p.kind) == (start, end, kind)


def test_a_long_period_is_drawn_by_month(org):
    _march(org)
    page = (
        client_for(org.users["bureau_staff"]).get("/dashboard/?period=custom&from=2026-01&to=2026-06").content.decode()
    )
    time = _chart(page, "time")
    assert time["labels"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert time["series"][0]["values"][2] == 4


def test_chinese_first_english_available(org):
    _march(org)
    c = client_for(org.users["leader"])
    assert "领导驾驶舱" in c.get(MARCH).content.decode()
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Leaders' dashboard" in c.get(MARCH).content.decode()


def _count(client: Client) -> int:
    client.get(MARCH)  # the in-memory tables (categories, regions) loaded once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(MARCH).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_costs_the_same_few_queries_at_two_sizes(org):
    _march(org)
    leader = client_for(org.users["leader"])
    few = _count(leader)
    categories = list(Category.objects.filter(level=3)[:12])
    for i in range(40):
        registration.petition_register(
            actor=org.users["clerk"],
            channel=[Channel.WEB, Channel.PHONE, Channel.LETTER][i % 3],
            kind=Kind.SUGGESTION,
            region=org.regions["village_a" if i % 2 else "village_b"],
            category=categories[i % 12],
            title=f"事项{i}",
            content="内容。",
            at=at(2026, 3, 1 + i % 28),
        )
    aggregates_rebuild(D(2026, 3, 1), today=D(2026, 4, 1))
    many = _count(leader)
    assert few == many and many <= 10, (few, many)
    print(f"dashboard queries: {many}")


def test_accusations_against_the_viewer_are_not_counted(org):
    """An accusation against the leader's own unit (the county government) is not in the leader's
    figures (Art. 30), though it is in the bureau's."""
    registration.petition_register(
        actor=org.users["clerk"],
        channel=Channel.LETTER,
        kind=Kind.ACCUSATION,
        region=org.regions["village_a"],
        title="举报",
        content="举报县政府某人。",
        accused_unit=org.units["county_gov"],
        at=at(2026, 3, 12),
    )
    aggregates_rebuild(D(2026, 3, 1), today=D(2026, 4, 1))
    march = Period("month", D(2026, 3, 1), D(2026, 3, 31))
    staff = {t.key: t.value for t in dashboard_for(org.users["bureau_staff"], march, D(2026, 4, 1)).tiles}
    leader = {t.key: t.value for t in dashboard_for(org.users["leader"], march, D(2026, 4, 1)).tiles}
    assert staff["received"] == "1"
    assert leader["received"] == "0"
