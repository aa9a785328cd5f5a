"""Dunning: the daily run (EventBridge Scheduler, 09:00 Europe/Paris) chases late payers.

It reads the sparse "by-next-action" index (never the table): an invoice is in it exactly
while something is due for it (``Receivable.next_action_on``). For each:

- a document waiting for its sending slot is queued for the send function;
- otherwise the dunning step due today is claimed by a conditional write (two runs, or a
  retried run, never send the same step twice), its reminder composed in the tone of the
  step and in the client's language (penalties stated in the firm and final ones) and sent,
  and the step completed with SES's message id;
- the escalation step ends the sequence: the owner receives, per client, the invoices
  concerned and a ready-to-sign formal notice (mise en demeure) with the penalties computed,
  also kept in the bucket under ``notices/``.

The run does nothing on a weekend or a French public holiday (reminders land on business
days); the next run carries out the latest step that fell due meanwhile. One invoice failing
never stops the others: the run carries on, reports every failure and alerts the operator.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from invoicing.adapters.exclusions import ClientExclusions
from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.messaging import Alerts, SendQueue
from invoicing.documents import format as fmt
from invoicing.documents.emails import EscalationItem, compose_escalation_email, compose_reminder_email
from invoicing.domain.calendar import is_business_day
from invoicing.domain.dunning_policy import ESCALATION, PENALTY_TONES
from invoicing.domain.money import ZERO
from invoicing.domain.penalties import (
    MissingReferenceRate,
    PenaltyStatement,
    ReferenceRates,
    receivable_penalties,
)
from invoicing.domain.receivable import Delivery, Receivable, TransitionRefused
from invoicing.events import SendRequest
from invoicing.services.clock import today
from invoicing.services.correspondence import Correspondence
from invoicing.settings import MailSettings, RemindSettings
from invoicing.settings import parse_reference_rates as parse_rates  # noqa: F401 - the one parser, re-exported

log = logging.getLogger(__name__)

#: The formal notice gives the customer this many days to pay.
NOTICE_DEADLINE_DAYS = 8


@dataclass
class RunReport:
    """What one run did, for the logs, the metrics and the command line."""

    day: date
    business_day: bool = True
    queued: list[str] = field(default_factory=list)
    reminders: list[dict[str, Any]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    missing_rates: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "business_day": self.business_day,
            "queued": self.queued,
            "reminders": self.reminders,
            "escalations": self.escalations,
            "skipped": self.skipped,
            "unconfirmed": self.unconfirmed,
            "failures": self.failures,
            "missing_rates": sorted(self.missing_rates),
        }


class Dunning:
    def __init__(
        self,
        *,
        invoices: InvoiceRepository,
        mail: Correspondence,
        settings: MailSettings,
        alerts: Alerts,
        send_queue: SendQueue,
        exclusions: ClientExclusions | None,
        rates: ReferenceRates,
        today: Callable[[], date],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.invoices = invoices
        self.mail = mail
        self.settings = settings
        self.alerts = alerts
        self.send_queue = send_queue
        self.exclusions = exclusions
        self.rates = rates
        self.today = today
        self.now = now

    @classmethod
    def from_settings(cls, settings: RemindSettings) -> Dunning:
        resources = settings.resources
        return cls(
            invoices=InvoiceRepository(resources),
            mail=Correspondence.from_settings(resources, settings.mail),
            settings=settings.mail,
            alerts=Alerts(settings.alerts_topic_arn),
            send_queue=SendQueue(settings.send_queue_url),
            exclusions=ClientExclusions(resources.dunning_table) if resources.dunning_table else None,
            rates=settings.reference_rates or ReferenceRates(),
            today=lambda: today(settings.time_zone),
        )

    # --- the daily run ---------------------------------------------------------------------------

    def run_day(self, event: dict[str, Any]) -> date:
        """The business day a scheduler event is for: its ``scheduled_time`` in the business's
        time zone; today for an event without one (a manual invocation)."""
        text = event.get("scheduled_time") if isinstance(event, dict) else None
        if not text:
            return self.today()
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise ValueError(f"scheduled_time must carry its time zone: {text!r}")
        return when.astimezone(ZoneInfo(self.settings.time_zone)).date()

    def run(self, day: date | None = None) -> RunReport:
        day = day or self.today()
        report = RunReport(day)
        self._exclusions: dict[str, str | None] = {}
        self.mail.forget_clients()
        if not is_business_day(day):
            report.business_day = False
            return report
        escalations: dict[str, list[tuple[StoredInvoice, int]]] = {}
        for stored in self.invoices.due_for_action(day):
            try:
                self._one(stored, day, report, escalations)
            except Exception as exc:
                log.exception("dunning failed for %s", stored.invoice.number)
                report.failures.append(
                    {"number": stored.invoice.number, "error": f"{type(exc).__name__}: {exc}"}
                )
        for items in escalations.values():
            try:
                self._escalate(items, day, report)
            except Exception as exc:
                log.exception("escalation failed")
                for stored, step in items:
                    self._release(stored, step)
                    report.failures.append(
                        {"number": stored.invoice.number, "error": f"{type(exc).__name__}: {exc}"}
                    )
        self._tell_operator(report)
        return report

    def _one(self, stored: StoredInvoice, day: date, report: RunReport, escalations: dict[str, list]) -> None:
        invoice, r = stored.invoice, stored.receivable
        number = invoice.number
        if r.delivery.state is Delivery.SCHEDULED:
            if r.delivery.send_at is not None and r.delivery.send_at.date() <= day:
                self.invoices.update(
                    invoice.invoice_id,
                    lambda x: x.release_slot() if x.delivery.state is Delivery.SCHEDULED else x,
                    current=stored,
                )
                self.send_queue.enqueue(SendRequest(invoice.invoice_id, number))
                report.queued.append(number)
            return
        d = r.dunning
        if d.claimed is not None:
            if d.claimed_on is not None and d.claimed_on >= day:
                report.skipped.append({"number": number, "why": f"step {d.claimed} claimed by another run"})
                return
            self._close_unconfirmed(stored, d.claimed, report)
            return
        reason = self._excluded(invoice.buyer.ref)
        if reason is not None:
            self.invoices.update(
                invoice.invoice_id, lambda x: x.exclude(reason) if x.dunning.excluded is None else x
            )
            report.skipped.append({"number": number, "why": f"client excluded: {reason}"})
            return
        claimed: dict[str, Any] = {}

        def claim(x: Receivable) -> Receivable:
            after, step = x.claim_step(day)
            claimed["step"] = step
            return after

        try:
            stored = self.invoices.update(invoice.invoice_id, claim, current=stored)
        except TransitionRefused as exc:  # paid, credited, paused or claimed meanwhile
            report.skipped.append({"number": number, "why": str(exc)})
            return
        step = claimed["step"]
        tone = stored.receivable.dunning.tone(step)
        if tone == ESCALATION:
            escalations.setdefault(invoice.buyer.ref, []).append((stored, step))
            return
        try:
            sent = self._remind(stored, step, tone, day, report)
        except Exception:
            self._release(stored, step)
            raise
        report.reminders.append(sent)

    def _remind(
        self, stored: StoredInvoice, step: int, tone: str, day: date, report: RunReport
    ) -> dict[str, Any]:
        invoice, r = stored.invoice, stored.receivable
        recipient = self.mail.recipient(invoice)
        if recipient.to is None:
            raise LookupError(f"client {invoice.buyer.ref} has no email address any more")
        penalties = self.penalties(stored, day, report) if tone in PENALTY_TONES else None
        message = compose_reminder_email(
            invoice,
            tone=tone,
            as_of=day,
            due=r.due,
            pdf=self.mail.pdf(stored),
            sender=self.settings.sender,
            penalties=penalties,
            pay_url=self.mail.pay_url(invoice, day),
            reply_to=self.mail.reply_to(invoice, day),
            to=recipient.to,
            logo=self.mail.logo(),
            templates=self.mail.templates(),
            sent_at=self.now(),
            pilot_for=recipient.pilot_for,
        )
        message_id = self.mail.send(message, invoice_id=invoice.invoice_id, kind="reminder", step=step)
        to = recipient.to
        self.invoices.update(
            invoice.invoice_id,
            lambda x: x.complete_step(step, self.now(), message_id, to, on=day),
            current=stored,
        )
        return {
            "number": invoice.number,
            "step": step,
            "tone": tone,
            "to": to,
            "pilot_for": recipient.pilot_for,
            "due": str(r.due),
            "penalties": str(penalties.total) if penalties else None,
            "message_id": message_id,
        }

    def penalties(self, stored: StoredInvoice, day: date, report: RunReport) -> PenaltyStatement | None:
        """The penalties of a late invoice to ``day``; None when not late, or when the rate of a
        half-year is not configured (the reminder then states the rate without a figure)."""
        invoice = stored.invoice
        if day <= invoice.due_date:
            return None
        try:
            return receivable_penalties(
                stored.receivable,
                day,
                invoice.seller.late_penalty,
                self.rates,
                business_debtor=invoice.buyer.is_business,
            )
        except MissingReferenceRate as exc:
            report.missing_rates.add(str(exc))
            return None

    # --- the end of the sequence -------------------------------------------------------------------

    def _escalate(self, items: list[tuple[StoredInvoice, int]], day: date, report: RunReport) -> None:
        from invoicing.documents.notice import NoticeItem, render_formal_notice

        first = items[0][0].invoice
        client = self.mail.clients.get(first.buyer.ref) or first.buyer
        notice_items = []
        escalation_items = []
        for stored, _step in items:
            invoice, r = stored.invoice, stored.receivable
            statement = self.penalties(stored, day, report)
            notice_items.append(
                NoticeItem(
                    invoice.number,
                    invoice.issue_date,
                    invoice.due_date,
                    invoice.totals.grand_total,
                    r.due,
                    statement,
                )
            )
            escalation_items.append(
                EscalationItem(
                    number=invoice.number,
                    client_name=invoice.buyer.name,
                    client_ref=invoice.buyer.ref,
                    issue_date=invoice.issue_date,
                    due_date=invoice.due_date,
                    total=invoice.totals.grand_total,
                    due=r.due,
                    days_late=(day - invoice.due_date).days,
                    reminders_sent=tuple(m.on or m.at.date() for m in r.messages if m.kind == "reminder"),
                    penalties_total=statement.total if statement else None,
                )
            )
        pdf = render_formal_notice(
            seller=first.seller,
            buyer=client,
            items=notice_items,
            as_of=day,
            deadline_days=NOTICE_DEADLINE_DAYS,
            locale=client.locale.value if hasattr(client.locale, "value") else str(client.locale),
            logo=self.mail.logo(),
        )
        ref = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in first.buyer.ref)
        if ref != first.buyer.ref:  # C/030 and C_030 must not share a file
            ref += "-" + hashlib.sha256(first.buyer.ref.encode()).hexdigest()[:6]
        notice_name = f"mise-en-demeure-{ref}-{day.isoformat()}.pdf"
        notice_key = f"notices/{day.year}/{notice_name}"
        self.mail.documents.put(
            notice_key,
            pdf,
            "application/pdf",
            {"client-ref": ref, "invoices": ",".join(s.invoice.number for s, _ in items)[:1500]},
        )
        owner = self.settings.owner
        message = compose_escalation_email(
            business_name=first.seller.legal_name,
            to=owner,
            sender=self.settings.sender,
            items=escalation_items,
            notice_pdf=pdf,
            notice_filename=notice_name,
            as_of=day,
        )
        message_id = self.mail.send(message, invoice_id=first.invoice_id, kind="escalation", customer=False)
        for stored, step in items:
            self.invoices.update(
                stored.invoice.invoice_id,
                lambda x, step=step: x.complete_step(step, self.now(), message_id, owner, on=day),
                current=stored,
            )
        total_due = sum((s.receivable.due for s, _ in items), ZERO)
        report.escalations.append(
            {
                "client": first.buyer.ref,
                "numbers": [s.invoice.number for s, _ in items],
                "due": str(total_due),
                "notice": notice_key,
                "to": owner,
                "message_id": message_id,
            }
        )
        self.alerts.publish(
            f"Fin des relances : {first.buyer.name}",
            f"Les relances de {first.buyer.name} ({first.buyer.ref}) sont terminées sans paiement : "
            f"{', '.join(s.invoice.number for s, _ in items)}, {fmt.money(total_due, 'fr')} restant dus. "
            f"La mise en demeure à signer a été envoyée à {owner} et est conservée sous {notice_key}.",
        )

    # --- loose ends --------------------------------------------------------------------------------

    def _excluded(self, client_ref: str) -> str | None:
        """Why a client is out of reminders (read once per client and run)."""
        if self.exclusions is None:
            return None
        if client_ref not in self._exclusions:
            self._exclusions[client_ref] = self.exclusions.reason(client_ref)
        return self._exclusions[client_ref]

    def _release(self, stored: StoredInvoice, step: int) -> None:
        try:
            self.invoices.update(
                stored.invoice.invoice_id, lambda x: x.release_step(step) if x.dunning.claimed == step else x
            )
        except Exception:
            log.exception("could not release step %s of %s", step, stored.invoice.number)

    def _close_unconfirmed(self, stored: StoredInvoice, step: int, report: RunReport) -> None:
        """A run claimed this step on an earlier day and never completed it: it may or may not
        have gone out. It is closed unconfirmed (never sent twice) and the operator told."""
        number = stored.invoice.number
        self.invoices.update(
            stored.invoice.invoice_id,
            lambda x: x.complete_step(step, self.now(), None) if x.dunning.claimed == step else x,
        )
        report.unconfirmed.append(number)
        self.alerts.publish(
            f"Relance incertaine : {number}",
            f"L'étape {step} des relances de {number} a été commencée le "
            f"{stored.receivable.dunning.claimed_on} "
            "sans être confirmée (la fonction s'est arrêtée). Elle n'est pas renvoyée, pour ne pas relancer "
            "deux fois le client ; la suite des relances continue. Vérifiez dans SES si besoin.",
        )

    def _tell_operator(self, report: RunReport) -> None:
        lines = []
        if report.failures:
            lines.append(f"{len(report.failures)} relance(s) en échec (réessayées au prochain passage) :")
            lines += [f"- {f['number']}: {f['error']}" for f in report.failures]
        if report.missing_rates:
            lines.append(
                "Pénalités non chiffrées faute de taux de référence (paramètre ReferenceRates) : "
                + "; ".join(sorted(report.missing_rates))
            )
        if lines:
            self.alerts.publish(f"Relances du {report.day.isoformat()} : à vérifier", "\n".join(lines))
