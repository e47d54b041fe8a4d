"""The committed German catalogues are complete and their .mo files are compiled from them."""

import polib
import pytest

from tests.catalogues import po_files


def _entries(catalogue) -> dict:
    return {
        (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in catalogue
        if entry.msgid and not entry.obsolete
    }


def test_every_app_has_a_german_catalogue():
    folders = {path.parts[-5] for path in po_files()}

    assert folders >= {"campaigns", "channels", "content", "hub"}


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: "/".join(path.parts[-5:]))
def test_the_catalogue_has_no_fuzzy_or_untranslated_entry(po_path):
    catalogue = polib.pofile(str(po_path))

    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("po_path", po_files(), ids=lambda path: "/".join(path.parts[-5:]))
def test_the_committed_mo_file_is_compiled_from_the_po_file(po_path):
    mo_path = po_path.with_suffix(".mo")

    assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
    assert _entries(polib.mofile(str(mo_path))) == _entries(polib.pofile(str(po_path))), (
        f"{mo_path} is stale: run `make messages`"
    )
