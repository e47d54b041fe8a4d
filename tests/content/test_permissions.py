"""Who may do what to products and audience messages in the admin.

Each view is one parametrized test over (content type, group) -> expected outcome:

* ``ok``: allowed. A page opens (200); a POST is accepted (redirect, not to the dashboard)
  and its effect is in the database.
* ``denied``: Wagtail refuses (redirect to the dashboard with its permission error, or 403)
  and the database is unchanged.
* ``login``: an anonymous visitor is sent to the login form.

What the groups should be able to do follows from their names: Editors write and submit but
never publish; each review group opens the editor (view + change) and approves its own step
only; Campaign managers and Channel integrators only read; Marketing approvers may withdraw
(unpublish) live content; nobody but a superuser publishes or deletes.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import GroupPagePermission, ModelLogEntry, Revision, TaskState

from content.models import AudienceMessage, Product
from tests.admin_flow import (
    MODELS,
    STEPS,
    admin_url,
    current_task_state,
    make_draft,
    make_live,
    outcome,
    reload,
    submit_and_approve,
    unchanged,
    unchanged_unless,
)
from tests.admin_posts import message_post, product_post
from tests.factories import UserFactory

EDITOR = "Editors"
PRODUCT_REVIEWER = "Product data reviewers"
LEGAL = "Legal reviewers"
MARKETING = "Marketing approvers"
CAMPAIGN = "Campaign managers"
CHANNEL = "Channel integrators"
ANONYMOUS = "anonymous"

WHO = (EDITOR, PRODUCT_REVIEWER, LEGAL, MARKETING, CAMPAIGN, CHANNEL, ANONYMOUS)
SHORT = {
    EDITOR: "editor",
    PRODUCT_REVIEWER: "product_reviewer",
    LEGAL: "legal",
    MARKETING: "marketing",
    CAMPAIGN: "campaign",
    CHANNEL: "channel",
    ANONYMOUS: "anonymous",
}


def rows(*, default: str, anonymous: str = "login", **by_group: str) -> dict[str, str]:
    """Expected outcome per group: ``default`` unless named (by SHORT key)."""
    expected = {group: default for group in WHO}
    expected[ANONYMOUS] = anonymous
    short_to_group = {short: group for group, short in SHORT.items()}
    for short, value in by_group.items():
        expected[short_to_group[short]] = value
    return expected


def matrix(table: dict[str, dict[str, str]]):
    """pytest params (model, group, expected) with readable ids."""
    params = []
    for model, expected_by_group in table.items():
        for group, expected in expected_by_group.items():
            params.append(
                pytest.param(model, group, expected, id=f"{model}-{SHORT[group]}-{expected}")
            )
    return params


# Listing: everybody with any permission on the model.
LISTING = {
    "product": rows(default="ok"),
    "message": rows(default="ok", channel="denied"),
}
# Create: Editors only.
CREATE = {
    "product": rows(default="denied", editor="ok"),
    "message": rows(default="denied", editor="ok"),
}
# Open and save the editor (item not in review): writers and the reviewers who may correct it.
EDIT = {
    "product": rows(default="ok", campaign="denied", channel="denied"),
    "message": rows(default="ok", product_reviewer="denied", campaign="denied", channel="denied"),
}
# History, revision comparison and preview are editing tools: the same people as the editor.
HISTORY = COMPARE = PREVIEW = EDIT
# Nobody but a superuser publishes, deletes or breaks someone else's lock.
NOBODY = {
    "product": rows(default="denied"),
    "message": rows(default="denied"),
}
# Withdrawing live content: Marketing approvers hold "unpublish" (not "publish").
WITHDRAW = {
    "product": rows(default="denied", marketing="ok"),
    "message": rows(default="denied", marketing="ok"),
}
# Locking: Editors hold "lock"; reviewers lock only while the item is at their step.
LOCK = {
    "product": rows(default="denied", editor="ok"),
    "message": rows(default="denied", editor="ok"),
}
# Inspect: every group that may see the model reads it there.
INSPECT = {
    "product": rows(default="ok"),
    "message": rows(default="ok", channel="denied"),
}


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def author(make_user):
    """The editor who wrote the items under test (not the user making the request)."""
    return make_user(EDITOR, username="author")


@pytest.fixture
def as_group(client, make_user):
    """A test client logged in as a fresh member of ``group`` (or anonymous)."""

    def login(group: str):
        if group != ANONYMOUS:
            client.force_login(make_user(group))
        return client

    return login


def edit_body(model: str, obj, **fields) -> dict[str, str]:
    if model == "product":
        return product_post(sku=obj.sku, **fields)
    return message_post(headline=fields.pop("name", obj.headline), **fields)


def title_of(obj) -> str:
    return obj.name if isinstance(obj, Product) else obj.headline


def count(model: str) -> int:
    return (Product if model == "product" else AudienceMessage).objects.count()


@pytest.mark.parametrize(("model", "group", "expected"), matrix(LISTING))
def test_who_sees_the_listing(as_group, model, group, expected):
    client = as_group(group)

    response = client.get(admin_url(model, "list"))

    assert outcome(response) == expected


@pytest.mark.parametrize(("model", "group", "expected"), matrix(CREATE))
def test_who_opens_the_create_form(as_group, model, group, expected):
    client = as_group(group)

    response = client.get(admin_url(model, "add") + "?locale=de")

    assert outcome(response) == expected


@pytest.mark.parametrize(("model", "group", "expected"), matrix(CREATE))
def test_who_creates_a_draft(as_group, model, group, expected):
    client = as_group(group)
    before = count(model)

    with unchanged_unless(expected == "ok", MODELS[model]):
        response = client.post(
            admin_url(model, "add") + "?locale=de",
            product_post(sku="NEW-1") if model == "product" else message_post(),
        )

    expected_response = "redirect" if expected == "ok" else expected
    assert (outcome(response), count(model) - before) == (
        expected_response,
        1 if expected == "ok" else 0,
    )


@pytest.mark.parametrize(("model", "group", "expected"), matrix(EDIT))
def test_who_opens_the_editor(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    response = client.get(admin_url(model, "edit", obj.pk))

    assert outcome(response) == expected


@pytest.mark.parametrize(("model", "group", "expected"), matrix(EDIT))
def test_who_saves_an_edit(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    revisions_before = obj.revisions.count()
    client = as_group(group)

    with unchanged_unless(expected == "ok", obj):
        response = client.post(admin_url(model, "edit", obj.pk), edit_body(model, obj, name="Neu"))

    saved = title_of(reload(obj).get_latest_revision_as_object()) == "Neu"
    expected_response = "redirect" if expected == "ok" else expected
    assert (outcome(response), saved) == (expected_response, expected == "ok")
    assert reload(obj).revisions.count() - revisions_before == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(("model", "group", "expected"), matrix(NOBODY))
def test_forged_publish_post_does_not_publish(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    client.post(
        admin_url(model, "edit", obj.pk),
        {**edit_body(model, obj), "action-publish": "action-publish"},
    )

    assert not reload(obj).live
    assert not ModelLogEntry.objects.for_instance(obj).filter(action="wagtail.publish").exists()


def test_superuser_publish_post_publishes(client, superuser, author):
    product = make_draft("product", author)
    client.force_login(superuser)

    response = client.post(
        admin_url("product", "edit", product.pk),
        {**edit_body("product", product), "action-publish": "action-publish"},
    )

    assert outcome(response) == "redirect"
    assert reload(product).live


@pytest.mark.parametrize(("model", "group", "expected"), matrix(WITHDRAW))
def test_who_withdraws_live_content(as_group, author, model, group, expected):
    obj = make_live(model, author)
    client = as_group(group)

    with unchanged_unless(expected == "ok", obj):
        response = client.post(admin_url(model, "unpublish", obj.pk))

    expected_response = "redirect" if expected == "ok" else expected
    assert (outcome(response), reload(obj).live) == (expected_response, expected != "ok")


@pytest.mark.parametrize(("model", "group", "expected"), matrix(HISTORY))
def test_who_sees_the_history(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    response = client.get(admin_url(model, "history", obj.pk))

    assert outcome(response) == expected


@pytest.mark.parametrize(("model", "group", "expected"), matrix(COMPARE))
def test_who_compares_revisions(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    first = obj.get_latest_revision()
    obj.save_revision(user=author)
    second = obj.get_latest_revision()
    client = as_group(group)

    response = client.get(
        admin_url(
            model, "revisions_compare", pk=obj.pk, revision_id_a=first.pk, revision_id_b=second.pk
        )
    )

    assert outcome(response) == expected


@pytest.mark.parametrize(("model", "group", "expected"), matrix(PREVIEW))
def test_who_previews_a_draft(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)
    url = admin_url(model, "preview_on_edit", obj.pk)
    client.post(url, edit_body(model, obj, name="Vorschau-Titel"))

    response = client.get(url)

    shows_draft = response.status_code == 200 and "Vorschau-Titel" in response.text
    assert (outcome(response), shows_draft) == (expected, expected == "ok")


def workflow_matrix():
    """Item at each step x each group: only the step's own group may act on it."""
    params = []
    for model in ("product", "message"):
        for step, (task_name, step_group) in enumerate(STEPS):
            for group in WHO:
                expected = (
                    "login" if group == ANONYMOUS else ("ok" if group == step_group else "denied")
                )
                params.append(
                    pytest.param(
                        model,
                        step,
                        group,
                        expected,
                        id=f"{model}-at-{task_name.split()[0].lower()}-{SHORT[group]}-{expected}",
                    )
                )
    return params


