"""The hub's groups, their permissions, and the three-step "Content approval" workflow.

Editors write and submit; each review group approves its own step and may correct content
(which sends the item back through review); nobody but a superuser holds "publish", so only
the workflow makes content live. Marketing approvers may withdraw (unpublish) live content.
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "admin", "access_admin")


def _content(model, *actions):
    return [("content", model, f"{action}_{model}") for action in actions]


GROUP_PERMISSIONS = {
    "Editors": [
        ACCESS_ADMIN,
        *_content("product", "add", "change", "view", "lock"),
        *_content("audiencemessage", "add", "change", "view", "lock"),
        *_content("category", "view"),
        ("simple_translation", "simpletranslation", "submit_translation"),
    ],
    "Product data reviewers": [
        ACCESS_ADMIN,
        *_content("product", "change", "view"),
        *_content("audiencemessage", "view"),
        *_content("category", "add", "change", "view"),
    ],
    "Legal reviewers": [
        ACCESS_ADMIN,
        *_content("product", "change", "view"),
        *_content("audiencemessage", "change", "view"),
        *_content("category", "view"),
    ],
    "Marketing approvers": [
        ACCESS_ADMIN,
        *_content("product", "change", "view", "unpublish"),
        *_content("audiencemessage", "change", "view", "unpublish"),
        *_content("category", "view"),
    ],
    "Campaign managers": [
        ACCESS_ADMIN,
        *_content("product", "view"),
        *_content("audiencemessage", "view"),
        *_content("category", "view"),
    ],
    "Channel integrators": [
        ACCESS_ADMIN,
        *_content("product", "view"),
        *_content("category", "view"),
    ],
}

# Permissions on the root collection of images and documents.
COLLECTION_PERMISSIONS = {
    "Editors": [
        ("wagtailimages", "image", "add_image"),
        ("wagtailimages", "image", "change_image"),
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "add_document"),
        ("wagtaildocs", "document", "change_document"),
        ("wagtaildocs", "document", "choose_document"),
    ],
    "Product data reviewers": [
        ("wagtailimages", "image", "add_image"),
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "add_document"),
        ("wagtaildocs", "document", "choose_document"),
    ],
    "Legal reviewers": [
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "choose_document"),
    ],
    "Marketing approvers": [
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "choose_document"),
    ],
    "Campaign managers": [
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "choose_document"),
    ],
}

WORKFLOW_NAME = "Content approval"
REVIEW_STEPS = [
    ("Product data review", "Product data reviewers"),
    ("Legal review", "Legal reviewers"),
    ("Marketing approval", "Marketing approvers"),
]
WORKFLOW_MODELS = ["product", "audiencemessage"]

# Wagtail adds these snippet permissions after migrating; the groups need them now.
SNIPPET_EXTRA_PERMISSIONS = {
    "product": ["publish", "lock", "unlock"],
    "audiencemessage": ["publish", "lock", "unlock"],
}


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    return Permission.objects.get(content_type=content_type, codename=codename)


def create_content_locales(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    for language_code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=language_code)


def create_groups_and_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    ReviewTask = apps.get_model("content", "ReviewTask")

    for app_label in (
        "content",
        "wagtailadmin",
        "wagtailimages",
        "wagtaildocs",
        "simple_translation",
    ):
        # The historical app config has no models module; create_permissions only asks
        # whether there is one.
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    for model, actions in SNIPPET_EXTRA_PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="content", model=model)
        for action in actions:
            Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )

    # Wagtail's starter groups would let editors delete images used by live products, and
    # its "Moderators" workflow has nothing to moderate here: the hub's groups replace them.
    Workflow.objects.filter(name="Moderators approval").delete()
    # The hub has no pages: Wagtail's starter page permissions for Editors go too.
    apps.get_model("wagtailcore", "GroupPagePermission").objects.filter(
        group__name__in=GROUP_PERMISSIONS
    ).delete()
    apps.get_model("wagtailcore", "Task").objects.filter(name="Moderators approval").delete()
    Group.objects.filter(name="Moderators").delete()

    root = Collection.objects.filter(depth=1).order_by("path").first()
    groups = {}
    for name, permissions in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(apps, *spec) for spec in permissions])
        groups[name] = group
        GroupCollectionPermission.objects.filter(group=group).delete()
        for spec in COLLECTION_PERMISSIONS.get(name, []):
            GroupCollectionPermission.objects.create(
                group=group, collection=root, permission=_permission(apps, *spec)
            )

    task_type, _ = ContentType.objects.get_or_create(app_label="content", model="reviewtask")
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    for order, (task_name, group_name) in enumerate(REVIEW_STEPS):
        task = ReviewTask.objects.filter(name=task_name).first()
        if task is None:
            task = ReviewTask.objects.create(name=task_name, active=True, content_type=task_type)
        task.groups.set([groups[group_name]])
        WorkflowTask.objects.update_or_create(
            workflow=workflow, task=task, defaults={"sort_order": order}
        )
    for model in WORKFLOW_MODELS:
        content_type, _ = ContentType.objects.get_or_create(app_label="content", model=model)
        WorkflowContentType.objects.update_or_create(
            content_type=content_type, defaults={"workflow": workflow}
        )


def remove_groups_and_workflow(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    ReviewTask = apps.get_model("content", "ReviewTask")
    Workflow.objects.filter(name=WORKFLOW_NAME).delete()
    ReviewTask.objects.filter(name__in=[name for name, _ in REVIEW_STEPS]).delete()
    Group.objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("simple_translation", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_content_locales, migrations.RunPython.noop),
        migrations.RunPython(create_groups_and_workflow, remove_groups_and_workflow),
    ]
