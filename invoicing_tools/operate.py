"""The operator's hands on the reminders of a deployed stack.

invoicing overdue --stack NAME                      invoices past due with something still due
invoicing show NUMBER --stack NAME                  one invoice as the desk sees it
invoicing pause NUMBER --until DATE --stack NAME    no reminder before DATE (2026-12-20 or 20/12/2026)
invoicing resume NUMBER --stack NAME                end a pause or an exclusion
invoicing dispute NUMBER [--reason TEXT] --stack NAME           reminders stop; the owner is alerted
invoicing resolve NUMBER --outcome won|lost|withdrawn --stack NAME
invoicing exclude (NUMBER | --client REF) --reason TEXT --stack NAME
invoicing include --client REF --stack NAME         reminders again for a client's later invoices
invoicing resend NUMBER --stack NAME                queue the document for the send function again

invoicing payments unmatched --stack NAME           money no invoice is known for (bank credits to review...)
invoicing payments assign GROUP NUMBER --stack NAME say which invoice an unmatched payment pays
invoicing payments record NUMBER AMOUNT --method cheque|cash|transfer --on DATE --reference REF --stack NAME
                                                    a payment received by hand; once per reference
invoicing payments show NUMBER --stack NAME         an invoice's payments and what is still due

Every command takes ``--json``: one JSON object (a list for ``overdue``) on stdout, and on
failure ``{"error": "..."}`` on stdout instead of a message on stderr.

Exit codes: 0 done; 1 refused (an unknown invoice, a move the invoice's state does not allow:
the message says why, or the stack's settings unreadable); 2 a usage error (a malformed date,
a pause not ending after today, a reason with invisible characters, ``exclude`` given both a
number and ``--client`` or neither).

Where the stack is: its own settings, as its remind function has them (Lambda
GetFunctionConfiguration of ``<stack>-remind``), with the AWS credentials and region of the
usual places (``AWS_PROFILE``, ``AWS_REGION``...). "Today" is the business's calendar day in
its time zone. Against the local embedded AWS (``invoicing local``), setting
``AWS_ENDPOINT_URL`` (``http://127.0.0.1:4566``) is enough: boto3 reads it, and as moto runs no
Lambda functions the settings are read from the environment file ``invoicing local`` wrote for
the stack (``out/local/<stack>.env.json``).

Tests and other programs pass their own desk: ``main(argv, desk_for=...)`` or
``register(subparsers, desk_for=...)`` with a function from the stack's name to a ``Desk``
(and ``cashbook_for=...`` to a ``Cashbook`` for the ``payments`` commands).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from invoicing.services.cashbook import Applied, Cashbook
    from invoicing.services.desk import Desk, Row
    from invoicing.settings import RemindSettings

DeskFor = Callable[[str], "Desk"]
CashbookFor = Callable[[str], "Cashbook"]

#: Where ``invoicing local`` writes each local stack's function environments.
LOCAL_ENV_DIR = Path(__file__).resolve().parents[1] / "out" / "local"
#: CloudFormation's rule for stack names.
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
#: An amount as typed: 1234.56, 1234,56, 1 234,56 (digits, one decimal mark, an optional sign).
_AMOUNT = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class UsageError(Exception):
    """The command line itself is wrong (exit 2)."""


class Refused(Exception):
    """The command cannot be carried out (exit 1)."""


# --- where the stack is -----------------------------------------------------------------------------


def remind_settings(stack: str) -> RemindSettings:
    """The stack's own settings, as its remind function has them."""
    from botocore.exceptions import ClientError

    from invoicing.adapters.aws import client
    from invoicing.settings import RemindSettings, SettingsError

    function = f"{stack}-remind"
    try:
        configuration = client("lambda").get_function_configuration(FunctionName=function)
        env = configuration.get("Environment", {}).get("Variables", {})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        env = _local_environment(stack)
        if env is None:
            raise UsageError(f"no function {function}: is {stack!r} the name of a deployed stack?") from None
    try:
        return RemindSettings.from_env(env)
    except SettingsError as exc:
        raise Refused(f"the settings of {function}: {exc}") from exc


def _local_environment(stack: str) -> dict[str, str] | None:
    """The remind function's variables that ``invoicing local`` wrote, when talking to it."""
    path = LOCAL_ENV_DIR / f"{stack}.env.json"
    if not os.environ.get("AWS_ENDPOINT_URL") or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("RemindFunction")


