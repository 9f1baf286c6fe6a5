"""The web side of security (security issue, point 5): CSRF on every form, the security headers and the
content security policy (no inline script), production settings that `manage.py check --deploy`
passes, and uploads kept out of every served root.

Attachments' content and size checks and the download's visibility check are tested with the desk and
the portal (tests/workbench/test_registration_desk.py: test_other_content_is_refused_whatever_its_name,
test_only_those_who_may_see_the_petition_get_its_files, the size limit; tests/portal/test_portal.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.conftest import at, register, staff_login
from tests.support.desk import pdf, upload
from tests.support.production import production
from xinfang.org.models import User
from xinfang.petitions import registration

# ---------------------------------------------------------------- the templates and the URLs

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)


def project_templates() -> list[Path]:
    """Every template of the project (its own folder and each of its apps'), not Django's or packages'."""
    root = settings.BASE_DIR / "xinfang"
    folders = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    folders += [Path(a.path) / "templates" for a in apps.get_app_configs() if Path(a.path).is_relative_to(root)]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.html"))


def url_patterns(resolver: URLResolver | None = None, prefix: str = ""):
    """(route, pattern, view) of every URL the project answers, the included ones too."""
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, p.callback


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    templates = project_templates()
    assert len(templates) >= 25
    post_forms = 0
    for path in templates:
        for attrs, body in FORM.findall(path.read_text()):
            if POST.search(attrs):
                post_forms += 1
                assert "{% csrf_token %}" in body, f"{path}: a POST form without {{% csrf_token %}}"
    assert post_forms >= 10  # the desk, the petition page's actions, login, logout, language, portal, ...


def test_htmx_posts_send_the_token_in_a_header():
    base = (settings.BASE_DIR / "xinfang/workbench/templates/workbench/base.html").read_text()
    assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base
    for path in project_templates():
        text = path.read_text()
        if re.search(r"hx-(post|put|patch|delete)=", text):
            assert '{% extends "workbench/base.html" %}' in text or path.parent.name in {"partials", "routing"}, path


def test_no_view_is_exempt_from_csrf_but_the_token_authenticated_api():
    exempt = [route for route, _p, view in url_patterns() if getattr(view, "csrf_exempt", False)]
    assert exempt and all(route.startswith("api/") for route in exempt), exempt


def _sample_path(route: str, petition_pk: int) -> str:
    path = re.sub(r"<int:[^>]+>", str(petition_pk), route)
    path = re.sub(r"<slug:action>", "accept", path)
    return "/" + re.sub(r"<(?:str|slug|path):[^>]+>", "x", path)


def test_a_post_without_the_token_is_refused_everywhere(org, media):
    p = register(org, on=at(2026, 3, 2))
    clerk = Client(enforce_csrf_checks=True)
    staff_login(clerk, org.users["clerk"])
    paths = [
        _sample_path(route, p.pk)
        for route, pattern, _v in url_patterns()
        if isinstance(pattern.pattern, RoutePattern) and not route.startswith("api/")
    ]
    paths += ["/admin/login/", "/admin/logout/", "/admin/org/user/", "/admin/petitions/petition/"]
    assert len(paths) >= 30 and "/login/" in paths and "/portal/submit/" in paths
    for path in paths:
        response = clerk.post(path, {"x": "1"})
        assert response.status_code == 403 and b"CSRF" in response.content, f"{path}: {response.status_code}"
    # the same request with the token passes the check
    anonymous = Client(enforce_csrf_checks=True)
    anonymous.get("/login/")
    token = anonymous.cookies[settings.CSRF_COOKIE_NAME].value
    response = anonymous.post("/i18n/setlang/", {"language": "en", "next": "/login/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# ---------------------------------------------------------------- headers and the content security policy


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in header.split(";")) if d}


KEYWORDS = {"'self'", "'none'", "data:"}


def admin_of(org) -> User:
    """The administrator, allowed into the admin site."""
    User.objects.filter(pk=org.users["admin"].pk).update(is_staff=True)
    return User.objects.get(pk=org.users["admin"].pk)


@pytest.mark.parametrize(
    "path", ["/login/", "/", "/register/", "/portal/", "/portal/submit/", "/admin/", "/api/docs", "/login/enrol/"]
)
def test_every_page_has_a_strict_policy_and_the_security_headers(org, path):
    c = Client()
    if path != "/login/":
        staff_login(c, admin_of(org))
    response = c.get(path)
    assert response.status_code == 200, path
    csp = policy(response)
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    for directive, sources in csp.items():
        for source in sources:  # this server only: no host, no scheme but data: images, nothing unsafe
            assert source in KEYWORDS or source.startswith("'nonce-"), (directive, source)
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_templates_have_no_inline_script_style_or_event_handler():
    for path in project_templates():
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            assert "src=" in tag or 'type="application/json"' in tag, f"{path}: inline {tag}"
        assert not re.search(r"<style\b", text, re.I), f"{path}: a <style> element (move it to a .css file)"
        assert not re.search(r"""\s(on[a-z]+|style)\s*=\s*["']""", text, re.I), f"{path}: inline handler or style"
        assert "javascript:" not in text, path


def test_the_admins_nonces_are_those_of_the_policy(org):
    """The admin marks its own scripts and styles with the request's nonce ({% csp_nonce_attr %}); the
    policy names that nonce for styles (its one inline <style>) and never for scripts."""
    c = Client()
    staff_login(c, admin_of(org))
    response = c.get(f"/admin/org/unit/{org.units['bureau'].pk}/change/")
    used = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
    csp = policy(response)
    assert len(used) == 1 and csp["style-src"] == ["'self'", f"'nonce-{used.pop()}'"]
    assert csp["script-src"] == ["'self'"]


def test_a_downloaded_attachment_keeps_its_own_sandboxing_policy(org, media):
    p = register(org, on=at(2026, 3, 2), actor=org.users["town_a_clerk"])
    a = registration.attachment_add(p, actor=org.users["town_a_clerk"], file=upload("信.pdf", pdf()))
    c = Client()
    staff_login(c, org.users["town_a_clerk"])
    response = c.get(f"/p/{p.pk}/attachments/{a.pk}/")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("attachment;")


# ---------------------------------------------------------------- uploads outside every served root


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def test_stored_files_are_not_served_by_any_url(org, media):
    p = register(org, on=at(2026, 3, 2), actor=org.users["town_a_clerk"])
    a = registration.attachment_add(p, actor=org.users["town_a_clerk"], file=upload("举报信.pdf", pdf()))
    stored = Path(a.file.path)
    assert stored.is_file() and stored.is_relative_to(media)
    c = Client()
    staff_login(c, org.users["town_a_clerk"])  # even someone who may see the petition
    for url in (
        f"/media/{a.file.name}",
        f"/{settings.MEDIA_URL.strip('/')}/{a.file.name}",
        f"/static/../uploads/{a.file.name}",
        f"/{a.file.name}",
    ):
        assert c.get(url).status_code == 404, url
    assert c.get(f"/p/{p.pk}/attachments/{a.pk}/").status_code == 200  # only through the download view


def test_no_url_serves_a_folder():
    from django.views import static

    served = [
        route
        for route, _p, view in url_patterns()
        if getattr(view, "__wrapped__", view) in (static.serve, static.directory_index)
    ]
    assert served == []
    media = Path(settings.MEDIA_ROOT).resolve()
    assert not media.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert all(not media.is_relative_to(Path(d).resolve()) for d in getattr(settings, "STATICFILES_DIRS", []))


# ---------------------------------------------------------------- production settings


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with only `env` as its configuration (and a data folder of its own)."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR"}
    }
    environment = keep | {"DJANGO_SETTINGS_MODULE": "xinfang.settings", "XINFANG_DATA_DIR": str(tmp_path)} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_development_settings_lack(tmp_path):
    result = manage(tmp_path, "check", "--deploy")
    found = set(re.findall(r"security\.W\d+", result.stdout + result.stderr))
    assert {
        "security.W004",
        "security.W008",
        "security.W009",
        "security.W012",
        "security.W016",
        "security.W018",
    } <= found


@pytest.mark.parametrize(("missing", "named"), [("SECRET_KEY", "SECRET_KEY"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS")])
def test_production_refuses_to_start_without_a_key_or_hosts(tmp_path, missing, named):
    env = production()
    del env[missing]
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0 and named in result.stderr


def test_production_answers_over_https_only(tmp_path):
    script = """
from django.test import Client
c = Client(HTTP_HOST="xf.example.gov.cn")
plain = c.get("/portal/")
print("plain", plain.status_code, plain["Location"])
secure = c.get("/login/", secure=True)
print("hsts", secure["Strict-Transport-Security"])
print("cookie", secure.cookies["csrftoken"]["secure"])
"""
    result = manage(tmp_path, "shell", "-c", script, **production())
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "plain 301 https://xf.example.gov.cn/portal/" in out
    assert "hsts max-age=31536000; includeSubDomains; preload" in out
    assert "cookie True" in out
