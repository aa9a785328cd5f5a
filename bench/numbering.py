"""The 8-writer numbering proof in full: 8 writers × 50 invoices racing for numbers against the
local moto server, the same race tests/integration/test_numbering_concurrency.py runs short.

- numbering_400_s         seconds from the start signal to the 400th invoice
- numbering_gaps          numbers of 1..400 that nobody got (must be 0)
- numbering_duplicates    numbers handed out more than once (must be 0)
"""

from __future__ import annotations

from collections.abc import Callable

WORKERS = 8
PER_WORKER = 50


def numbering(report: Callable[..., None]) -> None:
    from invoicing.business import Business
    from invoicing.settings import Resources
    from invoicing_tools.local_aws.numbering_race import race
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import LocalAws
    from invoicing_tools.local_aws.stack import LocalStack

    aws = LocalAws()
    aws.start()
    aws.activate()
    try:
        stack = LocalStack("bench-numbering", environments()["conseil-horizon"].parameters).deploy()
        env = stack.functions["GenerateFunction"].environment
        result = race(
            Resources.from_env(env), Business.from_env(env).seller, workers=WORKERS, per_worker=PER_WORKER
        )
        stored = result.stored()
        consistent = (
            stored["record_numbers"] == sorted(result.numbers)
            and stored["counter"] == len(result.numbers)
            and stored["claims"] == stored["record_ids"]
        )
        total = WORKERS * PER_WORKER
        report(
            f"numbering_{total}_s",
            result.seconds,
            "s",
            f"{WORKERS} writers x {PER_WORKER} invoices, local moto server; "
            f"{total / result.seconds:.1f} invoices/s",
        )
        report(
            "numbering_gaps",
            result.gaps,
            "numbers",
            "must be 0" + ("" if result.in_issue_order else "; a writer saw its numbers go backwards"),
        )
        report(
            "numbering_duplicates",
            result.duplicates,
            "numbers",
            "must be 0" + ("" if consistent else "; records, claims and counter DISAGREE"),
        )
    finally:
        aws.stop()
