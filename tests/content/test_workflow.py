"""The "Content approval" workflow, driven through the admin as editors and reviewers use it.

Editor creates and submits; Product data review -> Legal review -> Marketing approval; the
last approval publishes exactly the approved revision (content.workflows). Requesting
changes needs a comment. Everything is in the item's history.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.models import ModelLogEntry, Revision, TaskState, WorkflowState

from content.models import AudienceMessage, Product
from content.services import content_approve, content_reject, content_save_draft, content_submit
from content.workflows import publish_approved_revision
from tests.admin_flow import (
    STEPS,
    admin_url,
    current_task_state,
    log_actions,
    outcome,
    reload,
    submit_and_approve,
    workflow_action,
)
from tests.admin_posts import message_post, product_post
from tests.factories import AudienceMessageFactory, ProductFactory

pytestmark = pytest.mark.usefixtures("english")

SUBMIT = {"action-submit": "action-submit"}


def submit_product_in_admin(client, editor, **fields):
    client.force_login(editor)
    fields.setdefault("sku", "WF-1")
    response = client.post(
        admin_url("product", "add") + "?locale=de", {**product_post(**fields), **SUBMIT}
    )
    return response, Product.objects.filter(sku=fields["sku"]).first()


def approve_in_admin(client, obj, reviewers):
    """Each reviewer, in turn, approves the item's current step through the admin."""
    for reviewer in reviewers:
        client.force_login(reviewer)
        workflow_action(client, reload(obj), "approve", comment="")
    return reload(obj)


def approve_current_step(client, obj, reviewers):
    """The reviewer whose group owns the item's current step approves it in the admin."""
    step_names = [name for name, _group in STEPS]
    reviewer = reviewers[step_names.index(current_task_state(obj).task.name)]
    client.force_login(reviewer)
    workflow_action(client, reload(obj), "approve", comment="")
    return reload(obj)


def approve_until_live(client, obj, reviewers, limit: int = 2 * len(STEPS)):
    for _attempt in range(limit):
        obj = approve_current_step(client, obj, reviewers)
        if obj.live:
            return obj
    raise AssertionError(f"{obj} is still not live after {limit} approvals")


def workflow_state_of(obj) -> WorkflowState:
    return WorkflowState.objects.filter(
        base_content_type__model=obj._meta.model_name, object_id=str(obj.pk)
    ).latest("created_at", "pk")


@pytest.fixture
def submitted_product(client, editor):
    _response, product = submit_product_in_admin(
        client,
        editor,
        name="Akkuschrauber AS 18",
        short_text="18 V, zwei Akkus",
        features=[{"name": "Spannung", "value": "18", "unit": "V"}],
    )
    return product


@pytest.fixture
def live_product(client, editor, reviewers):
    _response, product = submit_product_in_admin(client, editor, name="Alter Name")
    return approve_in_admin(client, product, reviewers)


# Submitting


def test_editor_creates_and_submits_product_in_one_step(client, editor):
    response, product = submit_product_in_admin(client, editor)

    assert outcome(response) == "redirect"
    assert not product.live
    assert workflow_state_of(product).status == WorkflowState.STATUS_IN_PROGRESS
    assert current_task_state(product).task.name == "Product data review"


def test_editor_submits_an_existing_draft_from_the_edit_view(client, editor):
    product = ProductFactory.build(sku="WF-2")
    content_save_draft(obj=product, user=editor)
    client.force_login(editor)

    response = client.post(
        admin_url("product", "edit", product.pk), {**product_post(sku="WF-2"), **SUBMIT}
    )

    assert outcome(response) == "redirect"
    assert current_task_state(product).task.name == "Product data review"


# Approving


@pytest.mark.parametrize("approvals", [1, 2], ids=["after-product-data", "after-legal"])
def test_product_is_not_live_before_the_last_approval(
    client, submitted_product, reviewers, approvals
):
    product = approve_in_admin(client, submitted_product, reviewers[:approvals])

    assert not product.live
    assert current_task_state(product).task.name == STEPS[approvals][0]


