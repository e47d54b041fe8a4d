"""Accounts and contacts in the admin.

Consent and the journey phase are not form fields: they change only through the services
that record their evidence, offered here as actions (record opt-in, record opt-out,
suppress, change phase). A contact is never deleted outright: "Erase (GDPR)" takes its
place, keeping the hashed suppression and anonymised events and orders.
"""

from __future__ import annotations

import json

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_countries import countries
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, StatusTagColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log

from campaigns.forms import ContactForm, EraseForm, OptInForm, OptOutForm, PhaseForm, SuppressForm
from campaigns.models import (
    Account,
    ConsentState,
    Contact,
    SegmentMember,
    Suppression,
    SuppressionReason,
)
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.consent import (
    ConsentError,
    consent_opt_in,
    consent_opt_out,
    suppression_add,
)
from campaigns.services.contacts import contact_phase_set
from campaigns.services.privacy import (
    CONTACT_FIELDS,
    audit_title,
    contact_erase,
    contact_export_data,
)
from campaigns.services.segment_state import segment_state_note_contacts
from content.taxonomy import BuyingRole, JourneyPhase
from core.spreadsheets import FormulaSafeExportMixin

RECENT_EVENTS = 20
RECENT_ORDERS = 10


def with_suppression(queryset):
    """Contacts annotated with ``is_suppressed``: one EXISTS per row, in the same query."""
    return queryset.annotate(
        is_suppressed=Exists(Suppression.objects.filter(email_hash=OuterRef("email_hash")))
    )


# --- contacts: listing ----------------------------------------------------------------------


def _distinct_account_values(field: str, label=None):
    def choices():
        values = (
            Account.objects.exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        )
        return [(value, label(value) if label else value) for value in values]

    return choices


