"""A small feed format for the engine's tests: one tab-separated line per product.

``OPTIONS`` tell it how to misbehave: ``INVALID`` (a message) makes ``validate`` fail every
part; ``EXPLODE_AFTER`` (a number of parts) makes ``write`` raise after writing that many,
as a worker killed mid-run would leave it. The feed option ``per_part`` splits the file into
parts of that many products (``feed.txt``, ``feed-2.txt``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable

from channels.feeds import FeedChannel, FeedOption, FeedPart, FeedProduct, FeedSpec, iter_chunks


class WorkerKilled(Exception):
    pass


# Called with the spec when a write starts: what a test does while a run is under way.
DURING_WRITE: list = []


class FakeFeedChannel(FeedChannel):
    identifier = "fake-feed"
    name = "Fake feed"
    required_fields = {"*": ("gtin",)}
    media_type = "text/tab-separated-values; charset=utf-8"
    file_name = "feed.txt"
    supports_deltas = True
    options_schema = (FeedOption("shop_name", "Shop name", required=True),)

    def refusals(self, product: FeedProduct, spec: FeedSpec) -> tuple[str, ...]:
        return () if spec.net_price(product) is not None else ("No price for this receiver.",)

    @staticmethod
    def line(product: FeedProduct, spec: FeedSpec) -> str:
        text = product.text(spec.language)
        price = spec.net_price(product)
        return "\t".join(
            [
                product.sku,
                ",".join(sorted(product.changes)),
                text.name if text else "",
                "" if price is None else str(price),
                product.availability,
            ]
        )

    def write(self, spec: FeedSpec, products: Iterable[FeedProduct], sink) -> None:
        for hook in DURING_WRITE:
            hook(spec)
        per_part = int(spec.options.get("per_part") or 0)
        chunks = iter_chunks(products, per_part) if per_part else [products]
        explode_after = self.options.get("EXPLODE_AFTER")
        header = f"# {spec.feed_key} {'full' if spec.full else 'delta'}\n"
        for number, chunk in enumerate(chunks, start=1):
            if explode_after is not None and number > explode_after:
                raise WorkerKilled("killed")
            name = "feed.txt" if number == 1 else f"feed-{number}.txt"
            with sink.open_part(name) as part:
                part.write(header.encode())
                for product in chunk:
                    part.write((self.line(product, spec) + "\n").encode())
                    part.products += 1

    def validate(self, spec: FeedSpec, part: FeedPart) -> list[str]:
        problems = []
        if self.options.get("INVALID"):
            problems.append(self.options["INVALID"])
        if not part.path.read_bytes().startswith(b"# "):
            problems.append("no header line")
        return problems


class FakeFullFeedChannel(FakeFeedChannel):
    """The same format without deltas: its receiver deletes what a file leaves out."""

    supports_deltas = False
