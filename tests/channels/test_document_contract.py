"""One contract test over every document channel registered in HUB_CHANNELS."""

import io
import zipfile

import pytest

from channels.documents import (
    Chapter,
    ChapterOutline,
    DocumentChannel,
    DocumentPlan,
    IndexEntry,
    RenderedPart,
    TocEntry,
)
from channels.registry import get_channels
from tests.channels.print_catalogue.builders import (
    doc_spec,
    media_root,
    product,
    read_pdf,
    save_image,
)
from tests.factories import png_bytes

DOCUMENT_CHANNELS = [
    key for key, channel in get_channels().items() if isinstance(channel, DocumentChannel)
]


@pytest.fixture(params=DOCUMENT_CHANNELS)
def channel(request):
    return get_channels()[request.param]


@pytest.fixture
def chapters(tmp_path):
    with media_root(tmp_path):
        url = save_image("images/p.png", png_bytes(1200, 900))
        yield [
            Chapter("a", "Kapitel A", (product("A-1", url), product("A-2", url))),
            Chapter("b", "Kapitel B", (product("B-1", url),)),
        ]


def test_there_is_a_document_channel():
    assert DOCUMENT_CHANNELS


def test_a_document_channel_makes_one_artifact_and_sends_nothing(channel):
    assert not channel.per_recipient
    assert not channel.sends
    assert channel.media_type
    assert channel.extension


def test_the_plan_runs_the_parts_on_page_by_page(channel):
    outlines = [ChapterOutline(key, key, n) for key, n in (("a", 4), ("b", 1), ("c", 9))]

    plan = channel.plan(doc_spec(), outlines, part_pages=6)

    assert isinstance(plan, DocumentPlan)
    assert [key for part in plan.parts for key in part.chapter_keys] == ["a", "b", "c"]
    assert [part.first_page for part in plan.parts] == [
        1 + sum(p.pages for p in plan.parts[:i]) for i in range(len(plan.parts))
    ]


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_each_rendering_answers_its_real_page_count(channel, chapters, profile):
    spec = doc_spec(profile=profile)
    [part] = channel.plan(
        spec, [ChapterOutline(c.key, c.title, len(c.products)) for c in chapters], part_pages=99
    ).parts
    body, front, back = io.BytesIO(), io.BytesIO(), io.BytesIO()

    answers = [
        channel.render_part(spec, part, chapters, body),
        channel.render_front(spec, [TocEntry("a", "Kapitel A", 1)], front),
        channel.render_back(spec, [IndexEntry("A-1", "Artikel A-1", 2)], part.pages + 1, back),
    ]

    for answer, out in zip(answers, (body, front, back), strict=True):
        assert isinstance(answer, RenderedPart)
        assert answer.pages == len(read_pdf(out.getvalue()).pages)
    assert answers[0].pages == part.pages
    assert set(answers[0].chapter_pages) == {"a", "b"}
    assert set(answers[0].product_pages) == {"A-1", "A-2", "B-1"}


def test_the_layout_export_holds_a_record_per_product(channel, chapters):
    out = io.BytesIO()

    spec = doc_spec(options={"data_merge_encoding": "utf-8"})

    records = channel.layout_export(spec, chapters, out)

    assert records == 3
    with zipfile.ZipFile(out) as package:
        data = package.read("catalogue.txt")
    assert data.startswith(b"\xef\xbb\xbf")
