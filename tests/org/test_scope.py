"""The one scope rule (xinfang.org.scope.scope_for): which units and regions each role reaches, and that
every surface (petition list, statistics, dashboard roll-ups, reports, supervision list, the ranking's
rectification notices, the API's list) gives the same answer as the Scope for a user of each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.conftest import D, at, handler, user_make
from xinfang.api.selectors import PetitionFilter, petition_filtered_for
from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.models import Rule, RuleFiring
from xinfang.assessment.selectors import explanation_visible_to, fact_sums, place_sums, rule_firings_for
from xinfang.org.models import Region, Role, Unit
from xinfang.org.scope import Scope, scope_for
from xinfang.oversight.models import Supervision, SupervisionMode
from xinfang.oversight.selectors import supervision_list_for
from xinfang.petitions import registration
from xinfang.petitions.models import Kind
from xinfang.petitions.selectors import petition_list_for
from xinfang.reports.models import Report
from xinfang.reports.schedule import ReportKind
from xinfang.reports.selectors import report_list_for

pytestmark = pytest.mark.django_db

COUNTY_UNITS = {"county_gov", "bureau", "discipline", "hrss", "land", "town_a", "town_b", "village_a", "village_b"}
COUNTY_REGIONS = {"county", "town_a", "town_b", "village_a", "village_b"}
OTHER_COUNTY_UNITS = {"other_gov", "other_bureau"}
ALL_UNITS = COUNTY_UNITS | OTHER_COUNTY_UNITS | {"city_gov", "city_bureau"}
CITY_REGIONS = COUNTY_REGIONS | {"city", "other_county"}
ALL_REGIONS = CITY_REGIONS | {"province"}

# user key (conftest's org; "plain_admin": the admin role without superuser, "root": a superuser without a
# unit, "nobody": a handler without a unit) → (the units it reaches, the regions it reaches)
RULE = {
    "admin": (ALL_UNITS, ALL_REGIONS),
    "plain_admin": (ALL_UNITS, ALL_REGIONS),
    "root": (ALL_UNITS, ALL_REGIONS),
    "bureau_staff": (COUNTY_UNITS, COUNTY_REGIONS),
    "supervisor": (COUNTY_UNITS, COUNTY_REGIONS),
    "leader": (COUNTY_UNITS, COUNTY_REGIONS),
    "city_bureau_staff": (ALL_UNITS, CITY_REGIONS),
    "other_bureau_staff": (OTHER_COUNTY_UNITS, {"other_county"}),
    "clerk": ({"bureau"}, set()),
    "town_a_clerk": ({"town_a"}, set()),
    "town_a_handler": ({"town_a"}, set()),
    "town_a_unit_head": ({"town_a"}, set()),
    "hrss_unit_head": ({"hrss"}, set()),
    "discipline_handler": ({"discipline"}, set()),
    "village_b_handler": ({"village_b"}, set()),
    "city_gov_handler": ({"city_gov"}, set()),
    "nobody": (set(), set()),
}

# (the unit whose handler registers it, and so owns it; where it is placed): own rows inside and outside
# the unit's area, and rows of other units placed inside it
PETITIONS = [
    ("town_a", "village_a"),
    ("town_a", "other_county"),
    ("hrss", "town_b"),
    ("village_b", "village_b"),
    ("other_gov", "village_b"),
    ("other_gov", "other_county"),
    ("city_gov", "city"),
]
MONTH = D(2026, 3, 1)


def _extra_users(org) -> None:
    org.users["plain_admin"] = user_make(org.bureau, Role.ADMIN, "plain_admin")
    org.users["root"] = user_make(None, Role.HANDLER, "root", is_superuser=True)
    org.users["nobody"] = user_make(None, Role.HANDLER, "nobody")


def _reached(org, scope: Scope) -> tuple[set[str], set[str]]:
    units = {k for k, u in org.units.items() if scope.reaches_unit(u)}
    return units, {k for k, r in org.regions.items() if scope.reaches_region(r)}


@pytest.mark.parametrize("key", RULE)
def test_each_role_reaches_these_units_and_regions(org, key):
    _extra_users(org)
    scope = scope_for(org.users[key])
    units, regions = RULE[key]
    assert _reached(org, scope) == (units, regions)
    unit_keys = {org.unit_key(pk) for pk in scope.units(Unit.objects, "").values_list("pk", flat=True)}
    assert unit_keys == units
    region_pks = set(scope.regions(Region.objects, "").values_list("pk", flat=True))
    assert region_pks == {org.regions[k].pk for k in regions}


def test_inactive_and_anonymous_users_reach_nothing(org):
    org.u_admin.is_active = False
    for user in (AnonymousUser(), org.u_admin):
        scope = scope_for(user)
        assert scope == Scope() and scope.nothing and not scope.reaches_regions
        assert _reached(org, scope) == (set(), set())
        assert not scope.units(Unit.objects, "").exists() and not scope.regions(Region.objects, "").exists()


@pytest.fixture
def world(org):
    """conftest's org with PETITIONS registered in March 2026, the month's statistics built, and one
    report, one unit supervision and one rectification notice per region or unit, one supervision per
    petition."""
    _extra_users(org)
    petitions = [
        registration.petition_register(
            actor=handler(org, unit),
            channel="visit",
            kind=Kind.SUGGESTION,
            region=org.regions[region],
            title="村道损坏",
            content="村道损坏，请求维修。",
            at=at(2026, 3, 2 + i),
        )
        for i, (unit, region) in enumerate(PETITIONS)
    ]
    aggregates_rebuild(MONTH, today=D(2026, 4, 1))
    for region in org.regions.values():
        Report.objects.create(
            kind=ReportKind.DAILY,
            region=region,
            period_start=MONTH,
            period_end=MONTH,
            title=region.name,
            built_at=at(2026, 3, 2),
            docx=b"",
            pdf=b"",
        )
    supervision = {
        "mode": SupervisionMode.ONLINE,
        "reason": "久拖不决",
        "requirement": "限期答复",
        "answer_due_on": D(2026, 4, 1),
        "opened_at": at(2026, 3, 10),
    }
    for unit in org.units.values():
        Supervision.objects.create(unit=unit, **supervision)
        RuleFiring.objects.create(month=MONTH, unit=unit, rule=Rule.RECTIFICATION)
    for p in petitions:
        Supervision.objects.create(petition=p, unit_id=p.owner_unit_id, **supervision)
    return org, petitions


def _expected_petitions(scope: Scope, petitions) -> set[int]:
    """The Scope's answer for petitions: the user's own unit's, and those placed in the region reached."""
    return {
        p.pk
        for p in petitions
        if scope.everything or p.owner_unit_id == scope.unit_id or scope.reaches_region(p.region)
    }


