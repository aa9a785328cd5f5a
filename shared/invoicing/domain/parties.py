"""The seller (the client business running the stack) and its customers.

Plain, already-validated values. Checking identifiers (SIREN, VAT ids, IBAN) is done where
data enters: ``invoicing.domain.identifiers``, called by the ingest and settings code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.terms import LatePenalty, PaymentTerms

#: EU member states (ISO 3166-1 alpha-2), for intra-EU versus export rules.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


class Locale(StrEnum):
    FR = "fr"
    EN = "en"


class VatRegime(StrEnum):
    NORMAL = "normal"
    #: Franchise en base (art. 293 B du CGI): the business charges no VAT at all.
    FRANCHISE = "franchise"


class OperationCategory(StrEnum):
    """Nature of the operations invoiced: a mandatory mention since the 2026 reform."""

    GOODS = "goods"
    SERVICES = "services"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...]
    postcode: str
    city: str
    country: str = "FR"

    def __post_init__(self) -> None:
        if len(self.country) != 2 or not self.country.isalpha() or not self.country.isupper():
            raise ValueError(f"country must be an ISO 3166 alpha-2 code, not {self.country!r}")

    @property
    def in_france(self) -> bool:
        return self.country == "FR"

    @property
    def in_eu(self) -> bool:
        return self.country in EU_COUNTRIES


@dataclass(frozen=True, slots=True)
class Seller:
    """The business identity printed on every invoice (CGI art. 242 nonies A, C. com. L441-9)."""

    legal_name: str
    legal_form: str
    siret: str
    address: Address
    share_capital: Decimal | None = None
    rcs_city: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    email: str | None = None
    phone: str | None = None
    vat_regime: VatRegime = VatRegime.NORMAL
    vat_on_debits: bool = False
    operation_category: OperationCategory = OperationCategory.SERVICES
    late_penalty: LatePenalty = field(default_factory=LatePenalty)

    @property
    def siren(self) -> str:
        return self.siret[:9]


@dataclass(frozen=True, slots=True)
class Client:
    """A customer, as the clients file describes it."""

    ref: str
    name: str
    address: Address
    email: str | None = None
    siren: str | None = None
    vat_id: str | None = None
    locale: Locale = Locale.FR
    payment_terms: PaymentTerms | None = None

    @property
    def is_business(self) -> bool:
        """A company (identified by SIREN or VAT id) rather than a private person.

        Business buyers get the late-payment penalties and the 40 EUR recovery fee mentions.
        """
        return bool(self.siren or self.vat_id)
