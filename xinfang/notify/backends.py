"""How a notice leaves the building.

SMS: settings.SMS_BACKEND names a class with ``send(phone, text, key)`` that returns when the gateway
has taken the message and raises DeliveryError (or any exception) when it has not:
``ConsoleSmsBackend`` (the default: prints, for a desk without a gateway) or ``HttpSmsBackend``
(posts JSON to SMS_GATEWAY_URL). E-mail goes through Django's e-mail framework (the default mailer of
settings.MAILERS, set from EMAIL_HOST, ...: see settings.py).
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from typing import Protocol, TextIO

from django.conf import settings
from django.core import mail
from django.utils.module_loading import import_string

from xinfang.notify.masking import mask_phone

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The gateway did not take the message; the text says why (it is shown in the admin)."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, key: str) -> None: ...


class ConsoleSmsBackend:
    """Prints each message (phone masked) and logs it: what a development desk or a demo uses."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, phone: str, text: str, key: str) -> None:
        line = f"[短信 SMS {key}] {mask_phone(phone)}: {text}"
        logger.info("%s", line)
        self.stream.write(line + "\n")
        self.stream.flush()


class HttpSmsBackend:
    """Posts ``{"phone", "text", "id"}`` as JSON to SMS_GATEWAY_URL with the token as a Bearer
    header and ``Idempotency-Key: <id>`` (a gateway that honours it never sends one notice twice),
    waiting at most SMS_GATEWAY_TIMEOUT seconds. Any answer but 2xx is a failure."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise DeliveryError("未设置短信网关地址 XINFANG_SMS_GATEWAY_URL。")

    def send(self, phone: str, text: str, key: str) -> None:
        body = json.dumps({"phone": phone, "text": text, "id": key}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            raise DeliveryError(f"短信网关拒绝：HTTP {e.code} {e.reason}") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise DeliveryError(f"短信网关无法连接或超时：{reason}") from e


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


class Mailer:
    """The default mailer (settings.MAILERS) for a pass of the worker: one connection, opened at
    the first message, reopened after a failure."""

    def __init__(self) -> None:
        self.connection = None

    def send(self, address: str, subject: str, text: str, key: str) -> None:
        if self.connection is None:
            self.connection = mail.mailers.default
            self.connection.open()
        message = mail.EmailMessage(
            subject, text, settings.DEFAULT_FROM_EMAIL, [address], headers={"X-Xinfang-Notice": key}
        )
        try:
            self.connection.send_messages([message])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # a dead connection: nothing to close politely
                pass
            self.connection = None
