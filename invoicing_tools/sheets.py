"""``invoicing pull --stack NAME``: pull the stack's Google Sheet now, as its schedule does.

The sheet (``GoogleSheetId`` and ``GoogleSheetRange``, or ``GoogleSheetCsvUrl``) is read with the
stack's own settings, those of its generate function, and the service-account key in its Secrets
Manager secret (your AWS credentials must allow reading it), and written to
``incoming/sheets/``; the stack then invoices its new, ready rows as for any upload (the report is
``reports/sheets/<snapshot>.invoices.csv``). Exit 1 when Google would not serve the sheet (the
cause is printed, and the operator alerted as for a scheduled pull).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from invoicing_tools.operate import LOCAL_ENV_DIR, Output, Refused, _check_stack
from invoicing_tools.operate import _run as operate_run


def _generate_environment(stack: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    from invoicing.adapters.aws import client

    path = LOCAL_ENV_DIR / f"{stack}.env.json"
    if os.environ.get("AWS_ENDPOINT_URL") and path.is_file():
        found = json.loads(path.read_text(encoding="utf-8")).get("GenerateFunction")
        if found:
            return dict(found)
    function = f"{stack}-generate"
    try:
        return dict(
            client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
        )
    except ClientError as exc:
        raise Refused(f"no function {function}: is {stack!r} the name of a deployed stack?") from exc


def sheet_pull_for_stack(stack: str) -> Any:
    from invoicing.adapters.documents import DocumentStore
    from invoicing.adapters.messaging import Alerts
    from invoicing.business import GenerateSettings
    from invoicing.services.sheet_pull import SheetPull
    from invoicing.settings import SettingsError

    try:
        settings = GenerateSettings.from_env(_generate_environment(stack))
    except SettingsError as exc:
        raise Refused(f"the settings of {stack}-generate: {exc}") from exc
    if settings.sheet is None:
        raise Refused(f"{stack} names no Google Sheet (GoogleSheetId or GoogleSheetCsvUrl)")
    return SheetPull(
        settings=settings.sheet,
        documents=DocumentStore(settings.resources.documents_bucket),
        alerts=Alerts(settings.alerts_topic_arn),
        business_name=settings.business.seller.legal_name,
    )


def pull(args: argparse.Namespace, out: Output) -> int:
    _check_stack(args.stack)
    pulled = args.pull_for(args.stack).pull()
    if args.json:
        out.json({"key": pulled.key, "rows": pulled.rows, "reason": pulled.reason})
    elif pulled.key is not None:
        out.line(f"{pulled.rows} row(s) pulled into {pulled.key}: the stack invoices the new, ready ones")
    elif pulled.reason == "no_rows":
        out.line("the sheet has no row: nothing written")
    else:
        out.line(f"the sheet could not be read ({pulled.reason}): the operator was alerted with what to do")
    return 0 if pulled.key is not None or pulled.reason == "no_rows" else 1


def register(subparsers: Any, *, pull_for: Any = None) -> None:
    p = subparsers.add_parser(
        "pull", help="pull the stack's Google Sheet now and invoice its new, ready rows"
    )
    p.add_argument("--stack", required=True, metavar="NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=operate_run(pull), pull_for=pull_for or sheet_pull_for_stack, command="pull")
