"""The portal's form sent twice from a real browser (issue 18, point 6). A double click on the button
is coalesced by chromium into one POST (tried: only one left), so the page sends its own form twice
at once, as a double click in another browser or a retry does: the one-time token stores one petition,
and both sendings lead to that petition's receipt."""

from __future__ import annotations

import re

import pytest

from xinfang.petitions import services
from xinfang.petitions.models import Petition
from xinfang.portal import selectors

from .conftest import sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _places():
    selectors.invalidate_cache()
    yield
    selectors.invalidate_cache()


SEND_TWICE = """async () => {
    const form = document.querySelector("input[name=submission]").form;
    const send = () => fetch(form.action || location.href, {method: "POST", body: new FormData(form)});
    const answers = await Promise.all([send(), send()]);
    return answers.map(a => [a.status, a.url]);
}"""


def test_the_form_sent_twice_from_the_browser_stores_one_petition_with_one_receipt(desk, org):
    page = desk.context().new_page()
    page.goto("/portal/submit/")
    page.get_by_role("radio", name=re.compile("^申诉求决类")).check()
    page.get_by_label("问题发生地").select_option(label="甲一村")
    page.get_by_label("一句话概括").fill("工地拖欠工资")
    page.get_by_label("事情经过和您的诉求").fill("老板拖欠三个月工资，请求帮助追讨。")
    page.get_by_label("您的姓名").fill("测试人戊")
    page.get_by_label("手机号", exact=True).fill("139 0000 2222")

    answers = page.evaluate(SEND_TWICE)
    (first, first_url), (second, second_url) = answers
    assert first == second == 200 and "/portal/receipt/" in first_url and first_url == second_url
    petition = Petition.objects.get()
    page.goto(first_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("您的信访事项已提交")
    assert services.query_code_normalise(page.get_by_test_id("query-code").inner_text()) == petition.query_code
