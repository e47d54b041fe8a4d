"""Channel integrators manage API clients (issue, rotate, revoke tokens)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Channel integrators"
CODENAMES = ["add_apiclient", "change_apiclient", "view_apiclient", "delete_apiclient"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("channels")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="channels", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="channels", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0001_api_clients"),
        ("content", "0002_groups_and_content_approval_workflow"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
