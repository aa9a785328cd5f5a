"""The operator's desk: what a person does about the invoices the machine chases.

``invoicing overdue / show / pause / resume / dispute / resolve / exclude / include / resend``
(the command line, ``invoicing_tools.operate``, against a deployed stack or the local one)
call this. Each action is a transition of the invoice's receivable, written by conditional
write like every other change, so it can run while the daily run or a payment is touching
the same invoice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from invoicing.adapters.clients import client_key
from invoicing.adapters.exclusions import ClientExclusions
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.messaging import Alerts, SendQueue
from invoicing.domain.receivable import Delivery, DisputeOutcome, Receivable, Status, TransitionRefused
from invoicing.domain.text import forbidden_characters, quoted
from invoicing.events import SendRequest
from invoicing.services.clock import today as local_today
from invoicing.settings import RemindSettings

#: Longest reason kept on a receivable (it is shown in listings and alerts).
REASON_MAX = 500
#: Longest invoice number or client reference looked up (longer ones are no one's).
KEY_MAX = 64
#: A send claimed longer ago than this is no longer in flight (the send function's timeout is
#: far shorter; Lambda's longest is 15 minutes): the operator may send it again.
SEND_IN_FLIGHT = timedelta(minutes=15)


class UnknownInvoice(LookupError):
    pass


class BadArgument(ValueError):
    """What a person typed is not taken (a reason with invisible characters, a malformed client
    reference); the message says why. Nothing was changed."""


def clean_typed(text: str, *, what: str, limit: int, missing: str | None = None) -> str:
    """Text a person typed (``what``: how to name it in a refusal), as kept: white space
    collapsed, no invisible or control characters (refused, named), at most ``limit``
    characters; ``missing``: the refusal when it is empty (else empty is allowed)."""
    kept = " ".join(text.split())
    if missing is not None and not kept:
        raise BadArgument(missing)
    refused = forbidden_characters(kept)
    if refused:
        raise BadArgument(f"{what} contains characters that are refused: {', '.join(refused)}")
    if len(kept) > limit:
        raise BadArgument(f"{what} is {len(kept)} characters long; at most {limit}")
    return kept


def clean_reason(text: str, *, required: bool) -> str:
    """A reason typed by a person, as kept: stripped, without invisible or control characters
    (refused, named), bounded."""
    return clean_typed(
        text, what="the reason", limit=REASON_MAX, missing="say why the reminders stop" if required else None
    )


def clean_client_ref(ref: str) -> str:
    key = ref.strip()
    if not key or len(key) > KEY_MAX or forbidden_characters(key) or any(c.isspace() for c in key):
        raise BadArgument(f"not a client reference: '{quoted(ref, KEY_MAX)}'")
    return key


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
    #: Money received (net of refunds and lost chargebacks), and payments still under way.
    paid: str
    pending: str
    pending_until: str | None
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
        paid=str(r.net_paid),
        pending=str(r.pending),
        pending_until=r.pending_until.isoformat() if r.pending_until else None,
        status=r.status.value,
        delivery=r.delivery.state.value,
        steps_done=d.step,
        steps=len(d.offsets),
        last_tone=last,
        next_action_on=r.next_action_on.isoformat() if r.next_action_on else None,
        paused_until=d.paused_until.isoformat() if d.paused_until else None,
        disputed=d.disputed or r.charged_back,
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

    @classmethod
    def from_settings(cls, settings: RemindSettings, *, today: Callable[[], date] | None = None) -> Desk:
        """The desk of a stack, from its remind function's settings; ``today`` defaults to the
        business's calendar day (its time zone)."""
        resources = settings.resources
        if not resources.dunning_table:
            raise ValueError("the stack's settings name no dunning table (DUNNING_TABLE)")
        return cls(
            invoices=InvoiceRepository(resources),
            alerts=Alerts(settings.alerts_topic_arn),
            send_queue=SendQueue(settings.send_queue_url),
            exclusions=ClientExclusions(resources.dunning_table),
            today=today or (lambda: local_today(settings.time_zone)),
        )

    def _find(self, number: str) -> StoredInvoice:
        key = number.strip()
        stored = None
        if key and len(key) <= KEY_MAX and not forbidden_characters(key):
            stored = self.invoices.get_by_number(key)
        if stored is None:
            raise UnknownInvoice(f"no invoice numbered '{quoted(number, KEY_MAX)}'")
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
        reason = clean_reason(reason, required=False)
        result = self._change(number, lambda r: r.dispute(reason))
        self.alerts.publish(
            f"Litige : {result.number}",
            f"{result.number} ({result.client_name}) est marquée en litige : "
            f"{quoted(reason, 300) if reason else 'sans motif indiqué'}. "
            f"Les relances sont arrêtées jusqu'à `invoicing resolve {result.number}`.",
        )
        return result

    def resolve(self, number: str, outcome: DisputeOutcome) -> Row:
        return self._change(number, lambda r: r.resolve_dispute(outcome))

    def exclude(self, number: str, reason: str) -> Row:
        reason = clean_reason(reason, required=True)
        return self._change(number, lambda r: r.exclude(reason))

    def exclude_client(self, client_ref: str, reason: str) -> list[Row]:
        """No more reminders for this client: its open invoices now, its later ones too."""
        client_ref = clean_client_ref(client_ref)
        reason = clean_reason(reason, required=True)
        self.exclusions.exclude(client_ref, reason, self.now())
        changed = []
        for stored in self._of_client(client_ref):
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
        return self.exclusions.include(clean_client_ref(client_ref))

    def excluded_of_client(self, client_ref: str) -> list[Row]:
        """A client's invoices whose reminders a person stopped (what ``resume`` restarts)."""
        today = self.today()
        return [
            row(s, today)
            for s in self._of_client(clean_client_ref(client_ref))
            if s.receivable.dunning.excluded
        ]

    def _of_client(self, client_ref: str) -> Iterator[StoredInvoice]:
        """The exclusion matches references case-insensitively; the by-client index holds them
        as issued: ``c001`` typed finds the invoices of ``C001`` too."""
        for ref in dict.fromkeys((client_ref, client_key(client_ref))):
            yield from self.invoices.of_client(ref)

    def resend(self, number: str) -> Row:
        """Queue the document again for the send function (a corrected address, a lost email).

        A send that was claimed and never confirmed (the function stopped between SES and the
        record; the operator was alerted and told to check SES, then resend) is given back and
        queued once it can no longer be in flight."""
        stored = self._find(number)
        now = self.now()

        def change(r: Receivable) -> Receivable:
            if r.delivery.state is Delivery.QUEUED:
                return r  # queued already (an earlier resend whose message was lost): queue it again
            if r.delivery.state is not Delivery.SENDING:
                return r.requeue(now)
            claimed = r.delivery.claimed_at
            if claimed is not None and claimed.tzinfo is None:
                claimed = claimed.replace(tzinfo=UTC)
            if claimed is not None and now - claimed < SEND_IN_FLIGHT:
                raise TransitionRefused(
                    f"{r.number}: a send started at {claimed.isoformat(timespec='seconds')} may still be "
                    f"in flight; try again after {(claimed + SEND_IN_FLIGHT).isoformat(timespec='seconds')}"
                )
            return r.release_send("sent again by the operator")

        after = self.invoices.update(stored.invoice.invoice_id, change)
        self.send_queue.enqueue(SendRequest(stored.invoice.invoice_id, stored.invoice.number))
        return row(after, self.today())
