"""What every email to a customer or to the owner needs, in one place: who receives it (the
client's current address, pilot mode), the payment link and reply-to address (signed
tokens), the business's templates and logo, the stored PDF, and SES.

Used by sending (the invoice email), dunning (reminders, escalations) and reply handling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

from invoicing.adapters.business_config import BusinessConfig
from invoicing.adapters.clients import ClientRepository
from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.invoices import StoredInvoice
from invoicing.adapters.mailer import Mailer
from invoicing.adapters.secrets import SecretParameter
from invoicing.documents.emails import TEMPLATE_NAMES, EmailTemplates
from invoicing.domain.invoice import Invoice
from invoicing.domain.parties import Client
from invoicing.domain.tokens import Keyring, Purpose, reply_address, sign
from invoicing.settings import MailSettings, Resources

log = logging.getLogger(__name__)

#: How long a payment link stays valid after the email that carries it.
PAY_LINK_DAYS = 120
#: How long a reply address is recognised after the email that carries it.
REPLY_DAYS = 365


class MissingDocument(LookupError):
    """The stored PDF of an issued document is missing: nothing is sent without it."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a customer email goes: ``to`` (None: nobody to send it to) and, in pilot mode,
    ``pilot_for``, the customer's address it would have gone to."""

    to: str | None
    pilot_for: str | None = None


class Correspondence:
    def __init__(
        self,
        *,
        settings: MailSettings,
        clients: ClientRepository,
        documents: DocumentStore,
        config: BusinessConfig,
        mailer: Mailer,
        keys: Keyring | SecretParameter | None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.documents = documents
        self.config = config
        self.mailer = mailer
        self._keys = keys
        self._warned_keys = False
        self._clients: dict[str, Client | None] = {}
        self._templates: tuple[dict[str, str], EmailTemplates] | None = None

    @classmethod
    def from_settings(cls, resources: Resources, settings: MailSettings) -> Correspondence:
        documents = DocumentStore(resources.documents_bucket)
        return cls(
            settings=settings,
            clients=ClientRepository(resources),
            documents=documents,
            config=BusinessConfig(documents),
            mailer=Mailer(settings.configuration_set),
            keys=SecretParameter(settings.token_keys_parameter) if settings.token_keys_parameter else None,
        )

    # --- who --------------------------------------------------------------------------------------

    def recipient(self, invoice: Invoice) -> Recipient:
        """The client's current address (the clients table, else the one on the invoice); in
        pilot mode, the operator's for every client not in the pilot list."""
        ref = invoice.buyer.ref
        if ref not in self._clients:
            self._clients[ref] = self.clients.get(ref)
        client = self._clients[ref]
        address = (client.email if client is not None else None) or invoice.buyer.email
        s = self.settings
        if not address:
            return Recipient(None)  # waits for an address, pilot mode or not
        if s.pilot and invoice.buyer.ref.strip().upper() not in {c.upper() for c in s.pilot_clients}:
            return Recipient(s.operator_email, pilot_for=address)
        return Recipient(address)

    def forget_clients(self) -> None:
        """Read client addresses afresh (each run reads each client once)."""
        self._clients.clear()

    def bcc(self) -> tuple[str, ...]:
        return (self.settings.sender,) if self.settings.copy_to_business else ()

    # --- links -----------------------------------------------------------------------------------

    def keyring(self) -> Keyring | None:
        if isinstance(self._keys, Keyring) or self._keys is None:
            return self._keys
        try:
            return Keyring.parse(self._keys.value())
        except Exception as exc:  # a missing or malformed parameter: emails go out without links
            if not self._warned_keys:
                log.warning(
                    "token keys unavailable (%s): no payment link or reply address", type(exc).__name__
                )
                self._warned_keys = True
            return None

    def pay_url(self, invoice: Invoice, today: date) -> str | None:
        keys = self.keyring()
        if keys is None or not self.settings.pay_base_url or invoice.is_credit_note:
            return None
        token = sign(invoice.invoice_id, Purpose.PAY, today + timedelta(days=PAY_LINK_DAYS), keys)
        return f"{self.settings.pay_base_url}/pay/{token}"

    def reply_to(self, invoice: Invoice, today: date) -> str | None:
        keys = self.keyring()
        if keys is None or not self.settings.reply_domain:
            return None
        token = sign(invoice.invoice_id, Purpose.REPLY, today + timedelta(days=REPLY_DAYS), keys)
        return reply_address(token, self.settings.reply_domain)

    # --- what ------------------------------------------------------------------------------------

    def pdf(self, stored: StoredInvoice) -> bytes:
        found = self.documents.get(stored.pdf_key) if stored.pdf_key else None
        if found is None:
            raise MissingDocument(f"{stored.invoice.number} has no stored PDF yet")
        return found.data

    def templates(self) -> EmailTemplates:
        """The email templates with the business's overrides that render (a broken one, or one
        that is not a template, is left out and said in the logs; the default stays in force)."""
        overrides = self.config.template_overrides()
        if self._templates is None or self._templates[0] != overrides:
            known = {n: t for n, t in overrides.items() if n in TEMPLATE_NAMES}
            templates, problems = EmailTemplates.checked(known)
            for name in sorted(set(overrides) - set(known)):
                problems[name] = [f"{name}: not an email template"]
            for found in problems.values():
                log.warning("template override left out: %s", "; ".join(found))
            self._templates = (overrides, templates)
        return self._templates[1]

    def logo(self) -> bytes | None:
        return self.config.logo()

    # --- out -------------------------------------------------------------------------------------

    def send(
        self,
        message: EmailMessage,
        *,
        invoice_id: str,
        kind: str,
        step: int | None = None,
        customer: bool = True,
    ) -> str:
        tags = {"invoice_id": invoice_id, "kind": kind}
        if step is not None:
            tags["step"] = str(step)
        message["X-Invoicing-Invoice-Id"] = invoice_id
        message["X-Invoicing-Kind"] = kind if step is None else f"{kind}-{step}"
        return self.mailer.send(message, bcc=self.bcc() if customer else (), tags=tags)
