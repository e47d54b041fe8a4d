"""Orders: one row per order line, grouped by order number and stored through
``orders_record``, the one service that writes orders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from campaigns.models import Account, Contact, ImportKind, Order, OrderLine, OrderSource
from campaigns.services.events import ContactRef, OrderInput, OrderLineInput, orders_record

from . import engine
from .engine import Batch, Importer
from .fields import KEYS
from .reports import UnreadableFile
from .values import (
    BadValue,
    decimal_parser,
    max_length,
    parse_datetime,
    parse_email,
    text_parser,
    too_many_digits,
)


@dataclass
class _OrderRows:
    line: int  # of the first row
    values: dict[str, Any]  # order-level values, from the first row
    lines: list[OrderLineInput] = field(default_factory=list)
    bad: bool = False
    row_count: int = 0


class OrderImporter(Importer):
    """One row per order line; the rows of one order follow each other.

    Rows are parsed and grouped here; the orders are stored by ``orders_record``, the one
    service that writes orders (it keeps each order's ``order`` event in step), so a file
    import and the intake API store orders alike. A dry run runs it too, and rolls back.
    """

    kind = ImportKind.ORDERS
    model = Order
    parsers = {
        "external_id": text_parser(max_length(Order, "external_id")),
        "ordered_at": parse_datetime,
        "account": text_parser(max_length(Account, "customer_number")),
        "contact": parse_email,
        "currency": lambda text: _currency(text),
        "revenue": decimal_parser(Order, "revenue"),
        "sku": text_parser(max_length(OrderLine, "sku")),
        "quantity": lambda text: _quantity(text),
        "unit_price": decimal_parser(OrderLine, "unit_price"),
    }
    # (decimal places, digits) of the stored totals: more would be refused when written.
    LINE_TOTAL_DIGITS = (
        OrderLine._meta.get_field("line_total").decimal_places,
        OrderLine._meta.get_field("line_total").max_digits,
    )
    REVENUE_DIGITS = (
        Order._meta.get_field("revenue").decimal_places,
        Order._meta.get_field("revenue").max_digits,
    )
    # The service's field names -> the import's.
    FIELD_NAMES = {
        "order_number": "external_id",
        "customer_number": "account",
        "contact.email": "contact",
        "contact.external_id": "contact",
        "contact.crm_id": "contact",
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        source = self.options.get("source") or OrderSource.IMPORT
        if source not in OrderSource.values:
            raise UnreadableFile(
                f"Orders cannot come from {source!r}; use one of: {', '.join(OrderSource.values)}."
            )
        self.source = source
        # What the contact column holds: e-mail addresses unless a sync names another id.
        self.contact_key = self.options.get("contact_key") or "email"
        if self.contact_key not in KEYS[ImportKind.CONTACTS]:
            raise UnreadableFile(
                f"Contacts cannot be referred to by {self.contact_key!r}; use one of: "
                f"{', '.join(KEYS[ImportKind.CONTACTS])}."
            )
        if self.contact_key != "email":
            self.parsers = {**self.parsers, "contact": text_parser(max_length(Contact, "crm_id"))}

    def batches(self, numbered_rows):
        # A batch ends between two orders, never inside one.
        batch, last = [], None
        for line, raw in numbered_rows:
            number = (raw.get("external_id") or "").strip()
            # Looked up on the module when it runs, so a test can make batches small.
            if len(batch) >= engine.BATCH_SIZE and number != last:
                yield batch
                batch = []
            batch.append((line, raw))
            last = number
        if batch:
            yield batch

    def plan(self, rows) -> Batch:
        groups: dict[str, _OrderRows] = {}
        last = None
        for line, raw in rows:
            values = self.parse(line, raw)
            number = (raw.get("external_id") or "").strip()
            group = groups.get(number) if number == last else None
            last = number
            if group is None and number:
                if self.seen.setdefault(number, line) != line:
                    self.error(
                        line,
                        "external_id",
                        f"rows of order {number} must follow each other "
                        f"(it began on line {self.seen[number]})",
                    )
                    self.skipped += 1
                    continue
                group = groups[number] = _OrderRows(line=line, values=values or {})
            if group is None:
                self.error(line, "external_id", "required: the order number")
                self.skipped += 1
                continue
            group.row_count += 1
            if values is None:
                group.bad = True
                continue
            missing = [
                name
                for name in ("ordered_at", "sku", "quantity", "unit_price")
                if name not in values
            ]
            for name in missing:
                self.error(line, name, "required")
            if missing:
                group.bad = True
                continue
            order_line = OrderLineInput(
                sku=values["sku"], quantity=values["quantity"], unit_price=values["unit_price"]
            )
            if too_many_digits(order_line.line_total, *self.LINE_TOTAL_DIGITS):
                self.error(
                    line,
                    "unit_price",
                    f"quantity times unit price, {order_line.line_total}, is too large for an "
                    "order line",
                )
                group.bad = True
                continue
            group.lines.append(order_line)

        batch = Batch()
        for number, group in groups.items():
            if group.bad:
                self.skipped += group.row_count
                self.error(group.line, "external_id", f"order {number} skipped: a row is bad")
                continue
            values = group.values
            if "revenue" not in values and too_many_digits(
                sum((line.line_total for line in group.lines), Decimal(0)), *self.REVENUE_DIGITS
            ):
                self.skipped += group.row_count
                self.error(
                    group.line, "revenue", f"order {number}: the sum of its lines is too large"
                )
                continue
            batch.items.append(
                OrderInput(
                    order_number=number,
                    ordered_at=values["ordered_at"],
                    currency=values.get("currency", "EUR"),
                    lines=tuple(group.lines),
                    contact=(
                        ContactRef(**{self.contact_key: values["contact"]})
                        if "contact" in values
                        else None
                    ),
                    customer_number=values.get("account", ""),
                    revenue=values.get("revenue"),
                )
            )
            batch.groups.append(group)
        return batch

    def write(self, batch: Batch) -> None:
        batch.result = orders_record(source=self.source, items=batch.items, reported_by="import")

    def rows_written(self, batch: Batch) -> int:
        return sum(group.row_count for group in batch.groups)

    def count(self, batch: Batch) -> None:
        result = batch.result
        if result is None:
            return
        for problem in result.errors:
            group = batch.groups[problem.index]
            field_name = self.FIELD_NAMES.get(problem.field or "", problem.field or "")
            self.error(group.line, field_name, problem.detail)
            self.skipped += group.row_count
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged


def _currency(text: str) -> str:
    code = "EUR" if text == "€" else text.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise BadValue(f"{text!r} is not an ISO 4217 currency code, e.g. EUR")
    return code


def _quantity(text: str) -> Decimal:
    value = decimal_parser(OrderLine, "quantity")(text)
    if value < 0:
        raise BadValue("must not be negative")
    return value
