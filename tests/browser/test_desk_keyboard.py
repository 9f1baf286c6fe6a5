"""The registration desk at the keyboard, in chromium: Enter moves on instead of submitting, the
lookup and same-matter panels come up while the clerk types, a file is attached, Ctrl+Enter registers."""

from __future__ import annotations

import re

import pytest

from xinfang.petitions import registration
from xinfang.petitions.models import Petition, Petitioner

from .conftest import sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_desk_at_the_keyboard(desk, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    earlier = registration.petition_register(
        actor=org["clerk"],
        channel="visit",
        kind="claim",
        region=org["village_a"],
        title="拖欠农民工工资",
        content="甲一村建筑工地的承包商拖欠二十多名农民工工资共计八万元，已经半年，多次讨要无果。",
        petitioners=[Petitioner(name="王某甲", phone="13700002222")],
    )
    page = desk.login("clerk")
    page.goto("/register/")
    # defaults: a visit, received now, the first field has the focus
    expect(page.get_by_role("radio", name="来访")).to_be_checked()
    expect(page.get_by_role("radio", name="来访")).to_be_focused()
    expect(page.get_by_label("收到时间")).not_to_have_value("")

    page.keyboard.press("Enter")  # on the channel: moves to the kind, submits nothing
    expect(page.get_by_role("radio", name="申诉求决类")).to_be_focused()
    page.get_by_label("问题发生地").fill("甲一")  # any part of the name
    title = page.get_by_label("标题")
    title.fill("农民工工资被拖欠")
    title.press("Enter")  # moves on, does not submit half a form
    expect(page.get_by_label("反映内容")).to_be_focused()
    assert page.url.endswith("/register/") and Petition.objects.count() == 1
    page.get_by_label("反映内容").fill(
        "甲一村建筑工地承包商拖欠我们二十多名农民工的工资八万元，半年了，讨要多次没有结果。"
    )
    similar = page.locator("#similar")
    expect(similar).to_contain_text(earlier.query_code)
    expect(similar).to_contain_text("同一地点")

    page.get_by_label("信访人姓名").fill("王某甲")
    lookup = page.locator("#lookup")
    expect(lookup).to_contain_text(earlier.query_code)
    expect(lookup).to_contain_text("只有姓名相同")
    page.get_by_role("textbox", name="电话", exact=True).fill("13700002222")
    expect(lookup).to_contain_text("电话相同")
    lookup.get_by_label(re.compile("是，使用“王某甲”的已有记录")).check()
    lookup.get_by_role("checkbox").first.check()
    # one tick shows in both panels
    expect(similar.locator(f'input[name="related"][value="{earlier.pk}"]')).to_be_checked()

    page.get_by_label(re.compile("^附件")).set_input_files(
        [{"name": "来信扫描.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("信访人姓名").press("Control+Enter")
    expect(page.get_by_role("heading", name="信访事项登记回执")).to_be_visible()
    new = Petition.objects.exclude(pk=earlier.pk).get()
    assert list(new.related.all()) == [earlier]
    assert list(new.petitioners.all()) == [earlier.petitioners.get()]
    assert [a.name for a in new.attachments.all()] == ["来信扫描.pdf"]
    expect(page.locator("#attachments")).to_contain_text("来信扫描.pdf")
