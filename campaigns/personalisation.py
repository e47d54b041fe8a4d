"""From an approved campaign to what a channel renders: variants, and recipients per batch.

The audience splits by language x role x phase (x A/B arm). For each variant every content
slot takes the most specific live audience message (role+phase, then role, then phase, then
the default); only live, approved products and messages are ever read, and only products
complete for the campaign's channels in the variant's language are shown (an incomplete one
is left out and named as missing, which blocks scheduling). Per recipient, everything
personal is fetched for a whole batch at once: a constant number of queries however large
the batch; personal products that are incomplete are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.rich_text import expand_db_html

from channels import base as contract
from channels.registry import get_channels
from content.models import AudienceMessage, Product
from content.selectors import completeness_for, live_products, products_complete_for

from .models import (
    Campaign,
    CampaignContent,
    Contact,
    Event,
    EventKind,
    GroupPrice,
    OrderLine,
)
from .tracking import delivery_token, tracking_for

ANY = ""  # a blank role or phase: "any" in audience messages, "none given" on a contact
VIEWED_DAYS = 30
PERSONAL_PRODUCTS = 3


def variant_key(locale: str, role: str, phase: str, arm: str) -> str:
    return f"{locale}:{role or '-'}:{phase or '-'}:{arm or '-'}"


def parse_variant_key(key: str) -> tuple[str, str, str, str]:
    locale, role, phase, arm = (part if part != "-" else "" for part in key.split(":"))
    return locale, role, phase, arm


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


class VariantResolver:
    """Resolves a campaign's variants against live content, loading each thing once.

    The live products a language's versions may show are loaded together, with their
    completeness, so resolving every variant takes a few queries per language, however
    many products and variants there are.
    """

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.contents = list(campaign.contents.all())
        self.locales = {content.locale.language_code for content in self.contents}
        configured = get_channels()
        # The campaign's channels that exist: each product shown must be complete for them.
        self.channel_keys = [key for key in campaign.channels or () if key in configured]
        self._products: dict[str, dict[str, Product]] = {}
        self._messages: dict[str, list[AudienceMessage]] = {}
        self._tracking = tracking_for(campaign.pk)

    def content_for(self, locale: str, arm: str) -> CampaignContent | None:
        by_arm = {c.arm: c for c in self.contents if c.locale.language_code == locale}
        return by_arm.get(arm) or by_arm.get("")

    def _live_products(self, locale: str) -> dict[str, Product]:
        """Translation key -> live version in ``locale`` of every product ``locale`` may show."""
        if locale not in self._products:
            keys = {
                message.product.translation_key
                for message in self.messages(locale)
                if message.product_id
            }
            for content in self.contents:
                if content.locale.language_code != locale:
                    continue
                for block in content.body:
                    if block.block_type == "products":
                        keys.update(p.translation_key for p in block.value["products"] if p)
                    elif block.block_type == "message" and block.value["product"] is not None:
                        keys.add(block.value["product"].translation_key)
            found = (
                live_products(translation_keys=keys, locale=locale, renditions=[CARD_RENDITION])
                if keys
                else ()
            )
            self._products[locale] = {str(product.translation_key): product for product in found}
        return self._products[locale]

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
                        f'product {product.sku} "{product.name}" is incomplete for '
                        f"{completeness.channel_name} ({completeness.locale}): missing "
                        + ", ".join(completeness.missing_labels),
                    )
                )
        return missing

    def messages(self, locale: str) -> list[AudienceMessage]:
        if locale not in self._messages:
            self._messages[locale] = list(
                AudienceMessage.objects.filter(live=True, locale__language_code=locale)
                .select_related("product")
                .order_by("pk")
            )
        return self._messages[locale]

    def message_for(
        self, product: Product | None, locale: str, role: str, phase: str
    ) -> AudienceMessage | None:
        """The most specific live message: role+phase, then role, then phase, then default."""
        translation = product.translation_key if product is not None else None
        candidates = {
            (message.role, message.phase): message
            for message in self.messages(locale)
            if (message.product.translation_key if message.product_id else None) == translation
        }
        for wanted in ((role, phase), (role, ANY), (ANY, phase), (ANY, ANY)):
            if wanted in candidates:
                return candidates[wanted]
        return None

    def resolve(self, key: str) -> tuple[contract.Variant | None, list[Missing]]:
        locale, role, phase, arm = parse_variant_key(key)
        label = _variant_label(locale, role, phase, arm)
        content = self.content_for(locale, arm)
        if content is None:
            return None, [Missing(label, f"no newsletter version in language {locale!r}")]
        blocks: list[contract.Block] = []
        missing: list[Missing] = []
        for block in content.body:
            value = block.value
            if block.block_type == "hero":
                blocks.append(
                    contract.HeroBlock(
                        headline=value["headline"],
                        text=value["text"] or "",
                        image_url=_image_url(value["image"]),
                        link_url=value["link_url"] or "",
                    )
                )
            elif block.block_type == "text":
                blocks.append(contract.TextBlock(html=expand_db_html(value.source)))
            elif block.block_type == "products":
                live = [self.live_product(product, locale) for product in value["products"]]
                shown = [product for product in live if product is not None]
                if len(shown) < len(live):
                    missing.append(
                        Missing(label, f"{len(live) - len(shown)} product(s) not live in {locale}")
                    )
                cards = []
                for product in shown:
                    problems = self.incomplete(product, label)
                    missing.extend(problem for problem in problems if problem not in missing)
                    if not problems:
                        cards.append(product_card(product))
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
                        about = f" about {product.sku}" if product is not None else ""
                        missing.append(Missing(label, f"no approved audience message{about}"))
                    continue
                live = self.live_product(message.product, locale)
                if live is not None and (problems := self.incomplete(live, label)):
                    missing.extend(problem for problem in problems if problem not in missing)
                    live = None
                blocks.append(
                    contract.MessageBlock(
                        headline=message.headline,
                        body_html=expand_db_html(message.body),
                        cta_label=message.cta_label,
                        cta_url=message.cta_url,
                        product=product_card(live) if live is not None else None,
                    )
                )
            elif block.block_type == "cta":
                blocks.append(contract.CallToActionBlock(label=value["label"], url=value["url"]))
            elif block.block_type == "personal_products":
                blocks.append(
                    contract.PersonalProductsBlock(heading=value["heading"], source=value["source"])
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
        )
        return variant, missing


def _variant_label(locale: str, role: str, phase: str, arm: str) -> str:
    parts = [locale, role or "no role", phase or "no phase"]
    if arm:
        parts.append(f"arm {arm}")
    return " / ".join(parts)


def arms_of(campaign: Campaign) -> list[str]:
    return [arm.label for arm in campaign.arms.all()] or [""]


Combo = tuple[str, str, str]  # (language, role, phase) of contacts


def audience_combos(segment, *, now: dt.datetime | None = None, limit: int | None = None):
    """The (language, role, phase) combinations of a segment's contacts, in one query."""
    from .segments import segment_contacts

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


