"""Payments from Stripe: its webhook events settle invoices through the payments book
(``services.payment_book``: one ledger, whatever the order and number of times an event comes).

``StripeWebhook`` receives Stripe's events: the ``Stripe-Signature`` is checked on the raw
body against the webhook secret(s) in SSM (several, comma-separated, while rotating; 300 s
tolerance); a missing, wrong or stale signature is answered 400 and changes nothing. Each
event is processed once per event id (Powertools Idempotency on the idempotency table): the
same event again is answered as the first time. ``ingest.stripe`` says what an event means.
A paid Checkout Session that is none of our invoices, with online sales on, is handed to
generate as a sale file (``OnlineSales``). ``PaymentsEndpoint`` is what the function serves:
the webhook and the payment links (``services.checkout``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import stripe

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.messaging import Alerts
from invoicing.adapters.payments import PaymentLedger
from invoicing.adapters.secrets import SECRET_MAX_AGE, SecretParameter
from invoicing.domain.invoice import Source as InvoiceSource
from invoicing.domain.ledger import Entry, Kind, State
from invoicing.ingest.stripe import NotOurs, StripeFacts, read_event
from invoicing.observability import count, logger
from invoicing.services.checkout import PayLinks, StripeClients
from invoicing.services.payment_book import InvoiceNotYetIssued, PaymentBook, Settled
from invoicing.settings import WebhookSettings

#: Stripe retries an event for up to three days: remember event ids a little longer.
EVENT_MEMORY_SECONDS = 4 * 24 * 3600
#: Where an online sale's session is written for generate to issue its invoice.
SALES_PREFIX = "incoming/stripe/"


def online_sale_invoice_id(session_id: str) -> str:
    """The invoice an online sale's Checkout Session becomes: one per session, whatever the
    file it arrives in (``ingest.online_sale`` issues it with this source)."""
    digest = hashlib.sha256(f"stripe-session:{session_id}".encode()).hexdigest()
    return InvoiceSource(f"{SALES_PREFIX}{session_id}.json", digest, "sale").invoice_id


# --- Stripe's webhook ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """What the webhook answers Stripe: an HTTP status and a small JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    event_type: str | None = None


