"""Writes of the public portal. The petition itself is registered by petitions.services (actor None:
the petitioner, online); the portal adds only the hashed tracking phone of an anonymous petitioner."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from xinfang.intake.files import Upload
from xinfang.org.models import Region, Unit
from xinfang.petitions import services
from xinfang.petitions.models import Category, Kind, Petition, Petitioner
from xinfang.portal.models import TrackingPhone
from xinfang.portal.selectors import phone_digest
from xinfang.routing.accused import accused_propose


def petition_submit(*, channel: str, kind: str, region: Region, bureau: Unit, title: str, content: str,
                    category: Category | None = None, petitioner: Petitioner | None = None,
                    tracking_phone: str = "", accused_name: str = "", attachments: Sequence[Upload] = (),
                    at: dt.datetime | None = None) -> Petition:
    """A petition the public submits online, registered in the county petition bureau `bureau`.
    Anonymous (no `petitioner`), it may carry a `tracking_phone`, kept only as a keyed hash."""
    kwargs = dict(actor=None, registering_unit=bureau, channel=channel, kind=kind, region=region, title=title,
                  content=content, category=category, petitioners=[petitioner] if petitioner else [],
                  accused_name=accused_name, attachments=attachments, at=at)
    if kind == Kind.ACCUSATION:  # Art. 30: the accused as records, proposed from the text, unconfirmed
        found = accused_propose(named=accused_name, text=f"{title}\n{content}", region=region)
        kwargs |= {"accused_unit": found.unit, "accused_user": found.user, "accused_confirmed": False}
    if petitioner is not None or not tracking_phone:
        return services.petition_register(**kwargs)
    with transaction.atomic():
        petition = services.petition_register(**kwargs)
        TrackingPhone.objects.create(petition=petition, digest=phone_digest(tracking_phone))
    return petition
