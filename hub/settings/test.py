"""Settings for pytest. DATABASE_URL selects SQLite (default) or PostgreSQL."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="hub-test-media-"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Static files from the finders, as in dev: tests fetch the webshop snippet without collectstatic.
WHITENOISE_USE_FINDERS = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A real worker (the crash-and-restart test) runs these settings with eager off.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
WAGTAILADMIN_BASE_URL = "http://testserver"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as in `make run`, not Django's shared in-memory database: the browser tests'
    # live server answers several requests at once (autosave, editing-session pings, the
    # submit), and shared-cache SQLite refuses a second writer at once ("database table is
    # locked") where the file database waits for it (WAL, busy timeout).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="hub-test-db-")) / "test.sqlite3")
    }
