"""Thin views: the monthly ranking (and its Excel export), each score's explanation, the rectification
notices and plans. Reads through selectors, writes through services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xinfang.assessment import selectors, services
from xinfang.assessment.indicators import INDICATORS
from xinfang.assessment.models import MonthClose, PlanState, RectificationPlan, Rule, RuleFiring
from xinfang.lib.months import month_next, month_parse, month_previous, month_start
from xinfang.lib.xlsx import xlsx_response, xlsx_write
from xinfang.org.models import Region, Unit
from xinfang.org.roles import ROLES_WHO_APPROVE_RECTIFICATION_PLANS, ROLES_WHO_WRITE_RECTIFICATION_PLANS
from xinfang.oversight.views import _base

# the rates shown as columns of the ranking (the explanation page has them all)
COLUMNS = ("timely_acceptance", "on_time_conclusion", "satisfaction", "participation", "resolution", "local_resolution")
LABELS = {i.key: i.label for i in INDICATORS}
RULE_LABELS = dict(Rule.choices)


def _month(request: HttpRequest) -> dt.date:
    """?month=YYYY-MM; by default the latest closed month, else the previous month."""
    text = request.GET.get("month", "")
    if text:
        try:
            return month_parse(text)
        except ValueError:
            raise Http404 from None
    latest = MonthClose.objects.order_by("-month").values_list("month", flat=True).first()
    return latest or month_previous(month_start(timezone.localdate()))


def _month_nav(month: dt.date) -> dict:
    return {"month": month, "previous": month_previous(month), "next": month_next(month)}


def _require_ranking(request: HttpRequest) -> None:
    if not selectors.ranking_visible_to(request.user):
        raise PermissionDenied


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    _require_ranking(request)
    month = _month(request)
    r = selectors.ranking_for(month)
    return render(
        request,
        "assessment/ranking.html",
        _base(request)
        | _month_nav(month)
        | {"ranking": r, "columns": [LABELS[k] for k in COLUMNS], "tbody": _ranking_rows(r, month)},
    )


def _marks(row: selectors.RankRow, labels: dict[str, str] | None = None) -> list[str]:
    labels = labels or _mark_labels()
    out = [labels[key] for key in ("excellent", "bottom", "key_management") if getattr(row, key)]
    return out + [labels[f] for f in row.firings]


def _mark_labels() -> dict[str, str]:
    """The marks of a ranking row in the current language, looked up once per page."""
    return {
        "excellent": _("excellent"),
        "bottom": _("last places"),
        "key_management": _("under key management"),
        **{key: str(label) for key, label in RULE_LABELS.items()},
    }


def _ranking_rows(r: selectors.Ranking, month: dt.date) -> str:
    """The table's rows as HTML, made here in one pass of plain string formatting (1,000 units × 12 cells:
    a template loop, or format_html per cell, cost more than the rest of the page). Only the unit's name
    and the marks are text: each is escaped; the rest are numbers."""
    explain = reverse("assessment:explanation", args=[0, f"{month:%Y-%m}"]).replace("/0/", "/{}/")
    labels = _mark_labels()
    out = []
    for row in r.rows:
        css = "rank-bottom" if row.bottom else "rank-top" if row.excellent else ""
        cells = "".join(f"<td>{_pct(row.rate(k)) or '–'}</td>" for k in COLUMNS)
        marks = " ".join(f'<span class="tag">{escape(m)}</span>' for m in _marks(row, labels))
        out.append(
            f'<tr class="{css}"><td>{int(row.rank)}</td><td><a href="{explain.format(int(row.unit_id))}">'
            f"{escape(row.unit_name)}</a></td><td><strong>{escape(row.score)}</strong></td>{cells}"
            f"<td>{marks}</td></tr>"
        )
    return mark_safe("\n".join(out))


def _pct(rate: str | None) -> str:
    return "" if rate is None else f"{float(rate) * 100:.1f}%"


@login_required
@require_GET
def ranking_export(request: HttpRequest) -> HttpResponse:
    _require_ranking(request)
    month = _month(request)
    r = selectors.ranking_for(month)
    header = [_("rank"), _("unit"), _("score"), *[str(LABELS[k]) for k in COLUMNS], _("marks")]
    rows = (
        [row.rank, row.unit_name, float(row.score), *[_pct(row.rate(k)) for k in COLUMNS], "、".join(_marks(row))]
        for row in r.rows
    )
    body = xlsx_write(f"{month:%Y-%m}", header, rows)
    return xlsx_response(body, f"ranking-{month:%Y-%m}.xlsx")


@login_required
@require_GET
def explanation(request: HttpRequest, unit_id: int, month: str) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_id)
    if not selectors.explanation_visible_to(request.user, unit):
        raise PermissionDenied
    try:
        m = month_parse(month)
    except ValueError:
        raise Http404 from None
    e = selectors.explanation_for(m, unit)
    return render(
        request,
        "assessment/explanation.html",
        _base(request)
        | {
            "e": e,
            "lines": e.detail.get("lines", []),
            "month": m,
            "rule_labels": RULE_LABELS,
            "can_rank": selectors.ranking_visible_to(request.user),
        },
    )


# ---------------------------------------------------------------- rectification notices and plans


@login_required
@require_GET
def rectification_list(request: HttpRequest) -> HttpResponse:
    firings = list(
        selectors.rule_firings_for(request.user)
        .filter(rule__in=services.PLAN_RULES)
        .select_related("unit")
        .order_by("-month", "unit__name")[:200]
    )
    latest = {}
    for plan in RectificationPlan.objects.filter(firing__in=firings).order_by("firing_id", "-submitted_at", "-pk"):
        latest.setdefault(plan.firing_id, plan)
    rows = [(f, latest.get(f.pk)) for f in firings]
    return render(request, "assessment/rectification_list.html", _base(request) | {"rows": rows})


def _firing(request: HttpRequest, pk: int) -> RuleFiring:
    try:
        return (
            selectors.rule_firings_for(request.user)
            .filter(rule__in=services.PLAN_RULES)
            .select_related("unit", "unit__region")
            .get(pk=pk)
        )
    except RuleFiring.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def rectification(request: HttpRequest, pk: int) -> HttpResponse:
    firing = _firing(request, pk)
    plans = list(firing.plans.select_related("submitted_by", "decided_by"))
    latest = plans[0] if plans else None
    user = request.user
    can_submit = (
        user.unit_id == firing.unit_id
        and user.role in ROLES_WHO_WRITE_RECTIFICATION_PLANS
        and (latest is None or latest.state == PlanState.RETURNED)
    )
    can_decide = (
        user.role in ROLES_WHO_APPROVE_RECTIFICATION_PLANS
        and latest is not None
        and latest.state == PlanState.SUBMITTED
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "submit":
                services.plan_submit(firing, actor=user, text=request.POST.get("text", ""))
                messages.success(request, _("The plan has been submitted to the leader."))
            elif action in ("approve", "return") and latest is not None:
                decide = services.plan_approve if action == "approve" else services.plan_return
                decide(latest, actor=user, note=request.POST.get("note", ""))
                messages.success(
                    request,
                    _("The plan has been approved.")
                    if action == "approve"
                    else _("The plan has been returned for revision."),
                )
            else:
                raise services.AssessmentError(_("Unknown action."))
        except services.AssessmentError as e:
            messages.error(request, str(e))
            return render(
                request,
                "assessment/rectification.html",
                _base(request)
                | {
                    "firing": firing,
                    "plans": plans,
                    "can_submit": can_submit,
                    "can_decide": can_decide,
                    "rule_labels": RULE_LABELS,
                    "text": request.POST.get("text", ""),
                },
                status=400,
            )
        return redirect("assessment:rectification", pk=firing.pk)
    return render(
        request,
        "assessment/rectification.html",
        _base(request)
        | {
            "firing": firing,
            "plans": plans,
            "can_submit": can_submit,
            "can_decide": can_decide,
            "rule_labels": RULE_LABELS,
        },
    )


@login_required
@require_GET
def rectification_notice(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    firing = _firing(request, pk)
    body = services.notice_docx(firing) if fmt == "docx" else services.notice_pdf(firing)
    content_type = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if fmt == "docx"
        else "application/pdf"
    )
    response = HttpResponse(body, content_type=content_type)
    name = f"限期整改督查通知书-{firing.unit.name}-{firing.month:%Y-%m}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_GET
def regions(request: HttpRequest) -> HttpResponse:
    """The indicators of each region one level below the user's own (or ?region=<code> inside it)."""
    _require_ranking(request)
    month = _month(request)
    own = request.user.unit.region if request.user.unit_id else Region.objects.filter(parent=None).first()
    parent = own
    code = request.GET.get("region", "")
    if code:
        parent = Region.objects.filter(code=code).first()
        if parent is None or (own is not None and not parent.prefix.startswith(own.prefix)):
            raise Http404
    rows = selectors.region_indicators(request.user, month, parent) if parent else []
    keys = [k for k in (*COLUMNS, "repeat", "skip_level", "incidence")]
    table = [(r, [next((line for line in r.score.lines if line.key == k), None) for k in keys]) for r in rows]
    return render(
        request,
        "assessment/regions.html",
        _base(request) | _month_nav(month) | {"parent": parent, "table": table, "columns": [LABELS[k] for k in keys]},
    )
