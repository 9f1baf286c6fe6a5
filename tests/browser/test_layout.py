"""The main pages at the staff desktop size (1366×768): no horizontal scrolling, nothing fetched from
anywhere but the server itself (government intranets have no internet), Chinese by default and
English for a browser that asks for it. Each page is saved as a screenshot under the test's tmp path.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from xinfang.petitions import registration, services
from xinfang.petitions.models import Channel, Kind, Petitioner

from .conftest import PASSWORD, sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG_TITLE = "关于某村集体土地征收补偿款长期未发放到位、多次反映无果的问题请求尽快调查处理"


def petitions_of_town_a(org: dict) -> int:
    """A queue with some rows (one overdue, one with a long title) and one petition with a long history."""
    now = timezone.now()
    for i, (title, days_ago) in enumerate([(LONG_TITLE, 20), ("道路积水", 1), ("噪声扰民", 0)]):
        registration.petition_register(
            actor=org["handler_a"],
            channel=Channel.LETTER,
            kind=Kind.CLAIM,
            region=org["village_a"],
            title=title,
            content="村民反映的问题。" * 20,
            received_at=now - dt.timedelta(days=days_ago),
            priority=i % 3,
            petitioners=[Petitioner(name=f"王{i}", phone=f"1380000000{i}", address="甲一村3组")],
        )
    p = registration.petition_register(
        actor=org["clerk"],
        channel=Channel.VISIT,
        kind=Kind.CLAIM,
        region=org["village_a"],
        title=LONG_TITLE,
        content="反映内容。" * 60,
        petitioners=[Petitioner(name="赵六", phone="13700001111", id_number="")],
    )
    services.petition_assign(p, actor=org["staff"], to_unit=org["office_a"], report_days=30, note="请核实后报告。")
    services.petition_accept(p, actor=org["handler_a"])
    services.petition_extend(p, actor=org["head_a"], days=15, reason="涉及多个部门，需要联合调查核实补偿标准和发放记录")
    for i in range(3):
        services.petition_record_step(p, actor=org["handler_a"], note=f"第{i + 1}次走访，已与村委会核对名单。")
    return p.pk


def test_main_pages_fit_the_staff_desktop_and_load_nothing_from_outside(desk, org):
    pk = petitions_of_town_a(org)
    page = desk.context().new_page()
    pages = {}

    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录信访工作台")
    pages["login"] = page.url
    desk.fits(page)
    desk.screenshot(page, "login")
    page.get_by_label("用户名").fill("head_a")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    for name, path, heading in [
        ("home", "/", "今日工作"),
        ("register", "/register/", "登记信访事项"),
        ("queue", "/queue/", "待办事项"),
        ("petition", f"/p/{pk}/", LONG_TITLE),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.wait_for_load_state("networkidle")  # htmx and its partials too
        pages[name] = page.url
        desk.fits(page)
        desk.screenshot(page, name)

    assert len(pages) == 5
    requested = {u.split("?")[0] for u in desk.requests}
    assert any(u.endswith("/static/workbench/workbench.css") for u in requested)
    assert any(u.endswith("/static/workbench/vendor/htmx.min.js") for u in requested)
    assert desk.foreign_requests() == []


def test_pages_speak_english_to_an_english_browser(desk, org):
    page = desk.context(locale="en-US").new_page()
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the petition workbench")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("User name").fill("handler_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's work")
    expect(page.get_by_role("link", name="Work queue", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Register", exact=True)).to_be_visible()
    page.get_by_role("link", name="Work queue", exact=True).click()
    expect(page.get_by_role("link", name="to accept")).to_be_visible()
    expect(page.get_by_role("columnheader", name="query code")).to_be_visible()
    desk.screenshot(page, "queue-en")
    # and the same page in Chinese for a Chinese browser
    zh = desk.login("handler_a")
    zh.goto("/queue/")
    expect(zh.get_by_role("columnheader", name="查询码")).to_be_visible()
    expect(zh.locator("html")).to_have_attribute("lang", "zh-hans")
