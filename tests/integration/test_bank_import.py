"""Bank statements dropped under bank/ settle invoices through the payments ledger
(``services.bank_import``), against the local stack's bucket, tables and alert topic.

Invoices are issued straight into the invoices table (``InvoiceRepository.issue``: numbered
exactly as generate numbers them, without rendering their PDFs, which matching never reads), so
that each test costs little. Statements are the samples of ``samples/bank/`` and the third-party
CAMT.053 files of ``../shared/fixtures/bank/camt053/``; one goes through the generate function as
a real drop would.
"""

from __future__ import annotations

import csv
import hashlib
import io
import runpy
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest

from invoicing.adapters.clients import ClientRepository
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.payments import PaymentLedger
from invoicing.business import GenerateSettings
from invoicing.domain.invoice import Source
from invoicing.domain.ledger import Entry, Kind, State
from invoicing.domain.ledger import Source as LedgerSource
from invoicing.domain.parties import Client
from invoicing.domain.terms import PaymentTerms
from invoicing.events import S3Object
from invoicing.ingest.bank import read_statement
from invoicing.services.bank_import import BankImport, BankOutcome, CreditRow, payment_group
from invoicing.services.validation import Rules, validate_clients, validate_sales
from invoicing_tools.local_aws.server import client
from invoicing_tools.local_aws.stack import PROJECT
from tests.conftest import fixture_path
from tests.factories import company, draft, line

SAMPLES = PROJECT / "samples"
BANK = SAMPLES / "bank"
ISSUED = date(2026, 11, 24)

BAKERY = company(ref="C001", name="Boulangerie Lefèvre SAS")
JOINERY = company(ref="C010", name="Menuiserie Arnaud SARL")  # not in the clients table
GARAGE = company(ref="C011", name="Garage du Centre")
PERSON = company(ref="C012", name="Mme Hélène Garnier", siren=None, vat_id=None)
#: The invoices the samples of samples/bank/ pay: FA2026-00001 ... FA2026-00006.
INVOICES: tuple[tuple[Client, str], ...] = (
    (BAKERY, "100"),  # 120.00 incl. VAT
    (BAKERY, "500"),  # 600.00
    (JOINERY, "400"),  # 480.00
    (GARAGE, "200"),  # 240.00
    (GARAGE, "200"),  # 240.00
    (PERSON, "1250"),  # 1 500.00
)


def issue(resources, business, specs, *, group: str = "bank-test") -> dict[str, StoredInvoice]:
    repo = InvoiceRepository(resources)
    issued = {}
    for index, (buyer, price) in enumerate(specs, start=1):
        source = Source(f"incoming/{group}.csv", group, f"row-{index}")
        stored = repo.issue(
            draft(buyer, line(price=price), source=source),
            seller=business.seller,
            numbering=business.invoice_numbering,
            issue_date=ISSUED,
            default_terms=PaymentTerms(30),
        )
        issued[stored.invoice.number] = stored
    return issued


@pytest.fixture
def invoices(resources, business) -> dict[str, StoredInvoice]:
    ClientRepository(resources).upsert([BAKERY, GARAGE, PERSON])
    issued = issue(resources, business, INVOICES)
    assert list(issued) == [f"FA2026-{n:05d}" for n in range(1, 7)]
    return issued


@pytest.fixture
def importer(stack) -> BankImport:
    return BankImport.from_settings(
        GenerateSettings.from_env(stack.functions["GenerateFunction"].environment)
    )


def drop(bucket, importer: BankImport, key: str, data: bytes) -> BankOutcome:
    """Upload a statement and import it as the event of that upload names it."""
    bucket.put(key, data)
    return importer.process(notified(bucket, key))


def notified(bucket, key: str) -> S3Object:
    head = bucket.s3.head_object(Bucket=bucket.name, Key=key)
    return S3Object(bucket.name, key, head.get("VersionId"), head["ETag"].strip('"'))


def by_label(outcome: BankOutcome) -> dict[str, CreditRow]:
    return {row.line.label: row for row in outcome.rows}


def state(resources, number: str) -> tuple[str, Decimal]:
    stored = InvoiceRepository(resources).get_by_number(number)
    return stored.receivable.status.value, stored.receivable.due


