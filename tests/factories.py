"""factory_boy factories for the hub's models, and the sample variant and recipients the
channel tests render and deliver."""

import io
from decimal import Decimal
from urllib.parse import quote

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Locale

from campaigns.models import (
    Account,
    ConsentState,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    OrderSource,
    Segment,
)
from channels.base import (
    RECIPIENT_TOKEN,
    CallToActionBlock,
    HeroBlock,
    MessageBlock,
    PersonalProductsBlock,
    ProductCard,
    ProductGridBlock,
    Recipient,
    TextBlock,
    Tracking,
    Variant,
)
from content.models import AudienceMessage, Category, Product, ProductFeature, ProductImage


def locale(code: str = "de") -> Locale:
    return Locale.objects.get(language_code=code)


def png_bytes(width: int = 64, height: int = 48, colour: str = "steelblue") -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("secret-password")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*(Group.objects.get(name=name) for name in extracted))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Kategorie {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    title = factory.Sequence(lambda n: f"Image {n}")
    file = factory.LazyFunction(lambda: ImageFile(io.BytesIO(png_bytes()), name="product.png"))


class ProductFactory(factory.django.DjangoModelFactory):
    """A product row in German. Not live unless ``live=True`` is passed.

    Without an image, so incomplete for the newsletter; ``with_image=True`` adds one.
    """

    class Meta:
        model = Product
        skip_postgeneration_save = True

    class Params:
        with_image = factory.Trait(
            image=factory.RelatedFactory(
                "tests.factories.ProductImageFactory", factory_related_name="product"
            )
        )

    locale = factory.LazyFunction(locale)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    gtin = "4006381333931"
    brand = "Hubwerk"
    manufacturer_part_number = factory.Sequence(lambda n: f"MPN-{n}")
    name = factory.Sequence(lambda n: f"Produkt {n}")
    short_text = "Kurztext"
    long_text = "<p>Langtext</p>"
    live = False
    price = Decimal("19.90")
    availability = "in_stock"


class ProductFeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFeature

    product = factory.SubFactory(ProductFactory)
    name = "Gewicht"
    value = "12"
    unit = "kg"


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.SubFactory(ImageFactory)
    alt_text = "Produktfoto"


class AudienceMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceMessage

    locale = factory.LazyFunction(locale)
    headline = factory.Sequence(lambda n: f"Botschaft {n}")
    body = "<p>Text</p>"
    live = False


def rich_text_json(*paragraphs: str) -> str:
    """What the Draftail editor posts for plain paragraphs."""
    import json

    blocks = [
        {
            "key": f"k{index}",
            "type": "unstyled",
            "depth": 0,
            "text": text,
            "inlineStyleRanges": [],
            "entityRanges": [],
            "data": {},
        }
        for index, text in enumerate(paragraphs)
    ]
    return json.dumps({"blocks": blocks, "entityMap": {}})


# --- audience ------------------------------------------------------------------------------


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Muster Maschinenbau {n} GmbH")
    customer_number = factory.Sequence(lambda n: f"K{n:06d}")
    industry = "Maschinenbau"
    country = "DE"
    size_class = "medium"
    price_group = "A"


class ContactFactory(factory.django.DjangoModelFactory):
    """A consented (double opt-in confirmed) contact unless told otherwise."""

    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"kontakt{n}@example.com")
    salutation = "ms"
    first_name = "Erika"
    last_name = factory.Sequence(lambda n: f"Mustermann{n}")
    language = "de"
    role = "buyer"
    phase = "awareness"
    consent = ConsentState.CONFIRMED
    consent_changed_at = factory.LazyFunction(timezone.now)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda event: event.contact.account if event.contact else None)
    kind = EventKind.PRODUCT_VIEW
    occurred_at = factory.LazyFunction(timezone.now)
    source = "test"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    source = OrderSource.ERP
    external_id = factory.Sequence(lambda n: f"A{n:07d}")
    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda order: order.contact.account if order.contact else None)
    ordered_at = factory.LazyFunction(timezone.now)
    revenue = Decimal("100.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    line_total = factory.LazyAttribute(lambda line: line.quantity * line.unit_price)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")


# --- campaigns -----------------------------------------------------------------------------


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Campaign"

    name = factory.Sequence(lambda n: f"Kampagne {n}")
    sender_name = "Hubwerk Marketing"
    sender_email = "news@example.com"
    live = False  # as the admin creates it: a draft until the workflow approves it


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A newsletter delivery that has been sent to a consented contact."""

    class Meta:
        model = "campaigns.Delivery"

    campaign = factory.SubFactory(CampaignFactory)
    channel = "newsletter"
    contact = factory.SubFactory(ContactFactory)
    due_at = factory.LazyFunction(timezone.now)
    state = "sent"


# --- what channels are given: a variant and its recipients ----------------------------------

DRILL_CARD = ProductCard(
    "SKU-1", "Bohrhammer BH 26", "Kräftig", "https://shop.example/p/1", "", Decimal("1234.5")
)
SCREWDRIVER_CARD = ProductCard("SKU-2", "Akkuschrauber AS 18", "", "https://shop.example/p/2")


def sample_variant(
    *,
    text_html: str = "<p>Willkommen</p>",
    mailto: str = "",
    locale: str = "de",
    message_product: ProductCard | None = None,
) -> Variant:
    """A newsletter variant with one block of every kind, as campaigns hand it to a channel."""
    return Variant(
        key=f"{locale}/buyer/awareness/A",
        campaign_id=7,
        campaign_name="Frühling",
        locale=locale,
        role="buyer",
        phase="awareness",
        arm="A",
        subject="Neu: Bohrhämmer für Profis \u2013 jetzt günstiger",
        preheader="Nur diese Woche",
        sender="ACME Marketing <news@acme.example>",
        blocks=(
            HeroBlock("Frühjahr", "Text", "https://cdn.example/h.jpg", "https://shop.example/"),
            TextBlock(text_html),
            ProductGridBlock("Top-Produkte", (DRILL_CARD,)),
            MessageBlock(
                "Für Einkäufer",
                "<p>Sparen</p>",
                "Kaufen",
                "https://shop.example/b",
                message_product,
            ),
            PersonalProductsBlock("Zuletzt angesehen", "viewed"),
            CallToActionBlock("Zum Shop", "https://shop.example/"),
        ),
        tracking=Tracking(
            open_url=f"https://hub.example/o/{RECIPIENT_TOKEN}.gif",
            unsubscribe_url=f"https://hub.example/u/{RECIPIENT_TOKEN}/",
            preferences_url=f"https://hub.example/p/{RECIPIENT_TOKEN}/",
            click=lambda url: f"https://hub.example/c/{RECIPIENT_TOKEN}/?u={quote(url, safe='')}",
            unsubscribe_mailto=mailto,
        ),
    )


def sample_recipient(n: int = 1, **kwargs) -> Recipient:
    """Recipient ``n`` of a batch (its delivery id is ``n``); keyword arguments override."""
    values = {
        "email": f"person{n}@example.com",
        "token": f"tok{n}",
        "greeting": "Sehr geehrte Frau Dr. Weber,",
        "first_name": "Erika",
        "last_name": "Weber",
        "company": f"Firma {n} GmbH",
    }
    return Recipient(n, **{**values, **kwargs})
