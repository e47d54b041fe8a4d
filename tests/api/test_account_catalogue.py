"""GET /api/v1/catalogue: the live products at the visitor's account's prices."""

from decimal import Decimal

import pytest

from campaigns.models import GroupPrice
from tests.factories import AccountFactory, CategoryFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor_for(post_visitor, shop):
    """A visitor token of the shop for this e-mail address."""

    def token(email):
        return post_visitor(shop[1], {"email": email}).json()["token"]

    return token


@pytest.fixture
def catalogue(client, shop):
    def get(visitor_token, data=None, **headers):
        return client.get(
            "/api/v1/catalogue",
            data,
            HTTP_AUTHORIZATION=f"Bearer {shop[1]}",
            HTTP_X_VISITOR_TOKEN=visitor_token,
            **headers,
        )

    return get


def prices(response) -> dict[str, tuple[str, str]]:
    return {item["sku"]: (item["price"], item["price_basis"]) for item in response.json()["items"]}


def test_a_contact_of_an_account_with_a_price_group_sees_that_groups_price(catalogue, visitor_for):
    ProductFactory(sku="HW-1", live=True, price=Decimal("19.90"))
    ProductFactory(sku="HW-2", live=True, price=Decimal("5.00"))
    GroupPrice.objects.create(sku="HW-1", price_group="B", price=Decimal("17.50"))
    GroupPrice.objects.create(sku="HW-1", price_group="C", price=Decimal("15.00"))
    ContactFactory(email="erika@example.com", account=AccountFactory(price_group="B"))

    response = catalogue(visitor_for("erika@example.com"))

    assert response.status_code == 200
    assert prices(response) == {
        "HW-1": ("17.50", "price_group"),
        "HW-2": ("5.00", "list_price"),
    }


@pytest.mark.parametrize("kind", ["no account", "account without price group", "unknown"])
def test_others_see_the_list_price(catalogue, visitor_for, kind):
    ProductFactory(sku="HW-1", live=True, price=Decimal("19.90"))
    GroupPrice.objects.create(sku="HW-1", price_group="", price=Decimal("1.00"))
    GroupPrice.objects.create(sku="HW-1", price_group="B", price=Decimal("17.50"))
    if kind == "no account":
        ContactFactory(email="erika@example.com", account=None)
    elif kind == "account without price group":
        ContactFactory(email="erika@example.com", account=AccountFactory(price_group=""))

    response = catalogue(visitor_for("erika@example.com"))

    assert prices(response) == {"HW-1": ("19.90", "list_price")}


def test_each_product_carries_currency_availability_and_lead_time(catalogue, visitor_for):
    ProductFactory(
        sku="HW-1", live=True, currency="EUR", availability="low_stock", lead_time_days=5
    )

    item = catalogue(visitor_for("nobody@example.com")).json()["items"][0]

    assert (item["currency"], item["availability"], item["lead_time_days"]) == (
        "EUR",
        "low_stock",
        5,
    )


def test_drafts_and_withdrawn_products_never_appear(
    catalogue, visitor_for, publish, withdraw, make_draft
):
    publish(make_draft(sku="LIVE", name="Live"))
    make_draft(sku="DRAFT", name="Entwurf")
    withdraw(publish(make_draft(sku="GONE", name="Zurückgezogen")))

    response = catalogue(visitor_for("nobody@example.com"))

    assert [item["sku"] for item in response.json()["items"]] == ["LIVE"]


def test_the_category_filter_includes_subcategories_and_search_narrows(catalogue, visitor_for):
    tools = CategoryFactory(slug="werkzeug")
    drills = CategoryFactory(slug="bohrer", parent=tools)
    for sku, name in (("D-1", "Spiralbohrer"), ("D-2", "Steinbohrer")):
        product = ProductFactory(sku=sku, name=name, live=True)
        product.categories.set([drills])  # a ParentalManyToManyField: stored on save
        product.save()
    ProductFactory(sku="S-1", name="Schraube", live=True)
    token = visitor_for("nobody@example.com")

    in_tools = catalogue(token, {"category": "werkzeug"})
    searched = catalogue(token, {"category": "werkzeug", "q": "stein"})
    unknown = catalogue(token, {"category": "gibt-es-nicht"})

    assert [i["sku"] for i in in_tools.json()["items"]] == ["D-1", "D-2"]
    assert [i["sku"] for i in searched.json()["items"]] == ["D-2"]
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["name"] == "category"


def test_pages_follow_the_cursor_without_repeats(catalogue, visitor_for):
    for n in range(5):
        ProductFactory(sku=f"P-{n}", live=True)
    token = visitor_for("nobody@example.com")

    first = catalogue(token, {"limit": 2}).json()
    second = catalogue(token, {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = catalogue(token, {"limit": 2, "cursor": second["next_cursor"]}).json()

    assert [[i["sku"] for i in page["items"]] for page in (first, second, third)] == [
        ["P-0", "P-1"],
        ["P-2", "P-3"],
        ["P-4"],
    ]
    assert third["next_cursor"] is None


def test_a_page_costs_the_same_queries_for_one_or_twenty_products(
    catalogue, visitor_for, django_assert_max_num_queries
):
    ContactFactory(email="erika@example.com", account=AccountFactory(price_group="B"))
    token = visitor_for("erika@example.com")
    category = CategoryFactory()

    def add(count):
        for _ in range(count):
            product = ProductFactory(live=True)
            product.categories.set([category])
            product.save()
            GroupPrice.objects.create(sku=product.sku, price_group="B", price=Decimal("1.00"))

    add(1)
    catalogue(token)  # records the client's last use, which the next requests skip
    with django_assert_max_num_queries(8) as one:
        assert len(catalogue(token).json()["items"]) == 1
    add(19)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(catalogue(token).json()["items"]) == 20


def test_an_unchanged_page_is_a_304_and_a_price_change_is_not(catalogue, visitor_for):
    ProductFactory(sku="HW-1", live=True)
    price = GroupPrice.objects.create(sku="HW-1", price_group="B", price=Decimal("17.50"))
    ContactFactory(email="erika@example.com", account=AccountFactory(price_group="B"))
    token = visitor_for("erika@example.com")
    first = catalogue(token)

    again = catalogue(token, HTTP_IF_NONE_MATCH=first["ETag"])
    price.price = Decimal("16.00")
    price.save()
    changed = catalogue(token, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert changed.status_code == 200
    assert prices(changed) == {"HW-1": ("16.00", "price_group")}


def test_answers_are_private_and_vary_on_the_visitor(catalogue, visitor_for):
    response = catalogue(visitor_for("nobody@example.com"))

    assert response["Cache-Control"].startswith("private, max-age=")
    assert "X-Visitor-Token" in response["Vary"]


def test_two_contacts_of_the_same_price_group_share_an_etag(catalogue, visitor_for):
    ProductFactory(sku="HW-1", live=True)
    group_b = AccountFactory(price_group="B")
    ContactFactory(email="a@example.com", account=group_b)
    ContactFactory(email="b@example.com", account=AccountFactory(price_group="B"))
    ContactFactory(email="c@example.com", account=AccountFactory(price_group="C"))

    etags = [catalogue(visitor_for(f"{x}@example.com"))["ETag"] for x in "abc"]

    assert etags[0] == etags[1] != etags[2]
