"""Configuration read from the environment that template.yaml gives each function.

``Resources`` says where things are (tables, bucket, queues, topic); who the business is
lives in ``invoicing.business`` (it checks identifiers, which only invoice-issuing code needs,
so generate's settings, ``GenerateSettings``, live there too).

Each function builds its settings object when Lambda loads it (the init phase): a required
variable that is missing or wrong fails the cold start with ``SettingsError`` naming it,
instead of a silent no-op at the first event (a topic that is not set, say, would otherwise
quietly alert nobody).
Nothing secret lives here: secrets are fetched from SSM Parameter Store by the functions
that need them (DESIGN.md, invariant 6).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SettingsError(ValueError):
    """The stack is misconfigured: the message names the parameter to fix."""


def get(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if value is None or value.strip() == "":
        if default is not None:
            return default
        raise SettingsError(f"environment variable {name} is required")
    return value.strip()


def optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes", "oui"):
        return True
    if value in ("false", "0", "no", "non"):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True, slots=True)
class Resources:
    """The tables and the bucket. Queues and topics belong to the settings of the functions
    that use them (required there, so a missing one fails the cold start)."""

    invoices_table: str
    sequences_table: str
    clients_table: str
    documents_bucket: str
    idempotency_table: str | None = None
    dunning_table: str | None = None
    payments_table: str | None = None
    supplier_invoices_table: str | None = None
    #: The price list (``PRODUCTS_TABLE``): products by code, upserted from incoming/products/.
    products_table: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Resources:
        env = os.environ if env is None else env
        return cls(
            invoices_table=get(env, "INVOICES_TABLE"),
            sequences_table=get(env, "SEQUENCES_TABLE"),
            clients_table=get(env, "CLIENTS_TABLE"),
            documents_bucket=get(env, "DOCUMENTS_BUCKET"),
            idempotency_table=optional(env, "IDEMPOTENCY_TABLE"),
            dunning_table=optional(env, "DUNNING_TABLE"),
            payments_table=optional(env, "PAYMENTS_TABLE"),
            supplier_invoices_table=optional(env, "SUPPLIER_INVOICES_TABLE"),
            products_table=optional(env, "PRODUCTS_TABLE"),
        )


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


class SendMode(StrEnum):
    """When an issued document is emailed (stack parameter ``SendTiming``)."""

    IMMEDIATE = "immediate"
    #: The next business morning, 09:00 in the business's time zone.
    NEXT_MORNING = "next-business-morning"
    #: A fixed day of the month at 09:00 (``SEND_DAY_OF_MONTH``), the next business day if it is not one.
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the functions that email (send, remind, ocr's reply forwarding) reach people.

    - ``sender``: the business's address, an SES verified identity (``SELLER_EMAIL``).
    - ``pilot``: only the clients in ``pilot_clients`` (references) get their emails; every
      other email goes to ``operator_email`` instead, marked as such.
    - ``owner_email``: who receives escalations, formal notices and forwarded replies (by
      default the business's own address).
    - ``copy_to_business``: a blind copy of every customer email to the business's address.
    - ``pay_base_url``: the payment links' base (the webhook function's URL), when payments run.
    - ``token_keys_parameter``: the SSM SecureString holding the keys that sign payment links
      and reply addresses (its name, never its value).
    - ``reply_domain``: replies to reminders go to ``r-<token>@<reply_domain>`` (SES inbound);
      without it, to the business's address, and are not detected.
    """

    sender: str
    time_zone: str
    configuration_set: str | None = None
    send_mode: SendMode = SendMode.IMMEDIATE
    send_day_of_month: int = 1
    pilot: bool = False
    pilot_clients: frozenset[str] = frozenset()
    operator_email: str | None = None
    owner_email: str | None = None
    copy_to_business: bool = False
    pay_base_url: str | None = None
    token_keys_parameter: str | None = None
    reply_domain: str | None = None
    reply_pause_days: int = 14

    @property
    def owner(self) -> str:
        return self.owner_email or self.sender

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailSettings:
        env = _env(env)
        try:
            mode = SendMode(get(env, "SEND_TIMING", SendMode.IMMEDIATE.value))
        except ValueError as exc:
            choices = ", ".join(m.value for m in SendMode)
            raise SettingsError(f"SEND_TIMING must be one of {choices}") from exc
        day = _whole(env, "SEND_DAY_OF_MONTH", 1, 1, 31)
        pilot = get(env, "PILOT_MODE", "Disabled") == "Enabled"
        operator = optional(env, "OPERATOR_EMAIL")
        if pilot and not operator:
            raise SettingsError("PILOT_MODE is Enabled: OPERATOR_EMAIL must say where the other emails go")
        clients = frozenset(ref.strip() for ref in env.get("PILOT_CLIENTS", "").split(",") if ref.strip())
        base = optional(env, "PAY_BASE_URL")
        if base is not None and not base.startswith(("https://", "http://")):
            raise SettingsError(f"PAY_BASE_URL must be an http(s) URL, not {base!r}")
        return cls(
            sender=get(env, "SELLER_EMAIL"),
            time_zone=_time_zone(get(env, "TIME_ZONE", "Europe/Paris")),
            configuration_set=optional(env, "SES_CONFIGURATION_SET"),
            send_mode=mode,
            send_day_of_month=day,
            pilot=pilot,
            pilot_clients=clients,
            operator_email=operator,
            owner_email=optional(env, "OWNER_EMAIL"),
            copy_to_business=get(env, "COPY_TO_BUSINESS", "Disabled") == "Enabled",
            pay_base_url=base.rstrip("/") if base else None,
            token_keys_parameter=optional(env, "TOKEN_KEYS_PARAM"),
            reply_domain=optional(env, "REPLY_DOMAIN"),
            reply_pause_days=_whole(env, "REPLY_PAUSE_DAYS", 14, 1, 90),
        )