class StripeWebhook:
    def __init__(
        self,
        *,
        secret: Callable[[], str],
        book: PaymentBook | None = None,
        alerts: Alerts | None = None,
        sales: OnlineSales | None = None,
        business_name: str = "",
        time_zone: str = "Europe/Paris",
        idempotency_table: str | None = None,
        live: Callable[[], bool | None] = lambda: None,
    ) -> None:
        self._secret = secret
        self._live = live
        self.book = book
        self.alerts = alerts
        self.sales = sales
        self.business_name = business_name
        self.time_zone = time_zone
        self._consume: Callable[..., dict[str, Any]] = self._apply
        self._idempotency: Any = None
        if idempotency_table:
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                IdempotencyConfig,
                idempotent_function,
            )

            from invoicing.adapters.aws import client

            store = DynamoDBPersistenceLayer(table_name=idempotency_table, boto3_client=client("dynamodb"))
            config = IdempotencyConfig(
                event_key_jmespath="id",
                raise_on_no_idempotency_key=True,
                expires_after_seconds=EVENT_MEMORY_SECONDS,
            )
            self._idempotency = config
            self._consume = idempotent_function(
                data_keyword_argument="event", persistence_store=store, config=config
            )(self._apply)

    @classmethod
    def from_settings(cls, settings: WebhookSettings, business_name: str = "") -> StripeWebhook:
        resources = settings.resources
        book = None
        if resources is not None and resources.payments_table:
            book = PaymentBook(
                ledger=PaymentLedger(resources.payments_table), invoices=InvoiceRepository(resources)
            )
        sales = None
        if settings.online_sales and resources is not None:
            sales = OnlineSales(
                bucket=resources.documents_bucket,
                stripe_client=StripeClients.from_settings(settings),
            )
        return cls(
            secret=SecretParameter(settings.webhook_secret_parameter).value,
            book=book,
            alerts=Alerts(settings.alerts_topic_arn) if settings.alerts_topic_arn else None,
            sales=sales,
            business_name=business_name,
            time_zone=settings.time_zone,
            idempotency_table=resources.idempotency_table if resources is not None else None,
            live=_key_mode(settings),
        )

    def register(self, context: Any) -> None:
        """The Lambda context of this invocation (Idempotency uses its remaining time)."""
        if self._idempotency is not None:
            self._idempotency.register_lambda_context(context)

    # --- the request -----------------------------------------------------------------------

    def receive(self, payload: str, signature: str | None) -> WebhookAnswer:
        """A signed request from Stripe (the raw body, as sent)."""
        if not signature:
            return WebhookAnswer(400, {"error": "missing Stripe-Signature header"})
        event = self._verified(payload, signature)
        if isinstance(event, WebhookAnswer):
            return event
        return self.consume(event)

    def _verified(self, payload: str, signature: str) -> dict[str, Any] | WebhookAnswer:
        secrets = [s.strip() for s in self._secret().split(",") if s.strip()]
        for secret in secrets:
            try:
                stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=300)
            except stripe.SignatureVerificationError:
                continue
            try:
                event = json.loads(payload)
            except ValueError:
                return WebhookAnswer(400, {"error": "malformed payload"})
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                return WebhookAnswer(400, {"error": "malformed payload"})
            return event
        return WebhookAnswer(400, {"error": "invalid signature"})

    def consume(self, event: dict[str, Any]) -> WebhookAnswer:
        """A genuine event (signature checked, or delivered by EventBridge): applied once."""
        try:
            body = self._consume(event=event)
        except InvoiceNotYetIssued as exc:
            # Answering an error makes Stripe deliver the event again later.
            logger.info("payment waits for its invoice", extra={"event": event.get("id"), "why": str(exc)})
            return WebhookAnswer(
                409, {"error": "invoice not issued yet, retry"}, event.get("id"), event.get("type")
            )
        except Exception as exc:
            if type(exc).__name__ == "IdempotencyAlreadyInProgressError":
                return WebhookAnswer(409, {"error": "this event is being processed"}, event.get("id"))
            raise
        return WebhookAnswer(200, body, body.get("id"), body.get("type"))

    # --- the event -------------------------------------------------------------------------

    def _apply(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            facts = read_event(event, self.time_zone)
        except NotOurs as exc:
            count("StripeEventsUnreadable")
            logger.warning("Stripe event not readable", extra={"id": event.get("id"), "why": str(exc)})
            self._alert(
                "Evenement Stripe illisible / unreadable Stripe event",
                f"L'événement {event.get('id')} ({event.get('type')}) n'a pas pu être lu : {exc}.\n"
                f"Event {event.get('id')} ({event.get('type')}) could not be read: {exc}.\n"
                "Voir / see the Stripe dashboard, Developers > Events.",
            )
            return {"received": True, "id": event.get("id"), "type": event.get("type"), "ignored": str(exc)}
        answer: dict[str, Any] = {"received": True, "id": facts.event_id, "type": facts.event_type}
        live = self._live()
        if not facts.ignored and live is not None and facts.livemode != live:
            mode = "live" if facts.livemode else "test"
            facts = replace(facts, ignored=f"a {mode}-mode event on a {'live' if live else 'test'} stack")
            self._alert(
                "Evenement Stripe d'un autre mode / Stripe event of the other mode",
                f"L'événement {facts.event_id} ({facts.event_type}) est en mode {mode}, la clé Stripe "
                "de la pile non : il est ignoré. Vérifiez les secrets de webhook "
                "(/<stack>/stripe/webhook-secret).\n"
                f"Event {facts.event_id} is in {mode} mode, the stack's Stripe key is not: ignored. Check "
                "the webhook secrets.",
            )
        if facts.ignored:
            count("StripeEventsIgnored")
            answer["ignored"] = facts.ignored
            return answer
        if self.book is None:
            raise RuntimeError("the payments table is not configured")
        settled = [self._record(facts, entry) for entry in facts.entries]
        answer["entries"] = [
            {
                "entry": s.recorded.after.entry_id,
                "state": s.recorded.after.state.value,
                "invoice": s.number,
                "status": s.status.value if s.status else None,
            }
            for s in settled
        ]
        count("StripeEventsApplied")
        return answer

    def _record(self, facts: StripeFacts, entry: Entry) -> Settled:
        assert self.book is not None
        sale = False
        if entry.invoice_id is None and facts.sale is not None and self.sales is not None:
            # generate issues the sale's invoice, then assigns this payment to it (file_import).
            invoice_id = self.sales.issue(facts, entry, self.time_zone)
            entry, sale = replace(entry, label=f"online sale, invoice {invoice_id}; {entry.label}"), True
        settled = self.book.record(entry)
        if not sale:
            self._tell(facts, settled)
        return settled

    def _tell(self, facts: StripeFacts, settled: Settled) -> None:
        """Alert the operator about what needs a person; only when the ledger learnt it now
        (the same payment reported by two events is told once)."""
        recorded = settled.recorded
        entry, before = recorded.after, recorded.before
        if not recorded.changed:
            return
        newly = before is None or before.state is not entry.state
        unmatched = entry.kind is Kind.PAYMENT and entry.invoice_id is None and entry.state is State.SUCCEEDED
        if unmatched and newly:
            count("PaymentsUnmatched")
            amount = f"{entry.amount} {entry.currency}"
            reference = facts.foreign_reference or settled.refused or "-"
            who = entry.label or "-"
            self._alert(
                f"Paiement non rapproche / unmatched payment {amount}",
                f"Un paiement Stripe de {amount} ({entry.group}, {who}) ne correspond à aucune facture "
                f"(référence donnée : {reference}). Il est gardé : `invoicing payments unmatched`, puis "
                f"`invoicing payments assign {entry.group} <numéro>`.\n"
                f"A Stripe payment of {amount} ({entry.group}, {who}) matches no invoice (reference given: "
                f"{reference}). It is kept: `invoicing payments unmatched`, then `... assign`.",
            )
        after = settled.after
        if after is not None and after.owed_to_customer > settled.owed_before:
            count("Overpayments")
            over = f"{after.owed_to_customer} {entry.currency}"
            self._alert(
                f"Trop-percu / overpayment: {settled.number}",
                f"{settled.number} a reçu plus que son montant : {over} sont dus au client (statut "
                f"{after.status.value}, paiement {entry.group}). Remboursez-le depuis Stripe ou déduisez-le "
                "d'une prochaine facture.\n"
                f"{settled.number} received more than its total: {over} is owed to the customer. Refund it "
                "from Stripe or deduct it from a next invoice.",
            )
        if entry.kind is Kind.CHARGEBACK and newly and entry.state in (State.OPEN, State.LOST):
            opened = entry.state is State.OPEN
            count("ChargebacksOpened" if opened else "ChargebacksLost")
            what = settled.number or entry.group
            amount = f"{entry.amount} {entry.currency}"
            if opened:
                text = (
                    f"Le client conteste le paiement de {what} ({amount}, motif {entry.label or '-'}). "
                    "Les relances sont suspendues. Répondez dans le tableau de bord Stripe (Paiements > "
                    "Litiges) avant la date limite.\n"
                    f"The customer disputes the payment of {what} ({amount}). Reminders are paused. Answer "
                    "in the Stripe dashboard (Payments > Disputes) before the deadline."
                )
            else:
                text = (
                    f"La contestation du paiement de {what} est perdue : {amount} sont repris, la facture "
                    "est de nouveau due et les relances reprennent.\n"
                    f"The dispute on {what} is lost: {amount} is taken back, the invoice is due again and "
                    "reminders resume."
                )
            self._alert(f"Contestation Stripe / dispute {'ouverte' if opened else 'perdue'}: {what}", text)

    def _alert(self, subject: str, message: str) -> None:
        if self.alerts is None:
            return
        prefix = f"[{self.business_name}] " if self.business_name else ""
        self.alerts.publish(prefix + subject, message)


def _key_mode(settings: WebhookSettings) -> Callable[[], bool | None]:
    """Whether the stack's Stripe key is live (``sk_live_``/``rk_live_``), test, or unknown (no
    key configured, or unreadable): events of the other mode are then ignored."""
    if not settings.api_key_parameter:
        return lambda: None
    key = SecretParameter(settings.api_key_parameter)
    missing_until = [0.0]  # a key that is not there is not asked for again on every event

    def mode() -> bool | None:
        if time.monotonic() < missing_until[0]:
            return None
        try:
            value = key.value()
        except Exception:  # the key is needed for links and sales, not to apply payments
            missing_until[0] = time.monotonic() + SECRET_MAX_AGE
            return None
        if value.startswith(("sk_live_", "rk_live_")):
            return True
        if value.startswith(("sk_test_", "rk_test_")):
            return False
        return None

    return mode


# --- online sales ----------------------------------------------------------------------------------


class OnlineSales:
    """A paid Checkout Session that is none of our invoices becomes a sale file for generate
    (``incoming/stripe/<session>.json``: the session with its line items, which Stripe only
    gives through the API), issued there through the one issuing path, paid."""

    def __init__(self, *, bucket: str, stripe_client: Callable[[], Any]) -> None:
        self.bucket = bucket
        self._stripe = stripe_client

    def issue(self, facts: StripeFacts, entry: Entry, time_zone: str) -> str:
        from invoicing.adapters.aws import client

        assert facts.sale is not None
        session = dict(facts.sale)
        session_id = str(session["id"])
        items = self._stripe().v1.checkout.sessions.line_items.list(session_id, params={"limit": 100})
        session["line_items"] = {
            "object": "list",
            "data": [item.to_dict() for item in items.auto_paging_iter()],
        }
        document = {
            "source": "stripe",
            "event_id": facts.event_id,
            "livemode": facts.livemode,
            "paid_on": entry.on.isoformat(),
            "payment_id": entry.group,
            "method": entry.method,
            "session": session,
        }
        key = f"{SALES_PREFIX}{session_id}.json"
        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode(),
            ContentType="application/json",
        )
        logger.info("online sale handed to generate", extra={"session": session_id, "key": key})
        count("OnlineSales")
        return online_sale_invoice_id(session_id)


# --- the function's endpoint ------------------------------------------------------------------------


@dataclass
class PaymentsEndpoint:
    """What the stripe_webhook function serves: Stripe's events and the payment links."""

    webhook: StripeWebhook
    pay_links: PayLinks | None = None

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> PaymentsEndpoint:
        links = None
        if settings.resources is not None:
            links = PayLinks.from_settings(settings, business_name=settings.business_name)
        return cls(
            webhook=StripeWebhook.from_settings(settings, business_name=settings.business_name),
            pay_links=links,
        )
