"""The Salesforce sync against a local server that answers with Salesforce's documented shapes."""

from __future__ import annotations

import logging
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from campaigns.models import Account, Contact, Order, SyncState
from campaigns.services.sync import crm_sync, sync_state_claim
from campaigns.tasks import sync_crm
from tests.factories import AccountFactory, ContactFactory

from .fake_salesforce import API, CLIENT_ID, CLIENT_SECRET, FakeSalesforce

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("december_2026")]


@pytest.fixture
def salesforce(settings):
    """The fake org, configured as HUB_CRM["salesforce"] reading accounts and contacts."""
    with FakeSalesforce() as fake:
        settings.HUB_CRM = {
            "salesforce": {
                "BACKEND": "campaigns.crm.salesforce.SalesforceBackend",
                "OPTIONS": {
                    "INSTANCE_URL": fake.url,
                    "CLIENT_ID": CLIENT_ID,
                    "CLIENT_SECRET": CLIENT_SECRET,
                    "API_VERSION": "62.0",
                    "TIMEOUT": (2, 5),
                    "KINDS": ["accounts", "contacts"],
                },
            }
        }
        yield fake


@pytest.fixture
def with_orders(salesforce, settings):
    settings.HUB_CRM["salesforce"]["OPTIONS"]["KINDS"] = ["accounts", "contacts", "orders"]


def account(fake, id_, name, modstamp, **fields):
    return fake.add(
        "Account",
        Id=id_,
        Name=name,
        AccountNumber=fields.pop("AccountNumber", None),
        Industry=fields.pop("Industry", None),
        BillingCountryCode=fields.pop("BillingCountryCode", None),
        NumberOfEmployees=fields.pop("NumberOfEmployees", None),
        SystemModstamp=modstamp,
        **fields,
    )


def contact(fake, id_, email, modstamp, **fields):
    return fake.add(
        "Contact",
        Id=id_,
        Email=email,
        Salutation=fields.pop("Salutation", None),
        FirstName=fields.pop("FirstName", None),
        LastName=fields.pop("LastName", "Muster"),
        AccountId=fields.pop("AccountId", None),
        HasOptedOutOfEmail=fields.pop("HasOptedOutOfEmail", False),
        SystemModstamp=modstamp,
        **fields,
    )


def opportunity(fake, id_, modstamp, *, amount, lines=(), won=True, **fields):
    return fake.add(
        "Opportunity",
        Id=id_,
        IsWon=won,
        AccountId=fields.pop("AccountId", None),
        ContactId=fields.pop("ContactId", None),
        CloseDate=fields.pop("CloseDate", "2026-11-20"),
        Amount=amount,
        SystemModstamp=modstamp,
        OpportunityLineItems=[
            {
                "Id": f"00kRO00000{id_[-4:]}{n:04d}",
                "ProductCode": sku,
                "Quantity": quantity,
                "UnitPrice": price,
                "TotalPrice": quantity * price,
            }
            for n, (sku, quantity, price) in enumerate(lines)
        ],
        **fields,
    )


def state(kind: str) -> SyncState:
    return SyncState.objects.get(backend=f"crm.salesforce.{kind}")


