"""The newsletter's once-per-variant work, and the cheap per-recipient merge.

``render_variant`` renders the Jinja2 layout once, with marker strings where personal
values go, inlines the CSS with premailer once, rewrites every link to its tracked form,
derives the plain-text alternative, and splits both into static chunks and fields. The
static chunks are quoted-printable encoded once too, so personalising a recipient
(``personalise``) only encodes the few personal values and joins bytes: no template engine,
no parsing and no premailer per recipient. Editor-written text is only ever a value of the
layout, never compiled as a template, and a marker carries a nonce chosen per rendering, so
text that happens to look like a marker stays text.
"""

from __future__ import annotations

import binascii
import logging
import re
import secrets
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from html import escape
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
import lxml.html
import premailer
from django.conf import settings
from markupsafe import Markup

from channels.base import (
    RECIPIENT_TOKEN,
    CallToActionBlock,
    HeroBlock,
    MessageBlock,
    PersonalProductsBlock,
    ProductCard,
    ProductGridBlock,
    Recipient,
    RenderedVariant,
    TextBlock,
    Variant,
)

if TYPE_CHECKING:
    from .mime import PreparedHeaders

# How many viewed or recommended products a personal block shows at most.
PERSONAL_PRODUCTS_LIMIT = 4
# Pre-rendered personal product cards kept per rendering before the cache starts over.
CARD_CACHE_SIZE = 5_000

BLOCK_TEMPLATES: dict[type, str] = {
    HeroBlock: "blocks/hero.html",
    TextBlock: "blocks/text.html",
    ProductGridBlock: "blocks/product_grid.html",
    MessageBlock: "blocks/message.html",
    CallToActionBlock: "blocks/call_to_action.html",
    PersonalProductsBlock: "blocks/personal_products.html",
}

# The fixed texts of the layout, by language; any other locale gets the English ones.
TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "more": "Mehr erfahren",
        "to_product": "Zum Produkt",
        "unsubscribe": "Abmelden",
        "preferences": "Einstellungen ändern",
        "sent_to": "Diese E-Mail ging an ",
        "as_contact_of": " als Ansprechpartner von ",
        "why": (
            "Sie erhalten diesen Newsletter, weil Sie ihm zugestimmt haben. Sie können ihn "
            "jederzeit mit einem Klick abbestellen."
        ),
    },
    "en": {
        "more": "Learn more",
        "to_product": "View product",
        "unsubscribe": "Unsubscribe",
        "preferences": "Manage preferences",
        "sent_to": "This e-mail was sent to ",
        "as_contact_of": " as a contact of ",
        "why": (
            "You receive this newsletter because you subscribed to it. You can unsubscribe "
            "at any time with one click."
        ),
    },
}

_TEMPLATE_DIR = "newsletter"
_FIELD_NAMES = ("greeting", "first_name", "last_name", "name", "company", "email")
_NEWLINES = re.compile(r"[\r\n]+")
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~:=-]*")
_UNTRACKED_SCHEMES = ("mailto:", "tel:", "sms:", "#")


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


@cache
def environment() -> jinja2.Environment:
    """The newsletter's Jinja2 environment, one per process."""
    directory = Path(settings.BASE_DIR) / "templates" / _TEMPLATE_DIR
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


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


Field = _ValueField | _TokenField | _PriceField | _PersonalProductsField
TOKEN = _TokenField()


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
        self.fields: dict[str, Field] = {"t": TOKEN}
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


