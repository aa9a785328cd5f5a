"""Supplier intake's pure pieces: what a file is, corrections typed by the owner, the accounts file,
the owner's summary, the purchase an export books, and `invoicing extract` on real PDFs."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from invoicing.adapters.supplier_invoices import State, StoredSupplierInvoice
from invoicing.documents.supplier_summary import ATTACH_LIMIT, SummaryItem, compose_supplier_summary
from invoicing.domain.accounting import Account, AccountingError
from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, VatAmount
from invoicing.ingest.supplier_accounts import read_supplier_accounts
from invoicing.services.accounting_export import month_bounds, previous_month, purchase_of, supplier_ref
from invoicing.services.supplier_desk import SupplierRefused, corrected
from invoicing.services.supplier_intake import document_kind
from invoicing_tools.cli import main
from tests.conftest import fixture_path

D = Decimal


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\r\n\r\n%PDF-1.4 junk before the header", "application/pdf"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"II*\x00....", "image/tiff"),
        (b"MM\x00*....", "image/tiff"),
        (b"PK\x03\x04 a zip named facture.pdf", None),
        (b"MZ an executable", None),
        (b"<?xml version='1.0'?><note>not an invoice</note>", None),
        (b"", None),
    ],
)
def test_a_file_is_known_by_its_bytes_not_its_name(data: bytes, kind: str | None) -> None:
    assert document_kind("facture.pdf", "application/octet-stream", data) == kind


def test_an_e_invoice_xml_is_known_by_its_root() -> None:
    xml = fixture_path("facturx", "akretion", "xml", "factur-x-en16931.xml").read_bytes()
    assert document_kind("x.bin", "application/octet-stream", xml) == "application/xml"
    order = fixture_path("facturx", "akretion", "xml", "order-x-basic.xml").read_bytes()
    assert document_kind("order.xml", "text/xml", order) is None


BASE = SupplierInvoice(
    engine=Engine.TEXT,
    document_hash="c" * 64,
    supplier_name="Cabinet Lenoir",
    invoice_number="2026-118",
    issue_date=date(2026, 11, 20),
    total_excl_tax=D("850.00"),
    total_tax=D("170.00"),
    total_incl_tax=D("1020.00"),
    confidence={"supplier_name": 0.4},
)


def test_corrections_are_parsed_noted_and_trusted() -> None:
    after, notes = corrected(
        BASE,
        {"total_incl_tax": "1 020,50", "issue_date": "21/11/2026", "currency": "eur", "supplier_name": " X "},
    )
    assert (after.total_incl_tax, after.issue_date, after.currency, after.supplier_name) == (
        D("1020.50"),
        date(2026, 11, 21),
        "EUR",
        "X",
    )
    assert after.confidence["supplier_name"] == 1.0
    assert "total_incl_tax: 1020.00 -> 1020.50" in notes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total", "12", "a field is one of"),
        ("total_tax", "abc", "not an amount"),
        ("total_tax", "1.001", "not an amount in cents"),
        ("total_tax", "1E+999999", "not an amount"),
        ("total_tax", "NaN", "not an amount"),
        ("issue_date", "31/02/2026", "not a date"),
        ("currency", "euro", "3-letter"),
        ("supplier_name", "=HYPERLINK(\u202e)", "plain characters"),
        ("supplier_name", "x" * 300, "plain characters"),
    ],
)
def test_corrections_that_make_no_sense_are_refused_by_name(field: str, value: str, message: str) -> None:
    with pytest.raises(SupplierRefused, match=message):
        corrected(BASE, {field: value})


def test_the_accounts_file_maps_suppliers_and_says_what_it_left_out() -> None:
    data = (
        "fournisseur;compte;libellé\r\nPapeterie Martin;6064;Fournitures\r\n"
        "812457331;6226;Honoraires\r\nX;=1+1;\r\n;6064;\r\n"
    )
    accounts, problems = read_supplier_accounts(data.encode("cp1252"))
    # The legal form on the invoice does not hide the supplier the business named.
    assert accounts.account_for(supplier="PAPETERIE MARTIN SARL") == Account("6064", "Fournitures")
    assert accounts.account_for(supplier="Papeterie  martin") == Account("6064", "Fournitures")
    assert accounts.account_for(supplier="Anyone", siren="812457331") == Account("6226", "Honoraires")
    assert [(p.code, p.row) for p in problems] == [("bad_account", 4), ("required", 5)]


def test_an_accounts_file_without_its_columns_is_reported_not_applied() -> None:
    accounts, problems = read_supplier_accounts(b"nom;montant\r\nA;12\r\n")
    assert accounts.by_supplier == {}
    assert problems[0].code == "missing_column"


def item(**changes: object) -> SummaryItem:
    base = {
        "short_id": "0a641ee352b4",
        "file_name": "facture.pdf",
        "state": "to_review",
        "supplier": "Cabinet <b>Lenoir</b>\u202e",
        "number": "2026-118",
        "issue_date": "2026-11-20",
        "due_date": None,
        "total_excl_tax": D("850.00"),
        "total_tax": D("170.00"),
        "total_incl_tax": D("1020.00"),
        "currency": "EUR",
        "account": "6226 Honoraires",
        "engine": "text",
        "reasons_fr": ("Lecture incertaine de : fournisseur.",),
        "reasons_en": ("Uncertain reading of: supplier.",),
        "attachment": b"%PDF-1.4",
        "content_type": "application/pdf",
    }
    return SummaryItem(**{**base, **changes})  # type: ignore[arg-type]


def test_the_summary_says_what_waits_and_how_to_approve_it_with_nothing_active_in_it() -> None:
    message = compose_supplier_summary(
        [
            item(),
            item(
                short_id="77392ad965cb",
                state="ready",
                reasons_fr=(),
                reasons_en=(),
                attachment=b"x" * (ATTACH_LIMIT + 1),
            ),
        ],
        to="owner@example.fr",
        sender="factures@example.fr",
        business_name="Horizon",
        origin="un e-mail de a@b.fr (« Re: facture\r\nBcc: x@y.z »)",
        stack="horizon",
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Factures fournisseurs : 1 à valider sur 2"
    assert parsed["Bcc"] is None
    text = parsed.get_body(("plain",)).get_content()
    assert "invoicing suppliers approve 0a641ee352b4 --stack horizon" in text
    assert "1\u202f020,00 €" in text
    assert "\u202e" not in text
    html = parsed.get_body(("html",)).get_content()
    assert "<b>Lenoir</b>" not in html
    assert "&lt;b&gt;Lenoir&lt;/b&gt;" in html
    # The small document is attached; the one over the limit is not.
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["facture.pdf"]


def stored(**changes: object) -> StoredSupplierInvoice:
    invoice = SupplierInvoice(
        engine=Engine.FACTURX,
        document_hash="d" * 64,
        supplier_name="Papeterie Martin",
        supplier_siren="847319266",
        invoice_number="PM-1",
        issue_date=date(2026, 11, 2),
        total_excl_tax=D("100.00"),
        total_tax=D("25.50"),
        total_incl_tax=D("125.50"),
        vat=(VatAmount(D("20"), D("100.00"), D("20.00")), VatAmount(D("5.5"), D("100.00"), D("5.50"))),
    )
    base = StoredSupplierInvoice(
        invoice=invoice,
        state=State.READY,
        received_at=datetime(2026, 11, 3, tzinfo=UTC),
        document_key="supplier/2026/11/d.pdf",
        origin="inbox/upload/x.pdf",
        file_name="x.pdf",
        account=Account("6064", "Fournitures"),
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_purchase_is_booked_per_rate_on_the_supplier_s_name_account() -> None:
    purchase = purchase_of(stored())
    assert (purchase.number, purchase.vat) == ("PM-1", ((D("20"), D("20.00")), (D("5.5"), D("5.50"))))
    assert purchase.supplier_ref == supplier_ref("Papeterie Martin", "847319266")
    assert re.fullmatch(r"PAPETE[0-9A-Z]{2}", purchase.supplier_ref)


def test_suppliers_named_alike_keep_their_own_accounts_and_one_supplier_always_the_same() -> None:
    martin = supplier_ref("Papeterie Martin SARL", "847319266")
    assert martin == supplier_ref("PAPETERIE MARTIN", "847319266")
    refs = {
        supplier_ref(f"Papeterie {name}", siren)
        for name, siren in (("Martin", "847319266"), ("Dupont", "812457331"))
    }
    assert len(refs) == 2
    assert all(len("401" + ref) <= 11 for ref in refs)


def test_a_purchase_without_its_breakdown_posts_one_vat_line_and_one_without_totals_is_refused() -> None:
    from dataclasses import replace

    s = stored()
    assert purchase_of(replace(s, invoice=replace(s.invoice, vat=()))).vat == ((None, D("25.50")),)
    with pytest.raises(AccountingError, match="missing"):
        purchase_of(replace(s, invoice=replace(s.invoice, total_incl_tax=None)))


def test_months() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert previous_month(date(2027, 1, 1)) == "2026-12"
    for wrong in ("2026-13", "2026-+11", "2026-1", "../../x", " 2026-11", "0026-11"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            month_bounds(wrong)


def test_extract_prints_the_record_of_a_factur_x_pdf_from_its_xml_and_from_its_text(capsys) -> None:
    path = fixture_path("facturx", "mustang", "pdf-fr", "Facture_F20180027.pdf")
    assert main(["extract", str(path), "--json"]) == 0
    exact = json.loads(capsys.readouterr().out)
    for key in (
        "supplier_name",
        "supplier_vat_id",
        "supplier_siren",
        "invoice_number",
        "issue_date",
        "due_date",
        "currency",
        "total_excl_tax",
        "total_tax",
        "total_incl_tax",
        "amount_due",
        "lines",
        "engine",
        "confidence",
    ):
        assert key in exact
    assert (exact["engine"], exact["invoice_number"], exact["issue_date"], exact["total_incl_tax"]) == (
        "facturx",
        "F20180027",
        "2018-12-31",
        "110.00",
    )
    assert main(["extract", str(path), "--json", "--ignore-embedded-xml"]) == 0
    text = json.loads(capsys.readouterr().out)
    assert (text["engine"], text["invoice_number"], text["total_incl_tax"]) == ("text", "F20180027", "110.00")
    assert 0 < text["confidence"]["total_incl_tax"] <= 1


def test_extract_refuses_what_it_cannot_read_with_a_reason(tmp_path, capsys) -> None:
    junk = tmp_path / "facture.pdf"
    junk.write_bytes(b"PK\x03\x04 not a pdf")
    assert main(["extract", str(junk)]) == 1
    assert "not a PDF, an image or an e-invoice XML" in capsys.readouterr().err
    assert main(["extract", str(tmp_path / "absent.pdf")]) == 2
