import itertools
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents.models import Document

from content.models import Product, ProductDocument
from content.selectors import (
    product_completeness,
    product_completeness_matrix,
    products_incomplete_for,
    products_with_completeness,
)
from content.services import content_save_draft
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductFeatureFactory,
    ProductImageFactory,
    locale,
)

pytestmark = pytest.mark.django_db

LISTING = "wagtailsnippets_content_product:list"


def complete_product(**kwargs) -> Product:
    """A German product with every field any channel asks for."""
    product = ProductFactory(etim_class="EC000123", lead_time_days=3, **kwargs)
    product.categories.add(CategoryFactory())
    product.save()  # a ParentalManyToManyField holds additions until the product is saved
    ProductFeatureFactory(product=product)
    ProductImageFactory(product=product)
    document = Document.objects.create(
        title="Datenblatt", file=ContentFile(b"%PDF-1.4 sheet", name="sheet.pdf")
    )
    ProductDocument.objects.create(product=product, document=document, label="Datenblatt")
    return product


def by_channel(results, locale_code="de"):
    return {r.channel_key: r for r in results if r.locale == locale_code}


def test_product_with_every_field_is_complete_for_every_channel():
    product = complete_product()

    results = by_channel(product_completeness(product))

    assert {key: r.percent for key, r in results.items()} == {
        "newsletter": 100,
        "webshop": 100,
        "print": 100,
        "google_merchant": 100,
        "amazon": 100,
        "bmecat": 100,
    }


def test_missing_fields_lower_the_percentage_of_the_channels_that_need_them():
    product = ProductFactory(short_text="")  # no images, features, categories, documents

    results = by_channel(product_completeness(product))

    # Newsletter needs name, short text and images: only the name is there.
    assert results["newsletter"].percent == 33
    assert results["newsletter"].missing_labels == ["Kurztext", "Bilder"]  # German: the default
    assert results["amazon"].missing == ("images",)
    assert results["amazon"].percent == 87  # 7 of its 8 fields


def test_a_channel_can_require_a_field_in_one_locale_only():
    german = complete_product()
    ProductDocument.objects.filter(product=german).delete()
    english = german.copy_for_translation(locale("en"))
    english.save()

    german_print = by_channel(product_completeness(german), "de")["print"]
    english_print = by_channel(product_completeness(english), "en")["print"]

    assert german_print.missing == ("documents",)
    assert english_print.missing == ()


def test_a_missing_translation_counts_as_nothing_done():
    product = complete_product()

    matrix = product_completeness_matrix(product)

    english = by_channel(matrix, "en")
    assert {r.percent for r in english.values()} == {0}
    assert english["webshop"].missing_labels == ["Übersetzung"]
    assert {r.percent for r in by_channel(matrix, "de").values()} == {100}


FIELDS_TO_BLANK = {
    "gtin": {"gtin": ""},
    "short_text": {"short_text": ""},
    "long_text": {"long_text": "<p></p>"},
    "price": {"price": None},
    "availability": {"availability": ""},
}


@pytest.mark.parametrize(
    "blanked",
    [
        combination
        for size in (0, 1, 2)
        for combination in itertools.combinations(sorted(FIELDS_TO_BLANK), size)
    ],
    ids=lambda combination: "+".join(combination) or "nothing",
)
def test_sql_filter_and_object_check_agree(blanked):
    values = {}
    for field in blanked:
        values.update(FIELDS_TO_BLANK[field])
    product = complete_product(**values)
    bare = ProductFactory(**values)  # no child rows at all

    for channel in ("newsletter", "webshop", "print", "google_merchant", "amazon", "bmecat"):
        in_filter = set(products_incomplete_for(Product.objects.all(), channel))
        by_object = {
            candidate
            for candidate in (product, bare)
            if not by_channel(product_completeness(candidate))[channel].complete
        }
        assert in_filter == by_object, channel


def test_annotated_rows_give_the_same_completeness_as_the_object_check():
    complete_product()
    ProductFactory(gtin="", short_text="")

    for row in products_with_completeness(Product.objects.all()):
        fresh = Product.objects.get(pk=row.pk)
        assert product_completeness(row) == product_completeness(fresh)


def test_listing_shows_completeness_per_channel(admin_client):
    complete_product(sku="FULL-1")
    ProductFactory(sku="BARE-1")

    response = admin_client.get(reverse(LISTING), {"locale": "de"})

    html = response.content.decode()
    assert response.status_code == 200
    full_row = html[html.index("FULL-1") :]
    assert re.search(r'data-channel="webshop" data-percent="100"', full_row)
    bare_row = html[html.index("BARE-1") :]
    assert re.search(r'data-channel="newsletter" data-percent="66"', bare_row)


def test_listing_filters_products_incomplete_for_a_channel(admin_client):
    complete_product(sku="FULL-1")
    no_image = complete_product(sku="NOIMG-1")
    no_image.images.all().delete()
    complete_product(sku="NOGTIN-1", gtin="")

    newsletter = admin_client.get(reverse(LISTING), {"incomplete_for": "newsletter"})
    marketplace = admin_client.get(reverse(LISTING), {"incomplete_for": "amazon"})

    assert [p.sku for p in newsletter.context["object_list"]] == ["NOIMG-1"]
    assert sorted(p.sku for p in marketplace.context["object_list"]) == ["NOGTIN-1", "NOIMG-1"]


def test_listing_rejects_an_unknown_channel_filter_with_a_message(admin_client):
    complete_product(sku="FULL-1")

    response = admin_client.get(
        reverse(LISTING), {"incomplete_for": "fax"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "Select a valid choice. fax is not one of the available choices." in (
        response.content.decode()
    )


def test_completeness_of_a_page_of_products_takes_one_query(django_assert_num_queries):
    for _ in range(15):
        complete_product()
    ProductFactory(gtin="")

    with django_assert_num_queries(1):
        rows = list(products_with_completeness(Product.objects.all()))
        results = [product_completeness(row) for row in rows]

    assert len(results) == 16


def test_edit_view_shows_completeness_of_the_draft_being_edited(admin_client, admin_user):
    product = complete_product(sku="DRAFTY-1", live=True)
    product.save_revision().publish()
    draft = product.get_latest_revision_as_object()
    draft.short_text = ""
    content_save_draft(obj=draft, user=admin_user)

    response = admin_client.get(reverse("wagtailsnippets_content_product:edit", args=(product.pk,)))

    html = response.content.decode()
    panel = html[html.index("data-hub-completeness") :]
    german = panel[panel.index('data-locale="de"') : panel.index('data-locale="en"')]
    assert 'data-channel="newsletter" data-percent="66"' in german
    assert "Es fehlt: Kurztext" in german
    assert Product.objects.get(pk=product.pk).short_text == "Kurztext"


def test_edit_view_says_which_missing_fields_come_from_the_erp(admin_client):
    product = complete_product(sku="NEW-1", price=None, availability="")

    response = admin_client.get(reverse("wagtailsnippets_content_product:edit", args=(product.pk,)))

    html = response.content.decode()
    panel = html[html.index("data-hub-completeness") :]
    german = panel[panel.index('data-locale="de"') : panel.index('data-locale="en"')]
    amazon = german[german.index('data-channel="amazon"') :]
    amazon = amazon[: amazon.index("</td>")]
    assert "Kommt aus dem ERP: Preis, Verfügbarkeit" in amazon
    assert "Preis" not in amazon.replace("Kommt aus dem ERP: Preis, Verfügbarkeit", "")
    newsletter = german[german.index('data-channel="newsletter"') :]
    assert 'data-percent="100"' in newsletter[: newsletter.index("</td>")]
