"""Sending notices, out of every request: the SMS HTTP gateway (a local HTTP server) and real SMTP
(a local aiosmtpd server); a failing or hanging gateway never fails the request; retries with
backoff, giving up, "retry now"; two workers never send one notice twice; the worker command."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import at, register
from tests.support.desk import client_for, form_data
from tests.support.sms import RecordingSms
from xinfang.notify import services
from xinfang.notify.backends import ConsoleSmsBackend
from xinfang.notify.models import Notice, NoticeState
from xinfang.notify.services import backoff, notices_claim, notices_claim_ids, notices_retry_now, notices_send_due
from xinfang.petitions.models import Kind, Petition, Petitioner

pytestmark = pytest.mark.django_db

PHONE = "13900004321"
EMAIL = "wmy@example.org"


class FailingSms:
    def send(self, phone: str, text: str, key: str) -> None:
        raise ConnectionError("网关维护中")


@pytest.fixture(autouse=True)
def recording(settings):
    settings.SMS_BACKEND = f"{RecordingSms.__module__}.RecordingSms"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_SECONDS = 60
    RecordingSms.sent.clear()
    yield RecordingSms.sent


def petition_with(org, *, phone: str = PHONE, email_address: str = "") -> Petition:
    return register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.CLAIM,
        petitioners=[Petitioner(name="王某乙", phone=phone, email=email_address)],
    )


# ---------------------------------------------------------------- the SMS HTTP gateway, a local server


class Gateway:
    """An HTTP server on 127.0.0.1:<free port> in a thread: records each request; answers `status`;
    with `hold` set, waits (at most 10 s) until released, as a hanging gateway does."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.hold = False
        self.release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                if gateway.hold:
                    gateway.release.wait(10)
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    with Gateway() as g:
        settings.SMS_BACKEND = "xinfang.notify.backends.HttpSmsBackend"
        settings.SMS_GATEWAY_URL = g.url
        settings.SMS_GATEWAY_TOKEN = "test-token-not-a-secret"
        settings.SMS_GATEWAY_TIMEOUT = 3
        yield g


def test_the_http_backend_posts_json_with_the_token_and_an_idempotency_key(org, gateway):
    p = petition_with(org)
    notice = Notice.objects.get(petition=p)
    result = notices_send_due()
    assert (result.sent, result.retrying, result.gave_up) == (1, 0, 0)
    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["json"] == {"phone": PHONE, "text": notice.text, "id": f"xinfang-notice-{notice.pk}"}
    assert "查询码" in request["json"]["text"]  # UTF-8 Chinese intact
    assert request["headers"]["Authorization"] == "Bearer test-token-not-a-secret"
    assert request["headers"]["Idempotency-Key"] == f"xinfang-notice-{notice.pk}"
    assert request["headers"]["Content-Type"].startswith("application/json")
    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.sent_at and notice.attempts == 1 and notice.claim == ""


def test_a_gateway_error_is_recorded_and_retried(org, gateway):
    gateway.status = 503
    p = petition_with(org)
    now = timezone.now()
    assert notices_send_due(now=now).retrying == 1
    notice = Notice.objects.get(petition=p)
    assert notice.state == NoticeState.PENDING and notice.attempts == 1
    assert "503" in notice.last_error and notice.next_attempt_at == now + dt.timedelta(seconds=60)
    assert "test-token" not in notice.last_error
    gateway.status = 200
    assert notices_send_due(now=now + dt.timedelta(seconds=61)).sent == 1
    assert len(gateway.requests) == 2


def test_a_hanging_gateway_costs_the_worker_its_timeout_and_the_notice_is_retried(org, gateway, settings):
    settings.SMS_GATEWAY_TIMEOUT = 0.2
    gateway.hold = True
    petition_with(org)
    assert notices_send_due().retrying == 1
    notice = Notice.objects.get()
    assert "超时" in notice.last_error and notice.state == NoticeState.PENDING


# ---------------------------------------------------------------- the request never waits for a gateway


