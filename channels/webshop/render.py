"""A placement rendered once per variant (``render_placement``), personalised per request.

``render_placement`` does all the work the visitors of one variant and price group share:
it builds the JSON answer's blocks, with every link in its tracked form (holding
``RECIPIENT_TOKEN``), and renders the HTML fragment from those same blocks with the Jinja2
templates in ``templates/webshop/``, so the two renderings can never disagree. It also
prepares the untracked form of the answer, for a visitor without a token, and leaves a
marker (with a nonce chosen per rendering, which editor text cannot know) where each
offers block goes.

``personalise_placement`` is the per-request part: it swaps the visitor's token into the
tracked URLs (or takes the untracked form when there is no token) and renders each offers
block's small partial with the visitor's offers. No database, no template but the offers'.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

import jinja2
import lxml.html
from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext
from markupsafe import Markup

from channels.base import (
    RECIPIENT_TOKEN,
    UNTRACKED_SCHEMES,
    CallToActionBlock,
    HeroBlock,
    MessageBlock,
    ProductCard,
    ProductGridBlock,
    SurveyBlock,
    TextBlock,
)
from channels.placements import (
    Offer,
    OffersBlock,
    PlacementTracking,
    PlacementVariant,
    PlacementVisitor,
    RenderedPlacement,
)
from core.jinja import template_environment

_TEMPLATE_DIR = "webshop"


def environment() -> jinja2.Environment:
    """The webshop's Jinja2 environment, one per process (as the newsletter's)."""
    return template_environment(_TEMPLATE_DIR)


@dataclass(frozen=True)
class WebshopRendering(RenderedPlacement):
    """A placement rendered once: the tracked answer, its untracked form and its offer slots.

    ``data``/``html`` hold ``RECIPIENT_TOKEN`` in the tracked URLs; ``untracked_data`` /
    ``untracked_html`` are what a visitor without a token gets (plain links, no impression
    pixel, no survey: an answer needs to know who gave it). The HTML marks where each offers
    block goes with ``nonce`` and the block's position in its answer's ``blocks``.
    Everything but ``variant`` is plain data.
    """

    untracked_data: dict = field(default_factory=dict)
    untracked_html: str = ""
    nonce: str = ""
    texts: dict[str, str] = field(default_factory=dict)


def url_token(token: str) -> str:
    """``token`` as it goes into a URL in place of ``RECIPIENT_TOKEN``."""
    return quote(token, safe="-_.~:=")


def _texts(locale: str) -> dict[str, str]:
    """The fragment's fixed texts in the variant's language (gettext)."""
    with translation.override(_language(locale)):
        return {
            "more": gettext("Learn more"),
            "to_product": gettext("View product"),
            "price": gettext("Price"),
            "why": gettext("Why we suggest this"),
            "lead_time": gettext("Delivery in %(days)s days"),
            "scores": gettext("Your answer"),
        }


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower() or settings.LANGUAGE_CODE


def format_price(amount: Decimal, currency: str, locale: str) -> str:
    """The price as the page's language writes it: ``1.234,50 EUR`` / ``EUR 1,234.50``."""
    with translation.override(_language(locale)):
        number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number} {currency}" if _language(locale) == "de" else f"{currency} {number}"


def _card(card: ProductCard, click: Callable[[str], str], locale: str) -> dict[str, Any]:
    return {
        "sku": card.sku,
        "name": card.name,
        "short_text": card.short_text,
        "url": click(card.url) if card.url else "",
        "image_url": card.image_url,
        "price": None if card.price is None else str(card.price),
        "price_display": (
            "" if card.price is None else format_price(card.price, card.currency, locale)
        ),
        "currency": card.currency,
    }


def track_html(html: str, click: Callable[[str], str]) -> str:
    """Editor HTML with each of its links in the tracked form."""
    if not html.strip() or click is str:
        return html
    # A wrapper element keeps text before the first tag; it is unwrapped again below.
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.lower().startswith(UNTRACKED_SCHEMES):
            anchor.set("href", click(href))
    inner = lxml.html.tostring(tree, encoding="unicode", method="html")
    return inner[len("<div>") : -len("</div>")]


def _block(block: Any, click: Callable[[str], str], locale: str) -> dict[str, Any] | None:
    """One block of the answer as JSON-able data; None for a block a placement cannot show."""
    tracked = lambda url: click(url) if url else ""  # noqa: E731
    if isinstance(block, HeroBlock):
        return {
            "type": "teaser",
            "headline": block.headline,
            "text": block.text,
            "image_url": block.image_url,
            "link_url": tracked(block.link_url),
        }
    if isinstance(block, TextBlock):
        return {"type": "text", "html": track_html(block.html, click)}
    if isinstance(block, ProductGridBlock):
        return {
            "type": "products",
            "heading": block.heading,
            "products": [_card(card, click, locale) for card in block.products],
        }
    if isinstance(block, MessageBlock):
        return {
            "type": "message",
            "headline": block.headline,
            "body_html": track_html(block.body_html, click),
            "cta_label": block.cta_label,
            "cta_url": tracked(block.cta_url),
            "product": _card(block.product, click, locale) if block.product else None,
        }
    if isinstance(block, CallToActionBlock):
        return {"type": "cta", "label": block.label, "url": tracked(block.url)}
    if isinstance(block, SurveyBlock):
        # The answer URLs are the answers (with the token), not links to track.
        return {
            "type": "survey",
            "question": block.question,
            "answers": [{"score": score, "url": url} for score, url in block.answers],
            "low_label": block.low_label,
            "high_label": block.high_label,
        }
    if isinstance(block, OffersBlock):
        return {
            "type": "offers",
            "heading": block.heading,
            "kinds": list(block.kinds),
            "limit": block.limit,
            "offers": [],
        }
    # PersonalProductsBlock is the newsletter's; a placement fills offers blocks instead.
    return None


