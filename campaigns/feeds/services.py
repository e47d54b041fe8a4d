"""What a user does to a feed by hand: queue a run, give it a new secret URL. Logged."""

from __future__ import annotations

import logging

from django.db import transaction
from wagtail.log_actions import log

from campaigns.models import Feed, FeedTrigger

logger = logging.getLogger(__name__)


@transaction.atomic
def feed_generate_queue(*, feed: Feed, user, full: bool = False) -> None:
    """Queue a run of ``feed`` (a full file when ``full``) once this transaction commits."""
    from campaigns.tasks import feed_generate

    feed_id = feed.pk
    transaction.on_commit(lambda: feed_generate.delay(feed_id, FeedTrigger.MANUAL, full))
    log(instance=feed, action="campaigns.feed.generate", user=user, data={"full": full})
    logger.info("feed.queued feed=%s full=%s user=%s", feed.slug, full, user.pk)


@transaction.atomic
def feed_token_renew(*, feed: Feed, user) -> str:
    """Give ``feed`` a new secret URL token and return it; the old one stops working at once.

    Only the new token's hash is stored: the caller shows the token once.
    """
    token = feed.set_token()
    feed.save(update_fields=["token_hash", "updated_at"])
    log(instance=feed, action="campaigns.feed.new_url", user=user)
    logger.info("feed.token_renewed feed=%s user=%s", feed.slug, user.pk)
    return token
