"""A local stand-in for the part of Stripe's API the payments code calls, on loopback.

The stripe library talks to it over real HTTP (``StripeClient(key, base_addresses={"api": url})``),
so tests and ``make demo`` run the exact requests production sends, without network or account::

    with StripeStub() as stub:                # or stub.start() ... stub.stop()
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": stub.url})
        session = client.v1.checkout.sessions.create(params={...})
        assert stub.requests[-1].params["metadata"]["invoice_id"] == "inv-..."

Endpoints (Stripe's paths, form-encoded bodies in Stripe's bracket notation, JSON answers):

- ``POST /v1/customers``;
- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}`` (``expand[]``: ``customer``,
  ``line_items``, ``payment_intent``), ``GET /v1/checkout/sessions/{id}/line_items`` (``limit``,
  ``starting_after``);
- ``GET /v1/payment_intents/{id}``;
- ``GET /c/pay/{id}``: a bare page standing for Checkout's hosted page (created sessions'
  ``url``).

What it checks, answering as Stripe does (status, ``{"error": {type, code, message, param}}``):
``Authorization: Bearer sk_test_…``/``sk_live_…`` (401; only ``api_key`` when one is given);
unknown parameters; what a payment-mode Checkout Session needs (``mode``, ``success_url`` and
``cancel_url`` as URLs, ``line_items`` with ``price_data`` in one currency, a positive whole
``quantity``, an amount of at least 0.50 EUR, known ``payment_method_types``, ``customer``
for ``customer_balance`` with its ``payment_method_options``, not both ``customer`` and
``customer_email``, a known ``locale``, ``metadata`` sizes). ``Idempotency-Key`` on POSTs: the
same key and parameters replay the first answer (header ``Idempotent-Replayed: true``), other
parameters get 400 ``idempotency_error``; like Stripe, an answer is kept only once the
request passed validation.

Objects have Stripe's real shapes: skeletons from Stripe's OpenAPI fixtures
(``../shared/fixtures/stripe/openapi/fixtures3.json``, read at ``start``), else minimal
built-in ones (``make demo`` runs without ``../shared``).

For tests: ``requests`` (every request: method, path, parsed parameters, headers),
``add_session`` (seed a completed session, its line items and PaymentIntent, as an online sale
leaves them), ``fail_next`` / ``drop_next`` (the next calls fail with a Stripe error, or lose
their connection), ``expire_session`` / ``complete_session`` (move a session on).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from invoicing_tools.local_aws.loopback import LoopbackHandler, LoopbackServer, serve_until_interrupted

#: Stripe's OpenAPI fixtures, next to the project (absent in a plain checkout).
FIXTURES = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "stripe" / "openapi" / "fixtures3.json"
)

#: Answered when a request names no version (the stripe library always names its own).
API_VERSION = "2026-10-28.endive"
#: Checkout's minimum charge in EUR, in cents.
MINIMUM_CENTS = {"eur": 50, "usd": 50, "gbp": 30, "chf": 50}
MAXIMUM_CENTS = 99_999_999
PAYMENT_METHOD_TYPES = frozenset(
    {
        "acss_debit", "affirm", "afterpay_clearpay", "alipay", "amazon_pay", "au_becs_debit",
        "bacs_debit", "bancontact", "blik", "boleto", "card", "cashapp", "customer_balance", "eps",
        "fpx", "giropay", "grabpay", "ideal", "klarna", "konbini", "link", "mobilepay", "multibanco",
        "oxxo", "p24", "paynow", "paypal", "pix", "promptpay", "revolut_pay", "satispay", "sepa_debit",
        "sofort", "swish", "twint", "us_bank_account", "wechat_pay", "zip",
    }
)  # fmt: skip
#: Payment methods that take euros only.
EUR_ONLY = frozenset({"sepa_debit", "bancontact", "ideal", "eps", "giropay", "p24", "sofort", "multibanco"})
LOCALES = frozenset(
    {
        "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
        "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt",
        "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
    }
)  # fmt: skip
CURRENCIES = frozenset(
    {"eur", "usd", "gbp", "chf", "sek", "nok", "dkk", "pln", "czk", "huf", "ron", "bgn", "cad", "aud", "jpy"}
)
BANK_TRANSFER_TYPES = frozenset(
    {"eu_bank_transfer", "gb_bank_transfer", "jp_bank_transfer", "mx_bank_transfer", "us_bank_transfer"}
)
EU_BANK_TRANSFER_COUNTRIES = frozenset({"BE", "DE", "ES", "FR", "IE", "NL"})

SESSION_PARAMS = frozenset(
    {
        "adaptive_pricing", "after_expiration", "allow_promotion_codes", "automatic_tax",
        "billing_address_collection", "branding_settings", "cancel_url", "client_reference_id",
        "consent_collection", "currency", "custom_fields", "custom_text", "customer", "customer_creation",
        "customer_email", "customer_update", "discounts", "expand", "expires_at", "invoice_creation",
        "line_items", "locale", "metadata", "mode", "name_collection", "optional_items", "origin_context",
        "payment_intent_data", "payment_method_collection", "payment_method_configuration",
        "payment_method_data", "payment_method_options", "payment_method_types", "permissions",
        "phone_number_collection", "redirect_on_completion", "return_url", "saved_payment_method_options",
        "setup_intent_data", "shipping_address_collection", "shipping_options", "submit_type",
        "subscription_data", "success_url", "tax_id_collection", "ui_mode", "wallet_options",
    }
)  # fmt: skip
LINE_ITEM_PARAMS = frozenset(
    {"adjustable_quantity", "dynamic_tax_rates", "price", "price_data", "quantity", "tax_rates"}
)
PRICE_DATA_PARAMS = frozenset(
    {"currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal"}
)
PRODUCT_DATA_PARAMS = frozenset({"description", "images", "metadata", "name", "tax_code", "unit_label"})
PAYMENT_INTENT_DATA_PARAMS = frozenset(
    {
        "application_fee_amount", "capture_method", "description", "metadata", "on_behalf_of",
        "receipt_email", "setup_future_usage", "shipping", "statement_descriptor",
        "statement_descriptor_suffix", "transfer_data", "transfer_group",
    }
)  # fmt: skip
CUSTOMER_PARAMS = frozenset(
    {
        "address", "balance", "cash_balance", "description", "email", "expand", "invoice_prefix",
        "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
        "preferred_locales", "shipping", "source", "tax", "tax_exempt", "tax_id_data", "test_clock",
    }
)  # fmt: skip

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


# --- Stripe's form encoding ------------------------------------------------------------------------


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs (Stripe's encoding) as nested dicts; a level whose keys are all
    indexes becomes a list, in index order."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        parts = [head] + (re.findall(r"([^\[\]]*)\]", "[" + rest) if rest else [])
        node = root
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                if part == "":  # a[]=x: append (how expand[] arrives)
                    node.setdefault("", []).append(value)
                else:
                    node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if set(node) == {""}:
        return node[""]
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


# --- errors ----------------------------------------------------------------------------------------


class StripeApiError(Exception):
    """An answer in Stripe's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"message": message, "type": error_type}}
        if param is not None:
            self.body["error"]["param"] = param
        if code is not None:
            self.body["error"]["code"] = code
            self.body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"


