"""A reply stops the machine: a customer answering a reminder pauses that invoice's sequence,
and the owner gets the reply.

Reminders go out with a reply-to address carrying a signed token for the invoice
(``reply+<token>@<reply domain>``). SES inbound writes what arrives there to the bucket under
``inbox/mail/``; the ocr function hands every mail to ``Replies.handle`` first, and only mails
that are not replies go on to supplier-invoice extraction.

The token names the invoice: nothing the sender wrote is trusted. A token that does not verify
(forged, expired, from another stack) is reported and the mail left for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.messaging import Alerts
from invoicing.documents.emails import compose_forwarded_reply
from invoicing.domain.receivable import Receivable
from invoicing.domain.tokens import InvalidToken, Purpose, verify
from invoicing.ingest.mail import InboundMail, reply_token
from invoicing.services.correspondence import Correspondence
from invoicing.settings import MailSettings


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    #: paused, already-paused, not-chased, invalid-token, unknown-invoice
    outcome: str
    number: str | None = None
    paused_until: date | None = None
    detail: str = ""


class Replies:
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

    def handle(self, mail: InboundMail, raw: bytes) -> ReplyOutcome | None:
        """None when ``mail`` is not a reply to a reminder; else what was done."""
        token = reply_token(mail)
        if token is None:
            return None
        zone = ZoneInfo(self.settings.time_zone)
        today = self.now().astimezone(zone).date()
        keys = self.mail.keyring()
        try:
            if keys is None:
                raise InvalidToken("no keys")
            invoice_id = verify(token, Purpose.REPLY, today, keys)
        except InvalidToken as exc:
            self.alerts.publish(
                "Reponse non reconnue",
                f"Un e-mail de {mail.sender or '?'} (« {mail.subject} ») est arrivé à une adresse de réponse "
                f"dont le jeton n'est pas valable ({exc.reason}). Il est conservé dans le bucket pour "
                "lecture.",
            )
            return ReplyOutcome("invalid-token", detail=exc.reason)
        stored = self.invoices.get(invoice_id)
        if stored is None:
            return ReplyOutcome("unknown-invoice", detail=invoice_id)
        invoice = stored.invoice
        # Paused from today: never from the reply's own Date header, which the sender writes (a
        # date in 2099 would silence the reminders for good). A reply answers the last action, so
        # never from before the day after it either.
        last = stored.receivable.dunning.last_action_on
        start = max(today, last + timedelta(days=1)) if last is not None else today
        until = start + timedelta(days=self.settings.reply_pause_days)

        def pause(r: Receivable) -> Receivable:
            if r.is_credit_note or not r.chaseable:
                return r
            if r.dunning.paused_until is not None and r.dunning.paused_until >= until:
                return r
            return r.pause(until, start)

        after = self.invoices.update(invoice_id, pause)
        chased = after.receivable is not stored.receivable or after.receivable.dunning.paused_until == until
        message = compose_forwarded_reply(
            original=raw,
            number=invoice.number,
            client_name=invoice.buyer.name,
            paused_until=after.receivable.dunning.paused_until or until,
            to=self.settings.owner,
            sender=self.settings.sender,
        )
        self.mail.send(message, invoice_id=invoice_id, kind="reply-forward", customer=False)
        outcome = "paused" if chased else "not-chased"
        return ReplyOutcome(outcome, invoice.number, after.receivable.dunning.paused_until)
