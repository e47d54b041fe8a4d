"""The engine with the real formats of ``HUB_CHANNELS``: a file that validates and is served."""

import pytest

from campaigns.feeds.runs import feed_generate
from campaigns.models import Feed
from channels.registry import get_channel
from tests.factories import ProductFactory, ProductFeatureFactory

pytestmark = pytest.mark.django_db

FORMATS = [
    ("google_merchant", {"shipping_country": "DE", "shipping_price": "4.95"}),
    (
        "amazon",
        {
            "seller_id": "A2EUQ1WTGCTBG2",
            "marketplace_id": "A1PA6795UKMFR9",
            "product_types": [
                {"product_type": "PRODUCT", "attributes": {"item_name": "name", "brand": "brand"}}
            ],
        },
    ),
    ("bmecat", {"supplier_name": "Hubwerk GmbH", "catalog_id": "HW-2026"}),
]


@pytest.mark.parametrize(("channel", "options"), FORMATS)
def test_a_real_format_writes_a_file_that_validates_and_is_served(client, channel, options):
    for sku in ("A-1", "A-2"):
        product = ProductFactory(sku=sku, live=True, with_image=True, etim_class="EC002580")
        ProductFeatureFactory(product=product)
    assert get_channel(channel).clean_options(options) == {}
    feed = Feed(name=channel, slug=channel, channel=channel, options=options)
    token = feed.set_token()
    feed.save()

    run = feed_generate(feed=feed)

    assert run.status == "succeeded", run.error
    for part in run.parts:
        response = client.get(f"/feeds/{token}/{part['name']}")
        assert response.status_code == 200
        assert response["ETag"] == f'"{part["sha256"]}"'
    assert (run.written, run.refused) == (2, 0), list(run.refusals.values_list("reasons"))
