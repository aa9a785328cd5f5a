"""The operator's reminder commands (``invoicing overdue / show / pause / resume / dispute /
resolve / exclude / include / resend``) end to end against the local stack's tables, topic and
queues.

The commands find a stack's settings through Lambda, which the local AWS does not run: the
tests give them the desk of the local stack, built from its remind function's own environment
with a fixed "today" (``operate.main(argv, desk_for=...)``); one test goes through
``invoicing``'s own entry point and the real lookup (moto's Lambda answers "no such function",
and the environment file ``invoicing local`` writes is read instead).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from invoicing.adapters.exclusions import ClientExclusions
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.domain.receivable import Delivery
from invoicing.events import SendRequest
from invoicing.services.desk import Desk
from invoicing.settings import RemindSettings
from invoicing_tools import cli, operate
from invoicing_tools.local_aws.server import client
from tests.conftest import queue_messages, sales_csv


@pytest.fixture
def settings(stack) -> RemindSettings:
    return RemindSettings.from_env(stack.functions["RemindFunction"].environment)


@pytest.fixture
def issued(runtime, bucket, resources, with_clients):
    """One invoice for C001 and one for C003, issued today (30 days to pay) and sent by the
    local send function."""
    bucket.put(
        "incoming/ventes.csv",
        sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;", "C003;03/11/2026;Atelier;1;u;80;20;;;"]),
    )
    runtime.run_until_idle()
    found = {s.invoice.buyer.ref: s for s in InvoiceRepository(resources).all()}
    assert {ref: s.receivable.delivery.state for ref, s in found.items()} == {
        "C001": Delivery.SENT,
        "C003": Delivery.SENT,
    }
    return found


@pytest.fixture
def invoicing(stack, settings, capsys):
    """Run one command against the local stack, as of ``today`` (by default the business's own
    calendar day, the day the invoices were issued); (exit code, stdout, stderr)."""

    def run(*argv: str, today: date | None = None) -> tuple[int, str, str]:
        desk_for = lambda name: Desk.from_settings(settings, today=today and (lambda: today))  # noqa: E731
        capsys.readouterr()  # what the functions logged before
        code = operate.main([*argv, "--stack", stack.name], desk_for=desk_for)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def stored(resources, number: str):
    return InvoiceRepository(resources).get_by_number(number)


def next_action_item(resources, invoice_id: str) -> str | None:
    """The ``next_action_on`` attribute of the table's item: what the by-next-action index reads."""
    item = client("dynamodb").get_item(
        TableName=resources.invoices_table, Key={"invoice_id": {"S": invoice_id}}, ConsistentRead=True
    )["Item"]
    return item["next_action_on"]["S"] if "next_action_on" in item else None


def test_overdue_lists_a_partly_paid_invoice_past_its_due_date(invoicing, resources, issued):
    c001 = issued["C001"]
    due = c001.invoice.due_date
    late = due + timedelta(days=17)
    InvoiceRepository(resources).update(
        c001.invoice.invoice_id, lambda r: r.record_payment("pay-1", Decimal("50.00"), due)
    )
    assert invoicing("overdue") == (0, "no overdue invoice\n", "")

    code, out, _ = invoicing("overdue", "--json", today=late)
    assert code == 0
    rows = {row["number"]: row for row in json.loads(out)}
    row = rows[c001.invoice.number]
    assert row["client_ref"] == "C001"
    assert row["due_date"] == due.isoformat()
    assert row["days_late"] == 17
    assert row["status"] == "partially_paid"
    assert Decimal(row["due"]) == c001.receivable.total - Decimal("50.00")
    assert row["steps_done"] == 0
    assert row["steps"] == len(c001.receivable.dunning.offsets)
    assert {"next_action_on", "paused_until", "disputed", "excluded", "delivery"} <= set(row)
    # Most late first.
    assert [r["days_late"] for r in rows.values()] == sorted(
        (r["days_late"] for r in rows.values()), reverse=True
    )

    code, out, _ = invoicing("overdue", today=late)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[:3] == ["NUMBER", "CLIENT", "DUE"]
    line = next(li for li in lines if li.startswith(c001.invoice.number))
    assert due.isoformat() in line
    assert "partially_paid" in line
    assert f"0/{row['steps']}" in line
    assert f"{row['due']}" in line
    assert lines[-1].startswith(f"{len(rows)} overdue invoice(s)")


