"""Bad input answers 400 application/problem+json naming the parameter at fault."""

import pytest

pytestmark = pytest.mark.django_db


def assert_problem_naming(response, name):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["title"] == "Bad Request"
    assert name in [error["name"] for error in body["errors"]]
    assert name in body["detail"]


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", ""])
def test_a_limit_out_of_range_or_not_a_number_is_refused(api, limit):
    response = api.get("/products", {"limit": limit})

    assert_problem_naming(response, "limit")


@pytest.mark.parametrize("limit", ["0", "201", "abc"])
def test_a_bad_message_limit_is_refused(api, limit):
    response = api.get("/messages", {"limit": limit})

    assert_problem_naming(response, "limit")


@pytest.mark.parametrize(
    "path", ["/products", "/products/API-1", "/messages", "/categories", "/documents/1"]
)
def test_an_unknown_parameter_is_refused_by_name(api, live_product, path):
    response = api.get(path, {"colour": "red"})

    assert_problem_naming(response, "colour")


def test_an_unknown_field_is_refused(api):
    response = api.get("/products", {"fields": "sku,colour"})

    assert_problem_naming(response, "fields")
    assert "colour" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/products", "/products/API-1", "/messages"])
def test_an_unknown_locale_is_refused(api, live_product, path):
    response = api.get(path, {"locale": "xx"})

    assert_problem_naming(response, "locale")


def test_an_unknown_channel_for_completeness_is_refused(api):
    response = api.get("/products", {"complete_for": "fax"})

    assert_problem_naming(response, "complete_for")


def test_an_unknown_category_is_refused(api):
    response = api.get("/products", {"category": "no-such-category"})

    assert_problem_naming(response, "category")


def test_a_date_that_is_not_a_date_is_refused(api):
    response = api.get("/products", {"updated_since": "yesterday"})

    assert_problem_naming(response, "updated_since")


def test_a_number_is_not_a_date(api):
    response = api.get("/products", {"updated_since": "0.5"})

    assert_problem_naming(response, "updated_since")


def test_an_overlong_search_is_refused(api):
    response = api.get("/products", {"q": "x" * 101})

    assert_problem_naming(response, "q")


def test_an_unknown_role_is_refused(api):
    response = api.get("/messages", {"role": "ceo"})

    assert_problem_naming(response, "role")


def test_a_rendition_spec_outside_the_allowed_set_is_refused(api, live_product):
    image = live_product.images.get().image

    response = api.get(f"/images/{image.pk}", {"spec": "fill-9999x9999"})

    assert_problem_naming(response, "spec")


def test_an_image_id_that_is_not_a_number_is_refused(api):
    response = api.get("/images/abc")

    assert_problem_naming(response, "image_id")


def test_an_unknown_product_is_a_problem_not_a_page(api):
    response = api.get("/products/NOPE-1")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
