"""One contract test over every feed channel registered in HUB_CHANNELS."""

import dataclasses

import pytest

from channels.feeds import DirectorySink, FeedChannel
from channels.registry import get_channels
from tests.channels.marketplace.builders import (
    FEED_OPTIONS,
    GENERATED_AT,
    feed_product,
    feed_spec,
    feed_text,
)

FEED_CHANNELS = [key for key, channel in get_channels().items() if isinstance(channel, FeedChannel)]


@pytest.fixture(params=FEED_CHANNELS)
def channel(request) -> FeedChannel:
    return get_channels()[request.param]


def spec_for(channel: FeedChannel, **overrides):
    return feed_spec(options=FEED_OPTIONS[channel.identifier], **overrides)


def test_the_three_formats_are_configured():
    assert {get_channels()[key].identifier for key in FEED_CHANNELS} >= {
        "google_merchant",
        "amazon",
        "bmecat",
    }


def test_every_feed_channel_takes_its_sample_options(channel):
    assert channel.clean_options(FEED_OPTIONS[channel.identifier]) == {}


def test_every_feed_channel_names_what_a_receiver_must_set(channel):
    required = {option.name for option in channel.options_schema if option.required}

    assert set(channel.clean_options({})) >= required


def test_a_complete_product_is_accepted_and_written_into_a_valid_file(channel, tmp_path):
    spec = spec_for(channel)
    product = feed_product()
    sink = DirectorySink(tmp_path)

    assert channel.refusals(product, spec) == ()
    channel.write(spec, iter([product]), sink)

    assert sum(part.products for part in sink.parts) == 1
    assert sink.parts[0].name == channel.file_name_for(spec)
    for part in sink.parts:
        assert part.size == part.path.stat().st_size > 0
        assert channel.validate(spec, part) == []
        assert b"BS-18" in part.path.read_bytes()
    assert channel.media_type_for(spec)


def test_a_title_with_markup_or_control_characters_is_refused_with_a_reason(channel):
    spec = spec_for(channel)
    for name in ("<b>Bohrer</b>", "Bohrer\x07"):
        product = feed_product(texts={"de": feed_text("de", name=name)})

        reasons = channel.refusals(product, spec)

        assert reasons and all(isinstance(reason, str) and reason for reason in reasons)


def test_a_broken_gtin_is_refused(channel):
    assert channel.refusals(feed_product(gtin="4006381333932"), spec_for(channel))


def test_a_damaged_file_does_not_validate(channel, tmp_path):
    spec = spec_for(channel)
    sink = DirectorySink(tmp_path)
    channel.write(spec, iter([feed_product()]), sink)
    part = sink.parts[0]
    data = part.path.read_bytes()
    part.path.write_bytes(data[: len(data) // 2])

    assert channel.validate(spec, dataclasses.replace(part, size=len(data) // 2))


def test_an_exception_while_writing_leaves_no_part(channel, tmp_path):
    def products():
        yield feed_product()
        raise RuntimeError("the database went away")

    sink = DirectorySink(tmp_path)
    with pytest.raises(RuntimeError):
        channel.write(spec_for(channel, generated_at=GENERATED_AT), products(), sink)

    assert sink.parts == []
    assert list(tmp_path.iterdir()) == []


def test_options_set_for_the_whole_channel_fill_in_for_every_receiver(settings):
    whole_channel = {key: value for key, value in FEED_OPTIONS["bmecat"].items()}
    catalogue = {"catalog_id": whole_channel.pop("catalog_id")}
    settings.HUB_CHANNELS = {
        "bmecat": {
            "BACKEND": "channels.marketplace.bmecat.BMEcatChannel",
            "OPTIONS": whole_channel,
        }
    }
    channel = get_channels()["bmecat"]

    assert channel.clean_options(catalogue) == {}
    assert channel.clean_options({}).keys() == {"catalog_id"}
    merged = channel.receiver_options({**catalogue, "supplier_name": ""})
    assert merged["supplier_name"] == "ACME Tools GmbH"  # an empty value keeps the channel's
    assert merged["catalog_id"] == "ACME-2026"
