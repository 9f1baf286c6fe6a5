"""No portal submission lost or doubled, and a receipt only for the browser that sent it (issue 18,
points 6 and 7). The form carries a one-time token: sending it twice — a double click, or a retry
after the first was stored but its answer was lost — stores one petition and leads to the same
receipt; the receipt is shown only in the browser that sent the form, for PORTAL_RECEIPT_MINUTES.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from tests.support.desk import pdf, upload
from tests.support.portal import PHONE, browser, form
from xinfang.petitions.models import Attachment, Petition
from xinfang.portal import views
from xinfang.portal.forms import submission_token_new
from xinfang.portal.models import Submission

pytestmark = pytest.mark.django_db

TOKEN_FIELD = re.compile(r'<input type="hidden" name="submission" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def form_shown(c: Client) -> str:
    """Open the form as a browser does (it gets its portal cookie there); the form's one-time token."""
    response = c.get("/portal/submit/")
    assert response.status_code == 200
    return TOKEN_FIELD.search(response.content.decode()).group(1)


def query_code_in(response) -> str | None:
    found = re.search(r'data-testid="query-code">([^<]+)<', response.content.decode())
    return found.group(1) if found else None


def test_each_form_shown_carries_a_fresh_one_time_token(org):
    c = browser()
    first, second = form_shown(c), form_shown(c)
    assert first != second and len(first) >= 32


def test_a_double_submit_stores_one_petition_and_shows_the_same_receipt(org):
    c = browser()
    data = form(org, submission=form_shown(c))
    first, second = c.post("/portal/submit/", data), c.post("/portal/submit/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    p = Petition.objects.get()
    assert Submission.objects.get().petition == p and p.events.filter(action="register").count() == 1
    assert query_code_in(c.get(second["Location"])) is not None


def test_the_second_sending_of_a_form_with_a_file_leaves_one_file_and_one_row(org, settings):
    c = browser()
    token = form_shown(c)
    for _ in range(2):
        assert (
            c.post(
                "/portal/submit/", form(org, submission=token) | {"attachments": [upload("材料.pdf", pdf())]}
            ).status_code
            == 302
        )
    assert Attachment.objects.count() == 1
    assert len([f for f in (settings.MEDIA_ROOT).rglob("*") if f.is_file()]) == 1


def test_a_retry_after_the_answer_was_lost_shows_the_receipt_of_the_stored_petition(org, monkeypatch):
    """The petition was stored and committed, then the server failed before answering (here: the
    redirect raises); the person sends the form again and gets its receipt, not a second petition."""
    c = Client(raise_request_exception=False, HTTP_USER_AGENT="Mozilla/5.0 Mobile")
    data = form(org, submission=form_shown(c))
    real_redirect = views.redirect
    crash = {"once": True}

    def redirect_that_crashes_once(*args, **kwargs):
        if crash.pop("once", False):
            raise RuntimeError("the worker died before answering")
        return real_redirect(*args, **kwargs)

    monkeypatch.setattr(views, "redirect", redirect_that_crashes_once)
    assert c.post("/portal/submit/", data).status_code == 500
    assert Petition.objects.count() == 1  # stored, but the person was not told

    retry = c.post("/portal/submit/", data)
    assert retry.status_code == 302 and Petition.objects.count() == 1
    receipt = c.get(retry["Location"])
    assert receipt.status_code == 200
    assert query_code_in(receipt).replace("-", "") == Petition.objects.get().query_code


def test_the_receipt_link_in_another_browser_shows_nothing_of_the_petition(org):
    c = browser()
    location = c.post("/portal/submit/", form(org, submission=form_shown(c), title="工地欠薪"))["Location"]
    p = Petition.objects.get()
    other = browser()
    response = other.get(location)
    html = response.content.decode()
    assert response.status_code == 403 and 'data-testid="receipt-unavailable"' in html
    assert "只在提交" in html  # a plain Chinese reason
    assert query_code_in(response) is None and "工地欠薪" not in html and p.query_code not in html
    assert other.get(f"/portal/p/{p.pk}/").status_code == 404  # nor did it learn the petition
    assert c.get(location).status_code == 200  # the sender's browser still sees it


def test_the_same_form_sent_from_another_browser_stores_nothing_and_shows_nothing(org):
    c = browser()
    data = form(org, submission=form_shown(c), title="工地欠薪")
    assert c.post("/portal/submit/", data).status_code == 302
    other = browser()
    form_shown(other)
    response = other.post("/portal/submit/", data)
    html = response.content.decode()
    assert response.status_code == 409 and Petition.objects.count() == 1
    assert "已经提交过" in html and query_code_in(response) is None and "工地欠薪" not in html


def test_the_receipt_expires_after_the_configured_minutes(org, settings):
    settings.PORTAL_RECEIPT_MINUTES = 15
    c = browser()
    sent_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(sent_at, tick=False):
        location = c.post("/portal/submit/", form(org, submission=form_shown(c)))["Location"]
    with time_machine.travel(sent_at + dt.timedelta(minutes=14), tick=False):
        assert query_code_in(c.get(location)) is not None
    with time_machine.travel(sent_at + dt.timedelta(minutes=16), tick=False):
        response = c.get(location)
    html = response.content.decode()
    assert response.status_code == 410 and "回执已过期" in html and query_code_in(response) is None


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "a b" * 20])
def test_a_form_without_a_valid_token_is_shown_again_with_a_fresh_one_and_stores_nothing(org, token):
    c = browser()
    response = c.post("/portal/submit/", form(org, submission=token))
    html = response.content.decode()
    assert response.status_code == 400 and not Petition.objects.exists()
    assert "本页已过期" in html
    fresh = TOKEN_FIELD.search(html).group(1)
    assert fresh != token and c.post("/portal/submit/", form(org, submission=fresh)).status_code == 302


def test_an_anonymous_accusation_sent_twice_keeps_one_hashed_tracking_phone(org):
    c = browser()
    data = form(
        org, submission=form_shown(c), kind="accusation", anonymous="on", name="", phone=PHONE, accused_name="某村干部"
    )
    assert c.post("/portal/submit/", data).status_code == c.post("/portal/submit/", data).status_code == 302
    assert Petition.objects.get().tracking_phone.digest


def test_two_petitions_from_one_browser_cannot_be_linked_by_what_is_stored(org):
    """The stored browser binding is keyed with the token: an anonymous accuser's two petitions from
    one browser do not share a value."""
    c = browser()
    for _ in range(2):
        assert c.post("/portal/submit/", form(org, submission=submission_token_new())).status_code == 302
    first, second = Submission.objects.values_list("browser", flat=True)
    assert first != second
