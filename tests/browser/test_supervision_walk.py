"""Supervision (督办) and follow-up (回访) walked through the real pages in chromium: a supervisor puts a
township under supervision with a notice, the township's head answers, the supervisor accepts; a
follow-up in which the petitioner denies a resolution becomes a finding of fake resolution (假化解) and
reopens supervision, escalated."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from xinfang.org.models import Role, User
from xinfang.oversight.models import Finding, Supervision
from xinfang.petitions import registration, services
from xinfang.petitions.models import Petitioner

from .conftest import PASSWORD, sync_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def supervisor_make(org: dict) -> User:
    """A supervisor with a confirmed authenticator (supervisors sign in with a second step)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    u = User(username="supervisor", role=Role.SUPERVISOR, unit=org["bureau"], display_name="督查员老周")
    u.set_password(PASSWORD)
    u.save()
    TOTPDevice.objects.create(user=u, name="手机", confirmed=True)
    return u


def login_with_code(desk, user: User) -> Page:
    """Password, then the code the user's authenticator shows now."""
    from xinfang.org import signin

    page = desk.context().new_page()
    page.goto("/login/")
    page.get_by_label(re.compile("^(用户名|User name)")).fill(user.username)
    page.get_by_label(re.compile("^(密码|Password)")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()
    page.locator("#id_code").fill(signin.totp_code(signin.totp_device_for(user)))
    page.locator("#id_code").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("今日工作|Today's work"))
    return page


def confirm(page: Page, label: str, button: str | None = None) -> None:
    page.get_by_role("button", name=button or f"确认：{label}").click()
    expect(page.get_by_role("alert").filter(has_text=f"已完成：{label}。")).to_be_visible()


def concluded_as_resolved(org: dict):
    """A claim assigned to 甲镇 and decided there as resolved."""
    p = registration.petition_register(
        actor=org["clerk"],
        channel="visit",
        kind="claim",
        region=org["village_a"],
        title="拖欠土地补偿款",
        content="征地补偿款至今未发放。",
        petitioners=[Petitioner(name="赵六", phone="13900002222")],
    )
    services.petition_assign(p, actor=org["clerk"], to_unit=org["office_a"], report_days=30)
    services.petition_accept(p, actor=org["handler_a"])
    return services.petition_decide(
        p, actor=org["handler_a"], outcome="support", measure="resolved", text="经核实，补偿款已全部发放到位。"
    )


def test_unit_supervision_answered_and_accepted_then_a_denied_resolution(desk, org):
    supervisor = supervisor_make(org)
    # ------------------------------------------------ 1. the supervisor puts 甲镇 under supervision
    sup = login_with_code(desk, supervisor)
    sup.get_by_role("link", name="督办", exact=True).click()
    expect(sup.get_by_role("heading", level=1, name="督办台账")).to_be_visible()
    sup.get_by_role("link", name="督办单位").click()
    sup.get_by_label("被督办单位").select_option(label="甲镇人民政府")
    sup.get_by_label("督办方式").select_option(label="实地督办")
    sup.get_by_label("督办理由").fill("本季度超期未办结事项较多")
    sup.get_by_label("督办要求").fill("逐件说明超期原因，报告整改措施")
    sup.get_by_label("答复期限").fill((timezone.localdate() + dt.timedelta(days=10)).isoformat())
    sup.get_by_role("button", name="督办", exact=True).click()
    expect(sup.get_by_role("alert").filter(has_text="已完成：督办。")).to_be_visible()
    s = Supervision.objects.get()
    assert (s.petition, s.unit, s.state) == (None, org["office_a"], "waiting")
    expect(sup.get_by_role("heading", level=1)).to_contain_text(s.number)
    with sup.expect_download() as download:
        sup.get_by_role("link", name="Word").click()
    assert download.value.suggested_filename == f"督办通知书-{s.number}.docx"
    desk.fits(sup)
    desk.screenshot(sup, "unit-supervision")

    # ------------------------------------------------ 2. 甲镇's head answers from the supervision list
    head = desk.login("head_a")
    head.get_by_role("link", name="督办", exact=True).click()
    row = head.get_by_role("row").filter(has_text=s.number)
    expect(row).to_contain_text("待答复")
    row.get_by_role("link", name=s.number).click()
    head.get_by_label("督办答复").fill("已逐件说明超期原因，整改措施已落实")
    confirm(head, "答复督办")
    s.refresh_from_db()
    assert s.state == "answered"

    # ------------------------------------------------ 3. the supervisor accepts the answer
    sup.reload()
    expect(sup.locator(".supervision-answer")).to_contain_text("整改措施已落实")
    confirm(sup, "采纳答复")
    s.refresh_from_db()
    assert (s.state, s.is_open) == ("accepted", False)
    expect(sup.get_by_role("heading", level=1)).to_contain_text("答复已采纳")

    # ------------------------------------------------ 4. a follow-up: the petitioner denies the resolution
    p = concluded_as_resolved(org)
    sup.get_by_role("link", name="回访", exact=True).click()
    row = sup.get_by_role("row").filter(has_text=p.query_code)
    expect(row).to_contain_text("甲镇人民政府")
    row.get_by_role("link", name=p.query_code).click()
    sup.get_by_label("回访方式").select_option(label="电话回访")
    sup.get_by_role("radio", name="是", exact=True).check()
    sup.get_by_label("否，问题没有解决").check()
    sup.get_by_label("回访记录").fill("赵六称补偿款至今只发了一半")
    sup.get_by_role("button", name="保存回访记录").click()
    expect(sup.get_by_role("alert").filter(has_text="已完成：记录回访。")).to_be_visible()
    expect(sup.locator(".finding")).to_contain_text("甲镇人民政府存在假化解问题")
    finding = Finding.objects.get()
    assert (finding.unit, finding.petition) == (org["office_a"], p)
    sup.get_by_role("link", name="重新督办").click()
    expect(sup.get_by_role("heading", level=1)).to_contain_text(finding.supervision.number)
    expect(sup.locator(".facts")).to_contain_text("提级督办")
    expect(sup.locator(".facts")).to_contain_text("赵六称补偿款至今只发了一半")

    # ------------------------------------------------ 5. the handling unit cannot follow up its own petition
    handler = desk.login("handler_a")
    assert handler.goto("/follow-up/").status == 404
    handler.goto(f"/follow-up/p/{p.pk}/")
    expect(handler.locator(".refusal")).to_have_text(re.compile("不能回访"))
