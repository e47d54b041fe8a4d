"""Loads the channel adapters named in ``settings.HUB_CHANNELS``, and answers for them.

Besides every channel by key: the channel that sends transactional messages, and the
receiver that records what channels' providers report back (``report_feedback``), named in
``settings.HUB_CHANNEL_FEEDBACK_RECEIVER``, so an adapter hands feedback on without
importing the app that records it.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from core.backends import backend_class

from .base import (
    REQUIRABLE_PRODUCT_FIELDS,
    BaseChannel,
    DeliveryFeedback,
    FeedbackNotice,
    FeedbackReceiver,
    FeedbackResult,
)


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


def get_transactional_channel() -> BaseChannel:
    """The first configured channel that sends transactional messages (double opt-in mail).

    Raises ImproperlyConfigured when no channel in HUB_CHANNELS does.
    """
    for channel in get_channels().values():
        if channel.sends_transactional:
            return channel
    raise ImproperlyConfigured(
        "No channel in HUB_CHANNELS sends transactional messages (sends_transactional = True); "
        "configure one, e.g. channels.newsletter.NewsletterChannel."
    )


@cache
def feedback_receiver() -> FeedbackReceiver:
    """The callable named in ``settings.HUB_CHANNEL_FEEDBACK_RECEIVER``, imported once."""
    path = getattr(settings, "HUB_CHANNEL_FEEDBACK_RECEIVER", "")
    if not path or not isinstance(path, str):
        raise ImproperlyConfigured(
            "HUB_CHANNEL_FEEDBACK_RECEIVER must name the callable that records delivery "
            "feedback by dotted path."
        )
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"HUB_CHANNEL_FEEDBACK_RECEIVER: cannot import {path!r}: {exc}"
        ) from exc
    if not callable(found):
        raise ImproperlyConfigured(f"HUB_CHANNEL_FEEDBACK_RECEIVER: {path} is not callable.")
    return found


def report_feedback(*, notice: FeedbackNotice, feedback: DeliveryFeedback | None) -> FeedbackResult:
    """Hand one piece of delivery feedback to the configured receiver; what it made of it."""
    return feedback_receiver()(notice=notice, feedback=feedback)


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting == "HUB_CHANNELS":
        get_channels.cache_clear()
    elif setting == "HUB_CHANNEL_FEEDBACK_RECEIVER":
        feedback_receiver.cache_clear()
