"""The contract every channel adapter implements.

A channel is configured in ``settings.HUB_CHANNELS`` by dotted path, like Django's e-mail
backends. Content needs to know who the channel is and which product fields it requires per
locale (this drives completeness). Campaigns need two more things from a channel that sends:

- ``render(variant)`` once per variant: everything the recipients of that variant share
  (layout, inlined CSS, tracked links), returned as a ``RenderedVariant``;
- ``deliver(rendered, recipients)`` per batch: the cheap personal part and the sending,
  with one ``DeliveryResult`` per recipient.

Inputs and results are frozen dataclasses, so an adapter cannot reach back into the
database: campaigns prepare every fact a channel may use, once per batch. A channel that
cannot send yet says so with ``sends = False`` and is never offered for campaigns; an
adapter never pretends to send.

Two more, optional, parts of the contract:

- transactional messages: a channel with ``sends_transactional = True`` implements
  ``send_transactional(message)`` for the hub's own mail to one person outside any
  campaign (the double opt-in link); ``channels.registry.get_transactional_channel()``
  names the channel that does;
- delivery feedback: what a channel's provider reports back about a message (a bounce, a
  complaint) an adapter reads into a ``DeliveryFeedback`` and hands to
  ``channels.registry.report_feedback``, which passes it to the receiver named in
  ``settings.HUB_CHANNEL_FEEDBACK_RECEIVER`` (campaigns' ``feedback_record``).

Dependencies point one way: campaigns and content import this module and the registry
(never an adapter package: ``tests/test_architecture.py`` holds them to it), adapters
import this module, and this module imports no app. Feedback travels back to campaigns
through the configured receiver, so no adapter imports campaigns either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol

# The product fields a channel may require. Each name is checked by
# content.selectors.product_completeness; an unknown name is a configuration error.
REQUIRABLE_PRODUCT_FIELDS: tuple[str, ...] = (
    "sku",
    "gtin",
    "brand",
    "manufacturer_part_number",
    "name",
    "short_text",
    "long_text",
    "etim_class",
    "features",
    "categories",
    "images",
    "documents",
    "price",
    "availability",
    "lead_time_days",
)

# Stands in a rendered variant's URLs for each recipient's signed token; an adapter swaps it
# for the recipient's ``token`` when it personalises.
RECIPIENT_TOKEN = "__HUB_RECIPIENT_TOKEN__"  # noqa: S105 (a placeholder, not a secret)

# Stands in a rendered variant's web version URL for each recipient's own web version token
# (a token of its own: it shows the message, so no other link's token may open it); an adapter
# swaps it for the recipient's ``web_token``.
WEB_VERSION_TOKEN = "__HUB_WEB_VERSION_TOKEN__"  # noqa: S105 (a placeholder, not a secret)

# Links of these schemes (and in-page anchors) are never rewritten to tracked URLs.
UNTRACKED_SCHEMES = ("mailto:", "tel:", "sms:", "#")


@dataclass(frozen=True)
class ProductCard:
    """A live product as a channel shows it, in the variant's language."""

    sku: str
    name: str
    short_text: str = ""
    url: str = ""
    image_url: str = ""
    price: Decimal | None = None
    currency: str = "EUR"


@dataclass(frozen=True)
class HeroBlock:
    headline: str
    text: str = ""
    image_url: str = ""
    link_url: str = ""


@dataclass(frozen=True)
class TextBlock:
    html: str  # sanitised rich text from the editor


@dataclass(frozen=True)
class ProductGridBlock:
    heading: str
    products: tuple[ProductCard, ...]


@dataclass(frozen=True)
class MessageBlock:
    """The approved audience message chosen for this variant's role and phase."""

    headline: str
    body_html: str
    cta_label: str = ""
    cta_url: str = ""
    product: ProductCard | None = None


@dataclass(frozen=True)
class CallToActionBlock:
    label: str
    url: str


@dataclass(frozen=True)
class PersonalProductsBlock:
    """Filled per recipient: what they viewed and didn't buy, or picks from their categories."""

    heading: str
    source: Literal["viewed", "recommended"]


@dataclass(frozen=True)
class SurveyBlock:
    """A survey question: one link per score, each answering with one click.

    ``answers`` holds each score with its answer URL, which carries ``RECIPIENT_TOKEN``
    like the unsubscribe URL does (the URL is the answer: it is not a link to track).
    """

    question: str
    answers: tuple[tuple[int, str], ...]
    low_label: str = ""
    high_label: str = ""


