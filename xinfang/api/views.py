"""The native REST API: petitions (list, read, register, act) and statistics. Thin: reads go
through xinfang.api.selectors (on petition_list_for), writes through xinfang.petitions.services,
with the client's service user as the actor.

No `from __future__ import annotations` here: Django Ninja reads the endpoints' annotations, and
the action endpoints are made in a loop with the body schema of each action.
"""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.errors import HttpError

from xinfang.api.auth import client_with
from xinfang.api.http import IDEMPOTENCY_HEADER, IDEMPOTENCY_HELP, aware, json_text, shaped, write_answer
from xinfang.api.models import ApiClient, Scope
from xinfang.api.personal import personal_answer
from xinfang.api.schemas import (
    ACTION_BODIES,
    ERRORS,
    LIMITED,
    READ_ERRORS,
    PetitionDetailOut,
    PetitionIn,
    PetitionPage,
    StatisticsOut,
    petition_detail,
    petition_row,
)
from xinfang.api.selectors import (
    GROUPS,
    PERIODS,
    ROW_RELATED,
    PetitionFilter,
    UnknownReference,
    petition_page_for,
    petition_statistics_for,
    region_for_registration,
    unknown_category,
)
from xinfang.api.services import Answer
from xinfang.audit.services import audit_petition_view
from xinfang.org.models import Unit, User
from xinfang.petitions import registration, services
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Category, Channel, Kind, Petition, Petitioner, State
from xinfang.petitions.selectors import id_number_normalise, petition_is_visible, petition_list_for, phone_normalise
from xinfang.petitions.workflow import TABLE, actions_for, refusal
from xinfang.routing.accused import accused_propose

router = Router(tags=["petitions"])
ID_MAX = 2**53  # ids beyond any table, refused before they reach the database
NOT_FOUND = gettext_lazy("There is no such petition, or this client may not see it.")
IDEMPOTENCY = Header(None, alias=IDEMPOTENCY_HEADER, max_length=255, description=IDEMPOTENCY_HELP)


def error_json(status: int, message: str) -> str:
    return json_text({"detail": message})


# ---------------------------------------------------------------- reads


class FilterQuery(Schema):
    state: State | None = None
    kind: Kind | None = None
    channel: Channel | None = None
    category: int | None = Field(None, ge=1, le=ID_MAX, description="内容分类编号（含其下级分类）")
    region: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="行政区划代码（含其下级）")
    received_from: dt.date | None = Field(None, description="收到日期起（含）")
    received_to: dt.date | None = Field(None, description="收到日期止（含）")

    def to_filter(self, updated_since: dt.datetime | None = None) -> PetitionFilter:
        return PetitionFilter(
            state=self.state or "",
            kind=self.kind or "",
            channel=self.channel or "",
            category=self.category,
            region=self.region or "",
            received_from=self.received_from,
            received_to=self.received_to,
            updated_since=aware(updated_since),
        )


class ListQuery(FilterQuery):
    updated_since: dt.datetime | None = Field(None, description="只列出此时刻以后有变化的事项")
    limit: int = Field(50, ge=1, le=200, description="每页条数（最多200）")
    cursor: int | None = Field(None, ge=1, le=ID_MAX, description="上一页返回的 next_cursor")


class StatisticsQuery(FilterQuery):
    group_by: Literal[GROUPS] = Field(description="按状态、类别、渠道、内容分类、地区或时段分组")
    category_level: int = Field(1, ge=1, le=3, description="按内容分类分组时的级别")
    region_level: int = Field(4, ge=3, le=5, description="按地区分组时的级别：3 县、4 乡镇街道、5 村社区")
    period: Literal[tuple(PERIODS)] = Field("month", description="按时段分组时的长度")


def _personal(client: ApiClient) -> bool:
    return Scope.PERSONAL_READ in client.scope_set


def _detail(client: ApiClient, petition: Petition, *, visible: bool = True) -> dict:
    actions = [t.action for t in actions_for(client.user, petition, visible=visible)]
    return petition_detail(petition, personal=_personal(client), actions=actions)


def _visible(client: ApiClient, pk: int) -> Petition | None:
    return petition_list_for(client.user).select_related(*ROW_RELATED).filter(pk=pk).first()


