"""The "Campaign approval" workflow and who may do what with campaigns.

Marketing approves a campaign first, legal reviews it second (the same review steps, and
groups, that approve content). Approving the last step publishes the revision: that is the
only way a campaign becomes approved, since nobody but a superuser holds "publish".
Campaign managers plan, submit, schedule and test-send; reviewers see and may correct.
"""

from django.db import migrations

from core.group_permissions import grant_group_permissions

WORKFLOW_NAME = "Campaign approval"
STEPS = ["Marketing approval", "Legal review"]
# Wagtail adds these snippet permissions after migrating; the groups need them now.
SNIPPET_PERMISSIONS = ["publish", "lock", "unlock"]


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    ReviewTask = apps.get_model("content", "ReviewTask")

    campaign_type, _ = ContentType.objects.get_or_create(app_label="campaigns", model="campaign")
    for action in SNIPPET_PERMISSIONS:
        Permission.objects.get_or_create(
            content_type=campaign_type,
            codename=f"{action}_campaign",
            defaults={"name": f"Can {action} campaign"},
        )
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    for order, name in enumerate(STEPS):
        # The content workflow's tasks: one group each, reused rather than duplicated.
        task = ReviewTask.objects.get(name=name)
        WorkflowTask.objects.update_or_create(
            workflow=workflow, task=task, defaults={"sort_order": order}
        )
    WorkflowContentType.objects.update_or_create(
        content_type=campaign_type, defaults={"workflow": workflow}
    )


def remove_workflow(apps, schema_editor):
    apps.get_model("wagtailcore", "Workflow").objects.filter(name=WORKFLOW_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_campaign_plan_and_deliveries"),
        ("content", "0002_groups_and_content_approval_workflow"),
    ]

    operations = [
        migrations.RunPython(create_workflow, remove_workflow),
        grant_group_permissions(
            "Campaign managers",
            "campaigns",
            [
                *(f"{action}_campaign" for action in ("add", "change", "delete", "view")),
                "lock_campaign",
                "unlock_campaign",
                "schedule_campaign",
                "send_test_campaign",
                "view_delivery",
            ],
        ),
        *(
            grant_group_permissions(
                group, "campaigns", ["change_campaign", "view_campaign", "view_delivery"]
            )
            for group in ("Marketing approvers", "Legal reviewers")
        ),
    ]
