"""Synthetic demo oversight (督查督办演示数据) for `manage.py load_demo`: a few supervisions, a work
recommendation and two follow-ups on the demo county's petitions, every one written by the demo
supervisor through xinfang.oversight.services (so each is in the petitions' event logs).

load_demo runs it only with --petitions N (so the benchmarks' databases, loaded without it, get none).
It needs petitions, and adds nothing when the demo supervisor has already supervised, recommended or
followed up anything: running it again changes nothing. No person's name appears in it; the petitions
are the generator's synthetic ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from xinfang.org import calendar
from xinfang.org.models import Unit, User
from xinfang.org.roles import ROLES_WHO_ANSWER_SUPERVISION
from xinfang.org.scope import scope_for
from xinfang.oversight import services
from xinfang.oversight.follow_ups import follow_up_record, follow_up_refusal
from xinfang.oversight.models import (
    FollowUp,
    FollowUpMethod,
    Recommendation,
    RecommendationKind,
    Supervision,
    SupervisionMode,
)
from xinfang.oversight.recommendations import recommendation_make
from xinfang.oversight.selectors import FOLLOW_UP_STATES, latest_decision
from xinfang.petitions.models import Measure, Petition, State
from xinfang.petitions.selectors import petition_list_for

SUPERVISOR = "supervisor"
# Demo logins that answer for their unit: petitions of their units come first, so that signing in as
# one of them shows the supervision waiting for an answer.
DEMO_ANSWERERS = ("dept_handler", "dept_head", "town_handler", "town_head", "village_handler")
CANDIDATES = 20  # petitions looked at for each kind of item (a few are needed)
# Still being handled by their unit: the petitions a supervisor presses on.
HANDLING = (State.FORWARDED, State.ASSIGNED, State.ACCEPTED)


@dataclass(frozen=True)
class DemoOversight:
    supervisions: int
    recommendations: int
    follow_ups: int


def _answerers(unit_ref: OuterRef | Unit) -> QuerySet[User]:
    return User.objects.filter(unit=unit_ref, role__in=ROLES_WHO_ANSWER_SUPERVISION, is_active=True)


def _already_loaded(supervisor: User) -> bool:
    return (
        Supervision.objects.filter(opened_by=supervisor).exists()
        or Recommendation.objects.filter(made_by=supervisor).exists()
        or FollowUp.objects.filter(by=supervisor).exists()
    )


def _units_overseen(supervisor: User) -> QuerySet[Unit]:
    """The units in the supervisor's reach other than their own (ids, for a subquery)."""
    return Unit.objects.filter(scope_for(supervisor).unit_q("")).exclude(pk=supervisor.unit_id).values("pk")


def _open_petitions(supervisor: User) -> list[Petition]:
    """Petitions still being handled by units in the supervisor's reach (not the supervisor's own) that
    someone can answer for, those of the demo logins' units first, at most one per unit."""
    qs = (
        petition_list_for(supervisor)
        .filter(state__in=HANDLING)
        .filter(owner_unit__in=_units_overseen(supervisor), owner_unit__is_active=True)
        .filter(Exists(_answerers(OuterRef("owner_unit"))))
        .exclude(Exists(Supervision.objects.filter(petition=OuterRef("pk"), is_open=True)))
        .annotate(demo=Exists(_answerers(OuterRef("owner_unit")).filter(username__in=DEMO_ANSWERERS)))
        .select_related("owner_unit")
        .order_by("-demo", "pk")
    )
    chosen: dict[int, Petition] = {}
    for p in qs[:CANDIDATES]:
        chosen.setdefault(p.owner_unit_id, p)
    return list(chosen.values())


