"""The content API against a straightforward Django REST framework version of it.

Both serve the same 10,000 live products (3-5 features, 1-2 images, categories, a data
sheet on every other one) through the same middleware, with the same token lookup and a
per-client rate limit. The DRF version is what a competent DRF developer writes: nested
``ModelSerializer``s, ``prefetch_related`` for every relation, ``CursorPagination`` on pk.
Ours builds dicts and encodes them once with orjson, and answers a matching ``If-None-Match``
from the page's keys without loading a product.

This module is also the URLconf of the run: the hub's URLs plus the DRF views.
"""

from __future__ import annotations

import gc
import io
import random
import statistics
import time
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import connection, transaction
from django.db.models import Prefetch
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from PIL import Image as PILImage
from rest_framework import authentication, exceptions, generics, pagination, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import SimpleRateThrottle
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Locale
from wagtail.rich_text import expand_db_html

import hub.api  # noqa: F401 - the API root loads content.api; import it first
from channels.models import ApiClient, Scope
from content.api import PRODUCT_FIELDS
from content.models import Category, Product, ProductDocument, ProductFeature, ProductImage
from core.tokens import hash_token

PRODUCTS = 10_000
PAGE = 100
LOCALE = "en"  # the completeness benchmark's products are German: keep the pages apart
SKU_PREFIX = "APIBENCH-"
WARMUP = 5
RUNS = 40
BLOCK = 5
LONG_TEXT = '<p>Long text with <b>emphasis</b> and <a href="https://example.com">a link</a>.</p>'


# --- the DRF implementation -----------------------------------------------------------------


class BearerApiClientAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        client = ApiClient.objects.filter(
            token_hash=hash_token(header.removeprefix("Bearer ")), is_active=True
        ).first()
        if client is None or not client.has_scope(Scope.CONTENT_READ):
            raise exceptions.AuthenticationFailed("Invalid token.")
        client.touch()
        return (None, client)

    def authenticate_header(self, request):
        return 'Bearer realm="hub"'


class ClientThrottle(SimpleRateThrottle):
    rate = "1000000/min"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "drf-client", "ident": request.auth.pk}


class RichText(serializers.CharField):
    def to_representation(self, value):
        return expand_db_html(value) if value else ""


class FeatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductFeature
        fields = ["name", "value", "unit", "etim_feature"]


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "slug", "name"]

    def get_name(self, category):
        return category.label(self.context["locale"])


class ImageSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="image_id")
    alt = serializers.CharField(source="alt_text")
    width = serializers.IntegerField(source="image.width")
    height = serializers.IntegerField(source="image.height")
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "alt", "width", "height", "url"]

    def get_url(self, item):
        return self.context["request"].build_absolute_uri(item.image.file.url)


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="document_id")
    title = serializers.CharField(source="document.title")
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductDocument
        fields = ["id", "title", "label", "url"]

    def get_url(self, item):
        return self.context["request"].build_absolute_uri(item.document.url)


class ProductSerializer(serializers.ModelSerializer):
    locale = serializers.CharField(source="locale.language_code")
    long_text = RichText()
    features = FeatureSerializer(many=True)
    categories = CategorySerializer(many=True)
    images = ImageSerializer(many=True)
    documents = DocumentSerializer(many=True)

    class Meta:
        model = Product
        fields = list(PRODUCT_FIELDS)  # the same fields as ours


class ProductCursorPagination(pagination.CursorPagination):
    ordering = "pk"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


