"""A synthetic demo county (示范县): regions down to villages, units, and a user for every role.

Every name and code here is invented (province code 99 is not assigned in GB/T 2260); the users'
names are role titles, not people.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.org.roles import ROLES_WHO_NEED_A_SECOND_FACTOR

DEMO_PASSWORD = "xinfang-demo"
# The demo administrator's and supervisor's authenticator secret (two-step sign-in): fixed and invented,
# so that `manage.py demo_totp <username>` can print the current code. Never a real user's.
DEMO_TOTP_KEY = b"Xinfang demo only!!!".hex()
DEMO_TOTP_NAME = "演示身份验证器"

TOWNSHIPS = [
    ("青石镇", "镇"),
    ("柳河镇", "镇"),
    ("东山乡", "乡"),
    ("白杨镇", "镇"),
    ("清溪乡", "乡"),
    ("南岭镇", "镇"),
    ("桃源街道", "街道"),
    ("城关街道", "街道"),
    ("双桥镇", "镇"),
    ("石门乡", "乡"),
]
VILLAGE_STEMS = ["丰收", "新民", "红旗", "光明", "和平", "长岭", "杨柳"]

DEPARTMENTS = [
    "县公安局",
    "县人力资源和社会保障局",
    "县自然资源局",
    "县住房和城乡建设局",
    "县教育局",
    "县卫生健康局",
    "县民政局",
    "县农业农村局",
    "县交通运输局",
    "县生态环境局",
    "县市场监督管理局",
    "县财政局",
    "县司法局",
    "县退役军人事务局",
    "县水利局",
    "县城市管理局",
    "县医疗保障局",
    "县应急管理局",
    "县商务局",
    "县文化旅游广电局",
    "县林业局",
    "县信访联席会议办公室",
]
STATIONED = [
    "县人社局驻信访接待中心窗口",
    "县自然资源局驻信访接待中心窗口",
    "县住建局驻信访接待中心窗口",
    "县司法局驻信访接待中心法律服务窗口",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str


def _region(code: str, name: str, level: RegionLevel, parent: Region | None, population: int) -> Region:
    region, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "population": population}
    )
    return region


def _unit(name: str, kind: str, region: Region, parent: Unit | None) -> Unit:
    unit, _ = Unit.objects.get_or_create(name=name, region=region, defaults={"kind": kind, "parent": parent})
    return unit


@transaction.atomic
def demo_county_load() -> list[DemoLogin]:
    """Create (or complete) the demo county. Safe to run again: nothing is duplicated."""
    province = _region("990000", "示范省", RegionLevel.PROVINCE, None, 40_000_000)
    city = _region("990100", "示范市", RegionLevel.CITY, province, 3_000_000)
    county = _region("990121", "示范县", RegionLevel.COUNTY, city, 420_000)

    city_gov = _unit("示范市人民政府", UnitKind.GOVERNMENT, city, None)
    _unit("示范市信访局", UnitKind.BUREAU, city, city_gov)
    county_gov = _unit("示范县人民政府", UnitKind.GOVERNMENT, county, city_gov)
    bureau = _unit("示范县信访局", UnitKind.BUREAU, county, county_gov)
    _unit("县纪委监委", UnitKind.DISCIPLINE, county, county_gov)
    _unit("县委政法委", UnitKind.POLITICAL_LEGAL, county, county_gov)
    departments = {name: _unit(name, UnitKind.DEPARTMENT, county, county_gov) for name in DEPARTMENTS}
    for name in STATIONED:
        _unit(name, UnitKind.STATIONED, county, county_gov)

    township_offices: list[Unit] = []
    village_units: list[Unit] = []
    for t, (tname, suffix) in enumerate(TOWNSHIPS, start=1):
        township = _region(f"990121{t:03d}", tname, RegionLevel.TOWNSHIP, county, 30_000 + 1_700 * t)
        office_name = f"{tname}办事处" if suffix == "街道" else f"{tname}人民政府"
        office = _unit(office_name, UnitKind.TOWNSHIP_OFFICE, township, county_gov)
        township_offices.append(office)
        for v, stem in enumerate(VILLAGE_STEMS, start=1):
            is_community = suffix == "街道"
            vname = f"{stem}社区" if is_community else f"{tname[0]}{stem}村"
            village = _region(f"990121{t:03d}{v:03d}", vname, RegionLevel.VILLAGE, township, 1_500 + 90 * v)
            committee = f"{vname}居民委员会" if is_community else f"{vname}村民委员会"
            village_units.append(_unit(committee, UnitKind.VILLAGE_COMMITTEE, village, office))

    hrss = departments["县人力资源和社会保障局"]
    logins = [
        ("admin", Role.ADMIN, bureau, "系统管理员"),
        ("clerk", Role.CLERK, bureau, "登记员（演示）"),
        ("bureau", Role.BUREAU_STAFF, bureau, "信访局工作人员（演示）"),
        ("leader", Role.LEADER, county_gov, "县领导（演示）"),
        ("supervisor", Role.SUPERVISOR, bureau, "督查人员（演示）"),
        ("dept_handler", Role.HANDLER, hrss, "人社局经办人（演示）"),
        ("dept_head", Role.UNIT_HEAD, hrss, "人社局负责人（演示）"),
        ("town_handler", Role.HANDLER, township_offices[0], "青石镇经办人（演示）"),
        ("town_head", Role.UNIT_HEAD, township_offices[0], "青石镇负责人（演示）"),
        ("village_handler", Role.HANDLER, village_units[0], "村委会经办人（演示）"),
        ("county_handler", Role.HANDLER, county_gov, "县政府复查经办人（演示）"),
        ("city_handler", Role.HANDLER, city_gov, "市政府复核经办人（演示）"),
    ]
    return [_login(username, role, unit, display) for username, role, unit, display in logins]


def _login(username: str, role: str, unit: Unit, display: str) -> DemoLogin:
    """The demo user (created once, with the demo password and, for the roles that need one, the demo
    authenticator); a demo database of an older version loses staff rights it should not have."""
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "unit": unit,
            "display_name": display,
            "is_staff": role == Role.ADMIN,
            "is_superuser": role == Role.ADMIN,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif role != Role.ADMIN and (user.is_staff or user.is_superuser):  # a demo database of an older version
        User.objects.filter(pk=user.pk).update(is_staff=False, is_superuser=False)
        user.user_permissions.clear()
    if role in ROLES_WHO_NEED_A_SECOND_FACTOR:
        TOTPDevice.objects.get_or_create(
            user=user, name=DEMO_TOTP_NAME, defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
    return DemoLogin(username, str(role.label), unit.name)


def demo_totp_device(username: str) -> TOTPDevice | None:
    """The demo authenticator of a demo user (None for anyone else: real users' codes are never printed)."""
    return TOTPDevice.objects.filter(
        user__username=username, name=DEMO_TOTP_NAME, key=DEMO_TOTP_KEY, confirmed=True
    ).first()
