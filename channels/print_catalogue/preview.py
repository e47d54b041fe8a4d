"""Images of a document's first pages, for the admin (``DocumentChannel.preview``)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium


def preview_pages(path: Path, *, pages: int = 4, width: int = 600) -> list[bytes]:
    """The first ``pages`` pages of the PDF at ``path`` as PNG images ``width`` pixels
    wide, their height by the page's aspect ratio (fewer when the document is shorter)."""
    images: list[bytes] = []
    document = pdfium.PdfDocument(path)
    try:
        for index in range(min(pages, len(document))):
            page = document[index]
            try:
                page_width, page_height = page.get_size()
                size = (width, max(1, round(page_height * width / page_width)))
                bitmap = page.render(scale=width / page_width, draw_annots=True)
                try:
                    image = bitmap.to_pil()
                    if image.size != size:
                        # pdfium rounds the scaled page up to whole pixels.
                        image = image.resize(size)
                    buffer = io.BytesIO()
                    image.save(buffer, format="PNG", optimize=True)
                    images.append(buffer.getvalue())
                finally:
                    bitmap.close()
            finally:
                page.close()
    finally:
        document.close()
    return images