def test_a_failing_or_hanging_gateway_never_fails_the_desk(org, gateway, settings):
    """The desk only queues: the gateway (hanging) and the SMTP server (nothing listens) are not
    called by the request; the petition is registered and its notices wait for the worker."""
    gateway.hold = True
    smtp_at(settings, closed_port())
    c = client_for(org.users["clerk"])
    response = c.post("/register/", form_data(phone=PHONE, email=EMAIL))  # e-mail: when the desk asks for it
    assert response.status_code == 302
    p = Petition.objects.get(title="拖欠工资")
    assert gateway.requests == []
    assert {(n.channel, n.state) for n in Notice.objects.filter(petition=p)} >= {("sms", "pending")}
    result = notices_send_due()  # the worker meets both failures, records them, and carries on
    assert result.retrying == Notice.objects.filter(petition=p).count() and result.sent == 0
    assert all(n.last_error for n in Notice.objects.filter(petition=p))


def test_a_failing_gateway_never_fails_a_workflow_action(org, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingSms"
    p = petition_with(org)
    c = client_for(org.users["bureau_staff"])
    response = c.post(f"/p/{p.pk}/act/accept/", {})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.state == "accepted"
    assert Notice.objects.filter(petition=p, stage="accept", state=NoticeState.PENDING).count() == 1


# ---------------------------------------------------------------- e-mail through real SMTP, a local server


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_at(settings, port: int) -> None:
    """The default mailer: real SMTP to 127.0.0.1:`port` (as EMAIL_HOST/EMAIL_PORT set it in production)."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 3},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "xinfang@county.example.org"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    smtp_at(settings, controller.port)
    yield inbox
    controller.stop()


def test_email_arrives_over_smtp_with_its_chinese_subject_and_body(org, smtp):
    p = petition_with(org, phone="", email_address=EMAIL)
    notice = Notice.objects.get(petition=p)
    assert notices_send_due().sent == 1
    [(sender, recipients, raw)] = smtp.messages
    assert sender == "xinfang@county.example.org" and recipients == [EMAIL]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == EMAIL
    assert message["Subject"] == notice.subject and "信访事项已登记" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert body.replace("\r\n", "\n").strip() == notice.text and "村道损坏" in body and "查询码" in body
    assert message["X-Xinfang-Notice"] == f"xinfang-notice-{notice.pk}"


def test_smtp_down_is_retried_and_then_delivered(org, smtp, settings):
    p = petition_with(org, phone="", email_address=EMAIL)
    port = settings.MAILERS["default"]["OPTIONS"]["port"]
    smtp_at(settings, closed_port())
    now = timezone.now()
    assert notices_send_due(now=now).retrying == 1
    smtp_at(settings, port)
    assert notices_send_due(now=now + backoff(1)).sent == 1
    assert len(smtp.messages) == 1 and Notice.objects.get(petition=p).attempts == 2


# ---------------------------------------------------------------- retries, backoff, giving up, retry now


def test_retries_back_off_then_give_up_and_retry_now_sends_it(org, settings, recording):
    settings.SMS_BACKEND = f"{__name__}.FailingSms"
    p = petition_with(org)
    t0 = timezone.now()
    notice = Notice.objects.get(petition=p)

    def state() -> tuple[str, int, dt.datetime]:
        notice.refresh_from_db()
        return notice.state, notice.attempts, notice.next_attempt_at

    assert notices_send_due(now=t0).retrying == 1
    assert state() == ("pending", 1, t0 + dt.timedelta(seconds=60))
    assert notices_send_due(now=t0 + dt.timedelta(seconds=59)).retrying == 0  # not due yet
    t1 = t0 + dt.timedelta(seconds=60)
    notices_send_due(now=t1)
    assert state() == ("pending", 2, t1 + dt.timedelta(seconds=120))  # doubled
    t2 = t1 + dt.timedelta(seconds=120)
    assert notices_send_due(now=t2).gave_up == 1
    assert state()[:2] == ("failed", 3) and "网关维护中" in notice.last_error
    assert notices_send_due(now=t2 + dt.timedelta(days=1)).retrying == 0  # given up stays given up

    settings.SMS_BACKEND = f"{RecordingSms.__module__}.RecordingSms"
    assert notices_retry_now([notice.pk]) == 1
    assert notices_send_due().sent == 1
    assert [phone for phone, _, _ in recording] == [PHONE]


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30) == services.MAX_BACKOFF


# ---------------------------------------------------------------- never twice


def test_two_workers_never_claim_the_same_notice(org):
    for i in range(6):
        petition_with(org, phone=f"1390000{i:04d}")
    now = timezone.now()
    first = notices_claim(limit=4, now=now)
    second = notices_claim(limit=4, now=now)
    third = notices_claim(limit=4, now=now)
    ids = [n.pk for n in first + second + third]
    assert len(first) == 4 and len(second) == 2 and third == []
    assert len(ids) == len(set(ids)) == 6


def test_a_worker_that_read_the_ids_late_claims_nothing_another_worker_took(org, recording):
    """The race: worker A reads the due ids, worker B claims and sends them, then A's claiming
    UPDATE runs: it finds them no longer due, and A sends nothing."""
    petition_with(org)
    now = timezone.now()
    stale_ids = list(Notice.objects.filter(state=NoticeState.PENDING).values_list("pk", flat=True))
    assert notices_send_due(now=now).sent == 1  # worker B
    assert notices_claim_ids(stale_ids, now) == []  # worker A
    assert len(recording) == 1


def test_a_crashed_workers_claim_is_taken_over_after_the_lease(org, recording):
    petition_with(org)
    now = timezone.now()
    [claimed] = notices_claim(now=now)  # this worker dies before sending
    assert notices_send_due(now=now + dt.timedelta(minutes=5)).sent == 0
    assert notices_send_due(now=now + services.LEASE + dt.timedelta(seconds=1)).sent == 1
    claimed.refresh_from_db()
    assert claimed.attempts == 2 and len(recording) == 1


@pytest.mark.django_db(transaction=True)
def test_postgresql_skips_rows_another_worker_has_locked(org):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    for i in range(3):
        petition_with(org, phone=f"1390000{i:04d}")
    locked, done = threading.Event(), threading.Event()
    seen: list[list[int]] = []

    def other_worker() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():  # holds row locks on two notices, as a worker mid-claim does
                due = Notice.objects.order_by("pk").select_for_update(skip_locked=True)
                seen.append([n.pk for n in due[:2]])
                locked.set()
                done.wait(10)
        finally:
            own.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        mine = notices_claim(limit=10)
    finally:
        done.set()
        thread.join()
    all_ids = set(Notice.objects.values_list("pk", flat=True))
    assert {n.pk for n in mine} == all_ids - set(seen[0]) and len(mine) == 1


# ---------------------------------------------------------------- the console default and the worker command


def test_the_console_backend_prints_with_the_phone_masked():
    out = io.StringIO()
    ConsoleSmsBackend(stream=out).send("13812345678", "【信访】您的信访事项已受理", "xinfang-notice-1")
    assert "138****5678" in out.getvalue() and "13812345678" not in out.getvalue()
    assert "已受理" in out.getvalue()


def test_the_worker_command_sends_once_and_reports(org, recording):
    petition_with(org, email_address=EMAIL)
    out = io.StringIO()
    call_command("notices_send", stdout=out)
    assert "已发送 sent: 2" in out.getvalue()
    assert len(recording) == 1
    from django.core import mail

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]


def test_the_worker_command_shows_each_notice_and_the_retry(org, recording, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingSms"
    petition_with(org)
    out = io.StringIO()
    call_command("notices_send", "--verbosity", "2", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "待重试 retrying: 1" in text
    assert Notice.objects.get().attempts == 1


def test_the_scheduled_task_sends_the_due_notices(org, recording):
    from xinfang.notify.tasks import notices_send

    petition_with(org, email_address=EMAIL)
    assert notices_send.call() == {"sent": 2, "retrying": 0, "gave_up": 0}
    assert notices_send.call() == {"sent": 0, "retrying": 0, "gave_up": 0}  # each notice once
