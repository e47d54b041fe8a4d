"""Personal values in a rendering: the fields markers stand for, chunks, and the merge.

A marker in the rendered layout stands for a field; ``_Markers`` hands the layout its
markers and splits the final text into ``Chunks`` (quoted-printable static pieces with a
field between each two); ``_Context`` fills the fields for one recipient and joins the bytes.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from channels.base import RECIPIENT_TOKEN, PersonalProductsBlock, ProductCard, Recipient

if TYPE_CHECKING:
    from .variant import NewsletterRendering

# How many viewed or recommended products a personal block shows at most.
PERSONAL_PRODUCTS_LIMIT = 4

_FIELD_NAMES = ("greeting", "first_name", "last_name", "name", "company", "email")
_NEWLINES = re.compile(r"[\r\n]+")
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~:=-]*")


def url_token(token: str) -> str:
    """``token`` as it goes into a URL in place of ``RECIPIENT_TOKEN``."""
    return token if _URL_SAFE.fullmatch(token) else quote(token, safe="-_.~:=")


def language(locale: str) -> str:
    """``"de"`` for every German locale (de, de-AT, de_CH), else ``"en"``."""
    return "de" if locale.lower()[:2] == "de" else "en"


def format_price(amount: Decimal, currency: str, locale: str) -> str:
    """``1.234,50 EUR`` in German, ``EUR 1,234.50`` in English."""
    grouped = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    if language(locale) == "de":
        return f"{grouped.translate(_DE_DIGITS)} {currency}"
    return f"{currency} {grouped}"


_DE_DIGITS = str.maketrans({",": ".", ".": ","})


def _qp(text: str) -> bytes:
    """``text`` quoted-printable in UTF-8 with CRLF, ending at a line break.

    A piece that does not end with a line break ends with a soft one (``=`` CRLF), so pieces
    encoded apart can be joined in any order and every line stays within 76 characters.
    """
    if not text:
        return b""
    if (
        len(text) < 72
        and text.isascii()
        and text.isprintable()
        and "=" not in text
        and text[-1] != " "
    ):
        # Nothing to encode (b2a_qp would return it as it is): the common short value.
        return text.encode("ascii") + b"=\r\n"
    encoded = binascii.b2a_qp(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return encoded if text.endswith("\n") else encoded + b"=\r\n"


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        return _NEWLINES.sub(" ", value).strip()
    return value


# Fields: what a marker stands for. Each returns its value for one recipient, already
# quoted-printable encoded, as HTML (escaped) or as plain text. Fields hash by identity:
# a rendering holds each one once.


@dataclass(frozen=True, eq=False)
class _ValueField:
    name: str  # one of _FIELD_NAMES
    before: str = ""  # shown around the value only when the recipient has one
    after: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_before_html", escape(self.before))
        object.__setattr__(self, "_after_html", escape(self.after))

    def value(self, recipient: Recipient) -> str:
        if self.name == "name":
            return _one_line(f"{recipient.first_name} {recipient.last_name}".strip())
        return _one_line(getattr(recipient, self.name))

    def html(self, recipient: Recipient, context: _Context) -> bytes:
        value = self.value(recipient)
        return _qp(f"{self._before_html}{escape(value)}{self._after_html}") if value else b""

    def text(self, recipient: Recipient, context: _Context) -> bytes:
        value = self.value(recipient)
        return _qp(f"{self.before}{value}{self.after}") if value else b""


@dataclass(frozen=True, eq=False)
class _TokenField:
    def html(self, recipient: Recipient, context: _Context) -> bytes:
        return context.token_html

    def text(self, recipient: Recipient, context: _Context) -> bytes:
        return context.token_text


@dataclass(frozen=True, eq=False)
class _WebTokenField:
    """The recipient's web version token (its own, not the delivery token)."""

    def html(self, recipient: Recipient, context: _Context) -> bytes:
        token = url_token(recipient.web_token)
        return _qp(token if _URL_SAFE.fullmatch(token) else escape(token))

    def text(self, recipient: Recipient, context: _Context) -> bytes:
        return _qp(url_token(recipient.web_token))


@dataclass(frozen=True, eq=False)
class _PriceField:
    sku: str
    fallback: Decimal | None
    currency: str
    locale: str
    before: str = ""
    # Encoded values by (amount, html): a batch has few distinct prices per product.
    _encoded: dict[tuple[Decimal | None, bool], bytes] = field(default_factory=dict, repr=False)

    def _get(self, recipient: Recipient, html: bool) -> bytes:
        amount = recipient.prices.get(self.sku, self.fallback)
        key = (amount, html)
        encoded = self._encoded.get(key)
        if encoded is None:
            if amount is None:
                encoded = b""
            else:
                value = f"{self.before}{format_price(amount, self.currency, self.locale)}"
                encoded = _qp(escape(value) if html else value)
            if len(self._encoded) < 1_000:
                self._encoded[key] = encoded
        return encoded

    def html(self, recipient: Recipient, context: _Context) -> bytes:
        return self._get(recipient, True)

    def text(self, recipient: Recipient, context: _Context) -> bytes:
        return self._get(recipient, False)


