"""Credit notes end to end: by the operator's command (core function) and from the input
file; their own numbering series; recorded against the invoice they correct, never beyond it."""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pdfplumber
import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.business import GenerateSettings
from invoicing.domain.invoice import CreditedLine
from invoicing.domain.receivable import Status
from invoicing.services.credit_notes import CreditNoteError, issue_credit_note
from invoicing.services.issuing import Issuer
from tests.conftest import sales_csv

SALES = sales_csv(
    [
        "C001;03/11/2026;Audit des processus;3;jour;850;20;BC-7;;",
        "C001;04/11/2026;Support de formation;10;pièce;12,50;5,5;BC-7;;",
        "C003;05/11/2026;Atelier cuisine;1;forfait;180;20;;;",
    ]
)


@pytest.fixture
def issued(runtime, bucket, resources, with_clients):
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()
    return {s.invoice.buyer.ref: s for s in InvoiceRepository(resources).all()}


def issuer_of(stack) -> Issuer:
    """The issuer as the operator's command builds it, from the deployed function's settings."""
    return Issuer.from_settings(GenerateSettings.from_env(stack.functions["GenerateFunction"].environment))


@pytest.fixture
def generator(stack) -> Issuer:
    return issuer_of(stack)


def text_of(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return " ".join((page.extract_text() or "") for page in doc.pages)


def test_operator_credits_part_of_an_invoice(generator, issued, resources, bucket):
    invoice = issued["C001"].invoice
    credit = issue_credit_note(
        generator, invoice.number, reason="Journée du 04/11 annulée", lines=(CreditedLine(1, Decimal(1)),)
    )
    assert credit.number == f"AV{invoice.issue_date.year}-00001"
    assert credit.is_credit_note
    # One day at 850.00 + 20 % VAT.
    assert (credit.total_excl_vat, credit.total_vat, credit.total_incl_vat) == (
        Decimal("850.00"),
        Decimal("170.00"),
        Decimal("1020.00"),
    )
    after = InvoiceRepository(resources).get_by_number(invoice.number)
    assert after.receivable.credited == Decimal("1020.00")
    assert after.receivable.status is Status.SENT  # partly credited: still due for the rest
    text = text_of(bucket.get(credit.pdf_key))
    assert "AVOIR" in text
    assert f"Avoir sur la facture {invoice.number}" in text
    assert "Journée du 04/11 annulée" in text


def test_the_same_request_twice_makes_one_credit_note(generator, issued, resources):
    number = issued["C003"].invoice.number
    first = issue_credit_note(generator, number, reason="Annulation")
    again = issue_credit_note(generator, number, reason="Annulation")
    assert first.created
    assert again.number == first.number
    assert not again.created
    assert (
        InvoiceRepository(resources).get_by_number(number).receivable.credited
        == issued["C003"].invoice.totals.grand_total
    )


def test_full_credit_closes_the_invoice_and_its_reminders(generator, issued, resources):
    stored = issued["C003"]
    issue_credit_note(generator, stored.invoice.number, reason="Facturé par erreur")
    after = InvoiceRepository(resources).get_by_number(stored.invoice.number)
    assert after.receivable.status is Status.CREDITED
    assert after.receivable.credited == stored.invoice.totals.grand_total
    due = {s.invoice.number for s in InvoiceRepository(resources).due_for_action(stored.invoice.due_date)}
    assert stored.invoice.number not in due


def test_a_credit_note_never_exceeds_the_invoice(generator, issued, resources):
    number = issued["C003"].invoice.number
    issue_credit_note(generator, number, reason="Annulation totale")
    with pytest.raises(CreditNoteError, match="exceeds"):
        issue_credit_note(generator, number, reason="Une seconde fois", request_id="2")
    with pytest.raises(CreditNoteError, match="no invoice"):
        issue_credit_note(generator, "FA1999-99999", reason="?")
    with pytest.raises(CreditNoteError, match="no line 9"):
        issue_credit_note(
            generator, issued["C001"].invoice.number, reason="?", lines=(CreditedLine(9, Decimal(1)),)
        )


def test_two_credit_notes_at_once_cannot_both_pass(stack, issued, resources):
    """Each credits 2 of the 3 days (2040.00 of 3231.75 TTC): together they would exceed."""
    number = issued["C001"].invoice.number
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def operator(tag: str) -> None:
        generator = issuer_of(stack)
        start.wait()
        try:
            outcomes.append(
                issue_credit_note(
                    generator,
                    number,
                    reason="Remise commerciale",
                    lines=(CreditedLine(1, Decimal(2)),),
                    request_id=tag,
                )
            )
        except CreditNoteError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=operator, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    issued_notes = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(issued_notes) == 1
    assert len(refused) == 1
    # Refused in the numbering transaction, by the line's quantity (2 + 2 of 3 days).
    assert "would be credited of 3 invoiced (2 already)" in str(refused[0])
    after = InvoiceRepository(resources).get_by_number(number)
    assert after.receivable.credited == Decimal("2040.00")
    credit_notes = [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]
    assert [c.invoice.number for c in credit_notes] == [issued_notes[0].number]  # no number burnt


def test_credit_note_from_the_input_file(runtime, bucket, resources, issued):
    invoice = issued["C003"].invoice
    header = "client;date;description;quantite;unite;prix_unitaire_ht;tva;type;facture_origine;motif\n"
    bucket.put(
        "incoming/avoirs.csv",
        header + f"C003;05/11/2026;Atelier cuisine;1;forfait;180;20;avoir;{invoice.number};Atelier annulé\n",
    )
    runtime.run_until_idle()
    notes = [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]
    assert len(notes) == 1
    note = notes[0].invoice
    assert note.draft.corrects.number == invoice.number
    assert note.draft.corrects.issue_date == invoice.issue_date
    assert note.totals.grand_total == invoice.totals.grand_total
    assert InvoiceRepository(resources).get_by_number(invoice.number).receivable.status is Status.CREDITED
    assert "Atelier annulé" in text_of(bucket.get(notes[0].pdf_key))


def test_credit_note_file_naming_an_unknown_invoice_is_refused(runtime, bucket, resources, issued):
    header = "client;date;description;quantite;unite;prix_unitaire_ht;tva;type;facture_origine;motif\n"
    bucket.put(
        "incoming/avoirs.csv", header + "C003;05/11/2026;Atelier;1;forfait;180;20;avoir;FA1999-00001;Erreur\n"
    )
    runtime.run_until_idle()
    report = bucket.get("reports/avoirs.csv.errors.csv").decode("utf-8-sig")
    assert "FA1999-00001" in report
    assert not [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]


@pytest.mark.parametrize("reason", ["Erreur\x0bde prix", "Evil\u202eCorp", "咨询服务"])
def test_a_reason_the_document_cannot_carry_is_refused_before_numbering(generator, issued, resources, reason):
    number = issued["C003"].invoice.number
    with pytest.raises(CreditNoteError, match="characters"):
        issue_credit_note(generator, number, reason=reason)
    assert not [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]
    assert InvoiceRepository(resources).get_by_number(number).receivable.credited == Decimal(0)


def test_the_same_line_twice_in_one_request_is_summed(generator, issued, resources):
    """Issue 7: `--line 1:100 --line 1:100` on a 100 kg line credited 200 kg."""
    number = issued["C001"].invoice.number  # line 1: 3 days
    with pytest.raises(CreditNoteError, match=r"line 1 of .*: 4 would be credited of 3"):
        issue_credit_note(
            generator,
            number,
            reason="Deux fois",
            lines=(CreditedLine(1, Decimal(2)), CreditedLine(1, Decimal(2))),
        )
    assert not [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]


def test_credited_quantities_add_up_across_credit_notes(generator, issued, resources):
    number = issued["C001"].invoice.number
    issue_credit_note(generator, number, reason="Un jour", lines=(CreditedLine(1, Decimal(2)),))
    with pytest.raises(CreditNoteError, match=r"\(2 already\)"):
        issue_credit_note(generator, number, reason="Deux jours", lines=(CreditedLine(1, Decimal(2)),))
    last = issue_credit_note(generator, number, reason="Le dernier", lines=(CreditedLine(1, Decimal(1)),))
    assert last.created
    after = InvoiceRepository(resources).get_by_number(number).receivable
    assert after.credited_quantity(1) == Decimal(3)


def test_a_credit_note_from_a_file_goes_to_the_buyer_as_invoiced(runtime, bucket, resources, issued):
    """The clients file renamed C001 (a takeover, new SIREN) before the credit note: the credit
    note still goes to the company that was invoiced."""
    invoice = issued["C001"].invoice
    bucket.put(
        "incoming/clients/rachat.csv",
        "reference;nom;adresse;code_postal;ville;siren\n"
        "C001;Nouvelle Société SAS;1 place Bellecour;69002;Lyon;732829320\n",
    )
    runtime.run_until_idle()
    header = "client;date;description;quantite;unite;prix_unitaire_ht;tva;type;facture_origine;motif\n"
    bucket.put(
        "incoming/avoirs.csv",
        header + f"C001;03/11/2026;Audit des processus;1;jour;850;20;avoir;{invoice.number};Jour annulé\n",
    )
    runtime.run_until_idle()
    (note,) = [s for s in InvoiceRepository(resources).all() if s.invoice.is_credit_note]
    assert note.invoice.buyer == invoice.buyer
    assert note.invoice.buyer.name == "Boulangerie Lefèvre SAS"
