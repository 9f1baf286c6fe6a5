"""Accounts and sign-in (security issue, point 4): Argon2, the lockout after failed sign-ins
(django-axes), two-step sign-in with a TOTP code (django-otp) for administrators and supervisors,
the session's limits, and every staff action attributed to its person."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import SIDE, act, at_date, owner_handler, path_to, register, staff_login
from xinfang import settings as project_settings
from xinfang.audit.models import AuditEntry
from xinfang.org import signin
from xinfang.org.models import Role, User
from xinfang.petitions import services
from xinfang.petitions.models import Kind, State

PASSWORD = "correct-horse-42"


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def signed_in_as(client: Client) -> int | None:
    return int(client.session["_auth_user_id"]) if "_auth_user_id" in client.session else None


def admin_client_of(org) -> Client:
    """The administrator (a superuser) in the admin site, both sign-in steps done."""
    User.objects.filter(pk=org.users["admin"].pk).update(is_staff=True)
    c = Client()
    staff_login(c, User.objects.get(pk=org.users["admin"].pk))
    return c


def code_for(user: User) -> str:
    return signin.totp_code(signin.totp_device_for(user))


# ---------------------------------------------------------------- passwords


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # as configured, not this file's fast one
    assert make_password("一个密码").startswith("argon2$argon2id$")


# ---------------------------------------------------------------- lockout (django-axes)


def test_five_failures_lock_the_user_name_even_for_the_right_password(org):
    clerk = with_password(org.users["clerk"])
    c = Client()
    for _ in range(4):
        response = sign_in(c, "clerk", "wrong")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    response = sign_in(c, "clerk", "wrong")  # the fifth
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已锁定" in page and "5" in page and "30 分钟" in page
    response = sign_in(c, "clerk")  # the right password: still locked
    assert response.status_code == 429 and signed_in_as(c) is None
    assert sign_in(Client(), "clerk").status_code == 429  # from another browser too
    assert User.objects.get(pk=clerk.pk).last_login is None


def test_another_user_is_not_locked(org):
    with_password(org.users["clerk"])
    with_password(org.users["bureau_staff"])
    c = Client()
    for _ in range(5):
        sign_in(c, "clerk", "wrong")
    assert sign_in(c, "clerk").status_code == 429
    response = sign_in(c, "bureau_staff")  # same browser, same address
    assert response.status_code == 302 and signed_in_as(c) == org.users["bureau_staff"].pk


def _failures_ago(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes))


def test_the_lock_ends_after_the_cool_off(org):
    with_password(org.users["clerk"])
    for _ in range(5):
        sign_in(Client(), "clerk", "wrong")
    _failures_ago(29)
    assert sign_in(Client(), "clerk").status_code == 429  # still locked (and the try renews the lock)
    _failures_ago(31)
    c = Client()
    assert sign_in(c, "clerk").status_code == 302 and signed_in_as(c) == org.users["clerk"].pk


def test_the_limit_and_cool_off_come_from_settings(org, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=10)
    with_password(org.users["clerk"])
    assert sign_in(Client(), "clerk", "wrong").status_code == 200
    response = sign_in(Client(), "clerk", "wrong")
    assert response.status_code == 429 and "10 分钟" in response.content.decode()


def test_a_success_resets_the_count(org):
    with_password(org.users["clerk"])
    for _ in range(4):
        sign_in(Client(), "clerk", "wrong")
    assert sign_in(Client(), "clerk").status_code == 302
    for _ in range(4):
        sign_in(Client(), "clerk", "wrong")
    assert sign_in(Client(), "clerk").status_code == 302


def test_the_admin_unlocks_and_it_is_in_the_audit_log(org):
    clerk = with_password(org.users["clerk"])
    for _ in range(5):
        sign_in(Client(), "clerk", "wrong")
    assert sign_in(Client(), "clerk").status_code == 429
    response = admin_client_of(org).post(
        "/admin/org/user/", {"action": "signin_unlock", "_selected_action": [clerk.pk]}, follow=True
    )
    assert "已解除锁定" in response.content.decode()
    c = Client()
    assert sign_in(c, "clerk").status_code == 302 and signed_in_as(c) == clerk.pk
    entry = AuditEntry.objects.get(object_type="org.user", object_id=str(clerk.pk), detail__what="signin_unlock")
    assert entry.actor_id == org.users["admin"].pk


# ---------------------------------------------------------------- two-step sign-in (TOTP)


@pytest.fixture
def supervisor(org) -> User:
    user = with_password(org.users["supervisor"])
    TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    return user


STAFF_PAGES = ["/", "/queue/", "/register/", "/hot/", "/admin/"]


def test_a_supervisor_gives_the_code_after_the_password(supervisor):
    c = Client()
    response = sign_in(c, "supervisor")
    assert response.status_code == 302 and signed_in_as(c) == supervisor.pk
    for url in STAFF_PAGES:  # the password alone opens nothing
        response = c.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/code/?next="), url
    assert c.get("/", headers={"HX-Request": "true"})["HX-Redirect"] == "/login/code/?next=%2F"
    page = c.get("/login/code/?next=/queue/").content.decode()
    assert "两步验证" in page and 'autocomplete="one-time-code"' in page
    response = c.post(
        "/login/code/", {"code": "000000" if code_for(supervisor) != "000000" else "111111", "next": "/queue/"}
    )
    assert response.status_code == 400 and "验证码错误" in response.content.decode()
    assert c.get("/queue/").status_code == 302
    TOTPDevice.objects.filter(user=supervisor).update(throttling_failure_count=0)  # no wait for the test
    response = c.post("/login/code/", {"code": code_for(supervisor), "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    for url in STAFF_PAGES[:-1]:
        assert c.get(url).status_code == 200, url


def test_wrong_codes_are_throttled(supervisor, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the wait after one wrong code: 10 minutes
    c = Client()
    sign_in(c, "supervisor")
    wrong = "000000" if code_for(supervisor) != "000000" else "111111"
    assert c.post("/login/code/", {"code": wrong}).status_code == 400
    response = c.post("/login/code/", {"code": code_for(supervisor)})  # right, but too soon
    assert response.status_code == 400 and re.search(r"请 \d+ 秒后再试", response.content.decode())
    assert c.get("/").status_code == 302


def test_the_next_address_stays_on_this_site(supervisor):
    c = Client()
    sign_in(c, "supervisor")
    response = c.post("/login/code/", {"code": code_for(supervisor), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_superusers_and_administrators_without_a_device_enrol_first(org):
    User.objects.filter(pk=org.users["admin"].pk).update(is_staff=True)
    admin = with_password(User.objects.get(pk=org.users["admin"].pk))
    assert admin.is_superuser and not TOTPDevice.objects.filter(user=admin).exists()
    c = Client()
    sign_in(c, "admin")
    response = c.get("/admin/")
    assert response["Location"] == "/login/enrol/?next=%2Fadmin%2F"
    assert c.get("/login/code/?next=/admin/")["Location"] == "/login/enrol/?next=%2Fadmin%2F"
    page = c.get("/login/enrol/?next=/admin/").content.decode()
    assert "<svg" in page and "<path" in page and "<script" not in page.split("<main>")[1]
    shown = re.search(r'class="mono enrol-secret">([A-Z2-7 ]+)<', page).group(1)
    secret = shown.replace(" ", "")
    pending = TOTPDevice.objects.get(user=admin)
    assert not pending.confirmed and b32decode(secret + "=" * (-len(secret) % 8)) == pending.bin_key
    assert shown in c.get("/login/enrol/").content.decode()  # the same secret when shown again
    # the code the app makes from the secret on the page
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time()
    response = c.post("/login/enrol/", {"code": f"{totp.token():06d}", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert TOTPDevice.objects.get(user=admin).confirmed
    assert c.get("/admin/").status_code == 200
    # next time: password, then the code
    c2 = Client()
    sign_in(c2, "admin")
    assert c2.get("/admin/")["Location"].startswith("/login/code/")


def test_a_stolen_password_cannot_replace_the_device(supervisor):
    c = Client()
    sign_in(c, "supervisor")
    response = c.get("/login/enrol/")
    assert response.status_code == 302 and response["Location"].startswith("/login/code/")
    assert c.post("/login/enrol/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


def test_other_roles_need_no_code_but_may_enrol(org):
    clerk = with_password(org.users["clerk"])
    c = Client()
    sign_in(c, "clerk")
    assert c.get("/").status_code == 200
    assert "两步验证" in c.get("/").content.decode()  # the link in the top bar
    assert c.get("/login/enrol/").status_code == 200
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    response = c.post("/login/enrol/", {"code": signin.totp_code(device)}, follow=True)
    assert "两步验证已开启" in response.content.decode()
    assert "已开启" in c.get("/login/enrol/").content.decode()
    c2 = Client()
    sign_in(c2, "clerk")  # from now on the clerk too gives a code
    assert c2.get("/")["Location"].startswith("/login/code/")


def test_a_verified_session_ends_when_its_device_is_removed(supervisor):
    """The device that verified a session is read from the cache, not by a query each request
    (org.middleware.CachedOTPMiddleware); removing it still ends the session's verification."""
    c = Client()
    sign_in(c, "supervisor")
    c.post("/login/code/", {"code": code_for(supervisor), "next": "/"})
    assert c.get("/queue/").status_code == 200
    TOTPDevice.objects.filter(user=supervisor).get().delete()
    assert c.get("/queue/")["Location"].startswith("/login/enrol/")


