"""Every export is inert (issue 18, point 2): a cell a spreadsheet could evaluate (text starting with
=, +, -, @, a tab or a carriage return) leaves every export as text with a leading apostrophe, never as
a formula: the work queue, supervision, follow-up, the ranking and the admin's audit log."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import D, path_to, register, staff_login, unit_make
from xinfang.assessment.aggregates import unit_months_score
from xinfang.assessment.models import UnitMonth
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.lib.xlsx import inert, xlsx_write
from xinfang.org.models import UnitKind
from xinfang.oversight import services as oversight
from xinfang.petitions.models import State

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://evil.example","点此")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def cells(body: bytes) -> list[object]:
    """Every cell value of the workbook; and no formula anywhere in its XML."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    ws = load_workbook(io.BytesIO(body)).active
    return [c.value for row in ws.iter_rows() for c in row]


def assert_inert(body: bytes, payload: str) -> None:
    """No cell starts as a formula would, and `payload` shows as text behind an apostrophe (as typed, or
    as the form stripped it)."""
    values = [v for v in cells(body) if isinstance(v, str)]
    assert not [v for v in values if v.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {"'" + payload, "'" + payload.strip()} & set(values), payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_work_queue_export(org, payload):
    register(org, on=timezone.now(), title=payload)
    response = client_for(org.users["clerk"]).get("/queue/export.xlsx", {"tab": "all"})
    assert response.status_code == 200
    assert_inert(response.content, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_supervision_export(org, payload):
    p = register(org, on=timezone.now(), title=payload)
    oversight.supervision_open(
        p,
        actor=org.u_supervisor,
        mode="online",
        reason=payload,
        requirement="七日内报告",
        answer_due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    response = client_for(org.u_supervisor).get("/supervision/export.xlsx")
    assert response.status_code == 200
    assert_inert(response.content, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_follow_up_export(org, payload):
    path_to(org, State.DECIDED, start=timezone.localdate() - dt.timedelta(days=20), title=payload)
    response = client_for(org.u_supervisor).get("/follow-up/export.xlsx")
    assert response.status_code == 200
    assert_inert(response.content, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_ranking_export(org, payload):
    unit = unit_make(payload, UnitKind.TOWNSHIP_OFFICE, org.regions["county"], org.units["county_gov"])
    UnitMonth.objects.create(month=D(2026, 1, 1), unit=unit, received=10, accept_on_time=10, concluded=5)
    unit_months_score(D(2026, 1, 1))
    response = client_for(org.users["leader"]).get("/assessment/ranking/export.xlsx?month=2026-01")
    assert response.status_code == 200
    assert_inert(response.content, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_admin_audit_export_of_a_user_name_typed_at_a_failed_sign_in(org, payload):
    from xinfang.org.models import User

    assert Client().post("/login/", {"username": payload, "password": "猜的"}).status_code == 200
    failed = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.actor_label.strip() == payload.strip()
    User.objects.filter(pk=org.u_admin.pk).update(is_staff=True)
    admin = client_for(User.objects.get(pk=org.u_admin.pk))
    response = admin.post("/admin/audit/auditentry/", {"action": "export_xlsx", "_selected_action": [failed.pk]})
    assert response.status_code == 200 and "spreadsheet" in response["Content-Type"]
    assert_inert(response.content, payload)


def test_plain_text_numbers_and_dates_are_written_as_they_are():
    body = xlsx_write("表", ["标题", "数", "日期"], [["青石镇修路", -3, D(2026, 1, 2)], ["负责人-王", 1.5, None]])
    assert cells(body)[3:] == ["青石镇修路", -3, dt.datetime(2026, 1, 2), "负责人-王", 1.5, None]


def test_characters_a_workbook_cannot_carry_are_dropped_not_a_failure():
    assert inert("a\x00b\x07c") == "abc"
    assert inert("\x00=1+1") == "'=1+1"
