"""Bad bytes, big bodies and odd content types get 400, never 500 (issue 18, point 5), on SQLite and
PostgreSQL: NUL and lone surrogates in every text input of every page (its query string and its forms'
fields) and of every API operation (its query parameters and every string of its body), a body over
DATA_UPLOAD_MAX_MEMORY_SIZE and a multipart body without its boundary to every POST. A surrogate
pair (an emoji) is text and goes through."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from tests.conftest import register, staff_login
from tests.support.api import ALL_SCOPES, Api, api_client_make, petition_body
from xinfang.petitions.models import Petition

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
SURROGATE = "a\ud800b"
SURROGATE_BYTES = "a%ED%A0%80b"  # the UTF-8 spelling of a lone surrogate: not UTF-8
FIELD = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"')


def routes(resolver: URLResolver | None = None, prefix: str = ""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from routes(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and isinstance(p.pattern, RoutePattern):
            yield prefix + str(p.pattern)


def sample(route: str, pk: int) -> str:
    path = re.sub(r"<int:[^>]+>", str(pk), route)
    path = re.sub(r"<slug:action>", "accept", path)
    return "/" + re.sub(r"<(?:str|slug|path):[^>]+>", "x", path)


def pages(pk: int) -> list[str]:
    found = [sample(r, pk) for r in routes() if not r.startswith(("api/", "admin/"))]
    return found + ["/admin/login/", "/admin/petitions/petition/", "/admin/audit/auditentry/"]


def assert_refused(response, where: str) -> None:
    assert response.status_code == 400, f"{where}: {response.status_code}"
    text = response.content.decode()
    assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese reason: {text[:200]}"


@pytest.fixture
def clerk(org) -> Client:
    c = Client()
    staff_login(c, org.users["clerk"])
    return c


@pytest.fixture
def petition(org) -> Petition:
    return register(org, on=timezone.now(), title="道路破损")


@pytest.fixture
def worker_ticked(db) -> None:
    """A worker ran the schedule just now: /healthz answers 200, not its 503 of "no worker"."""
    from xinfang.schedule.models import Tick

    Tick.objects.create(pk=1, beat=timezone.now())


def test_every_page_refuses_nul_and_lone_surrogates_in_its_query_and_its_form_fields(
    org, clerk, petition, worker_ticked
):
    paths = pages(petition.pk)
    assert len(paths) >= 40 and "/portal/policy/" in paths and "/queue/export.xlsx" in paths
    for path in paths:
        page = clerk.get(path)
        assert page.status_code < 500, f"{path}: {page.status_code}"
        names = sorted(set(FIELD.findall(page.content.decode(errors="replace"))) | {"q", "text", "name"})
        assert_refused(clerk.get(path, {n: NUL for n in names}), f"GET {path} NUL")
        assert_refused(clerk.get(path, QUERY_STRING=f"q={SURROGATE_BYTES}"), f"GET {path} surrogate")
        assert_refused(clerk.post(path, {n: NUL for n in names}), f"POST {path} NUL")
        body = "&".join(f"{n}={SURROGATE_BYTES}" for n in names)
        assert_refused(clerk.post(path, body, content_type="application/x-www-form-urlencoded"), f"POST {path} surr.")
        assert_refused(
            clerk.post(path, json.dumps({"q": SURROGATE}), content_type="application/json"), f"POST {path} JSON"
        )
    assert_refused(clerk.get(f"/portal/receipt/{NUL}/"), "a NUL in the path")
    assert_refused(Client().get("/portal/policy/", {"q": NUL}), "the portal, signed out")


def test_every_post_refuses_a_big_body_and_a_multipart_body_without_its_boundary(org, clerk, petition):
    big = "x=" + "甲" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 1)
    for path in pages(petition.pk):
        assert_refused(clerk.post(path, big, content_type="application/x-www-form-urlencoded"), f"{path} big")
        assert_refused(clerk.post(path, "--x\r\n", content_type="multipart/form-data"), f"{path} no boundary")


def _operations(api: Api) -> list[tuple[str, str, dict]]:
    schema = api.get("/api/openapi.json").json()
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def _body_fields(schema: dict, op: dict) -> list[str]:
    content = op.get("requestBody", {}).get("content", {})
    body = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return sorted(body.get("properties", {})) or ["title"]


def _fill(path: str, pk: int) -> str:
    return re.sub(r"\{service_request_id\}", str(pk), re.sub(r"\{\w+\}", str(pk), path))


def test_every_api_operation_refuses_nul_and_lone_surrogates_in_its_parameters_and_body(org, petition):
    api = Api(api_client_make(org, "bureau", scopes=ALL_SCOPES)[1])
    schema = api.get("/api/openapi.json").json()
    operations = _operations(api)
    assert len(operations) >= 10
    for method, path, op in operations:
        url = _fill(path, petition.pk)
        params = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"] or ["q"]
        assert_refused(
            api.http.generic(method.upper(), url + "?" + "&".join(f"{p}=a%00b" for p in params), headers=api.headers),
            f"{method} {path} query NUL",
        )
        assert_refused(
            api.http.generic(method.upper(), f"{url}?{params[0]}={SURROGATE_BYTES}", headers=api.headers),
            f"{method} {path} query surrogate",
        )
        if method in ("post", "put", "patch"):
            fields = _body_fields(schema, op)
            for bad in (NUL, SURROGATE):
                body = json.dumps({f: bad for f in fields})  # ASCII: "\u0000", "\ud800" escapes
                assert_refused(
                    api.http.generic(method.upper(), url, body, content_type="application/json", headers=api.headers),
                    f"{method} {path} body {bad!r}",
                )
                form = "&".join(f"{f}={'a%00b' if bad == NUL else SURROGATE_BYTES}" for f in fields)
                assert_refused(
                    api.http.generic(
                        method.upper(), url, form, content_type="application/x-www-form-urlencoded", headers=api.headers
                    ),
                    f"{method} {path} form {bad!r}",
                )
            big = json.dumps({"title": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
            assert_refused(
                api.http.generic(method.upper(), url, big, content_type="application/json", headers=api.headers),
                f"{method} {path} big",
            )
            assert_refused(
                api.http.generic(
                    method.upper(), url, "--x\r\n", content_type="multipart/form-data", headers=api.headers
                ),
                f"{method} {path} no boundary",
            )
            for odd in ("application/xml", "text/plain"):
                assert_refused(
                    api.http.generic(method.upper(), url, b"<a>\x00</a>", content_type=odd, headers=api.headers),
                    f"{method} {path} {odd}",
                )
    assert_refused(Api().post("/api/petitions", petition_body(org, title=NUL)), "without a token too")


def test_a_surrogate_pair_is_text_and_is_stored(org):
    api = Api(api_client_make(org, "bureau", scopes=ALL_SCOPES)[1])
    response = api.post("/api/petitions", petition_body(org, title="路灯坏了😀"))
    assert response.status_code == 201, response.content
    assert Petition.objects.get(pk=response.json()["id"]).title == "路灯坏了😀"


def test_a_nul_in_a_cookie_or_a_header_is_refused_before_any_session_is_read(org):
    c = Client()
    c.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    assert_refused(c.get("/login/"), "session cookie")
    assert_refused(Api().post("/api/petitions", petition_body(org), **{"Idempotency-Key": NUL}), "header")
