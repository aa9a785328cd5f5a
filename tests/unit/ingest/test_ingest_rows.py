"""A growing sheet: each row's identity, rows not ready, rows invoiced before, rows changed since."""

from __future__ import annotations

import pytest
from ingest_helpers import codes, rejected, table_from

from invoicing.domain.parties import Client, Seller
from invoicing.domain.rows import InvoicedRow, ReadyStatuses, RowLedger
from invoicing.ingest.sales import SkippedRows, parse_sales
from tests import factories

COLUMNS = ("id", "statut", "client", "date", "description", "quantite", "unite", "prix_unitaire_ht", "tva")


@pytest.fixture
def parse(clients: dict[str, Client], seller: Seller):
    def run(*rows, columns=COLUMNS, invoiced=None, ready=None, skipped=None):
        table = table_from(factories.sales_csv(*rows, columns=columns).encode())
        return parse_sales(
            table,
            clients=clients,
            seller=seller,
            file_key="incoming/heures.csv",
            file_sha256="cd" * 32,
            ready=ready,
            invoiced=invoiced,
            skipped=skipped,
        )

    return run


def row(
    id_: str = "", status: str = "validé", day: str = "03/11/2026", qty: str = "2", **changes: str
) -> dict:
    return {"id": id_, "statut": status, "date": day, "quantite": qty, **changes}


def ledger_of(drafts, number: str) -> dict[tuple[str, int], dict[str, InvoicedRow]]:
    """What the ledger holds once ``drafts`` are issued under ``number``."""
    found: dict[tuple[str, int], dict[str, InvoicedRow]] = {}
    for draft in drafts:
        for ref in draft.rows:
            found.setdefault((ref.client_ref, ref.period), {})[ref.row_id] = InvoicedRow(number, ref.billed)
    return found


def lookup(ledger):
    return lambda client_ref, period: ledger.get((client_ref, period), {})


def test_only_ready_rows_are_invoiced_in_french_and_english_and_the_others_are_counted(parse) -> None:
    skipped = SkippedRows()
    rows = [
        row("1", "Validé"),
        row("2", " à FACTURER "),
        row("3", "en attente"),
        row("4", "ok"),
        row("5", ""),
        row("6", "✓"),
        row("7", "Ready"),
        row("8", "draft"),
    ]
    (draft,) = parse(*rows, skipped=skipped)
    assert [line.source_row for line in draft.lines] == [2, 3, 5, 7, 8]
    assert skipped.not_ready == [(4, "en attente"), (6, ""), (9, "draft")]


def test_the_ready_values_are_the_stack_s(parse) -> None:
    skipped = SkippedRows()
    (draft,) = parse(row("1", "GO"), row("2", "validé"), ready=ReadyStatuses.of(["go"]), skipped=skipped)
    assert [line.source_row for line in draft.lines] == [2]
    assert skipped.not_ready == [(3, "validé")]


def test_without_a_status_column_every_row_is_ready(parse) -> None:
    columns = tuple(c for c in COLUMNS if c != "statut")
    (draft,) = parse({"id": "1"}, {"id": "2"}, columns=columns)
    assert len(draft.lines) == 2


def test_a_growing_sheet_invoices_only_its_new_rows_and_names_the_others(parse) -> None:
    week1 = [row("1"), row("2", day="04/11/2026")]
    (first,) = parse(*week1)
    ledger = ledger_of([first], "FA2026-00001")
    skipped = SkippedRows()
    (second,) = parse(*week1, row("3", day="10/11/2026"), invoiced=lookup(ledger), skipped=skipped)
    assert [line.source_row for line in second.lines] == [4]
    assert skipped.invoiced == [(2, "FA2026-00001"), (3, "FA2026-00001")]
    # Not the same invoice: its id follows its rows.
    assert second.source.invoice_id != first.source.invoice_id
    # The whole sheet invoiced: nothing is left to issue.
    ledger2 = ledger_of([second], "FA2026-00002")
    both = {k: {**ledger.get(k, {}), **ledger2.get(k, {})} for k in {*ledger, *ledger2}}
    assert parse(*week1, row("3", day="10/11/2026"), invoiced=lookup(both)) == ()


def test_rows_without_an_id_are_known_by_their_content_and_twins_by_their_rank(parse) -> None:
    columns = tuple(c for c in COLUMNS if c not in ("id", "statut"))
    same = {"description": "Atelier", "quantite": "1"}
    (first,) = parse(same, same, columns=columns)
    ids = [ref.row_id for ref in first.rows]
    assert len(set(ids)) == 2
    assert ids[1] == ids[0] + "#2"
    # Exported again with a third twin and its formatting changed: only the third is new.
    ledger = ledger_of([first], "FA2026-00001")
    reformatted = {"description": "  ATELIER ", "quantite": "1,00"}
    skipped = SkippedRows()
    (second,) = parse(reformatted, same, same, columns=columns, invoiced=lookup(ledger), skipped=skipped)
    assert [line.source_row for line in second.lines] == [4]
    assert [r for r, _ in skipped.invoiced] == [2, 3]


