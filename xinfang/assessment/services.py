"""Writes: closing a month (publish the ranking, fire the bulletin's rules, keep their history), the
rectification notice, and the units' rectification plans and self-examinations with the leader's
approval."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.template import Context, Template
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from xinfang.assessment import aggregates
from xinfang.assessment.aggregates import unit_months_score
from xinfang.assessment.models import (
    MonthClose,
    MonthRank,
    PlanState,
    RectificationPlan,
    Rule,
    RuleFiring,
)
from xinfang.assessment.selectors import Ranking, explanations_for, ranking_compute, settings_load
from xinfang.documents import layout
from xinfang.lib.months import month_next, month_previous, month_start
from xinfang.org import calendar
from xinfang.org.models import User
from xinfang.org.roles import ROLES_WHO_APPROVE_RECTIFICATION_PLANS, ROLES_WHO_WRITE_RECTIFICATION_PLANS

PLAN_RULES = (Rule.RECTIFICATION, Rule.SELF_EXAMINATION)


def _month_text(month: dt.date) -> str:
    return f"{month:%Y年%m月}" if (get_language() or "").startswith("zh") else f"{month:%B %Y}"


class AssessmentError(Exception):
    """A refused action; the message is for the user, in the active language."""


@dataclass
class CloseResult:
    month: dt.date
    already_closed: bool
    units: int = 0
    fired: dict[str, list[int]] = field(default_factory=dict)


def _streaks(month: dt.date, bottom_units: set[int], longest: int) -> dict[int, int]:
    """How many months running each unit has been named at the bottom, this month included."""
    months = [month]
    for _month in range(longest - 1):
        months.append(month_previous(months[-1]))
    named = set(
        MonthRank.objects.filter(month__in=months[1:], unit_id__in=bottom_units, bottom=True).values_list(
            "unit_id", "month"
        )
    )
    out = {}
    for unit in bottom_units:
        n = 1
        while n < len(months) and (unit, months[n]) in named:
            n += 1
        out[unit] = n
    return out


def rules_fire(ranking: Ranking, *, today: dt.date) -> dict[str, list[int]]:
    """The bulletin's rules (seed 001, 四(一)(二); seed 004, 六.3) for a published ranking:
    named at the bottom `rectification_months` running → a rectification notice (限期整改督查通知书) and a
    plan the leader approves; `self_examination_months` or more running → a written self-examination
    and a deduction in the annual assessment; the excellent (top, not under key management) → reward;
    a unit under key management that ranked in the top places → excellence withheld. One firing per
    unit, month and rule (idempotent)."""
    s = settings_load()
    month = ranking.month
    bottom = {r.unit_id for r in ranking.rows if r.bottom}
    longest = max(s.rectification_months, s.self_examination_months) + 1
    streaks = _streaks(month, bottom, longest)
    ranks = {r.unit_id: r for r in ranking.rows}
    firings: list[RuleFiring] = []
    due_on = today + dt.timedelta(days=s.plan_days)
    for unit, streak in streaks.items():
        detail = {"rank": ranks[unit].rank, "bottom_rank": ranks[unit].bottom_rank, "score": str(ranks[unit].score)}
        if streak >= s.self_examination_months:
            firings.append(
                RuleFiring(
                    month=month,
                    unit_id=unit,
                    rule=Rule.SELF_EXAMINATION,
                    streak=streak,
                    deduction=s.deduction_points,
                    detail=detail,
                    due_on=due_on,
                )
            )
        elif streak == s.rectification_months:
            firings.append(
                RuleFiring(
                    month=month, unit_id=unit, rule=Rule.RECTIFICATION, streak=streak, detail=detail, due_on=due_on
                )
            )
    for r in ranking.rows:
        detail = {"rank": r.rank, "score": str(r.score)}
        if r.excellent:
            firings.append(RuleFiring(month=month, unit_id=r.unit_id, rule=Rule.REWARD, detail=detail))
        elif r.key_management and r.top:
            firings.append(RuleFiring(month=month, unit_id=r.unit_id, rule=Rule.EXCELLENCE_WITHHELD, detail=detail))
    RuleFiring.objects.bulk_create(firings, ignore_conflicts=True)
    fired: dict[str, list[int]] = {}
    for f in firings:
        fired.setdefault(f.rule, []).append(f.unit_id)
    return fired


def month_close(month: dt.date, *, today: dt.date | None = None, rebuild: bool = True) -> CloseResult:
    """Close a finished month: rebuild its aggregates, publish the ranking (MonthRank, with each score's
    explanation), fire the rules. Idempotent: a closed month is left as it is."""
    month = month_start(month)
    today = today or timezone.localdate()
    if month_next(month) > today:
        raise AssessmentError(
            _("%(month)s has not ended: its ranking cannot be closed yet.") % {"month": _month_text(month)}
        )
    if MonthClose.objects.filter(month=month).exists():
        return CloseResult(month, True)
    if rebuild:
        aggregates.aggregates_rebuild(month, today=today)
    with transaction.atomic():
        close, created = MonthClose.objects.get_or_create(month=month)
        if not created:  # another process closed it meanwhile
            return CloseResult(month, True)
        unit_months_score(month)  # with the weights in force now
        ranking = ranking_compute(month)
        details = explanations_for(month, [r.unit_id for r in ranking.rows])
        MonthRank.objects.bulk_create(
            MonthRank(
                month=month,
                unit_id=r.unit_id,
                score=r.score,
                rank=r.rank,
                bottom_rank=r.bottom_rank,
                top=r.top,
                excellent=r.excellent,
                bottom=r.bottom,
                key_management=r.key_management,
                rates=r.rates,
                detail=details[r.unit_id],
            )
            for r in ranking.rows
        )
        ranking.published = True
        fired = rules_fire(ranking, today=today)
        close.units = len(ranking.rows)
        close.save(update_fields=["units"])
    return CloseResult(month, False, len(ranking.rows), fired)


# ---------------------------------------------------------------- the rectification notice


def _ranks_text(firing: RuleFiring) -> str:
    months = [firing.month]
    for _month in range(firing.streak - 1):
        months.append(month_previous(months[-1]))
    ranks = dict(MonthRank.objects.filter(unit_id=firing.unit_id, month__in=months).values_list("month", "rank"))
    return "，".join(f"{m.year}年{m.month}月第{ranks[m]}名" for m in reversed(months) if m in ranks)


def notice_for(firing: RuleFiring) -> layout.Notice:
    """The 限期整改督查通知书 of a rectification or self-examination firing, from the wording in the
    assessment settings (admin)."""
    if firing.rule not in PLAN_RULES:
        raise AssessmentError(
            _(
                "Only the findings “correct within a time limit” and “written self-examination” come with a supervision notice."
            )
        )
    s = settings_load()
    first = firing.month
    for _month in range(firing.streak - 1):
        first = month_previous(first)
    extra = ""
    if firing.rule == Rule.SELF_EXAMINATION:
        extra = f"你单位党政主要领导须向县委、县政府作出书面检查，并在年终信访工作考核时扣{firing.deduction}分。"
    months_text = (
        f"{first.year}年{first.month}月至{firing.month.year}年{firing.month.month}月"
        if firing.streak > 1
        else f"{firing.month.year}年{firing.month.month}月"
    )
    with override("zh-hans"):
        ctx = Context(
            {
                "unit": firing.unit,
                "months_text": months_text,
                "streak": firing.streak,
                "bottom_n": s.bottom_n,
                "ranks_text": _ranks_text(firing),
                "due_on": calendar.format_date(firing.due_on) if firing.due_on else "",
                "extra": extra,
            },
            autoescape=False,
        )
        title = Template(s.notice_title).render(ctx)
        body = Template(s.notice_body).render(ctx)
    return layout.Notice.from_text(
        title, body, issuer=s.issuer, date=calendar.format_date(timezone.localdate(firing.fired_at))
    )


def notice_docx(firing: RuleFiring) -> bytes:
    return layout.docx_bytes(notice_for(firing))


def notice_pdf(firing: RuleFiring) -> bytes:
    return layout.pdf_bytes(notice_for(firing))


# ---------------------------------------------------------------- plans (整改方案, 书面检查)


def plan_submit(firing: RuleFiring, *, actor: User, text: str, at: dt.datetime | None = None) -> RectificationPlan:
    """The named unit submits its plan (or self-examination); again after the leader returned it."""
    if firing.rule not in PLAN_RULES:
        raise AssessmentError(_("This finding needs no rectification plan."))
    if actor.unit_id != firing.unit_id or actor.role not in ROLES_WHO_WRITE_RECTIFICATION_PLANS:
        raise AssessmentError(
            _("Only a handler or the head of the unit named in the finding can submit the rectification plan.")
        )
    if not text.strip():
        raise AssessmentError(_("Write the rectification plan (what will be corrected and how)."))
    with transaction.atomic():
        latest = RectificationPlan.objects.select_for_update().filter(firing=firing).first()
        if latest and latest.state != PlanState.RETURNED:
            raise AssessmentError(
                _("The rectification plan was submitted and approved.")
                if latest.state == PlanState.APPROVED
                else _("The rectification plan was submitted and waits for the leader's approval.")
            )
        return RectificationPlan.objects.create(
            firing=firing, text=text.strip(), submitted_by=actor, submitted_at=at or timezone.now()
        )


def _plan_decide(
    plan: RectificationPlan, actor: User, state: str, note: str, at: dt.datetime | None
) -> RectificationPlan:
    if actor.role not in ROLES_WHO_APPROVE_RECTIFICATION_PLANS:
        raise AssessmentError(_("A rectification plan is approved by the leader in charge."))
    unit = plan.firing.unit
    if actor.unit is None or not unit.region.prefix.startswith(actor.unit.region.prefix):
        raise AssessmentError(_("Only plans of units in your own area can be approved."))
    if state == PlanState.RETURNED and not note.strip():
        raise AssessmentError(_("Say why when returning a plan for changes."))
    with transaction.atomic():
        p = RectificationPlan.objects.select_for_update().get(pk=plan.pk)
        if p.state != PlanState.SUBMITTED:
            raise AssessmentError(_("This rectification plan has been approved or returned already."))
        p.state, p.decided_by, p.decided_at, p.decision_note = state, actor, at or timezone.now(), note.strip()
        p.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return p


def plan_approve(
    plan: RectificationPlan, *, actor: User, note: str = "", at: dt.datetime | None = None
) -> RectificationPlan:
    return _plan_decide(plan, actor, PlanState.APPROVED, note, at)


def plan_return(plan: RectificationPlan, *, actor: User, note: str, at: dt.datetime | None = None) -> RectificationPlan:
    return _plan_decide(plan, actor, PlanState.RETURNED, note, at)
