"""The demo's living spreadsheet (issue: invoice only the new, validated rows).

Horizon's consultants log their hours in one sheet all month. The demo drops its export of week
47, then of week 48 (every earlier row still in it, new rows, and a row still "En attente"): only
the new, validated rows are invoiced, and each file's report lists the rows it skipped. Then the
sheet lives in Google Sheets: a local stub of Google's token endpoint and Sheets API (loopback, no
network) serves it with week 49's rows, and the pull the stack runs every evening issues their
invoices.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import boto3

from invoicing_tools.local_aws.server import REGION

SPREADSHEET_ID = "1HorizonHeuresDemo0123456789abcdefghij"
RANGE = "Heures!A1:J"


def connect(stack: Any, runtime: Any, stub: Any) -> None:
    """The stack's generate function pulls the stub's sheet: its service-account key in the
    local Secrets Manager, as the operator puts it there in AWS."""
    name = f"{stack.name}/google-service-account"
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name=name, SecretString=json.dumps(stub.service_account_info()))
    runtime.overrides.setdefault("GenerateFunction", {}).update(
        {
            "SHEET_SPREADSHEET_ID": SPREADSHEET_ID,
            "SHEET_RANGE": RANGE,
            "SHEET_SECRET_ID": name,
            "SHEET_NAME": "heures",
            "SHEETS_API_BASE": stub.url,
        }
    )


def _report(stack: Any, key: str) -> tuple[list[str], list[str], list[str]]:
    """(numbers issued or listed, rows already invoiced, rows not ready) of an import's report."""
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.resource("DocumentsBucket")
    name = key.removeprefix("incoming/")
    found = s3.list_objects_v2(Bucket=bucket, Prefix=f"reports/{name}").get("Contents", [])
    reports = [o["Key"] for o in found if o["Key"].endswith(".invoices.csv")]
    if not reports:
        return [], [], []
    text = s3.get_object(Bucket=bucket, Key=reports[-1])["Body"].read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    numbers = [r[0] for r in rows if r and r[0]]
    invoiced = [r[10] for r in rows if len(r) > 11 and not r[0] and r[11].startswith("déjà")]
    waiting = [r[10] for r in rows if len(r) > 11 and not r[0] and r[11].startswith("non prête")]
    return numbers, invoiced, waiting


def _sheet_values(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text), delimiter=";") if row]


def living_sheet(stack: Any, runtime: Any, stub: Any, folder: Path) -> list[dict[str, Any]]:
    from invoicing.adapters.invoices import InvoiceRepository
    from invoicing.settings import Resources

    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.resource("DocumentsBucket")
    resources = Resources.from_env(stack.functions["GenerateFunction"].environment)
    events: list[dict[str, Any]] = []

    def issued_now(before: set[str]) -> list[str]:
        return sorted({s.invoice.number for s in InvoiceRepository(resources).all()} - before)

    for path in sorted(folder.glob("heures-semaine-*.csv")):
        before = {s.invoice.number for s in InvoiceRepository(resources).all()}
        key = f"incoming/{path.name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        runtime.run_until_idle()
        _, invoiced, waiting = _report(stack, key)
        events.append(
            {"source": path.name, "issued": issued_now(before), "already": invoiced, "not_ready": waiting}
        )
    # Week 49, straight from Google Sheets: the whole month so far, H-005 now validated.
    rows = _sheet_values(sorted(folder.glob("heures-semaine-*.csv"))[-1])
    for row in rows[1:]:
        if row[0] == "H-005":
            row[1] = "Validé"
    rows.append(
        [
            "H-007",
            "Validé",
            "C001",
            "30/11/2026",
            "Claire Dumas",
            "Suivi du plan de transport – bilan",
            "3",
            "h",
            "95,00",
            "20 %",
        ]
    )
    stub.set_values(SPREADSHEET_ID, RANGE, rows)
    before = {s.invoice.number for s in InvoiceRepository(resources).all()}
    pulled = runtime.invoke("GenerateFunction", {"task": "sheet-pull"})
    runtime.run_until_idle()
    _, invoiced, waiting = _report(stack, pulled["pulled"]) if pulled.get("pulled") else ([], [], [])
    events.append(
        {
            "source": f"Google Sheets ({pulled.get('rows')} lignes tirées)",
            "issued": issued_now(before),
            "already": invoiced,
            "not_ready": waiting,
        }
    )
    return events
