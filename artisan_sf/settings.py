"""Settings for artisan-sf, read from the environment through django-environ.

With nothing set, the service runs on the embedded default: a SQLite file and
django-q2's ORM broker. DATABASE_URL (PostgreSQL) and REDIS_URL (django-q2 on
Redis) select the production tier. Secrets have no defaults: `make env` writes
a `.env` with fresh random ones for development.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def required_secret(name: str) -> str:
    """Return the secret `name` from the environment; refuse to start without it."""
    value = env(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is missing or empty. Run `make env` to write a .env with fresh "
            "secrets (an existing .env is kept: delete it first, or fill in the "
            "value by hand), or set it in the environment."
        )
    return value


SECRET_KEY = required_secret("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_q",
    "ninja",
    "outreach",
    "integrations",
    "exports",
    "sf_emulator",
    "api",
    "contact_checks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "artisan_sf.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "artisan_sf.wsgi.application"

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'artisan_sf.sqlite3'}"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server, the worker and management commands share one SQLite
    # file, so writers wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The intake API takes up to 1,000 messages a request, with full email bodies;
# Django's 2.5 MB default would reject such batches before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024 * 1024
)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/settings/integrations/salesforce/"

# Production-only hardening, switched on wherever the site is served over HTTPS.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Trust X-Forwarded-Proto only behind a proxy that sets it; otherwise any
# client could claim HTTPS.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Salesforce ------------------------------------------------------------

# Fernet key that encrypts OAuth tokens at rest; see integrations.crypto.
TOKEN_ENCRYPTION_KEY = required_secret("TOKEN_ENCRYPTION_KEY")

# Login host of the OAuth flow: https://login.salesforce.com,
# https://test.salesforce.com, a My Domain, or the local emulator.
SALESFORCE_LOGIN_URL = env(
    "SALESFORCE_LOGIN_URL", default="https://login.salesforce.com"
)
SALESFORCE_CLIENT_ID = env("SALESFORCE_CLIENT_ID", default="")
SALESFORCE_CLIENT_SECRET = env("SALESFORCE_CLIENT_SECRET", default="")
# CA bundle that verifies Salesforce's certificate; empty means the system
# store. The emulator's own CA is passed here in development and tests.
SALESFORCE_CA_BUNDLE = env("SALESFORCE_CA_BUNDLE", default="")
SALESFORCE_API_VERSION = env("SALESFORCE_API_VERSION", default="62.0")
SALESFORCE_TIMEOUT_SECONDS = env.float("SALESFORCE_TIMEOUT_SECONDS", default=30.0)
SALESFORCE_CONNECTED_APP_NAME = env(
    "SALESFORCE_CONNECTED_APP_NAME", default="Artisan AI Salesforce Integration"
)
SALESFORCE_PACKAGE_INSTALL_URL = env("SALESFORCE_PACKAGE_INSTALL_URL", default="")

# --- django-allauth --------------------------------------------------------

ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = False
# Tokens live only in integrations.SalesforceConnection, encrypted; allauth's
# SocialToken table would keep them in plain text.
SOCIALACCOUNT_STORE_TOKENS = False
# Completes a Salesforce authorization as a stored connection (never a login).
SOCIALACCOUNT_ADAPTER = "integrations.oauth.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "salesforce": {
        "APP": {
            "client_id": SALESFORCE_CLIENT_ID,
            "secret": SALESFORCE_CLIENT_SECRET,
            "key": SALESFORCE_LOGIN_URL,
        },
        "SCOPE": ["api", "refresh_token", "id", "openid"],
        "OAUTH_PKCE_ENABLED": True,
    }
}

# --- django-q2 -------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
# The numbers below fit together; change them together:
# - timeout 600 s: a task (one export run) is stopped after ten minutes; the
#   task marks its run failed (exports.tasks). A run commits each batch as it
#   lands, so a stopped run loses at most one batch of bookkeeping and the
#   next run repairs it by look-up. A run or an account's task row silent for
#   this long is taken to be abandoned (exports.engine, exports.services).
# - retry 720 s, longer than timeout: the ORM broker hands a task that was not
#   acknowledged to another worker only after this, so a slow export is never
#   run by two workers at once. Redis does not hand tasks out again at all.
# - max_attempts 3: a task that raised or was stopped is delivered at most
#   three times in all (ORM broker), never forever. Exports record their own
#   failures and do not raise, so this covers crashes and timeouts.
# - EXPORT_SWEEP_MINUTES 5: the schedule "exports.sweep" (exports.schedules)
#   queues an export of each connected account with new work this often, and
#   so also continues what a lost or stopped task left.
Q_CLUSTER = {
    "name": env("Q_CLUSTER_NAME", default="artisan_sf"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT_SECONDS", default=600),
    "retry": env.int("Q_RETRY_SECONDS", default=720),
    "max_attempts": 3,
    "ack_failures": False,
    "catch_up": False,
    "save_limit": 1000,
}
EXPORT_SWEEP_MINUTES = env.int("EXPORT_SWEEP_MINUTES", default=5)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "WARNING"},
        # At DEBUG, urllib3 logs request URLs, and SOQL in them carries emails.
        "urllib3": {"level": "WARNING"},
        "django_q": {"level": env("DJANGO_Q_LOG_LEVEL", default="WARNING")},
    },
}
