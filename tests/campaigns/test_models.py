"""The audience's tables keep the invariants the rest of the hub relies on."""

import pytest
from django.db import IntegrityError

from campaigns.models import Contact, email_hash
from tests.factories import ContactFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_an_address_is_stored_normalised_with_its_hash():
    contact = ContactFactory(email="  Erika.Muster@Example.COM ")

    stored = Contact.objects.get(pk=contact.pk)

    assert stored.email == "erika.muster@example.com"
    assert stored.email_hash == email_hash("ERIKA.MUSTER@example.com")


def test_two_contacts_cannot_share_an_address_in_different_case():
    ContactFactory(email="einkauf@example.com")

    with pytest.raises(IntegrityError):
        ContactFactory(email="Einkauf@Example.com")


def test_an_event_is_recorded_once_per_source_and_idempotency_key():
    first = EventFactory(source="api:1", idempotency_key="evt-1")

    with pytest.raises(IntegrityError):
        EventFactory(contact=first.contact, source="api:1", idempotency_key="evt-1")


def test_events_without_an_idempotency_key_may_repeat():
    first = EventFactory(source="tracking")

    second = EventFactory(contact=first.contact, source="tracking")

    assert second.pk != first.pk
