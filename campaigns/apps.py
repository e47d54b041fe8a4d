from django.apps import AppConfig


def _campaign_published(sender, instance, **kwargs):
    from .services.campaigns import campaign_mark_approved

    campaign_mark_approved(campaign=instance)


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
        from wagtail.signals import published

        from .models import Campaign

        published.connect(
            _campaign_published, sender=Campaign, dispatch_uid="campaign-published-approves"
        )
