"""Checking and normalising business identifiers where data enters the system.

SIREN/SIRET and EU VAT numbers with python-stdnum, IBAN/BIC with schwifty. Each function
returns the compact canonical form or raises ``ValueError``. Kept apart from the plain domain
types so that code which only reads stored invoices does not load these libraries.
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


def siren(text: str) -> str:
    try:
        return str(fr_siren.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid SIREN {text!r}: {exc}") from exc


def siret(text: str) -> str:
    try:
        return str(fr_siret.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid SIRET {text!r}: {exc}") from exc


def vat_id(text: str) -> str:
    """An EU VAT number with its country prefix, compact (``FR40303265045``)."""
    try:
        number = str(eu_vat.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid VAT number {text!r}: {exc}") from exc
    if not number[:2].isalpha():
        raise ValueError(f"VAT number {text!r} must start with its country code (FR, BE...)")
    return number


def vat_id_matches_siren(vat_number: str, siren_number: str) -> bool:
    """A French VAT number is FR + a two-digit key + the SIREN."""
    return not vat_number.startswith("FR") or vat_number[4:] == siren_number


def french_vat_id(siren_number: str) -> str:
    """The French intra-EU VAT number derived from a SIREN: key = (12 + 3 x (SIREN mod 97)) mod 97."""
    key = (12 + 3 * (int(siren(siren_number)) % 97)) % 97
    return vat_id(f"FR{key:02d}{siren_number}")


def iban(text: str) -> str:
    try:
        return str(IBAN(text).compact)
    except SchwiftyException as exc:
        raise ValueError(f"invalid IBAN: {exc}") from exc


def bic(text: str) -> str:
    try:
        return str(BIC(text).compact)
    except SchwiftyException as exc:
        raise ValueError(f"invalid BIC {text!r}: {exc}") from exc


def email(text: str) -> str:
    cleaned = text.strip()
    if not _EMAIL.match(cleaned):
        raise ValueError(f"invalid email address {text!r}")
    return cleaned


def grouped_iban(compact: str) -> str:
    """IBAN printed in groups of four, as banks and EPC069-12 expect humans to read it."""
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