class DrfProductMixin:
    authentication_classes = [BearerApiClientAuthentication]
    throttle_classes = [ClientThrottle]
    renderer_classes = [JSONRenderer]
    serializer_class = ProductSerializer

    def get_queryset(self):
        locale = self.request.query_params.get("locale", "de")
        return (
            Product.objects.filter(live=True, locale__language_code=locale)
            .select_related("locale")
            .prefetch_related(
                Prefetch("features", queryset=ProductFeature.objects.order_by("sort_order", "pk")),
                Prefetch("categories", queryset=Category.objects.order_by("pk")),
                Prefetch(
                    "images",
                    queryset=ProductImage.objects.select_related("image").order_by(
                        "sort_order", "pk"
                    ),
                ),
                Prefetch(
                    "documents",
                    queryset=ProductDocument.objects.select_related("document").order_by(
                        "sort_order", "pk"
                    ),
                ),
            )
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["locale"] = self.request.query_params.get("locale", "de")
        return context


class DrfProductList(DrfProductMixin, generics.ListAPIView):
    pagination_class = ProductCursorPagination


class DrfProductDetail(DrfProductMixin, generics.RetrieveAPIView):
    lookup_field = "sku"


urlpatterns = [
    path("api/drf/products", DrfProductList.as_view()),
    path("api/drf/products/<str:sku>", DrfProductDetail.as_view()),
    path("", include("hub.urls")),
]


# --- data -------------------------------------------------------------------------------------


def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 600), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _seed() -> None:
    if Product.objects.filter(sku__startswith=SKU_PREFIX).exists():
        return
    rng = random.Random(11)
    english = Locale.objects.get(language_code=LOCALE)
    roots = [
        Category.objects.create(name=f"Bereich {n}", name_en=f"Area {n}", slug=f"apibench-{n}")
        for n in range(5)
    ]
    categories = roots + [
        Category.objects.create(
            name=f"Gruppe {root.pk}-{n}",
            name_en=f"Group {root.pk}-{n}",
            slug=f"apibench-{root.pk}-{n}",
            parent=root,
        )
        for root in roots
        for n in range(4)
    ]
    images = [
        Image.objects.create(
            title=f"Bench {colour}", file=ImageFile(io.BytesIO(_png(colour)), name="bench.png")
        )
        for colour in ("steelblue", "orange", "seagreen", "gray", "crimson")
    ]
    documents = [
        Document.objects.create(
            title=f"Data sheet {n}", file=ContentFile(b"%PDF-1.4 bench", name="sheet.pdf")
        )
        for n in range(3)
    ]
    with transaction.atomic():
        products = Product.objects.bulk_create(
            (
                Product(
                    locale=english,
                    sku=f"{SKU_PREFIX}{index:06d}",
                    gtin="4006381333931",
                    brand="Hubwerk",
                    manufacturer_part_number=f"MPN-{index}",
                    name=f"Product {index}",
                    short_text="Short text for the channel",
                    long_text=LONG_TEXT,
                    etim_class="EC000001",
                    price=Decimal("19.90"),
                    availability="in_stock",
                    lead_time_days=3,
                    live=True,
                    has_unpublished_changes=False,
                )
                for index in range(PRODUCTS)
            ),
            batch_size=1000,
        )
        ProductFeature.objects.bulk_create(
            (
                ProductFeature(
                    product=product,
                    name=f"Feature {n}",
                    value=str(rng.randint(1, 500)),
                    unit="mm",
                    etim_feature=f"EF{n:06d}",
                    sort_order=n,
                )
                for product in products
                for n in range(rng.randint(3, 5))
            ),
            batch_size=2000,
        )
        ProductImage.objects.bulk_create(
            (
                ProductImage(product=product, image=image, alt_text=product.name, sort_order=n)
                for product in products
                for n, image in enumerate(rng.sample(images, rng.randint(1, 2)))
            ),
            batch_size=2000,
        )
        Product.categories.through.objects.bulk_create(
            (
                Product.categories.through(product=product, category=category)
                for product in products
                for category in rng.sample(categories, rng.randint(1, 2))
            ),
            batch_size=2000,
        )
        ProductDocument.objects.bulk_create(
            (
                ProductDocument(product=product, document=rng.choice(documents), label="Data sheet")
                for product in products[::2]
            ),
            batch_size=2000,
        )


def _token() -> str:
    client = ApiClient(name="Bench", channel="webshop", scopes=[Scope.CONTENT_READ])
    token = client.issue_token()
    client.save()
    return token


# --- measuring ----------------------------------------------------------------------------------


