"""Settings, read from the environment.

With nothing set the portal runs on the embedded default: SQLite in the project folder and
Celery on a broker kept in files under var/, so one command shows the whole flow.
DATABASE_URL switches to PostgreSQL, REDIS_URL to Celery, the cache and the sessions on Redis;
DATABASE_REPLICA_URL adds a read replica for reports.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-key-never-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    missing = [
        name
        for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DEBUG is off. "
            "Set them in the environment (or in .env), or set DEBUG=true for local development."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "import_export",
    "portal",
    "outbox",
    "contractors",
    "webhooks",  # signed event POSTs to contractors' and associations' systems
    "repairs",
    "surveys",
    "projects",  # planned maintenance and renovation: visits booked as orders in repairs
    "api",  # the machine interface (VERA OHD), above the apps it serves
    "privacy",  # the tenant's own data (AVG): retention, export, erasure
    "demo",  # the demo data: the only app that may import all the others
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # Each template is parsed once per process and then kept: named here rather than
            # left to Django's default, so no later change to these options turns it off. With
            # DEBUG on, runserver's autoreloader empties it when a template file changes.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                )
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL names another.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# An optional read replica (a PostgreSQL standby) for reports: KPIs, scorecards and CSV
# downloads read from it inside portal.db_router.reporting_reads(); all else uses default.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
REPORTING_REPLICA = "replica" if "replica" in DATABASES else None
DATABASE_ROUTERS = ["portal.db_router.ReportingRouter"]


def _connection_settings(database: dict) -> None:
    database["ATOMIC_REQUESTS"] = False
    if database["ENGINE"] == "django.db.backends.postgresql":
        if env.bool("DATABASE_POOL", default=False):
            # psycopg's pool keeps connections per process; Django needs CONN_MAX_AGE 0 with it.
            database["CONN_MAX_AGE"] = 0
            database.setdefault("OPTIONS", {})["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=2),
                "max_size": env.int("DATABASE_POOL_MAX", default=10),
            }
        else:
            database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
            database["CONN_HEALTH_CHECKS"] = True
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # Wait for a lock instead of failing at once: worker and web process share the file.
        database.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})


for _database in DATABASES.values():
    _connection_settings(_database)
if "replica" in DATABASES and DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
    # A replica pointed at a primary by mistake still refuses every write; one that does not
    # answer is given up on quickly (reports then read from the primary: portal.db_router).
    DATABASES["replica"].setdefault("OPTIONS", {})["options"] = (
        "-c default_transaction_read_only=on"
    )
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 3)
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins for one account from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the e-mail address as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Language and time: Dutch first, English second; stored in UTC, shown in Amsterdam time.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap's built CSS is committed under static/vendor/ (scripts/vendor-static copies it
# from npm), so neither installing nor running the portal needs npm.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (photos) live outside the static files and are served by views that check
# who may see them, never by the web server directly.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Mail: EMAIL_URL names the SMTP server; with DEBUG on, mails are printed to the console.
_mail = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
MAILERS = {"default": {"BACKEND": _mail["EMAIL_BACKEND"]}}
if _mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": _mail["EMAIL_HOST"],
        "port": _mail["EMAIL_PORT"],
        "username": _mail.get("EMAIL_HOST_USER") or None,
        "password": _mail.get("EMAIL_HOST_PASSWORD") or None,
        "use_tls": _mail.get("EMAIL_USE_TLS", False),
        "use_ssl": _mail.get("EMAIL_USE_SSL", False),
        "timeout": 30,
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ketenportaal <noreply@ketenportaal.nl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict by default; DEBUG relaxes only what a local http:// run needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Secure cookies need https; only a local docker compose run without TLS turns them off.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: scripts, styles, fonts and requests from the portal itself only;
# no inline script or style attribute. Django's admin marks its few inline blocks with the
# per-request nonce (a nonce appears in the header only on pages that use one). img-src
# allows data: for Bootstrap's form icons (inline SVG in its stylesheet) and the empty
# favicon. frame-ancestors 'none' is X_FRAME_OPTIONS for browsers that read CSP.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where links in mails sent by tasks point (no request to take the host from there).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Celery: Redis when REDIS_URL is set; otherwise a broker kept in files, so the worker and
# beat run on a machine without any server.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    BROKER_DIR = BASE_DIR / "var" / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Four queues, so that a long import or a mail batch never holds up an alert. A worker
# started without -Q (make run, docker compose) takes all four; at scale each queue gets
# workers of its own (docs/scaling.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "mail", "imports", "reports")]
CELERY_TASK_ROUTES = {
    "portal.tasks.import_job_run": {"queue": "imports"},
    "surveys.tasks.surveys_run": {"queue": "mail"},
    "repairs.tasks.appointment_reminders_send": {"queue": "mail"},
    "projects.tasks.projects_run": {"queue": "mail"},
    "surveys.tasks.kpi_rollup_refresh": {"queue": "reports"},
    "privacy.tasks.retention_sweep": {"queue": "reports"},
}

# Cache and sessions. With Redis: one cache shared by every node, and sessions read from it
# with the database behind (cached_db), so that neither a restart nor an outage of Redis logs
# anybody out; ResilientRedisCache turns an unreachable Redis into misses, never into a failed
# page. CACHE_REDIS_URL may name another Redis than the broker's (advised: a cache may evict,
# a broker must not). Without Redis (the embedded default) the cache lives in each process and
# sessions stay in the database alone: a per-process cache in front of them would keep a
# session alive in one worker after its logout in another.
# "fragments" holds rendered template parts that depend only on their cache key (such as
# the language): kept in each process, so a hit costs no network round trip.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=REDIS_URL),
            "KEY_PREFIX": "kp",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# django-import-export: every import is previewed first; a file with bad rows writes nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_CONFIRM = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The machine interface (api/): DRF serves only /api/, and only to API clients with an OAuth2
# access token (client credentials, django-oauth-toolkit); each client has its own request
# budget; every error is OHD's Foutbericht; lists page as OHD does (api.pagination).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiClientAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasOhdScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env.str("API_THROTTLE_RATE", default="600/min"),
        # token requests per caller address (each wrong secret costs a password hash)
        "api_token": env.str("API_TOKEN_THROTTLE_RATE", default="30/min"),
    },
    # The caller's address behind this many proxies (as django-axes reads it).
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0),
    "DEFAULT_PAGINATION_CLASS": "api.pagination.OhdPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.foutbericht_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OAuth2 (django-oauth-toolkit): confidential clients, client-credentials grant only; secrets
# stored hashed, tokens stored as their checksum only and valid for API_TOKEN_SECONDS.
# Named here, since migrations that point at a swappable model read the setting by name.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "api.scopes.ApiClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.ApiClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_TOKEN_SECONDS", default=3600),
    # Client credentials issue no refresh tokens; should another grant ever do, a replayed
    # refresh token revokes its whole family, and expired ones are cleared.
    "REFRESH_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), all of it.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}

# Our own OpenAPI schema at /api/schema/, read by Swagger UI (/api/docs/) and ReDoc
# (/api/redoc/), both served from the drf-spectacular-sidecar package: no CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Ketenportaal – VERA OHD",
    "DESCRIPTION": (
        "The VERA OHD 4.3 operations of Ketenportaal for contractors' planning systems and "
        "associations' ERPs: OAuth2 client credentials, OHD's resource names, field names, "
        "codes, paging and Foutbericht."
    ),
    "VERSION": "4.3.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/vera/ohd/v4",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Webhooks (webhooks/): each POST waits this many seconds for an answer; an endpoint that fails
# this many deliveries in a row (or one delivery for 24 hours) is switched off, with a mail.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=100)
# Plain http to localhost or a loopback address (a receiver on the developer's machine);
# every other endpoint must be https.
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", default=DEBUG)
# Endpoints at a private, loopback or link-local address (a receiver on this machine or the
# local network); off, every endpoint must be at a public address (webhooks.addresses). On
# with DEBUG, so that `make run` can deliver to `manage.py webhook_receiver`.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; failures and lockouts are WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Periodic work reads the database, so a lost broker message delays it but never loses it.
CELERY_BEAT_SCHEDULE = {
    # Surveys: invitations pulled from completed requests, sent after the association's
    # delay, a reminder after 3 days, expiry after 14; each mail once.
    "surveys": {"task": "surveys.tasks.surveys_run", "schedule": 600.0},
    # Staff hear of every grade of 5 or lower, even if the first message was lost.
    "survey-follow-up-alerts": {"task": "surveys.tasks.follow_up_alert_sweep", "schedule": 900.0},
    # KPI rollup: the current and previous month (completions, visits, dayparts that ended)
    # and the months survey changes marked, so the dashboard is at most 10 minutes behind.
    "kpi-rollup-refresh": {"task": "surveys.tasks.kpi_rollup_refresh", "schedule": 600.0},
    # Once a day the last 13 months: a visit recorded long after its day counts there too.
    "kpi-rollup-refresh-year": {
        "task": "surveys.tasks.kpi_rollup_refresh",
        "schedule": 86400.0,
        "kwargs": {"recent_months": 13},
    },
    # Requests without a visit (phone, staff, follow-up, no free time when reported) get the
    # earliest free daypart; emergencies within 24 hours.
    "repair-requests-autoplan": {
        "task": "repairs.tasks.repair_requests_autoplan",
        "schedule": 900.0,
    },
    # Staff hear of emergencies a contractor has not confirmed within 2 hours.
    "emergency-alerts": {"task": "repairs.tasks.emergency_alerts_send", "schedule": 300.0},
    # Requests past their latest completion: the planners first, a working day later staff.
    "late-requests-escalate": {"task": "repairs.tasks.late_requests_escalate", "schedule": 900.0},
    # Slots for the coming weeks; hourly, so a new schedule is bookable the same day.
    "slots-generate": {"task": "contractors.tasks.slots_generate", "schedule": 3600.0},
    # Reminder mails the day before a visit; each appointment's reminder goes out once.
    "appointment-reminders": {
        "task": "repairs.tasks.appointment_reminders_send",
        "schedule": 900.0,
    },
    # Staff hear about every unrouted request even if the alert's own message was lost.
    "unrouted-request-alert-sweep": {
        "task": "repairs.tasks.unrouted_request_alert_sweep",
        "schedule": 600.0,
    },
    # Projects: done visits marked, the one reminder a week after the invitation to tenants
    # who have not answered, unused reserved places released once a project is over.
    "projects-run": {"task": "projects.tasks.projects_run", "schedule": 900.0},
    # Outgoing mails (and webhooks) that are due: ones whose enqueue after commit was lost,
    # and retries after a failed send. Each message is sent once.
    "outbox-sweep": {"task": "outbox.tasks.outbox_sweep", "schedule": 60.0},
    # Imports stopped past their time limit are marked failed; stale previews expire.
    "import-jobs-sweep": {"task": "portal.tasks.import_jobs_sweep", "schedule": 300.0},
    # Wrong claim tries older than the throttle's hour are deleted; the table stays small.
    "claim-attempts-prune": {"task": "portal.tasks.claim_attempts_prune", "schedule": 3600.0},
    # Expired API tokens are deleted once an hour (each client fetches one an hour).
    "api-tokens-clear": {"task": "api.tasks.api_tokens_clear", "schedule": 3600.0},
    # Idempotency keys older than 24 hours are deleted; a client retries within minutes.
    "api-idempotency-keys-prune": {
        "task": "api.tasks.idempotency_keys_prune",
        "schedule": 3600.0,
    },
    # Imports whose start message the broker lost (it was down) are started after all.
    "import-jobs-requeue": {"task": "portal.tasks.import_jobs_requeue", "schedule": 300.0},
    # AVG: tenancies past their association's retention are anonymised, each once; daily.
    "privacy-retention-sweep": {"task": "privacy.tasks.retention_sweep", "schedule": 86400.0},
}
