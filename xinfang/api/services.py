"""Writes of the API app: clients and their tokens, and the idempotency of writes. Every change to
a petition still goes through xinfang.petitions.services."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from xinfang.api.models import ApiClient, IdempotencyKey, Scope
from xinfang.api.selectors import TOKEN_PREFIX, token_hash
from xinfang.org.models import Role, Unit, User
from xinfang.org.roles import ROLES_AN_API_CLIENT_MAY_HAVE


class ApiClientError(ValueError):
    """A client that cannot be created as asked; the message says why, in Chinese."""


def _token_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _scopes_clean(scopes: Iterable[str]) -> str:
    chosen = set(scopes)
    unknown = chosen - set(Scope.values)
    if unknown or not chosen:
        raise ApiClientError(
            f"请从以下权限中选择：{'、'.join(Scope.values)}（未知：{'、'.join(sorted(unknown)) or '无'}）。"
        )
    return " ".join(sorted(chosen))


def _username_for(name: str) -> str:
    base = f"api-{slugify(name, allow_unicode=True) or 'client'}"[:140]
    return base if not User.objects.filter(username=base).exists() else f"{base}-{secrets.token_hex(3)}"


@transaction.atomic
def api_client_create(*, name: str, unit: Unit, role: str, scopes: Iterable[str]) -> tuple[ApiClient, str]:
    """A client and its service user (one unit, one role, no password: it cannot log in to the pages).
    Returns the client and its token, which is shown this once: only its hash is kept."""
    name = name.strip()
    if not name:
        raise ApiClientError("请填写客户端名称。")
    if role not in ROLES_AN_API_CLIENT_MAY_HAVE:
        raise ApiClientError(
            f"客户端的角色只能是：{'、'.join(str(Role(r).label) for r in ROLES_AN_API_CLIENT_MAY_HAVE)}。"
        )
    if ApiClient.objects.filter(name=name).exists():
        raise ApiClientError(f"已有名为“{name}”的客户端。")
    scope_text = _scopes_clean(scopes)
    user = User(username=_username_for(name), unit=unit, role=role, display_name=name)
    user.set_unusable_password()
    user.save()
    token = _token_new()
    client = ApiClient.objects.create(
        name=name, user=user, token_hash=token_hash(token), token_prefix=token[:8], scopes=scope_text
    )
    return client, token


def api_client_token_rotate(client: ApiClient) -> str:
    """A new token for `client`; the old one stops working at once. Shown once."""
    token = _token_new()
    ApiClient.objects.filter(pk=client.pk).update(token_hash=token_hash(token), token_prefix=token[:8])
    client.token_hash, client.token_prefix = token_hash(token), token[:8]
    return token


# ---------------------------------------------------------------- idempotency


def idempotency_ttl() -> dt.timedelta:
    """How long a key is kept: settings.API_IDEMPOTENCY_HOURS (default 24)."""
    return dt.timedelta(hours=getattr(settings, "API_IDEMPOTENCY_HOURS", 24))


class IdempotencyMismatch(Exception):
    """The key was used before for a different request."""

    message = "该 Idempotency-Key 已用于另一个不同内容的请求；重试请原样发送原请求，新请求请使用新的键。"


class IdempotencyInProgress(Exception):
    message = "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。"


Answer = tuple[int, str]  # HTTP status and JSON body


def _replay(row: IdempotencyKey, fingerprint: str) -> Answer:
    if row.fingerprint != fingerprint:
        raise IdempotencyMismatch
    if row.status == 0:
        raise IdempotencyInProgress
    return row.status, row.body


def _key_row(client: ApiClient, key: str) -> IdempotencyKey | None:
    """The client's row for `key`, locked (PostgreSQL) until the transaction ends."""
    return IdempotencyKey.objects.select_for_update().filter(client=client, key=key).first()


def idempotent_write(client: ApiClient, key: str | None, fingerprint: str, write: Callable[[], Answer]) -> Answer:
    """Run `write` (which returns the status and body it answers) once per client and key.

    The key row is inserted first, in the same transaction as the write, and completed with the
    answer: a retry finds it and gets the same answer; a concurrent duplicate blocks on the unique
    constraint until the first commits, then fails to insert, and is answered from the first's row.
    An unexpected error rolls the whole transaction back, key included, so the request may be retried.
    Without a key, `write` simply runs."""
    if not key:
        with transaction.atomic():
            return write()
    now = timezone.now()
    try:
        with transaction.atomic():
            row = _key_row(client, key)
            if row is not None and row.created_at < now - idempotency_ttl():
                row.delete()
                row = None
            if row is not None:
                return _replay(row, fingerprint)
            row = IdempotencyKey.objects.create(client=client, key=key, fingerprint=fingerprint, created_at=now)
            status, body = write()
            row.status, row.body = status, body
            row.save(update_fields=["status", "body"])
            return status, body
    except IntegrityError:
        row = IdempotencyKey.objects.filter(client=client, key=key).first()
        if row is None:
            raise
        return _replay(row, fingerprint)


def idempotency_keys_purge(now: dt.datetime | None = None) -> int:
    """Delete the keys older than the configured time; returns how many."""
    now = now or timezone.now()
    return IdempotencyKey.objects.filter(created_at__lt=now - idempotency_ttl()).delete()[0]
