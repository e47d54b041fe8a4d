"""A campaign's admin by its state: planning may edit, a scheduled campaign is only steered.

While a campaign is planned (draft, in approval, approved) its editor offers what fits:
previews and test sends, and "Schedule" as the primary action once it is approved. From
scheduling on, what is sent is fixed: the editor leads to the progress (or, once finished,
the results) page, where only pause, resume and cancel remain, and deleting is refused. Both
are refused on the server, for a hand-made POST as for the admin's buttons.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.views.snippets import EditView, IndexView, UnpublishView

from campaigns.models import Campaign, CampaignStatus
from campaigns.viewsets.actions import HeaderActionsMixin

URL_NAMESPACE = "wagtailsnippets_campaigns_campaign"
FINISHED_STATES = (CampaignStatus.DONE, CampaignStatus.CANCELLED)


def campaign_state_url(campaign: Campaign) -> str:
    """Where a campaign that can no longer be edited is watched: progress, or its results."""
    name = "results" if campaign.status in FINISHED_STATES else "progress"
    return reverse(f"{URL_NAMESPACE}:{name}", args=(campaign.pk,))


def campaign_home_url(campaign: Campaign) -> str:
    """The campaign's own page in the admin: its editor while planned, else its state page."""
    if campaign.content_locked:
        return campaign_state_url(campaign)
    return reverse(f"{URL_NAMESPACE}:edit", args=(campaign.pk,))


def locked_message(campaign: Campaign) -> str:
    return _(
        "“%(name)s” is %(status)s: its content cannot be changed or deleted any more; "
        "it can only be paused, resumed or cancelled."
    ) % {"name": campaign.name, "status": campaign.get_status_display().lower()}


class LockedCampaignMixin:
    """For a snippet view that changes the campaign (``self.object``, set in ``setup``):
    once it is scheduled, a GET leads to its progress with the reason, and a POST is refused."""

    def dispatch(self, request, *args, **kwargs):
        if self.object.content_locked:
            if request.method not in ("GET", "HEAD"):
                raise PermissionDenied(locked_message(self.object))
            messages.warning(request, locked_message(self.object))
            return redirect(campaign_state_url(self.object))
        return super().dispatch(request, *args, **kwargs)


class CampaignIndexView(IndexView):
    """The listing offers no "Delete" for a campaign whose content is locked."""

    def get_delete_url(self, instance):
        if instance.content_locked:
            return None
        return super().get_delete_url(instance)


class CampaignUnpublishView(LockedCampaignMixin, UnpublishView):
    """Unpublishing would take back the approval of what is being sent."""


class CampaignEditView(LockedCampaignMixin, HeaderActionsMixin, EditView):
    """The snippet editor while the campaign is planned, with the actions of its state.

    Wagtail builds the revisions' "revert" view on this class: it is locked alike.
    """

    ACTIONS = [
        ("preview_variants", gettext_lazy("Preview variants"), "view", "view_campaign"),
        ("test_send", gettext_lazy("Send a test"), "mail", "send_test_campaign"),
        ("schedule", gettext_lazy("Schedule"), "calendar", "schedule_campaign"),
    ]
    URL_NAMESPACE = URL_NAMESPACE

    @property
    def can_schedule(self) -> bool:
        return self.object.status == CampaignStatus.APPROVED and self.request.user.has_perm(
            "campaigns.schedule_campaign"
        )

    def action_shown(self, name: str) -> bool:
        # An approved campaign has "Schedule" as its primary button instead.
        return not (name == "schedule" and self.can_schedule)

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.can_schedule:
            buttons.append(
                HeaderButton(
                    _("Schedule"),
                    url=reverse(f"{URL_NAMESPACE}:schedule", args=(self.object.pk,)),
                    icon_name="calendar",
                    attrs={"data-primary-action": "schedule"},
                )
            )
        return buttons


def refuse_deleting_locked_campaigns(request, instances):
    """``before_delete_snippet``: a scheduled campaign is never deleted, alone or in bulk.

    Wagtail runs this hook before its delete views do anything, for GET and POST alike: the
    user is sent back with the reason instead.
    """
    locked = [obj for obj in instances if isinstance(obj, Campaign) and obj.content_locked]
    if not locked:
        return None
    for campaign in locked:
        messages.error(request, locked_message(campaign))
    if len(instances) == 1:
        return redirect(campaign_state_url(locked[0]))
    return redirect(f"{URL_NAMESPACE}:list")