def desk_for_stack(stack: str) -> Desk:
    from invoicing.services.desk import Desk

    settings = remind_settings(stack)
    try:
        return Desk.from_settings(settings)
    except ValueError as exc:  # a table, topic or queue the settings do not name
        raise Refused(f"the settings of {stack}-remind: {exc}") from exc


# --- reading arguments ------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """``2026-12-20`` or ``20/12/2026``."""
    value = text.strip()
    if m := _ISO_DATE.fullmatch(value):
        year, month, day = m.groups()
    elif m := _FRENCH_DATE.fullmatch(value):
        day, month, year = m.groups()
    else:
        raise UsageError(f"{_shown(text)} is not a date: write 2026-12-20 or 20/12/2026")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise UsageError(f"{_shown(text)} is not a day of the calendar") from None


def parse_amount(text: str) -> Decimal:
    """``120.50``, ``120,50`` or ``1 234,56`` (spaces between thousands)."""
    value = "".join(text.split()).replace("\u202f", "")
    if not _AMOUNT.fullmatch(value):
        raise UsageError(f"{_shown(text)} is not an amount: write 120.50 or 120,50")
    return Decimal(value.replace(",", "."))


def _shown(text: str) -> str:
    from invoicing.domain.text import quoted

    return f"'{quoted(text, 40)}'"


def _stack(args: argparse.Namespace) -> Desk:
    _check_stack(args.stack)
    return args.desk_for(args.stack)


def _cashbook(args: argparse.Namespace) -> Cashbook:
    _check_stack(args.stack)
    return args.cashbook_for(args.stack)


def _check_stack(name: str) -> None:
    if not _STACK_NAME.fullmatch(name):
        raise UsageError(f"--stack: {_shown(name)} is not a stack name")


def cashbook_for_stack(stack: str) -> Cashbook:
    from invoicing.services.cashbook import Cashbook

    settings = remind_settings(stack)
    try:
        return Cashbook.from_settings(settings)
    except ValueError as exc:  # no payments table in the settings
        raise Refused(f"the settings of {stack}-remind: {exc}") from exc


# --- the commands -----------------------------------------------------------------------------------


def overdue(args: argparse.Namespace, out: Output) -> int:
    rows = _stack(args).overdue()
    if args.json:
        return out.json([r.as_dict() for r in rows])
    out.line(_table(rows))
    return 0


def show(args: argparse.Namespace, out: Output) -> int:
    r = _stack(args).show(args.number)
    if args.json:
        return out.json(r.as_dict())
    late = f" ({r.days_late} days late)" if r.days_late else ""
    last = f" (last: {r.last_tone})" if r.last_tone else ""
    out.line(
        f"{r.number}  {r.client_ref} {_text(r.client_name, 60)}\n"
        f"  issued {r.issue_date}, due {r.due_date}{late}\n"
        f"  total {r.total}, paid {r.paid}, due {r.due}; status {r.status}, delivery {r.delivery}\n"
        f"  reminders {r.steps_done}/{r.steps}{last}; next action {r.next_action_on or 'none'}"
        + (f"\n  {', '.join(_markers(r))}" if _markers(r) else "")
    )
    return 0


def pause(args: argparse.Namespace, out: Output) -> int:
    until = parse_date(args.until)
    desk = _stack(args)
    today = desk.today()
    if until <= today:
        raise UsageError(
            f"--until {until.isoformat()} is not after today ({today.isoformat()}): a pause ends later"
        )
    r = desk.pause(args.number, until)
    return out.action(r, f"paused until {r.paused_until}")


def resume(args: argparse.Namespace, out: Output) -> int:
    r = _stack(args).resume(args.number)
    return out.action(r, f"reminders resumed; {_next(r)}")


def dispute(args: argparse.Namespace, out: Output) -> int:
    r = _stack(args).dispute(args.number, args.reason)
    return out.action(r, "disputed: reminders stopped, the owner is alerted")


def resolve(args: argparse.Namespace, out: Output) -> int:
    from invoicing.domain.receivable import DisputeOutcome

    r = _stack(args).resolve(args.number, DisputeOutcome(args.outcome))
    return out.action(r, f"dispute resolved ({args.outcome}); status {r.status}, {_next(r)}")


