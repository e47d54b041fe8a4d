from content.models import Product
from tests.admin_posts import product_post


def test_editor_creates_product_in_admin_as_draft(client, editor):
    client.force_login(editor)

    response = client.post(
        "/admin/snippets/content/product/add/?locale=de",
        product_post(sku="ABC-1", features=[{"name": "Länge", "value": "12", "unit": "mm"}]),
    )

    assert response.status_code == 302
    product = Product.objects.get(sku="ABC-1")
    assert not product.live
    assert [f.name for f in product.features.all()] == ["Länge"]
