"""Settings for Ganapati, read from the environment (django-environ).

One base for every environment: production only tightens security when DEBUG is off.
Every variable is documented in `.env.example`.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file next to manage.py is read when present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# Read after .env, so that GANAPATI_VAR_DIR may be set there too.
VAR_DIR = Path(env.str("GANAPATI_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY, or the content of SECRET_KEY_FILE (Docker/Kubernetes secrets)."""
    path = env.str("SECRET_KEY_FILE", default="")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE ({path}) est illisible : {exc}") from exc
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if DEBUG:
        # Development only: a fixed, clearly insecure key.
        return "django-insecure-ganapati-dev-key-never-use-in-production"
    raise ImproperlyConfigured(
        "Le paramètre SECRET_KEY (ou SECRET_KEY_FILE) est obligatoire quand DEBUG est désactivé."
    )


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Le paramètre ALLOWED_HOSTS est obligatoire quand DEBUG est désactivé "
        "(liste de noms d'hôte séparés par des virgules)."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public address of the site, used in links sent by email (password reset, shared links...).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "ganapati.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "anymail",
    "axes",
    "csp",
    # The apps of the project, in the order of their layers (each imports only those above it
    # in this list): admin registrations and signal receivers of a higher app come later.
    "ganapati.apps.GanapatiConfig",
    "documents.apps.DocumentsConfig",
    "sessions.apps.TrainingSessionsConfig",
    "funding.apps.FundingConfig",
    "billing.apps.BillingConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ganapati.middleware.RejectNulCharactersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
    # Innermost: a logged-in page served again from the cache still gets every header above.
    "ganapati.privatecache.PrivatePageCacheMiddleware",
]

ROOT_URLCONF = "ganapati.urls"
WSGI_APPLICATION = "ganapati.wsgi.application"
ASGI_APPLICATION = "ganapati.asgi.application"

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
                "ganapati.context_processors.organisation",
            ],
            # French money, numbers, elisions (|euros, |nombre, |de) in every template and e-mail.
            "builtins": ["ganapati.templatetags.ganapati"],
        },
    },
]

# Database: a SQLite file under var/ by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ganapati.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "ganapati.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out user+IP is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Brute-force protection (django-axes): lock a user+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "ganapati.auth.axes_username"
# Behind a reverse proxy, the client address comes from X-Forwarded-For
# (set AXES_IPWARE_PROXY_COUNT to the number of proxies).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Static files: collected under var/static, served by whitenoise (also when DEBUG is off).
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))

# Media: never served publicly. Files are only handled through the storage API so that an
# S3-compatible bucket can replace the local disk when web and workers run on several machines.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_STORAGE_BACKEND = env.str("FILE_STORAGE_BACKEND", default="local")
if FILE_STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            # "path" for S3-compatible servers reached by address (MinIO, moto, some hosts).
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif FILE_STORAGE_BACKEND == "local":
    # base_url=None: the storage has no public URL; downloads go through views that check rights.
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
else:
    raise ImproperlyConfigured(
        f"FILE_STORAGE_BACKEND vaut « {FILE_STORAGE_BACKEND} » : "
        "valeurs possibles « local » ou « s3 »."
    )
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
# Large exports (ganapati/downloads.py): with S3, a redirect to a signed URL valid this many
# seconds; on local disk behind nginx, the internal location that serves MEDIA_ROOT
# (X-Accel-Redirect). Empty: Django streams the file (threaded gunicorn workers).
DOWNLOAD_URL_MAX_AGE = env.int("DOWNLOAD_URL_MAX_AGE", default=300)
DOWNLOAD_ACCEL_PREFIX = env.str("DOWNLOAD_ACCEL_PREFIX", default="")
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Public pages (catalogue, programme page, Trouver mon OPCO) served from the cache to visitors
# without cookies for at most this many seconds (ganapati/pagecache.py); 0 switches it off.
PUBLIC_PAGE_SECONDS = env.int("PUBLIC_PAGE_SECONDS", default=60)

# Cache: rate limits and small shared values. Local memory by default (one process);
# CACHE_URL=redis://... when several processes or machines serve the site.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that hangs must cost a page its speed-up (the callers fall back), never hang it.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )
# Logged-in pages kept until PostgreSQL's write-ahead log moves (ganapati/privatecache.py).
PRIVATE_PAGE_SECONDS = env.int("PRIVATE_PAGE_SECONDS", default=60)

