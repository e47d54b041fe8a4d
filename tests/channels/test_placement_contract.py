"""One contract test over every registered channel that serves placements (``serves``)."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote

import lxml.html
import orjson
import pytest

from channels.base import (
    RECIPIENT_TOKEN,
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
)
from channels.registry import get_channels

DRILL = ProductCard(
    "SKU-1", "Bohrhammer <BH 26>", "Kräftig", "https://shop.example/p/1",
    "https://cdn.example/1.jpg", Decimal("1234.50"),
)  # fmt: skip
BLADE = ProductCard("SKU-9", "Sägeblatt SB 3", "", "https://shop.example/p/9", "", Decimal("9.90"))
GLOVES = ProductCard("SKU-7", "Handschuhe", "", "https://shop.example/p/7")
TOKEN = "v1.visitor-token_42"
SERVING = [key for key, channel in get_channels().items() if channel.serves]
SURVEY_ANSWERS = tuple((n, f"https://hub.example/s/{RECIPIENT_TOKEN}/{n}") for n in (1, 2, 3))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@pytest.fixture(params=SERVING)
def channel(request):
    return get_channels()[request.param]


def tracking() -> PlacementTracking:
    return PlacementTracking(
        impression_url=f"https://hub.example/t/o/{RECIPIENT_TOKEN}.gif",
        click=lambda url: f"https://hub.example/t/c/{RECIPIENT_TOKEN}/?u={quote(url, safe='')}",
    )


def every_block_variant(**overrides) -> PlacementVariant:
    """A campaign's placement with one block of every kind a placement shows."""
    values = {
        "slot": "home.hero",
        "campaign_id": 7,
        "campaign_name": "Frühling",
        "locale": "de",
        "role": "buyer",
        "phase": "awareness",
        "arm": "A",
        "blocks": (
            HeroBlock("Frühjahrsaktion", "Jetzt sparen", "https://cdn.example/h.jpg",
                      "https://shop.example/spring"),
            TextBlock('<p>Siehe <a href="https://shop.example/terms">Bedingungen</a></p>'),
            ProductGridBlock("Top-Produkte", (DRILL,)),
            MessageBlock("Für Einkäufer", "<p>Sparen</p>", "Kaufen", "https://shop.example/b",
                         DRILL),
            CallToActionBlock("Zum Shop", "https://shop.example/"),
            SurveyBlock("Wie zufrieden sind Sie?", SURVEY_ANSWERS, "gar nicht", "sehr"),
            OffersBlock("Für Sie", ("reorder", "spare_part"), 2),
        ),
        "tracking": tracking(),
    }  # fmt: skip
    return PlacementVariant(**{**values, **overrides})


OFFERS = (
    Offer(DRILL, "reorder", "Sie bestellen das etwa alle 30 Tage.", 2),
    Offer(GLOVES, "viewed", "Angesehen, nicht gekauft."),
    Offer(BLADE, "spare_part", "Verschleißteil Ihres Bohrhammers.", None),
)


