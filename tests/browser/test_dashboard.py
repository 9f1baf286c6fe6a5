"""The leaders' dashboard in chromium at 1366×768: every chart is drawn (a canvas each) by the static
script from the JSON data block under the site's CSP (no inline script, no violation), nothing comes from
outside, and a click on a chart opens the work queue listing that slice's petitions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.petitions import registration
from xinfang.petitions.models import Channel, Kind

from .conftest import sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_charts_render_and_a_click_drills_down(desk, org):
    now = timezone.now()
    codes = set()
    for i in range(3):  # letters only: the channel chart is one ring, whatever part of it is clicked
        p = registration.petition_register(
            actor=org["clerk"],
            channel=Channel.LETTER,
            kind=Kind.SUGGESTION,
            region=org["village_a"],
            title=f"路灯不亮{i}",
            content="路灯不亮。",
            at=now - dt.timedelta(minutes=10 + i),
        )
        codes.add(p.query_code)
    aggregates_rebuild(timezone.localdate().replace(day=1))

    page = desk.login("staff")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("领导驾驶舱")
    charts = page.locator("[data-chart]")
    count = charts.count()
    assert count >= 5
    for i in range(count):
        expect(charts.nth(i).locator("canvas")).to_have_count(1)
    assert page.evaluate("() => document.querySelectorAll('[data-drawn]').length") == count
    desk.fits(page)
    desk.screenshot(page, "dashboard")
    assert violations == []

    ring = page.locator("#chart-channel")
    box = ring.bounding_box()
    radius = min(box["width"], box["height"]) / 2
    ring.click(position={"x": box["width"] * 0.4 + radius * 0.52, "y": box["height"] / 2})
    page.wait_for_url("**/queue/**")
    assert "channel=letter" in page.url and "area=True" in page.url
    listed = set(page.locator("td.mono a").all_inner_texts())
    assert listed == codes
    desk.screenshot(page, "dashboard-drill")