def ledger_items(resources) -> list[dict]:
    """Every item of the payments table as stored (versions and write times included: an
    unchanged list means nothing was written)."""
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=resources.payments_table)
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: i["group_id"]["S"])


def invoice_items(resources) -> list[dict]:
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=resources.invoices_table)
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: i["invoice_id"]["S"])


def report_rows(bucket, key: str) -> list[dict[str, str]]:
    text = bucket.get(key).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


# --- the CSV sample ------------------------------------------------------------------------------------


def test_a_statement_settles_invoices_by_number_and_by_amount_and_name_and_leaves_the_rest(
    bucket, resources, importer, invoices, operator_inbox
):
    outcome = drop(bucket, importer, "bank/releve-2026-12.csv", (BANK / "releve-2026-12.csv").read_bytes())

    assert (outcome.kind, outcome.format, outcome.debits) == ("bank", "csv", 2)
    assert (len(outcome.rows), outcome.matched, outcome.to_review, outcome.known) == (5, 3, 2, 0)
    rows = by_label(outcome)
    # Two numbers spelled differently ("FA2026-00001", "fa 2026 00002"), the credit their sum:
    # one ledger entry per invoice, the first one in the line's own group.
    split = rows["VIR SEPA BOULANGERIE LEFEVRE REGLEMT FACTURES FA2026-00001 ET fa 2026 00002"]
    assert (split.how, split.numbers, split.statuses) == (
        "number",
        ("FA2026-00001", "FA2026-00002"),
        ("paid",) * 2,
    )
    group = payment_group(split.line.line_id)
    assert [(e.group, e.cents) for e in split.entries] == [
        (group, 12000),
        (f"bank:part2:{split.line.line_id}", 60000),
    ]
    # No number: the exact amount due and the client's name (a client no longer in the clients
    # table: its name is read from its invoice).
    joinery = rows["VIREMENT MENUISERIE ARNAUD"]
    assert (joinery.how, joinery.numbers) == ("amount_and_name", ("FA2026-00003",))
    # Two invoices of the same client and amount: which one is paid cannot be told.
    garage = rows["VIR SEPA GARAGE DU CENTRE"]
    assert (garage.how, garage.numbers) == ("review", ())
    assert "2 invoices qualify (FA2026-00004, FA2026-00005" in garage.reason
    partial = rows["REGLEMENT Fa2026.00006 ACOMPTE"]
    assert (partial.how, partial.numbers, partial.statuses) == (
        "number",
        ("FA2026-00006",),
        ("partially_paid",),
    )
    assert "partial payment: 500.00 EUR of 1500.00 EUR due" in partial.reason
    assert rows["VIR INST M DUPONT"].how == "review"

    assert {n: state(resources, n) for n in invoices} == {
        "FA2026-00001": ("paid", Decimal("0.00")),
        "FA2026-00002": ("paid", Decimal("0.00")),
        "FA2026-00003": ("paid", Decimal("0.00")),
        "FA2026-00004": ("issued", Decimal("240.00")),
        "FA2026-00005": ("issued", Decimal("240.00")),
        "FA2026-00006": ("partially_paid", Decimal("1000.00")),
    }
    ledger = PaymentLedger(resources.payments_table)
    assert sorted(e.group for e in ledger.to_review()) == sorted(
        [garage.group, rows["VIR INST M DUPONT"].group]
    )
    paid = InvoiceRepository(resources).get_by_number("FA2026-00006").receivable.payments
    assert [(p.payment_id, p.amount, p.on, p.method) for p in paid] == [
        (partial.group, Decimal("500.00"), date(2026, 12, 4), "transfer")
    ]

    assert bucket.keys("bank/") == []
    assert bucket.keys("processed/bank/") == ["processed/bank/releve-2026-12.csv"]
    assert outcome.report_key == "reports/bank/releve-2026-12.csv.matches.csv"
    report = report_rows(bucket, outcome.report_key)
    assert list(report[0]) == [
        "date",
        "montant",
        "devise",
        "libelle",
        "tiers",
        "facture",
        "rapprochement",
        "statut",
        "paiement",
        "motif",
        "reason",
    ]
    assert [(r["date"], r["montant"], r["facture"], r["rapprochement"], r["statut"]) for r in report] == [
        ("01/12/2026", "720,00", "FA2026-00001, FA2026-00002", "numéro", "payée, payée"),
        ("02/12/2026", "480,00", "FA2026-00003", "montant et nom", "payée"),
        ("03/12/2026", "240,00", "", "à vérifier", "à vérifier"),
        ("04/12/2026", "500,00", "FA2026-00006", "numéro", "partiellement payée"),
        ("05/12/2026", "99,99", "", "à vérifier", "à vérifier"),
    ]
    assert report[2]["paiement"] == garage.group

    (alert,) = operator_inbox.messages()
    assert "Releve bancaire: 2 a verifier / to review (releve-2026-12.csv)" in alert["Subject"]
    assert garage.group in alert["Message"]
    assert "2 débit(s) ignoré(s)" in alert["Message"]
    assert "invoicing payments assign" in alert["Message"]


