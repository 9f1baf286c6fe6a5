"""Settings for Xinfang: one module, driven by environment variables.

DATABASE_URL   postgres://user@host:5432/name for PostgreSQL; default: SQLite file in XINFANG_DATA_DIR
XINFANG_DATA_DIR   where the SQLite database and uploads live (default: ./data)
XINFANG_NOTICE_FONT, XINFANG_NOTICE_FONT_BOLD   the CJK fonts (.ttf/.otf/.ttc) embedded in PDF notices
    (default: Noto Serif CJK from Debian's fonts-noto-cjk)
CONN_MAX_AGE   seconds a database connection is kept between requests (default 600)
REDIS_URL   redis://host:6379/0 to share the cache (and the sessions cached in it) between processes
SECRET_KEY, DEBUG, ALLOWED_HOSTS, TIME_ZONE as usual.
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("XINFANG_DATA_DIR", BASE_DIR / "data"))
SHARED_DATA_DIR = Path(os.environ.get("XINFANG_SHARED_DATA", BASE_DIR.parent / "shared" / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "xinfang.org",
    "xinfang.petitions",
    "xinfang.workbench",
    "xinfang.documents",
    "xinfang.oversight",
    "xinfang.notify",
    "xinfang.portal",
    "xinfang.api",
    "xinfang.routing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "xinfang.urls"
WSGI_APPLICATION = "xinfang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "xinfang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_sqlite_default = f"sqlite:///{DATA_DIR / 'xinfang.sqlite3'}"
# Connections are kept between requests (CONN_MAX_AGE seconds, default 600), checked before reuse.
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _sqlite_default,
                                              conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
                                              conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN
    # so that two writers queue instead of failing half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # petition_unit_state_idx INCLUDEs id for PostgreSQL's index-only scans; SQLite's indexes carry the rowid
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "org.User"
# Loads the user with their unit and its region in the query every request makes anyway.
AUTHENTICATION_BACKENDS = ["xinfang.org.backends.UnitBackend"]

# Sessions are read from the cache and written through to the database: a request does not pay a
# query for its session. REDIS_URL shares the cache between processes and machines; without it each
# process keeps its own copy and falls back to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
_redis = os.environ.get("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}
          if _redis else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "xinfang" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "media/"
# Attachments (附件) live under MEDIA_ROOT, which no URL serves: only the workbench's download view reads
# them, after the visibility check. At most XINFANG_ATTACHMENT_MAX_MB (default 20) megabytes per file.
ATTACHMENT_MAX_BYTES = int(os.environ.get("XINFANG_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "workbench:login"

# PDF notices embed a CJK font from the machine (government intranets have no web fonts).
NOTICE_FONT = os.environ.get("XINFANG_NOTICE_FONT", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
NOTICE_FONT_BOLD = os.environ.get("XINFANG_NOTICE_FONT_BOLD", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")