@pytest.mark.parametrize("key", RULE)
def test_every_surface_gives_the_scopes_answer(world, key):
    org, petitions = world
    user = org.users[key]
    scope = scope_for(user)
    units = {u.pk for u in org.units.values() if scope.reaches_unit(u)}
    regions = {r.pk for r in org.regions.values() if scope.reaches_region(r)}
    visible = _expected_petitions(scope, petitions)
    by_pk = {p.pk: p for p in petitions}

    assert set(petition_list_for(user).values_list("pk", flat=True)) == visible
    assert set(petition_filtered_for(user, PetitionFilter()).values_list("pk", flat=True)) == visible

    facts = fact_sums(user, start=MONTH, end=D(2026, 4, 1), group_by=("unit", "region"), measures=("received",))
    assert {(r["unit"], r["region"]) for r in facts if r["received"]} == {
        (by_pk[pk].owner_unit_id, by_pk[pk].region_id) for pk in visible
    }
    places = place_sums(
        user, start=MONTH, end=D(2026, 4, 1), by_day=False, group_by=("region",), measures=("received",)
    )
    assert {r["region"] for r in places if r["received"]} == {p.region_id for p in petitions if p.region_id in regions}

    assert set(report_list_for(user).values_list("region_id", flat=True)) == regions

    rows = list(supervision_list_for(user).values_list("petition_id", "unit_id"))
    assert {unit for petition, unit in rows if petition is None} == units
    assert {petition for petition, _ in rows if petition is not None} == visible

    assert set(rule_firings_for(user).values_list("unit_id", flat=True)) == units


@pytest.mark.parametrize("key", ["bureau_staff", "leader", "supervisor", "other_bureau_staff", "admin", "clerk"])
def test_the_ranking_is_shown_whole_to_the_roles_who_see_it_wider_than_their_scope(org, key):
    """The monthly ranking is a published bulletin: its roles (and superusers) see every unit's explanation,
    also units their scope does not reach; everyone else their own unit's only (today's rule, kept)."""
    user = org.users[key]
    whole = key != "clerk"
    seen = {k for k, u in org.units.items() if explanation_visible_to(user, u)}
    assert seen == (ALL_UNITS if whole else {"bureau"})
