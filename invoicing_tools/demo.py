"""``make demo``: the whole flow on the embedded local AWS, for each sample business.

For every folder of ``samples/`` that has an environment of the same name in samconfig.toml:
deploy that business's stack from template.yaml into moto, drop its clients file, then its
sales export, let the event source mappings run the functions, and copy out what was made.
A sample export with mistakes shows what a refusal looks like (the file is refused whole, with
a report and an alert); dropping the same export twice shows that nothing is issued twice.

Then, for the first business, the days pass: the remind function runs every morning at 09:00
(as EventBridge Scheduler would) from today until the sequence of the first invoice is over. One
customer replies to its first reminder (the reply pauses that invoice and reaches the owner),
another pays by bank transfer after its second one, the others are chased to the end: the
owner receives the escalation with a formal notice to sign.

Output (DESIGN.md contract): ``out/demo/invoices/`` (PDF, XML when Factur-X is on),
``out/demo/reports/`` (summaries and error reports), ``out/demo/alerts/`` (operator alerts),
``out/demo/emails/`` (every email SES accepted, as ``.eml``), ``out/demo/notices/`` (formal
notices), ``out/demo/logs/`` (what each function logged, as CloudWatch Logs would keep it).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.payments import PaymentLedger
from invoicing.business import GenerateSettings
from invoicing.documents import format as fmt
from invoicing.domain.invoice import CreditedLine
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.issuing import Issuer
from invoicing.settings import Resources
from invoicing_tools import demo_payments, demo_sheets, demo_suppliers
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.samconfig import Environment, environments
from invoicing_tools.local_aws.server import REGION, LocalAws
from invoicing_tools.local_aws.stack import PROJECT, LocalStack
from invoicing_tools.local_aws.stripe_stub import StripeStub

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
    if any(f"rejected/{folder}{name}" in listing for folder in ("", "clients/", "products/")):
        return "REFUSÉ — voir le rapport d'erreurs"
    if f"processed/clients/{name}" in listing:
        return "clients importés"
    if f"processed/products/{name}" in listing:
        return "tarifs importés"
    if f"processed/{name}" in listing:
        return "documents créés"
    return "en attente (voir les journaux)"


def run(out: Path = PROJECT / "out" / "demo") -> dict[str, Any]:
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    for sub in ("invoices", "reports", "alerts", "logs", "emails", "notices"):
        (out / sub).mkdir(parents=True)
    aws = LocalAws()
    aws.start()
    aws.activate()
    stripe = StripeStub()  # Stripe's API on loopback: Checkout pages, line items
    stripe.start()
    from invoicing_tools.local_aws.sheets_stub import SheetsStub

    sheets = SheetsStub()  # Google's token endpoint and Sheets API on loopback
    sheets.start()
    sheet_events: list[dict[str, Any]] = []
    configured = environments()
    runs: list[BusinessRun] = []
    payments: list[dict[str, Any]] = []
    try:
        for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir() and p.name in configured):
            env = configured[folder.name]
            stack = LocalStack(env.stack_name, {**env.parameters, **demo_parameters(env.stack_name)}).deploy()
            runtime = LocalRuntime(aws, stack, log_dir=out / "logs" / stack.name)
            business = BusinessRun(env, stack, runtime, _subscribe_alerts(stack))
            demo_payments.connect(stack, runtime, stripe)
            if not runs:  # the first business keeps its timesheet in a Google Sheet
                demo_sheets.connect(stack, runtime, sheets)
            runs.append(business)
            for path in sorted(folder.glob("clients.*")):
                _drop(business, path, f"incoming/clients/{path.name}")
                business.files.append((path.name, _outcome(business, path.name)))
            for path in sorted(folder.glob("produits.*")):  # the price list, when the business has one
                _drop(business, path, f"incoming/products/{path.name}")
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
        timeline: list[dict[str, Any]] = []
        purchases: dict[str, Any] = {}
        if runs:
            sheet_events = demo_sheets.living_sheet(
                runs[0].stack, runs[0].runtime, sheets, SAMPLES / "conseil-horizon"
            )
            _credit_notes(runs[0])
            payments = _payments(runs, stripe)
            from invoicing.services.clock import today

            purchases = demo_suppliers.suppliers(runs[0].stack, runs[0].runtime, today("Europe/Paris"), out)
            timeline = _days_pass(runs[0], stripe)
        summary = _collect(runs, out)
        summary["payments"] = payments
        summary["suppliers"] = purchases
        summary["living_sheet"] = sheet_events
        summary["dunning"] = {"business": runs[0].stack.name if runs else None, "timeline": timeline}
    finally:
        for business in runs:
            business.runtime.close()
        stripe.stop()
        sheets.stop()
        aws.stop()
    summary["seconds"] = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    _print(summary, out)
    return summary


def demo_parameters(stack_name: str) -> dict[str, str]:
    """What the demo adds to a sample's samconfig parameters: a reply domain (replies to
    reminders are detected) and reference rates for the penalties. The rates are DEMO VALUES,
    not the published ones: a real stack is given the ECB and legal rates of each half-year."""
    rates = {"2026-H2": "2.15", "2027-H1": "2.15", "2027-H2": "2.15"}
    legal = {"2026-H2": "2.76", "2027-H1": "2.76", "2027-H2": "2.76"}
    return {
        "ReplyDomain": f"reponses.{stack_name}.example",
        "ReferenceRates": json.dumps({"ecb": rates, "legal": legal}),
        "OnlineSales": "Enabled",
        # Supplier invoices are read offline (Textract needs AWS).
        "ExtractionEngine": "local",
    }


def _payments(runs: list[BusinessRun], stripe: StripeStub) -> list[dict[str, Any]]:
    """Money coming in (``invoicing_tools.demo_payments``): a bank statement for the first
    business, a card payment then a partial refund, and an online sale for the second."""
    from invoicing.services.clock import today

    events: list[dict[str, Any]] = []
    first = runs[0]
    resources = _resources(first.stack)
    repo = InvoiceRepository(resources)
    day = today("Europe/Paris")
    key = demo_payments.bank_statement(first.stack, first.runtime, resources, day)
    by_id = {s.invoice.invoice_id: s for s in repo.all()}
    ledger = PaymentLedger(resources.payments_table)
    settled = sorted(
        stored.invoice.number
        for invoice_id, stored in by_id.items()
        if any(e.source.value == "bank" for e in ledger.of_invoice(invoice_id))
    )
    review = [e for e in ledger.to_review() if e.source.value == "bank"]
    first.files.append(
        (Path(key).name, f"relevé bancaire : {', '.join(settled)} réglée(s), {len(review)} crédit à vérifier")
    )
    events.append(
        {
            "event": "relevé bancaire déposé dans bank/",
            "detail": f"{', '.join(settled)} réglées par virement ; {len(review)} crédit laissé à vérifier "
            "(invoicing payments unmatched)",
        }
    )
    # A customer pays by card from the link in its email, then the business refunds a third.
    chosen = [
        s
        for s in sorted(repo.all(), key=lambda s: s.invoice.number, reverse=True)
        if not s.invoice.is_credit_note
        and s.receivable.due > 0
        and s.invoice.buyer.ref not in ("C001", "C003", "C005")
    ]
    if chosen:
        stored = chosen[0]
        paid = demo_payments.pay_by_card(first.runtime, stripe, stored)
        after = repo.get(stored.invoice.invoice_id)
        events.append(
            {
                "event": "payée par carte (lien de l'email → Stripe Checkout → webhook signé)",
                "number": stored.invoice.number,
                "detail": f"statut {after.receivable.status.value}, plus de relance prévue",
            }
        )
        back = int(stored.receivable.total * 100) // 3
        demo_payments.refund(first.runtime, paid["intent"], back)
        after = repo.get(stored.invoice.invoice_id)
        events.append(
            {
                "event": f"remboursement partiel de {fmt.amount(Decimal(back) / 100, 'fr')} € (Stripe)",
                "number": stored.invoice.number,
                "detail": f"de nouveau due : {fmt.amount(after.receivable.due, 'fr')} €, relances reprises "
                f"(prochaine le {after.receivable.next_step_on})",
            }
        )
    if len(runs) > 1:
        shop = runs[1]
        before = {s.invoice.number for s in InvoiceRepository(_resources(shop.stack)).all()}
        sale = demo_payments.online_sale(
            shop.runtime,
            stripe,
            {
                "email": "camille.roux@courriel.example",
                "name": "Camille Roux",
                "address": {
                    "line1": "12 rue Notre-Dame",
                    "line2": None,
                    "postal_code": "33000",
                    "city": "Bordeaux",
                    "country": "FR",
                    "state": None,
                },
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        new = sorted({s.invoice.number for s in InvoiceRepository(_resources(shop.stack)).all()} - before)
        shop.files.append(("vente en ligne (Stripe)", f"facture acquittée {', '.join(new) or 'AUCUNE'}"))
        events.append(
            {
                "event": "vente en ligne payée (Payment Link Stripe)",
                "number": ", ".join(new),
                "detail": f"facture acquittée de {fmt.amount(sale['total'], 'fr')} € émise et envoyée "
                f"({shop.stack.name})",
            }
        )
    return events


def _days_pass(business: BusinessRun, stripe: StripeStub) -> list[dict[str, Any]]:
    """The remind function every morning from today to the end of the first invoice's sequence,
    with a reply and a payment in between. Returns what went out, day by day."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage
    from email.utils import make_msgid

    from invoicing.domain.calendar import at_local_time
    from invoicing.services.clock import today
    from invoicing_tools.local_aws.server import sent_emails

    repo = InvoiceRepository(_resources(business.stack))
    chased = sorted(
        (
            s
            for s in repo.all()
            if not s.invoice.is_credit_note and s.receivable.due > 0 and s.receivable.chaseable
        ),
        key=lambda s: (s.invoice.due_date, s.invoice.number),
    )
    if not chased:
        return []
    replier = chased[1] if len(chased) > 1 else None
    payer = chased[2] if len(chased) > 2 else None
    s3 = boto3.client("s3", region_name=REGION)
    bucket = business.stack.resource("DocumentsBucket")
    timeline: list[dict[str, Any]] = []
    first_seen: dict[str, date] = {}
    day = today("Europe/Paris")
    # Until every sequence started here is over (or two months after today, at most).
    last = min(max(c.invoice.due_date for c in chased), day + timedelta(days=60)) + timedelta(days=40)
    while day <= last:
        seen = len(sent_emails())
        result = business.runtime.run_schedule("RemindFunction", at=at_local_time(day, clock_time(9, 0, 5)))
        business.runtime.run_until_idle()
        for item in result["reminders"]:
            timeline.append({"day": day.isoformat(), "event": f"relance {item['tone']}", **item})
            first_seen.setdefault(item["number"], day)
        for item in result["escalations"]:
            timeline.append({"day": day.isoformat(), "event": "escalade + mise en demeure", **item})
        for sent in sent_emails()[seen:]:
            message = message_from_bytes(sent["raw"], policy=policy.default)
            number = next(
                (
                    s.invoice.number
                    for s in chased
                    if s.invoice.invoice_id == message["X-Invoicing-Invoice-Id"]
                ),
                None,
            )
            if replier is not None and number == replier.invoice.number and "reply" not in first_seen:
                # The customer answers the next morning: SES inbound stores the mail in inbox/mail/.
                reply = EmailMessage()
                reply["From"] = message["To"]
                reply["To"] = message["Reply-To"] or business.stack.resource("DocumentsBucket")
                reply["Subject"] = f"Re: {message['Subject']}"
                reply["Date"] = at_local_time(day + timedelta(days=1), clock_time(10, 12)).strftime(
                    "%a, %d %b %Y %H:%M:%S %z"
                )
                reply["Message-ID"] = make_msgid("client")
                reply.set_content(
                    "Bonjour,\n\nNous avons bien reçu la facture ; notre comptable la règle en fin de mois.\n"
                    "Pouvez-vous patienter jusque-là ?\n\nCordialement"
                )
                s3.put_object(Bucket=bucket, Key=f"inbox/mail/reponse-{number}", Body=reply.as_bytes())
                business.runtime.run_until_idle()
                first_seen["reply"] = day
                timeline.append(
                    {
                        "day": (day + timedelta(days=1)).isoformat(),
                        "event": "réponse du client",
                        "number": number,
                    }
                )
        if payer is not None and "paid" not in first_seen:
            reminded = [
                t
                for t in timeline
                if t.get("number") == payer.invoice.number and t["event"].startswith("relance")
            ]
            if len(reminded) >= 2:
                # Two days later the customer clicks the link of its invoice email and pays by card.
                paid_on = day + timedelta(days=2)
                demo_payments.pay_by_card(business.runtime, stripe, payer, on=paid_on)
                first_seen["paid"] = day
                timeline.append(
                    {
                        "day": paid_on.isoformat(),
                        "event": "payée par carte (Stripe)",
                        "number": payer.invoice.number,
                    }
                )
        day += timedelta(days=1)
    return timeline


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
        ids = {item.invoice.invoice_id: item.invoice.number for item in stored}
        emails = _save_emails(stack.name, ids, out)
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="notices/").get("Contents", []):
            target = out / "notices" / f"{stack.name}--{Path(obj['Key']).name}"
            target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        reports = []
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix="reports/").get("Contents", []):
            target = out / "reports" / f"{stack.name}--{Path(obj['Key']).name}"
            target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            reports.append(str(target.relative_to(out)))
        alerts = []
        while True:
            batch = sqs.receive_message(QueueUrl=business.alerts_queue, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                break
            for message in batch:
                body = json.loads(message["Body"])
                alerts.append({"subject": body.get("Subject"), "message": body.get("Message")})
                sqs.delete_message(QueueUrl=business.alerts_queue, ReceiptHandle=message["ReceiptHandle"])
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
                "emails": emails,
                "alerts": [a["subject"] for a in alerts],
            }
        )
    return {"businesses": businesses}


