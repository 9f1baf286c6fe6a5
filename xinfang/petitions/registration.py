"""Writes that add to a petition outside the transition table: `petition_register` (登记), which creates it
with its intake deadline and "register" event, and the attachments (附件), each with its "attach" event."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinfang.org.models import Region, Unit, User
from xinfang.org.roles import ROLES_WHO_REGISTER
from xinfang.petitions import deadlines, rules
from xinfang.petitions.accusations import _accusation_received_against, _accused_data, _co_handling_refusal
from xinfang.petitions.attachments import (
    MAX_FILES,
    AttachmentRefused,
    CheckedFile,
    Upload,
    attachment_check,
    storage_name,
)
from xinfang.petitions.errors import AttachmentError, WorkflowError
from xinfang.petitions.eventlog import build_event, workflow_events_written
from xinfang.petitions.models import (
    Attachment,
    Category,
    CoHandling,
    Deadline,
    DeadlineKind,
    Event,
    Kind,
    Petition,
    Petitioner,
    PetitionParty,
    Priority,
    State,
)
from xinfang.petitions.replay import text_digest
from xinfang.petitions.search import petition_search_index
from xinfang.petitions.services import _today, actor_label, query_code_new


def _registering_unit(actor: User | None, registering_unit: Unit | None) -> Unit:
    """The unit that registers: the staff member's own, or for a petition the public submits online
    (actor None: the portal) the petition bureau given as `registering_unit`."""
    if actor is None:
        if registering_unit is None:
            raise WorkflowError(_("A petition submitted online needs the petition bureau that receives it."))
        return registering_unit
    if actor.role not in ROLES_WHO_REGISTER or actor.unit_id is None:
        raise WorkflowError(_("Only a clerk, bureau staff or a unit handler can register a petition."))
    return actor.unit


@transaction.atomic
def petition_register(
    *,
    actor: User | None,
    channel: str,
    kind: str,
    region: Region,
    title: str,
    content: str,
    received_at: dt.datetime | None = None,
    category: Category | None = None,
    petitioners: Sequence[Petitioner] = (),
    representatives: Sequence[Petitioner] = (),
    headcount: int = 1,
    priority: int = Priority.ORDINARY,
    related: Sequence[Petition] = (),
    accused_unit: Unit | None = None,
    accused_user: User | None = None,
    accused_name: str = "",
    co_units: Sequence[Unit] = (),
    attachments: Sequence[Upload] = (),
    at: dt.datetime | None = None,
    registering_unit: Unit | None = None,
    also: Callable[[Petition], object] | None = None,
    accused_confirmed: bool = True,
) -> Petition:
    """Register (登记) a petition in the actor's unit, which owns it until it is routed; a petition
    submitted online by the petitioner (actor None) in `registering_unit`.

    `attachments` (uploaded files) are checked first and stored with the petition, each with its
    "attach" event after the "register" one; if one is refused, nothing is registered. `also(petition)`
    is the caller's own write in the same transaction (the desk keeps the category proposal it showed),
    without a savepoint of its own.

    Accusations: `accused_confirmed` False records the accused unit and person as proposed from the text
    (the portal, the API, Open311; routing.accused): the petition is then seen only by those who handle
    accusations until `petition_confirm_accused`, and one that accuses the receiving unit itself goes at
    once to discipline inspection or the unit above. Given by staff at the desk (confirmed), an
    accusation against the staff member's own unit is refused, as the desk tells the clerk."""
    at = at or timezone.now()
    received_at = received_at or at
    unit = _registering_unit(actor, registering_unit)
    if not title.strip() or not content.strip():
        raise WorkflowError(_("Fill in the petition’s title and main content."))
    if kind == Kind.CLAIM and not petitioners:
        raise WorkflowError(_("A claim needs the petitioner’s name and contact details."))
    if len(representatives) > rules.MAX_REPRESENTATIVES:
        raise WorkflowError(
            _("A collective visit chooses at most %(count)s representatives (Regulations on Petition Work, art. 17).")
            % {"count": rules.MAX_REPRESENTATIVES}
        )
    if headcount < max(1, len(petitioners)):
        raise WorkflowError(_("The number of visitors cannot be less than the number of petitioners registered."))
    if accused_unit is None and accused_user is not None:
        accused_unit = accused_user.unit
    accused_units = {u.pk for u in (accused_unit, accused_user.unit if accused_user else None) if u is not None}
    accused_confirmed = accused_confirmed or kind != Kind.ACCUSATION
    owner = unit
    if kind == Kind.ACCUSATION and unit.pk in accused_units:
        if accused_confirmed:
            raise WorkflowError(
                _(
                    "An accusation against your own unit is registered by the unit above or by discipline "
                    "inspection (Regulations on Petition Work, art. 30)."
                )
            )
        owner = _accusation_received_against(unit, accused_units)
    if kind == Kind.ACCUSATION and accused_units & {u.pk for u in co_units}:
        raise WorkflowError(_co_handling_refusal())
    if kind != Kind.ACCUSATION and (accused_unit or accused_user or accused_name):
        raise WorkflowError(_("Only an accusation records an accused unit or person."))
    if received_at > at:
        raise WorkflowError(_("The time received cannot be later than the time registered."))
    checked = _attachments_check(attachments)

    petition = Petition.objects.create(
        query_code=query_code_new(),
        channel=channel,
        kind=kind,
        category=category,
        region=region,
        title=title.strip(),
        content=content,
        received_at=received_at,
        registered_by=actor,
        registering_unit_id=unit.pk,
        owner_unit_id=owner.pk,
        priority=priority,
        routed_by_unit_id=unit.pk if owner != unit else None,
        headcount=headcount,
        accused_unit=accused_unit,
        accused_user=accused_user,
        accused_name=accused_name,
        accused_confirmed=accused_confirmed,
    )
    petition_search_index([petition])
    reps = {id(r) for r in representatives}
    new_people = [p for p in petitioners if p.pk is None]
    Petitioner.objects.bulk_create(new_people)
    parties = PetitionParty.objects.bulk_create(
        PetitionParty(petition=petition, petitioner=p, is_representative=id(p) in reps) for p in petitioners
    )
    if related:
        petition.related.add(*related)
    if co_units:
        CoHandling.objects.bulk_create(CoHandling(petition=petition, unit=u) for u in co_units)
    intake = deadlines.deadline_new(petition, DeadlineKind.INTAKE, _today(received_at), owner)
    intake.save()
    petition.due_on = intake.due_on
    event = build_event(
        petition,
        action="register",
        actor_id=actor.pk if actor else None,
        actor_label=actor_label(actor),
        at=at,
        from_state="",
        to_state=State.REGISTERED,
        data={
            "channel": channel,
            "kind": kind,
            "region": region.code,
            "headcount": headcount,
            "unit": unit.pk,
            "received_on": _today(received_at).isoformat(),
            **_accused_data(petition, owner_unit=owner.pk if owner != unit else None),
            **_registered_data(petition, co_units, intake),
        },
    )
    with _files_removed_on_error() as stored:
        attach_events = _attachments_store(petition, actor, checked, at, stored)[1] if checked else []
        petition.save(update_fields=["due_on", "log_seq", "log_head"])
        Event.objects.bulk_create([event, *attach_events])
        workflow_events_written.send(Petition, petition=petition, events=[event], parties=parties)
        if also is not None:
            also(petition)
    return petition


