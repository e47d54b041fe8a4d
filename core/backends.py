"""Pluggable backends chosen by a settings dict, as Django's email and storage backends are.

``HUB_CHANNELS`` and ``HUB_CRM`` map a key to ``{"BACKEND": "dotted.path", "OPTIONS": {}}``.
This checks one entry and names the setting and key in every error.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

Backend = TypeVar("Backend")


def backend_class(
    setting: str, key: str, config: object, base: type[Backend]
) -> tuple[type[Backend], dict[str, Any]]:
    """The backend class and its options for ``settings.<setting>[key]``."""
    where = f"{setting}[{key!r}]"
    if not isinstance(config, dict) or "BACKEND" not in config:
        raise ImproperlyConfigured(f"{where} must be a dict with a 'BACKEND' dotted path.")
    path = config["BACKEND"]
    try:
        backend = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{where}: cannot import BACKEND {path!r}: {exc}") from exc
    if not (isinstance(backend, type) and issubclass(backend, base)):
        raise ImproperlyConfigured(
            f"{where}: BACKEND {path!r} is not a subclass of {base.__module__}.{base.__qualname__}."
        )
    options = config.get("OPTIONS", {})
    if not isinstance(options, dict):
        raise ImproperlyConfigured(f"{where}['OPTIONS'] must be a dict.")
    return backend, options