def test_the_same_statement_twice_changes_nothing(bucket, resources, importer, invoices, operator_inbox):
    data = (BANK / "releve-2026-12.csv").read_bytes()
    bucket.put("bank/releve-2026-12.csv", data)
    event = notified(bucket, "bank/releve-2026-12.csv")
    first = importer.process(event)
    # The same event delivered again (SQS delivers at least once): the upload is gone, done.
    assert importer.process(event).kind == "skipped"
    ledger, stored = ledger_items(resources), invoice_items(resources)
    report = bucket.get(first.report_key)

    # The same file uploaded again, under another name: every line is known, nothing is written.
    again = drop(bucket, importer, "bank/releve-2026-12-bis.csv", data)
    assert (again.kind, again.known, again.matched, again.to_review) == ("bank", 5, 3, 2)
    assert ledger_items(resources) == ledger
    assert invoice_items(resources) == stored
    assert bucket.get(again.report_key) == report
    assert [r.how for r in again.rows] == [r.how for r in first.rows]


def test_the_same_statement_imported_twice_at_the_same_moment_settles_each_invoice_once(
    stack, bucket, resources, invoices
):
    """Two generate containers on two uploads of one statement, at once: whichever writes a
    line's entries first wins; the other settles with those, never with a match of its own."""
    data = (BANK / "releve-2026-12.csv").read_bytes()
    settings = GenerateSettings.from_env(stack.functions["GenerateFunction"].environment)
    importers = [BankImport.from_settings(settings) for _ in range(2)]
    for name in ("a", "b"):
        bucket.put(f"bank/{name}.csv", data)
    events = [notified(bucket, "bank/a.csv"), notified(bucket, "bank/b.csv")]
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda pair: pair[0].process(pair[1]), zip(importers, events, strict=True)))
    assert [o.kind for o in outcomes] == ["bank", "bank"]
    paid = {n: state(resources, n) for n in invoices}
    again = drop(bucket, importers[0], "bank/c.csv", data)
    assert again.known == len(again.rows) == 5  # every line was written, by one of the two
    assert {n: state(resources, n) for n in invoices} == paid
    # Nothing settled twice: what the invoices hold is exactly what the ledger gives them.
    ledger = PaymentLedger(resources.payments_table)
    given = sum(
        e.cents for s in InvoiceRepository(resources).all() for e in ledger.of_invoice(s.invoice.invoice_id)
    )
    held = sum(s.receivable.paid for s in InvoiceRepository(resources).all())
    assert held * 100 == given > 0


def test_new_entries_are_written_all_together_or_not_at_all(resources):
    ledger = PaymentLedger(resources.payments_table)
    first = Entry("bank:L1", Kind.PAYMENT, "L1", State.SUCCEEDED, 100, ISSUED, LedgerSource.BANK)
    second = Entry("bank:part2:L1", Kind.PAYMENT, "L1", State.SUCCEEDED, 50, ISSUED, LedgerSource.BANK)
    assert ledger.create_all([first, second])
    third = Entry("bank:L2", Kind.PAYMENT, "L2", State.SUCCEEDED, 70, ISSUED, LedgerSource.BANK)
    assert not ledger.create_all([third, first])  # one exists: none is written
    assert ledger.get("bank:L2") is None
    assert ledger.get("bank:part2:L1").cents == 50


# --- CAMT.053 samples: overlapping statements, a reversal, a batch ------------------------------------------


