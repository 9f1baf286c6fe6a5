"""Tokens never in a log (issue 18, point 7): Open311's `api_key` parameter is still accepted, but the
development server's access log (django.server), django.request, error reports and the audit log write
it as [已隐去] (xinfang.audit.redaction, settings.LOGGING)."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.core import mail
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from tests.conftest import at, register
from tests.support.api import ALL_SCOPES, Api, api_client_make
from tests.support.open311 import BASE, form
from xinfang.audit.models import AuditEntry
from xinfang.audit.redaction import REDACTED, text_redact
from xinfang.audit.services import request_filters
from xinfang.petitions.models import Kind, Petitioner

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_log(caplog):
    """caplog also on django.server, which does not propagate to the root logger."""
    logger = logging.getLogger("django.server")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)


def access_log_line(requestline: str, status: int) -> None:
    """What runserver writes for one request: Django's own WSGIRequestHandler.log_request."""
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)  # (no socket: only its logging is used)
    handler.requestline, handler.request, handler.client_address = requestline, None, ("127.0.0.1", 50000)
    handler.log_request(status, 42)


def test_the_access_log_writes_api_key_as_hidden(org, server_log):
    _client, token = api_client_make(org, "bureau")
    access_log_line(f"GET {BASE}/requests.json?status=open&api_key={token} HTTP/1.1", 200)
    access_log_line(f"GET {BASE}/requests.json?api%5Fkey={token}&status=open HTTP/1.1", 200)
    [first, second] = [r for r in server_log.records if r.name == "django.server"]
    assert f"/requests.json?status=open&api_key={REDACTED} HTTP/1.1" in first.getMessage()
    assert f"api%5Fkey={REDACTED}&status=open" in second.getMessage()
    formatter = logging.getLogger("django.server").handlers[0].formatter  # the access log's own format
    for record in (first, second):
        assert token not in formatter.format(record) and first.status_code == 200
    assert token not in server_log.text


def test_open311_with_api_key_works_and_leaves_the_token_in_no_log_and_no_audit_row(org, server_log):
    client, token = api_client_make(org, "bureau", scopes=ALL_SCOPES)
    anonymous = Api()
    created = anonymous.post_form(f"{BASE}/requests.json", form(org, api_key=token))
    assert created.status_code == 201  # still accepted, in the form
    assert anonymous.get(f"{BASE}/requests.json", {"api_key": token}).status_code == 200  # and in the query
    assert anonymous.get(f"{BASE}/requests/999999.json", {"api_key": token}).status_code == 404  # django.request
    assert any(r.name == "django.request" for r in server_log.records)
    logging.getLogger("django.request").warning("Bad request: %s", f"{BASE}/requests.json?api_key={token}")
    logging.getLogger("django.request").warning("Authorization: Bearer %s", token)
    # the native API too (a token in the query is ignored there; the Bearer header authenticates)
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[Petitioner(name="甲", phone="10012345678")])
    assert Api(token).get("/api/petitions", {"api_key": token}).status_code == 200
    messages = [r.getMessage() for r in server_log.records]
    assert f"Bad request: {BASE}/requests.json?api_key={REDACTED}" in messages
    assert f"Authorization: Bearer {REDACTED}" in messages
    assert token not in server_log.text and not any(token in m for m in messages)
    rows = list(AuditEntry.objects.values("detail", "object_id", "actor_label"))
    assert rows and token not in json.dumps(rows, ensure_ascii=False)
    assert AuditEntry.objects.get(actor=client.user).detail["filters"]["api_key"] == REDACTED


def test_the_audit_filters_of_a_request_hide_the_token():
    request = RequestFactory().get("/queue/export.xlsx", {"state": "accepted", "api_key": "xf_" + "a" * 43})
    assert request_filters(request) == {"state": "accepted", "api_key": REDACTED}


def test_an_error_report_hides_the_token(settings, rf):
    """The e-mail to ADMINS (and the debug page) of a 500 on a request that carried api_key."""
    settings.DEBUG = False
    settings.ADMINS = ["admin@example.invalid"]
    token = "xf_" + "b" * 43
    request = rf.post(
        f"{BASE}/requests.json?api_key={token}",
        {"api_key": token, "description": "测试"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    try:
        key = request.GET["api_key"]  # noqa: F841 (a frame variable holding the token)
        raise RuntimeError("测试")
    except RuntimeError:
        exc_info = sys.exc_info()
    report = get_exception_reporter_class(request)(request, *exc_info).get_traceback_text()
    assert "RuntimeError" in report and token not in report
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", request.path, exc_info=exc_info, extra={"status_code": 500, "request": request}
    )
    [sent] = mail.outbox
    assert "RuntimeError" in sent.body and token not in sent.body and token not in sent.subject


@pytest.mark.parametrize(
    "text,expected",
    [
        ("GET /a?api_key=xf_SECRET1234567890abc&x=1", f"GET /a?api_key={REDACTED}&x=1"),
        ("GET /a?API_KEY=whatever", f"GET /a?API_KEY={REDACTED}"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {REDACTED}"),
        ("token xf_abcdefghijklmnopqrstuvwxyz in a message", f"token {REDACTED} in a message"),
        ("GET /api/petitions?limit=200 HTTP/1.1", "GET /api/petitions?limit=200 HTTP/1.1"),
    ],
)
def test_text_redact(text, expected):
    assert text_redact(text) == expected
