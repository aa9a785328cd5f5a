"""Configuration read from the environment that template.yaml gives each function.

Two parts: where things are (``Resources``: tables, bucket, queues, topic) and who the
business is (``Business``: the seller identity printed on invoices, numbering, defaults).
Nothing secret lives here: secrets are fetched from SSM Parameter Store by the functions
that need them (DESIGN.md, invariant 6).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from invoicing.domain.numbering import NumberingPattern
from invoicing.domain.parties import Address, Locale, OperationCategory, Seller, VatRegime
from invoicing.domain.terms import LatePenalty, PaymentTerms


class SettingsError(ValueError):
    """The stack is misconfigured: the message names the parameter to fix."""


def _get(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if value is None or value.strip() == "":
        if default is not None:
            return default
        raise SettingsError(f"environment variable {name} is required")
    return value.strip()


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
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
    invoices_table: str
    sequences_table: str
    clients_table: str
    documents_bucket: str
    alerts_topic_arn: str | None = None
    send_queue_url: str | None = None
    idempotency_table: str | None = None
    dunning_table: str | None = None
    payments_table: str | None = None
    supplier_invoices_table: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Resources:
        env = os.environ if env is None else env
        return cls(
            invoices_table=_get(env, "INVOICES_TABLE"),
            sequences_table=_get(env, "SEQUENCES_TABLE"),
            clients_table=_get(env, "CLIENTS_TABLE"),
            documents_bucket=_get(env, "DOCUMENTS_BUCKET"),
            alerts_topic_arn=_optional(env, "ALERTS_TOPIC_ARN"),
            send_queue_url=_optional(env, "SEND_QUEUE_URL"),
            idempotency_table=_optional(env, "IDEMPOTENCY_TABLE"),
            dunning_table=_optional(env, "DUNNING_TABLE"),
            payments_table=_optional(env, "PAYMENTS_TABLE"),
            supplier_invoices_table=_optional(env, "SUPPLIER_INVOICES_TABLE"),
        )


@dataclass(frozen=True, slots=True)
class Business:
    seller: Seller
    invoice_numbering: NumberingPattern
    credit_note_numbering: NumberingPattern
    default_terms: PaymentTerms
    default_locale: Locale
    time_zone: str = "Europe/Paris"
    max_input_bytes: int = 10 * 1024 * 1024
    max_input_rows: int = 20_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Business:
        """Build and check the business identity; raise ``SettingsError`` naming what is wrong."""
        # Identifier checks load python-stdnum and schwifty: only code that issues invoices
        # builds a Business, so the other functions never import them.
        from invoicing.domain import identifiers

        env = os.environ if env is None else env

        def checked(name: str, check, value: str | None):
            if value is None:
                return None
            try:
                return check(value)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from exc

        siret = checked("SELLER_SIRET", identifiers.siret, _get(env, "SELLER_SIRET"))
        vat_regime = VatRegime(_get(env, "VAT_REGIME", "normal"))
        vat_id = checked("SELLER_VAT_ID", identifiers.vat_id, _optional(env, "SELLER_VAT_ID"))
        if vat_id and not identifiers.vat_id_matches_siren(vat_id, siret[:9]):
            raise SettingsError("SELLER_VAT_ID does not match the SIREN of SELLER_SIRET")
        if vat_regime is VatRegime.NORMAL and not vat_id:
            raise SettingsError("SELLER_VAT_ID is required unless VAT_REGIME is franchise")
        capital_text = _optional(env, "SELLER_SHARE_CAPITAL")
        try:
            capital = Decimal(capital_text.replace(" ", "").replace(",", ".")) if capital_text else None
        except InvalidOperation as exc:
            raise SettingsError(f"SELLER_SHARE_CAPITAL is not a number: {capital_text!r}") from exc
        iban = checked("SELLER_IBAN", identifiers.iban, _optional(env, "SELLER_IBAN"))
        bic = checked("SELLER_BIC", identifiers.bic, _optional(env, "SELLER_BIC"))
        try:
            address = Address(
                lines=tuple(part.strip() for part in _get(env, "SELLER_STREET").split("|") if part.strip()),
                postcode=_get(env, "SELLER_POSTCODE"),
                city=_get(env, "SELLER_CITY"),
                country=_get(env, "SELLER_COUNTRY", "FR"),
            )
            seller = Seller(
                legal_name=_get(env, "SELLER_LEGAL_NAME"),
                legal_form=_get(env, "SELLER_LEGAL_FORM"),
                siret=siret,
                address=address,
                share_capital=capital,
                rcs_city=_optional(env, "SELLER_RCS_CITY"),
                vat_id=vat_id,
                iban=iban,
                bic=bic,
                email=checked("SELLER_EMAIL", identifiers.email, _optional(env, "SELLER_EMAIL")),
                phone=_optional(env, "SELLER_PHONE"),
                vat_regime=vat_regime,
                vat_on_debits=_flag(env, "VAT_ON_DEBITS", False),
                operation_category=OperationCategory(_get(env, "OPERATION_CATEGORY", "services")),
                late_penalty=LatePenalty.parse(_get(env, "LATE_PENALTY", "ecb+10")),
            )
            yearly = _flag(env, "NUMBERING_YEARLY_RESET", True)
            invoice_numbering = NumberingPattern(
                _get(env, "INVOICE_NUMBER_PATTERN", "FA{year}-{seq:05d}"), yearly
            )
            credit_numbering = NumberingPattern(
                _get(env, "CREDIT_NOTE_NUMBER_PATTERN", "AV{year}-{seq:05d}"), yearly
            )
            if invoice_numbering.template == credit_numbering.template:
                raise SettingsError("INVOICE_NUMBER_PATTERN and CREDIT_NOTE_NUMBER_PATTERN must differ")
            return cls(
                seller=seller,
                invoice_numbering=invoice_numbering,
                credit_note_numbering=credit_numbering,
                default_terms=PaymentTerms.parse(_get(env, "DEFAULT_PAYMENT_TERMS", "30")),
                default_locale=Locale(_get(env, "DEFAULT_LOCALE", "fr")),
                time_zone=_get(env, "TIME_ZONE", "Europe/Paris"),
                max_input_bytes=int(_get(env, "MAX_INPUT_BYTES", str(10 * 1024 * 1024))),
                max_input_rows=int(_get(env, "MAX_INPUT_ROWS", "20000")),
            )
        except SettingsError:
            raise
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
