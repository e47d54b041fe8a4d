"""Which campaigns the beat task recounts: sending ones every minute, finished ones now and
then for the longest attribution window, old ones never."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaigns.measurement.intake import campaigns_to_recount, results_refresh_due
from campaigns.models import CampaignStatus, DeliveryStateCount
from tests.factories import CampaignFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _campaign(status, finished_days_ago=None):
    finished = NOW - dt.timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    campaign = CampaignFactory(status=status, dispatched_at=NOW, finished_at=finished)
    DeliveryFactory(campaign=campaign, sent_at=NOW)
    return campaign


def test_sending_and_lately_finished_campaigns_are_recounted_old_ones_not():
    running = _campaign(CampaignStatus.RUNNING)
    paused = _campaign(CampaignStatus.PAUSED)
    finished = _campaign(CampaignStatus.DONE, finished_days_ago=80)
    old = _campaign(CampaignStatus.DONE, finished_days_ago=92)
    _campaign(CampaignStatus.DRAFT)

    assert results_refresh_due() == sorted([running.pk, paused.pk, finished.pk])
    assert DeliveryStateCount.objects.filter(campaign=old).count() == 0

    # A finished campaign counted a minute ago waits its quarter of an hour; sending ones don't.
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert campaigns_to_recount() == sorted([running.pk, paused.pk])
    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        assert campaigns_to_recount() == sorted([running.pk, paused.pk, finished.pk])
