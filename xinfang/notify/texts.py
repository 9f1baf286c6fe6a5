"""The wording of every notice to petitioners, in one place.

Each stage (an event action) has a short SMS (one message: at most 70 characters with the signature
where the unit's name allows), an e-mail subject and a fuller e-mail body. They are Django templates;
a county changes any of them with the NOTIFY_TEXTS setting, e.g.
``NOTIFY_TEXTS = {"accept": {"sms": "..."}}``; a wording that cannot be rendered falls back to the
default here (a bad setting never fails a petitioner's request).

Placeholders: query_code (ABCDE-FGHJK), portal (settings.PORTAL_URL), title, on (the day of the change),
unit (the unit that has the petition after the change), due_on (the date the change sets: see each
stage), handling_due_on, extension_days, extension_reason, decline_reason, legal_channel, outcome.
No text names a person: every petitioner of a petition gets the same words, and the portal shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template

logger = logging.getLogger(__name__)

_FOOT = (
    "您可凭查询码 {{ query_code }} 和登记的手机号在 {{ portal }} 查询办理进展、处理意见和法定期限。\n"
    "本邮件由信访信息系统自动发送，请勿直接回复。"
)
_YOURS = "您反映的“{{ title }}”信访事项"


def _stage(sms: str, subject: str, *mail: str, own_sms: bool = False) -> tuple[str, str, str]:
    """(sms, e-mail subject, e-mail body): the SMS says "您的信访事项（查询码…）<sms>查询：<portal>"
    unless `own_sms`; the subject ends with the query code; the body is greeted and signed off."""
    if not own_sms:
        sms = "您的信访事项（查询码{{ query_code }}）" + sms + "查询：{{ portal }}"
    return sms, subject + "（查询码{{ query_code }}）", "\n".join(("您好：", *mail, _FOOT))


def _appeal_received(what: str, extra: str) -> tuple[str, str, str]:
    return _stage(
        "您的" + what + "请求（查询码{{ query_code }}）已收到，{{ unit }}将于{{ due_on }}前答复。查询：{{ portal }}",
        what + "请求已收到",
        "您就“{{ title }}”信访事项提出的" + what + "请求已于{{ on }}由{{ unit }}收到。",
        "{{ unit }}将于{{ due_on }}前提出" + what + "意见" + extra + "。",
        own_sms=True,
    )


def _opinion(what: str, subject: str, intro: str, after: str, sms_after: str) -> tuple[str, str, str]:
    return _stage(
        "已出具" + what + "意见，" + sms_after + "。",
        subject,
        intro + "，{{ unit }}已于{{ on }}出具" + what + "意见：{{ outcome }}。" + what + "意见书另行送达。",
        after,
    )


def _appeal_window(what: str, to: str, article: str) -> str:
    return (
        "如对"
        + what
        + "意见不服，可以自收到"
        + what
        + "意见书之日起30日内（{{ due_on }}前）"
        + to
        + "（《信访工作条例》第"
        + article
        + "条）。"
    )


def _routed(verb: str, when: str) -> tuple[str, str, str]:
    return _stage(
        "已" + verb + "{{ unit }}办理。",
        "信访事项已" + verb,
        _YOURS + "已于{{ on }}" + verb + "{{ unit }}办理。",
        "{{ unit }}" + when,
    )


# stage → (sms, e-mail subject, e-mail body)
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "register": _stage(
        "您的信访事项已登记，查询码{{ query_code }}，凭查询码和手机号可在{{ portal }}查询办理进展。",
        "信访事项已登记",
        _YOURS + "已于{{ on }}登记，查询码为 {{ query_code }}，请妥善保存。",
        "登记机关将于{{ due_on }}前依法受理、转送或者交办，并告知您（《信访工作条例》第二十二条）。",
        own_sms=True,
    ),
    "accept": _stage(
        "已受理，将于{{ handling_due_on }}前办结。",
        "信访事项已受理",
        _YOURS + "已由{{ unit }}于{{ on }}依法受理。",
        "根据《信访工作条例》第三十四条，{{ unit }}将于{{ handling_due_on }}前办结并出具书面处理意见；"
        "情况复杂需要延期的，将告知您延期理由。书面受理告知书另行送达。",
    ),
    "decline": _stage(
        "不予受理，理由见书面告知书。",
        "信访事项不予受理",
        _YOURS + "，经审查{{ decline_reason }}，依法不予受理。",
        "书面不予受理告知书另行送达，其中写明了理由和您可以采取的途径。",
    ),
    "forward": _routed("转送", "将于{{ due_on }}前告知您是否受理（《信访工作条例》第二十三条）。"),
    "assign": _routed("交办", "将在法定期限内告知您是否受理，并将办理结果报告交办机关。"),
    "redirect": _stage(
        "应通过{{ legal_channel }}等法定途径解决，详见告知书。",
        "信访事项请通过法定途径解决",
        _YOURS + "属于应当通过{{ legal_channel }}等法定途径解决的事项。",
        "请依照有关法律、行政法规规定的程序向有关机关提出；书面告知书另行送达。",
    ),
    "extend": _stage(
        "办理期限延长至{{ due_on }}。",
        "信访事项延期办理",
        _YOURS + "，因{{ extension_reason }}，经{{ unit }}负责人批准，办理期限延长{{ extension_days }}日，"
        "延长后的办结期限为{{ due_on }}。",
    ),
    "decide": _opinion(
        "处理",
        "信访事项处理意见",
        _YOURS,
        _appeal_window("处理", "请求原办理机关的上一级机关复查", "三十五"),
        "如不服可于{{ due_on }}前请求复查",
    ),
    "request_review": _appeal_received("复查", ""),
    "review_decide": _opinion(
        "复查",
        "复查意见",
        "您就“{{ title }}”信访事项提出的复查请求",
        _appeal_window("复查", "向复查机关的上一级机关请求复核", "三十六"),
        "如不服可于{{ due_on }}前请求复核",
    ),
    "request_reexamination": _appeal_received("复核", "；举行听证的，听证时间不计算在内"),
    "reexamine_decide": _opinion(
        "复核",
        "复核意见",
        "您就“{{ title }}”信访事项提出的复核请求",
        "复核意见为终结意见；以同一事实和理由再次提出的，不再受理（《信访工作条例》第三十六条）。",
        "该事项办理终结",
    ),
    "close": _stage(
        "已办结，欢迎评价办理情况。",
        "信访事项已办结",
        _YOURS + "已于{{ on }}办结。",
        "欢迎您凭查询码对办理情况作出评价（满意、基本满意或不满意），您的评价将用于改进工作。",
    ),
}
STAGES = frozenset(DEFAULTS)
_FIELDS = ("sms", "subject", "email")


@dataclass(frozen=True)
class Wording:
    sms: str
    subject: str
    email: str


_ENGINE = Engine(autoescape=False)  # plain texts, not HTML


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return _ENGINE.from_string(source)


def _render(source: str, context: Mapping[str, Any]) -> str:
    return _template(source).render(Context(dict(context))).strip()


def wording_for(stage: str, context: Mapping[str, Any]) -> Wording:
    """The three texts of `stage`, the county's NOTIFY_TEXTS wording first, the default if that
    cannot be rendered. Values in `context` may be callables: they are called only if used."""
    overrides = getattr(settings, "NOTIFY_TEXTS", {}).get(stage, {})
    texts = []
    for i, field in enumerate(_FIELDS):
        default = DEFAULTS[stage][i]
        source = overrides.get(field, default)
        try:
            texts.append(_render(source, context))
        except Exception:  # a county's wording with a broken placeholder: never fail the change itself
            logger.exception("NOTIFY_TEXTS[%r][%r] cannot be rendered; the default wording is used", stage, field)
            texts.append(_render(default, context))
    sms, subject, email = texts
    signature = getattr(settings, "SMS_SIGNATURE", "")
    return Wording(sms=f"{signature}{sms}", subject=subject, email=email)
