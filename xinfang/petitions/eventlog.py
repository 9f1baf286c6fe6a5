"""The append-only, hash-chained event log (B3).

Each row carries the hash of the previous row of the same petition; the petition row keeps the
head (log_seq, log_head), so appending costs one INSERT and the petition UPDATE the change makes anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

from xinfang.petitions.models import Event, Petition

GENESIS = "0" * 64

# Sent by registration.petition_register and by every workflow action (services._apply) inside the
# transaction that wrote the events, with `petition` and `events` (and, at registration, `parties`:
# the PetitionParty rows, already in memory): a receiver's own rows (xinfang.notify's outbox) commit
# or roll back with the change. Receivers must not call out of the process.
workflow_events_written = Signal()


def event_hash(
    *,
    petition_id: int,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    from_state: str,
    to_state: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    body = {
        "petition": petition_id,
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_label": actor_label,
        "action": action,
        "from": from_state,
        "to": to_state,
        "data": data,
        "prev": prev_hash,
    }
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def build_event(
    petition: Petition,
    *,
    action: str,
    actor_id: int | None,
    actor_label: str,
    at: dt.datetime,
    from_state: str,
    to_state: str,
    data: dict[str, Any],
) -> Event:
    """The next event of `petition`, with the petition's log head advanced (the caller saves both)."""
    seq = petition.log_seq + 1
    prev = petition.log_head or GENESIS
    h = event_hash(
        petition_id=petition.pk,
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=data,
        prev_hash=prev,
    )
    petition.log_seq, petition.log_head = seq, h
    return Event(
        petition_id=petition.pk,
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=data,
        prev_hash=prev,
        hash=h,
    )


@dataclass
class ChainBreak:
    petition_id: int
    event_id: int | None
    seq: int | None
    problem: str


def verify_chains(
    petition_ids: list[int] | None = None, chunk: int = 5000, progress: Callable[[int], object] | None = None
) -> Iterator[ChainBreak]:
    """Walk every chain in (petition, seq) order; yield each break found. `progress(n)` is called
    after every `chunk` rows read."""
    events = Event.objects.order_by("petition_id", "seq")
    heads = Petition.objects.order_by("pk")
    if petition_ids is not None:
        events = events.filter(petition_id__in=petition_ids)
        heads = heads.filter(pk__in=petition_ids)
    fields = (
        "id",
        "petition_id",
        "seq",
        "at",
        "actor_id",
        "actor_label",
        "action",
        "from_state",
        "to_state",
        "data",
        "prev_hash",
        "hash",
    )
    last: dict[int, tuple[int, str]] = {}
    current, prev, expected_seq, read = None, GENESIS, 1, 0
    for row in events.values_list(*fields).iterator(chunk_size=chunk):
        (eid, pid, seq, at, actor_id, actor_label, action, from_state, to_state, data, prev_hash, h) = row
        if pid != current:
            current, prev, expected_seq = pid, GENESIS, 1
        if seq != expected_seq:
            yield ChainBreak(pid, eid, seq, f"expected sequence number {expected_seq}, found {seq}")
        if prev_hash != prev:
            yield ChainBreak(pid, eid, seq, "prev_hash does not match the previous row's hash")
        computed = event_hash(
            petition_id=pid,
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            from_state=from_state,
            to_state=to_state,
            data=data,
            prev_hash=prev_hash,
        )
        if computed != h:
            yield ChainBreak(pid, eid, seq, "row content does not match its hash (altered)")
        prev, expected_seq = h, seq + 1
        last[pid] = (seq, h)
        read += 1
        if progress and read % chunk == 0:
            progress(chunk)
    for pid, log_seq, log_head in heads.values_list("pk", "log_seq", "log_head").iterator(chunk_size=chunk):
        seen = last.get(pid, (0, ""))
        if seen != (log_seq, log_head):
            yield ChainBreak(
                pid,
                None,
                log_seq,
                f"petition's log head is #{log_seq}, the chain ends at #{seen[0]} (rows missing or added)",
            )
