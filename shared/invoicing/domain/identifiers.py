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

from invoicing.domain.text import forbidden_characters, quoted

#: The part before the @ that SES sends to: an RFC 5322 dot-atom of ASCII characters (no quoted
#: local part, no leading, trailing or doubled dot).
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*", re.ASCII)
#: One label of a domain once written in ASCII (punycode for an internationalised one).
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
#: The last label: letters (``fr``, ``example``) or an internationalised one (``xn--p1ai``).
_TOP_LEVEL = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}", re.ASCII)
#: Longest address SMTP carries (RFC 5321: a path of 256 characters, brackets included).
_EMAIL_LIMIT = 254


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


def email_problem(reason: str) -> str:
    """The problem code of an address ``email`` refused with ``reason`` (its ``ValueError``)."""
    if "invisible" in reason:
        return "email_invisible"
    if "SMTPUTF8" in reason:
        return "email_not_ascii"
    return "bad_email"


def email(text: str) -> str:
    """One address the emails can be sent to (through SES), white space around it removed.

    Refused, before anything is numbered, with a ``ValueError`` that says why (the clients file
    import turns it into a ``bad_email`` problem naming row, column and value): what is not one
    ``local@domain`` address (several addresses, a display name, angle brackets); an invisible,
    control, format or unassigned character anywhere (``compta\\u200b@…``: it cannot be seen in
    the spreadsheet, and the address would reach no one); a non-ASCII character before the ``@``
    (``élodie@…``: SES does not send SMTPUTF8); a local part that is not a dot-atom (quotes,
    doubled dots); a domain that is no host name. An internationalised domain (``@société.fr``)
    is accepted, as written: it is sent to in punycode.
    """
    cleaned = text.strip()
    shown = f"'{quoted(cleaned)}'"  # invisible characters made visible, cut to a bounded length
    hidden = forbidden_characters(cleaned) or tuple(
        f"U+{ord(c):04X}" for c in dict.fromkeys(cleaned) if not c.isprintable() and not c.isspace()
    )
    if hidden:
        raise ValueError(
            f"invalid email address {shown}: it carries invisible, control, format or unassigned characters "
            f"({', '.join(hidden)})"
        )
    local, at, domain = cleaned.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise ValueError(f"invalid email address {shown}: one address, written name@domain, is expected")
    if any(c.isspace() or c in ",;<>" for c in cleaned):
        raise ValueError(
            f"invalid email address {shown}: one address only, without spaces, commas, semicolons or <>"
        )
    if len(cleaned) > _EMAIL_LIMIT:
        raise ValueError(f"invalid email address {shown}: longer than {_EMAIL_LIMIT} characters")
    if not local.isascii():
        accented = "".join(dict.fromkeys(c for c in local if not c.isascii()))
        raise ValueError(
            f"invalid email address {shown}: the part before the @ has non-ASCII characters "
            f"({accented}), and emails cannot be sent to such an address (SES does not support SMTPUTF8)"
        )
    if not _LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise ValueError(
            f"invalid email address {shown}: the part before the @ may hold letters, digits, single "
            "dots and !#$%&'*+/=?^_`{|}~- only, at most 64 of them"
        )
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(
            f"invalid email address {shown}: the domain {domain!r} is not a valid name"
        ) from None
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or not _TOP_LEVEL.fullmatch(labels[-1])
    ):
        raise ValueError(f"invalid email address {shown}: the domain {domain!r} is not a valid name")
    return cleaned


def grouped_iban(compact: str) -> str:
    """IBAN printed in groups of four, as banks and EPC069-12 expect humans to read it."""
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