Block = (
    HeroBlock | TextBlock | ProductGridBlock | MessageBlock | CallToActionBlock
    | PersonalProductsBlock | SurveyBlock
)  # fmt: skip


@dataclass(frozen=True)
class Tracking:
    """Where a variant's tracked URLs point; each holds ``RECIPIENT_TOKEN`` for the recipient.

    ``click(url)`` gives the tracked form of a link of the message; the hub redirects only
    to links it gave out this way.
    """

    open_url: str
    unsubscribe_url: str
    preferences_url: str
    click: Callable[[str], str]
    unsubscribe_mailto: str = ""
    # The recipient's web version of the message ("view in browser"), with
    # ``WEB_VERSION_TOKEN``; empty: the message offers none.
    web_version_url: str = ""


@dataclass(frozen=True)
class Brand:
    """Who sends: the identity and address German law requires in commercial mail.

    Every field may be empty (nothing configured yet); a channel leaves out what is empty.
    ``footer_text`` is already in the variant's language; ``logo_url`` is absolute.
    """

    company: str = ""
    address: str = ""
    imprint_url: str = ""
    privacy_url: str = ""
    footer_text: str = ""
    logo_url: str = ""


@dataclass(frozen=True)
class Variant:
    """One rendering of a campaign: a language, a role, a phase and an A/B arm."""

    key: str
    campaign_id: int
    campaign_name: str
    locale: str
    role: str
    phase: str
    arm: str
    subject: str
    preheader: str
    sender: str  # the From header, e.g. "ACME Marketing <news@acme.example>"
    blocks: tuple[Block, ...]
    tracking: Tracking
    reply_to: str = ""
    brand: Brand = field(default_factory=Brand)


@dataclass(frozen=True)
class Recipient:
    """One recipient of a batch, with every personal fact prepared in advance."""

    delivery_id: int
    email: str
    token: str
    greeting: str  # in the variant's language, e.g. "Sehr geehrte Frau Dr. Weber,"
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # SKU -> the account's price
    viewed: tuple[ProductCard, ...] = ()
    recommended: tuple[ProductCard, ...] = ()
    web_token: str = ""  # goes in place of WEB_VERSION_TOKEN


@dataclass(frozen=True)
class RenderedVariant:
    """What ``render`` returns; adapters subclass it to carry their own prepared parts."""

    variant: Variant


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one recipient's message; ``permanent`` failures are never retried.

    ``in_doubt``: not confirmed, yet the message may have arrived (the connection was lost
    after its content was handed over); sending it again could deliver it twice.
    """

    delivery_id: int
    sent: bool
    permanent: bool = False
    detail: str = ""
    message_id: str = ""
    provider_id: str = ""
    in_doubt: bool = False


@dataclass(frozen=True)
class TransactionalMessage:
    """One message of the hub's own to one person, outside any campaign (a double opt-in link).

    ``sender`` is the From header; empty: the channel's default sender. ``reply_to``: the
    Reply-To address; empty: none.
    """

    to: str
    subject: str
    text: str
    html: str = ""
    sender: str = ""
    reply_to: str = ""


FeedbackKind = Literal["bounce", "complaint"]


@dataclass(frozen=True)
class FeedbackNotice:
    """Where a piece of delivery feedback came from.

    ``report_id`` (the provider's id of its notification) and ``index`` (the recipient's
    position in it) identify the feedback: received again, it counts once. ``source``
    names the provider ("ses") and becomes the recorded event's source. ``origin`` is where
    the notification came from (for SES, its SNS topic); ``origin_allowed`` is False for an
    origin the operator did not configure, and its feedback is then only kept aside.
    """

    source: str
    report_id: str
    index: int
    origin: str
    origin_allowed: bool = True


@dataclass(frozen=True)
class DeliveryFeedback:
    """What a channel's provider reported about one recipient of one message it sent."""

    channel: str  # the identifier of the channel that sent the message
    kind: FeedbackKind
    permanent: bool  # a hard bounce or a complaint: never mail the address again
    email: str
    occurred_at: datetime
    provider_message_id: str  # the provider's id of the message
    message_id: str  # the message's Message-ID, without <>; "" if the provider did not say
    detail: str = ""
    feedback_id: str = ""  # the provider's id of this piece of feedback


