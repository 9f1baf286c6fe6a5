"""The ranking page (and its Excel export), the explanation page and the rectification plan pages:
who may see them, Chinese first, and a fixed number of queries whatever the number of units."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import D, staff_login, unit_make, user_make
from xinfang.assessment import services
from xinfang.assessment.aggregates import unit_months_score
from xinfang.assessment.models import PlanState, RectificationPlan, Rule, RuleFiring, UnitMonth
from xinfang.org.models import Role, UnitKind

JAN, FEB = D(2026, 1, 1), D(2026, 2, 1)
TODAY = D(2026, 6, 1)


def towns_with_months(org, n: int, months=(JAN,)) -> list:
    units = [
        unit_make(f"排名{i}镇人民政府", UnitKind.TOWNSHIP_OFFICE, org.regions["county"], org.units["county_gov"])
        for i in range(n)
    ]
    for month in months:
        UnitMonth.objects.bulk_create(
            UnitMonth(
                month=month,
                unit=u,
                received=10,
                accept_on_time=10 - i % 5,
                accept_late=i % 5,
                concluded=5,
                resolved=4,
                evaluated=3,
                satisfied=2,
            )
            for i, u in enumerate(units)
        )
        unit_months_score(month)  # as every rebuild does
    return units


def queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("published", [False, True])
def test_ranking_page_queries_do_not_grow_with_the_units(org, client, published):
    staff_login(client, org.users["leader"])
    counts = []
    for n in (5, 40):
        UnitMonth.objects.all().delete()
        RuleFiring.objects.all().delete()
        from xinfang.assessment.models import MonthClose, MonthRank

        MonthClose.objects.all().delete()
        MonthRank.objects.all().delete()
        towns_with_months(org, n, months=(JAN, FEB))
        if published:
            services.month_close(JAN, today=TODAY, rebuild=False)
            services.month_close(FEB, today=TODAY, rebuild=False)
        count, response = queries(client, "/assessment/ranking/?month=2026-02")
        assert response.content.decode().count('class="rank-') >= 3
        counts.append(count)
    assert counts[0] == counts[1] <= 10


def test_ranking_page_is_chinese_first_and_for_leaders_supervisors_and_bureau_staff(org, client):
    towns_with_months(org, 6)
    for key in ("leader", "supervisor", "bureau_staff"):
        staff_login(client, org.users[key])
        page = client.get("/assessment/ranking/?month=2026-01").content.decode()
        assert "月度排名" in page and "排名0镇人民政府" in page
    staff_login(client, org.user("town_a", Role.HANDLER))
    assert client.get("/assessment/ranking/?month=2026-01").status_code == 403
    assert client.get("/assessment/ranking/?month=2026-13").status_code in (403, 404)


def test_ranking_exports_to_excel(org, client):
    from openpyxl import load_workbook

    towns_with_months(org, 6)
    staff_login(client, org.users["leader"])
    response = client.get("/assessment/ranking/export.xlsx?month=2026-01")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[0][:3] == ("名次", "责任单位", "得分")
    assert len(rows) == 7 and rows[1][0] == 1


def test_explanation_page_lists_each_indicator(org, client):
    units = towns_with_months(org, 6)
    own = user_make(units[1], Role.HANDLER, "own_handler")
    staff_login(client, own)
    page = client.get(f"/assessment/unit/{units[1].pk}/2026-01/").content.decode()
    for words in ("及时受理率", "分子", "分母", "权重", "得分", "9", "10"):
        assert words in page
    assert client.get(f"/assessment/unit/{units[2].pk}/2026-01/").status_code == 403
    staff_login(client, org.users["supervisor"])
    assert client.get(f"/assessment/unit/{units[2].pk}/2026-01/").status_code == 200


def test_rectification_pages_submit_approve(org, client):
    units = towns_with_months(org, 8, months=(JAN, FEB))
    services.month_close(JAN, today=TODAY, rebuild=False)
    services.month_close(FEB, today=TODAY, rebuild=False)
    firing = RuleFiring.objects.filter(month=FEB, rule=Rule.RECTIFICATION).first()
    assert firing is not None
    head = user_make(firing.unit, Role.UNIT_HEAD, "named_head")
    staff_login(client, head)
    assert firing.unit.name in client.get("/assessment/rectification/").content.decode()
    page = client.get(f"/assessment/rectification/{firing.pk}/").content.decode()
    assert "限期整改" in page and 'name="text"' in page
    response = client.post(f"/assessment/rectification/{firing.pk}/", {"action": "submit", "text": "整改措施"})
    assert response.status_code == 302
    docx = client.get(f"/assessment/rectification/{firing.pk}/notice.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    staff_login(client, org.users["leader"])
    page = client.get(f"/assessment/rectification/{firing.pk}/").content.decode()
    assert 'value="approve"' in page
    client.post(f"/assessment/rectification/{firing.pk}/", {"action": "approve", "note": "同意"})
    assert RectificationPlan.objects.get(firing=firing).state == PlanState.APPROVED
    other = user_make(units[0] if units[0] != firing.unit else units[1], Role.HANDLER, "other_town")
    staff_login(client, other)
    assert client.get(f"/assessment/rectification/{firing.pk}/").status_code == 404


def test_regions_page(org, client):
    from tests.conftest import at, register
    from xinfang.assessment.aggregates import aggregates_rebuild

    register(org, on=at(2026, 1, 5), region=org.regions["village_a"])
    aggregates_rebuild(JAN, today=TODAY)
    staff_login(client, org.users["bureau_staff"])
    page = client.get("/assessment/regions/?month=2026-01").content.decode()
    assert "青石镇" in page