def _answer(variant: PlacementVariant, tracking: PlacementTracking, *, survey: bool) -> dict:
    blocks = []
    for block in variant.blocks:
        if isinstance(block, SurveyBlock) and not survey:
            continue
        data = _block(block, tracking.click, variant.locale)
        if data is not None:
            blocks.append(data)
    source = "default" if variant.campaign_id is None else "campaign"
    if not blocks:
        source = "none"
    campaign = (
        {"id": variant.campaign_id, "name": variant.campaign_name}
        if variant.campaign_id is not None and blocks
        else None
    )
    return {
        "slot": variant.slot,
        "source": source,
        "campaign": campaign,
        "variant": {
            "locale": variant.locale,
            "role": variant.role,
            "phase": variant.phase,
            "arm": variant.arm,
        },
        "impression_url": tracking.impression_url if blocks else "",
        "blocks": blocks,
    }


def _nonce(variant: PlacementVariant) -> str:
    """A marker nonce that occurs nowhere in the variant's own text."""
    haystack = repr(variant)
    while True:
        nonce = secrets.token_hex(6)
        if nonce not in haystack:
            return nonce


def _offers_marker(nonce: str, index: int) -> Markup:
    # The nonce and index are ours: nothing in the marker comes from the content.
    return Markup(f"<!--hub-offers:{nonce}:{index}-->")  # noqa: S704


def _fragment(data: dict, *, nonce: str, texts: dict[str, str]) -> str:
    if data["source"] == "none":
        return ""
    blocks = [
        (
            f"blocks/{block['type']}.html",
            block,
            _offers_marker(nonce, index) if block["type"] == "offers" else None,
        )
        for index, block in enumerate(data["blocks"])
    ]
    html = (
        environment()
        .get_template("placement.html")
        .render(data=data, blocks=blocks, lang=data["variant"]["locale"].replace("_", "-"), t=texts)
    )
    return html.strip() + "\n"


def render_placement(variant: PlacementVariant) -> WebshopRendering:
    """Everything the visitors of ``variant`` share, rendered once."""
    nonce = _nonce(variant)
    texts = _texts(variant.locale)
    data = _answer(variant, variant.tracking, survey=True)
    untracked = _answer(variant, PlacementTracking(), survey=False)
    return WebshopRendering(
        variant=variant,
        data=data,
        html=_fragment(data, nonce=nonce, texts=texts),
        untracked_data=untracked,
        untracked_html=_fragment(untracked, nonce=nonce, texts=texts),
        nonce=nonce,
        texts=texts,
    )


def _swap(value: Any, token: str) -> Any:
    """``value`` (the answer's data) with ``token`` in place of ``RECIPIENT_TOKEN``."""
    if isinstance(value, str):
        return value.replace(RECIPIENT_TOKEN, token) if RECIPIENT_TOKEN in value else value
    if isinstance(value, dict):
        return {key: _swap(item, token) for key, item in value.items()}
    if isinstance(value, list):
        return [_swap(item, token) for item in value]
    return value


def _offer(offer: Offer, click: Callable[[str], str], locale: str) -> dict[str, Any]:
    return {
        "kind": offer.kind,
        "reason": offer.reason,
        "lead_time_days": offer.lead_time_days,
        "product": _card(offer.product, click, locale),
    }


def personalise_placement(
    rendered: RenderedPlacement, visitor: PlacementVisitor
) -> tuple[dict, str]:
    """The answer for one visitor: their token in every tracked URL, their offers filled in.

    Without a token (an anonymous visitor, the default content) the untracked form: plain
    links and no impression pixel, so nothing is left broken.
    """
    if not isinstance(rendered, WebshopRendering):
        raise TypeError(f"personalise_placement takes what render_placement returned: {rendered!r}")
    variant = rendered.variant
    if visitor.token:
        token = url_token(visitor.token)
        data, html = _swap(rendered.data, token), rendered.html
        if RECIPIENT_TOKEN in html:
            html = html.replace(RECIPIENT_TOKEN, escape(token))
        click = variant.tracking.click

        def offer_click(url: str) -> str:
            return click(url).replace(RECIPIENT_TOKEN, token)
    else:
        data, html = _swap(rendered.untracked_data, ""), rendered.untracked_html
        offer_click = str
    for index, block in enumerate(data["blocks"]):
        if block["type"] != "offers":
            continue
        chosen = [o for o in visitor.offers if o.kind in block["kinds"]][: block["limit"]]
        block["offers"] = [_offer(offer, offer_click, variant.locale) for offer in chosen]
        marker = str(_offers_marker(rendered.nonce, index))
        partial = ""
        if block["offers"]:
            template = environment().get_template("blocks/offers.html")
            partial = template.render(block=block, t=rendered.texts).strip()
        html = html.replace(marker, partial)
    if data["blocks"] and all(b["type"] == "offers" and not b["offers"] for b in data["blocks"]):
        # Only offers, and none for this visitor: the shop keeps its own content.
        return {**data, "source": "none", "campaign": None, "impression_url": "", "blocks": []}, ""
    return data, html
