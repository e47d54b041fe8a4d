"""Local media files (MEDIA_ROOT) served with the content's access rules.

Only where the files are on local disk (``HUB_SERVE_MEDIA``, the embedded default): an
original image, a rendition or a document file goes to anyone only when live content uses
it (``content.selectors.asset_is_public``), else only to admin users who may see it; every
other file (import uploads above all) is never served. Anything refused is "not found", so
nobody learns which unapproved files exist.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve
from wagtail.documents.models import Document
from wagtail.images.models import Image, Rendition

from content.selectors import asset_is_public, user_may_see_asset


def _asset(path: str) -> Image | Document | None:
    folder = path.partition("/")[0]
    if folder == "original_images":
        return Image.objects.filter(file=path).first()
    if folder == "images":
        rendition = Rendition.objects.filter(file=path).select_related("image").first()
        return rendition.image if rendition else None
    if folder == "documents":
        return Document.objects.filter(file=path).first()
    return None


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    asset = _asset(path)
    if asset is None:
        raise Http404("No such file.")
    public = asset_is_public(asset)
    if not public and not user_may_see_asset(request.user, asset):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # Files of unapproved content must not stay in shared caches.
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