@router.get("/petitions", response={200: PetitionPage, **READ_ERRORS, **LIMITED}, summary="List petitions")
def petition_list(request: HttpRequest, q: Query[ListQuery]) -> dict:
    """The petitions this client may see, newest first, a page at a time (follow `next_cursor`)."""
    client = client_with(request, Scope.PETITIONS_READ)
    try:
        rows, next_cursor = petition_page_for(client.user, q.to_filter(q.updated_since), limit=q.limit, cursor=q.cursor)
    except UnknownReference as e:
        raise HttpError(400, str(e)) from None
    personal = _personal(client)
    items = [petition_row(p, personal=personal) for p in rows]
    personal_answer(request, client, items)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/petitions/{petition_id}", response={200: PetitionDetailOut, **READ_ERRORS, **LIMITED}, summary="Read a petition"
)
def petition_read(request: HttpRequest, petition_id: int = Path(..., ge=1, le=ID_MAX)) -> dict:
    """One petition with its content, deadlines, decisions, history and the actions this client may take."""
    client = client_with(request, Scope.PETITIONS_READ)
    petition = _visible(client, petition_id)
    if petition is None:
        raise HttpError(404, str(NOT_FOUND))
    detail = _detail(client, petition)
    if personal_answer(request, client, [detail]) is None:  # (that row records the reading too)
        audit_petition_view(request, petition, actor=client.user)
    return detail


@router.get(
    "/statistics/petitions",
    response={200: StatisticsOut, **READ_ERRORS},
    tags=["statistics"],
    summary="Count petitions by group",
)
def statistics(request: HttpRequest, q: Query[StatisticsQuery]) -> dict:
    """How many petitions this client may see, per state, kind, channel, category, region or period."""
    client = client_with(request, Scope.STATISTICS_READ)
    try:
        rows = petition_statistics_for(
            client.user,
            q.to_filter(),
            group_by=q.group_by,
            category_level=q.category_level,
            region_level=q.region_level,
            period=q.period,
        )
    except UnknownReference as e:
        raise HttpError(400, str(e)) from None
    return {
        "group_by": q.group_by,
        "total": sum(r.count for r in rows),
        "rows": [{"key": r.key, "label": r.label, "count": r.count} for r in rows],
    }


# ---------------------------------------------------------------- register


def _petitioners(body: PetitionIn) -> tuple[list[Petitioner], list[Petitioner]]:
    people, representatives = [], []
    for given in body.petitioners:
        if given.email:
            try:
                validate_email(given.email)
            except ValidationError:
                raise UnknownReference(
                    _("The e-mail address “%(email)s” is not valid.") % {"email": given.email}
                ) from None
        person = Petitioner(
            name=given.name.strip(),
            phone=phone_normalise(given.phone),
            id_number=id_number_normalise(given.id_number),
            address=given.address,
            email=given.email,
        )
        people.append(person)
        if given.is_representative:
            representatives.append(person)
    return people, representatives


def petition_register_from(client: ApiClient, body: PetitionIn) -> Petition:
    """Register `body` as the client's user (petition_register, as the desk does); raises
    WorkflowError or UnknownReference with the reason."""
    region = region_for_registration(client.user, body.region)
    category = None
    if body.category is not None:
        category = Category.objects.filter(pk=body.category).first()
        if category is None:
            raise UnknownReference(unknown_category(body.category))
    people, representatives = _petitioners(body)
    accused = {}
    if body.kind == Kind.ACCUSATION:  # Art. 30: the accused as records, proposed from the text, unconfirmed
        found = accused_propose(named=body.accused_name, text=f"{body.title}\n{body.content}", region=region)
        accused = {"accused_unit": found.unit, "accused_user": found.user, "accused_confirmed": False}
    return registration.petition_register(
        actor=client.user,
        channel=body.channel,
        kind=body.kind,
        region=region,
        title=body.title,
        content=body.content,
        received_at=aware(body.received_at),
        category=category,
        petitioners=people,
        representatives=representatives,
        headcount=max(body.headcount, len(people)),
        priority=body.priority,
        accused_name=body.accused_name.strip(),
        **accused,
    )


def _register_answer(request: HttpRequest, client: ApiClient, body: PetitionIn) -> Answer:
    try:
        petition = petition_register_from(client, body)
    except (WorkflowError, UnknownReference) as e:
        return 400, error_json(400, str(e))
    # its personal data is what the client has just sent: recorded, not counted against its budget
    return 201, _detail_json(request, client, petition.pk, counted=False)


