"""Newsletter topics: data campaign managers edit, a label per language, shown in the
reader's language; the keys campaigns and contacts store never change."""

import importlib

import lxml.html
import pytest
from django.apps import apps
from django.urls import reverse
from wagtail.users.models import UserProfile

from campaigns.models import NewsletterTopic
from campaigns.tracking import delivery_token
from tests.campaigns.campaign_setup import newsletter_campaign
from tests.factories import ContactFactory, DeliveryFactory
from tests.listing_queries import assert_constant_queries

pytestmark = pytest.mark.django_db

seeding = importlib.import_module("campaigns.migrations.0023_newsletter_topics")


def topic_options(html: str) -> dict[str, str]:
    tree = lxml.html.fromstring(html)
    return {
        option.get("value"): option.text_content().strip()
        for option in tree.xpath("//select[@name='topic']/option")
    }


def preference_topics(client, language: str) -> list[str]:
    contact = ContactFactory(language=language)
    response = client.get(f"/t/p/{delivery_token(DeliveryFactory(contact=contact).pk)}/")
    tree = lxml.html.fromstring(response.content.decode())
    return [label.text_content().strip() for label in tree.xpath("//fieldset[2]//label")]


def speaking(user, language: str):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def test_the_topics_of_the_settings_are_data_with_their_keys_unchanged():
    topics = {t.key: (t.label_de, t.label_en) for t in NewsletterTopic.objects.all()}

    assert topics == {
        "products": ("Produktneuheiten", "Product news"),
        "events": ("Messen und Veranstaltungen", "Trade fairs and events"),
        "offers": ("Angebote", "Offers"),
    }


def test_an_installations_own_topics_in_the_old_shape_are_kept_with_a_label_per_language(
    settings,
):
    NewsletterTopic.objects.all().delete()
    settings.HUB_NEWSLETTER_TOPICS = {"service": "Wartung und Service / Maintenance and service"}

    seeding.seed_topics(apps, None)

    [topic] = NewsletterTopic.objects.all()
    assert (topic.key, topic.label_de, topic.label_en) == (
        "service",
        "Wartung und Service",
        "Maintenance and service",
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", {"products": "Produktneuheiten", "events": "Messen und Veranstaltungen"}),
        ("en", {"products": "Product news", "events": "Trade fairs and events"}),
    ],
)
def test_the_campaign_form_shows_topics_in_the_users_language(
    client, campaign_manager, language, expected
):
    campaign = newsletter_campaign()
    client.force_login(speaking(campaign_manager, language))

    response = client.get(reverse("wagtailsnippets_campaigns_campaign:edit", args=(campaign.pk,)))

    options = topic_options(response.content.decode())
    assert {key: options[key] for key in expected} == expected


def test_the_topic_listing_shows_labels_in_the_users_language(client, campaign_manager):
    client.force_login(speaking(campaign_manager, "en"))

    response = client.get(reverse("newslettertopic:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Trade fairs and events" in page
    assert "Messen und Veranstaltungen" not in page


def test_a_campaign_manager_adds_a_topic_that_recipients_see_in_their_language(
    client, campaign_manager
):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("newslettertopic:add"),
        {
            "key": "service",
            "label_de": "Wartung und Service",
            "label_en": "Maintenance and service",
            "sort_order": "40",
        },
    )

    assert response.status_code == 302
    assert preference_topics(client, "de")[-1] == "Wartung und Service"
    assert preference_topics(client, "en")[-1] == "Maintenance and service"


def test_editing_a_topic_changes_its_labels_and_never_its_key(client, campaign_manager):
    topic = NewsletterTopic.objects.get(key="offers")
    client.force_login(campaign_manager)

    client.post(
        reverse("newslettertopic:edit", args=[topic.pk]),
        {"key": "deals", "label_de": "Aktionen", "label_en": "Deals", "sort_order": "30"},
    )

    topic.refresh_from_db()
    assert (topic.key, topic.label_de, topic.label_en) == ("offers", "Aktionen", "Deals")
    assert "Aktionen" in preference_topics(client, "de")


def test_a_topic_needs_a_label_in_every_language(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("newslettertopic:add"),
        {"key": "service", "label_de": "Wartung", "label_en": "", "sort_order": "40"},
    )

    assert response.status_code == 200
    assert not NewsletterTopic.objects.filter(key="service").exists()


def test_only_campaign_managers_keep_the_topics(client, editor):
    client.force_login(editor)

    response = client.get(reverse("newslettertopic:index"))

    assert response.status_code in (302, 403)


def test_the_topic_listing_runs_a_fixed_number_of_queries(client, campaign_manager):
    client.force_login(campaign_manager)
    made = iter(range(1000))

    def make_rows(count: int) -> None:
        for _ in range(count):
            number = next(made)
            NewsletterTopic.objects.create(
                key=f"topic-{number}", label_de=f"Thema {number}", label_en=f"Topic {number}"
            )

    assert_constant_queries(client, reverse("newslettertopic:index"), make_rows)


def test_a_topic_no_campaign_names_is_deleted(client, campaign_manager, english):
    topic = NewsletterTopic.objects.create(key="fairs-2027", label_de="Messen", label_en="Fairs")
    client.force_login(campaign_manager)

    page = client.get(reverse("newslettertopic:delete", args=[topic.pk])).content.decode()
    response = client.post(reverse("newslettertopic:delete", args=[topic.pk]))

    assert "Yes, delete" in page
    assert response.status_code == 302
    assert not NewsletterTopic.objects.filter(key="fairs-2027").exists()


def test_a_topic_a_campaign_names_cannot_be_deleted_and_the_page_says_which(
    client, campaign_manager, english
):
    topic = NewsletterTopic.objects.get(key="offers")
    campaign = newsletter_campaign(topic="offers", name="Spring offers")
    client.force_login(campaign_manager)

    page = client.get(reverse("newslettertopic:delete", args=[topic.pk])).content.decode()
    response = client.post(reverse("newslettertopic:delete", args=[topic.pk]), follow=True)

    assert "1 campaign names it" in page
    assert "Spring offers" in page
    assert reverse("wagtailsnippets_campaigns_campaign:edit", args=[campaign.pk]) in page
    assert "Yes, delete" not in page
    assert "1 campaign names it" in response.content.decode()
    assert NewsletterTopic.objects.filter(key="offers").exists()
