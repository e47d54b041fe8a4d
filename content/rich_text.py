"""Rich text in the hub: what editors may use, and how stored rich text becomes HTML."""

from __future__ import annotations

import re

import lxml.html
from wagtail.rich_text import expand_db_html

# Long texts go to e-mail, print and marketplaces alike: structure and emphasis only,
# nothing that a channel cannot render (no embeds, no images, no raw HTML).
RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link"]


# Draftail stores a key on every block it saves (<p data-block-key="a1b2c">): the editor's
# bookkeeping, meaningless to a channel. Wagtail writes it in this one form.
_BLOCK_KEY = re.compile(r'\s+data-block-key="[^"]*"')


def rich_text_html(html: str) -> str:
    """Stored rich text as HTML for a channel: internal links and embeds expanded, and
    no editor-internal attributes (``data-block-key``) left."""
    # Only internal links and embeds need expanding; most texts have neither.
    if "linktype=" in html or "<embed" in html:
        html = expand_db_html(html)
    return _BLOCK_KEY.sub("", html) if "data-block-key" in html else html


# Elements whose text is a paragraph of its own in plain text.
_PLAIN_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote")


def rich_text_plain(html: str) -> str:
    """Stored rich text as plain text: one paragraph per block, separated by a blank line,
    list items with a bullet, whitespace collapsed, no markup left (for feeds)."""
    expanded = rich_text_html(html or "")
    if not expanded.strip():
        return ""
    root = lxml.html.fragment_fromstring(expanded, create_parent="div")
    paragraphs = []
    for element in root.iter(*_PLAIN_BLOCKS):
        text = " ".join(element.text_content().split())
        if text:
            paragraphs.append(f"• {text}" if element.tag == "li" else text)
    if not paragraphs:
        return " ".join(root.text_content().split())
    return "\n\n".join(paragraphs)
