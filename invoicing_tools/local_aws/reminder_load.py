"""A large invoice table with a few invoices due a dunning action, and one reminder run measured
against it: the proof that the daily run reads the invoices due, not the table (DESIGN.md,
"Budgets").

``load`` fills a deployed stack's invoice table. It issues one real invoice through
``InvoiceRepository`` (then records its documents and marks it sent, through the repository
too), takes the item that produced, and writes clones of it with BatchWriteItem, from several
threads: new ids, numbers (per year, in issue order) and dates, and each clone's receivable
built from the real one by the domain's own transitions, its derived attributes (status,
amount due, the sparse index keys) computed from it as the adapter computes them. Three kinds:

- ``due``: open, next action today or earlier, in the ``by-next-action`` index;
- ``open``: open, next action at least a week ahead: in the index too, just not due yet;
- ``paid``: paid in full, so without index keys (most of a real table).

The real invoice itself is removed afterwards (with its numbering counter and claim), so the
table holds exactly ``total`` invoices, numbered consistently.

``run_reminders`` runs the remind function once through ``LocalRuntime.run_schedule`` (the
real handler, cold) and counts what DynamoDB read meanwhile (``DynamoReads``).
tests/integration/test_reminder_reads.py runs it small (2,000 invoices, 20 due); ``make bench``
runs it in full (100,000, 100 due: ``remind_items_read``, ``remind_run_s``; bench/reminders.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from typing import Any

import boto3
import botocore.client

from invoicing.adapters import keys
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.business import Business
from invoicing.domain.codec import receivable_to_dict
from invoicing.domain.invoice import DocumentType, Draft, Line, Source
from invoicing.domain.parties import Address, Client
from invoicing.domain.receivable import DUNNING_QUEUE, Receivable, Status
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment
from invoicing.services.clock import today as business_today
from invoicing.settings import RemindSettings, Resources
from invoicing_tools.local_aws.runtime import LocalRuntime
from invoicing_tools.local_aws.server import REGION
from invoicing_tools.local_aws.stack import LocalStack

#: Of the invoices not due, the share still open (in the index, next action ahead); the rest paid.
OPEN_SHARE = 0.2
#: BatchWriteItem takes at most 25 items.
BATCH = 25

BUYER = Client(
    ref="C042",
    name="Menuiserie Girard & Fils SARL",
    address=Address(("27 chemin des Artisans", "ZA du Moulin"), "69530", "Brignais"),
    email="compta@menuiserie-girard.example",
    siren="512604938",
    payment_terms=PaymentTerms(30),
)
LINES = (
    ("Remplacement du chauffe-eau 200 L (fourniture)", "1", "pièce", "890.00", "20"),
    ("Main-d'œuvre plomberie", "6.5", "h", "58.00", "20"),
    ("Raccords et flexibles inox", "1", "forfait", "74.30", "20"),
    ("Déplacement et mise en service", "1", "forfait", "45.00", "10"),
)


def sample_draft(today: date) -> Draft:
    """The invoice every record is cloned from: four lines, two VAT rates, a business buyer."""
    period = today - timedelta(days=7)
    lines = tuple(
        Line(text, Decimal(qty), unit, Decimal(price), VatTreatment.standard(rate), service_date=period)
        for text, qty, unit, price, rate in LINES
    )
    return Draft(
        DocumentType.INVOICE,
        BUYER,
        lines,
        period,
        period,
        order_ref="BC-2026-0042",
        source=Source("incoming/reminder-load.csv", hashlib.sha256(b"reminder-load").hexdigest(), "g1"),
    )


def remind_today(stack: LocalStack) -> date:
    """The day the reminder run is for: today in the stack's time zone, or the next business
    day (the run does nothing on weekends and French public holidays)."""
    from invoicing.domain.calendar import next_business_day

    zone = RemindSettings.from_env(stack.functions["RemindFunction"].environment).time_zone
    return next_business_day(business_today(zone))


# --- the real invoice --------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    item: dict[str, Any]  # the raw DynamoDB item, as a real issue + record + send left it
    stored: StoredInvoice
    numbering_keys: tuple[str, ...]  # the Sequences items the issue wrote (counter, claim)

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.item["document"]["S"])


def issue_template(resources: Resources, business: Business, today: date) -> Template:
    repo = InvoiceRepository(resources)
    stored = repo.issue(
        sample_draft(today),
        seller=business.seller,
        numbering=business.invoice_numbering,
        issue_date=today,
        default_terms=business.default_terms,
    )
    invoice = stored.invoice
    # One real PDF that every clone's reminder attaches (the reminder emails go through SES).
    from invoicing.adapters.documents import DocumentStore
    from invoicing.documents.render import render

    pdf = render(invoice).pdf
    DocumentStore(resources.documents_bucket).put(keys.invoice_pdf(invoice), pdf, "application/pdf")
    repo.record_documents(
        invoice.invoice_id,
        pdf_key=keys.invoice_pdf(invoice),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        xml_key=keys.invoice_xml(invoice),
    )
    sent_at = datetime.combine(today, clock_time(8, 5), UTC)
    repo.update(invoice.invoice_id, lambda r: r.queue_send(sent_at))
    repo.update(invoice.invoice_id, lambda r: r.claim_send(sent_at))
    stored = repo.update(invoice.invoice_id, lambda r: r.mark_sent(sent_at, "0102019a-template-message"))
    ddb = _client()
    item = ddb.get_item(
        TableName=resources.invoices_table, Key={"invoice_id": {"S": invoice.invoice_id}}, ConsistentRead=True
    )["Item"]
    series = business.invoice_numbering.series(today)
    return Template(item, stored, (series, f"number#{invoice.number}"))


# --- clones ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    total: int
    kinds: dict[str, int]
    due_numbers: frozenset[str]
    item_bytes: int  # the real invoice's item, roughly as DynamoDB sizes it (names + values)
    build_s: float
    write_s: float
    threads: int


def _plan(total: int, due: int, today: date) -> list[tuple[str, date]]:
    """(kind, target day) per invoice: for ``due`` and ``open`` the day of the next action,
    for ``paid`` the issue date."""
    not_due = total - due
    open_ = round(not_due * OPEN_SHARE)
    plan = [("due", today - timedelta(days=i % 14)) for i in range(due)]
    plan += [("open", today + timedelta(days=7 + i % 40)) for i in range(open_)]
    plan += [("paid", today - timedelta(days=45 + i % 1000)) for i in range(not_due - open_)]
    return plan


def _kind(r: Receivable, today: date) -> str:
    """What the domain makes of a receivable on ``today``: the kind it must be."""
    if r.next_action_on is None:
        return "paid" if r.status is Status.PAID else "other"
    return "due" if r.next_action_on <= today else "open"


def _size(item: dict[str, Any]) -> int:
    return sum(len(k) + len(next(iter(v.values()))) for k, v in item.items())


def build_items(
    template: Template, business: Business, *, total: int, due: int, today: date
) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, number, item) of ``total`` invoices cloned from the real one, in issue order."""
    base: Receivable = template.stored.receivable
    term = base.due_date - base.issue_date
    lead = base.next_action_on - base.issue_date  # issue -> first action, as the domain computes it
    document = template.document
    rows = []
    for kind, day in _plan(total, due, today):
        issue_date = day - lead if kind in ("due", "open") else day
        rows.append((issue_date, kind))
    rows.sort()
    per_year: Counter[int] = Counter()
    items = []
    for n, (issue_date, kind) in enumerate(rows, start=1):
        per_year[issue_date.year] += 1
        number = business.invoice_numbering.format(per_year[issue_date.year], issue_date)
        invoice_id = "inv-" + hashlib.sha256(f"reminder-load|{n}".encode()).hexdigest()[:32]
        due_date = issue_date + term
        sent_at = datetime.combine(issue_date, clock_time(8, 5), UTC)
        receivable = replace(
            base,
            invoice_id=invoice_id,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            delivery=replace(
                base.delivery, queued_at=sent_at, sent_at=sent_at, message_id=f"0102019a-{n:012d}"
            ),
        )
        if kind == "paid":
            paid_on = max(issue_date, due_date - timedelta(days=n % 12))
            receivable = receivable.record_payment(f"py_{n:08d}", receivable.due, paid_on, "sepa_debit")
        next_on = receivable.next_action_on
        if _kind(receivable, today) != kind:
            raise AssertionError(f"{kind} clone {number}: next action {next_on}, status {receivable.status}")
        doc = {**document, "invoice_id": invoice_id, "number": number}
        doc["issue_date"], doc["due_date"] = issue_date.isoformat(), due_date.isoformat()
        item = dict(template.item)
        item.update(
            invoice_id={"S": invoice_id},
            number={"S": number},
            series={"S": business.invoice_numbering.series(issue_date)},
            issue_date={"S": issue_date.isoformat()},
            due_date={"S": due_date.isoformat()},
            issued_key={"S": f"{issue_date.isoformat()}#{number}"},
            status={"S": receivable.status.value},
            amount_due={"N": str(receivable.due)},
            document={"S": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))},
            receivable={"S": json.dumps(receivable_to_dict(receivable), separators=(",", ":"))},
            version={"N": str(receivable.version)},
            pdf_key=template.item["pdf_key"],
            xml_key={"S": f"invoices/{issue_date.year}/{number}.xml"},
            created_at={"S": datetime.combine(issue_date, clock_time(8), UTC).isoformat(timespec="seconds")},
        )
        item.pop("dunning_queue", None)
        item.pop("next_action_on", None)
        if next_on is not None:
            item.update(dunning_queue={"S": DUNNING_QUEUE}, next_action_on={"S": next_on.isoformat()})
        items.append((kind, number, item))
    return items


