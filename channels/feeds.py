"""The contract of channels that hand the catalogue to a receiver as a file: feeds.

A marketplace or e-procurement system does not receive campaigns; it fetches (or is
pushed) a file of the live, approved product content: Google Merchant Center's RSS or
TSV, Amazon's ``JSON_LISTINGS_FEED``, a BMEcat catalogue. Each format is one channel in
``settings.HUB_CHANNELS`` whose class subclasses ``FeedChannel``.

The hub (``campaigns.feeds``) prepares every fact a format may use as frozen
``FeedProduct`` rows, one per product, with the receiver's settings as a ``FeedSpec``; the
adapter never reads the database. Per run the hub:

1. asks ``refusals(product, spec)`` for every candidate: why this product cannot go into
   this receiver's file (a broken GTIN, a title too long, an ETIM value of the wrong type,
   no text in a language the receiver needs). A refused product is left out, and the
   reasons go into the run's readiness report; a refusal never breaks the file;
2. hands the accepted products, as an iterator (never a list: catalogues are large), to
   ``write(spec, products, sink)``, which streams one or more parts into the sink;
3. asks ``validate(spec, part)`` of each part: the receiver's official schema or rules.
   Only a file that validates replaces the one served; otherwise the run fails and the last
   good file stays.

Like ``channels.base``, this module imports no app.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal, Protocol

from .base import BaseChannel

# ETIM feature data types: alphanumeric (the value is an EV code), numeric, logical
# (true/false) and range (a pair of numbers).
EtimType = Literal["A", "N", "L", "R", ""]

# What changed about a product since the receiver's last file (deltas only).
Change = Literal["content", "price", "stock", "withdrawn"]


@dataclass(frozen=True)
class FeedFeature:
    """One technical feature in one language, as the editor wrote it.

    ``etim_type`` is the ETIM data type of ``etim_feature`` from the hub's ETIM reference
    data, "" when the feature has no ETIM code or the code is not in the reference data.
    """

    name: str
    value: str
    unit: str = ""
    etim_feature: str = ""  # EF code, e.g. "EF000008"
    etim_type: EtimType = ""
    etim_unit: str = ""  # the ETIM unit code (EU...) of ``unit``, "" when unknown


@dataclass(frozen=True)
class FeedAsset:
    """An image or document file of a product, at a URL the receiver can fetch."""

    url: str
    mime_type: str
    filename: str
    description: str = ""  # alt text of an image, label of a document
    purpose: Literal["normal", "data_sheet", "safety_data_sheet", "others"] = "normal"


@dataclass(frozen=True)
class FeedText:
    """A product's text in one language (its live version in that locale)."""

    language: str  # a language code, e.g. "de"
    name: str
    short_text: str
    long_html: str  # the sanitised rich text the editor wrote
    long_text: str  # the same as plain text: paragraphs separated by blank lines
    url: str  # the product's page in the shop, in this language
    features: tuple[FeedFeature, ...] = ()
    category_path: tuple[str, ...] = ()  # the first category and its parents, root first


@dataclass(frozen=True)
class FeedCertification:
    """A certification of the product, e.g. the EU energy label's EPREL registration."""

    authority: str  # "EC"
    name: str  # "EPREL"
    code: str  # the registration number


@dataclass(frozen=True)
class FeedProduct:
    """Everything a feed may say about one product, prepared by the hub.

    Prices are net, as the ERP keeps them; a format that needs a gross price computes it
    with ``FeedSpec.gross``. ``texts`` holds the product's live text in each of the feed's
    languages that has one, in the feed's order.
    """

    sku: str
    texts: Mapping[str, FeedText]
    gtin: str = ""
    brand: str = ""
    manufacturer_part_number: str = ""
    manufacturer_name: str = ""
    images: tuple[FeedAsset, ...] = ()
    documents: tuple[FeedAsset, ...] = ()
    price: Decimal | None = None  # the public net list price
    currency: str = "EUR"
    group_prices: Mapping[str, Decimal] = field(default_factory=dict)  # price group -> net
    availability: str = ""  # content.taxonomy.Availability values
    lead_time_days: int | None = None
    etim_classes: Mapping[str, str] = field(default_factory=dict)  # release ("9.0") -> EC code
    category_slugs: tuple[str, ...] = ()
    net_content: Decimal | None = None  # sold by length, weight or volume: how much
    net_content_unit: str = ""  # "m", "kg", "l", "m2", "m3", ...
    certifications: tuple[FeedCertification, ...] = ()
    updated_at: datetime | None = None
    # Deltas only: what changed since the receiver's last file. A full file leaves it empty.
    changes: frozenset[Change] = frozenset()

    @property
    def withdrawn(self) -> bool:
        return "withdrawn" in self.changes

    def text(self, language: str) -> FeedText | None:
        return self.texts.get(language)