def exclude(args: argparse.Namespace, out: Output) -> int:
    if (args.number is None) == (args.client is None):
        raise UsageError("exclude takes an invoice number or --client REF (one of them)")
    desk = _stack(args)
    if args.number is not None:
        r = desk.exclude(args.number, args.reason)
        return out.action(r, f"excluded from reminders ({_text(r.excluded or '', 60)})")
    rows = desk.exclude_client(args.client, args.reason)
    ref = args.client.strip()
    if args.json:
        return out.json({"client": ref, "excluded": True, "invoices": [r.as_dict() for r in rows]})
    numbers = ", ".join(r.number for r in rows) or "none"
    out.line(
        f"client {ref}: excluded from reminders, its later invoices too; open invoices stopped: {numbers}"
    )
    return 0


def include(args: argparse.Namespace, out: Output) -> int:
    desk = _stack(args)
    ref = args.client.strip()
    if not desk.include_client(ref):
        raise Refused(f"client {_shown(ref)} is not excluded")
    # What stays stopped: the invoices excluded with the client are resumed one by one.
    stopped = sorted(r.number for r in desk.excluded_of_client(ref))
    if args.json:
        return out.json({"client": ref, "excluded": False, "still_excluded": stopped})
    then = f"; still stopped, resume them one by one: {', '.join(stopped)}" if stopped else ""
    out.line(f"client {ref}: reminders again for its later invoices{then}")
    return 0


def resend(args: argparse.Namespace, out: Output) -> int:
    r = _stack(args).resend(args.number)
    return out.action(r, f"queued to be sent again (delivery {r.delivery})")


# --- payments -----------------------------------------------------------------------------------------


def payments_unmatched(args: argparse.Namespace, out: Output) -> int:
    rows = _cashbook(args).unmatched()
    if args.json:
        return out.json([r.as_dict() for r in rows])
    if not rows:
        out.line("no unmatched payment")
        return 0
    lines = []
    totals: dict[str, Decimal] = {}
    for r in rows:
        lines.append(f"{r.on}  {r.amount:>12} {r.currency}  {r.source:<6}  {r.group}")
        lines.append(f"    {_text(r.label, 100)}")
        if r.reason:
            lines.append(f"    {r.how}: {_text(r.reason, 200)}")
        totals[r.currency] = totals.get(r.currency, Decimal(0)) + Decimal(r.amount)
    amounts = ", ".join(f"{total} {currency}" for currency, total in sorted(totals.items()))
    lines.append(
        f"{len(rows)} unmatched payment(s), {amounts}; "
        "assign one with: invoicing payments assign GROUP NUMBER (a unique beginning of GROUP is enough)"
    )
    out.line("\n".join(lines))
    return 0


def payments_assign(args: argparse.Namespace, out: Output) -> int:
    done = _cashbook(args).assign(args.group, args.number)
    what = "assigned to" if done.changed else "already assigned to"
    return out.applied(done, f"{done.payment.group}: {what} {done.number}")


def payments_record(args: argparse.Namespace, out: Output) -> int:
    amount = parse_amount(args.amount)
    on = parse_date(args.on)
    done = _cashbook(args).record(args.number, amount, method=args.method, on=on, reference=args.reference)
    p = done.payment
    what = "recorded" if done.changed else "already recorded"
    return out.applied(
        done, f"{p.group}: {p.method} of {p.amount} {p.currency} on {p.on} {what} for {done.number}"
    )


def payments_show(args: argparse.Namespace, out: Output) -> int:
    found = _cashbook(args).of_invoice(args.number)
    if args.json:
        return out.json(found.as_dict())
    lines = [
        f"{found.number}  {_text(found.client, 60)}",
        f"  total {found.total}, paid {found.paid}, due {found.due}; status {found.status}",
    ]
    for p in found.payments:
        how = f" ({p.how})" if p.how else ""
        lines.append(
            f"  {p.on}  {p.kind:<10} {p.state:<9} {p.amount:>12} {p.currency}  {p.method or '-':<9} "
            f"{p.group}{how}"
        )
        if p.label:
            lines.append(f"      {_text(p.label, 100)}")
    if not found.payments:
        lines.append("  no payment recorded")
    out.line("\n".join(lines))
    return 0