@pytest.fixture
def in_review(author, reviewers):
    """An item submitted by ``author`` whose first ``step`` steps are approved."""

    def make(model: str, step: int):
        return submit_and_approve(make_draft(model, author), author, reviewers, step)

    return make


@pytest.mark.parametrize(("model", "step", "group", "expected"), workflow_matrix())
def test_who_approves_the_current_step(as_group, in_review, model, step, group, expected):
    obj = in_review(model, step)
    task_state = current_task_state(obj)
    client = as_group(group)

    with unchanged_unless(expected == "ok", obj, task_state, TaskState):
        response = client.post(
            admin_url(model, "workflow_action", obj.pk, "approve", task_state.pk), {"comment": ""}
        )

    status = TaskState.objects.get(pk=task_state.pk).status
    expected_response = "redirect" if expected == "ok" else expected
    expected_status = (
        TaskState.STATUS_APPROVED if expected == "ok" else TaskState.STATUS_IN_PROGRESS
    )
    assert (outcome(response), status) == (expected_response, expected_status)


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        pytest.param(group, "ok" if group == PRODUCT_REVIEWER else "refused", id=SHORT[group])
        for group in WHO
    ],
)
def test_who_saves_an_edit_while_at_product_data_review(as_group, in_review, group, expected):
    # The item is locked to everybody but the current step's reviewers (WorkflowLock).
    product = in_review("product", 0)
    revisions_before = product.revisions.count()
    client = as_group(group)

    client.post(admin_url("product", "edit", product.pk), edit_body("product", product, name="Neu"))

    saved = reload(product).revisions.count() > revisions_before
    assert saved is (expected == "ok")


