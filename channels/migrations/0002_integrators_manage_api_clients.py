"""Channel integrators manage API clients (issue, rotate, revoke tokens)."""

from django.db import migrations

from core.group_permissions import grant_group_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0001_api_clients"),
        ("content", "0002_groups_and_content_approval_workflow"),
    ]

    operations = [
        grant_group_permissions(
            "Channel integrators",
            "channels",
            ["add_apiclient", "change_apiclient", "view_apiclient", "delete_apiclient"],
        )
    ]
