"""From an approved campaign to what a channel renders: variants, product cards, greetings.

The audience splits by language x role x phase (x A/B arm). For each variant every content
slot takes the most specific live audience message (role+phase, then role, then phase, then
the default); only live, approved products and messages are ever read, and only products
complete for the campaign's channels in the variant's language are shown (an incomplete one
is left out and named as missing, which blocks scheduling). Content is read through
``content.selectors``. The recipients of a batch (everything personal, fetched for the
whole batch at once) are ``campaigns.selectors.recipients_for``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from channels import base as contract
from channels.placements import OffersBlock
from channels.registry import get_channels
from content.rich_text import rich_text_html
from content.selectors import (
    channel_ready_products,
    completeness_for,
    live_messages,
)
from content.taxonomy import BuyingRole, JourneyPhase

from .branding import brand_for, brand_settings
from .models import (
    Campaign,
    CampaignContent,
    Contact,
)
from .tracking import survey_answer_urls, tracking_for

if TYPE_CHECKING:  # for annotations only: content is read through content.selectors
    from content.models import AudienceMessage, Product

ANY = ""  # a blank role or phase: "any" in audience messages, "none given" on a contact
VIEWED_DAYS = 30
PERSONAL_PRODUCTS = 3


def variant_key(locale: str, role: str, phase: str, arm: str) -> str:
    return f"{locale}:{role or '-'}:{phase or '-'}:{arm or '-'}"


def parse_variant_key(key: str) -> tuple[str, str, str, str]:
    locale, role, phase, arm = (part if part != "-" else "" for part in key.split(":"))
    return locale, role, phase, arm


def language_label(code: str) -> str:
    """A language code in words ("German"), in the admin's language; unknown codes as given."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def variant_label(key: str) -> str:
    """A variant key in words, as the admin shows it: "German - Approver - Consideration".

    Each part is the label of its choice (language, ``content.taxonomy`` role and phase), then
    "arm A" for an A/B arm; a blank role or phase reads "no role" / "no phase". Parts that are
    no known choice (older data) are shown as stored.
    """
    if not key:
        return ""
    locale, role, phase, arm = parse_variant_key(key)
    parts = [
        language_label(locale),
        str(BuyingRole(role).label) if role in BuyingRole.values else role or _("no role"),
        str(JourneyPhase(phase).label) if phase in JourneyPhase.values else phase or _("no phase"),
    ]
    if arm:
        parts.append(_("arm %(arm)s") % {"arm": arm})
    return " - ".join(parts)


# --- time zones ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_zones() -> dict[str, str]:
    """The first (main) time zone of each country, from the system's tz database."""
    for folder in TZPATH:
        table = Path(folder) / "zone.tab"
        if table.exists():
            zones: dict[str, str] = {}
            for line in table.read_text().splitlines():
                if line and not line.startswith("#"):
                    country, _coordinates, name, *_ = line.split("\t")
                    zones.setdefault(country, name)
            return zones
    return {}


