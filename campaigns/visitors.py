"""Visitor tokens: a shop's logged-in customer, as the hub knows them, for the shop's API.

A shop asks for a token server-side (``POST /api/v1/visitors``) with the customer's e-mail
or CRM id, then sends it with each personalised request (``X-Visitor-Token``). The token
holds the API client it was issued to, the contact's id (0 for a customer the hub does not
know) and when it expires, encrypted and authenticated with Fernet under a key derived from
``SECRET_KEY`` (fallbacks still decrypt): a plain signature would let the shop read whether
an e-mail address is known, and the answer must never tell. The fields are fixed-width, so
the token's length does not tell either.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import timezone

from campaigns.models import Contact
from campaigns.models.audience import normalise_email

ANONYMOUS = 0
# Part of every token issued: changing it invalidates them.
_KEY_SALT = b"hub.visitor-token:"


class VisitorTokenError(Exception):
    """A token that cannot be used; ``reason`` is ``"expired"`` or ``"invalid"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VisitorToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Visitor:
    """Whom a valid token stands for: a contact's id (None: not known) and their account's
    price group ("" for none or for an unknown visitor)."""

    contact_id: int | None
    price_group: str


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(_KEY_SALT + key.encode()).digest()))
            for key in keys
        ]
    )


def visitor_contact_id(*, email: str = "", crm_id: str = "") -> int:
    """The id of the contact with this e-mail address or CRM id, or ``ANONYMOUS``."""
    contacts = Contact.objects.order_by()
    if email:
        contacts = contacts.filter(email=normalise_email(email))
    else:
        contacts = contacts.filter(crm_id=crm_id)
    return contacts.values_list("pk", flat=True).first() or ANONYMOUS


def visitor_token_issue(*, client_id: int, contact_id: int) -> VisitorToken:
    """A token for ``contact_id`` (``ANONYMOUS`` for none), valid for ``client_id`` only,
    for ``HUB_VISITOR_TOKEN_SECONDS``."""
    expires_at = (timezone.now() + timedelta(seconds=settings.HUB_VISITOR_TOKEN_SECONDS)).replace(
        microsecond=0
    )
    plain = f"{client_id:012d}.{contact_id:012d}.{int(expires_at.timestamp()):012d}"
    return VisitorToken(token=_fernet().encrypt(plain.encode()).decode(), expires_at=expires_at)


def visitor_token_client(token: str) -> int:
    """The id of the API client a token was issued to (a browser sends the token alone);
    ``VisitorTokenError("invalid")`` if it is forged. Expiry is ``visitor_token_read``'s."""
    try:
        plain = _fernet().decrypt(token.encode()).decode()
        return int(plain.split(".")[0])
    except (InvalidToken, UnicodeError, ValueError):
        raise VisitorTokenError("invalid") from None


def visitor_token_read(token: str, *, client_id: int) -> Visitor:
    """The visitor a token stands for; ``VisitorTokenError`` if it is forged, issued to
    another client (both ``"invalid"``) or past its expiry (``"expired"``)."""
    try:
        plain = _fernet().decrypt(token.encode()).decode()
        issued_to, contact_id, expires = (int(part) for part in plain.split("."))
    except (InvalidToken, UnicodeError, ValueError):
        raise VisitorTokenError("invalid") from None
    if issued_to != client_id:
        raise VisitorTokenError("invalid")
    if datetime.fromtimestamp(expires, tz=UTC) <= timezone.now():
        raise VisitorTokenError("expired")
    if contact_id == ANONYMOUS:
        return Visitor(contact_id=None, price_group="")
    row = (
        Contact.objects.filter(pk=contact_id)
        .order_by()
        .values_list("pk", "account__price_group")
        .first()
    )
    if row is None:  # erased since the token was issued: a visitor the hub no longer knows
        return Visitor(contact_id=None, price_group="")
    return Visitor(contact_id=contact_id, price_group=row[1] or "")
