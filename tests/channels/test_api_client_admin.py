import pytest
from django.urls import reverse

from channels.models import ApiClient, Scope
from core.tokens import hash_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_client():
    client = ApiClient(name="Shop", channel="webshop", scopes=[Scope.CONTENT_READ])
    token = client.issue_token()
    client.save()
    return client, token


def test_edit_view_offers_to_rotate_the_token(client, integrator, shop_client):
    client.force_login(integrator)

    response = client.get(reverse("apiclient:edit", args=(shop_client[0].pk,)))

    assert reverse("apiclient:rotate_token", args=(shop_client[0].pk,)) in response.content.decode()


def test_rotate_asks_for_confirmation_and_changes_nothing_on_get(client, integrator, shop_client):
    api_client, token = shop_client
    client.force_login(integrator)

    response = client.get(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    assert response.status_code == 200
    assert ApiClient.objects.get(pk=api_client.pk).token_hash == hash_token(token)


def test_rotate_shows_a_new_token_once_and_the_old_one_stops_working(
    client, integrator, shop_client
):
    api_client, old_token = shop_client
    client.force_login(integrator)

    response = client.post(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    new_token = response.context["token"]
    assert new_token in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert ApiClient.objects.get(pk=api_client.pk).token_hash == hash_token(new_token)
    client.logout()
    assert (
        client.get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code
        == 401
    )
    assert (
        client.get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {new_token}").status_code
        == 200
    )


def test_editors_cannot_rotate_tokens(client, editor, shop_client):
    api_client, token = shop_client
    client.force_login(editor)

    client.post(reverse("apiclient:rotate_token", args=(api_client.pk,)))

    assert ApiClient.objects.get(pk=api_client.pk).token_hash == hash_token(token)