def _detail_json(request: HttpRequest, client: ApiClient, pk: int, *, counted: bool = True) -> str:
    """The petition as its detail after a write, read again (the client acted on it, so it is
    shown even if it has just been handed to a unit whose petitions the client does not see).
    Its personal data is recorded (and counted: over the budget the write is rolled back, 429)."""
    petition = Petition.objects.select_related(*ROW_RELATED).get(pk=pk)
    visible = petition_is_visible(client.user, petition)
    detail = _detail(client, petition, visible=visible)
    personal_answer(request, client, [detail], counted=counted)
    return shaped(PetitionDetailOut, detail)


@router.post("/petitions", response={201: PetitionDetailOut, **ERRORS}, summary="Register a petition")
def petition_create(request: HttpRequest, body: PetitionIn, idempotency_key: str | None = IDEMPOTENCY) -> HttpResponse:
    """Register a petition (登记) for the client's unit, which owns it until it is routed. The
    place must lie in the unit's county (or larger area)."""
    client = client_with(request, Scope.PETITIONS_WRITE)
    return write_answer(request, client, idempotency_key, lambda: _register_answer(request, client, body), error_json)


# ---------------------------------------------------------------- act


def _action_kwargs(data: dict) -> dict:
    """The body with unit and user numbers read as the rows they name."""
    for field in ("to_unit", "accused_unit"):
        if data.get(field) is not None:
            unit = Unit.objects.filter(pk=data[field]).select_related("region", "parent").first()
            if unit is None:
                raise UnknownReference(_("There is no unit numbered %(id)s.") % {"id": data[field]})
            data = data | {field: unit}
    if data.get("accused_user") is not None:
        user = User.objects.filter(pk=data["accused_user"], is_active=True).select_related("unit").first()
        if user is None:
            raise UnknownReference(_("There is no staff member numbered %(id)s.") % {"id": data["accused_user"]})
        data = data | {"accused_user": user}
    return data


def petition_act_answer(request: HttpRequest, client: ApiClient, petition_id: int, action: str, data: dict) -> Answer:
    """Carry out `action` through its service as the client's user: 404 if the client may not see
    the petition, 409 if the workflow does not allow the action now, 400 if its data is refused."""
    petition = petition_list_for(client.user).select_related(*ROW_RELATED).filter(pk=petition_id).first()
    if petition is None:
        return 404, error_json(404, str(NOT_FOUND))
    refused = refusal(TABLE[action], petition, client.user, visible=True)
    if refused:
        return 409, error_json(409, refused)
    try:
        services.ACTIONS[action](petition, actor=client.user, **_action_kwargs(data))
    except (WorkflowError, UnknownReference) as e:
        return 400, error_json(400, str(e))
    return 200, _detail_json(request, client, petition.pk)


def _action_endpoint(action: str, body_schema: type[Schema] | None):
    """POST /petitions/{id}/{action}, reading the action's body schema (if it has one)."""

    def run(request: HttpRequest, petition_id: int, data: dict, key: str | None) -> HttpResponse:
        client = client_with(request, Scope.PETITIONS_WRITE)
        return write_answer(
            request, client, key, lambda: petition_act_answer(request, client, petition_id, action, data), error_json
        )

    if body_schema is None:

        def endpoint(
            request: HttpRequest,
            petition_id: int = Path(..., ge=1, le=ID_MAX),
            idempotency_key: str | None = IDEMPOTENCY,
        ) -> HttpResponse:
            return run(request, petition_id, {}, idempotency_key)
    else:

        def endpoint(
            request: HttpRequest,
            body: body_schema,
            petition_id: int = Path(..., ge=1, le=ID_MAX),
            idempotency_key: str | None = IDEMPOTENCY,
        ) -> HttpResponse:
            return run(request, petition_id, body.dict(), idempotency_key)

    endpoint.__name__ = f"petition_{action}"
    return endpoint


def _label_zh(action: str) -> str:
    """The action's label in the API's (Chinese) documentation, whatever language is active at import."""
    with translation.override("zh-hans"):
        return str(TABLE[action].label)


for _action, _body in ACTION_BODIES.items():
    router.post(
        f"/petitions/{{petition_id}}/{_action}",
        response={200: PetitionDetailOut, **ERRORS, **LIMITED},
        summary=f"{_label_zh(_action)} ({_action})",
        description=f"“{_label_zh(_action)}”：经由与工作台相同的服务办理；"
        "工作流不允许时返回 409，数据不符合要求时返回 400，均附说明（默认中文；请求头 Accept-Language: en 时为英文）。",
    )(_action_endpoint(_action, _body))
