"""Media-neutral product content, audience messages, the category tree and the review task."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import (
    DraftStateMixin,
    GroupApprovalTask,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    Task,
    TranslatableMixin,
    WorkflowMixin,
)
from wagtail.search import index

from ..revision_data import checked_serializable_data
from ..rich_text import RICH_TEXT_FEATURES
from ..taxonomy import (
    Availability,
    BuyingRole,
    EtimDataType,
    JourneyPhase,
    MeasureUnit,
    RelationKind,
)
from ..validators import (
    DEFAULT_ETIM_RELEASE,
    validate_eprel_code,
    validate_etim_class,
    validate_etim_feature,
    validate_etim_release,
    validate_gtin,
    validate_sku,
)

# Fields the ERP owns. Editors see them read-only, and publishing an older revision keeps
# the ERP's current values instead of restoring stale prices.
ERP_FIELDS = ("price", "currency", "availability", "lead_time_days", "erp_updated_at")


class Category(index.Indexed, models.Model):
    """A node of the product category tree (adjacency list; the tree is small)."""

    name = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=_("sort order"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    search_fields = [index.SearchField("name"), index.SearchField("name_en")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return " / ".join(node.name for node in self.ancestors_and_self())

    # A product's API answer names its categories, so renaming or deleting a category
    # changes the product: its updated_at moves with it. ETags, Last-Modified and
    # ``updated_since`` then need nothing but the product rows.
    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.touch_products()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            self.touch_products()
            return super().delete(*args, **kwargs)

    def touch_products(self) -> None:
        Product.objects.filter(categories=self).update(updated_at=timezone.now())

    def label(self, locale: str) -> str:
        return (self.name_en or self.name) if locale == "en" else self.name

    def ancestors_and_self(self) -> list[Category]:
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def clean(self) -> None:
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot be inside itself.")})
            node = node.parent


class ReviewTask(GroupApprovalTask):
    """A group approval step whose "Request changes" always carries a comment."""

    class Meta:
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")

    def get_form_for_action(self, action: str):
        if action == "reject":
            from ..forms import RejectWithCommentForm

            return RejectWithCommentForm
        return super().get_form_for_action(action)

    def on_action(self, task_state, user, action_name, **kwargs):
        # The admin's modal enforces the comment; a hand-made POST must not skip it.
        if action_name == "reject" and not (kwargs.get("comment") or "").strip():
            raise PermissionDenied("Requesting changes needs a comment for the editor.")
        if action_name == "approve" and self._is_last_step(task_state):
            blockers = task_state.revision.as_object().publish_blockers()
            if blockers:
                # Approving would publish, and publishing cannot succeed: hand the item back
                # to its editor with the reason instead of failing the approver's request.
                comment = " ".join([str(_("Not published:")), *map(str, blockers)])
                task_state.reject(user=user, comment=comment)
                return None
        return super().on_action(task_state, user, action_name, **kwargs)

    @staticmethod
    def _is_last_step(task_state) -> bool:
        last = (
            Task.objects.filter(
                workflow_tasks__workflow=task_state.workflow_state.workflow_id, active=True
            )
            .order_by("-workflow_tasks__sort_order")
            .first()
        )
        return last is not None and last.pk == task_state.task_id

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups approve, or request changes with a comment")


class ContentModel(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    TranslatableMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    """What products and audience messages share: drafts, locks, revisions, approval, locales."""

    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Text an editor translates; the rest (numbers, codes, media) a copy keeps as it is.
    translatable_text_fields: tuple[str, ...] = ()

    class Meta(TranslatableMixin.Meta):
        abstract = True

    def publish_blockers(self) -> list[str]:
        """Why this version cannot go live now; empty when it can."""
        return []

    @classmethod
    def from_serializable_data(cls, data, check_fks=True, strict_fks=False):
        # A revision read back checks its keys with one query per model, not one per key.
        if check_fks:
            data = checked_serializable_data(cls, data, strict_fks=strict_fks)
            if data is None:
                return None
        return super().from_serializable_data(data, check_fks=False, strict_fks=strict_fks)

    def copy_for_translation(self, locale, exclude_fields=None):
        """A copy in ``locale`` that starts as an unapproved draft.

        Wagtail copies every field, ``live`` included, so translating a live item would
        otherwise publish the translation without review.
        """
        translated = super().copy_for_translation(locale, exclude_fields=exclude_fields)
        translated.live = False
        translated.has_unpublished_changes = True
        translated.first_published_at = None
        translated.last_published_at = None
        translated.live_revision = None
        translated.locked = False
        translated.locked_by = None
        translated.locked_at = None
        return translated


class Product(ContentModel):
    sku = models.CharField(_("SKU"), max_length=64, validators=[validate_sku])
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True, validators=[validate_gtin])
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    manufacturer_part_number = models.CharField(
        _("manufacturer part number"), max_length=64, blank=True
    )
    name = models.CharField(_("name"), max_length=200)
    short_text = models.CharField(_("short text"), max_length=400, blank=True)
    long_text = RichTextField(_("long text"), blank=True, features=RICH_TEXT_FEATURES)
    etim_class = models.CharField(
        _("ETIM class"), max_length=8, blank=True, validators=[validate_etim_class]
    )
    etim_release = models.CharField(
        _("ETIM release"),
        max_length=8,
        default=DEFAULT_ETIM_RELEASE,
        validators=[validate_etim_release],
        help_text=_("The ETIM release the class belongs to, e.g. 9.0."),
    )
    # Sold by length, weight or volume: how much one sales unit holds (unit prices).
    net_content = models.DecimalField(
        _("net content"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    net_content_unit = models.CharField(
        _("net content unit"), max_length=4, choices=MeasureUnit.choices, blank=True
    )
    eprel_code = models.CharField(
        _("EPREL registration"),
        max_length=20,
        blank=True,
        validators=[validate_eprel_code],
        help_text=_("The EU energy label's registration number in EPREL, where one exists."),
    )
    categories = ParentalManyToManyField(
        Category, blank=True, related_name="products", verbose_name=_("categories")
    )

    # Owned by the ERP: read-only in the admin.
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    availability = models.CharField(
        _("availability"), max_length=20, choices=Availability.choices, blank=True
    )
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), null=True, blank=True)
    erp_updated_at = models.DateTimeField(_("ERP updated at"), null=True, blank=True)

    translatable_text_fields = ("name", "short_text", "long_text")

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="product",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="product",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("name"),
        index.SearchField("sku"),
        index.SearchField("brand"),
        index.SearchField("short_text"),
        index.AutocompleteField("name"),
        index.AutocompleteField("sku"),
        index.FilterField("locale"),
        index.FilterField("live"),
        index.FilterField("sku"),
        index.FilterField("translation_key"),
    ]

    class Meta(ContentModel.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku", "locale_id"]
        # Withdrawing is not publishing: approvers may take content off the channels
        # without being able to put anything on them around the workflow.
        permissions = [("unpublish_product", "Can withdraw (unpublish) product")]
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "locale"], name="content_product_unique_sku_per_locale"
            ),
        ]
        indexes = [
            # The API's pages: live products of a language in primary-key order, read
            # 101 rows at a time straight from the index.
            models.Index(
                fields=["locale", "id"], condition=Q(live=True), name="product_live_by_locale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def clean(self) -> None:
        super().clean()
        if self.sku:
            taken = Product.objects.filter(sku=self.sku)
            if self.translation_key:
                taken = taken.exclude(translation_key=self.translation_key)
            if taken.exists():
                raise ValidationError(
                    {"sku": _("SKU %(sku)s is already used by another product.")},
                    params={"sku": self.sku},
                )

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        for field in ERP_FIELDS:
            setattr(obj, field, getattr(self, field))
        return obj

    def get_preview_template(self, request, mode_name):
        return "content/product_preview.html"

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        if (self.net_content is None) != (not self.net_content_unit):
            raise ValidationError(
                {"net_content": _("Give the net content with its unit, or neither.")}
            )


class ProductFeature(Orderable):
    """One technical feature row, in the editor's order."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="features")
    name = models.CharField(_("name"), max_length=100)
    value = models.CharField(_("value"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    etim_feature = models.CharField(
        _("ETIM feature"), max_length=8, blank=True, validators=[validate_etim_feature]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("feature")
        verbose_name_plural = _("features")

    def __str__(self) -> str:
        return f"{self.name}: {self.value} {self.unit}".strip()

    def clean(self) -> None:
        # Drafts skip required-field checks, but a nameless feature row is never useful
        # and would count as "has features" for completeness.
        if not (self.name or "").strip():
            raise ValidationError({"name": _("A feature needs a name.")})


class ProductEtimClass(Orderable):
    """The product's class in another ETIM release, for receivers that use that release."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="other_etim_classes")
    release = models.CharField(_("ETIM release"), max_length=8, validators=[validate_etim_release])
    etim_class = models.CharField(_("ETIM class"), max_length=8, validators=[validate_etim_class])

    class Meta(Orderable.Meta):
        verbose_name = _("ETIM class in another release")
        verbose_name_plural = _("ETIM classes in other releases")

    def __str__(self) -> str:
        return f"ETIM-{self.release} {self.etim_class}"


class ProductRelation(Orderable):
    """Another product that is a spare or wear part, or an accessory, of this one.

    Part of the product's revisions like its features: only the published version's rows
    are live. ``related`` names the other product by any of its language versions; readers
    resolve it through its translation key to its live version in the language they need.
    """

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("kind"), max_length=20, choices=RelationKind.choices)
    related = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("related product"),
    )
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("For example: wears out after about 500 operating hours"),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("spare part or accessory")
        verbose_name_plural = _("spare parts and accessories")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.related}"


class EtimFeature(models.Model):
    """ETIM reference data: a feature's data type (and unit), which typed exports need.

    Loaded from the ETIM classification model a company licenses (or entered by hand);
    a feature code a product uses but this table lacks leaves the product out of typed
    feeds (BMEcat) with that reason.
    """

    code = models.CharField(
        _("feature code"), max_length=8, unique=True, validators=[validate_etim_feature]
    )
    name = models.CharField(_("name"), max_length=200)
    data_type = models.CharField(_("data type"), max_length=1, choices=EtimDataType.choices)
    unit_code = models.CharField(
        _("unit code"), max_length=8, blank=True, help_text=_("The ETIM unit, e.g. EU570448.")
    )
    unit_symbol = models.CharField(
        _("unit symbol"), max_length=20, blank=True, help_text=_("As editors write it, e.g. V.")
    )

    class Meta:
        verbose_name = _("ETIM feature")
        verbose_name_plural = _("ETIM features")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductImage(Orderable):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.CASCADE, related_name="+", verbose_name=_("image")
    )
    alt_text = models.CharField(
        _("alt text"), max_length=250, help_text=_("What the image shows, for screen readers.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")


class ProductDocument(Orderable):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(
        "wagtaildocs.Document",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("document"),
    )
    label = models.CharField(
        _("label"), max_length=100, blank=True, help_text=_("For example: data sheet")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")


class AudienceMessage(ContentModel):
    """A message for one buying-centre role and/or journey phase, optionally about a product.

    Blank role or phase means "any". At most one message is live per
    (product, role, phase, locale): campaigns pick the most specific one.
    """

    headline = models.CharField(_("headline"), max_length=150)
    body = RichTextField(_("body"), features=RICH_TEXT_FEATURES)
    role = models.CharField(
        _("buying-centre role"), max_length=20, choices=BuyingRole.choices, blank=True
    )
    phase = models.CharField(
        _("journey phase"), max_length=20, choices=JourneyPhase.choices, blank=True
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("product"),
    )
    cta_label = models.CharField(_("call-to-action label"), max_length=60, blank=True)
    cta_url = models.URLField(_("call-to-action URL"), blank=True)

    translatable_text_fields = ("headline", "body", "cta_label")

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="audience_message",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="audience_message",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("headline"),
        index.AutocompleteField("headline"),
        index.FilterField("locale"),
        index.FilterField("live"),
        index.FilterField("role"),
        index.FilterField("phase"),
    ]

    class Meta(ContentModel.Meta):
        verbose_name = _("audience message")
        verbose_name_plural = _("audience messages")
        ordering = ["headline"]
        permissions = [("unpublish_audiencemessage", "Can withdraw (unpublish) audience message")]
        constraints = [
            models.UniqueConstraint(
                Coalesce("product", Value(0)),
                "role",
                "phase",
                "locale",
                condition=Q(live=True),
                name="content_message_one_live_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def clean(self) -> None:
        super().clean()
        if bool(self.cta_label) != bool(self.cta_url):
            field = "cta_url" if self.cta_label else "cta_label"
            raise ValidationError({field: _("A call to action needs both a label and a URL.")})
        if self.product_id and self.locale_id and self.product.locale_id != self.locale_id:
            # Point at the product's version in this message's language when there is one.
            translated = self.product.get_translation_or_none(self.locale)
            if translated is not None:
                self.product = translated
        blockers = self.publish_blockers()
        if blockers:
            raise ValidationError(blockers, code="slot_taken")

    def publish_blockers(self) -> list[str]:
        rival = self.live_rival()
        if rival is None:
            return []
        return [
            _(
                "“%(rival)s” is already live for this product, role, phase and language. "
                "Edit that message, or unpublish it first."
            )
            % {"rival": rival.headline}
        ]

    def live_rival(self) -> AudienceMessage | None:
        """Another live message in the same (product, role, phase, locale) slot, if any."""
        if not self.locale_id:
            return None
        rivals = AudienceMessage.objects.filter(
            live=True, role=self.role, phase=self.phase, locale_id=self.locale_id
        )
        if self.product_id:
            rivals = rivals.filter(product__translation_key=self.product.translation_key)
        else:
            rivals = rivals.filter(product__isnull=True)
        if self.pk:
            rivals = rivals.exclude(pk=self.pk)
        return rivals.first()

    def get_preview_template(self, request, mode_name):
        return "content/message_preview.html"


# Below the models it refers to.
from .translation_progress import TranslationProgress as TranslationProgress  # noqa: E402