# Email: kept visible locally by default (one file per message under var/mail/);
# a real provider through django-anymail when EMAIL_BACKEND names it.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ganapati <no-reply@ganapati.localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ANYMAIL = {
    # e.g. EMAIL_BACKEND=anymail.backends.brevo.EmailBackend and ANYMAIL_BREVO_API_KEY=...
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}

# Celery: without a broker, tasks are still queued on commit but run in-process (eager).
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
# In-process mode never sends to a broker (Celery still opens an in-memory producer).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# The queue tasks are sent to (and workers read by default): set it to share one Redis between
# several installations.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers an unacknowledged task after this delay: keep it well above the longest task
# (CELERY_TASK_TIME_LIMIT), otherwise a long task would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # Sweepers: pending work whose task was lost (a worker killed, a message dropped) is queued
    # again; every task is idempotent, so a sweep never does anything twice.
    "outbox-sweep": {
        "task": "ganapati.outbox_sweep",
        "schedule": crontab(minute="*/5"),
    },
    "documents-sweep": {
        "task": "documents.sweep",
        "schedule": crontab(minute="1-59/5"),
    },
    "sessions-sweep": {
        "task": "sessions.sweep",
        "schedule": crontab(minute="2-59/5"),
    },
    "billing-sweep": {
        "task": "billing.sweep",
        "schedule": crontab(minute="3-59/5"),
    },
    # Drafts' e-invoices checked again for the new day's date (issue 17): issuing is then
    # the numbering and the pre-invoicing check, without the official checks run again.
    "invoice-drafts-precheck": {
        "task": "billing.drafts_precheck",
        "schedule": crontab(hour=0, minute=10),
    },
    "funding-reminders": {
        "task": "funding.send_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "invoice-overdue-reminders": {
        "task": "billing.overdue_reminders",
        "schedule": crontab(hour=8, minute=15),
    },
    # Qualiopi (issue 15): convocations N days before, questionnaires, one reminder.
    "quality-daily": {
        "task": "sessions.quality_daily",
        "schedule": crontab(hour=7, minute=30),
    },
    "qualification-reminders": {
        "task": "ganapati.qualification_reminders",
        "schedule": crontab(hour=7, minute=45),
    },
    "appointment-reminders": {
        "task": "ganapati.appointment_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "appointments-purge": {
        "task": "ganapati.appointments_purge",
        "schedule": crontab(hour=3, minute=30),
    },
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT doit être supérieur à CELERY_TASK_TIME_LIMIT : "
        "sinon Redis redistribue une tâche encore en cours."
    )

# Outbox: an email whose sending was interrupted is flagged after this many seconds.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_STUCK_AFTER = env.int("OUTBOX_STUCK_AFTER", default=15 * 60)

# Calls with an advisor: how far ahead slots are offered, the least notice, and how many months
# after the call a booker's personal data is kept before being anonymised.
APPOINTMENTS_WEEKS_AHEAD = env.int("APPOINTMENTS_WEEKS_AHEAD", default=3)
APPOINTMENTS_MIN_NOTICE_HOURS = env.int("APPOINTMENTS_MIN_NOTICE_HOURS", default=2)
APPOINTMENTS_RETENTION_MONTHS = env.int("APPOINTMENTS_RETENTION_MONTHS", default=6)

# Content security policy (django-csp): no inline script, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Django's database sessions, read with PostgreSQL's log position (ganapati/session_store.py).
SESSION_ENGINE = "ganapati.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
# Pages are never framed; the few that must be (a PDF shown in the back-office) say so.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env.bool("SECURE_PROXY_SSL_HEADER", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # WeasyPrint says it is missing libharfbuzz-subset only at this level: keep it visible.
        "fontTools": {"level": "WARNING"},
    },
}

# Qualiopi (issue 15): days before the first day for the convocation, after the end for the
# cold questionnaire, before the one reminder; fewest answers for a published figure.
QUALITY_CONVOCATION_DAYS = env.int("QUALITY_CONVOCATION_DAYS", default=7)
QUALITY_COLD_DAYS = env.int("QUALITY_COLD_DAYS", default=90)
QUALITY_REMINDER_DAYS = env.int("QUALITY_REMINDER_DAYS", default=5)
QUALITY_MIN_COUNT = env.int("QUALITY_MIN_COUNT", default=5)
QUALITY_QUALIFICATION_NOTICE_DAYS = env.int("QUALITY_QUALIFICATION_NOTICE_DAYS", default=30)