def test_a_row_invoiced_then_changed_refuses_the_file_and_says_to_credit_it(parse) -> None:
    (first,) = parse(row("A7", qty="2"))
    ledger = ledger_of([first], "FA2026-00012")
    problems = rejected(lambda: parse(row("A7", qty="3"), row("A8"), invoiced=lookup(ledger)))
    assert codes(problems) == ["row_changed_after_invoicing"]
    problem = problems[0]
    assert problem.row == 2
    assert "FA2026-00012" in problem.reason_fr
    assert "avoir" in problem.reason_fr
    # Its description corrected (a typo), the row still bills the same: it is left out, not refused.
    skipped = SkippedRows()
    assert (
        parse(
            row("A7", qty="2", description="Conseil en organisation (corrigé)"),
            invoiced=lookup(ledger),
            skipped=skipped,
        )
        == ()
    )
    assert skipped.invoiced == [(2, "FA2026-00012")]


def test_two_rows_with_one_id_are_refused(parse) -> None:
    problems = rejected(lambda: parse(row("9"), row("9", day="05/11/2026")))
    assert codes(problems) == ["duplicate_row_id"]


def test_a_row_not_ready_is_never_an_error_even_when_it_is_wrong(parse) -> None:
    skipped = SkippedRows()
    (draft,) = parse(
        row("1"), row("2", status="en attente", qty="beaucoup", client="INCONNU"), skipped=skipped
    )
    assert len(draft.lines) == 1
    assert skipped.not_ready == [(3, "en attente")]


def test_the_ledger_keeps_what_each_row_billed_and_adds_to_a_version() -> None:
    empty = RowLedger("C001", 202611)
    assert empty.key == "rows#C001#2026-11"
    filled = RowLedger.from_json("C001", 202611, empty.to_json(), 0)
    assert filled.rows == {}
    from invoicing.domain.rows import RowRef

    added = empty.adding([RowRef("id:1", "b1", "C001", 202611, 2)], "FA2026-00001")
    again = RowLedger.from_json("C001", 202611, added.to_json(), 1)
    assert again.rows == {"id:1": InvoicedRow("FA2026-00001", "b1")}


def test_an_id_used_again_for_other_work_is_another_invoice(parse) -> None:
    """Review finding: ids restarting in January on a purchase order still in use got December's
    invoice id, and January's work was never invoiced."""
    columns = (*COLUMNS, "reference_commande")
    (december,) = parse(row("1", day="15/12/2025", reference_commande="CADRE-1"), columns=columns)
    ledger = ledger_of([december], "FA2025-00042")
    (january,) = parse(
        row("1", day="15/01/2026", description="Forfait janvier", reference_commande="CADRE-1"),
        columns=columns,
        invoiced=lookup(ledger),
    )
    assert january.source.invoice_id != december.source.invoice_id


def test_rows_are_known_whatever_the_case_of_their_client_s_reference(parse, clients) -> None:
    (first,) = parse(row("1", client="C001"))
    assert {ref.client_ref for ref in first.rows} == {"C001"}
    ledger = ledger_of([first], "FA2026-00001")
    skipped = SkippedRows()
    assert parse(row("1", client="c001"), invoiced=lookup(ledger), skipped=skipped) == ()
    assert skipped.invoiced == [(2, "FA2026-00001")]


@pytest.mark.parametrize("status", ["Validée", "validées", "Approuvée", "prête", "Facturable", "✅", "x"])
def test_the_usual_ways_of_saying_ready(parse, status: str) -> None:
    (draft,) = parse(row("1", status))
    assert len(draft.lines) == 1


def test_a_sheet_larger_than_an_import_takes_is_an_alert_not_a_daily_refusal() -> None:
    from invoicing.services.sheet_pull import SheetPull
    from invoicing.settings import SheetSettings

    class Client:
        def pull(self, source):
            return b"id;client\r\n1;C001\r\n2;C001\r\n3;C001\r\n"

    class Alerts:
        def __init__(self) -> None:
            self.sent: list = []

        def publish(self, subject, message):
            self.sent.append((subject, message))

    alerts = Alerts()
    settings = SheetSettings("1AbCdEfGhIjKlMnOpQrStUvWxYz01", "A1:Z", None, "s", "heures")
    pulled = SheetPull(
        settings=settings, documents=None, alerts=alerts, business_name="B", client=Client(), max_rows=2
    ).pull()
    assert (pulled.key, pulled.rows, pulled.reason) == (None, 3, "too_large")
    (subject, message) = alerts.sent[0]
    assert "trop grande" in subject
    assert "autre onglet" in message
