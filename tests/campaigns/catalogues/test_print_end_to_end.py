"""Catalogue runs through the real print adapter, end to end: what the stored PDFs carry.

The other tests of the hub's catalogues use a small fake document channel; here
``HUB_CHANNELS["print"]`` is ``channels.print_catalogue.PrintCatalogueChannel`` and the runs
go from live content through planning, parts, assembly and storage (eager tasks). Each run
costs seconds of WeasyPrint, so the runs are made once for the module, inside a transaction
rolled back at its end, and the tests read what they stored.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import TestCase, override_settings
from wagtail.documents.models import Document

from campaigns.catalogues.services import catalogue_generate_queue
from campaigns.models import CatalogueRun, CatalogueRunStatus
from campaigns.tasks import catalogue_plan, catalogue_render_part
from channels.print_catalogue import PrintCatalogueChannel
from channels.print_catalogue.pdf_rules import check_pdf
from channels.registry import get_channel
from content.models import Product, ProductDocument
from tests.campaigns.campaign_setup import live_message
from tests.campaigns.catalogues.catalogue_setup import catalogue, category
from tests.campaigns.catalogues.catalogue_setup import product as live_product
from tests.factories import ProductFactory, ProductFeatureFactory, UserFactory

# The test databases are set up only for a module that asks for them.
pytestmark = pytest.mark.django_db

MM = 72 / 25.4
APPROVED_TEXT = "Freigegebener Langtext des Bohrschraubers"
DRAFT_TEXT = "Entwurf eines neuen Langtexts"
LONG_TEXT = " ".join(["Ein sehr langer Absatz über die Säge und ihr Zubehör."] * 600)


@pytest.fixture(autouse=True)
def print_channel():
    """Overrides the catalogue tests' fake: here "print" is the real print adapter."""


@dataclass
class Run:
    status: str
    error: str
    files: dict[str, bytes]  # name -> the stored PDF
    layout_export: bytes
    problems: list[tuple[str, str, str]]  # (sku, field, message)
    parts: list[tuple[int, int | None]]  # (planned pages, laid out pages) per part

    def reader(self, name: str) -> pypdf.PdfReader:
        return pypdf.PdfReader(io.BytesIO(self.files[name]))


def _run(item, user, *, between=None, **settings) -> Run:
    """Generate ``item`` (eager tasks); ``between`` is called after the plan, before the
    parts render."""
    with override_settings(**settings):
        if between is None:
            with TestCase.captureOnCommitCallbacks(execute=True):
                run = catalogue_generate_queue(item, user=user)
        else:
            with TestCase.captureOnCommitCallbacks(execute=False) as queued:
                run = catalogue_generate_queue(item, user=user)
            with TestCase.captureOnCommitCallbacks(execute=False):
                catalogue_plan(run.pk)
            between()
            with TestCase.captureOnCommitCallbacks(execute=True):
                for part in run.parts.order_by("index"):
                    catalogue_render_part(run.pk, part.index)
            assert len(queued) == 1  # the plan's task, called above instead
    return _stored(run)


def _stored(run) -> Run:
    run = CatalogueRun.objects.get(pk=run.pk)
    files = {}
    for file in run.files:
        with default_storage.open(file["path"], "rb") as stored:
            files[file["name"]] = stored.read()
    layout_export = b""
    if run.layout_export:
        with default_storage.open(run.layout_export["path"], "rb") as stored:
            layout_export = stored.read()
    return Run(
        status=run.status,
        error=run.error,
        files=files,
        layout_export=layout_export,
        problems=[(p.sku, p.field, p.message) for p in run.problems.all()],
        parts=[(p.planned_pages, p.pages) for p in run.parts.order_by("index")],
    )


