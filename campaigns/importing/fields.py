"""The fields of each kind of import, what a row is matched by, and the column names that
suggest each field."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from campaigns.models import ImportKind

from .reports import UnreadableFile


@dataclass(frozen=True)
class ImportField:
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False  # on every row, whatever the key


ACCOUNT_FIELDS = (
    ImportField("customer_number", "Customer number", ("kundennummer", "kundennr", "debitor")),
    ImportField("erp_id", "ERP id", ("erp", "erpnummer")),
    ImportField("crm_id", "CRM id", ("crm", "crmnummer")),
    ImportField("name", "Name", ("firma", "firmenname", "company", "unternehmen", "account")),
    ImportField("industry", "Industry", ("branche", "sector")),
    ImportField("country", "Country", ("land", "laenderkennzeichen", "countrycode")),
    ImportField("size_class", "Size", ("groesse", "größe", "unternehmensgröße", "mitarbeiter")),
    ImportField("price_group", "Price group", ("preisgruppe",)),
)

CONTACT_FIELDS = (
    ImportField("email", "E-mail", ("mail", "emailadresse", "mailadresse", "emailaddress")),
    ImportField("external_id", "External id", ("externeid", "kontaktnummer", "id")),
    ImportField("crm_id", "CRM id", ("crm", "crmnummer")),
    ImportField(
        "account",
        "Account (customer number)",
        ("kundennummer", "kundennr", "customernumber", "accountnumber"),
    ),
    ImportField("salutation", "Salutation", ("anrede", "title")),
    ImportField("first_name", "First name", ("vorname", "firstname", "givenname")),
    ImportField("last_name", "Last name", ("nachname", "lastname", "surname", "familienname")),
    ImportField("language", "Language", ("sprache", "lang", "locale")),
    ImportField("role", "Buying-centre role", ("rolle", "role", "buyingrole")),
    ImportField("phase", "Journey phase", ("phase", "journeyphase", "phasestatus")),
    ImportField("consent", "Consent", ("einwilligung", "optin", "newsletter")),
    ImportField("timezone", "Time zone", ("zeitzone", "tz")),
)

ORDER_FIELDS = (
    ImportField(
        "external_id",
        "Order number",
        ("bestellnummer", "auftragsnummer", "ordernumber", "orderid", "belegnummer"),
        required=True,
    ),
    ImportField(
        "ordered_at",
        "Ordered at",
        ("bestelldatum", "auftragsdatum", "orderdate", "date", "datum"),
        required=True,
    ),
    ImportField("account", "Account (customer number)", ("kundennummer", "kundennr")),
    ImportField("contact", "Contact (e-mail)", ("email", "mail", "emailadresse")),
    ImportField("currency", "Currency", ("waehrung", "währung")),
    ImportField("revenue", "Order revenue", ("umsatz", "auftragswert", "total", "ordertotal")),
    ImportField(
        "sku", "SKU", ("artikelnummer", "artikelnr", "sku", "productnumber"), required=True
    ),
    ImportField("quantity", "Quantity", ("menge", "anzahl", "qty"), required=True),
    ImportField(
        "unit_price", "Unit price", ("preis", "einzelpreis", "price", "stückpreis"), required=True
    ),
)

FIELDS: dict[str, tuple[ImportField, ...]] = {
    ImportKind.ACCOUNTS: ACCOUNT_FIELDS,
    ImportKind.CONTACTS: CONTACT_FIELDS,
    ImportKind.ORDERS: ORDER_FIELDS,
}

# What each kind can be matched by, the first being the default.
KEYS: dict[str, tuple[str, ...]] = {
    ImportKind.ACCOUNTS: ("customer_number", "erp_id", "crm_id"),
    ImportKind.CONTACTS: ("email", "external_id", "crm_id"),
    ImportKind.ORDERS: ("external_id",),
}


ACCOUNT_KEY_NAMES = {
    "customer_number": "customer number",
    "erp_id": "ERP id",
    "crm_id": "CRM id",
}


def fold(text: str) -> str:
    """A header or label as compared: case- and punctuation-blind, umlauts spelled out."""
    text = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("ß", "ss")
    return re.sub(r"[\W_]+", "", text)


def key_field(kind: str, options: Mapping[str, Any]) -> str:
    key = options.get("key") or KEYS[kind][0]
    if key not in KEYS[kind]:
        raise UnreadableFile(
            f"Cannot match {kind} by {key!r}; use one of: {', '.join(KEYS[kind])}."
        )
    return key


def required_fields(kind: str, options: Mapping[str, Any]) -> list[str]:
    """The fields a mapping must name: the key, and what every row needs."""
    key = key_field(kind, options)
    return [key, *(f.name for f in FIELDS[kind] if f.required and f.name != key)]


def suggest_mapping(kind: str, headers: Iterable[str]) -> dict[str, str]:
    """Field -> header, for each field whose name, label or alias matches a header."""
    free = {}
    for header in headers:
        if header and fold(header) not in free:
            free[fold(header)] = header
    mapping = {}
    for spec in FIELDS[kind]:
        for candidate in (spec.name, spec.label, *spec.aliases):
            header = free.get(fold(candidate))
            if header is not None and header not in mapping.values():
                mapping[spec.name] = header
                break
    return mapping
