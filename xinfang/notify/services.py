"""Writes of the notices to petitioners (B5): queue them with the change, send them later.

`notices_enqueue_for_events` runs inside the transaction of a petition's change (it receives the
petitions app's `workflow_events_written` signal): it only inserts Outbox rows (one INSERT for every
petitioner and channel), so the change and its notices commit or roll back together and no gateway is
ever called from a request. `notices_send_due` (the scheduled task `notify.tasks.notices_send`, or the `notices_send` command) claims
the due rows, sends them, and retries failures with exponential backoff until NOTIFY_MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from xinfang.documents.services import OUTCOME_WORDS
from xinfang.notify.backends import Mailer, SmsBackend, sms_backend
from xinfang.notify.masking import mobile_number
from xinfang.notify.models import Notice, NoticeChannel, NoticeState
from xinfang.notify.texts import STAGES, Wording, wording_for
from xinfang.org.calendar import format_date
from xinfang.petitions import rules
from xinfang.petitions.models import Deadline, DeadlineKind, Event, Petition, PetitionParty
from xinfang.petitions.services import query_code_display

# A claim older than this is taken to be a crashed worker's: the row may be claimed again. Far longer
# than any gateway or SMTP timeout, so a live worker is never overtaken.
LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)


# ---------------------------------------------------------------- enqueue (in the change's transaction)


def notices_enqueue_for_events(
    petition: Petition, events: Sequence[Event], *, parties: Sequence[PetitionParty] | None = None
) -> list[Notice]:
    """Queue the notices of `events` (just written for `petition`) to its petitioners: the
    representatives if it has any, else every petitioner; an SMS to each mobile number, an e-mail
    to each address. A petitioner without either gets nothing on that channel; a petition without
    petitioners (an anonymous accusation) gets nothing. Costs no query for an event without a notice,
    else one to read the petitioners (none when `parties` is given: registration), one INSERT, and
    for an acceptance one read of the handling deadline."""
    events = [e for e in events if e.action in STAGES]
    if not events:
        return []
    if parties is None:
        parties = list(PetitionParty.objects.filter(petition=petition).select_related("petitioner").order_by("pk"))
    addressees = _addressees(parties)
    if not addressees:
        return []
    now = timezone.now()
    rows = []
    for event in events:
        wording = wording_for(event.action, _context(petition, event))
        rows += [
            Notice(
                petition=petition,
                event=event,
                stage=event.action,
                channel=channel,
                recipient=recipient,
                subject=wording.subject if channel == NoticeChannel.EMAIL else "",
                text=_text(wording, channel),
                created_at=now,
                next_attempt_at=now,
            )
            for channel, recipient in addressees
        ]
    return Notice.objects.bulk_create(rows)


def _addressees(parties: Iterable[PetitionParty]) -> list[tuple[str, str]]:
    parties = list(parties)
    chosen = [p for p in parties if p.is_representative] or parties
    found: dict[tuple[str, str], None] = {}
    for party in chosen:
        person = party.petitioner
        if mobile := mobile_number(person.phone):
            found[(NoticeChannel.SMS, mobile)] = None
        if person.email.strip():
            found[(NoticeChannel.EMAIL, person.email.strip())] = None
    return list(found)


def _text(wording: Wording, channel: str) -> str:
    return wording.email if channel == NoticeChannel.EMAIL else wording.sms


def _day(value: dt.date | str | None) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value) if value else ""


def _handling_due_on(petition: Petition) -> str:
    due = (
        Deadline.objects.filter(petition=petition, kind=DeadlineKind.HANDLING, is_open=True)
        .values_list("due_on", flat=True)
        .first()
    )
    return _day(due)


def _context(petition: Petition, event: Event) -> dict[str, Any]:
    """What the texts may say (texts.py lists it). Callables are called only by a text that uses
    them, and once, so a notice that does not name the handling deadline pays no query for it."""
    data = event.data
    return {
        "query_code": query_code_display(petition.query_code),
        "portal": settings.PORTAL_URL,
        "title": petition.title,
        "on": _day(timezone.localdate(event.at)),
        "unit": cache(lambda: petition.owner_unit.name),
        # the date the change sets: the deadline after an extension, else the petition's next due date
        # (registration: routing; forwarding: telling whether accepted; an appeal: its answer;
        # a decision: the last day to appeal)
        "due_on": _day(data.get("due_after") or petition.due_on),
        "handling_due_on": cache(lambda: _handling_due_on(petition)),
        "extension_days": data.get("days", ""),
        "extension_reason": data.get("reason", ""),
        "decline_reason": rules.DECLINE_REASONS.get(data.get("reason", ""), ""),
        "legal_channel": rules.LEGAL_CHANNELS.get(data.get("channel", ""), "诉讼、仲裁、行政复议"),
        "outcome": OUTCOME_WORDS.get(data.get("outcome", ""), ""),
    }


def on_workflow_events_written(
    sender: type,
    *,
    petition: Petition,
    events: Sequence[Event],
    parties: Sequence[PetitionParty] | None = None,
    **_: Any,
) -> None:
    """The receiver of xinfang.petitions.eventlog.workflow_events_written (connected in apps.py)."""
    notices_enqueue_for_events(petition, events, parties=parties)


# ---------------------------------------------------------------- send (out of every request)


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    gave_up: int = 0

    def add(self, state: str) -> None:
        if state == NoticeState.SENT:
            self.sent += 1
        elif state == NoticeState.FAILED:
            self.gave_up += 1
        else:
            self.retrying += 1


def max_attempts() -> int:
    return settings.NOTIFY_MAX_ATTEMPTS


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: NOTIFY_RETRY_SECONDS, doubled each
    time, at most six hours (1, 2, 4, 8 … minutes by default)."""
    delay = dt.timedelta(seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


def _due(now: dt.datetime) -> Q:
    return Q(state=NoticeState.PENDING, next_attempt_at__lte=now) | Q(
        state=NoticeState.SENDING, claimed_at__lt=now - LEASE
    )


def notices_due_count(now: dt.datetime | None = None) -> int:
    return Notice.objects.filter(_due(now or timezone.now())).count()


def notices_claim(*, limit: int = 50, now: dt.datetime | None = None) -> list[Notice]:
    """Take up to `limit` due notices for this worker (state "sending", one more attempt counted).
    Two workers never get the same row: on PostgreSQL the rows are locked with SKIP LOCKED, so each
    worker takes other rows; everywhere the claiming UPDATE re-checks that the row is still due
    (see notices_claim_ids)."""
    now = now or timezone.now()
    due = Notice.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            return notices_claim_ids(
                list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]), now
            )
    return notices_claim_ids(list(due.values_list("pk", flat=True)[:limit]), now)


