"""``make demo``: the whole flow on the embedded local AWS, for each sample business.

For every folder of ``samples/`` that has an environment of the same name in samconfig.toml:
deploy that business's stack from template.yaml into moto, drop its clients file, then its
sales export, let the event source mappings run the functions, and copy out what was made.
A sample export with mistakes shows what a refusal looks like (the file is refused whole, with
a report and an alert); dropping the same export twice shows that nothing is issued twice.

Output (DESIGN.md contract): ``out/demo/invoices/`` (PDF, XML when Factur-X is on),
``out/demo/reports/`` (summaries and error reports), ``out/demo/alerts/`` (operator alerts),
``out/demo/logs/`` (what each function logged, as CloudWatch Logs would keep it).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.business import GenerateSettings
from invoicing.documents import format as fmt
from invoicing.domain.invoice import CreditedLine
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.issuing import Issuer
from invoicing.settings import Resources
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.samconfig import Environment, environments
from invoicing_tools.local_aws.server import REGION, LocalAws
from invoicing_tools.local_aws.stack import PROJECT, LocalStack

SAMPLES = PROJECT / "samples"


@dataclass
class BusinessRun:
    environment: Environment
    stack: LocalStack
    runtime: LocalRuntime
    alerts_queue: str
    files: list[tuple[str, str]] = field(default_factory=list)  # (file, what happened)


def _drop(run: BusinessRun, path: Path, key: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=run.stack.resource("DocumentsBucket"), Key=key, Body=path.read_bytes())
    run.runtime.run_until_idle()


def _subscribe_alerts(stack: LocalStack) -> str:
    """An SQS queue subscribed to the operator topic, standing in for the operator's inbox."""
    sqs, sns = boto3.client("sqs", region_name=REGION), boto3.client("sns", region_name=REGION)
    url = sqs.create_queue(QueueName=f"{stack.name}-operator-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.resource("AlertsTopic"), Protocol="sqs", Endpoint=arn)
    return url


def _resources(stack: LocalStack) -> Resources:
    return Resources.from_env(stack.functions["GenerateFunction"].environment)


def _outcome(run: BusinessRun, name: str) -> str:
    """What became of a dropped file, as the business sees it in the bucket."""
    s3 = boto3.client("s3", region_name=REGION)
    bucket = run.stack.resource("DocumentsBucket")
    listing = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    if f"rejected/{name}" in listing or f"rejected/clients/{name}" in listing:
        return "REFUSÉ — voir le rapport d'erreurs"
    if f"processed/clients/{name}" in listing:
        return "clients importés"
    if f"processed/{name}" in listing:
        return "documents créés"
    return "en attente (voir les journaux)"


def run(out: Path = PROJECT / "out" / "demo") -> dict[str, Any]:
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    for sub in ("invoices", "reports", "alerts", "logs"):
        (out / sub).mkdir(parents=True)
    aws = LocalAws()
    aws.start()
    aws.activate()
    configured = environments()
    runs: list[BusinessRun] = []
    try:
        for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir() and p.name in configured):
            env = configured[folder.name]
            stack = LocalStack(env.stack_name, env.parameters).deploy()
            runtime = LocalRuntime(aws, stack, log_dir=out / "logs" / stack.name)
            business = BusinessRun(env, stack, runtime, _subscribe_alerts(stack))
            runs.append(business)
            for path in sorted(folder.glob("clients.*")):
                _drop(business, path, f"incoming/clients/{path.name}")
                business.files.append((path.name, _outcome(business, path.name)))
            for path in sorted(folder.glob("ventes-*")):
                _drop(business, path, f"incoming/{path.name}")
                business.files.append((path.name, _outcome(business, path.name)))
            # The first export dropped a second time, under another name: nothing is issued twice.
            first_export = min(folder.glob("ventes-*"), default=None)
            if first_export is not None:
                before = sum(1 for _ in InvoiceRepository(_resources(stack)).all())
                copy_name = f"copie-{first_export.name}"
                _drop(business, first_export, f"incoming/{copy_name}")
                after = sum(1 for _ in InvoiceRepository(_resources(stack)).all())
                business.files.append(
                    (copy_name, f"même contenu déposé une 2e fois : {after - before} facture créée")
                )
        if runs:
            _credit_notes(runs[0])
        summary = _collect(runs, out)
    finally:
        for business in runs:
            business.runtime.close()
        aws.stop()
    summary["seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    _print(summary, out)
    return summary


def _credit_notes(business: BusinessRun) -> None:
    """Both ways to correct an issued invoice: the operator's command, and a row in a file."""
    issuer = Issuer.from_settings(
        GenerateSettings.from_env(business.stack.functions["GenerateFunction"].environment)
    )
    invoices = sorted(
        (s for s in InvoiceRepository(_resources(business.stack)).all() if not s.invoice.is_credit_note),
        key=lambda s: s.invoice.number,
    )
    if len(invoices) < 2:
        return
    first = invoices[0].invoice
    credit = issue_credit_note(
        issuer,
        first.number,
        reason="Une journée annulée à la demande du client",
        lines=(CreditedLine(1, Decimal(1)),),
    )
    business.files.append((f"invoicing credit-note {first.number}", f"avoir {credit.number} (une ligne)"))
    # An "avoir" row in an export, cancelling the second invoice in full (written from it).
    second = invoices[1].invoice
    rows = [
        "client;date;description;quantite;unite;prix_unitaire_ht;tva;remise;exoneration;type;facture_origine;motif"
    ]
    for line in second.lines:
        discount = (
            f"{line.discount.percent} %"
            if line.discount and line.discount.percent
            else (str(line.discount.amount) if line.discount else "")
        )
        exemption = line.vat.exemption.key if line.vat.exemption else ""
        rows.append(
            f"{second.buyer.ref};{(line.service_date or second.draft.period_start).strftime('%d/%m/%Y')};"
            f"{line.description};{line.quantity};{line.unit};{line.unit_price};{line.vat.rate};{discount};"
            f"{exemption};avoir;{second.number};Facture émise en double"
        )
    name = "avoirs-demo.csv"
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(
        Bucket=business.stack.resource("DocumentsBucket"),
        Key=f"incoming/{name}",
        Body="\n".join(rows).encode(),
    )
    business.runtime.run_until_idle()
    business.files.append((name, f"{_outcome(business, name)} (avoir total de {second.number})"))


def _collect(runs: list[BusinessRun], out: Path) -> dict[str, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    businesses = []
    for business in runs:
        stack, bucket = business.stack, business.stack.resource("DocumentsBucket")
        documents = []
        stored = sorted(InvoiceRepository(_resources(stack)).all(), key=lambda s: s.invoice.number)
        for item in stored:
            invoice = item.invoice
            paths = {}
            for kind, key in (("pdf", item.pdf_key), ("xml", item.xml_key)):
                if key:
                    target = out / "invoices" / f"{stack.name}--{invoice.number}.{kind}"
                    target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                    paths[kind] = str(target.relative_to(out))
            documents.append(
                {
                    "number": invoice.number,
                    "type": "avoir" if invoice.is_credit_note else "facture",
                    "client": f"{invoice.buyer.ref} {invoice.buyer.name}",
                    "issue_date": invoice.issue_date.isoformat(),
                    "due_date": invoice.due_date.isoformat(),
                    "total_excl_vat": str(invoice.totals.tax_basis_total),
                    "total_vat": str(invoice.totals.vat_total),
                    "total_incl_vat": str(invoice.totals.grand_total),
                    "status": item.receivable.status.value,
                    "credited": str(item.receivable.credited),
                    "amount_due": str(item.receivable.due),
                    "next_action_on": (
                        item.receivable.next_action_on.isoformat() if item.receivable.next_action_on else None
                    ),
                    **paths,
                }
            )
        reports = []
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="reports/").get("Contents", []):
            target = out / "reports" / f"{stack.name}--{Path(obj['Key']).name}"
            target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            reports.append(str(target.relative_to(out)))
        alerts = []
        for message in sqs.receive_message(QueueUrl=business.alerts_queue, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])
            alerts.append({"subject": body.get("Subject"), "message": body.get("Message")})
        if alerts:
            text = "\n\n".join(f"Objet : {a['subject']}\n\n{a['message']}" for a in alerts)
            (out / "alerts" / f"{stack.name}.txt").write_text(text + "\n", encoding="utf-8")
        seller = stack.functions["GenerateFunction"].environment["SELLER_LEGAL_NAME"]
        businesses.append(
            {
                "business": seller,
                "stack": stack.name,
                "config_env": business.environment.name,
                "files": [{"file": f, "result": r} for f, r in business.files],
                "documents": documents,
                "reports": reports,
                "alerts": [a["subject"] for a in alerts],
            }
        )
    return {"businesses": businesses}