def test_pause_then_resume_moves_the_next_action(invoicing, resources, issued):
    c001 = issued["C001"]
    number, invoice_id = c001.invoice.number, c001.invoice.invoice_id
    before = next_action_item(resources, invoice_id)
    until = c001.invoice.due_date + timedelta(days=10)  # after the next reminder
    assert before is not None
    assert before < until.isoformat()

    # A French date (20/12/2026) as well as an ISO one.
    assert invoicing("pause", number, "--until", until.strftime("%d/%m/%Y")) == (
        0,
        f"{number}: paused until {until.isoformat()}\n",
        "",
    )
    assert stored(resources, number).receivable.dunning.paused_until == until
    assert next_action_item(resources, invoice_id) == until.isoformat()

    code, out, _ = invoicing("resume", number, "--json")
    assert code == 0
    assert json.loads(out)["paused_until"] is None
    assert json.loads(out)["next_action_on"] == before
    assert next_action_item(resources, invoice_id) == before

    # Nothing to resume any more: the domain's refusal, exit 1.
    code, _, err = invoicing("resume", number)
    assert code == 1
    assert "neither paused nor stopped" in err


def test_pause_refuses_a_date_that_is_not_later_or_not_a_date(invoicing, resources, issued):
    number = issued["C001"].invoice.number
    today = issued["C001"].invoice.issue_date
    code, _, err = invoicing("pause", number, "--until", today.isoformat())
    assert code == 2
    assert f"not after today ({today.isoformat()})" in err
    code, out, _ = invoicing("pause", number, "--until", "31/02/2027", "--json")
    assert code == 2
    assert "not a day of the calendar" in json.loads(out)["error"]
    code, _, err = invoicing("pause", number, "--until", "next week")
    assert code == 2
    assert "2026-12-20 or 20/12/2026" in err
    assert stored(resources, number).receivable.dunning.paused_until is None


def test_dispute_alerts_the_owner_and_resolve_ends_it(invoicing, resources, issued, operator_inbox):
    number = issued["C003"].invoice.number
    code, out, _ = invoicing("dispute", number, "--reason", "conteste la quantité livrée", "--json")
    assert code == 0
    assert json.loads(out)["disputed"] is True
    assert json.loads(out)["status"] == "disputed"
    after = stored(resources, number).receivable
    assert after.dunning.disputed
    assert after.next_action_on is None
    [alert] = operator_inbox.messages()
    assert alert["Subject"] == f"Litige : {number}"
    assert "conteste la quantité livrée" in alert["Message"]
    assert f"invoicing resolve {number}" in alert["Message"]

    code, out, _ = invoicing("dispute", number)
    assert code == 1  # already disputed
    assert out == ""

    code, out, _ = invoicing("resolve", number, "--outcome", "withdrawn")
    assert code == 0
    assert out.startswith(f"{number}: dispute resolved (withdrawn); status sent")
    assert not stored(resources, number).receivable.dunning.disputed
    code, out, _ = invoicing("resolve", number, "--outcome", "won", "--json")
    assert (code, json.loads(out)) == (1, {"error": f"{number} is not disputed"})


def test_a_reason_with_invisible_characters_is_refused(invoicing, resources, issued, operator_inbox):
    number = issued["C003"].invoice.number
    code, _, err = invoicing("dispute", number, "--reason", "payé\u202e ?")
    assert code == 2
    assert "U+202E" in err
    assert not stored(resources, number).receivable.dunning.disputed
    assert operator_inbox.messages() == []


