"""Loads the channel adapters named in ``settings.HUB_CHANNELS``."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.backends import backend_class

from .base import REQUIRABLE_PRODUCT_FIELDS, BaseChannel


def _load(key: str, config: object) -> BaseChannel:
    backend, options = backend_class("HUB_CHANNELS", key, config, BaseChannel)
    path = config["BACKEND"]
    unknown = sorted(
        {field for fields in backend.required_fields.values() for field in fields}
        - set(REQUIRABLE_PRODUCT_FIELDS)
    )
    if unknown:
        raise ImproperlyConfigured(
            f"HUB_CHANNELS[{key!r}]: {path} requires unknown product field(s) {', '.join(unknown)}."
        )
    return backend(key, options)


@cache
def get_channels() -> dict[str, BaseChannel]:
    """Every configured channel, by its settings key, in settings order."""
    configured = settings.HUB_CHANNELS
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("HUB_CHANNELS must be a dict of channel key to config.")
    return {key: _load(key, config) for key, config in configured.items()}


def get_channel(key: str) -> BaseChannel:
    try:
        return get_channels()[key]
    except KeyError:
        raise KeyError(f"No channel {key!r} in HUB_CHANNELS.") from None


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting == "HUB_CHANNELS":
        get_channels.cache_clear()