@dataclass
class BatchFacts:
    """What a batch's recipients viewed, bought and clicked: loaded once for all of them."""

    viewed: dict[int, list[str]]
    recommended: dict[int, list[str]]
    cards: dict[str, contract.ProductCard]


def _complete_for_personal_products(products: QuerySet[Product]) -> QuerySet[Product]:
    """Only products complete for every channel that shows products per recipient.

    Viewed and recommended products differ per recipient, so they cannot be checked when a
    campaign is scheduled: an incomplete one is simply not shown.
    """
    for key, channel in get_channels().items():
        if channel.per_recipient:
            products = products_complete_for(products, key)
    return products


def _batch_facts(contact_ids: Sequence[int], locale: str, now: dt.datetime) -> BatchFacts:
    since = now - dt.timedelta(days=VIEWED_DAYS)
    bought: dict[int, set[str]] = defaultdict(set)
    for contact_id, sku in OrderLine.objects.filter(
        order__contact_id__in=contact_ids, order__ordered_at__gte=since
    ).values_list("order__contact_id", "sku"):
        bought[contact_id].add(sku)
    viewed: dict[int, Counter] = defaultdict(Counter)
    clicked: dict[int, Counter] = defaultdict(Counter)
    for contact_id, kind, sku, category_id in Event.objects.filter(
        Q(kind=EventKind.PRODUCT_VIEW) & ~Q(sku="") | Q(kind=EventKind.CATEGORY_CLICK),
        contact_id__in=contact_ids,
        occurred_at__gte=since,
    ).values_list("contact_id", "kind", "sku", "category_id"):
        if kind == EventKind.PRODUCT_VIEW:
            if sku not in bought[contact_id]:
                viewed[contact_id][sku] += 1
        elif category_id:
            clicked[contact_id][category_id] += 1
    top_viewed = {
        contact_id: [sku for sku, _n in counts.most_common(PERSONAL_PRODUCTS)]
        for contact_id, counts in viewed.items()
    }
    categories = {category for counts in clicked.values() for category in counts}
    in_category: dict[int, list[Product]] = defaultdict(list)
    live = _complete_for_personal_products(
        Product.objects.filter(live=True, locale__language_code=locale)
    )
    for product in (
        live.filter(categories__in=categories)
        .prefetch_related("images__image", "categories")
        .order_by("sku")
        .distinct()
        if categories
        else []
    ):
        for category in product.categories.all():
            if category.pk in categories:
                in_category[category.pk].append(product)
    cards: dict[str, contract.ProductCard] = {}
    for products in in_category.values():
        for product in products:
            cards.setdefault(product.sku, product_card(product))
    wanted = {sku for skus in top_viewed.values() for sku in skus} - set(cards)
    for product in live.filter(sku__in=wanted).prefetch_related("images__image"):
        cards[product.sku] = product_card(product)
    recommended: dict[int, list[str]] = {}
    for contact_id, counts in clicked.items():
        seen = bought[contact_id] | set(top_viewed.get(contact_id, ()))
        picks: list[str] = []
        for category, _n in counts.most_common():
            for product in in_category.get(category, ()):
                if product.sku not in seen and product.sku not in picks:
                    picks.append(product.sku)
        recommended[contact_id] = picks[:PERSONAL_PRODUCTS]
    return BatchFacts(
        viewed={c: [s for s in skus if s in cards] for c, skus in top_viewed.items()},
        recommended=recommended,
        cards=cards,
    )


