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

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.mailer import MailRejected
from invoicing.adapters.marks import Marks
from invoicing.adapters.messaging import Alerts
from invoicing.documents.emails import compose_forwarded_reply
from invoicing.domain.receivable import Receivable
from invoicing.domain.tokens import InvalidToken, Purpose, verify
from invoicing.ingest.mail import InboundMail, reply_token
from invoicing.services.correspondence import Correspondence
from invoicing.settings import MailSettings

#: A reply larger than this is forwarded as its text and the list of its attachments (SES
#: refuses messages over 10 MB, and base64 makes a forwarded attachment a third larger).
FORWARD_WHOLE_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    #: paused, not-chased, auto-reply, already-forwarded, not-forwarded, invalid-token, unknown-invoice
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
        marks: Marks | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.invoices = invoices
        self.mail = mail
        self.settings = settings
        self.alerts = alerts
        self.marks = marks
        self.now = now

    def handle(self, mail: InboundMail, raw: bytes, where: str | None = None) -> ReplyOutcome | None:
        """None when ``mail`` is not a reply to a reminder; else what was done. ``where``: the
        raw mail's place in the bucket, named to the owner when it is too large to forward."""
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

        if mail.auto_submitted:
            # An out-of-office or other automatic answer: nobody replied, the reminders go on.
            return ReplyOutcome("auto-reply", invoice.number)

        def pause(r: Receivable) -> Receivable:
            if r.is_credit_note or not r.chaseable:
                return r
            if r.dunning.paused_until is not None and r.dunning.paused_until >= until:
                return r
            return r.pause(until, start)

        after = self.invoices.update(invoice_id, pause)
        r = after.receivable
        paused_until = r.dunning.paused_until if r.chaseable and r.dunning.paused_until else None
        outcome = ReplyOutcome("paused" if paused_until else "not-chased", invoice.number, paused_until)
        # Forwarded once, whatever the deliveries of the same mail.
        mark = "reply#" + hashlib.sha256(raw).hexdigest()[:32]
        if self.marks is not None and not self.marks.claim(invoice_id, mark, self.now()):
            return ReplyOutcome("already-forwarded", invoice.number, paused_until)
        original = raw if len(raw) <= FORWARD_WHOLE_BYTES else _slim(mail, len(raw), where)
        try:
            message = compose_forwarded_reply(
                original=original,
                number=invoice.number,
                client_name=invoice.buyer.name,
                paused_until=paused_until,
                to=self.settings.owner,
                sender=self.settings.sender,
            )
            self.mail.send(message, invoice_id=invoice_id, kind="reply-forward", customer=False)
        except MailRejected as exc:  # for good: tell the operator where the reply is
            self.alerts.publish(
                f"Reponse du client non transmise : {invoice.number}",
                f"Le client de {invoice.number} ({invoice.buyer.name}) a répondu, mais la réponse n'a pas "
                f"pu être transmise à {self.settings.owner} ({exc}). Elle est conservée : "
                f"{where or 'inbox/mail/'}."
                + (
                    f" Les relances sont suspendues jusqu'au {paused_until:%d/%m/%Y}." if paused_until else ""
                ),
            )
            return ReplyOutcome("not-forwarded", invoice.number, paused_until, detail=str(exc))
        except Exception:
            if self.marks is not None:
                self.marks.release(invoice_id, mark)  # the retry forwards it
            raise
        return outcome


def _slim(mail: InboundMail, size: int, where: str | None) -> bytes:
    """A reply too large to forward whole (SES takes 10 MB): its text, and where the whole of it is."""
    slim = EmailMessage()
    if mail.sender:
        slim["From"] = mail.sender
    slim["Subject"] = mail.subject or "(sans objet)"
    if mail.date is not None:
        slim["Date"] = format_datetime(mail.date)
    files = ", ".join(f"{a.filename} ({len(a.data) // 1024} Ko)" for a in mail.attachments) or "-"
    slim.set_content(
        f"{mail.text}\n\n--\n[Message de {size // (1024 * 1024)} Mo, trop lourd pour être transféré en "
        "entier. "
        f"Pièces jointes : {files}. Le message complet est conservé : {where or 'inbox/mail/'}]"
    )
    return slim.as_bytes()
