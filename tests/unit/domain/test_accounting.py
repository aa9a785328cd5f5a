"""Accounting entries of a generated month: sales (VE) from invoices and a credit note, bank (BQ)
from the payments ledger, all balanced; the accounts of purchases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.accounting import (
    BANK,
    SALES,
    Account,
    AccountingError,
    JournalEntry,
    JournalLine,
    Movement,
    PurchaseAccounts,
    UnbalancedEntry,
    bank_entry,
    bank_journal,
    check_balanced,
    sales_entry,
    sales_journal,
)
from invoicing.domain.invoice import Discount, DocumentType, Invoice, InvoiceReference, Line, issue
from invoicing.domain.ledger import Entry, Kind, Source, State
from invoicing.domain.parties import OperationCategory
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import FRENCH_RATES, VatTreatment
from tests import factories

TERMS = PaymentTerms(30)
D = Decimal


def _issue(number: str, client, *lines: Line, on: date = date(2026, 11, 5), seller=None, **kwargs) -> Invoice:
    return issue(
        factories.draft(client, *lines, **kwargs),
        seller=seller or factories.seller(),
        number=number,
        issue_date=on,
        default_terms=TERMS,
        invoice_id=f"inv-{number}",
    )


def month() -> tuple[Invoice, ...]:
    """November 2026: three rates, a person, a reverse-charge sale, and a credit note."""
    company, person, belgian = factories.company(), factories.person(), factories.belgian()
    return (
        _issue(
            "FA2026-00001",
            company,
            factories.line("Conseil", "10", "100", "20"),
            factories.line("Formation", "2", "100", "10"),
            factories.line("Ouvrages", "1", "50", "5.5"),
        ),
        _issue("FA2026-00002", person, factories.line("Atelier", "3", "99.99"), on=date(2026, 11, 12)),
        _issue(
            "FA2026-00003",
            belgian,
            Line("Audit", D("1"), "u", D("1500"), VatTreatment.exempt("autoliquidation")),
            on=date(2026, 11, 20),
        ),
        _issue(
            "AV2026-00001",
            company,
            factories.line("Conseil", "1", "100", "20"),
            on=date(2026, 11, 25),
            document_type=DocumentType.CREDIT_NOTE,
            corrects=InvoiceReference("FA2026-00001", date(2026, 11, 5)),
            credit_reason="Une heure facturée en trop",
        ),
    )


def ledger_entry(kind: Kind, state: State, cents: int, on: date, ref: str = "x", **kwargs) -> Entry:
    return Entry(
        group=kwargs.pop("group", f"bank:{ref}"),
        kind=kind,
        ref=ref,
        state=state,
        cents=cents,
        on=on,
        source=kwargs.pop("source", Source.BANK),
        **kwargs,
    )


def movements() -> tuple[Movement, ...]:
    company, person = factories.company(), factories.person()
    c, p = (company.ref, company.name), (person.ref, person.name)
    stripe = {"group": "stripe:pi_1", "source": Source.STRIPE, "method": "card"}
    return (
        Movement(
            ledger_entry(Kind.PAYMENT, State.SUCCEEDED, 137275, date(2026, 11, 28), "L1"), "FA2026-00001", *c
        ),
        Movement(
            ledger_entry(Kind.PAYMENT, State.SUCCEEDED, 35996, date(2026, 11, 13), "pi_1", **stripe),
            "FA2026-00002",
            *p,
        ),
        Movement(
            ledger_entry(Kind.REFUND, State.SUCCEEDED, 5000, date(2026, 11, 18), "ch_1", **stripe),
            "FA2026-00002",
            *p,
        ),
        Movement(
            ledger_entry(Kind.PAYMENT, State.PENDING, 10000, date(2026, 11, 29), "L2"), "FA2026-00003", *c
        ),
        Movement(ledger_entry(Kind.PAYMENT, State.SUCCEEDED, 4200, date(2026, 11, 30), "L3")),
        Movement(
            ledger_entry(
                Kind.CHARGEBACK,
                State.LOST,
                1000,
                date(2026, 11, 30),
                "dp_1",
                group="stripe:pi_9",
                source=Source.STRIPE,
            ),
            "FA2026-00009",
            *p,
        ),
        Movement(
            ledger_entry(
                Kind.CHARGEBACK,
                State.WON,
                1000,
                date(2026, 11, 30),
                "dp_2",
                group="stripe:pi_8",
                source=Source.STRIPE,
            ),
            "FA2026-00008",
            *p,
        ),
    )


def lines_of(entry: JournalEntry) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(line.account, line.auxiliary, line.debit, line.credit) for line in entry.lines]


# --- sales ---------------------------------------------------------------------------------------


def test_an_invoice_at_three_rates_debits_the_client_and_credits_each_rate() -> None:
    entry = sales_entry(month()[0])
    assert (entry.journal, entry.date, entry.document_ref) == (SALES, date(2026, 11, 5), "FA2026-00001")
    assert lines_of(entry) == [
        ("411", "C001", D("1472.75"), D("0")),
        ("706", "", D("0"), D("1000.00")),
        ("44571", "", D("0"), D("200.00")),
        ("706", "", D("0"), D("200.00")),
        ("44571", "", D("0"), D("20.00")),
        ("706", "", D("0"), D("50.00")),
        ("44571", "", D("0"), D("2.75")),
    ]
    assert entry.lines[0].auxiliary_label == "Société Dauphinoise de Transports"
    assert [line.account_label for line in entry.lines[1:3]] == [
        "Prestations de services TVA 20 %",
        "TVA collectée 20 %",
    ]
    assert entry.lines[6].account_label == "TVA collectée 5,5 %"
    assert entry.debit == entry.credit == D("1472.75")


def test_a_reverse_charge_invoice_posts_no_vat() -> None:
    entry = sales_entry(month()[2])
    assert lines_of(entry) == [("411", "BE-OURTHE", D("1500.00"), D("0")), ("706", "", D("0"), D("1500.00"))]
    assert entry.lines[1].account_label == "Prestations de services autoliquidation"


def test_a_credit_note_posts_the_invoice_reversed() -> None:
    entry = sales_entry(month()[3])
    assert lines_of(entry) == [
        ("411", "C001", D("0"), D("120.00")),
        ("706", "", D("100.00"), D("0")),
        ("44571", "", D("20.00"), D("0")),
    ]
    assert entry.lines[0].label.startswith("Avoir AV2026-00001")


def test_goods_sellers_credit_707_and_the_caller_may_name_the_account() -> None:
    goods = factories.seller(operation_category=OperationCategory.GOODS)
    invoice = _issue("FA2026-00010", factories.company(), factories.line(), seller=goods)
    assert [line.account for line in sales_entry(invoice).lines] == ["411", "707", "44571"]
    assert sales_entry(invoice, revenue="7061").lines[1].account == "7061"
    mixed = replace(invoice, seller=factories.seller(operation_category=OperationCategory.MIXED))
    assert sales_entry(mixed).lines[1].account == "706"


def test_the_sales_journal_is_in_date_order_and_skips_documents_of_zero() -> None:
    free = _issue("FA2026-00004", factories.person(), factories.line(price="0"), on=date(2026, 11, 1))
    with pytest.raises(AccountingError, match="zero"):
        sales_entry(free)
    journal = sales_journal(reversed((*month(), free)))
    assert [e.document_ref for e in journal] == [
        "FA2026-00001",
        "FA2026-00002",
        "FA2026-00003",
        "AV2026-00001",
    ]


def test_a_foreign_currency_document_is_refused() -> None:
    with pytest.raises(AccountingError, match="USD"):
        sales_entry(replace(month()[0], currency="USD"))


# --- bank ----------------------------------------------------------------------------------------


def test_payments_refunds_and_lost_chargebacks() -> None:
    journal = bank_journal(movements())
    assert [(e.journal, e.date, e.document_ref, lines_of(e)) for e in journal] == [
        (
            BANK,
            date(2026, 11, 13),
            "FA2026-00002",
            [("512", "", D("359.96"), D(0)), ("411", "c002", D(0), D("359.96"))],
        ),
        (
            BANK,
            date(2026, 11, 18),
            "FA2026-00002",
            [("512", "", D(0), D("50.00")), ("411", "c002", D("50.00"), D(0))],
        ),
        (
            BANK,
            date(2026, 11, 28),
            "FA2026-00001",
            [("512", "", D("1372.75"), D(0)), ("411", "C001", D(0), D("1372.75"))],
        ),
        (BANK, date(2026, 11, 30), "L3", [("512", "", D("42.00"), D(0)), ("471", "", D(0), D("42.00"))]),
        (
            BANK,
            date(2026, 11, 30),
            "FA2026-00009",
            [("512", "", D(0), D("10.00")), ("411", "c002", D("10.00"), D(0))],
        ),
    ]
    assert journal[0].lines[0].label == "Règlement FA2026-00002 Mme Hélène Garnier card"


@pytest.mark.parametrize(
    ("kind", "state"),
    [(Kind.PAYMENT, State.PENDING), (Kind.PAYMENT, State.FAILED), (Kind.CHARGEBACK, State.OPEN)],
)
def test_what_moved_no_money_posts_nothing(kind: Kind, state: State) -> None:
    assert bank_entry(Movement(ledger_entry(kind, state, 100, date(2026, 11, 2)))) is None


def test_a_movement_needs_a_name_for_its_client_and_euros() -> None:
    entry = ledger_entry(Kind.PAYMENT, State.SUCCEEDED, 100, date(2026, 11, 2))
    with pytest.raises(AccountingError, match="name"):
        Movement(entry, "FA1", "C001", " ")
    with pytest.raises(AccountingError, match="GBP"):
        bank_entry(Movement(replace(entry, currency="GBP")))


# --- balance -------------------------------------------------------------------------------------


def test_the_whole_month_balances_entry_by_entry_and_in_total() -> None:
    entries = (*sales_journal(month()), *bank_journal(movements()))
    assert len(entries) == 9
    for entry in entries:
        assert entry.debit == entry.credit
        assert check_balanced(entry) == entry.debit
    assert check_balanced(entries) == sum((e.debit for e in entries), D(0))
    receivable = sum((line.balance for e in entries for line in e.lines if line.account == "411"), D(0))
    invoiced = D("1472.75") + D("359.96") + D("1500.00") - D("120.00")  # less the credit note
    received = D("1372.75") + D("359.96") - D("50.00") - D("10.00")  # less a refund and a lost dispute
    assert receivable == invoiced - received == D("1540.00")


def test_an_unbalanced_entry_cannot_be_built() -> None:
    debit = JournalLine("411", "Clients", "F1", debit=D("100.00"), auxiliary="C001", auxiliary_label="X")
    credit = JournalLine("706", "Prestations", "F1", credit=D("99.99"))
    with pytest.raises(UnbalancedEntry, match=r"VE F1 of 2026-11-05 does not balance: .*difference 0.01"):
        JournalEntry(SALES, date(2026, 11, 5), "F1", date(2026, 11, 5), (debit, credit))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"account": "AB1"}, "3 digits"),
        ({"debit": D("1.001")}, "fractions of a cent"),
        ({"debit": D("-1")}, "negative"),
        ({"credit": D("1")}, "debit or a credit"),
        ({"auxiliary": "C001"}, "auxiliary"),
        ({"lettering": "AA"}, "lettering"),
        ({"currency": "USD"}, "currency"),
    ],
)
def test_a_line_is_checked(changes: dict, message: str) -> None:
    with pytest.raises(AccountingError, match=message):
        JournalLine(**{"account": "512", "account_label": "Banque", "label": "x", "debit": D("1"), **changes})


# --- the property: any invoice's sales entry balances --------------------------------------------

treatments = st.one_of(
    st.sampled_from(FRENCH_RATES).map(VatTreatment.standard),
    st.sampled_from(["autoliquidation", "intracom", "export", "franchise"]).map(VatTreatment.exempt),
)
lines = st.builds(
    lambda q, p, vat, pct: Line(
        "x", D(q) / 100, "u", D(p) / 1000, vat, Discount(percent=D(pct)) if pct else None
    ),
    st.integers(1, 100_000),
    st.integers(0, 10_000_000),
    treatments,
    st.integers(0, 100),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6), st.booleans(), st.booleans())
def test_any_invoice_sales_entry_balances(items: list[Line], credit: bool, ttc: bool) -> None:
    kwargs = {}
    if credit:
        kwargs = {
            "document_type": DocumentType.CREDIT_NOTE,
            "corrects": InvoiceReference("FA1", date(2026, 11, 1)),
            "credit_reason": "r",
        }
    if ttc:
        items = [replace(item, discount=None) for item in items]
        kwargs["prices_include_vat"] = True
    invoice = _issue("N1", factories.company(), *items, **kwargs)
    if not invoice.totals.grand_total:
        return
    entry = sales_entry(invoice)
    assert entry.debit == entry.credit == invoice.totals.grand_total
    client = entry.lines[0]
    assert (client.account, client.credit if credit else client.debit) == ("411", invoice.totals.grand_total)


# --- accounts of purchases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supplier", "text", "number"),
    [
        ("Bureau Vallée", "Fournitures de bureau", "6064"),
        ("SCI des Tilleuls", "Loyer de novembre", "6132"),
        ("Cabinet Martin", "Honoraires expert-comptable", "6226"),
        ("SNCF Voyageurs", "Billet Lyon Paris", "6251"),
        ("Orange", "Abonnement fibre internet", "626"),
        ("Inconnu SARL", "Prestation diverse", "471"),
    ],
)
def test_purchase_accounts_default_by_keyword(supplier: str, text: str, number: str) -> None:
    assert PurchaseAccounts().account_for(supplier=supplier, text=text).number == number


def test_the_business_mapping_per_supplier_wins() -> None:
    accounts = PurchaseAccounts({"Cabinet Martin": Account("6227", "Frais d'actes et de contentieux")})
    assert accounts.account_for(supplier="CABINET  MARTIN", text="Honoraires").number == "6227"
    by_siren = accounts.with_supplier("552100554", Account("6068", "Autres matières et fournitures"))
    assert by_siren.account_for(supplier="Other name", text="Fournitures", siren="552100554").number == "6068"
    assert by_siren.account_for(supplier="Cabinet Martin").number == "6227"
    assert accounts.account_for(supplier="Cabinet Durand", text="honoraires").number == "6226"