def contact_timezone(contact: Contact) -> ZoneInfo:
    """The contact's own zone, else its account's country's, else the hub's."""
    names = [contact.timezone]
    if contact.account_id and contact.account.country:
        names.append(_country_zones().get(contact.account.country, ""))
    for name in [*names, settings.TIME_ZONE]:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_moment(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at ``at`` o'clock in ``zone`` (a time skipped by DST moves forward)."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


# --- variants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    """Something a variant needs and has no approved content for: blocks scheduling."""

    variant: str
    reason: str

    def __str__(self) -> str:
        return f"{self.variant}: {self.reason}"


def _product_url(sku: str) -> str:
    return settings.HUB_SHOP_PRODUCT_URL.format(sku=sku)


def _absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


CARD_RENDITION = "max-1200x800"


def _image_url(image) -> str:
    if image is None:
        return ""
    return _absolute(image.get_rendition(CARD_RENDITION).url)


def product_card(product: Product, price=None) -> contract.ProductCard:
    first = next(iter(product.images.all()), None)
    return contract.ProductCard(
        sku=product.sku,
        name=product.name,
        short_text=product.short_text,
        url=_product_url(product.sku),
        image_url=_image_url(first.image if first else None),
        price=product.price if price is None else price,
        currency=product.currency,
    )


def most_specific_message(
    messages: Iterable[AudienceMessage], product: Product | None, role: str, phase: str
) -> AudienceMessage | None:
    """Of ``messages`` (live, one language), the one about ``product`` (None: about no
    product) that fits best: role and phase, then role, then phase, then the default."""
    translation = product.translation_key if product is not None else None
    candidates = {
        (message.role, message.phase): message
        for message in messages
        if (message.product.translation_key if message.product_id else None) == translation
    }
    for wanted in ((role, phase), (role, ANY), (ANY, phase), (ANY, ANY)):
        if wanted in candidates:
            return candidates[wanted]
    return None


Prices = Mapping[str, tuple[Decimal, str]]  # SKU -> (price, currency) of a price group


def _card(product: Product, prices: Prices | None) -> contract.ProductCard:
    """The product's card, at the price group's price where ``prices`` has one."""
    card = product_card(product)
    if prices and product.sku in prices:
        price, currency = prices[product.sku]
        card = dataclasses.replace(card, price=price, currency=currency)
    return card


class ContentResolver:
    """Resolves stream bodies (a newsletter's or a placement's) against live content,
    loading each thing once.

    The live products a language's bodies may show are loaded together, with their
    completeness, so resolving every variant takes a few queries per language, however
    many products and variants there are. Subclasses say which bodies (``bodies``).
    """

    def __init__(self, *, channel_keys: Iterable[str], campaign_id: int | None):
        configured = get_channels()
        # The channels that exist: each product shown must be complete for them.
        self.channel_keys = [key for key in channel_keys if key in configured]
        self.campaign_id = campaign_id
        self._products: dict[str, dict[str, Product]] = {}
        self._messages: dict[str, list[AudienceMessage]] = {}

    def bodies(self, locale: str) -> Iterable:
        raise NotImplementedError

    def _live_products(self, locale: str) -> dict[str, Product]:
        """Translation key -> live version in ``locale`` of every product ``locale`` may show."""
        if locale not in self._products:
            keys = {
                message.product.translation_key
                for message in self.messages(locale)
                if message.product_id
            }
            for body in self.bodies(locale):
                for block in body:
                    if block.block_type == "products":
                        keys.update(p.translation_key for p in block.value["products"] if p)
                    elif block.block_type == "message" and block.value["product"] is not None:
                        keys.add(block.value["product"].translation_key)
            found = (
                channel_ready_products(
                    translation_keys=keys, locale=locale, renditions=[CARD_RENDITION]
                )
                if keys
                else ()
            )
            self._products[locale] = {str(product.translation_key): product for product in found}
        return self._products[locale]

    def live_skus(self, locale: str) -> list[str]:
        return sorted(product.sku for product in self._live_products(locale).values())

    def live_product(self, product: Product | None, locale: str) -> Product | None:
        """The live version of ``product`` in ``locale``, or None (never a draft)."""
        if product is None:
            return None
        return self._live_products(locale).get(str(product.translation_key))

    def incomplete(self, product: Product, label: str) -> list[Missing]:
        """Why ``product`` (a live version) may not be shown: each channel it is incomplete for."""
        missing = []
        for key in self.channel_keys:
            completeness = completeness_for(product, key)
            if not completeness.complete:
                missing.append(
                    Missing(
                        label,
                        _(
                            'product %(sku)s "%(name)s" is incomplete for %(channel)s '
                            "(%(language)s): missing %(fields)s"
                        )
                        % {
                            "sku": product.sku,
                            "name": product.name,
                            "channel": completeness.channel_name,
                            "language": completeness.locale,
                            "fields": ", ".join(map(str, completeness.missing_labels)),
                        },
                    )
                )
        return missing

    def messages(self, locale: str) -> list[AudienceMessage]:
        if locale not in self._messages:
            # A message about a withdrawn product still fills its slot, without the product.
            self._messages[locale] = list(
                live_messages(locale=locale, require_live_product=False).order_by("pk")
            )
        return self._messages[locale]

    def message_for(
        self, product: Product | None, locale: str, role: str, phase: str
    ) -> AudienceMessage | None:
        """The most specific live message: role+phase, then role, then phase, then default."""
        return most_specific_message(self.messages(locale), product, role, phase)

    def blocks(
        self,
        body,
        *,
        locale: str,
        role: str,
        phase: str,
        label: str,
        prices: Prices | None = None,
    ) -> tuple[list, list[Missing]]:
        """A body's blocks as the channels' frozen blocks, for one variant, and what is
        missing: products not live or incomplete are left out, a required message slot
        without a message is named."""
        blocks: list = []
        missing: list[Missing] = []
        for block in body:
            value = block.value
            if block.block_type in ("hero", "teaser"):
                blocks.append(
                    contract.HeroBlock(
                        headline=value["headline"],
                        text=value["text"] or "",
                        image_url=_image_url(value["image"]),
                        link_url=value["link_url"] or "",
                    )
                )
                if block.block_type == "teaser" and value["cta_label"] and value["link_url"]:
                    blocks.append(
                        contract.CallToActionBlock(label=value["cta_label"], url=value["link_url"])
                    )
            elif block.block_type == "text":
                blocks.append(contract.TextBlock(html=rich_text_html(value.source)))
            elif block.block_type == "products":
                live = [self.live_product(product, locale) for product in value["products"]]
                shown = [product for product in live if product is not None]
                if len(shown) < len(live):
                    missing.append(
                        Missing(
                            label,
                            _("%(count)s product(s) not live in %(language)s")
                            % {"count": len(live) - len(shown), "language": locale},
                        )
                    )
                cards = []
                for product in shown:
                    problems = self.incomplete(product, label)
                    missing.extend(problem for problem in problems if problem not in missing)
                    if not problems:
                        cards.append(_card(product, prices))
                if cards:
                    blocks.append(
                        contract.ProductGridBlock(
                            heading=value["heading"] or "", products=tuple(cards)
                        )
                    )
            elif block.block_type == "message":
                product = value["product"]
                message = self.message_for(product, locale, role, phase)
                if message is None:
                    if value["required"]:
                        reason = (
                            _("no approved audience message about %(sku)s") % {"sku": product.sku}
                            if product is not None
                            else _("no approved audience message")
                        )
                        missing.append(Missing(label, reason))
                    continue
                live = self.live_product(message.product, locale)
                if live is not None and (problems := self.incomplete(live, label)):
                    missing.extend(problem for problem in problems if problem not in missing)
                    live = None
                blocks.append(
                    contract.MessageBlock(
                        headline=message.headline,
                        body_html=rich_text_html(message.body),
                        cta_label=message.cta_label,
                        cta_url=message.cta_url,
                        product=_card(live, prices) if live is not None else None,
                    )
                )
            elif block.block_type == "cta":
                blocks.append(contract.CallToActionBlock(label=value["label"], url=value["url"]))
            elif block.block_type == "personal_products":
                blocks.append(
                    contract.PersonalProductsBlock(heading=value["heading"], source=value["source"])
                )
            elif block.block_type == "offers":
                blocks.append(
                    OffersBlock(
                        heading=value["heading"] or "",
                        kinds=tuple(value["kinds"]),
                        limit=value["limit"],
                    )
                )
            elif block.block_type == "survey":
                survey = value["survey"]
                if survey is None or not survey.active:
                    reason = (
                        _('the survey "%(name)s" is not active') % {"name": survey.name}
                        if survey is not None
                        else _("the survey is not active")
                    )
                    missing.append(Missing(label, reason))
                    continue
                if self.campaign_id is None:
                    continue  # an answer counts for a campaign: default content has none
                blocks.append(
                    contract.SurveyBlock(
                        question=survey.text("question", locale),
                        answers=survey_answer_urls(self.campaign_id, survey.pk, survey.scores),
                        low_label=survey.text("low_label", locale),
                        high_label=survey.text("high_label", locale),
                    )
                )
        return blocks, missing


class VariantResolver(ContentResolver):
    """Resolves a newsletter campaign's variants against live content."""

    def __init__(self, campaign: Campaign):
        super().__init__(channel_keys=campaign.channels or (), campaign_id=campaign.pk)
        self.campaign = campaign
        self.contents = list(campaign.contents.all())
        self.locales = {content.locale.language_code for content in self.contents}
        self._tracking = tracking_for(campaign.pk)
        self._brand_settings = brand_settings()
        self._brands: dict[str, contract.Brand] = {}

    def bodies(self, locale: str) -> list:
        return [c.body for c in self.contents if c.locale.language_code == locale]

    def content_for(self, locale: str, arm: str) -> CampaignContent | None:
        by_arm = {c.arm: c for c in self.contents if c.locale.language_code == locale}
        return by_arm.get(arm) or by_arm.get("")

    def resolve(self, key: str) -> tuple[contract.Variant | None, list[Missing]]:
        locale, role, phase, arm = parse_variant_key(key)
        label = variant_label(key)
        content = self.content_for(locale, arm)
        if content is None:
            reason = _("no newsletter version in language %(language)s") % {"language": locale}
            return None, [Missing(label, reason)]
        blocks, missing = self.blocks(
            content.body, locale=locale, role=role, phase=phase, label=label
        )
        variant = contract.Variant(
            key=key,
            campaign_id=self.campaign.pk,
            campaign_name=self.campaign.name,
            locale=locale,
            role=role,
            phase=phase,
            arm=arm,
            subject=content.subject,
            preheader=content.preheader,
            sender=self.campaign.sender,
            reply_to=self.campaign.reply_to,
            blocks=tuple(blocks),
            tracking=self._tracking,
            brand=self.brand(locale),
        )
        return variant, missing

    def brand(self, locale: str) -> contract.Brand:
        """The sender's brand in ``locale`` (read once per resolver and language)."""
        if locale not in self._brands:
            self._brands[locale] = brand_for(self._brand_settings, locale)
        return self._brands[locale]


def arms_of(campaign: Campaign) -> list[str]:
    return [arm.label for arm in campaign.arms.all()] or [""]


Combo = tuple[str, str, str]  # (language, role, phase) of contacts


def audience_combos(segment, *, now: dt.datetime | None = None, limit: int | None = None):
    """The (language, role, phase) combinations of a segment's contacts, in one query."""
    from .selectors import segment_contacts

    combos = segment_contacts(segment, now=now).order_by().values_list("language", "role", "phase")
    combos = combos.distinct()
    return set(combos[:limit] if limit else combos)


def audience_variants(campaign: Campaign, combos: Iterable[Combo]) -> list[str]:
    """The variant keys of these audience combinations, for every arm of the campaign."""
    arms = arms_of(campaign)
    return sorted(
        variant_key(locale, role, phase, arm) for locale, role, phase in set(combos) for arm in arms
    )


def campaign_missing_content(campaign: Campaign, combos: Iterable[Combo]) -> list[Missing]:
    """Everything that keeps the campaign's audience from getting approved content."""
    resolver = VariantResolver(campaign)
    missing: list[Missing] = []
    for key in audience_variants(campaign, combos):
        missing.extend(resolver.resolve(key)[1])
    return missing


# --- recipients ---------------------------------------------------------------------------------


GREETINGS = {
    "de": {
        "mr": "Sehr geehrter Herr {last},",
        "ms": "Sehr geehrte Frau {last},",
        "named": "Guten Tag {first} {last},",
        "anonymous": "Guten Tag,",
    },
    "en": {
        "mr": "Dear Mr {last},",
        "ms": "Dear Ms {last},",
        "named": "Dear {first} {last},",
        "anonymous": "Hello,",
    },
}


def greeting(contact: Contact, locale: str) -> str:
    forms = GREETINGS.get(locale, GREETINGS["en"])
    first, last = contact.first_name.strip(), contact.last_name.strip()
    if contact.salutation in ("mr", "ms") and last:
        form = forms[contact.salutation]
    elif last:
        form = forms["named"]
    else:
        form = forms["anonymous"]
    return " ".join(form.format(first=first, last=last).split()).replace(" ,", ",")


def variant_skus(variant: contract.Variant) -> set[str]:
    """The SKUs a variant shows to everybody (its grids and its messages' products)."""
    skus: set[str] = set()
    for block in variant.blocks:
        if isinstance(block, contract.ProductGridBlock):
            skus.update(card.sku for card in block.products)
        elif isinstance(block, contract.MessageBlock) and block.product is not None:
            skus.add(block.product.sku)
    return skus
