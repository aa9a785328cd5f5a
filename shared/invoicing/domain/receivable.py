"""The receivable: what happens to an issued document after it is issued.

An issued ``Invoice`` is a snapshot that never changes. Everything that happens to it
afterwards lives here: its delivery (queued, sent, failed), the money (credited by credit
notes, paid, refunded), and its dunning (the reminder step reached, when the next action is
due, a pause, a dispute, an exclusion). Each change is a pure transition that returns a new
``Receivable`` or raises ``TransitionRefused`` naming why the move is impossible; nothing
else changes a receivable's state.

What follows from the state, never stored beside it:

- the amounts: credited, paid, refunded, and still due (total - credited - paid + refunded);
- the status (``status``), by this precedence: credited in full, disputed, paid, partly paid,
  delivery failed, sent, issued;
- the next dunning action (``next_action_on``), which feeds the sparse "by-next-action"
  index: an invoice is in that index exactly when it has something due to be chased.

Delivery: issued (``pending``) -> ``queued`` for the send function -> ``sending`` (claimed by
a conditional write just before the email goes to SES) -> ``sent`` (SES message id) or
``failed`` (a bounce or complaint). ``scheduled`` waits for the sending slot the business
chose; ``waiting`` is a business client without an email address (status ``to_send``).
Reminders only ever follow an invoice that was sent.

Dunning policy (``invoicing.domain.dunning_policy``): steps at fixed offsets from the due date,
each with a tone (by default courtesy 3 days before, gentle +7, firm +15, final +30), and the
escalation to the owner (+38) last. A receivable keeps the steps it was issued with, so a
later policy change does not reshuffle running sequences. When several steps are late at once
(a pause ended, the function was down), only the latest is carried out (never the escalation
before the final reminder went out); and two actions are always ``min_gap_days`` apart.
A step is claimed (``claim_step``) before its email goes out and completed
(``complete_step``) with the SES message id after: two runs never send the same step.

Every transition increments ``version``; the adapters write a receivable on condition that
the stored version is still the one read, so two concurrent runs cannot both apply a move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.dunning_policy import (
    COURTESY,
    DEFAULT_MIN_GAP_DAYS,
    DEFAULT_OFFSETS,
    ESCALATION,
    DunningPolicy,
    check_steps,
    default_tones,
)
from invoicing.domain.invoice import Invoice, Totals
from invoicing.domain.ledger import Entry, Kind, State, merge
from invoicing.domain.money import ZERO
from invoicing.domain.vat import VatTreatment

__all__ = ["DunningPolicy"]
#: Partition value of the sparse "by-next-action" index.
DUNNING_QUEUE = "open"


class TransitionRefused(ValueError):
    """The move is impossible from the receivable's current state; the message says why."""


