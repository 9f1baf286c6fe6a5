"""Bad bytes, big bodies and odd content types get 400, never 500 (issue 18, point 5).

`RequestInputMiddleware` reads each request once, before any view, session or CSRF check touches it, and
answers 400 with a Chinese reason when it carries:

- a NUL character or a lone surrogate anywhere a view could read text: the path, the query string, a
  cookie, a header, a form field or file name, a JSON string or key (PostgreSQL refuses NUL in text and
  every database refuses a surrogate that is not half of a pair, as a 500 deep inside a view);
- bytes that are not UTF-8 in the query string, a form body or a JSON body (Django would turn them
  into U+FFFD silently; the sender should know);
- a body bigger than DATA_UPLOAD_MAX_MEMORY_SIZE that is not a multipart upload (whose files stream
  to disk and are limited by the upload's own checks; its fields are limited by Django's parser);
- a multipart body Django cannot parse (no boundary, a broken part) or too many fields;
- a body of any other type (XML, plain text, ...): nothing here reads one, and a view must not act on a
  request whose body it silently ignored.

The API gets `{"detail": reason}` as JSON, Open311 its `[{"code": 400, "description": reason}]`, everything
else a small page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class BadInput(Exception):
    """The request cannot be read as text a view may store; the message says why, in Chinese."""


def _check_texts(texts: Iterable[str], where: str) -> None:
    for text in texts:
        if BAD_CHARACTERS.search(text):
            raise BadInput(
                _(
                    "The %(where)s contains a NUL character or an unpaired surrogate, which no "
                    "text may hold: remove it and send again."
                )
                % {"where": where}
            )


def _check_utf8(raw: bytes, where: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(_("The %(where)s is not valid UTF-8 text.") % {"where": where}) from None


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)


def _check_url(request: HttpRequest) -> None:
    _check_texts([request.path], _("web address"))
    query = request.META.get("QUERY_STRING", "")
    try:
        raw = query.encode("iso-8859-1")  # a WSGI string: the bytes as sent (Django's get_bytes_from_wsgi)
    except UnicodeEncodeError:
        raw = query.encode("utf-8")
    _check_utf8(unquote_to_bytes(raw.replace(b"+", b" ")), _("query string"))
    _check_texts((t for k, vs in request.GET.lists() for t in (k, *vs)), _("query string"))
    _check_texts((t for kv in request.COOKIES.items() for t in kv), _("cookie"))
    _check_texts((v for k, v in request.META.items() if k.startswith("HTTP_") and isinstance(v, str)), _("header"))


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput(_("The request's Content-Length is not a number.")) from None


def _too_big(limit: int) -> BadInput:
    return BadInput(_("The request body is larger than %(mb).1f MB.") % {"mb": limit / 1024 / 1024})


def _check_multipart(request: HttpRequest, length: int, limit: int | None) -> None:
    if limit is None or length <= limit:
        # read into memory first: a view that hashes the raw body (the API's idempotency) still can; not `_ = `,
        # which would hide gettext's `_` in this whole function
        request.body  # noqa: B018
    elif request.path.startswith("/api/"):
        raise _too_big(limit)  # the API takes no uploads; only the web forms' files stream to disk
    try:
        fields = list(request.POST.lists())
        names = [f.name or "" for files in request.FILES.lists() for f in files[1]]
    except (MultiPartParserError, RequestDataTooBig, SuspiciousOperation):
        raise BadInput(
            _("The form could not be read (a multipart body without its boundary, a broken part or too many fields).")
        ) from None
    _check_texts((t for k, vs in fields for t in (k, *vs)), _("form"))
    _check_texts(names, _("file name"))


def _check_body(request: HttpRequest) -> None:
    content_type = request.content_type or ""
    length, limit = _content_length(request), settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type == MULTIPART:
        return _check_multipart(request, length, limit)
    if limit is not None and length > limit:
        raise _too_big(limit)
    if content_type == FORM:
        body = request.body
        _check_utf8(unquote_to_bytes(body.replace(b"+", b" ")), _("form"))
        try:
            fields = list(request.POST.lists())
        except SuspiciousOperation:
            raise BadInput(_("The form has too many fields.")) from None
        _check_texts((t for k, vs in fields for t in (k, *vs)), _("form"))
    elif content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        _check_utf8(body, _("JSON body"))
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            return  # not JSON: the view answers that itself, as a 4xx
        _check_texts(_json_strings(data), _("JSON body"))
    elif request.body:
        raise BadInput(
            _(
                "A request body must be JSON, a form (application/x-www-form-urlencoded) or a "
                "multipart upload, not %(type)s."
            )
            % {"type": content_type or "?"}
        )


def request_input_problem(request: HttpRequest) -> str | None:
    """Why `request` must be refused with 400, or None."""
    try:
        _check_url(request)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            _check_body(request)
    except BadInput as e:
        return str(e)
    return None


def bad_input_response(request: HttpRequest, reason: str) -> HttpResponse:
    if request.path.startswith("/api/open311/"):  # GeoReport v2's own error shape
        return JsonResponse(
            [{"code": 400, "description": reason}], status=400, safe=False, json_dumps_params={"ensure_ascii": False}
        )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400, json_dumps_params={"ensure_ascii": False})
    title = _("The request could not be accepted")
    return HttpResponseBadRequest(
        f'<!doctype html><html lang="zh-hans"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<h1>{escape(title)}</h1><p>{escape(reason)}</p>",
        content_type="text/html; charset=utf-8",
    )


class RequestInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with translation.override(translation.get_language_from_request(request)):  # before LocaleMiddleware
            reason = request_input_problem(request)
            if reason is not None:
                return bad_input_response(request, reason)
        return self.get_response(request)
