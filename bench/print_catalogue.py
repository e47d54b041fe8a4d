"""The print catalogue at 400 pages: rendered in parts by one worker and by two.

Goals (the print catalogue issue): two workers render at least 1.7x the pages per second
of one, and no worker's peak RSS reaches 1.5 GB. Reported besides: the same body rendered
whole by one WeasyPrint call (what one would write first, and the memory that chunking
saves), and the time to join the parts with the front and back matter into one file.

The catalogue is the print profile (CMYK images, PDF/X-4), one product per page: 10
chapters of 39 synthetic products (``bench.feed_products``: long texts, 8 to 15 features),
each with a photo-sized JPEG of its own from the hub's media, so 400 body pages. Every worker is a
fresh process (``--child``) that makes the same products and renders the parts it is
given; the parent starts the workers, lets them all begin at once when they are ready and
measures the wall time from then until the last one is done. Two workers split the parts
as the ``render`` queue does, each taking the next part in turn. Each worker reports its
peak RSS (``ru_maxrss``, its peak from loading Django reset first).

``BENCH_PRINT_CHAPTERS`` (10), ``BENCH_PRINT_PRODUCTS`` (39 per chapter),
``BENCH_PRINT_PART_PAGES`` (40) and ``BENCH_PRINT_RUNS`` (3) scale it; alone:
``.venv/bin/python -m bench.print_catalogue``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHAPTERS = int(os.environ.get("BENCH_PRINT_CHAPTERS", "10"))
PER_CHAPTER = int(os.environ.get("BENCH_PRINT_PRODUCTS", "39"))
PART_PAGES = int(os.environ.get("BENCH_PRINT_PART_PAGES", "40"))
RUNS = int(os.environ.get("BENCH_PRINT_RUNS", "3"))
GOAL_SPEEDUP = 1.7
GOAL_RSS_MB = 1536.0
BASE = "http://bench.hub"
ROOT = Path(__file__).resolve().parents[1]


def _setup(media: Path) -> None:
    os.environ.setdefault("HUB_VAR_DIR", tempfile.mkdtemp(prefix="hub-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
    import django
    from django.conf import settings

    django.setup()
    settings.MEDIA_ROOT = str(media)
    settings.MEDIA_URL = "/media/"
    settings.WAGTAILADMIN_BASE_URL = BASE


def _make_images(media: Path) -> None:
    """A photo-sized JPEG (1200 x 900) per product, with a gradient and shapes: every
    product has a picture of its own, so each worker converts the images of its parts."""
    from PIL import Image, ImageDraw

    folder = media / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    background = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    for n in range(CHAPTERS * PER_CHAPTER):
        image = background.copy()
        draw = ImageDraw.Draw(image)
        for k in range(12):
            x, y = (137 * (n + 1) * (k + 3)) % 1000, (89 * (n + 2) * (k + 1)) % 700
            colour = ((40 * k + 60 * n) % 256, (90 * n + 20 * k) % 256, (30 * k) % 256)
            draw.ellipse((x, y, x + 180 + 10 * k, y + 140 + 8 * n), fill=colour)
        image.save(folder / f"product-{n}.jpg", "JPEG", quality=85)


def _spec():
    import datetime as dt

    from channels.documents import DocumentSpec

    return DocumentSpec(
        key="bench",
        title="Produktkatalog 2027",
        language="de",
        generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
        profile="print",
        price_basis="list",
        options={"layout": "pages"},
    )


def _chapters():
    """The catalogue's chapters: the same products, in the same order, in every process."""
    from bench import feed_products
    from channels.documents import Chapter
    from channels.feeds import FeedAsset

    products = feed_products.products(CHAPTERS * PER_CHAPTER)
    chapters = []
    for number in range(CHAPTERS):
        rows = []
        for index in range(PER_CHAPTER):
            product = next(products)
            image = FeedAsset(
                f"{BASE}/media/bench/product-{number * PER_CHAPTER + index}.jpg",
                "image/jpeg",
                f"{product.sku}.jpg",
                "Ansicht",
            )
            rows.append(dataclasses.replace(product, images=(image,)))
        chapters.append(Chapter(f"kapitel-{number + 1}", f"Kapitel {number + 1}", tuple(rows)))
    return chapters


def _outlines(chapters):
    from channels.documents import ChapterOutline

    return [ChapterOutline(c.key, c.title, len(c.products)) for c in chapters]


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):  # not Linux: the peak then includes the loading
        Path("/proc/self/clear_refs").write_text("5")