def _client() -> Any:
    """A client of its own (one per thread): boto3's default session is not thread-safe."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return boto3.session.Session().client("dynamodb", region_name=REGION, endpoint_url=endpoint)


def write(table: str, items: list[dict[str, Any]], threads: int) -> None:
    """BatchWriteItem, 25 items a request, ``threads`` requests at a time."""
    local = threading.local()

    def put(start: int) -> None:
        if not hasattr(local, "ddb"):
            local.ddb = _client()
        pending = {table: [{"PutRequest": {"Item": it}} for it in items[start : start + BATCH]]}
        for attempt in range(20):
            pending = local.ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(1.0, 0.05 * 2**attempt))
        raise RuntimeError(f"BatchWriteItem left items unprocessed 20 times in a row: {table}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, range(0, len(items), BATCH)))


def load(
    stack: LocalStack, resources: Resources, business: Business, *, total: int, due: int, threads: int = 2
) -> Loaded:
    """Fill the stack's (empty) invoice table with ``total`` invoices, ``due`` of them due."""
    today = remind_today(stack)
    started = time.perf_counter()
    template = issue_template(resources, business, today)
    built = build_items(template, business, total=total, due=due, today=today)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    write(resources.invoices_table, [item for _, _, item in built], threads)
    ddb = _client()
    ddb.delete_item(TableName=resources.invoices_table, Key={"invoice_id": template.item["invoice_id"]})
    for key in template.numbering_keys:
        ddb.delete_item(TableName=resources.sequences_table, Key={"series": {"S": key}})
    write_s = time.perf_counter() - started
    return Loaded(
        total=total,
        kinds=dict(Counter(kind for kind, _, _ in built)),
        due_numbers=frozenset(number for kind, number, _ in built if kind == "due"),
        item_bytes=_size(template.item),
        build_s=build_s,
        write_s=write_s,
        threads=threads,
    )


