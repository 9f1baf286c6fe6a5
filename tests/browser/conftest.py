"""Browser tests: Playwright drives Debian's chromium (/usr/bin/chromium) against pytest-django's
live_server, at the staff desktop size 1366×768.

`make test` installs chromium (apt) and the playwright package (the `test` extra); `playwright
install` is never used (it downloads a browser build, which an intranet machine cannot). Without
chromium these tests are skipped, except under CI (CI=true), where that is a failure.

The Playwright sync API keeps an asyncio event loop running in the test thread, so Django's
async-safety check would refuse every ORM call made by the test itself: DJANGO_ALLOW_ASYNC_UNSAFE is
set while the browser is up (and only then); and Django would give the thread new connections while
the loop runs, so the browser fixture hands it the ones it had. The browser is started once for this
folder and stopped after its last test; these tests run after all others.

live_server makes each test transactional (the database is flushed after it). The folder starts
from an empty database and each test's serialized rollback loads what the migrations wrote
(categories, notice templates, content types), so these tests see the same database as every
other test, whatever ran before them; running last, their flushes reach no other test.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test.testcases import LiveServerThread

from xinfang.documents import services as documents_services
from xinfang.org.models import Region, RegionLevel, Role, Unit, UnitKind, User

# One request at a time: the live server shares the test's in-memory SQLite connection, and a page's
# htmx panels asking at once would otherwise use it from several threads ("bad parameter or other API
# misuse"). The server stays threaded (keep-alive and routed fetches go on); the application is
# entered by one request at a time.
_create_server = LiveServerThread._create_server


def _create_serialized_server(self, connections_override=None):
    server = _create_server(self, connections_override)
    set_app, lock = server.set_app, threading.Lock()

    def set_serialized_app(app) -> None:
        def one_at_a_time(environ, start_response):
            with lock:
                return app(environ, start_response)

        set_app(one_at_a_time)

    server.set_app = set_serialized_app
    return server


LiveServerThread._create_server = _create_serialized_server


CHROMIUM = Path(os.environ.get("XINFANG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "walk-pass-123"
INTERNAL_SCHEMES = ("data:", "blob:", "about:", "chrome:", "chrome-extension:")
ASSET_TYPES = {"stylesheet", "script", "image", "font", "xhr", "fetch"}


def sync_api():
    """playwright.sync_api. Without the package (a venv from before it was added) the browser tests
    are skipped; under CI they fail."""
    reason = "the browser tests need the playwright package: `make install` (the `test` extra)"
    if os.environ.get("CI"):
        import playwright.sync_api

        return playwright.sync_api
    return pytest.importorskip("playwright.sync_api", reason=reason)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this folder's tests last (after pytest-django's own ordering): the browser's event loop
    then runs only while they do, and the flush after each of them reaches no other test."""
    here = Path(__file__).parent
    items.sort(key=lambda item: here in Path(str(item.path)).parents)


@pytest.fixture(scope="package", autouse=True)
def _empty_database(django_db_setup, django_db_blocker) -> None:
    """Start this folder from an empty database. An earlier transactional test's flush lets Django
    re-create content types and permissions under new ids, which the serialized rows (old ids) would
    collide with; after this flush each test's serialized rollback loads exactly what the
    migrations wrote."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)


@pytest.fixture(scope="package")
def browser():
    """One headless chromium for the whole folder."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"browser tests need Debian's chromium at {CHROMIUM} (`make test` installs it with apt-get)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; under CI they must run", pytrace=False)
        pytest.skip(reason)

    from django.db import connections

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    own = {alias: connections[alias] for alias in connections}
    pw = sync_api().sync_playwright().start()
    # While an event loop runs, Django keeps this thread's connections in a context variable
    # instead: hand it the same connection objects (the live server shares them on SQLite, and
    # they hold the serialized copy of the migrations' rows).
    for alias, connection in own.items():
        connections[alias] = connection
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
    finally:
        pw.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(autouse=True)
def _notice_kinds_fresh():
    """The notice kinds are cached per process and the live server runs in this one: start clean.
    (Passwords: tests/conftest.py's fast hasher.)"""
    documents_services.invalidate_cache()
    yield
    documents_services.invalidate_cache()


# ---------------------------------------------------------------- people at their desks