def _registered_data(petition: Petition, co_units: Sequence[Unit], intake: Deadline) -> dict[str, Any]:
    """What else the register event records so that replay.py can check the row: the title and content
    by their SHA-256 only (the log holds no text), the co-handling units, category, priority, and the
    due date of the intake deadline."""
    return {
        "title_sha256": text_digest(petition.title),
        "content_sha256": text_digest(petition.content),
        "co_units": sorted(u.pk for u in co_units),
        "category": petition.category_id,
        "priority": petition.priority,
        "opened": {intake.kind: intake.due_on.isoformat()},
    }


# ---------------------------------------------------------------- attachments (附件)


def _attachments_check(files: Sequence[Upload]) -> list[tuple[Upload, CheckedFile]]:
    """Every file's type (by content), size and hash, before anything is written."""
    if len(files) > MAX_FILES:
        raise WorkflowError(_("At most %(count)s attachments can be uploaded at once.") % {"count": MAX_FILES})
    checked = []
    for f in files:
        try:
            checked.append((f, attachment_check(f)))
        except AttachmentRefused as e:
            raise AttachmentError(str(e), e.name) from e
    return checked


@contextlib.contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Names of files stored inside the block; they are deleted again if the block fails
    (the transaction around it rolls back, and no file is left without its row)."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        storage = Attachment._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


def _attachments_store(
    petition: Petition,
    actor: User | None,
    checked: list[tuple[Upload, CheckedFile]],
    at: dt.datetime,
    stored: list[str],
) -> tuple[list[Attachment], list[Event]]:
    """Store the files under MEDIA_ROOT, insert their rows, and build one "attach" event each
    (the petition's log head advances; the caller saves the petition and the events)."""
    storage = Attachment._meta.get_field("file").storage
    rows = []
    for upload, info in checked:
        name = storage.save(storage_name(petition.pk, secrets.token_hex(8), info), upload)
        stored.append(name)
        rows.append(
            Attachment(
                petition=petition,
                file=name,
                name=info.name,
                uploaded_by=actor,
                size=info.size,
                content_type=info.type.content_type,
                sha256=info.sha256,
            )
        )
    Attachment.objects.bulk_create(rows)
    return rows, [
        build_event(
            petition,
            action="attach",
            actor_id=actor.pk if actor else None,
            actor_label=actor_label(actor),
            at=at,
            from_state=petition.state,
            to_state=petition.state,
            data={
                "attachment": a.pk,
                "name": a.name,
                "size": a.size,
                "sha256": a.sha256,
                "content_type": a.content_type,
            },
        )
        for a in rows
    ]


def attachments_add(
    petition: Petition,
    *,
    actor: User,
    files: Sequence[Upload],
    at: dt.datetime | None = None,
    visible: bool | None = None,
) -> list[Attachment]:
    """Add files to a petition (staff who may see it), all or none, each with its "attach" event.
    `visible`: whether the actor may see the petition, if the caller already knows."""
    at = at or timezone.now()
    if actor is None or actor.role not in ROLES_WHO_REGISTER:
        raise WorkflowError(_("Only a clerk, bureau staff or a unit handler can add attachments."))
    if not files:
        raise WorkflowError(_("Choose the files to upload."))
    if visible is None:
        from xinfang.petitions.selectors import petition_is_visible

        visible = petition_is_visible(actor, petition)
    if not visible:
        raise WorkflowError(_("You may not see this petition, so you cannot add attachments."))
    checked = _attachments_check(files)
    with _files_removed_on_error() as stored, transaction.atomic():
        p = Petition.objects.select_for_update().get(pk=petition.pk)
        rows, events = _attachments_store(p, actor, checked, at, stored)
        p.save(update_fields=["log_seq", "log_head", "updated_at"])
        Event.objects.bulk_create(events)
    return rows


def attachment_add(
    petition: Petition, *, actor: User, file: Upload, at: dt.datetime | None = None, visible: bool | None = None
) -> Attachment:
    """Add one file to a petition: see attachments_add."""
    return attachments_add(petition, actor=actor, files=[file], at=at, visible=visible)[0]
