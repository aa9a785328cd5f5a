"""The daily reminder run reads the invoices due an action, not the table (DESIGN.md, "Budgets").

2,000 invoices cloned from one really issued (most paid, some open with their next action
ahead, 20 due today or earlier), then the remind function once, through the runtime, as the
schedule triggers it: it returns exactly the 20 due and DynamoDB reads at most 10 % more items
than that. ``make bench`` runs the same with 100,000 invoices and 100 due (bench/reminders.py:
``remind_items_read``, ``remind_run_s``), from invoicing_tools.local_aws.reminder_load.
"""

from __future__ import annotations

from invoicing_tools.local_aws.reminder_load import dynamodb_reads, load, remind_today, run_reminders

TOTAL = 2_000
DUE = 20


def test_a_reminder_run_reads_the_invoices_due_not_the_table(stack, runtime, resources, business):
    loaded = load(stack, resources, business, total=TOTAL, due=DUE)
    assert loaded.kinds == {"due": DUE, "open": 396, "paid": 1584}
    assert len(loaded.due_numbers) == DUE

    run = run_reminders(runtime)

    assert sorted(run.numbers) == sorted(loaded.due_numbers)  # exactly the due ones, each once
    assert run.reads.items <= DUE * 1.1, run.reads.summary
    assert run.reads.items >= DUE  # the count does see what the run read
    assert set(run.reads.calls) <= {"Query", "GetItem", "BatchGetItem", "UpdateItem"}, run.reads.summary
    # Each reminder: its step claimed by a conditional write before the email, completed after.
    assert run.reads.calls["UpdateItem"] == 2 * DUE, run.reads.summary


def test_the_read_count_sees_every_client_and_counts_what_dynamodb_read(stack, resources, business):
    """A Scan through pynamodb (the models the functions use) is counted whole, a Query for
    what its key condition selects: the count is of what DynamoDB answered, whichever client."""
    from invoicing.adapters.invoices import InvoiceRepository

    load(stack, resources, business, total=60, due=3)
    repo = InvoiceRepository(resources)
    with dynamodb_reads() as reads:
        listed = sum(1 for _ in repo.all())
        due = list(repo.due_for_action(remind_today(stack)))
    assert (listed, len(due)) == (60, 3)
    assert reads.calls == {"Scan": 1, "Query": 1}
    assert reads.items == 60 + 3