def product(sku: str, *categories, **fields):
    """A live product complete for print: an image, a feature and a data sheet."""
    item = live_product(sku, *categories, **fields)
    ProductFeatureFactory(product=item, name="Spannung", value="18", unit="V")
    document = Document.objects.create(
        title=f"Datenblatt {sku}", file=ContentFile(b"%PDF-1.4\n", name=f"{sku}.pdf")
    )
    ProductDocument.objects.create(product=item, document=document, label="Datenblatt")
    return item


def _content():
    """Two chapters of live products, a draft and an unpublished product, a role message."""
    akku, saege = category("akku", "Akkuwerkzeuge"), category("saege", "Sägen")
    drill = product("BS-18", akku, name="Bohrschrauber", long_text=f"<p>{APPROVED_TEXT}</p>")
    drill.long_text = f"<p>{DRAFT_TEXT}</p>"
    drill.save_revision()
    product("SL-10", akku, name="Schlagschrauber")
    product("KS-55", saege, name="Kreissäge")
    ProductFactory(sku="NIE-1", name="Nie freigegeben", live=False).categories.add(saege)
    live_message(
        role="decision_maker",
        headline="Für Entscheider",
        body="<p>Investition mit kurzer Amortisation</p>",
    )
    return akku, saege


def _bad_content():
    """A chapter of products with bad input, and a category with no live product."""
    kaputt, leer = category("kaputt", "Kaputt"), category("leer", "Leer")
    missing = product("FEHLT-1", kaputt, name="Bild fehlt")
    default_storage.delete(missing.images.first().image.file.name)
    corrupt = product("DEFEKT-1", kaputt, name="Bild defekt")
    Path(corrupt.images.first().image.file.path).write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
    product("LANG-1", kaputt, name="Langer Text", long_text=f"<p>{LONG_TEXT}</p>")
    unpublished = ProductFactory(sku="LEER-1", live=False)
    unpublished.categories.add(leer)
    return kaputt, leer


