"""The operator's desk: what a person does about the invoices the machine chases.

``invoicing overdue / pause / resume / dispute / resolve / exclude / resend`` (the command
line, against a deployed stack or the local one) call this. Each action is a transition of
the invoice's receivable, written by conditional write like every other change, so it can
run while the daily run or a payment is touching the same invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from invoicing.adapters.exclusions import ClientExclusions
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.messaging import Alerts, SendQueue
from invoicing.domain.receivable import DisputeOutcome, Receivable, Status
from invoicing.events import SendRequest


class UnknownInvoice(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Row:
    """One invoice as the operator sees it."""

    number: str
    client_ref: str
    client_name: str
    issue_date: str
    due_date: str
    days_late: int
    total: str
    due: str
    status: str
    delivery: str
    steps_done: int
    steps: int
    last_tone: str | None
    next_action_on: str | None
    paused_until: str | None
    disputed: bool
    excluded: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def row(stored: StoredInvoice, today: date) -> Row:
    invoice, r = stored.invoice, stored.receivable
    d = r.dunning
    last = next((m.tone for m in reversed(r.messages) if m.tone), None)
    return Row(
        number=invoice.number,
        client_ref=invoice.buyer.ref,
        client_name=invoice.buyer.name,
        issue_date=invoice.issue_date.isoformat(),
        due_date=invoice.due_date.isoformat(),
        days_late=max((today - invoice.due_date).days, 0) if r.due > 0 else 0,
        total=str(r.total),
        due=str(r.due),
        status=r.status.value,
        delivery=r.delivery.state.value,
        steps_done=d.step,
        steps=len(d.offsets),
        last_tone=last,
        next_action_on=r.next_action_on.isoformat() if r.next_action_on else None,
        paused_until=d.paused_until.isoformat() if d.paused_until else None,
        disputed=d.disputed,
        excluded=d.excluded,
    )


class Desk:
    def __init__(
        self,
        *,
        invoices: InvoiceRepository,
        alerts: Alerts,
        send_queue: SendQueue,
        exclusions: ClientExclusions,
        today: Callable[[], date],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.invoices = invoices
        self.alerts = alerts
        self.send_queue = send_queue
        self.exclusions = exclusions
        self.today = today
        self.now = now

    def _find(self, number: str) -> StoredInvoice:
        stored = self.invoices.get_by_number(number.strip())
        if stored is None:
            raise UnknownInvoice(f"no invoice numbered {number!r}")
        return stored

    def _change(self, number: str, change: Callable[[Receivable], Receivable]) -> Row:
        stored = self._find(number)
        after = self.invoices.update(stored.invoice.invoice_id, change)
        return row(after, self.today())

    # --- looking ---------------------------------------------------------------------------------

    def overdue(self) -> list[Row]:
        """Invoices past their due date with something still due, most late first (paused,
        disputed and excluded ones included: they are overdue too)."""
        today = self.today()
        rows = [
            row(s, today)
            for s in self.invoices.all()
            if s.receivable.overdue(today) and s.receivable.status is not Status.CREDITED
        ]
        return sorted(rows, key=lambda r: (-r.days_late, r.number))

    def show(self, number: str) -> Row:
        return row(self._find(number), self.today())

    # --- acting ----------------------------------------------------------------------------------

    def pause(self, number: str, until: date) -> Row:
        return self._change(number, lambda r: r.pause(until, self.today()))

    def resume(self, number: str) -> Row:
        return self._change(number, lambda r: r.resume())

    def dispute(self, number: str, reason: str) -> Row:
        result = self._change(number, lambda r: r.dispute(reason))
        self.alerts.publish(
            f"Litige : {result.number}",
            f"{result.number} ({result.client_name}) est marquée en litige : "
            f"{reason or 'sans motif indiqué'}. "
            f"Les relances sont arrêtées jusqu'à `invoicing resolve {result.number}`.",
        )
        return result

    def resolve(self, number: str, outcome: DisputeOutcome) -> Row:
        return self._change(number, lambda r: r.resolve_dispute(outcome))

    def exclude(self, number: str, reason: str) -> Row:
        return self._change(number, lambda r: r.exclude(reason))

    def exclude_client(self, client_ref: str, reason: str) -> list[Row]:
        """No more reminders for this client: its open invoices now, its later ones too."""
        if not reason.strip():
            raise ValueError("say why the reminders stop")
        self.exclusions.exclude(client_ref, reason.strip(), self.now())
        changed = []
        for stored in self.invoices.of_client(client_ref):
            if stored.receivable.chaseable or stored.receivable.dunning.paused_until:
                after = self.invoices.update(
                    stored.invoice.invoice_id,
                    lambda r: r.exclude(reason) if r.dunning.excluded is None and not r.is_credit_note else r,
                )
                changed.append(row(after, self.today()))
        return changed

    def include_client(self, client_ref: str) -> bool:
        """Reminders again for a client excluded with ``exclude_client`` (its invoices are
        resumed one by one with ``resume``)."""
        return self.exclusions.include(client_ref)

    def resend(self, number: str) -> Row:
        """Queue the document again for the send function (a corrected address, a lost email)."""
        stored = self._find(number)
        after = self.invoices.update(stored.invoice.invoice_id, lambda r: r.requeue(self.now()))
        self.send_queue.enqueue(SendRequest(stored.invoice.invoice_id, stored.invoice.number))
        return row(after, self.today())
