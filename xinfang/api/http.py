"""What the native API and Open311 share: JSON answers, and writes made idempotent by the
`Idempotency-Key` header (xinfang.api.services.idempotent_write)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError

from xinfang.api.models import ApiClient
from xinfang.api.services import Answer, IdempotencyInProgress, IdempotencyMismatch, idempotent_write

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_HELP = (
    "任意不超过255个字符的唯一键（如 UUID）。同一客户端以同一键重发同一请求，返回首次的结果而不会重复办理；"
    "键保留 24 小时（API_IDEMPOTENCY_HOURS）；同一键用于不同内容的请求返回 422。"
)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A datetime sent without an offset is read as local time (Asia/Shanghai); every value is given to
    the database in UTC (PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows). 400 for a
    moment outside the years 1–9999 once in UTC."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise HttpError(
            400, _("The date and time are out of the range that can be handled (years 1 to 9999).")
        ) from None


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)


def shaped(schema: type[Schema], data: Any) -> str:
    """`data` checked against `schema` and written as the JSON the schema promises (as Ninja writes it)."""
    return json_text(schema.model_validate(data).model_dump())


def json_answer(status: int, body: str) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def request_fingerprint(request: HttpRequest) -> str:
    """Method, path and body (JSON with sorted keys, a form with sorted fields), hashed: what makes
    two requests with one key "the same request"."""
    raw = request.body
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            raw = json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False).encode()
        except ValueError:
            pass
    elif content_type == "application/x-www-form-urlencoded":
        raw = json.dumps(
            sorted(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)), ensure_ascii=False
        ).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(raw)
    return digest.hexdigest()


def write_answer(
    request: HttpRequest,
    client: ApiClient,
    key: str | None,
    write: Callable[[], Answer],
    error: Callable[[int, str], str],
) -> HttpResponse:
    """Run `write` once per client and key; `error(status, message)` writes an error body."""
    try:
        status, body = idempotent_write(client, key, request_fingerprint(request), write)
    except IdempotencyMismatch as e:
        status, body = 422, error(422, e.message)
    except IdempotencyInProgress as e:
        status, body = 409, error(409, e.message)
    return json_answer(status, body)
