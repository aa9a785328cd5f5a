"""French VAT: the rates in force and the treatments that put no VAT on a line.

Categories follow EN 16931 (UNTDID 5305): S standard/reduced rate, E exempt, AE reverse charge,
K intra-EU supply, G export outside the EU. Every zero-VAT treatment carries its legal wording
(the mention the invoice must print) and its VATEX code for the Factur-X XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.money import to_decimal


class VatCategory(StrEnum):
    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_EU = "K"
    EXPORT = "G"
    OUT_OF_SCOPE = "O"


#: Rates in force in metropolitan France (CGI art. 278 to 281 nonies), in percent.
FRENCH_RATES: tuple[Decimal, ...] = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"))


@dataclass(frozen=True, slots=True)
class Exemption:
    """Why a line carries no VAT: the invoice must say so in these words."""

    key: str
    category: VatCategory
    vatex: str
    text_fr: str
    text_en: str

    def text(self, locale: str) -> str:
        return self.text_en if locale == "en" else self.text_fr


EXEMPTIONS: dict[str, Exemption] = {
    e.key: e
    for e in (
        Exemption(
            "franchise",
            VatCategory.EXEMPT,
            "VATEX-FR-FRANCHISE",
            "TVA non applicable, art. 293 B du CGI",
            "VAT not applicable, art. 293 B of the French General Tax Code",
        ),
        Exemption(
            "autoliquidation",
            VatCategory.REVERSE_CHARGE,
            "VATEX-EU-AE",
            "Autoliquidation",
            "Reverse charge",
        ),
        Exemption(
            "intracom",
            VatCategory.INTRA_EU,
            "VATEX-EU-IC",
            "Exonération de TVA, article 262 ter, I du CGI (livraison intracommunautaire)",
            "Intra-community supply exempt from VAT, article 138 of Directive 2006/112/EC",
        ),
        Exemption(
            "export",
            VatCategory.EXPORT,
            "VATEX-EU-G",
            "Exonération de TVA, article 262 I du CGI (exportation)",
            "Export outside the EU exempt from VAT, article 146 of Directive 2006/112/EC",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class VatTreatment:
    """The VAT applied to one line: a rate in percent, or zero with an exemption."""

    category: VatCategory
    rate: Decimal
    exemption: Exemption | None = None

    def __post_init__(self) -> None:
        if self.category is VatCategory.STANDARD:
            if self.rate not in FRENCH_RATES:
                raise ValueError(f"unknown French VAT rate {self.rate} %")
            if self.exemption is not None:
                raise ValueError("a standard-rated line has no exemption")
        else:
            if self.rate != 0:
                raise ValueError(f"category {self.category} carries no VAT, rate must be 0")
            if self.exemption is None or self.exemption.category is not self.category:
                raise ValueError(f"category {self.category} needs its exemption reason")

    @classmethod
    def standard(cls, rate: Decimal | str) -> VatTreatment:
        return cls(VatCategory.STANDARD, to_decimal(rate))

    @classmethod
    def exempt(cls, key: str) -> VatTreatment:
        exemption = EXEMPTIONS[key]
        return cls(exemption.category, Decimal(0), exemption)

    @property
    def key(self) -> tuple[str, Decimal]:
        """Identity of a VAT breakdown row: category and rate (EN 16931 BG-23)."""
        return (self.category.value, self.rate.normalize())
