from django.apps import AppConfig


def _campaign_published(sender, instance, **kwargs):
    from .services.campaigns import campaign_mark_approved

    campaign_mark_approved(campaign=instance)


def _product_changed(sender, instance, **kwargs):
    from .feeds.triggers import feeds_mark_changed

    feeds_mark_changed()


def _placements_stale(sender, instance, **kwargs):
    from .placements.cache import content_version_bump

    content_version_bump()


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self):
        # What follows publishing reacts to Wagtail's ``published`` signal, as content's
        # webhooks do (content/apps.py): one mechanism for both. Wagtail publishes along
        # paths the hub does not own (the workflow's last approval, the admin's publish
        # action, the publish_scheduled command), and its signal is the one extension point
        # that sees all of them; for unpublishing it is the only one (the admin's unpublish
        # view runs UnpublishAction and bypasses the model's unpublish()). The receiver
        # does no work itself: it hands over to one service, visibly named here.
        from wagtail.signals import published, unpublished

        from content.selectors import product_model

        from .models import Campaign

        published.connect(
            _campaign_published, sender=Campaign, dispatch_uid="campaign-published-approves"
        )
        # A product going live or offline changes the feeds: they are marked in the same
        # transaction, and the beat task writes them within a minute.
        for signal, name in ((published, "published"), (unpublished, "unpublished")):
            signal.connect(
                _product_changed, sender=product_model(), dispatch_uid=f"feeds-product-{name}"
            )
        # Whatever is published or withdrawn (a product, a message, a placement, a
        # campaign) may change what a placement shows: its cached answers go stale.
        for signal, name in ((published, "published"), (unpublished, "unpublished")):
            signal.connect(_placements_stale, dispatch_uid=f"placements-stale-{name}")
