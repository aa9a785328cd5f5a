"""``invoicing``: the operator's command line.

invoicing demo                         the whole flow on the embedded local AWS (make demo)
invoicing local [--port 4566]          keep a local AWS running with every sample stack
invoicing check SALES [--clients F] [--products F]
                                       validate an export offline, as the generate function would
invoicing invoices --stack NAME        list the invoices of a deployed stack (AWS credentials)
invoicing overdue|show|pause|...       the reminders of a deployed stack (invoicing_tools.operate)
invoicing payments unmatched|assign|record|show
                                       the payments ledger: bank credits left for review, assigning
                                       them, cheques and cash received by hand (operate)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from invoicing.domain.problems import InputRejected, Problem

if TYPE_CHECKING:
    from invoicing.business import Business
    from invoicing.domain.invoice import Draft
    from invoicing.ingest.sales import SkippedRows


def _demo(args: argparse.Namespace) -> int:
    from invoicing_tools import demo

    demo.run(Path(args.out).resolve())
    return 0


def _local(args: argparse.Namespace) -> int:
    from invoicing_tools.local_aws.runtime import LocalRuntime
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import LocalAws
    from invoicing_tools.local_aws.stack import PROJECT, LocalStack

    aws = LocalAws(port=args.port)
    endpoint = aws.start()
    aws.activate()
    runtimes = []
    env_dir = PROJECT / "out" / "local"
    env_dir.mkdir(parents=True, exist_ok=True)
    for env in environments().values():
        if args.env and env.name not in args.env:
            continue
        stack = LocalStack(env.stack_name, env.parameters).deploy()
        runtime = LocalRuntime(aws, stack)
        runtimes.append(runtime)
        # For `sam local invoke --env-vars`: the functions' variables, pointed at this server
        # (host.docker.internal is how a container reaches the host).
        container_endpoint = endpoint.replace("127.0.0.1", "host.docker.internal")
        env_vars = {
            logical_id: {
                **spec.environment,
                **aws.client_environment(),
                "AWS_ENDPOINT_URL": container_endpoint,
            }
            for logical_id, spec in stack.functions.items()
        }
        path = env_dir / f"{stack.name}.env.json"
        path.write_text(json.dumps(env_vars, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"stack {stack.name}: bucket s3://{stack.resource('DocumentsBucket')}  env file {path}")
    print(
        f"local AWS at {endpoint}; drop files with e.g.\n"
        f"  aws --endpoint-url {endpoint} s3 cp ventes.csv s3://<bucket>/incoming/\nCtrl-C to stop."
    )
    try:
        while True:
            if not sum(runtime.run_until_idle() for runtime in runtimes):
                time.sleep(1)
    except KeyboardInterrupt:
        aws.stop()
    return 0


def check_files(
    sales: Path,
    clients: Path | None,
    business: Business,
    day: date,
    products: Path | None = None,
    skipped: SkippedRows | None = None,
) -> tuple[Draft, ...]:
    """What ``invoicing check`` does: the very validation the generate function runs, on
    local files, without AWS. Raises ``InputRejected`` exactly as generate would refuse.
    ``products``: the price list, read as generate reads ``incoming/products/``."""
    from invoicing.services.validation import Rules, validate_clients, validate_products, validate_sales

    rules = Rules.for_business(business, day)
    known = {}
    if clients is not None:
        known = {c.ref: c for c in validate_clients(clients.read_bytes(), clients.name, rules)}
    price_list = None
    if products is not None:
        price_list = {p.code: p for p in validate_products(products.read_bytes(), products.name, rules)}
    data = sales.read_bytes()
    if len(data) > business.max_input_bytes:  # generate refuses it unread, by its size alone
        raise InputRejected([Problem("too_large", params={"limit": business.max_input_bytes})])
    return validate_sales(
        data,
        sales.name,
        rules,
        clients=known,
        file_key=f"incoming/{sales.name}",
        file_sha256=hashlib.sha256(data).hexdigest(),
        find_invoice=lambda number: None,
        products=price_list,
        skipped=skipped,
    )


def _check(args: argparse.Namespace) -> int:
    """Read an export with the very validation the generate function runs, without any AWS."""
    from invoicing.business import Business
    from invoicing.services.clock import today
    from invoicing.settings import SettingsError
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.stack import LocalStack

    env = (
        environments().get(args.config_env) if args.config_env else next(iter(environments().values()), None)
    )
    if env is None:
        print("no business environment found in samconfig.toml", file=sys.stderr)
        return 2
    try:
        business = Business.from_env(LocalStack(env.stack_name, env.parameters).parameter_environment())
    except SettingsError as exc:
        print(f"configuration of {env.name}: {exc}", file=sys.stderr)
        return 2
    from invoicing.ingest.sales import SkippedRows

    skipped = SkippedRows()
    try:
        drafts = check_files(
            Path(args.sales),
            Path(args.clients) if args.clients else None,
            business,
            today(business.time_zone),
            Path(args.products) if args.products else None,
            skipped,
        )
    except InputRejected as rejected:
        for problem in rejected.problems:
            value = "" if problem.value is None else problem.value  # already quoted: bounded, visible
            print(
                f"  row {problem.row or '-'}, column {problem.column or '-'}, value '{value}': "
                f"{problem.reason_fr} / {problem.reason_en}"
            )
        print(f"{len(rejected.problems)} problem(s): the file would be refused whole.")
        return 1
    for draft in drafts:
        totals = draft.totals()
        print(
            f"  {draft.buyer.ref:<10} {draft.buyer.name[:36]:<38} {len(draft.lines):>3} line(s)  "
            f"HT {totals.tax_basis_total:>10}  TVA {totals.vat_total:>9}  TTC {totals.grand_total:>10}"
        )
    for row, code, listed, own in skipped.price_overrides:
        print(f"  row {row}: {code} at {own} instead of the list price {listed} (flagged in the report)")
    from invoicing.domain.text import quoted

    for row, status in skipped.not_ready:
        print(f"  row {row}: not ready (status '{quoted(status, 40)}'), not invoiced")
    print(f"{len(drafts)} document(s) would be issued.")
    if drafts and any(draft.rows for draft in drafts):
        print(
            "Offline, rows invoiced before cannot be known: the stack skips them and issues only the "
            "new ones (invoicing invoices --stack … lists what it issued)."
        )
    return 0


def _invoices(args: argparse.Namespace) -> int:
    import boto3

    from invoicing.adapters.invoices import InvoiceRepository
    from invoicing.settings import Resources

    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in boto3.client("cloudformation")
        .describe_stacks(StackName=args.stack)["Stacks"][0]
        .get("Outputs", [])
    }
    resources = Resources(
        invoices_table=outputs["InvoicesTableName"],
        sequences_table=outputs["SequencesTableName"],
        clients_table=outputs["ClientsTableName"],
        documents_bucket=outputs["DocumentsBucketName"],
    )
    for stored in sorted(InvoiceRepository(resources).all(), key=lambda s: s.invoice.number):
        inv = stored.invoice
        print(
            f"{inv.number:<16} {inv.issue_date}  {inv.buyer.ref:<10} {inv.buyer.name[:36]:<38} "
            f"TTC {inv.totals.grand_total:>10}  {stored.receivable.status.value:<14} "
            f"due {stored.receivable.due:>10}  {stored.pdf_key or '-'}"
        )
    return 0


def _credit_note(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    import boto3

    from invoicing.business import GenerateSettings
    from invoicing.domain.invoice import CreditedLine
    from invoicing.services.credit_notes import CreditNoteError, issue_credit_note
    from invoicing.services.issuing import Issuer

    try:
        lines = tuple(
            CreditedLine(int(n), Decimal(q.replace(",", "."))) for n, q in (x.split(":") for x in args.line)
        )
        if not all(item.quantity.is_finite() for item in lines):
            raise ValueError("not a finite quantity")
    except (ValueError, InvalidOperation):
        print("--line takes LINE:QUANTITY, for example --line 2:1.5", file=sys.stderr)
        return 2
    # The stack's own settings, as its generate function has them.
    function = boto3.client("lambda").get_function_configuration(FunctionName=f"{args.stack}-generate")
    issuer = Issuer.from_settings(GenerateSettings.from_env(function["Environment"]["Variables"]))
    try:
        issued = issue_credit_note(
            issuer, args.number, reason=args.reason, lines=lines or None, request_id=args.request_id
        )
    except CreditNoteError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    state = "issued" if issued.created else "already issued by this same request"
    print(f"{issued.number} ({state}) credits {args.number}: TTC {issued.total_incl_vat}; {issued.pdf_key}")
    return 0


def _preview(args: argparse.Namespace) -> int:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(args.pdf)
    stem = Path(args.out) if args.out else Path(args.pdf).with_suffix("")
    for index in range(len(pdf)):
        target = stem.with_name(f"{stem.name}-{index + 1}.png") if len(pdf) > 1 else stem.with_suffix(".png")
        pdf[index].render(scale=args.dpi / 72).to_pil().save(target, optimize=True)
        print(target)
    return 0


def _preview_email(args: argparse.Namespace) -> int:
    """An email for a sample document (``--kind``: the invoice, the credit note, a reminder in
    ``--tone``, or the owner's escalation; in ``--locale``, with any ``--template`` override in force,
    each checked first) as ``<out>.eml`` and ``<out>.html`` (its logo inlined for a browser)."""
    import base64
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from invoicing.documents import emails
    from invoicing.documents.render import render
    from invoicing.domain.tokens import Key, Keyring, Purpose, sign

    overrides = {Path(f).name: Path(f).read_text(encoding="utf-8") for f in args.template}
    problems = [
        p for name, text in overrides.items() for p in emails.check_override(name, text, others=overrides)
    ]
    for problem in problems:
        print(f"refused: {problem}", file=sys.stderr)
    if problems:
        return 1
    kind = "credit_note" if args.credit_note else args.kind
    templates = emails.EmailTemplates(overrides)
    invoice = emails.sample_invoice(args.locale, credit_note=kind == "credit_note")
    token = sign(invoice.invoice_id, Purpose.PAY, invoice.due_date, Keyring(Key.generate(0)))
    pay_url = f"https://pay.example/pay/{token}"
    logo = Path(args.logo).read_bytes() if args.logo else None
    sender = invoice.seller.email or "facturation@example.com"
    sent_at = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    pdf = render(invoice).pdf
    if kind == "reminder":
        sample = emails.sample_reminder(args.locale, args.tone)
        msg = emails.compose_reminder_email(
            sample.invoice,
            tone=args.tone,
            as_of=sample.as_of,
            due=sample.due,
            pdf=pdf,
            sender=sender,
            penalties=sample.penalties,
            pay_url=pay_url,
            logo=logo,
            templates=templates,
        )
    elif kind == "escalation":
        items, as_of = emails.sample_escalation(args.locale)
        msg = emails.compose_escalation_email(
            business_name=invoice.seller.legal_name,
            to=sender,
            sender=sender,
            items=items,
            notice_pdf=pdf,  # any PDF: the formal notice itself is rendered elsewhere
            notice_filename=f"mise-en-demeure-{items[0].client_ref}.pdf",
            as_of=as_of,
            locale=args.locale,
            templates=templates,
        )
    else:
        msg = emails.compose_invoice_email(
            invoice,
            pdf=pdf,
            sender=sender,
            pay_url=pay_url,
            logo=logo,
            templates=templates,
            sent_at=sent_at,
        )
    if args.out is None:
        args.out = f"out/preview-email/{kind}" + (f"_{args.tone}" if kind == "reminder" else "")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".eml").write_bytes(msg.as_bytes())
    html = msg.get_body(("html",)).get_content()
    for part in msg.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_content()).decode()
            html = html.replace(
                f"cid:{part['Content-ID'][1:-1]}", f"data:{part.get_content_type()};base64,{data}"
            )
    out.with_suffix(".html").write_text(html, encoding="utf-8")
    print(f"{msg['Subject']}\n{out.with_suffix('.eml')}\n{out.with_suffix('.html')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="invoicing", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the whole flow on the embedded local AWS")
    p.add_argument("--out", default="out/demo")
    p.set_defaults(run=_demo)
    p = sub.add_parser("local", help="keep a local AWS with the sample stacks running")
    p.add_argument("--port", type=int, default=4566)
    p.add_argument("--env", action="append", help="samconfig environment(s) to deploy (default: all)")
    p.set_defaults(run=_local)
    p = sub.add_parser("check", help="validate a sales export offline")
    p.add_argument("sales")
    p.add_argument("--clients")
    p.add_argument("--products", help="the price list (products file) the sales rows' codes refer to")
    p.add_argument("--config-env", help="samconfig environment whose business settings apply")
    p.set_defaults(run=_check)
    p = sub.add_parser("invoices", help="list the invoices of a deployed stack")
    p.add_argument("--stack", required=True)
    p.set_defaults(run=_invoices)
    p = sub.add_parser("credit-note", help="issue a credit note (avoir) for an invoice")
    p.add_argument("number", help="the invoice to correct, e.g. FA2026-00012")
    p.add_argument("--stack", required=True)
    p.add_argument("--reason", required=True, help="why, printed on the credit note")
    p.add_argument("--line", action="append", default=[], help="LINE:QUANTITY to credit (default: all)")
    p.add_argument("--request-id", default="", help="to issue a second identical credit note on purpose")
    p.set_defaults(run=_credit_note)
    p = sub.add_parser("preview", help="render a PDF's pages to PNG")
    p.add_argument("pdf")
    p.add_argument("--out", help="PNG path (default: next to the PDF)")
    p.add_argument("--dpi", type=int, default=110)
    p.set_defaults(run=_preview)
    p = sub.add_parser("preview-email", help="render an email for a sample document (.eml, .html)")
    p.add_argument("--locale", choices=["fr", "en"], default="fr")
    p.add_argument("--kind", choices=["invoice", "credit_note", "reminder", "escalation"], default="invoice")
    p.add_argument("--tone", choices=["courtesy", "gentle", "firm", "final"], default="firm", help="reminder")
    p.add_argument("--credit-note", action="store_true", help="same as --kind credit_note")
    p.add_argument("--logo", help="PNG, JPEG or GIF shown at the top of the email")
    p.add_argument("--template", action="append", default=[], help="an override, e.g. invoice.fr.txt.j2")
    p.add_argument("--out", help="path without extension (default: out/preview-email/<kind>)")
    p.set_defaults(run=_preview_email)
    __import__("invoicing_tools.operate", fromlist=["register"]).register(sub)  # overdue, pause, resume...
    __import__("invoicing_tools.suppliers", fromlist=["register"]).register(sub)  # extract, suppliers, export
    __import__("invoicing_tools.sheets", fromlist=["register"]).register(sub)  # pull
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
