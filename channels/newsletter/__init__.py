"""The e-mail newsletter: rendered once per variant, personalised and sent per recipient.

Options (``HUB_CHANNELS["newsletter"]["OPTIONS"]``), each with a fallback:

- ``TRANSPORT``: the key of ``settings.HUB_MAIL_TRANSPORTS`` to send through ("default");
- ``MESSAGE_ID_DOMAIN``: the domain of our Message-IDs (``settings.HUB_MAIL_DOMAIN``);
- ``BOUNCE_ADDRESS``: the envelope sender (the address of the variant's From header);
- ``FEEDBACK_ID_SENDER``: the last field of the Feedback-ID header ("hub").

``deliver`` keeps the transport's global send rate (``channels.newsletter.throttle``) and
reports each result as soon as the server answered.
"""

from __future__ import annotations

import logging
import quopri
from collections.abc import Callable, Sequence
from email.utils import formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from channels.base import (
    BaseChannel,
    DeliveryResult,
    Recipient,
    RenderedVariant,
    TransactionalMessage,
    Variant,
)

from .mime import (
    InvalidAddress,
    build_message,
    envelope_sender,
    message_id_for,
    prepare_headers,
)
from .rendering import NewsletterRendering, personalise, render_variant
from .throttle import get_send_rate
from .transports import OutgoingMail, SendOutcome, get_transport

__all__ = ["NewsletterChannel", "NewsletterRendering", "build_mail", "message_id_for"]

logger = logging.getLogger(__name__)


def build_mail(
    rendering: NewsletterRendering,
    recipient: Recipient,
    *,
    sender: str,
    domain: str,
    date: str | None = None,
) -> OutgoingMail:
    """One recipient's ``OutgoingMail``, personalised and assembled, not sent.

    Raises ``channels.newsletter.mime.InvalidAddress`` when no message can be built for
    the recipient's address. A recipient without a delivery row (``delivery_id`` 0, a test
    mail) gets a fresh random Message-ID: one derived from 0 would be the same for every
    test mail, and mail clients and transports treat mails with one Message-ID as one.
    """
    if recipient.delivery_id:
        message_id = message_id_for(recipient.delivery_id, domain)
    else:
        message_id = make_msgid(domain=domain).strip("<>")
    message = build_message(
        rendering,
        recipient,
        date=date or formatdate(localtime=False, usegmt=True),
        message_id=message_id,
    )
    return OutgoingMail(
        sender=sender, recipient=recipient.email, message=message, message_id=message_id
    )


