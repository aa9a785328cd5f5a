"""The payments ledger: every movement of money about our invoices, one entry per provider
object, whatever told us about it first.

An entry belongs to a *group*, the payment it is about: ``stripe:<payment intent>`` for a
Stripe payment and its refunds and disputes, ``bank:<statement line id>`` for a bank credit,
``manual:<id>`` for a cheque or cash recorded by the operator. Within its group an entry is
identified by its kind and the provider's object id (``payment``, ``refund:<charge>``,
``chargeback:<dispute>``). Amounts are whole cents.

Providers tell us about the same object several times, late, twice and out of order. An entry
therefore only ever moves *forward* (``merge``): a pending payment becomes succeeded or failed,
never back; an open dispute closes won or lost, never reopens; a charge's refunds only grow
(Stripe reports ``amount_refunded``, the running total, so a late "refunded 30 €" event
cannot undo a "refunded 100 €" one). ``merge`` is commutative, associative and idempotent, so
applying the same facts in any order, any number of times, gives the same entry: that is what
makes the final state independent of the order events arrive in. The receivable follows the
ledger by the same rule (``Receivable.settle``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.money import CENT


class Source(StrEnum):
    STRIPE = "stripe"
    BANK = "bank"
    MANUAL = "manual"


class Kind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"  # money given back, the running total for one charge
    CHARGEBACK = "chargeback"  # a card dispute: the money is held, then kept (won) or taken back (lost)


class State(StrEnum):
    PENDING = "pending"  # a payment under way (SEPA debit, bank transfer awaiting funds)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    OPEN = "open"  # a dispute not yet decided
    WON = "won"
    LOST = "lost"


#: How far along an entry is: an entry never moves to a lower rank. Within a rank, the order
#: below decides (money received wins over a failure; a lost dispute over a won one), so that
#: contradictory reports still end in one state whatever their order.
_RANK = {
    State.PENDING: (0, 0),
    State.OPEN: (0, 0),
    State.FAILED: (1, 0),
    State.SUCCEEDED: (1, 1),
    State.WON: (1, 0),
    State.LOST: (1, 1),
}
_STATES = {
    Kind.PAYMENT: (State.PENDING, State.SUCCEEDED, State.FAILED),
    Kind.REFUND: (State.SUCCEEDED,),
    Kind.CHARGEBACK: (State.OPEN, State.WON, State.LOST),
}

#: Payment methods as printed and listed (Stripe's payment method types, and ours).
METHODS = ("card", "sepa_debit", "customer_balance", "transfer", "cheque", "cash", "paypal", "link", "other")


class LedgerError(ValueError):
    """An entry that cannot be: the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Entry:
    group: str
    kind: Kind
    ref: str
    state: State
    cents: int
    on: date
    source: Source
    currency: str = "EUR"
    method: str = ""
    #: The invoice it settles; None while nobody knows (an unknown invoice, a bank credit left
    #: for review, a refund whose payment has not been reported yet).
    invoice_id: str | None = None
    #: What the provider says about it: a bank label, a dispute reason, a payer's name.
    label: str = ""

    def __post_init__(self) -> None:
        if not self.group or ":" not in self.group:
            raise LedgerError(f"an entry's group is '<source>:<id>', not {self.group!r}")
        if not self.ref:
            raise LedgerError("an entry needs the provider's id")
        if self.state not in _STATES[self.kind]:
            raise LedgerError(f"a {self.kind.value} cannot be {self.state.value}")
        if isinstance(self.cents, bool) or not isinstance(self.cents, int) or self.cents < 0:
            raise LedgerError(f"amounts are whole non-negative cents, not {self.cents!r}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise LedgerError(f"currency is a 3-letter ISO code, not {self.currency!r}")

    @property
    def key(self) -> str:
        """The entry within its group: ``payment``, ``refund:<charge>``, ``chargeback:<dispute>``."""
        return self.kind.value if self.kind is Kind.PAYMENT else f"{self.kind.value}:{self.ref}"

    @property
    def entry_id(self) -> str:
        return f"{self.group}#{self.key}"

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.cents) / 100).quantize(CENT)

    @property
    def rank(self) -> tuple[int, int]:
        return _RANK[self.state]

    @property
    def unmatched(self) -> bool:
        return self.invoice_id is None


def cents(amount: Decimal) -> int:
    """Whole cents of an amount of at most two decimals (an exact conversion or an error)."""
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise LedgerError(f"{amount} has fractions of a cent")
    return int(scaled)


def merge(old: Entry, new: Entry) -> Entry:
    """What the ledger holds after learning ``new`` about the entry it holds as ``old``.

    A join (commutative, associative, idempotent): the furthest state wins (then, for refunds,
    the largest running total), dated by the earliest report of that state; an invoice id once
    known is kept (two different ones, only possible with forged data: the smaller, so the
    result does not depend on the order either).
    """
    if (old.group, old.key) != (new.group, new.key):
        raise LedgerError(f"{new.entry_id} is not {old.entry_id}")
    winner = max(old, new, key=_order)
    ids = {e.invoice_id for e in (old, new) if e.invoice_id}
    on = min(old.on, new.on) if old.state is new.state else winner.on
    return replace(winner, invoice_id=min(ids) if ids else None, on=on, label=max(old.label, new.label))


def _order(entry: Entry) -> tuple[tuple[int, int], int, str, str, str, str]:
    return (entry.rank, entry.cents, entry.on.isoformat(), entry.method, entry.currency, entry.source.value)