def notices_claim_ids(ids: list[int], now: dt.datetime) -> list[Notice]:
    """Claim the notices `ids` that are still due: UPDATE ... WHERE pk IN ids AND still due, with a
    token of this worker's own; returns the rows that carry the token. A row another worker claimed
    after this one read the ids is no longer due, so the UPDATE leaves it alone (SQLite runs one
    writer at a time; PostgreSQL re-checks the condition after waiting for a concurrent update)."""
    if not ids:
        return []
    token = secrets.token_hex(16)
    Notice.objects.filter(_due(now), pk__in=ids).update(
        state=NoticeState.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
    )
    return list(Notice.objects.filter(claim=token).order_by("pk"))


def notice_deliver(notice: Notice, *, sms: Callable[[], SmsBackend], mailer: Mailer) -> None:
    """Hand one notice to its gateway; raises if the gateway did not take it."""
    key = f"xinfang-notice-{notice.pk}"
    if notice.channel == NoticeChannel.EMAIL:
        mailer.send(notice.recipient, notice.subject, notice.text, key)
    else:
        sms().send(notice.recipient, notice.text, key)


def notice_record(notice: Notice, error: Exception | None, now: dt.datetime) -> str:
    """Record the attempt of a claimed notice: sent; or failed and due again after the backoff;
    or given up after NOTIFY_MAX_ATTEMPTS. Returns the new state."""
    if error is None:
        changes = {"state": NoticeState.SENT, "sent_at": now, "last_error": ""}
    else:
        gave_up = notice.attempts >= max_attempts()
        changes = {
            "state": NoticeState.FAILED if gave_up else NoticeState.PENDING,
            "next_attempt_at": now + backoff(notice.attempts),
            "last_error": (f"{type(error).__name__}: {error}")[:500],
        }
    Notice.objects.filter(pk=notice.pk, claim=notice.claim).update(claim="", **changes)
    return changes["state"]


def notices_send_due(
    *, now: dt.datetime | None = None, batch: int = 50, progress: Callable[[Notice, str], object] | None = None
) -> SendResult:
    """One pass of the worker: claim and send due notices, batch by batch, until none is due.
    A failing or slow gateway costs at most its timeout per notice and is retried later."""
    result = SendResult()
    mailer = Mailer()
    backend: list[SmsBackend] = []

    def sms() -> SmsBackend:
        if not backend:
            backend.append(sms_backend())
        return backend[0]

    try:
        while claimed := notices_claim(limit=batch, now=now):
            for notice in claimed:
                error = None
                try:
                    notice_deliver(notice, sms=sms, mailer=mailer)
                except Exception as e:  # whatever the gateway did, this notice waits for its retry
                    error = e
                state = notice_record(notice, error, now or timezone.now())
                result.add(state)
                if progress:
                    progress(notice, state)
    finally:
        mailer.close()
    return result


def notices_retry_now(ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """The admin's "retry now": waiting or given-up notices become due at once (a given-up notice
    gets one more attempt). Returns how many."""
    return Notice.objects.filter(pk__in=ids, state__in=[NoticeState.PENDING, NoticeState.FAILED]).update(
        state=NoticeState.PENDING, next_attempt_at=now or timezone.now()
    )
