"""The Content-Security-Policy header on admin and public responses (django-csp)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_admin_pages_allow_only_own_scripts_plus_wagtails_inline_ones(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"))

    policy = directives(response)
    assert response.status_code == 200
    assert policy["default-src"] == ["'self'"]
    assert sorted(policy["script-src"]) == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


def test_admin_login_page_carries_the_policy(client):
    response = client.get(reverse("wagtailadmin_login"))

    assert sorted(directives(response)["script-src"]) == ["'self'", "'unsafe-inline'"]


@pytest.mark.parametrize(
    "url",
    ["/t/u/not-a-token/", "/t/p/not-a-token/", "/consent/confirm/not-a-token/", "/api/v1/docs"],
    ids=["unsubscribe", "preferences", "consent-confirmation", "api-docs"],
)
def test_public_pages_allow_scripts_from_the_hub_only(client, url):
    response = client.get(url)

    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
