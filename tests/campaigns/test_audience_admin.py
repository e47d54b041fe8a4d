"""The admin for accounts and contacts: who may do what, what the pages show, the actions."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    PhaseChange,
    Suppression,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import suppression_add
from tests.admin_flow import outcome, unchanged
from tests.factories import AccountFactory, ContactFactory, EventFactory, OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CONTACT_VIEWS = [
    "inspect",
    "edit",
    "history",
    "opt_in",
    "opt_out",
    "suppress",
    "phase",
    "export",
    "erase",
]
ACCOUNT_VIEWS = ["inspect", "edit", "delete", "history"]


@pytest.fixture
def contact():
    return ContactFactory(email="erika@example.com", first_name="Erika", last_name="Muster")


def contact_urls(contact):
    return [reverse("contact:index"), reverse("contact:add")] + [
        reverse(f"contact:{name}", args=(contact.pk,)) for name in CONTACT_VIEWS
    ]


def account_urls(account):
    return [reverse("account:index"), reverse("account:add")] + [
        reverse(f"account:{name}", args=(account.pk,)) for name in ACCOUNT_VIEWS
    ]


def test_campaign_managers_open_every_contact_and_account_page(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    outcomes = {
        url: outcome(client.get(url))
        for url in contact_urls(contact) + account_urls(contact.account)
    }

    assert set(outcomes.values()) == {"ok"}, outcomes


@pytest.mark.parametrize("who", ["editor", "integrator"])
def test_other_groups_open_no_contact_or_account_page(client, request, who, contact):
    client.force_login(request.getfixturevalue(who))

    outcomes = {
        url: outcome(client.get(url))
        for url in contact_urls(contact) + account_urls(contact.account)
    }

    assert set(outcomes.values()) == {"denied"}, outcomes


@pytest.mark.parametrize("action", ["opt_in", "opt_out", "suppress", "phase", "export", "erase"])
def test_editors_cannot_post_contact_actions(client, editor, contact, action):
    client.force_login(editor)

    with unchanged(contact, Contact, ConsentRecord, Suppression):
        response = client.post(
            reverse(f"contact:{action}", args=(contact.pk,)),
            {
                "text_version": "v1",
                "source": "admin",
                "phase": "loyalty",
                "reason": "x",
                "confirm": "on",
            },
        )

    assert outcome(response) == "denied"
    assert Contact.objects.filter(
        pk=contact.pk, consent=ConsentState.CONFIRMED, phase="awareness"
    ).exists()
    assert not Suppression.objects.exists()


def test_anonymous_users_are_sent_to_the_login(client, contact):
    response = client.get(reverse("contact:inspect", args=(contact.pk,)))

    assert outcome(response) == "login"


def test_contacts_cannot_be_deleted_outright_only_erased(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    page = client.get(reverse("contact:inspect", args=(contact.pk,))).content.decode()

    with pytest.raises(NoReverseMatch):
        reverse("contact:delete", args=(contact.pk,))
    assert reverse("contact:erase", args=(contact.pk,)) in page


def test_the_contact_listing_shows_account_role_phase_consent_and_suppression(
    client, campaign_manager, contact
):
    suppression_add(email=contact.email, reason=SuppressionReason.HARD_BOUNCE, source="ses")
    client.force_login(campaign_manager)

    page = client.get(reverse("contact:index")).content.decode()

    assert "erika@example.com" in page
    assert contact.account.name in page
    assert "Buyer / recommender" in page or "Einkäufer" in page or "buyer" in page.lower()
    assert "Confirmed (double opt-in)" in page
    assert response_row_suppressed(client, contact)


def response_row_suppressed(client, contact) -> bool:
    response = client.get(reverse("contact:index"), {"suppressed": "true"})
    return [row.pk for row in response.context["object_list"]] == [contact.pk]


def test_the_listing_filters_by_consent_country_and_suppression(client, campaign_manager):
    german = ContactFactory(account=AccountFactory(country="DE"))
    austrian = ContactFactory(account=AccountFactory(country="AT"), consent=ConsentState.PENDING)
    suppression_add(email=austrian.email, reason=SuppressionReason.COMPLAINT, source="ses")
    client.force_login(campaign_manager)

    def listed(**params):
        response = client.get(reverse("contact:index"), params)
        return {contact.pk for contact in response.context["object_list"]}

    assert listed(consent="pending") == {austrian.pk}
    assert listed(account__country="DE") == {german.pk}
    assert listed(suppressed="false") == {german.pk}
    assert listed(suppressed="true") == {austrian.pk}


def test_the_listing_searches_the_account_name(client, campaign_manager):
    wanted = ContactFactory(account=AccountFactory(name="Hydraulik Nord GmbH"))
    ContactFactory()
    client.force_login(campaign_manager)

    response = client.get(reverse("contact:index"), {"q": "Hydraulik"})

    assert [contact.pk for contact in response.context["object_list"]] == [wanted.pk]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_contact_listing_query_count_does_not_grow_with_rows(client, campaign_manager):
    ContactFactory.create_batch(3)
    client.force_login(campaign_manager)
    few = count_queries(client, reverse("contact:index"))

    ContactFactory.create_batch(20)
    many = count_queries(client, reverse("contact:index"))

    assert many == few


def test_the_account_listing_counts_contacts_without_a_query_per_row(client, campaign_manager):
    account = AccountFactory(name="Alpha Antriebe")
    ContactFactory.create_batch(3, account=account)
    client.force_login(campaign_manager)
    few = count_queries(client, reverse("account:index"))

    for _ in range(10):
        ContactFactory(account=AccountFactory())
    many = count_queries(client, reverse("account:index"))

    response = client.get(reverse("account:index"), {"q": "Alpha"})
    assert response.context["object_list"][0].contact_count == 3
    assert many == few


def test_the_account_page_lists_its_contacts(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    page = client.get(reverse("account:inspect", args=(contact.account.pk,))).content.decode()

    assert reverse("contact:inspect", args=(contact.pk,)) in page
    assert "erika@example.com" in page


def test_the_contact_page_shows_consent_evidence_history_events_and_orders(
    client, campaign_manager, contact
):
    ConsentRecord.objects.create(
        contact=contact,
        kind=ConsentKind.OPT_IN,
        source="trade-fair",
        text_version="fair-2026",
        ip_address="203.0.113.7",
    )
    PhaseChange.objects.create(
        contact=contact, to_phase="awareness", reason="first contact at fair"
    )
    EventFactory(contact=contact, sku="SKU-4711")
    OrderFactory(contact=contact, external_id="ORDER-0815")
    client.force_login(campaign_manager)

    page = client.get(reverse("contact:inspect", args=(contact.pk,))).content.decode()

    for shown in ("fair-2026", "203.0.113.7", "first contact at fair", "SKU-4711", "ORDER-0815"):
        assert shown in page


def test_consent_and_phase_are_not_editable_in_the_form(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    form = client.get(reverse("contact:edit", args=(contact.pk,))).context["form"]

    assert "consent" not in form.fields
    assert "phase" not in form.fields


def test_a_second_contact_with_the_same_address_in_other_case_is_refused(
    client, campaign_manager, contact
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("contact:add"), {"email": "ERIKA@example.com", "language": "de", "salutation": ""}
    )

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Contact.objects.count() == 1


def test_recording_an_opt_in_in_the_admin_mails_the_link(
    client, campaign_manager, django_capture_on_commit_callbacks, newsletter_sink
):
    prospect = ContactFactory(consent=ConsentState.NONE)
    client.force_login(campaign_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contact:opt_in", args=(prospect.pk,)),
            {"text_version": "phone-2026", "source": "phone"},
        )

    assert outcome(response) == "redirect"
    record = ConsentRecord.objects.get(contact=prospect)
    assert (record.source, record.text_version, record.recorded_by) == (
        "phone",
        "phone-2026",
        campaign_manager,
    )
    assert Contact.objects.get(pk=prospect.pk).consent == ConsentState.PENDING
    [received] = newsletter_sink.received
    assert received.recipients == (prospect.email,)
    body = received.message.get_body(("plain",)).get_content()
    assert re.search(r"/consent/confirm/\S+/", body)


def test_an_opt_in_form_without_text_version_records_nothing(client, campaign_manager):
    prospect = ContactFactory(consent=ConsentState.NONE)
    client.force_login(campaign_manager)

    response = client.post(reverse("contact:opt_in", args=(prospect.pk,)), {"source": "phone"})

    assert response.status_code == 200
    assert "text_version" in response.context["form"].errors
    assert not ConsentRecord.objects.exists()


def test_opening_an_action_page_changes_nothing(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    for action in ("opt_out", "suppress", "export", "erase"):
        client.get(reverse(f"contact:{action}", args=(contact.pk,)))

    assert Contact.objects.get(pk=contact.pk).consent == ConsentState.CONFIRMED
    assert not Suppression.objects.exists()
    assert not ModelLogEntry.objects.filter(action__startswith="campaigns.").exists()


def test_recording_an_opt_out_in_the_admin_suppresses(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    client.post(reverse("contact:opt_out", args=(contact.pk,)), {"source": "phone"})

    assert Contact.objects.get(pk=contact.pk).consent == ConsentState.REVOKED
    assert ConsentRecord.objects.get(kind=ConsentKind.OPT_OUT).recorded_by == campaign_manager
    assert Suppression.objects.get().reason == SuppressionReason.UNSUBSCRIBED


def test_suppressing_by_hand_is_audited(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    client.post(reverse("contact:suppress", args=(contact.pk,)), {"source": "legal"})

    assert Suppression.objects.get().reason == SuppressionReason.MANUAL
    entry = ModelLogEntry.objects.get(action="campaigns.contact.suppress")
    assert (entry.user, entry.label) == (campaign_manager, f"Contact #{contact.pk}")


def test_a_phase_change_by_hand_records_reason_and_user(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    client.post(
        reverse("contact:phase", args=(contact.pk,)),
        {"phase": "consideration", "reason": "asked for a quote"},
    )

    change = PhaseChange.objects.get(contact=contact)
    assert (change.from_phase, change.to_phase, change.reason) == (
        "awareness",
        "consideration",
        "asked for a quote",
    )
    assert Contact.objects.get(pk=contact.pk).phase == "consideration"
    assert ModelLogEntry.objects.get(action="campaigns.contact.phase").user == campaign_manager


def test_export_downloads_json_and_is_audited(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    response = client.post(reverse("contact:export", args=(contact.pk,)))

    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["contact"]["email"] == "erika@example.com"
    assert ModelLogEntry.objects.get(action="campaigns.contact.export").user == campaign_manager


def test_erase_needs_a_reason_and_a_tick(client, campaign_manager, contact):
    client.force_login(campaign_manager)

    response = client.post(reverse("contact:erase", args=(contact.pk,)), {"reason": "Ticket 1"})

    assert response.status_code == 200
    assert "confirm" in response.context["form"].errors
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_erase_from_the_admin_keeps_the_tombstone_and_returns_to_the_listing(
    client, campaign_manager, contact
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("contact:erase", args=(contact.pk,)), {"reason": "Ticket 1", "confirm": "on"}
    )

    assert response.url == reverse("contact:index")
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert Suppression.objects.get(email_hash=contact.email_hash).source == "erasure"
    assert ModelLogEntry.objects.get(action="campaigns.contact.erase").user == campaign_manager


def test_the_site_history_shows_the_erasure_without_the_address(client, campaign_manager, contact):
    client.force_login(campaign_manager)
    client.post(
        reverse("contact:erase", args=(contact.pk,)), {"reason": "Ticket 1", "confirm": "on"}
    )
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)

    page = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()

    assert f"Contact #{contact.pk}" in page
    assert "erika@example.com" not in page


def test_campaign_managers_suppress_an_address_that_is_no_contact(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("suppression:add"),
        {"email": " Nie.Wieder@Example.com", "reason": "manual", "source": "letter"},
    )

    assert response.url == reverse("suppression:index")
    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash("nie.wieder@example.com")
    assert (suppression.reason, suppression.source) == ("manual", "letter")
    assert "example.com" not in ModelLogEntry.objects.get(action="wagtail.create").label


def test_the_suppression_list_finds_an_address_by_its_hash(client, campaign_manager):
    suppression_add(email="a@example.com", reason=SuppressionReason.COMPLAINT, source="ses")
    suppression_add(email="b@example.com", reason=SuppressionReason.HARD_BOUNCE, source="ses")
    client.force_login(campaign_manager)

    response = client.get(reverse("suppression:index"), {"q": "A@Example.com"})

    assert [row.reason for row in response.context["object_list"]] == ["complaint"]


def test_campaign_managers_cannot_lift_a_suppression(client, campaign_manager):
    suppression = suppression_add(email="a@example.com", reason="complaint", source="ses")
    client.force_login(campaign_manager)

    with unchanged(suppression, Suppression):
        response = client.post(reverse("suppression:delete", args=(suppression.pk,)))

    assert outcome(response) == "denied"
    assert Suppression.objects.exists()


@pytest.mark.parametrize("who", ["editor", "integrator"])
def test_other_groups_see_no_suppression(client, request, who):
    client.force_login(request.getfixturevalue(who))

    outcomes = {
        outcome(client.get(reverse("suppression:index"))),
        outcome(client.get(reverse("suppression:add"))),
        outcome(
            client.post(
                reverse("suppression:add"),
                {"email": "x@example.com", "reason": "manual", "source": "x"},
            )
        ),
    }

    assert outcomes == {"denied"}
    assert not Suppression.objects.exists()
