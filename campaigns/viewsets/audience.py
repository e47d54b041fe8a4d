"""Accounts and contacts in the admin."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import Account, Contact


class AccountViewSet(ModelViewSet):
    model = Account
    icon = "group"
    menu_label = _("Accounts")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["name", "customer_number", "industry", "country", "size_class", "price_group"]
    list_filter = ["industry", "country", "size_class", "price_group"]
    search_fields = ["name", "customer_number", "erp_id", "crm_id"]
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


class ContactViewSet(ModelViewSet):
    model = Contact
    icon = "user"
    menu_label = _("Contacts")
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["__str__", "account", "role", "phase", "consent", "language"]
    list_filter = ["role", "phase", "consent", "language"]
    search_fields = ["email", "first_name", "last_name"]
    form_fields = [
        "account",
        "email",
        "salutation",
        "first_name",
        "last_name",
        "language",
        "role",
        "timezone",
        "crm_id",
        "external_id",
    ]
