"""The pages under the content security policy (settings.SECURE_CSP: this server only, no inline script,
no inline style but the admin's nonce'd one), in chromium: the staff home, the petition page, the
registration desk, the work queue, hot issues, the enrolment page, the admin, the API's documentation and
the portal load without a single violation, and the desk's script (a static file now) still works."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.org.models import Role, User
from xinfang.petitions import registration

from .conftest import PASSWORD, sync_api

expect = sync_api().expect
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Every violation the page reports to itself (the console shows the same as "Refused to ...").
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
    e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile}:${e.lineNumber}`));
"""


class Violations:
    """CSP violations of every page of the contexts watched: from the console and from the pages' own
    securitypolicyviolation events."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, ctx) -> None:
        ctx.add_init_script(WATCH)
        ctx.on(
            "console",
            lambda m: (
                self.found.append(f"{m.location.get('url')}: {m.text}") if "Content Security Policy" in m.text else None
            ),
        )

    def read(self, page) -> None:
        self.found += [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]


def staff_user(org: dict, username: str, role: str) -> User:
    user = User(username=username, role=role, unit=org["bureau"], display_name=username, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_every_kind_of_page_runs_under_the_policy(desk, org):
    violations = Violations()
    supervisor = staff_user(org, "supervisor", Role.SUPERVISOR)
    User.objects.filter(pk=supervisor.pk).update(is_superuser=True)  # the admin site with every model
    TOTPDevice.objects.create(user=supervisor, name="手机", confirmed=True)
    p = registration.petition_register(
        actor=org["clerk"],
        channel="letter",
        kind="suggestion",
        region=org["village_a"],
        title="村道路灯不亮",
        content="甲一村村道路灯已坏三个月，夜间出行不便。",
    )

    anonymous = desk.context()
    violations.watch(anonymous)
    page = anonymous.new_page()
    for url, heading in (("/login/", "登录信访工作台"), ("/portal/", "网上信访"), ("/portal/submit/", "我要信访")):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        violations.read(page)

    # a supervisor: password, then the code (the desk's helper), then the staff pages and the admin
    page = desk.login("supervisor")
    violations.watch(page.context)
    for url in (
        "/",
        f"/p/{p.pk}/",
        f"/p/{p.pk}/?new=1",
        "/queue/",
        "/hot/",
        "/login/enrol/",
        "/admin/",
        "/admin/org/user/",
        f"/admin/org/unit/{org['bureau'].pk}/change/",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        violations.read(page)
    # the receipt's print button, a static script now (window.print replaced to see it called)
    page.goto(f"/p/{p.pk}/?new=1")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印回执").click()
    assert page.evaluate("window.__printed === true")
    # the admin's own scripts: the action bar's "select all" ticks every row
    page.goto("/admin/org/user/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
    violations.read(page)
    # Swagger UI renders the API from its bundled files
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(re.compile(r"\S"))
    expect(page.locator(".opblock").first).to_be_visible()
    violations.read(page)

    assert violations.found == []


def test_the_desks_script_works_as_a_file(desk, org):
    violations = Violations()
    page = desk.login("clerk")
    violations.watch(page.context)
    page.goto("/register/")
    accused = page.locator("#accused")
    expect(accused).to_be_hidden()
    page.get_by_role("radio", name="检举控告类").check()  # the accused fieldset follows the kind
    expect(accused).to_be_visible()
    page.get_by_role("radio", name="建议意见类").check()
    expect(accused).to_be_hidden()
    title = page.get_by_label("标题")
    title.fill("村道路灯不亮")
    title.press("Enter")  # Enter moves on instead of submitting
    expect(page.get_by_label("反映内容")).to_be_focused()
    assert page.url.endswith("/register/")
    page.get_by_label("信访人姓名").fill("测试人甲")  # htmx panels under the policy
    expect(page.locator("#lookup")).not_to_be_empty()
    violations.read(page)
    assert violations.found == []
    # the control: an inline script injected into the page is refused, and the watch sees it
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__ran = true"; document.head.appendChild(s); }""")
    page.wait_for_function("window.__csp.length > 0")  # the event comes as a task of its own
    violations.read(page)
    assert page.evaluate("window.__ran === undefined")
    assert violations.found and all("script-src" in v for v in violations.found), violations.found
