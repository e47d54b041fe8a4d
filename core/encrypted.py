"""A text field stored encrypted: credentials the hub must use but never show (a receiver's
SFTP password or key).

Values are encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a
key derived from ``SECRET_KEY``; keys in ``SECRET_KEY_FALLBACKS`` still decrypt, so rotating
``SECRET_KEY`` the Django way keeps stored secrets readable (a value is written under the new
key when next saved). A database dump alone does not reveal them.

A value that no key decrypts (``SECRET_KEY`` replaced without keeping the old one as a
fallback) reads as empty and is logged: the secret must be entered again.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

PREFIX = "fernet:"


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(hashlib.sha256(b"hub.encrypted:" + key.encode()).digest())
            )
            for key in keys
        ]
    )


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The plain value of ``stored``; a value stored before encryption is returned as is."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken:
        logger.error(
            "An encrypted value cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS; "
            "it reads as empty until it is entered again."
        )
        return ""


class EncryptedTextField(models.TextField):
    """A ``TextField`` whose non-empty values are stored encrypted (see the module)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
