"""Every legal period and rule of the workflow, in one place, with its source.

Source: 《信访工作条例》 (2022, in force 2022-05-01). Articles marked (?) could not be confirmed
from a primary text; the rule itself is. A county changes a period in the admin (LegalPeriod);
the values here are the defaults used until it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings

from xinfang.org.tablecache import TableCache


@dataclass(frozen=True)
class Period:
    key: str
    days: int
    working_days: bool
    article: str
    roll_over: bool = True


# Calendar or working days: only the 5-day objection period says working days; the 15/60/30
# periods are read as calendar days. A calendar period whose last day is a public holiday or
# weekend ends on the next working day (roll_over), as for periods in procedural law; both are
# settings per period.
DEFAULT_PERIODS: dict[str, Period] = {
    p.key: p
    for p in (
        Period("intake", 15, False, "《信访工作条例》第二十二条：登记后15日内转送或交办"),
        Period("acceptance", 15, False, "《信访工作条例》第二十三条：收到转送交办之日起15日内告知是否受理"),
        Period(
            "objection", 5, True, "《信访工作条例》第二十三条：认为不属于本机关职权的，5个工作日内提出异议并说明理由"
        ),
        Period("handling", 60, False, "《信访工作条例》第三十四条(?)：自受理之日起60日内办结"),
        Period("extension_max", 30, False, "《信访工作条例》第三十四条(?)：经本机关负责人批准可延长，不超过30日"),
        Period("review_request", 30, False, "《信访工作条例》第三十五条(?)：收到处理意见书之日起30日内请求复查"),
        Period("review_answer", 30, False, "《信访工作条例》第三十五条(?)：收到复查请求之日起30日内提出复查意见"),
        Period("reexamination_request", 30, False, "《信访工作条例》第三十六条(?)：收到复查意见书之日起30日内请求复核"),
        Period(
            "reexamination_answer",
            30,
            False,
            "《信访工作条例》第三十六条(?)：收到复核请求之日起30日内提出复核意见；听证时间不计入",
        ),
    )
}

# Art. 17 (?): a collective visit chooses at most 5 representatives; 5 or more people make one.
MAX_REPRESENTATIVES = 5
COLLECTIVE_VISIT_MIN_PEOPLE = 5

# A local setting, not law: how many working days before a deadline the unit's handlers and head are
# warned (petitions.alerts); settings.DEADLINE_WARN_WORKING_DAYS (XINFANG_DEADLINE_WARN_WORKING_DAYS).
WARN_WORKING_DAYS_BEFORE = 3


def warn_working_days() -> int:
    return int(getattr(settings, "DEADLINE_WARN_WORKING_DAYS", WARN_WORKING_DAYS_BEFORE))


# Legal grounds for declining (不予受理), Art. 22/31/36 (?). Keys are stored; labels shown.
DECLINE_REASONS: dict[str, str] = {
    "legal_channel": "已经或者依法应当通过诉讼、仲裁、行政复议等法定途径解决",
    "not_competent": "不属于本机关职权范围",
    "handled_same_matter": "已经受理或者正在办理，又以同一事实和理由提出",
    "reexamined": "已经复核终结，又以同一事实和理由提出（不再受理）",
    "not_petition": "不属于信访事项（无具体诉求或者诉求违法）",
}

# Art. 31 (?): claims that belong to these channels go there (诉访分离).
LEGAL_CHANNELS: dict[str, str] = {
    "litigation": "诉讼",
    "reconsideration": "行政复议",
    "arbitration": "仲裁",
    "other": "其他法定途径",
}


def _period_table() -> dict[str, Period]:
    # through the app registry: the models sit above the rules (Petition.is_collective reads them)
    LegalPeriod = apps.get_model("petitions", "LegalPeriod")  # noqa: N806
    return {
        row.key: Period(row.key, row.days, row.working_days, row.article, row.roll_over)
        for row in LegalPeriod.objects.all()
    }


periods = TableCache(_period_table)
invalidate_cache = periods.invalidate  # connected to LegalPeriod's save and delete signals


def period(key: str) -> Period:
    """The period in force: the county's LegalPeriod row if there is one, else the default."""
    return periods.get().get(key) or DEFAULT_PERIODS[key]
