"""Unit proposals (issue 6, points 3 and 7): the routing table (派单目录) and its precedence, Art. 30,
the proposal on the petition page's forward and assignment forms, the outcome kept at each routing,
and rules suggested from repeated corrections."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, register, staff_login
from xinfang.org.models import RegionLevel
from xinfang.petitions import services
from xinfang.petitions.models import Category, Kind
from xinfang.routing.models import RoutingRule, RuleSource, RuleTarget, UnitOutcome
from xinfang.routing.services import routing_rules_learn
from xinfang.routing.units import unit_propose

pytestmark = pytest.mark.django_db
HOUSING = "城乡建设/住房保障与房地产"


def cat(path: str) -> Category:
    return Category.objects.get(path=path)


def rule(category: str | None = None, unit=None, **kw) -> RoutingRule:
    target = kw.pop("target", RuleTarget.UNIT)
    return RoutingRule.objects.create(category=cat(category) if category else None, unit=unit, target=target, **kw)


def units_of(proposals) -> list[str]:
    return [p.unit.name for p in proposals if not p.excluded]


# ---------------------------------------------------------------- precedence


def test_a_rule_for_a_parent_category_covers_its_subtree_and_the_most_specific_wins(org):
    general = rule("城乡建设", org.units["land"])
    specific = rule(HOUSING, org.units["hrss"])
    leaf = Category.objects.filter(path__startswith=HOUSING + "/").first()
    proposals = unit_propose(leaf, org.regions["village_a"])
    assert units_of(proposals) == ["县人力资源和社会保障局", "县自然资源局"]  # the overridden rule comes second
    assert proposals[0].rule_pk == specific.pk and proposals[0].confidence > proposals[1].confidence
    assert f"派单目录第{specific.pk}条" in proposals[0].reason and HOUSING in proposals[0].reason
    other = Category.objects.filter(path__startswith="城乡建设/城乡规划").first()
    assert [p.rule_pk for p in unit_propose(other, org.regions["village_a"])] == [general.pk]
    assert unit_propose(cat("劳动和社会保障"), org.regions["village_a"]) == []


def test_a_region_named_beats_a_level_which_beats_any_place(org):
    rule("城乡建设", org.units["land"])
    rule("城乡建设", target=RuleTarget.TOWNSHIP_OFFICE, region_level=RegionLevel.VILLAGE)
    rule("城乡建设", org.units["hrss"], region=org.regions["town_a"])
    c = cat("城乡建设")
    assert units_of(unit_propose(c, org.regions["village_a"]))[0] == "县人力资源和社会保障局"  # inside 青石镇
    assert units_of(unit_propose(c, org.regions["village_b"]))[0] == "柳河镇人民政府"  # its own township
    assert units_of(unit_propose(c, org.regions["county"]))[0] == "县自然资源局"  # neither


def test_the_township_and_village_of_the_place(org):
    rule("城乡建设", target=RuleTarget.TOWNSHIP_OFFICE)
    rule("农村农业", target=RuleTarget.VILLAGE_COMMITTEE)
    p = unit_propose(cat("城乡建设"), org.regions["village_a"])[0]
    assert p.unit == org.units["town_a"] and "事项所在乡镇" in p.reason
    assert unit_propose(cat("农村农业"), org.regions["village_b"])[0].unit == org.units["village_b"]
    assert unit_propose(cat("农村农业"), org.regions["county"]) == []  # no village: no proposal


def test_an_inactive_or_suggested_rule_is_not_used(org):
    rule("城乡建设", org.units["land"], is_active=False)
    assert unit_propose(cat("城乡建设"), org.regions["village_a"]) == []


def test_confidence_follows_what_staff_chose(org):
    r = rule("城乡建设", org.units["land"])
    before = unit_propose(cat("城乡建设"), org.regions["village_a"])[0].confidence
    RoutingRule.objects.filter(pk=r.pk).update(proposed_count=20, accepted_count=2)
    RoutingRule.objects.get(pk=r.pk).save()  # a save reloads the table
    assert unit_propose(cat("城乡建设"), org.regions["village_a"])[0].confidence < before / 2


# ---------------------------------------------------------------- Art. 30


def test_an_accusation_is_never_proposed_to_the_accused_unit(org):
    rule("纪检监察", org.units["land"])
    rule(None, org.units["discipline"])
    proposals = unit_propose(
        cat("纪检监察"), org.regions["village_a"], kind=Kind.ACCUSATION, accused_unit_id=org.units["land"].pk
    )
    assert units_of(proposals) == ["县纪委监委"]
    excluded = [p for p in proposals if p.excluded]
    assert excluded[0].unit == org.units["land"] and "第三十条" in excluded[0].excluded
    assert "县自然资源局" in units_of(
        unit_propose(cat("纪检监察"), org.regions["village_a"], kind=Kind.CLAIM, accused_unit_id=org.units["land"].pk)
    )


def test_the_petition_page_never_preselects_the_accused_unit(org):
    rule("纪检监察", org.units["land"])
    p = register(org, on=at(2026, 3, 2), kind=Kind.ACCUSATION, category=cat("纪检监察"), accused_unit=org.units["land"])
    html = page(org, p)
    assert "第三十条" in html and "<s>县自然资源局</s>" in html
    assert f'value="{org.units["land"].pk}" selected' not in html


# ---------------------------------------------------------------- the petition page


def page(org, petition) -> str:
    c = Client()
    staff_login(c, org.users["bureau_staff"])
    return c.get(f"/p/{petition.pk}/").content.decode()


def test_the_forward_and_assign_forms_show_and_preselect_the_proposal(org):
    r = rule("城乡建设", org.units["land"])
    p = register(org, on=at(2026, 3, 2), category=cat("城乡建设"))
    html = page(org, p)
    assert f"派单目录第{r.pk}条" in html and "只是建议" in html
    assert html.count(f'<option value="{org.units["land"].pk}" selected>') == 2  # forward and assign


def test_the_petition_page_stays_within_ten_queries_with_a_table(org, django_assert_max_num_queries):
    for path in ("城乡建设", HOUSING, "农村农业"):
        rule(path, org.units["land"])
    rule("城乡建设", target=RuleTarget.TOWNSHIP_OFFICE, region_level=RegionLevel.VILLAGE)
    p = register(org, on=at(2026, 3, 2), category=cat(HOUSING))
    c = Client()
    staff_login(c, org.users["bureau_staff"])
    c.get(f"/p/{p.pk}/")
    with django_assert_max_num_queries(10):
        assert "派单目录" in c.get(f"/p/{p.pk}/").content.decode()


# ---------------------------------------------------------------- outcomes kept (point 7)


def test_a_forward_keeps_the_proposal_and_the_choice(org):
    r = rule("城乡建设", org.units["land"])
    p = register(org, on=at(2026, 3, 2), category=cat("城乡建设"))
    assert not UnitOutcome.objects.exists()  # registration keeps none
    services.petition_forward(p, actor=org.users["bureau_staff"], to_unit=org.units["land"], at=at(2026, 3, 3))
    o = UnitOutcome.objects.get()
    assert (o.proposed_unit, o.chosen_unit, o.accepted, o.rule_id, o.action) == (
        org.units["land"],
        org.units["land"],
        True,
        r.pk,
        "forward",
    )
    assert o.region_level == RegionLevel.VILLAGE and o.recorded_by == org.users["bureau_staff"]
    r.refresh_from_db()
    assert (r.proposed_count, r.accepted_count) == (1, 1)


def test_a_correction_is_kept_as_one(org):
    r = rule("城乡建设", org.units["land"])
    p = register(org, on=at(2026, 3, 2), category=cat("城乡建设"))
    services.petition_assign(
        p, actor=org.users["bureau_staff"], to_unit=org.units["town_a"], report_days=30, at=at(2026, 3, 3)
    )
    o = UnitOutcome.objects.get()
    assert not o.accepted and o.proposed_unit == org.units["land"] and o.chosen_unit == org.units["town_a"]
    assert o.chosen_target == RuleTarget.TOWNSHIP_OFFICE  # the township of the place
    r.refresh_from_db()
    assert (r.proposed_count, r.accepted_count) == (1, 0)


def test_a_routing_without_any_proposal_is_kept_too(org):
    p = register(org, on=at(2026, 3, 2))
    services.petition_forward(p, actor=org.users["bureau_staff"], to_unit=org.units["hrss"], at=at(2026, 3, 3))
    o = UnitOutcome.objects.get()
    assert o.proposed_unit is None and not o.accepted and o.chosen_unit == org.units["hrss"]


# ---------------------------------------------------------------- learning


def corrected(org, n: int, *, category: str, to_key: str, region_key: str = "village_a") -> None:
    for i in range(n):
        p = register(org, on=at(2026, 3, 2), category=cat(category), region=org.regions[region_key], title=f"件{i}")
        services.petition_forward(p, actor=org.users["bureau_staff"], to_unit=org.units[to_key], at=at(2026, 3, 3))


def test_three_corrections_alike_suggest_an_inactive_rule(org):
    rule("城乡建设", org.units["land"])
    leaf = Category.objects.filter(path__startswith=HOUSING + "/").order_by("path").first().path
    corrected(org, 2, category=leaf, to_key="hrss")
    assert routing_rules_learn() == []
    corrected(org, 1, category=leaf, to_key="hrss")
    [suggested] = routing_rules_learn()
    assert (suggested.category.path, suggested.region_level, suggested.unit) == (
        HOUSING,
        RegionLevel.VILLAGE,
        org.units["hrss"],
    )  # grouped by the second level
    assert not suggested.is_active and suggested.source == RuleSource.LEARNED and suggested.corrections == 3
    assert units_of(unit_propose(cat(leaf), org.regions["village_a"]))[0] == "县自然资源局"  # not used yet
    assert len(routing_rules_learn()) == 1 and RoutingRule.objects.count() == 2  # updated, not duplicated
    suggested.is_active = True
    suggested.save()
    assert units_of(unit_propose(cat(leaf), org.regions["village_a"]))[0] == "县人力资源和社会保障局"


def test_corrections_to_each_place_s_township_learn_a_township_rule(org):
    corrected(org, 2, category="城乡建设", to_key="town_a", region_key="village_a")
    corrected(org, 1, category="城乡建设", to_key="town_b", region_key="village_b")
    [suggested] = routing_rules_learn()
    assert suggested.target == RuleTarget.TOWNSHIP_OFFICE and suggested.unit is None


def test_the_learn_command_prints_a_json_summary(org):
    rule("城乡建设", org.units["land"])
    corrected(org, 3, category="城乡建设", to_key="hrss")
    out = StringIO()
    call_command("routing_learn", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["outcomes"] == 3 and summary["accepted"] == 0 and len(summary["rules_suggested"]) == 1


# ---------------------------------------------------------------- admin and demo table


def test_the_admin_pages_load(org):
    r = rule("城乡建设", org.units["land"])
    corrected(org, 1, category="城乡建设", to_key="hrss")
    admin = org.users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    c = Client()
    staff_login(c, admin)
    for url in (
        "/admin/routing/routingrule/",
        f"/admin/routing/routingrule/{r.pk}/change/",
        "/admin/routing/routingrule/add/",
        "/admin/routing/unitoutcome/",
        "/admin/routing/routingrule/?q=自然资源",
        f"/admin/routing/routingrule/?unit__id__exact={org.units['land'].pk}",
    ):
        assert c.get(url).status_code == 200, url
    html = c.get("/admin/routing/routingrule/?q=自然资源").content.decode()
    assert "城乡建设" in html


def test_a_rule_naming_a_unit_needs_one(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        RoutingRule(category=cat("城乡建设"), target=RuleTarget.UNIT).full_clean()


def test_the_demo_table_loads_once(settings):
    from xinfang.demo.county import demo_county_load
    from xinfang.demo.routing import DEMO_RULES, routing_table_demo_load
    from xinfang.org.models import Region

    demo_county_load()
    county = Region.objects.get(code="990121")
    assert routing_table_demo_load(county) == len(DEMO_RULES)
    assert routing_table_demo_load(county) == 0
    village = Region.objects.get(name="青丰收村")
    assert unit_propose(cat("农村农业/村务管理"), village)[0].unit.name == "青石镇人民政府"
    assert unit_propose(cat("政法/社会治安"), village)[0].unit.name == "县公安局"


def test_the_proposal_costs_no_query_once_loaded(org):
    rule("城乡建设", org.units["land"])
    unit_propose(cat("城乡建设"), org.regions["village_a"])
    c, region = cat("城乡建设"), org.regions["village_a"]
    with CaptureQueriesContext(connection) as ctx:
        unit_propose(c, region)
    assert len(ctx.captured_queries) == 0
