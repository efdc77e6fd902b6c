"""Settings for Aftersales: one module, every value from an environment variable.

Defaults are the safe embedded set-up: DEBUG off, SQLite under ``var/``, Huey on
SQLite, console e-mail, localhost only. ``.env.example`` lists every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from aftersales.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("AFTERSALES_VAR_DIR", str(BASE_DIR / "var")))
# The embedded set-up keeps its SQLite files here; Huey opens its file on import.
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "django-insecure-development-key-change-me-before-deploying")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "huey.contrib.djhuey",
    "aftersales.core",
    "aftersales.accounts",
    "aftersales.customers",
    "aftersales.units",
    "aftersales.commitments",
    "aftersales.notifications",
    "aftersales.tickets",
    "aftersales.fees",
    "aftersales.spares",
    "aftersales.visits",
    "aftersales.inspections",
    "aftersales.jobs",
    "aftersales.repairs",
    "aftersales.releases",
    "aftersales.api",
    "aftersales.intake",
    "aftersales.reports",
    "aftersales.search",
    "aftersales.desk",
    "aftersales.portal",
    "aftersales.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    """``DATABASE_URL`` picks the database; SQLite gets WAL and a busy timeout.

    WAL lets the web server read while the Huey consumer writes; IMMEDIATE
    transactions take the write lock up front, so two writers queue behind the
    busy timeout instead of failing on a lock upgrade.
    """
    default_url = f"sqlite:///{VAR_DIR / 'aftersales.sqlite3'}"
    config = dj_database_url.parse(
        env_str("DATABASE_URL", default_url),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["aftersales.accounts.backends.RoleBackend"]
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
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "desk:login"

LANGUAGE_CODE = env_str("AFTERSALES_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "aftersales" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("AFTERSALES_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("AFTERSALES_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "AFTERSALES_STATIC_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Aftersales <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _huey() -> dict:
    """Huey on Redis when ``REDIS_URL`` is set, else on a SQLite file.

    ``immediate`` is always explicit (it follows DEBUG otherwise) and crontab
    times are local: ``crontab(hour=9)`` means 09:00 in Asia/Shanghai.
    """
    common = {
        "name": "aftersales",
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "utc": False,
        "consumer": {"workers": env_int("HUEY_WORKERS", 2, minimum=1), "worker_type": "thread"},
    }
    redis_url = env_str("REDIS_URL", "")
    if redis_url:
        return {**common, "huey_class": "huey.RedisHuey", "url": redis_url}
    return {
        **common,
        "huey_class": "huey.SqliteHuey",
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }


HUEY = _huey()

REST_FRAMEWORK = {
    # Token first: an unauthenticated call gets 401 with "WWW-Authenticate: Token", not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["aftersales.api.permissions.IsActiveUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "aftersales.api.pagination.IdCursorPagination",
    "DEFAULT_PARSER_CLASSES": ["aftersales.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "aftersales.api.errors.api_exception_handler",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aftersales API",
    "DESCRIPTION": (
        "Tickets, units with their entitlement, customers, contacts and the phone system's screen pop. "
        "Authenticate with `Authorization: Token <key>` (a token per integration user, created by an "
        'administrator) or a signed-in session. Errors are `{"error": {"code", "message", '
        '"fields"}}`.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "aftersales.tickets.models.Kind",
        "ProductKindEnum": "aftersales.units.models.ProductModel.Kind",
        "ContractKindEnum": "aftersales.units.models.Contract.Kind",
        "EntitlementEnum": "aftersales.tickets.models.Entitlement",
        "VerdictEnum": "aftersales.api.serializers.VERDICT_CHOICES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aftersales.api.schema.add_error_responses",
    ],
    # Intranet installations have no internet: Swagger UI comes from our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Production hardening: DJANGO_SECURE=1 behind HTTPS turns on every check --deploy wants.
_SECURE = env_bool("DJANGO_SECURE", False)
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
SECURE_SSL_REDIRECT = _SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if _SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _SECURE
SECURE_HSTS_PRELOAD = _SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Customer portal and sign-in hardening (issue 4: §3 portal, §4b sign-in) ---------------------
# django-axes counts failed sign-ins per account AND address: someone guessing one account's password
# is stopped after AFTERSALES_LOGIN_FAILURE_LIMIT tries for AFTERSALES_LOGIN_COOLOFF_MINUTES, while
# the same account signing in from elsewhere is not locked out by them. Its backend goes first so a
# locked-out attempt never reaches the password check; its middleware last, to turn a lockout into
# the lockout page (429).
INSTALLED_APPS = [*INSTALLED_APPS, "axes"]
MIDDLEWARE = [*MIDDLEWARE, "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AFTERSALES_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AFTERSALES_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours, as axes reads it
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "aftersales.accounts.views.locked_out"
# Behind N reverse proxies (nginx) the client's address is the N-th from the right in
# X-Forwarded-For; 0 trusts only the socket's address (no proxy).
AFTERSALES_PROXY_COUNT = env_int("AFTERSALES_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "aftersales.accounts.views.client_ip_address"
# A password-reset link works once (it is bound to the password) and expires after this many seconds.
PASSWORD_RESET_TIMEOUT = env_int("DJANGO_PASSWORD_RESET_TIMEOUT", 24 * 3600, minimum=60)
LANGUAGE_COOKIE_SECURE = _SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("AFTERSALES_LOG_LEVEL", "INFO")},
    # Huey logs every task it runs at INFO: several a minute from the periodic work alone.
    # WeasyPrint logs each rendering step at INFO, and a refused fetch (see core.pdf) at ERROR.
    "loggers": {
        "huey": {"level": env_str("HUEY_LOG_LEVEL", "WARNING")},
        "weasyprint": {"level": "CRITICAL"},
        "fontTools": {"level": "WARNING"},
    },
}

# Shown with severe faults when the routed service centre has no emergency contact of its own.
AFTERSALES_EMERGENCY_CONTACT = env_str("AFTERSALES_EMERGENCY_CONTACT", "")
# Larger attachments (mail, portal) are recorded as refused, with a note to staff.
AFTERSALES_MAX_ATTACHMENT_MB = env_int("AFTERSALES_MAX_ATTACHMENT_MB", 25, minimum=1)
# Mail intake acknowledges at most this many new tickets per sender per hour (mail loops, floods).
AFTERSALES_MAIL_ACKS_PER_HOUR = env_int("AFTERSALES_MAIL_ACKS_PER_HOUR", 5, minimum=0)
# Software release packages larger than this are refused at upload.
AFTERSALES_MAX_PACKAGE_MB = env_int("AFTERSALES_MAX_PACKAGE_MB", 512, minimum=1)

# Business settings that are deployment choices rather than service-policy data.
AFTERSALES = {
    "VENDOR_NAME": env_str("AFTERSALES_VENDOR_NAME", "江南科友 Aftersales"),
    "SITE_URL": env_str("AFTERSALES_SITE_URL", "http://127.0.0.1:8000"),
    # The letterhead of every PDF (service and inspection reports, the year-end report).
    "VENDOR_ADDRESS": env_str("AFTERSALES_VENDOR_ADDRESS", "广州市天河区 · Tianhe District, Guangzhou"),
    "VENDOR_HOTLINE": env_str("AFTERSALES_VENDOR_HOTLINE", "400-000-0000"),
}

# Notifications out (aftersales/notifications): delivery retries, night paging, chat robots, SMS.
# Read when a message is sent, never at import; .env.example describes each variable.
NOTIFICATIONS = {
    "MAX_ATTEMPTS": env_int("NOTIFY_MAX_ATTEMPTS", 10, minimum=1),
    "TIMEOUT_SECONDS": env_int("NOTIFY_TIMEOUT_SECONDS", 10, minimum=1),
    "QUIET_HOURS": env_str("NOTIFY_QUIET_HOURS", "22:00-08:00"),
    "ROBOT_HOSTS": env_list("NOTIFY_ROBOT_HOSTS", ["qyapi.weixin.qq.com", "oapi.dingtalk.com"]),
    "SMS_GATEWAY_URL": env_str("SMS_GATEWAY_URL", ""),
    "SMS_GATEWAY_TOKEN_HEADER": env_str("SMS_GATEWAY_TOKEN_HEADER", "Authorization"),
    "SMS_GATEWAY_TOKEN": env_str("SMS_GATEWAY_TOKEN", ""),
    "SMS_GATEWAY_BODY": env_str("SMS_GATEWAY_BODY", '{"phone": "{phone}", "text": "{text}"}'),
}
