"""The shapes the native API reads and answers, and how a petition is shown in them (personal data
masked unless the client has the personal:read scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from xinfang.api.selectors import region_full_name
from xinfang.org.models import RegionLevel
from xinfang.petitions import deadlines as deadline_rules
from xinfang.petitions import rules
from xinfang.petitions.masking import mask_email
from xinfang.petitions.models import (
    Channel,
    DeadlineKind,
    DecisionStage,
    Kind,
    Measure,
    Outcome,
    Petition,
    Priority,
    Satisfaction,
    State,
)

TEXT_MAX = 20_000


class Error(Schema):
    detail: str = Field(description="为什么没有办成（中文）")


class ValidationErrors(Schema):
    detail: str | list[dict[str, Any]] = Field(description="请求格式不符：各字段的问题，或 Idempotency-Key 冲突的说明")


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: ValidationErrors}
READ_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: ValidationErrors}
# answers that carry personal data: the client's hourly budget of them may be spent (xinfang.api.personal)
LIMITED = {429: Error}


# ---------------------------------------------------------------- petitions out


class RegionOut(Schema):
    code: str
    name: str
    full_name: str


class CategoryOut(Schema):
    id: int
    name: str
    path: str


class UnitOut(Schema):
    id: int
    name: str


class PetitionerOut(Schema):
    name: str
    phone: str = Field(description="手机号；无 personal:read 权限时部分隐藏，如 138****5678")
    id_number: str = Field(description="身份证号；无 personal:read 权限时部分隐藏，如 110***********1234")
    email: str = Field(description="电子邮箱；无 personal:read 权限时部分隐藏，如 l***@example.org")
    address: str = Field(description="住址；无 personal:read 权限时只显示行政区划部分，如 示范县青石镇丰收村****")
    is_representative: bool


class PetitionOut(Schema):
    id: int
    query_code: str
    channel: Channel
    kind: Kind
    category: CategoryOut | None
    region: RegionOut
    title: str
    received_at: dt.datetime
    state: State
    state_label: str
    priority: Priority
    headcount: int
    owner_unit: UnitOut
    due_on: dt.date | None
    updated_at: dt.datetime
    petitioners: list[PetitionerOut]


class PetitionPage(Schema):
    items: list[PetitionOut]
    next_cursor: int | None = Field(description="下一页：把它作为 cursor 参数再请求；null 表示没有更多")


class DeadlineOut(Schema):
    kind: DeadlineKind
    label: str
    due_on: dt.date
    is_open: bool
    met_on: dt.date | None
    explanation: str


class DecisionOut(Schema):
    stage: DecisionStage
    outcome: Outcome
    measure: Measure
    text: str
    decided_on: dt.date
    unit: UnitOut


class EventOut(Schema):
    seq: int
    at: dt.datetime
    action: str
    actor: str
    from_state: str
    to_state: str


class AccusedOut(Schema):
    unit: UnitOut | None
    user: int | None = Field(description="被检举控告的工作人员（本系统用户）的编号")
    name: str
    confirmed: bool = Field(description="false：系统从文字中推荐、尚待确认（POST /api/petitions/{id}/confirm_accused）")


class PetitionDetailOut(PetitionOut):
    content: str
    accused: AccusedOut | None = Field(None, description="检举控告类：被检举控告的对象")
    deadlines: list[DeadlineOut]
    decisions: list[DecisionOut]
    history: list[EventOut]
    actions: list[str] = Field(description="本客户端现在可以办理的操作（POST /api/petitions/{id}/{action}）")


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def petition_row(p: Petition, *, personal: bool) -> dict[str, Any]:
    """A petition as listed (select_related ROW_RELATED, parties prefetched)."""
    parties = sorted(p.parties.all(), key=lambda party: (not party.is_representative, party.pk))
    return {
        "id": p.pk,
        "query_code": p.query_code,
        "channel": p.channel,
        "kind": p.kind,
        "category": {"id": p.category.pk, "name": p.category.name, "path": p.category.path} if p.category else None,
        "region": {"code": p.region.code, "name": p.region.name, "full_name": region_full_name(p.region)},
        "title": p.title,
        "received_at": _local(p.received_at),
        "state": p.state,
        "state_label": str(State(p.state).label),
        "priority": p.priority,
        "headcount": p.headcount,
        "owner_unit": {"id": p.owner_unit.pk, "name": p.owner_unit.name},
        "due_on": p.due_on,
        "updated_at": _local(p.updated_at),
        "petitioners": [_petitioner(party.petitioner, party.is_representative, personal) for party in parties],
    }


def _petitioner(person, is_representative: bool, personal: bool) -> dict[str, Any]:
    if personal:
        return {
            "name": person.name,
            "phone": person.phone,
            "id_number": person.id_number,
            "email": person.email,
            "address": person.address,
            "is_representative": is_representative,
        }
    return {
        "name": person.name,
        "phone": person.phone_masked,
        "id_number": person.id_number_masked,
        "email": mask_email(person.email),
        "address": person.address_masked,
        "is_representative": is_representative,
    }


def petition_detail(p: Petition, *, personal: bool, actions: list[str]) -> dict[str, Any]:
    """A petition with its content, deadlines, decisions and history (4 queries after the row)."""
    deadline_list = list(p.deadlines.order_by("-is_open", "due_on", "pk"))
    decisions = list(p.decisions.select_related("unit").order_by("decided_on", "pk"))
    events = list(p.events.order_by("seq"))
    accused = None
    if p.kind == Kind.ACCUSATION:
        unit = p.accused_unit  # (one query, for accusations only)
        accused = {
            "unit": {"id": unit.pk, "name": unit.name} if unit else None,
            "user": p.accused_user_id,
            "name": p.accused_name,
            "confirmed": p.accused_confirmed,
        }
    return petition_row(p, personal=personal) | {
        "content": p.content,
        "accused": accused,
        "deadlines": [
            {
                "kind": d.kind,
                "label": str(DeadlineKind(d.kind).label),
                "due_on": d.due_on,
                "is_open": d.is_open,
                "met_on": d.met_on,
                "explanation": deadline_rules.explain(d),
            }
            for d in deadline_list
        ],
        "decisions": [
            {
                "stage": d.stage,
                "outcome": d.outcome,
                "measure": d.measure,
                "text": d.text,
                "decided_on": d.decided_on,
                "unit": {"id": d.unit.pk, "name": d.unit.name},
            }
            for d in decisions
        ],
        "history": [
            {
                "seq": e.seq,
                "at": _local(e.at),
                "action": e.action,
                "actor": e.actor_label,
                "from_state": e.from_state,
                "to_state": e.to_state,
            }
            for e in events
        ],
        "actions": actions,
    }


# ---------------------------------------------------------------- petitions in


class PetitionerIn(Schema):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=18)
    address: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    is_representative: bool = False


class PetitionIn(Schema):
    channel: Channel = Channel.PHONE
    kind: Kind
    region: str = Field(min_length=6, max_length=12, pattern=r"^[0-9]+$", description="地点的行政区划代码")
    category: int | None = Field(None, ge=1, le=2**31 - 1, description="内容分类编号（/api/open311/v2/services.json）")
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=TEXT_MAX)
    received_at: dt.datetime | None = Field(None, description="收到时间（含时区）；默认为现在")
    priority: Priority = Priority.ORDINARY
    headcount: int = Field(1, ge=1, le=10_000)
    petitioners: list[PetitionerIn] = Field(default_factory=list, max_length=50)
    accused_name: str = Field("", max_length=100, description="检举控告类：被检举控告的单位或个人")


class NoteIn(Schema):
    note: str = Field("", max_length=TEXT_MAX)


class DeclineIn(NoteIn):
    reason: Literal[tuple(rules.DECLINE_REASONS)] = Field(
        description="; ".join(f"{k}: {v}" for k, v in rules.DECLINE_REASONS.items())
    )


class RouteIn(NoteIn):
    to_unit: int = Field(ge=1, le=2**31 - 1, description="接收单位的编号")


class AssignIn(RouteIn):
    report_days: int = Field(ge=1, le=365, description="报告办理结果的期限（日）")


class RedirectIn(NoteIn):
    channel: Literal[tuple(rules.LEGAL_CHANNELS)] = Field(
        description="; ".join(f"{k}: {v}" for k, v in rules.LEGAL_CHANNELS.items())
    )


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


class ExtendIn(ReasonIn):
    days: int = Field(ge=1, le=365)


class StepIn(Schema):
    note: str = Field(max_length=TEXT_MAX)


class DecisionIn(Schema):
    outcome: Outcome
    measure: Measure
    text: str = Field(max_length=TEXT_MAX)


class EvaluateIn(Schema):
    satisfaction: Satisfaction
    reason: str = Field("", max_length=TEXT_MAX)


class ConfirmAccusedIn(Schema):
    accused_unit: int | None = Field(None, ge=1, le=2**31 - 1, description="被检举控告的单位的编号")
    accused_user: int | None = Field(
        None, ge=1, le=2**31 - 1, description="被检举控告的工作人员（本系统用户）的编号；只填此项时单位取其所在单位"
    )
    accused_name: str = Field("", max_length=100, description="被检举控告人的姓名或称呼")


class CloseIn(Schema):
    waived: bool = Field(False, description="信访人明确表示不申请复查/复核")


# action -> the body it reads (None: no body)
ACTION_BODIES: dict[str, type[Schema] | None] = {
    "confirm_accused": ConfirmAccusedIn,
    "accept": None,
    "decline": DeclineIn,
    "forward": RouteIn,
    "assign": AssignIn,
    "redirect": RedirectIn,
    "return": ReasonIn,
    "extend": ExtendIn,
    "record_step": StepIn,
    "decide": DecisionIn,
    "evaluate": EvaluateIn,
    "request_review": None,
    "review_decide": DecisionIn,
    "request_reexamination": None,
    "hearing_start": None,
    "hearing_end": None,
    "reexamine_decide": DecisionIn,
    "close": CloseIn,
}


# ---------------------------------------------------------------- statistics


class StatisticRowOut(Schema):
    key: str | None = Field(description="分组的值：状态、分类编号、行政区划代码或时段第一天")
    label: str
    count: int


class StatisticsOut(Schema):
    group_by: str
    total: int
    rows: list[StatisticRowOut]


REGION_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
