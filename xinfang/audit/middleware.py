"""Every export is in the audit log, whichever page makes it: a response that hands over a named file
(Content-Disposition with a filename: Excel lists, Word and PDF notices, the admin's exports) and that
its view has not recorded itself (an attachment's download is recorded as such) adds one row."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from xinfang.audit.services import RECORDED, audit_export, is_export


class AuditExportMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_export(response) and not getattr(request, RECORDED, False):
            audit_export(request, response)
        return response
