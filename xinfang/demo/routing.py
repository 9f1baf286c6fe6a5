"""A synthetic routing table (派单目录) for the demo county (示范县): which department or office the
petition bureau routes each kind of matter to. Invented for the demo, after the usual division of
competence (谁主管、谁负责; 属地管理); idempotent."""

from __future__ import annotations

from django.db import transaction

from xinfang.org.models import Region, RegionLevel, Unit
from xinfang.petitions.models import Category
from xinfang.routing.models import RoutingRule, RuleTarget

V, T = RegionLevel.VILLAGE, RegionLevel.TOWNSHIP
# (category path, level of the place or a region's name or None, unit name or a target)
DEMO_RULES: list[tuple[str, int | str | None, str]] = [
    ("城乡建设", None, "县住房和城乡建设局"),
    ("城乡建设/城市建设和市政管理", None, "县城市管理局"),
    ("城乡建设/城市建设和市政管理", "城关街道", "城关街道办事处"),
    ("城乡建设/村镇建设", V, RuleTarget.TOWNSHIP_OFFICE),
    ("城乡建设/集体土地上房屋拆迁与补偿", None, "县自然资源局"),
    ("国土资源", None, "县自然资源局"),
    ("环境保护", None, "县生态环境局"),
    ("纪检监察", None, "县纪委监委"),
    ("交通运输", None, "县交通运输局"),
    ("经济管理", None, "县财政局"),
    ("经济管理/安全生产", None, "县应急管理局"),
    ("民政", None, "县民政局"),
    ("民政/复退安置", None, "县退役军人事务局"),
    ("民政/优抚", None, "县退役军人事务局"),
    ("民政/基层选举和社区建设", V, RuleTarget.TOWNSHIP_OFFICE),
    ("农村农业", None, "县农业农村局"),
    ("农村农业/村务管理", V, RuleTarget.TOWNSHIP_OFFICE),
    ("农村农业/土地承包经营", V, RuleTarget.TOWNSHIP_OFFICE),
    ("农村农业/林业管理", None, "县林业局"),
    ("农村农业/水利水电", None, "县水利局"),
    ("商贸旅游", None, "县商务局"),
    ("商贸旅游/市场监管", None, "县市场监督管理局"),
    ("商贸旅游/质监检验检疫", None, "县市场监督管理局"),
    ("商贸旅游/旅游管理", None, "县文化旅游广电局"),
    ("卫生计生", None, "县卫生健康局"),
    ("卫生计生/食品药品监管", None, "县市场监督管理局"),
    ("政法", None, "县委政法委"),
    ("政法/社会治安", None, "县公安局"),
    ("政法/户籍证件", None, "县公安局"),
    ("政法/交通管理", None, "县公安局"),
    ("政法/法律服务", None, "县司法局"),
    ("教育文体", None, "县教育局"),
    ("教育文体/文化", None, "县文化旅游广电局"),
    ("教育文体/文物管理", None, "县文化旅游广电局"),
    ("劳动和社会保障", None, "县人力资源和社会保障局"),
    ("劳动和社会保障/城镇居民社会保险", None, "县医疗保障局"),
]


@transaction.atomic
def routing_table_demo_load(county: Region) -> int:
    """Add the demo rules the county's table lacks (matched on category, place and target). Returns how
    many were added; a rule whose category or unit is missing is skipped."""
    units = {u.name: u for u in Unit.objects.filter(region__prefix__startswith=county.prefix)}
    regions = {r.name: r for r in Region.objects.filter(prefix__startswith=county.prefix, level=RegionLevel.TOWNSHIP)}
    categories = {c.path: c for c in Category.objects.filter(level__lte=2)}
    existing = set(RoutingRule.objects.values_list("category_id", "region_level", "region_id", "target", "unit_id"))
    added = 0
    for path, place, to in DEMO_RULES:
        category = categories.get(path)
        region = regions.get(place) if isinstance(place, str) else None
        target = to if to in RuleTarget.values else RuleTarget.UNIT
        unit = units.get(to) if target == RuleTarget.UNIT else None
        if category is None or (target == RuleTarget.UNIT and unit is None) or (isinstance(place, str) and not region):
            continue
        level = place if isinstance(place, int) else None
        key = (category.pk, level, region.pk if region else None, target, unit.pk if unit else None)
        if key in existing:
            continue
        RoutingRule.objects.create(
            category=category, region_level=level, region=region, target=target, unit=unit, note="演示派单目录"
        )
        existing.add(key)
        added += 1
    return added
