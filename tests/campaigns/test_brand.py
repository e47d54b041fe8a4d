"""The sender's brand and legal details from the site settings, where recipients see them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from wagtail.models import Site

from campaigns.models import BrandSettings, ConsentState
from campaigns.personalisation import VariantResolver, variant_key
from campaigns.services.consent import consent_opt_in
from campaigns.tracking import delivery_token
from channels.newsletter import NewsletterChannel
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import ContactFactory, DeliveryFactory, ImageFactory, sample_recipient

pytestmark = pytest.mark.django_db

IMPRINT = "https://acme.example/impressum"
PRIVACY = "https://acme.example/datenschutz"


def brand(**fields) -> BrandSettings:
    values = {
        "company_name": "ACME Werkzeuge GmbH",
        "postal_address": "Hauptstraße 1\n12345 Musterstadt",
        "imprint_url": IMPRINT,
        "privacy_url": PRIVACY,
        "sender_name": "ACME Newsletter",
        "sender_email": "news@acme.example",
        "reply_to": "service@acme.example",
        "footer_text_de": "Amtsgericht Musterstadt HRB 4711",
        "footer_text_en": "Musterstadt District Court HRB 4711",
    }
    return BrandSettings.objects.create(
        site=Site.objects.get(is_default_site=True), **{**values, **fields}
    )


def newsletter_html(language: str = "de") -> str:
    """What a recipient of the campaign's variant in ``language`` sees in the HTML part."""
    live_message(language)
    campaign = newsletter_campaign(languages=(language,))
    variant, missing = VariantResolver(campaign).resolve(variant_key(language, "", "", ""))
    assert missing == []
    channel = NewsletterChannel("newsletter", {"MESSAGE_ID_DOMAIN": "news.acme.example"})
    return channel.preview(channel.render(variant), sample_recipient())


def test_the_newsletter_footer_names_the_company_its_address_and_legal_links():
    brand()

    html = newsletter_html("de")

    assert "ACME Werkzeuge GmbH" in html
    assert "Hauptstraße 1<br>12345 Musterstadt" in html
    assert f'<a href="{IMPRINT}"' in html and ">Impressum</a>" in html
    assert f'<a href="{PRIVACY}"' in html and ">Datenschutz</a>" in html
    assert "Amtsgericht Musterstadt HRB 4711" in html


def test_the_newsletter_footer_text_is_the_one_of_the_variants_language():
    brand()

    html = newsletter_html("en")

    assert "Musterstadt District Court HRB 4711" in html
    assert "Amtsgericht" not in html
    assert ">Imprint</a>" in html


def test_a_newsletter_without_brand_settings_has_no_empty_legal_links():
    html = newsletter_html("de")

    assert "Impressum" not in html and "Datenschutz" not in html
    assert 'href=""' not in html
    assert 'class="imprint"' not in html


def test_the_double_opt_in_mail_comes_from_the_brands_sender_and_greets_like_the_newsletter(
    newsletter_sink, django_capture_on_commit_callbacks
):
    brand()
    contact = ContactFactory(
        email="erika@example.com",
        salutation="ms",
        first_name="Erika",
        last_name="Weber",
        language="de",
        consent=ConsentState.NONE,
    )

    with django_capture_on_commit_callbacks(execute=True):
        consent_opt_in(
            contact=contact,
            source="web-form",
            text_version="newsletter-2026-01",
            ip_address="203.0.113.7",
            user_agent="Firefox",
        )

    [received] = newsletter_sink.received
    message = received.message
    assert message["From"] == "ACME Newsletter <news@acme.example>"
    assert message["Reply-To"] == "service@acme.example"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Sehr geehrte Frau Weber,")
    assert "ACME Werkzeuge GmbH" in text and IMPRINT in text
    assert f'href="{IMPRINT}"' in message.get_body(("html",)).get_content()


def test_without_a_brand_sender_the_double_opt_in_mail_keeps_the_configured_sender(
    newsletter_sink, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "hub@acme.example"
    contact = ContactFactory(language="en", consent=ConsentState.NONE)

    with django_capture_on_commit_callbacks(execute=True):
        consent_opt_in(
            contact=contact, source="web-form", text_version="v1", ip_address=None, user_agent=""
        )

    [received] = newsletter_sink.received
    assert received.message["From"] == "hub@acme.example"
    assert "Reply-To" not in received.message
    assert 'href=""' not in received.message.get_body(("html",)).get_content()


def test_the_unsubscribe_page_shows_the_logo_company_and_legal_links(client):
    brand(logo=ImageFactory(title="Logo"))
    delivery = DeliveryFactory(contact=ContactFactory(language="de"))

    page = client.get(f"/t/u/{delivery_token(delivery.pk)}/").content.decode()

    assert "ACME Werkzeuge GmbH" in page
    assert re.search(r'<img src="[^"]+" alt="ACME Werkzeuge GmbH">', page)
    assert f'<a href="{IMPRINT}">' in page and f'<a href="{PRIVACY}">' in page


def test_a_public_page_without_brand_settings_renders_without_empty_links(client):
    delivery = DeliveryFactory(contact=ContactFactory(language="de"))

    response = client.get(f"/t/u/{delivery_token(delivery.pk)}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href=""' not in page
    assert 'class="brand"' not in page and 'class="legal"' not in page


def settings_url() -> str:
    site = Site.objects.get(is_default_site=True)
    return reverse("wagtailsettings:edit", args=["campaigns", "brandsettings", site.pk])


def test_a_campaign_manager_edits_the_brand_settings(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.post(
        settings_url(),
        {
            "company_name": "ACME Werkzeuge GmbH",
            "postal_address": "Hauptstraße 1\n12345 Musterstadt",
            "imprint_url": IMPRINT,
            "privacy_url": "",
            "sender_name": "ACME",
            "sender_email": "news@acme.example",
            "reply_to": "",
            "footer_text_de": "",
            "footer_text_en": "",
        },
    )

    assert response.status_code == 302
    saved = BrandSettings.objects.get()
    assert (saved.company_name, saved.imprint_url) == ("ACME Werkzeuge GmbH", IMPRINT)
    assert saved.sender == "ACME <news@acme.example>"


def test_an_editor_may_not_edit_the_brand_settings(client, editor):
    client.force_login(editor)

    response = client.get(settings_url())

    assert response.status_code in (302, 403)
    assert not BrandSettings.objects.exists()


def test_a_new_campaign_starts_with_the_brands_sender(client, campaign_manager):
    brand()
    client.force_login(campaign_manager)

    page = client.get(reverse("wagtailsnippets_campaigns_campaign:add")).content.decode()

    assert 'value="news@acme.example"' in page
    assert 'value="ACME Newsletter"' in page
    assert 'value="service@acme.example"' in page
