"""Settings for every environment, with safe development defaults.

Integrations switch on only when their environment variable is set; see .env.example.
"""

import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # src/socplan
ROOT_DIR = PACKAGE_DIR.parents[1]

env = environ.Env()
if (ROOT_DIR / ".env").exists() and env.bool("SOCPLAN_READ_DOT_ENV", default=True):
    env.read_env(str(ROOT_DIR / ".env"))


def _secret(name: str, default=environ.Env.NOTSET):
    """Read a secret from NAME, or from the file that NAME_FILE points to."""
    file_var = env.str(f"{name}_FILE", default="")
    if file_var:
        return Path(file_var).read_text().strip()
    return env.str(name, default=default)


# Everything the embedded default writes (database, uploads, generated documents, broker queue).
DATA_DIR = Path(env.str("SOCPLAN_DATA_DIR", default=str(ROOT_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _generated_secret_key() -> str:
    """Keep one random key per installation in the data folder (embedded default only)."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY", default="") or _generated_secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "simple_history",
    "socplan.core",
    "socplan.territory",
    "socplan.organizations",
    "socplan.plans",
    "socplan.social_services",
    "socplan.monitoring",
    "socplan.archive",
]

MIDDLEWARE = [
    "socplan.core.cache.DataVersionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "socplan.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "socplan.core.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a locked-out login answers with its own page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "socplan.config.urls"
WSGI_APPLICATION = "socplan.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "socplan.core.context_processors.site",
                # Last: replaces the CSRF token with a placeholder in pages rendered for the cache.
                "socplan.core.cache.csrf_placeholder",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'socplan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server and the worker read while one of them writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------------
CACHES = {
    # Shared by all processes when CACHE_URL points at Redis or Memcached: sessions, the data version.
    "default": env.cache("CACHE_URL", default="locmemcache://socplan"),
    # Rendered pages and computed reads, in each process's memory: the fastest place to read them
    # from. Their keys carry the shared data version, so no process serves a stale entry.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "socplan-pages",
        "OPTIONS": {"MAX_ENTRIES": env.int("PAGE_CACHE_ENTRIES", default=2000)},
    },
}

# --- Authentication -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "socplan.core.backends.CachedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Lockout after repeated failures (django-axes): 5 failures lock the username for 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# TOTP second factor. Administrators must use it where this is on (production settings).
SOCPLAN_OTP_REQUIRED_FOR_ADMINS = env.bool("SOCPLAN_OTP_REQUIRED_FOR_ADMINS", default=False)
OTP_TOTP_ISSUER = "socplan"

# With a shared cache, sessions are read from it and written through to the database. A cache of
# each process's own could keep serving a session that another process has ended (sign-out).
_SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if _SHARED_CACHE else "db")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "bg"
LANGUAGES = [("bg", _("Bulgarian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Sofia"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["socplan.formats"]

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing folder before collectstatic
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def _s3(bucket: str) -> dict:
    """Any S3-compatible object store (MinIO, Ceph, a cloud provider) through django-storages."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION", default=None),
            "access_key": _secret("S3_ACCESS_KEY", default=None),
            "secret_key": _secret("S3_SECRET_KEY", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


if env.str("S3_BUCKET", default=""):
    STORAGES["default"] = _s3(env.str("S3_BUCKET"))
# The archive's scans, searchable PDFs and page images: a folder of their own by default, an S3
# bucket (ARCHIVE_S3_BUCKET, with the S3_* credentials above) by configuration.
STORAGES["archive"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(Path(env.str("ARCHIVE_ROOT", default=str(DATA_DIR / "archive"))))},
}
if env.str("ARCHIVE_S3_BUCKET", default=""):
    STORAGES["archive"] = _s3(env.str("ARCHIVE_S3_BUCKET"))
# Where each directorate's scanner drops files (a folder per register code), watched every minute.
ARCHIVE_DROP_DIR = Path(env.str("ARCHIVE_DROP_DIR", default=str(DATA_DIR / "scanner")))
# The folder that stands for secure e-delivery (ССЕВ) until the real service is connected.
ARCHIVE_EDELIVERY_DIR = Path(env.str("ARCHIVE_EDELIVERY_DIR", default=str(DATA_DIR / "edelivery")))
# How long a signed link to a page image or PDF works, in seconds.
ARCHIVE_LINK_SECONDS = env.int("ARCHIVE_LINK_SECONDS", default=900)
# The largest file the archive accepts (a scanned dossier can be big; a 2 GB upload is refused).
ARCHIVE_MAX_FILE_BYTES = env.int("ARCHIVE_MAX_FILE_BYTES", default=200 * 2**20)
# OCR: languages and the number of pages Tesseract works on at once.
ARCHIVE_OCR_LANGUAGES = env.str("ARCHIVE_OCR_LANGUAGES", default="bul+eng")
ARCHIVE_OCR_JOBS = env.int("ARCHIVE_OCR_JOBS", default=2)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail://{DATA_DIR / 'mail'}")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="socplan <noreply@socplan.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address people reach socplan at, for links in e-mails sent by the background worker.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- Background jobs (Celery) -------------------------------------------------------------------
# Embedded default: a queue in the data folder served by the local worker that ./run demo starts;
# nothing to install. At scale: CELERY_BROKER_URL=redis://… or amqp://…
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue = DATA_DIR / "queue"
    for _sub in ("out", "processed"):
        (_queue / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "out"),
        "data_folder_out": str(_queue / "out"),
        "processed_folder": str(_queue / "processed"),
        # Exchange tables (worker control, pidbox) beside the queue, not in the current directory.
        "control_folder": str(_queue / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
from .celery import CELERY_BEAT_SCHEDULE  # noqa: E402,F401

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "socplan.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socplan.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "socplan API",
    "DESCRIPTION": "Social services planning, monitoring and evaluation — REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "socplan.organizations.models.Organization.Kind",
        "BodyKindEnum": "socplan.organizations.models.Body.Kind",
        "SettlementKindEnum": "socplan.territory.models.Settlement.Kind",
        "MembershipRoleEnum": "socplan.organizations.models.Membership.Role",
        "UserRoleEnum": "socplan.organizations.models.RoleAssignment.Role",
        "CompositionEnum": "socplan.organizations.models.Membership.Composition",
        "PlanKindEnum": "socplan.plans.models.Plan.Kind",
        "PlanStatusEnum": "socplan.plans.models.Plan.Status",
        "PlanVersionStatusEnum": "socplan.plans.models.PlanVersion.Status",
        "PlanLevelEnum": "socplan.plans.models.Level",
        "FinancingSourceEnum": "socplan.plans.models.FinancingLine.Source",
        "ServiceStatusEnum": "socplan.social_services.models.Service.Status",
        "ServiceFinancingEnum": "socplan.social_services.models.Service.Financing",
        "OccupancyPeriodEnum": "socplan.social_services.models.Occupancy.Period",
    },
}

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

SOCPLAN_DEMO = env.bool("SOCPLAN_DEMO", default=False)
