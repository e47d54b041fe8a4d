"""The admin home's panels per role: editors, campaign managers and integrators.

Reviewers keep Wagtail's own "Awaiting your review" panel, which already lists every
workflow item (products, messages, campaigns, catalogues). Each panel here is shown only to
users who hold its permissions and reads a fixed number of queries, whatever the data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from wagtail.admin.ui.components import Component
from wagtail.models import TaskState, WorkflowState

from campaigns.measurement.results import campaigns_totals
from campaigns.models import Campaign, CampaignStatus
from campaigns.selectors import campaigns_progress
from channels.models import ApiClient, WebhookAttempt, WebhookDelivery
from content.models import AudienceMessage, Product
from content.selectors import channel_choices, products_incomplete_for

ROWS = 10


def _edit_url(obj) -> str:
    meta = obj._meta
    return reverse(f"wagtailsnippets_{meta.app_label}_{meta.model_name}:edit", args=(obj.pk,))


def _may_change_any(user, *models) -> bool:
    return any(
        user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
        for model in models
    )


@dataclass(frozen=True)
class ReturnedItem:
    title: str
    url: str
    reviewer: str
    comment: str
    returned_at: object


def _drafts(user) -> list[tuple[str, str, object]]:
    """Products and messages the user saved last that are not live or have unpublished changes."""
    rows = []
    for model in (Product, AudienceMessage):
        drafts = (
            model.objects.filter(latest_revision__user=user)
            .filter(Q(live=False) | Q(has_unpublished_changes=True))
            .select_related("latest_revision")
            .order_by("-latest_revision__created_at")[:ROWS]
        )
        rows += [(str(obj), _edit_url(obj), obj.latest_revision.created_at) for obj in drafts]
    rows.sort(key=lambda row: row[2], reverse=True)
    return rows[:ROWS]


def _returned(user) -> list[ReturnedItem]:
    """Items the user submitted that a reviewer sent back, with the reviewer's comment.

    One query for the task states, then one per kind of item (at most the workflow models).
    """
    task_states = list(
        TaskState.objects.filter(
            status=TaskState.STATUS_REJECTED,
            workflow_state__status=WorkflowState.STATUS_NEEDS_CHANGES,
            workflow_state__requested_by=user,
        )
        .select_related("workflow_state", "finished_by")
        .order_by("-finished_at", "-pk")[:ROWS]
    )
    ids_by_type = defaultdict(set)
    for task_state in task_states:
        workflow_state = task_state.workflow_state
        ids_by_type[workflow_state.base_content_type_id].add(workflow_state.object_id)
    objects = {}
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for obj in model._default_manager.filter(pk__in=ids):
            objects[(type_id, str(obj.pk))] = obj
    items = []
    for task_state in task_states:
        workflow_state = task_state.workflow_state
        obj = objects.get((workflow_state.base_content_type_id, workflow_state.object_id))
        if obj is None:
            continue
        reviewer = task_state.finished_by
        items.append(
            ReturnedItem(
                title=str(obj),
                url=_edit_url(obj),
                reviewer=(reviewer.get_full_name() or reviewer.get_username()) if reviewer else "",
                comment=task_state.comment,
                returned_at=task_state.finished_at,
            )
        )
    return items


def _incomplete() -> list[tuple[str, int, str]]:
    """Per channel: how many products miss a field it needs, linked to the filtered listing."""
    listing = reverse("wagtailsnippets_content_product:list")
    rows = []
    for key, label in channel_choices():
        count = products_incomplete_for(Product.objects.all(), key).count()
        rows.append((label, count, f"{listing}?{urlencode({'incomplete_for': key})}"))
    return rows


class EditorPanel(Component):
    """Drafts, items returned by a reviewer (with the comment), and incomplete products."""

    name = "hub_editor"
    template_name = "hub/dashboard/editor_panel.html"
    order = 90

    def __init__(self, user):
        self.user = user

    @staticmethod
    def shown_to(user) -> bool:
        return _may_change_any(user, Product, AudienceMessage)

    def get_context_data(self, parent_context=None):
        return {
            "drafts": _drafts(self.user),
            "returned": _returned(self.user),
            "incomplete": _incomplete(),
        }


CURRENT_STATES = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)


class CampaignManagerPanel(Component):
    """Scheduled and running campaigns with their progress, and the latest results."""

    name = "hub_campaigns"
    template_name = "hub/dashboard/campaigns_panel.html"
    order = 100
    finished_shown = 5

    @staticmethod
    def shown_to(user) -> bool:
        return user.has_perm("campaigns.change_campaign")

    def get_context_data(self, parent_context=None):
        current = list(
            Campaign.objects.filter(status__in=CURRENT_STATES).order_by("send_at", "pk")[:ROWS]
        )
        progress = campaigns_progress(campaign.pk for campaign in current)
        finished = list(
            Campaign.objects.filter(status=CampaignStatus.DONE).order_by("-finished_at", "-pk")[
                : self.finished_shown
            ]
        )
        totals = campaigns_totals(finished)
        return {
            "current": [(c, _edit_url(c), progress[c.pk]) for c in current],
            "finished": [(c, _edit_url(c), totals[c.pk]) for c in finished],
        }


class IntegratorPanel(Component):
    """API clients with their last use, the last failed webhook deliveries, the API docs."""

    name = "hub_integrator"
    template_name = "hub/dashboard/integrator_panel.html"
    order = 110

    def __init__(self, user):
        self.user = user

    @staticmethod
    def shown_to(user) -> bool:
        return user.has_perm("channels.view_apiclient") or user.has_perm(
            "channels.change_apiclient"
        )

    def get_context_data(self, parent_context=None):
        clients = ApiClient.objects.order_by("-is_active", "name")[:ROWS]
        failures = []
        if self.user.has_perm("channels.view_webhookdelivery"):
            last_error = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by(
                "-started_at", "-pk"
            )
            failures = (
                WebhookDelivery.objects.filter(
                    status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.ABANDONED]
                )
                .select_related("endpoint")
                .annotate(last_error=Subquery(last_error.values("error")[:1]))
                .order_by("-last_attempt_at", "-pk")[:ROWS]
            )
        return {
            "clients": [(c, reverse("apiclient:edit", args=(c.pk,))) for c in clients],
            "failures": [(d, reverse("webhookdelivery:inspect", args=(d.pk,))) for d in failures],
            "docs_url": reverse("api-v1:openapi-view"),
        }


def panels_for(user) -> list[Component]:
    panels = []
    if EditorPanel.shown_to(user):
        panels.append(EditorPanel(user))
    if CampaignManagerPanel.shown_to(user):
        panels.append(CampaignManagerPanel())
    if IntegratorPanel.shown_to(user):
        panels.append(IntegratorPanel(user))
    return panels


__all__ = ["CampaignManagerPanel", "EditorPanel", "IntegratorPanel", "panels_for"]
