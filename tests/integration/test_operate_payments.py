"""The operator's payments commands (``invoicing payments unmatched / assign / record / show``)
against the local stack's tables: a bank credit left for review is assigned and settles its
invoice; a cheque is recorded once; what cannot be recorded is refused, changing nothing.

As in test_operate.py, the commands get the ledger of the local stack built from its remind
function's environment with a fixed "today" (``operate.main(argv, cashbook_for=...)``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.payments import PaymentLedger
from invoicing.business import GenerateSettings
from invoicing.domain.invoice import Source
from invoicing.domain.terms import PaymentTerms
from invoicing.events import S3Object
from invoicing.services.bank_import import BankImport
from invoicing.services.cashbook import Cashbook, manual_group
from invoicing.services.desk import row as desk_row
from invoicing.settings import RemindSettings
from invoicing_tools import operate
from tests.factories import company, draft, line

TODAY = date(2026, 12, 10)
GARAGE = company(ref="C011", name="Garage du Centre")
STATEMENT = "Date;Libellé;Montant\n03/12/2026;VIR SEPA GARAGE DU CENTRE;240,00\n"


@pytest.fixture
def numbers(resources, business) -> list[str]:
    """Two invoices of 240,00 € to the same client (a credit naming it cannot tell which), and
    one of 120,00 €: FA2026-00001 ... 00003, issued on 24/11/2026."""
    repo = InvoiceRepository(resources)
    issued = []
    for index, price in enumerate(("200", "200", "100"), start=1):
        stored = repo.issue(
            draft(GARAGE, line(price=price), source=Source("incoming/p.csv", "p", f"row-{index}")),
            seller=business.seller,
            numbering=business.invoice_numbering,
            issue_date=date(2026, 11, 24),
            default_terms=PaymentTerms(30),
        )
        issued.append(stored.invoice.number)
    return issued


@pytest.fixture
def invoicing(stack, capsys):
    """Run one ``invoicing payments ...`` command against the local stack: (code, stdout, stderr)."""
    settings = RemindSettings.from_env(stack.functions["RemindFunction"].environment)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = operate.main(
            ["payments", *argv, "--stack", stack.name],
            cashbook_for=lambda name: Cashbook.from_settings(settings, today=lambda: TODAY),
        )
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def import_statement(stack, bucket, data: str) -> None:
    importer = BankImport.from_settings(
        GenerateSettings.from_env(stack.functions["GenerateFunction"].environment)
    )
    bucket.put("bank/releve.csv", data)
    head = bucket.s3.head_object(Bucket=bucket.name, Key="bank/releve.csv")
    importer.process(S3Object(bucket.name, "bank/releve.csv", head.get("VersionId"), head["ETag"].strip('"')))


def receivable(resources, number: str):
    return InvoiceRepository(resources).get_by_number(number).receivable


def test_an_unmatched_credit_is_assigned_and_pays_its_invoice(invoicing, stack, bucket, resources, numbers):
    first, second, third = numbers
    import_statement(stack, bucket, STATEMENT)

    code, out, _ = invoicing("unmatched", "--json")
    assert code == 0
    (row,) = json.loads(out)
    group = row["group"]
    assert group.startswith("bank:csv:sha256:")
    assert (row["on"], row["amount"], row["currency"], row["source"]) == (
        "2026-12-03",
        "240.00",
        "EUR",
        "bank",
    )
    assert (row["label"], row["how"], row["invoice"]) == ("VIR SEPA GARAGE DU CENTRE", "review", None)
    assert f"2 invoices qualify ({first}, {second}" in row["reason"]
    code, out, _ = invoicing("unmatched")
    assert code == 0
    assert group in out
    assert "VIR SEPA GARAGE DU CENTRE" in out
    assert out.splitlines()[-1].startswith("1 unmatched payment(s), 240.00 EUR")

    # Refusals first: nothing changes.
    assert invoicing("assign", "bank:nothing-like-it", second)[0] == 1
    code, out, _ = invoicing("assign", group, "FA2026-99999", "--json")
    assert (code, json.loads(out)) == (1, {"error": "no invoice numbered 'FA2026-99999'"})
    assert PaymentLedger(resources.payments_table).get(group).invoice_id is None

    # A unique beginning of the group is enough.
    code, out, err = invoicing("assign", group[:30], second)
    assert (code, err) == (0, "")
    assert out == f"{group}: assigned to {second}; {second} is paid, due 0.00\n"
    assert receivable(resources, second).status.value == "paid"
    assert [p.payment_id for p in receivable(resources, second).payments] == [group]
    assert receivable(resources, first).due == Decimal("240.00")
    assert invoicing("unmatched") == (0, "no unmatched payment\n", "")

    # Once assigned, the payment stays with its invoice.
    code, out, _ = invoicing("assign", group, second)
    assert (code, out.split(";")[0]) == (0, f"{group}: already assigned to {second}")
    code, out, _ = invoicing("assign", group, third, "--json")
    assert (code, json.loads(out)) == (1, {"error": f"{group} already pays {second}"})

    code, out, _ = invoicing("show", second, "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["paid"], shown["due"]) == ("paid", "240.00", "0.00")
    assert [(p["group"], p["how"], p["amount"]) for p in shown["payments"]] == [(group, "assigned", "240.00")]

    # The statement imported again keeps the operator's decision, and its report says so.
    import_statement(stack, bucket, STATEMENT)
    report = bucket.get("reports/bank/releve.csv.matches.csv").decode("utf-8-sig")
    assert f";{second};assigné;payée;{group};" in report


def test_a_cheque_is_recorded_once(invoicing, resources, numbers):
    first = numbers[0]
    code, out, err = invoicing(
        "record", first, "100,00", "--method", "cheque", "--on", "08/12/2026", "--reference", "CHQ 0042"
    )
    group = manual_group("CHQ 0042")
    assert (code, err) == (0, "")
    assert out == (
        f"{group}: cheque of 100.00 EUR on 2026-12-08 recorded for {first}; "
        f"{first} is partially_paid, due 140.00\n"
    )
    # The same cheque typed again (case and spaces aside): recorded once.
    code, out, _ = invoicing(
        "record",
        first,
        "100.00",
        "--method",
        "cheque",
        "--on",
        "2026-12-08",
        "--reference",
        "chq  0042",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["changed"] is False
    assert json.loads(out)["due"] == "140.00"
    r = receivable(resources, first)
    assert [(p.payment_id, p.amount, p.on, p.method) for p in r.payments] == [
        (group, Decimal("100.00"), date(2026, 12, 8), "cheque")
    ]
    # What `invoicing show` prints for it: the money received beside what is still due.
    shown = desk_row(InvoiceRepository(resources).get_by_number(first), TODAY)
    assert (shown.paid, shown.due, shown.pending, shown.status) == (
        "100.00",
        "140.00",
        "0.00",
        "partially_paid",
    )
    # The same reference for another payment is refused, not merged into the first.
    code, out, _ = invoicing(
        "record",
        first,
        "140,00",
        "--method",
        "cheque",
        "--on",
        "2026-12-08",
        "--reference",
        "CHQ 0042",
        "--json",
    )
    assert code == 1
    assert "already records 100.00 EUR by cheque on 2026-12-08" in json.loads(out)["error"]

    code, out, _ = invoicing(
        "record", first, "140", "--method", "cash", "--on", TODAY.isoformat(), "--reference", "reçu 7"
    )
    assert (code, out.rsplit("; ", 1)[-1]) == (0, f"{first} is paid, due 0.00\n")
    code, out, _ = invoicing("show", first)
    assert code == 0
    assert out.splitlines()[1] == "  total 240.00, paid 240.00, due 0.00; status paid"
    assert sum(1 for ln in out.splitlines() if ln.startswith("  2026-12-")) == 2
    assert invoicing("unmatched") == (0, "no unmatched payment\n", "")


#: (amount, day, reference) typed, and what is answered (exit code 2: a usage error).
REFUSED = [
    (("12,345", "2026-12-08", "CHQ 1"), "12.345 has more than 2 decimals"),
    (("-5", "2026-12-08", "CHQ 1"), "the amount must be positive, not -5"),
    (("0", "2026-12-08", "CHQ 1"), "the amount must be positive"),
    (("douze", "2026-12-08", "CHQ 1"), "'douze' is not an amount"),
    (("12", (TODAY + timedelta(days=1)).isoformat(), "CHQ 1"), "is in the future (today is 2026-12-10)"),
    (("12", "31/02/2026", "CHQ 1"), "is not a day of the calendar"),
    (("12", "2026-12-08", "CHQ\u202e1"), "refused: U+202E"),
    (("12", "2026-12-08", " "), "--reference: give the cheque number"),
]


def test_payments_record_refuses_what_it_cannot_take(invoicing, resources, numbers):
    answers = []
    for (amount, on, reference), _ in REFUSED:
        code, out, _ = invoicing(
            "record", numbers[0], amount, "--method", "cheque", "--on", on, "--reference", reference, "--json"
        )
        answers.append((code, json.loads(out)["error"]))
    assert [code for code, _ in answers] == [2] * len(REFUSED)
    for (_, error), (_, message) in zip(answers, REFUSED, strict=True):
        assert message in error
    assert PaymentLedger(resources.payments_table).get(manual_group("CHQ 1")) is None
    assert receivable(resources, numbers[0]).payments == ()


def test_payments_commands_name_what_they_do_not_know(invoicing, numbers):
    code, _, err = invoicing(
        "record", "FA2026-99999", "10", "--method", "cash", "--on", "2026-12-01", "--reference", "r"
    )
    assert (code, err) == (1, "invoicing payments record: refused: no invoice numbered 'FA2026-99999'\n")
    assert invoicing("show", "FA2026-99999")[0] == 1
    with pytest.raises(SystemExit) as exit_:
        invoicing("record", numbers[0], "10", "--method", "bitcoin", "--on", "2026-12-01", "--reference", "r")
    assert exit_.value.code == 2
