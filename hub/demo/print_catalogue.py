"""The demo's print catalogue: approved and published, never generated.

Created once, by its key, through the "Campaign approval" workflow as people would do it:
the campaign manager submits it, marketing and legal approve it. It is not generated here:
rendering is a user's "Generate" in the admin (Campaigns → Print catalogues → History).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser

from campaigns.models import Catalogue, CatalogueChapter, CatalogueProfile, PriceBasis
from content.models import Category
from content.services import content_approve, content_submit
from content.taxonomy import BuyingRole, JourneyPhase

DEMO_PRINT_CATALOGUE = {
    "slug": "produktkatalog-bauwerkzeuge-2027",
    "title": "Produktkatalog Bauwerkzeuge 2027",
    "subtitle": "Elektrowerkzeuge, Handwerkzeuge und Befestigungstechnik für die Baustelle",
    "language": "de",
    "intro_headline": "Werkzeug, auf das sich Ihre Baustelle verlassen kann",
    "intro": (
        "<p>Dieser Katalog zeigt unser Sortiment für Rohbau und Ausbau: von der "
        "Akku-Bohrmaschine bis zum Schwerlastdübel, mit allen technischen Daten nach ETIM.</p>"
    ),
    # Decision makers and users in consideration have approved messages of their own.
    "intro_phase": JourneyPhase.CONSIDERATION,
    "roles": [BuyingRole.DECISION_MAKER, BuyingRole.USER],
    "profile": CatalogueProfile.SCREEN,
    "price_basis": PriceBasis.LIST,
}
# Its chapters, in order: top-level categories of the demo's product catalogue.
DEMO_PRINT_CHAPTERS = ("elektrowerkzeuge", "handwerkzeuge", "befestigungstechnik")


def seed_print_catalogue(
    *,
    manager: AbstractBaseUser,
    approvers: Sequence[AbstractBaseUser],
    created: Counter[str],
) -> None:
    """The demo's print catalogue, approved and live (idempotent: by its key)."""
    if Catalogue.objects.filter(slug=DEMO_PRINT_CATALOGUE["slug"]).exists():
        return
    catalogue = Catalogue.objects.create(**DEMO_PRINT_CATALOGUE, live=False)
    categories = Category.objects.in_bulk(DEMO_PRINT_CHAPTERS, field_name="slug")
    for order, slug in enumerate(slug for slug in DEMO_PRINT_CHAPTERS if slug in categories):
        CatalogueChapter.objects.create(
            catalogue=catalogue, category=categories[slug], sort_order=order
        )
    content_submit(obj=Catalogue.objects.get(pk=catalogue.pk), user=manager)
    for approver in approvers:
        content_approve(obj=Catalogue.objects.get(pk=catalogue.pk), user=approver)
    created["print catalogues"] += 1
