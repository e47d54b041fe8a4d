"""Channel integrators manage webhook endpoints and see (and re-send) their deliveries."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Channel integrators"
CODENAMES = [
    "add_webhookendpoint",
    "change_webhookendpoint",
    "view_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookdelivery",
]


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
    dependencies = [("channels", "0003_webhooks")]

    operations = [migrations.RunPython(grant, revoke)]