def _missing(param: str) -> StripeApiError:
    return StripeApiError(400, f"Missing required param: {param}.", param=param, code="parameter_missing")


def _invalid(param: str, message: str, code: str = "parameter_invalid_string") -> StripeApiError:
    return StripeApiError(400, message, param=param, code=code)


def _unknown(params: Mapping[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for name in params:
        if name not in allowed:
            param = f"{prefix}[{name}]" if prefix else name
            raise StripeApiError(
                400, f"Received unknown parameter: {param}", param=param, code="parameter_unknown"
            )


def _integer(value: Any, param: str, *, minimum: int = 0) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,18}", value):
        raise _invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
    number = int(value)
    if number < minimum:
        raise _invalid(
            param, f"This value must be greater than or equal to {minimum}.", "parameter_invalid_integer"
        )
    return number


def _url(params: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise _invalid(name, "Not a valid URL", "url_invalid")
    if len(value) > 5000:
        raise _invalid(name, "Invalid URL: URL must be 5000 characters or less.", "url_invalid")
    return value


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid(param, "Invalid object", "parameter_invalid_object")
    if len(value) > 50:
        raise _invalid(param, "Metadata can have up to 50 keys, but you passed in more.")
    for key, item in value.items():
        if len(key) > 40:
            raise _invalid(param, f"Metadata keys can have up to 40 characters: {key!r} has {len(key)}.")
        if not isinstance(item, str):
            raise _invalid(f"{param}[{key}]", "Invalid string", "parameter_invalid_string")
        if len(item) > 500:
            raise _invalid(
                f"{param}[{key}]",
                f"Metadata values can have up to 500 characters, but you passed in a value that is "
                f"{len(item)} characters.",
            )
    return {k: v for k, v in value.items() if v != ""}


def _email(value: Any, param: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 512 or not _EMAIL.fullmatch(value):
        raise _invalid(param, f"Invalid email address: {value}", "email_invalid")
    return value


def _as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _invalid(param, "Invalid array", "parameter_invalid_array")


# --- object shapes ---------------------------------------------------------------------------------

_BUILT_IN: dict[str, dict[str, Any]] = {
    "checkout.session": {
        "id": "cs_test_", "object": "checkout.session", "amount_subtotal": None, "amount_total": None,
        "cancel_url": None, "client_reference_id": None, "created": 0, "currency": None, "customer": None,
        "customer_details": None, "customer_email": None, "expires_at": 0, "livemode": False,
        "locale": None, "metadata": {}, "mode": "payment", "payment_intent": None,
        "payment_method_options": {}, "payment_method_types": ["card"], "payment_status": "unpaid",
        "status": "open", "success_url": None, "url": None,
    },
    "customer": {
        "id": "cus_", "object": "customer", "address": None, "balance": 0, "created": 0, "currency": None,
        "description": None, "email": None, "livemode": False, "metadata": {}, "name": None,
        "phone": None, "preferred_locales": [],
    },
    "item": {
        "id": "li_", "object": "item", "amount_discount": 0, "amount_subtotal": 0, "amount_tax": 0,
        "amount_total": 0, "currency": "eur", "description": None, "price": None, "quantity": 1,
    },
    "price": {
        "id": "price_", "object": "price", "active": False, "billing_scheme": "per_unit", "created": 0,
        "currency": "eur", "livemode": False, "metadata": {}, "product": None, "type": "one_time",
        "unit_amount": 0, "unit_amount_decimal": "0",
    },
    "payment_intent": {
        "id": "pi_", "object": "payment_intent", "amount": 0, "amount_received": 0, "created": 0,
        "currency": "eur", "customer": None, "latest_charge": None, "livemode": False, "metadata": {},
        "payment_method_types": ["card"], "status": "requires_payment_method",
    },
}  # fmt: skip

#: Fields of the OpenAPI examples that hold placeholder values a fresh session never has.
_SESSION_RESET: dict[str, Any] = {
    "after_expiration": None,
    "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
    "collected_information": None,
    "consent": None,
    "consent_collection": None,
    "currency_conversion": None,
    "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                    "terms_of_service_acceptance": None},
    "customer_details": None,
    "invoice_creation": None,
    "payment_method_configuration_details": None,
    "shipping_address_collection": None,
    "shipping_cost": None,
    "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    "adaptive_pricing": {"enabled": False},
    "managed_payments": {"enabled": False},
}  # fmt: skip

#: The same for PaymentIntents.
_INTENT_RESET: dict[str, Any] = {
    "amount_details": None,
    "automatic_payment_methods": None,
    "canceled_at": None,
    "client_secret": None,
    "last_payment_error": None,
    "managed_payments": None,
    "next_action": None,
    "payment_method_configuration_details": None,
    "processing": None,
    "transfer_data": None,
}


def load_shapes(path: Path = FIXTURES) -> dict[str, dict[str, Any]]:
    """Object skeletons by Stripe type: the OpenAPI fixtures when present, else built-in ones."""
    shapes = copy.deepcopy(_BUILT_IN)
    try:
        resources = json.loads(path.read_text(encoding="utf-8"))["resources"]
    except (OSError, ValueError, KeyError):
        return shapes
    for name in shapes:
        example = resources.get(name)
        if isinstance(example, dict):
            shapes[name] = example
    if isinstance(shapes["item"].get("price"), dict):
        shapes["price"] = shapes["item"]["price"]
    return shapes


# --- the recorded requests -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the stub received it. ``headers`` has lower-case names."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: list[int] = field(default_factory=list)  # filled once answered

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def answered(self) -> int | None:
        return self.status[0] if self.status else None


@dataclass(slots=True)
class _Failure:
    status: int
    error_type: str
    message: str
    code: str | None
    drop: bool = False


@dataclass(slots=True)
class _Saved:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: dict[str, Any]


# --- the server ------------------------------------------------------------------------------------


class StripeStub(LoopbackServer):
    """Stripe's API subset on ``http://127.0.0.1:<port>``, in a thread. One per test module."""

    def __init__(self, *, api_key: str | None = None, fixtures: Path = FIXTURES) -> None:
        super().__init__()
        self.api_key = api_key
        self._fixtures = fixtures
        self._shapes: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self._intent_data: dict[str, dict[str, Any]] = {}  # payment_intent_data of created sessions
        self._idempotency: dict[tuple[str, str], _Saved] = {}
        self._failures: list[_Failure] = []

    # --- life cycle

    thread_name = "stripe-stub"

    def prepare(self) -> None:
        self._shapes = load_shapes(self._fixtures)

    def handler(self) -> type[_Handler]:
        stub = self

        class Handler(_Handler):
            owner = stub

        return Handler

    @property
    def base_url(self) -> str:
        return self.url

    # --- test helpers

    def reset(self) -> None:
        """Forget every object, request, idempotency key and pending failure."""
        with self._lock:
            for store in (
                self.sessions,
                self.line_items,
                self.customers,
                self.payment_intents,
                self._intent_data,
            ):
                store.clear()
            self.requests.clear()
            self._idempotency.clear()
            self._failures.clear()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """The requests made to ``path`` (``/v1/checkout/sessions``), oldest first."""
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def fail_next(
        self,
        status: int = 500,
        error_type: str = "api_error",
        message: str = "An unknown error occurred",
        *,
        code: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests (whatever they are) get this error, before anything else is
        looked at; nothing is created and no idempotency key is used up."""
        with self._lock:
            self._failures.extend(_Failure(status, error_type, message, code) for _ in range(times))

    def drop_next(self, times: int = 1) -> None:
        """The next ``times`` requests lose their connection without an answer (a network error)."""
        with self._lock:
            self._failures.extend(_Failure(0, "", "", None, drop=True) for _ in range(times))

    def add_session(
        self,
        session: Mapping[str, Any],
        line_items: list[Mapping[str, Any]],
        payment_intent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Seed a session (completed, say: an online sale), with its line items and, when given,
        its PaymentIntent. Missing fields come from the skeletons; the stored session is returned."""
        with self._lock:
            self._ensure_shapes()
            stored = {**copy.deepcopy(self._shapes["checkout.session"]), **_SESSION_RESET, **session}
            stored["id"] = session.get("id") or new_id("cs_test_", 58)
            stored["object"] = "checkout.session"
            self.sessions[stored["id"]] = stored
            self.line_items[stored["id"]] = [
                {**copy.deepcopy(self._shapes["item"]), "id": new_id("li_"), **item} for item in line_items
            ]
            if payment_intent is not None:
                self.add_payment_intent(payment_intent)
            return copy.deepcopy(stored)

    def add_payment_intent(self, payment_intent: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._ensure_shapes()
            stored = {**copy.deepcopy(self._shapes["payment_intent"]), **_INTENT_RESET, **payment_intent}
            stored["id"] = payment_intent.get("id") or new_id("pi_")
            stored["object"] = "payment_intent"
            self.payment_intents[stored["id"]] = stored
            return copy.deepcopy(stored)

    def expire_session(self, session_id: str) -> None:
        """What Stripe does after ``expires_at``: the session can no longer be paid (no ``url``)."""
        with self._lock:
            self.sessions[session_id].update(status="expired", url=None)

    def complete_session(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The customer paid (``paid``) or started a delayed payment (``unpaid``: SEPA debit,
        bank transfer): the session is complete, with a PaymentIntent carrying its metadata."""
        with self._lock:
            session = self.sessions[session_id]
            intent_data = self._intent_data.get(session_id, {})
            intent = self.add_payment_intent(
                {
                    "amount": session["amount_total"],
                    "amount_received": session["amount_total"] if payment_status == "paid" else 0,
                    "currency": session["currency"],
                    "customer": session["customer"],
                    "metadata": intent_data.get("metadata", {}),
                    "description": intent_data.get("description"),
                    "payment_method_types": session["payment_method_types"],
                    "status": "succeeded" if payment_status == "paid" else "processing",
                    "created": int(time.time()),
                    "livemode": session["livemode"],
                }
            )
            session.update(
                status="complete", payment_status=payment_status, url=None, payment_intent=intent["id"]
            )
            return copy.deepcopy(session)

    def _ensure_shapes(self) -> None:
        if not self._shapes:
            self._shapes = load_shapes(self._fixtures)

    # --- request handling (called by the HTTP handler, one request at a time)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | str, dict[str, str]] | None:
        """(status, JSON body or HTML, extra headers), or None to drop the connection."""
        parts = urlsplit(target)
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            if method == "POST":
                form = body.decode("utf-8")
                params = parse_form(parse_qsl(form, keep_blank_values=True))
            else:
                params = parse_form(parse_qsl(parts.query, keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            params = {}
        record = RecordedRequest(method, parts.path, params, lowered)
        with self._lock:
            self.requests.append(record)
            answer = self._answer(method, parts.path, params, lowered)
            if answer is not None:
                record.status.append(answer[0])
            return answer

    def _answer(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any] | str, dict[str, str]] | None:
        extra = {
            "Request-Id": new_id("req_", 14),
            "Stripe-Version": headers.get("stripe-version", API_VERSION),
        }
        if self._failures:
            failure = self._failures.pop(0)
            if failure.drop:
                return None
            error = StripeApiError(
                failure.status, failure.message, error_type=failure.error_type, code=failure.code
            )
            return failure.status, error.body, {**extra, "Stripe-Should-Retry": "false"}
        if method == "GET" and path.startswith("/c/pay/"):
            return self._checkout_page(path.removeprefix("/c/pay/"))
        try:
            livemode = self._authenticate(headers.get("authorization"))
            key = headers.get("idempotency-key") if method == "POST" else None
            if key is not None:
                saved = self._idempotency.get((headers.get("authorization", ""), key))
                if saved is not None:
                    if (saved.method, saved.path, saved.params) != (method, path, params):
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they "
                            f"were first used with. Try using a key other than '{key}' if you meant to "
                            "execute a different request.",
                            error_type="idempotency_error",
                        )
                    return (
                        saved.status,
                        copy.deepcopy(saved.body),
                        {**extra, "Idempotency-Key": key, "Idempotent-Replayed": "true"},
                    )
            status, body = self._route(method, path, params, livemode)
        except StripeApiError as error:
            return error.status, error.body, extra
        if key is not None:
            self._idempotency[(headers.get("authorization", ""), key)] = _Saved(
                method, path, params, status, copy.deepcopy(body)
            )
            extra["Idempotency-Key"] = key
        return status, body, extra

    def _authenticate(self, authorization: str | None) -> bool:
        if not authorization:
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        scheme, _, key = authorization.partition(" ")
        well_formed = scheme == "Bearer" and re.fullmatch(r"sk_(test|live)_[A-Za-z0-9_]{1,250}", key)
        if not well_formed or (self.api_key is not None and key != self.api_key):
            masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"
            raise StripeApiError(401, f"Invalid API Key provided: {masked}")
        return key.startswith("sk_live_")

    def _route(
        self, method: str, path: str, params: dict[str, Any], livemode: bool
    ) -> tuple[int, dict[str, Any]]:
        segments = path.strip("/").split("/")
        if method == "POST" and segments == ["v1", "customers"]:
            return 200, self._create_customer(params, livemode)
        if method == "POST" and segments == ["v1", "checkout", "sessions"]:
            return 200, self._create_session(params, livemode)
        if method == "GET" and segments[:3] == ["v1", "checkout", "sessions"] and len(segments) == 4:
            return 200, self._retrieve_session(segments[3], params)
        if (
            method == "GET"
            and segments[:3] == ["v1", "checkout", "sessions"]
            and segments[4:] == ["line_items"]
        ):
            return 200, self._list_line_items(segments[3], params)
        if method == "GET" and segments[:2] == ["v1", "payment_intents"] and len(segments) == 3:
            intent = self.payment_intents.get(segments[2])
            if intent is None:
                raise _no_such("payment_intent", segments[2], "intent")
            return 200, copy.deepcopy(intent)
        raise StripeApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help "
            "at https://support.stripe.com/.",
        )

    # --- customers

    def _create_customer(self, params: dict[str, Any], livemode: bool) -> dict[str, Any]:
        _unknown(params, CUSTOMER_PARAMS)
        email = _email(params.get("email"), "email")
        name = params.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 256):
            raise _invalid("name", "Invalid string: name must be at most 256 characters")
        locales = params.get("preferred_locales", [])
        if locales == "":
            locales = []
        locales = _as_list(locales, "preferred_locales")
        customer = {
            **copy.deepcopy(self._shapes["customer"]),
            "id": new_id("cus_", 14),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": int(time.time()),
            "currency": None,
            "default_source": None,
            "description": params.get("description"),
            "discount": None,
            "email": email,
            "invoice_prefix": new_id("", 8).upper(),
            "livemode": livemode,
            "metadata": _metadata(params.get("metadata"), "metadata"),
            "name": name,
            "phone": params.get("phone"),
            "preferred_locales": locales,
            "shipping": None,
        }
        self.customers[customer["id"]] = customer
        return copy.deepcopy(customer)

    # --- checkout sessions

    def _create_session(self, params: dict[str, Any], livemode: bool) -> dict[str, Any]:
        _unknown(params, SESSION_PARAMS)
        mode = params.get("mode")
        if mode is None:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid("mode", "Invalid mode: must be one of payment, setup, or subscription")
        if mode != "payment":
            raise _invalid("mode", f"This stub implements payment mode only, not {mode}.")
        ui_mode = params.get("ui_mode", "hosted")
        if ui_mode != "hosted":
            raise _invalid("ui_mode", "This stub implements the hosted Checkout page only.")
        success_url = _url(params, "success_url", required=True)
        cancel_url = _url(params, "cancel_url", required=False)
        if "line_items" not in params:
            raise _missing("line_items")
        items, currency = self._line_items(_as_list(params["line_items"], "line_items"))
        total = sum(item["amount_total"] for item in items)
        if total < MINIMUM_CENTS.get(currency, 50):
            raise StripeApiError(
                400,
                f"The Checkout Session's total amount due must add up to at least "
                f"{MINIMUM_CENTS.get(currency, 50) / 100:.2f} {currency}",
                param="line_items",
                code="amount_too_small",
            )
        if total > MAXIMUM_CENTS:
            raise StripeApiError(
                400, "Amount must be no more than 999,999.99", param="line_items", code="amount_too_large"
            )
        customer = params.get("customer")
        customer_email = params.get("customer_email")
        if customer is not None and customer_email is not None:
            raise _invalid(
                "customer_email", "You may only specify one of these parameters: customer, customer_email."
            )
        if customer is not None and customer not in self.customers:
            raise _no_such("customer", customer, "customer")
        _email(customer_email, "customer_email")
        methods = _as_list(params.get("payment_method_types", ["card"]), "payment_method_types")
        for i, method in enumerate(methods):
            if method not in PAYMENT_METHOD_TYPES:
                raise _invalid(
                    f"payment_method_types[{i}]",
                    f"Invalid payment_method_types[{i}]: must be one of "
                    + ", ".join(sorted(PAYMENT_METHOD_TYPES)),
                )
            if method in EUR_ONLY and currency != "eur":
                raise _invalid(
                    "payment_method_types",
                    f"The currency provided ({currency}) is invalid. Payments with {method} support the "
                    "following currencies: eur.",
                )
        options = params.get("payment_method_options", {})
        if not isinstance(options, dict):
            raise _invalid("payment_method_options", "Invalid object", "parameter_invalid_object")
        for name in options:
            if name not in methods:
                raise _invalid(
                    f"payment_method_options[{name}]",
                    f"payment_method_options[{name}] was provided, but {name} is not in "
                    "payment_method_types.",
                )
        if "customer_balance" in methods:
            if customer is None:
                raise _invalid(
                    "customer",
                    "Checkout needs a `customer` when `payment_method_types` includes `customer_balance`.",
                )
            self._customer_balance_options(options.get("customer_balance"), currency)
        locale = params.get("locale")
        if locale is not None and locale not in LOCALES:
            raise _invalid("locale", f"Invalid locale: must be one of {', '.join(sorted(LOCALES))}")
        reference = params.get("client_reference_id")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 200):
            raise _invalid("client_reference_id", "client_reference_id must be at most 200 characters.")
        metadata = _metadata(params.get("metadata"), "metadata")
        intent_data = params.get("payment_intent_data", {})
        if not isinstance(intent_data, dict):
            raise _invalid("payment_intent_data", "Invalid object", "parameter_invalid_object")
        _unknown(intent_data, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
        intent_metadata = _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
        now = int(time.time())
        expires_at = now + 24 * 3600
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
                raise _invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                )
        session_id = new_id("cs_live_" if livemode else "cs_test_", 58)
        session = {
            **copy.deepcopy(self._shapes["checkout.session"]),
            **copy.deepcopy(_SESSION_RESET),
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": cancel_url,
            "client_reference_id": reference,
            "client_secret": None,
            "created": now,
            "currency": currency,
            "customer": customer,
            "customer_creation": None if customer else "if_required",
            "customer_email": customer_email,
            "expires_at": expires_at,
            "invoice": None,
            "livemode": livemode,
            "locale": locale,
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,  # created when the customer confirms (API 2022-08-01 and later)
            "payment_link": None,
            "payment_method_options": copy.deepcopy(options),
            "payment_method_types": list(methods),
            "payment_status": "unpaid",
            "recovered_from": None,
            "setup_intent": None,
            "status": "open",
            "subscription": None,
            "success_url": success_url,
            "ui_mode": "hosted",
            "url": f"{self.url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self.line_items[session_id] = items
        self._intent_data[session_id] = {
            "metadata": intent_metadata,
            "description": intent_data.get("description"),
        }
        return copy.deepcopy(session)

    def _line_items(self, raw: list[Any]) -> tuple[list[dict[str, Any]], str]:
        if not raw:
            raise _invalid(
                "line_items", "line_items must contain at least one item.", "parameter_invalid_empty"
            )
        items = []
        currencies = set()
        for i, entry in enumerate(raw):
            where = f"line_items[{i}]"
            if not isinstance(entry, dict):
                raise _invalid(where, "Invalid object", "parameter_invalid_object")
            _unknown(entry, LINE_ITEM_PARAMS, where)
            if "price" in entry and "price_data" in entry:
                raise _invalid(
                    where,
                    f"You may only specify one of these parameters: {where}[price], {where}[price_data].",
                )
            if "price" in entry:
                raise _no_such("price", entry["price"], f"{where}[price]")
            if "price_data" not in entry:
                raise _missing(f"{where}[price_data]")
            if "quantity" not in entry:
                raise _missing(f"{where}[quantity]")
            quantity = _integer(entry["quantity"], f"{where}[quantity]", minimum=1)
            data = entry["price_data"]
            if not isinstance(data, dict):
                raise _invalid(f"{where}[price_data]", "Invalid object", "parameter_invalid_object")
            _unknown(data, PRICE_DATA_PARAMS, f"{where}[price_data]")
            currency = data.get("currency")
            if currency is None:
                raise _missing(f"{where}[price_data][currency]")
            if currency.lower() not in CURRENCIES:
                raise _invalid(f"{where}[price_data][currency]", f"Invalid currency: {currency}.")
            currency = currency.lower()
            currencies.add(currency)
            if "recurring" in data:
                raise _invalid(f"{where}[price_data][recurring]", "Recurring prices need subscription mode.")
            if "unit_amount" in data:
                unit_amount = _integer(data["unit_amount"], f"{where}[price_data][unit_amount]")
            elif "unit_amount_decimal" in data:
                text = data["unit_amount_decimal"]
                # Stripe takes fractions of a cent here; the stub does not need them.
                if not isinstance(text, str) or not re.fullmatch(r"\d{1,12}", text):
                    raise _invalid(f"{where}[price_data][unit_amount_decimal]", f"Invalid decimal: {text}")
                unit_amount = int(text)
            else:
                raise _missing(f"{where}[price_data][unit_amount]")
            product_data = data.get("product_data")
            if product_data is None and "product" not in data:
                raise _missing(f"{where}[price_data][product_data]")
            if product_data is not None:
                if not isinstance(product_data, dict):
                    raise _invalid(
                        f"{where}[price_data][product_data]", "Invalid object", "parameter_invalid_object"
                    )
                _unknown(product_data, PRODUCT_DATA_PARAMS, f"{where}[price_data][product_data]")
                name = product_data.get("name")
                if not name:
                    raise _missing(f"{where}[price_data][product_data][name]")
                _metadata(product_data.get("metadata"), f"{where}[price_data][product_data][metadata]")
            else:
                name = None
            price = {
                **copy.deepcopy(self._shapes["price"]),
                "id": new_id("price_"),
                "object": "price",
                "active": False,
                "created": int(time.time()),
                "currency": currency,
                "custom_unit_amount": None,
                "lookup_key": None,
                "metadata": {},
                "nickname": None,
                "product": data.get("product") or new_id("prod_", 14),
                "recurring": None,
                "tax_behavior": data.get("tax_behavior", "unspecified"),
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "one_time",
                "unit_amount": unit_amount,
                "unit_amount_decimal": str(unit_amount),
            }
            amount = unit_amount * quantity
            items.append(
                {
                    **copy.deepcopy(self._shapes["item"]),
                    "id": new_id("li_"),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": currency,
                    "description": name,
                    "price": price,
                    "quantity": quantity,
                    "metadata": None,
                    "adjustable_quantity": None,
                }
            )
        if len(currencies) > 1:
            raise _invalid("line_items", "All line items must be in the same currency.")
        return items, currencies.pop()

    @staticmethod
    def _customer_balance_options(options: Any, currency: str) -> None:
        where = "payment_method_options[customer_balance]"
        if not isinstance(options, dict):
            raise _missing(f"{where}[funding_type]")
        funding = options.get("funding_type")
        if funding is None:
            raise _missing(f"{where}[funding_type]")
        if funding != "bank_transfer":
            raise _invalid(f"{where}[funding_type]", "Invalid funding_type: must be bank_transfer")
        transfer = options.get("bank_transfer")
        if not isinstance(transfer, dict) or "type" not in transfer:
            raise _missing(f"{where}[bank_transfer][type]")
        kind = transfer["type"]
        if kind not in BANK_TRANSFER_TYPES:
            raise _invalid(
                f"{where}[bank_transfer][type]",
                f"Invalid type: must be one of {', '.join(sorted(BANK_TRANSFER_TYPES))}",
            )
        if kind == "eu_bank_transfer":
            if currency != "eur":
                raise _invalid(f"{where}[bank_transfer][type]", "eu_bank_transfer requires the currency eur.")
            country = (transfer.get("eu_bank_transfer") or {}).get("country")
            if country is None:
                raise _missing(f"{where}[bank_transfer][eu_bank_transfer][country]")
            if country not in EU_BANK_TRANSFER_COUNTRIES:
                raise _invalid(
                    f"{where}[bank_transfer][eu_bank_transfer][country]",
                    f"Invalid country: must be one of {', '.join(sorted(EU_BANK_TRANSFER_COUNTRIES))}",
                )

    def _retrieve_session(self, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise _no_such("checkout.session", session_id, "session")
        answer = copy.deepcopy(session)
        for name in _as_list(params.get("expand", []), "expand"):
            if name == "line_items":
                answer["line_items"] = self._page(session_id, self.line_items.get(session_id, []), 10, None)
            elif name in ("payment_intent", "customer"):
                store = self.payment_intents if name == "payment_intent" else self.customers
                if answer.get(name) in store:
                    answer[name] = copy.deepcopy(store[answer[name]])
            else:
                raise _invalid("expand", f"This property cannot be expanded ({name}).")
        return answer

    def _list_line_items(self, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise _no_such("checkout.session", session_id, "session")
        limit = _integer(params.get("limit", "10"), "limit", minimum=1)
        if limit > 100:
            raise _invalid(
                "limit", "This value must be less than or equal to 100.", "parameter_invalid_integer"
            )
        return self._page(
            session_id, self.line_items.get(session_id, []), limit, params.get("starting_after")
        )

    @staticmethod
    def _page(session_id: str, items: list[dict[str, Any]], limit: int, after: str | None) -> dict[str, Any]:
        start = 0
        if after is not None:
            ids = [item["id"] for item in items]
            if after not in ids:
                raise _no_such("item", after, "starting_after")
            start = ids.index(after) + 1
        chunk = items[start : start + limit]
        return {
            "object": "list",
            "data": copy.deepcopy(chunk),
            "has_more": start + limit < len(items),
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        }

    def _checkout_page(self, session_id: str) -> tuple[int, str, dict[str, str]]:
        session = self.sessions.get(session_id)
        if session is None or session.get("status") != "open":
            return (
                404,
                "<!doctype html><title>Checkout</title><p>This Checkout Session is no longer active.</p>",
                {},
            )
        amount = f"{session['amount_total'] / 100:.2f} {str(session['currency']).upper()}"
        return (
            200,
            f"<!doctype html><title>Checkout (local stub)</title><p>Stripe Checkout stand-in: session "
            f"{session_id}, {amount}.</p>",
            {},
        )


def _no_such(kind: str, object_id: Any, param: str) -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{object_id}'", param=param, code="resource_missing")


class _Handler(LoopbackHandler):
    owner: StripeStub
    server_version = "stripe-stub"

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.owner.handle(method, self.path, dict(self.headers.items()), body)
        if answer is None:  # a lost connection: the client sees it closed without an answer
            self.close_connection = True
            return
        status, payload, headers = answer
        if isinstance(payload, str):
            data, content_type = payload.encode("utf-8"), "text/html; charset=utf-8"
        else:
            data, content_type = json.dumps(payload).encode("utf-8"), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def main() -> None:  # pragma: no cover - a manual aid: python -m invoicing_tools.local_aws.stripe_stub
    serve_until_interrupted(StripeStub())


if __name__ == "__main__":  # pragma: no cover
    main()
