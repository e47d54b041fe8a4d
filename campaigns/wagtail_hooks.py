"""Admin registration for the audience: one menu group, viewsets from ``campaigns.viewsets``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet

from .measurement.programme_views import (
    PROGRAMME_PERMISSION,
    ProgrammePanel,
    ProgrammeReportView,
)
from .measurement.views import JOURNEY_PERMISSIONS, JourneyReportView
from .viewsets.accounts import AccountViewSet
from .viewsets.activity import (
    EventViewSet,
    GroupPriceViewSet,
    IgnoredFeedbackViewSet,
    OrderViewSet,
)
from .viewsets.campaign_lifecycle import refuse_deleting_locked_campaigns
from .viewsets.campaigns import CampaignViewSet
from .viewsets.catalogues import CatalogueViewSet
from .viewsets.contacts import ContactViewSet
from .viewsets.feeds import FeedViewSet
from .viewsets.imports import ImportJobViewSet
from .viewsets.journey import JourneyRuleViewSet
from .viewsets.placements import PlacementViewSet
from .viewsets.segments import SegmentViewSet
from .viewsets.suppressions import SuppressionViewSet
from .viewsets.surveys import SurveyViewSet
from .viewsets.sync import SyncStateViewSet
from .viewsets.topics import NewsletterTopicViewSet
from .viewsets.tracking import MachineRuleViewSet, TrackingHitViewSet

hooks.register("before_delete_snippet", refuse_deleting_locked_campaigns)

AUDIENCE_VIEWSETS = [
    AccountViewSet,
    ContactViewSet,
    SuppressionViewSet,
    NewsletterTopicViewSet,
    IgnoredFeedbackViewSet,
    SegmentViewSet,
    JourneyRuleViewSet,
    MachineRuleViewSet,
    EventViewSet,
    OrderViewSet,
    TrackingHitViewSet,
    GroupPriceViewSet,
    ImportJobViewSet,
    SyncStateViewSet,
]


class AudienceViewSetGroup(ViewSetGroup):
    items = AUDIENCE_VIEWSETS
    menu_icon = "group"
    menu_label = _("Audience")
    menu_name = "audience"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_audience_viewsets():
    return AudienceViewSetGroup()


register_snippet(CampaignViewSet)
register_snippet(SurveyViewSet)
register_snippet(FeedViewSet)
register_snippet(CatalogueViewSet)
register_snippet(PlacementViewSet)


@hooks.register("register_admin_urls")
def register_measurement_urls():
    return [
        path(
            "reports/customer-journey/",
            JourneyReportView.as_view(),
            name="campaigns_journey_report",
        ),
        path(
            "reports/campaign-programme/",
            ProgrammeReportView.as_view(),
            name="campaigns_programme_report",
        ),
    ]


class PermittedMenuItem(MenuItem):
    """A menu item shown to users who hold all of ``permissions``."""

    def __init__(self, *args, permissions: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.permissions = permissions

    def is_shown(self, request):
        return request.user.has_perms(self.permissions)


@hooks.register("register_reports_menu_item")
def register_journey_report_menu_item():
    return PermittedMenuItem(
        _("Customer journey"),
        reverse("campaigns_journey_report"),
        name="customer-journey",
        icon_name="resubmit",
        order=900,
        permissions=JOURNEY_PERMISSIONS,
    )


@hooks.register("register_reports_menu_item")
def register_programme_report_menu_item():
    return PermittedMenuItem(
        _("Campaign programme"),
        reverse("campaigns_programme_report"),
        name="campaign-programme",
        icon_name="doc-full",
        order=800,
        permissions=(PROGRAMME_PERMISSION,),
    )


@hooks.register("construct_homepage_panels")
def add_programme_panel(request, panels):
    if request.user.has_perm(PROGRAMME_PERMISSION):
        panels.append(ProgrammePanel())


@hooks.register("register_log_actions")
def register_campaign_log_actions(actions):
    actions.register_action("campaigns.campaign.schedule", _("Schedule"), _("Campaign scheduled"))
    actions.register_action("campaigns.campaign.pause", _("Pause"), _("Campaign paused"))
    actions.register_action("campaigns.campaign.resume", _("Resume"), _("Campaign resumed"))
    actions.register_action("campaigns.campaign.cancel", _("Cancel"), _("Campaign cancelled"))
    actions.register_action("campaigns.campaign.test_send", _("Test send"), _("Test sent"))


@hooks.register("register_log_actions")
def register_contact_log_actions(actions):
    # Titles are "Contact #<id>", never the address: these entries outlive an erasure.
    actions.register_action(
        "campaigns.contact.export", _("Export personal data"), _("Personal data exported (GDPR)")
    )
    actions.register_action(
        "campaigns.contact.erase", _("Erase personal data"), _("Contact erased (GDPR)")
    )
    actions.register_action(
        "campaigns.contact.phase", _("Change journey phase"), _("Journey phase changed by hand")
    )
    actions.register_action(
        "campaigns.contact.suppress", _("Suppress address"), _("Address suppressed by hand")
    )


@hooks.register("register_log_actions")
def register_feed_log_actions(actions):
    actions.register_action("campaigns.feed.generate", _("Generate"), _("Feed generation queued"))
    actions.register_action("campaigns.feed.new_url", _("New secret URL"), _("Feed URL renewed"))


@hooks.register("register_log_actions")
def register_catalogue_log_actions(actions):
    actions.register_action(
        "campaigns.catalogue.generate", _("Generate"), _("Catalogue generation queued")
    )


def _catalogue_reference_changed(request, instance) -> None:
    # A category renamed or moved, or an ETIM feature's type changed, alters how products
    # read in every feed (paths, selections, typed values): the feeds are due again.
    from content.selectors import catalogue_reference_models

    from .feeds.triggers import feeds_mark_changed

    instances = instance if isinstance(instance, list | tuple) else [instance]
    if any(isinstance(item, catalogue_reference_models()) for item in instances):
        feeds_mark_changed()


for _hook in ("after_create_snippet", "after_edit_snippet", "after_delete_snippet"):
    hooks.register(_hook, _catalogue_reference_changed)