# --- what a run reads --------------------------------------------------------------------------


def _items_read(operation: str, response: dict[str, Any]) -> int:
    """Items DynamoDB read to answer one call. Query and Scan: ``ScannedCount``, the items read
    before any filter (key conditions narrow what is read; a filter does not)."""
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "GetItem":
        return 1 if "Item" in response else 0
    if operation == "BatchGetItem":
        return sum(len(found) for found in response.get("Responses", {}).values())
    if operation in ("TransactGetItems", "ExecuteStatement", "BatchExecuteStatement"):
        rows = response.get("Responses") or response.get("Items") or []
        return sum(1 for r in rows if r.get("Item", r))
    return 0


@dataclass
class DynamoReads:
    """DynamoDB calls seen while the context is open, from every botocore client of the process
    (boto3's and pynamodb's alike), and the items they read."""

    items: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    targets: Counter[str] = field(default_factory=Counter)  # table[/index] -> items read
    seconds: float = 0.0  # spent inside DynamoDB calls

    @property
    def summary(self) -> str:
        calls = ", ".join(f"{n} {op}" for op, n in sorted(self.calls.items())) or "no call"
        where = ", ".join(f"{n} from {t}" for t, n in sorted(self.targets.items()))
        return f"{calls}" + (f"; {where}" if where else "")


@contextlib.contextmanager
def dynamodb_reads() -> Iterator[DynamoReads]:
    """Count the items DynamoDB reads for every call made while open, in this process.

    Botocore's ``after-call.dynamodb.*`` events belong to each client's own event emitter, and
    the function's pynamodb client exists before a run starts (made at import, cached with the
    models): so the count wraps ``BaseClient._make_api_call`` itself, which every client's every
    call goes through, and reads what DynamoDB answered (not a query of ours afterwards).
    """
    reads = DynamoReads()
    original = botocore.client.BaseClient._make_api_call
    lock = threading.Lock()

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation_name, api_params)
        started = time.perf_counter()
        response = original(self, operation_name, api_params)
        elapsed = time.perf_counter() - started
        read = _items_read(operation_name, response)
        target = api_params.get("TableName", "?") + (
            f"/{api_params['IndexName']}" if "IndexName" in api_params else ""
        )
        with lock:
            reads.calls[operation_name] += 1
            reads.items += read
            reads.seconds += elapsed
            if read:
                reads.targets[target] += read
        return response

    botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass(frozen=True)
class Run:
    day: str
    numbers: tuple[str, ...]
    reads: DynamoReads
    seconds: float


def run_reminders(runtime: LocalRuntime) -> Run:
    """The remind function once, as EventBridge Scheduler triggers it at 09:00 on the run's day;
    the invoices it acted on (reminders sent, escalations), what it read, how long."""
    from invoicing.domain.calendar import at_local_time

    day = remind_today(runtime.stack)
    at = at_local_time(day, clock_time(9, 0, 30))
    with dynamodb_reads() as reads:
        started = time.perf_counter()
        result = runtime.run_schedule("RemindFunction", at=at)
        seconds = time.perf_counter() - started
    if result["failures"]:
        raise AssertionError(f"the reminder run failed on some invoices: {result['failures'][:3]}")
    acted = [r["number"] for r in result["reminders"]] + [
        n for e in result["escalations"] for n in e["numbers"]
    ]
    return Run(result["day"], tuple(acted), reads, seconds)
