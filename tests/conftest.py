"""Shared test helpers.

Everything here is a plain function (`org_build`, `at`, `register`, `act`, `path_to`, ...) so that
hypothesis tests can call it per example or once per class (hypothesis.extra.django.TestCase's
setUpTestData); the pytest fixtures below are thin wrappers for ordinary tests.

The org tree (GB/T 2260 style codes; province 99 is not assigned):

    示范省 990000
      示范市 990100                 市人民政府 (parent: none), 市信访局
        示范县 990121               县人民政府 (parent: 市政府), 县信访局, 县纪委监委, 县人社局, 县自然资源局
          青石镇 990121001          青石镇人民政府 (parent: 县政府)
            丰收村 990121001001     丰收村村民委员会 (parent: 青石镇政府)
          柳河镇 990121002          柳河镇人民政府 (parent: 县政府)
            新民村 990121002001     新民村村民委员会 (parent: 柳河镇政府)
        邻县 990122                 邻县人民政府 (parent: 市政府), 邻县信访局
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, settings

from tests.support.routing import corpus
from xinfang.org import calendar
from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User
from xinfang.petitions import registration, rules, services
from xinfang.petitions.models import Kind, Petition, Petitioner, State
from xinfang.routing import classifier
from xinfang.routing import services as routing_services

# ---------------------------------------------------------------- hypothesis profiles

settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# ---------------------------------------------------------------- passwords

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Every test hashes passwords with MD5: the project's Argon2 (settings.PASSWORD_HASHERS) costs about
    0.75 s a hash on this machine, and the tests create and sign in hundreds of users.
    tests/org/test_accounts.py::test_passwords_are_hashed_with_argon2 checks the production hasher."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        yield


# ---------------------------------------------------------------- caches


@pytest.fixture(autouse=True)
def _fresh_caches():
    """rules.period(), calendar.is_workday(), the unit and region pickers and the notice kinds are
    cached per process; the save signals clear them, but a test's rollback does not. Start and end
    every test clean."""
    _caches_clear()
    yield
    _caches_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (zh-hans). A page asked for in English activates English
    for the thread, and Django does not switch back after the response; refusals and action labels go
    through gettext, so without this a later test would see them in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


_model_files = itertools.count()


@pytest.fixture(autouse=True)
def _no_category_model(settings, tmp_path_factory):
    """No category model (xinfang.routing) unless a test installs one: never the one `make run` trained
    into DATA_DIR, so that what a page does and costs does not depend on the machine."""
    settings.ROUTING_MODEL_PATH = tmp_path_factory.getbasetemp() / f"category-{next(_model_files)}.joblib"
    # one embedding cache for the whole run (each string embedded once), never DATA_DIR's
    settings.ROUTING_EMBEDDING_CACHE = tmp_path_factory.getbasetemp() / "embeddings.npz"
    classifier.model_forget()
    yield
    classifier.model_forget()


def _caches_clear() -> None:
    from django.core.cache import cache

    from xinfang.documents import services as documents
    from xinfang.org import selectors as org_selectors
    from xinfang.petitions import categories

    for invalidate in (
        rules.invalidate_cache,
        calendar.invalidate_cache,
        org_selectors.invalidate_cache,
        documents.invalidate_cache,
        categories.invalidate_cache,
    ):
        invalidate()
    cache.clear()


# ---------------------------------------------------------------- dates

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime on a local (Beijing time) day: what the services' `at` expects."""
    return dt.datetime(y, m, d, hour, minute, tzinfo=TZ)


def at_date(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


D = dt.date
CJK = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(message: str) -> bool:
    return bool(CJK.search(message))


# ---------------------------------------------------------------- org tree


@dataclass
class Org:
    regions: dict[str, Region] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str):
        # org.town_a (unit), org.u_town_a_handler (user), org.r_town_a (region)
        if name.startswith("__"):
            raise AttributeError(name)
        for prefix, table in (("u_", "users"), ("r_", "regions")):
            found = self.__dict__.get(table, {})
            if name.startswith(prefix) and name[len(prefix) :] in found:
                return found[name[len(prefix) :]]
        if name in self.__dict__.get("units", {}):
            return self.__dict__["units"][name]
        raise AttributeError(name)

    def user(self, unit_key: str, role: str) -> User:
        """The user of `unit_key` with `role`, created on first use."""
        key = f"{unit_key}_{role}"
        if key not in self.users:
            self.users[key] = user_make(self.units[unit_key], role, key)
        return self.users[key]

    def unit_key(self, unit_id: int) -> str:
        return next(k for k, u in self.units.items() if u.pk == unit_id)


def region_make(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent)


def unit_make(name: str, kind: str, region: Region, parent: Unit | None = None) -> Unit:
    return Unit.objects.create(name=name, kind=kind, region=region, parent=parent)


def user_make(unit: Unit | None, role: str, username: str, **kw) -> User:
    return User.objects.create(username=username, unit=unit, role=role, display_name=username, **kw)


