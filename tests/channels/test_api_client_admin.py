import pytest
from django.urls import reverse

from channels.models import ApiClient, Scope
from core.tokens import hash_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


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


def api_client_post(**fields) -> dict:
    data = {
        "name": "Shop",
        "channel": "webshop",
        "scopes": [Scope.VISITORS_WRITE, Scope.PLACEMENTS_READ],
        "allowed_origins": "",
        "is_active": "on",
    }
    data.update(fields)
    return data


def test_the_form_offers_the_placements_scope(client, integrator):
    client.force_login(integrator)

    response = client.get(reverse("apiclient:add"))

    assert 'value="placements:read"' in response.content.decode()


def test_browser_origins_are_saved_one_per_line_normalised(client, integrator, shop_client):
    api_client, _token = shop_client
    client.force_login(integrator)

    response = client.post(
        reverse("apiclient:edit", args=(api_client.pk,)),
        api_client_post(
            allowed_origins="https://Shop.Example.com/\r\n\r\nhttp://localhost:8000\r\n"
        ),
    )

    assert response.status_code == 302
    assert ApiClient.objects.get(pk=api_client.pk).allowed_origins == (
        "https://shop.example.com\nhttp://localhost:8000"
    )


@pytest.mark.parametrize(
    "bad",
    ["https://shop.example.com/kasse", "ftp://shop.example.com", "shop.example.com"],
)
def test_an_origin_with_a_path_or_another_scheme_is_an_error_naming_the_line(
    client, integrator, shop_client, bad
):
    api_client, _token = shop_client
    client.force_login(integrator)

    response = client.post(
        reverse("apiclient:edit", args=(api_client.pk,)),
        api_client_post(allowed_origins=f"https://shop.example.com\n{bad}"),
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["allowed_origins"]
    assert error.startswith(f"Line 2, “{bad}”, is not an origin")
    assert ApiClient.objects.get(pk=api_client.pk).allowed_origins == ""
