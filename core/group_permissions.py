"""A migration operation that grants (and on reverse revokes) model permissions to a group.

Django creates permissions only after all migrations ran; a data migration that grants them
must create them first, which is what every app's grant needs and this does once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.management import create_permissions
from django.db import migrations


def _permissions(apps, app_label: str, codenames: Iterable[str]):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)


def grant_group_permissions(
    group: str, app_label: str, codenames: Iterable[str]
) -> migrations.RunPython:
    codenames = list(codenames)

    def grant(apps, schema_editor):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        found = list(_permissions(apps, app_label, codenames))
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            raise LookupError(f"No permission(s) {sorted(missing)} in app {app_label!r}.")
        group_row, _ = Group.objects.get_or_create(name=group)
        group_row.permissions.add(*found)

    def revoke(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        for group_row in Group.objects.filter(name=group):
            group_row.permissions.remove(*_permissions(apps, app_label, codenames))

    return migrations.RunPython(grant, revoke)
