"""Sales rows to drafts: validation of every row first, then grouping into invoices and credit notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from ingest_helpers import codes, rejected, sales_csv, table_from

from invoicing.domain.invoice import Discount, DocumentType, InvoiceReference, issue
from invoicing.domain.parties import Client, Seller
from invoicing.domain.problems import Problem
from invoicing.domain.receivable import open_receivable
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatCategory, VatTreatment
from invoicing.ingest.sales import InvoiceLookup, parse_sales
from invoicing.ingest.table import MAX_PROBLEMS
from tests import factories


@pytest.fixture
def parse(clients: dict[str, Client], seller: Seller):
    """parse(*rows, seller=..., find_invoice=...) -> drafts, with rows as in ``sales_csv``."""

    def run(*rows: dict[str, str], data: bytes | None = None, **options):
        table = table_from(data if data is not None else sales_csv(*rows))
        options.setdefault("seller", seller)
        return parse_sales(
            table, clients=clients, file_key="incoming/ventes.csv", file_sha256="ab" * 32, **options
        )

    return run


# ------------------------------------------------------------------------------- one line


def test_a_row_becomes_a_line_with_its_source_row_and_service_date(parse, clients) -> None:
    (draft,) = parse(
        {
            "client": "C001",
            "date": "05/11/2026",
            "description": "Audit logistique",
            "quantite": "3,5",
            "unite": "h",
            "prix_unitaire_ht": "95,00",
            "tva": "20 %",
        }
    )
    assert draft.document_type is DocumentType.INVOICE
    assert draft.buyer == clients["C001"]
    (line,) = draft.lines
    assert line.description == "Audit logistique"
    assert line.quantity == Decimal("3.5")
    assert line.unit == "h"
    assert line.unit_price == Decimal("95.00")
    assert line.vat == VatTreatment.standard(Decimal("20"))
    assert line.service_date == date(2026, 11, 5)
    assert line.source_row == 2
    assert line.discount is None
    assert (draft.period_start, draft.period_end) == (date(2026, 11, 5), date(2026, 11, 5))
    assert draft.order_ref is None
    assert draft.source is not None
    assert draft.source.file_key == "incoming/ventes.csv"
    assert draft.source.group == "C001|380|month:2026-11"
    assert draft.totals().grand_total == Decimal("399.00")


def test_client_reference_matches_without_case_and_surrounding_spaces(parse, clients) -> None:
    drafts = parse({"client": " c001 "}, {"client": "C002"})
    assert [d.buyer.ref for d in drafts] == ["C001", "c002"]


def test_blank_unit_is_u_and_decimal_point_works_too(parse) -> None:
    (draft,) = parse({"unite": "", "quantite": "1.25", "prix_unitaire_ht": "1,234.50"})
    assert draft.lines[0].unit == "u"
    assert draft.lines[0].gross_amount == Decimal("1543.13")


def test_discounts_percent_and_amount(parse) -> None:
    (draft,) = parse(
        {"quantite": "2", "prix_unitaire_ht": "100", "remise": "10 %"},
        {"quantite": "1", "prix_unitaire_ht": "80", "remise": "15,00"},
    )
    first, second = draft.lines
    assert first.discount == Discount(percent=Decimal("10"))
    assert first.net_amount == Decimal("180.00")
    assert second.discount == Discount(amount=Decimal("15.00"))
    assert second.net_amount == Decimal("65.00")


def test_discount_larger_than_the_line_is_refused(parse) -> None:
    problems = rejected(lambda: parse({"quantite": "1", "prix_unitaire_ht": "100", "remise": "150,00"}))
    assert problems == (Problem("discount_too_large", row=2, column="remise", value="150,00"),)


def test_exemptions_and_franchise(parse, franchise_seller) -> None:
    (draft,) = parse({"client": "BE-OURTHE", "tva": "0", "exoneration": "autoliquidation"})
    assert draft.lines[0].vat.category is VatCategory.REVERSE_CHARGE
    assert draft.totals().vat_total == 0
    (draft,) = parse({"tva": ""}, {"tva": "0"}, seller=franchise_seller)
    assert {line.vat for line in draft.lines} == {VatTreatment.exempt("franchise")}
    problems = rejected(lambda: parse({"tva": "20 %"}, seller=franchise_seller))
    assert problems == (Problem("franchise_with_vat", row=2, column="tva", value="20 %"),)


# -------------------------------------------------------------------------------- grouping


def test_grouping_by_order_reference_and_by_calendar_month(parse) -> None:
    drafts = parse(
        {"client": "C001", "date": "03/11/2026", "description": "A", "reference_commande": "BC-114"},  # 2
        {"client": "C001", "date": "04/11/2026", "description": "B"},  # 3
        {"client": "c002", "date": "05/11/2026", "description": "C"},  # 4
        {"client": "C001", "date": "28/11/2026", "description": "D", "reference_commande": "BC-114"},  # 5
        {"client": "C001", "date": "01/12/2026", "description": "E"},  # 6
        {"client": "C001", "date": "30/11/2026", "description": "F"},  # 7
        {"client": "C001", "date": "02/12/2026", "description": "G", "reference_commande": "BC-114"},  # 8
    )
    assert [d.source.group for d in drafts if d.source] == [
        "C001|380|order:BC-114",
        "C001|380|month:2026-11",
        "c002|380|month:2026-11",
        "C001|380|month:2026-12",
    ]
    assert [[line.description for line in d.lines] for d in drafts] == [
        ["A", "D", "G"],
        ["B", "F"],
        ["C"],
        ["E"],
    ]
    assert [[line.source_row for line in d.lines] for d in drafts] == [[2, 5, 8], [3, 7], [4], [6]]
    order = drafts[0]
    assert order.order_ref == "BC-114"
    assert (order.period_start, order.period_end) == (date(2026, 11, 3), date(2026, 12, 2))
    assert drafts[1].order_ref is None
    assert (drafts[1].period_start, drafts[1].period_end) == (date(2026, 11, 4), date(2026, 11, 30))


def test_same_file_gives_same_invoice_ids_and_groups_get_distinct_ones(parse) -> None:
    rows = ({"reference_commande": "BC-1"}, {"reference_commande": "BC-2"}, {})
    first = [d.source.invoice_id for d in parse(*rows) if d.source]
    again = [d.source.invoice_id for d in parse(*rows) if d.source]
    assert first == again
    assert len(set(first)) == 3


# ---------------------------------------------------------------------------- credit notes


def invoiced(*lines, buyer: Client | None = None) -> InvoiceLookup:
    """An issued invoice of C001 (the buyer as invoiced), and its running state."""
    buyer = buyer or factories.company()
    invoice = issue(
        factories.draft(buyer, *lines),
        seller=factories.bare_seller(),
        number="FA2026-00012",
        issue_date=date(2026, 10, 31),
        default_terms=PaymentTerms(30),
        invoice_id="inv-12",
    )
    return InvoiceLookup(invoice.number, buyer.ref, invoice.issue_date, buyer, open_receivable(invoice))


#: 500.00 excl. VAT at 20 %: 600.00 incl. VAT.
INVOICE = invoiced(factories.line("Conseil", "1", "500", "20"))


def find(number: str) -> InvoiceLookup | None:
    return INVOICE if number == INVOICE.number else None


def credit_row(**values: str) -> dict[str, str]:
    row = {"type": "avoir", "facture_origine": "FA2026-00012", "motif": "Séance annulée"}
    row.update(values)
    return row


def test_credit_note_rows_become_a_credit_note_correcting_the_invoice(parse) -> None:
    drafts = parse(
        {"description": "Conseil"},
        credit_row(description="Annulation séance 1", prix_unitaire_ht="200"),
        credit_row(description="Annulation séance 2", prix_unitaire_ht="200", date="04/11/2026"),
        find_invoice=find,
    )
    invoice, credit = drafts
    assert invoice.document_type is DocumentType.INVOICE
    assert credit.document_type is DocumentType.CREDIT_NOTE
    assert credit.corrects == InvoiceReference("FA2026-00012", date(2026, 10, 31))
    assert credit.credit_reason == "Séance annulée"
    assert credit.source is not None
    assert credit.source.group == "C001|381|corrects:FA2026-00012"
    assert [line.description for line in credit.lines] == ["Annulation séance 1", "Annulation séance 2"]
    assert credit.totals().grand_total == Decimal("480.00")
    assert (credit.period_start, credit.period_end) == (date(2026, 11, 3), date(2026, 11, 4))


def test_credit_note_type_spellings(parse) -> None:
    for spelling in ("Avoir", "credit", "credit note", "Credit_Note"):
        (draft,) = parse(credit_row(type=spelling), find_invoice=find)
        assert draft.document_type is DocumentType.CREDIT_NOTE


def test_credit_note_needs_the_corrected_invoice_and_a_reason(parse) -> None:
    problems = rejected(lambda: parse(credit_row(facture_origine=""), find_invoice=find))
    assert problems == (Problem("credit_note_needs_invoice", row=2, column="facture_origine", value=""),)
    problems = rejected(lambda: parse(credit_row(motif=""), credit_row(motif=""), find_invoice=find))
    assert problems == (Problem("required", row=2, column="motif", value=""),)


def test_credit_note_reason_given_once_is_enough_but_must_not_differ(parse) -> None:
    (draft,) = parse(credit_row(), credit_row(motif=""), find_invoice=find)
    assert draft.credit_reason == "Séance annulée"
    problems = rejected(lambda: parse(credit_row(), credit_row(motif="Erreur de prix"), find_invoice=find))
    assert codes(problems) == ["mixed_in_group"]
    assert (problems[0].row, problems[0].value, problems[0].params["first_row"]) == (3, "Erreur de prix", 2)


def test_credit_note_for_an_unknown_invoice(parse) -> None:
    problems = rejected(lambda: parse(credit_row(facture_origine="FA2026-99999"), find_invoice=find))
    assert problems == (Problem("unknown_invoice", row=2, column="facture_origine", value="FA2026-99999"),)
    assert "FA2026-99999" in problems[0].reason_fr
    # without a lookup every corrected invoice is unknown
    assert codes(rejected(lambda: parse(credit_row()))) == ["unknown_invoice"]


def test_credit_note_for_another_clients_invoice(parse) -> None:
    problems = rejected(lambda: parse(credit_row(client="c002"), find_invoice=find))
    assert codes(problems) == ["credit_note_other_client"]
    assert problems[0].params == {"number": "FA2026-00012", "owner": "C001"}


def test_credit_note_cannot_exceed_what_remains_creditable(parse) -> None:
    # 2 x 300 HT + 20 % = 720 TTC > 600 creditable
    problems = rejected(
        lambda: parse(
            credit_row(prix_unitaire_ht="300"), credit_row(prix_unitaire_ht="300"), find_invoice=find
        )
    )
    assert codes(problems) == ["credit_exceeds_invoice"]
    assert problems[0].row == 2
    assert problems[0].params == {"credit": "720.00", "number": "FA2026-00012", "remaining": "600.00"}
    assert (
        problems[0].reason_en
        == "The credit note (720.00) exceeds what remains of invoice FA2026-00012 (600.00)."
    )
    # exactly what remains is fine
    (draft,) = parse(credit_row(prix_unitaire_ht="500"), find_invoice=find)
    assert draft.totals().grand_total == Decimal("600.00")


def test_credit_note_at_a_rate_the_invoice_does_not_have_is_refused(parse) -> None:
    """Issue 7: an avoir at 20 % against an invoice at 5.5 % credited 175.83 of VAT where 55.00
    was charged. Credits are capped per rate, base and VAT."""
    at_5_5 = invoiced(factories.line("Épicerie", "1", "1000", "5.5"))
    problems = rejected(
        lambda: parse(credit_row(prix_unitaire_ht="879.17", tva="20"), find_invoice=lambda n: at_5_5)
    )
    assert codes(problems) == ["credit_rate_not_invoiced"]
    assert "5,5" not in problems[0].reason_fr
    assert "20 %" in problems[0].reason_fr


def test_credit_notes_are_capped_per_rate(parse) -> None:
    mixed = invoiced(factories.line("Vin", "1", "100", "20"), factories.line("Pain", "1", "100", "5.5"))
    # 100 at 20 % is all that rate has: 101 is refused although the total (121.20) is below
    # the invoice's (225.50).
    problems = rejected(
        lambda: parse(
            credit_row(prix_unitaire_ht="100", tva="20"),
            credit_row(prix_unitaire_ht="1", tva="20"),
            find_invoice=lambda n: mixed,
        )
    )
    assert codes(problems) == ["credit_exceeds_rate"]
    assert problems[0].params["basis"] == "101.00"
    assert problems[0].params["invoiced_basis"] == "100.00"
    (draft,) = parse(credit_row(prix_unitaire_ht="100", tva="5,5"), find_invoice=lambda n: mixed)
    assert draft.totals().vat_total == Decimal("5.50")


def test_a_credit_note_goes_to_the_buyer_as_invoiced(parse, clients) -> None:
    """The clients file changed C001's name and SIREN since: the credit note still goes to the
    entity that was invoiced."""
    then = factories.company(name="Ancienne Raison Sociale SARL", siren="552100554", vat_id="FR96552100554")
    lookup = invoiced(factories.line("Conseil", "1", "500", "20"), buyer=then)
    (draft,) = parse(credit_row(prix_unitaire_ht="100"), find_invoice=lambda n: lookup)
    assert draft.buyer == then
    assert draft.buyer != clients["C001"]


def test_invoice_row_naming_a_corrected_invoice_is_refused(parse) -> None:
    problems = rejected(lambda: parse({"facture_origine": "FA2026-00012"}, find_invoice=find))
    assert problems == (Problem("origin_on_invoice", row=2, column="facture_origine", value="FA2026-00012"),)


def test_unknown_document_type(parse) -> None:
    problems = rejected(lambda: parse({"type": "devis"}))
    assert problems == (Problem("bad_document_type", row=2, column="type", value="devis"),)


# ------------------------------------------------------------------------------ rejections


def test_all_problems_of_the_file_are_reported_at_once(parse) -> None:
    problems = rejected(
        lambda: parse(
            {"client": "C001"},
            {"client": "C999"},
            {"quantite": "abc"},
            {"client": "C001"},
            {"tva": "19,6 %"},
        )
    )
    assert problems == (
        Problem("unknown_client", row=3, column="client", value="C999"),
        Problem("bad_number", row=4, column="quantite", value="abc"),
        Problem("unknown_vat_rate", row=6, column="tva", value="19,6 %"),
    )


def test_every_bad_cell_of_one_row_is_reported(parse) -> None:
    problems = rejected(
        lambda: parse(
            {
                "client": "",
                "date": "31/02/2026",
                "description": "",
                "quantite": "-1",
                "prix_unitaire_ht": "-5",
            }
        )
    )
    assert [(p.code, p.column) for p in problems] == [
        ("required", "client"),
        ("bad_date", "date"),
        ("required", "description"),
        ("not_positive", "quantite"),
        ("negative", "prix_unitaire_ht"),
    ]
    assert {p.row for p in problems} == {2}


def test_problems_use_the_headers_as_written_in_the_file(parse) -> None:
    data = "Réf. client;Date;Désignation;Qté;PU HT (€);Taux TVA\nC001;03/11/2026;Audit;-2;100;20\n".encode()
    problems = rejected(lambda: parse(data=data))
    assert problems == (Problem("not_positive", row=2, column="Qté", value="-2"),)


def test_text_limits(parse) -> None:
    problems = rejected(lambda: parse({"description": "x" * 501}, {"reference_commande": "B" * 101}))
    assert [(p.code, p.row, p.params) for p in problems] == [
        ("text_too_long", 2, {"limit": 500}),
        ("text_too_long", 3, {"limit": 100}),
    ]


def test_missing_required_columns_reject_the_file(parse) -> None:
    data = b"client;date;description;quantite\nC001;03/11/2026;Audit;1\n"
    problems = rejected(lambda: parse(data=data))
    assert codes(problems) == ["missing_column", "missing_column"]
    assert [p.column for p in problems] == ["prix_unitaire_ht", "tva"]


def test_problems_are_capped_and_the_cap_is_said(parse) -> None:
    problems = rejected(lambda: parse(*[{"client": "NOPE"}] * (MAX_PROBLEMS + 200)))
    assert len(problems) == MAX_PROBLEMS
    assert problems[-1].code == "too_many_problems"
    assert problems[-2] == Problem("unknown_client", row=MAX_PROBLEMS, column="client", value="NOPE")
