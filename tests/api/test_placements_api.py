"""GET /api/v1/placements/{slot}: what a shop shows its visitor in a slot, and who may ask."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine

from campaigns.measurement.intake import results_refresh
from campaigns.measurement.results import campaign_kpis
from campaigns.models import Campaign
from campaigns.visitors import visitor_token_issue
from channels.models import Scope
from content.services import content_approve, content_submit
from tests.campaigns.placements.setup import (
    in_segments,
    placement,
    schedule_now,
    teaser,
    webshop_campaign,
)
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

SHOP_ORIGIN = "https://shop.example.com"
TWO_SHOPS = {
    "newsletter": {"BACKEND": "channels.newsletter.NewsletterChannel"},
    "webshop": {"BACKEND": "channels.webshop.WebshopChannel"},
    "webshop_at": {"BACKEND": "channels.webshop.WebshopChannel"},
}


@pytest.fixture
def approved(campaign_manager, marketing_approver, legal_reviewer):
    def approve_(obj):
        content_submit(obj=obj, user=campaign_manager)
        for approver in (marketing_approver, legal_reviewer):
            content_approve(obj=type(obj).objects.get(pk=obj.pk), user=approver)
        return type(obj).objects.get(pk=obj.pk)

    return approve_


@pytest.fixture
def shop(make_api_client):
    client, token = make_api_client("Shop", scopes=[Scope.PLACEMENTS_READ])
    client.allowed_origins = f"{SHOP_ORIGIN}\nhttps://www.shop.example.com"
    client.save()
    return client, token


@pytest.fixture
def hero(approved):
    return approved(placement(defaults={"de": [teaser("Willkommen im Shop")]}))


@pytest.fixture
def campaign(hero, approved, campaign_manager):
    """A running webshop campaign whose teaser leads to the spring offers."""
    ContactFactory()  # scheduling asks for a reachable contact
    link = "https://shop.example.com/fruehling"
    draft = webshop_campaign({(hero, "de"): [teaser("Frühjahrsaktion", link_url=link)]})
    return schedule_now(approved(draft), campaign_manager)


@pytest.fixture
def visitor(shop):
    """A visitor token of the shop for a contact (None: an unknown visitor)."""

    def token(contact=None, client=None):
        client = client or shop[0]
        return visitor_token_issue(
            client_id=client.pk, contact_id=contact.pk if contact else 0
        ).token

    return token


@pytest.fixture
def get_placement(client, shop):
    def get(slot, visitor_token, *, bearer=None, data=None, **headers):
        bearer = shop[1] if bearer is None else bearer
        if bearer:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        if visitor_token is not None:
            headers["HTTP_X_VISITOR_TOKEN"] = visitor_token
        return client.get(f"/api/v1/placements/{slot}", data, **headers)

    return get


def test_the_shop_gets_the_campaign_for_its_visitor(get_placement, visitor, campaign):
    contact = ContactFactory()
    in_segments(contact, campaign)

    response = get_placement("home.hero", visitor(contact))

    assert response.status_code == 200
    body = response.json()
    assert (body["slot"], body["source"], body["campaign"]["id"]) == (
        "home.hero",
        "campaign",
        campaign.pk,
    )
    assert body["blocks"][0]["headline"] == "Frühjahrsaktion"
    assert response["Cache-Control"] == "private, max-age=60"
    assert {"Authorization", "X-Visitor-Token", "Origin"} <= set(response["Vary"].split(", "))


def test_an_unknown_visitor_gets_the_default(get_placement, visitor, campaign):
    body = get_placement("home.hero", visitor()).json()

    assert (body["source"], body["blocks"][0]["headline"]) == ("default", "Willkommen im Shop")


def test_the_same_answer_again_is_not_modified(get_placement, visitor, campaign):
    contact = ContactFactory()
    in_segments(contact, campaign)
    first = get_placement("home.hero", visitor(contact))

    again = get_placement("home.hero", visitor(contact), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize(
    ("data", "headers"),
    [({"format": "html"}, {}), (None, {"HTTP_ACCEPT": "text/html"})],
)
def test_the_html_fragment_shows_the_content(get_placement, visitor, campaign, data, headers):
    contact = ContactFactory()
    in_segments(contact, campaign)

    response = get_placement("home.hero", visitor(contact), data=data, **headers)

    assert response["Content-Type"].startswith("text/html")
    assert "Frühjahrsaktion" in response.content.decode()


def test_a_slot_without_approved_content_answers_none(get_placement, visitor):
    placement("cart.upsell", defaults={"de": [teaser("Entwurf")]})

    response = get_placement("cart.upsell", visitor())

    assert response.status_code == 200
    assert (response.json()["source"], response.json()["blocks"]) == ("none", [])


def test_an_unknown_slot_is_not_found(get_placement, visitor, hero):
    response = get_placement("nowhere.slot", visitor())

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_one_shop_never_sees_another_shops_placements(
    get_placement, make_api_client, settings, approved
):
    settings.HUB_CHANNELS = TWO_SHOPS
    approved(placement(defaults={"de": [teaser("Deutscher Shop")]}))
    approved(placement(channel="webshop_at", defaults={"de": [teaser("Shop Österreich")]}))
    austria, token = make_api_client("Shop AT", scopes=[Scope.PLACEMENTS_READ])
    austria.channel = "webshop_at"
    austria.save()
    visitor_token = visitor_token_issue(client_id=austria.pk, contact_id=0).token
    approved(placement("cart.upsell", defaults={"de": [teaser("Nur in Deutschland")]}))

    own = get_placement("home.hero", visitor_token, bearer=token)
    other = get_placement("cart.upsell", visitor_token, bearer=token)

    assert own.json()["blocks"][0]["headline"] == "Shop Österreich"
    assert other.status_code == 404


def test_a_visitor_token_of_another_client_is_refused(get_placement, make_api_client, hero):
    other, _token = make_api_client("Other shop", scopes=[Scope.PLACEMENTS_READ])
    foreign = visitor_token_issue(client_id=other.pk, contact_id=0).token

    response = get_placement("home.hero", foreign)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("token", ["forged", None])
def test_a_forged_or_missing_visitor_token_is_refused(get_placement, hero, token):
    response = get_placement("home.hero", token)

    assert response.status_code == 401


def test_an_expired_visitor_token_is_refused(get_placement, visitor, hero, settings):
    settings.HUB_VISITOR_TOKEN_SECONDS = 60
    token = visitor()

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=2)):
        response = get_placement("home.hero", token)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_page_of_an_allowed_origin_asks_with_the_visitor_token_alone(
    get_placement, visitor, campaign
):
    contact = ContactFactory()
    in_segments(contact, campaign)

    response = get_placement("home.hero", visitor(contact), bearer="", HTTP_ORIGIN=SHOP_ORIGIN)

    assert response.status_code == 200
    assert response.json()["source"] == "campaign"
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_a_page_of_another_origin_is_refused_without_cors_headers(get_placement, visitor, hero):
    response = get_placement(
        "home.hero", visitor(), bearer="", HTTP_ORIGIN="https://evil.example.net"
    )

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_a_shop_without_the_scope_cannot_serve_its_pages(make_api_client, client, hero):
    shop, _token = make_api_client("Shop", scopes=[Scope.CATALOGUE_READ])
    shop.allowed_origins = SHOP_ORIGIN
    shop.save()
    token = visitor_token_issue(client_id=shop.pk, contact_id=0).token

    response = client.get(
        "/api/v1/placements/home.hero", HTTP_X_VISITOR_TOKEN=token, HTTP_ORIGIN=SHOP_ORIGIN
    )

    assert response.status_code == 401


def test_the_preflight_allows_the_visitor_header_for_an_allowed_origin(client, shop):
    response = client.options(
        "/api/v1/placements/home.hero",
        HTTP_ORIGIN=SHOP_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-visitor-token",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert response["Access-Control-Allow-Headers"] == "X-Visitor-Token"


def test_the_preflight_refuses_other_origins(client, shop):
    response = client.options(
        "/api/v1/placements/home.hero", HTTP_ORIGIN="https://evil.example.net"
    )

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_a_shown_and_clicked_placement_counts_in_the_campaign_results(
    get_placement, visitor, campaign, client
):
    contact = ContactFactory()
    in_segments(contact, campaign)
    body = get_placement("home.hero", visitor(contact)).json()
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0"}

    # The page shows the placement as it is served: the impression follows at once.
    pixel = client.get(urlsplit(body["impression_url"]).path, **browser)
    click = client.get(urlsplit(body["blocks"][0]["link_url"]).path, **browser)
    results_refresh(campaign_id=campaign.pk)

    assert (pixel.status_code, click.status_code) == (200, 302)
    assert click["Location"] == "https://shop.example.com/fruehling"
    kpis = campaign_kpis(Campaign.objects.get(pk=campaign.pk), by=("channel",))
    (webshop,) = kpis.rows
    assert webshop.group == {"channel": "webshop"}
    assert (webshop.delivered, webshop.human_opens, webshop.unique_clicks) == (1, 1, 1)


def test_a_cached_answer_costs_a_fixed_handful_of_queries(
    get_placement, visitor, campaign, django_assert_num_queries
):
    """Served from the cache, an answer reads the API client, the visitor's price group,
    their role, phase and precomputed segments, and their delivery row: no content and no
    segment rule, whatever the campaign holds."""
    contact = ContactFactory()
    in_segments(contact, campaign)
    token = visitor(contact)
    assert get_placement("home.hero", token).status_code == 200  # fills the cache

    with django_assert_num_queries(4):
        response = get_placement("home.hero", token)

    assert response.json()["blocks"][0]["headline"] == "Frühjahrsaktion"
