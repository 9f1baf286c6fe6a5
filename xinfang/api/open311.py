"""Open311 GeoReport v2 (JSON), mounted at /api/open311/v2/: our categories as services, petitions
as service requests. Writes go through the same registration as the native API
(views.petition_register_from); reads through petition_list_for. XML is not offered.

States map to open/closed (closed: declined, redirected to legal channels, or closed) with a
Chinese status note. Errors are GeoReport's list of {code, description}.
"""

import datetime as dt
from typing import Literal

import pydantic
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Form, Path, Query, Router, Schema
from ninja.errors import HttpError

from xinfang.api.auth import ClientBearer, Open311Key, client_with
from xinfang.api.http import aware, json_text, shaped, write_answer
from xinfang.api.models import ApiClient, Scope
from xinfang.api.schemas import PetitionerIn, PetitionIn
from xinfang.api.selectors import (
    ROW_RELATED,
    UnknownReference,
    open311_requests_for,
    region_from_address,
    region_full_name,
)
from xinfang.api.services import Answer
from xinfang.api.views import ID_MAX, IDEMPOTENCY, petition_register_from
from xinfang.petitions import rules
from xinfang.petitions.categories import category_rows
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Category, Kind, Petition, State
from xinfang.petitions.selectors import petition_list_for
from xinfang.petitions.services import query_code_display
from xinfang.petitions.workflow import TERMINAL

router = Router(tags=["open311"], auth=[ClientBearer(), Open311Key()])
PREFIX = "/open311/v2/"
ID_LIST = r"^[0-9]{1,15}(,[0-9]{1,15}){0,199}$"

STATUS_NOTES = {
    State.REGISTERED: "已登记，正在依法转送、交办或受理。",
    State.FORWARDED: "已转送有权处理的机关，等待其决定是否受理。",
    State.ASSIGNED: "已交办下级单位，等待其决定是否受理。",
    State.ACCEPTED: "已受理，正在办理。",
    State.DECIDED: "已出具处理意见，信访人可在规定期限内申请复查。",
    State.EVALUATED: "已出具处理意见，信访人已评价。",
    State.REVIEW_REQUESTED: "信访人已申请复查，正在复查。",
    State.REVIEWED: "已出具复查意见，信访人可在规定期限内申请复核。",
    State.REEXAMINATION_REQUESTED: "信访人已申请复核，正在复核。",
    State.REEXAMINED: "已出具复核意见，复核终结。",
    State.DECLINED: "不予受理，已书面告知信访人理由。",
    State.REDIRECTED: "属于诉讼、仲裁、行政复议等法定途径解决的事项，已告知信访人依法提出。",
    State.CLOSED: "已办结。",
}
assert set(STATUS_NOTES) == set(State.values), "every state has its status note"


class Open311Error(Schema):
    code: int
    description: str


ERRORS = {code: list[Open311Error] for code in (400, 401, 403, 404, 409, 422)}


def invalid_parameters(errors: str) -> str:
    """The 400 of GeoReport for parameters that do not fit, with each field's problem."""
    return _("The request parameters do not fit: %(errors)s") % {"errors": errors}


def errors_text(errors: list[dict]) -> str:
    """Pydantic's field errors in one line (a GeoReport error has one description)."""
    return "；".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)


def error_json(status: int, message: str) -> str:
    return json_text([{"code": status, "description": message}])


def open311_error_response(status: int, message: str) -> HttpResponse:
    return HttpResponse(error_json(status, message), status=status, content_type="application/json; charset=utf-8")


def is_open311(request: HttpRequest) -> bool:
    return PREFIX in request.path


# ---------------------------------------------------------------- services


