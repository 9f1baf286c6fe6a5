"""A second small org tree (a dict of units and users) and petitions registered in it, for the workbench,
queue and supervision tests."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from tests.conftest import staff_login
from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.petitions import registration, services
from xinfang.petitions.models import (
    Channel,
    Kind,
    Petition,
    Petitioner,
)

PASSWORD = "test-pass-123"


def make_org() -> dict:
    county = Region.objects.create(code="880101", name="测试县", level=RegionLevel.COUNTY)
    town_a = Region.objects.create(code="880101001", name="甲镇", level=RegionLevel.TOWNSHIP, parent=county)
    town_b = Region.objects.create(code="880101002", name="乙镇", level=RegionLevel.TOWNSHIP, parent=county)
    village_a = Region.objects.create(code="880101001001", name="甲一村", level=RegionLevel.VILLAGE, parent=town_a)
    village_b = Region.objects.create(code="880101002001", name="乙一村", level=RegionLevel.VILLAGE, parent=town_b)
    gov = Unit.objects.create(name="测试县人民政府", kind=UnitKind.GOVERNMENT, region=county)
    bureau = Unit.objects.create(name="测试县信访局", kind=UnitKind.BUREAU, region=county, parent=gov)
    office_a = Unit.objects.create(name="甲镇人民政府", kind=UnitKind.TOWNSHIP_OFFICE, region=town_a, parent=gov)
    office_b = Unit.objects.create(name="乙镇人民政府", kind=UnitKind.TOWNSHIP_OFFICE, region=town_b, parent=gov)

    def user(username: str, role: str, unit: Unit) -> User:
        u = User(username=username, role=role, unit=unit, display_name=username)
        u.set_password(PASSWORD)
        u.save()
        return u

    return {
        "county": county,
        "town_a": town_a,
        "town_b": town_b,
        "village_a": village_a,
        "village_b": village_b,
        "gov": gov,
        "bureau": bureau,
        "office_a": office_a,
        "office_b": office_b,
        "clerk": user("clerk", Role.CLERK, bureau),
        "handler_a": user("handler_a", Role.HANDLER, office_a),
        "head_a": user("head_a", Role.UNIT_HEAD, office_a),
        "handler_b": user("handler_b", Role.HANDLER, office_b),
    }


def register(
    org: dict,
    *,
    actor: User | None = None,
    title: str = "道路积水",
    channel: str = Channel.VISIT,
    kind: str = Kind.SUGGESTION,
    region: Region | None = None,
    received_at: dt.datetime | None = None,
    priority: int = 0,
    phone: str = "",
) -> Petition:
    people = [Petitioner(name="张三", phone=phone)] if phone or kind == Kind.CLAIM else []
    return registration.petition_register(
        actor=actor or org["clerk"],
        channel=channel,
        kind=kind,
        region=region or org["village_a"],
        title=title,
        content="村口道路雨后积水，出行困难。",
        received_at=received_at,
        petitioners=people,
        priority=priority,
    )


def accepted_by_town_a(org: dict, **kwargs) -> Petition:
    """Registered by the bureau, assigned to town A, accepted there: town A owns it, being handled."""
    p = register(org, **kwargs)
    services.petition_assign(p, actor=org["clerk"], to_unit=org["office_a"], report_days=30)
    return services.petition_accept(p, actor=org["handler_a"])


def client_for(user: User) -> Client:
    c = Client()
    staff_login(c, user)
    return c


def queue_codes(page: str) -> list[str]:
    import re

    return re.findall(r'<td class="mono"><a href="/p/\d+/">([0-9A-Z]+)</a>', page)