def test_product_reviewer_opens_message_editor_at_own_step(as_group, in_review):
    # No "change" on messages, but the review step lets its own group into the editor.
    message = in_review("message", 0)
    client = as_group(PRODUCT_REVIEWER)

    response = client.get(admin_url("message", "edit", message.pk))

    assert outcome(response) == "ok"


@pytest.mark.parametrize(("model", "step", "group", "expected"), workflow_matrix())
def test_who_requests_changes_at_the_current_step(
    as_group, in_review, model, step, group, expected
):
    obj = in_review(model, step)
    task_state = current_task_state(obj)
    client = as_group(group)

    with unchanged_unless(expected == "ok", obj, task_state, TaskState):
        response = client.post(
            admin_url(model, "workflow_action", obj.pk, "reject", task_state.pk),
            {"comment": "Bitte Maße prüfen"},
        )

    status = TaskState.objects.get(pk=task_state.pk).status
    expected_response = "redirect" if expected == "ok" else expected
    expected_status = (
        TaskState.STATUS_REJECTED if expected == "ok" else TaskState.STATUS_IN_PROGRESS
    )
    assert (outcome(response), status) == (expected_response, expected_status)


@pytest.mark.parametrize(("model", "group", "expected"), matrix(LOCK))
def test_who_locks(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    with unchanged_unless(expected == "ok", obj):
        response = client.post(admin_url(model, "lock", obj.pk))

    expected_response = "redirect" if expected == "ok" else expected
    assert (outcome(response), reload(obj).locked) == (expected_response, expected == "ok")


@pytest.mark.parametrize(("model", "group", "expected"), matrix(NOBODY))
def test_who_breaks_someone_elses_lock(as_group, author, model, group, expected):
    obj = make_draft(model, author, locked=True, locked_by=author)
    client = as_group(group)

    with unchanged(obj):
        response = client.post(admin_url(model, "unlock", obj.pk))

    assert (outcome(response), reload(obj).locked) == (expected, True)


@pytest.mark.parametrize(("model", "group", "expected"), matrix(NOBODY))
def test_who_deletes(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    with unchanged(obj, MODELS[model]):
        response = client.post(admin_url(model, "delete", obj.pk))

    assert (outcome(response), type(obj).objects.filter(pk=obj.pk).exists()) == (expected, True)


@pytest.mark.parametrize(("model", "group", "expected"), matrix(INSPECT))
def test_who_inspects(as_group, author, model, group, expected):
    obj = make_draft(model, author)
    client = as_group(group)

    # Built by hand: the URL name does not exist for a model without an inspect view.
    model_name = "product" if model == "product" else "audiencemessage"
    response = client.get(f"/admin/snippets/content/{model_name}/inspect/{obj.pk}/")

    assert outcome(response) == expected


# Forged requests, one by one.


def test_editor_forging_publish_leaves_product_unpublished(client, editor, author):
    product = make_draft("product", author)
    client.force_login(editor)

    client.post(
        admin_url("product", "edit", product.pk),
        {**edit_body("product", product), "action-publish": "action-publish"},
    )

    assert not reload(product).live


def test_campaign_manager_forging_an_edit_changes_nothing(client, make_user, author):
    product = make_draft("product", author)
    revisions = Revision.objects.count()
    client.force_login(make_user(CAMPAIGN))

    with unchanged(product, Product):
        response = client.post(
            admin_url("product", "edit", product.pk),
            edit_body("product", product, name="Gehackt"),
        )

    assert outcome(response) == "denied"
    assert Revision.objects.count() == revisions
    assert reload(product).get_latest_revision_as_object().name != "Gehackt"


def test_legal_reviewer_cannot_approve_at_product_data_review(client, in_review, legal_reviewer):
    product = in_review("product", 0)
    task_state = current_task_state(product)
    client.force_login(legal_reviewer)

    with unchanged(product, task_state, TaskState):
        response = client.post(
            admin_url("product", "workflow_action", product.pk, "approve", task_state.pk)
        )

    assert outcome(response) == "denied"
    assert current_task_state(product).task.name == "Product data review"
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_editor_cannot_approve_own_submission(client, editor, reviewers):
    product = submit_and_approve(make_draft("product", editor), editor, reviewers, 0)
    task_state = current_task_state(product)
    client.force_login(editor)

    with unchanged(product, task_state, TaskState):
        response = client.post(
            admin_url("product", "workflow_action", product.pk, "approve", task_state.pk)
        )

    assert outcome(response) == "denied"
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    assert (
        not ModelLogEntry.objects.for_instance(product)
        .filter(action="wagtail.workflow.approve")
        .exists()
    )


@pytest.mark.parametrize("group", [g for g in WHO if g != ANONYMOUS])
def test_main_menu_has_no_page_explorer(client, make_user, group):
    client.force_login(make_user(group))

    response = client.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "explorer" not in response.content.decode()
    assert not GroupPagePermission.objects.filter(group__name=group).exists()


def test_main_menu_has_no_page_explorer_even_for_superusers(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "explorer" not in response.content.decode()