def variant_skus(variant: contract.Variant) -> set[str]:
    """The SKUs a variant shows to everybody (its grids and its messages' products)."""
    skus: set[str] = set()
    for block in variant.blocks:
        if isinstance(block, contract.ProductGridBlock):
            skus.update(card.sku for card in block.products)
        elif isinstance(block, contract.MessageBlock) and block.product is not None:
            skus.add(block.product.sku)
    return skus


def _group_prices(price_groups: set[str], skus: set[str]) -> dict[str, dict[str, Decimal]]:
    """Price group -> SKU -> price, for the SKUs a batch's messages may show."""
    prices: dict[str, dict[str, Decimal]] = defaultdict(dict)
    if price_groups and skus:
        for group, sku, price in GroupPrice.objects.filter(
            price_group__in=price_groups, sku__in=skus
        ).values_list("price_group", "sku", "price"):
            prices[group][sku] = price
    return prices


def recipients_for(
    deliveries: Sequence,
    locale: str,
    *,
    skus: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> list[contract.Recipient]:
    """The channel's view of each delivery's contact, in order; a constant number of queries.

    ``deliveries`` must have ``contact`` (with ``account``) loaded. ``skus`` are the products
    the variant shows everybody: each recipient gets their price group's prices for those
    and for their personal products.
    """
    now = now or timezone.now()
    contact_ids = [delivery.contact_id for delivery in deliveries]
    facts = _batch_facts(contact_ids, locale, now)
    groups = {
        d.contact.account.price_group
        for d in deliveries
        if d.contact.account_id and d.contact.account.price_group
    }
    prices = _group_prices(groups, set(skus) | set(facts.cards))
    recipients = []
    for delivery in deliveries:
        contact = delivery.contact
        group = contact.account.price_group if contact.account_id else ""
        recipients.append(
            contract.Recipient(
                delivery_id=delivery.pk,
                email=contact.email,
                token=delivery_token(delivery.pk),
                greeting=greeting(contact, locale),
                first_name=contact.first_name,
                last_name=contact.last_name,
                company=contact.account.name if contact.account_id else "",
                prices=prices.get(group, {}),
                viewed=tuple(facts.cards[sku] for sku in facts.viewed.get(contact.pk, ())),
                recommended=tuple(
                    facts.cards[sku] for sku in facts.recommended.get(contact.pk, ())
                ),
            )
        )
    return recipients
