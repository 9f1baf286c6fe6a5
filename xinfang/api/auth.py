"""Who is calling: a client token as `Authorization: Bearer <token>` (or, for Open311, as the
`api_key` parameter), and the scopes it holds."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyQuery, HttpBearer

from xinfang.api.models import ApiClient
from xinfang.api.selectors import api_client_for_token


class ClientBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return api_client_for_token(token)


class Open311Key(APIKeyQuery):
    """GeoReport v2's `api_key`, in the query string or in the form body of a POST."""

    param_name = "api_key"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.GET.get(self.param_name) or (
            request.POST.get(self.param_name) if request.method == "POST" else None
        )

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        return api_client_for_token(key) if key else None


def client_with(request: HttpRequest, scope: str) -> ApiClient:
    """The authenticated client, if it holds `scope` (403 otherwise)."""
    client: ApiClient = request.auth
    if scope not in client.scope_set:
        raise HttpError(
            403,
            _("This client lacks the “%(scope)s” scope and cannot call this endpoint. Ask an administrator for it.")
            % {"scope": scope},
        )
    return client
