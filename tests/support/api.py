"""What the API tests share: clients with tokens, and calls with them. (No tests here.)"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.test import Client

from tests.conftest import Org
from xinfang.api.models import ApiClient, Scope
from xinfang.api.services import api_client_create
from xinfang.org.models import Role

ALL_SCOPES = tuple(Scope.values)
READ_WRITE = (Scope.PETITIONS_READ, Scope.PETITIONS_WRITE)


def api_client_make(
    org: Org, unit_key: str, *, role: str = Role.CLERK, scopes: Iterable[str] = READ_WRITE, name: str | None = None
) -> tuple[ApiClient, str]:
    return api_client_create(name=name or f"{unit_key}-{role}-系统", unit=org.units[unit_key], role=role, scopes=scopes)


class Api:
    """A test client that sends one token (or none) with every request."""

    def __init__(self, token: str | None = None) -> None:
        self.http = Client(SERVER_NAME="localhost")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.http.get(path, params or {}, headers=self.headers | headers)

    def post(self, path: str, body: dict | None = None, **headers):
        return self.http.post(
            path, json.dumps(body or {}), content_type="application/json", headers=self.headers | headers
        )

    def post_form(self, path: str, form: dict, **headers):
        from urllib.parse import urlencode

        return self.http.post(
            path, urlencode(form), content_type="application/x-www-form-urlencoded", headers=self.headers | headers
        )


def api_for(org: Org, unit_key: str, **kw) -> Api:
    return Api(api_client_make(org, unit_key, **kw)[1])


def petition_body(org: Org, **kw) -> dict:
    """A valid registration body: a phone petition in 丰收村 with one (synthetic) petitioner."""
    return {
        "channel": "phone",
        "kind": "claim",
        "region": org.regions["village_a"].code,
        "title": "拖欠工资",
        "content": "某工地拖欠工资三个月，请求协调支付。",
        "petitioners": [{"name": "测试人甲", "phone": "10012345678", "id_number": "990121199001011234"}],
    } | kw
