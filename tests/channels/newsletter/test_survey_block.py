"""The survey block in a newsletter as recipients receive it: one answer link per score."""

import dataclasses
import email
import email.policy
import re

import pytest

from channels.base import RECIPIENT_TOKEN, SurveyBlock
from channels.newsletter import NewsletterChannel
from tests.factories import sample_recipient, sample_variant

NPS_BLOCK = SurveyBlock(
    question="Wie wahrscheinlich empfehlen Sie uns weiter?",
    answers=tuple(
        (score, f"https://hub.example/t/s/{RECIPIENT_TOKEN}/7.3:sig/{score}/")
        for score in range(11)
    ),
    low_label="unwahrscheinlich",
    high_label="sehr wahrscheinlich",
)


@pytest.fixture
def channel(newsletter_sink):
    return NewsletterChannel("newsletter", {"MESSAGE_ID_DOMAIN": "news.acme.example"})


@pytest.fixture
def received(channel, mail_sink):
    variant = dataclasses.replace(sample_variant(), blocks=(NPS_BLOCK,))
    channel.deliver(channel.render(variant), [sample_recipient(1), sample_recipient(2)])

    def message(address):
        raw = mail_sink.raw_by_recipient()[address]
        return email.message_from_bytes(raw, policy=email.policy.default)

    return message


def test_each_recipient_gets_answer_links_with_their_own_token_in_the_html(received):
    html_1 = received("person1@example.com").get_body(("html",)).get_content()
    html_2 = received("person2@example.com").get_body(("html",)).get_content()

    links = re.findall(r'<a [^>]*href="(https://hub.example/t/s/[^"]*)"[^>]*>(\d+)</a>', html_1)
    assert [(url, int(label)) for url, label in links] == [
        (f"https://hub.example/t/s/tok1/7.3:sig/{score}/", score) for score in range(11)
    ]
    assert "https://hub.example/t/s/tok2/7.3:sig/10/" in html_2
    assert "tok1" not in html_2
    assert "Wie wahrscheinlich empfehlen Sie uns weiter?" in html_1
    assert "10 = sehr wahrscheinlich" in html_1


def test_the_answer_links_are_not_wrapped_in_click_tracking(received):
    html = received("person1@example.com").get_body(("html",)).get_content()

    assert "https://hub.example/c/" not in html
    assert "data-hub-tracked" not in html


def test_the_plain_text_part_has_every_answer_link(received):
    text = received("person2@example.com").get_body(("plain",)).get_content()

    for score in range(11):
        assert f"{score} (https://hub.example/t/s/tok2/7.3:sig/{score}/)" in text
    assert "0 = unwahrscheinlich" in text
