"""Events, orders and ignored mail feedback in the admin: read-only, facts reported by others.

Listing and inspecting only: no add, edit, copy, delete or history views exist, so the
admin cannot change what a webshop, an ERP or the tracking reported.
"""

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView

from campaigns.models import Event, GroupPrice, IgnoredFeedback, Order, email_hash
from core.viewsets import ReadOnlyViewSet


class EventFilterSet(WagtailFilterSet):
    occurred_at = django_filters.DateFromToRangeFilter(
        label=_("Occurred"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Event
        fields = ["kind", "source", "occurred_at"]


class EventInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            Event.objects.select_related("contact", "account", "campaign", "category"), pk=self.pk
        )


class EventViewSet(ReadOnlyViewSet):
    model = Event
    icon = "history"
    menu_label = _("Events")
    filterset_class = EventFilterSet
    inspect_view_class = EventInspectView
    list_display = [
        TitleColumn(
            "kind",
            label=_("What"),
            accessor="get_kind_display",
            sort_key="kind",
            url_name="event:inspect",
        ),
        DateColumn("occurred_at", label=_("Occurred"), sort_key="occurred_at"),
        Column("contact", label=_("Contact")),
        Column("sku", label=_("SKU")),
        Column("campaign", label=_("Campaign")),
        Column("source", label=_("Reported by")),
    ]
    search_fields = ["sku", "idempotency_key"]
    inspect_view_fields = [
        "kind",
        "occurred_at",
        "contact",
        "account",
        "sku",
        "category",
        "campaign",
        "value",
        "data",
        "source",
        "idempotency_key",
        "received_at",
    ]

    def get_queryset(self, request):
        return Event.objects.select_related("contact", "campaign")


class OrderFilterSet(WagtailFilterSet):
    ordered_at = django_filters.DateFromToRangeFilter(
        label=_("Ordered"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Order
        fields = ["source", "currency", "ordered_at"]


class OrderInspectView(InspectView):
    template_name = "campaigns/order_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Order.objects.select_related("contact", "account", "campaign"), pk=self.pk
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = self.object.lines.all()
        return context


class OrderViewSet(ReadOnlyViewSet):
    model = Order
    icon = "tasks"
    menu_label = _("Orders")
    filterset_class = OrderFilterSet
    inspect_view_class = OrderInspectView
    list_display = [
        TitleColumn(
            "external_id",
            label=_("Order number"),
            sort_key="external_id",
            url_name="order:inspect",
        ),
        DateColumn("ordered_at", label=_("Ordered"), sort_key="ordered_at"),
        Column("account", label=_("Account")),
        Column("contact", label=_("Contact")),
        Column("revenue", label=_("Revenue"), sort_key="revenue"),
        Column("currency", label=_("Currency")),
        Column("campaign", label=_("Campaign")),
        Column("source", label=_("Source"), accessor="get_source_display"),
    ]
    search_fields = ["external_id"]
    inspect_view_fields = [
        "external_id",
        "source",
        "ordered_at",
        "account",
        "contact",
        "campaign",
        "currency",
        "revenue",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        return Order.objects.select_related("account", "contact", "campaign")


class GroupPriceViewSet(ReadOnlyViewSet):
    """The ERP's prices per price group (``PUT /api/v1/prices``), as newsletters show them."""

    model = GroupPrice
    icon = "tag"
    menu_label = _("Price-group prices")
    list_display = [
        TitleColumn("sku", label=_("SKU"), sort_key="sku", url_name="groupprice:inspect"),
        Column("price_group", label=_("Price group"), sort_key="price_group"),
        Column("price", label=_("Price"), sort_key="price"),
        Column("currency", label=_("Currency")),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["price_group"]
    search_fields = ["sku"]
    inspect_view_fields = ["sku", "price_group", "price", "currency", "updated_at"]


class IgnoredFeedbackIndexView(IndexView):
    """A search for an address looks up its hash; a search for a topic finds its rows."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        return queryset.filter(Q(email_hash=email_hash(query)) | Q(topic_arn=query))


class IgnoredFeedbackViewSet(ReadOnlyViewSet):
    """Bounces and complaints the hub did not act on: a foreign topic, or no mail of ours.

    Addresses appear only as hashes (most are people the hub never mailed); search by the
    hash of an address to find its rows.
    """

    model = IgnoredFeedback
    icon = "warning"
    menu_label = _("Ignored bounces")
    url_prefix = "ignored-feedback"
    index_view_class = IgnoredFeedbackIndexView
    list_display = [
        TitleColumn(
            "kind",
            label=_("What"),
            accessor=lambda row: row.kind or _("notification"),
            sort_key="kind",
            url_name="ignoredfeedback:inspect",
        ),
        StatusTagColumn("reason", label=_("Reason"), accessor="get_reason_display"),
        Column(
            "email_hash",
            label=_("Address hash"),
            accessor=lambda row: row.email_hash[:16] + "..." if row.email_hash else "",
        ),
        Column("topic_arn", label=_("Topic")),
        DateColumn("received_at", label=_("Received"), sort_key="received_at"),
    ]
    list_filter = ["reason", "kind"]
    search_fields = ["email_hash", "topic_arn"]
    inspect_view_fields = [
        "reason",
        "kind",
        "permanent",
        "email_hash",
        "topic_arn",
        "notification_id",
        "index",
        "message_id",
        "provider_message_id",
        "occurred_at",
        "received_at",
    ]
