"""The embedded default used by ``make run``: SQLite, local files, the SQLite broker."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# No mail server on a fresh machine: newsletters and consent mails go to .eml files in
# var/mail unless a transport is chosen (HUB_MAIL_TRANSPORT=smtp with EMAIL_HOST, or ses).
if "HUB_MAIL_TRANSPORT" not in env.ENVIRON:
    HUB_MAIL_TRANSPORT = "file"
    HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.FileTransport",
            "OPTIONS": {"DIRECTORY": env("HUB_MAIL_DIRECTORY", default=str(VAR_DIR / "mail"))},
        }
    }
