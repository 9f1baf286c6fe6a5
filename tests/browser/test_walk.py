"""One petition walked through the real pages in chromium: registration at the desk, assignment by
the county petition bureau, acceptance, extension and decision in a township, the petitioner's
evaluation recorded by the clerk; what each role sees and cannot see along the way.

Selectors are what a person sees (labels, button and link names, headings), so that fields added to
the desk or the queue do not break them.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import pytest
from docx import Document
from pypdf import PdfReader

from xinfang.org import calendar
from xinfang.petitions.models import Deadline, Event, Petition, Satisfaction, State
from xinfang.petitions.services import query_code_display

from .conftest import sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def action(page: Page, label: str):
    """The form of one action on the petition page (a <details> whose summary is `label`), opened."""
    box = page.locator("details").filter(has=page.locator("summary").get_by_text(label, exact=True))
    expect(box).to_have_count(1)
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def offered(page: Page) -> list[str]:
    """The names of the actions the page offers now."""
    return [s.strip() for s in page.locator("details > summary").all_inner_texts()]


def confirm(page: Page, label: str, **fields: str) -> None:
    """Fill the action's fields by their labels (select options by their text) and confirm."""
    box = action(page, label)
    for field_label, value in fields.items():
        control = box.get_by_label(re.compile(rf"^{re.escape(field_label)}\s*\*?$"))  # * marks a required field
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    box.get_by_role("button", name=f"确认：{label}").click()
    expect(page.get_by_role("alert").filter(has_text=f"已完成：{label}。")).to_be_visible()


def open_by_query_code(page: Page, code: str) -> None:
    """The query-code box in the top bar, as read out on the phone (with a dash, lower case)."""
    box = page.get_by_role("search").get_by_label("查询码")
    box.fill(query_code_display(code).lower())
    box.press("Enter")
    expect(page.get_by_text(query_code_display(code), exact=True).first).to_be_visible()


def state(page: Page):
    """The state badge beside the petition's title."""
    return page.locator(".petition-head .state")


def timeline(page: Page) -> str:
    return page.get_by_role("heading", name="办理过程").locator("xpath=..").inner_text()


def deadlines_text(page: Page) -> str:
    return page.get_by_role("heading", name="期限", exact=True).locator("xpath=..").inner_text()


