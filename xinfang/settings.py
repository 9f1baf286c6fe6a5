"""Settings for Xinfang: one module, driven by environment variables.

DATABASE_URL   postgres://user@host:5432/name for PostgreSQL; default: SQLite file in XINFANG_DATA_DIR
XINFANG_DATA_DIR   where the SQLite database and uploads live (default: ./data)
XINFANG_NOTICE_FONT, XINFANG_NOTICE_FONT_BOLD   the CJK fonts (.ttf/.otf/.ttc) embedded in PDF notices
    (default: Noto Serif CJK from Debian's fonts-noto-cjk)
XINFANG_ROUTING_MODEL, XINFANG_ROUTING_TRAINING_CSV   the category model's file (default DATA_DIR/routing/category.joblib)
    and the labeled CSV it is trained from (default ../shared/data/tipdm2020c_msg_seg/dev.csv)
CONN_MAX_AGE   seconds a database connection is kept between requests (default 600)
REDIS_URL   redis://host:6379/0 to share the cache (and the sessions cached in it) between processes
XINFANG_PORTAL_SUBMIT_RATE, XINFANG_PORTAL_TRACK_RATE   the public portal's rate limits per IP (default 20/h, 30/h)
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
    "xinfang.audit",
    "xinfang.assessment",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
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
# Public portal (xinfang.portal): POSTs per client IP address, counted in the cache (per process
# without REDIS_URL): submissions, evaluations and appeals; query-code lookups. "20/h" = 20 an hour.
# Behind a reverse proxy, XINFANG_CLIENT_IP_HEADER names the header with the client's address (HTTP_X_REAL_IP).
PORTAL_SUBMIT_RATE = os.environ.get("XINFANG_PORTAL_SUBMIT_RATE", "20/h")
PORTAL_TRACK_RATE = os.environ.get("XINFANG_PORTAL_TRACK_RATE", "30/h")
if os.environ.get("XINFANG_CLIENT_IP_HEADER"):
    RATELIMIT_IP_META_KEY = os.environ["XINFANG_CLIENT_IP_HEADER"]
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "workbench:login"

# PDF notices embed a CJK font from the machine (government intranets have no web fonts).
NOTICE_FONT = os.environ.get("XINFANG_NOTICE_FONT", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
NOTICE_FONT_BOLD = os.environ.get("XINFANG_NOTICE_FONT_BOLD", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")

# Category proposals (xinfang.routing): the trained model's file, and the labeled CSV that
# `manage.py routing_train` learns from by default (the 2020 泰迪杯 messages beside the project).
ROUTING_MODEL_PATH = Path(os.environ.get("XINFANG_ROUTING_MODEL", DATA_DIR / "routing" / "category.joblib"))
ROUTING_TRAINING_CSV = Path(os.environ.get("XINFANG_ROUTING_TRAINING_CSV",
                                           SHARED_DATA_DIR / "tipdm2020c_msg_seg" / "dev.csv"))

# Notices to petitioners by SMS and e-mail (xinfang.notify): queued with each change, sent by
# `manage.py notices_send [--loop]`. XINFANG_SMS_BACKEND: xinfang.notify.backends.ConsoleSmsBackend
# (default: prints) or ...HttpSmsBackend (JSON POST to XINFANG_SMS_GATEWAY_URL with XINFANG_SMS_GATEWAY_TOKEN,
# at most XINFANG_SMS_GATEWAY_TIMEOUT seconds). A notice is tried XINFANG_NOTIFY_MAX_ATTEMPTS times, waiting
# XINFANG_NOTIFY_RETRY_SECONDS after the first failure, doubled each time. NOTIFY_TEXTS (here only) overrides
# the wording of xinfang/notify/texts.py. XINFANG_PORTAL_URL: the tracking address the texts give.
SMS_BACKEND = os.environ.get("XINFANG_SMS_BACKEND", "xinfang.notify.backends.ConsoleSmsBackend")
SMS_GATEWAY_URL = os.environ.get("XINFANG_SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("XINFANG_SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = float(os.environ.get("XINFANG_SMS_GATEWAY_TIMEOUT", "5"))
SMS_SIGNATURE = os.environ.get("XINFANG_SMS_SIGNATURE", "【信访】")
PORTAL_URL = os.environ.get("XINFANG_PORTAL_URL", "/portal/")
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("XINFANG_NOTIFY_MAX_ATTEMPTS", "8"))
NOTIFY_RETRY_SECONDS = int(os.environ.get("XINFANG_NOTIFY_RETRY_SECONDS", "60"))
NOTIFY_TEXTS: dict[str, dict[str, str]] = {}
# E-mail (Django's MAILERS): real SMTP when the environment sets EMAIL_HOST (with EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS=1 or EMAIL_USE_SSL=1, EMAIL_TIMEOUT seconds), else printed by the console
# backend; EMAIL_BACKEND names another backend.
_email_host = os.environ.get("EMAIL_HOST", "")
_smtp = "django.core.mail.backends.smtp.EmailBackend"
_email_backend = os.environ.get("EMAIL_BACKEND") or (_smtp if _email_host else "django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": {
    "host": _email_host or "localhost", "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""), "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": os.environ.get("EMAIL_USE_TLS", "0") == "1", "use_ssl": os.environ.get("EMAIL_USE_SSL", "0") == "1",
    "timeout": float(os.environ.get("EMAIL_TIMEOUT", "10")),
} if _email_backend == _smtp else {}}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "xinfang@localhost")
