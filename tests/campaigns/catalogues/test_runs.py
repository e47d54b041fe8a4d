"""A catalogue run end to end with a small document channel: what the PDFs carry."""

import re
import zipfile

import pytest
from django.core.files.storage import default_storage

from campaigns.models import Catalogue, CatalogueProblem, CatalogueRunStatus
from tests.campaigns.campaign_setup import live_message
from tests.campaigns.catalogues.catalogue_setup import (
    catalogue,
    category,
    generate,
    pdf_pages,
    pdf_text,
    product,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def run_catalogue(user, django_capture_on_commit_callbacks):
    def run(item):
        return generate(item, user, django_capture_on_commit_callbacks)

    return run


def test_a_run_prints_the_live_catalogue_and_live_products_only(run_catalogue):
    akku = category("akku", "Akku")
    drill = product("A-1", akku, name="Bohrschrauber")
    drill.name = "Bohrschrauber ENTWURF"
    drill.save_revision()
    product("A-2", akku, name="Nie freigegeben").__class__.objects.filter(sku="A-2").update(
        live=False
    )
    item = catalogue(categories=[akku], title="Katalog 2027", subtitle="Freigegeben")
    item.title = "Katalog ENTWURF"
    item.save_revision()
    # Even a row that carried the draft: only the published revision counts.
    Catalogue.objects.filter(pk=item.pk).update(title="Katalog ENTWURF")

    run = run_catalogue(Catalogue.objects.get(pk=item.pk))

    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    text = pdf_text(run, "werkzeug.pdf")
    assert "Titel: Katalog 2027" in text
    assert "Produkt A-1: Bohrschrauber" in text
    assert "ENTWURF" not in text
    assert "A-2" not in text
    assert run.products == 1
    assert set(run.printed) == {"A-1"}


def test_each_role_version_opens_with_its_live_message_else_the_default(run_catalogue):
    akku = category("akku", "Akku")
    product("A-1", akku)
    live_message(role="buyer", headline="Fuer Einkaeufer", body="<p>Preise im Blick</p>")
    live_message(role="user", headline="Nicht freigegeben", live=False)
    live_message(role="", headline="Fuer alle")
    item = catalogue(
        categories=[akku],
        roles=["buyer", "user"],
        intro_headline="Willkommen",
        intro="<p>Unser Sortiment</p>",
    )

    run = run_catalogue(item)

    assert [file["name"] for file in run.files] == [
        "werkzeug.pdf",
        "werkzeug-buyer.pdf",
        "werkzeug-user.pdf",
    ]
    buyer = pdf_text(run, "werkzeug-buyer.pdf")
    assert "Einleitung: Fuer Einkaeufer" in buyer
    assert "Preise im Blick" in buyer
    for name in ("werkzeug.pdf", "werkzeug-user.pdf"):
        text = pdf_text(run, name)
        assert "Einleitung: Willkommen" in text
        assert "Unser Sortiment" in text


def test_every_version_shares_the_body_rendered_once(run_catalogue, settings):
    from tests.campaigns.catalogues.fake_document import CALLS

    settings.HUB_CATALOGUE_PART_PAGES = 2
    akku, saege = category("akku", "Akku"), category("saege", "Saege")
    product("A-1", akku)
    product("S-1", saege)
    item = catalogue(categories=[akku, saege], roles=["buyer"])

    run = run_catalogue(item)

    assert [call for call in CALLS if call[0] == "render_part"] == [
        ("render_part", 0, 1),
        ("render_part", 1, 3),
    ]
    assert [call for call in CALLS if call[0] == "render_front"] == [
        ("render_front", ""),
        ("render_front", "buyer"),
    ]
    assert run.file("werkzeug.pdf")["pages"] == run.file("werkzeug-buyer.pdf")["pages"] == 2 + 4 + 1


def test_a_run_lists_its_files_with_size_pages_and_checksum(run_catalogue):
    akku = category("akku", "Akku")
    product("A-1", akku)
    product("A-2", akku)

    run = run_catalogue(catalogue(categories=[akku]))

    [pdf] = run.files
    with default_storage.open(pdf["path"], "rb") as file:
        content = file.read()
    assert pdf["size"] == len(content)
    assert pdf["pages"] == len(pdf_pages(pdf["path"])) == 2 + 3 + 1
    assert len(pdf["sha256"]) == 64
    assert run.pages == 6
    assert run.layout_export["name"] == "werkzeug-indesign.zip"
    assert run.layout_export["records"] == 2
    assert default_storage.exists(run.layout_export["path"])
    assert len(run.previews) == 4
    assert all(default_storage.exists(path) for path in run.previews)
    assert not any(part.path for part in run.parts.all())  # deleted after assembly


def test_incomplete_products_and_empty_categories_are_problems_not_failures(run_catalogue):
    akku, leer = category("akku", "Akku"), category("leer", "Leer")
    product("A-1", akku)
    product("A-2", akku, complete=False)

    run = run_catalogue(catalogue(categories=[akku, leer]))

    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    problems = {(p.sku, p.field) for p in CatalogueProblem.objects.filter(run=run)}
    assert problems == {("A-2", "completeness"), ("", "chapter")}
    text = pdf_text(run, "werkzeug.pdf")
    assert "A-2" not in text
    assert "Kapitel: Leer" not in text
    assert run.chapters_total == 1


def test_the_channels_problems_of_a_part_are_listed_once(run_catalogue):
    akku = category("akku", "Akku")
    product("A-1", akku, short_text="ZU LANG")

    run = run_catalogue(catalogue(categories=[akku]))

    assert [(p.sku, p.field, p.message) for p in run.problems.all()] == [
        ("A-1", "long_text", "Text zu lang")
    ]


def test_a_product_in_two_chapters_is_printed_in_the_first_only(run_catalogue):
    akku, bohr = category("akku", "Akku"), category("bohr", "Bohr")
    product("X-1", akku, bohr)
    product("B-1", bohr)

    run = run_catalogue(catalogue(categories=[akku, bohr]))

    pages = pdf_pages(run.file("werkzeug.pdf")["path"])
    assert sum("Produkt X-1:" in page for page in pages) == 1
    assert run.products == 2


def test_no_chapter_with_a_product_fails_the_run_and_says_why(run_catalogue):
    leer = category("leer", "Leer")
    product("L-1", leer, complete=False)

    run = run_catalogue(catalogue(categories=[leer]))

    assert run.status == CatalogueRunStatus.FAILED
    assert run.error == "No chapter of the catalogue has a live product to print."
    assert run.files == []
    assert {(p.sku, p.field) for p in run.problems.all()} == {
        ("L-1", "completeness"),
        ("", "chapter"),
    }


def test_the_screen_profile_shows_renditions_and_print_the_originals(run_catalogue):
    akku = category("akku", "Akku")
    product("A-1", akku)

    screen = run_catalogue(catalogue(categories=[akku], slug="screen", profile="screen"))
    printed = run_catalogue(catalogue(categories=[akku], slug="druck", profile="print"))

    screen_text = pdf_text(screen, "screen.pdf")
    print_text = pdf_text(printed, "druck.pdf")
    assert re.search(r"Bild: \S+max-1200x1200", screen_text)
    assert "max-1200x1200" not in print_text
    assert "Bild: http://testserver/media/original_images/" in print_text


def test_the_layout_package_of_a_screen_catalogue_holds_the_original_images(run_catalogue):
    akku = category("akku", "Akku")
    product("A-1", akku)

    run = run_catalogue(catalogue(categories=[akku], profile="screen"))

    with default_storage.open(run.layout_export["path"], "rb") as stored:
        records = zipfile.ZipFile(stored).read("katalog.txt").decode()
    assert re.fullmatch(r"A-1\thttp://testserver/media/original_images/product\w*\.png", records)