def test_the_admin_removes_a_lost_device(org, supervisor):
    admin_client_of(org).post(
        "/admin/org/user/", {"action": "totp_devices_remove", "_selected_action": [supervisor.pk]}
    )
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    c = Client()
    sign_in(c, "supervisor")
    assert c.get("/")["Location"].startswith("/login/enrol/")  # a new phone is set up at sign-in


def test_the_api_and_the_portal_are_outside_the_second_step(supervisor):
    c = Client()
    sign_in(c, "supervisor")
    assert c.get("/portal/").status_code == 200
    assert c.get("/api/petitions").status_code == 401  # the API takes tokens, never the session


def test_staff_login_completes_both_steps(org):
    for key in ("admin", "supervisor", "clerk"):
        c = Client()
        staff_login(c, org.users[key])
        assert c.get("/").status_code == 200, key


def test_the_demo_administrator_and_supervisor_have_a_demo_device(db, settings):
    from xinfang.demo.county import DEMO_TOTP_KEY, demo_county_load

    demo_county_load()
    demo_county_load()  # idempotent
    assert sorted(TOTPDevice.objects.values_list("user__username", flat=True)) == ["admin", "supervisor"]
    device = TOTPDevice.objects.get(user__username="supervisor")
    assert device.key == DEMO_TOTP_KEY and device.confirmed
    out = io.StringIO()
    call_command("demo_totp", "supervisor", stdout=out)
    assert re.fullmatch(r"\d{6}\n", out.getvalue())
    assert out.getvalue().strip() in {signin.totp_code(device, time.time() + d) for d in (-30, 0)}
    with pytest.raises(CommandError):
        call_command("demo_totp", "clerk")
    TOTPDevice.objects.create(user=User.objects.get(username="clerk"), name="自己的", confirmed=True)
    with pytest.raises(CommandError):  # a device of one's own is never printed
        call_command("demo_totp", "clerk")
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "manage.py demo_totp" in out.getvalue() and re.search(r"supervisor .*两步验证码 code: \d{6}", out.getvalue())


