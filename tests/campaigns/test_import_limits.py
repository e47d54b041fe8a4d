"""Files over the import limits are refused, naming the limit and the file's value, before
anything is written; an .xlsx zip bomb before openpyxl reads any of it."""

import io
import re
import tracemalloc
import zipfile

import pytest

from campaigns.importing import UnreadableFile, import_file
from campaigns.models import Contact
from tests.campaigns.import_files import (
    csv_bytes,
    declared_size,
    shared_strings_bomb,
    xlsx_bytes,
    xlsx_rewritten,
)

pytestmark = pytest.mark.django_db

MB = 1 << 20


def run(data: bytes, name: str = "kontakte.csv", **kwargs):
    return import_file("contacts", io.BytesIO(data), name=name, **kwargs)


def peak_bytes(action) -> tuple[int, Exception | None]:
    """The most memory Python allocated while ``action`` ran, and what it raised."""
    tracemalloc.start()
    raised = None
    try:
        action()
    except Exception as exc:
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


@pytest.fixture(scope="module")
def bomb_300_mb() -> bytes:
    return shared_strings_bomb(300)


def test_an_xlsx_expanding_to_300_mb_is_refused_within_a_few_mb_of_memory(bomb_300_mb):
    stream = io.BytesIO(bomb_300_mb)

    peak, refused = peak_bytes(lambda: import_file("contacts", stream, name="kontakte.xlsx"))

    assert len(bomb_300_mb) < 400_000
    assert isinstance(refused, UnreadableFile)
    assert str(refused) == (
        "The XLSX file expands to 300.0 MB when opened; the limit is 100.0 MB "
        "(HUB_IMPORT_MAX_XLSX_EXPANDED_MB). Save it as CSV, or split it."
    )
    assert peak < 3 * MB
    assert not Contact.objects.exists()


def test_an_xlsx_whose_zip_understates_a_part_is_refused_as_damaged_within_little_memory():
    bomb = declared_size(shared_strings_bomb(50), "xl/sharedStrings.xml", 1000)
    stream = io.BytesIO(bomb)

    peak, refused = peak_bytes(lambda: import_file("contacts", stream, name="kontakte.xlsx"))

    assert isinstance(refused, UnreadableFile)
    assert str(refused) == (
        "This is not a readable XLSX file (Bad CRC-32 for file 'xl/sharedStrings.xml')."
    )
    assert peak < 3 * MB


def test_an_xlsx_part_that_expands_a_thousand_times_is_refused():
    bomb = shared_strings_bomb(5)

    with pytest.raises(UnreadableFile) as refused:
        run(bomb, name="kontakte.xlsx")

    assert re.fullmatch(
        r"The XLSX part xl/sharedStrings\.xml expands 1,\d{3} times \([\d,]+ bytes to 5\.0 MB\); "
        r"a workbook expands at most 100 times\. It is not a spreadsheet saved by Excel\.",
        str(refused.value),
    )


def test_an_xlsx_of_more_parts_than_a_workbook_has_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(1001):
            archive.writestr(f"xl/media/{number}.bin", b"")

    with pytest.raises(UnreadableFile) as refused:
        run(out.getvalue(), name="kontakte.xlsx")

    assert str(refused.value) == (
        "The XLSX file holds 1,001 parts; a workbook has at most 1,000. "
        "It is not a spreadsheet saved by Excel."
    )


def test_the_expanded_size_limit_is_a_setting(settings):
    settings.HUB_IMPORT_MAX_XLSX_EXPANDED_MB = 2
    workbook = xlsx_bytes(
        [["E-Mail", "Notiz"], *([f"p{n}@example.com", f"Zeile {n}"] for n in range(40_000))]
    )

    with pytest.raises(
        UnreadableFile, match=r"expands to [\d.]+ MB when opened; the limit is 2\.0 MB"
    ):
        run(workbook, name="kontakte.xlsx", dry_run=True)


@pytest.mark.parametrize(
    ("name", "build"), [("kontakte.csv", csv_bytes), ("kontakte.xlsx", xlsx_bytes)]
)
def test_a_file_of_more_rows_than_the_limit_imports_nothing(settings, name, build):
    settings.HUB_IMPORT_MAX_ROWS = 3
    data = build([["E-Mail"], *([f"p{n}@example.com"] for n in range(4))])

    with pytest.raises(UnreadableFile) as refused:
        run(data, name=name)

    assert str(refused.value) == (
        "The file has more than 3 rows, the limit (HUB_IMPORT_MAX_ROWS); split it into "
        "several files."
    )
    assert not Contact.objects.exists()


def test_blank_rows_do_not_count_against_the_row_limit(settings):
    settings.HUB_IMPORT_MAX_ROWS = 3
    data = csv_bytes([["E-Mail"], [""], ["a@example.com"], [""], ["b@example.com"], [""]])

    report = run(data)

    assert report.created == 2


