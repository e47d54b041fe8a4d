"""The admin home per role: each role sees its own panel with its items, others don't see it,
and a panel costs the same number of queries however many items it lists."""

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CampaignDayStats, CampaignStatus, DeliveryStateCount
from channels.models import ApiClient, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from content.services import content_reject, content_save_draft, content_submit
from hub.dashboards import CampaignManagerPanel, EditorPanel, IntegratorPanel
from tests.campaigns.campaign_setup import newsletter_campaign
from tests.factories import (
    AudienceMessageFactory,
    CampaignFactory,
    ContactFactory,
    DeliveryFactory,
    ProductFactory,
    SegmentFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, marker: str) -> str:
    """The panel's <section> with ``marker`` among its attributes, or "" when not shown."""
    match = re.search(rf"<section[^>]*{marker}.*?</section>", html, re.S)
    return match.group(0) if match else ""


def queries_to_render(panel) -> int:
    panel.render_html({})  # warm caches that fill once per process (content types, channels)
    with CaptureQueriesContext(connection) as queries:
        panel.render_html({})
    return len(queries)


# --- editors ---------------------------------------------------------------------------


def returned_product(editor, reviewer, name: str, comment: str):
    product = ProductFactory(name=name)
    content_save_draft(obj=product, user=editor)
    content_submit(obj=product, user=editor)
    content_reject(obj=type(product).objects.get(pk=product.pk), user=reviewer, comment=comment)
    return product


def test_an_editor_sees_a_returned_product_with_the_reviewers_comment(
    client, editor, product_reviewer
):
    returned_product(editor, product_reviewer, "Bohrhammer BH 26", "Bitte Gewicht ergänzen.")

    panel = section(home(client, editor), "data-editor-panel")

    returned = re.search(r"<table[^>]*data-returned.*?</table>", panel, re.S).group(0)
    assert "Bohrhammer BH 26" in returned
    assert "Bitte Gewicht ergänzen." in returned


def test_an_editor_sees_their_drafts_but_not_other_editors(client, editor, make_user):
    other = make_user("Editors")
    content_save_draft(obj=ProductFactory(name="Mein Entwurf"), user=editor)
    content_save_draft(obj=ProductFactory(name="Fremder Entwurf"), user=other)

    panel = section(home(client, editor), "data-editor-panel")

    drafts = re.search(r"<table[^>]*data-drafts.*?</table>", panel, re.S).group(0)

    assert "Mein Entwurf" in drafts
    assert "Fremder Entwurf" not in drafts


def test_an_editor_sees_how_many_products_are_incomplete_per_channel(client, editor):
    ProductFactory()  # without an image: incomplete for the newsletter

    panel = section(home(client, editor), "data-editor-panel")

    assert "?incomplete_for=newsletter" in panel


def test_a_campaign_manager_does_not_see_the_editor_panel(client, campaign_manager):
    assert section(home(client, campaign_manager), "data-editor-panel") == ""


def test_the_editor_panel_costs_the_same_queries_for_one_item_or_many(editor, product_reviewer):
    returned_product(editor, product_reviewer, "Eins", "Zu kurz.")
    content_save_draft(obj=ProductFactory(), user=editor)
    few = queries_to_render(EditorPanel(editor))

    for n in range(4):
        returned_product(editor, product_reviewer, f"Produkt {n}", "Zu kurz.")
        content_save_draft(obj=ProductFactory(), user=editor)

    assert queries_to_render(EditorPanel(editor)) == few


# --- reviewers -------------------------------------------------------------------------


def test_a_reviewer_sees_a_submitted_product_awaiting_their_review(
    client, editor, product_reviewer, campaign_manager
):
    product = ProductFactory(name="Akkuschrauber AS 18")
    content_save_draft(obj=product, user=editor)
    content_submit(obj=product, user=editor)

    assert "Akkuschrauber AS 18" in home(client, product_reviewer)
    assert "Akkuschrauber AS 18" not in home(client, campaign_manager)


def test_a_marketing_approver_sees_a_campaign_awaiting_their_approval(
    client, campaign_manager, marketing_approver, editor
):
    campaign = newsletter_campaign(name="Frühjahrsaktion")
    content_submit(obj=campaign, user=campaign_manager)

    assert "Frühjahrsaktion" in home(client, marketing_approver)
    assert "Frühjahrsaktion" not in home(client, editor)


# --- campaign managers -----------------------------------------------------------------


def running_campaign(name: str, sent: int, queued: int):
    campaign = CampaignFactory(
        name=name, status=CampaignStatus.RUNNING, send_at=timezone.now() - dt.timedelta(hours=1)
    )
    for _ in range(sent):
        DeliveryFactory(campaign=campaign, state="sent")
    for _ in range(queued):
        DeliveryFactory(campaign=campaign, state="queued")
    return campaign


def finished_campaign(name: str, sent: int, clicks: int, revenue: str):
    campaign = CampaignFactory(
        name=name, status=CampaignStatus.DONE, finished_at=timezone.now() - dt.timedelta(days=1)
    )
    CampaignDayStats.objects.create(
        campaign=campaign,
        channel="newsletter",
        day=timezone.localdate() - dt.timedelta(days=2),
        sent=sent,
        unique_clicks=clicks,
        revenue=Decimal(revenue),
    )
    DeliveryStateCount.objects.create(
        campaign=campaign, channel="newsletter", state="sent", count=sent, counted_at=timezone.now()
    )
    return campaign


