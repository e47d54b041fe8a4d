"""Feed writers at 100,000 products: streamed Google RSS and BMEcat against ElementTree.

Goals (the feeds issue): at 100,000 products our streamed Google RSS and BMEcat writers
are at least 3x as fast as building the same document as an ElementTree in memory and
writing it (``bench.feed_baselines``), and their peak RSS grows by less than 100 MB from
10,000 to 100,000 products. Google TSV and Amazon JSON, which have no such baseline, are
reported in products per second.

Every measured run is a fresh process (``--child``) that makes the synthetic products
(``bench.feed_products``) lazily and hands them to one writer, which writes into a
temporary directory; it reports its wall time, products, bytes and peak RSS
(``ru_maxrss``, its peak from loading Django reset first). Making the products is part of
every run, ours and the baseline's alike, and is measured alone too. Before timing, both
ways write the first ``BENCH_FEED_CHECK`` products and the canonical XML (C14N 2.0) of both
files must be equal, and every product must be accepted by the channel's ``refusals``: the
same work, on products a run would write.

``BENCH_FEED_PRODUCTS`` (100000), ``BENCH_FEED_SMALL`` (10000), ``BENCH_FEED_RUNS`` (3)
and ``BENCH_FEED_CHECK`` (200) scale it; alone: ``.venv/bin/python -m bench.feeds``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from channels.feeds import FeedProduct

PRODUCTS = int(os.environ.get("BENCH_FEED_PRODUCTS", "100000"))
SMALL = int(os.environ.get("BENCH_FEED_SMALL", "10000"))
RUNS = int(os.environ.get("BENCH_FEED_RUNS", "3"))
CHECK = int(os.environ.get("BENCH_FEED_CHECK", "200"))
GOAL_RATIO = 3.0
GOAL_GROWTH_MB = 100.0
ROOT = Path(__file__).resolve().parents[1]


def _writers() -> dict[str, tuple[str, Callable[[Iterable[FeedProduct], Path], int]]]:
    """Each measured writer by name: its label, and a function writing products into a
    directory that returns how many it wrote."""
    from bench import feed_baselines, feed_products
    from channels.feeds import DirectorySink
    from channels.marketplace.amazon import AmazonListingsChannel
    from channels.marketplace.bmecat import BMEcatChannel
    from channels.marketplace.google import GoogleMerchantChannel

    google = GoogleMerchantChannel("google_merchant", {})
    bmecat = BMEcatChannel("bmecat", feed_products.BMECAT_OPTIONS)
    amazon = AmazonListingsChannel("amazon", {})
    rss = feed_products.spec(feed_products.GOOGLE_OPTIONS)
    tsv = feed_products.spec({**feed_products.GOOGLE_OPTIONS, "variant": "tsv"})
    full = feed_products.spec({})
    listings = feed_products.spec(feed_products.AMAZON_OPTIONS)

    def ours(channel, spec):
        def write(products: Iterable[FeedProduct], directory: Path) -> int:
            sink = DirectorySink(directory)
            channel.write(spec, products, sink)
            return sum(part.products for part in sink.parts)

        return write

    def validated(channel, spec):
        def write_and_validate(products: Iterable[FeedProduct], directory: Path) -> int:
            sink = DirectorySink(directory)
            channel.write(spec, products, sink)
            _reset_peak_rss()  # the peak reported is the validation's
            for part in sink.parts:
                if errors := channel.validate(spec, part):
                    raise AssertionError(f"{channel.identifier}: {errors[:5]}")
            return sum(part.products for part in sink.parts)

        return write_and_validate

    def made(products: Iterable[FeedProduct], directory: Path) -> int:
        return sum(1 for _ in products)

    return {
        "products": ("making the products alone", made),
        "google-rss": ("Google RSS, ours", ours(google, rss)),
        "google-rss-etree": (
            "Google RSS, ElementTree",
            lambda products, directory: feed_baselines.google_rss(
                rss, products, directory / "google.xml"
            ),
        ),
        "google-tsv": ("Google TSV, ours", ours(google, tsv)),
        "bmecat": ("BMEcat, ours", ours(bmecat, full)),
        "bmecat-etree": (
            "BMEcat, ElementTree",
            lambda products, directory: feed_baselines.bmecat(
                bmecat, full, products, directory / "bmecat.xml"
            ),
        ),
        "amazon": ("Amazon JSON, ours", ours(amazon, listings)),
        "google-rss-validate": ("Google RSS, validate()", validated(google, rss)),
        "bmecat-validate": ("BMEcat, validate()", validated(bmecat, full)),
    }


class _TimedProducts:
    """The synthetic products, timing how long making them takes: a run's writing time is
    its time less that, the same for ours and the baseline."""

    def __init__(self, count: int) -> None:
        from bench import feed_products

        self.products = feed_products.products(count)
        self.seconds = 0.0

    def __iter__(self) -> _TimedProducts:
        return self

    def __next__(self) -> FeedProduct:
        started = time.perf_counter()
        try:
            return next(self.products)
        finally:
            self.seconds += time.perf_counter() - started


def _child(name: str, count: int) -> None:
    """One measured run, in a process of its own; prints its measurements as JSON."""
    _, write = _writers()[name]
    _reset_peak_rss()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as directory:
        products = _TimedProducts(count)
        started, cpu = time.perf_counter(), time.process_time()
        written = write(products, Path(directory))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = sum(path.stat().st_size for path in Path(directory).iterdir())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "making": products.seconds,
                "products": written,
                "bytes": size,
                "rss_mb": rss / 1024,
                "rss_before_mb": rss_before / 1024,
            }
        )
    )


def _reset_peak_rss() -> None:
    """Forget the peak RSS so far (Linux): loading Django and the apps peaks higher than
    writing does, and would hide the writer's own."""
    with contextlib.suppress(OSError):  # not Linux: the peak then includes the loading
        Path("/proc/self/clear_refs").write_text("5")