def test_sync_imports_accounts_contacts_and_won_opportunities(salesforce, with_orders):
    account(
        salesforce,
        "001RO00000AcmeAAA",
        "Acme Maschinenbau GmbH",
        "2026-11-20T08:00:00.000+0000",
        AccountNumber="K-1001",
        Industry="Machinery",
        BillingCountryCode="DE",
        NumberOfEmployees=320,
    )
    contact(
        salesforce,
        "003RO00000AnnaAAA",
        "Anna.Schmidt@Acme.example",
        "2026-11-20T08:05:00.000+0000",
        Salutation="Ms.",
        FirstName="Anna",
        LastName="Schmidt",
        AccountId="001RO00000AcmeAAA",
    )
    opportunity(
        salesforce,
        "006RO00000Won1AAA",
        "2026-11-21T09:00:00.000+0000",
        amount=540.0,
        AccountId="001RO00000AcmeAAA",
        ContactId="003RO00000AnnaAAA",
        lines=[("HW-BEF-0001", 10.0, 19.9), ("HW-BEF-0002", 2.0, 170.5)],
    )
    opportunity(
        salesforce, "006RO00000LostAAA", "2026-11-21T09:30:00.000+0000", amount=99.0, won=False
    )

    result = crm_sync(backend_key="salesforce")

    assert result.ok, result.error
    acme = Account.objects.get(crm_id="001RO00000AcmeAAA")
    assert (acme.name, acme.customer_number, acme.industry, acme.country, acme.size_class) == (
        "Acme Maschinenbau GmbH",
        "K-1001",
        "Machinery",
        "DE",
        "large",
    )
    anna = Contact.objects.get(crm_id="003RO00000AnnaAAA")
    assert (anna.email, anna.salutation, anna.first_name, anna.account) == (
        "anna.schmidt@acme.example",
        "ms",
        "Anna",
        acme,
    )
    order = Order.objects.get()
    assert (order.source, order.external_id, order.account, order.contact, order.revenue) == (
        "crm",
        "006RO00000Won1AAA",
        acme,
        anna,
        Decimal("540.00"),
    )
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines.all()] == [
        ("HW-BEF-0001", Decimal("10.000"), Decimal("199.00")),
        ("HW-BEF-0002", Decimal("2.000"), Decimal("341.00")),
    ]


def test_won_opportunity_without_products_is_one_line_with_its_amount(salesforce, with_orders):
    AccountFactory(customer_number="K-7", crm_id="001RO00000AcmeAAA")
    opportunity(
        salesforce,
        "006RO00000DealAAA",
        "2026-11-21T09:00:00.000+0000",
        amount=12500.0,
        AccountId="001RO00000AcmeAAA",
    )

    crm_sync(backend_key="salesforce")

    order = Order.objects.get(external_id="006RO00000DealAAA")
    assert order.revenue == Decimal("12500.00")
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines.all()] == [
        ("OPPORTUNITY", Decimal("1.000"), Decimal("12500.00"))
    ]


def test_order_lines_beyond_the_first_page_of_the_subquery_are_fetched(salesforce, with_orders):
    salesforce.child_page_size = 2
    AccountFactory(customer_number="K-7", crm_id="001RO00000AcmeAAA")
    opportunity(
        salesforce,
        "006RO00000BigoAAA",
        "2026-11-21T09:00:00.000+0000",
        amount=60.0,
        AccountId="001RO00000AcmeAAA",
        lines=[("SKU-1", 1.0, 10.0), ("SKU-2", 1.0, 20.0), ("SKU-3", 1.0, 30.0)],
    )

    crm_sync(backend_key="salesforce")

    order = Order.objects.get(external_id="006RO00000BigoAAA")
    assert list(order.lines.values_list("sku", flat=True)) == ["SKU-1", "SKU-2", "SKU-3"]


def test_sync_follows_next_records_url_until_done(salesforce):
    salesforce.page_size = 2
    for n in range(5):
        account(salesforce, f"001RO0000000{n}AAA", f"Firma {n}", f"2026-11-20T08:0{n}:00.000+0000")

    result = crm_sync(backend_key="salesforce")

    assert sorted(Account.objects.values_list("name", flat=True)) == [
        f"Firma {n}" for n in range(5)
    ]
    assert result.kinds[0].created == 5
    assert sum(path.startswith(f"{API}/query/01g") for path in salesforce.paths()) == 2
    assert state("accounts").cursor == "2026-11-20T08:04:00+00:00"