def test_exclude_a_client_then_include_it_again(invoicing, resources, issued):
    c001, c003 = issued["C001"], issued["C003"]
    exclusions = ClientExclusions(resources.dunning_table)
    # The reference as typed by a person: matched case-insensitively.
    code, out, _ = invoicing("exclude", "--client", "c001", "--reason", "plan de paiement convenu", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["client"] == "c001"
    assert [r["number"] for r in answer["invoices"]] == [c001.invoice.number]
    assert answer["invoices"][0]["excluded"] == "plan de paiement convenu"
    assert exclusions.reason("C001") == "plan de paiement convenu"
    assert stored(resources, c001.invoice.number).receivable.dunning.excluded == "plan de paiement convenu"
    assert next_action_item(resources, c001.invoice.invoice_id) is None
    assert stored(resources, c003.invoice.number).receivable.dunning.excluded is None

    code, out, _ = invoicing("include", "--client", "C001")
    assert code == 0
    assert out == (
        f"client C001: reminders again for its later invoices; still stopped, resume them one by one: "
        f"{c001.invoice.number}\n"
    )
    assert exclusions.reason("C001") is None
    code, _, err = invoicing("include", "--client", "C001")
    assert code == 1
    assert "not excluded" in err


def test_exclude_one_invoice_and_its_arguments(invoicing, resources, issued):
    number = issued["C003"].invoice.number
    code, out, _ = invoicing("exclude", number, "--reason", "client en redressement")
    assert (code, out) == (0, f"{number}: excluded from reminders (client en redressement)\n")
    assert stored(resources, number).receivable.dunning.excluded == "client en redressement"
    code, out, _ = invoicing("exclude", number, "--client", "C003", "--reason", "x", "--json")
    assert code == 2
    assert "one of them" in json.loads(out)["error"]
    code, _, err = invoicing("exclude", "--reason", "x")
    assert code == 2
    assert "one of them" in err
    code, _, err = invoicing("exclude", number, "--reason", "   ")
    assert code == 2
    assert "say why" in err


def test_resend_requeues_and_puts_a_request_on_the_send_queue(invoicing, stack, resources, issued):
    c001 = issued["C001"]
    number = c001.invoice.number
    code, out, _ = invoicing("resend", number, "--json")
    assert code == 0
    assert json.loads(out)["delivery"] == "queued"
    assert stored(resources, number).receivable.delivery.state is Delivery.QUEUED
    bodies = [SendRequest.from_json(m["Body"]) for m in queue_messages(stack.resource("SendQueue"))]
    assert bodies == [SendRequest(c001.invoice.invoice_id, number)]
    # Already queued (an earlier resend whose message was lost): the request is queued again; the
    # send function's claim makes sure the email still goes out once.
    code, _, _ = invoicing("resend", number)
    assert code == 0
    assert stored(resources, number).receivable.delivery.state is Delivery.QUEUED
    # (the first request is invisible for 30 s since it was read above: this is the new one)
    again = [SendRequest.from_json(m["Body"]) for m in queue_messages(stack.resource("SendQueue"))]
    assert again == [SendRequest(c001.invoice.invoice_id, number)]


def test_resend_takes_back_a_send_that_was_never_confirmed(invoicing, resources, issued):
    repo = InvoiceRepository(resources)
    number, invoice_id = issued["C003"].invoice.number, issued["C003"].invoice.invoice_id
    now = datetime.now(UTC)
    repo.update(invoice_id, lambda r: r.requeue(now))
    repo.update(invoice_id, lambda r: r.claim_send(now - timedelta(minutes=2)))
    code, _, err = invoicing("resend", number)  # perhaps still in flight
    assert code == 1
    assert "may still be in flight" in err
    repo.update(invoice_id, lambda r: r.release_send("test"))
    repo.update(invoice_id, lambda r: r.claim_send(now - timedelta(hours=1)))
    assert invoicing("resend", number) == (0, f"{number}: queued to be sent again (delivery queued)\n", "")


def test_an_unknown_number_is_refused_with_the_message(invoicing, issued):
    code, out, err = invoicing("show", "FA2026-99999")
    assert (code, out) == (1, "")
    assert err == "invoicing show: refused: no invoice numbered 'FA2026-99999'\n"
    code, out, err = invoicing("pause", "FA2026-99999", "--until", "2099-12-31", "--json")
    assert (code, json.loads(out), err) == (1, {"error": "no invoice numbered 'FA2026-99999'"}, "")


def test_the_invoicing_command_finds_the_local_stack_by_its_name(
    stack, issued, tmp_path, monkeypatch, capsys
):
    """``invoicing show`` itself: registered in the command line, the settings looked up in
    Lambda (moto has no such function) then in the file ``invoicing local`` writes."""
    env = {"RemindFunction": stack.functions["RemindFunction"].environment}
    (tmp_path / f"{stack.name}.env.json").write_text(json.dumps(env), encoding="utf-8")
    monkeypatch.setattr(operate, "LOCAL_ENV_DIR", tmp_path)
    number = issued["C001"].invoice.number

    assert cli.main(["show", number, "--stack", stack.name, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["number"] == number
    assert shown["status"] == "sent"
    assert shown["client_ref"] == "C001"

    assert cli.main(["overdue", "--stack", "no-such-stack"]) == 2
    assert "no function no-such-stack-remind" in capsys.readouterr().err
