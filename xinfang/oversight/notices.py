"""The supervision notice (督办通知书) of a supervision, as Word and PDF, from the administrator's template
of kind "supervision" (xinfang.documents: NoticeTemplate, its default wording in documents/defaults.py,
the layout in documents/layout.py).

Placeholders: to_unit (the supervised unit, {{ to_unit.name }}), unit (the supervising unit, the issuer),
subject ("信访事项“…”" or "你单位的信访工作"), mode (督办方式), reason, requirement, answer_due_on,
opened_on, number (督〔2026〕12号), today, and for a petition: petition, query_code, petitioner_names,
received_on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xinfang.documents import layout
from xinfang.documents.models import NoticeKind, NoticeTemplate
from xinfang.documents.services import NoticeUnavailable
from xinfang.org import calendar
from xinfang.oversight.models import Supervision
from xinfang.petitions.models import PetitionParty
from xinfang.petitions.services import query_code_display

_d = calendar.format_date
KIND = NoticeKind.SUPERVISION


def _names(s: Supervision) -> str:
    parties = (
        PetitionParty.objects.filter(petition_id=s.petition_id)
        .select_related("petitioner")
        .order_by("-is_representative", "pk")
    )
    names = [party.petitioner.name for party in parties]
    if not names:
        return "信访人"
    count = max(s.petition.headcount, len(names))
    text = "、".join(names[:5])
    return f"{text}等{count}人" if count > min(len(names), 5) else text


def supervision_notice_context(s: Supervision, *, today: dt.date | None = None) -> dict[str, Any]:
    """What the template may use for supervision `s` (`s` with petition, unit and supervising_unit read)."""
    today = today or timezone.localdate()
    with translation.override("zh-hans"):
        ctx: dict[str, Any] = {
            "supervision": s,
            "to_unit": s.unit,
            "unit": s.supervising_unit,
            "mode": str(s.get_mode_display()),
            "reason": s.reason.rstrip("。；;，, "),
            "requirement": s.requirement,
            "number": s.number,
            "answer_due_on": _d(s.answer_due_on),
            "opened_on": _d(timezone.localdate(s.opened_at)),
            "today": _d(today),
            "petition": s.petition,
        }
    if s.petition_id:
        p = s.petition
        ctx |= {
            "query_code": query_code_display(p.query_code),
            "petitioner_names": _names(s),
            "received_on": _d(timezone.localdate(p.received_at)),
            "subject": f"信访事项“{p.title}”",
        }
    else:
        ctx["subject"] = "你单位的信访工作"
    return ctx


def supervision_notice_text(s: Supervision, *, today: dt.date | None = None) -> layout.Notice:
    template = NoticeTemplate.objects.filter(kind=KIND, is_active=True).first()
    if template is None:
        raise NoticeUnavailable(
            _("The supervision notice has no template in use: ask an administrator to set one up in the admin.")
        )
    context = supervision_notice_context(s, today=today)
    with translation.override("zh-hans"):
        ctx = Context(context, autoescape=False)
        title = Template(template.title).render(ctx)
        body = Template(template.body).render(ctx)
    issuer = s.supervising_unit.name if s.supervising_unit else ""
    return layout.Notice.from_text(title, body, issuer=issuer, date=context["opened_on"])


def supervision_notice_docx(s: Supervision, *, today: dt.date | None = None) -> bytes:
    return layout.docx_bytes(supervision_notice_text(s, today=today))


def supervision_notice_pdf(s: Supervision, *, today: dt.date | None = None) -> bytes:
    return layout.pdf_bytes(supervision_notice_text(s, today=today))


def supervision_notice_filename(s: Supervision, ext: str) -> str:
    return f"督办通知书-{s.number}.{ext}"