def _resolved_petitions(supervisor: User, count: int) -> list[Petition]:
    """`count` concluded petitions of units in the supervisor's reach whose latest decision is 化解
    (resolved), not yet followed up, that the supervisor may follow up (outside their handling units),
    the most recently concluded first."""
    latest = latest_decision(OuterRef("pk"))
    qs = (
        petition_list_for(supervisor)
        .filter(state__in=FOLLOW_UP_STATES)
        .annotate(
            concluded_on=Subquery(latest.values("decided_on")[:1]),
            concluded_measure=Subquery(latest.values("measure")[:1]),
        )
        .filter(concluded_measure=Measure.RESOLVED)
        .filter(owner_unit__in=_units_overseen(supervisor))
        .exclude(Exists(FollowUp.objects.filter(petition=OuterRef("pk"))))
        .select_related("owner_unit")
        .order_by("-concluded_on", "-pk")
    )
    chosen: list[Petition] = []
    for p in qs[:CANDIDATES]:
        if len(chosen) < count and follow_up_refusal(p, supervisor) is None:
            chosen.append(p)
    return chosen


def _supervise(open_petitions: list[Petition], supervisor: User) -> int:
    """An online supervision waiting for its answer, and an on-site one the unit has answered."""
    today = timezone.localdate()
    made = 0
    if open_petitions:
        services.supervision_open(
            open_petitions[0],
            actor=supervisor,
            mode=SupervisionMode.ONLINE,
            reason="信访人多次来电反映办理进度缓慢，群众关注度较高。",
            requirement="请于期限内核实办理进度，明确办结时间，并书面报告办理情况。",
            answer_due_on=calendar.add_working_days(today, 5),
        )
        made += 1
    if len(open_petitions) > 1:
        p = open_petitions[1]
        s = services.supervision_open(
            p,
            actor=supervisor,
            mode=SupervisionMode.ON_SITE,
            reason="涉及多户群众切身利益，已超过一般办理期限的一半，需实地督促。",
            requirement="请主要负责人牵头，入户核实情况，提出化解方案，报告办理结果。",
            answer_due_on=calendar.add_working_days(today, 10),
        )
        answerer = _answerers(p.owner_unit).order_by("pk").first()
        services.supervision_answer(
            s,
            actor=answerer,
            answer="已由单位负责人带队入户核实，制定化解方案并与信访人当面沟通，预计十个工作日内办结。",
        )
        made += 1
    return made


def _recommend(open_petitions: list[Petition], supervisor: User) -> int:
    """A recommendation to improve work (工作建议) to the unit of the first supervised petition."""
    if not open_petitions:
        return 0
    unit = open_petitions[0].owner_unit
    recommendation_make(
        actor=supervisor,
        kind=RecommendationKind.WORK,
        about_unit=unit,
        to_unit=unit,
        text="近期该单位信访事项办理进度偏慢、群众催办较多。建议建立办理台账，逐件明确责任人和办结时限，"
        "每周调度一次，并在答复前与信访人充分沟通。",
        due_on=calendar.add_working_days(timezone.localdate(), 15),
    )
    return 1


def _follow_up(supervisor: User) -> int:
    """One follow-up that confirms the resolution; one whose petitioner denies it (假化解), which the
    service turns into a finding against the unit and an escalated supervision."""
    outcomes = [
        (FollowUpMethod.PHONE, True, "电话回访，信访人表示问题已解决，对办理结果满意。"),
        (FollowUpMethod.VISIT, False, "上门回访，信访人称承诺事项至今未落实，问题并未解决。"),
    ]
    resolved = _resolved_petitions(supervisor, len(outcomes))
    for p, (method, settled, notes) in zip(resolved, outcomes):
        follow_up_record(p, actor=supervisor, method=method, reached=True, settled=settled, notes=notes)
    return len(resolved)


def oversight_demo_load() -> DemoOversight | None:
    """Add the demo oversight items; None when there is nothing to add (no petitions, or already done)."""
    supervisor = User.objects.filter(username=SUPERVISOR).select_related("unit", "unit__region").first()
    if supervisor is None or not Petition.objects.exists() or _already_loaded(supervisor):
        return None
    with transaction.atomic():
        open_petitions = _open_petitions(supervisor)
        supervisions = _supervise(open_petitions, supervisor)
        recommendations = _recommend(open_petitions, supervisor)
        follow_ups = _follow_up(supervisor)
    reopened = Supervision.objects.filter(opened_by=supervisor, mode=SupervisionMode.ESCALATED).count()
    return DemoOversight(supervisions + reopened, recommendations, follow_ups)
