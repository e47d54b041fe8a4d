"""Generating a catalogue from the admin: after seeing what changed, one POST queues the
run; what the service refuses is shown as it says it."""

import hashlib
import re

import pytest
from django.contrib.messages import get_messages

from campaigns.models import Catalogue, CatalogueRun, CatalogueRunStatus
from tests.campaigns.catalogues.catalogue_setup import category, product

from .admin_setup import approved_catalogue, draft_catalogue, open_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = "/admin/snippets/campaigns/catalogue"


def listed(page: str, kind: str) -> list[str]:
    """The items of the page's list of ``kind`` changes, as HTML."""
    items = re.search(rf'<ul data-changes="{kind}">(.*?)</ul>', page, re.S).group(1)
    return [item.strip() for item in re.findall(r"<li data-change=[^>]*>(.*?)</li>", items, re.S)]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def approved(campaign_manager, marketing_approver, legal_reviewer):
    def approve_(**fields):
        return approved_catalogue(
            manager=campaign_manager, approvers=[marketing_approver, legal_reviewer], **fields
        )

    return approve_


def test_approving_a_catalogue_through_the_workflow_publishes_it(approved):
    catalogue = approved(categories=[category("akku")])

    assert (catalogue.live, catalogue.is_approved) == (True, True)
    assert catalogue.current_workflow_state is None


def test_generate_queues_a_run_whose_files_the_history_offers(
    client, campaign_manager, approved, django_capture_on_commit_callbacks
):
    akku = category("akku", "Akkugeraete")
    product("A-1", akku)
    catalogue = approved(categories=[akku], roles=["user"])
    client.force_login(campaign_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{catalogue.pk}/generate/queue/")

    run = CatalogueRun.objects.get(catalogue=catalogue)
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/{catalogue.pk}/runs/"
    assert messages_of(response) == ["The catalogue is being generated."]
    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    assert run.requested_by == campaign_manager
    page = client.get(response["Location"]).content.decode()
    for file in run.files:
        assert f'href="{BASE}/{catalogue.pk}/runs/{run.pk}/files/{file["name"]}"' in page
    default = run.files[0]
    download = client.get(f"{BASE}/{catalogue.pk}/runs/{run.pk}/files/{default['name']}")
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == default["sha256"]


def test_generate_shows_the_refusal_for_a_catalogue_only_ever_drafted(client, campaign_manager):
    catalogue = draft_catalogue(categories=[category("akku")])
    client.force_login(campaign_manager)

    response = client.post(f"{BASE}/{catalogue.pk}/generate/queue/", follow=True)

    assert not CatalogueRun.objects.exists()
    assert response.redirect_chain == [(f"{BASE}/{catalogue.pk}/runs/", 302)]
    assert (
        "The catalogue has no approved version yet: only approved content is printed."
        in response.content.decode()
    )


def test_generate_answers_only_post(client, campaign_manager, approved):
    catalogue = approved(categories=[category("akku")])
    client.force_login(campaign_manager)

    response = client.get(f"{BASE}/{catalogue.pk}/generate/queue/")

    assert response.status_code == 405
    assert not CatalogueRun.objects.exists()


def test_generate_needs_the_csrf_token(campaign_manager, approved):
    from django.test import Client

    catalogue = approved(categories=[category("akku")])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(campaign_manager)

    response = browser.post(f"{BASE}/{catalogue.pk}/generate/queue/")

    assert response.status_code == 403
    assert not CatalogueRun.objects.exists()


def test_regenerate_lists_the_products_changed_added_and_removed_since_the_last_good_run(
    client, campaign_manager, approved, django_capture_on_commit_callbacks
):
    akku = category("akku", "Akkugeraete")
    changed, gone = product("A-1", akku, name="Akkuschrauber"), product("A-2", akku)
    catalogue = approved(categories=[akku])
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(campaign_manager)
        client.post(f"{BASE}/{catalogue.pk}/generate/queue/")
    changed.short_text = "Neu beschrieben"
    changed.save()
    gone.live = False
    gone.save()
    added = product("A-3", akku, name="Akkuflex")

    page = client.get(f"{BASE}/{catalogue.pk}/generate/").content.decode()

    edit = "/admin/snippets/content/product/edit"
    assert "Regenerate" in page
    assert listed(page, "changed") == [f'<a href="{edit}/{changed.pk}/">A-1</a> Akkuschrauber']
    assert listed(page, "added") == [f'<a href="{edit}/{added.pk}/">A-3</a> Akkuflex']
    assert listed(page, "removed") == ["A-2"]
    assert "data-generate" in page


def test_the_generate_page_says_a_draft_catalogue_is_not_approved(client, campaign_manager):
    catalogue = draft_catalogue()
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/generate/").content.decode()

    assert "data-not-approved" in page
    assert Catalogue.objects.get(pk=catalogue.pk).runs.count() == 0


def test_while_a_run_is_under_way_the_generate_page_points_to_it_instead(
    client, campaign_manager, approved
):
    catalogue = approved(categories=[category("akku")])
    open_run(catalogue, done=0, total=1)
    client.force_login(campaign_manager)

    page = client.get(f"{BASE}/{catalogue.pk}/generate/").content.decode()

    assert "data-open-run" in page
    assert "data-generate" not in page
