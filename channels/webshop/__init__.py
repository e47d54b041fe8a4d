import dataclasses
from decimal import Decimal
from html import escape

from channels.base import RECIPIENT_TOKEN, BaseChannel
from channels.placements import (
    OffersBlock,
    PlacementChannel,
    PlacementVariant,
    PlacementVisitor,
    RenderedPlacement,
)

LINK_FIELDS = ("url", "link_url", "cta_url")
_OFFERS_MARK = "<!--hub-offers:{index}-->"


def _plain(value):
    """A block's field as JSON-able data: Decimals as strings, tuples as lists."""
    if dataclasses.is_dataclass(value):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _tracked(data, click):
    """Every link of a block's data through the campaign's click tracking."""
    if isinstance(data, list):
        return [_tracked(item, click) for item in data]
    if isinstance(data, dict):
        return {
            key: click(value)
            if key in LINK_FIELDS and isinstance(value, str) and value
            else _tracked(value, click)
            for key, value in data.items()
        }
    return data


def _block_type(block) -> str:
    name = type(block).__name__.removesuffix("Block")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _card_html(card: dict) -> str:
    price = (
        f" <span>{escape(card['price'])} {escape(card['currency'])}</span>"
        if card.get("price")
        else ""
    )
    return f'<a href="{escape(card["url"])}">{escape(card["name"])}</a>{price}'


def _block_html(block: dict, index: int) -> str:
    kind = block["type"]
    if kind == "hero":
        link = block["link_url"]
        headline = escape(block["headline"])
        if link:
            headline = f'<a href="{escape(link)}">{headline}</a>'
        return f"<h2>{headline}</h2><p>{escape(block['text'])}</p>"
    if kind == "text":
        return block["html"]
    if kind == "product_grid":
        cards = "".join(f"<li>{_card_html(card)}</li>" for card in block["products"])
        return f"<h3>{escape(block['heading'])}</h3><ul>{cards}</ul>"
    if kind == "message":
        product = f"<p>{_card_html(block['product'])}</p>" if block["product"] else ""
        cta = (
            f'<a href="{escape(block["cta_url"])}">{escape(block["cta_label"])}</a>'
            if block["cta_url"]
            else ""
        )
        return f"<h3>{escape(block['headline'])}</h3>{block['body_html']}{product}{cta}"
    if kind == "call_to_action":
        return f'<a href="{escape(block["url"])}">{escape(block["label"])}</a>'
    if kind == "survey":
        answers = "".join(
            f'<a href="{escape(url)}">{score}</a> ' for score, url in block["answers"]
        )
        return f"<p>{escape(block['question'])}</p><p>{answers}</p>"
    if kind == "offers":
        return f"<h3>{escape(block['heading'])}</h3>" + _OFFERS_MARK.format(index=index)
    return ""


class WebshopChannel(PlacementChannel, BaseChannel):
    """The manufacturer's own webshop: pulls content over the API, gets webhooks, and serves
    placements (``channels.placements``) chosen by the hub for each logged-in customer."""

    identifier = "webshop"
    name = "Webshop"
    required_fields = {
        "*": ("sku", "name", "short_text", "long_text", "images", "categories", "price"),
    }

    def render_placement(self, variant: PlacementVariant) -> RenderedPlacement:
        """The variant as JSON-able data and a plain HTML fragment, links tracked."""
        click = variant.tracking.click if variant.campaign_id is not None else str
        blocks = []
        for block in variant.blocks:
            data = {"type": _block_type(block), **_plain(block)}
            if isinstance(block, OffersBlock):
                data["items"] = []
            blocks.append(_tracked(data, click))
        source = "campaign" if variant.campaign_id is not None else "default"
        if not blocks and variant.campaign_id is None:
            source = "none"
        data = {
            "slot": variant.slot,
            "source": source,
            "campaign_id": variant.campaign_id,
            "variant_key": ":".join(
                part or "-" for part in (variant.locale, variant.role, variant.phase, variant.arm)
            ),
            "locale": variant.locale,
            "blocks": blocks,
            "impression_url": variant.tracking.impression_url,
        }
        inner = "".join(_block_html(block, index) for index, block in enumerate(blocks))
        pixel = (
            f'<img src="{escape(variant.tracking.impression_url)}" alt="" width="1" height="1">'
            if variant.tracking.impression_url
            else ""
        )
        html = (
            f'<div class="hub-placement" data-slot="{escape(variant.slot)}" '
            f'data-source="{source}">{inner}{pixel}</div>'
            if blocks
            else ""
        )
        return RenderedPlacement(variant=variant, data=data, html=html)

    def personalise_placement(
        self, rendered: RenderedPlacement, visitor: PlacementVisitor
    ) -> tuple[dict, str]:
        """The visitor's token in every tracked URL, and their offers in the offer slots."""
        data = dict(rendered.data)
        html = rendered.html
        blocks = []
        for index, block in enumerate(data["blocks"]):
            if block["type"] == "offers":
                kinds = set(block["kinds"])
                offers = [offer for offer in visitor.offers if offer.kind in kinds][
                    : block["limit"]
                ]
                block = {**block, "items": [_plain(offer) for offer in offers]}
                items = "".join(
                    f"<li>{_card_html(_plain(offer.product))} <small>{escape(offer.reason)}</small>"
                    "</li>"
                    for offer in offers
                )
                html = html.replace(
                    _OFFERS_MARK.format(index=index), f"<ul>{items}</ul>" if items else ""
                )
            blocks.append(block)
        data["blocks"] = blocks
        token = visitor.token
        if not token:  # nothing to measure: no pixel, and links without a token lead nowhere
            data["impression_url"] = ""
        data = _with_token(data, token)
        return data, html.replace(RECIPIENT_TOKEN, token)


def _with_token(data, token: str):
    if isinstance(data, dict):
        return {key: _with_token(value, token) for key, value in data.items()}
    if isinstance(data, list):
        return [_with_token(item, token) for item in data]
    if isinstance(data, str):
        return data.replace(RECIPIENT_TOKEN, token)
    return data
