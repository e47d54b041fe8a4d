"""One contract test over every adapter registered in HUB_CHANNELS."""

from decimal import Decimal
from urllib.parse import quote

import pytest

from channels.base import (
    PRODUCT_FIELDS,
    RECIPIENT_TOKEN,
    CallToActionBlock,
    DeliveryResult,
    HeroBlock,
    MessageBlock,
    PersonalProductsBlock,
    ProductCard,
    ProductGridBlock,
    Recipient,
    RenderedVariant,
    TextBlock,
    Tracking,
    TransactionalMessage,
    Variant,
)
from channels.registry import get_channels


def sample_variant() -> Variant:
    card = ProductCard(
        "SKU-1", "Bohrhammer", "Kräftig", "https://shop.example/p/1", "", Decimal("10")
    )
    return Variant(
        key="de/buyer/awareness/A",
        campaign_id=1,
        campaign_name="Frühling",
        locale="de",
        role="buyer",
        phase="awareness",
        arm="A",
        subject="Grüße",
        preheader="Vorschau",
        sender="ACME <news@acme.example>",
        blocks=(
            HeroBlock("Hallo", "Text", "https://cdn.example/h.jpg", "https://shop.example/"),
            TextBlock("<p>Text</p>"),
            ProductGridBlock("Produkte", (card,)),
            MessageBlock("Botschaft", "<p>Body</p>", "Los", "https://shop.example/go", card),
            CallToActionBlock("Zum Shop", "https://shop.example/"),
            PersonalProductsBlock("Angesehen", "viewed"),
        ),
        tracking=Tracking(
            open_url=f"https://hub.example/o/{RECIPIENT_TOKEN}",
            unsubscribe_url=f"https://hub.example/u/{RECIPIENT_TOKEN}",
            preferences_url=f"https://hub.example/p/{RECIPIENT_TOKEN}",
            click=lambda url: f"https://hub.example/c/{RECIPIENT_TOKEN}?u={quote(url, safe='')}",
        ),
    )


def sample_recipients() -> list[Recipient]:
    return [Recipient(n, f"person{n}@example.com", f"tok{n}", "Guten Tag,") for n in range(1, 4)]


@pytest.fixture(params=list(get_channels()))
def channel(request):
    return get_channels()[request.param]


def test_every_adapter_says_who_it_is(channel):
    assert channel.identifier
    assert channel.name


def test_every_adapter_requires_only_known_product_fields(channel):
    fields = {field for fields in channel.required_fields.values() for field in fields}

    assert fields <= set(PRODUCT_FIELDS)


def test_an_adapter_that_does_not_send_refuses_to_render_and_deliver(channel):
    if channel.sends:
        pytest.skip("sends")

    with pytest.raises(NotImplementedError):
        channel.render(sample_variant())
    with pytest.raises(NotImplementedError):
        channel.deliver(RenderedVariant(sample_variant()), sample_recipients())


def test_an_adapter_that_sends_delivers_one_result_per_recipient_in_order(channel, newsletter_sink):
    if not channel.sends:
        pytest.skip("does not send")
    recipients = sample_recipients()

    results = channel.deliver(channel.render(sample_variant()), recipients)

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
