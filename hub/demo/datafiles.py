"""Reads the demo's JSON data files (``hub/demo/data/*.json``, shipped as package data)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> Any:
    """The parsed contents of ``data/<name>.json``; read once per process."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as file:
        return json.load(file)


def pair(value: dict[str, str]) -> tuple[str, str]:
    """A ``{"de": ..., "en": ...}`` object as the (German, English) pair the seeders use."""
    return value["de"], value["en"]