def test_overlapping_statements_record_shared_credits_once_and_keep_their_match(
    bucket, resources, importer, invoices, operator_inbox
):
    first = drop(bucket, importer, "bank/releve-a.xml", (BANK / "releve-2026-12-a.camt053.xml").read_bytes())
    assert (first.format, first.debits, first.matched, first.to_review) == ("camt.053", 1, 2, 1)
    rows = by_label(first)
    assert rows["FACTURE FA2026-00001"].numbers == ("FA2026-00001",)
    assert rows["Facture fa2026/00006 merci"].statuses == ("paid",)
    # Money returned (a reversal), though its label names an invoice: a person must look.
    reversal = rows["RETOUR VIR SEPA FA2026-00004 MOTIF AC04 COMPTE CLOTURE"]
    assert reversal.how == "review"
    assert reversal.line.reversal
    assert "reversal" in reversal.reason

    second = drop(bucket, importer, "bank/releve-b.xml", (BANK / "releve-2026-12-b.camt053.xml").read_bytes())
    rows = by_label(second)
    assert (len(second.rows), second.known, second.debits) == (6, 2, 1)
    # The credit for FA2026-00006, already recorded: still matched to it (not a review although
    # the invoice is paid now), and paid once.
    shared = rows["Facture fa2026/00006 merci"]
    assert (shared.known, shared.how, shared.numbers, shared.statuses) == (
        True,
        "number",
        ("FA2026-00006",),
        ("paid",),
    )
    assert rows["RETOUR VIR SEPA FA2026-00004 MOTIF AC04 COMPTE CLOTURE"].known
    assert rows["VIREMENT DECEMBRE"].numbers == ("FA2026-00002",)  # amount and counterparty
    assert rows["VIREMENT DECEMBRE"].how == "amount_and_name"
    assert (rows["Acompte FA 2026-00003"].numbers, rows["Acompte FA 2026-00003"].statuses) == (
        ("FA2026-00003",),
        ("partially_paid",),
    )
    # A batch booking: one credit per transaction, each paying its invoice.
    assert [rows[f"FA2026-0000{n}"].numbers for n in (4, 5)] == [("FA2026-00004",), ("FA2026-00005",)]

    ledger = PaymentLedger(resources.payments_table)
    assert len(ledger_items(resources)) == 3 + 4
    assert [e.group for e in ledger.to_review()] == [reversal.group]
    assert len(ledger.of_invoice(invoices["FA2026-00006"].invoice.invoice_id)) == 1
    fa6 = InvoiceRepository(resources).get_by_number("FA2026-00006").receivable
    assert (fa6.status.value, fa6.paid, len(fa6.payments)) == ("paid", Decimal("1500.00"), 1)
    assert state(resources, "FA2026-00003") == ("partially_paid", Decimal("180.00"))
    # The second alert still lists the reversal, as known already.
    alerts = operator_inbox.messages()
    assert len(alerts) == 2
    assert "1 à vérifier (2 déjà connu(s))" in alerts[1]["Message"]


# --- refusals --------------------------------------------------------------------------------------------


SAME_CREDIT_CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-31T06:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-12-31T06:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><NtryRef>R1</NtryRef><Amt Ccy="EUR">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-04</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Ustrd>REGLEMENT {number} ACOMPTE</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_the_same_credit_in_a_csv_export_then_in_the_camt_statement_is_not_counted_twice(
    bucket, resources, importer, invoices, operator_inbox
):
    number = "FA2026-00006"
    csv = f"Date;Libellé;Montant\n04/12/2026;REGLEMENT {number} ACOMPTE;500,00\n"
    drop(bucket, importer, "bank/export-appli.csv", csv.encode())
    after_csv = state(resources, number)
    second = drop(
        bucket, importer, "bank/releve-decembre.camt053.xml", SAME_CREDIT_CAMT.format(number=number).encode()
    )
    assert state(resources, number) == after_csv
    (row,) = second.rows
    assert row.to_review
    assert "possibly the same credit as bank:csv:" in row.reason
    assert any("releve-decembre" in m["Subject"] for m in operator_inbox.messages())