def _paired_medians_ms(ours, theirs) -> tuple[float, float]:
    """Median wall time of each, in alternating blocks, so that load on the machine hits both.

    Blocks rather than single calls: a lone request right after the other kind always runs
    in the wake of that one's memory traffic, which says more about the order than either.
    """
    for _ in range(WARMUP):
        ours()
        theirs()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(RUNS // BLOCK):
        for function, times in ((ours, samples[0]), (theirs, samples[1])):
            for _ in range(BLOCK):
                started = time.perf_counter()
                function()
                times.append(time.perf_counter() - started)
    return statistics.median(samples[0]) * 1000, statistics.median(samples[1]) * 1000


def _get(client: Client, url: str, token: str, **headers):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    assert response.status_code in (200, 304), (url, response.status_code, response.content)
    return response


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def _line(label: str, ours: float, theirs: float, name: str, goal: float | None) -> str:
    ratio = theirs / ours
    line = f"{label}: ours {ours:.2f} ms, {name} {theirs:.2f} ms, ratio {ratio:.1f}x"
    if goal is None:
        return line
    verdict = "met" if ratio >= goal else f"MISSED by {goal - ratio:.1f}x"
    return f"{line} (goal >= {goal:g}x, {verdict})"


def run() -> None:
    _seed()
    token = _token()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    # What seeding left in memory is the server's long-lived state: move it out of the
    # collector's way, as a forking server does after start-up, so a full collection of
    # it does not land inside one side's timings at random.
    gc.collect()
    gc.freeze()
    client = Client()
    list_url = f"/api/v1/products?locale={LOCALE}&limit={PAGE}"
    drf_list_url = f"/api/drf/products?locale={LOCALE}&limit={PAGE}"
    sku = f"{SKU_PREFIX}{PRODUCTS // 2:06d}"
    detail_url = f"/api/v1/products/{sku}?locale={LOCALE}"
    drf_detail_url = f"/api/drf/products/{sku}?locale={LOCALE}"

    with override_settings(
        ROOT_URLCONF="bench.api",
        ALLOWED_HOSTS=["testserver"],
        HUB_API_RATE_LIMIT="1000000/min",
    ):
        ours_page = _get(client, list_url, token).json()
        drf_page = _get(client, drf_list_url, token).json()
        assert [p["sku"] for p in ours_page["items"]] == [p["sku"] for p in drf_page["results"]]
        assert len(ours_page["items"]) == PAGE
        assert set(ours_page["items"][0]) == set(drf_page["results"][0])
        assert _get(client, detail_url, token).json()["sku"] == sku
        assert _get(client, drf_detail_url, token).json()["sku"] == sku
        etag = _get(client, list_url, token)["ETag"]
        assert _get(client, list_url, token, HTTP_IF_NONE_MATCH=etag).status_code == 304

        def ours_list():
            return _get(client, list_url, token)

        def drf_list():
            return _get(client, drf_list_url, token)

        def ours_detail():
            return _get(client, detail_url, token)

        def drf_detail():
            return _get(client, drf_detail_url, token)

        def ours_304():
            return _get(client, list_url, token, HTTP_IF_NONE_MATCH=etag)

        queries = {
            name: _queries(function)
            for name, function in [
                ("ours list", ours_list),
                ("DRF list", drf_list),
                ("ours 304", ours_304),
            ]
        }
        list_ms, drf_list_ms = _paired_medians_ms(ours_list, drf_list)
        detail_ms, drf_detail_ms = _paired_medians_ms(ours_detail, drf_detail)
        not_modified_ms, full_ms = _paired_medians_ms(ours_304, ours_list)

    print(
        f"content API on {PRODUCTS:,} live products, {connection.vendor}, "
        f"median of {RUNS} runs in alternating blocks of {BLOCK} after {WARMUP} warm-ups "
        f"(SQL queries: ours list {queries['ours list']}, DRF list {queries['DRF list']}, "
        f"304 {queries['ours 304']})"
    )
    print(_line(f"list page of {PAGE}", list_ms, drf_list_ms, "DRF", 1.9))
    print(_line("detail", detail_ms, drf_detail_ms, "DRF", None))
    print(_line("304 vs 200 of the list page", not_modified_ms, full_ms, "200", 5))