@dataclass(frozen=True)
class NewsletterRendering(RenderedVariant):
    """A variant rendered once: its HTML and text as static chunks and personal fields.

    ``html`` is the final HTML (inlined CSS, tracked links, open pixel) with markers where
    personal values go, kept for inspection; ``html_chunks`` and ``text_chunks`` are what
    ``personalise`` joins per recipient.
    """

    html: str = ""
    text: str = ""
    html_chunks: Chunks = Chunks()
    text_chunks: Chunks = Chunks()
    nonce: str = ""
    headers: PreparedHeaders | None = None  # the MIME headers all its messages share
    # Pre-rendered personal product cards and block shells: filled on first use.
    _cards: dict[tuple[ProductCard, bool], Chunks] = field(
        default_factory=dict, compare=False, repr=False
    )
    _shells: dict[tuple[int, bool], tuple[bytes, bytes]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def card_chunks(self, card: ProductCard, *, html: bool) -> Chunks:
        key = (card, html)
        parts = self._cards.get(key)
        if parts is None:
            if len(self._cards) >= CARD_CACHE_SIZE:
                self._cards.clear()
            parts = self._cards[key] = self._render_card(card, html=html)
        return parts

    def personal_shell(self, block: PersonalProductsBlock, *, html: bool) -> tuple[bytes, bytes]:
        key = (id(block), html)
        shell = self._shells.get(key)
        if shell is None:
            shell = self._shells[key] = self._render_shell(block, html=html)
        return shell

    def _markers(self) -> _Markers:
        return _Markers(self.nonce, self.variant.locale)

    def _render_card(self, card: ProductCard, *, html: bool) -> Chunks:
        markers = self._markers()
        variant = self.variant
        href = markers.tracked(card.url, variant.tracking.click) if card.url else ""
        if html:
            macros = environment().get_template("blocks/personal_products.html").module
            rendered = str(
                macros.card(card=card, href=href, price=markers.price(card), t=_texts(variant))
            )
        else:
            lines = [f"* {_one_line(card.name)}{markers.price(card, before=' - ')}\n"]
            if card.short_text:
                lines.append(
                    textwrap.indent(_wrap(_one_line(card.short_text), width=74), "  ") + "\n"
                )
            if href:
                lines.append(f"  {href}\n")
            rendered = "".join(lines)
        return markers.split(rendered)

    def _render_shell(self, block: PersonalProductsBlock, *, html: bool) -> tuple[bytes, bytes]:
        if html:
            macros = environment().get_template("blocks/personal_products.html").module
            before, _, after = str(macros.shell(heading=block.heading, cards="\x00")).partition(
                "\x00"
            )
        else:
            heading = _one_line(block.heading)
            before, after = f"\n{heading}\n{'-' * min(len(heading), 76)}\n", "\n"
        return _qp(before), _qp(after)


def _texts(variant: Variant) -> dict[str, str]:
    return TEXTS[language(variant.locale)]


def _nonce(variant: Variant) -> str:
    """A marker nonce that occurs nowhere in the variant's own text."""
    haystack = repr(variant)
    while True:
        nonce = secrets.token_hex(6)
        if nonce not in haystack:
            return nonce


def inline_css(html: str) -> str:
    """``html`` with its CSS inlined; the style block stays for the media queries."""
    return premailer.Premailer(
        html,
        keep_style_tags=True,
        strip_important=False,
        remove_classes=False,
        disable_validation=True,
        allow_network=False,
        cssutils_logging_level=logging.CRITICAL,
    ).transform()


def render_variant(
    variant: Variant, *, headers: PreparedHeaders | None = None
) -> NewsletterRendering:
    """Everything the recipients of ``variant`` share, prepared once."""
    nonce = _nonce(variant)
    markers = _Markers(nonce, variant.locale)
    tracking = variant.tracking
    blocks = [(BLOCK_TEMPLATES[type(block)], block) for block in variant.blocks]
    layout = environment().get_template("layout.html")
    html = layout.render(
        variant=variant,
        lang=variant.locale.replace("_", "-"),
        blocks=blocks,
        m=markers,
        t=_texts(variant),
        unsubscribe_url=tracking.unsubscribe_url,
        preferences_url=tracking.preferences_url,
    )
    html = inline_css(html)
    tree = lxml.html.document_fromstring(html)
    _track_links(tree, markers, variant)
    final = lxml.html.tostring(
        tree, encoding="unicode", method="html", doctype=tree.getroottree().docinfo.doctype
    )
    final = final.replace("\r\n", "\n").rstrip("\n") + "\n"
    text = html_to_text(tree, markers.pattern)
    return NewsletterRendering(
        variant=variant,
        html=final,
        text=text,
        html_chunks=markers.split(final),
        text_chunks=markers.split(text),
        nonce=nonce,
        headers=headers,
    )


def _track_links(tree: Any, markers: _Markers, variant: Variant) -> None:
    """Every link to its tracked form with the token marker, and the open pixel appended."""
    tracking = variant.tracking
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if anchor.attrib.pop("data-hub-tracked", None) == markers.nonce:
            # Unsubscribe and preferences (marked with this rendering's nonce, which editor
            # text cannot know): tracked URLs already, only the token goes in.
            anchor.set("href", href.replace(RECIPIENT_TOKEN, markers.token))
        elif href and not href.lower().startswith(_UNTRACKED_SCHEMES):
            anchor.set("href", markers.tracked(href, tracking.click))
    body = tree.find("body")
    pixel = lxml.html.Element(
        "img",
        src=tracking.open_url.replace(RECIPIENT_TOKEN, markers.token),
        width="1",
        height="1",
        alt="",
        style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;",
    )
    body.append(pixel)


# Plain text from the final HTML


_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "td", "th", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5",
     "h6", "blockquote", "center", "section", "article", "header", "footer"}
)  # fmt: skip
_SKIP_TAGS = frozenset({"head", "style", "script", "title"})
_SPACE = re.compile(r"\s+")


