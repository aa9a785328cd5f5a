"""Bank credits to open invoices (invoicing.domain.matching): every rule and refusal on hand-built
bank lines, and a property over random batches."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.domain.matching import Match, OpenInvoice, match_credits, name_words
from invoicing.ingest.bank import BankLine

D = Decimal


def line(
    label: str,
    amount: str,
    *,
    line_id: str = "L1",
    booked_on: date = date(2026, 3, 2),
    counterparty: str | None = None,
    currency: str = "EUR",
    reversal: bool = False,
) -> BankLine:
    return BankLine(
        line_id, "FR7630001007941234567890185", booked_on, D(amount), currency, label, counterparty, reversal
    )


def invoice(
    number: str, due: str, name: str = "Dupont Bâtiment SARL", *, currency: str = "EUR", ref: str = "C1"
) -> OpenInvoice:
    return OpenInvoice(f"id-{number}", number, ref, name, D(due), currency)


FA12 = invoice("FA2026-00012", "1200.00")
FA1 = invoice("FA2026-0001", "50.00", "Martin")
FA13 = invoice("FA2026-00013", "300.00", "Ourthe SA", ref="C2")


def only(matches: tuple[Match, ...]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


# -- rule 1: invoice numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "VIR SEPA FA2026-00012",
        "fa 2026 00012",
        "FA202600012",
        "Facture FA2026/00012",
        "REF:fa.2026.00012 merci",
        "Paiement facture n°FA2026_00012.",
        "fA2026 - 00012",
    ],
)
def test_number_is_found_whatever_its_spelling(label: str) -> None:
    match = only(match_credits([line(label, "1200.00")], [FA12, FA1, FA13]))
    assert (match.invoice_id, match.number, match.amount, match.how) == (
        "id-FA2026-00012",
        "FA2026-00012",
        D("1200.00"),
        "number",
    )
    assert match.overpaid == 0
    assert "FA2026-00012" in match.reason


def test_a_shorter_number_is_not_read_inside_a_longer_one() -> None:
    # FA2026-0001 is a prefix of FA2026-00012: only the longer one is in the label.
    match = only(match_credits([line("FACTURE FA2026-00012", "1200.00")], [FA1, FA12]))
    assert match.invoice_id == "id-FA2026-00012"
    # Even when FA2026-00012 itself is not open, FA2026-0001 is not read inside it.
    match = only(match_credits([line("FACTURE FA2026-00012", "50.00")], [FA1]))
    assert match.how == "review"
    # ...nor when the label runs on with letters or digits.
    assert only(match_credits([line("FA2026-0001X", "50.00")], [FA1])).how == "review"
    assert only(match_credits([line("XFA2026-0001", "50.00")], [FA1])).how == "review"


def test_a_number_split_by_other_punctuation_is_not_a_number() -> None:
    assert only(match_credits([line("FA2026:00012", "1200.00")], [FA12])).how == "review"
    assert only(match_credits([line("FA2026 -- / 00012", "1200.00")], [FA12])).how == "review"


def test_the_shorter_number_alone_is_found() -> None:
    match = only(match_credits([line("FA2026-0001 paiement", "50.00")], [FA1, FA12]))
    assert match.invoice_id == "id-FA2026-0001"


def test_several_numbers_are_matched_when_the_credit_is_their_sum() -> None:
    matches = match_credits([line("FA2026-00012 et FA2026-00013", "1500.00")], [FA12, FA13])
    assert [(m.line_id, m.invoice_id, m.amount, m.how) for m in matches] == [
        ("L1", "id-FA2026-00012", D("1200.00"), "number"),
        ("L1", "id-FA2026-00013", D("300.00"), "number"),
    ]
    assert sum(m.amount for m in matches) == D("1500.00")


def test_several_numbers_go_to_review_when_the_credit_is_not_their_sum() -> None:
    match = only(match_credits([line("FA2026-00012 FA2026-00013", "1400.00")], [FA12, FA13]))
    assert (match.invoice_id, match.number, match.how, match.amount) == (None, None, "review", D("1400.00"))
    assert "1500.00" in match.reason
    assert "split" in match.reason


def test_the_same_number_twice_counts_once() -> None:
    match = only(match_credits([line("FA2026-00012 / fa2026 00012", "1200.00")], [FA12]))
    assert match.invoice_id == "id-FA2026-00012"


def test_partial_payment_by_number_is_a_match_for_the_amount_paid() -> None:
    match = only(match_credits([line("FA2026-00012 acompte", "400.00")], [FA12]))
    assert (match.invoice_id, match.amount, match.how, match.overpaid) == (
        "id-FA2026-00012",
        D("400.00"),
        "number",
        0,
    )
    assert "partial payment" in match.reason
    assert "800.00" in match.reason  # still due


def test_overpayment_by_number_is_matched_and_flagged() -> None:
    match = only(match_credits([line("FA2026-00012", "1250.00")], [FA12]))
    assert (match.invoice_id, match.amount, match.how, match.overpaid) == (
        "id-FA2026-00012",
        D("1250.00"),
        "number",
        D("50.00"),
    )
    assert "overpayment" in match.reason


def test_a_number_of_another_currency_goes_to_review() -> None:
    usd = invoice("FA2026-00020", "100.00", currency="USD")
    match = only(match_credits([line("FA2026-00020", "100.00")], [usd]))
    assert match.how == "review"
    assert "USD" in match.reason


def test_numbers_spelled_alike_go_to_review() -> None:
    twins = [invoice("FA2026-00012", "10.00"), invoice("FA202600012", "10.00")]
    match = only(match_credits([line("FA2026 00012", "10.00")], twins))
    assert match.how == "review"
    assert "alike" in match.reason


def test_a_number_wins_over_amount_and_name() -> None:
    other = invoice("FA2026-00099", "300.00", "Ourthe SA")
    match = only(match_credits([line("OURTHE FA2026-00012", "300.00")], [FA12, other]))
    assert (match.invoice_id, match.how) == ("id-FA2026-00012", "number")


# -- rule 2: exact amount and client name ---------------------------------------------------------


def test_amount_and_name_in_the_label() -> None:
    match = only(match_credits([line("VIR SEPA DUPONT BATIMENT", "1200.00")], [FA12, FA13]))
    assert (match.invoice_id, match.number, match.how, match.amount) == (
        "id-FA2026-00012",
        "FA2026-00012",
        "amount_and_name",
        D("1200.00"),
    )


def test_amount_and_name_in_the_counterparty() -> None:
    lines = [line("VIREMENT RECU", "300.00", counterparty="S.A. OURTHE")]
    match = only(match_credits(lines, [FA12, FA13]))
    assert (match.invoice_id, match.how) == ("id-FA2026-00013", "amount_and_name")


def test_the_amount_equals_the_due_exactly() -> None:
    match = only(match_credits([line("DUPONT BATIMENT", "1200.0")], [FA12]))
    assert match.how == "amount_and_name"  # 1200.0 == 1200.00
    match = only(match_credits([line("DUPONT BATIMENT", "1199.99")], [FA12]))
    assert match.how == "review"
    assert "differs" in match.reason


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Dupont Bâtiment SARL", "dupont batiment"),
        ("SAS Élan & Cie", "ELAN CIE"),
        ("L'Atelier du Bois EURL", "VIR L ATELIER DU BOIS"),
        ("Société Générale de Peinture S.A.S.", "STE SOCIETE GENERALE DE PEINTURE"),
    ],
)
def test_names_compare_without_case_accents_legal_forms_or_punctuation(name: str, text: str) -> None:
    match = only(match_credits([line(text, "10.00")], [invoice("FA9", "10.00", name)]))
    assert match.how == "amount_and_name"


def test_a_name_is_matched_as_whole_words() -> None:
    # "MARTIN" is not in "MARTINEZ".
    match = only(match_credits([line("VIR MARTINEZ", "50.00")], [FA1]))
    assert match.how == "review"
    assert "no client" in match.reason


def test_a_name_made_only_of_a_legal_form_never_matches() -> None:
    assert name_words("S.A.R.L.") == ()
    match = only(match_credits([line("VIR SARL", "10.00")], [invoice("FA9", "10.00", "SARL")]))
    assert match.how == "review"


def test_two_invoices_qualifying_go_to_review() -> None:
    twins = [invoice("FA2026-00030", "99.00"), invoice("FA2026-00031", "99.00")]
    match = only(match_credits([line("DUPONT BATIMENT", "99.00")], twins))
    assert match.how == "review"
    assert "FA2026-00030" in match.reason
    assert "FA2026-00031" in match.reason
    assert "2 invoices qualify" in match.reason


def test_amount_without_name_goes_to_review() -> None:
    match = only(match_credits([line("VIR INCONNU", "1200.00")], [FA12]))
    assert match.how == "review"
    assert "FA2026-00012" in match.reason
    assert "named" in match.reason


def test_nothing_recognised_goes_to_review() -> None:
    match = only(match_credits([line("VIR INCONNU", "7.00")], [FA12]))
    assert (match.invoice_id, match.how, match.amount) == (None, "review", D("7.00"))
    assert "no invoice number" in match.reason


def test_the_currency_must_agree_for_amount_and_name() -> None:
    match = only(match_credits([line("DUPONT BATIMENT", "1200.00", currency="USD")], [FA12]))
    assert match.how == "review"


# -- what is not a payment --------------------------------------------------------------------------


def test_debits_and_zero_lines_are_not_returned() -> None:
    lines = [line("FA2026-00012", "-1200.00", line_id="D1"), line("FA2026-00012", "0.00", line_id="Z1")]
    assert match_credits(lines, [FA12]) == ()


def test_a_reversal_credit_goes_to_review() -> None:
    match = only(match_credits([line("RETOUR FA2026-00012", "1200.00", reversal=True)], [FA12]))
    assert (match.invoice_id, match.how) == (None, "review")
    assert "reversal" in match.reason


# -- several credits in one call ----------------------------------------------------------------------


def test_an_invoice_is_not_settled_twice() -> None:
    first = line("FA2026-00012", "1200.00", line_id="A", booked_on=date(2026, 3, 1))
    second = line("FA2026-00012", "1200.00", line_id="B", booked_on=date(2026, 3, 5))
    matches = match_credits([second, first], [FA12])  # processed in booked_on order
    assert [(m.line_id, m.how) for m in matches] == [("A", "number"), ("B", "review")]
    assert "already settled by line A" in matches[1].reason


def test_partial_payments_add_up_then_the_rest_is_an_overpayment() -> None:
    lines = [
        line("FA2026-00012", "1000.00", line_id="A", booked_on=date(2026, 3, 1)),
        line("FA2026-00012", "300.00", line_id="B", booked_on=date(2026, 3, 2)),
    ]
    first, second = match_credits(lines, [FA12])
    assert (first.amount, first.overpaid) == (D("1000.00"), 0)
    assert (second.amount, second.overpaid, second.how) == (D("300.00"), D("100.00"), "number")


def test_amount_and_name_uses_what_is_still_due() -> None:
    lines = [
        line("FA2026-00012", "1000.00", line_id="A", booked_on=date(2026, 3, 1)),
        line("DUPONT BATIMENT SOLDE", "200.00", line_id="B", booked_on=date(2026, 3, 2)),
    ]
    matches = match_credits(lines, [FA12])
    assert [(m.line_id, m.invoice_id, m.how) for m in matches] == [
        ("A", "id-FA2026-00012", "number"),
        ("B", "id-FA2026-00012", "amount_and_name"),
    ]


def test_the_first_of_two_same_amount_credits_takes_the_invoice() -> None:
    lines = [
        line("DUPONT BATIMENT", "1200.00", line_id="B", booked_on=date(2026, 3, 2)),
        line("DUPONT BATIMENT", "1200.00", line_id="A", booked_on=date(2026, 3, 2)),
    ]
    matches = match_credits(lines, [FA12])
    assert [(m.line_id, m.how) for m in matches] == [("A", "amount_and_name"), ("B", "review")]


def test_repeated_ids_are_refused_unless_identical() -> None:
    same = line("FA2026-00012", "1200.00")
    assert len(match_credits([same, same], [FA12])) == 1
    with pytest.raises(ValueError, match="line id"):
        match_credits([same, line("autre", "5.00")], [FA12])
    with pytest.raises(ValueError, match="invoice id"):
        match_credits([same], [FA12, invoice("FA2026-00012", "1.00")])


def test_an_open_invoice_refuses_a_negative_or_non_decimal_due() -> None:
    with pytest.raises(ValueError, match="negative"):
        invoice("FA1", "-1.00")
    with pytest.raises(ValueError, match="Decimal"):
        OpenInvoice("i", "FA1", "C", "X", 1.0)  # type: ignore[arg-type]


def test_same_input_same_output_whatever_the_order() -> None:
    lines = [
        line("FA2026-00012", "600.00", line_id="A", booked_on=date(2026, 3, 1)),
        line("OURTHE", "300.00", line_id="B", booked_on=date(2026, 3, 1)),
        line("FA2026-00012 FA2026-0001", "650.00", line_id="C", booked_on=date(2026, 3, 3)),
        line("VIR", "-20.00", line_id="D", booked_on=date(2026, 3, 3)),
        line("MARTIN", "50.00", line_id="E", booked_on=date(2026, 3, 4)),
    ]
    invoices = [FA12, FA1, FA13]
    expected = match_credits(lines, invoices)
    assert match_credits(lines, invoices) == expected
    shuffler = random.Random(7)
    for _ in range(5):
        shuffler.shuffle(lines)
        shuffler.shuffle(invoices)
        assert match_credits(lines, invoices) == expected
    assert [(m.line_id, m.invoice_id, m.how) for m in expected] == [
        ("A", "id-FA2026-00012", "number"),
        ("B", "id-FA2026-00013", "amount_and_name"),
        ("C", "id-FA2026-00012", "number"),
        ("C", "id-FA2026-0001", "number"),
        ("E", None, "review"),  # FA2026-0001 was settled by C
    ]


# -- property -------------------------------------------------------------------------------------------

_NAMES = ("Dupont Bâtiment SARL", "Martin", "Ourthe SA", "Élan SAS")
_SPELLINGS = ("{p}{y}-{s}", "{p} {y} {s}", "{p}{y}{s}", "{p}{y}/{s}", "{p}.{y}.{s}")


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[BankLine], list[OpenInvoice]]:
    count = draw(st.integers(1, 6))
    cents = st.integers(1, 50_000).map(lambda c: D(c) / 100)
    invoices = [
        OpenInvoice(
            f"i{n}",
            f"FA2026-{n:0{draw(st.sampled_from((4, 5)))}d}",
            f"C{n}",
            draw(st.sampled_from(_NAMES)),
            draw(cents),
        )
        for n in range(1, count + 1)
    ]
    lines = []
    for n in range(draw(st.integers(0, 10))):
        words = []
        for inv in draw(st.lists(st.sampled_from(invoices), max_size=3)):
            prefix, year, seq = inv.number[:2], inv.number[2:6], inv.number[7:]
            spelling = draw(st.sampled_from(_SPELLINGS)).format(p=prefix, y=year, s=seq)
            words.append(spelling.lower() if draw(st.booleans()) else spelling)
        if draw(st.booleans()):
            words.append(draw(st.sampled_from(_NAMES)).upper())
        amount = draw(
            st.one_of(
                cents,
                st.sampled_from([inv.due for inv in invoices]),
                st.just(sum((inv.due for inv in invoices[:2]), D(0))),
                cents.map(lambda a: -a),
            )
        )
        lines.append(
            BankLine(
                f"L{n}",
                None,
                date(2026, 3, draw(st.integers(1, 5))),
                amount,
                "EUR",
                " ".join(words),
                draw(st.sampled_from((None, *_NAMES))),
                draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return lines, invoices


@settings(max_examples=150, deadline=None)
@given(batches())
def test_no_invoice_receives_more_than_its_due_and_every_credit_is_answered_once(
    batch: tuple[list[BankLine], list[OpenInvoice]],
) -> None:
    lines, invoices = batch
    matches = match_credits(lines, invoices)
    assert match_credits(lines, invoices) == matches

    due = {inv.invoice_id: inv.due for inv in invoices}
    received: dict[str, Decimal] = defaultdict(Decimal)
    flagged: dict[str, Decimal] = defaultdict(Decimal)
    by_line: dict[str, list[Match]] = defaultdict(list)
    for match in matches:
        by_line[match.line_id].append(match)
        if match.how == "review":
            assert (match.invoice_id, match.number, match.overpaid) == (None, None, 0)
            continue
        assert match.how in {"number", "amount_and_name"}
        assert match.invoice_id in due
        assert match.amount > 0
        received[match.invoice_id] += match.amount
        flagged[match.invoice_id] += match.overpaid
        if match.overpaid:
            assert "overpayment" in match.reason
    for invoice_id, amount in received.items():
        assert amount <= due[invoice_id] + flagged[invoice_id]
        assert amount - flagged[invoice_id] <= due[invoice_id]

    credits = {ln.line_id: ln for ln in lines if ln.amount > 0}
    assert set(by_line) == set(credits)  # debits are not returned; every credit is
    for line_id, answered in by_line.items():
        assert sum(m.amount for m in answered) == credits[line_id].amount
        kinds = {m.how for m in answered}
        # One answer per credit: a single match or review, or one split across distinct invoices.
        assert len(answered) == 1 or (
            kinds == {"number"} and len({m.invoice_id for m in answered}) == len(answered)
        )
        if credits[line_id].reversal:
            assert kinds == {"review"}
