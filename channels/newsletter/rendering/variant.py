"""The once-per-variant rendering (``render_variant``) and the per-recipient merge."""

from __future__ import annotations

import logging
import secrets
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2
import lxml.html
import premailer

from channels.base import (
    RECIPIENT_TOKEN,
    UNTRACKED_SCHEMES,
    WEB_VERSION_TOKEN,
    CallToActionBlock,
    HeroBlock,
    MessageBlock,
    PersonalProductsBlock,
    ProductCard,
    ProductGridBlock,
    Recipient,
    RenderedVariant,
    SurveyBlock,
    TextBlock,
    Variant,
)
from core.jinja import template_environment

from .personal import Chunks, _Context, _Markers, _one_line, _qp, language
from .plain_text import _wrap, html_to_text

if TYPE_CHECKING:
    from ..mime import PreparedHeaders

# Pre-rendered personal product cards kept per rendering before the cache starts over.
CARD_CACHE_SIZE = 5_000

BLOCK_TEMPLATES: dict[type, str] = {
    HeroBlock: "blocks/hero.html",
    TextBlock: "blocks/text.html",
    ProductGridBlock: "blocks/product_grid.html",
    MessageBlock: "blocks/message.html",
    CallToActionBlock: "blocks/call_to_action.html",
    PersonalProductsBlock: "blocks/personal_products.html",
    SurveyBlock: "blocks/survey.html",
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
        "imprint": "Impressum",
        "privacy": "Datenschutz",
        "web_version": "E-Mail wird nicht richtig angezeigt? Im Browser ansehen",
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
        "imprint": "Imprint",
        "privacy": "Privacy policy",
        "web_version": "Trouble viewing this e-mail? View it in your browser",
    },
}

_TEMPLATE_DIR = "newsletter"


def environment() -> jinja2.Environment:
    """The newsletter's Jinja2 environment, one per process."""
    return template_environment(_TEMPLATE_DIR)


@dataclass(frozen=True)
class NewsletterRendering(RenderedVariant):
    """A variant rendered once: its HTML and text as static chunks and personal fields.

    ``html`` is the final HTML (inlined CSS, tracked links, open pixel) with markers where
    personal values go, kept for inspection; ``html_chunks`` and ``text_chunks`` are what
    ``personalise`` joins per recipient.
    """

    html: str = ""
    text: str = ""
    html_chunks: Chunks = field(default_factory=Chunks)
    text_chunks: Chunks = field(default_factory=Chunks)
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
        brand=variant.brand,
        unsubscribe_url=tracking.unsubscribe_url,
        preferences_url=tracking.preferences_url,
        web_version_url=tracking.web_version_url,
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
            # Unsubscribe, preferences and the web version (marked with this rendering's
            # nonce, which editor text cannot know): tracked URLs already, only tokens go in.
            href = href.replace(RECIPIENT_TOKEN, markers.token)
            anchor.set("href", href.replace(WEB_VERSION_TOKEN, markers.web_token))
        elif href and not href.lower().startswith(UNTRACKED_SCHEMES):
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


def personalise(rendering: NewsletterRendering, recipient: Recipient) -> tuple[bytes, bytes]:
    """The recipient's plain-text and HTML bodies, quoted-printable, CRLF."""
    context = _Context(rendering, recipient)
    return (
        context.join(rendering.text_chunks, html=False),
        context.join(rendering.html_chunks, html=True),
    )