def test_marketing_approval_publishes_the_submitted_content(client, submitted_product, reviewers):
    approve_in_admin(client, submitted_product, reviewers)

    live = Product.objects.get(pk=submitted_product.pk)
    assert live.live
    assert (live.name, live.short_text) == ("Akkuschrauber AS 18", "18 V, zwei Akkus")
    assert [(f.name, f.value, f.unit) for f in live.features.all()] == [("Spannung", "18", "V")]
    assert not live.has_unpublished_changes


def test_last_approval_publishes_the_approved_revision(client, submitted_product, reviewers):
    submitted_revision = submitted_product.get_latest_revision()

    product = approve_in_admin(client, submitted_product, reviewers)

    assert product.live_revision == submitted_revision
    assert set(workflow_state_of(product).task_states.values_list("revision", flat=True)) == {
        submitted_revision.pk
    }


def test_reviewers_without_publish_permission_make_it_live(client, submitted_product, reviewers):
    # Wagtail's own finish action would check the last approver's "publish" permission, which
    # no group holds; content.workflows.publish_approved_revision publishes on approval alone.
    marketing = reviewers[2]
    assert not marketing.has_perm("content.publish_product")

    product = approve_in_admin(client, submitted_product, reviewers)

    publish = ModelLogEntry.objects.for_instance(product).get(action="wagtail.publish")
    assert (product.live, publish.user) == (True, marketing)


def test_publish_approved_revision_ignores_a_newer_unapproved_draft(editor, reviewers):
    product = ProductFactory.build(sku="WF-3", name="Geprüft")
    workflow_state = submit_and_approve(product, editor, reviewers, 2).current_workflow_state
    approved = reload(product).get_latest_revision()
    newer = reload(product)
    newer.name = "Ungeprüft"
    content_save_draft(obj=newer, user=editor)

    publish_approved_revision(workflow_state, user=reviewers[2])

    live = Product.objects.get(pk=product.pk)
    assert (live.name, live.live_revision) == ("Geprüft", approved)
    assert live.has_unpublished_changes


# Requesting changes


def test_request_changes_without_comment_changes_nothing(
    client, submitted_product, product_reviewer
):
    task_state = current_task_state(submitted_product)
    client.force_login(product_reviewer)

    workflow_action(client, submitted_product, "reject", comment="")

    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    assert workflow_state_of(submitted_product).status == WorkflowState.STATUS_IN_PROGRESS
    assert "wagtail.workflow.reject" not in log_actions(submitted_product)


def test_request_changes_with_comment_sends_product_back_to_editor(
    client, submitted_product, product_reviewer
):
    task_state = current_task_state(submitted_product)
    client.force_login(product_reviewer)

    workflow_action(client, submitted_product, "reject", comment="Spannung fehlt im Namen")

    task_state = TaskState.objects.get(pk=task_state.pk)
    assert (task_state.status, task_state.comment) == (
        TaskState.STATUS_REJECTED,
        "Spannung fehlt im Namen",
    )
    assert workflow_state_of(submitted_product).status == WorkflowState.STATUS_NEEDS_CHANGES


def test_request_changes_without_comment_is_refused_by_the_task(
    submitted_product, product_reviewer
):
    task_state = current_task_state(submitted_product)

    with pytest.raises(PermissionDenied):
        content_reject(obj=submitted_product, user=product_reviewer, comment="  ")

    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS


def test_forged_reject_in_edit_view_without_comment_does_not_reject(
    client, submitted_product, product_reviewer
):
    task_state = current_task_state(submitted_product)
    client.force_login(product_reviewer)

    response = client.post(
        admin_url("product", "edit", submitted_product.pk),
        {
            **product_post(sku="WF-1", name="Akkuschrauber AS 18"),
            "action-workflow-action": "action-workflow-action",
            "workflow-action-name": "reject",
            "workflow-action-extra-data": json.dumps({}),
        },
    )

    assert outcome(response) == "denied"
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    assert workflow_state_of(submitted_product).status == WorkflowState.STATUS_IN_PROGRESS
    assert "wagtail.workflow.reject" not in log_actions(submitted_product)


