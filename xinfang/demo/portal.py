"""Synthetic demo content of the portal: the demo county's leaders' reception days (titles only, no
names of people) and a few policy answers. Idempotent: nothing is added twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xinfang.org.models import Region, Unit
from xinfang.petitions import rules
from xinfang.petitions.models import Kind, Petition
from xinfang.portal.models import PolicyAnswer, ReceptionDay
from xinfang.portal.services import petition_submit

# (weekday 0 = Monday, leader as published, hours, topics)
RECEPTION_WEEK = [
    (0, "县长（演示）", "9:00—12:00", ""),
    (2, "副县长（分管住房城乡建设，演示）", "9:00—12:00", "征地拆迁、住房保障、物业管理"),
    (4, "副县长（分管人力资源社会保障，演示）", "14:30—17:30", "劳动报酬、社会保险、就业"),
]
RECEPTION_PLACE = "示范县人民来访接待中心一楼接待室"
WEEKS = 4


def policy_answers() -> list[tuple[str, str, str]]:
    """(question, answer, basis); the periods from petitions.rules, as a county has set them."""
    days = {
        key: rules.period(key).days
        for key in ("intake", "acceptance", "handling", "extension_max", "review_request", "reexamination_request")
    }
    return [
        (
            "网上提交信访事项后，多长时间会有答复？",
            f"信访部门自登记之日起{days['intake']}日内转送或者交办有权处理的机关；有权处理的机关收到后"
            f"{days['acceptance']}日内书面告知是否受理；受理后一般在{days['handling']}日内办结并出具处理意见书，"
            f"情况复杂的经批准可以适当延长，但不超过{days['extension_max']}日，并告知延期理由。",
            "《信访工作条例》第二十二条、第二十三条、第三十四条",
        ),
        (
            "对处理意见不满意怎么办？",
            f"可以自收到书面答复之日起{days['review_request']}日内请求原办理机关的上一级机关复查；对复查意见不服的，"
            f"可以自收到复查意见之日起{days['reexamination_request']}日内向复查机关的上一级机关请求复核。"
            "复核意见为最终意见，同一事实和理由不再受理。",
            "《信访工作条例》第三十五条、第三十六条",
        ),
        (
            "哪些事项不按信访程序处理？",
            "已经或者依法应当通过诉讼、仲裁、行政复议等法定途径解决的，信访部门会告知您向有关机关提出。",
            "《信访工作条例》第三十一条",
        ),
        (
            "检举控告会不会被泄露给被举报人？",
            "不会。检举控告人的材料和个人信息不得透露或者转给被检举控告的人员和单位。检举控告类事项可以匿名提交。",
            "《信访工作条例》第三十条",
        ),
        (
            "拖欠工资可以向哪里反映？",
            "可以向用人单位所在地的人力资源和社会保障部门（劳动保障监察机构）投诉，也可以通过本平台提交，"
            "选择“申诉求决类”并留下姓名和手机号，以便办理单位联系核实。",
            "",
        ),
    ]


@transaction.atomic
def portal_demo_load(today: dt.date | None = None) -> int:
    """Reception days for the coming weeks and the policy answers; returns how many rows were added."""
    today = today or timezone.localdate()
    unit = Unit.objects.filter(name="示范县人民政府").first()
    added = 0
    monday = today - dt.timedelta(days=today.weekday())
    for week in range(WEEKS):
        for weekday, leader, hours, topics in RECEPTION_WEEK:
            on = monday + dt.timedelta(weeks=week, days=weekday)
            if on < today:
                continue
            _, created = ReceptionDay.objects.get_or_create(
                on=on,
                leader=leader,
                defaults={"unit": unit, "hours": hours, "place": RECEPTION_PLACE, "topics": topics},
            )
            added += created
    for order, (question, answer, basis) in enumerate(policy_answers(), start=1):
        _, created = PolicyAnswer.objects.get_or_create(
            question=question, defaults={"answer": answer, "basis": basis, "order": order}
        )
        added += created
    return added


DEMO_ACCUSATION = (
    "检举镇干部挪用征地补偿款（演示）",
    "青石镇人民政府分管征地的副镇长（演示）将青丰收村部分征地补偿款挪作他用，至今未发放到户。"
    "本人不愿透露姓名，请求调查处理。（演示数据，情节虚构）",
)


def accusation_demo_load() -> bool:
    """An anonymous accusation submitted through the portal, its accused (青石镇人民政府) proposed from the
    text and waiting for the bureau's confirmation (Art. 30), once; whether it was added."""
    title, content = DEMO_ACCUSATION
    bureau = Unit.objects.filter(name="示范县信访局").first()
    place = Region.objects.filter(name="青丰收村").first()
    if bureau is None or place is None or Petition.objects.filter(title=title).exists():
        return False
    petition_submit(
        channel="web",
        kind=Kind.ACCUSATION,
        region=place,
        bureau=bureau,
        title=title,
        content=content,
        accused_name="青石镇人民政府 副镇长",
    )
    return True