class ServiceOut(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


@router.get(
    "/services.json",
    response={200: list[ServiceOut], 400: list[Open311Error]},
    auth=None,
    summary="GET services (our categories)",
)
def services_list(request: HttpRequest, jurisdiction_id: str | None = Query(None, max_length=100)) -> list[dict]:
    """Every category of the subject tree (内容分类) as a service; `group` is its first level."""
    return [
        {
            "service_code": str(c.pk),
            "service_name": c.name,
            "description": c.path.replace("/", " › "),
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(c.path.split("/")),
            "group": c.path.split("/")[0],
        }
        for c in category_rows()
    ]


# ---------------------------------------------------------------- requests


class RequestOut(Schema):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str
    address_id: str
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


def request_row(p: Petition) -> dict:
    """A petition as a GeoReport service request (select_related ROW_RELATED)."""
    due = (
        dt.datetime.combine(p.due_on, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone()) if p.due_on else None
    )
    return {
        "service_request_id": str(p.pk),
        "status": "closed" if p.state in TERMINAL else "open",
        "status_notes": STATUS_NOTES[p.state],
        "service_name": p.category.name if p.category else None,
        "service_code": str(p.category_id) if p.category_id else None,
        "description": p.content,
        "agency_responsible": p.owner_unit.name,
        "service_notice": None,
        "requested_datetime": timezone.localtime(p.received_at),
        "updated_datetime": timezone.localtime(p.updated_at),
        "expected_datetime": due,
        "address": region_full_name(p.region),
        "address_id": p.region.code,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


class RequestsQuery(Schema):
    service_request_id: str | None = Field(None, pattern=ID_LIST, description="逗号分隔的多个编号；给出时忽略其他条件")
    service_code: str | None = Field(None, pattern=ID_LIST, description="逗号分隔的服务代码（内容分类编号）")
    start_date: dt.datetime | None = Field(None, description="收到时间起（ISO 8601，含时区）；默认为90天前")
    end_date: dt.datetime | None = Field(None, description="收到时间止")
    status: str | None = Field(None, pattern=r"^(open|closed)(,(open|closed))*$", description="open、closed 或两者")
    jurisdiction_id: str | None = Field(None, max_length=100)


def _ids(text: str | None) -> list[int]:
    return [int(x) for x in text.split(",")] if text else []


@router.get("/requests.json", response={200: list[RequestOut], **ERRORS}, summary="GET service requests")
def requests_list(request: HttpRequest, q: Query[RequestsQuery]) -> list[dict]:
    """The petitions this client may see: by id, or by service, date received (default: the last 90
    days) and status; newest first, at most 1000."""
    client = client_with(request, Scope.PETITIONS_READ)
    rows = open311_requests_for(
        client.user,
        ids=_ids(q.service_request_id),
        service_codes=_ids(q.service_code),
        start=aware(q.start_date),
        end=aware(q.end_date),
        statuses=set(q.status.split(",")) if q.status else set(),
    )
    return [request_row(p) for p in rows]


@router.get(
    "/requests/{service_request_id}.json", response={200: list[RequestOut], **ERRORS}, summary="GET a service request"
)
def request_read(request: HttpRequest, service_request_id: int = Path(..., ge=1, le=ID_MAX)) -> list[dict]:
    client = client_with(request, Scope.PETITIONS_READ)
    petition = petition_list_for(client.user).select_related(*ROW_RELATED).filter(pk=service_request_id).first()
    if petition is None:
        raise HttpError(404, _("There is no such service request, or this client may not see it."))
    return [request_row(petition)]


class RequestIn(Schema):
    service_code: str = Field(pattern=r"^[0-9]{1,15}$", description="服务代码（内容分类编号，见 services.json）")
    api_key: str | None = Field(None, max_length=100, description="客户端令牌（也可用 Authorization: Bearer）")
    jurisdiction_id: str | None = Field(None, max_length=100)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=200, description="地址，须写明乡镇、村（社区）名称")
    address_id: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="行政区划代码")
    email: str | None = Field(None, max_length=254)
    device_id: str | None = Field(None, max_length=100)
    account_id: str | None = Field(None, max_length=100)
    first_name: str | None = Field(None, max_length=25)
    last_name: str | None = Field(None, max_length=25)
    phone: str | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=4000, description="诉求内容")
    media_url: str | None = Field(None, max_length=1000)
    kind: Kind | None = Field(None, description="扩展：事项类别；默认留有姓名的为申诉求决类，否则为建议意见类")


class RequestCreated(Schema):
    service_request_id: str
    service_notice: str
    account_id: str | None


def _petition_in(client: ApiClient, form: RequestIn) -> PetitionIn:
    """A GeoReport request as the native registration body (a web petition)."""
    text = (form.description or "").strip()
    if not text:
        raise UnknownReference(_("Fill in description (what the petitioner asks)."))
    if not Category.objects.filter(pk=int(form.service_code)).exists():
        raise UnknownReference(
            _("There is no service code %(code)s: look it up in services.json first.") % {"code": form.service_code}
        )
    region = region_from_address(
        client.user, address_id=form.address_id or "", address_string=form.address_string or ""
    )
    name = f"{form.last_name or ''}{form.first_name or ''}".strip()
    people = [PetitionerIn(name=name, phone=form.phone or "", email=form.email or "")] if name else []
    first_line = text.splitlines()[0]
    content = f"{text}\n地址：{form.address_string}" if form.address_string else text
    return PetitionIn(
        channel="web",
        kind=form.kind or (Kind.CLAIM if name else Kind.SUGGESTION),
        region=region.code,
        category=int(form.service_code),
        title=first_line[:30] + ("…" if len(first_line) > 30 else ""),
        content=content,
        petitioners=people,
    )


def _create_answer(client: ApiClient, form: RequestIn) -> Answer:
    try:
        petition = petition_register_from(client, _petition_in(client, form))
    except (WorkflowError, UnknownReference) as e:
        return 400, error_json(400, str(e))
    except pydantic.ValidationError as e:
        return 400, error_json(400, invalid_parameters(errors_text(e.errors())))
    notice = (
        f"已登记为信访事项，查询码 {query_code_display(petition.query_code)}。"
        f"请告知信访人凭查询码查询办理进展；将在{rules.period('intake').days}日内依法转送、交办或受理。"
    )
    created = shaped(
        RequestCreated,
        {"service_request_id": str(petition.pk), "service_notice": notice, "account_id": form.account_id},
    )
    return 201, f"[{created}]"  # GeoReport answers a list


@router.post("/requests.json", response={201: list[RequestCreated], **ERRORS}, summary="POST a service request")
def request_create(
    request: HttpRequest, form: Form[RequestIn], idempotency_key: str | None = IDEMPOTENCY
) -> HttpResponse:
    """Register a web petition (网上信访) for the client's unit, form-encoded as GeoReport v2 says."""
    client = client_with(request, Scope.PETITIONS_WRITE)
    return write_answer(request, client, idempotency_key, lambda: _create_answer(client, form), error_json)