class ContactFilterSet(WagtailFilterSet):
    role = django_filters.ChoiceFilter(label=gettext_lazy("Role"), choices=BuyingRole.choices)
    phase = django_filters.ChoiceFilter(
        label=gettext_lazy("Journey phase"), choices=JourneyPhase.choices
    )
    consent = django_filters.ChoiceFilter(
        label=gettext_lazy("Consent"), choices=ConsentState.choices
    )
    language = django_filters.ChoiceFilter(
        label=gettext_lazy("Language"), choices=Contact._meta.get_field("language").choices
    )
    account__country = django_filters.ChoiceFilter(
        label=gettext_lazy("Account country"),
        choices=_distinct_account_values(
            "country", lambda code: f"{countries.name(code) or code} ({code})"
        ),
    )
    account__industry = django_filters.ChoiceFilter(
        label=gettext_lazy("Account industry"), choices=_distinct_account_values("industry")
    )
    suppressed = django_filters.BooleanFilter(
        label=gettext_lazy("Suppressed"), method="filter_suppressed"
    )

    class Meta:
        model = Contact
        fields = [
            "role",
            "phase",
            "consent",
            "language",
            "account__country",
            "account__industry",
            "suppressed",
        ]

    def filter_suppressed(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(is_suppressed=value)


class ContactIndexView(FormulaSafeExportMixin, IndexView):
    def get_base_queryset(self):
        return with_suppression(super().get_base_queryset().select_related("account"))


# --- contacts: action views -----------------------------------------------------------------


def contact_action_buttons(request, contact: Contact) -> list[Button]:
    """The actions a user may take on a contact, for the inspect and edit pages' menus."""
    user = request.user
    can_change = user.has_perm("campaigns.change_contact")
    shown = [
        (can_change, _("Record opt-in / send confirmation"), "opt_in", "mail", 40),
        (can_change, _("Record opt-out"), "opt_out", "cross", 41),
        (
            user.has_perm("campaigns.add_suppression"),
            _("Suppress address"),
            "suppress",
            "warning",
            42,
        ),
        (can_change, _("Change journey phase"), "phase", "arrow-right", 43),
        (
            user.has_perm("campaigns.export_contact"),
            _("Export data (JSON)"),
            "export",
            "download",
            50,
        ),
        (user.has_perm("campaigns.erase_contact"), _("Erase (GDPR)"), "erase", "bin", 60),
    ]
    return [
        Button(
            label,
            url=reverse(f"contact:{name}", args=(contact.pk,)),
            icon_name=icon,
            priority=priority,
        )
        for allowed, label, name, icon, priority in shown
        if allowed
    ]


class ContactActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET shows what will happen (and a form); POST does it through a service."""

    model = Contact
    template_name = "campaigns/contacts/action.html"
    header_icon = "user"
    form_class: type[forms.Form] | None = None
    submit_label = gettext_lazy("Go")
    description = ""
    destructive = False
    http_method_names = ["get", "post"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.contact = get_object_or_404(Contact, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.contact)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("contact:index"), "label": _("Contacts")},
            {
                "url": reverse("contact:inspect", args=(self.contact.pk,)),
                "label": str(self.contact),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form(self):
        if self.form_class is None:
            return None
        data = self.request.POST if self.request.method == "POST" else None
        return self.form_class(data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            contact=self.contact,
            description=self.description,
            submit_label=self.submit_label,
            destructive=self.destructive,
            cancel_url=reverse("contact:inspect", args=(self.contact.pk,)),
        )
        context.setdefault("form", self.get_form())
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form is not None and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        return self.act(form.cleaned_data if form is not None else {})

    def act(self, data: dict):
        raise NotImplementedError

    def done(self, message: str):
        messages.success(self.request, message)
        return redirect("contact:inspect", self.contact.pk)


class ContactOptInView(ContactActionView):
    permission_required = "change"
    form_class = OptInForm
    page_title = gettext_lazy("Record opt-in")
    submit_label = gettext_lazy("Record opt-in and send confirmation")
    description = gettext_lazy(
        "Records the contact's opt-in as evidence and mails a confirmation link (double "
        "opt-in). The contact counts as consented only once they have confirmed."
    )

    def act(self, data):
        try:
            record = consent_opt_in(
                contact=self.contact,
                source=data["source"],
                text_version=data["text_version"],
                user=self.request.user,
            )
        except ConsentError as exc:
            messages.error(self.request, str(exc))
            return redirect("contact:inspect", self.contact.pk)
        if record.token_hash:
            return self.done(_("Opt-in recorded; the confirmation mail is on its way."))
        return self.done(_("Opt-in recorded. The contact had already confirmed: no mail sent."))


class ContactOptOutView(ContactActionView):
    permission_required = "change"
    form_class = OptOutForm
    page_title = gettext_lazy("Record opt-out")
    submit_label = gettext_lazy("Record opt-out")
    destructive = True
    description = gettext_lazy(
        "Records that the contact withdrew consent. Their address is suppressed "
        "(unsubscribed) and receives no marketing e-mail until they opt in again by double "
        "opt-in."
    )

    def act(self, data):
        consent_opt_out(contact=self.contact, source=data["source"], user=self.request.user)
        return self.done(_("Opt-out recorded; the address is suppressed."))


class ContactSuppressView(ContactActionView):
    form_class = SuppressForm
    page_title = gettext_lazy("Suppress address")
    submit_label = gettext_lazy("Suppress")
    destructive = True
    description = gettext_lazy(
        "The address receives no e-mail from the hub any more, whatever its consent. A "
        "suppression by hand is never lifted by an opt-in and survives erasure."
    )

    def dispatch(self, request, *args, **kwargs):
        # A permission on suppressions, not on contacts.
        if not request.user.has_perm("campaigns.add_suppression"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def act(self, data):
        suppression = suppression_add(
            email=self.contact.email, reason=SuppressionReason.MANUAL, source=data["source"]
        )
        log(
            instance=self.contact,
            action="campaigns.contact.suppress",
            user=self.request.user,
            title=audit_title(self.contact.pk),
            data={"reason": suppression.reason, "source": data["source"]},
        )
        return self.done(
            _("The address is suppressed (%(reason)s).")
            % {"reason": suppression.get_reason_display()}
        )


class ContactPhaseView(ContactActionView):
    permission_required = "change"
    form_class = PhaseForm
    page_title = gettext_lazy("Change journey phase")
    submit_label = gettext_lazy("Change phase")
    description = gettext_lazy(
        "Moves the contact to another journey phase. The change, its reason and who made it "
        "are kept in the phase history and the contact's history."
    )

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return PhaseForm(data, initial={"phase": self.contact.phase})

    def act(self, data):
        change = contact_phase_set(
            contact=self.contact, phase=data["phase"], reason=data["reason"], user=self.request.user
        )
        if change is None:
            return self.done(_("The contact is already in that phase; nothing changed."))
        return self.done(
            _("Journey phase changed to %(phase)s.") % {"phase": change.get_to_phase_display()}
        )


class ContactExportView(ContactActionView):
    permission_required = "export"
    page_title = gettext_lazy("Export personal data")
    submit_label = gettext_lazy("Download JSON")
    description = gettext_lazy(
        "Downloads everything the hub holds about this contact as one JSON file (GDPR "
        "Art. 15 and 20): contact, account, consent evidence, phase history, events, orders, "
        "lists and suppression. The export is recorded in the audit log."
    )

    def act(self, data):
        exported = contact_export_data(contact=self.contact, user=self.request.user)
        response = HttpResponse(
            json.dumps(exported, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="contact-{self.contact.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class ContactEraseView(ContactActionView):
    permission_required = "erase"
    form_class = EraseForm
    page_title = gettext_lazy("Erase contact")
    submit_label = gettext_lazy("Erase for good")
    destructive = True
    description = gettext_lazy(
        "Deletes the contact, its consent records, phase history and list memberships. "
        "Events and orders stay, without the person, so campaign figures remain true. The "
        "address stays suppressed as a hash: it will never be mailed again, even if it is "
        "imported anew. This cannot be undone."
    )

    def act(self, data):
        contact_id = self.contact.pk
        contact_erase(contact=self.contact, user=self.request.user, reason=data["reason"])
        messages.success(
            self.request,
            _("Contact #%(id)s erased. The address stays suppressed.") % {"id": contact_id},
        )
        return redirect("contact:index")


# --- contacts: inspect and edit -------------------------------------------------------------


class ContactInspectView(InspectView):
    template_name = "campaigns/contacts/inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            with_suppression(Contact.objects.select_related("account")), pk=self.pk
        )

    @cached_property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *contact_action_buttons(self.request, self.object)]

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        return "-" if value is None or value == "" else value

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = self.object
        context.update(
            suppression=Suppression.objects.filter(email_hash=contact.email_hash).first(),
            consent_records=contact.consents.select_related("recorded_by"),
            phase_changes=contact.phase_changes.select_related("rule"),
            events=contact.events.select_related("campaign", "category")[:RECENT_EVENTS],
            orders=contact.orders.prefetch_related("lines")[:RECENT_ORDERS],
            memberships=SegmentMember.objects.filter(contact=contact).select_related("segment"),
        )
        return context


class ContactCreateView(CreateView):
    def save_instance(self):
        # Saved in Wagtail's transaction: the mark commits with the contact.
        instance = super().save_instance()
        segment_state_note_contacts([instance.pk])
        placement_audience_stale_on_commit([instance.pk])
        return instance


class ContactEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *contact_action_buttons(self.request, self.object)]

    def save_instance(self):
        # Role, language, account or address may put the contact in or out of a segment.
        instance = super().save_instance()
        segment_state_note_contacts([instance.pk])
        placement_audience_stale_on_commit([instance.pk])
        return instance


def _account_label(contact: Contact) -> str:
    return contact.account.name if contact.account_id else "-"


class ContactViewSet(ModelViewSet):
    model = Contact
    url_prefix = "contacts"
    icon = "user"
    menu_label = gettext_lazy("Contacts")
    index_view_class = ContactIndexView
    inspect_view_class = ContactInspectView
    add_view_class = ContactCreateView
    edit_view_class = ContactEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_per_page = 50
    filterset_class = ContactFilterSet
    list_display = [
        "__str__",
        # Not "Account": Wagtail's German catalogue turns that into "Benutzerkonto".
        Column("account", label=gettext_lazy("Company"), accessor=_account_label),
        Column("role", label=gettext_lazy("Role"), accessor="get_role_display", sort_key="role"),
        Column(
            "phase", label=gettext_lazy("Phase"), accessor="get_phase_display", sort_key="phase"
        ),
        StatusTagColumn(
            "consent",
            label=gettext_lazy("Consent"),
            accessor="get_consent_display",
            primary=lambda contact: contact.consent == ConsentState.CONFIRMED,
            sort_key="consent",
        ),
        BooleanColumn("is_suppressed", label=gettext_lazy("Suppressed")),
        Column(
            "language",
            label=gettext_lazy("Language"),
            accessor="get_language_display",
            sort_key="language",
        ),
    ]
    list_export = [
        "email",
        "first_name",
        "last_name",
        "account",
        "role",
        "phase",
        "consent",
        "language",
        "is_suppressed",
    ]
    search_fields = ["email", "first_name", "last_name", "account__name"]
    # What the export holds about the person, with the account after the name.
    inspect_view_fields = [*CONTACT_FIELDS[:4], "account", *CONTACT_FIELDS[4:]]
    edit_handler = ObjectList(
        [
            FieldPanel("account"),
            FieldPanel("email"),
            FieldRowPanel(
                [FieldPanel("salutation"), FieldPanel("first_name"), FieldPanel("last_name")]
            ),
            FieldRowPanel([FieldPanel("language"), FieldPanel("role"), FieldPanel("timezone")]),
            MultiFieldPanel(
                [FieldPanel("crm_id"), FieldPanel("external_id")],
                heading=gettext_lazy("Ids in other systems"),
            ),
        ],
        base_form_class=ContactForm,
    )

    def get_common_view_kwargs(self, **kwargs):
        # No plain delete: erasure (with its tombstone and audit) replaces it.
        return super().get_common_view_kwargs(delete_url_name=None, **kwargs)

    def get_urlpatterns(self):
        return [
            *(pattern for pattern in super().get_urlpatterns() if pattern.name != "delete"),
            path("<int:pk>/opt-in/", ContactOptInView.as_view(), name="opt_in"),
            path("<int:pk>/opt-out/", ContactOptOutView.as_view(), name="opt_out"),
            path("<int:pk>/suppress/", ContactSuppressView.as_view(), name="suppress"),
            path("<int:pk>/phase/", ContactPhaseView.as_view(), name="phase"),
            path("<int:pk>/export/", ContactExportView.as_view(), name="export"),
            path("<int:pk>/erase/", ContactEraseView.as_view(), name="erase"),
        ]
