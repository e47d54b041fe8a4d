"""Admin registration for products, audience messages and categories."""

import django_filters
from django import forms
from django.http import Http404
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column
from wagtail.snippets.action_menu import ActionMenuItem, UnpublishMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.permissions import get_permission_name
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.admin_cells import FastLocaleColumn, FastUpdatedAtColumn, escape_value
from core.admin_listings import (
    AnnotatedButtonsMixin,
    AnnotatedLiveStatusColumn,
    annotate_listing_state,
)
from core.spreadsheets import FormulaSafeExportMixin

from .forms import ContentForm, ProductForm
from .models import AudienceMessage, Category, EtimFeature, Product
from .panels import CompletenessPanel, EditorBriefingPanel
from .selectors import (
    asset_is_public,
    channel_choices,
    product_completeness,
    products_incomplete_for,
    products_with_completeness,
    user_may_see_asset,
)
from .taxonomy import BuyingRole, JourneyPhase
from .translation_state import (
    annotate_translation_state,
    field_labels,
    language_versions,
    needing_translation_q,
    translate_url,
    untranslated_fields,
)
from .views import ContentEditView, ContentWorkflowActionView, TranslateView, WithdrawView


class CompletenessColumn(Column):
    """A status tag per channel with its percentage; the title names what is missing.

    Written in Python (six tags a row): a template per cell was a tenth of the listing's time.
    """

    def get_value(self, instance):
        return product_completeness(instance)

    def render_cell_html(self, instance, parent_context):
        tags = "".join(
            f'<span class="w-status{" w-status--primary" if cell.complete else ""}" '
            f'data-channel="{escape_value(cell.channel_key)}" data-percent="{cell.percent}" '
            f'title="{escape_value(completeness_title(cell))}">'
            f"{escape_value(cell.channel_name)} {cell.percent}&nbsp;%</span> "
            for cell in self.get_value(instance)
        )
        classname = f' class="{escape_value(self.classname)}"' if self.classname else ""
        return mark_safe(f"<td{classname}>{tags}</td>")  # noqa: S308 - values escaped above


def completeness_title(cell) -> str:
    """What an editor can still fill in, then what only the ERP delivers."""
    parts = []
    if cell.editor_missing_labels:
        parts.append(f"{_('Missing:')} {', '.join(map(str, cell.editor_missing_labels))}")
    if cell.erp_missing_labels:
        parts.append(f"{_('Comes from the ERP:')} {', '.join(map(str, cell.erp_missing_labels))}")
    return " · ".join(parts)


class TranslationColumn(Column):
    """ "Needs translation" and the fields still in the source language, from the annotation."""

    cell_template_name = "content/translation_cell.html"

    def get_value(self, instance):
        return field_labels(type(instance), untranslated_fields(instance))


def filter_needs_translation(queryset, name, value):
    if value is None:
        return queryset
    return (
        queryset.filter(needing_translation_q())
        if value
        else queryset.exclude(needing_translation_q())
    )


def needs_translation_filter():
    return django_filters.BooleanFilter(
        label=_("Needs translation"), method=filter_needs_translation
    )


class ProductFilterSet(WagtailFilterSet):
    incomplete_for = django_filters.ChoiceFilter(
        label=_("Incomplete for channel"),
        choices=channel_choices,
        method="filter_incomplete_for",
        empty_label=_("Any"),
    )
    live = django_filters.BooleanFilter(label=_("Live"))
    needs_translation = needs_translation_filter()
    categories = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all()
    )

    class Meta:
        model = Product
        fields = ["incomplete_for", "live", "needs_translation", "categories"]

    def filter_incomplete_for(self, queryset, name, value):
        return products_incomplete_for(queryset, value) if value else queryset


class WithdrawMenuItem(UnpublishMenuItem):
    """ "Unpublish" in the edit view's menu for users who may withdraw but not publish."""

    name = "action-withdraw"

    def is_shown(self, context):
        model = context["model"]
        user = context["request"].user
        if context.get("locked_for_user") or context["view"] != "edit":
            return False
        return (
            context["instance"].live
            and user.has_perm(get_permission_name("unpublish", model))
            # Users with "publish" already see Wagtail's own Unpublish item.
            and not user.has_perm(get_permission_name("publish", model))
        )


