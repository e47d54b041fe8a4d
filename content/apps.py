from django.apps import AppConfig


def _content_published(sender, instance, **kwargs):
    from channels.services import webhook_event_record

    webhook_event_record(event=f"{WEBHOOK_SUBJECTS[sender]}.published", instance=instance)


def _content_unpublished(sender, instance, **kwargs):
    from channels.services import webhook_event_record

    webhook_event_record(event=f"{WEBHOOK_SUBJECTS[sender]}.unpublished", instance=instance)


# Model class -> the subject of its webhook events ("product.published"), filled in ready().
WEBHOOK_SUBJECTS: dict[type, str] = {}


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Content"

    def ready(self):
        # A signal, against the house rule, because content goes live and offline along
        # paths the hub does not own: the workflow's finish action, Wagtail's
        # publish_scheduled command (go-live and expiry) and the admin's unpublish view
        # (which runs UnpublishAction and bypasses the model's unpublish()). Wagtail's
        # published/unpublished signals are its extension point that sees all of them; the
        # receivers only hand over to one service, which does the work. Campaigns follow
        # the same mechanism for their approval (campaigns/apps.py).
        from wagtail.signals import published, unpublished

        from .models import AudienceMessage, Product

        WEBHOOK_SUBJECTS.update({Product: "product", AudienceMessage: "message"})
        for model in WEBHOOK_SUBJECTS:
            published.connect(
                _content_published, sender=model, dispatch_uid=f"webhooks-published-{model}"
            )
            unpublished.connect(
                _content_unpublished, sender=model, dispatch_uid=f"webhooks-unpublished-{model}"
            )
