"""The document rows of a run: its approved revision's settings, live products only."""

from decimal import Decimal

import pytest

from campaigns.catalogues.services import catalogue_generate_queue
from campaigns.catalogues.source import chapter_outlines, chapters, document_spec
from campaigns.models import Catalogue, GroupPrice
from channels.documents import ChapterOutline, DocumentIntro
from tests.campaigns.campaign_setup import live_message
from tests.campaigns.catalogues.catalogue_setup import catalogue, category, product
from tests.factories import ImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def queued(item, capture):
    with capture(execute=False):
        return catalogue_generate_queue(item, user=UserFactory())


def test_the_spec_carries_the_approved_settings_not_the_drafts(
    settings, django_capture_on_commit_callbacks
):
    settings.HUB_CATALOGUE_PUBLISHER = "Hubwerk GmbH"
    item = catalogue(
        categories=[category("akku")],
        title="Katalog 2027",
        subtitle="Werkzeug",
        language="de",
        price_basis="group",
        price_group="A",
        show_lead_time=False,
        layout="grid",
        data_merge_encoding="utf-8",
    )
    item.title = "Katalog ENTWURF"
    item.price_basis = "none"
    item.layout = "pages"
    item.save_revision()
    run = queued(Catalogue.objects.get(pk=item.pk), django_capture_on_commit_callbacks)

    spec = document_spec(item, run)

    assert spec.key == "werkzeug"
    assert spec.title == "Katalog 2027"
    assert spec.subtitle == "Werkzeug"
    assert spec.language == "de"
    assert (spec.price_basis, spec.price_group) == ("group", "A")
    assert spec.show_lead_time is False
    assert spec.publisher == "Hubwerk GmbH"
    assert spec.options == {"layout": "grid", "data_merge_encoding": "utf-8"}
    assert spec.generated_at == run.started_at


def test_the_cover_is_the_original_for_print_and_a_rendition_for_screen(
    django_capture_on_commit_callbacks,
):
    cover = ImageFactory()
    screen = catalogue(categories=[category("akku")], cover_image=cover, profile="screen")
    printed = catalogue(
        categories=[category("bohr")], cover_image=cover, profile="print", slug="druck"
    )

    screen_url = document_spec(screen, queued(screen, django_capture_on_commit_callbacks))
    print_url = document_spec(printed, queued(printed, django_capture_on_commit_callbacks))

    assert screen_url.cover_image_url.startswith("http://testserver/media/images/")
    assert "max-1200x1200" in screen_url.cover_image_url
    assert print_url.cover_image_url == "http://testserver" + cover.file.url


def test_a_role_gets_its_message_for_the_phase_before_its_message_for_any_phase(
    django_capture_on_commit_callbacks,
):
    live_message(role="buyer", headline="Einkauf allgemein")
    live_message(role="buyer", phase="loyalty", headline="Einkauf Treue", body="<p>Danke</p>")
    live_message(role="buyer", phase="loyalty", headline="Englisch", language="en")
    item = catalogue(
        categories=[category("akku")],
        roles=["buyer"],
        intro_phase="loyalty",
        intro_headline="Hallo",
    )
    run = queued(item, django_capture_on_commit_callbacks)

    buyer = document_spec(item, run, role="buyer")
    default = document_spec(item, run)

    assert buyer.role == "buyer"
    assert buyer.intro == DocumentIntro("Einkauf Treue", "<p>Danke</p>")
    assert default.intro == DocumentIntro("Hallo", "")


def test_a_role_without_a_message_of_its_own_gets_the_catalogues_introduction(
    django_capture_on_commit_callbacks,
):
    live_message(role="", headline="Fuer alle")
    item = catalogue(categories=[category("akku")], roles=["user"], intro_headline="Hallo")

    spec = document_spec(item, queued(item, django_capture_on_commit_callbacks), role="user")

    assert spec.intro == DocumentIntro("Hallo", "")


def test_chapters_hold_the_live_products_in_the_catalogues_order_with_prices(
    django_capture_on_commit_callbacks,
):
    saege, akku = category("saege", "Saegen"), category("akku", "Akku")
    live = product("S-1", saege, name="Kreissaege")
    live.name = "Kreissaege ENTWURF"
    live.save_revision()
    product("A-2", akku)
    product("A-1", akku)
    GroupPrice.objects.create(sku="A-1", price_group="A", price=Decimal("9.50"))
    item = catalogue(categories=[saege, akku], price_basis="group", price_group="A")
    run = queued(item, django_capture_on_commit_callbacks)
    outline = chapter_outlines(run)
    run.plan = {"skus": outline.skus}

    rows = chapters(run, ["saege", "akku"])

    assert outline.outlines == (
        ChapterOutline("saege", "Saegen", 1),
        ChapterOutline("akku", "Akku", 2),
    )
    assert [(chapter.key, [p.sku for p in chapter.products]) for chapter in rows] == [
        ("saege", ["S-1"]),
        ("akku", ["A-1", "A-2"]),
    ]
    assert rows[0].products[0].text("de").name == "Kreissaege"
    assert rows[1].products[0].group_prices == {"A": Decimal("9.50")}