def staff_login(client, user: User) -> None:
    """Sign `user` in on the test client as a member of staff would be after every sign-in step: the
    password (force_login) and, when a code is due (administrators, supervisors, superusers, anyone
    with a device), the second step, with a device made for the purpose if the user has none. The
    real steps through the pages are tested in tests/org/test_accounts.py."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xinfang.org import signin

    client.force_login(user)
    session = client.session
    if signin.second_factor_due(user, session):
        device = signin.totp_device_for(user) or TOTPDevice.objects.create(user=user, name="测试", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client (a superuser), signed in with both steps."""
    from django.test import Client

    client = Client()
    staff_login(client, admin_user)
    return client


# (key, name, kind, region key, parent unit key)
UNITS = [
    ("city_gov", "示范市人民政府", UnitKind.GOVERNMENT, "city", None),
    ("city_bureau", "示范市信访局", UnitKind.BUREAU, "city", "city_gov"),
    ("county_gov", "示范县人民政府", UnitKind.GOVERNMENT, "county", "city_gov"),
    ("bureau", "示范县信访局", UnitKind.BUREAU, "county", "county_gov"),
    ("discipline", "县纪委监委", UnitKind.DISCIPLINE, "county", "county_gov"),
    ("hrss", "县人力资源和社会保障局", UnitKind.DEPARTMENT, "county", "county_gov"),
    ("land", "县自然资源局", UnitKind.DEPARTMENT, "county", "county_gov"),
    ("town_a", "青石镇人民政府", UnitKind.TOWNSHIP_OFFICE, "town_a", "county_gov"),
    ("town_b", "柳河镇人民政府", UnitKind.TOWNSHIP_OFFICE, "town_b", "county_gov"),
    ("village_a", "丰收村村民委员会", UnitKind.VILLAGE_COMMITTEE, "village_a", "town_a"),
    ("village_b", "新民村村民委员会", UnitKind.VILLAGE_COMMITTEE, "village_b", "town_b"),
    ("other_gov", "邻县人民政府", UnitKind.GOVERNMENT, "other_county", "city_gov"),
    ("other_bureau", "邻县信访局", UnitKind.BUREAU, "other_county", "other_gov"),
]

# (key, unit key, role)
USERS = [
    ("admin", "bureau", Role.ADMIN),
    ("clerk", "bureau", Role.CLERK),
    ("bureau_staff", "bureau", Role.BUREAU_STAFF),
    ("supervisor", "bureau", Role.SUPERVISOR),
    ("leader", "county_gov", Role.LEADER),
    ("city_bureau_staff", "city_bureau", Role.BUREAU_STAFF),
    ("other_bureau_staff", "other_bureau", Role.BUREAU_STAFF),
]
HANDLER_UNITS = [
    "city_gov",
    "county_gov",
    "bureau",
    "discipline",
    "hrss",
    "land",
    "town_a",
    "town_b",
    "village_a",
    "village_b",
    "other_gov",
]


def org_build() -> Org:
    """The whole tree above, with a handler and a unit head in every working unit."""
    org = Org()
    r = org.regions
    r["province"] = region_make("990000", "示范省", RegionLevel.PROVINCE, None)
    r["city"] = region_make("990100", "示范市", RegionLevel.CITY, r["province"])
    r["county"] = region_make("990121", "示范县", RegionLevel.COUNTY, r["city"])
    r["town_a"] = region_make("990121001", "青石镇", RegionLevel.TOWNSHIP, r["county"])
    r["town_b"] = region_make("990121002", "柳河镇", RegionLevel.TOWNSHIP, r["county"])
    r["village_a"] = region_make("990121001001", "丰收村", RegionLevel.VILLAGE, r["town_a"])
    r["village_b"] = region_make("990121002001", "新民村", RegionLevel.VILLAGE, r["town_b"])
    r["other_county"] = region_make("990122", "邻县", RegionLevel.COUNTY, r["city"])
    for key, name, kind, region, parent in UNITS:
        org.units[key] = unit_make(name, kind, r[region], org.units[parent] if parent else None)
    for key, unit, role in USERS:
        org.users[key] = user_make(org.units[unit], role, key, is_superuser=role == Role.ADMIN)
    for unit in HANDLER_UNITS:
        org.user(unit, Role.HANDLER)
        org.user(unit, Role.UNIT_HEAD)
    org.users["town_a_clerk"] = user_make(org.units["town_a"], Role.CLERK, "town_a_clerk")
    org.users["town_b_clerk"] = user_make(org.units["town_b"], Role.CLERK, "town_b_clerk")
    return org


def handler(org: Org, unit_key: str) -> User:
    return org.user(unit_key, Role.HANDLER)


def head(org: Org, unit_key: str) -> User:
    return org.user(unit_key, Role.UNIT_HEAD)


# ---------------------------------------------------------------- petitions


def register(
    org: Org,
    *,
    on: dt.datetime,
    actor: User | None = None,
    kind: str = Kind.SUGGESTION,
    region: Region | None = None,
    **kw,
) -> Petition:
    """A petition registered by `actor` (default: the county bureau's clerk) at `on`."""
    actor = actor or org.users["clerk"]
    if kind == Kind.CLAIM and "petitioners" not in kw:
        kw["petitioners"] = [Petitioner(name="张三", phone="13800000000")]
    return registration.petition_register(
        actor=actor,
        channel="visit",
        kind=kind,
        region=region or org.regions["village_a"],
        title=kw.pop("title", "村道损坏"),
        content=kw.pop("content", "村道损坏，请求维修。"),
        at=on,
        **kw,
    )