# --- output -----------------------------------------------------------------------------------------


class Output:
    """What a command prints: lines for a person, or one JSON document."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def line(self, text: str) -> None:
        print(text)

    def json(self, value: Any) -> int:
        print(json.dumps(value, ensure_ascii=False, indent=2))
        return 0

    def action(self, r: Row, done: str) -> int:
        if self.as_json:
            return self.json(r.as_dict())
        self.line(f"{r.number}: {done}")
        return 0

    def applied(self, done: Applied, text: str) -> int:
        if self.as_json:
            return self.json(done.as_dict())
        self.line(f"{text}; {done.number} is {done.status}, due {done.due}")
        return 0

    def error(self, message: str, code: int, prog: str) -> int:
        if self.as_json:
            print(json.dumps({"error": message}, ensure_ascii=False))
        else:
            print(f"{prog}: {'refused' if code == 1 else 'error'}: {message}", file=sys.stderr)
        return code


def _text(text: str, width: int) -> str:
    from invoicing.domain.text import quoted

    return quoted(text, width)


def _next(r: Row) -> str:
    return f"next action {r.next_action_on}" if r.next_action_on else "no reminder due"


def _markers(r: Row) -> list[str]:
    marks = []
    if r.paused_until:
        marks.append(f"paused until {r.paused_until}")
    if r.disputed:
        marks.append("disputed")
    if r.pending_until:
        marks.append(f"payment of {r.pending} under way, reminders wait until {r.pending_until}")
    if r.excluded:
        marks.append(f"excluded: {_text(r.excluded, 30)}")
    return marks


def _table(rows: list[Row]) -> str:
    if not rows:
        return "no overdue invoice"
    head = (
        f"{'NUMBER':<16} {'CLIENT':<30} {'DUE DATE':<10} {'LATE':>5} {'AMOUNT DUE':>11}  "
        f"{'STATUS':<15} {'REM':>5}  {'NEXT':<10}  MARKS"
    )
    lines = [head]
    for r in rows:
        client = f"{r.client_ref} {_text(r.client_name, 60)}"[:30]
        lines.append(
            f"{r.number:<16} {client:<30} {r.due_date:<10} {r.days_late:>5} {r.due:>11}  "
            f"{r.status:<15} {f'{r.steps_done}/{r.steps}':>5}  {r.next_action_on or '-':<10}  "
            f"{', '.join(_markers(r))}".rstrip()
        )
    total = sum((Decimal(r.due) for r in rows), Decimal(0))
    lines.append(f"{len(rows)} overdue invoice(s), {total} due")
    return "\n".join(lines)


# --- wiring -----------------------------------------------------------------------------------------


def _run(
    command: Callable[[argparse.Namespace, Output], int],
    *,
    also_refused: Callable[[], tuple[type[Exception], ...]] = tuple,
) -> Callable[[argparse.Namespace], int]:
    """``command`` with its output and its exit codes: 2 for a usage error, 1 for a refusal (the
    desk's and cashbook's, and those ``also_refused`` names, imported when the command runs)."""

    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        from invoicing.adapters.invoices import StaleReceivable
        from invoicing.adapters.payments import LedgerConflict
        from invoicing.domain.receivable import TransitionRefused
        from invoicing.services.cashbook import PaymentRefused, UnknownPayment
        from invoicing.services.desk import BadArgument, UnknownInvoice

        out = Output(args.json)
        prog = f"invoicing {args.command}"
        try:
            return command(args, out)
        except UsageError as exc:
            return out.error(str(exc), 2, prog)
        except BadArgument as exc:  # a reason or a reference the desk does not take
            return out.error(str(exc), 2, prog)
        except (
            Refused,
            UnknownInvoice,
            UnknownPayment,
            PaymentRefused,
            TransitionRefused,
            StaleReceivable,
            LedgerConflict,
            *also_refused(),
        ) as exc:
            return out.error(str(exc), 1, prog)
        except (BotoCoreError, ClientError) as exc:
            return out.error(f"AWS: {exc}", 1, prog)

    return run


def register(
    subparsers: Any, *, desk_for: DeskFor | None = None, cashbook_for: CashbookFor | None = None
) -> None:
    """Add the reminder and ``payments`` commands to ``invoicing``'s subcommands. ``desk_for``
    gives the desk of a stack by name (default: ``desk_for_stack``, the deployed stack's own
    settings), ``cashbook_for`` its payments ledger (default: ``cashbook_for_stack``)."""
    find = desk_for or (lambda stack: desk_for_stack(stack))
    ledger = cashbook_for or (lambda stack: cashbook_for_stack(stack))

    def add(name: str, command: Callable[[argparse.Namespace, Output], int], summary: str) -> Any:
        p = subparsers.add_parser(name, help=summary, description=summary)
        p.add_argument("--stack", required=True, metavar="NAME", help="the stack's name, as deployed")
        p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
        p.set_defaults(run=_run(command), desk_for=find, command=name)
        return p

    add("overdue", overdue, "list the invoices past their due date with something still due")
    p = add("show", show, "one invoice as the reminders see it")
    p.add_argument("number", help="e.g. FA2026-00012")
    p = add("pause", pause, "no reminder for an invoice before a date")
    p.add_argument("number")
    p.add_argument(
        "--until",
        required=True,
        metavar="DATE",
        help="the day reminders may start again: 2026-12-20 or 20/12/2026",
    )
    p = add("resume", resume, "end a pause or an exclusion of an invoice")
    p.add_argument("number")
    p = add("dispute", dispute, "mark an invoice disputed: reminders stop and the owner is alerted")
    p.add_argument("number")
    p.add_argument("--reason", default="", metavar="TEXT", help="what the customer disputes")
    p = add("resolve", resolve, "end the dispute of an invoice")
    p.add_argument("number")
    p.add_argument("--outcome", required=True, choices=["won", "lost", "withdrawn"])
    p = add("exclude", exclude, "no more reminders for an invoice, or for every invoice of a client")
    p.add_argument("number", nargs="?", help="the invoice (or --client)")
    p.add_argument("--client", metavar="REF", help="a client's reference: its open invoices and later ones")
    p.add_argument("--reason", required=True, metavar="TEXT", help="why the reminders stop")
    p = add("include", include, "reminders again for a client's later invoices")
    p.add_argument("--client", required=True, metavar="REF", help="the client's reference")
    p = add("resend", resend, "queue an invoice for sending again (corrected address, lost email)")
    p.add_argument("number")

    summary = "the payments ledger: unmatched money, assigning it, payments received by hand"
    group = subparsers.add_parser("payments", help=summary, description=summary)
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    def pay(name: str, command: Callable[[argparse.Namespace, Output], int], summary: str) -> Any:
        p = actions.add_parser(name, help=summary, description=summary)
        p.add_argument("--stack", required=True, metavar="NAME", help="the stack's name, as deployed")
        p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
        p.set_defaults(run=_run(command), cashbook_for=ledger, command=f"payments {name}")
        return p

    pay("unmatched", payments_unmatched, "money no invoice is known for: bank credits to review, ...")
    p = pay("assign", payments_assign, "say which invoice an unmatched payment pays; the invoice is settled")
    p.add_argument(
        "group", help="the payment, as listed by `payments unmatched` (a unique beginning will do)"
    )
    p.add_argument("number", help="the invoice it pays, e.g. FA2026-00012")
    p = pay("record", payments_record, "record a payment received by hand (cheque, cash, a transfer)")
    p.add_argument("number", help="the invoice it pays, e.g. FA2026-00012")
    p.add_argument("amount", help="what was received: 120.50 or 120,50")
    p.add_argument("--method", required=True, choices=["cheque", "cash", "transfer"])
    p.add_argument(
        "--on", required=True, metavar="DATE", help="the day it was received: 2026-12-20 or 20/12/2026"
    )
    p.add_argument(
        "--reference",
        required=True,
        metavar="REF",
        help="the cheque number or receipt: the same reference is recorded once",
    )
    p = pay("show", payments_show, "an invoice's payments and what is still due")
    p.add_argument("number", help="e.g. FA2026-00012")


def main(
    argv: list[str] | None = None, *, desk_for: DeskFor | None = None, cashbook_for: CashbookFor | None = None
) -> int:
    """These commands alone (``python -m invoicing_tools.operate``, tests)."""
    parser = argparse.ArgumentParser(
        prog="invoicing", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    register(
        parser.add_subparsers(dest="command", required=True), desk_for=desk_for, cashbook_for=cashbook_for
    )
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