def test_forged_reject_in_edit_view_without_comment_writes_nothing(
    client, submitted_product, product_reviewer
):
    revisions = Revision.objects.count()
    client.force_login(product_reviewer)

    client.post(
        admin_url("product", "edit", submitted_product.pk),
        {
            **product_post(sku="WF-1", name="Heimlich geändert"),
            "action-workflow-action": "action-workflow-action",
            "workflow-action-name": "reject",
            "workflow-action-extra-data": json.dumps({}),
        },
    )

    assert Revision.objects.count() == revisions
    assert reload(submitted_product).get_latest_revision_as_object().name == "Akkuschrauber AS 18"


def test_editor_edits_and_resubmits_after_changes_were_requested(
    client, editor, submitted_product, product_reviewer
):
    content_reject(obj=submitted_product, user=product_reviewer, comment="Spannung in den Namen")
    client.force_login(editor)

    response = client.post(
        admin_url("product", "edit", submitted_product.pk),
        {**product_post(sku="WF-1", name="Akkuschrauber AS 18 V"), **SUBMIT},
    )

    product = reload(submitted_product)
    assert outcome(response) == "redirect"
    assert workflow_state_of(product).status == WorkflowState.STATUS_IN_PROGRESS
    assert product.get_latest_revision_as_object().name == "Akkuschrauber AS 18 V"
    assert not product.live


def test_resubmitted_product_goes_live_after_one_approval_per_step(
    client, editor, submitted_product, reviewers
):
    content_reject(obj=submitted_product, user=reviewers[0], comment="Spannung ergänzen")
    client.force_login(editor)
    client.post(
        admin_url("product", "edit", submitted_product.pk),
        {**product_post(sku="WF-1", name="Akkuschrauber 18 V"), **SUBMIT},
    )

    product = submitted_product
    for _step in STEPS:
        product = approve_current_step(client, product, reviewers)

    assert Product.objects.get(pk=product.pk).live


def test_resubmitted_product_starts_again_at_product_data_review(
    client, editor, submitted_product, reviewers
):
    content_approve(obj=submitted_product, user=reviewers[0])
    content_reject(obj=reload(submitted_product), user=reviewers[1], comment="Claim belegen")
    client.force_login(editor)

    client.post(
        admin_url("product", "edit", submitted_product.pk),
        {**product_post(sku="WF-1", name="Akkuschrauber, geprüft"), **SUBMIT},
    )

    assert current_task_state(submitted_product).task.name == "Product data review"


# Changing live content


def test_editing_a_live_product_saves_a_draft_and_keeps_the_live_version(
    client, editor, live_product
):
    client.force_login(editor)

    client.post(
        admin_url("product", "edit", live_product.pk),
        product_post(sku="WF-1", name="Neuer Name"),
    )

    product = Product.objects.get(pk=live_product.pk)
    assert (product.live, product.name) == (True, "Alter Name")
    assert product.get_latest_revision_as_object().name == "Neuer Name"
    assert product.has_unpublished_changes


def test_edited_live_product_changes_after_passing_the_workflow_again(
    client, editor, reviewers, live_product
):
    client.force_login(editor)
    client.post(
        admin_url("product", "edit", live_product.pk),
        {**product_post(sku="WF-1", name="Neuer Name"), **SUBMIT},
    )

    approve_in_admin(client, live_product, reviewers)

    product = Product.objects.get(pk=live_product.pk)
    assert (product.live, product.name, product.has_unpublished_changes) == (
        True,
        "Neuer Name",
        False,
    )


# History


