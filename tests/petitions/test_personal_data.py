"""Personal data (issue 5, point 3): phone, ID number and address encrypted at rest (and every other copy:
notices' recipients, the API's stored answers, generated rows), found again by keyed hashes, keys rotated
by `personal_data_rekey`; masked by one set of rules in every page, list, export and the API; revealed only
to the roles `may_reveal_personal_data` names, each reveal in the audit log."""

from __future__ import annotations

import io
import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import act, at, handler, head, register, staff_login
from xinfang.audit.models import AuditEntry
from xinfang.notify.models import Notice
from xinfang.petitions import crypto
from xinfang.petitions.masking import mask_address, mask_email, mask_id_number, mask_phone
from xinfang.petitions.models import CoHandling, Kind, Petitioner
from xinfang.petitions.selectors import petitioner_lookup_for
from xinfang.portal.selectors import petition_find_for_petitioner

PHONE = "13912345678"
ID_NUMBER = "990121199001011234"
ADDRESS = "示范县青石镇丰收村3组12号"
KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def person() -> Petitioner:
    return Petitioner(name="李某乙", phone=PHONE, id_number=ID_NUMBER, address=ADDRESS)


def claim(org):
    return register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])


def raw_rows(table: str, columns: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM {table}")
        return cur.fetchall()


def client_for(user) -> Client:
    c = Client()
    staff_login(c, user)
    return c


# ---------------------------------------------------------------- at rest


def test_the_columns_hold_no_plain_number_and_the_model_reads_it_back(org):
    p = claim(org)
    [(phone, id_number, address, phone_digest, id_digest)] = raw_rows(
        "petitions_petitioner", "phone, id_number, address, phone_digest, id_number_digest"
    )
    stored = " ".join((phone, id_number, address, phone_digest, id_digest))
    for secret in (PHONE, ID_NUMBER, ADDRESS, "12345678", "丰收村"):
        assert secret not in stored
    assert len(phone_digest) == len(id_digest) == 64
    who = p.petitioners.get()
    assert (who.phone, who.id_number, who.address) == (PHONE, ID_NUMBER, ADDRESS)
    assert Petitioner.objects.values_list("phone", flat=True).get() == PHONE


def test_two_writes_of_one_number_differ_but_their_digests_match(org):
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[person()])
    register(org, on=at(2026, 3, 3), kind=Kind.CLAIM, petitioners=[person()])
    (a, da), (b, db) = raw_rows("petitions_petitioner", "phone, phone_digest")
    assert a != b and da == db == crypto.lookup_digest("phone", "+86 139-1234-5678")