def _child(mode: str, media: Path, folder: Path, parts: list[int]) -> None:
    """A worker: renders its parts (or, ``whole``, the body as one part, or, ``assemble``,
    the front and back and joins everything) when the parent says go."""
    _setup(media)
    from channels.documents import IndexEntry, TocEntry
    from channels.registry import get_channel

    channel, spec = get_channel("print"), _spec()
    chapters = _chapters()
    by_key = {chapter.key: chapter for chapter in chapters}
    plan = channel.plan(
        spec, _outlines(chapters), part_pages=10**6 if mode == "whole" else PART_PAGES
    )
    _reset_peak_rss()
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    pages, answers = 0, {}
    if mode == "assemble":
        body = sorted(folder.glob("part-*.pdf"))
        answers = json.loads((folder / "answers.json").read_text())
        toc = [TocEntry(c.key, c.title, answers["chapters"][c.key]) for c in chapters]
        index = [
            IndexEntry(p.sku, p.texts["de"].name, answers["products"][p.sku])
            for c in chapters
            for p in c.products
        ]
        with (folder / "front.pdf").open("wb") as out:
            channel.render_front(spec, toc, out)
        with (folder / "back.pdf").open("wb") as out:
            channel.render_back(spec, index, plan.body_pages + 1, out)
        matter = time.perf_counter()
        with (folder / "catalogue.pdf").open("wb") as out:
            pages = channel.assemble(spec, [folder / "front.pdf", *body, folder / "back.pdf"], out)
        joined = time.perf_counter()
        errors = channel.validate(spec, folder / "catalogue.pdf")
        result = {
            "seconds": joined - matter,
            "matter_seconds": matter - started,
            "validate_seconds": time.perf_counter() - joined,
            "errors": errors[:5],
        }
    else:
        chapter_pages, product_pages = {}, {}
        for part in plan.parts:
            if mode == "parts" and part.index not in parts:
                continue
            with (folder / f"part-{part.index:04d}.pdf").open("wb") as out:
                rendered = channel.render_part(
                    spec, part, [by_key[key] for key in part.chapter_keys], out
                )
            if rendered.pages != part.pages:
                raise RuntimeError(
                    f"part {part.index}: {rendered.pages} pages, planned {part.pages}"
                )
            pages += rendered.pages
            chapter_pages.update(rendered.chapter_pages)
            product_pages.update(rendered.product_pages)
        result = {"seconds": time.perf_counter() - started, "pages": pages}
        answers = {"chapters": chapter_pages, "products": product_pages}
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["answers"] = answers if mode != "assemble" else {}
    print(json.dumps(result), flush=True)


def _workers(mode: str, media: Path, folder: Path, assignments: list[list[int]]) -> dict:
    """Start one worker per assignment, let them go together; wall time and their results."""
    command = [
        sys.executable,
        "-m",
        "bench.print_catalogue",
        "--child",
        mode,
        str(media),
        str(folder),
    ]
    processes = [
        subprocess.Popen(  # noqa: S603 (our own module)
            [*command, ",".join(map(str, parts))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for parts in assignments
    ]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"bench.print_catalogue {mode}: a worker did not start")
    started = time.perf_counter()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        line = process.stdout.readline()
        if process.wait() or not line:
            raise RuntimeError(f"bench.print_catalogue {mode}: a worker failed")
        results.append(json.loads(line))
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "pages": sum(result.get("pages", 0) for result in results),
        "rss_mb": max(result["rss_mb"] for result in results),
        "results": results,
    }


def _line(label: str, runs: list[dict]) -> str:
    rates = [run["pages"] / run["wall"] for run in runs]
    return (
        f"  {label:<44} {statistics.median(rates):6.1f} pages/s median, {max(rates):6.1f} best; "
        f"peak RSS per worker {max(run['rss_mb'] for run in runs):6.0f} MB"
    )


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-print-") as directory:
        root = Path(directory)
        media = root / "media"
        _make_images(media)
        from channels.registry import get_channel

        plan = get_channel("print").plan(_spec(), _outlines(_chapters()), part_pages=PART_PAGES)
        parts_count = len(plan.parts)
        print(
            f"\nPrint catalogue: {CHAPTERS} chapters x {PER_CHAPTER} products, print profile, "
            f"parts of about {PART_PAGES} pages, {RUNS} runs each"
        )
        one, two, whole = [], [], []
        for run_number in range(RUNS):
            for label, target, mode, assignments in (
                ("one", one, "parts", [list(range(parts_count))]),
                (
                    "two",
                    two,
                    "parts",
                    [list(range(0, parts_count, 2)), list(range(1, parts_count, 2))],
                ),
                ("whole", whole, "whole", [[0]]),
            ):
                folder = root / f"{label}-{run_number}"
                folder.mkdir()
                target.append(_workers(mode, media, folder, assignments))
        if len({run["pages"] for run in one + two + whole}) != 1:
            raise RuntimeError("the renderings differ in pages")
        pages = one[0]["pages"]
        print(f"  {pages} body pages")
        print(_line("whole body in one WeasyPrint call (baseline)", whole))
        print(_line("in parts, one worker", one))
        print(_line("in parts, two workers in parallel", two))
        folder = root / "two-0"
        answers = {"chapters": {}, "products": {}}
        for result in two[0]["results"]:
            for key in answers:
                answers[key].update(result["answers"][key])
        (folder / "answers.json").write_text(json.dumps(answers))
        assembled = _workers("assemble", media, folder, [[]])["results"][0]
        speedups = [
            b["pages"] / b["wall"] / (a["pages"] / a["wall"]) for a, b in zip(one, two, strict=True)
        ]
        peak = max(run["rss_mb"] for run in one + two)
        print(
            f"  front and back matter {assembled['matter_seconds']:.2f} s; joining "
            f"{len(list(folder.glob('part-*.pdf')))} parts {assembled['seconds']:.2f} s "
            f"(peak RSS {assembled['rss_mb']:.0f} MB); checking the file by the PDF/X-4 rules "
            f"{assembled['validate_seconds']:.2f} s, "
            + ("no errors" if not assembled["errors"] else f"errors: {assembled['errors']}")
        )
        print(
            f"  two workers / one: {statistics.median(speedups):.2f}x median, "
            f"{max(speedups):.2f}x best (goal >= {GOAL_SPEEDUP}x: "
            f"{'met' if statistics.median(speedups) >= GOAL_SPEEDUP else 'missed'}); "
            f"peak RSS per worker {peak:.0f} MB (goal < {GOAL_RSS_MB:.0f} MB: "
            f"{'met' if peak < GOAL_RSS_MB else 'missed'})"
        )


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--child":
        parts = [int(n) for n in (sys.argv[5] if len(sys.argv) > 5 else "").split(",") if n]
        _child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), parts)
    else:
        os.environ.setdefault("HUB_VAR_DIR", tempfile.mkdtemp(prefix="hub-bench-"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
        import django

        django.setup()
        run()
