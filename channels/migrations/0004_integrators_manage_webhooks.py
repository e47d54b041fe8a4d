"""Channel integrators manage webhook endpoints and see (and re-send) their deliveries."""

from django.db import migrations

from core.group_permissions import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [("channels", "0003_webhooks")]

    operations = [
        grant_group_permissions(
            "Channel integrators",
            "channels",
            [
                "add_webhookendpoint",
                "change_webhookendpoint",
                "view_webhookendpoint",
                "delete_webhookendpoint",
                "view_webhookdelivery",
            ],
        )
    ]
