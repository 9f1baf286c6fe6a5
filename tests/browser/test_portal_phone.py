"""The public portal on a phone (375×667, inside WeChat's browser as far as the server can tell): a
petitioner submits a claim with a photo of their pay slip, keeps the query code, tracks it from another
device with code and phone, and — once the township has decided (staff work done through the services)
— evaluates the handling and asks for a review. No page scrolls sideways; nothing is fetched from
anywhere but the server itself.
"""

from __future__ import annotations

import re

import pytest

from xinfang.petitions import services
from xinfang.petitions.models import Channel, Evaluation, Petition, State
from xinfang.portal import selectors

from . import conftest as browser_conftest
from .conftest import sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 667}
WECHAT = (
    "Mozilla/5.0 (Linux; Android 14; Phone) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560 NetType/WIFI Language/zh_CN"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _phone(monkeypatch):
    """Every browser context of these tests has a phone's window; the portal's places are loaded afresh."""
    monkeypatch.setattr(browser_conftest, "VIEWPORT", PHONE_SIZE)
    selectors.invalidate_cache()
    yield
    selectors.invalidate_cache()


def phone(desk):
    ctx = desk.context()
    ctx.set_extra_http_headers({"User-Agent": WECHAT})
    return ctx.new_page()


def test_submit_track_evaluate_and_ask_for_review_on_a_phone(desk, org):
    page = phone(desk)
    page.goto("/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("网上信访")
    desk.fits(page)
    page.get_by_role("link", name=re.compile("^我要信访")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我要信访")
    desk.fits(page)

    page.get_by_role("radio", name=re.compile("^申诉求决类")).check()
    page.get_by_label("问题发生地").select_option(label="甲一村")
    page.get_by_label("一句话概括").fill("建筑工地拖欠工资三个月")
    page.get_by_label("事情经过和您的诉求").fill("我在甲一村的建筑工地干活，老板拖欠三个月工资，请求帮助追讨。")
    page.get_by_label("附件（照片、材料扫描件）").set_input_files(
        files=[{"name": "工资条.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("您的姓名").fill("测试人丁")
    page.get_by_label("手机号", exact=True).fill("139 0000 1111")
    desk.fits(page)
    desk.screenshot(page, "form")
    page.get_by_role("button", name="提交信访事项").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("您的信访事项已提交")
    code = page.get_by_test_id("query-code").inner_text()
    desk.fits(page)
    desk.screenshot(page, "receipt")
    petition = Petition.objects.get(query_code=services.query_code_normalise(code))
    assert petition.channel == Channel.WECHAT and petition.registering_unit == org["bureau"]
    assert petition.attachments.get().name == "工资条.pdf"
    expect(page.get_by_text("测试县信访局")).to_be_visible()

    # another device: by query code and phone, as typed
    other = phone(desk)
    other.goto("/portal/track/")
    other.get_by_label("查询码").fill(code.lower())
    other.get_by_label("提交时留下的手机号").fill("13900001111")
    other.get_by_role("button", name="查询").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("建筑工地拖欠工资三个月")
    expect(other.get_by_test_id("state")).to_have_text("已登记")
    expect(other.get_by_test_id("timeline")).to_contain_text("已收到并登记")
    desk.fits(other)

    # the staff side: the bureau assigns it to the township, which accepts and decides
    services.petition_assign(petition, actor=org["staff"], to_unit=org["office_a"], report_days=30)
    services.petition_accept(petition, actor=org["handler_a"])
    services.petition_record_step(petition, actor=org["handler_a"], note="内部：已约谈工地负责人")
    services.petition_decide(
        petition,
        actor=org["handler_a"],
        outcome="support",
        measure="resolved",
        text="经调查，拖欠属实，已责令工地负责人于本月底前结清工资。",
    )

    other.reload()
    expect(other.get_by_test_id("state")).to_have_text("已出具处理意见")
    expect(other.get_by_text("经调查，拖欠属实")).to_be_visible()
    expect(other.get_by_test_id("timeline")).to_contain_text("甲镇人民政府")
    expect(other.get_by_text("内部：已约谈工地负责人")).to_have_count(0)
    expect(other.get_by_text("甲镇经办人")).to_have_count(0)
    desk.fits(other)
    desk.screenshot(other, "decided")

    other.get_by_role("radio", name="基本满意").check()
    other.get_by_label("理由").fill("答复及时，但希望尽快到账")
    other.get_by_role("button", name="提交评价").click()
    expect(other.get_by_role("alert").filter(has_text="谢谢！您的评价已记录。")).to_be_visible()
    assert Evaluation.objects.get(petition=petition).satisfaction == "basically"

    other.get_by_label("我确认提出申请").check()
    other.get_by_role("button", name="申请复查").click()
    expect(other.get_by_role("alert").filter(has_text="已收到您的申请：申请复查。")).to_be_visible()
    expect(other.get_by_test_id("state")).to_have_text("复查中")
    desk.fits(other)
    petition.refresh_from_db()
    assert petition.state == State.REVIEW_REQUESTED and petition.owner_unit.name == "测试县人民政府"

    # the first phone sees the same petition; English on request, still phone-sized
    page.get_by_role("link", name="查看办理进展").click()
    expect(page.get_by_test_id("state")).to_have_text("复查中")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_test_id("state")).to_have_text("under review")
    desk.fits(page)

    requested = {u.split("?")[0] for u in desk.requests}
    assert any(u.endswith("/static/portal/portal.css") for u in requested)
    assert desk.foreign_requests() == []


def test_reception_days_and_policy_answers_fit_a_phone(desk, org):
    from django.utils import timezone

    from xinfang.portal.models import PolicyAnswer, ReceptionDay

    ReceptionDay.objects.create(
        leader="县长（演示）",
        unit=org["bureau"].parent,
        on=timezone.localdate(),
        place="测试县人民来访接待中心一楼接待室（请从北门进入，携带身份证）",
        topics="征地拆迁、住房保障、劳动报酬、社会保险、物业管理",
    )
    PolicyAnswer.objects.create(
        question="对处理意见不满意怎么办？",
        answer="可以在收到处理意见之日起30日内申请复查。" * 5,
        basis="《信访工作条例》第三十五条",
    )
    page = phone(desk)
    for path, heading in (("/portal/reception/", "领导接访日"), ("/portal/policy/", "政策问答")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        desk.fits(page)
    page.get_by_text("对处理意见不满意怎么办？").click()
    expect(page.get_by_text("《信访工作条例》第三十五条")).to_be_visible()
