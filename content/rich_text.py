"""Rich text in the hub: what editors may use, and how stored rich text becomes HTML."""

from __future__ import annotations

from wagtail.rich_text import expand_db_html

# Long texts go to e-mail, print and marketplaces alike: structure and emphasis only,
# nothing that a channel cannot render (no embeds, no images, no raw HTML).
RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link"]


def rich_text_html(html: str) -> str:
    """Stored rich text as HTML for a channel: internal links and embeds expanded."""
    # Only internal links and embeds need expanding; most texts have neither.
    return expand_db_html(html) if "linktype=" in html or "<embed" in html else html