def _print(summary: dict[str, Any], out: Path) -> None:
    for business in summary["businesses"]:
        name, stack, env = business["business"], business["stack"], business["config_env"]
        print(f"\n{name}  (stack {stack}, sam deploy --config-env {env})")
        for item in business["files"]:
            print(f"  {item['file']:<28} {item['result']}")
        if business["documents"]:
            print(f"  {'N°':<14}{'client':<40}{'date':>11}{'HT':>13}{'TVA':>11}{'TTC':>13}")
        for doc in business["documents"]:
            ht, tva, ttc = (
                fmt.amount(Decimal(doc[k]), "fr") for k in ("total_excl_vat", "total_vat", "total_incl_vat")
            )
            who = doc["client"][:38]
            if doc["type"] == "avoir":
                kind = "avoir"
            elif doc["status"] == "credited":
                kind = "annulée par avoir"
            elif Decimal(doc["credited"]):
                kind = f"avoir partiel, reste dû {fmt.amount(Decimal(doc['amount_due']), 'fr')}"
            else:
                kind = f"relance le {doc['next_action_on']}" if doc["next_action_on"] else ""
            print(f"  {doc['number']:<14}{who:<40}{doc['issue_date']:>11}{ht:>13}{tva:>11}{ttc:>13}  {kind}")
        for subject in business["alerts"]:
            print(f"  alerte opérateur : {subject}")
    total = sum(len(b["documents"]) for b in summary["businesses"])
    shown = out.relative_to(PROJECT) if out.is_relative_to(PROJECT) else out
    print(
        f"\n{total} documents in {summary['seconds']} s. PDFs: {shown}/invoices/  reports: {shown}/reports/  "
        f"alerts: {shown}/alerts/  summary: {shown}/summary.json"
    )