class TranslateMenuItem(ActionMenuItem):
    """ "Translate" in the edit view's menu: simple_translation's form for this item, for
    users who may add items and translate, while a language has no version of it yet."""

    name = "action-translate"
    classname = "hub-action-translate"
    label = _("Translate")
    icon_name = "globe"

    def is_shown(self, context):
        if context["view"] != "edit":
            return False
        user = context["request"].user
        if not (
            user.has_perm(get_permission_name("add", context["model"]))
            and user.has_perm("simple_translation.submit_translation")
        ):
            return False
        return any(v.edit_url is None for v in language_versions(context["instance"]))

    def get_url(self, context):
        return translate_url(context["instance"])


@hooks.register("register_snippet_action_menu_item")
def register_translate_menu_item(model):
    if model in (Product, AudienceMessage):
        return TranslateMenuItem(order=60)
    return None


@hooks.register("register_admin_urls", order=-1)
def register_translate_view():
    # The same path as simple_translation's own form for snippets, listed before it: every
    # "Translate" link to a product or message (the listing's, the edit menu's) opens ours.
    return [
        path(
            "translation/submit/snippet/content/<slug:model_name>/<str:pk>/",
            TranslateView.as_view(),
            {"app_label": "content"},
            name="content_translate",
        )
    ]


@hooks.register("construct_main_menu")
def hide_page_explorer(request, menu_items):
    # The hub keeps content in snippets; Wagtail's page tree has nothing in it.
    menu_items[:] = [item for item in menu_items if item.name != "explorer"]


@hooks.register("register_snippet_action_menu_item")
def register_withdraw_menu_item(model):
    if model in (Product, AudienceMessage):
        return WithdrawMenuItem(order=50)
    return None


class ProductIndexView(AnnotatedButtonsMixin, FormulaSafeExportMixin, SnippetIndexView):
    """The product listing; its CSV export cannot carry formulas."""


class ContentIndexView(AnnotatedButtonsMixin, SnippetIndexView):
    """A content listing whose buttons cost no query per row."""


class ProductViewSet(SnippetViewSet):
    model = Product
    edit_view_class = ContentEditView
    unpublish_view_class = WithdrawView
    workflow_action_view_class = ContentWorkflowActionView
    icon = "tag"
    menu_label = _("Products")
    menu_order = 100
    filterset_class = ProductFilterSet
    list_per_page = 50
    list_display = [
        "name",
        "sku",
        FastLocaleColumn(label=_("Language")),
        AnnotatedLiveStatusColumn(label=_("Status")),
        CompletenessColumn("completeness", label=_("Completeness")),
        TranslationColumn("translation", label=_("Translation")),
        FastUpdatedAtColumn(label=_("Updated")),
    ]
    list_export = ["sku", "gtin", "name", "brand", "live", "updated_at"]
    index_view_class = ProductIndexView
    inspect_view_enabled = True

    def get_queryset(self, request):
        return annotate_listing_state(
            products_with_completeness(Product.objects.all(), relations_only=True)
        )

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    EditorBriefingPanel(heading=_("Language and review")),
                    CompletenessPanel(heading=_("Completeness per channel")),
                    FieldRowPanel([FieldPanel("sku"), FieldPanel("gtin")]),
                    FieldRowPanel([FieldPanel("brand"), FieldPanel("manufacturer_part_number")]),
                    FieldPanel("name"),
                    FieldPanel("short_text"),
                    FieldPanel("long_text"),
                    FieldRowPanel([FieldPanel("net_content"), FieldPanel("net_content_unit")]),
                    FieldPanel("eprel_code"),
                ],
                heading=_("Content"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("etim_class"), FieldPanel("etim_release")]),
                    InlinePanel(
                        "other_etim_classes",
                        heading=_("ETIM classes in other releases"),
                        label=_("ETIM class"),
                        panels=[FieldRowPanel([FieldPanel("release"), FieldPanel("etim_class")])],
                    ),
                    InlinePanel(
                        "features",
                        heading=_("Technical features"),
                        label=_("Feature"),
                        panels=[
                            FieldRowPanel(
                                [
                                    FieldPanel("name"),
                                    FieldPanel("value"),
                                    FieldPanel("unit"),
                                    FieldPanel("etim_feature"),
                                ]
                            )
                        ],
                    ),
                ],
                heading=_("Features"),
            ),
            ObjectList(
                [
                    FieldPanel("categories", widget=forms.CheckboxSelectMultiple),
                    InlinePanel(
                        "images",
                        heading=_("Images"),
                        label=_("Image"),
                        panels=[FieldPanel("image"), FieldPanel("alt_text")],
                    ),
                    InlinePanel(
                        "documents",
                        heading=_("Documents"),
                        label=_("Document"),
                        panels=[FieldPanel("document"), FieldPanel("label")],
                    ),
                ],
                heading=_("Categories and media"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "relations",
                        heading=_("Spare parts and accessories"),
                        label=_("Related product"),
                        panels=[
                            FieldRowPanel([FieldPanel("kind"), FieldPanel("related")]),
                            FieldPanel("note"),
                        ],
                    ),
                ],
                heading=_("Spare parts and accessories"),
            ),
            ObjectList(
                [
                    MultiFieldPanel(
                        [
                            FieldRowPanel(
                                [
                                    FieldPanel("price", read_only=True),
                                    FieldPanel("currency", read_only=True),
                                ]
                            ),
                            FieldRowPanel(
                                [
                                    FieldPanel("availability", read_only=True),
                                    FieldPanel("lead_time_days", read_only=True),
                                ]
                            ),
                            FieldPanel("erp_updated_at", read_only=True),
                        ],
                        heading=_("Imported from the ERP (read-only)"),
                    )
                ],
                heading=_("ERP"),
            ),
        ],
        base_form_class=ProductForm,
    )


