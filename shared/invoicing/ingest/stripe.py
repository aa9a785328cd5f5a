"""Stripe events to ledger entries (pure): what one verified event says about our money.

Which events count, and what each becomes (``Entry`` of ``invoicing.domain.ledger``; the
group of every entry is the payment intent, ``stripe:pi_…``, so a refund or a dispute finds
its payment whatever the order they arrive in):

- ``checkout.session.completed``: the session's payment, succeeded when ``payment_status`` is
  ``paid``, pending when ``unpaid`` (SEPA debit, bank transfer: the money follows days later);
- ``checkout.session.async_payment_succeeded`` / ``_failed``: that payment succeeded / failed;
- ``payment_intent.succeeded`` / ``payment_intent.processing``: a payment intent carrying our
  ``metadata.invoice_id`` (a payment started elsewhere than our links is none of ours);
- ``charge.refunded``: the charge's refunds so far (``amount_refunded`` is a running total);
- ``charge.dispute.created`` / ``updated`` / ``closed``: a chargeback, open then won or lost.

The invoice is named by ``metadata.invoice_id``, which our payment links set server-side (never
by ``client_reference_id``, which anyone can add to a Payment Link's URL); a value that is not
one of our ids is kept as the entry's label and the money waits for the operator. A paid
session without it is a *sale*: the stack may issue its invoice.
Anything else is ignored, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from invoicing.domain.ledger import Entry, Kind, LedgerError, Source, State

#: Our invoice ids (``domain.invoice.Source.invoice_id``).
INVOICE_ID = re.compile(r"inv-[0-9a-f]{32}")
#: Stripe object ids as they look (anything else in an event is not trusted as a key).
_STRIPE_ID = re.compile(r"[A-Za-z]{2,8}_[A-Za-z0-9_]{1,250}")
_MAX_CENTS = 100_000_000_00  # a hundred million euros: beyond is not a payment of ours

#: The event types this service acts on.
HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.succeeded",
    "payment_intent.processing",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
)

_OPEN_DISPUTE = {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
_CLOSED_DISPUTE = {"won": State.WON, "warning_closed": State.WON, "lost": State.LOST}


class NotOurs(ValueError):
    """The event cannot be read as one of ours: the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class StripeFacts:
    event_id: str
    event_type: str
    livemode: bool
    entries: tuple[Entry, ...] = ()
    #: A paid Checkout Session that names none of our invoices (an online sale).
    sale: Mapping[str, Any] | None = None
    #: Why nothing is recorded (an event type we do not act on, a payment not ours).
    ignored: str | None = None
    #: The invoice id the event names but that does not look like ours (kept for the operator).
    foreign_reference: str | None = None


