"""Plain text from the final HTML: the text alternative of a newsletter."""

from __future__ import annotations

import re
import textwrap
from typing import Any

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
