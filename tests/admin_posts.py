"""POST bodies the Wagtail admin sends for products and messages, for tests that drive it."""

from tests.factories import rich_text_json


def _formset(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
        data[f"{prefix}-{index}-ORDER"] = str(index + 1)
    return data


def product_post(
    *,
    features: list[dict[str, str]] | None = None,
    images: list[dict[str, str]] | None = None,
    documents: list[dict[str, str]] | None = None,
    relations: list[dict[str, str]] | None = None,
    **fields: str,
) -> dict[str, str]:
    """A product create/edit POST. ``long_text`` is given as plain text."""
    data = {
        "sku": "SKU-1",
        "gtin": "4006381333931",
        "brand": "Hubwerk",
        "manufacturer_part_number": "HW-1",
        "name": "Schraube",
        "short_text": "Eine Schraube",
        "etim_class": "",
        "etim_release": "9.0",
        "net_content": "",
        "net_content_unit": "",
        "eprel_code": "",
    }
    data.update(fields)
    data["long_text"] = rich_text_json(data.pop("long_text", "Langtext"))
    data.update(_formset("features", features if features is not None else []))
    data.update(_formset("other_etim_classes", []))
    data.update(_formset("images", images or []))
    data.update(_formset("documents", documents or []))
    data.update(_formset("relations", relations or []))
    return data


def message_post(**fields: str) -> dict[str, str]:
    data = {
        "headline": "Sparen Sie Zeit",
        "role": "",
        "phase": "",
        "product": "",
        "cta_label": "",
        "cta_url": "",
    }
    data.update(fields)
    data["body"] = rich_text_json(data.pop("body", "Text"))
    return data