def test_second_sync_sends_the_cursor_and_imports_only_changes(salesforce):
    account(salesforce, "001RO00000OldAAAA", "Alt GmbH", "2026-11-20T08:00:00.000+0000")
    account(salesforce, "001RO00000KeepAAA", "Bleibt AG", "2026-11-20T09:00:00.000+0000")
    crm_sync(backend_key="salesforce")
    account(salesforce, "001RO00000OldAAAA", "Alt und Neu GmbH", "2026-11-22T10:00:00.000+0000")
    account(salesforce, "001RO00000NewAAAA", "Neu KG", "2026-11-22T10:01:00.000+0000")

    result = crm_sync(backend_key="salesforce")

    accounts_query = [q for q in salesforce.soql() if "FROM Account" in q][-1]
    # The cursor (09:00) less the minute of overlap for late commits.
    assert "WHERE SystemModstamp > 2026-11-20T08:59:00Z ORDER BY SystemModstamp" in accounts_query
    accounts = result.kinds[0]
    assert (accounts.created, accounts.updated, accounts.unchanged) == (1, 1, 1)
    assert Account.objects.get(crm_id="001RO00000OldAAAA").name == "Alt und Neu GmbH"
    assert state("accounts").cursor == "2026-11-22T10:01:00+00:00"


def test_expired_session_signs_in_again_and_carries_on(salesforce):
    salesforce.page_size = 1
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    account(salesforce, "001RO00000TwoAAAA", "Zwei GmbH", "2026-11-20T09:00:00.000+0000")
    salesforce.expire_on_next_page = True

    result = crm_sync(backend_key="salesforce")

    assert result.ok, result.error
    assert salesforce.paths().count("/services/oauth2/token") == 2
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Eins GmbH", "Zwei GmbH"]


def test_session_refused_again_after_signing_in_is_an_error(salesforce):
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    salesforce.fail_next(401, "INVALID_SESSION_ID", "Session expired or invalid")
    salesforce.fail_next(401, "INVALID_SESSION_ID", "Session expired or invalid")

    result = crm_sync(backend_key="salesforce")

    assert result.error == (
        "accounts: Salesforce answered 401 INVALID_SESSION_ID: Session expired or invalid"
    )
    assert salesforce.paths().count("/services/oauth2/token") == 2


def test_error_keeps_the_cursor_and_records_last_error(salesforce):
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    crm_sync(backend_key="salesforce")
    account(salesforce, "001RO00000TwoAAAA", "Zwei GmbH", "2026-11-21T08:00:00.000+0000")
    salesforce.fail_next(400, "MALFORMED_QUERY", "unexpected token: 'FROM'")

    result = crm_sync(backend_key="salesforce")

    assert not result.ok
    assert (
        result.error
        == "accounts: Salesforce answered 400 MALFORMED_QUERY: unexpected token: 'FROM'"
    )
    failed = state("accounts")
    assert failed.cursor == "2026-11-20T08:00:00+00:00"
    assert "MALFORMED_QUERY" in failed.last_error
    assert state("contacts").last_error == ""
    assert not Account.objects.filter(name="Zwei GmbH").exists()

    result = crm_sync(backend_key="salesforce")

    assert result.ok
    assert Account.objects.filter(name="Zwei GmbH").exists()
    assert state("accounts").last_error == ""


def test_server_error_mid_pagination_keeps_the_cursor(salesforce):
    salesforce.page_size = 1
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    account(salesforce, "001RO00000TwoAAAA", "Zwei GmbH", "2026-11-20T09:00:00.000+0000")
    salesforce.fail_next(503, "SERVER_UNAVAILABLE", "Service unavailable", on_next_page=True)

    result = crm_sync(backend_key="salesforce")

    assert not result.ok
    accounts = state("accounts")
    assert accounts.cursor == ""
    assert accounts.last_error == (
        "Salesforce answered 503 SERVER_UNAVAILABLE: Service unavailable"
    )


def test_wrong_credentials_are_a_clear_error(salesforce, settings):
    settings.HUB_CRM["salesforce"]["OPTIONS"]["CLIENT_SECRET"] = "wrong"

    result = crm_sync(backend_key="salesforce")

    assert result.error == (
        "accounts: Salesforce refused the sign-in (400 invalid_client): invalid client credentials"
    )
    assert state("accounts").last_success_at is None