def test_a_campaign_manager_sees_running_campaigns_with_progress_and_latest_results(
    client, campaign_manager
):
    running_campaign("Herbstaktion", sent=3, queued=2)
    CampaignFactory(name="Noch ein Entwurf")
    finished_campaign("Sommeraktion", sent=200, clicks=50, revenue="1234.50")

    panel = section(home(client, campaign_manager), "data-campaigns-panel")

    current = re.search(r"<table[^>]*data-current.*?</table>", panel, re.S).group(0)
    assert "Herbstaktion" in current
    assert "3 of 5 sent, 2 to go" in current
    assert "Noch ein Entwurf" not in panel
    finished = re.search(r"<table[^>]*data-finished.*?</table>", panel, re.S).group(0)
    assert "Sommeraktion" in finished
    assert "25 %" in finished  # 50 unique clicks of 200 delivered
    assert re.search(r"1[.,]?234[.,]50", finished)


def test_an_editor_does_not_see_the_campaign_panel(client, editor):
    assert section(home(client, editor), "data-campaigns-panel") == ""


def test_the_campaign_panel_costs_the_same_queries_for_one_campaign_or_many():
    running_campaign("Eins", sent=1, queued=1)
    finished_campaign("Zwei", sent=10, clicks=1, revenue="1.00")
    few = queries_to_render(CampaignManagerPanel())

    for n in range(4):
        running_campaign(f"Laufend {n}", sent=2, queued=1)
        finished_campaign(f"Fertig {n}", sent=10, clicks=2, revenue="2.00")

    assert queries_to_render(CampaignManagerPanel()) == few


# --- integrators -----------------------------------------------------------------------


def api_client(name: str, used_at=None) -> ApiClient:
    client = ApiClient(name=name, channel="webshop", last_used_at=used_at)
    client.issue_token()
    client.save()
    return client


def failed_delivery(endpoint, error: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="product.published",
        payload={"data": {"sku": "SKU-1"}},
        status=WebhookDelivery.Status.ABANDONED,
        attempt_count=1,
        last_attempt_at=timezone.now(),
        last_status_code=500,
    )
    WebhookAttempt.objects.create(
        delivery=delivery, started_at=timezone.now(), status_code=500, error=error
    )
    return delivery


@pytest.fixture
def endpoint():
    return WebhookEndpoint.objects.create(
        name="Shop", url="https://shop.example.com/hooks", events=["product.published"]
    )


def test_an_integrator_sees_api_clients_webhook_failures_and_the_docs(client, integrator, endpoint):
    api_client("Webshop Live", used_at=timezone.now())
    failed_delivery(endpoint, "Connection refused")

    panel = section(home(client, integrator), "data-integrator-panel")

    assert "Webshop Live" in panel
    assert "Connection refused" in panel
    assert 'href="/api/v1/docs"' in panel


def test_an_editor_does_not_see_the_integrator_panel(client, editor):
    assert section(home(client, editor), "data-integrator-panel") == ""


def test_the_integrator_panel_costs_the_same_queries_for_one_client_or_many(integrator, endpoint):
    api_client("Eins")
    failed_delivery(endpoint, "Timeout")
    few = queries_to_render(IntegratorPanel(integrator))

    for n in range(4):
        api_client(f"Client {n}", used_at=timezone.now())
        failed_delivery(endpoint, "Timeout")

    assert queries_to_render(IntegratorPanel(integrator)) == few


# --- the browser tab -------------------------------------------------------------------


def test_the_admin_title_names_the_product(client, editor, settings):
    title = html_lib.unescape(re.search(r"<title>(.*?)</title>", home(client, editor), re.S)[1])

    assert settings.WAGTAIL_SITE_NAME in title
    assert "Wagtail" not in title


def test_the_sign_in_page_title_names_the_product(client, settings):
    html = client.get("/admin/login/").content.decode()

    title = html_lib.unescape(re.search(r"<title>(.*?)</title>", html, re.S)[1])
    assert settings.WAGTAIL_SITE_NAME in title


# --- the admin search ------------------------------------------------------------------


def search(client, user, query: str):
    client.force_login(user)
    return client.get("/admin/search/", {"q": query})


def test_the_search_finds_a_product_and_a_message_for_an_editor(client, editor):
    ProductFactory(name="Bohrhammer BH 26")
    AudienceMessageFactory(headline="Bohrhammer für Einkäufer")

    response = search(client, editor, "bohrhammer")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bohrhammer BH 26" in html
    assert "Bohrhammer für Einkäufer" in html


def test_the_search_finds_contacts_segments_and_campaigns_for_a_campaign_manager(
    client, campaign_manager
):
    ContactFactory(email="erika.einkauf@example.com")
    SegmentFactory(name="Einkauf Süd")
    CampaignFactory(name="Einkauf Frühjahr")

    html = search(client, campaign_manager, "einkauf").content.decode()

    assert "erika.einkauf@example.com" in html
    assert "Einkauf Süd" in html
    assert "Einkauf Frühjahr" in html


def test_the_search_does_not_show_contacts_to_an_editor(client, editor):
    ContactFactory(email="erika.einkauf@example.com")

    response = search(client, editor, "einkauf")

    assert response.status_code == 200
    assert "erika.einkauf@example.com" not in response.content.decode()


def test_the_sidebar_search_leads_to_the_hub_search_not_the_page_search(client, editor):
    html = home(client, editor)

    assert "/admin/search/" in html
    assert "/admin/pages/search/" not in html


def test_a_user_who_may_see_none_of_it_is_refused(client, make_user):
    nobody = make_user(is_staff=False)
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))

    response = search(client, nobody, "x")

    assert response.status_code == 302  # Wagtail's "you do not have permission" redirect
    assert response["Location"] == "/admin/"


def test_the_dashboard_search_box_asks_the_hub_search_not_the_page_explorer(client, editor):
    html = home(client, editor)

    form = html[html.index('role="search"') - 200 : html.index('role="search"')]
    assert 'action="/admin/search/"' in form
    assert "/admin/pages/search/" not in html
    assert 'placeholder="Search all pages' not in html