class AudienceMessageFilterSet(WagtailFilterSet):
    role = django_filters.ChoiceFilter(choices=BuyingRole.choices, label=_("Role"))
    phase = django_filters.ChoiceFilter(choices=JourneyPhase.choices, label=_("Phase"))
    live = django_filters.BooleanFilter(label=_("Live"))
    needs_translation = needs_translation_filter()

    class Meta:
        model = AudienceMessage
        fields = ["role", "phase", "live", "needs_translation"]


class AudienceMessageViewSet(SnippetViewSet):
    model = AudienceMessage
    edit_view_class = ContentEditView
    unpublish_view_class = WithdrawView
    workflow_action_view_class = ContentWorkflowActionView
    inspect_view_enabled = True
    icon = "openquote"
    menu_label = _("Audience messages")
    menu_order = 200
    filterset_class = AudienceMessageFilterSet
    index_view_class = ContentIndexView
    list_display = [
        "headline",
        "role",
        "phase",
        "product",
        FastLocaleColumn(label=_("Language")),
        AnnotatedLiveStatusColumn(label=_("Status")),
        TranslationColumn("translation", label=_("Translation")),
        FastUpdatedAtColumn(label=_("Updated")),
    ]
    edit_handler = ObjectList(
        [
            EditorBriefingPanel(heading=_("Language and review")),
            FieldPanel("headline"),
            FieldRowPanel([FieldPanel("role"), FieldPanel("phase")]),
            FieldPanel("product"),
            FieldPanel("body"),
            FieldRowPanel([FieldPanel("cta_label"), FieldPanel("cta_url")]),
        ],
        base_form_class=ContentForm,
    )

    def get_queryset(self, request):
        return annotate_listing_state(
            annotate_translation_state(AudienceMessage.objects.select_related("product", "locale"))
        )


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    menu_label = _("Categories")
    menu_order = 300
    list_display = ["__str__", "slug", "sort_order"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_en")]),
        FieldPanel("slug"),
        FieldPanel("parent"),
        FieldPanel("sort_order"),
    ]

    def get_queryset(self, request):
        return Category.objects.select_related("parent__parent__parent")


class EtimFeatureViewSet(SnippetViewSet):
    model = EtimFeature
    icon = "list-ul"
    menu_label = _("ETIM features")
    menu_order = 400
    list_display = ["code", "name", "data_type", "unit_symbol"]
    search_fields = ["code", "name"]
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("data_type")]),
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("unit_symbol"), FieldPanel("unit_code")]),
    ]


class ContentViewSetGroup(SnippetViewSetGroup):
    items = (ProductViewSet, AudienceMessageViewSet, CategoryViewSet, EtimFeatureViewSet)
    menu_icon = "doc-full-inverse"
    menu_label = _("Content")
    menu_name = "content"
    menu_order = 200


register_snippet(ContentViewSetGroup)


@hooks.register("before_serve_document")
def serve_only_documents_of_live_content(document, request):
    """/documents/<id>/<name>: anyone for a document of live content, else admin users only."""
    if asset_is_public(document) or user_may_see_asset(request.user, document):
        return None
    raise Http404("No such document.")
