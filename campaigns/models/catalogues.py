"""Print catalogues: the live, approved content laid out as a PDF, and as data for InDesign.

A ``Catalogue`` is a snippet approved like a campaign (drafts, revisions, the workflow):
title, language, the categories in their order (``CatalogueChapter``), a cover, a default
introduction and the buying-centre roles that get a version of their own, what prices it
shows and its print profile. Only its published revision is ever rendered.

Each generation is a ``CatalogueRun``. Its body is rendered in parts
(``CatalogueRunPart``), each on any worker of the ``render`` queue; each part records what
it really laid out (pages, the page of each chapter and product), so the table of contents
and the index carry real page numbers. What did not look as the content says (a missing
image, a text too long for its box) is a ``CatalogueProblem`` of the run.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, LockableMixin, Orderable, RevisionMixin, WorkflowMixin
from wagtail.search import index

from content.rich_text import RICH_TEXT_FEATURES
from content.taxonomy import JourneyPhase


class CatalogueProfile(models.TextChoices):
    PRINT = "print", _("Print shop (PDF/X-4, 3 mm bleed, crop marks)")
    SCREEN = "screen", _("Screen (PDF/A-2b, links, small images)")


class CatalogueLayout(models.TextChoices):
    PAGES = "pages", _("One product per page")
    GRID = "grid", _("Two products per page")


class PriceBasis(models.TextChoices):
    NONE = "none", _("No prices")
    LIST = "list", _("Public list price")
    GROUP = "group", _("A price group's prices")


class DataMergeEncoding(models.TextChoices):
    UTF16 = "utf-16", _("UTF-16 (InDesign's default)")
    UTF8 = "utf-8", _("UTF-8")


class Catalogue(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel
):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("key"), max_length=100, unique=True, help_text=_("Names the catalogue's files.")
    )
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.WAGTAIL_CONTENT_LANGUAGES, default="de"
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cover image"),
    )
    intro_headline = models.CharField(_("introduction headline"), max_length=150, blank=True)
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text=_("For every reader whose role has no approved audience message of its own."),
    )
    intro_phase = models.CharField(
        _("journey phase of the introduction"),
        max_length=20,
        choices=JourneyPhase.choices,
        blank=True,
        help_text=_(
            "A role's version opens with the approved audience message for that role (and "
            "this phase, if set) that is about no product, as a newsletter's message slot does."
        ),
    )
    roles = models.JSONField(
        _("versions per buying-centre role"),
        default=list,
        blank=True,
        help_text=_("Each of these roles gets a version of its own, besides the default one."),
    )
    profile = models.CharField(
        _("print profile"),
        max_length=10,
        choices=CatalogueProfile.choices,
        default=CatalogueProfile.SCREEN,
    )
    layout = models.CharField(
        _("layout"), max_length=10, choices=CatalogueLayout.choices, default=CatalogueLayout.PAGES
    )
    price_basis = models.CharField(
        _("prices"), max_length=10, choices=PriceBasis.choices, default=PriceBasis.NONE
    )
    price_group = models.CharField(
        _("price group"),
        max_length=50,
        blank=True,
        help_text=_("Whose prices the catalogue shows when it shows a price group's."),
    )
    show_lead_time = models.BooleanField(_("show lead times"), default=True)
    data_merge_encoding = models.CharField(
        _("layout studio export encoding"),
        max_length=10,
        choices=DataMergeEncoding.choices,
        default=DataMergeEncoding.UTF16,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="catalogue",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="catalogue",
        for_concrete_model=False,
    )

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
    ]

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("print catalogue")
        verbose_name_plural = _("print catalogues")
        permissions = [("generate_catalogue", "Can generate print catalogues")]

    def __str__(self) -> str:
        return self.title

    def publish_blockers(self) -> list[str]:
        """Why this revision cannot be approved now: nothing, a catalogue is only printed
        when someone generates it (the workflow's last step asks every item)."""
        return []

    @property
    def is_approved(self) -> bool:
        """Approved through the workflow: live, from a published revision."""
        return self.live and self.live_revision_id is not None


class CatalogueChapter(Orderable):
    """A category of the catalogue, in the catalogue's order: one chapter each."""

    catalogue = ParentalKey(Catalogue, on_delete=models.CASCADE, related_name="chapters")
    category = models.ForeignKey(
        "content.Category", on_delete=models.CASCADE, related_name="+", verbose_name=_("category")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")

    def __str__(self) -> str:
        return str(self.category)


class CatalogueRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    ASSEMBLING = "assembling", _("Assembling")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


OPEN_RUN_STATES = (
    CatalogueRunStatus.QUEUED,
    CatalogueRunStatus.RENDERING,
    CatalogueRunStatus.ASSEMBLING,
)


class CatalogueRun(models.Model):
    """One generation of a catalogue: its PDFs (one per role version) and its layout export."""

    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="runs")
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CatalogueRunStatus.choices,
        default=CatalogueRunStatus.QUEUED,
    )
    profile = models.CharField(_("print profile"), max_length=10, choices=CatalogueProfile.choices)
    chapters_total = models.PositiveIntegerField(_("chapters"), default=0)
    chapters_done = models.PositiveIntegerField(_("chapters done"), default=0)
    products = models.PositiveIntegerField(_("products"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    # {"parts": [{"index", "chapter_keys", "first_page", "pages"}], "chapter_pages": {...}}
    plan = models.JSONField(default=dict, blank=True)
    # What was printed: {sku: the product's last change, ISO}, for "changed since".
    printed = models.JSONField(default=dict, blank=True)
    # [{"role", "name", "path", "size", "pages", "sha256"}]; role "" is the default version.
    files = models.JSONField(_("files"), default=list, blank=True)
    # {"name", "path", "size", "records"}: the layout studio's package.
    layout_export = models.JSONField(default=dict, blank=True)
    # Storage paths of the first pages of the default version as PNG images.
    previews = models.JSONField(default=list, blank=True)
    files_deleted = models.BooleanField(default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("catalogue run")
        verbose_name_plural = _("catalogue runs")
        constraints = [
            models.UniqueConstraint(
                fields=["catalogue"],
                condition=Q(status__in=["queued", "rendering", "assembling"]),
                name="catalogue_run_one_open_per_catalogue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.catalogue} #{self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RUN_STATES

    def file(self, name: str) -> dict | None:
        return next((file for file in self.files if file["name"] == name), None)


class CatalogueRunPart(models.Model):
    """One part of a run's body, rendered by one task: what it really laid out."""

    run = models.ForeignKey(CatalogueRun, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    chapter_keys = models.JSONField(default=list)
    first_page = models.PositiveIntegerField()
    planned_pages = models.PositiveIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)  # None until rendered
    chapter_pages = models.JSONField(default=dict, blank=True)
    product_pages = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=500, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="catalogue_part_one_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.index}"


class CatalogueProblem(models.Model):
    """Something a run printed other than the content says; the catalogue still rendered."""

    run = models.ForeignKey(CatalogueRun, on_delete=models.CASCADE, related_name="problems")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    product_id = models.PositiveIntegerField(_("product"), null=True, blank=True)
    field = models.CharField(_("field"), max_length=50)
    message = models.CharField(_("problem"), max_length=500)

    class Meta:
        ordering = ["sku", "field", "pk"]
        verbose_name = _("catalogue problem")
        verbose_name_plural = _("catalogue problems")

    def __str__(self) -> str:
        return f"{self.sku} {self.field}: {self.message}"
