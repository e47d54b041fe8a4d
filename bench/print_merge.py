"""Joining a print catalogue's parts: time and memory of ``assemble_pdf``.

Renders ``BENCH_MERGE_PARTS`` (20) distinct PDF/X-4 parts of ``BENCH_MERGE_PAGES`` (20)
pages each with WeasyPrint (text in DejaVu, a bookmark and a link per page, crop marks),
then joins them in a fresh process that reports the wall time of the merge, its peak of
Python allocations (tracemalloc) and the process's peak RSS, the sizes of the parts and of
the joined file, and whether the joined file passes the print rules. Not a test; alone:
``.venv/bin/python -m bench.print_merge``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def _render(directory: Path, parts: int, pages: int) -> list[Path]:
    from tests.channels.print_catalogue.pdf_samples import print_part

    files = []
    for part in range(parts):
        chapters = [f"Chapter {part}.{page}" for page in range(pages)]
        files.append(print_part(directory / f"part{part:02}.pdf", chapters, marks=True))
    return files


def _child(directory: Path) -> None:
    from channels.print_catalogue.assemble import assemble_pdf
    from channels.print_catalogue.pdf_rules import check_pdf

    files = sorted(directory.glob("part*.pdf"))
    target = directory / "catalogue.pdf"
    tracemalloc.start()
    started = time.perf_counter()
    with target.open("wb") as out:
        pages = assemble_pdf(files, out, front_pages=0, title="Bench", language="de")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problems = check_pdf(target, "print")
    print(
        json.dumps(
            {
                "pages": pages,
                "seconds": seconds,
                "python_peak_mb": peak / 2**20,
                "peak_rss_mb": peak_rss / 1024,
                "parts_mb": sum(path.stat().st_size for path in files) / 2**20,
                "joined_mb": target.stat().st_size / 2**20,
                "problems": problems[:3],
            }
        )
    )


def run() -> None:
    parts = int(os.environ.get("BENCH_MERGE_PARTS", "20"))
    pages = int(os.environ.get("BENCH_MERGE_PAGES", "20"))
    with tempfile.TemporaryDirectory(prefix="hub-merge-") as name:
        directory = Path(name)
        started = time.perf_counter()
        _render(directory, parts, pages)
        rendering = time.perf_counter() - started
        child = subprocess.run(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "bench.print_merge", "--child", name],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"print merge: {parts} parts x {pages} pages rendered in {rendering:.1f} s")
    print(
        f"  joined {result['pages']} pages in {result['seconds']:.2f} s, "
        f"Python peak {result['python_peak_mb']:.0f} MB, "
        f"process peak RSS {result['peak_rss_mb']:.0f} MB (Django loaded)"
    )
    print(
        f"  parts {result['parts_mb']:.1f} MB, joined file {result['joined_mb']:.1f} MB, "
        f"print rules: {result['problems'] or 'passed'}"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
    import django

    django.setup()
    if sys.argv[1:2] == ["--child"]:
        _child(Path(sys.argv[2]))
    else:
        run()