def _save_emails(stack_name: str, invoice_ids: dict[str, str], out: Path) -> list[str]:
    """Every email SES accepted about this business's documents, as ``.eml`` files (open them in
    a mail client), numbered in the order they went out."""
    from email import message_from_bytes, policy

    from invoicing_tools.local_aws.server import sent_emails

    saved = []
    for sent in sent_emails():
        headers = message_from_bytes(sent["raw"], policy=policy.default)
        number = invoice_ids.get(str(headers["X-Invoicing-Invoice-Id"]))
        if number is None:
            continue
        kind = str(headers["X-Invoicing-Kind"] or "email")
        name = f"{stack_name}--{len(saved) + 1:03d}-{kind}-{number}.eml"
        (out / "emails" / name).write_bytes(sent["raw"])
        saved.append(f"emails/{name}")
    return saved


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
            elif doc["status"] == "paid":
                kind = "payée"
            elif doc["status"] == "partially_paid":
                kind = f"reste dû {fmt.amount(Decimal(doc['amount_due']), 'fr')}"
                kind += f", relance le {doc['next_action_on']}" if doc["next_action_on"] else ""
            else:
                kind = f"relance le {doc['next_action_on']}" if doc["next_action_on"] else ""
            print(f"  {doc['number']:<14}{who:<40}{doc['issue_date']:>11}{ht:>13}{tva:>11}{ttc:>13}  {kind}")
        for subject in business["alerts"]:
            print(f"  alerte opérateur : {subject}")
    if summary.get("living_sheet"):
        print("\nLa feuille d'heures qui grandit (conseil-horizon) : seules les lignes nouvelles et validées")
        for event in summary["living_sheet"]:
            issued = ", ".join(event["issued"]) or "aucune facture"
            skipped = f"{len(event['already'])} ligne(s) déjà facturée(s)"
            waiting = f", {len(event['not_ready'])} en attente" if event["not_ready"] else ""
            print(f"  {event['source']:<34} {issued} ; {skipped}{waiting}")
    if summary.get("payments"):
        print("\nPaiements")
        for event in summary["payments"]:
            number = f" {event['number']}" if event.get("number") else ""
            print(f"  {event['event']}{number} : {event['detail']}")
    purchases = summary.get("suppliers") or {}
    if purchases.get("read"):
        print(f"\nFactures fournisseurs ({purchases['business']}) : lues, vérifiées, comptabilisées")
        for item in purchases["read"]:
            print(
                f"  {item['file'][:34]:<36}{(item['supplier'] or '?')[:26]:<28}{item['number'] or '?':<14}"
                f"{item['total_incl_tax']:>10}  {item['engine']:<8} {item['state']:<10} {item['account']}"
            )
            for reason in item["reasons"]:
                print(f"      ! {reason}")
            if item["ref"] in purchases.get("approved", ()):
                print(f"      validée par le gérant : invoicing suppliers approve {item['ref']}")
        print(f"  résumés envoyés au gérant : {', '.join(purchases.get('summaries') or ['-'])}")
        print(f"  export du mois (FEC, écritures, XIMPORT) : {', '.join(purchases['exports'])}")
        for line in purchases.get("left_out") or ():
            print(f"      laissé de côté : {line}")
    dunning = summary.get("dunning") or {}
    if dunning.get("timeline"):
        print(f"\nLes jours passent ({dunning['business']}) : relances à 9 h, jours ouvrés")
        for event in dunning["timeline"]:
            who = event.get("to") or ""
            extra = f"  -> {who}" if who else ""
            if event.get("pilot_for"):
                extra += f" (pilote, pour {event['pilot_for']})"
            numbers = event.get("numbers") or [event.get("number")]
            print(f"  {event['day']}  {event['event']:<28} {', '.join(n for n in numbers if n)}{extra}")
    emails = sum(len(b.get("emails", [])) for b in summary["businesses"])
    total = sum(len(b["documents"]) for b in summary["businesses"])
    shown = out.relative_to(PROJECT) if out.is_relative_to(PROJECT) else out
    print(
        f"\n{total} documents in {summary['seconds']} s. PDFs: {shown}/invoices/  reports: {shown}/reports/  "
        f"alerts: {shown}/alerts/  summary: {shown}/summary.json\n"
        f"{emails} emails: {shown}/emails/ (.eml)  formal notices: {shown}/notices/"
    )
