"""Spare parts and accessories: edited with the product, live with its published revision, and
read by other apps as the related products' live versions in one language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Product, ProductRelation
from content.selectors import related_products
from content.services import content_save_draft
from tests.admin_flow import admin_url, outcome
from tests.admin_posts import product_post
from tests.factories import ProductFactory, locale

pytestmark = pytest.mark.django_db


def relation(product: Product, related: Product, kind: str = "accessory", note: str = ""):
    return ProductRelation(product=product, related=related, kind=kind, note=note)


def related_skus(product: Product, language: str = "de", **kwargs) -> list[tuple[str, str]]:
    found = related_products([product.translation_key], locale=language, **kwargs)
    return [(item.kind, item.product.sku) for item in found[product.translation_key]]


@pytest.fixture
def drill(publish, editor):
    """A live drill, without relations yet."""
    product = ProductFactory.build(sku="DRILL-1", name="Akku-Bohrschrauber")
    content_save_draft(obj=product, user=editor)
    return publish(product)


@pytest.fixture
def battery():
    return ProductFactory(sku="BATT-1", name="Akku-Pack 18 V", live=True)


@pytest.fixture
def bits():
    return ProductFactory(sku="BITS-1", name="Bohrer-Satz", live=True)


def with_relations(product: Product, *relations: ProductRelation) -> Product:
    product = Product.objects.get(pk=product.pk)
    product.relations = list(relations)
    return product


# --- the admin -------------------------------------------------------------------------------


def edit_drill(client, drill, *rows, **extra):
    return client.post(
        admin_url("product", "edit", drill.pk),
        {**product_post(sku=drill.sku, name=drill.name, relations=list(rows)), **extra},
    )


def test_inline_editing_saves_relations_in_a_draft_that_is_live_only_after_approval(
    client, editor, drill, battery, bits, publish
):
    client.force_login(editor)

    response = edit_drill(
        client,
        drill,
        {"kind": "accessory", "related": str(battery.pk), "note": "2 Ah"},
        {"kind": "spare_part", "related": str(bits.pk), "note": ""},
    )

    assert outcome(response) == "redirect"
    draft = Product.objects.get(pk=drill.pk).get_latest_revision_as_object()
    assert [(r.kind, r.related.sku, r.note) for r in draft.relations.all()] == [
        ("accessory", "BATT-1", "2 Ah"),
        ("spare_part", "BITS-1", ""),
    ]
    assert related_skus(drill) == []

    publish(Product.objects.get(pk=drill.pk).get_latest_revision_as_object())

    assert related_skus(drill) == [("accessory", "BATT-1"), ("spare_part", "BITS-1")]


def test_a_relation_to_the_product_itself_is_refused_on_the_related_field(client, editor, drill):
    client.force_login(editor)

    response = edit_drill(client, drill, {"kind": "accessory", "related": str(drill.pk)})

    assert response.status_code == 200
    rows = response.context["form"].formsets["relations"].forms
    assert "related" in rows[0].errors
    assert ProductRelation.objects.count() == 0


def test_a_relation_to_the_product_in_another_language_is_refused_as_itself(
    client, editor, drill, publish
):
    english = publish(Product.objects.get(pk=drill.pk).copy_for_translation(locale("en")))
    client.force_login(editor)

    response = edit_drill(client, drill, {"kind": "spare_part", "related": str(english.pk)})

    assert response.status_code == 200
    assert "related" in response.context["form"].formsets["relations"].forms[0].errors


def test_the_same_product_twice_as_the_same_kind_is_refused_on_the_second_row(
    client, editor, drill, battery
):
    client.force_login(editor)
    revisions = drill.revisions.count()

    response = edit_drill(
        client,
        drill,
        {"kind": "accessory", "related": str(battery.pk)},
        {"kind": "accessory", "related": str(battery.pk)},
    )

    assert response.status_code == 200
    rows = response.context["form"].formsets["relations"].forms
    assert "related" not in rows[0].errors
    assert "related" in rows[1].errors
    assert drill.revisions.count() == revisions


def test_the_same_product_as_accessory_and_as_spare_part_is_accepted(
    client, editor, drill, battery
):
    client.force_login(editor)

    response = edit_drill(
        client,
        drill,
        {"kind": "accessory", "related": str(battery.pk)},
        {"kind": "spare_part", "related": str(battery.pk)},
    )

    assert outcome(response) == "redirect"


def test_the_edit_view_shows_the_spare_parts_and_accessories_panel(client, editor, drill):
    client.force_login(editor)

    response = client.get(admin_url("product", "edit", drill.pk))

    assert response.status_code == 200
    assert "Ersatzteile und Zubehör" in response.content.decode()  # the German default


# --- the selector ----------------------------------------------------------------------------


def test_a_relation_added_in_a_draft_after_publishing_is_not_used(
    editor, drill, battery, bits, publish
):
    publish(with_relations(drill, relation(drill, battery)))

    content_save_draft(
        obj=with_relations(drill, relation(drill, battery), relation(drill, bits, "spare_part")),
        user=editor,
    )

    assert related_skus(drill) == [("accessory", "BATT-1")]


def test_a_withdrawn_related_product_is_left_out(
    client, marketing_approver, drill, battery, bits, publish
):
    publish(with_relations(drill, relation(drill, battery), relation(drill, bits, "spare_part")))
    client.force_login(marketing_approver)

    client.post(admin_url("product", "unpublish", battery.pk))

    assert related_skus(drill) == [("spare_part", "BITS-1")]


def test_a_draft_only_related_product_is_left_out(drill, publish):
    draft = ProductFactory(sku="DRAFT-1")

    publish(with_relations(drill, relation(drill, draft)))

    assert related_skus(drill) == []


def test_a_draft_only_source_product_has_no_live_relations(battery):
    source = ProductFactory(sku="DRAFT-2")
    ProductRelation.objects.create(product=source, related=battery, kind="accessory")

    assert related_skus(source) == []


def test_kinds_limits_the_answer(drill, battery, bits, publish):
    publish(with_relations(drill, relation(drill, battery), relation(drill, bits, "spare_part")))

    assert related_skus(drill, kinds=["spare_part"]) == [("spare_part", "BITS-1")]


def test_the_related_product_is_its_live_version_in_the_other_language(drill, battery, publish):
    english_battery = publish(battery.copy_for_translation(locale("en")))
    publish(with_relations(drill, relation(drill, battery, note="2 Ah")))
    # The translation copies the relation, which still names the German battery row.
    english_drill = publish(Product.objects.get(pk=drill.pk).copy_for_translation(locale("en")))

    found = related_products([drill.translation_key], locale="en")[drill.translation_key]

    assert english_drill.relations.get().related_id == battery.pk
    assert [(item.product.pk, item.product.locale.language_code) for item in found] == [
        (english_battery.pk, "en")
    ]
    assert found[0].note == "2 Ah"


def test_a_related_product_not_live_in_the_language_is_left_out(drill, battery, publish):
    publish(with_relations(drill, relation(drill, battery)))
    publish(Product.objects.get(pk=drill.pk).copy_for_translation(locale("en")))

    assert related_skus(drill, "en") == []


def test_a_source_not_live_in_the_language_uses_its_default_language_relations(
    drill, battery, publish
):
    publish(battery.copy_for_translation(locale("en")))

    publish(with_relations(drill, relation(drill, battery)))

    assert related_skus(drill, "en") == [("accessory", "BATT-1")]


def _queries_for(count: int) -> int:
    sources = []
    for n in range(count):
        source = ProductFactory(sku=f"SRC-{count}-{n}", live=True)
        for kind in ("accessory", "spare_part"):
            target = ProductFactory(sku=f"TGT-{count}-{n}-{kind}", live=True)
            ProductRelation.objects.create(product=source, related=target, kind=kind)
        sources.append(source.translation_key)
    with CaptureQueriesContext(connection) as queries:
        found = related_products(sources, locale="de")
    assert all(len(items) == 2 for items in found.values())
    return len(queries)


def test_the_selector_takes_as_many_queries_for_twenty_products_as_for_one():
    assert _queries_for(1) == _queries_for(20)
