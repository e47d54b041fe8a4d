"""The catalogue's images: read through the hub's fetcher, checked, and made print-safe.

Every image a catalogue shows is read once, before WeasyPrint lays the document out, by
``ImagePreparer``: a URL the hub's fetcher refuses (not a hub file, missing) or bytes that
are no decodable image give a ``DocumentProblem`` and the template draws a placeholder
box instead. In the print profile each image is converted to CMYK (from its embedded
profile, else sRGB, to the FOGRA39 output profile, by Little CMS through Pillow's
``ImageCms``) and embedded as a CMYK JPEG, since PDF/X-4 with a CMYK output intent allows
no DeviceRGB. The screen profile embeds the bytes as the hub gave them (small renditions).

``PreparedFetcher`` is the URL fetcher WeasyPrint gets: it answers the prepared images from
memory and hands every other URL to ``HubURLFetcher`` (converting images in print), so
what the renderer may read is never wider than the hub's own files.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageCms, UnidentifiedImageError
from weasyprint.urls import URLFetcherResponse

from channels.documents import DocumentProblem

from .fetcher import HubURLFetcher

logger = logging.getLogger(__name__)

CMYK_PROFILE = Path(__file__).resolve().parent / "icc" / "FOGRA39L.icc"
JPEG_QUALITY = 90
# Print: below this resolution at its printed size an image looks soft (reported); above
# PRINT_DPI it only makes the file bigger (scaled down).
MIN_PRINT_DPI = 150
PRINT_DPI = 300
# Decompression bombs: a catalogue image larger than this is refused, not decoded.
MAX_PIXELS = 60_000_000


@cache
def cmyk_profile_bytes() -> bytes:
    return CMYK_PROFILE.read_bytes()


@cache
def _transform_from_srgb() -> ImageCms.ImageCmsTransform:
    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"),
        ImageCms.ImageCmsProfile(io.BytesIO(cmyk_profile_bytes())),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """``image`` as RGB, transparency composited over white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def effective_dpi(width: int, height: int, box_mm: tuple[float, float]) -> float:
    """The resolution of a ``width`` x ``height`` image fitted into a box of ``box_mm``."""
    mm_per_pixel = min(box_mm[0] / width, box_mm[1] / height)
    return 25.4 / mm_per_pixel


def to_cmyk_jpeg(data: bytes, *, max_size: tuple[int, int] | None = None) -> bytes:
    """The image in ``data`` as a CMYK JPEG for offset printing (FOGRA39), scaled down to
    fit ``max_size`` pixels when given."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if max_size and (image.width > max_size[0] or image.height > max_size[1]):
            image.thumbnail(max_size, Image.Resampling.LANCZOS)
        if image.mode == "CMYK":
            cmyk = image
        else:
            embedded = image.info.get("icc_profile")
            rgb = _flatten(image)
            if embedded and image.mode in ("RGB", "RGBA"):
                try:
                    cmyk = ImageCms.profileToProfile(
                        rgb,
                        ImageCms.ImageCmsProfile(io.BytesIO(embedded)),
                        ImageCms.ImageCmsProfile(io.BytesIO(cmyk_profile_bytes())),
                        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                        outputMode="CMYK",
                    )
                except (ImageCms.PyCMSError, OSError):
                    cmyk = ImageCms.applyTransform(rgb, _transform_from_srgb())
            else:
                cmyk = ImageCms.applyTransform(rgb, _transform_from_srgb())
        out = io.BytesIO()
        cmyk.save(out, "JPEG", quality=JPEG_QUALITY)
        return out.getvalue()


def decoded_size(data: bytes) -> tuple[int, int]:
    """The pixel size of the image in ``data``; raises ValueError when it is none."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError("too many pixels")
            image.load()
            return image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValueError(str(error)) from error


@dataclass(frozen=True)
class PreparedImage:
    url: str
    data: bytes
    media_type: str
    width: int
    height: int


class ImagePreparer:
    """Reads, checks and (in print) converts a rendering's images, each URL once."""

    def __init__(self, *, cmyk: bool, fetcher: HubURLFetcher | None = None) -> None:
        self.cmyk = cmyk
        self.fetcher = fetcher or HubURLFetcher()
        self.prepared: dict[str, PreparedImage] = {}
        self._failed: dict[str, str] = {}

    def prepare(
        self,
        url: str,
        *,
        sku: str,
        field: str = "images",
        box_mm: tuple[float, float] | None = None,
    ) -> tuple[PreparedImage | None, DocumentProblem | None]:
        """The image at ``url`` ready to embed in a box of ``box_mm`` (None when it cannot
        be shown), and the problem it has (a print image too coarse for its box is shown,
        and reported)."""
        if url not in self.prepared and url not in self._failed:
            reason = self._read(url, box_mm)
            if reason is not None:
                self._failed[url] = reason
        if url in self._failed:
            return None, DocumentProblem(sku, field, self._failed[url])
        image = self.prepared[url]
        if self.cmyk and box_mm:
            dpi = effective_dpi(image.width, image.height, box_mm)
            if dpi < MIN_PRINT_DPI:
                message = _(
                    "The image %(url)s has only %(dpi)d dpi at its printed size "
                    "(%(minimum)d at least)."
                ) % {"url": url, "dpi": dpi, "minimum": MIN_PRINT_DPI}
                return image, DocumentProblem(sku, field, message)
        return image, None

    def _read(self, url: str, box_mm: tuple[float, float] | None) -> str | None:
        """Reads and keeps the image at ``url``; why not, when it cannot."""
        if not url:
            return _("The product has no image.")
        try:
            response = self.fetcher.fetch(url)
            try:
                data = response.read()
            finally:
                response.close()
        except Exception as error:  # refused, missing, unreadable: all the same to the page
            logger.info("print_image_unreadable url=%s error=%s", url, type(error).__name__)
            return _("The image %(url)s cannot be read.") % {"url": url}
        try:
            width, height = decoded_size(data)
            media_type = response.content_type or "application/octet-stream"
            if self.cmyk:
                max_size = None
                if box_mm:
                    max_size = tuple(round(mm / 25.4 * PRINT_DPI) for mm in box_mm)
                data, media_type = to_cmyk_jpeg(data, max_size=max_size), "image/jpeg"
        except (ValueError, OSError, ImageCms.PyCMSError):
            return _("The file %(url)s is not an image that can be shown.") % {"url": url}
        self.prepared[url] = PreparedImage(url, data, media_type, width, height)
        return None


class PreparedFetcher(HubURLFetcher):
    """WeasyPrint's fetcher for one rendering: prepared images from memory, the rest
    through ``HubURLFetcher`` (images converted to CMYK in print)."""

    def __init__(self, preparer: ImagePreparer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.preparer = preparer

    def fetch(self, url, headers=None):
        image = self.preparer.prepared.get(url)
        if image is not None:
            return URLFetcherResponse(url, image.data, {"Content-Type": image.media_type})
        response = super().fetch(url, headers)
        if not self.preparer.cmyk or url.lower().startswith("data:"):
            return response
        media_type = response.content_type or ""
        if not media_type.startswith("image/") or media_type == "image/svg+xml":
            return response
        try:
            data = response.read()
        finally:
            response.close()
        return URLFetcherResponse(url, to_cmyk_jpeg(data), {"Content-Type": "image/jpeg"})
