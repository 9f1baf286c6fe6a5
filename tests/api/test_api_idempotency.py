"""Idempotency-Key: a retried write is answered from the stored answer and never done twice; a key
reused for another body is refused; keys are per client and expire; two racing requests with one
key cannot both register (the key row and the write share one transaction and a unique constraint)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from unittest import mock

import pytest
from django.db import connection, connections
from django.test.utils import override_settings
from django.utils import timezone

from tests.conftest import at, org_build, register
from tests.support.api import Api, api_client_make, api_for, petition_body
from xinfang.api import services as api_services
from xinfang.api.models import IdempotencyKey
from xinfang.org.models import Role
from xinfang.petitions.models import Event, Petition

pytestmark = pytest.mark.django_db


def key() -> str:
    return str(uuid.uuid4())


def test_a_retry_with_the_same_key_gets_the_same_answer_and_registers_once(org):
    api, k = api_for(org, "bureau"), key()
    first = api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    second = api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert Petition.objects.count() == 1 and Event.objects.filter(action="register").count() == 1


def test_the_same_body_with_keys_in_another_order_is_the_same_request(org):
    api, k = api_for(org, "bureau"), key()
    body = petition_body(org)
    api.post("/api/petitions", body, **{"Idempotency-Key": k})
    again = api.post("/api/petitions", dict(reversed(list(body.items()))), **{"Idempotency-Key": k})
    assert again.status_code == 201 and Petition.objects.count() == 1


def test_without_a_key_every_request_registers(org):
    api = api_for(org, "bureau")
    api.post("/api/petitions", petition_body(org))
    api.post("/api/petitions", petition_body(org))
    assert Petition.objects.count() == 2


def test_the_same_key_with_another_body_is_422_and_changes_nothing(org):
    api, k = api_for(org, "bureau"), key()
    api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    other = api.post("/api/petitions", petition_body(org, title="另一件事"), **{"Idempotency-Key": k})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and "不同" in other.json()["detail"]
    assert Petition.objects.count() == 1
    elsewhere = api.post("/api/petitions/1/accept", {}, **{"Idempotency-Key": k})  # another path is another body
    assert elsewhere.status_code == 422


def test_keys_are_per_client(org):
    k = key()
    a = api_for(org, "bureau", name="甲系统").post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    b = api_for(org, "bureau", name="乙系统").post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


@override_settings(API_IDEMPOTENCY_HOURS=2)
def test_keys_are_kept_for_the_configured_time(org):
    api, k = api_for(org, "bureau"), key()
    api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=1, minutes=59))
    api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    assert Petition.objects.count() == 1
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=2, minutes=1))
    assert api_services.idempotency_keys_purge() == 1
    api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    assert Petition.objects.count() == 2


def test_the_default_is_24_hours():
    assert api_services.idempotency_ttl() == dt.timedelta(hours=24)


def test_a_refused_write_is_answered_the_same_on_retry(org):
    api, k = api_for(org, "bureau"), key()
    body = petition_body(org, region="990122")
    first = api.post("/api/petitions", body, **{"Idempotency-Key": k})
    second = api.post("/api/petitions", body, **{"Idempotency-Key": k})
    assert first.status_code == second.status_code == 400 and first.content == second.content


def test_an_action_retried_is_done_once(org):
    p = register(org, on=at(2026, 3, 2))
    api, k = api_for(org, "bureau", role=Role.BUREAU_STAFF), key()
    body = {"to_unit": org.hrss.pk}
    first = api.post(f"/api/petitions/{p.pk}/forward", body, **{"Idempotency-Key": k})
    second = api.post(f"/api/petitions/{p.pk}/forward", body, **{"Idempotency-Key": k})
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert p.events.filter(action="forward").count() == 1
    fresh = api.post(f"/api/petitions/{p.pk}/forward", body, **{"Idempotency-Key": key()})
    assert fresh.status_code == 409  # a new key is a new request: the workflow refuses it


def test_an_open311_request_retried_is_registered_once(org):
    client, token = api_client_make(org, "bureau")
    form = {"api_key": token, "service_code": "1", "description": "路灯不亮", "address_id": org.r_village_a.code}
    from xinfang.petitions.models import Category

    form["service_code"] = str(Category.objects.first().pk)
    k = key()
    first = Api().post_form("/api/open311/v2/requests.json", form, **{"Idempotency-Key": k})
    second = Api().post_form("/api/open311/v2/requests.json", form, **{"Idempotency-Key": k})
    assert first.status_code == second.status_code == 201 and first.content == second.content
    other = Api().post_form("/api/open311/v2/requests.json", form | {"description": "另一件"}, **{"Idempotency-Key": k})
    assert other.status_code == 422 and other.json()[0]["code"] == 422
    assert Petition.objects.count() == 1


def test_a_duplicate_that_missed_the_first_row_is_stopped_by_the_unique_key(org):
    """Two racing requests can both look for the key before either has inserted it: the second's
    insert then fails on the constraint, its transaction (and its registration) rolls back, and it is
    answered from the first's row."""
    api, k = api_for(org, "bureau"), key()
    first = api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    with mock.patch.object(api_services, "_key_row", return_value=None):  # "has not seen it yet"
        second = api.post("/api/petitions", petition_body(org), **{"Idempotency-Key": k})
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert Petition.objects.count() == 1 and Event.objects.filter(action="register").count() == 1


def _wait_until(condition, timeout: float = 30.0) -> bool:
    """Wait for a condition another thread brings about (not a timed assertion: a bound on a hang)."""
    tick, waited = threading.Event(), 0.0
    while not condition():
        if waited >= timeout:
            return False
        tick.wait(0.01)
        waited += 0.01
    return True


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cur.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_register_once():
    """Two requests, two connections, one key: the first holds its transaction open inside the
    registration until the second is blocked on the key's unique index; then the first commits and
    the second is answered from the first's row, having registered nothing."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite takes the write lock at BEGIN IMMEDIATE, so two writers never overlap, and an "
            "in-memory test database is not shared by two connections; the constraint path is tested above"
        )
    from xinfang.petitions import registration

    org = org_build()
    client, token = api_client_make(org, "bureau")
    k, body = key(), petition_body(org)
    entered, release = threading.Event(), threading.Event()
    answers: dict[str, object] = {}
    real_register = registration.petition_register

    def held_register(**kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(60)
        return real_register(**kwargs)

    def send(name: str) -> None:
        try:
            answers[name] = Api(token).post("/api/petitions", body, **{"Idempotency-Key": k})
        finally:
            connections.close_all()

    with mock.patch.object(registration, "petition_register", held_register):
        first = threading.Thread(target=send, args=("first",))
        first.start()
        assert entered.wait(60)
        second = threading.Thread(target=send, args=("second",))
        second.start()
        assert _wait_until(_someone_waits_for_a_lock)
        release.set()
        first.join(60)
        second.join(60)
    assert answers["first"].status_code == answers["second"].status_code == 201
    assert answers["first"].content == answers["second"].content
    assert Petition.objects.count() == 1 and IdempotencyKey.objects.count() == 1