def test_rejected_record_is_reported_with_its_salesforce_id_and_the_cursor_moves_on(salesforce):
    contact(salesforce, "003RO00000BadAAAA", "not-an-address", "2026-11-20T08:00:00.000+0000")
    contact(salesforce, "003RO00000GoodAAA", "gut@example.com", "2026-11-20T08:01:00.000+0000")

    result = crm_sync(backend_key="salesforce")

    contacts = state("contacts")
    assert result.ok
    assert list(Contact.objects.values_list("email", flat=True)) == ["gut@example.com"]
    assert contacts.cursor == "2026-11-20T08:01:00+00:00"
    assert contacts.stats["skipped"] == 1
    assert contacts.stats["issues"][0] == {
        "line": 1,
        "field": "email",
        "reason": "'not-an-address' is not a valid e-mail address",
        "level": "error",
        "crm_id": "003RO00000BadAAAA",
    }


def test_contact_is_linked_to_its_account_by_crm_id_even_without_customer_number(salesforce):
    acme = AccountFactory(name="Acme", customer_number=None, crm_id="001RO00000AcmeAAA")
    contact(
        salesforce,
        "003RO00000AnnaAAA",
        "anna@acme.example",
        "2026-11-20T08:00:00.000+0000",
        AccountId="001RO00000AcmeAAA",
    )

    crm_sync(backend_key="salesforce")

    assert Contact.objects.get(crm_id="003RO00000AnnaAAA").account == acme


def test_task_does_nothing_when_no_crm_is_configured(settings, caplog):
    settings.HUB_CRM = {}
    caplog.set_level(logging.INFO, logger="campaigns.services.sync")

    sync_crm.delay()

    assert not SyncState.objects.exists()
    assert "crm.sync.skipped reason=not_configured" in caplog.text


def test_task_syncs_every_configured_crm(salesforce):
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")

    sync_crm.delay()

    assert Account.objects.filter(crm_id="001RO00000OneAAAA").exists()
    assert state("accounts").last_success_at is not None


def test_backend_that_is_not_a_crm_backend_is_refused_naming_the_key(settings):
    settings.HUB_CRM = {"sales": {"BACKEND": "channels.newsletter.NewsletterChannel"}}

    with pytest.raises(ImproperlyConfigured, match=r"HUB_CRM\['sales'\]: BACKEND"):
        crm_sync(backend_key="sales")


def test_sync_crm_command_prints_what_each_kind_did(salesforce):
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    out = StringIO()

    call_command("sync_crm", stdout=out)

    assert "salesforce accounts: 1 created, 0 updated, 0 unchanged, 0 skipped" in out.getvalue()


def test_kinds_option_leaves_out_what_is_not_wanted(salesforce):
    opportunity(salesforce, "006RO00000DealAAA", "2026-11-21T09:00:00.000+0000", amount=100.0)

    result = crm_sync(backend_key="salesforce")

    assert [kind.kind for kind in result.kinds] == ["accounts", "contacts"]
    assert not any("FROM Opportunity" in soql for soql in salesforce.soql())
    assert not Order.objects.exists()


def test_unknown_kind_in_options_is_refused_naming_the_key(salesforce, settings):
    settings.HUB_CRM["salesforce"]["OPTIONS"]["KINDS"] = ["accounts", "leads"]

    with pytest.raises(ImproperlyConfigured, match=r"HUB_CRM\['salesforce'\]: KINDS has leads"):
        crm_sync(backend_key="salesforce")


def test_opt_out_in_salesforce_revokes_consent_with_evidence(salesforce):
    contact(
        salesforce,
        "003RO00000OptOAAA",
        "weg@example.com",
        "2026-11-20T08:00:00.000+0000",
        HasOptedOutOfEmail=True,
    )
    contact(salesforce, "003RO00000StayAAA", "da@example.com", "2026-11-20T08:01:00.000+0000")

    crm_sync(backend_key="salesforce")

    opted_out = Contact.objects.get(crm_id="003RO00000OptOAAA")
    assert opted_out.consent == "revoked"
    assert list(opted_out.consents.values_list("kind", flat=True)) == ["opt_out"]
    assert Contact.objects.get(crm_id="003RO00000StayAAA").consent == "none"


