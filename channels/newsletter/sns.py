"""Amazon SNS messages carrying SES bounces and complaints: verifying them, reading them.

Nothing here touches the database: a notification is read into the channel contract's
``DeliveryFeedback``, and ``channels.newsletter.views`` hands it to
``channels.registry.report_feedback``, which has it recorded.

A message is believed only if it is signed as AWS documents it: the canonical string of the
message's fields, signed (SignatureVersion 1: RSA PKCS#1 v1.5 with SHA1, 2: with SHA256) by
the key of a certificate that was fetched over verified HTTPS from an SNS host, and no older
than an hour, so a captured message cannot be replayed later.
https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import logging
import re
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from channels.base import DeliveryFeedback
from channels.exceptions import SESNotificationError, SNSUnreachable, SNSVerificationError

logger = logging.getLogger(__name__)

# The signed fields per message type, in the order of the canonical string; both kinds of
# confirmation sign the same fields.
_CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
# Only a notification may leave out its subject.
OPTIONAL_FIELDS = {"Notification": frozenset({"Subject"})}
SIGNATURE_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_AGE = datetime.timedelta(hours=1)
TIMEOUT = urllib3.Timeout(connect=3.0, read=5.0)
# A signing certificate is a few KB; anything much larger is not one.
MAX_CERTIFICATE_BYTES = 64 * 1024
CERTIFICATE_CACHE_SECONDS = 24 * 3600
USER_AGENT = "hub-ses-sns/1"


# --- verification -------------------------------------------------------------------------


def verify_sns_message(message: dict[str, Any]) -> None:
    """Return if ``message`` (a parsed SNS body) is genuine and recent.

    Raises SNSVerificationError saying why not; SNSUnreachable (a subclass) when the signing
    certificate could not be fetched, so the message may be genuine and worth retrying.
    Whether its topic is one of ours is a separate question (``topic_allowed``): anyone can
    create a topic, have SNS sign its messages and subscribe the hub's URL to it.
    """
    kind = message.get("Type")
    if kind not in SIGNED_FIELDS:
        raise SNSVerificationError(f"Unknown message Type {kind!r}.")
    canonical = canonical_string(message)
    version = message.get("SignatureVersion")
    if version not in SIGNATURE_HASHES:
        raise SNSVerificationError(f"Unsupported SignatureVersion {version!r}; use 1 or 2.")
    try:
        signature = base64.b64decode(_text(message, "Signature"), validate=True)
    except binascii.Error as exc:
        raise SNSVerificationError("Signature is not base64.") from exc
    _check_timestamp(_text(message, "Timestamp"))
    _text(message, "TopicArn")
    certificate = signing_certificate(_text(message, "SigningCertURL"))
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SNSVerificationError("The signing certificate does not hold an RSA key.")
    try:
        public_key.verify(
            signature, canonical.encode(), padding.PKCS1v15(), SIGNATURE_HASHES[version]()
        )
    except InvalidSignature as exc:
        raise SNSVerificationError("The signature does not match the message.") from exc


def canonical_string(message: dict[str, Any]) -> str:
    """The string SNS signs: "name\\nvalue\\n" for each signed field of the type, in order."""
    kind = message.get("Type")
    if kind not in SIGNED_FIELDS:
        raise SNSVerificationError(f"Unknown message Type {kind!r}.")
    optional = OPTIONAL_FIELDS.get(kind, frozenset())
    parts = []
    for name in SIGNED_FIELDS[kind]:
        if name in optional and name not in message:
            continue
        parts.append(f"{name}\n{_text(message, name)}\n")
    return "".join(parts)


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str):
        reason = "is missing" if value is None else "is not a string"
        raise SNSVerificationError(f"{name} {reason}.")
    return value


def _check_timestamp(value: str) -> None:
    try:
        sent_at = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise SNSVerificationError(f"Timestamp {value!r} is not an ISO 8601 date-time.") from exc
    if sent_at.tzinfo is None:
        raise SNSVerificationError(f"Timestamp {value!r} has no time zone.")
    if timezone.now() - sent_at > MAX_AGE:
        raise SNSVerificationError(f"Timestamp {value} is more than an hour old.")


def topic_allowed(topic_arn: str) -> bool:
    """Whether ``topic_arn`` is one of ``HUB_SES_SNS_TOPIC_ARNS``; an empty list allows none."""
    return topic_arn in settings.HUB_SES_SNS_TOPIC_ARNS


def check_aws_url(url: str, *, name: str, pem: bool = False) -> None:
    """Raise SNSVerificationError unless ``url`` is https on an allowed SNS host."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise SNSVerificationError(f"{name} is not an https:// URL.")
    host = parts.hostname or ""
    if parts.username or parts.password or not host:
        raise SNSVerificationError(f"{name} has no plain host.")
    if not re.fullmatch(settings.HUB_SES_SNS_CERT_HOST_PATTERN, host):
        raise SNSVerificationError(f"{name} host {host} is not an SNS host.")
    if pem and not parts.path.endswith(".pem"):
        raise SNSVerificationError(f"{name} does not name a .pem file.")


