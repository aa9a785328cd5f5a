"""Sending: one ``SendRequest`` per issued document (from the issuer, the daily run when a
scheduled slot comes, a clients file giving a missing address, or the operator's resend).

For each request:

1. the document is read; one already sent (or being sent) is left alone: the same request
   twice sends one email;
2. with a sending slot configured (next business morning, a day of the month), a request
   that comes early records the slot (``scheduled``) and stops: the daily run (09:00, the
   slots' hour) releases it when its day comes and queues it again;
3. the recipient is the client's current address (pilot mode: the operator's); a business
   client without one waits (``to_send``) and the operator is told;
4. the sending is claimed by a conditional write on the receivable, the email composed
   (templates, logo, PDF, payment link, bank details) and given to SES, and the receivable
   marked ``sent`` with SES's message id. SES refusing for good marks it ``delivery_failed``
   and alerts; a transient error gives the claim back and raises, so SQS retries.

A claim found unconfirmed (the function died between SES and the write) is never resent
blindly: the operator is alerted and decides (``invoicing resend``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.mailer import MailRejected
from invoicing.adapters.messaging import Alerts
from invoicing.documents.emails import NoRecipient, compose_invoice_email
from invoicing.domain.calendar import next_business_morning, nth_day_of_month_at
from invoicing.domain.receivable import Delivery, TransitionRefused
from invoicing.events import UNDELIVERED, MailEvent, SendRequest
from invoicing.services.correspondence import Correspondence
from invoicing.settings import MailSettings, SendMode, SendSettings

#: Emails to the customer, and emails to the business's own people.
CUSTOMER_KINDS = frozenset({"invoice", "credit-note", "reminder"})
OWNER_KINDS = frozenset({"escalation", "reply-forward"})
#: A request this close before its slot is sent (the daily run fires at 09:00:00 or just after).
SLOT_TOLERANCE = timedelta(minutes=5)


class NotReadyToSend(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class SendOutcome:
    number: str
    #: sent, scheduled, waiting-address, already-sent, unconfirmed, failed, not-sendable
    outcome: str
    to: str | None = None
    message_id: str | None = None
    detail: str = ""


class Sending:
    def __init__(
        self,
        *,
        invoices: InvoiceRepository,
        mail: Correspondence,
        settings: MailSettings,
        alerts: Alerts,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.invoices = invoices
        self.mail = mail
        self.settings = settings
        self.alerts = alerts
        self.now = now

    @classmethod
    def from_settings(cls, settings: SendSettings) -> Sending:
        return cls(
            invoices=InvoiceRepository(settings.resources),
            mail=Correspondence.from_settings(settings.resources, settings.mail),
            settings=settings.mail,
            alerts=Alerts(settings.alerts_topic_arn),
        )

    def slot(self, queued_at: datetime) -> datetime | None:
        """When a document queued at ``queued_at`` goes out; None: at once."""
        s = self.settings
        if s.send_mode is SendMode.NEXT_MORNING:
            return next_business_morning(queued_at, s.time_zone)
        if s.send_mode is SendMode.MONTHLY:
            return nth_day_of_month_at(queued_at, s.send_day_of_month, s.time_zone)
        return None

    def handle(self, request: SendRequest) -> SendOutcome:
        stored = self.invoices.get(request.invoice_id)
        if stored is None:
            raise NotReadyToSend(f"unknown invoice {request.number} ({request.invoice_id})")
        number = stored.invoice.number
        delivery = stored.receivable.delivery
        if delivery.state is Delivery.SENT:
            return SendOutcome(number, "already-sent", detail=delivery.message_id or "")
        if delivery.state is Delivery.SENDING:
            self.alerts.publish(
                f"Envoi incertain : {number}",
                f"L'envoi de {number} a commencé le {delivery.claimed_at} sans être confirmé (la fonction "
                "s'est arrêtée entre SES et l'enregistrement). Il n'est pas renvoyé automatiquement pour ne "
                f"pas l'envoyer deux fois : vérifiez dans SES, puis `invoicing resend {number}` si besoin.",
            )
            return SendOutcome(number, "unconfirmed")
        if delivery.state not in (Delivery.QUEUED, Delivery.SCHEDULED, Delivery.PENDING):
            return SendOutcome(number, "not-sendable", detail=delivery.state.value)
        now = self.now()

        if delivery.state is Delivery.SCHEDULED:  # only the daily run says its slot came
            return SendOutcome(number, "scheduled", detail=str(delivery.send_at))
        if self.settings.send_mode is not SendMode.IMMEDIATE and delivery.send_at is None:
            slot = self.slot(delivery.queued_at or now)
            if slot is not None and now + SLOT_TOLERANCE < slot:
                self.invoices.update(stored.invoice.invoice_id, _schedule(slot))
                return SendOutcome(number, "scheduled", detail=slot.isoformat())

        return self._send(stored, now)

    def _send(self, stored: StoredInvoice, now: datetime) -> SendOutcome:
        invoice = stored.invoice
        number = invoice.number
        self.mail.forget_clients()  # the address as it is now, not as a warm container saw it
        recipient = self.mail.recipient(invoice)
        if recipient.to is None:
            self.invoices.update(invoice.invoice_id, _await_address)
            self.alerts.publish(
                f"Adresse e-mail manquante : {number}",
                f"{number} ({invoice.buyer.name}, client {invoice.buyer.ref}) n'a pas pu être envoyée : ce "
                "client n'a pas d'adresse e-mail. Elle attend (statut to_send) et partira dès qu'un fichier "
                "clients donnera l'adresse.",
            )
            return SendOutcome(number, "waiting-address")
        pdf = self.mail.pdf(stored)  # before the claim: a missing PDF is retried, nothing claimed
        try:
            claimed = self.invoices.update(invoice.invoice_id, lambda r: r.claim_send(now), current=stored)
        except TransitionRefused as exc:  # another delivery of the request got there first
            return SendOutcome(number, "already-sent", detail=str(exc))
        day = now.astimezone(ZoneInfo(self.settings.time_zone)).date()
        try:
            message = compose_invoice_email(
                invoice,
                pdf=pdf,
                sender=self.settings.sender,
                due=claimed.receivable.due if not invoice.is_credit_note else None,
                pay_url=self.mail.pay_url(invoice, day),
                reply_to=self.mail.reply_to(invoice, day),
                to=recipient.to,
                logo=self.mail.logo(),
                templates=self.mail.templates(),
                sent_at=now,
                pilot_for=recipient.pilot_for,
            )
            kind = "credit-note" if invoice.is_credit_note else "invoice"
            message_id = self.mail.send(message, invoice_id=invoice.invoice_id, kind=kind)
        except (MailRejected, NoRecipient, ValueError) as exc:
            reason = str(exc)
            self.invoices.update(invoice.invoice_id, lambda r: r.delivery_failed(now, reason))
            self.alerts.publish(
                f"Envoi refusé : {number}",
                f"{number} ({invoice.buyer.name}) n'a pas pu être envoyée à {recipient.to} : {reason}\n"
                f"Corrigez l'adresse (fichier clients), puis `invoicing resend {number}`.",
            )
            return SendOutcome(number, "failed", recipient.to, detail=reason)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self.invoices.update(invoice.invoice_id, lambda r: r.release_send(reason))
            raise
        to = recipient.to
        self.invoices.update(
            invoice.invoice_id, lambda r: r.mark_sent(self.now(), message_id, to), current=claimed
        )
        return SendOutcome(number, "sent", to, message_id)

    # --- what became of the emails (SES events) ---------------------------------------------------

    def record(self, event: MailEvent) -> str:
        """A bounce, complaint or rejection marks the document ``delivery_failed`` (reminders stop
        until the address is corrected and it is sent again) and alerts the operator with the
        address and the reason; other events are only counted. Returns what was done."""
        if event.event_type not in UNDELIVERED:
            return "ignored"
        addresses = ", ".join(event.recipients) or "(unknown address)"
        reason = f"{event.event_type} {event.subtype}".strip()
        if event.diagnostic:
            reason += f" ({event.diagnostic})"
        stored = self.invoices.get(event.invoice_id) if event.invoice_id else None
        if stored is None:
            self.alerts.publish(
                f"Email non distribue ({event.event_type})",
                f"SES signale {reason} pour {addresses} (message {event.message_id}), sans facture "
                "reconnue dans ce message.",
            )
            return "unknown-document"
        number = stored.invoice.number
        customer_addresses = {m.to.lower() for m in stored.receivable.messages if m.kind in CUSTOMER_KINDS}
        bounced = {a.lower() for a in event.recipients}
        if event.kind in OWNER_KINDS or (bounced and customer_addresses and not bounced & customer_addresses):
            # The owner's copy or a copy to the business bounced: the customer got theirs.
            self.alerts.publish(
                f"Email interne non distribue : {number}",
                f"SES signale {reason} pour {addresses} (message {event.kind or 'copie'} de {number}). "
                "C'est une adresse de l'entreprise, pas celle du client : vérifiez OwnerEmail / "
                "BusinessEmail. "
                "Les relances du client continuent.",
            )
            return "owner-address"
        if not event.permanent:
            self.alerts.publish(
                f"Email en difficulte : {number}",
                f"SES signale {reason} pour {addresses} ({number}). SES n'a pas pu livrer pour l'instant ; "
                "rien n'est changé. Si cela se répète, vérifiez l'adresse.",
            )
            return "transient"
        at = self.now()

        def fail(r):
            if r.delivery.state in (Delivery.SENT, Delivery.SENDING, Delivery.QUEUED):
                return r.delivery_failed(at, f"{reason}: {addresses}")
            return r

        after = self.invoices.update(stored.invoice.invoice_id, fail)
        if after.receivable.version == stored.receivable.version:
            return "already-failed"  # the same event delivered again: the operator knows already
        advice = (
            "Le client a signalé le message comme indésirable : contactez-le avant de renvoyer."
            if event.event_type == "Complaint"
            else f"Corrigez l'adresse dans le fichier clients, puis `invoicing resend {number}`."
        )
        self.alerts.publish(
            f"Email non distribue : {number}",
            f"{number} ({stored.invoice.buyer.name}, client {stored.invoice.buyer.ref}) : SES signale "
            f"{reason} pour {addresses}. Les relances de cette facture sont arrêtées. {advice}",
        )
        return "delivery-failed"


def _schedule(slot: datetime) -> Callable:
    def change(r):
        if r.delivery.state is Delivery.QUEUED:
            return r.schedule_send(slot)
        return r

    return change


def _await_address(r):
    if r.delivery.state in (Delivery.QUEUED, Delivery.SCHEDULED):
        return r.await_address()
    return r
