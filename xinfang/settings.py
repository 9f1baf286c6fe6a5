"""Settings for Xinfang: one module, driven by environment variables.

DATABASE_URL   postgres://user@host:5432/name for PostgreSQL; default: SQLite file in XINFANG_DATA_DIR
XINFANG_DATA_DIR   where the SQLite database and uploads live (default: ./data)
XINFANG_NOTICE_FONT, XINFANG_NOTICE_FONT_BOLD   the CJK fonts (.ttf/.otf/.ttc) embedded in PDF notices
    (default: Noto Serif CJK from Debian's fonts-noto-cjk)
XINFANG_ROUTING_MODEL, XINFANG_ROUTING_TRAINING_CSV   the category model's file (default DATA_DIR/routing/category.joblib)
    and the labeled CSV it is trained from (default datasets/tipdm2020c_msg_seg/dev.csv.gz)
XINFANG_TASK_BROKER   redis://… or amqp://… to run background tasks on Celery (default: in the database; see below)
XINFANG_DATASETS   the folder of the data sets (default: datasets/ in the repository; datasets/README.md)
XINFANG_ROUTING_SECOND_READING=0   train the category model without its second reading (sentence embeddings)
XINFANG_ROUTING_EMBEDDING_CACHE   the embeddings of training texts (default DATA_DIR/routing/embeddings.npz)
CONN_MAX_AGE   seconds a database connection is kept between requests (default 600)
REDIS_URL   redis://host:6379/0 to share the cache (and the sessions cached in it) between processes;
    without it the rate limits are shared through the database (CACHES["limits"])
XINFANG_PORTAL_SUBMIT_RATE, XINFANG_PORTAL_TRACK_RATE   the public portal's rate limits per IP (default 20/h, 30/h)
XINFANG_PORTAL_RECEIPT_MINUTES   how long the receipt of a portal submission is shown (default 15)
XINFANG_DATA_KEYS, XINFANG_LOOKUP_KEY   keys of the personal data at rest (see below)
XINFANG_API_PERSONAL_PER_HOUR   petitions with unmasked personal data one API client may read an hour (default 300)
SECRET_KEY (else DATA_DIR/secret_key, which XINFANG_SECRET_KEY_CREATE=1 makes), DEBUG, ALLOWED_HOSTS, TIME_ZONE as usual.
XINFANG_PRODUCTION=1, XINFANG_LOGIN_*, XINFANG_SESSION_*, XINFANG_PROXY_SSL_HEADER, XINFANG_HSTS_SECONDS   the
    security section at the end (sign-in, sessions, headers, content security policy, production)
"""

import os
from pathlib import Path

import dj_database_url

from xinfang.lib.secret_key import secret_key_for

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("XINFANG_DATA_DIR", BASE_DIR / "data"))
DATASETS_DIR = Path(os.environ.get("XINFANG_DATASETS", BASE_DIR / "datasets"))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# SECRET_KEY: the environment's; else the one kept in DATA_DIR/secret_key, which `make run`
# (XINFANG_SECRET_KEY_CREATE=1) makes at random on its first start (not beside a SQLite database filled
# before under the development key: its personal data would no longer open; xinfang.lib.secret_key);
# else the public development key (tests, a bare `manage.py`). It derives the demo's personal-data keys.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = (
    os.environ.get("SECRET_KEY")
    or secret_key_for(
        DATA_DIR,
        create=os.environ.get("XINFANG_SECRET_KEY_CREATE") == "1",
        database=None if os.environ.get("DATABASE_URL") else DATA_DIR / "xinfang.sqlite3",
    )
    or DEV_SECRET_KEY
)
DEBUG = os.environ.get("DEBUG", "1") == "1"  # `make run` serves with DEBUG=0
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "xinfang.org.adminsite.XinfangAdminConfig",  # django.contrib.admin, closed to all but administrators
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
    "xinfang.reports",  # scheduled reports (日统计、单周研判、双周通报、月点评)
    "xinfang.lab",  # evaluation harnesses (*_evaluate commands)
    "xinfang.demo",  # the demo county, its logins and the petition generator (manage.py load_demo)
    "xinfang.schedule",  # the one schedule of periodic background work (定时任务)
    "django_tasks_db",  # the embedded task queue: tasks wait in the database (manage.py tasks_worker)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, also with DEBUG off (gunicorn in `make run`)
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # SECURE_CSP, in the security section below
    "xinfang.lib.request_input.RequestInputMiddleware",  # NUL, lone surrogates, big or unreadable bodies: 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xinfang.org.middleware.CachedOTPMiddleware",  # django_otp's: user.is_verified(), the session gave its TOTP code
    "django.contrib.messages.middleware.MessageMiddleware",
    "xinfang.audit.middleware.AuditExportMiddleware",  # every file handed over (export) in the audit log
    "xinfang.org.middleware.SessionLimitMiddleware",  # 8 hours after sign-in, 30 minutes idle
    "xinfang.org.middleware.SecondFactorMiddleware",  # no page before the code (administrators, supervisors)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: the lockout page
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
                "django.template.context_processors.csp",  # csp_nonce (the admin's one <style>)
            ],
        },
    },
]

