"""Settings shared by every environment. Every value comes from the environment.

Defaults are the embedded set-up: SQLite and the Celery broker in ``var/``, local files,
console e-mail. ``production.py`` refuses to start on those defaults where they are unsafe.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("HUB_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# A key that only the embedded default uses; production.py refuses it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-embedded-default-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
# Earlier keys, still accepted for signatures and stored secrets while a rotation settles.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "hub",
    "content",
    "campaigns",
    "channels",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # Only for its ISO 3166 data and the country names' translations (Account.country).
    "django_countries",
    "ninja",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hub.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hub.middleware.ApiGZipMiddleware",
    "hub.middleware.ApiProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hub.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://user@host:5432/hub. Default: SQLite in var/.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside the writer, and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Covering indexes (INCLUDE) are PostgreSQL's; SQLite builds them on the key columns,
    # which is all the embedded default needs: no warning on every migrate and start.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Keep connections between requests: a new SQLite connection repeats its PRAGMAs, a new
# PostgreSQL one its TLS and authentication, both on every request otherwise.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes, attempts kept in the database): after
# HUB_LOGIN_FAILURE_LIMIT failed sign-ins for one username from one address, that pair is
# locked out for HUB_LOGIN_LOCKOUT_MINUTES; a successful sign-in clears its failures.
AXES_FAILURE_LIMIT = env.int("HUB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("HUB_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hub.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "campaigns.views.client_ip"
# Password reset requests (the admin's "forgotten password" form), counted in CACHE_URL per
# address and per e-mail address: at most HUB_PASSWORD_RESET_LIMIT of each per window.
HUB_PASSWORD_RESET_LIMIT = env.int("HUB_PASSWORD_RESET_LIMIT", default=5)
HUB_PASSWORD_RESET_WINDOW_MINUTES = env.int("HUB_PASSWORD_RESET_WINDOW_MINUTES", default=60)

# Two-factor sign-in (django-otp, TOTP): optional per user, enrolled on the admin's
# "Two-factor sign-in" page; HUB_ADMIN_REQUIRE_2FA sends every admin user there first.
HUB_ADMIN_REQUIRE_2FA = env.bool("HUB_ADMIN_REQUIRE_2FA", default=False)
WAGTAILADMIN_USER_LOGIN_FORM = "hub.two_factor.LoginForm"
OTP_TOTP_ISSUER = env("HUB_OTP_ISSUER", default="Content & Campaign Hub")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: German is the source locale, English the first translation.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = env("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
# The project's own catalogue: strings of hub/, core/ (not an app) and templates/. The apps
# (campaigns, channels, content) keep theirs in <app>/locale/. `make messages` updates all.
LOCALE_PATHS = [BASE_DIR / "hub" / "locale"]
USE_TZ = True

# Static files are served by whitenoise from STATIC_ROOT after collectstatic.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The webshop's browser snippet (static/webshop/hub-placements.js), which shop pages on other
# origins load; channels/ is one app, so its adapter packages' static folders are named here.
STATICFILES_DIRS = [BASE_DIR / "channels" / "webshop" / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = VAR_DIR / "media"

# Storage: "local" (files under var/media) or "s3" (django-storages with boto3).
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=None),
            "location": env("AWS_S3_LOCATION", default=""),
            "default_acl": None,
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"STORAGE_BACKEND={STORAGE_BACKEND!r} is not supported; use 'local' or 's3'."
    )
# Local files are served by the hub itself under MEDIA_URL (hub/media.py), with the content's
# access rules: originals, renditions and documents only of live content (or to admin users),
# import files never. On S3 the bucket must stay private and URLs signed (see the README).
HUB_SERVE_MEDIA = env.bool("HUB_SERVE_MEDIA", default=STORAGE_BACKEND == "local")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# E-mail
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="hub@localhost")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Newsletter mail transports (channels/newsletter/transports/), loaded by dotted path like
# the channels. HUB_MAIL_TRANSPORT: "smtp" (the EMAIL_* server above, a pool of connections),
# "ses" (Amazon SES v2 with the usual AWS_* credentials) or "file" (.eml files in
# HUB_MAIL_DIRECTORY; the embedded default of `make run`). RATE_PER_SECOND is the global
# send rate of the transport across all workers; empty means unlimited.
HUB_MAIL_TRANSPORT = env("HUB_MAIL_TRANSPORT", default="smtp")
# How segments are counted: "bitmap" (day and attribute sets kept by the segment-state
# maintenance; fast, within a minute of new data) or "sql" (the rules over raw events).
HUB_SEGMENT_BACKEND = env("HUB_SEGMENT_BACKEND", default="bitmap")
if HUB_MAIL_TRANSPORT == "ses":
    _mail_transport = {
        "BACKEND": "channels.newsletter.transports.SESTransport",
        "OPTIONS": {
            "REGION": env("AWS_SES_REGION", default="eu-central-1"),
            "ENDPOINT_URL": env("AWS_SES_ENDPOINT_URL", default=None),
            "CONFIGURATION_SET": env("AWS_SES_CONFIGURATION_SET", default=""),
            "RATE_PER_SECOND": env.float("HUB_MAIL_RATE_PER_SECOND", default=14.0),
        },
    }
elif HUB_MAIL_TRANSPORT == "file":
    _mail_transport = {
        "BACKEND": "channels.newsletter.transports.FileTransport",
        "OPTIONS": {"DIRECTORY": env("HUB_MAIL_DIRECTORY", default=str(VAR_DIR / "mail"))},
    }
elif HUB_MAIL_TRANSPORT == "smtp":
    _mail_transport = {
        "BACKEND": "channels.newsletter.transports.SMTPTransport",
        "OPTIONS": {
            "HOST": EMAIL_HOST,
            "PORT": EMAIL_PORT,
            "USERNAME": EMAIL_HOST_USER,
            "PASSWORD": EMAIL_HOST_PASSWORD,
            "STARTTLS": EMAIL_USE_TLS,
            "SSL": EMAIL_USE_SSL,
            "TIMEOUT": EMAIL_TIMEOUT,
            "POOL_SIZE": env.int("HUB_MAIL_POOL_SIZE", default=4),
            "RATE_PER_SECOND": env.float("HUB_MAIL_RATE_PER_SECOND", default=None),
            # A PEM bundle for a server certificate from an in-house CA; empty: system CAs.
            "CA_FILE": env("HUB_MAIL_CA_FILE", default="") or None,
        },
    }
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"HUB_MAIL_TRANSPORT={HUB_MAIL_TRANSPORT!r} is not supported; use smtp, ses or file."
    )
HUB_MAIL_TRANSPORTS = {"default": _mail_transport}
# Where the send rate's shared state lives: "database" (the embedded default) or a
# redis:// URL, which several hosts of workers need to share cheaply.
# Set but empty counts as unset.
HUB_SEND_RATE_URL = env("HUB_SEND_RATE_URL", default="") or "database"
# The domain of the newsletter's Message-IDs (d<delivery>.<hmac>@HUB_MAIL_DOMAIN), by which
# bounces are mapped back to their delivery.
HUB_MAIL_DOMAIN = env("HUB_MAIL_DOMAIN", default="localhost")

# Celery: the embedded broker is kombu's SQLAlchemy transport over a SQLite file.
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{(VAR_DIR / 'broker.sqlite3').resolve()}"
)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
# e.g. {"visibility_timeout": 3600}: how long Redis waits before it hands an unacknowledged
# task (its worker died) to another worker.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = TIME_ZONE
# Sending has its own queue (and workers, in production) so exports never hold up mail;
# feed runs (minutes for a large catalogue) go to the export queue.
CELERY_TASK_ROUTES = {
    "campaigns.tasks.send_campaign_batch": {"queue": "send"},
    "campaigns.tasks.feed_generate": {"queue": "export"},
    # Print catalogues: WeasyPrint holds a document in memory and uses one core.
    "campaigns.tasks.catalogue_plan": {"queue": "render"},
    "campaigns.tasks.catalogue_render_part": {"queue": "render"},
    "campaigns.tasks.catalogue_assemble": {"queue": "render"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "publish-scheduled-content": {
        "task": "content.tasks.publish_scheduled_content",
        "schedule": env.float("HUB_PUBLISH_SCHEDULED_EVERY", default=60.0),
    },
    "campaign-results-recount": {
        "task": "campaigns.tasks.results_refresh_due",
        "schedule": env.float("HUB_RESULTS_RECOUNT_EVERY", default=60.0),
    },
    "tracking-hits-anonymise": {
        "task": "campaigns.tasks.tracking_hits_anonymise",
        "schedule": crontab(hour=3, minute=15),
    },
    "retry-due-webhooks": {"task": "channels.tasks.retry_due_webhooks", "schedule": 60.0},
    # Both do nothing (one log line) until HUB_CRM / HUB_ERP_IMPORT_LOCATION are set; a run
    # not started before the next one is due is dropped, so a stopped worker finds no backlog.
    "crm-sync": {
        "task": "campaigns.tasks.sync_crm",
        "schedule": env.float("HUB_CRM_SYNC_EVERY", default=900.0),
        "options": {"expires": env.float("HUB_CRM_SYNC_EVERY", default=900.0)},
    },
    # Events move contacts at once; time-based moves wait for the nightly run.
    "journey-nightly": {
        "task": "campaigns.tasks.journey_evaluate_all",
        "schedule": crontab(hour=env.int("HUB_JOURNEY_NIGHTLY_HOUR", default=2), minute=30),
    },
    # Campaigns are dispatched by this tick, never by long ETAs a broker could redeliver.
    "campaigns-tick": {
        "task": "campaigns.tasks.campaigns_tick",
        "schedule": env.float("HUB_CAMPAIGNS_TICK_EVERY", default=30.0),
        "options": {"expires": env.float("HUB_CAMPAIGNS_TICK_EVERY", default=30.0)},
    },
    # Feeds with changes waiting or a schedule due, each run in its own task.
    "feeds-regenerate": {
        "task": "campaigns.tasks.feeds_regenerate_due",
        "schedule": env.float("HUB_FEEDS_TICK_EVERY", default=30.0),
        "options": {"expires": env.float("HUB_FEEDS_TICK_EVERY", default=30.0)},
    },
    "erp-import": {
        "task": "campaigns.tasks.import_erp_files",
        "schedule": env.float("HUB_ERP_IMPORT_EVERY", default=300.0),
        "options": {"expires": env.float("HUB_ERP_IMPORT_EVERY", default=300.0)},
    },
    # Offers from purchase history: orders refresh their account at once; this moves every
    # account on with the calendar.
    "offers-nightly": {
        "task": "campaigns.tasks.offers_refresh_nightly",
        "schedule": crontab(hour=env.int("HUB_OFFERS_NIGHTLY_HOUR", default=1), minute=45),
    },
    # Placement segments per contact, computed ahead of the shop's requests: stale contacts
    # every 30 s; every contact every 15 minutes, for rules on time windows.
    "placement-audience-refresh": {
        "task": "campaigns.tasks.placement_audience_refresh_task",
        "schedule": env.float("HUB_PLACEMENT_AUDIENCE_EVERY", default=30.0),
        "options": {"expires": env.float("HUB_PLACEMENT_AUDIENCE_EVERY", default=30.0)},
    },
    "placement-audience-rebuild": {
        "task": "campaigns.tasks.placement_audience_rebuild_task",
        "schedule": env.float("HUB_PLACEMENT_AUDIENCE_REBUILD_EVERY", default=900.0),
        "options": {"expires": env.float("HUB_PLACEMENT_AUDIENCE_REBUILD_EVERY", default=900.0)},
    },
    # Segment state: the day and attribute sets the intakes marked are rebuilt, and the
    # saved segments' members and counts rechecked, within a minute of a change.
    "segment-state-refresh": {
        "task": "campaigns.tasks.segment_state_refresh",
        "schedule": env.float("HUB_SEGMENT_STATE_EVERY", default=30.0),
        "options": {"expires": env.float("HUB_SEGMENT_STATE_EVERY", default=30.0)},
    },
    # ... and everything built again from events, orders and contacts, every night.
    "segment-state-rebuild": {
        "task": "campaigns.tasks.segment_state_rebuild",
        "schedule": crontab(hour=env.int("HUB_SEGMENT_REBUILD_HOUR", default=2), minute=15),
    },
    # Catalogue runs whose workers died (lease lapsed) stop blocking their catalogue.
    "catalogue-runs-sweep": {
        "task": "campaigns.tasks.catalogue_runs_sweep",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
}

# Wagtail
WAGTAIL_SITE_NAME = "Content & Campaign Hub"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Any edit during review sends the item back to the first approval step.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAIL_WORKFLOW_CANCEL_ON_PUBLISH = True
WAGTAIL_FINISH_WORKFLOW_ACTION = "content.workflows.publish_approved_revision"
# Documents always go through Wagtail's serve view, whose before_serve_document hook
# (content/wagtail_hooks.py) hands out only documents of live content, never a storage URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif"]
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {"WIDGET": "content.widgets.RichTextArea"},
}

# Content-Security-Policy (django-csp). Scripts only from the hub's own static files: no
# inline scripts, no eval, nothing from elsewhere. Wagtail's admin is the one exception
# (hub.middleware): its widgets still print small inline scripts, so admin pages also allow
# 'unsafe-inline' scripts. Styles allow inline style attributes (Wagtail's admin and the
# public pages use them). HUB_CSP_MEDIA_SOURCES adds where images and documents are served
# from when that is not the hub itself (an S3 bucket or CDN, e.g. https://cdn.example.com).
HUB_CSP_MEDIA_SOURCES = env.list("HUB_CSP_MEDIA_SOURCES", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *HUB_CSP_MEDIA_SOURCES],
        "media-src": [SELF, *HUB_CSP_MEDIA_SOURCES],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
# User avatars would come from gravatar.com, which the policy (and privacy) refuses.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Wagtail's dashboard asks releases.wagtail.org for new versions (superusers only); off
# unless HUB_WAGTAIL_UPDATE_CHECK=true, which also lets the policy allow that one request.
WAGTAIL_ENABLE_UPDATE_CHECK = env.bool("HUB_WAGTAIL_UPDATE_CHECK", default=False)
if WAGTAIL_ENABLE_UPDATE_CHECK:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append("https://releases.wagtail.org")

# Consent: how long a double opt-in confirmation link stays valid, in seconds (7 days).
HUB_CONSENT_CONFIRM_MAX_AGE = env.int("HUB_CONSENT_CONFIRM_MAX_AGE", default=7 * 24 * 3600)
# Reverse proxies whose X-Forwarded-For is believed when recording a client's IP as evidence.
HUB_TRUSTED_PROXIES = env.list("HUB_TRUSTED_PROXIES", default=[])

# Content API
HUB_API_RATE_LIMIT = env("HUB_API_RATE_LIMIT", default="1200/min")
HUB_API_RENDITION_SPECS = env.list(
    "HUB_API_RENDITION_SPECS",
    default=["fill-400x400", "fill-800x600", "max-800x800", "max-1600x1600", "format-webp"],
)
# How long a visitor token (POST /api/v1/visitors) is valid; a shop asks for a new one after.
HUB_VISITOR_TOKEN_SECONDS = env.int("HUB_VISITOR_TOKEN_SECONDS", default=3600)

# Outgoing webhooks (channels/webhooks.py): (connect, read) timeouts in seconds. Private,
# loopback and link-local destinations are refused unless allowed (an on-premises receiver).
HUB_WEBHOOKS_TIMEOUT = (
    env.float("HUB_WEBHOOKS_CONNECT_TIMEOUT", default=5.0),
    env.float("HUB_WEBHOOKS_READ_TIMEOUT", default=10.0),
)
HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
# Certificates that HTTPS receivers are verified against: certifi's public CAs unless a PEM
# bundle is given (an in-house CA for on-premises receivers).
HUB_WEBHOOKS_CA_BUNDLE = env.str("HUB_WEBHOOKS_CA_BUNDLE", default="") or None

# SES bounces and complaints through SNS (channels/newsletter/sns.py, POST /hooks/ses/, which
# exists only when a mail transport is SES). Signing certificates and subscription
# confirmations are fetched only from hosts matching the pattern, verified against certifi's
# CAs unless a PEM bundle is given. Topic ARNs: the only topics accepted; empty accepts none
# (production refuses to start with SES and no topic). A bounce or complaint counts only for
# a mail the hub sent: by its Message-ID, or else one sent to the address within the window.
HUB_SES_SNS_CERT_HOST_PATTERN = env.str(
    "HUB_SES_SNS_CERT_HOST_PATTERN", default=r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"
)
HUB_SES_SNS_CA_BUNDLE = env.str("HUB_SES_SNS_CA_BUNDLE", default="") or None
HUB_SES_SNS_TOPIC_ARNS = env.list("HUB_SES_SNS_TOPIC_ARNS", default=[])
HUB_SES_FEEDBACK_WINDOW_DAYS = env.int("HUB_SES_FEEDBACK_WINDOW_DAYS", default=14)

# CRM sync (campaigns/crm/): backends by key, loaded by dotted path like the channels.
# Salesforce is configured when SALESFORCE_URL (the org's My Domain URL) is set.
HUB_CRM = {}
if env("SALESFORCE_URL", default=""):
    HUB_CRM["salesforce"] = {
        "BACKEND": "campaigns.crm.salesforce.SalesforceBackend",
        "OPTIONS": {
            "INSTANCE_URL": env("SALESFORCE_URL"),
            "CLIENT_ID": env("SALESFORCE_CLIENT_ID", default=""),
            "CLIENT_SECRET": env("SALESFORCE_CLIENT_SECRET", default=""),
            "API_VERSION": env("SALESFORCE_API_VERSION", default="62.0"),
            "KINDS": env.list("SALESFORCE_SYNC", default=["accounts", "contacts", "orders"]),
            "TIMEOUT": (
                env.float("SALESFORCE_CONNECT_TIMEOUT", default=5.0),
                env.float("SALESFORCE_READ_TIMEOUT", default=60.0),
            ),
        },
    }

# ERP file drop (campaigns/erp.py): "" (off), a folder, or s3://bucket/prefix. S3 uses the
# usual AWS_* credentials; the endpoint URL is for S3-compatible stores.
HUB_ERP_IMPORT_LOCATION = env("HUB_ERP_IMPORT_LOCATION", default="")
HUB_ERP_IMPORT_S3_ENDPOINT_URL = env(
    "HUB_ERP_IMPORT_S3_ENDPOINT_URL", default=env("AWS_S3_ENDPOINT_URL", default="")
)

# Feeds pushed to a receiver's S3 bucket or SFTP server (campaigns/feeds/push.py): connecting
# and every single operation give up after HUB_FEED_PUSH_TIMEOUT seconds. S3 targets use the
# usual AWS_* credentials unless the feed names its own key; the endpoint URL and region are
# for S3-compatible stores and default to the hub's own storage settings.
HUB_FEED_PUSH_TIMEOUT = env.float("HUB_FEED_PUSH_TIMEOUT", default=30.0)
HUB_FEED_PUSH_S3_ENDPOINT_URL = env(
    "HUB_FEED_PUSH_S3_ENDPOINT_URL", default=env("AWS_S3_ENDPOINT_URL", default="")
)
HUB_FEED_PUSH_S3_REGION = env(
    "HUB_FEED_PUSH_S3_REGION", default=env("AWS_S3_REGION_NAME", default="")
)

# What an imported file (admin upload, command, ERP drop) may hold; a file over a limit is
# refused with the limit's name before anything is written. An .xlsx is checked before it
# is opened: its parts may expand to at most HUB_IMPORT_MAX_XLSX_EXPANDED_MB in all.
HUB_IMPORT_MAX_ROWS = env.int("HUB_IMPORT_MAX_ROWS", default=1_000_000)
HUB_IMPORT_MAX_COLUMNS = env.int("HUB_IMPORT_MAX_COLUMNS", default=200)
HUB_IMPORT_MAX_CELL_CHARS = env.int("HUB_IMPORT_MAX_CELL_CHARS", default=32_767)  # Excel's own
HUB_IMPORT_MAX_XLSX_EXPANDED_MB = env.int("HUB_IMPORT_MAX_XLSX_EXPANDED_MB", default=100)

# Channels: adapters loaded by dotted path (channels/registry.py).
HUB_CHANNELS = {
    "newsletter": {"BACKEND": "channels.newsletter.NewsletterChannel"},
    "webshop": {"BACKEND": "channels.webshop.WebshopChannel"},
    "print": {"BACKEND": "channels.print_catalogue.PrintCatalogueChannel"},
    "google_merchant": {"BACKEND": "channels.marketplace.google.GoogleMerchantChannel"},
    "amazon": {"BACKEND": "channels.marketplace.amazon.AmazonListingsChannel"},
    "bmecat": {"BACKEND": "channels.marketplace.bmecat.BMEcatChannel"},
}
# What channels' providers report back (bounces, complaints) is recorded by this callable,
# so adapters hand feedback on without importing campaigns (channels/base.py).
# How an order is credited when several campaign touches precede it: "last_touch" (all to
# the last click) or "linear" (equal shares to every touch in its campaign's window).
HUB_ATTRIBUTION_MODEL = env("HUB_ATTRIBUTION_MODEL", default="last_touch")
# Opens and clicks keep the network address and user agent they came with (to tell people
# from machines) for this many days; then both are blanked, time and classification kept.
HUB_TRACKING_HIT_RETENTION_DAYS = env.int("HUB_TRACKING_HIT_RETENTION_DAYS", default=90)
HUB_CHANNEL_FEEDBACK_RECEIVER = "campaigns.services.feedback.feedback_record"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's background tasks (search index, reference index) log every run.
        "django_tasks": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Optional mailto: address for List-Unsubscribe (besides the one-click HTTPS URL).
HUB_UNSUBSCRIBE_MAILTO = env("HUB_UNSUBSCRIBE_MAILTO", default="")
# Where a product lives in the webshop: newsletters link product cards there.
HUB_SHOP_PRODUCT_URL = env("HUB_SHOP_PRODUCT_URL", default="https://shop.example.com/p/{sku}")
# Sending: rows per batch (one variant each), batches queued ahead per campaign, the lease a
# batch holds on its rows (renewed while it runs; another worker takes them only once it
# lapsed), attempts for transient failures, and what becomes of a message in doubt (the
# connection was lost after its content went out): "hold" (never sent again automatically)
# or "retry" (sent again like a transient failure, at the risk of a duplicate).
HUB_SEND_BATCH_SIZE = env.int("HUB_SEND_BATCH_SIZE", default=500)
HUB_SEND_BATCHES_AHEAD = env.int("HUB_SEND_BATCHES_AHEAD", default=4)
HUB_SEND_LEASE_SECONDS = env.float("HUB_SEND_LEASE_SECONDS", default=300.0)
HUB_SEND_MAX_ATTEMPTS = env.int("HUB_SEND_MAX_ATTEMPTS", default=5)
HUB_SEND_IN_DOUBT = env.str("HUB_SEND_IN_DOUBT", default="hold")
if HUB_SEND_IN_DOUBT not in ("hold", "retry"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"HUB_SEND_IN_DOUBT={HUB_SEND_IN_DOUBT!r} is not supported; use hold or retry."
    )
if HUB_SEND_LEASE_SECONDS < 5:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"HUB_SEND_LEASE_SECONDS={HUB_SEND_LEASE_SECONDS!r} is too short; use 5 or more."
    )

# Feeds (campaigns.feeds): a running feed run's lease, renewed while it works (a run whose
# worker died blocks its feed no longer than this), and the wait after a failed run before
# changes are tried again.
HUB_FEED_RUN_LEASE_SECONDS = env.float("HUB_FEED_RUN_LEASE_SECONDS", default=1800.0)
HUB_FEED_RETRY_SECONDS = env.float("HUB_FEED_RETRY_SECONDS", default=600.0)

# Print catalogues (campaigns.catalogues): about how many pages each part of the body has
# (one render task each, in parallel on the render queue), an open run's lease (renewed by
# each of its tasks; a run whose workers died blocks its catalogue no longer than this), and
# the publisher named on the cover and in the PDF's metadata.
HUB_CATALOGUE_PART_PAGES = env.int("HUB_CATALOGUE_PART_PAGES", default=40)
HUB_CATALOGUE_RUN_LEASE_SECONDS = env.float("HUB_CATALOGUE_RUN_LEASE_SECONDS", default=1800.0)
HUB_CATALOGUE_PUBLISHER = env("HUB_CATALOGUE_PUBLISHER", default="")
