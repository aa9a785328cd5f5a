"""Who the business is: the seller identity printed on invoices, numbering and defaults,
read from the environment template.yaml gives the functions that issue invoices.

Identifiers are checked here (SIRET, VAT id, IBAN): a misconfigured stack fails at its first
invoice with a message naming the parameter, instead of printing a wrong mention.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from invoicing.domain import identifiers
from invoicing.domain.dunning_policy import DunningPolicy, PolicyError
from invoicing.domain.einvoicing import DEFAULT_FACTURX_PROFILE, FACTURX_PROFILES
from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Address, Locale, OperationCategory, Seller, VatRegime
from invoicing.domain.rows import DEFAULT_READY, ReadyStatuses
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.settings import Resources, SettingsError, SheetSettings, flag, get, optional


@dataclass(frozen=True, slots=True)
class Business:
    seller: Seller
    invoice_numbering: NumberingPattern
    credit_note_numbering: NumberingPattern
    default_terms: PaymentTerms
    default_locale: Locale
    time_zone: str = "Europe/Paris"
    facturx_profile: str = DEFAULT_FACTURX_PROFILE
    max_input_bytes: int = 10 * 1024 * 1024
    max_input_rows: int = 20_000
    #: The largest total incl. VAT one document may have: beyond it a file is refused, as a
    #: typing mistake is far likelier than such an invoice from a small business.
    max_invoice_total: Decimal = Decimal("10000000.00")
    #: Documents one file may produce: what one generate invocation (300 s) surely finishes,
    #: validation and rendering included, with a wide margin. A larger export is refused with a
    #: request to split it.
    max_documents_per_file: int = 500
    #: Status values meaning "invoice this row" (``READY_STATUSES``, comma-separated), for sheets
    #: with a status column (``invoicing.domain.rows``).
    ready_statuses: ReadyStatuses = field(default_factory=lambda: ReadyStatuses.of(DEFAULT_READY))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Business:
        """Build and check the business identity; raise ``SettingsError`` naming what is wrong."""
        env = os.environ if env is None else env

        def checked(name: str, check, value: str | None):
            if value is None:
                return None
            try:
                return check(value)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from exc

        siret = checked("SELLER_SIRET", identifiers.siret, get(env, "SELLER_SIRET"))
        vat_regime = VatRegime(get(env, "VAT_REGIME", "normal"))
        vat_id = checked("SELLER_VAT_ID", identifiers.vat_id, optional(env, "SELLER_VAT_ID"))
        if vat_id and not identifiers.vat_id_matches_siren(vat_id, siret[:9]):
            raise SettingsError("SELLER_VAT_ID does not match the SIREN of SELLER_SIRET")
        if vat_regime is VatRegime.NORMAL and not vat_id:
            raise SettingsError("SELLER_VAT_ID is required unless VAT_REGIME is franchise")
        capital_text = optional(env, "SELLER_SHARE_CAPITAL")
        try:
            capital = Decimal(capital_text.replace(" ", "").replace(",", ".")) if capital_text else None
        except InvalidOperation as exc:
            raise SettingsError(f"SELLER_SHARE_CAPITAL is not a number: {capital_text!r}") from exc
        iban = checked("SELLER_IBAN", identifiers.iban, optional(env, "SELLER_IBAN"))
        bic = checked("SELLER_BIC", identifiers.bic, optional(env, "SELLER_BIC"))
        try:
            address = Address(
                lines=tuple(part.strip() for part in get(env, "SELLER_STREET").split("|") if part.strip()),
                postcode=get(env, "SELLER_POSTCODE"),
                city=get(env, "SELLER_CITY"),
                country=get(env, "SELLER_COUNTRY", "FR"),
            )
            seller = Seller(
                legal_name=get(env, "SELLER_LEGAL_NAME"),
                legal_form=get(env, "SELLER_LEGAL_FORM"),
                siret=siret,
                address=address,
                share_capital=capital,
                rcs_city=optional(env, "SELLER_RCS_CITY"),
                vat_id=vat_id,
                iban=iban,
                bic=bic,
                email=checked("SELLER_EMAIL", identifiers.email, optional(env, "SELLER_EMAIL")),
                phone=optional(env, "SELLER_PHONE"),
                vat_regime=vat_regime,
                vat_on_debits=flag(env, "VAT_ON_DEBITS", False),
                operation_category=OperationCategory(get(env, "OPERATION_CATEGORY", "services")),
                late_penalty=LatePenalty.parse(get(env, "LATE_PENALTY", "ecb+10")),
            )
            yearly = flag(env, "NUMBERING_YEARLY_RESET", True)
            invoice_numbering = NumberingPattern(
                get(env, "INVOICE_NUMBER_PATTERN", "FA{year}-{seq:05d}"), yearly
            )
            credit_numbering = NumberingPattern(
                get(env, "CREDIT_NOTE_NUMBER_PATTERN", "AV{year}-{seq:05d}"), yearly
            )
            if invoice_numbering.template == credit_numbering.template:
                raise SettingsError("INVOICE_NUMBER_PATTERN and CREDIT_NOTE_NUMBER_PATTERN must differ")
            return cls(
                seller=seller,
                invoice_numbering=invoice_numbering,
                credit_note_numbering=credit_numbering,
                default_terms=PaymentTerms.parse(get(env, "DEFAULT_PAYMENT_TERMS", "30")),
                default_locale=Locale(get(env, "DEFAULT_LOCALE", "fr")),
                time_zone=get(env, "TIME_ZONE", "Europe/Paris"),
                facturx_profile=_profile(get(env, "FACTURX_PROFILE", DEFAULT_FACTURX_PROFILE)),
                max_input_bytes=int(get(env, "MAX_INPUT_BYTES", str(10 * 1024 * 1024))),
                max_input_rows=int(get(env, "MAX_INPUT_ROWS", "20000")),
                max_documents_per_file=int(get(env, "MAX_DOCUMENTS_PER_FILE", "500")),
                max_invoice_total=_amount("MAX_INVOICE_TOTAL", get(env, "MAX_INVOICE_TOTAL", "10000000")),
                ready_statuses=_ready(env.get("READY_STATUSES", "")),
            )
        except SettingsError:
            raise
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc


def _ready(text: str) -> ReadyStatuses:
    values = [v for v in text.split(",") if v.strip()]
    if len(text) > 1000:
        raise SettingsError("READY_STATUSES is too long (1000 characters at most)")
    return ReadyStatuses.of(values or DEFAULT_READY)


def _enabled(name: str, text: str) -> bool:
    if text not in ("Enabled", "Disabled"):
        raise SettingsError(f"{name} must be Enabled or Disabled, not {text!r}")
    return text == "Enabled"


def _amount(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise SettingsError(f"{name} is not an amount: {text!r}") from exc
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 13:
        raise SettingsError(f"{name} must be a positive amount below 10^13, not {text!r}")
    return value.quantize(Decimal("0.01"))


def _profile(name: str) -> str:
    if name not in FACTURX_PROFILES:
        raise SettingsError(f"FACTURX_PROFILE must be one of {FACTURX_PROFILES}, not {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class GenerateSettings:
    """Import files, issue documents, queue them for sending, alert the operator."""

    resources: Resources
    business: Business
    send_queue_url: str
    alerts_topic_arn: str
    #: Store issued documents under S3 Object Lock for their legal retention.
    lock_invoices: bool = False
    #: The reminder policy new invoices open with (``DUNNING_POLICY``; a bucket's
    #: ``config/dunning.json`` takes precedence).
    dunning_policy: DunningPolicy = field(default_factory=DunningPolicy)
    #: The Google Sheet pulled on schedule (``services.sheet_pull.SheetSettings``), if any.
    sheet: Any = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GenerateSettings:
        env = os.environ if env is None else env
        policy_text = env.get("DUNNING_POLICY", "").strip()
        try:
            policy = DunningPolicy.parse(policy_text) if policy_text else DunningPolicy()
        except PolicyError as exc:
            raise SettingsError(f"DUNNING_POLICY: {exc}") from exc
        return cls(
            resources=Resources.from_env(env),
            business=Business.from_env(env),
            send_queue_url=get(env, "SEND_QUEUE_URL"),
            alerts_topic_arn=get(env, "ALERTS_TOPIC_ARN"),
            lock_invoices=_enabled("INVOICE_OBJECT_LOCK", get(env, "INVOICE_OBJECT_LOCK", "Disabled")),
            dunning_policy=policy,
            sheet=SheetSettings.from_env(env),
        )
