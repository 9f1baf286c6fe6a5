"""What `make run` serves with (issue 18, points 6 and 7): gunicorn with a bounded number of workers
and threads and an access log without query strings, DEBUG off with static files still served and
plain Chinese error pages, and a random SECRET_KEY made once and kept in the data folder.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import types
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import path

from xinfang import serve
from xinfang.lib.secret_key import secret_key_for

BASE = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the secret key


def test_a_missing_key_is_made_once_at_random_private_to_its_owner(tmp_path):
    first = secret_key_for(tmp_path, create=True)
    assert first is not None and len(first) >= 50 and len(set(first)) > 20
    kept = tmp_path / "secret_key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert secret_key_for(tmp_path, create=True) == first == secret_key_for(tmp_path, create=False)
    assert secret_key_for(tmp_path / "other", create=True) != first
    assert {p.name for p in tmp_path.iterdir()} == {"secret_key", "other"}  # no draft left behind


def test_no_key_is_made_unless_asked(tmp_path):
    assert secret_key_for(tmp_path, create=False) is None and not (tmp_path / "secret_key").exists()


def test_no_key_is_made_beside_a_database_filled_under_the_development_key(tmp_path):
    """Its personal data was encrypted under keys derived from the development key: a new key would
    lock it away, so that folder keeps the development key (make run warns; make clean starts afresh)."""
    database = tmp_path / "xinfang.sqlite3"
    database.write_bytes(b"")
    assert secret_key_for(tmp_path, create=True, database=database) is None
    assert secret_key_for(tmp_path / "fresh", create=True, database=tmp_path / "fresh" / "xinfang.sqlite3")


def _settings_secret_key(data_dir: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    environ |= {"XINFANG_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "xinfang.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        env=environ,
        cwd=BASE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_settings_keep_the_key_made_on_the_first_start_of_make_run(tmp_path):
    made = _settings_secret_key(tmp_path, XINFANG_SECRET_KEY_CREATE="1")
    assert made != "dev-only-insecure-key-change-me" and (tmp_path / "secret_key").read_text().strip() == made
    assert _settings_secret_key(tmp_path, XINFANG_SECRET_KEY_CREATE="1") == made  # the next start
    assert _settings_secret_key(tmp_path) == made  # a manage.py command run by hand: the same key
    assert _settings_secret_key(tmp_path, SECRET_KEY="x" * 60) == "x" * 60  # the environment's first


# ---------------------------------------------------------------- the server


def test_make_run_serves_with_gunicorn_with_debug_off():
    makefile = (BASE / "Makefile").read_text()
    recipe = makefile.split("\nrun: demo\n", 1)[1].split("\n\n", 1)[0]
    server = makefile.split("\nserve-now:\n", 1)[1].split("\n\n", 1)[0]
    assert "DEBUG=0 $(MAKE) --no-print-directory serve-now" in recipe
    assert "gunicorn --config python:xinfang.serve xinfang.wsgi" in server
    assert "runserver" not in recipe + server
    assert re.search(r"^run: export XINFANG_SECRET_KEY_CREATE := 1$", (BASE / "Makefile").read_text(), re.M)


def test_gunicorn_bounds_the_requests_served_at_once():
    assert serve.worker_class == "gthread" and 1 <= serve.workers <= 8 and 1 <= serve.threads <= 32


def test_the_access_log_leaves_out_the_query_string():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/open311/requests.json?api_key=SECRET-TOKEN",
        "PATH_INFO": "/api/open311/requests.json",
        "QUERY_STRING": "api_key=SECRET-TOKEN",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
    }
    response = types.SimpleNamespace(status="200 OK", sent=12, headers=[])
    atoms = Logger(Config()).atoms(response, types.SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    line = serve.access_log_format % atoms
    assert '"GET /api/open311/requests.json HTTP/1.1" 200 12' in line and "SECRET" not in line


# ---------------------------------------------------------------- DEBUG off: static files, error pages


def boom(request):
    raise RuntimeError("secret detail of the failure")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
def test_a_missing_page_is_a_plain_chinese_page_without_the_url_list(settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in html and 'data-testid="error-page"' in html
    assert "URLconf" not in html and "admin/" not in html and "portal/submit" not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.test_run_server")
def test_a_server_error_is_a_plain_chinese_page_without_the_traceback(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500 and "服务器出错" in html
    assert "secret detail" not in html and "Traceback" not in html and "RuntimeError" not in html


@pytest.mark.django_db
def test_static_files_are_served_with_debug_off(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    response = Client().get("/static/portal/portal.css")  # a new client: WhiteNoise reads STATIC_ROOT anew
    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content) == (tmp_path / "static" / "portal" / "portal.css").read_bytes()
