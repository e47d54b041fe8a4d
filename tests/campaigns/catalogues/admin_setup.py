"""Catalogues and their runs for the admin tests: drafts, approved ones, stored files."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from campaigns.models import Catalogue, CatalogueChapter, CatalogueRun
from content.services import content_approve, content_submit
from tests.factories import CategoryFactory, png_bytes

PDF = b"%PDF-1.7\n% a catalogue\n%%EOF\n"
PACKAGE = b"PK\x05\x06" + b"\0" * 18  # an empty zip


def draft_catalogue(*, slug: str = "bau-2027", categories=None, **fields) -> Catalogue:
    """A catalogue saved as a draft (never published), with one chapter per category."""
    fields.setdefault("title", "Produktkatalog Bauwerkzeuge 2027")
    catalogue = Catalogue.objects.create(slug=slug, live=False, **fields)
    for order, category in enumerate(categories or [CategoryFactory(name="Bohrhämmer")]):
        CatalogueChapter.objects.create(catalogue=catalogue, category=category, sort_order=order)
    return Catalogue.objects.get(pk=catalogue.pk)


def approved_catalogue(*, manager, approvers, **fields) -> Catalogue:
    """A catalogue taken through the "Campaign approval" workflow: live."""
    catalogue = draft_catalogue(**fields)
    content_submit(obj=catalogue, user=manager)
    for approver in approvers:
        content_approve(obj=Catalogue.objects.get(pk=catalogue.pk), user=approver)
    return Catalogue.objects.get(pk=catalogue.pk)


def _store(path: str, data: bytes) -> str:
    return default_storage.save(path, ContentFile(data))


def finished_run(catalogue: Catalogue, *, roles=("decision_maker",), previews: int = 2, **fields):
    """A succeeded run whose PDFs (default and per role), package and previews are stored."""
    run = CatalogueRun.objects.create(
        catalogue=catalogue,
        started_at=fields.pop("started_at", timezone.now()),
        finished_at=timezone.now(),
        status="succeeded",
        profile=catalogue.profile,
        chapters_total=2,
        chapters_done=2,
        products=12,
        pages=24,
        **fields,
    )
    folder = f"catalogues/{catalogue.slug}/{run.pk}"
    files = []
    for role in ("", *roles):
        name = f"{catalogue.slug}{'-' + role if role else ''}.pdf"
        data = PDF + role.encode()
        files.append(
            {
                "role": role,
                "name": name,
                "path": _store(f"{folder}/{name}", data),
                "size": len(data),
                "pages": 24,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    run.files = files
    name = f"{catalogue.slug}-indesign.zip"
    run.layout_export = {
        "name": name,
        "path": _store(f"{folder}/{name}", PACKAGE),
        "size": len(PACKAGE),
        "records": 12,
    }
    run.previews = [
        _store(f"{folder}/preview-{page}.png", png_bytes(60 + page, 80))
        for page in range(1, previews + 1)
    ]
    run.save()
    return run


def open_run(catalogue: Catalogue, *, done: int, total: int) -> CatalogueRun:
    return CatalogueRun.objects.create(
        catalogue=catalogue,
        started_at=timezone.now(),
        status="rendering",
        profile=catalogue.profile,
        chapters_total=total,
        chapters_done=done,
    )
