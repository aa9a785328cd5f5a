"""Payment terms, due dates and late-payment penalties (Code de commerce L441-10)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

#: L441-10: at most 60 days after the issue date, or 45 days end of month when agreed.
LEGAL_MAX_DAYS = 60
LEGAL_MAX_END_OF_MONTH_DAYS = 45
#: L441-10 and D441-5: fixed compensation for recovery costs owed by a business buyer paying late.
RECOVERY_FEE_EUR = Decimal("40")

_TERMS_RE = re.compile(
    r"^\s*(?:à\s+|a\s+)?(?P<days>\d{1,3})\s*(?:j|jours?|days?|d)?\s*(?:nets?)?\s*"
    r"(?P<eom>fin\s+de\s+mois|fdm|end\s+of\s+month|eom)?\s*(?:nets?)?\s*$",
    re.IGNORECASE,
)
_ON_RECEIPT = {
    "comptant",
    "à réception",
    "a réception",
    "a reception",
    "réception",
    "reception",
    "immédiat",
    "immediat",
    "immediate",
    "on receipt",
    "due on receipt",
    "0",
}


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """``days`` after the issue date, optionally then to the end of that month."""

    days: int
    end_of_month: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.days <= 365:
            raise ValueError(f"payment terms of {self.days} days are out of range")

    @classmethod
    def parse(cls, text: str) -> PaymentTerms:
        """Read ``30``, ``30 jours``, ``45 jours fin de mois``, ``45 FDM``, ``comptant``, ``60 days``."""
        cleaned = " ".join(text.strip().lower().split())
        if cleaned in _ON_RECEIPT:
            return cls(0)
        match = _TERMS_RE.match(cleaned)
        if not match:
            raise ValueError(f"unreadable payment terms: {text!r}")
        return cls(int(match["days"]), bool(match["eom"]))

    @property
    def legal(self) -> bool:
        """Whether the agreed terms stay within L441-10 for a business buyer."""
        if self.end_of_month:
            return self.days <= LEGAL_MAX_END_OF_MONTH_DAYS
        return self.days <= LEGAL_MAX_DAYS

    def due_date(self, issued: date) -> date:
        """The due date, capped at the legal maximum of 60 days after issue.

        ``N jours fin de mois`` is read as the common French practice: issue date + N days,
        then the end of that month. 45 days end of month is a legal derogation of its own
        and is not capped; longer terms are brought back to issue date + 60 days.
        """
        due = issued + timedelta(days=self.days)
        if self.end_of_month:
            due = end_of_month(due)
        if self.legal:
            return due
        return min(due, issued + timedelta(days=LEGAL_MAX_DAYS))

    def describe(self, locale: str) -> str:
        if self.days == 0 and not self.end_of_month:
            return "Payment on receipt" if locale == "en" else "Paiement à réception"
        if self.days == 0:
            return "End of month" if locale == "en" else "Fin de mois"
        if locale == "en":
            return f"{self.days} days" + (" end of month" if self.end_of_month else "")
        return f"{self.days} jours" + (" fin de mois" if self.end_of_month else "")

    def canonical(self) -> str:
        return f"{self.days}{' fin de mois' if self.end_of_month else ''}"


@dataclass(frozen=True, slots=True)
class LatePenalty:
    """The late-payment interest rate mention, in one of the forms French law accepts.

    ``kind`` is ``legal-x3`` (three times the legal interest rate, the legal floor),
    ``ecb+10`` (ECB refinancing rate plus 10 points, the default when nothing is agreed),
    or ``fixed`` with ``rate`` a yearly percentage.
    """

    kind: str = "ecb+10"
    rate: Decimal | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("legal-x3", "ecb+10", "fixed"):
            raise ValueError(f"unknown late penalty kind {self.kind!r}")
        if (self.kind == "fixed") != (self.rate is not None):
            raise ValueError("a fixed late penalty needs a rate, and only it")
        if self.rate is not None and not (self.rate.is_finite() and 0 < self.rate <= 100):
            raise ValueError(f"late penalty rate must be a yearly percentage above 0, not {self.rate}")

    @classmethod
    def parse(cls, text: str) -> LatePenalty:
        cleaned = text.strip().lower().replace(" ", "")
        if cleaned in ("legal-x3", "ecb+10"):
            return cls(cleaned)
        number = cleaned.rstrip("%").replace(",", ".")
        try:
            rate = Decimal(number)
        except ArithmeticError as exc:
            raise ValueError(f"late penalty must be legal-x3, ecb+10 or a percentage, not {text!r}") from exc
        return cls("fixed", rate)

    def describe(self, locale: str) -> str:
        if self.kind == "legal-x3":
            return (
                "three times the French legal interest rate"
                if locale == "en"
                else "taux égal à trois fois le taux d'intérêt légal"
            )
        if self.kind == "ecb+10":
            return (
                "the ECB refinancing rate plus 10 percentage points"
                if locale == "en"
                else "taux de refinancement de la BCE majoré de 10 points"
            )
        rate = f"{self.rate}".replace(".", "," if locale != "en" else ".")
        return f"{rate} % per year" if locale == "en" else f"taux de {rate} % par an"

    def canonical(self) -> str:
        return str(self.rate) if self.kind == "fixed" else self.kind