def default_kwargs(org: Org, action: str, petition: Petition) -> dict:
    """Valid data for each action (the actor and date are given separately)."""
    owner = petition.owner_unit_id
    decision = {"outcome": "support", "measure": "resolved", "text": "经调查，诉求合理，予以支持。"}
    return {
        "confirm_accused": {"accused_unit": org.units["land"] if owner != org.units["land"].pk else org.units["hrss"]},
        "accept": {},
        "decline": {"reason": "not_competent"},
        "forward": {"to_unit": org.units["land"] if owner == org.units["hrss"].pk else org.units["hrss"]},
        "assign": {
            "to_unit": org.units["town_b"] if owner == org.units["town_a"].pk else org.units["town_a"],
            "report_days": 30,
        },
        "redirect": {"channel": "litigation"},
        "return": {"reason": "不属于本单位职权范围"},
        "extend": {"days": 10, "reason": "需要现场勘查"},
        "record_step": {"note": "已电话联系信访人"},
        "decide": decision,
        "evaluate": {"satisfaction": "satisfied"},
        "request_review": {},
        "review_decide": decision,
        "request_reexamination": {},
        "hearing_start": {},
        "hearing_end": {},
        "reexamine_decide": decision,
        "close": {"waived": True},
    }[action]


def act(org: Org, action: str, petition: Petition, actor: User, on: dt.datetime, **kw) -> Petition:
    """Call the service for `action` with valid default data, overridden by `kw`."""
    petition.refresh_from_db()
    return services.ACTIONS[action](petition, actor=actor, at=on, **(default_kwargs(org, action, petition) | kw))


def owner_handler(org: Org, petition: Petition) -> User:
    petition.refresh_from_db()
    return handler(org, org.unit_key(petition.owner_unit_id))


# The happy path from registration to every state: (action, actor key or "owner", day offset).
# The clerk of the county bureau registers on day 0; the bureau forwards to 县人社局, which handles it;
# review goes up to the county government and reexamination to the city government.
PATH = [
    ("forward", "bureau_staff", 1, State.FORWARDED),
    ("accept", "owner", 2, State.ACCEPTED),
    ("decide", "owner", 10, State.DECIDED),
    ("evaluate", "clerk", 11, State.EVALUATED),
    ("request_review", "clerk", 12, State.REVIEW_REQUESTED),
    ("review_decide", "owner", 20, State.REVIEWED),
    ("request_reexamination", "clerk", 21, State.REEXAMINATION_REQUESTED),
    ("reexamine_decide", "owner", 30, State.REEXAMINED),
    ("close", "owner", 31, State.CLOSED),
]
SIDE = {
    State.ASSIGNED: [("assign", "bureau_staff", 1, State.ASSIGNED)],
    State.DECLINED: [("decline", "bureau_staff", 1, State.DECLINED)],
    State.REDIRECTED: [("redirect", "bureau_staff", 1, State.REDIRECTED)],
}


FIRST_MONDAY = D(2026, 3, 2)  # a workday: the default start of path_to


def path_to(
    org: Org, state: str, *, start: dt.date = FIRST_MONDAY, kind: str = Kind.CLAIM, **register_kw
) -> tuple[Petition, dt.date]:
    """A petition brought to `state` along the happy path; returns it and the day of the last step."""
    p = register(org, on=at_date(start), kind=kind, **register_kw)
    day = start
    if state == State.REGISTERED:
        steps = []
    elif state in SIDE:
        steps = SIDE[state]
    else:
        steps = PATH[: [s for *_, s in PATH].index(state) + 1]
    for action, who, offset, expected in steps:
        day = start + dt.timedelta(days=offset)
        actor = owner_handler(org, p) if who == "owner" else org.users[who]
        p = act(org, action, p, actor, at_date(day))
        assert p.state == expected
    p.refresh_from_db()
    return p, day


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def org(db) -> Org:
    return org_build()


# ---------------------------------------------------------------- a category model (xinfang.routing)


@pytest.fixture(scope="session")
def trained_model_file(tmp_path_factory) -> Path:
    texts, labels = corpus()
    path = tmp_path_factory.mktemp("routing") / "category.joblib"
    routing_services.category_model_train(texts, labels, source="synthetic", path=path, record=False)
    return path


@pytest.fixture
def category_model(settings, trained_model_file, tmp_path) -> classifier.CategoryModel:
    """The category model trained on the synthetic corpus (once a run), installed for this test as a copy
    of its own: a test that retrains (routing_train) overwrites its copy, not the next test's model."""
    settings.ROUTING_MODEL_PATH = tmp_path / "category.joblib"
    shutil.copyfile(trained_model_file, settings.ROUTING_MODEL_PATH)
    classifier.model_forget()
    return classifier.model_current()
