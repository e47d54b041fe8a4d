"""Each API client has its own request budget (HUB_API_RATE_LIMIT)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.HUB_API_RATE_LIMIT = "3/min"


def test_the_request_over_the_limit_is_too_many(api, three_a_minute):
    for _ in range(3):
        assert api.get("/products").status_code == 200

    response = api.get("/products")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429


def test_too_many_requests_says_when_to_retry(api, three_a_minute):
    for _ in range(3):
        api.get("/products")

    response = api.get("/products")

    assert 0 < int(response["Retry-After"]) <= 60


def test_another_client_keeps_its_own_budget(api, api_as, make_api_client, three_a_minute):
    for _ in range(4):
        api.get("/products")
    _other, other_token = make_api_client("Marktplatz")

    response = api_as(other_token, "/products")

    assert response.status_code == 200


def test_a_changed_limit_applies_without_a_restart(api, settings):
    settings.HUB_API_RATE_LIMIT = "100/min"
    for _ in range(3):
        api.get("/products")
    settings.HUB_API_RATE_LIMIT = "3/min"

    response = api.get("/products")

    assert response.status_code == 429


def test_the_budget_is_full_again_when_the_minute_is_over(api, three_a_minute):
    start = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            api.get("/products")
        refused = api.get("/products")
    with time_machine.travel(start + timedelta(seconds=55), tick=False):
        allowed = api.get("/products")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "55"
    assert allowed.status_code == 200
