"""The audit log (security issue, point 6): who opened a petition, downloaded its files, exported a list
or a notice, signed in or out or failed to; one INSERT each; administrators search, filter and export
it in the admin, where no one can add, change or delete a row."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import at, handler, register, staff_login
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.audit.services import audit_record
from xinfang.org.models import Role
from xinfang.petitions import registration, services
from xinfang.petitions.models import Petitioner

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n"


def client_for(user) -> Client:
    c = Client(REMOTE_ADDR="10.1.2.3")
    staff_login(c, user)
    AuditEntry.objects.all().delete()  # (the sign-in's own row: each test counts what follows)
    return c


@pytest.fixture
def admin(org):
    """The administrator (a superuser) in the admin site, both sign-in steps done."""
    from xinfang.org.models import User

    User.objects.filter(pk=org.u_admin.pk).update(is_staff=True)
    return User.objects.get(pk=org.u_admin.pk)


def rows(**kw) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**kw).order_by("pk"))


def xlsx_text(body: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        " ".join(str(v) for v in row if v is not None)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
    )


@pytest.fixture
def petition(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = register(
        org,
        on=at(2026, 3, 2),
        actor=org.u_town_a_clerk,
        kind="claim",
        petitioners=[Petitioner(name="王某", phone="13800001111")],
    )
    registration.attachment_add(p, actor=org.u_town_a_clerk, file=SimpleUploadedFile("现场.pdf", PDF))
    return p


# ---------------------------------------------------------------- what is recorded


def test_opening_a_petition_page_is_one_row_with_who_what_and_where(org, petition):
    user = handler(org, "town_a")
    c = client_for(user)
    assert c.get(f"/p/{petition.pk}/").status_code == 200
    [row] = rows()
    assert (row.actor, row.action, row.object_type, row.object_id) == (
        user,
        AuditAction.VIEW,
        "petitions.petition",
        str(petition.pk),
    )
    assert row.ip == "10.1.2.3" and row.detail["query_code"] == petition.query_code
    assert row.actor_label == str(user)


def test_an_api_client_reading_a_petition_is_a_view_row_of_its_service_user(org, petition):
    from tests.support.api import ALL_SCOPES, READ_WRITE, Api, api_client_make

    # (with personal:read and a petitioner's phone the one row is "api_personal": tests/api/test_api_personal.py)
    client, token = api_client_make(org, "town_a", scopes=READ_WRITE)
    assert Api(token).get(f"/api/petitions/{petition.pk}").status_code == 200
    [row] = rows()
    assert (row.actor, row.action, row.object_id) == (client.user, AuditAction.VIEW, str(petition.pk))
    assert (
        Api(api_client_make(org, "town_b", scopes=ALL_SCOPES)[1]).get(f"/api/petitions/{petition.pk}").status_code
        == 404
    )
    assert rows() == [row]


def test_a_petition_the_user_may_not_see_leaves_no_view_row(org, petition):
    c = client_for(handler(org, "town_b"))
    assert c.get(f"/p/{petition.pk}/").status_code == 404
    assert c.get(f"/p/{petition.pk}/attachments/{petition.attachments.get().pk}/").status_code == 404
    assert rows() == []


def test_the_page_costs_one_insert_and_no_other_write(org, petition):
    c = client_for(handler(org, "town_a"))
    c.get(f"/p/{petition.pk}/")
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(f"/p/{petition.pk}/").status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "audit_auditentry"'), writes
    assert len(ctx.captured_queries) <= 10


def test_downloading_an_attachment_is_recorded_against_the_petition(org, petition):
    user = handler(org, "town_a")
    c = client_for(user)
    attachment = petition.attachments.get()
    response = c.get(f"/p/{petition.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    [row] = rows()
    assert (row.actor, row.action, row.object_type, row.object_id) == (
        user,
        AuditAction.DOWNLOAD,
        "petitions.petition",
        str(petition.pk),
    )
    assert row.detail == {"attachment": attachment.pk, "name": "现场.pdf"}


def test_the_petition_page_lists_its_files_from_their_events(org, petition):
    """The page reads the files from their "attach" events (no query of their own): the same files, in
    upload order, each linked to its download."""
    registration.attachment_add(petition, actor=org.u_town_a_clerk, file=SimpleUploadedFile("第二份.pdf", PDF))
    page = client_for(handler(org, "town_a")).get(f"/p/{petition.pk}/").content.decode()
    names = [a.name for a in petition.attachments.order_by("pk")]
    assert names == ["现场.pdf", "第二份.pdf"] and page.index("现场.pdf") < page.index("第二份.pdf")
    for a in petition.attachments.all():
        assert f"/p/{petition.pk}/attachments/{a.pk}/" in page


def test_an_export_of_the_queue_is_recorded_with_its_filters(org, petition):
    user = handler(org, "town_a")
    c = client_for(user)
    response = c.get("/queue/export.xlsx", {"tab": "accept", "kind": "claim", "q": "道路", "channel": ""})
    assert response.status_code == 200
    [row] = rows()
    assert (row.actor, row.action, row.object_type) == (user, AuditAction.EXPORT, "workbench:queue_export")
    assert row.detail["filters"] == {"tab": "accept", "kind": "claim", "q": "道路"}
    assert row.detail["file"].startswith("queue-") and row.detail["file"].endswith(".xlsx")


def test_a_notice_printed_is_an_export_of_that_petition(org, petition):
    user = org.u_town_a_clerk
    c = client_for(user)
    kind = "acceptance"
    services.petition_accept(petition, actor=user)
    for fmt in ("docx", "pdf"):
        response = c.get(f"/p/{petition.pk}/notice/{kind}.{fmt}")
        if response.status_code == 404 and fmt == "pdf":  # no CJK font installed: the PDF is not made
            continue
        assert response.status_code == 200
    recorded = rows(action=AuditAction.EXPORT)
    assert recorded and all((r.object_type, r.object_id) == ("petitions.petition", str(petition.pk)) for r in recorded)
    assert recorded[0].detail["view"] == "documents:notice_docx"


def test_sign_in_sign_out_and_a_failed_sign_in(org):
    from django.contrib.auth.hashers import make_password

    user = handler(org, "town_a")
    user.password = make_password("正确的口令-123")
    user.save(update_fields=["password"])
    c = Client(REMOTE_ADDR="10.9.8.7")
    wrong = c.post("/login/", {"username": user.username, "password": "错误的口令"})
    assert wrong.status_code == 200
    assert c.post("/login/", {"username": user.username, "password": "正确的口令-123"}).status_code == 302
    assert c.post("/logout/").status_code == 302
    failed, signed_in, signed_out = rows()
    assert (failed.action, failed.actor, failed.actor_label, failed.ip) == (
        AuditAction.LOGIN_FAILED,
        None,
        user.username,
        "10.9.8.7",
    )
    assert "错误的口令" not in str(failed.detail)
    assert (signed_in.action, signed_in.actor) == (AuditAction.LOGIN, user)
    assert (signed_out.action, signed_out.actor) == (AuditAction.LOGOUT, user)


# ---------------------------------------------------------------- the admin: administrators only


def _entries(org, petition):
    a, b = handler(org, "town_a"), org.u_town_b_clerk
    audit_record(actor=a, action=AuditAction.VIEW, object_type="petitions.petition", object_id=petition.pk)
    audit_record(
        actor=b, action=AuditAction.EXPORT, object_type="workbench:queue_export", detail={"filters": {"kind": "claim"}}
    )
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="org.user", actor_label="猜测的账号")
    return a, b


def test_the_admin_lists_searches_and_filters_the_log(org, petition, admin):
    admin_client = client_for(admin)
    a, b = _entries(org, petition)
    url = "/admin/audit/auditentry/"
    page = admin_client.get(url).content.decode()
    assert a.username in page and b.username in page and "猜测的账号" in page
    searched = admin_client.get(url, {"q": b.username}).content.decode()
    assert b.username in searched and "猜测的账号" not in searched
    by_object = admin_client.get(url, {"q": str(petition.pk)}).content.decode()
    assert a.username in by_object and "猜测的账号" not in by_object
    failed = admin_client.get(url, {"action__exact": "login_failed"}).content.decode()
    assert "猜测的账号" in failed and b.username not in failed
    assert "猜测的账号" in admin_client.get(url, {"at__year": str(timezone.localdate().year)}).content.decode()
    assert "猜测的账号" not in admin_client.get(url, {"at__year": "2000"}).content.decode()  # by date
    # one petition's rows: the link its rows carry
    petition_rows = admin_client.get(url, {"object_type": "petitions.petition", "object_id": str(petition.pk)})
    assert petition_rows.status_code == 200
    text = petition_rows.content.decode()
    assert a.username in text and "猜测的账号" not in text


def test_the_admin_cannot_add_change_or_delete_a_row(org, petition, admin):
    admin_client = client_for(admin)
    _entries(org, petition)
    entry = AuditEntry.objects.first()
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    view = admin_client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    admin_client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"actor_label": "改过"})
    entry.refresh_from_db()
    assert entry.actor_label != "改过"
    page = admin_client.get("/admin/audit/auditentry/").content.decode()
    assert "delete_selected" not in page and "export_xlsx" in page


def test_the_admin_exports_the_filtered_rows_to_excel_and_that_is_recorded_too(org, petition, admin):
    admin_client = client_for(admin)
    a, b = _entries(org, petition)
    ids = [str(e.pk) for e in AuditEntry.objects.filter(action=AuditAction.VIEW)]
    response = admin_client.post(
        "/admin/audit/auditentry/?action__exact=view", {"action": "export_xlsx", "_selected_action": ids}
    )
    assert response.status_code == 200 and "spreadsheet" in response["Content-Type"]
    text = xlsx_text(response.content)
    assert a.username in text and "猜测的账号" not in text
    recorded = AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=admin).get()
    assert recorded.detail["filters"] == {"action__exact": "view"}


def test_only_administrators_reach_the_log(org, petition):
    for role in (Role.HANDLER, Role.SUPERVISOR, Role.LEADER, Role.BUREAU_STAFF):
        c = client_for(org.user("bureau", role))
        response = c.get("/admin/audit/auditentry/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), role
