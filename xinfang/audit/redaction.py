"""Tokens never in a log (issue 18, point 7). Open311 clients may still send their token as the `api_key`
parameter (GeoReport v2 says so), so it reaches the request line; these keep it out of what is written:

- `TokenRedactingFilter`, on the django.server (the development server's access log), django.request
  and django.security loggers and on every handler in settings.LOGGING, rewrites a record's message with
  `api_key=…` as `api_key=[已隐去]`, `Bearer <token>` as `Bearer [已隐去]` and any client token
  (`xf_…`) as `[已隐去]`;
- `RedactingExceptionReporterFilter` and `RedactingExceptionReporter` (DEFAULT_EXCEPTION_REPORTER_FILTER
  and DEFAULT_EXCEPTION_REPORTER) do the same in error reports (the e-mail to ADMINS, the debug page):
  the query string, the GET and POST parameters, the request's address and the frames' variables;
- the audit log's filters of a request (`xinfang.audit.services.request_filters`) keep `api_key` as
  `[已隐去]`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REDACTED = "[已隐去]"
SECRET_PARAMS = frozenset({"api_key"})  # request parameters that carry a token
_PARAM = re.compile(r"(api(?:_|%5f)key)=[^&\s\"'#;]*", re.IGNORECASE)  # also percent-encoded: api%5Fkey=
_BEARER = re.compile(r"\b(bearer)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# a client token anywhere (xinfang.api.selectors.TOKEN_PREFIX and secrets.token_urlsafe(32))
_TOKEN = re.compile(r"xf_[A-Za-z0-9_-]{16,}")


def text_redact(text: str) -> str:
    """`text` with every token in it replaced by [已隐去]."""
    text = _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _TOKEN.sub(REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites the message of every record it sees without its tokens; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error report
            return True
        clean = text_redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def _params_redact(params: MultiValueDict) -> MultiValueDict:
    if not any(key in params for key in SECRET_PARAMS):
        return params
    clean = params.copy()
    for key in SECRET_PARAMS & set(params):
        clean.setlist(key, [REDACTED])
    return clean


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (settings, Authorization and cookies hidden), with tokens also hidden from the
    query string, the form and the frames' variables, DEBUG or not."""

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        return {key: text_redact(value) if isinstance(value, str) else value for key, value in meta.items()}

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        return _params_redact(params) if isinstance(params, MultiValueDict) else params

    def cleanse_special_types(self, request: HttpRequest, value: Any) -> Any:
        if isinstance(value, HttpRequest):
            return text_redact(repr(value))
        value = super().cleanse_special_types(request, value)
        if isinstance(value, MultiValueDict):
            return _params_redact(value)
        return text_redact(value) if isinstance(value, str) else value


class RedactingExceptionReporter(ExceptionReporter):
    """The error report with the GET parameters and the request's address free of tokens."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = _params_redact(self.request.GET).items()
            data["request_insecure_uri"] = text_redact(data["request_insecure_uri"])
        return data
