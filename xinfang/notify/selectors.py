"""Reads of the notices to petitioners."""

from __future__ import annotations

from xinfang.notify.models import Notice, NoticeState
from xinfang.petitions.models import Petition

# When several petitioners got the same notice, the one shown is the best-delivered.
_RANK = {NoticeState.SENT: 0, NoticeState.SENDING: 1, NoticeState.PENDING: 2, NoticeState.FAILED: 3}


def notice_list_for_petitioner(petition: Petition) -> list[Notice]:
    """The notices of `petition` as its petitioner's timeline shows them, oldest first: one per event
    and channel (every petitioner of a petition gets the same words), with `created_at`, `channel`
    ("sms"/"email"), `text`, `state` and `sent_at`. One query. The recipient is not read: a page
    that showed it would pay a query per notice, and should not show it."""
    rows = (
        Notice.objects.filter(petition=petition)
        .only("petition_id", "event_id", "channel", "subject", "text", "state", "created_at", "sent_at")
        .order_by("created_at", "event_id", "channel", "pk")
    )
    best: dict[tuple[int, str], Notice] = {}
    for notice in rows:
        key = (notice.event_id, notice.channel)
        if key not in best or _RANK[notice.state] < _RANK[best[key].state]:
            best[key] = notice
    return sorted(best.values(), key=lambda n: (n.created_at, n.event_id, n.channel))