class CreditRefused(TransitionRefused):
    """A credit beyond what the invoice allows. ``kind``: ``total`` (incl. VAT), ``rate`` (the
    invoice has no VAT at that rate), ``rate_total`` (base or VAT at a rate), or ``line``;
    ``params`` has the figures, for messages in other languages."""

    def __init__(self, message: str, kind: str, **params: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.params = params


class Status(StrEnum):
    ISSUED = "issued"
    #: A business client without an email address: the invoice waits for one.
    TO_SEND = "to_send"
    SENT = "sent"
    DELIVERY_FAILED = "delivery_failed"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    DISPUTED = "disputed"
    #: Cancelled in full by one or more credit notes.
    CREDITED = "credited"


class Delivery(StrEnum):
    PENDING = "pending"  # issued, the send request not yet queued
    QUEUED = "queued"
    SCHEDULED = "scheduled"  # waits for the sending slot the business chose (``send_at``)
    WAITING = "waiting"  # no email address yet: sent when a clients file gives one
    SENDING = "sending"  # claimed by a send function: the email is going to SES
    SENT = "sent"
    FAILED = "failed"


#: How long a payment under way (SEPA debit, bank transfer chosen at checkout) holds the
#: reminders of what it covers: a SEPA debit settles within about 5 business days; a transfer
#: not sent by then is not coming.
PENDING_HOLD_DAYS = 14

#: Where a (re)send may start from.
_SENDABLE = (Delivery.PENDING, Delivery.QUEUED, Delivery.SCHEDULED)


class DisputeOutcome(StrEnum):
    WON = "won"  # the business keeps the money / the customer accepts the invoice
    LOST = "lost"  # the payment is taken back: the invoice is due again
    WITHDRAWN = "withdrawn"  # the customer dropped it


@dataclass(frozen=True, slots=True)
class RateShare:
    """Taxable base and VAT at one VAT category and rate (``key`` as ``S:20``, ``AE:0``)."""

    key: str
    basis: Decimal
    vat: Decimal


def rate_key(vat: VatTreatment) -> str:
    category, rate = vat.key
    return f"{category}:{rate:f}"


def rate_shares(totals: Totals) -> tuple[RateShare, ...]:
    return tuple(RateShare(rate_key(b.vat), b.basis, b.amount) for b in totals.breakdown)


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit note recorded against the invoice: its total incl. VAT, its base and VAT per
    rate, and the quantities it credits of the invoice's lines (1-based), when it names them."""

    credit_note: str
    amount: Decimal
    on: date
    by_rate: tuple[RateShare, ...] = ()
    lines: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received, identified by the provider's id (Stripe charge, bank transaction)."""

    payment_id: str
    amount: Decimal
    on: date
    method: str = ""


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: str
    payment_id: str
    amount: Decimal
    on: date


@dataclass(frozen=True, slots=True)
class Chargeback:
    """A card dispute on one payment: while ``open`` the invoice is disputed and not chased;
    ``lost``, the money is taken back and the invoice is due again; ``won``, nothing changes."""

    dispute_id: str
    payment_id: str
    amount: Decimal
    state: str  # open, won, lost (ledger.State values)
    on: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One email that went out about this document: the invoice itself, a reminder, or the
    escalation to the owner. ``message_id`` is SES's (None when a run crashed mid-send and the
    step was closed unconfirmed)."""

    kind: str  # "invoice", "reminder" or "escalation"
    at: datetime
    message_id: str | None
    to: str = ""
    step: int | None = None
    tone: str | None = None
    #: The business day it belongs to (a reminder's run day), when not ``at``'s own date.
    on: date | None = None


@dataclass(frozen=True, slots=True)
class DeliveryState:
    state: Delivery = Delivery.PENDING
    queued_at: datetime | None = None
    sent_at: datetime | None = None
    #: The provider's id for the sent message (SES message id).
    message_id: str | None = None
    failed_at: datetime | None = None
    failure: str | None = None
    #: The slot it waits for (``scheduled``).
    send_at: datetime | None = None
    #: When a send function claimed it (``sending``).
    claimed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DunningState:
    offsets: tuple[int, ...] = DEFAULT_OFFSETS
    min_gap_days: int = DEFAULT_MIN_GAP_DAYS
    #: The tone of each step (``dunning_policy``); the last may be the escalation.
    tones: tuple[str, ...] = ()
    #: Steps already carried out (0 = none yet); ``len(offsets)`` = the sequence is over.
    step: int = 0
    #: The step (1-based) a run has claimed and is carrying out, and the day it claimed it.
    claimed: int | None = None
    claimed_on: date | None = None
    last_action_on: date | None = None
    paused_until: date | None = None
    disputed: bool = False
    dispute_reason: str | None = None
    #: Taken out of dunning by a person (a reason is kept), not by the amounts.
    excluded: str | None = None

    def __post_init__(self) -> None:
        if not self.tones:
            object.__setattr__(self, "tones", default_tones(self.offsets))

    @property
    def finished(self) -> bool:
        return self.step >= len(self.offsets)

    def tone(self, step: int) -> str:
        """The tone of step ``step`` (1-based)."""
        return self.tones[step - 1]


@dataclass(frozen=True, slots=True)
class Receivable:
    """The running state of one issued document (invoice or credit note)."""

    invoice_id: str
    number: str
    is_credit_note: bool
    total: Decimal
    issue_date: date
    due_date: date
    #: The invoice's base and VAT per rate, and its line quantities: what credits are capped by.
    rates: tuple[RateShare, ...] = ()
    line_quantities: tuple[Decimal, ...] = ()
    credits: tuple[Credit, ...] = ()
    payments: tuple[Payment, ...] = ()
    refunds: tuple[Refund, ...] = ()
    #: Payments under way (a SEPA debit, a bank transfer awaiting its funds): not money yet,
    #: but no reminder is sent for what they cover.
    in_progress: tuple[Payment, ...] = ()
    chargebacks: tuple[Chargeback, ...] = ()
    #: The payments ledger's entries about it (``settle``), from which the four above follow.
    entries: tuple[Entry, ...] = ()
    delivery: DeliveryState = field(default_factory=DeliveryState)
    dunning: DunningState = field(default_factory=DunningState)
    #: Every email that went out about it, oldest first.
    messages: tuple[SentMessage, ...] = ()
    version: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.total, Decimal) or self.total < 0:
            raise ValueError("a receivable's total is a non-negative Decimal")
        check_steps(self.dunning.offsets, self.dunning.tones, self.dunning.min_gap_days)

    # --- amounts -------------------------------------------------------------------------------

    @property
    def credited(self) -> Decimal:
        return sum((c.amount for c in self.credits), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def refunded(self) -> Decimal:
        """Money given back or taken back (lost chargebacks), counted only against payments
        recorded here and never beyond each one's amount: a refund reported before its payment
        waits for it."""
        total = ZERO
        for payment in self.payments:
            back = sum((r.amount for r in self.refunds if r.payment_id == payment.payment_id), ZERO)
            back += sum(
                (
                    c.amount
                    for c in self.chargebacks
                    if c.payment_id == payment.payment_id and c.state == "lost"
                ),
                ZERO,
            )
            total += min(back, payment.amount)
        return total

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def pending(self) -> Decimal:
        """Money of payments under way (not yet received)."""
        return sum((p.amount for p in self.in_progress), ZERO)

    @property
    def pending_until(self) -> date | None:
        """While payments under way cover what is due, reminders wait, but not for ever: a
        customer who chose a bank transfer at checkout and never sent it would otherwise never
        be chased. The latest one started holds them ``PENDING_HOLD_DAYS`` days."""
        if not self.in_progress or self.pending < self.due:
            return None
        return max(p.on for p in self.in_progress) + timedelta(days=PENDING_HOLD_DAYS)

    def awaiting(self, today: date) -> bool:
        """A payment under way covers what is due and is still expected on ``today``."""
        until = self.pending_until
        return until is not None and today <= until

    @property
    def charged_back(self) -> bool:
        """A card dispute is open on one of its payments."""
        return any(c.state == "open" for c in self.chargebacks)

    @property
    def creditable(self) -> Decimal:
        """What credit notes may still cancel, incl. VAT."""
        return self.total - self.credited

    @property
    def balance(self) -> Decimal:
        """Total - credited - net paid: positive is owed by the customer, negative is owed to
        them (an overpayment, or a paid invoice credited afterwards)."""
        return self.total - self.credited - self.net_paid

    @property
    def due(self) -> Decimal:
        """What the customer still owes (never negative)."""
        return max(self.balance, ZERO)

    @property
    def owed_to_customer(self) -> Decimal:
        return max(-self.balance, ZERO)

    # --- what follows from the state ------------------------------------------------------------

    @property
    def status(self) -> Status:
        if self.total > 0 and self.credited >= self.total:
            return Status.CREDITED
        if self.dunning.disputed or self.charged_back:
            return Status.DISPUTED
        if not self.is_credit_note and self.balance <= 0:
            return Status.PAID
        if self.net_paid > 0:
            return Status.PARTIALLY_PAID
        if self.delivery.state is Delivery.FAILED:
            return Status.DELIVERY_FAILED
        if self.delivery.state is Delivery.SENT:
            return Status.SENT
        if self.delivery.state is Delivery.WAITING:
            return Status.TO_SEND
        return Status.ISSUED

    @property
    def chaseable(self) -> bool:
        """Whether the dunning sequence runs for this document now (pauses aside): an invoice
        that was sent (never one the customer has not received), with something still due."""
        return (
            not self.is_credit_note
            and self.due > 0
            and not self.dunning.disputed
            and not self.charged_back
            and self.dunning.excluded is None
            and not self.dunning.finished
            and self.delivery.state is Delivery.SENT
        )

    @property
    def next_action_on(self) -> date | None:
        """When the next action is due: the scheduled sending day of a document waiting for its
        slot, else the next dunning step; None when there is nothing to do."""
        if self.delivery.state is Delivery.SCHEDULED and self.delivery.send_at is not None:
            return self.delivery.send_at.date()
        return self.next_step_on

    @property
    def next_step_on(self) -> date | None:
        """When the next dunning step is due (calendar days: the daily run skips non-business
        days and catches up on the next one), or None when there is nothing to chase."""
        if not self.chaseable:
            return None
        index = self._next_index()
        if index is None:
            return None
        step = self._step_date(index)
        held = self.pending_until
        return step if held is None else max(step, held + timedelta(days=1))

    def _step_date(self, index: int) -> date:
        """The day step ``index`` (0-based) may go out: its offset from the due date, but never
        sooner than the gap after the document reached the customer or after the previous
        action, nor during a pause."""
        d = self.dunning
        scheduled = self.due_date + timedelta(days=d.offsets[index])
        sent_on = self.delivery.sent_at.date() if self.delivery.sent_at else self.issue_date
        scheduled = max(scheduled, max(sent_on, self.issue_date) + timedelta(days=d.min_gap_days))
        if d.last_action_on is not None:
            scheduled = max(scheduled, d.last_action_on + timedelta(days=d.min_gap_days))
        if d.paused_until is not None:
            scheduled = max(scheduled, d.paused_until)
        return scheduled

    def _next_index(self) -> int | None:
        """The next step to carry out (0-based), passing courtesy notices that could only go out
        after the due date (a notice "your invoice falls due on…" read after it is wrong)."""
        d = self.dunning
        index = d.step
        while (
            index < len(d.offsets) and d.tones[index] == COURTESY and self._step_date(index) > self.due_date
        ):
            index += 1
        return index if index < len(d.offsets) else None

    def overdue(self, today: date) -> bool:
        return not self.is_credit_note and self.due > 0 and today > self.due_date

    # --- transitions ---------------------------------------------------------------------------

    def _next(self, **changes: object) -> Receivable:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def queue_send(self, at: datetime) -> Receivable:
        if self.delivery.state is not Delivery.PENDING:
            raise TransitionRefused(f"{self.number}: already {self.delivery.state.value}, not queued again")
        return self._next(delivery=replace(self.delivery, state=Delivery.QUEUED, queued_at=at))

    def schedule_send(self, send_at: datetime) -> Receivable:
        """Wait for the sending slot the business chose (the daily run queues it then)."""
        if self.delivery.state is not Delivery.QUEUED:
            raise TransitionRefused(f"{self.number}: {self.delivery.state.value}, not scheduled")
        return self._next(delivery=replace(self.delivery, state=Delivery.SCHEDULED, send_at=send_at))

    def release_slot(self) -> Receivable:
        """The sending slot came (the daily run says so): queued to go out now."""
        if self.delivery.state is not Delivery.SCHEDULED:
            raise TransitionRefused(f"{self.number}: {self.delivery.state.value}, not waiting for a slot")
        return self._next(delivery=replace(self.delivery, state=Delivery.QUEUED))

    def await_address(self) -> Receivable:
        """The client has no email address: the document waits for one (status ``to_send``)."""
        if self.delivery.state not in _SENDABLE:
            raise TransitionRefused(f"{self.number}: {self.delivery.state.value}, not waiting for an address")
        return self._next(delivery=replace(self.delivery, state=Delivery.WAITING, send_at=None))

    def requeue(self, at: datetime) -> Receivable:
        """Send again: an address arrived, a bounced address was corrected, or the operator asks
        for a resend. Refused while a send is in flight or not yet queued once."""
        if self.delivery.state in (Delivery.PENDING, Delivery.SENDING, Delivery.QUEUED):
            raise TransitionRefused(f"{self.number}: {self.delivery.state.value}, not queued again")
        return self._next(
            delivery=replace(
                self.delivery, state=Delivery.QUEUED, queued_at=at, send_at=None, claimed_at=None
            )
        )

    def claim_send(self, at: datetime) -> Receivable:
        """Claim the sending, by conditional write, before the email goes to SES: a second
        delivery of the same request finds it claimed (or sent) and sends nothing."""
        state = self.delivery.state
        if state is Delivery.SENT:
            raise TransitionRefused(
                f"{self.number}: already sent ({self.delivery.message_id}); not sent a second time"
            )
        if state is Delivery.SENDING:
            raise TransitionRefused(
                f"{self.number}: a send was claimed at {self.delivery.claimed_at} and never confirmed; "
                "it is not sent again blindly"
            )
        if state not in _SENDABLE:
            raise TransitionRefused(f"{self.number}: {state.value}, not sendable")
        return self._next(delivery=replace(self.delivery, state=Delivery.SENDING, claimed_at=at))

    def release_send(self, reason: str) -> Receivable:
        """SES refused the email (throttled, a transient error): the claim is given back, the
        next delivery of the request tries again."""
        if self.delivery.state is not Delivery.SENDING:
            raise TransitionRefused(f"{self.number}: no send in flight to release")
        return self._next(
            delivery=replace(self.delivery, state=Delivery.QUEUED, claimed_at=None, failure=reason or None)
        )

    def mark_sent(self, at: datetime, message_id: str, to: str = "") -> Receivable:
        if not message_id:
            raise TransitionRefused(f"{self.number}: a sent message needs the provider's id")
        if self.delivery.state is Delivery.SENT:
            raise TransitionRefused(
                f"{self.number}: already sent ({self.delivery.message_id}); not sent a second time"
            )
        if self.delivery.state not in (*_SENDABLE, Delivery.SENDING):
            raise TransitionRefused(f"{self.number}: {self.delivery.state.value}, cannot be marked sent")
        return self._next(
            delivery=replace(
                self.delivery,
                state=Delivery.SENT,
                sent_at=at,
                message_id=message_id,
                failure=None,
                claimed_at=None,
                send_at=None,
            ),
            messages=(*self.messages, SentMessage("invoice", at, message_id, to)),
        )

    def delivery_failed(self, at: datetime, reason: str) -> Receivable:
        """A bounce or a complaint (of the invoice email or of a reminder): reminders stop until
        the address is corrected and the document sent again (``requeue``)."""
        if self.delivery.state is Delivery.PENDING:
            raise TransitionRefused(f"{self.number}: cannot fail to deliver what was never queued")
        if self.delivery.state is Delivery.FAILED:
            raise TransitionRefused(f"{self.number}: delivery already marked failed")
        return self._next(
            delivery=replace(self.delivery, state=Delivery.FAILED, failed_at=at, failure=reason or "unknown")
        )

    def credit(
        self,
        credit_note: str,
        amount: Decimal,
        on: date,
        *,
        by_rate: tuple[RateShare, ...] = (),
        lines: tuple[tuple[int, Decimal], ...] = (),
    ) -> Receivable:
        """Record a credit note. Across all credit notes of the invoice, the total incl. VAT,
        the base and the VAT at each rate, and the quantity of each line credited never exceed
        the invoice's: a credit at a rate the invoice does not have is refused."""
        if self.is_credit_note:
            raise TransitionRefused(f"{self.number} is a credit note; credit the invoice it corrects")
        _positive(amount, "credit")
        if any(c.credit_note == credit_note for c in self.credits):
            raise TransitionRefused(f"{credit_note} is already recorded against {self.number}")
        for line, quantity in _merged_lines(lines):
            if not 1 <= line <= len(self.line_quantities):
                raise CreditRefused(f"{self.number} has no line {line}", "line", line=line)
            already = self.credited_quantity(line)
            if already + quantity > self.line_quantities[line - 1]:
                raise CreditRefused(
                    f"line {line} of {self.number}: {already + quantity} would be credited of "
                    f"{self.line_quantities[line - 1]} invoiced ({already} already)",
                    "line",
                    line=line,
                )
        if amount > self.creditable:
            raise CreditRefused(
                f"the credit note ({amount}) exceeds what remains of {self.number} ({self.creditable})",
                "total",
                credit=amount,
                remaining=self.creditable,
            )
        invoiced = {share.key: share for share in self.rates}
        for share in _merged(by_rate):
            if self.rates and share.key not in invoiced:
                raise CreditRefused(
                    f"{self.number} has no VAT at {_rate_label(share.key)}: a credit note credits what "
                    "was invoiced, at its rate",
                    "rate",
                    rate=_rate_label(share.key),
                )
            if share.key not in invoiced:
                continue
            basis, vat = self.credited_at(share.key)
            limit = invoiced[share.key]
            if basis + share.basis > limit.basis or vat + share.vat > limit.vat:
                raise CreditRefused(
                    f"at {_rate_label(share.key)}, the credit notes of {self.number} would cancel "
                    f"{basis + share.basis} excl. VAT and {vat + share.vat} VAT, more than invoiced "
                    f"({limit.basis} and {limit.vat})",
                    "rate_total",
                    rate=_rate_label(share.key),
                    basis=basis + share.basis,
                    vat=vat + share.vat,
                    invoiced_basis=limit.basis,
                    invoiced_vat=limit.vat,
                )
        credit = Credit(credit_note, amount, on, _merged(by_rate), _merged_lines(lines))
        return self._next(credits=(*self.credits, credit))

    def credit_with(self, credit_note: Invoice) -> Receivable:
        """Record an issued (or trial) credit note correcting this invoice."""
        return self.credit(
            credit_note.number,
            credit_note.totals.grand_total,
            credit_note.issue_date,
            by_rate=rate_shares(credit_note.totals),
            lines=tuple((item.line, item.quantity) for item in credit_note.draft.credited_lines),
        )

    def credited_at(self, key: str) -> tuple[Decimal, Decimal]:
        """Base and VAT already credited at one rate."""
        shares = [s for c in self.credits for s in c.by_rate if s.key == key]
        return sum((s.basis for s in shares), ZERO), sum((s.vat for s in shares), ZERO)

    def credited_quantity(self, line: int) -> Decimal:
        return sum((q for c in self.credits for n, q in c.lines if n == line), Decimal(0))

    def record_payment(self, payment_id: str, amount: Decimal, on: date, method: str = "") -> Receivable:
        """Money received. An overpayment is recorded, not refused: money that arrived is never
        lost; ``owed_to_customer`` shows it."""
        if self.is_credit_note:
            raise TransitionRefused(f"{self.number} is a credit note: it is not paid")
        _positive(amount, "payment")
        if not payment_id:
            raise TransitionRefused("a payment needs its provider's id")
        if any(p.payment_id == payment_id for p in self.payments):
            raise TransitionRefused(f"payment {payment_id} is already recorded on {self.number}")
        return self._next(payments=(*self.payments, Payment(payment_id, amount, on, method)))

    def refund(self, refund_id: str, payment_id: str, amount: Decimal, on: date) -> Receivable:
        """Money given back: the invoice is due again for it, and dunning resumes where it was."""
        _positive(amount, "refund")
        if any(r.refund_id == refund_id for r in self.refunds):
            raise TransitionRefused(f"refund {refund_id} is already recorded on {self.number}")
        payment = next((p for p in self.payments if p.payment_id == payment_id), None)
        if payment is None:
            raise TransitionRefused(f"{self.number} has no payment {payment_id} to refund")
        already = sum((r.amount for r in self.refunds if r.payment_id == payment_id), ZERO)
        if already + amount > payment.amount:
            raise TransitionRefused(
                f"refunds of {payment_id} ({already + amount}) would exceed the payment ({payment.amount})"
            )
        return self._next(refunds=(*self.refunds, Refund(refund_id, payment_id, amount, on)))

    def settle(self, entries: Iterable[Entry]) -> Receivable:
        """Follow the payments ledger: ``entries`` (this invoice's) are merged into the ones it
        holds by the ledger's own rule (``ledger.merge``, a join), and its payments, payments in
        progress, refunds and chargebacks are derived from them (beside the payments recorded
        by hand with ``record_payment``, which have ids of their own). So any order, any
        number of times and any batching give the same receivable; nothing new gives the same
        object back (no write)."""
        held = {e.entry_id: e for e in self.entries}
        for entry in entries:
            if entry.invoice_id != self.invoice_id:
                raise TransitionRefused(f"{entry.entry_id} is not a payment of {self.number}")
            if entry.currency != "EUR":
                raise TransitionRefused(f"{entry.entry_id} is in {entry.currency}, {self.number} in EUR")
            if self.is_credit_note:
                raise TransitionRefused(f"{self.number} is a credit note: it is not paid")
            known = held.get(entry.entry_id)
            held[entry.entry_id] = entry if known is None else merge(known, entry)
        merged = tuple(sorted(held.values(), key=lambda e: e.entry_id))
        if merged == self.entries:
            return self
        ledger_ids = {e.group for e in merged if e.kind is Kind.PAYMENT} | {e.entry_id for e in merged}
        payments = [p for p in self.payments if p.payment_id not in ledger_ids]
        refunds = [r for r in self.refunds if r.refund_id not in ledger_ids]
        in_progress, chargebacks = [], []
        for e in merged:
            if e.kind is Kind.PAYMENT and e.cents > 0:
                if e.state is State.SUCCEEDED:
                    payments.append(Payment(e.group, e.amount, e.on, e.method))
                elif e.state is State.PENDING:
                    in_progress.append(Payment(e.group, e.amount, e.on, e.method))
            elif e.kind is Kind.REFUND and e.cents > 0:
                refunds.append(Refund(e.entry_id, e.group, e.amount, e.on))
            elif e.kind is Kind.CHARGEBACK:
                chargebacks.append(Chargeback(e.entry_id, e.group, e.amount, e.state.value, e.on, e.label))
        return self._next(
            entries=merged,
            payments=tuple(sorted(payments, key=lambda p: (p.on, p.payment_id))),
            in_progress=tuple(in_progress),
            refunds=tuple(sorted(refunds, key=lambda r: (r.on, r.refund_id))),
            chargebacks=tuple(chargebacks),
        )

    def pause(self, until: date, today: date) -> Receivable:
        if self.is_credit_note:
            raise TransitionRefused(f"{self.number} is a credit note: it has no reminders")
        if until <= today:
            raise TransitionRefused(f"a pause must end after today ({today}), not on {until}")
        return self._next(dunning=replace(self.dunning, paused_until=until))

    def resume(self) -> Receivable:
        if self.dunning.paused_until is None and self.dunning.excluded is None:
            raise TransitionRefused(f"{self.number}: reminders are neither paused nor stopped")
        return self._next(dunning=replace(self.dunning, paused_until=None, excluded=None))

    def exclude(self, reason: str) -> Receivable:
        if not reason.strip():
            raise TransitionRefused("say why the reminders stop")
        if self.dunning.excluded is not None:
            raise TransitionRefused(f"{self.number}: reminders already stopped ({self.dunning.excluded})")
        return self._next(dunning=replace(self.dunning, excluded=reason.strip()))

    def dispute(self, reason: str) -> Receivable:
        if self.is_credit_note:
            raise TransitionRefused(f"{self.number} is a credit note: it cannot be disputed")
        if self.dunning.disputed:
            raise TransitionRefused(f"{self.number} is already disputed")
        if self.status is Status.CREDITED:
            raise TransitionRefused(f"{self.number} is credited in full: nothing to dispute")
        return self._next(dunning=replace(self.dunning, disputed=True, dispute_reason=reason or None))

    def resolve_dispute(self, outcome: DisputeOutcome) -> Receivable:
        """End a dispute. What the money became (a payment taken back) is recorded separately
        with ``refund``; dunning resumes where it was if anything is still due."""
        if not self.dunning.disputed:
            raise TransitionRefused(f"{self.number} is not disputed")
        return self._next(
            dunning=replace(self.dunning, disputed=False, dispute_reason=f"resolved: {outcome.value}")
        )

    def _due_step(self, today: date) -> int:
        """The step (1-based) to carry out on ``today``: the latest that fell due, but never the
        escalation before the final reminder went out."""
        next_on = self.next_step_on
        if next_on is None:
            raise TransitionRefused(f"{self.number}: no reminder to send ({self.status.value})")
        if next_on > today:
            raise TransitionRefused(f"{self.number}: the next reminder is due on {next_on}, not {today}")
        d = self.dunning
        latest = self._next_index()
        assert latest is not None  # next_step_on said there is one
        for k in range(latest + 1, len(d.offsets)):
            if self.due_date + timedelta(days=d.offsets[k]) > today or d.tones[k] == ESCALATION:
                break  # not yet; or the escalation, which waits for the step before it
            if d.tones[k] == COURTESY and self._step_date(k) > self.due_date:
                continue  # a courtesy notice too late to send
            latest = k
        return latest + 1

    def claim_step(self, today: date) -> tuple[Receivable, int]:
        """Claim the dunning step due today, by conditional write, before its email goes out;
        returns the new state and the step claimed (1-based; ``dunning.tone(step)`` says what
        it is). When several steps fell due meanwhile (a run was missed, a pause ended), only
        the latest is carried out: the customer gets one current reminder, not a burst of stale
        ones. Refused when nothing is due today or the step is already claimed: a second run
        the same day does nothing twice."""
        d = self.dunning
        if d.claimed is not None:
            raise TransitionRefused(f"{self.number}: step {d.claimed} was claimed on {d.claimed_on}")
        step = self._due_step(today)
        return self._next(dunning=replace(d, claimed=step, claimed_on=today)), step

    def complete_step(
        self, step: int, at: datetime, message_id: str | None, to: str = "", *, on: date | None = None
    ) -> Receivable:
        """The claimed step was carried out (``message_id`` from SES; None when a run died
        mid-send and the step is closed unconfirmed, so that it is never sent twice)."""
        d = self.dunning
        if d.claimed != step:
            raise TransitionRefused(f"{self.number}: step {step} is not the claimed one ({d.claimed})")
        day = on or d.claimed_on or at.date()
        tone = d.tone(step)
        kind = "escalation" if tone == ESCALATION else "reminder"
        return self._next(
            dunning=replace(d, step=step, last_action_on=day, claimed=None, claimed_on=None),
            messages=(*self.messages, SentMessage(kind, at, message_id, to, step, tone, day)),
        )

    def release_step(self, step: int) -> Receivable:
        """The claimed step could not be carried out (SES refused it): the next run tries again."""
        if self.dunning.claimed != step:
            raise TransitionRefused(f"{self.number}: step {step} is not the claimed one")
        return self._next(dunning=replace(self.dunning, claimed=None, claimed_on=None))

    def advance_dunning(self, today: date) -> tuple[Receivable, int]:
        """Claim and complete the step due today at once, without an email (tests, imports)."""
        claimed, step = self.claim_step(today)
        done = claimed.complete_step(step, datetime.combine(today, time(), UTC), None)
        return replace(done, version=self.version + 1), step


