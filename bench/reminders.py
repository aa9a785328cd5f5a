"""The daily reminder run against a table of 100,000 invoices, 100 of them due an action
(DESIGN.md, "Budgets": the run reads in proportion to the invoices due, not to the table), on
the local moto server; tests/integration/test_reminder_reads.py runs the same thing small.

- remind_load_s         writing the 100,000 invoices (BatchWriteItem, cloned from one really
                        issued; invoicing_tools/local_aws/reminder_load.py): setup, not a budget
- remind_items_read     items DynamoDB read during one run of the remind function (target <= 110)
- remind_run_s          wall time of that run, cold, as the daily schedule finds it
- remind_due_returned   invoices the run returned: must be exactly the 100 due
"""

from __future__ import annotations

from collections.abc import Callable

TOTAL = 100_000
DUE = 100
#: At most 10 % more items read than invoices due (issue 8).
TARGET = 110
#: The server handles one request at a time; a second writer only overlaps client-side work.
THREADS = 2


def reminders(report: Callable[..., None]) -> None:
    from invoicing.business import Business
    from invoicing.settings import Resources
    from invoicing_tools.local_aws.reminder_load import load, run_reminders
    from invoicing_tools.local_aws.runtime import LocalRuntime
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import LocalAws
    from invoicing_tools.local_aws.stack import LocalStack

    aws = LocalAws()
    aws.start()
    aws.activate()
    try:
        stack = LocalStack("bench-reminders", environments()["conseil-horizon"].parameters).deploy()
        env = stack.functions["GenerateFunction"].environment
        loaded = load(
            stack, Resources.from_env(env), Business.from_env(env), total=TOTAL, due=DUE, threads=THREADS
        )
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(loaded.kinds.items()))
        report(
            "remind_load_s",
            loaded.build_s + loaded.write_s,
            "s",
            f"{kinds}; build {loaded.build_s:.1f} s + BatchWriteItem {loaded.write_s:.1f} s "
            f"({TOTAL / loaded.write_s:.0f} items/s, {loaded.threads} threads, ~{loaded.item_bytes} B/item)",
        )
        runtime = LocalRuntime(aws, stack)
        try:
            run = run_reminders(runtime)
        finally:
            runtime.close()
            _drop_table(Resources.from_env(env).invoices_table)
        reads = run.reads
        report(
            "remind_items_read",
            reads.items,
            "items",
            f"target <= {TARGET} ({'met' if reads.items <= TARGET else 'MISSED'}) for {DUE} due "
            f"among {TOTAL}; {reads.summary}",
        )
        report(
            "remind_run_s",
            run.seconds,
            "s",
            f"cold; {reads.seconds:.2f} s in DynamoDB calls (moto filters every item of the table "
            "for an index query: DynamoDB reads only the index range)",
        )
        returned = set(run.numbers)
        missing = len(loaded.due_numbers - returned)
        extra = len(returned - loaded.due_numbers)
        repeated = len(run.numbers) - len(returned)
        exact = not (missing or extra or repeated)
        report(
            "remind_due_returned",
            len(run.numbers),
            "invoices",
            f"must be exactly the {DUE} due ({run.day})"
            + ("" if exact else f": WRONG, {missing} missing, {extra} not due, {repeated} repeated"),
        )
    finally:
        aws.stop()


def _drop_table(name: str) -> None:
    """moto keeps the 100,000 items in this process (~2 GB) after the server stops: free them for
    the rest of the bench."""
    from invoicing_tools.local_aws.server import client

    ddb = client("dynamodb")
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)
