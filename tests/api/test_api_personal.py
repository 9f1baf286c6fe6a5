"""Personal data in bulk through the API is audited and limited (issue 18, point 4): every answer that
carries petitioners' unmasked phone, ID number, e-mail or address is one audit row naming the client,
the petitions and the fields; a client gets such answers for at most API_PERSONAL_PER_HOUR petitions
an hour (or its own `personal_per_hour`), then 429 with Retry-After and the reason in Chinese."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, is_chinese, register
from tests.support.api import ALL_SCOPES, READ_WRITE, Api, api_client_make, petition_body
from xinfang.api.models import ApiClient, PersonalReadCount
from xinfang.api.personal import PersonalLimitExceeded, personal_budget_take
from xinfang.audit.models import AuditAction, AuditEntry
from xinfang.org.models import Role
from xinfang.petitions.models import Event, Kind, Petition, Petitioner, PetitionParty, State

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "10012345678", "990121199001011234"


def petitions_many(org, n: int) -> list[int]:
    """`n` petitions of 丰收村, each with one petitioner who has a phone and an ID number: one
    registered through the services, the others copies of its row (bulk, so that 2,000 are quick)."""
    first = register(
        org,
        on=at(2026, 3, 2),
        kind=Kind.CLAIM,
        petitioners=[Petitioner(name="测试人甲", phone=PHONE, id_number=ID_NUMBER)],
    )
    person = first.parties.get().petitioner
    fields = [f for f in Petition._meta.concrete_fields if not f.primary_key]
    copies = [
        Petition(**{f.attname: getattr(first, f.attname) for f in fields} | {"query_code": f"T{i:09d}"})
        for i in range(n - 1)
    ]
    Petition.objects.bulk_create(copies)
    PetitionParty.objects.bulk_create(PetitionParty(petition=p, petitioner=person) for p in copies)
    return [first.pk, *(p.pk for p in copies)]


def personal_client(org, *, per_hour: int | None = None, scopes=ALL_SCOPES) -> tuple[ApiClient, Api]:
    client, token = api_client_make(org, "bureau", role=Role.BUREAU_STAFF, scopes=scopes, name="市级系统")
    if per_hour is not None:
        ApiClient.objects.filter(pk=client.pk).update(personal_per_hour=per_hour)
        client.personal_per_hour = per_hour
    return client, Api(token)


def personal_rows() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.API_PERSONAL).order_by("pk"))


def pages(api: Api, n: int, limit: int = 200) -> list:
    responses, cursor = [], None
    for _ in range(n):
        responses.append(api.get("/api/petitions", {"limit": limit} | ({"cursor": cursor} if cursor else {})))
        if responses[-1].status_code != 200:
            break
        cursor = responses[-1].json()["next_cursor"]
    return responses


# ---------------------------------------------------------------- audited


def test_ten_pages_of_200_are_ten_audit_rows_naming_the_client_the_petitions_and_the_fields(org):
    """The probe's reproduction: 10 pages of limit=200 with personal:read gave full phone numbers and
    left no audit row. Now each page is one row (with a budget large enough for all of them)."""
    made = petitions_many(org, 2000)
    client, api = personal_client(org, per_hour=2000)
    responses = pages(api, 10)
    assert [r.status_code for r in responses] == [200] * 10
    assert all(PHONE in r.content.decode() for r in responses)
    rows = personal_rows()
    assert len(rows) == 10
    for response, row in zip(responses, rows):
        assert (row.actor, row.object_type) == (client.user, "petitions.petition")
        assert row.detail["ids"] == [item["id"] for item in response.json()["items"]]
        assert row.detail["fields"] == ["phone", "id_number"] and row.detail["count"] == 200
        assert row.detail["client"] == "市级系统" and row.detail["filters"]["limit"] == "200"
        assert PHONE not in json.dumps(row.detail) and ID_NUMBER not in json.dumps(row.detail)  # never the values
    assert sorted(i for row in rows for i in row.detail["ids"]) == sorted(made)
    assert PersonalReadCount.objects.get(client=client).count == 2000


def test_reading_one_petition_is_one_row_against_that_petition(org):
    [pk] = petitions_many(org, 1)
    client, api = personal_client(org)
    assert api.get(f"/api/petitions/{pk}").json()["petitioners"][0]["id_number"] == ID_NUMBER
    [row] = AuditEntry.objects.all()  # the reading and its personal data in one row (no separate "view")
    assert (row.action, row.actor, row.object_type, row.object_id) == (
        AuditAction.API_PERSONAL,
        client.user,
        "petitions.petition",
        str(pk),
    )
    assert row.detail["ids"] == [pk] and row.detail["fields"] == ["phone", "id_number"]


def test_without_personal_read_the_answer_is_masked_and_no_personal_row_is_written(org):
    [pk] = petitions_many(org, 1)
    client, api = personal_client(org, scopes=READ_WRITE)
    for response in (api.get("/api/petitions"), api.get(f"/api/petitions/{pk}")):
        assert response.status_code == 200
        assert PHONE not in response.content.decode() and ID_NUMBER not in response.content.decode()
    assert personal_rows() == [] and not PersonalReadCount.objects.exists()
    assert [e.action for e in AuditEntry.objects.all()] == [AuditAction.VIEW]  # the detail, as before


def test_petitions_without_personal_data_are_neither_counted_nor_recorded(org):
    register(org, on=at(2026, 3, 2))  # a suggestion without petitioners
    register(org, on=at(2026, 3, 2), kind=Kind.CLAIM, petitioners=[Petitioner(name="只有姓名")])
    client, api = personal_client(org, per_hour=0)
    assert api.get("/api/petitions").status_code == 200
    assert personal_rows() == [] and not PersonalReadCount.objects.exists()


# ---------------------------------------------------------------- limited


def test_over_the_hourly_budget_is_429_with_retry_after_and_the_reason_in_chinese(org):
    petitions_many(org, 600)
    client, api = personal_client(org)  # the default budget: 300 petitions an hour
    first, second = pages(api, 2)
    assert first.status_code == 200 and len(first.json()["items"]) == 200
    assert second.status_code == 429
    reason = second.json()["detail"]
    assert is_chinese(reason) and "300" in reason and "100" in reason  # the budget and what is left of it
    assert PHONE not in second.content.decode()
    assert 1 <= int(second["Retry-After"]) <= 3600
    assert len(personal_rows()) == 1  # the refused answer is not recorded: it carried nothing
    cursor = first.json()["next_cursor"]
    assert api.get("/api/petitions", {"limit": 100, "cursor": cursor}).status_code == 200  # exactly what is left
    assert api.get("/api/petitions", {"limit": 1}).status_code == 429
    assert api.get(f"/api/petitions/{cursor}").status_code == 429
    assert len(personal_rows()) == 2 and PersonalReadCount.objects.get(client=client).count == 300
    assert not AuditEntry.objects.filter(action=AuditAction.VIEW).exists()


def test_the_budget_is_the_setting_unless_the_client_has_its_own(org, settings):
    petitions_many(org, 6)
    settings.API_PERSONAL_PER_HOUR = 5
    client, api = personal_client(org)
    assert api.get("/api/petitions").status_code == 429
    ApiClient.objects.filter(pk=client.pk).update(personal_per_hour=6)
    assert api.get("/api/petitions").status_code == 200


def test_the_budget_is_per_clock_hour_and_says_when_the_next_begins(org):
    client, _api = personal_client(org, per_hour=10)
    ten_to_eleven = dt.datetime(2026, 3, 2, 10, 59, 30, tzinfo=dt.UTC)
    personal_budget_take(client, 10, now=ten_to_eleven - dt.timedelta(minutes=30))
    with pytest.raises(PersonalLimitExceeded) as refused:
        personal_budget_take(client, 1, now=ten_to_eleven)
    assert refused.value.retry_after == 30 and refused.value.status_code == 429
    personal_budget_take(client, 10, now=ten_to_eleven + dt.timedelta(seconds=30))  # 11:00: a new hour
    assert list(PersonalReadCount.objects.values_list("count", flat=True)) == [10]  # the old hour's row is gone
    with pytest.raises(PersonalLimitExceeded):
        personal_budget_take(client, 11, now=ten_to_eleven + dt.timedelta(hours=1))  # more than a whole hour


def test_an_action_over_the_budget_is_429_and_changes_nothing(org):
    [pk] = petitions_many(org, 1)
    client, api = personal_client(org, per_hour=0)
    events = Event.objects.filter(petition_id=pk).count()
    response = api.post(f"/api/petitions/{pk}/accept", {}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 429 and is_chinese(response.json()["detail"])
    assert (
        Petition.objects.get(pk=pk).state == State.REGISTERED and Event.objects.filter(petition_id=pk).count() == events
    )
    assert personal_rows() == []
    ApiClient.objects.filter(pk=client.pk).update(personal_per_hour=1)
    assert api.post(f"/api/petitions/{pk}/accept", {}, **{"Idempotency-Key": "k1"}).status_code == 200  # the retry
    [row] = personal_rows()
    assert row.detail["ids"] == [pk]


def test_a_registration_is_recorded_but_not_counted(org):
    client, api = personal_client(org, per_hour=0)
    response = api.post("/api/petitions", petition_body(org))
    assert response.status_code == 201 and response.json()["petitioners"][0]["phone"] == PHONE
    [row] = personal_rows()  # what the client sent comes back to it: recorded, not limited
    assert row.detail["ids"] == [response.json()["id"]] and row.detail["fields"] == ["phone", "id_number"]
    assert not PersonalReadCount.objects.exists()


# ---------------------------------------------------------------- cost


def _list_queries(api: Api, limit: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/petitions", {"limit": limit})
    assert response.status_code == 200 and len(response.json()["items"]) == limit
    return [q["sql"] for q in ctx.captured_queries]


def test_the_audit_and_the_count_cost_the_same_few_queries_at_any_page_size(org):
    petitions_many(org, 60)
    _client, api = personal_client(org, per_hour=10_000)
    api.get("/api/petitions", {"limit": 1})  # warm the in-process tables; the hour's row exists from now on
    small, large = _list_queries(api, 10), _list_queries(api, 50)
    assert len(small) == len(large)
    writes = [sql for sql in large if not sql.lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert len(writes) == 2, writes
    assert writes[0].startswith('UPDATE "api_personalreadcount"') and writes[1].startswith(
        'INSERT INTO "audit_auditentry"'
    )
    assert len(large) <= 3 + 2 + 2  # the client, the page, its petitioners; UPDATE, INSERT; a savepoint's pair
