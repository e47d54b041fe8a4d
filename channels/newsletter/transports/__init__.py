"""Mail transports of the newsletter: hand prebuilt messages to an SMTP server or Amazon SES.

Chosen by ``settings.HUB_MAIL_TRANSPORTS`` as Django's e-mail backends are::

    HUB_MAIL_TRANSPORTS = {
        "default": {"BACKEND": "channels.newsletter.transports.SMTPTransport", "OPTIONS": {...}},
    }

A transport only sends: the messages are built before (one per recipient), and the global
send rate (``RATE_PER_SECOND``) is kept by the caller with ``channels.newsletter.throttle``.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.backends import backend_class

from .base import MailTransport, OutgoingMail, SendOutcome
from .files import FileTransport
from .ses import SESTransport
from .smtp import SMTPTransport

__all__ = [
    "FileTransport",
    "MailTransport",
    "OutgoingMail",
    "SESTransport",
    "SMTPTransport",
    "SendOutcome",
    "get_transport",
    "ses_configured",
]

_transports: dict[str, MailTransport] = {}
_transports_lock = threading.Lock()


def get_transport(key: str = "default") -> MailTransport:
    """The transport configured as ``settings.HUB_MAIL_TRANSPORTS[key]``, one per process."""
    with _transports_lock:
        transport = _transports.get(key)
        if transport is None:
            configured = settings.HUB_MAIL_TRANSPORTS
            if not isinstance(configured, dict):
                raise ImproperlyConfigured(
                    "HUB_MAIL_TRANSPORTS must be a dict of transport key to config."
                )
            if key not in configured:
                raise ImproperlyConfigured(f"No mail transport {key!r} in HUB_MAIL_TRANSPORTS.")
            backend, options = backend_class(
                "HUB_MAIL_TRANSPORTS", key, configured[key], MailTransport
            )
            transport = _transports[key] = backend(key, options)
        return transport


def ses_configured() -> bool:
    """Whether a configured mail transport is Amazon SES, the only one that reports bounces.

    Decides whether POST /hooks/ses/ exists at all: where no mail goes out through SES, no
    notification about one can be genuine.
    """
    configured = settings.HUB_MAIL_TRANSPORTS
    if not isinstance(configured, dict):
        return False
    backends = (
        backend_class("HUB_MAIL_TRANSPORTS", key, config, MailTransport)[0]
        for key, config in configured.items()
    )
    return any(issubclass(backend, SESTransport) for backend in backends)


def _close_transports() -> None:
    with _transports_lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.close()


def _forget_transports_after_fork() -> None:
    # A forked worker must not talk on its parent's sockets (nor close them): it opens its
    # own. The lock may have been held by a thread that does not exist in the child.
    global _transports_lock
    _transports.clear()
    _transports_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_transports_after_fork)


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting == "HUB_MAIL_TRANSPORTS":
        _close_transports()
