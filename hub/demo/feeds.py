"""The demo's ETIM reference data and its feed receivers (Google, Amazon, a BMEcat buyer)."""

from __future__ import annotations

from collections import Counter

from content.models import EtimFeature

from .datafiles import load


def seed_etim_features(created: Counter[str]) -> None:
    """The ETIM features the demo's products use, with their data types (idempotent)."""
    for row in load("etim")["features"]:
        _feature, made = EtimFeature.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "data_type": row["data_type"],
                "unit_symbol": row.get("unit_symbol", ""),
            },
        )
        if made:
            created["ETIM features"] += 1