@dataclass(frozen=True)
class FeedbackResult:
    """What the receiver made of one piece of feedback."""

    recorded: bool  # a new event was stored
    suppressed: bool  # the address is suppressed because of this feedback
    duplicate: bool  # the same notice was handled before: nothing done
    ignored: bool = False  # not about a message of the hub, or from a foreign origin: kept aside


class FeedbackReceiver(Protocol):
    """Records delivery feedback; ``feedback`` is None when the notice named no recipient."""

    def __call__(
        self, *, notice: FeedbackNotice, feedback: DeliveryFeedback | None
    ) -> FeedbackResult: ...


class BaseChannel:
    """A channel the hub publishes to.

    ``required_fields`` maps a locale code to the product fields that locale's content
    needs before the channel can use it; the key ``"*"`` applies to every locale.
    """

    identifier: ClassVar[str] = ""
    name: ClassVar[str] = ""
    required_fields: ClassVar[Mapping[str, Sequence[str]]] = {}
    # True when the channel addresses each recipient (newsletter); False when it produces
    # one artifact for everybody (a print catalogue, a marketplace feed).
    per_recipient: ClassVar[bool] = False
    # True when the channel implements ``render`` and ``deliver``: only then can campaigns
    # send through it.
    sends: ClassVar[bool] = False
    # True when the channel implements ``send_transactional``: the hub's own messages to one
    # person (double opt-in links) go out through it.
    sends_transactional: ClassVar[bool] = False
    # True when the channel serves placements on request (``channels.placements``): its
    # campaigns fill slots on the channel's pages instead of sending.
    serves: ClassVar[bool] = False

    def __init__(self, key: str, options: Mapping[str, Any] | None = None) -> None:
        self.key = key
        self.options = dict(options or {})

    def required_fields_for(self, locale: str) -> tuple[str, ...]:
        """The product fields this channel requires for content in ``locale``."""
        fields = [*self.required_fields.get("*", ()), *self.required_fields.get(locale, ())]
        return tuple(dict.fromkeys(fields))

    def render(self, variant: Variant) -> RenderedVariant:
        """Prepare what every recipient of ``variant`` shares; called once per variant."""
        raise NotImplementedError(f"{type(self).__name__} does not render campaigns.")

    def deliver(
        self,
        rendered: RenderedVariant,
        recipients: Sequence[Recipient],
        *,
        on_result: Callable[[DeliveryResult], None] | None = None,
        may_send: Callable[[], bool] | None = None,
    ) -> list[DeliveryResult]:
        """Personalise and send ``rendered`` to each recipient, one result each, in order.

        ``on_result``, when given, gets each result in the calling thread as soon as it is
        known, and a channel sending over several connections starts no further message on
        a connection until ``on_result`` returned for its last one: the caller records each
        sent message before the next goes out on that connection, so a crash leaves at most
        one message per connection sent but not recorded.

        ``may_send``, when given, is asked (from any thread; it is cheap) before each message
        goes out and once more just before its content is handed over; once it answers
        False, no further message of the batch goes out, and those held back come back as
        not sent (transient). It is how the caller's lease on the batch fences the sending.

        A failure of one recipient is a result, not an exception; an exception means none of
        the batch was sent and all of it may be retried (``channels.exceptions.TransportError``).
        """
        raise NotImplementedError(f"{type(self).__name__} does not deliver campaigns.")

    def preview(self, rendered: RenderedVariant, recipient: Recipient) -> str:
        """What ``recipient`` would get, as HTML for the admin's preview; nothing is sent."""
        raise NotImplementedError(f"{type(self).__name__} has no preview.")

    def send_transactional(self, message: TransactionalMessage) -> DeliveryResult:
        """Send ``message`` now; its result has ``delivery_id`` 0 (there is no delivery row).

        A refused address is a result (``permanent``); a failure of the transport raises
        ``channels.exceptions.TransportError`` and the message may be sent again later.
        """
        raise NotImplementedError(f"{type(self).__name__} sends no transactional messages.")

    def forget_recipient(self, *, email: str) -> int:
        """Delete what this channel itself stored about ``email`` (GDPR erasure): how many items.

        The hub's own rows are erased by the caller; this is for what only the channel
        keeps, e.g. copies of sent mail. Default: a channel stores nothing about people.
        """
        return 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r}>"
