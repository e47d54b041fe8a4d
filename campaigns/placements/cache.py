"""What the placement answers are cached under: a content version and per-variant keys.

Everything a placement shows comes from approved content, campaign plans and price-group
prices. Instead of finding every cached answer a change touches, every such change bumps
one counter, the content version, which is part of every key: the next request misses and
renders afresh from live content, so a withdrawn product disappears within one publish.
The old entries expire on their own.

A key never holds a person: only the channel, slot, the campaign (or placement) and its
live revision, the language, role, phase and arm, a hash of the price group and the
content version. Every visitor of one variant shares one entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

from channels.placements import PlacementTracking, RenderedPlacement

VERSION_KEY = "placements:content-version"
# Long enough to outlast a quiet night, short enough that the cache drops what nobody asks.
RENDER_SECONDS = 60 * 60
SERVING_SECONDS = 60 * 60


def content_version() -> int:
    """The current content version (1 until the first change after the cache was emptied)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set (emptied cache): any value unlike the old one will do
        cache.add(VERSION_KEY, 2, timeout=None)


def content_version_bump() -> None:
    """Make every cached placement answer stale: now, and again once the current
    transaction commits (a request in between may have cached the old content under the
    version of now)."""
    _bump()
    transaction.on_commit(_bump)


def price_group_hash(price_group: str) -> str:
    return hashlib.sha256(price_group.encode()).hexdigest()[:16]


def render_key(
    *,
    channel: str,
    slot: str,
    source: str,
    locale: str,
    role: str,
    phase: str,
    arm: str,
    price_group: str,
    version: int,
) -> str:
    """The cache key of one rendered variant; ``source`` names the campaign (or placement)
    and its live revision, e.g. ``c12r345`` or ``p3r40``."""
    parts = (channel, slot, source, locale, role or "-", phase or "-", arm or "-")
    return ":".join(("placements", "render", *parts, price_group_hash(price_group), str(version)))


def serving_key(*, channel: str, slot: str, version: int) -> str:
    return f"placements:serving:{channel}:{slot}:{version}"


def rendered_cached(
    key: str, render: Callable[[], RenderedPlacement], tracking: PlacementTracking
) -> RenderedPlacement:
    """The rendered placement under ``key``, rendering (and storing) it on a miss.

    The tracking's click function is a closure, which cannot be pickled into a shared
    cache: it is stored without it and ``tracking`` (the variant's own) put back on reading,
    so offers filled per visitor are tracked like the rest.
    """
    rendered = cache.get(key)
    if rendered is None:
        rendered = render()
        variant = rendered.variant
        stored = PlacementTracking(impression_url=variant.tracking.impression_url)
        cache.set(
            key,
            dataclasses.replace(rendered, variant=dataclasses.replace(variant, tracking=stored)),
            RENDER_SECONDS,
        )
    return dataclasses.replace(
        rendered, variant=dataclasses.replace(rendered.variant, tracking=tracking)
    )
