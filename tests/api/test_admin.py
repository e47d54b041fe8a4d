"""Channel integrators issue, rotate and revoke API client tokens in the admin."""

import hashlib
import re

import pytest
from django.urls import reverse

from channels.models import ApiClient, Scope

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"hub_[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin(client, integrator):
    client.force_login(integrator)
    return client


def create_client(admin, **overrides):
    data = {
        "name": "Webshop",
        "channel": "webshop",
        "scopes": [Scope.CONTENT_READ],
        "is_active": "on",
        **overrides,
    }
    return admin.post(reverse("apiclient:add"), data)


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_creating_a_client_shows_its_token_once(admin):
    response = create_client(admin)

    tokens = TOKEN.findall(response.content.decode())
    assert response.status_code == 200
    assert len(tokens) == 1
    assert "no-store" in response["Cache-Control"]


def test_creating_a_client_stores_only_the_hash_of_its_token(admin):
    response = create_client(admin)

    token = TOKEN.search(response.content.decode()).group()
    api_client = ApiClient.objects.get(name="Webshop")
    assert api_client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(ApiClient.objects.values().get(pk=api_client.pk))


def test_the_token_is_not_shown_again_on_the_client_pages(admin):
    token = TOKEN.search(create_client(admin).content.decode()).group()
    api_client = ApiClient.objects.get(name="Webshop")

    pages = [
        admin.get(reverse("apiclient:index")),
        admin.get(reverse("apiclient:edit", args=(api_client.pk,))),
        admin.get(reverse("apiclient:inspect", args=(api_client.pk,))),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert not any(token in page.content.decode() for page in pages)


def test_the_token_of_a_created_client_reads_the_api(admin, client):
    token = TOKEN.search(create_client(admin).content.decode()).group()

    response = client.get("/api/v1/products", **bearer(token))

    assert response.status_code == 200


def test_rotating_issues_a_new_token_and_retires_the_old_one(admin, client):
    old_token = TOKEN.search(create_client(admin).content.decode()).group()
    api_client = ApiClient.objects.get(name="Webshop")

    response = admin.post(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    new_token = TOKEN.search(response.content.decode()).group()
    assert new_token != old_token
    assert client.get("/api/v1/products", **bearer(old_token)).status_code == 401
    assert client.get("/api/v1/products", **bearer(new_token)).status_code == 200


def test_opening_the_rotate_page_keeps_the_token(admin, client):
    token = TOKEN.search(create_client(admin).content.decode()).group()
    api_client = ApiClient.objects.get(name="Webshop")

    response = admin.get(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    assert response.status_code == 200
    assert not TOKEN.search(response.content.decode())
    assert client.get("/api/v1/products", **bearer(token)).status_code == 200


def test_unticking_active_in_the_admin_revokes_at_once(admin, client):
    token = TOKEN.search(create_client(admin).content.decode()).group()
    api_client = ApiClient.objects.get(name="Webshop")

    admin.post(
        reverse("apiclient:edit", args=(api_client.pk,)),
        {"name": "Webshop", "channel": "webshop", "scopes": [Scope.CONTENT_READ]},
    )

    assert client.get("/api/v1/products", **bearer(token)).status_code == 401


@pytest.mark.parametrize("url_name", ["apiclient:index", "apiclient:add"])
def test_an_editor_cannot_reach_the_api_client_admin(client, editor, url_name):
    client.force_login(editor)

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_an_editor_cannot_rotate_a_token(client, editor, api_client_with_token):
    api_client, token = api_client_with_token
    client.force_login(editor)

    client.post(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    assert client.get("/api/v1/products", **bearer(token)).status_code == 200
