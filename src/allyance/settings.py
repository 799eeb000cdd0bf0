"""Allyance settings: everything is read from the environment with safe local defaults."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("ALLYANCE_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Local use only: a key kept beside the database so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        SECRET_KEY = key_file.read_text().strip()
    else:
        from django.core.management.utils import get_random_secret_key

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = get_random_secret_key()
        key_file.write_text(SECRET_KEY)
        key_file.chmod(0o600)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "django_tasks_db",
    "axes",
    "csp",
    "allyance.core",
    "allyance.customers",
    "allyance.activities",
    "allyance.sales",
    "allyance.catalog",
    "allyance.orders",
    "allyance.partners",
    "allyance.service",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "allyance.core.api_support.RejectUnstorableTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allyance.core.middleware.UserLocaleMiddleware",
    "allyance.core.middleware.AuditActorMiddleware",
    "allyance.core.page_cache.PageCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "allyance.urls"
# Built-in widgets are drawn with Django's Jinja2 templates (core/form_renderer.py).
FORM_RENDERER = "allyance.core.form_renderer.WidgetRenderer"
WSGI_APPLICATION = "allyance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "allyance.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default; DATABASE_URL (e.g. postgres://...) otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # No JIT compilation: the reports' queries are costed above its threshold at a
    # million records and compiling them took longer than running them (the funnel:
    # 590 ms with, 160 ms without). POSTGRES_JIT=on keeps the server's setting.
    is_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if is_postgres and not env_bool("POSTGRES_JIT", False):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "allyance.sqlite3"))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Kept open between requests, as for PostgreSQL: opening one (with its pragmas
            # and Django's SQL functions) cost ~2 ms of every request.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling and lockout (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind reverse proxies the client's address is in X-Forwarded-For; without this a
# lockout would hit the user name from every address (all requests come from the proxy).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "allyance.core.middleware.client_address"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from it after collectstatic
NODE_MODULES = Path(os.environ.get("NODE_MODULES", PROJECT_DIR / "node_modules"))
# Front-end packages come from the npm registry (package.json); these are the parts served.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/tabler", NODE_MODULES / "@tabler/core/dist"),
    ("vendor/tabler-icons", NODE_MODULES / "@tabler/icons-webfont/dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org/dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select/dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/echarts", NODE_MODULES / "echarts/dist"),
    ("vendor/fullcalendar", NODE_MODULES / "fullcalendar"),
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through a checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files in an S3-compatible bucket (django-storages) when STORAGE_S3_BUCKET is set, so
# web servers and workers on several machines see the same files. The bucket stays private:
# downloads are streamed through the checked view. Keys left empty fall back to boto3's own
# credential chain (AWS_* variables, instance role).
STORAGE_S3_BUCKET = os.environ.get("STORAGE_S3_BUCKET", "")
if STORAGE_S3_BUCKET:
    s3_from_env = {
        "endpoint_url": "STORAGE_S3_ENDPOINT_URL",  # MinIO, Ceph, Cloudflare R2…; unset for AWS
        "region_name": "STORAGE_S3_REGION",
        "access_key": "STORAGE_S3_ACCESS_KEY_ID",
        "secret_key": "STORAGE_S3_SECRET_ACCESS_KEY",
        "location": "STORAGE_S3_PREFIX",
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "file_overwrite": False,  # two uploads with one name must not replace each other
            **{
                option: os.environ[name]
                for option, name in s3_from_env.items()
                if os.environ.get(name)
            },
        },
    }
WHITENOISE_USE_FINDERS = True

# Uploads.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Email (Django's MAILERS). EMAIL_URL-style parts come from the environment.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 20,
        },
    }
}
if MAILERS["default"]["BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {}
# Currencies amounts may be in (ISO 4217), and the one new records start in.
CURRENCIES = [
    code.strip().upper()
    for code in os.environ.get("CURRENCIES", "CNY,USD,EUR,HKD,TWD,JPY,GBP,SGD").split(",")
    if code.strip()
]
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", CURRENCIES[0]).upper()
DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "CN")
# The address users reach the app at; links in e-mails and calendar feeds start with it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Allyance <noreply@localhost>")

# Background jobs: the database worker by default; RQ on Redis when TASKS_BACKEND=rq.
if os.environ.get("TASKS_BACKEND") == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}  # so a plain `manage.py rqworker default` runs tasks
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Logged-in pages kept until any data changes (core/page_cache.py): needs a cache all
# processes share, so it is on by default only with Redis. 0 turns it off.
PAGE_CACHE_SECONDS = int(
    os.environ.get("PAGE_CACHE_SECONDS", "60" if os.environ.get("REDIS_URL") else "0")
)

# REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "allyance.core.api_support.SearchQueryFilter",
        "allyance.core.custom_fields.api_filter.CustomFieldQueryFilter",
        "allyance.core.api_support.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "allyance.core.api_support.JSONParser",
        "allyance.core.api_support.FormParser",
        "allyance.core.api_support.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "allyance.core.api_support.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_THROTTLE_USER", "5000/hour"),
        "anon": os.environ.get("API_THROTTLE_ANON", "100/hour"),
    },
    "EXCEPTION_HANDLER": "allyance.core.api_support.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Allyance API",
    "DESCRIPTION": "CRM with partner relationship management built in.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several models or fields share.
    "ENUM_NAME_OVERRIDES": {
        "AccountKindEnum": "allyance.customers.models.Account.Kind",
        "OrganisationKindEnum": "allyance.core.models.Organisation.Kind",
        "PartnerTypeEnum": "allyance.core.models.Organisation.PartnerType",
        "ActivityKindEnum": "allyance.activities.models.Activity.Kind",
        "ScoringRuleKindEnum": "allyance.sales.models.scoring.ScoringRule.Kind",
        "LeadEventKindEnum": "allyance.sales.models.scoring.LeadEvent.Kind",
        "AuditActionEnum": "allyance.core.models.AuditEntry.Action",
        "AssignmentActionEnum": "allyance.sales.models.routing.AssignmentRule.Action",
        "UserRoleEnum": "allyance.core.models.Role",
        "DecisionRoleEnum": "allyance.customers.models.Contact.DecisionRole",
        "IndustryEnum": "allyance.customers.models.Industry",
        "SizeBandEnum": "allyance.customers.models.SizeBand",
        "SourceEnum": "allyance.customers.models.Source",
        "CountryEnum": "django_countries.countries",
        "DocumentKindEnum": "allyance.orders.models.documents.DocumentKind",
        "ProductKindEnum": "allyance.catalog.models.products.Product.Kind",
        "ConfigurationRuleKindEnum": "allyance.catalog.models.products.ConfigurationRule.Kind",
        "CaseStatusEnum": "allyance.service.models.Case.Status",
        "CaseKindEnum": "allyance.service.models.Case.Kind",
    },
}

# Security. HTTPS settings switch on with SECURE=1 (behind TLS).
SECURE = env_bool("SECURE", False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

ALLYANCE_COMPANY_NAME = os.environ.get("ALLYANCE_COMPANY_NAME", "Allyance Demo Co.")