@dataclass(frozen=True, eq=False)
class _PersonalProductsField:
    """The whole personal products block: absent when the recipient has no such products."""

    block: PersonalProductsBlock

    def cards(self, recipient: Recipient) -> tuple[ProductCard, ...]:
        cards = recipient.viewed if self.block.source == "viewed" else recipient.recommended
        return cards[:PERSONAL_PRODUCTS_LIMIT]

    def html(self, recipient: Recipient, context: _Context) -> bytes:
        cards = self.cards(recipient)
        if not cards:
            return b""
        before, after = context.rendering.personal_shell(self.block, html=True)
        pieces = [before]
        for card in cards:
            pieces.append(context.join(context.rendering.card_chunks(card, html=True), html=True))
        pieces.append(after)
        return b"".join(pieces)

    def text(self, recipient: Recipient, context: _Context) -> bytes:
        cards = self.cards(recipient)
        if not cards:
            return b""
        before, after = context.rendering.personal_shell(self.block, html=False)
        pieces = [before]
        for card in cards:
            pieces.append(context.join(context.rendering.card_chunks(card, html=False), html=False))
        pieces.append(after)
        return b"".join(pieces)


Field = _ValueField | _TokenField | _WebTokenField | _PriceField | _PersonalProductsField
TOKEN = _TokenField()
WEB_TOKEN = _WebTokenField()


@dataclass(frozen=True)
class Chunks:
    """A text as quoted-printable static chunks with a field between each two.

    ``template`` holds the static chunks at the even positions (``None`` at the gaps);
    ``slots`` names the field of each gap by its position in ``fields``, and ``pick`` takes
    the values of the gaps, in order, from a list of values in ``fields`` order (in C).
    """

    template: tuple[bytes | None, ...] = (b"",)
    fields: tuple[Field, ...] = ()  # each field once
    slots: tuple[int, ...] = ()
    pick: Callable[[list[bytes]], tuple[bytes, ...]] = field(
        default=lambda values: (), repr=False, compare=False
    )

    @classmethod
    def of(cls, static: list[bytes], gaps: list[Field]) -> Chunks:
        fields = tuple(dict.fromkeys(gaps))
        position = {item: index for index, item in enumerate(fields)}
        slots = tuple(position[item] for item in gaps)
        if len(slots) > 1:
            pick = itemgetter(*slots)
        elif slots:
            pick = lambda values, index=slots[0]: (values[index],)  # noqa: E731
        else:
            pick = lambda values: ()  # noqa: E731
        template: list[bytes | None] = [None] * (2 * len(gaps) + 1)
        template[::2] = static
        return cls(tuple(template), fields, slots, pick)


class _Context:
    """One recipient's values while their message is merged."""

    __slots__ = ("recipient", "rendering", "token_html", "token_text")

    def __init__(self, rendering: NewsletterRendering, recipient: Recipient) -> None:
        self.rendering = rendering
        self.recipient = recipient
        token = url_token(recipient.token)
        self.token_text = _qp(token)
        # The usual signed token has nothing to escape for HTML.
        self.token_html = self.token_text if _URL_SAFE.fullmatch(token) else _qp(escape(token))

    def join(self, chunks: Chunks, *, html: bool) -> bytes:
        recipient = self.recipient
        if html:
            values = [f.html(recipient, self) for f in chunks.fields]
        else:
            values = [f.text(recipient, self) for f in chunks.fields]
        # The values go into the gaps by one slice assignment: no Python loop over chunks.
        parts = list(chunks.template)
        parts[1::2] = chunks.pick(values)
        return b"".join(parts)


class _Markers:
    """Hands the layout marker strings for personal values and remembers what each means."""

    def __init__(self, nonce: str, locale: str) -> None:
        self.nonce = nonce
        self.locale = locale
        self.fields: dict[str, Field] = {"t": TOKEN, "w": WEB_TOKEN}
        self.pattern = re.compile(f"%%HUB{nonce}:([a-z0-9]+)%%")
        self._known: dict[tuple[Any, ...], Markup] = {}

    def _add(self, identity: tuple[Any, ...], make: Callable[[], Field]) -> Markup:
        """The marker of a field; the same field (e.g. one price) shares one marker."""
        marker = self._known.get(identity)
        if marker is None:
            key = f"f{len(self.fields)}"
            self.fields[key] = make()
            # The nonce and key are ours: nothing in the marker comes from the content.
            marker = self._known[identity] = Markup(f"%%HUB{self.nonce}:{key}%%")  # noqa: S704
        return marker

    @property
    def token(self) -> str:
        return f"%%HUB{self.nonce}:t%%"

    @property
    def web_token(self) -> str:
        return f"%%HUB{self.nonce}:w%%"

    def field(self, name: str, before: str = "", after: str = "") -> Markup:
        if name not in _FIELD_NAMES:
            raise ValueError(f"Unknown personal field {name!r}; use one of {_FIELD_NAMES}.")
        return self._add(("field", name, before, after), lambda: _ValueField(name, before, after))

    def price(self, card: ProductCard, before: str = "") -> Markup:
        return self._add(
            ("price", card.sku, card.price, card.currency, before),
            lambda: _PriceField(card.sku, card.price, card.currency, self.locale, before),
        )

    def personal(self, block: PersonalProductsBlock) -> Markup:
        return self._add(("personal", id(block)), lambda: _PersonalProductsField(block))

    def tracked(self, url: str, click: Callable[[str], str]) -> str:
        """The tracked form of ``url`` with this recipient's token, as a marker."""
        return click(url).replace(RECIPIENT_TOKEN, self.token)

    def split(self, text: str) -> Chunks:
        """``text`` as encoded static chunks and the fields between them."""
        pieces = self.pattern.split(text)
        return Chunks.of(
            [_qp(piece) for piece in pieces[::2]], [self.fields[key] for key in pieces[1::2]]
        )