def test_audit_log_records_every_step(client, editor, submitted_product, reviewers):
    content_reject(obj=submitted_product, user=reviewers[0], comment="Bitte Spannung ergänzen")
    client.force_login(editor)
    client.post(
        admin_url("product", "edit", submitted_product.pk),
        {**product_post(sku="WF-1", name="Akkuschrauber 18 V"), **SUBMIT},
    )
    product = approve_until_live(client, submitted_product, reviewers)

    actions = log_actions(product)

    expected = [
        "wagtail.create",
        "wagtail.workflow.start",
        "wagtail.workflow.reject",
        "wagtail.edit",
        # A resubmission after "Request changes" starts the review over from the first step.
        "wagtail.workflow.cancel",
        "wagtail.workflow.approve",
        "wagtail.publish",
    ]
    first_occurrences = [action for action in dict.fromkeys(actions) if action in expected]
    assert first_occurrences == expected
    assert actions.count("wagtail.workflow.start") == 2
    assert actions.count("wagtail.workflow.approve") >= len(STEPS)


def test_history_view_lists_the_audit_log(client, editor, submitted_product, reviewers):
    approve_in_admin(client, submitted_product, reviewers)
    client.force_login(editor)

    response = client.get(admin_url("product", "history", submitted_product.pk))

    assert response.status_code == 200
    assert sorted(entry.action for entry in response.context["object_list"]) == sorted(
        log_actions(submitted_product)
    )


# Audience messages


def test_audience_message_goes_live_after_three_approvals(client, editor, reviewers):
    client.force_login(editor)
    client.post(
        admin_url("message", "add") + "?locale=de",
        {**message_post(headline="Weniger Stillstand", body="Mit Wartungsvertrag"), **SUBMIT},
    )
    message = AudienceMessage.objects.get(headline="Weniger Stillstand")

    message = approve_in_admin(client, message, reviewers)

    live = AudienceMessage.objects.get(pk=message.pk)
    assert (live.live, live.headline) == (True, "Weniger Stillstand")
    assert "Mit Wartungsvertrag" in live.body


def test_second_message_for_a_live_slot_cannot_be_submitted(client, editor):
    product = ProductFactory(live=True)
    AudienceMessageFactory(product=product, role="buyer", phase="", headline="Erste", live=True)
    counts = (
        AudienceMessage.objects.count(),
        Revision.objects.count(),
        WorkflowState.objects.count(),
    )
    client.force_login(editor)

    response = client.post(
        admin_url("message", "add") + "?locale=de",
        {**message_post(headline="Zweite", product=str(product.pk), role="buyer"), **SUBMIT},
    )

    assert response.status_code == 200
    assert "Erste" in " ".join(response.context["form"].non_field_errors())
    assert (
        AudienceMessage.objects.count(),
        Revision.objects.count(),
        WorkflowState.objects.count(),
    ) == counts


def test_approving_a_message_whose_slot_was_taken_meanwhile_is_refused_cleanly(
    client, editor, reviewers
):
    first = AudienceMessageFactory.build(role="buyer", headline="Erste")
    second = AudienceMessageFactory.build(role="buyer", headline="Zweite")
    content_submit(obj=first, user=editor)
    content_submit(obj=second, user=editor)
    for reviewer in reviewers:
        content_approve(obj=reload(first), user=reviewer)
    for reviewer in reviewers[:2]:
        content_approve(obj=reload(second), user=reviewer)
    client.force_login(reviewers[2])

    response = workflow_action(client, second, "approve", comment="")

    assert response.status_code == 302
    assert (reload(first).live, reload(second).live) == (True, False)
    returned = reload(second).workflow_states.get(status=WorkflowState.STATUS_NEEDS_CHANGES)
    comment = returned.current_task_state.comment
    assert comment.startswith("Not published: “Erste” is already live")


def test_resubmission_through_the_service_starts_again_at_the_first_step(
    submitted_product, editor, reviewers
):
    content_approve(obj=reload(submitted_product), user=reviewers[0])
    content_reject(obj=reload(submitted_product), user=reviewers[1], comment="Claim belegen")
    product = reload(submitted_product)
    product.short_text = "Belegt laut Prüfbericht"

    state = content_submit(obj=product, user=editor)

    assert state.current_task_state.task.name == STEPS[0][0]
    assert state.current_task_state.revision == reload(product).latest_revision