@pytest.fixture(scope="module")
def runs(django_db_setup, django_db_blocker):
    """Every run of the module, made once with the real adapter, and what each stored."""
    with (
        tempfile.TemporaryDirectory(prefix="hub-e2e-media-") as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        assert isinstance(get_channel("print"), PrintCatalogueChannel)
        user = UserFactory()
        akku, saege = _content()
        kaputt, leer = _bad_content()
        main = catalogue(
            categories=[akku, saege],
            title="Werkzeugkatalog 2027",
            profile="print",
            roles=["decision_maker"],
            intro_headline="Willkommen",
            intro="<p>Unser ganzes Sortiment</p>",
        )
        screen = catalogue(categories=[akku, saege], slug="bildschirm", profile="screen")
        bad = catalogue(categories=[kaputt, leer], slug="kaputt", profile="print")
        found = {
            "chunked": _run(main, user, HUB_CATALOGUE_PART_PAGES=2),
            "single": _run(main, user, HUB_CATALOGUE_PART_PAGES=1000),
            "screen": _run(screen, user),
            "bad": _run(bad, user),
            # Last: it withdraws a product of the main catalogue while the run is under way.
            "withdrawn": _run(
                main,
                user,
                between=lambda: Product.objects.filter(sku="SL-10").update(live=False),
                HUB_CATALOGUE_PART_PAGES=2,
            ),
        }
        transaction.set_rollback(True)
    return found


@pytest.fixture(scope="module")
def main(runs):
    return runs["chunked"]


def page_text(page: pypdf.PageObject) -> str:
    return re.sub(r"\s+", " ", page.extract_text())


def toc(reader: pypdf.PdfReader) -> list[tuple[str, str]]:
    """(title, page label) of each line of the table of contents: the front matter's page
    (numbered in roman) with dot leaders."""
    [page] = [
        page
        for page, label in zip(reader.pages, reader.page_labels, strict=True)
        if not label.isdigit() and "....." in page.extract_text()
    ]
    lines = page.extract_text().splitlines()[1:]
    found = []
    for line in lines:
        match = re.fullmatch(r"\s*(.+?)[\s.]*?\.{3,}\s*(\d+)\s*", line)
        if match:
            found.append((match.group(1).strip(), match.group(2)))
    return found


def label_page(reader: pypdf.PdfReader, label: str) -> int:
    [number] = [n for n, value in enumerate(reader.page_labels) if value == label]
    return number


def test_the_runs_succeed(runs):
    assert {name: (run.status, run.error) for name, run in runs.items()} == {
        name: (CatalogueRunStatus.SUCCEEDED, "") for name in runs
    }


def test_every_part_laid_out_the_pages_its_plan_said(runs):
    assert {name: run.parts for name, run in runs.items()} == {
        name: [(planned, planned) for planned, _pages in run.parts] for name, run in runs.items()
    }
    assert len(runs["chunked"].parts) > 1


def test_a_product_withdrawn_after_the_plan_leaves_the_page_numbers_as_planned(runs):
    withdrawn, chunked = runs["withdrawn"], runs["chunked"]
    reader = withdrawn.reader("werkzeug.pdf")

    text = " ".join(page_text(page) for page in reader.pages)

    assert "SL-10" not in text
    assert "BS-18" in text
    assert withdrawn.parts == chunked.parts
    assert toc(reader) == toc(chunked.reader("werkzeug.pdf"))
    for title, label in toc(reader):
        assert title in page_text(reader.pages[label_page(reader, label)])


def test_the_pdf_prints_the_live_texts_never_a_draft_or_an_unpublished_product(main):
    text = " ".join(page_text(page) for page in main.reader("werkzeug.pdf").pages)

    assert APPROVED_TEXT in text
    assert DRAFT_TEXT not in text
    assert {"BS-18", "SL-10", "KS-55"} <= set(re.findall(r"[A-Z]+-\d+", text))
    assert "NIE-1" not in text
    assert "Nie freigegeben" not in text


def test_the_contents_page_numbers_point_at_the_pages_that_open_the_chapters(main):
    reader = main.reader("werkzeug.pdf")

    contents = toc(reader)

    assert [title for title, _label in contents] == ["Akkuwerkzeuge", "Sägen"]
    for title, label in contents:
        assert title in page_text(reader.pages[label_page(reader, label)])


def test_the_print_file_has_the_trim_and_bleed_boxes_of_a4_with_3mm_bleed(main):
    reader = main.reader("werkzeug.pdf")

    for page in reader.pages:
        trim, bleed = page.trimbox, page.bleedbox
        assert float(trim.width) == pytest.approx(210 * MM, abs=0.5)
        assert float(trim.height) == pytest.approx(297 * MM, abs=0.5)
        for inner, outer in ((trim.left, bleed.left), (trim.bottom, bleed.bottom)):
            assert float(inner - outer) == pytest.approx(3 * MM, abs=0.1)
        for inner, outer in ((trim.right, bleed.right), (trim.top, bleed.top)):
            assert float(outer - inner) == pytest.approx(3 * MM, abs=0.1)


def _check(data: bytes, profile: str, tmp_path) -> list[str]:
    path = tmp_path / f"{profile}.pdf"
    path.write_bytes(data)
    return [str(message) for message in check_pdf(path, profile)]


def test_the_print_file_passes_as_pdf_x4_with_a_cmyk_output_intent(main, tmp_path):
    reader = main.reader("werkzeug.pdf")

    assert _check(main.files["werkzeug.pdf"], "print", tmp_path) == []
    [intent] = reader.trailer["/Root"]["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 4


def test_the_screen_file_passes_as_pdf_a_2b(runs, tmp_path):
    screen = runs["screen"]

    assert _check(screen.files["bildschirm.pdf"], "screen", tmp_path) == []
    [intent] = screen.reader("bildschirm.pdf").trailer["/Root"]["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"


def test_the_bookmarks_list_every_chapter_in_order_at_its_page(main):
    reader = main.reader("werkzeug.pdf")
    contents = dict(toc(reader))

    marks = [
        (item.title, reader.get_destination_page_number(item))
        for item in reader.outline
        if not isinstance(item, list)
    ]

    chapters = [(title, page) for title, page in marks if title in contents]
    assert [title for title, _page in chapters] == ["Akkuwerkzeuge", "Sägen"]
    for title, page in chapters:
        assert page == label_page(reader, contents[title])


def _font_descriptors(resources, seen) -> list:
    found = []
    if resources is None:
        return found
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        for each in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
            if "/FontDescriptor" in each:
                found.append(each["/FontDescriptor"].get_object())
    for xobject in (resources.get("/XObject") or {}).values():
        reference = getattr(xobject, "idnum", None)
        xobject = xobject.get_object()
        if reference in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(reference)
        found.extend(_font_descriptors(xobject.get("/Resources"), seen))
    return found


def test_every_font_is_embedded(main):
    reader = main.reader("werkzeug.pdf")

    descriptors = [
        descriptor
        for page in reader.pages
        for descriptor in _font_descriptors(page.get("/Resources"), set())
    ]

    assert descriptors
    assert all(
        "/FontFile2" in descriptor or "/FontFile3" in descriptor or "/FontFile" in descriptor
        for descriptor in descriptors
    )


def test_the_role_version_opens_with_the_roles_live_message_the_default_with_its_own(main):
    role = main.reader("werkzeug-decision_maker.pdf")
    default = main.reader("werkzeug.pdf")

    role_intro, default_intro = page_text(role.pages[1]), page_text(default.pages[1])

    assert "Für Entscheider" in role_intro
    assert "Investition mit kurzer Amortisation" in role_intro
    assert "Willkommen" not in role_intro
    assert "Willkommen" in default_intro
    assert "Unser ganzes Sortiment" in default_intro
    assert "Für Entscheider" not in default_intro


def test_a_body_in_several_parts_is_the_body_in_one(runs):
    chunked, single = runs["chunked"], runs["single"]

    assert len(chunked.parts) > len(single.parts) == 1
    for name in ("werkzeug.pdf", "werkzeug-decision_maker.pdf"):
        assert len(chunked.reader(name).pages) == len(single.reader(name).pages)
        assert toc(chunked.reader(name)) == toc(single.reader(name))
        assert chunked.reader(name).page_labels == single.reader(name).page_labels


def test_bad_input_is_listed_by_product_and_field_and_the_run_still_succeeds(runs):
    bad = runs["bad"]
    problems = {(sku, field) for sku, field, _message in bad.problems}

    assert bad.status == CatalogueRunStatus.SUCCEEDED
    assert {("FEHLT-1", "images"), ("DEFEKT-1", "images"), ("LANG-1", "long_text")} <= problems
    assert ("", "chapter") in problems
    [chapter] = [message for sku, field, message in bad.problems if field == "chapter"]
    assert "Leer" in chapter
    text = " ".join(page_text(page) for page in bad.reader("kaputt.pdf").pages)
    assert {"FEHLT-1", "DEFEKT-1", "LANG-1"} <= set(re.findall(r"[A-Z]+-\d+", text))
    assert "LEER-1" not in text


def _records(run: Run) -> tuple[zipfile.ZipFile, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(run.layout_export))
    [data_file] = [name for name in archive.namelist() if name.endswith(".txt")]
    text = archive.read(data_file).decode("utf-16")
    return archive, list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t"))


def test_the_layout_studio_package_reads_back_with_the_live_products(main):
    archive, records = _records(main)

    assert [record["sku"] for record in records] == ["BS-18", "SL-10", "KS-55"]
    drill = records[0]
    assert drill["name"] == "Bohrschrauber"
    assert APPROVED_TEXT in drill["long_text"]
    assert DRAFT_TEXT not in drill["long_text"]
    assert all(record["@image"] in archive.namelist() for record in records)
