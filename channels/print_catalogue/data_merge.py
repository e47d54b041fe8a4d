"""The layout studio's export: an InDesign data-merge package of the catalogue's products.

A zip with one delimited text file, a record per product, and the images in a folder beside
it, as InDesign's Data Merge reads them:

- tab-delimited, UTF-16 LE with a byte order mark by default (what InDesign reads without
  asking, umlauts included), UTF-8 (with BOM) selectable;
- no line break or tab inside a field (paragraphs of the long text are joined with " ¶ ",
  which the layout can replace by a paragraph break with a GREP style);
- image columns named with a leading ``@`` (``@image``, ``@image2``, ...), holding paths
  relative to the text file (``images/BS-18-1.jpg``); an image whose file is missing from
  the storage is left out (its column empty), as the PDF shows a placeholder for it.

The products are the same frozen rows feeds get (``channels.feeds.FeedProduct``), and the
images are read through ``HubURLFetcher``: only the hub's own files, never another URL.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import BinaryIO, Literal

from channels.feeds import FeedAsset, FeedProduct

from .fetcher import HubURLFetcher, MissingFile

DATA_FILE = "catalogue.txt"
IMAGE_FOLDER = "images"
MAX_IMAGES = 3
PARAGRAPH = " ¶ "

# Each encoding's byte order mark and codec: UTF-16 little-endian whatever the machine.
ENCODINGS = {"utf-16": (b"\xff\xfe", "utf-16-le"), "utf-8": (b"\xef\xbb\xbf", "utf-8")}

COLUMNS = (
    "sku",
    "name",
    "short_text",
    "long_text",
    "features",
    "gtin",
    "brand",
    "manufacturer_part_number",
    "price",
    "currency",
    "lead_time_days",
    "category",
)
IMAGE_COLUMNS = tuple(f"@image{n if n > 1 else ''}" for n in range(1, MAX_IMAGES + 1))

_BREAKS = re.compile(r"\s*[\r\n\t\v\f\x85\u2028\u2029]+\s*")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _field(value: object) -> str:
    """A value on one line: breaks and tabs become spaces, paragraphs ``PARAGRAPH``."""
    text = "" if value is None else str(value)
    paragraphs = [_BREAKS.sub(" ", part).strip() for part in re.split(r"\n\s*\n", text)]
    return PARAGRAPH.join(part for part in paragraphs if part)


def _image_name(product: FeedProduct, number: int, asset: FeedAsset) -> str:
    extension = posixpath.splitext(asset.filename)[1].lower() or ".jpg"
    return f"{IMAGE_FOLDER}/{_SAFE_NAME.sub('_', product.sku)}-{number}{extension}"


def _read_with(fetcher: HubURLFetcher) -> Callable[[FeedAsset], bytes]:
    def read(asset: FeedAsset) -> bytes:
        response = fetcher.fetch(asset.url)
        try:
            return response.read()
        finally:
            response.close()

    return read


def write_data_merge(
    products: Iterable[FeedProduct],
    out: BinaryIO,
    *,
    language: str,
    encoding: Literal["utf-16", "utf-8"] = "utf-16",
    read_image: Callable[[FeedAsset], bytes] | None = None,
) -> int:
    """Write the package of ``products`` in ``language`` into ``out`` (a zip); how many
    records it holds. A product without text in ``language`` is left out."""
    read_image = read_image or _read_with(HubURLFetcher())
    text = io.StringIO()
    writer = csv.writer(
        text, delimiter="\t", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL, quotechar='"'
    )
    writer.writerow([*COLUMNS, *IMAGE_COLUMNS])
    records = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for product in products:
            product_text = product.text(language)
            if product_text is None:
                continue
            images = []
            for number, asset in enumerate(product.images[:MAX_IMAGES], start=1):
                try:
                    data = read_image(asset)
                except MissingFile:
                    continue
                name = _image_name(product, number, asset)
                package.writestr(name, data, compress_type=zipfile.ZIP_STORED)
                images.append(name)
            features = "; ".join(
                f"{feature.name}: {feature.value} {feature.unit}".strip()
                for feature in product_text.features
            )
            row = {
                "sku": product.sku,
                "name": product_text.name,
                "short_text": product_text.short_text,
                "long_text": product_text.long_text,
                "features": features,
                "gtin": product.gtin,
                "brand": product.brand,
                "manufacturer_part_number": product.manufacturer_part_number,
                "price": "" if product.price is None else f"{product.price:.2f}",
                "currency": product.currency if product.price is not None else "",
                "lead_time_days": product.lead_time_days,
                "category": " > ".join(product_text.category_path),
            }
            writer.writerow(
                [_field(row[column]) for column in COLUMNS]
                + [images[n] if n < len(images) else "" for n in range(MAX_IMAGES)]
            )
            records += 1
        bom, codec = ENCODINGS[encoding]
        package.writestr(DATA_FILE, bom + text.getvalue().encode(codec))
    return records