def signing_certificate(url: str) -> x509.Certificate:
    """The certificate at ``url``, from the cache or fetched once per day.

    The URL is checked before anything is fetched; the certificate must be in its validity
    period.
    """
    check_aws_url(url, name="SigningCertURL", pem=True)
    key = "sns-signing-certificate:" + hashlib.sha256(url.encode()).hexdigest()
    pem = cache.get(key)
    if pem is None:
        pem = _get(url, limit=MAX_CERTIFICATE_BYTES)
        certificate = _load_certificate(pem)
        cache.set(key, pem, CERTIFICATE_CACHE_SECONDS)
        logger.info("sns.certificate_fetched host=%s", urlsplit(url).hostname)
    else:
        certificate = _load_certificate(pem)
    now = timezone.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SNSVerificationError("The signing certificate is not valid at this time.")
    return certificate


def _load_certificate(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SNSVerificationError("SigningCertURL does not serve a PEM certificate.") from exc


def _get(url: str, *, limit: int) -> bytes:
    """GET ``url`` over verified HTTPS: no redirects, no retries, bounded time and size."""
    http = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=settings.HUB_SES_SNS_CA_BUNDLE or certifi.where(),
        timeout=TIMEOUT,
        retries=False,
    )
    host = urlsplit(url).hostname
    try:
        response = http.request(
            "GET",
            url,
            headers={"User-Agent": USER_AGENT},
            redirect=False,
            preload_content=False,
        )
        try:
            body = response.read(limit + 1)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise SNSUnreachable(f"Could not reach {host}: {exc}") from exc
    finally:
        http.clear()
    if response.status != 200:
        raise SNSUnreachable(f"{host} answered {response.status}.")
    if len(body) > limit:
        raise SNSVerificationError(f"{host} answered with more than {limit} bytes.")
    return body


def confirm_subscription(message: dict[str, Any]) -> None:
    """Confirm a verified SubscriptionConfirmation by visiting its SubscribeURL.

    Raises SNSVerificationError if the URL is not on an SNS host, SNSUnreachable if the
    visit fails.
    """
    url = _text(message, "SubscribeURL")
    check_aws_url(url, name="SubscribeURL")
    _get(url, limit=MAX_CERTIFICATE_BYTES)


# --- SES notifications --------------------------------------------------------------------


# The source of the events SES feedback becomes (and of the suppressions it causes).
FEEDBACK_SOURCE = "ses"
# SES's two formats name the type differently; both carry the same objects.
FEEDBACK_TYPES = {"Bounce": "bounce", "Complaint": "complaint"}


def parse_ses_notification(
    message_text: str, *, channel: str = "newsletter"
) -> list[DeliveryFeedback]:
    """The bounced or complaining recipients of an SES notification (the SNS ``Message``).

    ``channel`` is the identifier of the channel whose mail it is about.

    Understands the notification format (``notificationType``) and the event-publishing
    format (``eventType``). Other types (Delivery, Send, Open, ...) give an empty list.
    Raises SESNotificationError (a ValueError) naming what is malformed or missing.
    """
    try:
        notification = json.loads(message_text)
    except (TypeError, ValueError) as exc:
        raise SESNotificationError(f"Message is not JSON: {exc}") from exc
    if not isinstance(notification, dict):
        raise SESNotificationError("Message is not a JSON object.")
    kind = notification.get("notificationType") or notification.get("eventType")
    if not kind:
        raise SESNotificationError("Message has neither notificationType nor eventType.")
    if kind not in FEEDBACK_TYPES:
        return []
    mail = _object(notification, "mail")
    provider_message_id = _string(mail, "messageId", "mail")
    message_id = _message_id(mail)
    ids = (channel, provider_message_id, message_id)
    if kind == "Bounce":
        return _bounces(_object(notification, "bounce"), mail, *ids)
    return _complaints(_object(notification, "complaint"), mail, *ids)