@pytest.mark.parametrize(
    ("name", "build", "columns"),
    [("kontakte.csv", csv_bytes, "4"), ("kontakte.xlsx", xlsx_bytes, "more than 3")],
)
def test_a_file_wider_than_the_column_limit_is_refused(settings, name, build, columns):
    settings.HUB_IMPORT_MAX_COLUMNS = 3
    data = build([["E-Mail", "Vorname", "Nachname", "Rolle"], ["a@example.com", "A", "B", "C"]])

    with pytest.raises(UnreadableFile) as refused:
        run(data, name=name)

    assert str(refused.value) == (
        f"Line 1 has {columns} columns; the limit is 3 (HUB_IMPORT_MAX_COLUMNS)."
    )


def test_empty_columns_at_the_end_of_a_csv_line_do_not_count(settings):
    settings.HUB_IMPORT_MAX_COLUMNS = 2
    data = b"E-Mail;Nachname;;;;\r\na@example.com;Muster;;;;\r\n"

    report = run(data)

    assert Contact.objects.get().last_name == "Muster"
    assert report.created == 1


def xlsx_with_long_cell(rows: list[list[str]]) -> bytes:
    """openpyxl cuts text to Excel's 32,767 characters; another program may not."""
    return xlsx_rewritten(
        xlsx_bytes([[cell.replace("x" * 40_000, "LONG") for cell in row] for row in rows]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"LONG", b"x" * 40_000),
    )


@pytest.mark.parametrize(
    ("name", "build"), [("kontakte.csv", csv_bytes), ("kontakte.xlsx", xlsx_with_long_cell)]
)
def test_a_cell_longer_than_excel_allows_is_refused_with_its_line_and_column(name, build):
    data = build([["E-Mail", "Nachname"], ["a@example.com", "x" * 40_000]])

    with pytest.raises(UnreadableFile) as refused:
        run(data, name=name)

    assert str(refused.value) == (
        "Line 2, column 2: the cell holds 40,000 characters; the limit is 32,767 "
        "(HUB_IMPORT_MAX_CELL_CHARS)."
    )
    assert not Contact.objects.exists()


def test_a_csv_cell_beyond_the_csv_modules_own_limit_names_ours():
    data = csv_bytes([["E-Mail", "Nachname"], ["a@example.com", "x" * 200_000]])

    with pytest.raises(UnreadableFile) as refused:
        run(data)

    assert str(refused.value) == (
        "Line 2: a cell holds more than 32,767 characters; the limit is 32,767 "
        "(HUB_IMPORT_MAX_CELL_CHARS)."
    )


def test_a_csv_without_line_breaks_is_refused_without_holding_it_in_memory():
    data = b"E-Mail;Nachname\r\n" + b"x" * (64 * MB)
    stream = io.BytesIO(data)

    peak, refused = peak_bytes(lambda: import_file("contacts", stream, name="kontakte.csv"))

    assert isinstance(refused, UnreadableFile)
    assert str(refused) == (
        "Line 2 is longer than 6,554,000 characters: more than 200 columns "
        "(HUB_IMPORT_MAX_COLUMNS) of 32,767 characters (HUB_IMPORT_MAX_CELL_CHARS)."
    )
    assert peak < 32 * MB


def test_an_xlsx_that_declares_a_smaller_sheet_than_it_holds_is_read_whole():
    data = xlsx_rewritten(
        xlsx_bytes([["E-Mail", "Nachname"], *([f"p{n}@example.com", "Muster"] for n in range(3))]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', xml),
    )

    report = run(data, name="kontakte.xlsx")

    assert report.created == 3
    assert set(Contact.objects.values_list("last_name", flat=True)) == {"Muster"}


def test_an_xlsx_row_beyond_excels_last_row_is_refused_as_damaged():
    data = xlsx_rewritten(
        xlsx_bytes([["E-Mail"], ["a@example.com"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="99999999"><c r="A99999999" t="inlineStr"><is><t>b@example.com</t></is>'
            b"</c></row></sheetData>",
        ),
    )

    with pytest.raises(UnreadableFile) as refused:
        run(data, name="kontakte.xlsx")

    assert str(refused.value) == (
        "The sheet has rows beyond row 1,048,576, Excel's last; it is damaged."
    )
    assert not Contact.objects.exists()


def test_an_xlsx_with_broken_sheet_xml_is_refused_as_damaged():
    data = xlsx_rewritten(
        xlsx_bytes([["E-Mail"], ["a@example.com"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", b"<row><c><v>1</c></row></sheetData>"),
    )

    with pytest.raises(UnreadableFile, match=r"^The XLSX file is damaged \("):
        run(data, name="kontakte.xlsx")

    assert not Contact.objects.exists()
