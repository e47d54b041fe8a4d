"""Campaign managers see where the CRM and ERP syncs stand, and why one failed."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import SyncState

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_sync():
    return SyncState.objects.create(
        backend="crm.salesforce.contacts",
        cursor="2026-11-23T09:00:00Z",
        last_run_at=timezone.now(),
        last_error="INVALID_SESSION_ID: Session expired or invalid\nsecond line",
    )


def test_a_campaign_manager_sees_each_sync_and_its_last_error(
    client, campaign_manager, failed_sync
):
    client.force_login(campaign_manager)

    listing = client.get(reverse("syncstate:index"))
    detail = client.get(reverse("syncstate:inspect", args=[failed_sync.pk]))

    assert listing.status_code == 200
    assert "crm.salesforce.contacts" in listing.content.decode()
    assert "INVALID_SESSION_ID: Session expired or invalid" in listing.content.decode()
    assert detail.status_code == 200
    assert "2026-11-23T09:00:00Z" in detail.content.decode()


def test_nobody_can_change_a_sync_state_in_the_admin(client, campaign_manager, failed_sync):
    client.force_login(campaign_manager)

    response = client.post(reverse("syncstate:inspect", args=[failed_sync.pk]), {"cursor": ""})

    assert response.status_code == 405
    assert SyncState.objects.get(pk=failed_sync.pk).cursor == "2026-11-23T09:00:00Z"


def test_an_editor_does_not_see_the_syncs(client, editor, failed_sync):
    client.force_login(editor)

    response = client.get(reverse("syncstate:index"))

    assert response.status_code in (302, 403)
