"""Newsletter topics: one label per language, checked at startup, shown in the viewer's."""

import lxml.html
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from wagtail.users.models import UserProfile

from campaigns.topics import topics_check
from tests.campaigns.campaign_setup import newsletter_campaign


def topic_options(html: str) -> dict[str, str]:
    tree = lxml.html.fromstring(html)
    return {
        option.get("value"): option.text_content().strip()
        for option in tree.xpath("//select[@name='topic']/option")
    }


@pytest.mark.django_db
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
    profile = UserProfile.get_for_user(campaign_manager)
    profile.preferred_language = language
    profile.save()
    campaign = newsletter_campaign()
    client.force_login(campaign_manager)

    response = client.get(reverse("wagtailsnippets_campaigns_campaign:edit", args=(campaign.pk,)))

    options = topic_options(response.content.decode())
    assert {key: options[key] for key in expected} == expected


def test_the_shipped_topics_pass_the_startup_check():
    topics_check()  # raises for a malformed setting


@pytest.mark.parametrize(
    ("topics", "named"),
    [
        ({"products": "Produktneuheiten / Product news"}, "'products'"),
        ({"products": {"de": "Produktneuheiten"}}, "no label for en"),
        ({"products": {"de": "Produktneuheiten", "en": " "}}, "no label for en"),
        ({"": {"de": "x", "en": "y"}}, "key ''"),
        (["products"], "must map each topic key"),
    ],
)
def test_a_malformed_topic_setting_stops_the_start_naming_what_is_wrong(settings, topics, named):
    settings.HUB_NEWSLETTER_TOPICS = topics

    with pytest.raises(ImproperlyConfigured, match="HUB_NEWSLETTER_TOPICS") as raised:
        topics_check()

    assert named in str(raised.value)