def test_one_petition_from_the_desk_to_the_evaluation(desk, org):
    # ------------------------------------------------ 1. the clerk registers a letter
    clerk = desk.login("clerk")
    clerk.get_by_role("link", name="登记", exact=True).click()
    expect(clerk.get_by_role("heading", name="登记信访事项")).to_be_visible()
    clerk.get_by_role("radio", name="来信", exact=True).check()
    clerk.get_by_role("radio", name="申诉求决类", exact=True).check()
    clerk.get_by_label("问题发生地").fill("甲镇 · 甲一村")
    clerk.get_by_label("标题").fill("拖欠工资三个月")
    clerk.get_by_label("反映内容").fill("某建筑公司拖欠本村农民工工资三个月，多次讨要未果。")
    clerk.get_by_label("信访人姓名").fill("李四")
    clerk.get_by_role("textbox", name="电话", exact=True).fill("13900001111")  # the channel 电话 is a radio
    clerk.get_by_role("button", name="登记并打印回执").click()

    receipt = clerk.get_by_role("region", name="回执")
    expect(receipt.get_by_role("heading", name="信访事项登记回执")).to_be_visible()
    p = Petition.objects.get()
    assert (p.channel, p.kind, p.state, p.owner_unit) == ("letter", "claim", State.REGISTERED, org["bureau"])
    assert p.region == org["village_a"] and list(p.petitioners.values_list("name", "phone")) == [
        ("李四", "13900001111")
    ]
    expect(receipt).to_contain_text(query_code_display(p.query_code))
    expect(receipt).to_contain_text("拖欠工资三个月")
    expect(state(clerk)).to_have_text("已登记")
    assert re.search(r"登记\s+已登记", timeline(clerk))
    assert "受理时限（登记后转送、交办）" in deadlines_text(clerk)
    desk.fits(clerk)
    desk.screenshot(clerk, "receipt")

    # ------------------------------------------------ 2. the bureau finds it by query code and assigns it
    staff = desk.login("staff")
    open_by_query_code(staff, p.query_code)
    expect(staff.get_by_role("heading", level=1, name="拖欠工资三个月")).to_be_visible()
    assert set(offered(staff)) >= {"受理", "交办", "转送", "不予受理"}
    confirm(staff, "交办", 接收单位="甲镇人民政府", **{"报告办理结果期限（日）": "20"})
    p.refresh_from_db()
    assert (p.state, p.owner_unit, p.routed_by_unit) == (State.ASSIGNED, org["office_a"], org["bureau"])
    expect(state(staff)).to_have_text("已交办")
    assert re.search(r"交办\s+已登记 → 已交办", timeline(staff))

    # ------------------------------------------------ 3. another township cannot see it at all
    other = desk.login("handler_b")
    response = other.goto(f"/p/{p.pk}/")
    assert response.status == 404
    other.goto("/queue/")
    expect(other.get_by_role("heading", name=re.compile("^待办事项"))).to_be_visible()
    expect(other.get_by_text(p.query_code)).to_have_count(0)
    expect(other.get_by_text("拖欠工资三个月")).to_have_count(0)
    open_missing = other.get_by_role("search").get_by_label("查询码")
    open_missing.fill(p.query_code)
    open_missing.press("Enter")
    expect(other.get_by_role("alert")).to_have_text(f"没有找到您可查看的查询码为 {p.query_code} 的信访事项。")
    expect(other.get_by_role("heading", level=1)).to_have_text("今日工作")
    assert other.request.get(f"/p/{p.pk}/notice/acceptance.pdf").status == 404

    # ------------------------------------------------ 4. the township's handler accepts it from the queue
    handler = desk.login("handler_a")
    handler.get_by_role("link", name="待办事项", exact=True).click()
    handler.get_by_role("link", name=re.compile(r"^待受理")).click()
    expect(handler.get_by_role("link", name=re.compile(r"^待受理"))).to_have_attribute("aria-current", "page")
    row = handler.get_by_role("row").filter(has_text=p.query_code)
    expect(row).to_contain_text("已交办")
    row.get_by_role("link", name="拖欠工资三个月").click()
    assert "延期" not in offered(handler)  # only the unit head extends
    confirm(handler, "受理")
    expect(state(handler)).to_have_text("办理中")
    assert re.search(r"受理\s+已交办 → 办理中", timeline(handler))
    assert "办理时限" in deadlines_text(handler)
    p.refresh_from_db()
    assert p.state == State.ACCEPTED
    handling = Deadline.objects.get(petition=p, kind="handling", is_open=True)
    assert "延期" not in offered(handler)
    assert set(offered(handler)) == {"记录办理情况", "出具处理意见"}

    # a hand-made POST of an action the handler may not take is refused in Chinese, and changes nothing
    token = handler.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    events_before = p.events.count()
    refused = handler.request.post(
        f"/p/{p.pk}/act/extend/", form={"csrfmiddlewaretoken": token, "extend-days": "20", "extend-reason": "越权延期"}
    )
    assert refused.status == 400
    assert "您的角色（单位经办人）不能延期。" in refused.text()
    assert p.events.count() == events_before
    handling.refresh_from_db()
    assert handling.extension_days == 0

    # ------------------------------------------------ 5. the unit head extends, and sees why the date moved
    head = desk.login("head_a")
    open_by_query_code(head, p.query_code)
    assert "延期" in offered(head)
    old_due = handling.due_on
    assert f"截止日期{calendar.format_date(old_due)}" in deadlines_text(head)
    confirm(head, "延期", 天数="10", 理由="需要现场勘查工地用工记录")
    handling.refresh_from_db()
    assert handling.extension_days == 10 and handling.due_on > old_due
    explained = deadlines_text(head)
    assert "经批准延长10日（理由：需要现场勘查工地用工记录）" in explained
    assert f"截止日期{calendar.format_date(handling.due_on)}" in explained
    assert re.search(r"延期\s.*\n?.*需要现场勘查工地用工记录", timeline(head))
    desk.fits(head)
    desk.screenshot(head, "petition-extended")

    # ------------------------------------------------ 6. the handler records a step and decides
    handler.reload()
    confirm(handler, "记录办理情况", 办理情况="已约谈建筑公司负责人，核实欠薪名单。")
    assert "已约谈建筑公司负责人" in timeline(handler)
    confirm(
        handler,
        "出具处理意见",
        处理结果="支持",
        三到位一处理="合理诉求解决到位",
        意见书正文="经调查，诉求属实，已督促该公司于十日内足额支付工资。",
    )
    expect(state(handler)).to_have_text("已出具处理意见")
    assert "办理中 → 已出具处理意见" in timeline(handler)
    p.refresh_from_db()
    decision = p.decisions.get()
    assert (p.state, decision.outcome, decision.unit) == (State.DECIDED, "support", org["office_a"])

    # ------------------------------------------------ 7. the clerk records the petitioner's evaluation
    clerk.goto(f"/p/{p.pk}/")
    confirm(clerk, "记录满意度评价", 满意度="满意")
    expect(state(clerk)).to_have_text("已评价")
    p.refresh_from_db()
    assert p.state == State.EVALUATED
    assert list(p.evaluations.values_list("satisfaction", flat=True)) == [Satisfaction.SATISFIED]
    actions = list(Event.objects.filter(petition=p).order_by("seq").values_list("action", flat=True))
    assert actions == ["register", "assign", "accept", "extend", "record_step", "decide", "evaluate"]
    desk.screenshot(clerk, "petition-evaluated")

    # ------------------------------------------------ 8. notices, downloaded through the browser
    notices = clerk.get_by_role("heading", name="文书").locator("xpath=..")
    extension = notices.get_by_role("listitem").filter(has_text="延期告知书")
    with clerk.expect_download() as got:
        extension.get_by_role("link", name="Word").click()
    word = got.value
    assert word.suggested_filename.endswith(".docx")
    text = "\n".join(par.text for par in Document(word.path()).paragraphs)
    assert "延期" in text and "李四" in text

    # The PDF opens in a new tab, in chromium's own PDF viewer: keep the bytes the browser received.
    received = []

    def keep(route):
        response = route.fetch()
        received.append((response.status, response.headers["content-type"], response.body()))
        route.fulfill(response=response)

    clerk.context.route("**/notice/*.pdf", keep)
    with clerk.context.expect_page() as tab:
        extension.get_by_role("link", name="PDF").click()
    tab.value.wait_for_url(f"**/p/{p.pk}/notice/extension.pdf", wait_until="commit")
    tab.value.close()
    [(status, content_type, body)] = received
    assert (status, content_type) == (200, "application/pdf")
    pages = PdfReader(io.BytesIO(body)).pages
    text = pages[0].extract_text().replace("\x00", "")  # fpdf2 writes CJK as two-byte codes
    assert len(pages) == 1 and "延期办理告知书" in text and "李四" in text
