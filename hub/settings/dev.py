"""The embedded default used by ``make run``: SQLite, local files, the SQLite broker."""

import os

# No mail server on a fresh machine: newsletters and consent mails go to .eml files in
# var/mail unless a transport is chosen (HUB_MAIL_TRANSPORT=smtp with EMAIL_HOST, or ses).
# Only the default differs from production's: base.py builds the transport, once.
os.environ.setdefault("HUB_MAIL_TRANSPORT", "file")

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