def _bounces(
    bounce: dict[str, Any],
    mail: dict[str, Any],
    channel: str,
    provider_message_id: str,
    message_id: str,
) -> list[DeliveryFeedback]:
    bounce_type = _string(bounce, "bounceType", "bounce")
    occurred_at = _moment(bounce, mail, "bounce")
    feedback = []
    for position, recipient in enumerate(_recipients(bounce, "bouncedRecipients", "bounce")):
        where = f"bounce.bouncedRecipients[{position}]"
        diagnostic = recipient.get("diagnosticCode") or ""
        feedback.append(
            DeliveryFeedback(
                channel=channel,
                kind="bounce",
                permanent=bounce_type == "Permanent",
                email=_address(recipient, where),
                occurred_at=occurred_at,
                provider_message_id=provider_message_id,
                message_id=message_id,
                detail="/".join(
                    str(part)
                    for part in (bounce_type, bounce.get("bounceSubType"), diagnostic)
                    if part
                ),
                feedback_id=str(bounce.get("feedbackId") or ""),
            )
        )
    return feedback


def _complaints(
    complaint: dict[str, Any],
    mail: dict[str, Any],
    channel: str,
    provider_message_id: str,
    message_id: str,
) -> list[DeliveryFeedback]:
    occurred_at = _moment(complaint, mail, "complaint")
    return [
        DeliveryFeedback(
            channel=channel,
            kind="complaint",
            permanent=True,
            email=_address(recipient, f"complaint.complainedRecipients[{position}]"),
            occurred_at=occurred_at,
            provider_message_id=provider_message_id,
            message_id=message_id,
            detail=str(complaint.get("complaintFeedbackType") or ""),
            feedback_id=str(complaint.get("feedbackId") or ""),
        )
        for position, recipient in enumerate(
            _recipients(complaint, "complainedRecipients", "complaint")
        )
    ]


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise SESNotificationError(f"Message has no {name} object.")
    return value


def _string(parent: dict[str, Any], name: str, where: str) -> str:
    value = parent.get(name)
    if not isinstance(value, str) or not value:
        raise SESNotificationError(f"Message has no {where}.{name}.")
    return value


def _recipients(parent: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    value = parent.get(name)
    if not isinstance(value, list) or not value:
        raise SESNotificationError(f"Message has no {where}.{name}.")
    for position, recipient in enumerate(value):
        if not isinstance(recipient, dict):
            raise SESNotificationError(f"{where}.{name}[{position}] is not an object.")
    return value


def _address(recipient: dict[str, Any], where: str) -> str:
    # SES usually gives the bare address, but may keep a display name ("Name <a@b>").
    raw = _string(recipient, "emailAddress", where)
    return parseaddr(raw)[1] or raw


def _moment(feedback: dict[str, Any], mail: dict[str, Any], where: str) -> datetime.datetime:
    value = feedback.get("timestamp") or mail.get("timestamp")
    if not isinstance(value, str):
        raise SESNotificationError(f"Message has no {where}.timestamp.")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise SESNotificationError(f"{where}.timestamp {value!r} is not ISO 8601.") from exc
    if moment.tzinfo is None:
        raise SESNotificationError(f"{where}.timestamp {value!r} has no time zone.")
    return moment


def _message_id(mail: dict[str, Any]) -> str:
    """Our Message-ID header: as sent (mail.headers) if SES passed headers on, else common."""
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            return str(header.get("value") or "").strip().strip("<>")
    common = mail.get("commonHeaders")
    if isinstance(common, dict):
        return str(common.get("messageId") or "").strip().strip("<>")
    return ""