class NewsletterChannel(BaseChannel):
    """E-mail newsletter: one rendering per variant, personalised per recipient."""

    identifier = "newsletter"
    name = "Newsletter"
    per_recipient = True
    sends = True
    sends_transactional = True
    required_fields = {"*": ("name", "short_text", "images")}

    @property
    def transport_key(self) -> str:
        return self.options.get("TRANSPORT") or "default"

    @property
    def message_id_domain(self) -> str:
        return self.options.get("MESSAGE_ID_DOMAIN") or settings.HUB_MAIL_DOMAIN

    @property
    def feedback_id_sender(self) -> str:
        return self.options.get("FEEDBACK_ID_SENDER") or "hub"

    def bounce_address(self, variant: Variant) -> str:
        return envelope_sender(variant, self.options.get("BOUNCE_ADDRESS") or "")

    def render(self, variant: Variant) -> NewsletterRendering:
        headers = prepare_headers(variant, feedback_id_sender=self.feedback_id_sender)
        rendering = render_variant(variant, headers=headers)
        logger.info(
            "newsletter.rendered campaign=%s variant=%s html_bytes=%d",
            variant.campaign_id,
            variant.key,
            len(rendering.html),
        )
        return rendering

    def send_transactional(self, message: TransactionalMessage) -> DeliveryResult:
        """One transactional mail (e.g. a double opt-in confirmation) through this channel.

        The same transport, send rate and bounce handling as the newsletters; the sender
        defaults to ``DEFAULT_FROM_EMAIL``. A transport failure raises ``TransportError``
        (retry later); a refused address is a result.
        """
        from_address = message.sender or settings.DEFAULT_FROM_EMAIL
        email = EmailMultiAlternatives(
            message.subject,
            message.text,
            from_address,
            [message.to],
            reply_to=[message.reply_to] if message.reply_to else None,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        message_id = make_msgid(domain=self.message_id_domain)
        email.extra_headers["Message-ID"] = message_id
        # smtplib sends bytes as they are: line ends must already be CRLF.
        raw = email.message().as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        mail = OutgoingMail(
            sender=self.options.get("BOUNCE_ADDRESS") or parseaddr(from_address)[1],
            recipient=message.to,
            message=raw,
            message_id=message_id.strip("<>"),
        )
        transport = get_transport(self.transport_key)
        get_send_rate(transport.key, transport.rate_per_second).acquire(1)
        [outcome] = transport.send_many([mail])
        return _delivery_result(0, outcome)

    def forget_recipient(self, *, email: str) -> int:
        """Delete the copies of mail to ``email`` that any configured transport kept."""
        return sum(
            get_transport(key).forget_recipient(email=email) for key in settings.HUB_MAIL_TRANSPORTS
        )

    def preview(self, rendered: RenderedVariant, recipient: Recipient) -> str:
        if not isinstance(rendered, NewsletterRendering):
            raise TypeError(f"{self!r} previews what its render() returned, not {rendered!r}.")
        _text, html = personalise(rendered, recipient)
        return quopri.decodestring(html).decode("utf-8")

    def deliver(
        self,
        rendered: RenderedVariant,
        recipients: Sequence[Recipient],
        *,
        on_result: Callable[[DeliveryResult], None] | None = None,
        may_send: Callable[[], bool] | None = None,
    ) -> list[DeliveryResult]:
        if not isinstance(rendered, NewsletterRendering):
            raise TypeError(f"{self!r} delivers what its render() returned, not {rendered!r}.")
        sender = self.bounce_address(rendered.variant)
        domain = self.message_id_domain
        date = formatdate(localtime=False, usegmt=True)
        results: list[DeliveryResult | None] = [None] * len(recipients)
        mails = []
        positions: dict[int, int] = {}  # id() of each mail -> its recipient's position
        for index, recipient in enumerate(recipients):
            try:
                mail = build_mail(rendered, recipient, sender=sender, domain=domain, date=date)
            except InvalidAddress as exc:
                results[index] = DeliveryResult(
                    recipient.delivery_id, sent=False, permanent=True, detail=str(exc)
                )
                if on_result is not None:
                    on_result(results[index])
                continue
            mails.append(mail)
            positions[id(mail)] = index

        def result_of(mail: OutgoingMail, outcome: SendOutcome) -> DeliveryResult:
            index = positions[id(mail)]
            results[index] = _delivery_result(recipients[index].delivery_id, outcome)
            return results[index]

        def report(mail: OutgoingMail, outcome: SendOutcome) -> None:
            on_result(result_of(mail, outcome))

        if mails:
            transport = get_transport(self.transport_key)
            # The transport's global rate, shared by every worker, before the batch goes out.
            get_send_rate(transport.key, transport.rate_per_second).acquire(len(mails))
            # A TransportError propagates: none of the batch went out, all of it may retry.
            outcomes = transport.send_many(
                mails, on_outcome=report if on_result else None, may_send=may_send
            )
            for mail, outcome in zip(mails, outcomes, strict=True):
                result_of(mail, outcome)
        return results  # type: ignore[return-value] (every position is filled above)


def _delivery_result(delivery_id: int, outcome: SendOutcome) -> DeliveryResult:
    """What the transport said about one mail, as the channel contract reports it."""
    return DeliveryResult(
        delivery_id,
        sent=outcome.accepted,
        permanent=outcome.permanent,
        detail=outcome.detail,
        message_id=outcome.message_id,
        provider_id=outcome.provider_id,
        in_doubt=outcome.in_doubt,
    )