def test_a_salesforce_that_does_not_answer_times_out_with_a_clear_error(salesforce, settings):
    settings.HUB_CRM["salesforce"]["OPTIONS"]["TIMEOUT"] = (1, 0.3)
    salesforce.hang_next = True

    result = crm_sync(backend_key="salesforce")

    assert result.error.startswith(
        f"accounts: Salesforce could not be reached at {salesforce.url}{API}/query: "
    )
    assert "timed out" in result.error
    assert state("accounts").cursor == ""


def test_account_from_the_erp_takes_its_crm_id_by_customer_number(salesforce):
    from_erp = AccountFactory(name="Acme (ERP)", customer_number="K-1001", erp_id="D-1001")
    account(
        salesforce,
        "001RO00000AcmeAAA",
        "Acme Maschinenbau GmbH",
        "2026-11-20T08:00:00.000+0000",
        AccountNumber="K-1001",
    )

    result = crm_sync(backend_key="salesforce")

    from_erp.refresh_from_db()
    assert (result.kinds[0].created, result.kinds[0].updated) == (0, 1)
    assert (from_erp.crm_id, from_erp.name, from_erp.erp_id) == (
        "001RO00000AcmeAAA",
        "Acme Maschinenbau GmbH",
        "D-1001",
    )


def test_contact_who_signed_up_takes_its_crm_id_by_email(salesforce):
    signed_up = ContactFactory(email="anna@acme.example", crm_id=None)
    contact(salesforce, "003RO00000AnnaAAA", "Anna@Acme.example", "2026-11-20T08:00:00.000+0000")

    crm_sync(backend_key="salesforce")

    assert Contact.objects.get().pk == signed_up.pk
    assert Contact.objects.get().crm_id == "003RO00000AnnaAAA"


def test_a_run_still_holding_the_state_is_not_joined_until_its_claim_expires(salesforce):
    account(salesforce, "001RO00000OneAAAA", "Eins GmbH", "2026-11-20T08:00:00.000+0000")
    with time_machine.travel("2026-11-23 12:00:00Z", tick=False):
        sync_state_claim(name="crm.salesforce.accounts")

        busy = crm_sync(backend_key="salesforce")

    assert busy.error.startswith("accounts: crm.salesforce.accounts is running since")
    assert not Account.objects.exists()
    with time_machine.travel("2026-11-23 12:31:00Z", tick=False):
        result = crm_sync(backend_key="salesforce")

    assert result.ok, result.error
    assert Account.objects.filter(name="Eins GmbH").exists()


def test_beat_runs_the_sync_on_its_schedule(settings):
    from hub.celery import app

    app.loader.import_default_modules()

    entry = settings.CELERY_BEAT_SCHEDULE["crm-sync"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 900.0


def test_contact_of_an_account_we_do_not_hold_is_imported_unlinked(salesforce):
    contact(
        salesforce,
        "003RO00000AnnaAAA",
        "anna@acme.example",
        "2026-11-20T08:00:00.000+0000",
        AccountId="001RO00000GoneAAA",
    )

    crm_sync(backend_key="salesforce")

    assert Contact.objects.get(crm_id="003RO00000AnnaAAA").account is None


def test_won_opportunity_of_nobody_we_know_is_reported_and_the_cursor_moves_on(
    salesforce, with_orders
):
    opportunity(
        salesforce,
        "006RO00000NobodyA",
        "2026-11-21T09:00:00.000+0000",
        amount=10.0,
        AccountId="001RO00000GoneAAA",
    )

    result = crm_sync(backend_key="salesforce")

    orders = state("orders")
    assert result.ok
    assert not Order.objects.exists()
    assert orders.cursor == "2026-11-21T09:00:00+00:00"
    assert orders.stats["issues"] == [
        {
            "line": 1,
            "field": "contact",
            "reason": "Name the contact or the account's customer_number.",
            "level": "error",
            "crm_id": "006RO00000NobodyA",
        }
    ]
