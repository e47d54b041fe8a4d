"""Rich text leaves the hub without the editor's bookkeeping: Draftail stores a
``data-block-key`` on every block, which no channel needs."""

import pytest

from content.feed_source import feed_source
from tests.factories import AudienceMessageFactory, ProductFactory

pytestmark = pytest.mark.django_db

EDITED = (
    '<h3 data-block-key="a1b2c">Technik</h3>'
    '<p data-block-key="d3e4f">Robust <b>und</b> leise.</p>'
    '<ul><li data-block-key="g5h6i">Mit Koffer</li></ul>'
)
CLEAN = "<h3>Technik</h3><p>Robust <b>und</b> leise.</p><ul><li>Mit Koffer</li></ul>"


def test_the_product_api_serves_long_text_without_block_keys(api):
    ProductFactory(sku="RICH-1", long_text=EDITED, live=True)

    one = api.get("/products/RICH-1").json()
    listed = api.get("/products", {"locale": "de"}).json()["items"]

    assert one["long_text"] == CLEAN
    assert [item["long_text"] for item in listed] == [CLEAN]


def test_the_message_api_serves_bodies_without_block_keys(api, publish):
    publish(AudienceMessageFactory(body=EDITED, role="buyer"))

    response = api.get("/messages")

    assert [item["body"] for item in response.json()["items"]] == [CLEAN]


def test_feeds_get_long_text_without_block_keys():
    ProductFactory(sku="RICH-1", long_text=EDITED, live=True, with_image=True)

    [source] = feed_source(channel_key="google_merchant", languages=["de"])

    text = source.product.texts["de"]
    assert text.long_html == CLEAN
    assert text.long_text == "Technik\n\nRobust und leise.\n\n• Mit Koffer"
