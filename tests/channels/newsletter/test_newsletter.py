"""The newsletter channel as a recipient sees it: the mail the SMTP sink received."""

import dataclasses
import email
import email.policy
import re
from decimal import Decimal

import premailer
import pytest

from channels.base import (
    RECIPIENT_TOKEN,
)
from channels.newsletter import NewsletterChannel, message_id_for
from tests.factories import SCREWDRIVER_CARD, sample_recipient, sample_variant


@pytest.fixture
def channel(newsletter_sink):
    return NewsletterChannel("newsletter", {"MESSAGE_ID_DOMAIN": "news.acme.example"})


def received(sink, address):
    raw = sink.raw_by_recipient()[address]
    return email.message_from_bytes(raw, policy=email.policy.default)


def html_of(message):
    return message.get_body(("html",)).get_content()


def text_of(message):
    return message.get_body(("plain",)).get_content()


def test_subject_with_umlauts_arrives_intact(channel, mail_sink):
    channel.deliver(channel.render(sample_variant()), [sample_recipient()])

    message = received(mail_sink, "person1@example.com")

    assert message["Subject"] == "Neu: Bohrhämmer für Profis \u2013 jetzt günstiger"


def test_each_recipient_gets_their_own_greeting_and_company(channel, mail_sink):
    recipients = [sample_recipient(1), sample_recipient(2, greeting="Hallo Max,")]

    channel.deliver(channel.render(sample_variant()), recipients)

    first, second = (html_of(received(mail_sink, r.email)) for r in recipients)
    assert "Sehr geehrte Frau Dr. Weber," in first and "Firma 1 GmbH" in first
    assert "Hallo Max," in second and "Firma 2 GmbH" in second
    assert "Firma 1 GmbH" not in second


def test_the_accounts_price_is_shown_instead_of_the_list_price(channel, mail_sink):
    recipient = sample_recipient(prices={"SKU-1": Decimal("999")})

    channel.deliver(channel.render(sample_variant()), [recipient, sample_recipient(2)])

    assert "999,00 EUR" in html_of(received(mail_sink, recipient.email))
    assert "1.234,50 EUR" not in html_of(received(mail_sink, recipient.email))
    assert "1.234,50 EUR" in html_of(received(mail_sink, "person2@example.com"))


def test_html_in_a_name_arrives_as_text(channel, mail_sink):
    recipient = sample_recipient(last_name="<script>alert(1)</script>")

    channel.deliver(channel.render(sample_variant()), [recipient])

    html = html_of(received(mail_sink, recipient.email))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_template_syntax_in_editor_text_arrives_literally(channel, mail_sink):
    text = "<p>{{ 7*7 }} {% if 1 %}x{% endif %} %%HUB:greeting%%</p>"

    channel.deliver(channel.render(sample_variant(text_html=text)), [sample_recipient()])

    html = html_of(received(mail_sink, "person1@example.com"))
    assert "{{ 7*7 }} {% if 1 %}x{% endif %} %%HUB:greeting%%" in html
    assert "49" not in html


def test_every_link_is_tracked_with_the_recipients_token_and_the_pixel_is_there(channel, mail_sink):
    channel.deliver(channel.render(sample_variant()), [sample_recipient(5)])

    html = html_of(received(mail_sink, "person5@example.com"))
    links = re.findall(r'<a [^>]*href="([^"]*)"', html)
    assert links
    assert all(link.startswith("https://hub.example/") and "tok5" in link for link in links)
    assert '<img src="https://hub.example/o/tok5.gif"' in html


