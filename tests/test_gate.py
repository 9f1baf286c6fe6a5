"""One gate (security issue, point 1): a user of township A cannot read, list, search, export,
download an attachment of, or act on a petition of township B, through any page or API operation.

Every URL pattern comes from the URL resolver and every operation from the API's OpenAPI schema, so a
new page or operation is covered as soon as it exists: the tests below fail for any pattern or
operation missing from URL_CASES / API_CASES, the reviewed tables of how to fill each one's
parameters. The Django admin is its own case (only administrators enter it, and they see everything
but accusations against them, by the visibility rule).

Each probe that names a B petition is sent twice more: by A about a petition that does not exist (A's
answer must be the same, or a 403/404), and by a user who may see the B petition (the "control"),
which must reach it (not a 404; for lists, B's query code is in the answer). So a probe that misses its
target, or a list that shows nothing to anybody, fails instead of passing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import Org, act, at, handler, head, register, staff_login
from tests.support.api import ALL_SCOPES, Api, api_client_make
from xinfang.documents.models import NoticeKind
from xinfang.documents.services import notices_available
from xinfang.org.models import Role, User
from xinfang.oversight import recommendations
from xinfang.oversight import services as oversight
from xinfang.oversight.forms import SUPERVISION_FORMS
from xinfang.oversight.models import HotIssue, HotIssueMember
from xinfang.petitions import registration, services
from xinfang.petitions.models import Attachment, Category, Kind, Petition, Petitioner, State
from xinfang.petitions.services import query_code_display
from xinfang.petitions.workflow import TABLE
from xinfang.schedule.models import Tick

pytestmark = pytest.mark.django_db

MISSING = 2_000_000_001  # an id no petition (attachment, hot issue) has
A_ROLES = (Role.HANDLER, Role.UNIT_HEAD, Role.CLERK, Role.LEADER, Role.SUPERVISOR)
A_API_ROLES = (Role.HANDLER, Role.LEADER)
# B petitions in every state some action or notice starts from (conftest.path_to: registered by 柳河镇's
# clerk in 新民村, forwarded by the county bureau to 县人社局, reviewed by the county and city governments)
B_STATES = (
    State.REGISTERED,
    State.FORWARDED,
    State.ACCEPTED,
    State.DECIDED,
    State.DECLINED,
    State.REVIEW_REQUESTED,
    State.REVIEWED,
    State.REEXAMINATION_REQUESTED,
    State.REEXAMINED,
)
ATTACHMENT_NAME = "乙地现场照片说明.pdf"
SUPERVISION_REASON = "乙地督办理由：久拖不决"
ACCUSED_NAME = "乙地被检举人赵某"


# ---------------------------------------------------------------- the world: A's users, B's petitions


@dataclass
class World:
    org: Org
    b: dict[str, Petition]  # by state, and "accusation"
    main: Petition  # decided, with an attachment, a supervision and a hot issue
    attachment: Attachment
    hot: HotIssue
    mine: Petition  # A's own petition: A's lists are not empty
    supervision: int  # the main one's (督办), by the county's supervisor
    recommendation: int  # a recommendation (督查建议) about the main one, to 柳河镇
    markers: list[str] = field(default_factory=list)  # what of B must never reach A

    def user(self, key: str) -> User:
        return {
            "b": self.org.user("town_b", Role.HANDLER),
            "b_clerk": self.org.u_town_b_clerk,
            "admin": self.org.u_admin,
            "supervisor": self.org.u_supervisor,
        }[key]

    def with_state(self, states) -> Petition:
        return next(self.b[s] for s in B_STATES if s in states)


# How a B petition reaches each state: (action, actor, extra data); 柳河镇 registers it, assigns it to
# 新民村, which decides; review goes to 柳河镇, reexamination to the county government.
B_PATH = [
    ("assign", "town_b_clerk", {"to_unit": "village_b"}),
    ("accept", "village_b", {}),
    ("decide", "village_b", {}),
    ("evaluate", "town_b_clerk", {}),
    ("request_review", "town_b_clerk", {}),
    ("review_decide", "town_b", {}),
    ("request_reexamination", "town_b_clerk", {}),
    ("reexamine_decide", "county_gov", {}),
]
B_SIDE = {
    State.FORWARDED: [("forward", "town_b_clerk", {"to_unit": "hrss"})],
    State.DECLINED: [("decline", "town_b_clerk", {})],
}


def _b_petition(org: Org, state: str, n: int) -> Petition:
    people = [Petitioner(name=f"乙地人{n}号", phone=f"1391111{n:04d}", id_number=f"99012119800101{n:04d}")]
    p = register(
        org,
        on=at(2026, 3, 2),
        actor=org.u_town_b_clerk,
        region=org.r_village_b,
        kind=Kind.CLAIM,
        petitioners=people,
        title=f"乙地标题{n}号新民村水渠",
        content=f"乙地内容{n}号：新民村水渠堵塞，灌溉用水困难。",
    )
    steps = B_SIDE.get(state) or [s for s in B_PATH]
    for day, (action, who, data) in enumerate(steps, start=3):
        if p.state == state:
            break
        actor = org.users[who] if who in org.users else handler(org, who)
        data = {k: org.units[v] for k, v in data.items()}
        p = act(org, action, p, actor, at(2026, 3, day), **data)
    assert p.state == state, (p.state, state)
    return p


def world_build(org: Org, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    Tick.objects.create(pk=1, beat=timezone.now())  # a worker ran the schedule: /healthz answers 200
    b = {state: _b_petition(org, state, n) for n, state in enumerate(B_STATES)}
    accepted = b[State.ACCEPTED]  # with an extension: the extension notice exists
    services.petition_extend(
        accepted,
        actor=head(org, org.unit_key(accepted.owner_unit_id)),
        days=10,
        reason="需要现场勘查",
        at=at(2026, 3, 20),
    )
    b["accusation"] = register(
        org,
        on=at(2026, 3, 4),
        actor=org.u_town_b_clerk,
        kind=Kind.ACCUSATION,
        region=org.r_village_b,
        accused_unit=org.village_b,
        accused_name=ACCUSED_NAME,
        title="乙地检举标题",
        content="乙地检举内容：新民村干部侵占补偿款。",
    )
    main = b[State.DECIDED]
    attachment = registration.attachment_add(
        main,
        actor=org.u_town_b_clerk,
        file=SimpleUploadedFile(ATTACHMENT_NAME, b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n"),
    )
    oversight.supervision_open(
        main,
        actor=org.u_supervisor,
        mode="online",
        reason=SUPERVISION_REASON,
        requirement="报告办理情况",
        answer_due_on=at(2026, 4, 30).date(),
        at=at(2026, 3, 20),
    )
    hot = HotIssue.objects.create(
        built_at=at(2026, 4, 1),
        period_start=at(2026, 3, 1).date(),
        period_end=at(2026, 3, 31).date(),
        region=org.r_town_b,
        title=main.title,
        keywords="水渠",
        size=2,
        petitioners=2,
        places=1,
        growth=1,
        score=3.0,
        first_received_at=at(2026, 3, 2),
        last_received_at=at(2026, 3, 4),
    )
    for p in (main, b["accusation"]):
        HotIssueMember.objects.create(hot_issue=hot, petition=p, closeness=0.9)
    supervision = main.supervisions.get()
    recommendation = recommendations.recommendation_make(
        actor=org.u_supervisor,
        kind="work",
        text="乙地督查建议：完善水渠管护",
        to_unit=org.town_b,
        due_on=timezone.localdate() + dt.timedelta(days=30),
        petition=main,
    )
    mine = register(
        org,
        on=at(2026, 3, 2),
        actor=org.u_town_a_clerk,
        region=org.r_village_a,
        title="甲地道路",
        content="甲地丰收村道路损坏。",
    )
    world = World(
        org,
        {k: Petition.objects.get(pk=p.pk) for k, p in b.items()},
        main,
        attachment,
        hot,
        mine,
        supervision.pk,
        recommendation.pk,
    )
    for p in world.b.values():
        world.markers += [p.query_code, query_code_display(p.query_code), p.title, p.content[:12]]
        world.markers += [party.petitioner.name for party in p.parties.select_related("petitioner")]
    world.markers += [ATTACHMENT_NAME, SUPERVISION_REASON, ACCUSED_NAME, "乙地督查建议"]
    return world


# ---------------------------------------------------------------- probes


@dataclass(frozen=True)
class Probe:
    """One request. With `missing`, it names a B petition (or its part): A's answer must be a 403/404 or
    the same as for `missing` (the same request about nothing), and `control` must reach it. Without,
    it is a list or a page with no petition of its own: A's answer must not show B, and `control`'s
    must show `shows` (a B marker: the list would leak it if the gate did not hold)."""

    method: str
    url: str
    data: dict | None = None
    missing: str | None = None
    control: str = ""
    shows: str = ""


def _body(response) -> str:
    if response.streaming:
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw[:2] == b"PK" and "spreadsheet" in response.get("Content-Type", ""):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(
            str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
        )
    return raw.decode("utf-8", "replace")


def _send(client: Client, probe: Probe, url: str | None = None):
    url = url or probe.url
    if probe.method == "get":
        return client.get(url, probe.data or {})
    return client.post(url, probe.data or {})


def _petition_probes(
    w: World,
    pattern: str,
    pk_of: Callable[[World], Petition],
    control: str = "admin",
    method: str = "get",
    data: dict | None = None,
) -> list[Probe]:
    p = pk_of(w)
    return [Probe(method, pattern.format(pk=p.pk), data, pattern.format(pk=MISSING), control)]


def _queue_probes(w: World) -> list[Probe]:
    shows = w.b[State.REGISTERED].query_code  # owned by 柳河镇: in its queue
    probes = [
        Probe("get", "/queue/", {"tab": tab}, control="b_clerk", shows=shows if tab in ("open", "accept") else "")
        for tab in ("open", "accept", "handle", "answer", "close", "soon", "overdue", "supervised", "concluded", "all")
    ]
    probes += [
        Probe("get", "/queue/", {"q": "新民村水渠"}, control="b_clerk", shows=shows),
        Probe("get", "/queue/", {"tab": "all", "area": "1"}, control="b_clerk", shows=shows),
        Probe(
            "get",
            "/queue/",
            {"tab": "all", "area": "1", "q": "水渠", "region": w.org.r_town_b.prefix},
            control="b_clerk",
            shows=shows,
        ),
    ]
    return probes


def _export_probes(w: World) -> list[Probe]:
    shows = query_code_display(w.b[State.REGISTERED].query_code)
    probes = [
        Probe("get", "/queue/export.xlsx", params, control="b_clerk", shows=shows)
        for params in ({}, {"q": "新民村水渠"}, {"tab": "all", "area": "1"})
    ]
    declined = query_code_display(w.b[State.DECLINED].query_code)  # registered by 柳河镇, which keeps it
    return probes + [
        Probe("get", "/queue/export.xlsx", {"tab": "concluded", "area": "1"}, control="b_clerk", shows=declined)
    ]


def _act_probes(w: World) -> list[Probe]:
    """Every action of the workflow table, on a B petition in a state the action starts from."""
    return [
        Probe("post", f"/p/{w.with_state(t.sources).pk}/act/{action}/", {}, f"/p/{MISSING}/act/{action}/", "admin")
        for action, t in TABLE.items()
    ]


def _supervision_probes(w: World) -> list[Probe]:
    return [
        Probe("post", f"/p/{w.main.pk}/supervision/{action}/", {}, f"/p/{MISSING}/supervision/{action}/", "supervisor")
        for action in SUPERVISION_FORMS
    ]


def _notice_probes(w: World) -> list[Probe]:
    """Every kind of notice, as Word and PDF, of a B petition that has it (or, for a kind no petition
    has yet, of the main one: then only A's 404 is checked, and the control is left out)."""
    probes = []
    for kind in NoticeKind.values:
        having = next((p for p in w.b.values() if kind in notices_available(p)), None)
        for fmt in ("docx", "pdf"):
            probes.append(
                Probe(
                    "get",
                    f"/p/{(having or w.main).pk}/notice/{kind}.{fmt}",
                    None,
                    f"/p/{MISSING}/notice/{kind}.{fmt}",
                    "admin" if having else "",
                )
            )
    return probes


def _lookup_probes(w: World) -> list[Probe]:
    p = w.main
    person = p.parties.select_related("petitioner").first().petitioner
    return [
        Probe("get", "/register/lookup", params, control="b_clerk", shows=p.query_code[:5])
        for params in ({"name": person.name}, {"phone": person.phone}, {"id_number": person.id_number})
    ]


def _similar_probes(w: World) -> list[Probe]:
    return [
        Probe(
            "get",
            "/register/similar",
            {"title": w.main.title, "content": w.main.content, "place": "新民村"},
            control="b_clerk",
            shows=w.main.title,
        )
    ]


def _register_probes(w: World) -> list[Probe]:
    """The desk's form, and a registration that tries to link B's petition (related) and its petitioner."""
    person = w.main.parties.first().petitioner_id
    data = {
        "channel": "visit",
        "kind": "claim",
        "category": "",
        "place": "青石镇 · 丰收村",
        "title": "甲地来访",
        "content": "甲地丰收村来访。",
        "received_at": "2026-03-05T10:00",
        "priority": "0",
        "name": "甲地人",
        "phone": "13900001111",
        "id_number": "",
        "address": "",
        "headcount": "1",
        "accused_unit": "",
        "accused_name": "",
        "related": [str(w.main.pk)],
        "petitioner_id": str(person),
    }
    return [Probe("get", "/register/"), Probe("post", "/register/", data)]


def _hot_probes(w: World) -> list[Probe]:
    return [Probe("get", "/hot/", control="b", shows=w.main.query_code)]


def _portal_probes(w: World) -> list[Probe]:
    p = w.main
    return [
        Probe("post", "/portal/track/", {"code": p.query_code, "phone": "13000000000"}, control="", shows=""),
    ]


def _portal_petition(action: str, method: str) -> Callable[[World], list[Probe]]:
    def probes(w: World) -> list[Probe]:
        return [Probe(method, f"/portal/p/{w.main.pk}/{action}", {}, f"/portal/p/{MISSING}/{action}")]

    return probes


def _receipt(w: World) -> list[Probe]:
    """A receipt is shown only in the browser that sent the petition: in any other it is refused."""
    from xinfang.portal.forms import submission_token_new
    from xinfang.portal.models import Submission

    token = submission_token_new()
    Submission.objects.create(token=token, petition=w.main, browser="0" * 64, at=dt.datetime.now(dt.UTC))
    return [Probe("get", f"/portal/receipt/{token}/", None, f"/portal/receipt/{submission_token_new()}/")]


def _report_probes(w: World) -> list[Probe]:
    """A scheduled report of B's township (reports are listed to who may see their region whole)."""
    from xinfang.reports.models import Report

    report = Report.objects.create(
        kind="daily",
        region=w.org.r_town_b,
        period_start=at(2026, 3, 2).date(),
        period_end=at(2026, 3, 2).date(),
        title="乙地日统计",
        built_at=at(2026, 3, 3),
        docx=b"PK",
        pdf=b"%PDF-1.4",
    )
    return [Probe("get", "/reports/", control="admin", shows=report.title)] + [
        Probe("get", f"/reports/{report.pk}.{fmt}", None, f"/reports/{MISSING}.{fmt}", "admin")
        for fmt in ("docx", "pdf")
    ]


def _public(*urls: str) -> Callable[[World], list[Probe]]:
    """Pages with no petition of their own (forms, help, assets): A's answer must not show B."""
    return lambda w: [Probe("get", u) for u in urls]


URL_CASES: dict[str, Callable[[World], list[Probe]]] = {
    # ---- workbench
    "workbench:home": _public("/"),
    "workbench:login": _public("/login/"),
    "workbench:alerts": _public("/alerts/"),  # a person's own alerts, on petitions they may see
    "healthz": _public("/healthz"),  # the database, the broker, the workers' heartbeat: no petition
    "workbench:logout": lambda w: [Probe("post", "/logout/")],
    "workbench:find": lambda w: [Probe("get", "/find/", {"code": w.main.query_code}, "/find/?code=ZZZZZZZZZZ", "b")],
    "workbench:register": _register_probes,
    "workbench:register_lookup": _lookup_probes,
    "workbench:register_similar": _similar_probes,
    "workbench:register_category": lambda w: [
        Probe("get", "/register/category", {"title": w.main.title, "content": w.main.content})
    ],
    "workbench:register_place": lambda w: [
        Probe("get", "/register/place", {"address": "新民村", "title": w.main.title, "content": w.main.content})
    ],
    "workbench:queue": _queue_probes,
    "workbench:queue_export": _export_probes,
    "workbench:petition": lambda w: [
        Probe("get", f"/p/{p.pk}/", None, f"/p/{MISSING}/", "admin") for p in w.b.values()
    ],
    "workbench:petition_act": _act_probes,
    "workbench:reply_check": lambda w: _petition_probes(
        w, "/p/{pk}/reply-check", lambda w: w.b[State.ACCEPTED], "b", "post", {"text": "经调查"}
    ),
    "workbench:attachment_upload": lambda w: _petition_probes(
        w,
        "/p/{pk}/attachments/",
        lambda w: w.main,
        "admin",
        "post",
        {"files": SimpleUploadedFile("甲.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n")},
    ),
    "workbench:attachment_download": lambda w: [
        Probe(
            "get",
            f"/p/{w.main.pk}/attachments/{w.attachment.pk}/",
            None,
            f"/p/{MISSING}/attachments/{w.attachment.pk}/",
            "admin",
        ),
        Probe(
            "get",
            f"/p/{w.mine.pk}/attachments/{w.attachment.pk}/",
            None,  # B's file under A's petition
            f"/p/{w.mine.pk}/attachments/{MISSING}/",
        ),
    ],
    "workbench:petition_supervision": _supervision_probes,
    # ---- hot issues
    "oversight:hot_issues": _hot_probes,
    "oversight:hot_issue": lambda w: [Probe("get", f"/hot/{w.hot.pk}/", None, f"/hot/{MISSING}/", "b")],
    "oversight:hot_issue_supervise": lambda w: [
        Probe(
            "post",
            f"/hot/{w.hot.pk}/supervise/",
            {
                "petition": str(w.main.pk),
                "mode": "online",
                "reason": "甲",
                "requirement": "甲",
                "answer_due_on": "2026-05-01",
            },
            f"/hot/{MISSING}/supervise/",
            "supervisor",
        )
    ],
    # ---- the leaders' dashboard (figures only; its links open the queue with area=True) and the reports
    "assessment:dashboard": lambda w: [
        Probe("get", "/dashboard/", {"period": "month", "month": "2026-03"}),
        Probe("get", "/queue/", {"area": "True", "tab": "all"}, control="admin", shows=w.main.query_code),
    ],
    "reports:list": _report_probes,
    "reports:docx": lambda w: [],  # in _report_probes (both formats)
    "reports:pdf": lambda w: [],
    # ---- notices
    "documents:notice_docx": _notice_probes,
    "documents:notice_pdf": lambda w: [],  # in _notice_probes (both formats)
    # ---- the public portal: a browser sees only what it looked up with code and phone
    "portal:home": _public("/portal/"),
    "portal:submit": _public("/portal/submit/"),
    "portal:track": _portal_probes,
    "portal:petition": _portal_petition("", "get"),
    "portal:receipt": _receipt,
    "portal:evaluate": _portal_petition("evaluate/", "post"),
    "portal:appeal": _portal_petition("appeal/", "post"),
    "portal:forget": lambda w: [Probe("post", f"/portal/p/{w.main.pk}/forget/")],
    "portal:reception": _public("/portal/reception/"),
    "portal:policy": lambda w: [Probe("get", "/portal/policy/", {"q": "水渠"})],
    # ---- the language switch
    "set_language": lambda w: [Probe("post", "/i18n/setlang/", {"language": "en", "next": "/queue/"})],
    # ---- seeing personal data in full (its own rule on top: selectors.may_reveal_personal_data)
    "workbench:petitioner_reveal": lambda w: [
        Probe(
            "post",
            f"/p/{w.main.pk}/petitioners/{w.main.parties.first().pk}/reveal",
            {},
            f"/p/{MISSING}/petitioners/{w.main.parties.first().pk}/reveal",
            "admin",
        )
    ],
    # ---- the sign-in's second step
    "org:second_factor": _public("/login/code/"),
    "org:enrol": _public("/login/enrol/"),
    # ---- supervision (督查督办), recommendations, follow-up calls
    "oversight:supervisions": lambda w: [Probe("get", "/supervision/", control="supervisor", shows=w.main.query_code)],
    "oversight:supervision_export": lambda w: [
        Probe("get", "/supervision/export.xlsx", control="supervisor", shows=query_code_display(w.main.query_code))
    ],
    "oversight:unit_supervision_new": _public("/supervision/new/"),
    "oversight:supervision": lambda w: [
        Probe("get", f"/supervision/{w.supervision}/", None, f"/supervision/{MISSING}/", "supervisor")
    ],
    "oversight:supervision_notice_docx": lambda w: [
        Probe(
            "get",
            f"/supervision/{w.supervision}/notice.{fmt}",
            None,
            f"/supervision/{MISSING}/notice.{fmt}",
            "supervisor",
        )
        for fmt in ("docx", "pdf")
    ],
    "oversight:supervision_notice_pdf": lambda w: [],  # with the docx
    "oversight:supervision_step": lambda w: [
        Probe("post", f"/supervision/{w.supervision}/{action}/", {}, f"/supervision/{MISSING}/{action}/", "supervisor")
        for action in ("answer", "end", "accept", "return")
    ],
    "oversight:recommendations": lambda w: [
        Probe("get", "/recommendations/", control="supervisor", shows="乙地督查建议")
    ],
    "oversight:recommendation_new": lambda w: [
        Probe(
            "post",
            "/recommendations/new/",
            {
                "kind": "work",
                "text": "甲",
                "query_code": w.main.query_code,
                "to_unit": str(w.org.town_b.pk),
                "due_on": "2030-01-01",
            },
        )
    ],
    "oversight:recommendation": lambda w: [
        Probe("get", f"/recommendations/{w.recommendation}/", None, f"/recommendations/{MISSING}/", "supervisor")
    ],
    "oversight:recommendation_step": lambda w: [
        Probe(
            "post",
            f"/recommendations/{w.recommendation}/{action}/",
            {},
            f"/recommendations/{MISSING}/{action}/",
            "supervisor",
        )
        for action in ("answer", "accept", "return")
    ],
    "oversight:follow_ups": lambda w: [Probe("get", "/follow-up/")],
    "oversight:follow_up_export": lambda w: [Probe("get", "/follow-up/export.xlsx")],
    "oversight:findings": _public("/follow-up/findings/"),
    "oversight:follow_up_petition": lambda w: [
        Probe("get", f"/follow-up/p/{w.main.pk}/", None, f"/follow-up/p/{MISSING}/", "")
    ],
    # ---- assessment, dashboard and reports: figures per unit and place, never a petition's words
    "assessment:ranking": _public("/assessment/ranking/"),
    "assessment:ranking_export": _public("/assessment/ranking/export.xlsx"),
    "assessment:regions": _public("/assessment/regions/"),
    "assessment:explanation": lambda w: [Probe("get", f"/assessment/unit/{w.org.town_b.pk}/2026-03/")],
    "assessment:rectifications": _public("/assessment/rectification/"),
    "assessment:rectification": lambda w: [Probe("get", f"/assessment/rectification/{MISSING}/")],
    "assessment:rectification_notice_docx": lambda w: [
        Probe("get", f"/assessment/rectification/{MISSING}/notice.docx")
    ],
    "assessment:rectification_notice_pdf": lambda w: [Probe("get", f"/assessment/rectification/{MISSING}/notice.pdf")],
    # ---- the API's own pages (its operations: API_CASES)
    "api:docs-asset": _public("/api/docs/assets/swagger-ui-bundle.js"),
    "api:openapi-json": _public("/api/openapi.json"),
    "api:openapi-view": _public("/api/docs"),
    "api:api-root": _public("/api/"),
}


# ---------------------------------------------------------------- the resolver's patterns


def _walk(patterns, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
        else:
            assert isinstance(p, URLPattern)
            yield prefix + str(p.pattern), ns + (p.name or str(p.pattern))


def url_patterns() -> list[tuple[str, str]]:
    """(route, name) of every pattern of the site but the admin's."""
    return [(route, name) for route, name in _walk(get_resolver().url_patterns) if not name.startswith("admin:")]


def _openapi(client: Client | None = None) -> dict:
    return json.loads((client or Client()).get("/api/openapi.json").content)


def _as_openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_url_pattern_has_a_case(db):
    """A new page fails here until URL_CASES says how to probe it (API operations: API_CASES)."""
    operations = set(_openapi()["paths"])
    names = {name for route, name in url_patterns() if _as_openapi_path(route) not in operations}
    missing, stale = names - set(URL_CASES), set(URL_CASES) - names
    assert not missing, f"no probe in URL_CASES for these URL patterns: {sorted(missing)}"
    assert not stale, f"URL_CASES names patterns that no longer exist: {sorted(stale)}"


# ---------------------------------------------------------------- running the probes


def _client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def _leaks(w: World, text: str, typed: object = None) -> list[str]:
    """B's markers in `text`, but for what the request itself carried (a form shows what was typed)."""
    sent = json.dumps(typed, ensure_ascii=False, default=str) if typed else ""
    return [m for m in w.markers if m and m in text and m not in sent]


def _states(w: World) -> dict[int, tuple[str, int, int]]:
    return {
        p.pk: (p.state, p.owner_unit_id, p.events.count())
        for p in Petition.objects.filter(pk__in=[x.pk for x in w.b.values()])
    }


def _probe_as_a(w: World, client_for: Callable[[], Client], probe: Probe, who: str) -> list[str]:
    """What goes wrong when A sends `probe` (empty: the gate held)."""
    problems = []
    response = _send(client_for(), probe)
    if response.status_code >= 500:
        return [f"{who} {probe.method} {probe.url}: {response.status_code}"]
    leaked = _leaks(w, _body(response), probe.data)
    if leaked:
        problems.append(f"{who} {probe.method} {probe.url} {probe.data or ''}: shows {leaked}")
    if probe.missing:
        gone = _send(client_for(), probe, probe.missing)
        same = (
            response.status_code == gone.status_code
            and response.get("Location", "").split("?")[0] == gone.get("Location", "").split("?")[0]
        )
        if not (response.status_code in (403, 404) or same):
            problems.append(
                f"{who} {probe.method} {probe.url}: {response.status_code} "
                f"{response.get('Location', '')}, but {gone.status_code} for a missing one"
            )
    return problems


def _control(w: World, probe: Probe) -> str | None:
    """The probe by a user who may see the B petition, undone afterwards: must reach it / show it."""
    if not probe.control:
        return None
    with transaction.atomic():
        response = _send(_client_for(w.user(probe.control)), probe)
        body = _body(response)
        transaction.set_rollback(True)
    if probe.missing and response.status_code in (403, 404):
        return (
            f"control {probe.control} {probe.method} {probe.url}: {response.status_code} (the probe misses its target)"
        )
    if probe.shows and probe.shows not in body:
        return f"control {probe.control} {probe.method} {probe.url} {probe.data or ''}: does not show {probe.shows}"
    return None


def _all_probes(w: World) -> list[Probe]:
    return [probe for case in URL_CASES.values() for probe in case(w)]


@pytest.mark.parametrize("role", A_ROLES)
def test_township_a_staff_cannot_reach_township_b_through_any_page(org, settings, tmp_path, role):
    w = world_build(org, settings, tmp_path)
    user = org.user("town_a", role)
    before = _states(w)
    problems = []
    for probe in _all_probes(w):
        problems += _probe_as_a(w, lambda: _client_for(user), probe, role)
    assert _states(w) == before, "A's requests changed B's petitions"
    assert not problems, "\n".join(problems)
    # A's own petition is reachable by A: the probes are not refused for some other reason
    assert _client_for(user).get(f"/p/{w.mine.pk}/").status_code == 200


def test_every_probe_reaches_the_b_petition_for_someone_who_may_see_it(org, settings, tmp_path):
    """The controls: each probe naming a B petition reaches it for a user of B (or the administrator),
    and each list shows B's petition to B. Without this a mistyped probe would pass as "hidden"."""
    w = world_build(org, settings, tmp_path)
    problems = [m for probe in _all_probes(w) if (m := _control(w, probe))]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the API and Open311, from the schema


def _action_body(w: World, action: str) -> dict:
    """A valid body of each action (the request must pass validation to reach the visibility check)."""
    decision = {"outcome": "support", "measure": "resolved", "text": "经调查，予以支持。"}
    return {
        "confirm_accused": {"accused_unit": w.org.land.pk},
        "accept": {},
        "decline": {"reason": "not_competent"},
        "forward": {"to_unit": w.org.land.pk},
        "assign": {"to_unit": w.org.village_b.pk, "report_days": 30},
        "redirect": {"channel": "litigation"},
        "return": {"reason": "不属于本单位职权范围"},
        "extend": {"days": 10, "reason": "需要现场勘查"},
        "record_step": {"note": "已电话联系"},
        "decide": decision,
        "evaluate": {"satisfaction": "satisfied"},
        "request_review": {},
        "review_decide": decision,
        "request_reexamination": {},
        "hearing_start": {},
        "hearing_end": {},
        "reexamine_decide": decision,
        "close": {"waived": True},
    }[action]


@dataclass(frozen=True)
class ApiProbe:
    method: str
    path: str
    params: dict | None = None
    body: dict | None = None
    form: bool = False  # Open311 POSTs are form-encoded
    hidden: bool = False  # names a B petition: 404 for A, reached by B
    shows: int | None = None  # a list: B's client sees this id, A's does not


def _api_send(api: Api, probe: ApiProbe):
    if probe.method == "get":
        return api.get(probe.path, probe.params)
    if probe.form:
        return api.post_form(probe.path, probe.body or {})
    return api.post(probe.path, probe.body)


def _api_act(action: str) -> Callable[[World], list[ApiProbe]]:
    def probes(w: World) -> list[ApiProbe]:
        p = w.with_state(TABLE[action].sources)
        return [ApiProbe("post", f"/api/petitions/{p.pk}/{action}", body=_action_body(w, action), hidden=True)]

    return probes


SINCE = {"start_date": "2026-01-01T00:00:00+08:00"}
API_CASES: dict[tuple[str, str], Callable[[World], list[ApiProbe]]] = {
    ("GET", "/api/petitions"): lambda w: [
        ApiProbe("get", "/api/petitions", {"limit": 200}, shows=w.main.pk),
        ApiProbe("get", "/api/petitions", {"limit": 200, "region": w.org.r_village_b.code}, shows=w.main.pk),
        ApiProbe("get", "/api/petitions", {"limit": 200, "kind": "accusation"}, shows=w.b["accusation"].pk),
    ],
    ("POST", "/api/petitions"): lambda w: [
        ApiProbe(
            "post",
            "/api/petitions",
            body={
                "channel": "phone",
                "kind": "suggestion",
                "region": w.org.r_village_a.code,
                "title": "甲地建议",
                "content": "甲地丰收村建议。",
            },
        )
    ],
    ("GET", "/api/petitions/{petition_id}"): lambda w: [
        ApiProbe("get", f"/api/petitions/{p.pk}", hidden=True) for p in w.b.values()
    ],
    ("GET", "/api/statistics/petitions"): lambda w: [
        ApiProbe("get", "/api/statistics/petitions", {"group_by": g, "region_level": 5})
        for g in ("state", "kind", "region", "period", "channel", "category")
    ],
    ("GET", "/api/open311/v2/services.json"): lambda w: [ApiProbe("get", "/api/open311/v2/services.json")],
    ("GET", "/api/open311/v2/requests.json"): lambda w: [
        ApiProbe("get", "/api/open311/v2/requests.json", SINCE, shows=w.main.pk),
        ApiProbe("get", "/api/open311/v2/requests.json", {"service_request_id": str(w.main.pk)}, shows=w.main.pk),
    ],
    ("POST", "/api/open311/v2/requests.json"): lambda w: [
        ApiProbe(
            "post",
            "/api/open311/v2/requests.json",
            body={
                "service_code": str(Category.objects.filter(level=1).first().pk),
                "address_id": w.org.r_village_a.code,
                "description": "甲地丰收村路灯不亮。",
            },
            form=True,
        )
    ],
    ("GET", "/api/open311/v2/requests/{service_request_id}.json"): lambda w: [
        ApiProbe("get", f"/api/open311/v2/requests/{p.pk}.json", hidden=True) for p in w.b.values()
    ],
    **{("POST", f"/api/petitions/{{petition_id}}/{action}"): _api_act(action) for action in TABLE},
}


def test_every_api_operation_has_a_case(client):
    """A new operation (native or Open311) fails here until API_CASES says how to probe it."""
    schema = _openapi(client)
    operations = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    missing, stale = operations - set(API_CASES), set(API_CASES) - operations
    assert not missing, f"no probe in API_CASES for these operations: {sorted(missing)}"
    assert not stale, f"API_CASES names operations that no longer exist: {sorted(stale)}"


def _ids(response) -> set[int]:
    data = response.json()
    rows = data["items"] if isinstance(data, dict) and "items" in data else data
    return {
        int(r.get("id") or r.get("service_request_id"))
        for r in rows
        if isinstance(r, dict) and (r.get("id") or r.get("service_request_id"))
    }


@pytest.mark.parametrize("role", A_API_ROLES)
def test_an_api_client_of_township_a_cannot_reach_township_b(org, settings, tmp_path, role):
    w = world_build(org, settings, tmp_path)
    a = Api(api_client_make(org, "town_a", role=role, scopes=ALL_SCOPES)[1])
    b = Api(api_client_make(org, "town_b", role=Role.HANDLER, scopes=ALL_SCOPES)[1])
    before = _states(w)
    b_ids = {p.pk for p in w.b.values()}
    problems = []
    for probes in API_CASES.values():
        for probe in probes(w):
            response = _api_send(a, probe)
            where = f"{role} {probe.method.upper()} {probe.path} {probe.params or ''}"
            if response.status_code >= 500 or response.status_code == 422:
                problems.append(f"{where}: {response.status_code} {response.content[:200]!r}")
                continue
            leaked = _leaks(w, response.content.decode(), [probe.params, probe.body])
            if leaked:
                problems.append(f"{where}: shows {leaked}")
            if probe.hidden and response.status_code != 404:
                problems.append(f"{where}: {response.status_code}, not 404")
            if probe.shows is not None and _ids(response) & b_ids:
                problems.append(f"{where}: lists B's {sorted(_ids(response) & b_ids)}")
            if probe.path.startswith("/api/statistics"):
                total = response.json()["total"]
                from xinfang.petitions.selectors import petition_list_for

                if total != petition_list_for(a_user := _api_user(a)).count():
                    problems.append(f"{where}: counts {total}, {a_user} sees fewer")
            if probe.hidden or probe.shows is not None:  # the control: B's client reaches it
                with transaction.atomic():
                    control = _api_send(b, probe)
                    transaction.set_rollback(True)
                if probe.hidden and control.status_code == 404:
                    problems.append(f"control {where}: 404 for B too (the probe misses its target)")
                if probe.shows is not None and probe.shows not in _ids(control):
                    problems.append(f"control {where}: B's client does not see {probe.shows}")
    assert _states(w) == before, "A's client changed B's petitions"
    assert not problems, "\n".join(problems)


def _api_user(api: Api) -> User:
    from xinfang.api.selectors import api_client_for_token

    return api_client_for_token(api.headers["Authorization"].split()[1]).user


# ---------------------------------------------------------------- the admin: administrators only


def _admin_url(route: str, w: World) -> str:
    fill = {
        "object_id": str(w.main.pk),
        "pk": "1",
        "id": "1",
        "content_type_id": "1",
        "app_label": "petitions",
        "url": "x",
    }
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fill[m.group(1)], route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: fill[m.group(1)], url)
    return "/" + url.lstrip("^").rstrip("$")


@pytest.mark.parametrize("role", (Role.HANDLER, Role.SUPERVISOR))
def test_the_admin_is_closed_to_township_staff(org, settings, tmp_path, role):
    """Every admin page sends a township's staff to the admin's sign-in (they are not administrators);
    the sign-in page itself shows nothing of B."""
    w = world_build(org, settings, tmp_path)
    user = org.user("town_a", role)
    routes = [(route, name) for route, name in _walk(get_resolver().url_patterns) if name.startswith("admin:")]
    assert len(routes) > 20
    problems = []
    for route, name in routes:
        url = _admin_url(route, w)
        response = _client_for(user).get(url)
        if _leaks(w, _body(response)):
            problems.append(f"{url}: shows {_leaks(w, _body(response))}")
        if name in ("admin:login", "admin:logout"):
            continue
        if not (
            response.status_code in (403, 404)
            or (response.status_code == 302 and response["Location"].startswith("/admin/login/"))
        ):
            problems.append(f"{url}: {response.status_code} {response.get('Location', '')}")
    assert not problems, "\n".join(problems)
