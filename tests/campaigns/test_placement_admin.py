"""Webshop placements in the admin: created with default content per language, approved
through the "Campaign approval" workflow before they are live, and guarded like catalogues."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Locale
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from campaigns.models import Placement, PlacementDefault
from tests.admin_flow import outcome

pytestmark = pytest.mark.django_db

NAMESPACE = "wagtailsnippets_campaigns_placement"


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args or None)


def teaser(headline: str) -> list:
    return [
        (
            "teaser",
            {"headline": headline, "text": "", "image": "", "link_url": "", "cta_label": ""},
        )
    ]


def placement_post(*, defaults=(), **fields) -> dict:
    data = {
        "key": "home.hero",
        "channel": "webshop",
        "name": "Startseite oben",
        "description": "Volle Breite, 1200 x 400",
        "defaults": inline_formset(
            [
                {"locale": Locale.objects.get(language_code=code).pk, "body": streamfield(body)}
                for code, body in defaults
            ]
        ),
    }
    data.update(fields)
    return nested_form_data(data)


def test_a_placement_is_live_only_after_both_approvers_approve_it(
    client, campaign_manager, marketing_approver, legal_reviewer
):
    client.force_login(campaign_manager)
    response = client.post(
        url("add"),
        {
            **placement_post(
                defaults=[("de", teaser("Neu im Sortiment")), ("en", teaser("New in the range"))]
            ),
            "action-submit": "action-submit",
        },
    )
    assert response.status_code == 302
    placement = Placement.objects.get(key="home.hero")
    submitted_live = placement.live

    for approver in (marketing_approver, legal_reviewer):
        client.force_login(approver)
        task_state = Placement.objects.get(pk=placement.pk).current_workflow_task_state
        client.post(url("workflow_action", placement.pk, "approve", task_state.pk))

    approved = Placement.objects.get(pk=placement.pk)
    assert submitted_live is False
    assert (approved.live, approved.is_approved) == (True, True)
    headlines = {
        row.locale.language_code: row.body[0].value["headline"]
        for row in PlacementDefault.objects.filter(placement=approved)
    }
    assert headlines == {"de": "Neu im Sortiment", "en": "New in the range"}


def test_after_the_first_approval_the_placement_is_not_live_yet(
    client, campaign_manager, marketing_approver
):
    client.force_login(campaign_manager)
    client.post(
        url("add"),
        {**placement_post(defaults=[("de", teaser("Neu"))]), "action-submit": "action-submit"},
    )
    placement = Placement.objects.get(key="home.hero")
    client.force_login(marketing_approver)
    task_state = placement.current_workflow_task_state

    client.post(url("workflow_action", placement.pk, "approve", task_state.pk))

    assert Placement.objects.get(pk=placement.pk).live is False


@pytest.mark.parametrize("view", ["list", "add"])
def test_editors_may_not_see_or_add_placements(client, editor, view):
    client.force_login(editor)

    response = client.get(url(view))

    assert outcome(response) == "denied"


def test_editors_may_not_edit_a_placement(client, editor):
    placement = Placement.objects.create(
        key="cart.upsell", channel="webshop", name="Warenkorb", live=False
    )
    client.force_login(editor)

    response = client.post(url("edit", placement.pk), placement_post(name="Geändert"))

    assert outcome(response) == "denied"
    assert Placement.objects.get(pk=placement.pk).name == "Warenkorb"


def test_a_bad_slot_name_is_an_error_on_the_slot_field(client, campaign_manager, english):
    client.force_login(campaign_manager)

    response = client.post(url("add"), placement_post(key="Home Hero"))

    assert response.status_code == 200
    assert response.context["form"].errors["key"] == [
        "“Home Hero” is not a slot name: lower-case letters, digits and underscores, in parts "
        "separated by dots, each starting with a letter (e.g. home.hero)."
    ]
    assert not Placement.objects.exists()


def test_only_serving_channels_are_offered(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(url("add"), placement_post(channel="newsletter"))

    assert response.status_code == 200
    assert "channel" in response.context["form"].errors
    assert [key for key, _name in response.context["form"].fields["channel"].choices] == ["webshop"]


def test_one_default_per_language(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        url("add"), placement_post(defaults=[("de", teaser("Eins")), ("de", teaser("Zwei"))])
    )

    assert response.status_code == 200
    assert response.context["form"].formsets["defaults"].non_form_errors()
    assert not Placement.objects.exists()


def test_the_list_shows_slot_channel_name_and_status(client, campaign_manager):
    Placement.objects.create(key="cart.upsell", channel="webshop", name="Warenkorb", live=False)
    client.force_login(campaign_manager)

    page = client.get(url("list")).content.decode()

    assert "cart.upsell" in page
    assert "Webshop" in page
    assert "Warenkorb" in page
    # The test users' admin speaks German (Wagtail's "Draft").
    assert "Entwurf" in page


def test_a_slot_exists_once_per_channel(client, campaign_manager, english):
    Placement.objects.create(key="home.hero", channel="webshop", name="Bühne", live=False)
    client.force_login(campaign_manager)

    response = client.post(url("add"), placement_post())

    assert response.status_code == 200
    assert response.context["form"].errors["key"] == ["The channel has a slot “home.hero” already."]
    assert Placement.objects.count() == 1
