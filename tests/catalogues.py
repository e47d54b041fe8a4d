"""The hub's own German catalogues (``<app>/locale/de/LC_MESSAGES/*.po``), read with polib."""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings

CATALOGUE_DIRS = ("campaigns", "channels", "content", "hub")


def po_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(
        path
        for folder in CATALOGUE_DIRS
        for path in (base / folder / "locale" / "de" / "LC_MESSAGES").glob("*.po")
    )


def translated_pairs() -> list[tuple[str, str]]:
    """(English, German) of every entry whose German differs, plural forms included."""
    pairs = []
    for path in po_files():
        for entry in polib.pofile(str(path)).translated_entries():
            if entry.msgid_plural:
                pairs.append((entry.msgid, entry.msgstr_plural[0]))
                pairs.append((entry.msgid_plural, entry.msgstr_plural[1]))
            else:
                pairs.append((entry.msgid, entry.msgstr))
    # "name" -> "Name": Django capitalises labels, so the two read the same on a page.
    return [(english, german) for english, german in pairs if english.lower() != german.lower()]
