"""Accounts in the admin: the list with contact counts, and an account's contacts and orders."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView, EditView, IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import Account, Order
from campaigns.segments.bitmaps import ACCOUNT_ATTRIBUTES
from campaigns.services.segment_state import segment_state_note_accounts
from core.spreadsheets import FormulaSafeExportMixin

from .contacts import RECENT_ORDERS, with_suppression

ACCOUNT_CONTACTS_SHOWN = 100


class AccountIndexView(FormulaSafeExportMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(contact_count=Count("contacts"))


class AccountInspectView(InspectView):
    template_name = "campaigns/contacts/account_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contacts = with_suppression(self.object.contacts.all())
        context.update(
            contacts=contacts[:ACCOUNT_CONTACTS_SHOWN],
            contact_count=contacts.count(),
            contacts_url=reverse("contact:index"),
            orders=Order.objects.filter(account=self.object)[:RECENT_ORDERS],
        )
        return context


class AccountEditView(EditView):
    def save_instance(self):
        # Industry, country, size and price group are in the account's contacts' segments.
        instance = super().save_instance()
        if set(self.form.changed_data) & set(ACCOUNT_ATTRIBUTES):
            segment_state_note_accounts([instance.pk])
        return instance


class AccountDeleteView(DeleteView):
    def delete_action(self):
        # Its contacts lose the account's fields: marked before they lose the account too.
        with transaction.atomic():
            segment_state_note_accounts([self.object.pk])
            super().delete_action()


class AccountViewSet(ModelViewSet):
    model = Account
    # "/admin/account/" is Wagtail's own page for the user's account settings.
    url_prefix = "accounts"
    icon = "group"
    menu_label = gettext_lazy("Accounts")
    index_view_class = AccountIndexView
    inspect_view_class = AccountInspectView
    edit_view_class = AccountEditView
    delete_view_class = AccountDeleteView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_per_page = 50
    list_display = [
        "__str__",
        "industry",
        "country",
        "size_class",
        "price_group",
        Column("contact_count", label=gettext_lazy("Contacts"), sort_key="contact_count"),
    ]
    list_filter = ["industry", "country", "size_class", "price_group"]
    form_fields = [
        "name",
        "customer_number",
        "erp_id",
        "crm_id",
        "industry",
        "country",
        "size_class",
        "price_group",
    ]
    list_export = [*form_fields, "contact_count"]
    search_fields = ["name", "customer_number", "erp_id", "crm_id"]