def _wrap(paragraph: str, width: int = 76) -> str:
    return textwrap.fill(paragraph, width=width, break_long_words=False, break_on_hyphens=False)


def _wrap_around_markers(paragraph: str, markers: re.Pattern[str] | None) -> str:
    """``paragraph`` wrapped, each marker counted as a value of about ten characters."""
    if markers is None or "\ue000" in paragraph:
        return _wrap(paragraph)
    hidden: list[str] = []

    def hide(match: re.Match[str]) -> str:
        hidden.append(match.group(0))
        return f"\ue000{len(hidden) - 1:08d}"

    wrapped = _wrap(markers.sub(hide, paragraph))
    return _HIDDEN.sub(lambda match: hidden[int(match.group(1))], wrapped) if hidden else wrapped


_HIDDEN = re.compile("\ue000([0-9]{8})")


def html_to_text(tree: Any, markers: re.Pattern[str] | None = None) -> str:
    """A plain-text rendition: headings, paragraphs, lists, links as ``text (url)``.

    A link with only an image shows as its alt text, unless a text link elsewhere goes to
    the same place (a product's picture and its name): then it is left out.
    """
    text_links = {anchor.get("href") for anchor in tree.iter("a") if anchor.text_content().strip()}
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        paragraph = _SPACE.sub(" ", "".join(current)).strip()
        current.clear()
        if paragraph:
            paragraphs.append(paragraph)

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP_TAGS or "preheader" in (element.get("class") or ""):
            return
        if tag in _BLOCK_TAGS or tag == "br":
            flush()
        if tag == "li":
            current.append("- ")
        if tag == "img":
            alt = (element.get("alt") or "").strip()
            parent = element.getparent()
            # An image says something only as the sole content of a link.
            if (
                alt
                and parent is not None
                and parent.tag == "a"
                and not parent.text_content().strip()
            ):
                current.append(alt)
        elif tag == "a":
            label = _SPACE.sub(" ", element.text_content()).strip()
            href = element.get("href") or ""
            if not label:
                if href in text_links:
                    if element.tail:
                        current.append(element.tail)
                    return
                alts = [(img.get("alt") or "").strip() for img in element.iter("img")]
                label = " ".join(alt for alt in alts if alt)
            if href.startswith("mailto:"):
                href = href[len("mailto:") :]
            if label and href and label != href:
                current.append(f"{label} ({href})")
            else:
                current.append(label or href)
        else:
            if element.text and tag:
                current.append(element.text)
            for child in element:
                walk(child)
        if tag in _BLOCK_TAGS:
            count = len(paragraphs)
            flush()
            if tag in {"h1", "h2", "h3"} and len(paragraphs) > count:
                paragraphs.append("-" * min(len(paragraphs[-1]), 76))
        if element.tail:
            current.append(element.tail)

    body = tree.find("body")
    walk(body if body is not None else tree)
    flush()
    lines: list[str] = []
    for paragraph in paragraphs:
        if set(paragraph) == {"-"}:
            lines.append(paragraph)
        else:
            lines.append("")
            lines.append(_wrap_around_markers(paragraph, markers))
    return "\n".join(lines).strip("\n") + "\n"


def personalise(rendering: NewsletterRendering, recipient: Recipient) -> tuple[bytes, bytes]:
    """The recipient's plain-text and HTML bodies, quoted-printable, CRLF."""
    context = _Context(rendering, recipient)
    return (
        context.join(rendering.text_chunks, html=False),
        context.join(rendering.html_chunks, html=True),
    )
