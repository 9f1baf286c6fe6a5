"""Writes. Every change to a petition goes through `petition_register` or `_apply`, which checks
the transition table, changes the petition and its deadlines, and appends the event, all in one
transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinfang.intake.files import (
    MAX_FILES,
    AttachmentRefused,
    CheckedFile,
    Upload,
    attachment_check,
    storage_name,
)
from xinfang.org import calendar
from xinfang.org.models import Region, Role, Unit, UnitKind, User
from xinfang.org.roles import ROLES_WHO_REGISTER
from xinfang.petitions import deadlines, rules
from xinfang.petitions.eventlog import build_event, workflow_events_written
from xinfang.petitions.models import (
    Attachment,
    Category,
    CoHandling,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionStage,
    Evaluation,
    Event,
    Kind,
    Measure,
    Outcome,
    Petition,
    Petitioner,
    PetitionParty,
    Priority,
    Satisfaction,
    State,
)
from xinfang.petitions.replay import text_digest
from xinfang.petitions.search import petition_search_index
from xinfang.petitions.workflow import EVALUATE_TARGET, TABLE, Transition, refusal

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out on the phone
QUERY_CODE_LENGTH = 10


class WorkflowError(Exception):
    """An action the rules do not allow; the message is for the clerk, in plain Chinese."""


class AttachmentError(WorkflowError):
    """A file refused by type or size; `file_name` is the name the user chose, the message says why."""

    def __init__(self, message: str, file_name: str) -> None:
        super().__init__(message)
        self.file_name = file_name


_d = calendar.format_date


def query_code_new() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_normalise(text: str) -> str:
    """What a person types or reads out (dashes, spaces, lower case) → the stored code."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def query_code_display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def actor_label(actor: User | None) -> str:
    if actor is None:
        return "信访人"
    return f"{actor.display_name or actor.username}（{actor.get_role_display()}）"


