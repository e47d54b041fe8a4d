"""A small document channel for the catalogue engine's tests: real, tiny PDFs (pypdf).

Its layout is a fixed grid: a chapter takes an opening page plus one page per product.
Every body page prints its number ("Seite 7"), so a test can check that the table of
contents points to the pages that carry the chapters. ``OPTIONS`` tell it how to misbehave:
``EXTRA_PAGES`` ({chapter key: n}) makes a chapter n pages longer than planned, as a text
that overflows its box does; ``INVALID`` (a message) makes ``validate`` fail every file.
A product whose short text is "ZU LANG" is a problem of the part (its text is too long).
Every call is recorded in ``CALLS``; ``DURING_RENDER`` hooks run as a part renders.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from channels.documents import (
    DocumentChannel,
    DocumentPlan,
    DocumentProblem,
    PartPlan,
    RenderedPart,
)

CALLS: list[tuple] = []
# Called with the part's plan when a part starts rendering: what a test does meanwhile.
DURING_RENDER: list = []


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(pages: list[list[str]], out) -> int:
    """One A4 page per list of lines, in Helvetica."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(width=595, height=842)
        stream = DecodedStreamObject()
        text = "\n".join(f"({_escape(line)}) '" for line in lines)
        stream.set_data(f"BT /F1 11 Tf 14 TL 50 800 Td\n{text}\nET".encode("latin-1", "replace"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    writer.write(out)
    return len(pages)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html or "").strip()


class FakeDocumentChannel(DocumentChannel):
    identifier = "fake-print"
    name = "Fake print"
    required_fields = {"*": ("sku", "name", "images")}

    def plan(self, spec, outlines, *, part_pages):
        chapter_pages = {outline.key: 1 + outline.products for outline in outlines}
        groups: list[list[str]] = []
        for outline in outlines:
            pages = chapter_pages[outline.key]
            if groups and sum(chapter_pages[k] for k in groups[-1]) + pages <= part_pages:
                groups[-1].append(outline.key)
            else:
                groups.append([outline.key])
        parts, first = [], 1
        for index, keys in enumerate(groups):
            pages = sum(chapter_pages[key] for key in keys)
            parts.append(PartPlan(index, tuple(keys), first, pages))
            first += pages
        return DocumentPlan(tuple(parts), chapter_pages)

    def render_part(self, spec, part, chapters, out):
        CALLS.append(("render_part", part.index, part.first_page))
        for hook in DURING_RENDER:
            hook(part)
        extra = self.options.get("EXTRA_PAGES", {})
        pages: list[list[str]] = []
        chapter_pages, product_pages, problems = {}, {}, []

        def page(*lines):
            number = part.first_page + len(pages)
            pages.append([*lines, f"Seite {number}"])
            return number

        for chapter in chapters:
            chapter_pages[chapter.key] = page(f"Kapitel: {chapter.title}")
            for product in chapter.products:
                text = product.text(spec.language)
                price = spec.price(product)
                product_pages[product.sku] = page(
                    f"Produkt {product.sku}: {text.name}",
                    f"Bild: {product.images[0].url if product.images else '-'}",
                    f"Preis: {price if price is not None else '-'}",
                )
                if text.short_text == "ZU LANG":
                    problems.append(DocumentProblem(product.sku, "long_text", "Text zu lang"))
            for _ in range(int(extra.get(chapter.key, 0))):
                page(f"Fortsetzung {chapter.title}")
        write_pdf(pages, out)
        return RenderedPart(len(pages), chapter_pages, product_pages, tuple(problems))

    def render_front(self, spec, toc, out):
        CALLS.append(("render_front", spec.role))
        intro = spec.intro
        lines = [
            f"Titel: {spec.title}",
            f"Untertitel: {spec.subtitle}",
            f"Titelbild: {spec.cover_image_url or '-'}",
            f"Einleitung: {intro.headline if intro else '-'}",
            f"Text: {plain(intro.body_html) if intro else '-'}",
        ]
        contents = [f"Inhalt: {entry.title} .... {entry.page}" for entry in toc]
        return RenderedPart(write_pdf([lines, contents or ["Inhalt"]], out))

    def render_back(self, spec, index, first_page, out):
        CALLS.append(("render_back", first_page))
        lines = [f"Index: {entry.sku} {entry.name} .... {entry.page}" for entry in index]
        return RenderedPart(write_pdf([[*lines, f"Seite {first_page}"]], out))

    def assemble(self, spec, files, out):
        CALLS.append(("assemble", spec.role))
        writer = PdfWriter()
        for path in files:
            writer.append(str(path))
        writer.write(out)
        return len(writer.pages)

    def validate(self, spec, path: Path):
        if self.options.get("INVALID"):
            return [self.options["INVALID"]]
        return [] if PdfReader(str(path)).pages else ["empty"]

    def layout_export(self, spec, chapters, out):
        records = [
            f"{product.sku}\t{product.images[0].url if product.images else ''}"
            for chapter in chapters
            for product in chapter.products
        ]
        with zipfile.ZipFile(out, "w") as package:
            package.writestr("katalog.txt", "\n".join(records))
        return len(records)

    def preview(self, path, *, pages=4, width=600):
        count = min(pages, len(PdfReader(str(path)).pages))
        images = []
        for _ in range(count):
            buffer = io.BytesIO()
            Image.new("RGB", (width, int(width * 1.414)), "white").save(buffer, "PNG")
            images.append(buffer.getvalue())
        return images
