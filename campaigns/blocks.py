"""The blocks a campaign's newsletter is built from, in the order the editor arranges them.

Each block becomes one of the channel contract's block dataclasses when a variant is
resolved (``campaigns.personalisation``); products and audience messages are chosen here
but read live, in the recipient's language, at that moment.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from content.rich_text import RICH_TEXT_FEATURES


class HeroBlock(blocks.StructBlock):
    headline = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    image = ImageChooserBlock(required=False)
    link_url = blocks.URLBlock(required=False)

    class Meta:
        icon = "image"
        label = _("Hero")


class ProductGridBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, required=False)
    products = blocks.ListBlock(SnippetChooserBlock("content.Product"), min_num=1, max_num=12)

    class Meta:
        icon = "table"
        label = _("Product grid")


class MessageSlotBlock(blocks.StructBlock):
    """A slot for the approved audience message that fits each recipient's role and phase."""

    product = SnippetChooserBlock(
        "content.Product",
        required=False,
        help_text=_("Messages about this product; empty for free-standing messages."),
    )
    required = blocks.BooleanBlock(
        required=False,
        default=True,
        help_text=_(
            "Required: every variant needs an approved message here, or the campaign cannot "
            "be scheduled. Optional: variants without one leave the slot out."
        ),
    )

    class Meta:
        icon = "user"
        label = _("Audience message")


class CallToActionBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=60)
    url = blocks.URLBlock()

    class Meta:
        icon = "link"
        label = _("Call to action")


class PersonalProductsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    source = blocks.ChoiceBlock(
        choices=[
            ("viewed", _("Products the recipient viewed and did not buy")),
            ("recommended", _("Recommendations from the categories they clicked")),
        ]
    )

    class Meta:
        icon = "pick"
        label = _("Personal products")


class SurveyBlock(blocks.StructBlock):
    """A survey question whose score buttons answer with one click."""

    survey = SnippetChooserBlock("campaigns.Survey")

    class Meta:
        icon = "pick"
        label = _("Survey")


class NewsletterBody(blocks.StreamBlock):
    hero = HeroBlock()
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"))
    products = ProductGridBlock()
    message = MessageSlotBlock()
    cta = CallToActionBlock()
    personal_products = PersonalProductsBlock()
    survey = SurveyBlock()


class TeaserBlock(blocks.StructBlock):
    """A placement's teaser: headline, text, image and where it leads."""

    headline = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    image = ImageChooserBlock(required=False)
    link_url = blocks.URLBlock(required=False)
    cta_label = blocks.CharBlock(max_length=60, required=False)

    class Meta:
        icon = "image"
        label = _("Teaser")


OFFER_KIND_CHOICES = [
    ("reorder", _("Re-order: bought regularly and due again")),
    ("spare_part", _("Spare and wear parts of products bought")),
    ("accessory", _("Accessories of products bought")),
    ("complementary", _("From the categories bought")),
    ("viewed", _("Viewed and not bought")),
]


class OffersBlock(blocks.StructBlock):
    """Offers from the visitor's account's purchase history, each with its reason."""

    heading = blocks.CharBlock(max_length=120, required=False)
    kinds = blocks.MultipleChoiceBlock(
        choices=OFFER_KIND_CHOICES,
        default=["reorder", "spare_part", "accessory", "complementary", "viewed"],
    )
    limit = blocks.IntegerBlock(default=4, min_value=1, max_value=12)

    class Meta:
        icon = "list-ul"
        label = _("Offers from purchase history")


class PlacementBody(blocks.StreamBlock):
    """What fills a webshop placement: the blocks of a newsletter a shop page can show."""

    teaser = TeaserBlock()
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"))
    products = ProductGridBlock()
    message = MessageSlotBlock()
    offers = OffersBlock()
    survey = SurveyBlock()
    cta = CallToActionBlock()
