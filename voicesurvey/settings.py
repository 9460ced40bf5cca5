"""Settings for voicesurvey.

Everything comes from the environment (django-environ). With nothing set, the product runs
on its embedded defaults (SQLite, local-memory cache, django-q2 ORM broker, local file storage,
console email, simulator telephony). Each production switch is one variable; the README has
the full table. With DEBUG off, a missing SECRET_KEY or ALLOWED_HOSTS stops start-up.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from voicesurvey.api_tags import API_TAGS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `make run` writes a development one on its first run (scripts/dev-env).
_ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if env.bool("READ_DOT_ENV_FILE", default=True) and _ENV_FILE.is_file():
    # Values already in the environment win over the file.
    environ.Env.read_env(_ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)

# --- Secrets and hosts: no permissive default outside DEBUG ---------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (a long random string) in the environment, "
            "or DEBUG=true for local development (`make run` writes a .env with it on its "
            "first run; `scripts/dev-env` writes that file alone)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-true"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. Set ALLOWED_HOSTS to the comma-separated host names this "
            "site is served under, or DEBUG=true for local development."
        )
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # Kept installed for its table only: the tokens it held moved to knox (hashed, expiring)
    # in voicesurvey's migration 0003; its admin page is removed (voicesurvey/admin.py).
    "rest_framework.authtoken",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mozilla_django_oidc",
    "django_q",
    "voicesurvey",
    "campaigns",
    "contacts",
    "calls",
    "dashboard",
    "exports",
    "integrations",
    "demo",
]

MIDDLEWARE = [
    "voicesurvey.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's own time zone, when they chose one (voicesurvey/zones.py).
    "voicesurvey.zones.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "voicesurvey.urls"
WSGI_APPLICATION = "voicesurvey.wsgi.application"
AUTH_USER_MODEL = "voicesurvey.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "voicesurvey.context_processors.capabilities",
            ],
        },
    },
]

# --- Database: SQLite file by default, PostgreSQL (psycopg 3) through DATABASE_URL -------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task cluster read while one of them writes; IMMEDIATE
    # transactions take the write lock up front, so two writers queue instead of failing with
    # "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests: a file, not SQLite's in-memory database, which the browser tests' live server would
    # share with the test thread as one connection (two threads on one sqlite3 connection:
    # "bad parameter or other API misuse"). One file per test process; the runner deletes it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"voicesurvey-test-{os.getpid()}.sqlite3")
    }
    # The dialling index covers two columns (`include=`, contacts/models.py) for PostgreSQL's
    # index-only scans; SQLite builds it without them, which is all the embedded default needs,
    # and Django would say so (models.W040) at every migrate and start.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache and task broker: local memory / ORM by default, Redis through REDIS_URL -------------
REDIS_URL = env.str("REDIS_URL", default="")
# How long one Redis command (cache or task broker) may wait for its answer, and for a
# connection. Past them Redis counts as down for that command — a statistics cache miss, an
# export left pending for the reaper — so a frozen Redis cannot hold a request (redis-py's
# own default is 5 s). A healthy Redis answers in a millisecond.
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=1.0)
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=1.0)
# After one such failure, this process leaves Redis alone for this long (every command fails
# at once): a page reading a dozen cache entries waits once, not a dozen times.
REDIS_RETRY_AFTER_SECONDS = env.float("REDIS_RETRY_AFTER_SECONDS", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vs",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "CONNECTION_FACTORY": "voicesurvey.redis_clients.CacheConnectionFactory",
                # A Redis outage becomes a cache miss, never an error (docs/architecture.md §8).
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "voicesurvey",
        },
        # django-q2 keeps its clusters' heartbeats in a cache; with the ORM broker it must be one
        # every process shares, or the system dashboard sees no live cluster.
        "task_stats": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache" / "django_q"),
        },
    }

_q_timeout = env.int("Q_TIMEOUT_SECONDS", default=600)
Q_CLUSTER = {
    "name": "voicesurvey",
    "workers": env.int("Q_WORKERS", default=2),
    # An export of a million contacts takes seconds; the limit is for a stuck task. django-q2
    # needs "retry" above "timeout", or a slow task is handed to a second worker.
    "timeout": _q_timeout,
    "retry": _q_timeout + 60,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 250,
    "label": "Background tasks",
}
# Two queues, each served by its own cluster (docs/operations.md): the default one runs the
# periodic work (the scheduler's tick, reconciliation, emails), which must start on time; bulk
# work, which can take minutes or come by the thousand (exports, the simulator's callee steps),
# is queued on Q_BULK_CLUSTER, served by `Q_CLUSTER_NAME=voicesurvey-bulk manage.py qcluster`,
# so that it never waits in front of a tick.
Q_BULK_CLUSTER = "voicesurvey-bulk"
Q_CLUSTER["ALT_CLUSTERS"] = {Q_BULK_CLUSTER: {"workers": env.int("Q_BULK_WORKERS", default=2)}}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # django-q2's Redis broker with the timeouts above (voicesurvey/redis_clients.py).
    Q_CLUSTER["broker_class"] = "voicesurvey.redis_clients.RedisBroker"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["cache"] = "task_stats"
    Q_CLUSTER["poll"] = 0.5
if env.bool("Q_SYNC", default=False):
    Q_CLUSTER["sync"] = True

# --- Files: local folder by default, S3 (or S3-compatible) through AWS_STORAGE_BUCKET_NAME -----
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
EXPORT_URL_EXPIRY_SECONDS = env.int("EXPORT_URL_EXPIRY_SECONDS", default=3600)
# A worker generating an export says it is alive this often; a job whose worker has been
# silent for three beats is queued again by the reaper (every minute).
EXPORT_HEARTBEAT_SECONDS = env.float("EXPORT_HEARTBEAT_SECONDS", default=10.0)
# Export files are deleted this many days after they were written (export_expire_old, hourly).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=30)

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Credentials fall back to boto3's own chain (instance role, ~/.aws) when unset.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": EXPORT_URL_EXPIRY_SECONDS,
            "file_overwrite": False,
            "default_acl": None,
            "location": env.str("AWS_LOCATION", default=""),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default=(
                "django.contrib.staticfiles.storage.StaticFilesStorage"
                if DEBUG
                else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            ),
        ),
    },
}

# --- Email: console by default, SMTP through EMAIL_URL ------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="voicesurvey <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Login: local accounts always; OIDC when OIDC_RP_CLIENT_ID is set --------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"  # mozilla-django-oidc
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out user or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): the login page, the admin login and the API token endpoint
# (POST /api/auth/token) count failures per username and, separately, per client address; at
# LOGIN_FAILURE_LIMIT either is locked for LOGIN_LOCKOUT_MINUTES. A success resets the count.
# Failures and lockouts are audit-logged; an admin unlocks with `manage.py axes_reset_username
# NAME` (or axes_reset_ip ADDRESS, axes_reset), or by deleting the user's *Access attempts* in
# the admin.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = _dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "voicesurvey.ratelimit.client_ip"
AXES_VERBOSE = False  # its own log lines name the user; the audit log records what matters

OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED:
    OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
    OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
    OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
    OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="") or None
    # Required (system check voicesurvey.E011): ID tokens must carry exactly this issuer (`iss`).
    OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
    OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
    OIDC_TIMEOUT = env.int("OIDC_TIMEOUT_SECONDS", default=10)
    AUTHENTICATION_BACKENDS.append("voicesurvey.oidc.RoleMappingOIDCBackend")
# Which claim carries the user's roles or groups, and how its values map onto our roles,
# e.g. OIDC_ROLE_MAP="vs-admins=admin,vs-managers=campaign_manager,vs-viewers=viewer".
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="roles")
OIDC_ROLE_MAP = env.dict("OIDC_ROLE_MAP", default={})
# The API's OIDC bearer authentication asks the IdP's userinfo endpoint once per token per TTL.
OIDC_USERINFO_CACHE_SECONDS = env.int("OIDC_USERINFO_CACHE_SECONDS", default=60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API ----------------------------------------------------------------------------------------
_api_authentication = [
    # Token first: DRF takes the WWW-Authenticate header of the first class, and only with
    # one does it answer anonymous requests with 401 rather than 403 (docs/architecture.md §7).
    # API tokens (django-rest-knox): stored hashed, expiring after API_TOKEN_TTL_DAYS.
    "knox.auth.TokenAuthentication",
]
if OIDC_ENABLED:
    _api_authentication.append("voicesurvey.oidc.BearerTokenAuthentication")
_api_authentication.append("rest_framework.authentication.SessionAuthentication")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": _api_authentication,
    "DEFAULT_PERMISSION_CLASSES": ["voicesurvey.permissions.CanView"],
    "DEFAULT_PAGINATION_CLASS": "voicesurvey.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's three, with JSON bodies nested too deeply refused as a 400 (voicesurvey/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "voicesurvey.parsers.JSONDepthLimitParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # drf-spectacular's, with each operation's error answers (voicesurvey/schema.py).
    "DEFAULT_SCHEMA_CLASS": "voicesurvey.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "voicesurvey.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "TOKEN_TTL": _dt.timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "voicesurvey API",
    "DESCRIPTION": "Outbound automated phone-survey campaigns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations grouped by resource (voicesurvey/schema.py's `api_tag`), in this order.
    "TAGS": [{"name": name, "description": text} for name, text in API_TAGS.items()],
    # One schema name per choice set, where several serializers use the same one.
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "QuestionTypeEnum": "campaigns.models.QuestionType",
        "LanguageEnum": "campaigns.languages.Language",
        # The fixed script's question types, still accepted on writes (campaigns/api.py).
        "LegacyQuestionTypeEnum": "campaigns.api.LEGACY_QUESTION_TYPES",
        "ExportStatusEnum": "exports.models.ExportStatus",
        "WebhookEventTypeEnum": "integrations.models.WebhookEventType",
        "WebhookDeliveryStatusEnum": "integrations.models.DeliveryStatus",
    },
}

# --- Product settings ---------------------------------------------------------------------------
# Region used to read national numbers (no +country prefix) in uploads, ISO 3166 alpha-2.
DEFAULT_PHONE_REGION = env.str("DEFAULT_PHONE_REGION", default="IT")
DEFAULT_CAMPAIGN_TIMEZONE = env.str("DEFAULT_CAMPAIGN_TIMEZONE", default="Europe/Rome")
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=50)
# Uploads bigger than this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STATS_CACHE_TTL_SECONDS = env.int("STATS_CACHE_TTL_SECONDS", default=60)
# Per user and minute: contact searches (a search is how a masked number would be guessed),
# and refused requests (probing); above them, 429.
SEARCHES_PER_MINUTE = env.int("SEARCHES_PER_MINUTE", default=30)
DENIALS_PER_MINUTE = env.int("DENIALS_PER_MINUTE", default=30)
CALL_ATTEMPT_TIMEOUT_MINUTES = env.int("CALL_ATTEMPT_TIMEOUT_MINUTES", default=15)
# The currency of call costs (the provider configuration's cost per minute) and of campaign
# budgets, as an ISO 4217 code: shown beside every amount, never converted.
CALL_COST_CURRENCY = env.str("CALL_COST_CURRENCY", default="EUR")
SCHEDULER_TICK_SECONDS = env.int("SCHEDULER_TICK_SECONDS", default=60)
PROVIDER_OUTAGE_BACKOFF_SECONDS = env.int("PROVIDER_OUTAGE_BACKOFF_SECONDS", default=300)
# The simulator signs its webhooks with HMAC-SHA256; unset, a key is derived from SECRET_KEY.
SIMULATOR_WEBHOOK_SECRET = env.str("SIMULATOR_WEBHOOK_SECRET", default="")
# Largest webhook body accepted (a provider's event or dialogue request); bigger ones get 413.
# Twilio's form posts are a few KB.
WEBHOOK_MAX_BODY_KB = env.int("WEBHOOK_MAX_BODY_KB", default=64)

# Outbound webhooks (integrations/, README "Integrations"). Hosts a subscription may reach even
# though they resolve to a loopback, private or link-local address (comma list, e.g.
# "127.0.0.1,crm.internal"); every other such address is refused, when saved and when sent.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A delivery is retried with exponential back-off (30 s … 1 h) for this long, then failed.
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)
# A subscription is disabled (audit entry, banner) after this many failed attempts in a row,
# or after failing without a success for WEBHOOK_DISABLE_AFTER_HOURS.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=50)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
# How long one run of the periodic delivery task keeps sending (it runs every minute, on the
# default queue: leave its other worker free for the scheduler's tick).
WEBHOOK_DRAIN_SECONDS = env.float("WEBHOOK_DRAIN_SECONDS", default=30.0)
# Time compression for the simulator's fake callee (1.0 = realistic delays, 0 = none).
SIMULATOR_DELAY_SCALE = env.float("SIMULATOR_DELAY_SCALE", default=1.0)

# Twilio (used when ProviderConfig.provider is "twilio"; the system checks say what is missing).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Answering-machine detection: off, Enable (know at once) or DetectMessageEnd (wait for the
# beep, needed to leave a message). What a machine answer becomes: no_answer (hang up) or
# left_message (say a short message, then hang up); both are no_answer outcomes, retried.
TWILIO_MACHINE_DETECTION = env.str("TWILIO_MACHINE_DETECTION", default="off")
TWILIO_MACHINE_OUTCOME = env.str("TWILIO_MACHINE_OUTCOME", default="no_answer")
# Seconds a call rings before it counts as no answer (Twilio allows 5-600).
TWILIO_CALL_TIMEOUT_SECONDS = env.int("TWILIO_CALL_TIMEOUT_SECONDS", default=30)
# Seconds each question waits for the callee to start answering, and the pause that ends a
# spoken answer ("auto", or whole seconds).
TWILIO_GATHER_TIMEOUT_SECONDS = env.int("TWILIO_GATHER_TIMEOUT_SECONDS", default=5)
TWILIO_SPEECH_TIMEOUT = env.str("TWILIO_SPEECH_TIMEOUT", default="auto")
# Seconds the REST API may take to answer a create-call request (never retried).
TWILIO_HTTP_TIMEOUT_SECONDS = env.float("TWILIO_HTTP_TIMEOUT_SECONDS", default=10.0)
# Text-to-speech voices per survey language (empty: Twilio's default voice).
TWILIO_VOICE_EN = env.str("TWILIO_VOICE_EN", default="Polly.Joanna")
TWILIO_VOICE_IT = env.str("TWILIO_VOICE_IT", default="Polly.Bianca")
# The address the provider reaches us at, e.g. https://surveys.example.com (no trailing slash).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# Honour X-Forwarded-Proto/Host from a reverse proxy in front of the app.
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# Optional bearer token for /metrics (Prometheus); without it only admins may read metrics.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# prometheus-client's multiprocess mode: a directory every process (gunicorn workers, the task
# clusters' workers, run_scheduler) writes its metrics to, added up by /metrics. prometheus-client
# reads the environment variable itself, at import: set it in the processes' environment (a
# .env file works too: it is read into the environment before any metric exists).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# --- HTTPS hardening: on unless DEBUG; HTTPS=false only where no TLS sits in front -------------
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
# Health checks come from load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response: scripts, styles, images and requests
# from this site only. Pages carry no inline script, inline event handler or style attribute:
# the vendored htmx and Chart.js and our own scripts are files under /static/, chart data comes
# in json_script blocks (JSON, never run). htmx 4 evaluates code only for hx-on, `[…]` trigger
# filters and `js:` values, which the templates do not use (so no 'unsafe-eval').
# Where a page needs more, its view relaxes the policy and says why: the Swagger UI
# (voicesurvey/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: JSON lines with a correlation id; phone numbers are redacted ----------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "voicesurvey.logging.RequestIdFilter"},
        "redact_phone_numbers": {"()": "voicesurvey.logging.RedactPhoneNumbersFilter"},
        "permission_denied_one_line": {"()": "voicesurvey.log_filters.PermissionDeniedOneLine"},
        "task_chatter_to_debug": {"()": "voicesurvey.log_filters.TaskChatterToDebug"},
    },
    "formatters": {
        "json": {"()": "voicesurvey.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(trace_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_phone_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # twilio's HTTP client logs each request (URL with the account id, headers) at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # A 403 is one line ("Forbidden (Permission denied): /path"), not a traceback.
        "django.request": {"filters": ["permission_denied_one_line"]},
        # django-q2's line per task goes to DEBUG; its start, stop and errors stay.
        "django-q": {"filters": ["task_chatter_to_debug"]},
    },
}
