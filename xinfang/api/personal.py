"""Personal data through the API (issue 18, point 4): every answer that carries petitioners' unmasked
phone, ID number, e-mail or address (a client with the personal:read scope) is one row of the audit
log, naming the client, the petitions and the fields; and a client is given such data for at most
`API_PERSONAL_PER_HOUR` petitions (XINFANG_API_PERSONAL_PER_HOUR, default 300; `ApiClient.personal_per_hour`
overrides it) per clock hour. Beyond that the read is refused with 429, a Retry-After header and the
reason in Chinese; nothing is answered and nothing is done.

The views call `personal_answer` once per response, with the petitions as they will be answered.

The count is a table (`PersonalReadCount`: one row per client and hour), not the cache: one conditional
`UPDATE … SET count = count + n WHERE count + n <= limit` is exact under concurrency in every process
and on every machine whatever cache is configured (the local-memory cache is per process, and the
database and file caches increment by reading and writing back, which loses counts when two requests
race); it survives restarts; and it is written in the same transaction as the audit row, so there is
never a count without its row or a row without its count.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from xinfang.api.models import ApiClient, PersonalReadCount, Scope
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.services import PETITION, audit_record, request_filters

# what the API masks without personal:read (xinfang.api.schemas._petitioner); the name is never masked
PERSONAL_FIELDS = ("phone", "id_number", "email", "address")
HOUR = dt.timedelta(hours=1)


class PersonalLimitExceeded(HttpError):
    """A client's hourly budget of petitions with personal data is spent: 429, Retry-After seconds."""

    def __init__(self, *, limit: int, left: int, asked: int, retry_after: int) -> None:
        super().__init__(
            429,
            _(
                "This API returns the personal data of at most %(limit)s petitions an hour (%(left)s more this "
                "hour, this request holds %(asked)s): try again later or ask an administrator to change the limit."
            )
            % {"limit": limit, "left": left, "asked": asked},
        )
        self.retry_after = retry_after


def personal_per_hour(client: ApiClient) -> int:
    """The client's own budget if it has one, else the setting."""
    if client.personal_per_hour is not None:
        return client.personal_per_hour
    return int(getattr(settings, "API_PERSONAL_PER_HOUR", 300))


def personal_carried(petitions: Iterable[Mapping[str, Any]]) -> tuple[list[int], list[str]]:
    """The ids of the answered petitions that carry some personal data (a petitioner with a phone,
    ID number, e-mail or address), and which of those fields the answer carries."""
    ids: list[int] = []
    fields: set[str] = set()
    for petition in petitions:
        present = {f for person in petition["petitioners"] for f in PERSONAL_FIELDS if person.get(f)}
        if present:
            ids.append(petition["id"])
            fields |= present
    return ids, [f for f in PERSONAL_FIELDS if f in fields]


def _hour_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def personal_budget_take(client: ApiClient, n: int, *, now: dt.datetime | None = None) -> None:
    """Count `n` petitions against the client's budget of this clock hour, or raise
    PersonalLimitExceeded (counting nothing) if they do not fit. One UPDATE when the hour has its
    row; the hour's first answer adds the row (and drops the client's rows of earlier hours)."""
    now = now or timezone.now()
    limit, hour = personal_per_hour(client), _hour_start(now)
    rows = PersonalReadCount.objects.filter(client=client, hour=hour)
    if rows.filter(count__lte=limit - n).update(count=F("count") + n):
        return
    if n <= limit and not rows.exists():
        try:
            with transaction.atomic():
                PersonalReadCount.objects.create(client=client, hour=hour, count=n)
            PersonalReadCount.objects.filter(client=client, hour__lt=hour).delete()
            return
        except IntegrityError:  # another answer added the hour's row first: count against it
            if rows.filter(count__lte=limit - n).update(count=F("count") + n):
                return
    used = rows.values_list("count", flat=True).first() or 0
    raise PersonalLimitExceeded(
        limit=limit,
        left=max(limit - used, 0),
        asked=n,
        retry_after=max(1, math.ceil((hour + HOUR - now).total_seconds())),
    )


def personal_answer(
    request: HttpRequest, client: ApiClient, petitions: Iterable[Mapping[str, Any]], *, counted: bool = True
) -> AuditEntry | None:
    """Call once per API response, with the petitions it answers (as shaped for the answer). If they
    carry unmasked personal data: count them against the client's hourly budget (unless `counted` is
    false: the answer to a registration carries only what the client itself sent) and write one audit
    row (`api_personal`: the client's service user, the petitions' ids, the fields, the path and its
    filters), in one transaction; raises PersonalLimitExceeded when the budget is spent. Returns the
    row, or None when nothing personal is answered (masked: no personal:read; or no such data)."""
    if Scope.PERSONAL_READ not in client.scope_set:
        return None
    ids, fields = personal_carried(petitions)
    if not ids:
        return None
    with transaction.atomic():
        if counted:
            personal_budget_take(client, len(ids))
        return audit_record(
            actor=client.user,
            action=AuditAction.API_PERSONAL,
            object_type=PETITION,
            object_id=ids[0] if len(ids) == 1 else "",
            request=request,
            detail={
                "client": client.name,
                "ids": ids,
                "fields": fields,
                "count": len(ids),
                "path": request.path,
                "filters": request_filters(request),
            },
        )