@dataclass
class Desk:
    """Browser contexts (one per person, each with its own cookies) that record every request."""

    browser: object
    base_url: str
    shots: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def context(self, locale: str = "zh-CN"):
        ctx = self.browser.new_context(base_url=self.base_url, viewport=VIEWPORT, locale=locale, accept_downloads=True)
        ctx.set_default_timeout(10_000)
        ctx.on("request", lambda r: self.requests.append(r.url))
        ctx.on("page", lambda p: p.on("pageerror", lambda e: self.errors.append(f"{p.url}: {e}")))
        ctx.on(
            "response",
            lambda r: (
                self.broken.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type in ASSET_TYPES
                else None
            ),
        )
        self.contexts.append(ctx)
        return ctx

    def login(self, username: str, locale: str = "zh-CN"):
        """A new page of a new context, logged in through the login form."""
        expect = sync_api().expect
        page = self.context(locale).new_page()
        page.goto("/login/")
        page.get_by_label(re.compile("^(用户名|User name)")).fill(username)
        page.get_by_label(re.compile("^(密码|Password)")).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(re.compile("今日工作|Today's work|两步验证|Two-step sign-in"))
        if urlsplit(page.url).path == "/login/code/":
            self.second_step(page, username)
        expect(heading).to_have_text(re.compile("今日工作|Today's work"))
        return page

    @staticmethod
    def second_step(page, username: str) -> None:
        """The sign-in's second step (administrators, supervisors, anyone with a device): the code the
        user's authenticator app shows now, computed from their device. A later time step than the one
        last used, as the app would show when the same person signs in again within 30 seconds."""
        from xinfang.org import signin

        device = signin.totp_device_for(User.objects.get(username=username))
        at = max(time.time(), device.t0 + (device.last_t + 1) * device.step)
        page.get_by_label(re.compile("^(6 位验证码|6-digit code)")).fill(signin.totp_code(device, at))
        page.get_by_role("button", name=re.compile("^(验证|Verify)$")).click()

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the live server. data: and blob: URLs stay in the page; chrome: and
        chrome-extension: are the browser's own (its PDF viewer), never the network."""
        host = urlsplit(self.base_url).netloc
        return [u for u in self.requests if not u.startswith(INTERNAL_SCHEMES) and urlsplit(u).netloc != host]

    def fits(self, page) -> None:
        """No horizontal scrolling: the page is no wider than the window (less its scrollbar)."""
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, innerWidth]"
        )
        assert widths[0] <= widths[1] <= widths[2], f"{page.url}: page wider than the window {widths}"

    def screenshot(self, page, name: str) -> Path:
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def desk(browser, live_server, tmp_path) -> Iterator[Desk]:
    shots = tmp_path / "screens"
    shots.mkdir()
    d = Desk(browser=browser, base_url=live_server.url, shots=shots)
    yield d
    for ctx in d.contexts:
        ctx.close()
    assert d.foreign_requests() == [], "every asset must come from the server itself (intranets have no internet)"
    assert d.errors == [], "JavaScript errors on the pages"
    assert d.broken == [], "assets or htmx requests that failed"


# ---------------------------------------------------------------- a small county


def org_make() -> dict:
    """测试县: its petition bureau and two townships, each with a handler and a unit head."""
    county = Region.objects.create(code="880101", name="测试县", level=RegionLevel.COUNTY)
    town_a = Region.objects.create(code="880101001", name="甲镇", level=RegionLevel.TOWNSHIP, parent=county)
    town_b = Region.objects.create(code="880101002", name="乙镇", level=RegionLevel.TOWNSHIP, parent=county)
    village_a = Region.objects.create(code="880101001001", name="甲一村", level=RegionLevel.VILLAGE, parent=town_a)
    Region.objects.create(code="880101002001", name="乙一村", level=RegionLevel.VILLAGE, parent=town_b)
    gov = Unit.objects.create(name="测试县人民政府", kind=UnitKind.GOVERNMENT, region=county)
    bureau = Unit.objects.create(name="测试县信访局", kind=UnitKind.BUREAU, region=county, parent=gov)
    office_a = Unit.objects.create(name="甲镇人民政府", kind=UnitKind.TOWNSHIP_OFFICE, region=town_a, parent=gov)
    office_b = Unit.objects.create(name="乙镇人民政府", kind=UnitKind.TOWNSHIP_OFFICE, region=town_b, parent=gov)

    def user(username: str, role: str, unit: Unit, display: str) -> User:
        u = User(username=username, role=role, unit=unit, display_name=display)
        u.set_password(PASSWORD)
        u.save()
        return u

    return {
        "county": county,
        "town_a": town_a,
        "village_a": village_a,
        "bureau": bureau,
        "office_a": office_a,
        "office_b": office_b,
        "clerk": user("clerk", Role.CLERK, bureau, "登记员小王"),
        "staff": user("staff", Role.BUREAU_STAFF, bureau, "信访局小李"),
        "handler_a": user("handler_a", Role.HANDLER, office_a, "甲镇经办人"),
        "head_a": user("head_a", Role.UNIT_HEAD, office_a, "甲镇负责人"),
        "handler_b": user("handler_b", Role.HANDLER, office_b, "乙镇经办人"),
    }


@pytest.fixture
def org(transactional_db) -> dict:
    return org_make()
