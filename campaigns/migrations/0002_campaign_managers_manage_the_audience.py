"""Campaign managers, and nobody else, manage accounts, contacts, segments and imports.

Events, orders, consent evidence and suppressions are facts recorded by the hub: campaign
managers see them; only services write them. Exporting and erasing a contact's personal
data (GDPR) are separate permissions, granted to campaign managers here.
"""

from django.db import migrations

from core.group_permissions import grant_group_permissions

MANAGED = ["account", "contact", "segment", "segmentmember", "journeyrule", "importjob"]
SEEN = [
    "event",
    "order",
    "orderline",
    "phasechange",
    "consentrecord",
    "suppression",
    "segmentsnapshot",
    "snapshotmember",
    "campaign",
    "syncstate",
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_audience"),
        ("content", "0002_groups_and_content_approval_workflow"),
    ]

    operations = [
        grant_group_permissions(
            "Campaign managers",
            "campaigns",
            [
                *(
                    f"{action}_{model}"
                    for model in MANAGED
                    for action in ("add", "change", "delete", "view")
                ),
                *(f"view_{model}" for model in SEEN),
                "add_suppression",
                "export_contact",
                "erase_contact",
            ],
        )
    ]