def _measure(name: str, count: int) -> dict:
    done = subprocess.run(  # noqa: S603 (our own module)
        [sys.executable, "-m", "bench.feeds", "--child", name, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"bench.feeds {name} {count} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if name != "products" and result["products"] != count:
        raise RuntimeError(f"{name} wrote {result['products']} of {count} products")
    return result


def check_same_documents(count: int = CHECK) -> None:
    """Ours and the baseline write the same documents of the first ``count`` products,
    and the channels accept every one of them; raises AssertionError if not."""
    from bench import feed_products

    writers = _writers()
    with tempfile.TemporaryDirectory(prefix="bench-feeds-check-") as directory:
        root = Path(directory)
        for format_name, file_name in (("google-rss", "google.xml"), ("bmecat", "bmecat.xml")):
            (root / "ours").mkdir()
            (root / "etree").mkdir()
            writers[format_name][1](feed_products.products(count), root / "ours")
            writers[f"{format_name}-etree"][1](feed_products.products(count), root / "etree")
            ours = ET.canonicalize(from_file=str(root / "ours" / file_name))
            baseline = ET.canonicalize(from_file=str(root / "etree" / file_name))
            if ours != baseline:
                at = next(
                    (n for n, (a, b) in enumerate(zip(ours, baseline, strict=False)) if a != b),
                    min(len(ours), len(baseline)),
                )
                raise AssertionError(
                    f"{format_name}: ours and the ElementTree baseline differ at character "
                    f"{at}:\n ours:     {ours[at - 80 : at + 80]!r}\n baseline: "
                    f"{baseline[at - 80 : at + 80]!r}"
                )
            for path in (*(root / "ours").iterdir(), *(root / "etree").iterdir()):
                path.unlink()
            (root / "ours").rmdir()
            (root / "etree").rmdir()
    _check_accepted(feed_products, count)


def _check_accepted(feed_products, count: int) -> None:
    from channels.marketplace.amazon import AmazonListingsChannel
    from channels.marketplace.bmecat import BMEcatChannel
    from channels.marketplace.google import GoogleMerchantChannel

    channels = (
        (GoogleMerchantChannel("google_merchant", {}), feed_products.GOOGLE_OPTIONS),
        (BMEcatChannel("bmecat", feed_products.BMECAT_OPTIONS), {}),
        (AmazonListingsChannel("amazon", {}), feed_products.AMAZON_OPTIONS),
    )
    for channel, options in channels:
        spec = feed_products.spec(options)
        for product in feed_products.products(count):
            if reasons := channel.refusals(product, spec):
                raise AssertionError(f"{channel.identifier} refuses {product.sku}: {reasons}")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _times(results: list[dict], key: str = "seconds") -> tuple[float, float]:
    """Median and best of ``key``; "writing" is a run's seconds less its making."""
    if key == "writing":
        seconds = [result["seconds"] - result["making"] for result in results]
    else:
        seconds = [result[key] for result in results]
    return statistics.median(seconds), min(seconds)


def _line(label: str, results: list[dict]) -> str:
    median, best = _times(results)
    writing = _times(results, "writing")[0]
    megabytes = results[0]["bytes"] / 1e6
    return (
        f"  {label}: median {median:.2f} s, best {best:.2f} s, "
        f"{PRODUCTS / median:,.0f} products/s (best {PRODUCTS / best:,.0f}); writing alone "
        f"median {writing:.2f} s, {PRODUCTS / writing:,.0f} products/s; "
        f"{megabytes:,.0f} MB written, peak RSS {max(r['rss_mb'] for r in results):,.0f} MB"
    )


def run() -> None:
    check_same_documents()
    print(
        f"feed writers, {PRODUCTS:,} products (de+en, 8-15 ETIM features, 2-4 images, a data "
        f"sheet, group prices, long texts), each run a fresh process, median and best of "
        f"{RUNS}; the first {CHECK} products gave the same canonical XML both ways"
    )
    made = _times([_measure("products", PRODUCTS) for _ in range(RUNS)])
    print(
        f"  making the products alone (part of every run below): median {made[0]:.2f} s, "
        f"best {made[1]:.2f} s, {PRODUCTS / made[0]:,.0f} products/s"
    )
    for name, label in (("google-rss", "Google RSS"), ("bmecat", "BMEcat")):
        ours: list[dict] = []
        baseline: list[dict] = []
        for _ in range(RUNS):  # interleaved, so a slow moment of the machine hits both
            ours.append(_measure(name, PRODUCTS))
            baseline.append(_measure(f"{name}-etree", PRODUCTS))
        print(_line(f"{label}, ours (streamed)", ours))
        print(_line(f"{label}, ElementTree in memory, then written", baseline))
        ratios = {
            key: (
                _times(baseline, key)[0] / _times(ours, key)[0],
                _times(baseline, key)[1] / _times(ours, key)[1],
            )
            for key in ("writing", "seconds", "cpu")
        }
        writing, end_to_end, cpu = ratios["writing"], ratios["seconds"], ratios["cpu"]
        print(
            f"  {label}: writing alone (the making of the products, timed in each run, left "
            f"out of both) ratio {writing[0]:.1f}x (medians; bests {writing[1]:.1f}x), goal >= "
            f"{GOAL_RATIO:.0f}x: {_verdict(writing[0] >= GOAL_RATIO)}; end to end, making "
            f"included, {end_to_end[0]:.1f}x (bests {end_to_end[1]:.1f}x; CPU time "
            f"{cpu[0]:.1f}x): {_verdict(end_to_end[0] >= GOAL_RATIO)}"
        )
        small = _measure(name, SMALL)
        small_baseline = _measure(f"{name}-etree", SMALL)
        large = max(result["rss_mb"] for result in ours)
        large_baseline = max(result["rss_mb"] for result in baseline)
        growth = large - small["rss_mb"]
        print(
            f"  {label} peak RSS: ours {small['rss_mb']:,.0f} MB at {SMALL:,}, {large:,.0f} MB "
            f"at {PRODUCTS:,} (before writing {small['rss_before_mb']:,.0f} MB), growth "
            f"{growth:,.0f} MB, goal < {GOAL_GROWTH_MB:.0f} MB: "
            f"{_verdict(growth < GOAL_GROWTH_MB)}; ElementTree {small_baseline['rss_mb']:,.0f} "
            f"MB, {large_baseline:,.0f} MB, growth {large_baseline - small_baseline['rss_mb']:,.0f}"
            " MB"
        )
    for name, label in (("google-tsv", "Google TSV, ours"), ("amazon", "Amazon JSON, ours")):
        print(_line(label, [_measure(name, PRODUCTS) for _ in range(RUNS)]))
    for name, label in (("google-rss-validate", "Google RSS"), ("bmecat-validate", "BMEcat")):
        small, large = _measure(name, SMALL), _measure(name, PRODUCTS)
        growth = large["rss_mb"] - small["rss_mb"]
        print(
            f"  {label} validate(), once: peak RSS {small['rss_mb']:,.0f} MB at {SMALL:,}, "
            f"{large['rss_mb']:,.0f} MB at {PRODUCTS:,}, growth {growth:,.0f} MB "
            f"(flat: < {GOAL_GROWTH_MB:.0f} MB: {_verdict(growth < GOAL_GROWTH_MB)})"
        )


def main() -> int:
    """``python -m bench.feeds``: Django set up as ``bench`` does (gettext needs settings),
    no database."""
    os.environ.setdefault("HUB_VAR_DIR", tempfile.mkdtemp(prefix="hub-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
