"""The web version of a message ("view in browser"): what one recipient received, in a browser.

Made on the sender's path: the variant rendered once per process and cached
(``services.sending.variant_rendering``), then the recipient's cheap personal merge
(``channel.preview``), so a web version costs what one more message of the batch costs.
Only a message that was sent has one (state sent, or in doubt: it may have arrived); its
tracked links, unsubscribe and preference links are the recipient's, as in the mail.
"""

from __future__ import annotations

from channels.registry import get_channels

from .models import Delivery, DeliveryState
from .personalisation import parse_variant_key, variant_skus
from .selectors import recipients_for
from .services.sending import RenderFailed, variant_rendering

SHOWN_STATES = (DeliveryState.SENT, DeliveryState.IN_DOUBT)


class WebVersionUnavailable(Exception):
    """No web version: the message was never sent, or its content is no longer approved."""


def delivery_web_version(*, delivery: Delivery) -> str:
    """The HTML of ``delivery``'s message as its recipient got it (with ``contact`` loaded).

    Raises WebVersionUnavailable for a delivery not sent, of an erased contact, or of a
    channel that sends no personal messages any more.
    """
    if delivery.state not in SHOWN_STATES or delivery.contact is None:
        raise WebVersionUnavailable(delivery.pk)
    channel = get_channels().get(delivery.channel)
    if channel is None or not (channel.sends and channel.per_recipient):
        raise WebVersionUnavailable(delivery.pk)
    try:
        rendered = variant_rendering(delivery.campaign, channel, delivery.variant_key)
    except RenderFailed as exc:
        raise WebVersionUnavailable(delivery.pk) from exc
    locale = parse_variant_key(delivery.variant_key)[0]
    [recipient] = recipients_for([delivery], locale, skus=variant_skus(rendered.variant))
    return channel.preview(rendered, recipient)
