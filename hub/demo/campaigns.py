"""Demo campaigns: one approved and ready to schedule, one draft, one finished with results
(``data/campaigns.json``).

Created once, as a block: if the first demo campaign exists, nothing is touched; the finished
one likewise by its name. Approved ones go through the "Campaign approval" workflow as people
would: the campaign manager submits it, marketing and legal approve it. The finished one was
dispatched three weeks before seeding, to an A/B test with a holdout; what its recipients did
comes from ``results.CampaignActivitySeeder``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from wagtail.models import Locale
from wagtail.rich_text import RichText

from campaigns.models import Campaign, CampaignArm, CampaignContent, CampaignStatus, Segment
from content.models import Product
from content.selectors import products_complete_for
from content.services import content_approve, content_save_draft, content_submit

from .datafiles import load
from .results import CampaignActivitySeeder

_DATA = load("campaigns")
DEMO_CAMPAIGN: str = _DATA["campaigns"][0]["name"]
DEMO_DRAFT: str = _DATA["campaigns"][1]["name"]
DEMO_SEGMENT: str = _DATA["segment"]
DEMO_TEXTS: dict[str, dict[str, str]] = _DATA["texts"]
DEMO_FINISHED: str = _DATA["finished"]["name"]


class CampaignSeeder:
    """Creates the demo campaigns once; ``created`` counts what it made."""

    def __init__(
        self,
        *,
        manager: AbstractBaseUser,
        approvers: Sequence[AbstractBaseUser],
        now: datetime,
    ) -> None:
        self.manager = manager
        self.approvers = approvers
        self.now = now
        self.created: Counter[str] = Counter()

    def run(self) -> None:
        self.seed_planned()
        self.seed_finished()

    def seed_planned(self) -> None:
        if Campaign.objects.filter(name=DEMO_CAMPAIGN).exists():
            return
        segment = Segment.objects.filter(name=DEMO_SEGMENT).first()
        for spec in _DATA["campaigns"]:
            campaign = self._campaign(spec["name"], segment, topic=spec["topic"], cost=spec["cost"])
            if spec["approved"]:
                content_submit(obj=campaign, user=self.manager)
                for approver in self.approvers:
                    content_approve(obj=Campaign.objects.get(pk=campaign.pk), user=approver)
            else:
                content_save_draft(obj=campaign, user=self.manager)
            self.created["campaigns"] += 1

    def seed_finished(self) -> None:
        """The campaign sent three weeks ago: arms A and B and a holdout, and its results."""
        spec = _DATA["finished"]
        if Campaign.objects.filter(name=spec["name"]).exists():
            return
        segment = Segment.objects.filter(name=DEMO_SEGMENT).first()
        campaign = self._campaign(
            spec["name"],
            segment,
            topic=spec["topic"],
            cost=spec["cost"],
            subjects=spec["subjects"],
            arms=spec["arms"],
        )
        content_submit(obj=campaign, user=self.manager)
        for approver in self.approvers:
            content_approve(obj=Campaign.objects.get(pk=campaign.pk), user=approver)
        # Relative to the seeding, to the second: whether an order of the audience falls in
        # the campaign's window must not depend on the time of day the demo was seeded.
        dispatched = self.now - timedelta(days=spec["days_ago"])
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.DONE,
            holdout_percent=spec["holdout_percent"],
            attribution_window_days=spec["attribution_window_days"],
            send_at=dispatched,
            dispatched_at=dispatched,
            finished_at=dispatched + timedelta(hours=1),
        )
        self.created["campaigns"] += 1
        activity = CampaignActivitySeeder(campaign=Campaign.objects.get(pk=campaign.pk))
        activity.run()
        self.created.update(activity.created)

    def _campaign(
        self,
        name: str,
        segment: Segment | None,
        *,
        topic: str,
        cost: str,
        subjects: dict[str, dict[str, str]] | None = None,
        arms: dict[str, int] | None = None,
    ) -> Campaign:
        campaign = Campaign.objects.create(
            name=name,
            goal=_DATA["goal"],
            segment=segment,
            channels=["newsletter"],
            topic=topic,
            cost=Decimal(cost),
            target_open_rate=Decimal("35"),
            target_click_rate=Decimal("6"),
            target_orders=40,
            sender_name=_DATA["sender_name"],
            sender_email=_DATA["sender_email"],
            live=False,
            created_by=self.manager,
        )
        for code, texts in DEMO_TEXTS.items():
            # Only products a newsletter may show: scheduling refuses incomplete ones.
            complete = products_complete_for(
                Product.objects.filter(live=True, locale__language_code=code), "newsletter"
            )
            products = list(complete.order_by("sku")[:3])
            body = [
                ("hero", {"headline": texts["headline"], "text": texts["intro"]}),
                ("message", {"product": None, "required": True}),
            ]
            if products:
                body.append(("products", {"heading": texts["grid"], "products": products}))
            body += [
                ("personal_products", {"heading": texts["viewed"], "source": "viewed"}),
                ("text", RichText(f"<p>{texts['intro']}</p>")),
                ("cta", {"label": texts["cta"], "url": texts["url"]}),
            ]
            # One version for every arm, or with A/B arms one per arm (their subjects differ).
            for arm, subject in (
                {label: by_code[code] for label, by_code in subjects.items()}
                if subjects
                else {"": texts["subject"]}
            ).items():
                CampaignContent.objects.create(
                    campaign=campaign,
                    locale=Locale.objects.get(language_code=code),
                    arm=arm,
                    subject=subject,
                    preheader=texts["preheader"],
                    body=body,
                )
        for label, share in (arms or {}).items():
            CampaignArm.objects.create(campaign=campaign, label=label, share=share)
        return Campaign.objects.get(pk=campaign.pk)
