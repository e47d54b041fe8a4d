"""Cursor pages: every live product exactly once, even while content changes."""

from itertools import chain

import pytest
from django.core import signing

from content.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_live(publish, make_draft):
    products = [publish(make_draft(sku=f"PAGE-{index}")) for index in range(5)]
    make_draft(sku="PAGE-DRAFT")
    return products


def walk(api, *, limit, after_each_page=None, **params):
    """Follow next_cursor to the end; return the SKUs of every page."""
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = api.get("/products", query).json()
        pages.append([item["sku"] for item in body["items"]])
        if after_each_page:
            after_each_page(len(pages))
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_walk_every_live_product_exactly_once(api, five_live):
    pages = walk(api, limit=2)

    assert pages == [["PAGE-0", "PAGE-1"], ["PAGE-2", "PAGE-3"], ["PAGE-4"]]


def test_the_last_page_has_no_next_cursor(api, five_live):
    body = api.get("/products", {"limit": 5}).json()

    assert len(body["items"]) == 5
    assert body["next_cursor"] is None


def test_republishing_a_product_already_seen_neither_repeats_nor_skips(api, publish, five_live):
    def edit_first(page):
        if page == 1:
            product = Product.objects.get(sku="PAGE-0")
            product.name = "Neu"
            publish(product)

    pages = walk(api, limit=2, after_each_page=edit_first)

    assert list(chain(*pages)) == ["PAGE-0", "PAGE-1", "PAGE-2", "PAGE-3", "PAGE-4"]


def test_withdrawing_a_product_while_paging_skips_no_other(api, withdraw, five_live):
    def withdraw_seen_and_unseen(page):
        if page == 1:
            withdraw(Product.objects.get(sku="PAGE-1"))
            withdraw(Product.objects.get(sku="PAGE-3"))

    pages = walk(api, limit=2, after_each_page=withdraw_seen_and_unseen)

    assert list(chain(*pages)) == ["PAGE-0", "PAGE-1", "PAGE-2", "PAGE-4"]


def test_a_product_published_while_paging_appears_on_a_later_page(
    api, publish, make_draft, five_live
):
    def publish_new(page):
        if page == 1:
            publish(make_draft(sku="PAGE-NEW"))

    pages = walk(api, limit=2, after_each_page=publish_new)

    assert list(chain(*pages[1:])) == ["PAGE-2", "PAGE-3", "PAGE-4", "PAGE-NEW"]


def test_a_tampered_cursor_is_a_bad_request(api, five_live):
    cursor = api.get("/products", {"limit": 2}).json()["next_cursor"]
    forged = signing.dumps({"after": 0}, salt="not-the-cursor-salt")

    responses = [
        api.get("/products", {"cursor": cursor[:-2] + "xx"}),
        api.get("/products", {"cursor": forged}),
        api.get("/products", {"cursor": "garbage"}),
    ]

    assert [response.status_code for response in responses] == [400, 400, 400]
    assert all(response.json()["errors"][0]["name"] == "cursor" for response in responses)


def test_a_message_cursor_pages_messages(api, publish):
    from tests.factories import AudienceMessageFactory

    messages = [
        publish(AudienceMessageFactory(role=role)) for role in ("user", "buyer", "approver")
    ]
    first = api.get("/messages", {"limit": 2}).json()

    second = api.get("/messages", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in first["items"] + second["items"]] == [m.pk for m in messages]
    assert second["next_cursor"] is None


def test_a_full_last_page_changes_its_etag_when_a_next_page_appears(
    api, publish, make_draft, five_live
):
    last_page = api.get("/products", {"limit": 5})
    publish(make_draft(sku="PAGE-5"))

    response = api.get("/products", {"limit": 5}, HTTP_IF_NONE_MATCH=last_page["ETag"])

    assert last_page.json()["next_cursor"] is None
    assert response.status_code == 200
    assert response.json()["next_cursor"] is not None