def _today(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def accusation_accuses(petition: Petition, unit: Unit) -> bool:
    """Whether `petition` is an accusation against `unit` or against a member of it (the accused
    official's unit now, which may not be the one recorded when it was registered)."""
    if petition.kind != Kind.ACCUSATION:
        return False
    if petition.accused_unit_id == unit.pk:
        return True
    return bool(petition.accused_user_id) and User.objects.filter(pk=petition.accused_user_id, unit_id=unit.pk).exists()


def _check_not_accused(petition: Petition, unit: Unit) -> None:
    """Art. 30: an accusation never goes to the unit accused, nor to the accused official's unit
    (registration records that unit as accused too)."""
    if accusation_accuses(petition, unit):
        raise WorkflowError(
            f"检举控告事项不得转给被检举控告的单位或被检举控告人所在单位（{unit.name}）（《信访工作条例》第三十条）。"
        )


def accusation_receiver(unit: Unit, accused_units: set[int]) -> Unit | None:
    """Where an accusation against `unit` itself goes (Art. 30: discipline inspection or the competent
    body): the discipline inspection unit of its region or the nearest one above, else its next-higher
    unit; never a unit that is accused too. None if there is neither."""
    from xinfang.org.selectors import unit_list_active

    prefix = unit.region.prefix
    discipline = [
        u
        for u in unit_list_active()
        if u.kind == UnitKind.DISCIPLINE and u.pk not in accused_units and prefix.startswith(u.region.prefix)
    ]
    if discipline:
        return max(discipline, key=lambda u: len(u.region.prefix))
    parent = unit.parent
    return parent if parent is not None and parent.is_active and parent.pk not in accused_units else None


def _accusation_received_against(unit: Unit, accused_units: set[int]) -> Unit:
    receiver = accusation_receiver(unit, accused_units)
    if receiver is None:
        raise WorkflowError(
            f"检举控告{unit.name}的事项应当交纪检监察机关或上一级机关办理，但系统中未设置"
            "（《信访工作条例》第三十条）。请管理员在单位设置中填写纪检监察机关或上一级机关。"
        )
    return receiver


def _registering_unit(actor: User | None, registering_unit: Unit | None) -> Unit:
    """The unit that registers: the staff member's own, or for a petition the public submits online
    (actor None: the portal) the petition bureau given as `registering_unit`."""
    if actor is None:
        if registering_unit is None:
            raise WorkflowError("网上提交的信访事项需要指定接收的信访部门。")
        return registering_unit
    if actor.role not in ROLES_WHO_REGISTER or actor.unit_id is None:
        raise WorkflowError("只有登记员、信访局工作人员或单位经办人可以登记信访事项。")
    return actor.unit


def _check_not_reexamined(petition: Petition) -> None:
    done = (
        Decision.objects.filter(petition__in=petition.related.all(), stage=DecisionStage.REEXAMINATION)
        .select_related("petition")
        .first()
    )
    if done:
        raise WorkflowError(
            f"同一事项（查询码 {query_code_display(done.petition.query_code)}）已于{_d(done.decided_on)}复核终结，"
            "以同一事实和理由提出的不再受理（《信访工作条例》第三十六条）。请以“不予受理”办结并书面告知信访人。"
        )


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
        raise WorkflowError("请填写信访事项的标题和主要内容。")
    if kind == Kind.CLAIM and not petitioners:
        raise WorkflowError("申诉求决类事项需要登记信访人姓名和联系方式。")
    if len(representatives) > rules.MAX_REPRESENTATIVES:
        raise WorkflowError(f"集体访最多推选{rules.MAX_REPRESENTATIVES}名代表（《信访工作条例》第十七条）。")
    if headcount < max(1, len(petitioners)):
        raise WorkflowError("来访人数不能少于登记的信访人数。")
    if accused_unit is None and accused_user is not None:
        accused_unit = accused_user.unit
    accused_units = {u.pk for u in (accused_unit, accused_user.unit if accused_user else None) if u is not None}
    accused_confirmed = accused_confirmed or kind != Kind.ACCUSATION
    owner = unit
    if kind == Kind.ACCUSATION and unit.pk in accused_units:
        if accused_confirmed:
            raise WorkflowError("检举控告本单位的事项，应当由上级机关或纪检监察机关登记（《信访工作条例》第三十条）。")
        owner = _accusation_received_against(unit, accused_units)
    if kind == Kind.ACCUSATION and accused_units & {u.pk for u in co_units}:
        raise WorkflowError(
            "检举控告事项不得交被检举控告的单位或被检举控告人所在单位协办（《信访工作条例》第三十条）。"
        )
    if kind != Kind.ACCUSATION and (accused_unit or accused_user or accused_name):
        raise WorkflowError("只有检举控告类事项登记被检举控告的单位或个人。")
    if received_at > at:
        raise WorkflowError("收到时间不能晚于登记时间。")
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
        raise WorkflowError(f"一次最多上传{MAX_FILES}个附件。")
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
        raise WorkflowError("只有登记员、信访局工作人员或单位经办人可以添加附件。")
    if not files:
        raise WorkflowError("请选择要上传的文件。")
    if visible is None:
        from xinfang.petitions.selectors import petition_is_visible

        visible = petition_is_visible(actor, petition)
    if not visible:
        raise WorkflowError("您无权查看该事项，不能添加附件。")
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


Effect = Callable[[Petition, dt.date, dict[str, Deadline]], dict[str, Any]]


def _apply(
    petition: Petition, action: str, actor: User | None, at: dt.datetime | None, effect: Effect | None = None
) -> Petition:
    """Carry out one row of the transition table; `effect` checks the action's own data, changes
    the petition, and returns what the event records. Returns the updated petition."""
    t: Transition = TABLE[action]
    at = at or timezone.now()
    with transaction.atomic():
        p = Petition.objects.select_for_update().select_related("owner_unit").get(pk=petition.pk)
        _check_allowed(t, p, actor)
        today = _today(at)
        open_deadlines = {d.kind: d for d in Deadline.objects.filter(petition=p, is_open=True)}
        from_state, owner_before = p.state, p.owner_unit_id
        data = effect(p, today, open_deadlines) if effect else {}
        target = t.target
        if action == "evaluate":
            target = EVALUATE_TARGET.get(p.state)
        for kind in t.closes:
            if kind in open_deadlines:
                deadlines.deadline_meet(open_deadlines[kind], today)
        new = [
            deadlines.deadline_new(
                p, kind, today, p.owner_unit if kind in UNIT_DEADLINES else None, days=data.pop(f"_{kind}_days", None)
            )
            for kind in t.opens
        ]
        if open_deadlines:
            Deadline.objects.bulk_update(
                open_deadlines.values(),
                [
                    "is_open",
                    "met_on",
                    "extension_days",
                    "extension_reason",
                    "paused_days",
                    "paused_since",
                    "due_on",
                    "unit",
                ],
            )
        if new:
            Deadline.objects.bulk_create(new)
            data["opened"] = {d.kind: d.due_on.isoformat() for d in new}
        if target:
            p.state = target
        still_open = [d for d in open_deadlines.values() if d.is_open] + new
        p.due_on = _queue_due(still_open)
        if p.owner_unit_id != owner_before:
            data["owner_unit"] = p.owner_unit_id
        event = build_event(
            p,
            action=action,
            actor_id=actor.pk if actor else None,
            actor_label=actor_label(actor),
            at=at,
            from_state=from_state,
            to_state=p.state,
            data=data,
        )
        p.save()
        event.save()
        workflow_events_written.send(Petition, petition=p, events=[event])
    return p


def _queue_due(open_deadlines: list[Deadline]) -> dt.date | None:
    """The date a work queue sorts by (deadlines.queue_due)."""
    return deadlines.queue_due((d.kind, d.due_on) for d in open_deadlines)


STATE_LABELS = dict(State.choices)
UNIT_DEADLINES = deadlines.UNIT_DEADLINES


# What petitioners do themselves, online (actor None: the public portal); all else needs staff.
PETITIONER_ACTIONS = frozenset({"evaluate", "request_review", "request_reexamination"})


def _check_allowed(t: Transition, p: Petition, actor: User | None) -> None:
    if actor is None and t.action in PETITIONER_ACTIONS and p.state in t.sources:
        return
    message = refusal(t, p, actor)
    if message:
        raise WorkflowError(message)


def _choice(value: str, options: dict[str, str] | type, what: str) -> str:
    allowed = options if isinstance(options, dict) else dict(options.choices)
    if value not in allowed:
        raise WorkflowError(f"请选择{what}。")
    return value


# ---------------------------------------------------------------- accusations received online (Art. 30)


def _accused_data(p: Petition, **more: Any) -> dict[str, Any]:
    """What the event records of an accusation's accused (nothing for other kinds)."""
    if p.kind != Kind.ACCUSATION:
        return {}
    data = {
        "accused_unit": p.accused_unit_id,
        "accused_user": p.accused_user_id,
        "accused_name": p.accused_name,
        "accused_confirmed": p.accused_confirmed,
    }
    return data | {k: v for k, v in more.items() if v is not None}


def petition_confirm_accused(
    petition: Petition,
    *,
    actor: User,
    accused_unit: Unit | None = None,
    accused_user: User | None = None,
    accused_name: str = "",
    at: dt.datetime | None = None,
) -> Petition:
    """确认被检举控告对象: staff who handle accusations confirm or correct the unit and person that an
    accusation received online was read to accuse. From then on it is routed as any accusation, never to
    them; one that accuses the unit holding it goes on at once to discipline inspection or the unit above."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if accused_unit is None and accused_user is None:
            raise WorkflowError("请选择被检举控告的单位，或被检举控告的工作人员。")
        unit = accused_unit or accused_user.unit
        if unit is None:
            raise WorkflowError("请选择被检举控告的单位。")
        proposed = p.accused_unit_id
        p.accused_unit, p.accused_user = unit, accused_user
        p.accused_name = accused_name.strip() or p.accused_name
        p.accused_confirmed = True
        accused = {unit.pk} | ({accused_user.unit_id} if accused_user and accused_user.unit_id else set())
        if CoHandling.objects.filter(petition=p, unit_id__in=accused).exists():
            raise WorkflowError(
                "检举控告事项不得交被检举控告的单位或被检举控告人所在单位协办（《信访工作条例》第三十条）。"
            )
        moved = None
        if p.owner_unit_id in accused:
            moved = _accusation_received_against(p.owner_unit, accused)
            p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, moved
            for d in open_.values():
                d.unit = moved if d.unit_id is not None else None
        return _accused_data(p, proposed_unit=proposed)  # (_apply adds the new owner_unit when it moved)

    return _apply(petition, "confirm_accused", actor, at, effect)


# ---------------------------------------------------------------- routing (within 15 days)


def petition_accept(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _check_not_reexamined(p)
        return {}

    return _apply(petition, "accept", actor, at, effect)


def petition_decline(
    petition: Petition, *, actor: User, reason: str, note: str = "", at: dt.datetime | None = None
) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        p.decline_reason = _choice(reason, rules.DECLINE_REASONS, "不予受理的法定理由")
        return {"reason": reason, "note": note}

    return _apply(petition, "decline", actor, at, effect)


def _route_target_checks(p: Petition, to_unit: Unit, verb: str) -> None:
    if to_unit.pk == p.owner_unit_id:
        raise WorkflowError(f"不能{verb}给本单位。")
    if not to_unit.is_active:
        raise WorkflowError(f"{to_unit.name}已停用，不能{verb}。")
    _check_not_accused(p, to_unit)
    _check_not_reexamined(p)


def petition_forward(
    petition: Petition, *, actor: User, to_unit: Unit, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """转送 to the competent body; it must say within 15 days whether it accepts."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _route_target_checks(p, to_unit, "转送")
        p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, to_unit
        return {"to_unit": to_unit.pk, "note": note}

    return _apply(petition, "forward", actor, at, effect)


def petition_assign(
    petition: Petition, *, actor: User, to_unit: Unit, report_days: int, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """交办 to a subordinate unit, with the number of days in which it must report the result."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _route_target_checks(p, to_unit, "交办")
        owner_region = p.owner_unit.region
        if not to_unit.region.prefix.startswith(owner_region.prefix):
            raise WorkflowError(
                f"交办只能交给本级或下级单位；{to_unit.name}不在{owner_region.name}辖区内，请改用“转送”。"
            )
        limit = rules.period("acceptance").days + rules.period("handling").days
        if not 1 <= report_days <= limit:
            raise WorkflowError(f"报告办理结果的期限应为1至{limit}日。")
        p.routed_by_unit_id, p.owner_unit = p.owner_unit_id, to_unit
        return {
            "to_unit": to_unit.pk,
            "report_days": report_days,
            "note": note,
            f"_{DeadlineKind.ASSIGNMENT_REPORT}_days": report_days,
        }

    return _apply(petition, "assign", actor, at, effect)


def petition_redirect(
    petition: Petition, *, actor: User, channel: str, note: str = "", at: dt.datetime | None = None
) -> Petition:
    """诉访分离: a claim that belongs to litigation, reconsideration or arbitration goes there."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if p.kind != Kind.CLAIM:
            raise WorkflowError("只有申诉求决类事项可以导入诉讼、仲裁、行政复议等法定途径。")
        p.redirect_channel = _choice(channel, rules.LEGAL_CHANNELS, "法定途径")
        return {"channel": channel, "note": note}

    return _apply(petition, "redirect", actor, at, effect)


def petition_return(petition: Petition, *, actor: User, reason: str, at: dt.datetime | None = None) -> Petition:
    """退回: a unit that is not competent returns it, with reasons, within 5 working days."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if not reason.strip():
            raise WorkflowError("退回必须说明理由。")
        objection = open_.get(DeadlineKind.OBJECTION)
        if objection is None or today > objection.due_on:
            limit = f"（已于{_d(objection.due_on)}届满）" if objection else ""
            raise WorkflowError(
                f"提出异议的{rules.period('objection').days}个工作日期限已过{limit}，不能退回，请受理后依法办理。"
            )
        if p.routed_by_unit_id is None:
            raise WorkflowError("找不到转送或交办该事项的单位，无法退回。")
        back = Unit.objects.get(pk=p.routed_by_unit_id)
        _check_not_accused(p, back)
        p.owner_unit = back
        p.routed_by_unit_id = None
        return {"reason": reason}

    return _apply(petition, "return", actor, at, effect)


# ---------------------------------------------------------------- handling (60 days, one extension)


def petition_extend(
    petition: Petition, *, actor: User, days: int, reason: str, at: dt.datetime | None = None
) -> Petition:
    """延期, approved by the unit head (the actor); the reason is told to the petitioner."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        handling = open_[DeadlineKind.HANDLING]
        maximum = rules.period("extension_max").days
        if handling.extension_days:
            raise WorkflowError("办理期限只能延长一次，该事项已经延期。")
        if not 1 <= days <= maximum:
            raise WorkflowError(f"延长期限不得超过{maximum}日。")
        if not reason.strip():
            raise WorkflowError("延期必须写明理由，并告知信访人。")
        if today > handling.due_on:
            raise WorkflowError(f"办理期限已于{_d(handling.due_on)}届满，不能再批准延期。")
        before = handling.due_on
        deadlines.deadline_extend(handling, days, reason)
        return {
            "days": days,
            "reason": reason,
            "approved_by": actor.pk if actor else None,
            "due_before": before.isoformat(),
            "due_after": handling.due_on.isoformat(),
        }

    return _apply(petition, "extend", actor, at, effect)


def petition_record_step(petition: Petition, *, actor: User, note: str, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if not note.strip():
            raise WorkflowError("请填写办理情况。")
        return {"note": note}

    return _apply(petition, "record_step", actor, at, effect)


def _decision_effect(stage: str, outcome: str, measure: str, text: str, actor: User) -> Effect:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _choice(outcome, Outcome, "处理结果（支持、解释说明或不支持）")
        _choice(measure, Measure, "“三到位一处理”中适用的一项")
        if not text.strip():
            raise WorkflowError("请填写意见书正文。")
        Decision.objects.create(
            petition=p,
            stage=stage,
            unit=p.owner_unit,
            outcome=outcome,
            measure=measure,
            text=text,
            decided_on=today,
            decided_by=actor,
        )
        return {"stage": stage, "outcome": outcome, "measure": measure}

    return effect


def petition_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    """The written handling opinion (信访处理意见书): support, explain or not support."""
    return _apply(
        petition, "decide", actor, at, _decision_effect(DecisionStage.HANDLING, outcome, measure, text, actor)
    )


def petition_evaluate(
    petition: Petition, *, actor: User | None, satisfaction: str, reason: str = "", at: dt.datetime | None = None
) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        _choice(satisfaction, Satisfaction, "满意度")
        Evaluation.objects.create(petition=p, satisfaction=satisfaction, reason=reason, evaluated_on=today)
        return {"satisfaction": satisfaction, "reason": reason}

    return _apply(petition, "evaluate", actor, at, effect)


# ---------------------------------------------------------------- review (复查) and reexamination (复核)


def _appeal_effect(window_kind: str, what: str) -> Effect:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        window = open_.get(window_kind)
        if window is None or today > window.due_on:
            ended = f"已于{_d(window.due_on)}届满" if window else "已届满"
            raise WorkflowError(f"申请{what}的期限{ended}，依法不再受理该{what}申请。")
        higher = p.owner_unit.parent
        if higher is None:
            raise WorkflowError(f"{p.owner_unit.name}未设置上一级机关，无法申请{what}。请管理员在单位设置中填写。")
        _check_not_accused(p, higher)
        p.routed_by_unit_id, p.owner_unit = None, higher
        return {"to_unit": higher.pk}

    return effect


def petition_request_review(petition: Petition, *, actor: User | None, at: dt.datetime | None = None) -> Petition:
    """复查: within 30 days of the decision, to the next-higher unit, answered within 30 days."""
    return _apply(petition, "request_review", actor, at, _appeal_effect(DeadlineKind.REVIEW_REQUEST, "复查"))


def petition_review_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    return _apply(
        petition, "review_decide", actor, at, _decision_effect(DecisionStage.REVIEW, outcome, measure, text, actor)
    )


def petition_request_reexamination(
    petition: Petition, *, actor: User | None, at: dt.datetime | None = None
) -> Petition:
    """复核: within 30 days of the review opinion, one level further up, answered within 30 days."""
    return _apply(
        petition, "request_reexamination", actor, at, _appeal_effect(DeadlineKind.REEXAMINATION_REQUEST, "复核")
    )


def petition_hearing_start(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    """A hearing (听证) pauses the reexamination deadline: hearing days do not count."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        d = open_[DeadlineKind.REEXAMINATION_ANSWER]
        if d.paused_since:
            raise WorkflowError(f"听证已于{_d(d.paused_since)}开始，尚未结束。")
        deadlines.deadline_pause(d, today)
        return {"paused_on": today.isoformat()}

    return _apply(petition, "hearing_start", actor, at, effect)


def petition_hearing_end(petition: Petition, *, actor: User, at: dt.datetime | None = None) -> Petition:
    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        d = open_[DeadlineKind.REEXAMINATION_ANSWER]
        if not d.paused_since:
            raise WorkflowError("没有正在进行的听证。")
        if today < d.paused_since:
            raise WorkflowError("听证结束日期不能早于开始日期。")
        added = deadlines.deadline_resume(d, today)
        return {"resumed_on": today.isoformat(), "days_not_counted": added, "due_after": d.due_on.isoformat()}

    return _apply(petition, "hearing_end", actor, at, effect)


def petition_reexamine_decide(
    petition: Petition, *, actor: User, outcome: str, measure: str, text: str, at: dt.datetime | None = None
) -> Petition:
    decide = _decision_effect(DecisionStage.REEXAMINATION, outcome, measure, text, actor)

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if open_[DeadlineKind.REEXAMINATION_ANSWER].paused_since:
            raise WorkflowError("听证尚未结束，请先记录听证结束，再出具复核意见。")
        return decide(p, today, open_)

    return _apply(petition, "reexamine_decide", actor, at, effect)


def petition_close(petition: Petition, *, actor: User, waived: bool = False, at: dt.datetime | None = None) -> Petition:
    """结案 once the petitioner's appeal window has passed, or they have said they will not appeal."""

    def effect(p: Petition, today: dt.date, open_: dict[str, Deadline]) -> dict[str, Any]:
        if actor.unit_id != p.owner_unit_id and actor.role != Role.BUREAU_STAFF:
            raise WorkflowError(f"该事项由{p.owner_unit.name}负责办理，您所在单位不能结案。")
        for kind, what in ((DeadlineKind.REVIEW_REQUEST, "复查"), (DeadlineKind.REEXAMINATION_REQUEST, "复核")):
            window = open_.get(kind)
            if window and today <= window.due_on and not waived:
                raise WorkflowError(
                    f"信访人可在{_d(window.due_on)}前申请{what}，期限届满前不能结案；"
                    f"信访人明确表示不申请{what}的，请注明后结案。"
                )
        return {"waived": waived}

    return _apply(petition, "close", actor, at, effect)


ACTIONS: dict[str, Callable[..., Petition]] = {
    "confirm_accused": petition_confirm_accused,
    "accept": petition_accept,
    "decline": petition_decline,
    "forward": petition_forward,
    "assign": petition_assign,
    "redirect": petition_redirect,
    "return": petition_return,
    "extend": petition_extend,
    "record_step": petition_record_step,
    "decide": petition_decide,
    "evaluate": petition_evaluate,
    "request_review": petition_request_review,
    "review_decide": petition_review_decide,
    "request_reexamination": petition_request_reexamination,
    "hearing_start": petition_hearing_start,
    "hearing_end": petition_hearing_end,
    "reexamine_decide": petition_reexamine_decide,
    "close": petition_close,
}
assert set(ACTIONS) == set(TABLE), "every row of the transition table has its service"