def test_every_other_copy_is_encrypted_too(org):
    """The notices' recipients and the API's stored answers (which carry the full number with personal:read)."""
    from tests.support.api import api_for
    from xinfang.api.models import Scope

    claim(org)
    assert Notice.objects.filter(channel="sms").get().recipient == PHONE
    assert all(PHONE not in r for (r,) in raw_rows("notify_notice", "recipient"))
    api = api_for(org, "bureau", scopes=[Scope.PETITIONS_READ, Scope.PETITIONS_WRITE, Scope.PERSONAL_READ])
    body = {
        "channel": "phone",
        "kind": "claim",
        "region": org.regions["village_a"].code,
        "title": "拖欠工资",
        "content": "拖欠工资三个月。",
        "petitioners": [{"name": "测试人", "phone": PHONE, "id_number": ID_NUMBER}],
    }
    response = api.post("/api/petitions", body, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 201 and PHONE in response.content.decode()
    [(stored,)] = raw_rows("api_idempotencykey", "body")
    assert PHONE not in stored and ID_NUMBER not in stored
    again = api.post("/api/petitions", body, **{"Idempotency-Key": "k-1"})
    assert again.json() == response.json()  # the replay decrypts the stored answer


def test_an_encrypted_column_refuses_to_be_compared_in_sql(org):
    claim(org)
    with pytest.raises(FieldError):
        list(Petitioner.objects.filter(phone=PHONE))
    assert not Petitioner.objects.filter(phone="").exists()  # emptiness still works


def test_lookups_by_phone_and_id_number_use_the_digests(org):
    p = claim(org)
    clerk = org.users["clerk"]
    assert [m.person.pk for m in petitioner_lookup_for(clerk, phone="139 1234 5678")] == [p.petitioners.get().pk]
    [match] = petitioner_lookup_for(clerk, id_number=ID_NUMBER.lower(), phone=PHONE)
    assert match.matched_on == ("phone", "id_number")
    assert petition_find_for_petitioner(p.query_code, "+86 13912345678") == p.pk
    assert petition_find_for_petitioner(p.query_code, "13912345679") is None


def test_generated_petitioners_are_stored_like_any_other(org):
    from xinfang.demo.generate.base import _petitioner_row

    pk, name, id_number, phone, address, id_digest, phone_digest = _petitioner_row(
        7, "王某甲", "10012345678", "丰收村3组"
    )
    assert (id_number, id_digest) == ("", "")
    assert crypto.decrypt(phone) == "10012345678" and crypto.decrypt(address) == "丰收村3组"
    assert phone_digest == crypto.lookup_digest("phone", "10012345678")


def test_the_data_migration_encrypts_plain_rows_and_can_undo_it(org):
    claim(org)
    crypto.rows_encrypt(
        connection,
        "petitions_petitioner",
        ("id_number", "phone", "address"),
        {"id_number_digest": ("id_number", "id_number"), "phone_digest": ("phone", "phone")},
        reverse=True,
    )
    assert raw_rows("petitions_petitioner", "phone, id_number, address, phone_digest") == [
        (PHONE, ID_NUMBER, ADDRESS, "")
    ]
    crypto.rows_encrypt(
        connection,
        "petitions_petitioner",
        ("id_number", "phone", "address"),
        {"id_number_digest": ("id_number", "id_number"), "phone_digest": ("phone", "phone")},
    )
    [(phone, digest)] = raw_rows("petitions_petitioner", "phone, phone_digest")
    assert PHONE not in phone and digest == crypto.lookup_digest("phone", PHONE)
    assert Petitioner.objects.get().phone == PHONE


# ---------------------------------------------------------------- keys


def test_rotation_old_rows_readable_with_both_keys_then_with_the_new_key_alone(org, settings):
    settings.DATA_KEYS = [KEY_A]
    p = claim(org)
    before = raw_rows("petitions_petitioner", "phone")
    settings.DATA_KEYS = [KEY_B, KEY_A]  # a new key in front: old rows still read
    assert p.petitioners.get().phone == PHONE
    out = io.StringIO()
    call_command("personal_data_rekey", "--batch", "1", stdout=out, stderr=io.StringIO())
    assert "Re-encrypted" in out.getvalue()
    assert raw_rows("petitions_petitioner", "phone") != before
    settings.DATA_KEYS = [KEY_B]  # the old key dropped
    who = Petitioner.objects.get()
    assert (who.phone, who.id_number, who.address) == (PHONE, ID_NUMBER, ADDRESS)
    assert Notice.objects.filter(channel="sms").get().recipient == PHONE
    settings.DATA_KEYS = [KEY_A]  # and the old key alone no longer opens them
    with pytest.raises(crypto.PersonalDataKeyError):
        Petitioner.objects.get()


def test_a_database_run_without_keys_moves_to_the_configured_key(org, settings):
    settings.DATA_KEYS = []  # the demo: a key derived from SECRET_KEY
    claim(org)
    settings.DATA_KEYS = [KEY_A]
    assert Petitioner.objects.get().phone == PHONE  # still read (the derived key is tried last)
    [(token,)] = raw_rows("petitions_petitioner", "phone")
    with pytest.raises(InvalidToken):
        Fernet(KEY_A).decrypt(token.encode())
    crypto.personal_data_rekey(batch=10)
    [(token,)] = raw_rows("petitions_petitioner", "phone")
    assert Fernet(KEY_A).decrypt(token.encode()).decode() == PHONE


def test_a_new_lookup_key_takes_effect_after_rekey(org, settings):
    p = claim(org)
    settings.LOOKUP_KEY = "a-new-lookup-key-of-the-county"
    assert petition_find_for_petitioner(p.query_code, PHONE) is None  # the digests are the old key's
    crypto.personal_data_rekey(batch=10)
    assert petition_find_for_petitioner(p.query_code, PHONE) == p.pk
    assert petitioner_lookup_for(org.users["clerk"], id_number=ID_NUMBER)[0].person.phone == PHONE


def test_the_system_check_warns_without_keys_in_production_and_refuses_a_bad_key(settings):
    settings.DEBUG, settings.DATA_KEYS, settings.LOOKUP_KEY = False, [], ""
    assert {m.id for m in crypto.keys_check()} == {"petitions.W010", "petitions.W011"}
    settings.DATA_KEYS, settings.LOOKUP_KEY = [KEY_A], "k"
    assert crypto.keys_check() == []
    settings.DATA_KEYS = ["not-a-key"]
    assert [m.id for m in crypto.keys_check()] == ["petitions.E010"]
    settings.DEBUG, settings.DATA_KEYS, settings.LOOKUP_KEY = True, [], ""
    assert crypto.keys_check() == []


# ---------------------------------------------------------------- masking


def test_one_set_of_masking_rules():
    assert mask_id_number(ID_NUMBER) == "990***********1234"
    assert mask_id_number("990121900101123") == "990********1123"
    assert mask_phone("13812345678") == "138****5678" and mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("62345678") == "****5678" and mask_phone("") == ""
    assert mask_address(ADDRESS) == "示范县青石镇丰收村****"
    assert mask_address("北京市朝阳区幸福小区5号楼") == "北京市朝阳区****"
    assert mask_address("幸福路12号") == "****"
    assert mask_email("lisi@example.org") == "l***@example.org"


def test_the_petition_page_and_lists_show_the_data_masked(org):
    p = claim(org)
    c = client_for(org.users["clerk"])
    pages = {
        "page": c.get(f"/p/{p.pk}/").content.decode(),
        "queue": c.get("/queue/", {"tab": "accept"}).content.decode(),
        "lookup": c.get("/register/lookup", {"phone": PHONE}).content.decode(),
    }
    for name, html in pages.items():
        assert PHONE not in html and ID_NUMBER not in html and ADDRESS not in html, name
    assert "139****5678" in pages["page"] and "990***********1234" in pages["page"]
    assert "示范县青石镇丰收村****" in pages["page"]
    assert p.query_code in pages["queue"]
    assert "139****5678" in pages["lookup"] and "示范县青石镇丰收村****" in pages["lookup"]


def test_the_excel_export_carries_no_full_number(org):
    p = claim(org)
    response = client_for(org.users["clerk"]).get("/queue/export.xlsx", {"tab": "accept"})
    cells = [
        str(v)
        for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    assert any(p.title in v for v in cells)
    assert not any(secret in v for v in cells for secret in (PHONE, ID_NUMBER, ADDRESS))


# ---------------------------------------------------------------- reveal


def reveal(user, p, **headers):
    party = p.parties.get()
    return client_for(user).post(f"/p/{p.pk}/petitioners/{party.pk}/reveal", **headers)


@pytest.mark.parametrize("who", ["clerk", "bureau_staff", "bureau_handler", "bureau_head", "admin"])
def test_the_owning_and_registering_units_staff_and_administrators_may_reveal(org, who):
    p = claim(org)
    user = {"bureau_handler": lambda: handler(org, "bureau"), "bureau_head": lambda: head(org, "bureau")}.get(
        who, lambda: org.users[who]
    )()
    assert f"/petitioners/{p.parties.get().pk}/reveal" in client_for(user).get(f"/p/{p.pk}/").content.decode()
    response = reveal(user, p, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert PHONE in html and ID_NUMBER in html and ADDRESS in html
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        user,
        "reveal",
        "petitions.petitioner",
        str(p.parties.get().petitioner_id),
    )
    assert entry.detail["petition"] == p.pk
    assert PHONE not in json.dumps(entry.detail)  # the log says what was revealed, not the value


@pytest.mark.parametrize("who", ["supervisor", "leader", "co_handler"])
def test_leaders_supervisors_and_co_handling_units_may_not_reveal(org, who):
    p = claim(org)
    if who == "co_handler":
        CoHandling.objects.create(petition=p, unit=org.units["town_b"])
        user = handler(org, "town_b")
    else:
        user = org.users[who]
    page = client_for(user).get(f"/p/{p.pk}/")
    assert page.status_code == 200  # they see the petition …
    html = page.content.decode()
    assert "/reveal" not in html and PHONE not in html and "139****5678" in html  # … masked, without the action
    assert reveal(user, p).status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_unit_the_petition_moved_to_may_reveal_and_one_that_cannot_see_it_gets_404(org):
    p = claim(org)
    act(org, "assign", p, org.users["clerk"], at(2026, 3, 3), to_unit=org.units["town_a"], report_days=30)
    assert reveal(handler(org, "town_a"), p).status_code == 200
    assert reveal(handler(org, "town_b"), p).status_code == 404


def test_reveal_without_htmx_shows_the_page_with_that_row_in_full(org):
    p = claim(org)
    response = reveal(org.users["clerk"], p)
    html = response.content.decode()
    assert response.status_code == 200 and PHONE in html and p.title in html
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_reveal_needs_a_post(org):
    p = claim(org)
    party = p.parties.get()
    assert client_for(org.users["clerk"]).get(f"/p/{p.pk}/petitioners/{party.pk}/reveal").status_code == 405