_sqlite_default = f"sqlite:///{DATA_DIR / 'xinfang.sqlite3'}"
# Connections are kept between requests (CONN_MAX_AGE seconds, default 600), checked before reuse.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _sqlite_default,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
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
# django-axes first: it refuses a locked user name before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "xinfang.org.backends.UnitBackend"]

# Sessions are read from the cache and written through to the database: a request does not pay a
# query for its session. REDIS_URL shares the cache between processes and machines; without it each
# process keeps its own copy and falls back to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
_redis = os.environ.get("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}
    if _redis
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# The rate limits (the portal's, the API's reads of personal data) count in a cache every process shares:
# Redis with REDIS_URL, else the database (its table made by org's migration 0002), with an atomic increment.
CACHES["limits"] = (
    CACHES["default"] if _redis else {"BACKEND": "xinfang.lib.dbcache.AtomicDatabaseCache", "LOCATION": "xinfang_cache"}
)
RATELIMIT_USE_CACHE = "limits"
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
STATIC_ROOT = DATA_DIR / "static"  # `make run` collects the static files here; WhiteNoise serves them
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "media/"
# Attachments (附件) live under MEDIA_ROOT, which no URL serves: only the workbench's download view reads
# them, after the visibility check. At most XINFANG_ATTACHMENT_MAX_MB (default 20) megabytes per file.
ATTACHMENT_MAX_BYTES = int(os.environ.get("XINFANG_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024
# Public portal (xinfang.portal): POSTs per client IP address, counted in CACHES["limits"] (shared by
# every process: Redis or the database): submissions, evaluations and appeals; query-code lookups. "20/h" = 20 an hour.
# Behind a reverse proxy, XINFANG_CLIENT_IP_HEADER names the header with the client's address (HTTP_X_REAL_IP).
PORTAL_SUBMIT_RATE = os.environ.get("XINFANG_PORTAL_SUBMIT_RATE", "20/h")
PORTAL_TRACK_RATE = os.environ.get("XINFANG_PORTAL_TRACK_RATE", "30/h")
# The receipt of a portal submission is shown only in the browser that sent the form, for
# XINFANG_PORTAL_RECEIPT_MINUTES (15) after sending; later, the query code and phone find the petition.
PORTAL_RECEIPT_MINUTES = int(os.environ.get("XINFANG_PORTAL_RECEIPT_MINUTES", "15"))
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

# Personal data at rest (xinfang.petitions.crypto, docs/security.md): petitioners' phone, ID number and
# address are encrypted with XINFANG_DATA_KEYS (comma-separated Fernet keys, newest first: the first
# encrypts, all decrypt; rotate with `manage.py personal_data_rekey`) and found by keyed hashes under
# XINFANG_LOOKUP_KEY. Unset: both derived from SECRET_KEY (demo and tests; a check warns when DEBUG is off).
DATA_KEYS = [k.strip() for k in os.environ.get("XINFANG_DATA_KEYS", "").split(",") if k.strip()]
LOOKUP_KEY = os.environ.get("XINFANG_LOOKUP_KEY", "")

# The API (xinfang.api.personal): a client with personal:read is given the unmasked personal data of at
# most this many petitions per clock hour (ApiClient.personal_per_hour overrides it per client); beyond,
# 429 with Retry-After. Each answer that carries such data is one row of the audit log.
API_PERSONAL_PER_HOUR = int(os.environ.get("XINFANG_API_PERSONAL_PER_HOUR", "300"))

# Category proposals (xinfang.routing): the trained model's file, and the labeled CSV that
# `manage.py routing_train` learns from by default (the 2020 泰迪杯 messages in datasets/).
ROUTING_MODEL_PATH = Path(os.environ.get("XINFANG_ROUTING_MODEL", DATA_DIR / "routing" / "category.joblib"))
ROUTING_TRAINING_CSV = Path(
    os.environ.get("XINFANG_ROUTING_TRAINING_CSV", DATASETS_DIR / "tipdm2020c_msg_seg" / "dev.csv.gz")
)
# The second reading of unsure texts by sentence embeddings (xinfang.routing.embedding): trained by
# routing_train unless XINFANG_ROUTING_SECOND_READING=0; its training texts' embeddings are cached here.
ROUTING_SECOND_READING = os.environ.get("XINFANG_ROUTING_SECOND_READING", "1") != "0"
ROUTING_EMBEDDING_CACHE = Path(
    os.environ.get("XINFANG_ROUTING_EMBEDDING_CACHE", DATA_DIR / "routing" / "embeddings.npz")
)

# Notices to petitioners by SMS and e-mail (xinfang.notify): queued with each change, sent by
# the scheduled task xinfang.notify.tasks.notices_send (or `manage.py notices_send`). XINFANG_SMS_BACKEND: xinfang.notify.backends.ConsoleSmsBackend
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

# Background work: Django's tasks framework (django.tasks). Without XINFANG_TASK_BROKER tasks wait in the
# database and `manage.py tasks_worker` (started by `make run`) runs them: no extra server. With it
# (redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//) they go through Celery, for several
# machines: `celery -A xinfang.celery worker`. XINFANG_TASK_RESULTS: Celery's result backend (default: the
# Redis broker itself, rpc:// for RabbitMQ); XINFANG_TASK_QUEUE: Celery's queue (default xinfang).
TASK_BROKER = os.environ.get("XINFANG_TASK_BROKER", "")
TASKS = {
    "default": (
        {"BACKEND": "django_tasks_celery.CeleryBackend", "OPTIONS": {"CELERY_APP": "xinfang.celery.app"}}
        if TASK_BROKER
        else {"BACKEND": "django_tasks_db.DatabaseBackend"}
    )
    | {"QUEUES": ["default", "slow"]}
}
CELERY_BROKER_URL = TASK_BROKER
CELERY_RESULT_BACKEND = os.environ.get("XINFANG_TASK_RESULTS") or (
    TASK_BROKER if TASK_BROKER.startswith("redis") else "rpc://"
)
CELERY_RESULT_EXTENDED = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("XINFANG_TASK_QUEUE", "xinfang")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The schedule (xinfang.schedule): the periodic jobs installed on `migrate` as (name, task, every
# seconds, queue, description): the queue "slow" has a worker of its own, so that a long job (the full
# category model, ~20 minutes once) never holds up the notices; afterwards the admin (定时任务) edits
# cadence, queue, next run and on/off, and shows each run. A tick every SCHEDULE_TICK_SECONDS enqueues the jobs that are due; a failed run is tried again
# SCHEDULE_RETRIES times, SCHEDULE_RETRY_SECONDS × failures later; a run lock older than
# SCHEDULE_LOCK_SECONDS belongs to a worker that died; runs are kept SCHEDULE_RUNS_KEEP_DAYS days.
SCHEDULE: list[tuple[str, str, int, str, str]] = [
    ("notices_send", "xinfang.notify.tasks.notices_send", 30, "default", "发送到期的短信和邮件通知"),
    ("deadlines_check", "xinfang.petitions.tasks.deadlines_check", 900, "default", "期限预警与超期标记"),
    ("supervision_rules_apply", "xinfang.oversight.tasks.supervision_rules_apply", 3600, "default", "自动督办规则"),
    ("hot_issues_build", "xinfang.oversight.tasks.hot_issues_build", 24 * 3600, "default", "发现热点问题"),
    ("aggregates_current_month", "xinfang.assessment.tasks.aggregates_current_month", 24 * 3600, "default", "本月统计"),
    ("assessment_month_close", "xinfang.assessment.tasks.month_close", 3600, "default", "上月排名与考核规则"),
    ("reports_build", "xinfang.reports.tasks.reports_build", 3600, "default", "定期报告（日统计、研判、通报、点评）"),
    ("idempotency_purge", "xinfang.api.tasks.idempotency_purge", 24 * 3600, "default", "删除过期的接口幂等键"),
    ("staff_alerts_email", "xinfang.notify.tasks.staff_alerts_email", 60, "default", "期限提醒邮件（工作人员）"),
    ("task_results_prune", "xinfang.schedule.tasks.task_results_prune", 24 * 3600, "default", "删除旧的后台任务记录"),
    (
        "category_model_full",
        "xinfang.routing.tasks.category_model_full",
        24 * 3600,
        "slow",
        "完整内容分类模型（第二读）",
    ),
]
# Deadline alerts to staff (petitions.alerts): the unit's handlers and head are warned
# XINFANG_DEADLINE_WARN_WORKING_DAYS working days before a deadline (default 3) and told the day after it
# passes, in the workbench; by e-mail too when XINFANG_STAFF_ALERT_EMAIL=1 (default: when EMAIL_HOST is
# set) and they have an address.
DEADLINE_WARN_WORKING_DAYS = int(os.environ.get("XINFANG_DEADLINE_WARN_WORKING_DAYS", "3"))
STAFF_ALERT_EMAIL = os.environ.get("XINFANG_STAFF_ALERT_EMAIL", "1" if os.environ.get("EMAIL_HOST") else "0") == "1"
SCHEDULE_TICK_SECONDS = int(os.environ.get("XINFANG_SCHEDULE_TICK_SECONDS", "30"))
SCHEDULE_RETRIES = int(os.environ.get("XINFANG_SCHEDULE_RETRIES", "3"))
SCHEDULE_RETRY_SECONDS = int(os.environ.get("XINFANG_SCHEDULE_RETRY_SECONDS", "300"))
SCHEDULE_LOCK_SECONDS = int(os.environ.get("XINFANG_SCHEDULE_LOCK_SECONDS", str(6 * 3600)))
SCHEDULE_RUNS_KEEP_DAYS = int(os.environ.get("XINFANG_SCHEDULE_RUNS_KEEP_DAYS", "30"))
# E-mail (Django's MAILERS): real SMTP when the environment sets EMAIL_HOST (with EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS=1 or EMAIL_USE_SSL=1, EMAIL_TIMEOUT seconds), else printed by the console
# backend; EMAIL_BACKEND names another backend.
_email_host = os.environ.get("EMAIL_HOST", "")
_smtp = "django.core.mail.backends.smtp.EmailBackend"
_email_backend = os.environ.get("EMAIL_BACKEND") or (
    _smtp if _email_host else "django.core.mail.backends.console.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": {
            "host": _email_host or "localhost",
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": os.environ.get("EMAIL_USE_TLS", "0") == "1",
            "use_ssl": os.environ.get("EMAIL_USE_SSL", "0") == "1",
            "timeout": float(os.environ.get("EMAIL_TIMEOUT", "10")),
        }
        if _email_backend == _smtp
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "xinfang@localhost")

# ================================================================ security: accounts, sessions, web
# (docs/security.md, "Accounts and sign-in", "Web" and "What an operator must do")
from datetime import timedelta  # noqa: E402

from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.utils.csp import CSP  # noqa: E402

# Passwords: Argon2 (argon2-cffi); hashes of the other hashers still work and are upgraded at sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Failed sign-ins (django-axes, counted in the database per user name, whatever the address): after
# XINFANG_LOGIN_FAILURE_LIMIT (5) the user name is locked for XINFANG_LOGIN_COOLOFF_MINUTES (30), right
# password or not; an administrator unlocks it earlier (admin: users, "unlock sign-in"). A success resets.
AXES_FAILURE_LIMIT = int(os.environ.get("XINFANG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("XINFANG_LOGIN_COOLOFF_MINUTES", "30")))
# Per user name only: a township office's clerks share one NAT address, which a lock by address would
# shut out together (axes.W006 recommends the address; silenced for that reason).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "xinfang.org.views.locked_out"
if os.environ.get("XINFANG_CLIENT_IP_HEADER"):  # the address recorded with each attempt, behind a proxy
    AXES_IPWARE_META_PRECEDENCE_ORDER = [os.environ["XINFANG_CLIENT_IP_HEADER"], "REMOTE_ADDR"]
# Two-step sign-in (django-otp, TOTP): the name authenticator apps show (xinfang.org.signin decides who).
OTP_TOTP_ISSUER = os.environ.get("XINFANG_TOTP_ISSUER", "Xinfang")
# Sessions end XINFANG_SESSION_HOURS (8) after sign-in, when the browser closes, and after
# XINFANG_SESSION_IDLE_MINUTES (30; 0: never) without a request (xinfang.org.middleware).
SESSION_COOKIE_AGE = int(float(os.environ.get("XINFANG_SESSION_HOURS", "8")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_SECONDS = int(os.environ.get("XINFANG_SESSION_IDLE_MINUTES", "30")) * 60
# Headers on every response (SecurityMiddleware, XFrameOptionsMiddleware).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content security policy: this server only, no inline script at all, no inline style but the
# admin's one nonce'd <style>; no frames, no plugins, forms post here only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],  # data: the icons inside Swagger UI's stylesheet, the empty favicon
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Tokens never in a log (xinfang.audit.redaction): Django's default logging, with a filter that writes
# Open311's api_key=… (and Bearer tokens, and any client token) as [已隐去] on the development server's
# access log (django.server), django.request and every handler; error reports (the e-mail to ADMINS,
# the debug page) hide them too. A production server's own access log must leave the query string out.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "require_debug_true": {"()": "django.utils.log.RequireDebugTrue"},
        "tokens_redacted": {"()": "xinfang.audit.redaction.TokenRedactingFilter"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "level": "INFO",
            "filters": ["require_debug_true", "tokens_redacted"],
            "class": "logging.StreamHandler",
        },
        "django.server": {
            "level": "INFO",
            "filters": ["tokens_redacted"],
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false", "tokens_redacted"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["tokens_redacted"],
        },
        "django.request": {"filters": ["tokens_redacted"]},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "xinfang.audit.redaction.RedactingExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "xinfang.audit.redaction.RedactingExceptionReporter"

# Production (XINFANG_PRODUCTION=1): DEBUG off whatever DEBUG says; refuses to start without a real
# SECRET_KEY and ALLOWED_HOSTS; HTTPS only (redirect, HSTS, secure cookies). `manage.py check --deploy`
# is clean with these (tests/test_web_security.py). Behind a proxy that ends TLS, set
# XINFANG_PROXY_SSL_HEADER=1 (the proxy sets X-Forwarded-Proto: https and strips it from clients).
PRODUCTION = os.environ.get("XINFANG_PRODUCTION", "0") == "1"
if PRODUCTION:
    DEBUG = False
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "XINFANG_PRODUCTION=1 needs SECRET_KEY: 50 or more random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not os.environ.get("ALLOWED_HOSTS"):
        raise ImproperlyConfigured("XINFANG_PRODUCTION=1 needs ALLOWED_HOSTS: the site's host names, comma-separated.")
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
    SECURE_SSL_REDIRECT = os.environ.get("XINFANG_SSL_REDIRECT", "1") == "1"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's probe over plain HTTP inside the network
    if os.environ.get("XINFANG_PROXY_SSL_HEADER") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("XINFANG_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