class _Balance(HTMLParser):
    """Fails on an end tag that closes nothing open, and remembers what stays open."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def assert_well_formed_fragment(html: str) -> None:
    balance = _Balance()
    balance.feed(html)
    balance.close()
    assert balance.open == []
    assert lxml.html.fragments_fromstring(html)


def links(html: str) -> list[str]:
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    return [anchor.get("href") for anchor in tree.iter("a")]


def pixels(html: str) -> list[str]:
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    return [img.get("src") for img in tree.iter("img") if img.get("width") == "1"]


def test_every_serving_channel_is_in_the_contract_test():
    assert "webshop" in SERVING


def test_a_rendered_placement_is_json_and_a_well_formed_fragment_with_the_token_placeholder(
    channel,
):
    rendered = channel.render_placement(every_block_variant())

    payload = orjson.loads(orjson.dumps(rendered.data))
    assert [block["type"] for block in payload["blocks"]] == [
        "teaser", "text", "products", "message", "cta", "survey", "offers",
    ]  # fmt: skip
    assert payload["source"] == "campaign"
    assert payload["campaign"] == {"id": 7, "name": "Frühling"}
    assert payload["variant"] == {"locale": "de", "role": "buyer", "phase": "awareness", "arm": "A"}
    assert payload["blocks"][2]["products"][0]["price"] == "1234.50"
    assert payload["blocks"][2]["products"][0]["currency"] == "EUR"
    assert_well_formed_fragment(rendered.html)
    assert RECIPIENT_TOKEN in rendered.html
    assert RECIPIENT_TOKEN in payload["impression_url"]


def test_the_fragment_escapes_product_text_and_shows_the_teaser(channel):
    rendered = channel.render_placement(every_block_variant())

    assert "Bohrhammer &lt;BH 26&gt;" in rendered.html
    assert "<BH 26>" not in rendered.html
    assert "Frühjahrsaktion" in rendered.html


def test_personalising_puts_the_visitors_token_in_every_tracked_url_and_the_pixel(channel):
    rendered = channel.render_placement(every_block_variant())

    data, html = channel.personalise_placement(rendered, PlacementVisitor(TOKEN, OFFERS))

    text = orjson.dumps(data).decode()
    assert RECIPIENT_TOKEN not in html
    assert RECIPIENT_TOKEN not in text
    hrefs = links(html)
    assert hrefs
    assert all(f"/{TOKEN}/" in href for href in hrefs)
    assert pixels(html) == [f"https://hub.example/t/o/{TOKEN}.gif"]
    assert data["impression_url"] == f"https://hub.example/t/o/{TOKEN}.gif"
    assert data["blocks"][0]["link_url"].startswith(f"https://hub.example/t/c/{TOKEN}/")
    assert_well_formed_fragment(html)


def test_a_visitors_offers_appear_with_their_reasons_within_the_blocks_kinds_and_limit(channel):
    rendered = channel.render_placement(every_block_variant())

    data, html = channel.personalise_placement(rendered, PlacementVisitor(TOKEN, OFFERS))

    offers = data["blocks"][-1]["offers"]
    assert [(o["product"]["sku"], o["reason"]) for o in offers] == [
        ("SKU-1", "Sie bestellen das etwa alle 30 Tage."),
        ("SKU-9", "Verschleißteil Ihres Bohrhammers."),
    ]
    assert "Sie bestellen das etwa alle 30 Tage." in html
    assert "Verschleißteil Ihres Bohrhammers." in html
    assert "Handschuhe" not in html
    assert "hub-offers:" not in html


def test_personalising_one_visitor_leaves_the_rendering_for_the_next(channel):
    rendered = channel.render_placement(every_block_variant())

    channel.personalise_placement(rendered, PlacementVisitor(TOKEN, OFFERS))
    data, html = channel.personalise_placement(rendered, PlacementVisitor("other-token"))

    assert TOKEN not in html
    assert "/other-token/" in html
    assert data["blocks"][-1]["offers"] == []
    assert "Sie bestellen das" not in html


def test_an_anonymous_visitor_gets_plain_links_and_no_pixel_or_placeholder(channel):
    rendered = channel.render_placement(every_block_variant())

    data, html = channel.personalise_placement(rendered, PlacementVisitor(""))

    assert RECIPIENT_TOKEN not in html
    assert RECIPIENT_TOKEN not in orjson.dumps(data).decode()
    assert pixels(html) == []
    assert data["impression_url"] == ""
    assert all(href.startswith("https://shop.example/") for href in links(html))
    assert "Frühjahrsaktion" in html
    assert_well_formed_fragment(html)


def test_default_content_is_untracked_and_says_so(channel):
    variant = every_block_variant(campaign_id=None, campaign_name="", tracking=PlacementTracking())
    rendered = channel.render_placement(variant)

    data, html = channel.personalise_placement(rendered, PlacementVisitor(""))

    assert data["source"] == "default"
    assert data["campaign"] is None
    assert pixels(html) == []
    assert all(href.startswith("https://shop.example/") for href in links(html))


def test_a_placement_without_content_answers_none_and_an_empty_fragment(channel):
    rendered = channel.render_placement(every_block_variant(campaign_id=None, blocks=()))

    data, html = channel.personalise_placement(rendered, PlacementVisitor(""))

    assert data["source"] == "none"
    assert data["blocks"] == []
    assert html == ""


def test_offers_alone_and_none_for_the_visitor_leave_the_shop_its_own_content(channel):
    variant = every_block_variant(blocks=(OffersBlock("Für Sie", ("reorder",), 4),))
    rendered = channel.render_placement(variant)

    data, html = channel.personalise_placement(rendered, PlacementVisitor(TOKEN))

    assert data["source"] == "none"
    assert html == ""