@dataclass(frozen=True, slots=True)
class SendSettings:
    resources: Resources
    mail: MailSettings
    alerts_topic_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SendSettings:
        env = _env(env)
        return cls(
            resources=Resources.from_env(env),
            mail=MailSettings.from_env(env),
            alerts_topic_arn=get(env, "ALERTS_TOPIC_ARN"),
        )


@dataclass(frozen=True, slots=True)
class RemindSettings:
    resources: Resources
    time_zone: str
    alerts_topic_arn: str
    mail: MailSettings
    send_queue_url: str
    #: The seller's late-penalty mention (``LATE_PENALTY``) and the published reference rates
    #: (``REFERENCE_RATES``, JSON), for the penalties stated in reminders and formal notices.
    late_penalty: str = "ecb+10"
    reference_rates: Any = None  # ReferenceRates, parsed once at cold start (None: none given)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RemindSettings:
        env = _env(env)
        return cls(
            resources=Resources.from_env(env),
            time_zone=_time_zone(get(env, "TIME_ZONE", "Europe/Paris")),
            alerts_topic_arn=get(env, "ALERTS_TOPIC_ARN"),
            mail=MailSettings.from_env(env),
            send_queue_url=get(env, "SEND_QUEUE_URL"),
            late_penalty=get(env, "LATE_PENALTY", "ecb+10"),
            reference_rates=parse_reference_rates(env.get("REFERENCE_RATES", "").strip()),
        )


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """The ocr function: supplier documents (``EXTRACTION_ENGINE``: ``textract`` in AWS, ``local``
    offline), the owner's summaries (``SUPPLIER_SUMMARY``: ``every-document``, ``to-review``,
    ``off``), Textract's completion topic and the role it publishes with (long PDFs), and the
    monthly accounting export (``ACCOUNTANT_EMAIL``: who receives it, optional)."""

    documents_bucket: str
    resources: Resources | None = None
    mail: MailSettings | None = None
    alerts_topic_arn: str | None = None
    engine: str = "textract"
    summary: str = "every-document"
    textract_topic_arn: str | None = None
    textract_role_arn: str | None = None
    stack_name: str = "<stack>"
    business_name: str = ""
    business_siret: str | None = None
    business_vat_id: str | None = None
    accountant_email: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OcrSettings:
        env = _env(env)
        engine = get(env, "EXTRACTION_ENGINE", "textract")
        if engine not in ("textract", "local"):
            raise SettingsError(f"EXTRACTION_ENGINE must be textract or local, not {engine!r}")
        summary = get(env, "SUPPLIER_SUMMARY", "every-document")
        if summary not in ("every-document", "to-review", "off"):
            raise SettingsError(f"SUPPLIER_SUMMARY must be every-document, to-review or off, not {summary!r}")
        return cls(
            documents_bucket=get(env, "DOCUMENTS_BUCKET"),
            resources=Resources.from_env(env),
            mail=MailSettings.from_env(env),
            alerts_topic_arn=get(env, "ALERTS_TOPIC_ARN"),
            engine=engine,
            summary=summary,
            textract_topic_arn=optional(env, "TEXTRACT_TOPIC_ARN"),
            textract_role_arn=optional(env, "TEXTRACT_ROLE_ARN"),
            stack_name=get(env, "STACK_NAME", "<stack>"),
            business_name=get(env, "SELLER_LEGAL_NAME", ""),
            business_siret=optional(env, "SELLER_SIRET"),
            business_vat_id=optional(env, "SELLER_VAT_ID"),
            accountant_email=optional(env, "ACCOUNTANT_EMAIL"),
        )


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The stripe_webhook function: payment links (``GET /pay/<token>``) and Stripe's events.

    Secrets are named, never held: ``webhook_secret_parameter`` (Stripe's webhook signing
    secret, several separated by commas while rotating) and ``api_key_parameter`` (the Stripe
    secret key) are SSM SecureStrings; ``token_keys_parameter`` holds the payment-link keys.
    ``api_base`` points the Stripe library elsewhere (the local stub; unset in AWS).
    ``payment_methods``: what Checkout offers (``card``, ``sepa_debit``, ``customer_balance`` for
    bank transfers). ``online_sales``: a paid Checkout Session that is not one of our invoices
    issues its invoice (the sale's), marked paid.
    """

    webhook_secret_parameter: str
    api_key_parameter: str | None = None
    api_base: str | None = None
    payment_methods: tuple[str, ...] = ("card", "sepa_debit", "customer_balance")
    online_sales: bool = False
    token_keys_parameter: str | None = None
    resources: Resources | None = None
    alerts_topic_arn: str | None = None
    time_zone: str = "Europe/Paris"
    #: The business's name, for the pages customers see and the operator's alerts.
    business_name: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = _env(env)
        methods = tuple(
            m.strip()
            for m in get(env, "STRIPE_PAYMENT_METHODS", "card,sepa_debit,customer_balance").split(",")
            if m.strip()
        )
        unknown = [m for m in methods if m not in PAYMENT_METHODS]
        if unknown or not methods:
            raise SettingsError(
                "STRIPE_PAYMENT_METHODS (stack parameter StripePaymentMethods): "
                f"{', '.join(unknown) or 'empty'} not among {', '.join(PAYMENT_METHODS)}"
            )
        base = optional(env, "STRIPE_API_BASE")
        if base is not None and not base.startswith(("https://", "http://")):
            raise SettingsError(f"STRIPE_API_BASE must be an http(s) URL, not {base!r}")
        return cls(
            webhook_secret_parameter=get(env, "STRIPE_WEBHOOK_SECRET_PARAM"),
            api_key_parameter=optional(env, "STRIPE_API_KEY_PARAM"),
            api_base=base.rstrip("/") if base else None,
            payment_methods=methods,
            online_sales=get(env, "ONLINE_SALES", "Disabled") == "Enabled",
            token_keys_parameter=optional(env, "TOKEN_KEYS_PARAM"),
            resources=Resources.from_env(env) if env.get("INVOICES_TABLE") else None,
            alerts_topic_arn=optional(env, "ALERTS_TOPIC_ARN"),
            time_zone=_time_zone(get(env, "TIME_ZONE", "Europe/Paris")),
            business_name=env.get("SELLER_LEGAL_NAME", "").strip(),
        )


#: Checkout payment method types the stack may offer (``customer_balance``: bank transfer).
PAYMENT_METHODS = ("card", "sepa_debit", "customer_balance", "paypal", "link", "bancontact", "ideal")


#: Reference rates outside this range (yearly percent) are typing mistakes: the ECB main
#: refinancing rate and the French legal interest rate have stayed within it since 1999.
MAX_REFERENCE_RATE = 25


def parse_reference_rates(text: str) -> Any:
    """``REFERENCE_RATES`` (the ``ReferenceRates`` parameter): ``{"ecb": {"2026-H2": "2.15"},
    "legal": {"2026-H2": "…"}}``, each rate a string of a yearly percentage from 0 to 25. Anything
    else is a ``SettingsError`` naming the parameter and what is wrong."""
    import json
    from decimal import Decimal, InvalidOperation

    from invoicing.domain.penalties import ReferenceRates

    if not text:
        return ReferenceRates()
    where = "REFERENCE_RATES (stack parameter ReferenceRates)"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"ecb", "legal"}:
        raise SettingsError(f'{where}: expected {{"ecb": {{"2026-H2": "2.15"}}, "legal": {{...}}}}')
    for which, table in data.items():
        if not isinstance(table, dict):
            raise SettingsError(
                f'{where}: "{which}" must map half-years to rates, like {{"2026-H2": "2.15"}}'
            )
        for half, rate in table.items():
            if not isinstance(rate, str):
                raise SettingsError(
                    f'{where}: {which} {half}: write the rate as a string ("2.15"), not {rate!r}'
                )
            try:
                value = Decimal(rate.strip().replace(",", "."))
            except InvalidOperation:
                raise SettingsError(f"{where}: {which} {half}: {rate!r} is not a rate") from None
            if not value.is_finite() or not 0 <= value <= MAX_REFERENCE_RATE:
                raise SettingsError(
                    f"{where}: {which} {half}: {rate} % is not a plausible yearly rate "
                    f"(0 to {MAX_REFERENCE_RATE})"
                )
    try:
        return ReferenceRates.parse(data.get("ecb"), data.get("legal"))
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{where}: {exc}") from None


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = get(env, name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {text!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {value}")
    return value


def _time_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"TIME_ZONE: unknown time zone {name!r}") from exc
    return name


@dataclass(frozen=True, slots=True)
class SheetSettings:
    """The Google Sheet the generate function pulls: ``SHEET_SPREADSHEET_ID`` + ``SHEET_RANGE``
    (the Sheets API, with the service-account key of the Secrets Manager secret
    ``SHEET_SECRET_ID``), or ``SHEET_CSV_URL`` (a "publish to the web" link). ``SHEET_NAME``
    names the snapshots; ``SHEETS_API_BASE`` (and loopback links) only for the local stub. The
    template's parameters check their shapes; ``invoicing.adapters.sheets.SheetSource`` checks
    them again when the sheet is pulled."""

    spreadsheet_id: str | None
    range: str
    csv_url: str | None
    secret_id: str | None
    name: str = "sheet"
    api_base: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SheetSettings | None:
        spreadsheet = (env.get("SHEET_SPREADSHEET_ID") or "").strip() or None
        csv_url = (env.get("SHEET_CSV_URL") or "").strip() or None
        if spreadsheet is None and csv_url is None:
            return None
        wanted = env.get("SHEET_NAME") or "sheet"
        name = "".join(c for c in wanted if c.isalnum() or c in "-_")[:40] or "sheet"
        return cls(
            spreadsheet_id=spreadsheet,
            range=(env.get("SHEET_RANGE") or "A1:Z").strip(),
            csv_url=csv_url,
            secret_id=(env.get("SHEET_SECRET_ID") or "").strip() or None,
            name=name,
            api_base=(env.get("SHEETS_API_BASE") or "").strip() or None,
        )

    @property
    def loopback(self) -> bool:
        """The local stub (tests, the demo): never in AWS."""
        return any((value or "").startswith("http://127.0.0.1") for value in (self.api_base, self.csv_url))
