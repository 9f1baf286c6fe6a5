"""Notices of a petition as Word or PDF, for a user who may see the petition."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from xinfang.documents import services
from xinfang.petitions.models import Petition
from xinfang.petitions.selectors import petition_get_for

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
RENDER = {"docx": services.notice_docx, "pdf": services.notice_pdf}


@login_required
@require_GET
def notice(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    try:
        petition = petition_get_for(request.user, pk)
        body = RENDER[fmt](petition, kind)
    except (Petition.DoesNotExist, services.NoticeUnavailable) as e:
        raise Http404(str(e)) from e
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        fmt == "docx", services.notice_filename(petition, kind, fmt)
    )
    return response
