"""Writes of the public portal. The petition itself is registered by petitions.services (actor None:
the petitioner, online); the portal adds only the hashed tracking phone of an anonymous petitioner,
and the one-time token of the form that sent it (`petition_submit_once`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.db import IntegrityError
from django.utils import timezone

from xinfang.org.models import Region, Unit
from xinfang.petitions import registration
from xinfang.petitions.attachments import Upload
from xinfang.petitions.models import Category, Kind, Petition, Petitioner
from xinfang.portal.models import Submission, TrackingPhone
from xinfang.portal.selectors import phone_digest, submission_browser_digest, submission_get
from xinfang.routing.accused import accused_propose


def petition_submit(
    *,
    channel: str,
    kind: str,
    region: Region,
    bureau: Unit,
    title: str,
    content: str,
    category: Category | None = None,
    petitioner: Petitioner | None = None,
    tracking_phone: str = "",
    accused_name: str = "",
    attachments: Sequence[Upload] = (),
    at: dt.datetime | None = None,
    also: Callable[[Petition], object] | None = None,
) -> Petition:
    """A petition the public submits online, registered in the county petition bureau `bureau`.
    Anonymous (no `petitioner`), it may carry a `tracking_phone`, kept only as a keyed hash.
    `also(petition)`: the caller's own write in the same transaction."""
    kwargs = dict(
        actor=None,
        registering_unit=bureau,
        channel=channel,
        kind=kind,
        region=region,
        title=title,
        content=content,
        category=category,
        petitioners=[petitioner] if petitioner else [],
        accused_name=accused_name,
        attachments=attachments,
        at=at,
    )
    if kind == Kind.ACCUSATION:  # Art. 30: the accused as records, proposed from the text, unconfirmed
        found = accused_propose(named=accused_name, text=f"{title}\n{content}", region=region)
        kwargs |= {"accused_unit": found.unit, "accused_user": found.user, "accused_confirmed": False}
    keep_phone = petitioner is None and bool(tracking_phone)
    if not keep_phone and also is None:
        return registration.petition_register(**kwargs)

    def writes(petition: Petition) -> None:
        if keep_phone:
            TrackingPhone.objects.create(petition=petition, digest=phone_digest(tracking_phone))
        if also is not None:
            also(petition)

    return registration.petition_register(**kwargs, also=writes)


def petition_submit_once(*, token: str, browser: str, at: dt.datetime | None = None, **submit: object) -> Submission:
    """`petition_submit` at most once for the form's one-time `token`: the Submission of this token,
    new or — the form sent again, or two sendings at once — the one stored before, whichever browser
    sends it (the view shows its receipt only to `browser`, the cookie of the browser that sent it
    first). Race-safe without a lookup first: the token is unique, so a second sending's insert fails
    and all it wrote (petition, events, notices, files) is rolled back; then it returns the first."""
    at = at or timezone.now()

    def record(petition: Petition) -> None:
        made.append(
            Submission.objects.create(
                token=token, petition=petition, at=at, browser=submission_browser_digest(token, browser)
            )
        )

    made: list[Submission] = []
    try:
        petition_submit(at=at, also=record, **submit)  # type: ignore[arg-type]
    except IntegrityError:
        found = submission_get(token)
        if found is None:  # another constraint: not a second sending
            raise
        return found
    return made[0]
