"""Every open and click kept with its classification; the machine rules, with defaults.

The default rules are ``campaigns/measurement/machine_rules.json`` (each with its source);
campaign managers, and nobody else, edit them in the admin.
"""

import json
from pathlib import Path

import campaigns.models.tracking
import django.db.models.deletion
from django.db import migrations, models


from core.group_permissions import grant_group_permissions

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "measurement" / "machine_rules.json"


def create_rules(apps, schema_editor):
    MachineRule = apps.get_model("campaigns", "MachineRule")
    if MachineRule.objects.exists():
        return
    rules = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    MachineRule.objects.bulk_create(MachineRule(**rule) for rule in rules)


def remove_rules(apps, schema_editor):
    MachineRule = apps.get_model("campaigns", "MachineRule")
    rules = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    MachineRule.objects.filter(name__in=[rule["name"] for rule in rules]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0013_campaign_results"),
    ]

    operations = [
        migrations.CreateModel(
            name="MachineRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "applies_to",
                    models.CharField(
                        choices=[
                            ("open", "Opens"),
                            ("click", "Clicks"),
                            ("both", "Opens and clicks"),
                        ],
                        default="open",
                        max_length=10,
                        verbose_name="applies to",
                    ),
                ),
                (
                    "classification",
                    models.CharField(
                        choices=[
                            ("human", "Person"),
                            ("apple_mpp", "Apple Mail Privacy Protection"),
                            ("proxy", "Image proxy (a real open)"),
                            ("scanner", "Security scanner or bot"),
                        ],
                        help_text="For clicks, anything but 'Person' and 'Image proxy' makes the click a bot's: it is not counted as a click and earns no order.",
                        max_length=20,
                        verbose_name="classify as",
                    ),
                ),
                (
                    "ip_network",
                    models.CharField(
                        blank=True,
                        help_text="CIDR, e.g. 17.0.0.0/8. Leave empty for any address.",
                        max_length=50,
                        validators=[campaigns.models.tracking.validate_ip_network],
                        verbose_name="address range",
                    ),
                ),
                (
                    "user_agent_pattern",
                    models.CharField(
                        blank=True,
                        help_text="A regular expression searched in the user agent, ignoring case, e.g. GoogleImageProxy or ^Mozilla/5\\.0$. Leave empty for any user agent.",
                        max_length=300,
                        validators=[campaigns.models.tracking.validate_pattern],
                        verbose_name="user agent pattern",
                    ),
                ),
                (
                    "max_seconds_after_send",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Only hits this soon after the message was sent. Leave empty for any time.",
                        null=True,
                        verbose_name="within seconds of sending",
                    ),
                ),
                (
                    "priority",
                    models.PositiveIntegerField(
                        default=100,
                        help_text="Lower numbers are tried first.",
                        verbose_name="priority",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "source",
                    models.TextField(
                        blank=True,
                        help_text="Why this rule holds: where the pattern comes from.",
                        verbose_name="source",
                    ),
                ),
            ],
            options={
                "verbose_name": "machine rule",
                "verbose_name_plural": "machine rules",
                "ordering": ["priority", "pk"],
            },
        ),
        migrations.CreateModel(
            name="TrackingHit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(choices=[("open", "Open"), ("click", "Click")], max_length=10),
                ),
                ("at", models.DateTimeField()),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=400)),
                ("url", models.URLField(blank=True, max_length=2000)),
                (
                    "classification",
                    models.CharField(
                        choices=[
                            ("human", "Person"),
                            ("apple_mpp", "Apple Mail Privacy Protection"),
                            ("proxy", "Image proxy (a real open)"),
                            ("scanner", "Security scanner or bot"),
                        ],
                        max_length=20,
                    ),
                ),
                ("seconds_after_send", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tracking_hits",
                        to="campaigns.delivery",
                    ),
                ),
            ],
            options={
                "verbose_name": "tracking hit",
                "verbose_name_plural": "tracking hits",
                "indexes": [
                    models.Index(fields=["delivery", "kind"], name="tracking_hit_delivery_kind"),
                    models.Index(
                        condition=models.Q(("ip__isnull", False)),
                        fields=["at"],
                        name="tracking_hit_with_ip",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_rules, remove_rules),
        grant_group_permissions(
            "Campaign managers",
            "campaigns",
            [
                *(f"{action}_machinerule" for action in ("add", "change", "delete", "view")),
                "view_trackinghit",
            ],
        ),
    ]