def _merged(shares: tuple[RateShare, ...]) -> tuple[RateShare, ...]:
    merged: dict[str, RateShare] = {}
    for s in shares:
        before = merged.get(s.key, RateShare(s.key, ZERO, ZERO))
        merged[s.key] = RateShare(s.key, before.basis + s.basis, before.vat + s.vat)
    return tuple(merged.values())


def _merged_lines(lines: tuple[tuple[int, Decimal], ...]) -> tuple[tuple[int, Decimal], ...]:
    merged: dict[int, Decimal] = {}
    for line, quantity in lines:
        merged[line] = merged.get(line, Decimal(0)) + quantity
    return tuple(sorted(merged.items()))


def _rate_label(key: str) -> str:
    category, rate = key.split(":")
    return f"{rate.replace('.', ',')} % ({category})"


def _positive(amount: Decimal, what: str) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TransitionRefused(f"a {what} amount must be a finite Decimal, not {amount!r}")
    if amount <= 0:
        raise TransitionRefused(f"a {what} must be positive, not {amount}")
    if amount != amount.quantize(Decimal("0.01")):
        raise TransitionRefused(f"a {what} is in cents, not {amount}")


def open_receivable(invoice: Invoice, policy: DunningPolicy | None = None) -> Receivable:
    """The state of a document at the moment it is issued."""
    policy = policy or DunningPolicy()
    return Receivable(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        is_credit_note=invoice.is_credit_note,
        total=invoice.totals.grand_total,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        rates=rate_shares(invoice.totals),
        line_quantities=tuple(line.quantity for line in invoice.lines),
        dunning=DunningState(offsets=policy.offsets, min_gap_days=policy.min_gap_days, tones=policy.tones),
        payments=(
            (
                Payment(
                    invoice.settled.payment_id,
                    invoice.totals.grand_total,
                    invoice.settled.on,
                    invoice.settled.method,
                ),
            )
            if invoice.settled is not None and invoice.totals.grand_total > 0
            else ()
        ),
    )
