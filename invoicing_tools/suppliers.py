"""Commands for supplier invoices and the accountant's export (``invoicing ...``):

- ``invoicing extract FILE [--ignore-embedded-xml] [--json]``: what the offline extractor reads
  from a PDF, an image or an e-invoice XML (no AWS, nothing stored): the normalised record, the
  engine that read it and a confidence per field; ``--ignore-embedded-xml`` reads a Factur-X PDF
  as if it had no XML (to see what the text layer gives). Exit 1 when the file cannot be read.
- ``invoicing suppliers list|show|approve|reject --stack NAME``: the review queue, one record,
  booking one (``--set field=value`` corrects what was read, ``--account 6064`` the account),
  keeping one out of the books.
- ``invoicing export --stack NAME [--month YYYY-MM] [--out DIR]``: the month's FEC and import files
  written under ``exports/<month>/`` in the stack's bucket, and copied to DIR.

The stack's settings are its ocr function's (``<stack>-ocr``), or those ``invoicing local`` wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoicing_tools.operate import LOCAL_ENV_DIR, Output, Refused, UsageError, _check_stack
from invoicing_tools.operate import _run as operate_run


def ocr_settings(stack: str) -> Any:
    from botocore.exceptions import ClientError

    from invoicing.adapters.aws import client
    from invoicing.settings import OcrSettings, SettingsError

    function = f"{stack}-ocr"
    env = None
    path = LOCAL_ENV_DIR / f"{stack}.env.json"
    if os.environ.get("AWS_ENDPOINT_URL") and path.is_file():
        env = json.loads(path.read_text(encoding="utf-8")).get("OcrFunction")
    if env is None:
        try:
            env = client("lambda").get_function_configuration(FunctionName=function)["Environment"][
                "Variables"
            ]
        except ClientError as exc:
            raise Refused(f"no function {function}: is {stack!r} the name of a deployed stack?") from exc
    try:
        return OcrSettings.from_env(env)
    except SettingsError as exc:
        raise Refused(f"the settings of {function}: {exc}") from exc


def intake_for_stack(stack: str) -> Any:
    from invoicing.services.supplier_intake import SupplierIntake

    return SupplierIntake.from_settings(ocr_settings(stack))


# --- extract ------------------------------------------------------------------------------------------


def extract(args: argparse.Namespace) -> int:
    from invoicing.ingest.supplier_text import UnreadableDocument
    from invoicing.ingest.supplier_xml import NotAnInvoiceXml
    from invoicing.services.supplier_intake import Document, document_kind, read_offline

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"invoicing extract: {exc.strerror}: {args.file}", file=sys.stderr)
        return 2
    kind = document_kind(path.name, "", data)
    if kind is None:
        print(f"invoicing extract: {path.name} is not a PDF, an image or an e-invoice XML", file=sys.stderr)
        return 1
    try:
        record = read_offline(Document(path.name, kind, data), ignore_embedded_xml=args.ignore_embedded_xml)
    except (UnreadableDocument, NotAnInvoiceXml) as exc:
        print(f"invoicing extract: cannot read {path.name}: {exc}", file=sys.stderr)
        return 1
    out = record.as_json()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    width = max(len(k) for k in out)
    for key, value in out.items():
        if key in ("lines", "vat", "confidence"):
            continue
        shown = "" if value is None else value
        mark = ""
        if key in record.confidence and value is not None:
            mark = f"  ({record.confidence[key]:.0%})"
        print(f"{key:<{width}}  {shown}{mark}")
    for vat in out["vat"]:
        print(f"{'vat':<{width}}  {vat['rate']} %: base {vat['base']}, tax {vat['tax']}")
    for line in out["lines"][:50]:
        amount = f"{line['quantity']} x {line['unit_price']} = {line['amount']}"
        print(f"{'line':<{width}}  {line['description'][:60]} | {amount}")
    return 0


# --- suppliers ---------------------------------------------------------------------------------------


def _row(s: Any) -> dict[str, Any]:
    inv = s.invoice
    return {
        "ref": s.short_id,
        "state": s.state.value,
        "received_at": s.received_at.isoformat(),
        "file": s.file_name,
        "supplier": inv.supplier_name,
        "number": inv.invoice_number,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "total_incl_tax": f"{inv.total_incl_tax}" if inv.total_incl_tax is not None else None,
        "account": s.account.number if s.account else None,
        "reasons": [r.en for r in s.reasons],
    }


def _desk(args: argparse.Namespace) -> Any:
    from invoicing.services.supplier_desk import SupplierDesk

    _check_stack(args.stack)
    intake = args.intake_for(args.stack)
    if intake.records is None:
        raise Refused(f"{args.stack} has no supplier invoices table")
    return SupplierDesk(intake.records, today=intake.today, our_ids=intake.config.our_ids)


def suppliers_list(args: argparse.Namespace, out: Output) -> int:
    rows = [_row(s) for s in _desk(args).queue()]
    if args.json:
        return out.json(rows)
    if not rows:
        out.line("nothing waits for approval")
    for r in rows:
        out.line(
            f"{r['ref']}  {r['issue_date'] or '?':10}  {(r['supplier'] or '?')[:30]:30}  "
            f"{(r['number'] or '?')[:20]:20}  {r['total_incl_tax'] or '?':>10}"
        )
        for reason in r["reasons"]:
            out.line(f"    ! {reason}")
    return 0


def suppliers_show(args: argparse.Namespace, out: Output) -> int:
    stored = _desk(args).find(args.ref)
    data = {**_row(stored), "record": stored.invoice.as_json(), "document": stored.document_key}
    data["history"] = [list(h) for h in stored.history]
    if args.json:
        return out.json(data)
    for key in ("ref", "state", "file", "document", "received_at", "account"):
        out.line(f"{key:12} {data[key]}")
    for key, value in data["record"].items():
        if key not in ("lines", "confidence", "vat") and value is not None:
            out.line(f"{key:12} {value}" if len(key) <= 12 else f"{key} {value}")
    for reason in data["reasons"]:
        out.line(f"! {reason}")
    for when, what in data["history"]:
        out.line(f"{when}  {what}")
    return 0


def suppliers_approve(args: argparse.Namespace, out: Output) -> int:
    changes = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set {item!r}: write field=value")
        changes[name.strip()] = value
    stored = _desk(args).approve(args.ref, changes=changes, account=args.account)
    if args.json:
        return out.json(_row(stored))
    out.line(f"{stored.short_id}: approved, booked on {stored.account.number if stored.account else '?'}")
    return 0


def suppliers_reject(args: argparse.Namespace, out: Output) -> int:
    stored = _desk(args).reject(args.ref, reason=args.reason)
    if args.json:
        return out.json(_row(stored))
    out.line(f"{stored.short_id}: rejected, kept out of the books")
    return 0


def export(args: argparse.Namespace, out: Output) -> int:
    _check_stack(args.stack)
    if args.month is not None:
        from invoicing.services.accounting_export import month_bounds

        try:
            month_bounds(args.month)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    done = args.intake_for(args.stack).export(args.month)
    if args.out:
        folder = Path(args.out) / done.month
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in done.files.items():
            (folder / name).write_bytes(data)
    if args.json:
        return out.json(
            {
                "month": done.month,
                "keys": list(done.keys),
                "sales": done.sales,
                "purchases": done.purchases,
                "bank": done.bank,
                "left_out": list(done.left_out),
            }
        )
    out.line(f"{done.month}: {done.sales} sales, {done.purchases} purchases, {done.bank} bank entries")
    for key in done.keys:
        out.line(f"  s3://…/{key}")
    for line in done.left_out:
        out.line(f"  left out: {line}")
    return 0


def _refusals() -> tuple[type[Exception], ...]:
    from invoicing.adapters.supplier_invoices import Conflict
    from invoicing.services.supplier_desk import SupplierRefused

    return (SupplierRefused, Conflict, ValueError)


def _run(command: Callable[[argparse.Namespace, Output], int]) -> Callable[[argparse.Namespace], int]:
    return operate_run(command, also_refused=_refusals)


def register(subparsers: Any, *, intake_for: Callable[[str], Any] | None = None) -> None:
    find = intake_for or intake_for_stack
    p = subparsers.add_parser(
        "extract", help="print what the offline extractor reads from a supplier invoice (PDF, image, XML)"
    )
    p.add_argument("file")
    p.add_argument(
        "--ignore-embedded-xml", action="store_true", help="read a Factur-X PDF's text, not its XML"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=extract)

    p = subparsers.add_parser("export", help="the month's FEC and accounting import files")
    p.add_argument("--stack", required=True, metavar="NAME")
    p.add_argument("--month", metavar="YYYY-MM", help="default: the previous month")
    p.add_argument("--out", metavar="DIR", help="also copy the files here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_run(export), intake_for=find, command="export")

    summary = "supplier invoices: the review queue, approving (with corrections), rejecting"
    group = subparsers.add_parser("suppliers", help=summary, description=summary)
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    def add(name: str, command: Callable[[argparse.Namespace, Output], int], text: str) -> Any:
        q = actions.add_parser(name, help=text, description=text)
        q.add_argument("--stack", required=True, metavar="NAME")
        q.add_argument("--json", action="store_true")
        q.set_defaults(run=_run(command), intake_for=find, command=f"suppliers {name}")
        return q

    add("list", suppliers_list, "what waits for approval, with the reasons")
    q = add("show", suppliers_show, "one supplier invoice: what was read, why it waits, its history")
    q.add_argument("ref", help="the reference shown in the summary or the list")
    q = add("approve", suppliers_approve, "book a supplier invoice, as read or corrected")
    q.add_argument("ref")
    q.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="correct a field read")
    q.add_argument("--account", metavar="NUMBER", help="the purchase account (6064, 6226, ...)")
    q = add("reject", suppliers_reject, "keep a supplier invoice out of the books")
    q.add_argument("ref")
    q.add_argument("--reason", required=True)


def main(argv: list[str] | None = None, *, intake_for: Callable[[str], Any] | None = None) -> int:
    """These commands alone (``python -m invoicing_tools.suppliers``, tests)."""
    parser = argparse.ArgumentParser(prog="invoicing", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True), intake_for=intake_for)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
