"""One contract test over every adapter registered in HUB_CHANNELS."""

import pytest

from channels.base import (
    REQUIRABLE_PRODUCT_FIELDS,
    DeliveryResult,
    Recipient,
    RenderedVariant,
    TransactionalMessage,
)
from channels.registry import get_channels
from tests.factories import DRILL_CARD, sample_recipient, sample_variant


def sample_recipients() -> list[Recipient]:
    return [sample_recipient(n) for n in range(1, 4)]


@pytest.fixture(params=list(get_channels()))
def channel(request):
    return get_channels()[request.param]


def test_every_adapter_says_who_it_is(channel):
    assert channel.identifier
    assert channel.name


def test_every_adapter_requires_only_known_product_fields(channel):
    fields = {field for fields in channel.required_fields.values() for field in fields}

    assert fields <= set(REQUIRABLE_PRODUCT_FIELDS)


def test_an_adapter_that_does_not_send_refuses_to_render_and_deliver(channel):
    if channel.sends:
        pytest.skip("sends")

    with pytest.raises(NotImplementedError):
        channel.render(sample_variant(message_product=DRILL_CARD))
    with pytest.raises(NotImplementedError):
        channel.deliver(
            RenderedVariant(sample_variant(message_product=DRILL_CARD)), sample_recipients()
        )


def test_an_adapter_that_sends_delivers_one_result_per_recipient_in_order(channel, newsletter_sink):
    if not channel.sends:
        pytest.skip("does not send")
    recipients = sample_recipients()

    results = channel.deliver(
        channel.render(sample_variant(message_product=DRILL_CARD)), recipients
    )

    assert [type(result) for result in results] == [DeliveryResult] * len(recipients)
    assert [result.delivery_id for result in results] == [1, 2, 3]
    assert all(result.sent for result in results)
    assert sorted(newsletter_sink.raw_by_recipient()) == [r.email for r in recipients]


def sample_message() -> TransactionalMessage:
    return TransactionalMessage(
        to="person1@example.com",
        subject="Bitte bestätigen",
        text="https://hub.example/confirm/abc",
        html='<p><a href="https://hub.example/confirm/abc">Bestätigen</a></p>',
    )


def test_an_adapter_without_transactional_messages_refuses_to_send_one(channel):
    if channel.sends_transactional:
        pytest.skip("sends transactional messages")

    with pytest.raises(NotImplementedError):
        channel.send_transactional(sample_message())


def test_an_adapter_with_transactional_messages_sends_one_to_its_addressee(
    channel, newsletter_sink
):
    if not channel.sends_transactional:
        pytest.skip("sends no transactional messages")

    result = channel.send_transactional(sample_message())

    assert isinstance(result, DeliveryResult)
    assert (result.delivery_id, result.sent) == (0, True)
    assert list(newsletter_sink.raw_by_recipient()) == ["person1@example.com"]