def read_event(event: Mapping[str, Any], time_zone: str = "Europe/Paris") -> StripeFacts:
    """What ``event`` (a verified Stripe event, as JSON) says; ``NotOurs`` when it is malformed."""
    if not isinstance(event, Mapping) or event.get("object") != "event":
        raise NotOurs("not a Stripe event object")
    event_id = _id(event.get("id"), "id")
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise NotOurs("the event has no type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise NotOurs("the event has no data.object")
    created = event.get("created")
    if isinstance(created, bool) or not isinstance(created, int) or created <= 0:
        raise NotOurs("the event has no creation time")
    on = datetime.fromtimestamp(created, UTC).astimezone(ZoneInfo(time_zone)).date()
    facts = StripeFacts(event_id, event_type, bool(event.get("livemode")))
    if event_type not in HANDLED:
        return _ignored(facts, f"{event_type} is not an event payments act on")
    try:
        if event_type.startswith("checkout.session."):
            return _session(facts, obj, on)
        if event_type.startswith("payment_intent."):
            return _payment_intent(facts, obj, on)
        if event_type == "charge.refunded":
            return _refund(facts, obj, on)
        return _dispute(facts, obj, on)
    except LedgerError as exc:
        raise NotOurs(str(exc)) from None


def _ignored(facts: StripeFacts, why: str) -> StripeFacts:
    return StripeFacts(facts.event_id, facts.event_type, facts.livemode, ignored=why)


def _with(facts: StripeFacts, *entries: Entry, foreign: str | None = None) -> StripeFacts:
    return StripeFacts(
        facts.event_id, facts.event_type, facts.livemode, entries=entries, foreign_reference=foreign
    )


def _session(facts: StripeFacts, session: Mapping[str, Any], on: date) -> StripeFacts:
    if session.get("mode") != "payment":
        return _ignored(
            facts, f"a Checkout Session in {session.get('mode')!r} mode is not an invoice payment"
        )
    intent = _ref(session.get("payment_intent"))
    if intent is None:
        return _ignored(facts, "the Checkout Session has no payment intent (nothing was charged)")
    status = session.get("payment_status")
    if facts.event_type == "checkout.session.async_payment_failed":
        state = State.FAILED
    elif facts.event_type == "checkout.session.async_payment_succeeded" or status == "paid":
        state = State.SUCCEEDED
    elif status == "unpaid":
        state = State.PENDING
    else:
        return _ignored(facts, f"payment_status {status!r}: no payment to record")
    invoice_id, foreign = _invoice(session.get("metadata"), session.get("client_reference_id"))
    method = _method(session.get("payment_method_types"))
    entry = Entry(
        group=f"stripe:{intent}",
        kind=Kind.PAYMENT,
        ref=intent,
        state=state,
        cents=_cents(session.get("amount_total"), "amount_total"),
        on=on,
        source=Source.STRIPE,
        currency=_currency(session.get("currency")),
        method=method,
        invoice_id=invoice_id,
        label=_label(session),
    )
    if invoice_id is None and foreign is None:
        sale = session if state is State.SUCCEEDED else None
        return StripeFacts(facts.event_id, facts.event_type, facts.livemode, entries=(entry,), sale=sale)
    return _with(facts, entry, foreign=foreign)


def _payment_intent(facts: StripeFacts, intent: Mapping[str, Any], on: date) -> StripeFacts:
    invoice_id, foreign = _invoice(intent.get("metadata"), None)
    if invoice_id is None and foreign is None:
        return _ignored(facts, "a payment intent without our invoice metadata (not from our payment links)")
    intent_id = _id(intent.get("id"), "data.object.id")
    succeeded = facts.event_type == "payment_intent.succeeded"
    amount = intent.get("amount_received") if succeeded else intent.get("amount")
    method = _method(intent.get("payment_method_types"))
    entry = Entry(
        group=f"stripe:{intent_id}",
        kind=Kind.PAYMENT,
        ref=intent_id,
        state=State.SUCCEEDED if succeeded else State.PENDING,
        cents=_cents(amount, "amount_received" if succeeded else "amount"),
        on=on,
        source=Source.STRIPE,
        currency=_currency(intent.get("currency")),
        method=method,
        invoice_id=invoice_id,
    )
    return _with(facts, entry, foreign=foreign)


def _refund(facts: StripeFacts, charge: Mapping[str, Any], on: date) -> StripeFacts:
    charge_id = _id(charge.get("id"), "data.object.id")
    intent = _ref(charge.get("payment_intent"))
    invoice_id, foreign = _invoice(charge.get("metadata"), None)
    entry = Entry(
        group=f"stripe:{intent or charge_id}",
        kind=Kind.REFUND,
        ref=charge_id,
        state=State.SUCCEEDED,
        cents=_cents(charge.get("amount_refunded"), "amount_refunded"),
        on=on,
        source=Source.STRIPE,
        currency=_currency(charge.get("currency")),
        invoice_id=invoice_id,
    )
    if entry.cents == 0:
        return _ignored(facts, "a charge.refunded with nothing refunded")
    return _with(facts, entry, foreign=foreign)


def _dispute(facts: StripeFacts, dispute: Mapping[str, Any], on: date) -> StripeFacts:
    dispute_id = _id(dispute.get("id"), "data.object.id")
    charge = _ref(dispute.get("charge"))
    intent = _ref(dispute.get("payment_intent"))
    if intent is None and charge is None:
        raise NotOurs("a dispute without its charge")
    status = dispute.get("status")
    if status in _CLOSED_DISPUTE:
        state = _CLOSED_DISPUTE[status]
    elif status in _OPEN_DISPUTE:
        state = State.OPEN
    else:  # a status Stripe added since (e.g. "prevented"): nothing we know to do with it
        return _ignored(facts, f"dispute status {str(status)[:40]!r} is not one payments act on")
    reason = dispute.get("reason")
    entry = Entry(
        group=f"stripe:{intent or charge}",
        kind=Kind.CHARGEBACK,
        ref=dispute_id,
        state=state,
        cents=_cents(dispute.get("amount"), "amount"),
        on=on,
        source=Source.STRIPE,
        currency=_currency(dispute.get("currency")),
        label=reason[:200] if isinstance(reason, str) else "",
    )
    return _with(facts, entry)


# --- fields --------------------------------------------------------------------------------------


def _id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _STRIPE_ID.fullmatch(value):
        raise NotOurs(f"{field} is not a Stripe id: {str(value)[:60]!r}")
    return value


def _ref(value: object) -> str | None:
    """An id given as a string, or as an expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None:
        return None
    return _id(value, "reference")


def _method(types: object) -> str:
    """How it was paid, when the object says so (one payment method type), else "stripe"."""
    if isinstance(types, list) and len(types) == 1 and isinstance(types[0], str):
        return types[0][:40]
    return "stripe"


def _cents(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_CENTS:
        raise NotOurs(f"{field} is not an amount in cents: {str(value)[:40]!r}")
    return value


def _currency(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-zA-Z]{3}", value):
        raise NotOurs(f"currency {str(value)[:20]!r} is not an ISO code")
    return value.upper()


def _invoice(metadata: object, reference: object) -> tuple[str | None, str | None]:
    """(our invoice id, or None; a value given that is not one of our ids)."""
    # Only the metadata our payment links set server-side names an invoice: anyone can add a
    # client_reference_id to a Payment Link's URL, so it is never trusted.
    del reference
    given = metadata.get("invoice_id") if isinstance(metadata, Mapping) else None
    if given is None or given == "":
        return None, None
    if isinstance(given, str) and INVOICE_ID.fullmatch(given):
        return given, None
    return None, str(given)[:80]


def _label(session: Mapping[str, Any]) -> str:
    details = session.get("customer_details")
    if isinstance(details, Mapping):
        name, email = details.get("name"), details.get("email")
        return " ".join(str(v)[:100] for v in (name, email) if isinstance(v, str) and v)
    return ""