def test_a_malformed_statement_is_rejected_whole_with_a_report(
    bucket, resources, importer, invoices, operator_inbox
):
    outcome = drop(bucket, importer, "bank/releve-erreurs.csv", (BANK / "releve-erreurs.csv").read_bytes())

    assert outcome.kind == "rejected"
    assert [(p.row, p.column, p.value, p.code) for p in outcome.problems] == [
        (3, "Date", "31/11/2026", "bad_date"),
        (4, "Montant", "240,005", "too_precise"),
        (5, "Montant", "cinq cents", "bad_number"),
    ]
    assert outcome.report_key == "reports/bank/releve-erreurs.csv.errors.csv"
    report = report_rows(bucket, outcome.report_key)
    assert [(r["ligne"], r["colonne"], r["valeur"]) for r in report] == [
        ("3", "Date", "31/11/2026"),
        ("4", "Montant", "240,005"),
        ("5", "Montant", "cinq cents"),
    ]
    assert all(r["motif"] and r["reason"] for r in report)
    assert bucket.keys("rejected/bank/") == ["rejected/bank/releve-erreurs.csv"]
    assert bucket.keys("bank/") == []
    # Nothing was recorded, even for the lines that were fine.
    assert ledger_items(resources) == []
    assert state(resources, "FA2026-00001") == ("issued", Decimal("120.00"))
    (alert,) = operator_inbox.messages()
    assert "statement rejected: releve-erreurs.csv" in alert["Subject"]
    assert "ligne 3, colonne Date" in alert["Message"]


# --- the demo's sample ------------------------------------------------------------------------------------


def test_the_demo_statement_settles_two_demo_invoices_and_leaves_one_credit_for_review(
    bucket, resources, business, importer, operator_inbox
):
    # The demo's invoices (samples/conseil-horizon): its files read as generate reads them (the
    # rendering proof aside), then stored.
    folder = SAMPLES / "conseil-horizon"
    rules = Rules(business, ISSUED, render=lambda invoice: None)
    clients = validate_clients((folder / "clients.csv").read_bytes(), "clients.csv", rules)
    ClientRepository(resources).upsert(clients)
    sales = (folder / "ventes-2026-11.csv").read_bytes()
    drafts = validate_sales(
        sales,
        "ventes-2026-11.csv",
        rules,
        clients={c.ref: c for c in clients},
        file_key="incoming/ventes-2026-11.csv",
        file_sha256=hashlib.sha256(sales).hexdigest(),
        find_invoice=lambda number: None,
    )
    repo = InvoiceRepository(resources)
    common = {"seller": business.seller, "numbering": business.invoice_numbering, "issue_date": ISSUED}
    for d in drafts:
        repo.issue(d, default_terms=PaymentTerms(30), **common)
    fill = runpy.run_path(str(BANK / "demo_statement.py"))["fill"]
    data = fill((BANK / "releve-demo.csv").read_text("utf-8"), repo.all(), date(2026, 12, 7))

    outcome = drop(bucket, importer, "bank/releve-demo.csv", data)

    assert (outcome.matched, outcome.to_review, outcome.debits) == (2, 1, 2)
    settled = {row.numbers[0]: (row.how, row.line.booked_on) for row in outcome.rows if row.numbers}
    by_client = {s.invoice.buyer.ref: s for s in repo.all() if s.invoice.number in settled}
    assert {ref: s.receivable.status.value for ref, s in by_client.items()} == {
        "C001": "paid",
        "C005": "paid",
    }
    assert settled[by_client["C001"].invoice.number] == ("number", date(2026, 12, 8))
    assert settled[by_client["C005"].invoice.number] == ("amount_and_name", date(2026, 12, 9))
    (review,) = [row for row in outcome.rows if row.to_review]
    assert "RHONE ENERGIES SOLIDAIRES" in review.line.label
    assert "is named but 1000.00 EUR differs from what is due" in review.reason
    assert read_statement(data, "releve-demo.csv").lines[0].account == "FR7630004008230001041763247"
    assert len(operator_inbox.messages()) == 1


# --- third-party statements --------------------------------------------------------------------------------


XS_NEWS = company(ref="XSNEWS", name="XS News")


