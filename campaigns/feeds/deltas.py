"""What a receiver holds, and what changed since: the bookkeeping behind delta files.

Each product a good run wrote leaves a ``FeedItem`` with three hashes of what was sent: its
content (texts, identifiers, media, classification), its price and its stock. The next
delta run compares the candidates' hashes with these: a product whose content hash differs
is sent whole (``{"content"}``), one whose price or stock alone changed is sent with
``{"price"}`` and/or ``{"stock"}``, an unchanged one is skipped, and a SKU the receiver holds
that is no longer a candidate (withdrawn, moved out of the feed's categories, now refused)
is sent as withdrawn with the names and URLs it had.

While a run streams, the new state goes line by line into a journal file next to the parts;
only once every part validated is the journal applied to ``FeedItem`` (``items_apply``), so
a failed run leaves the receiver's state as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import orjson
from django.db import transaction

from campaigns.models import Feed, FeedItem
from channels.feeds import Change, FeedProduct, FeedText, iter_chunks

# The fields of a FeedProduct that make its offer; every other field but the bookkeeping
# ones (updated_at, changes) is its content.
PRICE_FIELDS = ("price", "currency", "group_prices")
STOCK_FIELDS = ("availability", "lead_time_days")
IGNORED_FIELDS = ("updated_at", "changes")
BATCH = 1000


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data with a stable order (mappings sorted by the encoder)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(_plain(item) for item in value)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        # 19.9 and 19.90 are the same price.
        return str(value.normalize())
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _digest(data: Any) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclasses.dataclass(frozen=True)
class Hashes:
    content: str
    price: str
    stock: str


def _without_query(assets: list[dict]) -> list[dict]:
    # A signed storage URL (S3 with query-string auth) differs on every run for the same
    # file; the file is the same while its path is.
    return [
        {**asset, "url": urlsplit(asset["url"])._replace(query="").geturl()} for asset in assets
    ]


def product_hashes(product: FeedProduct) -> Hashes:
    data = _plain(product)
    data["images"] = _without_query(data["images"])
    data["documents"] = _without_query(data["documents"])
    offer = (*PRICE_FIELDS, *STOCK_FIELDS, *IGNORED_FIELDS)
    return Hashes(
        content=_digest({key: value for key, value in data.items() if key not in offer}),
        price=_digest({key: data[key] for key in PRICE_FIELDS}),
        stock=_digest({key: data[key] for key in STOCK_FIELDS}),
    )


def changes_between(hashes: Hashes, held: FeedItem | None) -> frozenset[Change]:
    """What a delta says about a product the receiver holds as ``held`` (None: new to it)."""
    if held is None or held.content_hash != hashes.content:
        return frozenset({"content"})
    changes: set[Change] = set()
    if held.price_hash != hashes.price:
        changes.add("price")
    if held.stock_hash != hashes.stock:
        changes.add("stock")
    return frozenset(changes)


def held_items(feed: Feed, skus: Iterable[str]) -> dict[str, FeedItem]:
    return {item.sku: item for item in FeedItem.objects.filter(feed=feed, sku__in=list(skus))}


def withdrawn_products(feed: Feed, kept: set[str]) -> Iterator[FeedProduct]:
    """The products the receiver holds that are not in ``kept``, as withdrawals, by SKU."""
    rows = FeedItem.objects.filter(feed=feed).order_by("sku").values_list("sku", "texts")
    for sku, texts in rows.iterator(chunk_size=BATCH):
        if sku in kept:
            continue
        yield FeedProduct(
            sku=sku,
            texts={
                language: FeedText(
                    language=language,
                    name=text.get("name", ""),
                    short_text="",
                    long_html="",
                    long_text="",
                    url=text.get("url", ""),
                )
                for language, text in texts.items()
            },
            changes=frozenset({"withdrawn"}),
        )


class Journal:
    """The receiver's new state, one JSON line per product sent, applied after success."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("wb")

    def sent(self, product: FeedProduct, hashes: Hashes) -> None:
        texts = {
            language: {"name": text.name, "url": text.url}
            for language, text in product.texts.items()
        }
        line = {
            "sku": product.sku,
            "content": hashes.content,
            "price": hashes.price,
            "stock": hashes.stock,
            "texts": texts,
        }
        self._file.write(orjson.dumps(line) + b"\n")

    def withdrawn(self, sku: str) -> None:
        self._file.write(orjson.dumps({"sku": sku, "withdrawn": True}) + b"\n")

    def close(self) -> None:
        self._file.close()

    def lines(self) -> Iterator[dict]:
        with self.path.open("rb") as file:
            for line in file:
                yield orjson.loads(line)


def items_apply(*, feed: Feed, journal: Journal, full: bool, at: dt.datetime) -> None:
    """Make ``FeedItem`` what the receiver now holds, in the caller's transaction.

    A full file replaces everything the receiver held; a delta changes only its lines.
    """
    assert transaction.get_connection().in_atomic_block
    if full:
        FeedItem.objects.filter(feed=feed).delete()
    for chunk in iter_chunks(journal.lines(), BATCH):
        gone = [line["sku"] for line in chunk if line.get("withdrawn")]
        if gone:
            FeedItem.objects.filter(feed=feed, sku__in=gone).delete()
        rows = [
            FeedItem(
                feed=feed,
                sku=line["sku"],
                content_hash=line["content"],
                price_hash=line["price"],
                stock_hash=line["stock"],
                texts=line["texts"],
                sent_at=at,
            )
            for line in chunk
            if not line.get("withdrawn")
        ]
        FeedItem.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["feed", "sku"],
            update_fields=["content_hash", "price_hash", "stock_hash", "texts", "sent_at"],
        )