def test_list_unsubscribe_offers_one_click_and_mailto(channel, mail_sink):
    variant = sample_variant(mailto=f"mailto:unsubscribe+{RECIPIENT_TOKEN}@acme.example")

    channel.deliver(channel.render(variant), [sample_recipient(3)])

    message = received(mail_sink, "person3@example.com")
    assert message["List-Unsubscribe"] == (
        "<https://hub.example/u/tok3/>, <mailto:unsubscribe+tok3@acme.example>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_message_id_is_on_our_domain_and_stable_for_a_delivery(channel, mail_sink):
    rendered = channel.render(sample_variant())

    results = channel.deliver(rendered, [sample_recipient(42)])

    message = received(mail_sink, "person42@example.com")
    assert message["Message-ID"] == f"<{message_id_for(42, 'news.acme.example')}>"
    assert message["Message-ID"].endswith("@news.acme.example>")
    assert results[0].message_id == message_id_for(42, "news.acme.example")
    assert message["Feedback-ID"] == "7:de-buyer-awareness-A:newsletter:hub"


def test_recipients_without_a_delivery_row_each_get_their_own_message_id(channel, mail_sink):
    rendered = channel.render(sample_variant())
    recipients = [
        dataclasses.replace(sample_recipient(0), email=address)
        for address in ("qa1@example.com", "qa2@example.com")
    ]

    channel.deliver(rendered, recipients)
    channel.deliver(rendered, recipients[:1])

    ids = [mail.message["Message-ID"] for mail in mail_sink.received]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    assert all(message_id.endswith("@news.acme.example>") for message_id in ids)


def test_plain_text_part_has_the_greeting_and_links(channel, mail_sink):
    channel.deliver(channel.render(sample_variant()), [sample_recipient(4)])

    text = text_of(received(mail_sink, "person4@example.com"))
    assert "Sehr geehrte Frau Dr. Weber," in text
    assert re.search(r"Zum Shop\s+\(https://hub.example/c/tok4/", text)


def test_css_is_inlined_once_per_variant_not_per_recipient(channel, mail_sink, monkeypatch):
    runs = []
    original = premailer.Premailer.transform

    def counting(self, *args, **kwargs):
        runs.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(premailer.Premailer, "transform", counting)
    recipients = [sample_recipient(n) for n in range(1, 51)]

    results = channel.deliver(channel.render(sample_variant()), recipients)

    assert len(runs) == 1
    assert all(result.sent for result in results)
    html = html_of(received(mail_sink, "person50@example.com"))
    assert re.search(r'<a class="button" href="[^"]*"[^>]* style="[^"]*background-color', html)


def test_personal_products_show_for_who_viewed_some_and_not_for_others(channel, mail_sink):
    viewer = sample_recipient(1, viewed=(SCREWDRIVER_CARD,))

    channel.deliver(channel.render(sample_variant()), [viewer, sample_recipient(2)])

    assert "Akkuschrauber AS 18" in html_of(received(mail_sink, viewer.email))
    assert "Zuletzt angesehen" in html_of(received(mail_sink, viewer.email))
    assert "Zuletzt angesehen" not in html_of(received(mail_sink, "person2@example.com"))


def test_a_rejected_recipient_fails_permanently_while_the_others_are_sent(channel, mail_sink):
    mail_sink.reject("person2@example.com", 550, "No such user")
    recipients = [sample_recipient(n) for n in (1, 2, 3)]

    results = channel.deliver(channel.render(sample_variant()), recipients)

    assert [(r.delivery_id, r.sent, r.permanent) for r in results] == [
        (1, True, False),
        (2, False, True),
        (3, True, False),
    ]
    assert "550" in results[1].detail


def test_an_english_variant_has_english_prices_and_footer(channel, mail_sink):
    channel.deliver(channel.render(sample_variant(locale="en")), [sample_recipient()])

    message = received(mail_sink, "person1@example.com")
    html = html_of(message)
    assert '<html lang="en"' in html
    assert "EUR 1,234.50" in html
    assert "Unsubscribe" in html and "Abmelden" not in html
    assert message["Content-Language"] == "en"


def test_an_address_that_could_forge_headers_fails_without_being_sent(channel, mail_sink):
    forged = sample_recipient(1, email="victim@example.com\r\nBcc: all@example.com")

    results = channel.deliver(channel.render(sample_variant()), [forged, sample_recipient(2)])

    assert (results[0].sent, results[0].permanent) == (False, True)
    assert results[1].sent
    assert list(mail_sink.raw_by_recipient()) == ["person2@example.com"]


def test_the_message_is_crlf_with_short_lines_and_quoted_printable_parts(channel, mail_sink):
    channel.deliver(channel.render(sample_variant()), [sample_recipient()])

    raw = mail_sink.raw_by_recipient()["person1@example.com"]
    lines = raw.split(b"\r\n")
    message = received(mail_sink, "person1@example.com")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 78
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert {part["Content-Transfer-Encoding"] for part in message.iter_parts()} == {
        "quoted-printable"
    }