# ---------------------------------------------------------------- sessions


def test_the_session_cookie_ends_with_the_browser(org, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    with_password(org.users["clerk"])
    c = Client()
    response = sign_in(c, "clerk")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == "" and cookie["httponly"]


def _session_clock(c: Client, key: str, seconds_ago: int) -> None:
    session = c.session
    session[key] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_ends_8_hours_after_sign_in_however_busy(org):
    c = Client()
    staff_login(c, org.users["clerk"])
    _session_clock(c, signin.SIGNED_IN_AT_KEY, 8 * 3600 - 60)
    assert c.get("/").status_code == 200
    _session_clock(c, signin.SIGNED_IN_AT_KEY, 8 * 3600 + 60)
    response = c.get("/queue/")
    assert response["Location"] == "/login/?next=%2Fqueue%2F" and signed_in_as(c) is None
    assert "8 小时" in c.get(response["Location"]).content.decode()


def test_a_session_ends_after_30_idle_minutes(org):
    c = Client()
    staff_login(c, org.users["clerk"])
    _session_clock(c, signin.SEEN_AT_KEY, 29 * 60)
    assert c.get("/").status_code == 200
    assert time.time() - c.session[signin.SEEN_AT_KEY] < 60  # the request counted as activity
    _session_clock(c, signin.SEEN_AT_KEY, 31 * 60)
    response = c.get("/")
    assert response.status_code == 302 and signed_in_as(c) is None
    assert "30 分钟" in c.get(response["Location"]).content.decode()


# ---------------------------------------------------------------- every action names its person

EXTRA = [  # actions off the happy path: (state to start from, action, who)
    (State.FORWARDED, "return", "owner"),
    (State.ACCEPTED, "extend", "owner_head"),
    (State.ACCEPTED, "record_step", "owner"),
    (State.REEXAMINATION_REQUESTED, "hearing_start", "owner"),
]


def test_every_workflow_action_records_the_member_of_staff_who_took_it(org):
    seen: set[str] = set()

    def check(petition) -> None:
        for event in petition.events.exclude(action__in=seen):
            assert event.actor_id is not None, event.action
            user = User.objects.get(pk=event.actor_id)
            assert event.actor_label.startswith(str(user)), event.action
            seen.add(event.action)

    for state in [State.CLOSED, *SIDE]:
        check(path_to(org, state)[0])
    for state, action, who in EXTRA:
        p, day = path_to(org, state)
        actor = owner_handler(org, p)
        if who == "owner_head":
            actor = User.objects.get(unit_id=actor.unit_id, role=Role.UNIT_HEAD)
        p = act(org, action, p, actor, at_date(day + dt.timedelta(days=1)))
        assert p.events.order_by("-seq").first().actor_id == actor.pk
        if action == "hearing_start":
            act(org, "hearing_end", p, actor, at_date(day + dt.timedelta(days=2)))
        check(p)
    p, day = path_to(
        org,
        State.REGISTERED,
        kind=Kind.ACCUSATION,
        accused_unit=org.units["land"],
        accused_confirmed=False,
        actor=org.users["bureau_staff"],
    )
    check(act(org, "confirm_accused", p, org.users["bureau_staff"], at_date(day + dt.timedelta(days=1))))
    assert set(services.ACTIONS) | {"register"} <= seen, set(services.ACTIONS) - seen


def test_an_action_on_the_petition_page_is_recorded_with_the_user_signed_in(org):
    p = register(org, on=at_date(dt.date(2026, 3, 2)))
    bureau = org.users["bureau_staff"]
    c = Client()
    staff_login(c, bureau)
    response = c.post(f"/p/{p.pk}/act/forward/", {"forward-to_unit": org.units["hrss"].pk})
    assert response.status_code == 302
    last = p.events.order_by("-seq").first()
    assert last.action == "forward" and last.actor_id == bureau.pk
