"""Rows invoiced once (``invoicing.domain.rows``): how fast a growing sheet's old rows are told.

- rows_skip_per_s          rows recognised as already invoiced per second: a 20,000-row sheet (20
                           clients, one id column) of which 19,900 rows are in the ledger already,
                           imported through the real generate handler against the local moto server
                           (the ledgers read from DynamoDB, one item per client and month); the 100
                           new rows are issued (one invoice per client), their time counted too
- rows_parse_per_s         the same sheet read and validated without any ledger (nothing skipped,
                           nothing issued): the baseline of this run; rows_skip_ratio = skip / parse
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

ROWS = 20_000
NEW = 100
CLIENTS = 20
RUNS = 3


def _sheet(clients: list[str]) -> str:
    lines = ["id;client;date;description;quantite;unite;prix_unitaire_ht;tva"]
    for n in range(ROWS):
        client = clients[n % len(clients)]
        day = f"{1 + n % 28:02d}/11/2026"
        lines.append(f"R{n:06d};{client};{day};Heures de conseil {n};1,5;h;95;20")
    return "\r\n".join(lines) + "\r\n"


def rows(report: Callable[..., Any]) -> None:
    import boto3

    from invoicing.business import GenerateSettings
    from invoicing.domain.rows import InvoicedRow, RowLedger
    from invoicing.events import S3Object
    from invoicing.ingest.sales import parse_sales
    from invoicing.ingest.table import read_table
    from invoicing.services.file_import import FileImport
    from invoicing_tools.local_aws.runtime import LocalRuntime
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import REGION, LocalAws
    from invoicing_tools.local_aws.stack import LocalStack

    aws = LocalAws()
    aws.start()
    aws.activate()
    try:
        stack = LocalStack("bench-rows", environments()["conseil-horizon"].parameters).deploy()
        env = stack.functions["GenerateFunction"].environment
        settings = GenerateSettings.from_env(env)
        runtime = LocalRuntime(aws, stack)
        s3 = boto3.client("s3", region_name=REGION)
        bucket = stack.resource("DocumentsBucket")
        # Twenty clients, as a clients file brings them.
        refs = [f"K{n:03d}" for n in range(CLIENTS)]
        clients = "reference;nom;adresse;code_postal;ville;siren;email\r\n" + "".join(
            f"{ref};Client {ref} SAS;1 rue de la Paix;75002;Paris;;compta{ref.lower()}@example.fr\r\n"
            for ref in refs
        )
        s3.put_object(Bucket=bucket, Key="incoming/clients/clients.csv", Body=clients.encode())
        runtime.run_until_idle()
        sheet = _sheet(refs).encode("utf-8")
        importer = FileImport.from_settings(settings)
        table = read_table(sheet, "heures.csv", max_bytes=10 * 1024 * 1024, max_rows=ROWS + 1)

        def parse(invoiced: Any = None) -> Any:
            return parse_sales(
                table,
                clients=importer.clients.all(),
                seller=settings.business.seller,
                file_key="incoming/heures.csv",
                file_sha256="0" * 64,
                invoiced=invoiced,
            )

        baseline = []
        for _ in range(RUNS):
            started = time.perf_counter()
            drafts = parse()
            baseline.append(time.perf_counter() - started)
        # The ledger as 19,900 rows invoiced would leave it: every row but the last NEW.
        old = {ref.row_id for d in drafts for ref in d.rows if ref.row < ROWS + 2 - NEW}
        ledgers: dict[tuple[str, int], dict[str, InvoicedRow]] = {}
        for draft in drafts:
            for ref in draft.rows:
                if ref.row_id in old:
                    ledgers.setdefault((ref.client_ref, ref.period), {})[ref.row_id] = InvoicedRow(
                        "FA2026-00001", ref.billed, "bench"
                    )
        table_name = settings.resources.sequences_table
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for (client_ref, period), known in ledgers.items():
            ledger = RowLedger(client_ref, period, known, 1)
            dynamodb.put_item(
                TableName=table_name,
                Item={
                    "series": {"S": ledger.key},
                    "rows": {"S": ledger.to_json()},
                    "rows_version": {"N": "1"},
                },
            )
        timings = []
        for run in range(RUNS):
            key = f"incoming/heures-{run}.csv"
            s3.put_object(Bucket=bucket, Key=key, Body=sheet)
            started = time.perf_counter()
            outcome = importer.process(S3Object(bucket, key))
            timings.append(time.perf_counter() - started)
            if run == 0:
                created = sum(1 for item in outcome.issued if item.created)
        skip = (ROWS - NEW) / statistics.median(timings)
        parse_rate = ROWS / statistics.median(baseline)
        report(
            "rows_skip_per_s",
            skip,
            "rows/s",
            f"{ROWS - NEW:,} of {ROWS:,} rows already invoiced, through file import against moto, "
            f"median of {RUNS} (first run issued {created} invoices for the {NEW} new rows)",
        )
        report(
            "rows_parse_per_s", parse_rate, "rows/s", f"the same {ROWS:,} rows read and validated, no ledger"
        )
        report("rows_skip_ratio", skip / parse_rate, "x", "rows_skip_per_s / rows_parse_per_s")
        runtime.close()
    finally:
        aws.stop()


if __name__ == "__main__":
    rows(lambda name, value, unit, note="": print(f"{name:<34} {value:>10.2f} {unit:<8} {note}"))
