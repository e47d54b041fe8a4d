"""The newsletter's once-per-variant work, and the cheap per-recipient merge.

``render_variant`` renders the Jinja2 layout once, with marker strings where personal
values go, inlines the CSS with premailer once, rewrites every link to its tracked form,
derives the plain-text alternative, and splits both into static chunks and fields. The
static chunks are quoted-printable encoded once too, so personalising a recipient
(``personalise``) only encodes the few personal values and joins bytes: no template engine,
no parsing and no premailer per recipient. Editor-written text is only ever a value of the
layout, never compiled as a template, and a marker carries a nonce chosen per rendering, so
text that happens to look like a marker stays text.

The package: ``personal`` (the fields markers stand for, chunks, the merge context),
``plain_text`` (``html_to_text``), ``variant`` (``render_variant``, ``NewsletterRendering``,
``personalise``). The names other modules use are re-exported here.
"""

from .personal import PERSONAL_PRODUCTS_LIMIT, Chunks, format_price, language, url_token
from .plain_text import html_to_text
from .variant import (
    BLOCK_TEMPLATES,
    CARD_CACHE_SIZE,
    TEXTS,
    NewsletterRendering,
    environment,
    inline_css,
    personalise,
    render_variant,
)

__all__ = [
    "BLOCK_TEMPLATES",
    "CARD_CACHE_SIZE",
    "PERSONAL_PRODUCTS_LIMIT",
    "TEXTS",
    "Chunks",
    "NewsletterRendering",
    "environment",
    "format_price",
    "html_to_text",
    "inline_css",
    "language",
    "personalise",
    "render_variant",
    "url_token",
]
