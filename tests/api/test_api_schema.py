"""schemathesis against the app's own OpenAPI schema: every operation, with a valid token of a client
holding every scope, must answer without a server error, with a status code the schema declares and
a body the schema describes. Short and reproducible: few examples per operation, derandomized."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import at, path_to, register
from tests.support.api import ALL_SCOPES, api_client_make
from xinfang.org.models import Role
from xinfang.petitions.models import State

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def connection_kept():
    """Requests reach the WSGI application directly, not through Django's test client: keep the
    test's database connection (and its transaction) open across them, as the test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(org, connection_kept) -> str:
    """A county bureau client that may do everything, over a few petitions in several states."""
    register(org, on=at(2026, 11, 2))
    for state in (State.ACCEPTED, State.DECIDED, State.REEXAMINATION_REQUESTED):
        path_to(org, state)
    return api_client_make(org, "bureau", role=Role.BUREAU_STAFF, scopes=ALL_SCOPES)[1]


# Loaded when the module is collected (pytest-django has set Django up by then; the schema needs no
# database). schemathesis.pytest.from_fixture would load it per test, but its lazy loader sets
# pytest's private Node._nodeid, which pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_to_the_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