def test_a_real_bank_export_dropped_in_the_bucket_is_matched_through_the_generate_function(
    runtime, bucket, resources, business, importer, operator_inbox
):
    """A Rabobank export (mpdroog/invoiced): its customer's credit of 4 425,25 € settles an
    invoice of that amount to "XS News" (the counterparty "XS NEWS B V"); the other credits,
    whose labels carry the author's own invoice numbers, wait for review."""
    (invoice,) = issue(resources, business, [(XS_NEWS, "3687.71")], group="xs-news").values()
    assert invoice.receivable.total == Decimal("4425.25")
    data = fixture_path("bank", "camt053", "invoiced", "CAMT053.xml").read_bytes()

    bucket.put("bank/rabobank/CAMT053.xml", data)
    runtime.run_until_idle()

    assert bucket.keys("processed/bank/") == ["processed/bank/rabobank/CAMT053.xml"]
    report = report_rows(bucket, "reports/bank/rabobank/CAMT053.xml.matches.csv")
    assert [(r["date"], r["montant"], r["facture"], r["rapprochement"]) for r in report] == [
        ("26/07/2016", "5823,83", "", "à vérifier"),
        ("15/08/2016", "4425,25", invoice.invoice.number, "montant et nom"),
        ("28/09/2016", "2982,99", "", "à vérifier"),
        ("11/10/2016", "4516,68", "", "à vérifier"),
    ]
    assert state(resources, invoice.invoice.number) == ("paid", Decimal("0.00"))
    assert "3 a verifier" in operator_inbox.messages()[0]["Subject"]


#: Third-party statements, each for what it brings: reversals, batches and CHF (PostFinance), the
#: Finnish guideline's batches and RF references, one credit in two files of one account
#: (genkgo v4 and v8: the same bank reference), EUR and CHF in one statement (UBS), debits only.
CAMT053 = (
    "viafintech/valid_example_v4.xml",
    "moov-io/FI_camt_053_sample.xml.xml",
    "genkgo/camt053.v4.xml",
    "genkgo/camt053.v8.xml",
    "viafintech/valid_example_v8.xml",
    "moov-io/statement_1.xml",
)


def test_third_party_statements_are_imported_credit_by_credit_and_twice_changes_nothing(
    bucket, resources, importer, invoices
):
    ledger = PaymentLedger(resources.payments_table)
    every_credit: set[str] = set()
    outcomes = {}
    for name in CAMT053:
        data = fixture_path("bank", "camt053", *name.split("/")).read_bytes()
        lines = read_statement(data, name).lines
        credits = {ln.line_id for ln in lines if ln.amount > 0}
        outcome = drop(bucket, importer, f"bank/fixtures/{name}", data)
        assert outcome.kind == "bank", name
        assert {row.line.line_id for row in outcome.rows} == credits, name
        assert outcome.debits == sum(1 for ln in lines if ln.amount <= 0), name
        # None of these customers is ours: every credit waits for a person, reversals saying so.
        assert all(row.how == "review" for row in outcome.rows), name
        assert all("reversal" in row.reason for row in outcome.rows if row.line.reversal), name
        # A line two files share (the same bank reference on the same account) is one credit.
        assert outcome.known == len(credits & every_credit), name
        every_credit |= credits
        outcomes[name] = (outcome, lines)
    assert len(every_credit) == 24 + 6 + 1 + 2
    assert outcomes["genkgo/camt053.v8.xml"][0].known == 1
    # PostFinance's two reversals give back credits (booked as debits): ignored, counted.
    postfinance, lines = outcomes["viafintech/valid_example_v4.xml"]
    reversals = {ln.line_id for ln in lines if ln.reversal}
    assert len(reversals) == 2
    assert not reversals & {row.line.line_id for row in postfinance.rows}
    assert outcomes["moov-io/statement_1.xml"][0].rows == ()
    assert {e.ref for e in ledger.to_review()} == every_credit
    assert sum(1 for e in ledger.to_review() if e.currency == "CHF") > 0

    before = ledger_items(resources)
    data = fixture_path("bank", "camt053", "moov-io", "FI_camt_053_sample.xml.xml").read_bytes()
    assert drop(bucket, importer, "bank/fixtures/again.xml", data).known == 6
    assert ledger_items(resources) == before

    wrong = fixture_path("bank", "camt053", "genkgo", "camt053.v2.wrong.xml").read_bytes()
    refused = drop(bucket, importer, "bank/fixtures/wrong.xml", wrong)
    assert (refused.kind, [p.code for p in refused.problems]) == ("rejected", ["no_statement"])
