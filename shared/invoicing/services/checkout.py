"""Payment links: ``GET /pay/<token>`` sends the customer to Stripe Checkout for what the invoice
still owes, or shows a page saying why not; ``GET /pay/<token>/thanks`` is where Checkout sends
them back.

``PayLinks.open``:

1. the token is checked (``invoicing.domain.tokens``, purpose ``pay``): unknown, altered or
   expired, or naming no invoice of ours → 404, the same bilingual page whatever the reason
   (the reason goes to the log); the keys unreadable → 503;
2. nothing left to pay (paid, credited) → "nothing to pay"; everything still due is already
   on its way (a SEPA debit, a bank transfer: ``Receivable.pending``) → "payment in progress";
3. otherwise a Checkout Session for what is due and not on its way, in cents, EUR: one line
   naming the invoice, its id and number in the session's and the PaymentIntent's metadata
   (what the webhook matches payments by), the customer's email, the stack's payment methods
   (``customer_balance``, a bank transfer through Stripe, needs a Stripe Customer: one is made
   per invoice), Checkout in the invoice's language → 303 to the session's page.

Double clicks and retries open one session: the request carries an idempotency key made of
the invoice, the amount and a digest of the other parameters, so Stripe answers the same
session again (for 24 hours); a change of amount (a part paid meanwhile) or of settings
makes a new one. A replayed answer is Stripe's first one: the session is read again, and if
it has been paid meanwhile the customer gets "payment in progress" (the webhook has not
recorded it yet), if it has expired a new one is opened.

Stripe unreachable or refusing → 503 with the bank-transfer details instead (the invoice
number as reference), logged with the error's type, status and request id only. The Stripe
key is read through Powertools Parameters (cached) and never logged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import stripe

from invoicing.adapters.invoices import InvoiceRepository, StoredInvoice
from invoicing.adapters.secrets import SecretParameter
from invoicing.documents import pages
from invoicing.domain.invoice import Invoice
from invoicing.domain.ledger import cents as to_cents
from invoicing.domain.receivable import Status
from invoicing.domain.tokens import InvalidToken, Keyring, Purpose, verify
from invoicing.observability import count, logger
from invoicing.services import clock
from invoicing.settings import SettingsError, WebhookSettings

#: Checkout's smallest charge in EUR (cents): less is refused by Stripe, so it is not asked.
MINIMUM_CENTS = 50
#: Countries Stripe opens EUR bank-transfer accounts in (``eu_bank_transfer``).
EU_BANK_TRANSFER_COUNTRIES = ("BE", "DE", "ES", "FR", "IE", "NL")
#: Seconds to connect to Stripe, and to wait for its answer: the customer waits meanwhile, and
#: the function has 30 s; a failure shows the bank-transfer page instead.
STRIPE_TIMEOUT = (3.05, 8.0)
#: A connection failure is retried once, with the same idempotency key (safe).
STRIPE_RETRIES = 1

SECURITY_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, slots=True)
class Page:
    """An answer to the customer's browser: a page, or a 303 to ``location``. ``headers`` are
    the security headers every answer carries (the token is in the URL: no caching, no
    referrer, no indexing)."""

    status: int
    body: str
    location: str | None = None
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURITY_HEADERS))

    def response_headers(self) -> dict[str, str]:
        """Every header of the HTTP answer: the security headers, its type and its location."""
        extra = {"Location": self.location} if self.location else {}
        return {**self.headers, "Content-Type": self.content_type, **extra}


class StripeClients:
    """The Stripe client for the current secret key: built on first use, kept while the key
    read from SSM (cached there by Powertools) stays the same, rebuilt after a rotation."""

    def __init__(self, api_key: Callable[[], str], api_base: str | None = None) -> None:
        self._api_key = api_key
        self._api_base = api_base
        self._key: str | None = None
        self._client: stripe.StripeClient | None = None

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> StripeClients:
        name = settings.api_key_parameter
        if not name:

            def missing() -> str:
                raise SettingsError("STRIPE_API_KEY_PARAM is not set: the Stripe API cannot be called")

            return cls(missing, settings.api_base)
        return cls(SecretParameter(name).value, settings.api_base)

    def __call__(self) -> stripe.StripeClient:
        key = self._api_key()
        if self._client is None or key != self._key:
            options: dict[str, Any] = {}
            if self._api_base:
                options["base_addresses"] = {"api": self._api_base}
            self._client = stripe.StripeClient(
                key,
                max_network_retries=STRIPE_RETRIES,
                http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
                **options,
            )
            self._key = key
        return self._client

    def __repr__(self) -> str:  # never the key
        return f"StripeClients(api_base={self._api_base!r})"


def read_keyring(parameter: SecretParameter | None) -> Callable[[], Keyring | None]:
    """The payment-link keys from SSM, or None (logged) when they cannot be read."""

    def keys() -> Keyring | None:
        if parameter is None:
            logger.error("payment links: TOKEN_KEYS_PARAM is not set, no link can be checked")
            return None
        try:
            return Keyring.parse(parameter.value())
        except Exception as exc:  # SSM unreachable, the parameter missing or malformed
            logger.error("payment links: token keys unavailable", extra={"error": type(exc).__name__})
            return None

    return keys


class PayLinks:
    def __init__(
        self,
        *,
        invoices: InvoiceRepository,
        keys: Callable[[], Keyring | None],
        stripe: Callable[[], stripe.StripeClient],
        methods: tuple[str, ...] = ("card", "sepa_debit", "customer_balance"),
        today: Callable[[], date],
        business_name: str = "",
    ) -> None:
        self._invoices = invoices
        self._keys = keys
        self._stripe = stripe
        self.methods = methods
        self._today = today
        #: Printed on the pages that know no invoice (an invoice's pages name its seller).
        self.business_name = business_name

    @classmethod
    def from_settings(cls, settings: WebhookSettings, *, business_name: str = "") -> PayLinks:
        if settings.resources is None:
            raise SettingsError("INVOICES_TABLE is required for payment links")
        keys = SecretParameter(settings.token_keys_parameter) if settings.token_keys_parameter else None
        return cls(
            invoices=InvoiceRepository(settings.resources),
            keys=read_keyring(keys),
            stripe=StripeClients.from_settings(settings),
            methods=settings.payment_methods,
            today=lambda: clock.today(settings.time_zone),
            business_name=business_name,
        )

    # --- the two routes ---------------------------------------------------------------------------

    def open(self, token: str, *, base_url: str, accept_language: str | None = None) -> Page:
        """``GET /pay/<token>``: 303 to Stripe Checkout, or a page (200, 404, 503)."""
        found = self._find(token, accept_language)
        if isinstance(found, Page):
            return found
        invoice, receivable = found.invoice, found.receivable
        locale, seller = invoice.locale, invoice.seller
        if receivable.status in (Status.PAID, Status.CREDITED) or receivable.due <= 0:
            count("PayLinkNothingDue")
            return Page(200, pages.already_paid_page(invoice.number, locale, seller.legal_name))
        # A payment under way that covers the due holds the link (PENDING_HOLD_DAYS, then the
        # customer may pay again: the transfer they chose never came).
        if receivable.awaiting(self._today()):
            count("PayLinkPaymentInProgress")
            return Page(200, pages.in_progress_page(invoice.number, locale, seller.legal_name))
        amount = receivable.due - (receivable.pending if receivable.pending_until is None else 0)
        if amount <= 0:
            count("PayLinkPaymentInProgress")
            return Page(200, pages.in_progress_page(invoice.number, locale, seller.legal_name))
        amount_cents = to_cents(amount)
        if amount_cents < MINIMUM_CENTS:
            count("PayLinkBelowMinimum")
            return Page(
                200, pages.unavailable_page(invoice.number, locale, seller, amount, below_minimum=True)
            )
        try:
            session = self._checkout(invoice, amount_cents, token, base_url.rstrip("/"))
        except Exception as exc:  # Stripe down or refusing, or its key unreadable: never a traceback
            self._log_unavailable(invoice, exc)
            count("PayLinkStripeUnavailable")
            return Page(503, pages.unavailable_page(invoice.number, locale, seller, amount))
        if session is None:
            count("PayLinkPaymentInProgress")
            return Page(200, pages.in_progress_page(invoice.number, locale, seller.legal_name))
        count("PayLinkCheckout")
        return Page(303, "", location=session.url)

    def thanks(self, token: str, *, accept_language: str | None = None) -> Page:
        """``GET /pay/<token>/thanks``: Checkout's ``success_url``. A token that expired while its
        holder was paying still gets its thanks (it was authentic)."""
        found = self._find(token, accept_language, allow_expired=True)
        if isinstance(found, Page):
            return found
        invoice = found.invoice
        return Page(200, pages.thanks_page(invoice.number, invoice.locale, invoice.seller.legal_name))

    # --- the token ---------------------------------------------------------------------------------

    def _find(
        self, token: str, accept_language: str | None, *, allow_expired: bool = False
    ) -> StoredInvoice | Page:
        first = preferred_language(accept_language)
        keys = self._keys()
        if keys is None:
            count("PayLinkKeysUnavailable")
            return Page(503, pages.service_down_page(self.business_name or None, first=first))
        try:
            invoice_id = verify(token, Purpose.PAY, self._today(), keys)
        except InvalidToken as exc:
            if not (allow_expired and exc.reason == "expired" and exc.invoice_id):
                logger.info(
                    "payment link refused", extra={"reason": exc.reason, "invoice_id": exc.invoice_id}
                )
                count("PayLinkNotFound")
                return Page(404, pages.not_found_page(self.business_name or None, first=first))
            invoice_id = exc.invoice_id
        stored = self._invoices.get(invoice_id)
        if stored is None or stored.invoice.is_credit_note:
            logger.warning("payment link names no payable invoice", extra={"invoice_id": invoice_id})
            count("PayLinkNotFound")
            return Page(404, pages.not_found_page(self.business_name or None, first=first))
        return stored

    # --- Stripe ------------------------------------------------------------------------------------

    def _checkout(self, invoice: Invoice, amount_cents: int, token: str, base_url: str) -> Any:
        """The open Checkout Session for this amount (a new one, or the one a double click or a
        retry already opened), or None when that session has been paid meanwhile."""
        client = self._stripe()
        params = self._session_params(invoice, amount_cents, token, base_url)
        if "customer_balance" in self.methods:
            params["customer"] = self._customer(client, invoice).id
        base_key = f"pay-{invoice.invoice_id}-{amount_cents}-{_digest(params)}"
        key = base_key
        for _ in range(3):
            session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
            if not _replayed(session):
                return session
            current = client.v1.checkout.sessions.retrieve(session.id)
            if current.status == "open":
                return current
            if current.status == "complete":
                return None
            key = f"{base_key}-after-{current.id}"  # expired: the next one, the same for every click
        raise RuntimeError(f"{invoice.number}: Checkout Sessions keep expiring")

    def _session_params(
        self, invoice: Invoice, amount_cents: int, token: str, base_url: str
    ) -> dict[str, Any]:
        """What Checkout is asked for (without the Stripe Customer, added for bank transfers)."""
        en = invoice.locale == "en"
        label = f"{'Invoice' if en else 'Facture'} {invoice.number}"
        metadata = {"invoice_id": invoice.invoice_id, "invoice_number": invoice.number}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": amount_cents,
                        "product_data": {"name": label},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": dict(metadata), "description": label},
            "client_reference_id": invoice.invoice_id,
            "payment_method_types": list(self.methods),
            "locale": "en" if en else "fr",
            "success_url": f"{base_url}/pay/{token}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{base_url}/pay/{token}",
        }
        if "customer_balance" in self.methods:
            country = invoice.seller.address.country
            params["payment_method_options"] = {
                "customer_balance": {
                    "funding_type": "bank_transfer",
                    "bank_transfer": {
                        "type": "eu_bank_transfer",
                        "eu_bank_transfer": {
                            "country": country if country in EU_BANK_TRANSFER_COUNTRIES else "FR"
                        },
                    },
                }
            }
        elif invoice.buyer.email:
            params["customer_email"] = invoice.buyer.email
        return params

    def _customer(self, client: stripe.StripeClient, invoice: Invoice) -> Any:
        """A Stripe Customer for the invoice's buyer (bank transfers are made to an account
        Stripe opens per customer); one per invoice, whatever the clicks."""
        buyer = invoice.buyer
        params: dict[str, Any] = {
            "name": buyer.name[:256],
            "metadata": {"client_ref": buyer.ref[:500], "invoice_id": invoice.invoice_id},
            "preferred_locales": [invoice.locale],
        }
        if buyer.email:
            params["email"] = buyer.email
        key = f"customer-{invoice.invoice_id}-{_digest(params)}"
        return client.v1.customers.create(params=params, options={"idempotency_key": key})

    @staticmethod
    def _log_unavailable(invoice: Invoice, exc: Exception) -> None:
        details: dict[str, Any] = {"invoice_id": invoice.invoice_id, "error": type(exc).__name__}
        if isinstance(exc, stripe.StripeError):
            details.update(http_status=exc.http_status, stripe_code=exc.code, request_id=exc.request_id)
            if isinstance(exc, stripe.InvalidRequestError):
                details["param"] = exc.param
        message = "payment link: Stripe Checkout unavailable, bank transfer page shown"
        ours = stripe.AuthenticationError | stripe.PermissionError | stripe.InvalidRequestError
        if not isinstance(exc, stripe.StripeError):  # the key unreadable, or a bug: its traceback
            logger.exception(message, extra=details)
        elif isinstance(exc, ours):  # ours to fix (the key, a parameter): the operator's
            logger.error(message, extra=details)
        else:  # Stripe's outage: it passes
            logger.warning(message, extra=details)


def _replayed(obj: Any) -> bool:
    """Whether Stripe answered with the saved answer of an earlier request with this key."""
    response = obj.last_response
    headers = {k.lower(): v for k, v in (response.headers.items() if response is not None else ())}
    return headers.get("idempotent-replayed") == "true"


def _digest(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


_LANGUAGE = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*")


def preferred_language(accept_language: str | None) -> str:
    """``fr`` or ``en``, whichever ``Accept-Language`` ranks higher (``fr`` when neither)."""
    best, best_q = "fr", 0.0
    for part in (accept_language or "")[:1000].split(",")[:32]:
        match = _LANGUAGE.fullmatch(part)
        if match is None:
            continue
        lang = match.group(1).lower()
        q = float(match.group(2)) if match.group(2) else 1.0
        if lang in pages.LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best