@dataclass(frozen=True)
class FeedSpec:
    """One receiver's settings for one run.

    ``since`` is None for a full file, else the time of the receiver's last good file: the
    products then carry their ``changes``, withdrawn ones included.
    """

    feed_key: str  # the receiver's slug, unique in the hub
    name: str
    languages: tuple[str, ...]  # the first is the main language
    generated_at: datetime
    currency: str = "EUR"
    vat_rate: Decimal = Decimal("19")  # percent, for formats that need gross prices
    price_group: str = ""  # "" = the public list price
    buyer_price_groups: tuple[str, ...] = ()  # BMEcat: the buyers' price groups, per price
    etim_release: str = "9.0"
    since: datetime | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # format-specific settings

    @property
    def language(self) -> str:
        return self.languages[0]

    @property
    def full(self) -> bool:
        return self.since is None

    def gross(self, net: Decimal) -> Decimal:
        """``net`` with the VAT rate added, rounded half up to cents."""
        return (net * (100 + self.vat_rate) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def net_price(self, product: FeedProduct) -> Decimal | None:
        """The net price this receiver gets: its price group's, else the public list price."""
        if self.price_group:
            return product.group_prices.get(self.price_group)
        return product.price


@dataclass(frozen=True)
class FeedPart:
    """One file written for a run (a format may split a large catalogue into several)."""

    name: str  # e.g. "feed.xml", "listings-0002.json"
    path: Path
    products: int  # how many products it holds
    size: int  # bytes


class PartFile:
    """A part being written: a binary file, and how many products the writer put in it."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.products = 0

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def __getattr__(self, name: str) -> Any:
        # The rest of the file's interface (writable, closed, ...) for wrappers such as
        # io.TextIOWrapper.
        return getattr(self._file, name)


class FeedSink(Protocol):
    """Where a writer streams its parts.

    ``open_part(name)`` gives a ``PartFile`` to write into; the writer counts the products
    it writes (``part.products += 1``). A part is complete when its block ends without an
    exception; a part left by an exception is discarded.
    """

    def open_part(self, name: str) -> AbstractContextManager[PartFile]: ...


class DirectorySink:
    """The sink of a run: parts as files in ``directory``, listed in ``parts`` when done."""

    BUFFER = 1 << 20

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.parts: list[FeedPart] = []

    @contextmanager
    def open_part(self, name: str) -> Iterator[PartFile]:
        if Path(name).name != name or name in {part.name for part in self.parts}:
            raise ValueError(f"Bad or repeated part name {name!r}.")
        path = self.directory / name
        try:
            with path.open("wb", buffering=self.BUFFER) as file:
                part = PartFile(file)
                yield part
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self.parts.append(FeedPart(name, path, part.products, path.stat().st_size))


@dataclass(frozen=True)
class FeedOption:
    """A format-specific setting a receiver can set in the admin (``FeedSpec.options``)."""

    name: str
    label: str
    help_text: str = ""
    required: bool = False
    default: Any = ""


class FeedChannel(BaseChannel):
    """A channel that writes the catalogue as a file for one kind of receiver."""

    per_recipient: ClassVar[bool] = False
    writes_feeds: ClassVar[bool] = True
    # How the file is served: its media type and the name of its (first) part.
    media_type: ClassVar[str] = "application/octet-stream"
    file_name: ClassVar[str] = "feed"
    # Whether the format has deltas (``FeedSpec.since``); a format without always gets a
    # full snapshot, since its receiver deletes what a file leaves out.
    supports_deltas: ClassVar[bool] = False
    options_schema: ClassVar[tuple[FeedOption, ...]] = ()

    def media_type_for(self, spec: FeedSpec) -> str:
        """The media type of ``spec``'s file (a format with variants overrides this)."""
        return self.media_type

    def file_name_for(self, spec: FeedSpec) -> str:
        """The name of ``spec``'s (first) part, served at the feed's secret URL."""
        return self.file_name

    def receiver_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """A receiver's options over the channel's own (``HUB_CHANNELS[key]["OPTIONS"]``):
        what goes into ``FeedSpec.options``. An empty value keeps the channel's."""
        return {
            **self.options,
            **{name: value for name, value in options.items() if value not in (None, "")},
        }

    def clean_options(self, options: Mapping[str, Any]) -> dict[str, list[str]]:
        """What is wrong with a receiver's ``options``, by option name; empty when fine.

        Called by the admin form before a receiver is saved, so a run never meets options
        its format cannot use.
        """
        errors: dict[str, list[str]] = {}
        merged = self.receiver_options(options)
        for option in self.options_schema:
            if option.required and merged.get(option.name) in (None, "", [], {}):
                errors.setdefault(option.name, []).append(f"{option.label} is required.")
        return errors

    def refusals(self, product: FeedProduct, spec: FeedSpec) -> tuple[str, ...]:
        """Why ``product`` cannot go into ``spec``'s file; empty when it can."""
        raise NotImplementedError

    def write(self, spec: FeedSpec, products: Iterable[FeedProduct], sink: FeedSink) -> None:
        """Stream the accepted ``products`` into one or more parts of ``sink``."""
        raise NotImplementedError

    def validate(self, spec: FeedSpec, part: FeedPart) -> list[str]:
        """What is wrong with ``part`` by the receiver's schema or rules; empty when valid."""
        raise NotImplementedError


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, lazily."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
