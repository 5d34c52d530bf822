"""Settings, chosen by environment variables (django-environ).

With no environment at all the project runs *embedded*: SQLite file, Celery eager, no Kafka
(events are handed to the consumers in-process after commit). Each of `DATABASE_URL`,
`CELERY_BROKER_URL` and `KAFKA_BOOTSTRAP_SERVERS` switches one piece to the real service, and
any of them (or `POS_MODE=full`) puts the process in *full* mode, where secrets must come from
the environment.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for developers; the process environment wins.
env.read_env(BASE_DIR / ".env", overwrite=False)

DATABASE_URL = env.str("DATABASE_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
KAFKA_BOOTSTRAP_SERVERS = env.str("KAFKA_BOOTSTRAP_SERVERS", default="")
# The audit archive in a MongoDB-wire database (FerretDB); unset: no archive, and the audit
# search answers from the event table (contexts/audit/search.py).
MONGODB_URL = env.str("MONGODB_URL", default="")
MONGODB_DATABASE = env.str("MONGODB_DATABASE", default="")  # else the URL's database, else "pos"

POS_MODE = env.str("POS_MODE", default="")
if not POS_MODE:
    POS_MODE = "full" if (DATABASE_URL or CELERY_BROKER_URL or KAFKA_BOOTSTRAP_SERVERS) else "embedded"
if POS_MODE not in ("embedded", "full"):
    raise ImproperlyConfigured(f"POS_MODE must be 'embedded' or 'full', not {POS_MODE!r}")
if POS_MODE == "embedded":
    # Embedded means no services, even if a .env file names some.
    DATABASE_URL = CELERY_BROKER_URL = KAFKA_BOOTSTRAP_SERVERS = MONGODB_URL = ""
FULL_MODE = POS_MODE == "full"

ALL_CONTEXTS = ("stores", "catalog", "customers", "sales", "reporting", "audit")
POS_CONTEXTS = tuple(env.list("POS_CONTEXTS", default=list(ALL_CONTEXTS)))
_unknown = sorted(set(POS_CONTEXTS) - set(ALL_CONTEXTS))
if _unknown:
    raise ImproperlyConfigured(
        f"POS_CONTEXTS names unknown contexts {_unknown}; known: {', '.join(ALL_CONTEXTS)}"
    )


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment in full mode (POS_MODE=full, or any of "
            "DATABASE_URL / CELERY_BROKER_URL / KAFKA_BOOTSTRAP_SERVERS set)."
        )
    return value


if FULL_MODE:
    SECRET_KEY = _required("DJANGO_SECRET_KEY")
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
else:
    # Embedded mode is for a laptop: a fixed, clearly-marked development key is acceptable.
    # A key of this install's own, made once and kept in POS_DATA_DIR: a fixed key in the source would
    # let anyone sign a token that another embedded install accepts (pos_project/secret_key.py).
    from pos_project.secret_key import embedded_secret_key

    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or embedded_secret_key(
        Path(env.str("POS_DATA_DIR", default=str(BASE_DIR / ".data"))))
    # Off unless asked for (DJANGO_DEBUG=true): Django's debug pages list every URL pattern and show
    # settings and tracebacks to whoever can reach the server.
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "infrastructure.admin_app.BackOfficeAdminConfig",  # Django's admin, as the shop's back office
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "infrastructure",
    "contexts.stores",
    "contexts.catalog",
    "contexts.customers",
    "contexts.sales",
    "contexts.reporting",
    "contexts.audit",
]
# Extra apps, e.g. the test-only `tests.lab` context that scripts/run-tests installs.
INSTALLED_APPS += env.list("POS_EXTRA_APPS", default=[])

MIDDLEWARE = [
    # First, so its timing covers the whole answer (infrastructure/observability/middleware.py).
    "infrastructure.observability.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "infrastructure.http.limits.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "infrastructure.http.request_id.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pos_project.urls"
WSGI_APPLICATION = "pos_project.wsgi.application"

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
                "infrastructure.http.home.shop",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATA_DIR = Path(env.str("POS_DATA_DIR", default=str(BASE_DIR / ".data")))
if DATABASE_URL:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Test runs name their own database, so two runs on one server never share one.
    if env.str("DATABASE_TEST_NAME", default=""):
        DATABASES["default"]["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME")}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "pos.sqlite3",
            # SQLite allows one writer at a time; wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
# A context may keep its data in a database of its own: DATABASE_URL_<CONTEXT> (full mode).
POS_CONTEXT_DATABASES = {}
for _context in ALL_CONTEXTS:
    _url = env.str(f"DATABASE_URL_{_context.upper()}", default="")
    if _url:
        DATABASES[_context] = env.db_url_config(_url)
        # Persistent connections, as for `default`: a sale must not pay for a new connection.
        DATABASES[_context].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        DATABASES[_context]["CONN_HEALTH_CHECKS"] = True
        POS_CONTEXT_DATABASES[_context] = _context
DATABASE_ROUTERS = ["infrastructure.eventstore.databases.ContextRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL if CELERY_BROKER_URL != "memory://" else "cache+memory://")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker or beat that lost Redis keeps retrying (with back-off) however long it is away; the
# default gives up after 100 tries and the process exits.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = "UTC"
# Full mode: PostgreSQL NOTIFY wakes the relay in each context's Celery worker on every commit
# (infrastructure/worker/bootstep.py); it also makes a pass this often, for whatever it could not
# publish at the time (broker down) or was committed while it was not listening.
POS_RELAY_SWEEP_SECONDS = env.float("POS_RELAY_SWEEP_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE: dict = {
    # Expired outstanding/blacklisted JWTs (simplejwt's tables grow with every refresh otherwise).
    "flush-expired-tokens": {"task": "infrastructure.http.tasks.flush_expired_tokens", "schedule": 24 * 3600.0},
    "purge-idempotency-keys": {"task": "infrastructure.idempotency.tasks.purge_expired_idempotency_keys",
                               "schedule": 3600.0},
}
# How long a stored answer to an Idempotency-Key is kept (a retry within it replays the answer).
POS_IDEMPOTENCY_DAYS = env.int("POS_IDEMPOTENCY_DAYS", default=7)

# --- Kafka ----------------------------------------------------------------------------------
KAFKA_ENABLED = bool(KAFKA_BOOTSTRAP_SERVERS)
KAFKA_TOPIC_PREFIX = env.str("KAFKA_TOPIC_PREFIX", default="pos")
# The most a consumer's fetch waits for more records to batch (infrastructure/kafka/clients.py).
KAFKA_CONSUMER_FETCH_WAIT_MS = env.int("KAFKA_CONSUMER_FETCH_WAIT_MS", default=250)
# ... and while nothing arrives, how long the broker may hold a fetch that returns at the first
# record (an idle consumer asks every few seconds, not twenty times a second).
KAFKA_CONSUMER_IDLE_WAIT_MS = env.int("KAFKA_CONSUMER_IDLE_WAIT_MS", default=5000)

# --- Auth, API ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "infrastructure.http.authentication.DenyListJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["infrastructure.http.parsers.SafeJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "infrastructure.http.filters.BoundedSearchFilter",  # capped words: a long search is a 400
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "infrastructure.http.pagination.Pagination",  # ?page_size= up to 500
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "infrastructure.http.openapi.ProblemAutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "infrastructure.http.negotiation.ProblemContentNegotiation",
    "EXCEPTION_HANDLER": "infrastructure.http.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, failing open while the cache (Redis) is down: infrastructure/http/throttling.py
        "infrastructure.http.throttling.AnonRateThrottle",
        "infrastructure.http.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("POS_THROTTLE_ANON", default="60/min"),
        "user": env.str("POS_THROTTLE_USER", default="6000/min"),
        # Per user (any of their tills) for a valid refresh token, per address for a bad one.
        "refresh": env.str("POS_THROTTLE_REFRESH", default="60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front (1 behind the nginx gateway): client addresses for throttling come from
    # X-Forwarded-For only as far as these proxies vouch for it.
    "NUM_PROXIES": env.int("POS_NUM_PROXIES", default=0),
}

from datetime import timedelta  # noqa: E402

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("POS_JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("POS_JWT_REFRESH_HOURS", default=12)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Each refresh hands out a new refresh token and blacklists the old one (logout blacklists too).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a hash of the user's password hash: a password change ends every token issued
    # before it (access tokens at authentication, refresh tokens at refresh: auth_views.py).
    "CHECK_REVOKE_TOKEN": True,
}
# However often it is refreshed, a login ends this many hours after the password was given
# (a refresh token's expiry never passes its login's `auth_time` + this).
POS_JWT_MAX_LOGIN_HOURS = env.int("POS_JWT_MAX_LOGIN_HOURS", default=16)

SPECTACULAR_SETTINGS = {
    "TITLE": "POS API",
    "DESCRIPTION": "Point-of-sale back end: stores, catalog, customers, sales and reporting contexts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema is the same on SQLite and PostgreSQL (docs/api/openapi-v1.json is compared with it).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "infrastructure.http.openapi.drop_storage_integer_bounds"],
    # Enums that share a field name across contexts ("status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "contexts.sales.models.TillSessionView.STATUS_CHOICES",
        "OrderStatusEnum": "contexts.sales.models.OrderView.STATUS_CHOICES",
        "OrderKindEnum": "contexts.sales.models.OrderView.KIND_CHOICES",
        "CustomerStatusEnum": "contexts.customers.domain.customer.CUSTOMER_STATUSES",
    },
}

# The cache holds what every process must agree on: throttle counters and the deny-list of
# logged-out access tokens. POS_CACHE_URL names it; without it, a Redis broker's next database
# number is used (broker 0 -> cache 1, so clearing the cache never touches queued tasks).
_cache_url = env.str("POS_CACHE_URL", default="")
if not _cache_url and CELERY_BROKER_URL.startswith("redis"):
    _broker_db = CELERY_BROKER_URL.rstrip("/").rpartition("/")[2]
    _cache_url = (CELERY_BROKER_URL.rstrip("/").rpartition("/")[0] + f"/{int(_broker_db) + 1}"
                  if _broker_db.isdigit() else CELERY_BROKER_URL)
if _cache_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _cache_url,
                          # A Redis that is down or hangs costs a request a fraction of a second, not
                          # the OS's TCP timeouts: its callers fail open or answer 503 (docs/security.md).
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
elif FULL_MODE:
    # A per-process cache would make every throttle and every logout per gunicorn worker.
    raise ImproperlyConfigured(
        "Full mode needs a shared cache: set POS_CACHE_URL (redis://host:6379/1) or a Redis "
        "CELERY_BROKER_URL, whose next database number is then used.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# /health/ready's answer is reused for this long per process (infrastructure/health.py).
POS_READY_CACHE_SECONDS = env.float("POS_READY_CACHE_SECONDS", default=2.0)
# ... and it says "degraded" (still 200: the API itself works) when the pipeline falls behind:
# a consumer more than this many records behind on its topics, a context's relay with more
# unpublished events than this, or its oldest unpublished event older than this (docs/operations.md).
POS_READY_MAX_CONSUMER_LAG = env.int("POS_READY_MAX_CONSUMER_LAG", default=1000)
POS_READY_MAX_RELAY_BACKLOG = env.int("POS_READY_MAX_RELAY_BACKLOG", default=1000)
POS_READY_MAX_RELAY_AGE_SECONDS = env.float("POS_READY_MAX_RELAY_AGE_SECONDS", default=60.0)
# /metrics answers a request bearing this token (Prometheus inside the network); unset: only a
# signed-in superuser (infrastructure/observability/views.py). The gateway never routes it.
POS_METRICS_TOKEN = env.str("POS_METRICS_TOKEN", default="")
# Set for gunicorn with several workers: an empty directory, fresh at each start, shared by the
# workers of one deployment; prometheus-client reads it from the environment itself, and /metrics
# then sums every worker's counters (infrastructure/observability/metrics.py).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR={PROMETHEUS_MULTIPROC_DIR} is not a directory")
# A Celery worker serves its own process metrics (commands its policies ran, events appended) on
# this port when set (infrastructure/worker/bootstep.py); 0: not at all.
POS_WORKER_METRICS_PORT = env.int("POS_WORKER_METRICS_PORT", default=0)

# --- I18N, time, static ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The back office shows times in this zone (events, reports and receipts do not depend on it:
# events are UTC, business days and receipts are each store's own time zone, a stores field).
TIME_ZONE = env.str("POS_TIME_ZONE", default="UTC")
USE_I18N = True
# The back office writes dates one way everywhere (pos_project/formats/en/formats.py).
FORMAT_MODULE_PATH = ["pos_project.formats"]
USE_TZ = True
# The chain's currency (one for all stores). POS_SHOP_NAME is the receipt heading only for orders
# of a store the sales context has no store details for; a store's name, address and tax id come
# from the stores context.
POS_CURRENCY = env.str("POS_CURRENCY", default="EUR")
POS_SHOP_NAME = env.str("POS_SHOP_NAME", default="POS Demo Shop")
# The store that held the chain-wide stock pool recorded before stock was kept per store, and where
# stock commands that name no store act (contexts/catalog/legacy_stock.py). Set once; never change.
POS_STOCK_LEGACY_STORE = env.str("POS_STOCK_LEGACY_STORE", default="S1")


def _positive_decimal(name: str, default: str) -> Decimal:
    try:
        value = Decimal(env.str(name, default=default))
    except InvalidOperation:
        value = Decimal("NaN")
    if not (value.is_finite() and value > 0):
        raise ImproperlyConfigured(f"{name} must be a positive number such as {default}")
    return value


# What a cashier may do without a manager (a manager has no such limits).
POS_CASHIER_MAX_DISCOUNT_PERCENT = _positive_decimal("POS_CASHIER_MAX_DISCOUNT_PERCENT", "10")
POS_CASHIER_REFUND_LIMIT = _positive_decimal("POS_CASHIER_REFUND_LIMIT", "100.00")  # per order and per session
# A manager's approval (POST /api/v1/sales/approvals/) is good for one request within this time.
POS_MANAGER_APPROVAL_SECONDS = env.int("POS_MANAGER_APPROVAL_SECONDS", default=120)
# Cash tendered may exceed what is owed by at most this much change (a mistyped 9999999.99 is refused).
POS_CASH_MAX_CHANGE = _positive_decimal("POS_CASH_MAX_CHANGE", "500.00")
# An offline sale's placed_at may be at most this far ahead of the server's clock.
POS_PLACED_AT_MAX_SKEW_SECONDS = env.int("POS_PLACED_AT_MAX_SKEW_SECONDS", default=300)
# Loyalty: one point per whole POS_LOYALTY_UNIT of a paid order's total (customers context).
POS_LOYALTY_UNIT = _positive_decimal("POS_LOYALTY_UNIT", "1.00")
# ...and each point pays POS_LOYALTY_POINT_VALUE at a till (payment method "points"; sales context).
# With the defaults a customer earns 1 point per 1.00 and 100 points pay 1.00: 1 % back.
POS_LOYALTY_POINT_VALUE = _positive_decimal("POS_LOYALTY_POINT_VALUE", "0.01")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# whitenoise looks here at start-up; an empty folder until collectstatic is fine (not a warning).
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass  # a read-only deployment serves what collectstatic put there at build time
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if FULL_MODE
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not FULL_MODE
# The browser till's bundle (frontend/till/, built by `make till`), served as /static/till/.
TILL_BUILD_DIR = BASE_DIR / "frontend" / "till" / "dist"
STATICFILES_DIRS = [("till", TILL_BUILD_DIR)] if TILL_BUILD_DIR.is_dir() else []

# POS_LOG_FORMAT=json: one JSON object per line (python-json-logger) with request_id, correlation_id,
# context, user and till (infrastructure/observability/log_context.py); plain: the same, as text.
POS_LOG_FORMAT = env.str("POS_LOG_FORMAT", default="plain")
if POS_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"POS_LOG_FORMAT must be 'plain' or 'json', not {POS_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_context": {"()": "infrastructure.observability.log_context.LogContextFilter"}},
    "formatters": {
        # One line per message: what a client sends (a path, a header) cannot forge another line.
        "plain": {"()": "infrastructure.http.request_id.SingleLineFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": ["asctime", "levelname", "name", "message", "request_id", "correlation_id", "context", "user",
                         "till"],
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": POS_LOG_FORMAT, "filters": ["log_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("POS_LOG_LEVEL", default="INFO")},
    "loggers": {
        "kafka": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # Every request is logged once by pos.requests (with its status): Django's own 4xx warnings
        # ("Not Found: /favicon.ico" on every page) would log it twice. Its 5xx errors still show.
        "django.request": {"level": "ERROR"},
    },
}

# --- Security (docs/security.md) ---------------------------------------------------------------
# Request bodies: at most this many bytes (a bigger one answers 413 problem details), and at most
# this many form fields. A till sale of 200 lines is about 25 KB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("POS_MAX_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Logins, of the admin and of the API alike, are watched by django-axes (docs/security.md): after
# POS_LOGIN_FAILURE_LIMIT failed attempts for one username, or from one client address, within
# POS_LOGIN_COOLOFF_SECONDS, that username (from anywhere) or that address (for any username) is
# refused with 429 until the cool-off passes. Only failures count: a shop's tills behind one
# address all log in at opening. The counts are in the database, shared by every process.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("POS_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("POS_LOGIN_COOLOFF_SECONDS", default=300))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Keys as the login form and the user table see them (strip + NFKC, any case), so " manager" or a
# fullwidth "ｍａｎａｇｅｒ" count against "manager"; the address as the throttles see it.
AXES_USERNAME_CALLABLE = "infrastructure.http.login_lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "infrastructure.http.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "infrastructure.http.login_lockout.lockout_response"
# A success does not wipe the address's failures: one valid account must not reset an attacker's count.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the request log; no table growing per login
AXES_ENABLE_ADMIN = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the admin's JavaScript does not read it, but DRF session clients may
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if FULL_MODE:
    # TLS terminates at the gateway (nginx), which sets X-Forwarded-Proto; Django trusts that
    # header only there. Cookies are secure and HSTS is on unless the environment says otherwise
    # (DJANGO_SECURE_COOKIES=false / DJANGO_HSTS_SECONDS=0 for a plain-HTTP test deployment).
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is a commitment for the whole domain: opt in with DJANGO_HSTS_PRELOAD=true
    # (until then `check --deploy`'s W021 reminder is silenced below).
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    # Redirects to https at Django too (off by default: the gateway redirects, and the health
    # probes inside the network speak plain HTTP). `check --deploy`'s W008 is silenced for that
    # reason only when the redirect is left to the gateway.
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SILENCED_SYSTEM_CHECKS = ([] if SECURE_SSL_REDIRECT else ["security.W008"]) + (
        [] if SECURE_HSTS_PRELOAD else ["security.W021"])

# Personal data in events is encrypted with a key per data subject (docs/personal-data.md); those
# keys are stored wrapped by a master key. POS_MASTER_KEYS lists "id:key" pairs (key: 32 bytes,
# urlsafe base64; `manage.py master_key new` makes one), the first one wraps new keys, the others
# only unwrap (rotation). Left empty, the master key is derived from SECRET_KEY (id "secret-key").
POS_MASTER_KEYS = env.list("POS_MASTER_KEYS", default=[])
