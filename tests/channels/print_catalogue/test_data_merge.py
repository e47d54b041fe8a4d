"""The layout studio's package reads back as InDesign's Data Merge reads it."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels.feeds import FeedAsset
from channels.print_catalogue.data_merge import DATA_FILE, write_data_merge
from tests.channels.marketplace.builders import feed_product, feed_text
from tests.factories import png_bytes

BASE = "http://hub.test"


@pytest.fixture
def images(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"
    settings.WAGTAILADMIN_BASE_URL = BASE
    names = [
        default_storage.save(f"images/{n}.png", ContentFile(png_bytes(colour=colour), "x.png"))
        for n, colour in enumerate(("red", "blue"))
    ]
    return [FeedAsset(f"{BASE}/media/{name}", "image/png", name.split("/")[-1]) for name in names]


def package(products, **kwargs) -> tuple[zipfile.ZipFile, int]:
    out = io.BytesIO()
    count = write_data_merge(products, out, language="de", **kwargs)
    return zipfile.ZipFile(io.BytesIO(out.getvalue())), count


def records(archive: zipfile.ZipFile, codec: str = "utf-16") -> list[dict]:
    data = archive.read(DATA_FILE)
    text = data.decode(codec)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t"))


def test_utf16_le_with_bom_one_record_per_product_images_beside_it(images):
    long_text = "Robust.\n\nMit Koffer\tund Bits."
    products = [
        feed_product(
            sku="BS-18",
            images=tuple(images),
            texts={"de": feed_text("de", long_text=long_text, name="Bohrer „Profi“")},
        ),
        feed_product(sku="BS/20", images=(images[0],), price=None),
    ]

    archive, count = package(products)

    data = archive.read(DATA_FILE)
    assert data.startswith(b"\xff\xfe")  # UTF-16 LE byte order mark
    assert count == 2
    rows = records(archive)
    assert [row["sku"] for row in rows] == ["BS-18", "BS/20"]
    first, second = rows
    assert first["name"] == "Bohrer „Profi“"
    assert first["long_text"] == "Robust. ¶ Mit Koffer und Bits."
    assert first["price"] == "129.00" and first["currency"] == "EUR"
    assert second["price"] == "" and second["currency"] == ""
    assert first["features"].startswith("Spannung: 18 V; Mit Akku: true")
    assert (first["@image"], first["@image2"], first["@image3"]) == (
        "images/BS-18-1.png",
        "images/BS-18-2.png",
        "",
    )
    assert second["@image"] == "images/BS_20-1.png"  # a SKU's slash is no folder
    assert archive.read("images/BS-18-2.png") == png_bytes(colour="blue")
    assert archive.read("images/BS_20-1.png") == png_bytes(colour="red")


def test_no_field_holds_a_line_break_or_a_tab(images):
    text = feed_text("de", name="Zeile\r\neins\tzwei", short_text="a\u2028b", long_text="x\n\n\ny")

    archive, _count = package([feed_product(images=(), texts={"de": text})])

    lines = archive.read(DATA_FILE).decode("utf-16").split("\r\n")
    assert [line for line in lines if line] == lines[:2]  # a header and one record
    assert all(line.count("\t") == lines[0].count("\t") for line in lines[:2])
    [row] = records(archive)
    assert (row["name"], row["short_text"], row["long_text"]) == ("Zeile eins zwei", "a b", "x ¶ y")


def test_utf8_can_be_chosen(images):
    archive, _count = package([feed_product(images=())], encoding="utf-8")

    assert archive.read(DATA_FILE).startswith(b"\xef\xbb\xbf")
    assert records(archive, "utf-8-sig")[0]["sku"] == "BS-18"


def test_a_product_without_text_in_the_language_is_left_out(images):
    english_only = feed_product(sku="EN-1", images=(), texts={"en": feed_text("en")})

    archive, count = package([english_only, feed_product(images=(), price=Decimal("1"))])

    assert count == 1
    assert [row["sku"] for row in records(archive)] == ["BS-18"]


def test_an_image_outside_the_hub_is_not_fetched(images):
    foreign = FeedAsset("http://169.254.169.254/latest/meta-data", "image/png", "x.png")

    with pytest.raises(ValueError, match="Only the hub's"):
        package([feed_product(images=(foreign,))])


def test_an_image_missing_from_storage_is_left_out_and_the_product_kept(images):
    gone = FeedAsset(f"{BASE}/media/images/gone.png", "image/png", "gone.png")

    archive, count = package([feed_product(images=(gone, images[1]))])

    assert count == 1
    [row] = records(archive)
    assert (row["@image"], row["@image2"]) == ("images/BS-18-2.png", "")
    assert (
        archive.read("images/BS-18-2.png")
        == default_storage.open(images[1].url.split("/media/")[1]).read()
    )
    assert "images/BS-18-1.png" not in archive.namelist()
