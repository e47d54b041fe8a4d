"""The whole demo in one call: users, the brand, content, audience, campaigns, feeds, the
print catalogue and the webshop, in that order; then the segment state is built from it."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from campaigns.services.segment_state import segment_state_rebuild

from .audience import AudienceSeeder
from .brand import seed_brand
from .campaigns import CampaignSeeder
from .content import ContentSeeder
from .feeds import seed_etim_features, seed_feeds
from .print_catalogue import seed_print_catalogue
from .users import CAMPAIGN_APPROVERS, REVIEWERS, seed_users
from .webshop import seed_webshop


def seed_demo() -> Counter[str]:
    """Create whatever demo data is missing; return how many of each kind it made.

    Idempotent: what exists already (users by username, categories by slug, products by SKU
    and locale, messages by headline and locale, the audience and the campaigns as blocks)
    is left exactly as it is. Call it inside a transaction.
    """
    created: Counter[str] = Counter()
    now = timezone.now()
    users = seed_users(created)
    seed_brand(created)
    seed_etim_features(created)
    ContentSeeder(
        editor=users["editor"],
        reviewers=[users[username] for username in REVIEWERS],
        now=now,
        created=created,
    ).run()
    audience = AudienceSeeder(now=now)
    audience.run()
    created.update(audience.created)
    campaigns = CampaignSeeder(
        manager=users["campaigns"],
        approvers=[users[username] for username in CAMPAIGN_APPROVERS],
        now=now,
    )
    campaigns.run()
    created.update(campaigns.created)
    seed_feeds(now=now, created=created)
    seed_print_catalogue(
        manager=users["campaigns"],
        approvers=[users[username] for username in CAMPAIGN_APPROVERS],
        created=created,
    )
    seed_webshop(
        manager=users["campaigns"],
        approvers=[users[username] for username in CAMPAIGN_APPROVERS],
        now=now,
        created=created,
    )
    if created:
        # The seeders write rows in bulk, past the intake's marks: the segment sets and the
        # saved segments' counts are built once from everything they made.
        segment_state_rebuild()
    return created
