"""Who a segment reaches: consent and suppressions, static lists and frozen snapshots."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import ConsentState, SegmentKind, SnapshotMember, Suppression, email_hash
from campaigns.selectors import segment_contacts
from campaigns.services.segments import (
    segment_add_contacts,
    segment_add_emails,
    segment_remove_contacts,
    segment_snapshot,
)
from tests.factories import ContactFactory, SegmentFactory

pytestmark = pytest.mark.django_db

BUYERS = {"op": "and", "rules": [{"field": "role", "operator": "in", "value": ["buyer"]}]}


def test_a_segment_leaves_out_contacts_without_confirmed_consent():
    consented = ContactFactory(role="buyer")
    ContactFactory(role="buyer", consent=ConsentState.PENDING)
    ContactFactory(role="buyer", consent=ConsentState.REVOKED)
    segment = SegmentFactory(rules=BUYERS)

    assert list(segment_contacts(segment)) == [consented]


def test_a_segment_leaves_out_suppressed_addresses():
    reachable = ContactFactory(role="buyer")
    bounced = ContactFactory(role="buyer")
    Suppression.objects.create(email_hash=email_hash(bounced.email), reason="hard_bounce")
    segment = SegmentFactory(rules=BUYERS)

    assert list(segment_contacts(segment)) == [reachable]


def test_include_all_keeps_unconsented_and_suppressed_contacts_for_analysis():
    consented = ContactFactory(role="buyer")
    pending = ContactFactory(role="buyer", consent=ConsentState.PENDING)
    Suppression.objects.create(email_hash=email_hash(consented.email), reason="unsubscribed")
    segment = SegmentFactory(rules=BUYERS, include_all=True)

    assert set(segment_contacts(segment)) == {consented, pending}


def test_a_static_segment_is_its_list_of_reachable_members():
    on_list = ContactFactory(role="user")
    revoked = ContactFactory(consent=ConsentState.REVOKED)
    ContactFactory(role="buyer")
    segment = SegmentFactory(kind=SegmentKind.STATIC, rules=BUYERS)

    segment_add_contacts(segment=segment, contacts=[on_list, revoked])

    assert list(segment_contacts(segment)) == [on_list]


def test_adding_contacts_twice_keeps_one_membership():
    contact = ContactFactory()
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    segment_add_contacts(segment=segment, contacts=[contact])

    added = segment_add_contacts(segment=segment, contacts=[contact.pk])

    assert added == 0
    assert segment.members.count() == 1


def test_adding_by_address_reports_unknown_addresses():
    contact = ContactFactory(email="einkauf@example.com")
    segment = SegmentFactory(kind=SegmentKind.STATIC)

    added, unknown = segment_add_emails(
        segment=segment, emails=[" Einkauf@Example.com", "niemand@example.com", ""]
    )

    assert (added, unknown) == (1, ["niemand@example.com"])
    assert list(segment_contacts(segment)) == [contact]


def test_removing_contacts_from_a_static_list():
    stays, goes = ContactFactory(), ContactFactory()
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    segment_add_contacts(segment=segment, contacts=[stays, goes])

    removed = segment_remove_contacts(segment=segment, contacts=[goes])

    assert removed == 1
    assert list(segment_contacts(segment)) == [stays]


def test_a_dynamic_segment_has_no_list_to_add_to():
    segment = SegmentFactory(kind=SegmentKind.DYNAMIC)

    with pytest.raises(ValidationError):
        segment_add_contacts(segment=segment, contacts=[ContactFactory()])

    assert segment.members.count() == 0


def test_a_snapshot_freezes_the_members_and_rules_of_the_moment(campaign_manager):
    first, second = ContactFactory(role="buyer"), ContactFactory(role="buyer")
    ContactFactory(role="user")
    segment = SegmentFactory(rules=BUYERS)

    snapshot = segment_snapshot(segment=segment, user=campaign_manager)
    ContactFactory(role="buyer")  # joins the segment, not the frozen snapshot

    assert snapshot.size == 2
    assert set(
        SnapshotMember.objects.filter(snapshot=snapshot).values_list("contact_id", flat=True)
    ) == {first.pk, second.pk}
    assert snapshot.rules == BUYERS
    assert snapshot.created_by == campaign_manager
    assert segment_contacts(segment).count() == 3


def test_a_snapshot_of_a_static_segment_freezes_its_reachable_list():
    member = ContactFactory()
    pending = ContactFactory(consent=ConsentState.PENDING)
    segment = SegmentFactory(kind=SegmentKind.STATIC)
    segment_add_contacts(segment=segment, contacts=[member, pending])

    snapshot = segment_snapshot(segment=segment)

    assert snapshot.size == 1
    assert list(snapshot.members.values_list("contact_id", flat=True)) == [member.pk]


def test_a_snapshot_of_invalid_rules_writes_nothing():
    segment = SegmentFactory(
        rules={"op": "and", "rules": [{"field": "role", "operator": "like", "value": "x"}]}
    )

    with pytest.raises(ValidationError):
        segment_snapshot(segment=segment)

    assert segment.snapshots.count() == 0
