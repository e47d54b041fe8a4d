"""Production: PostgreSQL, Redis or RabbitMQ, S3, SES/SMTP. Refuses unsafe defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    DEBUG,
    HUB_MAIL_TRANSPORT,
    HUB_SES_SNS_TOPIC_ARNS,
    INSECURE_DEFAULT_SECRET_KEY,
    SECRET_KEY,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production."
    )
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names this hub answers to; '*' is refused."
    )
# With SES, POST /hooks/ses/ is open to every SNS topic's signed messages: only the listed
# topics may report bounces and complaints.
if HUB_MAIL_TRANSPORT == "ses" and not HUB_SES_SNS_TOPIC_ARNS:
    raise ImproperlyConfigured(
        "HUB_SES_SNS_TOPIC_ARNS must list the SNS topic ARNs of your SES bounce and complaint "
        "notifications when HUB_MAIL_TRANSPORT=ses (comma-separated)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Wagtail's live preview shows the item in an iframe of the admin itself, which DENY would
# blank out; SAMEORIGIN still refuses every other site (hence W019 is silenced knowingly).
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
