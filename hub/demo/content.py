"""Demo categories, products and audience messages, written through ``content.services``.

Revisions, workflow states and the audit log look exactly as if people had done the work in
the admin. Running it again creates and changes nothing: categories are keyed on slug,
products on (SKU, locale) and messages on (headline, locale).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Locale

from content.models import (
    AudienceMessage,
    Category,
    ContentModel,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
    ProductRelation,
)
from content.services import content_approve, content_reject, content_save_draft, content_submit
from content.taxonomy import Availability

from .catalogue import (
    AVAILABILITY,
    CATEGORIES,
    LATER_EDIT,
    LEGAL_CLAIM,
    LEGAL_REJECTION,
    LIVE,
    NO_DATA_SHEET_POSITIONS,
    NO_GTIN_POSITIONS,
    NO_IMAGE_POSITIONS,
    RELATIONS,
    CategorySpec,
    Family,
    Plan,
    english_plan,
    gtin_for,
    in_language,
    plan_from_data,
    product_plan,
)
from .datafiles import load, pair
from .media import data_sheet_pdf, product_jpeg


@dataclass(frozen=True)
class Message:
    headline: tuple[str, str]
    body: tuple[str, str]
    cta: tuple[str, str]
    cta_url: tuple[str, str]
    role: str = ""
    phase: str = ""
    sku: str = ""
    plan: Plan = LIVE
    english: Plan | None = LIVE


def _message(row: dict) -> Message:
    return Message(
        headline=pair(row["headline"]),
        body=pair(row["body"]),
        cta=pair(row["cta"]),
        cta_url=pair(row["cta_url"]),
        role=row.get("role", ""),
        phase=row.get("phase", ""),
        sku=row.get("sku", ""),
        plan=plan_from_data(row.get("plan", "live")),
        english=plan_from_data(row.get("english", "live")),
    )


MESSAGES = tuple(_message(row) for row in load("messages"))


class ContentSeeder:
    """Creates whatever demo content is missing, counting what it made in ``created``."""

    def __init__(
        self,
        *,
        editor: AbstractBaseUser,
        reviewers: Sequence[AbstractBaseUser],
        now: datetime,
        created: Counter[str],
    ) -> None:
        self.editor = editor
        self.reviewers = list(reviewers)
        self.now = now
        self.created = created
        self.de = Locale.objects.get(language_code="de")
        self.en = Locale.objects.get(language_code="en")

    def run(self) -> None:
        categories = self.seed_categories()
        for index, spec in enumerate(CATEGORIES):
            self.seed_products(spec=spec, index=index, categories=categories)
        for spec in MESSAGES:
            self.seed_message(spec=spec)

    # Categories

    def seed_categories(self) -> dict[str, Category]:
        categories = {}
        for order, spec in enumerate(CATEGORIES):
            top = self._category(slug=spec.slug, name=spec.name, name_en=spec.name_en, order=order)
            categories[spec.slug] = top
            for child_order, (slug, name, name_en) in enumerate(spec.children):
                categories[slug] = self._category(
                    slug=slug, name=name, name_en=name_en, order=child_order, parent=top
                )
        return categories

    def _category(
        self, *, slug: str, name: str, name_en: str, order: int, parent: Category | None = None
    ) -> Category:
        category, created = Category.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "name_en": name_en, "sort_order": order, "parent": parent},
        )
        if created:
            self.created["categories"] += 1
        return category

    # Products

    def seed_products(
        self, *, spec: CategorySpec, index: int, categories: dict[str, Category]
    ) -> None:
        for family_index, family in enumerate(spec.families):
            for variant_index in range(len(family.variants)):
                position = family_index * len(family.variants) + variant_index
                sku = f"HW-{spec.code}-{position + 1:04d}"
                german = Product.objects.filter(sku=sku, locale=self.de).first()
                if german is None:
                    plan = product_plan(category=index, position=position)
                    german = self._new_german_product(
                        sku=sku,
                        spec=spec,
                        family=family,
                        variant=variant_index,
                        number=index * 12 + position + 1,
                        position=position,
                        category=categories[family.category or spec.slug],
                        legal_claim=plan.reject_comment == LEGAL_REJECTION,
                    )
                    self._run_plan(obj=german, plan=plan, revise=_revise_product)
                    self.created["German products"] += 1
                plan = english_plan(category=index, position=position)
                translated = Product.objects.filter(sku=sku, locale=self.en).exists()
                if plan is not None and not translated:
                    english = self._english_product(
                        german=german, family=family, variant=variant_index
                    )
                    self._run_plan(obj=english, plan=plan, revise=_revise_product)
                    self.created["English products"] += 1

    def _new_german_product(
        self,
        *,
        sku: str,
        spec: CategorySpec,
        family: Family,
        variant: int,
        number: int,
        position: int,
        category: Category,
        legal_claim: bool,
    ) -> Product:
        label = in_language(family.variants[variant].label, "de")
        name = family.name[0].format(v=label)
        availability, lead_time = AVAILABILITY.get(position, (Availability.IN_STOCK, 2))
        price = None if availability == Availability.ON_REQUEST else family.variants[variant].price
        product = Product(
            locale=self.de,
            sku=sku,
            gtin="" if position in NO_GTIN_POSITIONS else gtin_for(number),
            brand=family.brand,
            manufacturer_part_number=family.mpn.format(code=family.variants[variant].code),
            name=name,
            short_text=family.short[0].format(v=label),
            long_text=family.long[0].format(v=label),
            etim_class=family.etim_class,
            price=Decimal(price) if price else None,
            currency="EUR",
            availability=availability,
            lead_time_days=lead_time,
            erp_updated_at=self.now,
            categories=[category],
            features=[
                ProductFeature(
                    name=in_language(feature.name, "de"),
                    value=in_language(feature.value(variant), "de"),
                    unit=in_language(feature.unit, "de"),
                    etim_feature=feature.etim,
                    sort_order=order,
                )
                for order, feature in enumerate(family.features)
            ],
        )
        product.relations = [
            ProductRelation(kind=kind, related=related, note=note, sort_order=order)
            for order, (kind, related_sku, note) in enumerate(RELATIONS.get(sku, ()))
            if (related := Product.objects.filter(sku=related_sku, locale=self.de).first())
        ]
        if legal_claim:
            product.long_text += LEGAL_CLAIM
        if position not in NO_IMAGE_POSITIONS:
            views = (False, True) if position % 3 == 0 else (False,)
            product.images = [
                ProductImage(
                    image=self._image(product=product, colour=spec.colour, detail=detail),
                    alt_text=f"{'Detailansicht' if detail else 'Produktfoto'}: {name}",
                    sort_order=order,
                )
                for order, detail in enumerate(views)
            ]
        if position not in NO_DATA_SHEET_POSITIONS:
            product.documents = [
                ProductDocument(
                    document=self._data_sheet(product=product), label="Datenblatt", sort_order=0
                )
            ]
        return product

    def _image(self, *, product: Product, colour: str, detail: bool) -> Image:
        title = f"{product.sku} {product.name}" + (" (Detail)" if detail else "")
        image = Image.objects.filter(title=title).first()
        if image is None:
            data = product_jpeg(name=product.name, sku=product.sku, colour=colour, detail=detail)
            suffix = "-detail" if detail else ""
            image = Image(
                title=title,
                file=ImageFile(io.BytesIO(data), name=f"{product.sku.lower()}{suffix}.jpg"),
            )
            image._set_image_file_metadata()  # what the admin's upload form does
            image.save()
            self.created["images"] += 1
        return image

    def _data_sheet(self, *, product: Product) -> Document:
        title = f"Datenblatt {product.sku}"
        document = Document.objects.filter(title=title).first()
        if document is None:
            pdf = data_sheet_pdf(product=product)
            document = Document(
                title=title,
                file=ContentFile(pdf, name=f"datenblatt-{product.sku.lower()}.pdf"),
            )
            document._set_document_file_metadata()
            document.save()
            self.created["data sheets"] += 1
        return document

    def _english_product(self, *, german: Product, family: Family, variant: int) -> Product:
        # Translate the current German content, as the admin's "Translate" action does; the
        # copy starts as an unpublished draft (ContentModel.copy_for_translation).
        english = Product.objects.get(pk=german.pk).copy_for_translation(self.en)
        label = in_language(family.variants[variant].label, "en")
        english.name = family.name[1].format(v=label)
        english.short_text = family.short[1].format(v=label)
        english.long_text = family.long[1].format(v=label)
        by_name = {in_language(f.name, "de"): f for f in family.features}
        for row in english.features.all():
            spec = by_name.get(row.name)
            if spec is not None:
                row.name = in_language(spec.name, "en")
                row.value = in_language(spec.value(variant), "en")
                row.unit = in_language(spec.unit, "en")
        for row in english.images.all():
            kind = "Detail view" if row.alt_text.startswith("Detail") else "Product photo"
            row.alt_text = f"{kind}: {english.name}"
        for row in english.documents.all():
            row.label = "Data sheet (German)"
        return english

    # Audience messages

    def seed_message(self, *, spec: Message) -> None:
        german = AudienceMessage.objects.filter(headline=spec.headline[0], locale=self.de).first()
        if german is None:
            german = AudienceMessage(
                locale=self.de,
                headline=spec.headline[0],
                body=spec.body[0],
                role=spec.role,
                phase=spec.phase,
                product=self._product(sku=spec.sku, locale=self.de),
                cta_label=spec.cta[0],
                cta_url=spec.cta_url[0],
            )
            self._run_plan(obj=german, plan=spec.plan, revise=None)
            self.created["German messages"] += 1
        english_exists = AudienceMessage.objects.filter(
            headline=spec.headline[1], locale=self.en
        ).exists()
        if spec.english is not None and not english_exists:
            english = AudienceMessage.objects.get(pk=german.pk).copy_for_translation(self.en)
            english.headline = spec.headline[1]
            english.body = spec.body[1]
            english.cta_label = spec.cta[1]
            english.cta_url = spec.cta_url[1]
            english.product = self._product(sku=spec.sku, locale=self.en)
            self._run_plan(obj=english, plan=spec.english, revise=None)
            self.created["English messages"] += 1

    def _product(self, *, sku: str, locale: Locale) -> Product | None:
        return Product.objects.get(sku=sku, locale=locale) if sku else None

    # The workflow

    def _run_plan(
        self, *, obj: ContentModel, plan: Plan, revise: Callable[[ContentModel], None] | None
    ) -> None:
        if not plan.submit:
            content_save_draft(obj=obj, user=self.editor)
            return
        content_submit(obj=obj, user=self.editor)
        for reviewer in self.reviewers[: plan.approvals]:
            content_approve(obj=obj, user=reviewer)
        if plan.reject_comment:
            content_reject(
                obj=obj, user=self.reviewers[plan.approvals], comment=plan.reject_comment
            )
        if plan.edit_after_publishing and revise is not None:
            live = type(obj).objects.get(pk=obj.pk)
            revise(live)
            content_save_draft(obj=live, user=self.editor)


def _revise_product(product: ContentModel) -> None:
    product.short_text += LATER_EDIT
