"""The routing proposals in chromium: at the registration desk the category and place proposals come up
as the clerk types, each with its confidence; a click fills the picker in; registering keeps it, and a
ProposalOutcome records whether the clerk confirmed or corrected the category. On the petition page, the
decide form's draft check flags a draft that misses the claim's key words or cites no basis, and stops
flagging once the draft is fixed.

The category model is the small one tests/routing/test_routing.py trains on synthetic petitions (four labels)."""

from __future__ import annotations

import re

import pytest

from tests.support.replies import CONTENT, NO_BASIS, OFF_POINT, ON_POINT, TITLE
from tests.support.routing import WAGES
from xinfang.petitions import registration, services
from xinfang.petitions.models import Category, Petition, Petitioner, State
from xinfang.routing.models import ProposalKind, ProposalOutcome

from .conftest import sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WAGES_TITLE = "甲一村工地拖欠农民工工资"
WAGES_CONTENT = "甲一村" + WAGES + "。"


def desk_typed(desk, org):
    """The clerk at the desk with a wages claim typed in, the category and place proposals shown."""
    page = desk.login("clerk")
    page.goto("/register/")
    page.get_by_role("radio", name="申诉求决类", exact=True).check()
    page.get_by_label("标题").fill(WAGES_TITLE)
    page.get_by_label("反映内容").fill(WAGES_CONTENT)
    page.get_by_label("信访人姓名").fill("赵某")
    page.get_by_role("textbox", name="电话", exact=True).fill("13700003333")
    return page


def category_proposal(page):
    panel = page.locator("#category-proposals")
    expect(panel).to_contain_text("建议的内容分类")
    first = panel.locator("button[data-category]").first
    expect(first).to_have_attribute("data-category", "劳动和社会保障")  # the likeliest first
    expect(first).to_contain_text(re.compile(r"劳动和社会保障\s*可能性 \d+%"))
    return first


def register(page) -> Petition:
    page.get_by_role("button", name="登记并打印回执").click()
    expect(page.get_by_role("heading", name="信访事项登记回执")).to_be_visible()
    return Petition.objects.get()


def test_confirming_the_proposals_fills_the_pickers_and_is_kept(desk, org, category_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    page = desk_typed(desk, org)
    category_proposal(page).click()
    expect(page.locator("#id_category")).to_have_value("劳动和社会保障")

    place = page.locator("#place-proposals")
    expect(place).to_contain_text("建议的地点")
    village = place.locator('button[data-place="甲镇 · 甲一村"]')
    expect(village).to_contain_text(re.compile(r"可能性 \d+%"))
    expect(place).to_contain_text("「甲一村」")  # the words that matched
    village.click()
    expect(page.locator("#id_place")).to_have_value("甲镇 · 甲一村")

    p = register(page)
    assert (p.category.path, p.region) == ("劳动和社会保障", org["village_a"])
    outcome = ProposalOutcome.objects.get(petition=p)
    assert (outcome.kind, outcome.proposed, outcome.chosen, outcome.accepted) == (
        ProposalKind.CATEGORY,
        "劳动和社会保障",
        "劳动和社会保障",
        True,
    )
    assert outcome.model_version == category_model.version and outcome.recorded_by == org["clerk"]


def test_a_corrected_proposal_is_kept_as_a_correction(desk, org, category_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    leaf = Category.objects.filter(level=3, path__startswith="城乡建设/").order_by("path").first()
    page = desk_typed(desk, org)
    category_proposal(page).click()
    expect(page.locator("#id_category")).to_have_value("劳动和社会保障")
    page.get_by_label("内容分类").fill(leaf.path)  # the clerk knows better
    page.get_by_label("问题发生地").fill("甲镇 · 甲一村")

    p = register(page)
    assert p.category == leaf
    outcome = ProposalOutcome.objects.get(petition=p)
    assert (outcome.proposed, outcome.chosen, outcome.accepted) == ("劳动和社会保障", "城乡建设", False)


def test_the_draft_check_flags_a_draft_until_it_is_fixed(desk, org):
    p = registration.petition_register(
        actor=org["clerk"],
        channel="letter",
        kind="claim",
        region=org["village_a"],
        title=TITLE,
        content=CONTENT,
        petitioners=[Petitioner(name="钱某")],
    )
    p = services.petition_assign(p, actor=org["staff"], to_unit=org["office_a"], report_days=20)
    p = services.petition_accept(p, actor=org["handler_a"])
    assert p.state == State.ACCEPTED

    page = desk.login("handler_a")
    page.goto(f"/p/{p.pk}/")
    box = page.locator("details").filter(has=page.locator("summary").get_by_text("出具处理意见", exact=True))
    box.locator("summary").click()
    draft, panel = box.get_by_label(re.compile("^意见书正文")), box.locator(".reply-check-panel")
    flags = panel.locator(".reply-flag")

    draft.fill(OFF_POINT)  # about another matter
    expect(panel).to_contain_text("草稿检查")
    expect(flags).to_have_count(1)
    expect(panel.locator('[data-code="unaddressed"]')).to_contain_text("破裂")  # a missing key word

    draft.fill(NO_BASIS)  # on the claim, but no basis
    expect(panel.locator('[data-code="no_basis"]')).to_be_visible()
    expect(flags).to_have_count(1)

    draft.fill(ON_POINT)  # on the claim, with its basis
    expect(flags).to_have_count(0)
    expect(panel).to_contain_text("未发现问题")
    box.get_by_role("button", name="检查草稿").click()  # asked again by the button: still nothing to flag
    expect(panel).to_contain_text("未发现问题")
