"""A finished campaign with real figures, built through the services as the hub builds them:
two A/B arms of five recipients, two clicks and an order in arm B, counted by
``results_refresh``. Shared by the results page tests and the browser test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from campaigns.measurement.intake import results_refresh
from campaigns.models import Campaign, CampaignArm, CampaignStatus, DeliveryState, EventKind
from campaigns.services.events import (
    ContactRef,
    EventInput,
    OrderInput,
    events_record,
    orders_record,
)
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory


def results_campaign(dispatch: dt.datetime) -> Campaign:
    """The campaign "Herbstaktion", dispatched and finished at ``dispatch``."""
    campaign = CampaignFactory(
        name="Herbstaktion",
        status=CampaignStatus.DONE,
        dispatched_at=dispatch,
        finished_at=dispatch,
        cost=Decimal("100.00"),
        winner_metric="click_rate",
    )
    CampaignArm.objects.create(campaign=campaign, label="A", share=50, sort_order=0)
    CampaignArm.objects.create(campaign=campaign, label="B", share=50, sort_order=1)
    contacts = {"A": [], "B": []}
    for arm in ("A", "B"):
        for _ in range(5):
            contact = ContactFactory()
            contacts[arm].append(contact)
            DeliveryFactory(
                campaign=campaign,
                contact=contact,
                arm=arm,
                variant_key=f"de:buyer:awareness:{arm}",
                state=DeliveryState.SENT,
                sent_at=dispatch,
            )
    for number, contact in enumerate(contacts["B"][:2]):
        events_record(
            source="newsletter",
            items=[
                EventInput(
                    key=f"click-{number}",
                    kind=EventKind.EMAIL_CLICK,
                    occurred_at=dispatch + dt.timedelta(hours=1),
                    contact=ContactRef(email=contact.email),
                    campaign_id=campaign.pk,
                    data={"url": "https://shop.example/=SUM(A1)"},
                )
            ],
        )
    orders_record(
        source="erp",
        items=[
            OrderInput(
                order_number="R-1",
                ordered_at=dispatch + dt.timedelta(days=1),
                currency="EUR",
                contact=ContactRef(email=contacts["B"][0].email),
                revenue=Decimal("350.00"),
            )
        ],
    )
    results_refresh(campaign_id=campaign.pk)
    return campaign
