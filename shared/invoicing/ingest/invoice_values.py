"""The values a supplier invoice writes, read from its text: amounts, dates, currencies, identifiers.

Shared by the readers of supplier invoices (``supplier_text``: a PDF's text layer or a scan's
OCR; ``textract_expense``: Amazon Textract's AnalyzeExpense), so that both read "1 234,56 €",
"31 déc. 2024" or "FR 44 732 829 320" the same way. Pure: standard library, python-stdnum and
schwifty (through ``invoicing.domain.identifiers``, imported when an identifier is first looked
for, so that importing this module stays cheap). Every pattern is compiled once, here.

- **Amounts**: ``number(token)`` is the one conversion of a written number to ``Decimal``
  (through ``invoicing.ingest.values.to_decimal``): French, German, English and Swiss writing
  (``1 234,56``, ``1.234,56``, ``1,234.56``, ``1'234.50``); with ``money=True`` a single
  separator followed by exactly three digits groups thousands (``$1,350`` is 1350), never in a
  quantity (``1.350`` kg). ``NUMBER_LIMIT`` and longer than ``TOKEN_LIMIT`` characters is not
  a number, so hostile text (``1E+999999``, 5000 digits) never reaches ``Decimal`` arithmetic.
  Two readings of text are built on it: ``parse_amount(value)``, the one number a value writes
  (a currency, a sign, parentheses and a little OCR noise allowed: ``$899.99 S``), and
  ``find_amounts(line)``, every amount of a line of laid-out text with where it is.
- **Dates**: ``find_dates(text)`` and ``parse_date(text)``: ISO (``2024-12-31``, also with
  ``/`` or ``.``), numeric day first or, with ``month_first``, month first (``03/04/2024``:
  the other order is tried when the first cannot be a date), with a 2-digit year read as 20xx;
  month names and their abbreviations in French, English, German and Dutch (``31 décembre
  2024``, ``1er janvier 2025``, ``Dec 31, 2024``, ``01-Jan-2021``, ``31. Dezember 2024``). With
  ``month_prefix`` a month is any unambiguous start of a name (``Sept``, ``Febr``; ``jui`` is
  June or July: no date). ``date_order(text)`` says which order a text's numeric dates can only
  be read in (``01/31/2021``: month first), for a reader to settle a whole document.
- **Currencies**: ``CURRENCY_SYMBOLS``, ``CURRENCY_CODES``; ``currency_votes(text)`` weighs
  what a text says (``EUR``, ``€``, ``euros``, ``US$``, ``Fr. 12``, ``Rs 100``, and a bare ``$``
  as weak evidence of USD); ``currency_of(value)`` is the currency one value names.
- **Identifiers**: ``vat_number``/``vat_check`` (EU VAT numbers through
  ``invoicing.domain.identifiers``, and British ones, which python-stdnum checks apart),
  ``vat_id_in``, ``iban_at``/``iban_in``, ``french_id`` and ``siren_siret_in``: only numbers that
  pass their check are returned (never corrected, never invented; a SIRET failing its check
  gives no SIREN either).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import islice

from invoicing.ingest.values import EARLIEST, LATEST, NUMBER_LIMIT, to_decimal

# ------------------------------------------------------------------------------------ amounts

#: Longest written number read (characters): 15 integer digits, groups and decimals fit.
TOKEN_LIMIT = 64
_GROUP_MARKS = str.maketrans("", "", " \u00a0\u202f'\u2019")
_SPACE_GROUPS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f'\u2019]\d{3})+(?:[.,]\d+)?")
_THOUSANDS_ONLY = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
_PLAIN = re.compile(r"\d+(?:[.,]\d+)?")


@lru_cache(maxsize=4096)  # a page's amounts are read again for each label looking at them
def number(token: str, *, money: bool = True) -> Decimal | None:
    """A written number (no sign, no currency) as ``Decimal``; None when it is not one.

    ``"1 234,56"``, ``"1.234,56"``, ``"1,234.56"``, ``"1'234.50"`` -> 1234.56 / 1234.50: spaces
    and apostrophes only between groups of three digits; a single "," is a decimal comma and a
    single "." a decimal point, except that with ``money`` one separator followed by exactly
    three digits groups thousands (``"1,350"`` -> 1350). Longer than ``TOKEN_LIMIT`` characters,
    or reaching ``NUMBER_LIMIT``: None.
    """
    if len(token) > TOKEN_LIMIT:
        return None
    if token.isdigit():  # most of what is read: no separator at all
        value: Decimal | None = Decimal(token)
    else:
        grouped = token.translate(_GROUP_MARKS)
        if grouped != token:
            if not _SPACE_GROUPS.fullmatch(token):
                return None
            token = grouped
        if money and _THOUSANDS_ONLY.fullmatch(token):
            token = token.replace(",", "").replace(".", "")
        # 1234,56 directly; two separators (1.234,56) as the spreadsheets' numbers are read
        value = Decimal(token.replace(",", ".")) if _PLAIN.fullmatch(token) else to_decimal(token)
    if value is None or abs(value) >= NUMBER_LIMIT:
        return None
    return value


# Currencies (used below by the amount readers).

#: Symbols written beside amounts and the currency each stands for (a bare ``$``: USD).
CURRENCY_SYMBOLS: dict[str, str] = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₱": "PHP", "$": "USD"}
#: ISO 4217 codes recognised in text.
CURRENCY_CODES: tuple[str, ...] = (
    "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "RON", "BGN", "INR", "PHP",
)  # fmt: skip
#: A currency written before or after an amount, as a regular expression (no group).
CURRENCY_TOKEN = "(?:[" + "".join(CURRENCY_SYMBOLS) + "]|" + "|".join(CURRENCY_CODES) + r"|Rs\.?|zł)"
#: A currency in a value, in any case, to be set aside before its number is read.
_CURRENCY_IN_VALUE = re.compile(
    "(?<![A-Za-z])(?:" + "|".join(CURRENCY_CODES) + r"|euros?)(?![A-Za-z])"
    "|[" + "".join(CURRENCY_SYMBOLS) + "]",
    re.IGNORECASE,
)
#: What says which currency a text is in, with how much it weighs.
_CURRENCY_EVIDENCE: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"(?<![A-Z])EUR(?![A-Z])|€|(?<!\w)euros?(?!\w)", re.IGNORECASE), "EUR", 2.0),
    (re.compile(r"(?<![A-Z])USD(?![A-Z])|US\$|(?<!\w)US\s+dollars?(?!\w)", re.IGNORECASE), "USD", 2.0),
    (re.compile(r"(?<![A-Z])GBP(?![A-Z])|£|(?<!\w)pounds?\s+sterling(?!\w)"), "GBP", 2.0),
    (re.compile(r"(?<![A-Z])CHF(?![A-Z])|(?<!\w)Fr\.\s?\d"), "CHF", 2.0),
    (re.compile(r"(?<![A-Z])PLN(?![A-Z])|(?<!\w)z[łl](?!\w)"), "PLN", 2.0),
    (re.compile(r"(?<![A-Z])INR(?![A-Z])|₹|(?<!\w)Rs\.?\s?-?\d"), "INR", 2.0),
    (re.compile(r"(?<![A-Z])(?:CAD|C\$)(?![A-Z])"), "CAD", 2.0),
    (re.compile(r"(?<![A-Z])(?:AUD|A\$)(?![A-Z])"), "AUD", 2.0),
    (re.compile(r"(?<![A-Z])(?:JPY)(?![A-Z])|¥"), "JPY", 2.0),
    (re.compile(r"(?<![A-Z])PHP(?![A-Z])|₱"), "PHP", 2.0),
    (re.compile(r"(?<![A-Z])(SEK|DKK|NOK|CZK|HUF|RON|BGN)(?![A-Z])"), "", 2.0),
    (re.compile(r"\$"), "USD", 0.6),
)


def currency_votes(text: str, *, limit: int = 200) -> dict[str, float]:
    """What ``text`` says about its currency: each code with the weight of what names it (at most
    ``limit`` mentions of each kind are counted). A bare ``$`` weighs less than a code."""
    votes: dict[str, float] = {}
    for pattern, code, weight in _CURRENCY_EVIDENCE:
        for m in islice(pattern.finditer(text), limit):
            key = code or m.group(1)
            votes[key] = votes.get(key, 0.0) + weight
    return votes


def currency_of(text: str) -> str | None:
    """The currency one value names (``"12,00 €"`` -> EUR, ``"CAD $12"`` -> CAD), else None."""
    votes = currency_votes(text, limit=10)
    return max(votes, key=votes.__getitem__) if votes else None


# Amounts in one value.

_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d[\d.,']*\d|\d")
_MINUS = ("-", "\u2212", "\u2013")


def parse_amount(text: str, *, money: bool = True) -> Decimal | None:
    """The one number ``text`` writes (a currency, a sign, parentheses and a little OCR noise
    allowed: ``"$899.99 S"``, ``"(12.00)"``, ``"42,00 EUR TTC"``), else None: no number, two
    numbers (``"300-00"``, ``"2 x 3,00"``), a percentage, a sentence."""
    if not text or len(text) > TOKEN_LIMIT or "%" in text:
        return None
    negative = False
    stripped = text.strip()
    if stripped.startswith("(") and stripped.endswith(")"):
        negative, stripped = True, stripped[1:-1]
    stripped = _CURRENCY_IN_VALUE.sub(" ", stripped).replace("'", "").replace("\u2019", "")
    tokens = _NUMBER.findall(stripped)
    if len(tokens) != 1:
        return None
    token = tokens[0]
    before, _, after = stripped.partition(token)
    noise = (before + after).strip()
    if any(c.isdigit() for c in noise) or len(noise) > 12 or before.endswith("/"):
        return None  # another number, a sentence, or a cut-off ("/6.50" is an unread "76.50")
    if before.strip().endswith(_MINUS) or (not before.strip() and after.strip() in _MINUS):
        negative = not negative
    value = number(token, money=money)
    if value is None:
        return None
    return -value if negative else value


# Amounts in a line of laid-out text.

_AMOUNT = re.compile(
    rf"""
    (?<![\w.,/:+])
    (?P<neg>\(\s*|[-−–]\s?)?
    (?:{CURRENCY_TOKEN}\s?)?
    (?P<neg2>[-−–]\s?)?
    (?P<num>\d{{1,3}}(?P<sep>[ .,'’])\d{{3}}(?:(?P=sep)\d{{3}})*(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?)
    (?![\d]|[.,]\d|/\d|:\d|\w)
    (?P<pct>\s?%)?
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class FoundAmount:
    """An amount of a line (negative with a minus or in parentheses) and where it is written."""

    value: Decimal
    start: int
    end: int
    #: Written with a "%" after it: a rate, not money.
    percent: bool


def find_amounts(line: str, masks: Iterable[tuple[int, int]] = ()) -> list[FoundAmount]:
    """Every amount of ``line`` (``1 234,56``, ``€ 12``, ``-5,00``, ``(12.00)``, ``20 %``), in
    order; the spans in ``masks`` (dates, identifiers already found) are not read. At most two
    decimals: ``1.2345`` is no amount, ``1.234`` is 1234."""
    masks = list(masks)
    if masks:
        chars = list(line)
        for s, e in masks:
            chars[s:e] = " " * (e - s)
        line = "".join(chars)
    out = []
    for m in _AMOUNT.finditer(line):
        value = number(m.group("num"))
        if value is None:
            continue
        if m.group("neg") or m.group("neg2"):
            value = -value
        out.append(FoundAmount(value, m.start(), m.end(), bool(m.group("pct"))))
    return out


# -------------------------------------------------------------------------------------- dates

_MONTH_NAMES = (
    "janvier janv jan january januar jänner januari",
    "février fevrier févr fevr fév fev feb february februar februari",
    "mars mar march märz maerz maart",
    "avril avr apr april",
    "mai may mei",
    "juin jun june juni",
    "juillet juil jul july juli",
    "août aout aug august augustus",
    "septembre sept sep september",
    "octobre oct october oktober okt",
    "novembre nov november",
    "décembre decembre déc dec december dezember dez",
)


def fold(text: str) -> str:
    """Lowercase, accents off: ``"Févr"`` -> ``"fevr"``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Month names and abbreviations (French, English, German, Dutch; lowercase, with and without
#: accents) -> month number.
MONTHS: dict[str, int] = {
    spelling: month
    for month, names in enumerate(_MONTH_NAMES, start=1)
    for name in names.split()
    for spelling in (name, fold(name))
}
#: The names of ``MONTHS`` as a regular expression (longest first: "juillet" before "juil").
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))


def month_number(word: str, *, prefix: bool = False) -> int | None:
    """The month ``word`` names (any case, accents or not); with ``prefix``, also any start of
    three letters or more of one month's names only (``"Sept"``, ``"Febr"``; ``"jui"``: None)."""
    folded = fold(word)
    if (found := MONTHS.get(folded)) is not None or not prefix or len(folded) < 3:
        return found
    months = {m for name, m in MONTHS.items() if name.startswith(folded)}
    return months.pop() if len(months) == 1 else None


def _date_patterns(month: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return (
        ("ymd", re.compile(r"(?<![\d.,/-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d])")),
        (
            "dmy",
            re.compile(r"(?<![\d.,/-])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d]|[.,/-]\d)"),
        ),
        (
            "d_month_y",
            re.compile(
                rf"(?<![\w.,])(\d{{1,2}})(?:er|st|nd|rd|th)?\.?(?:\s*|[-/])(?:de\s+)?({month})\.?,?"
                rf"(?:\s*|[-/])(?:de\s+)?(\d{{4}})(?!\d)",
                re.IGNORECASE,
            ),
        ),
        (
            "month_d_y",
            re.compile(
                rf"(?<![\w])({month})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)", re.IGNORECASE
            ),
        ),
    )


_DATE_PATTERNS = _date_patterns(MONTH_PATTERN)
_DATE_PATTERNS_PREFIX = _date_patterns(r"[^\W\d_]{3,}")
_NUMERIC_DATE = _DATE_PATTERNS[1][1]
_DIGIT = re.compile(r"\d")


def make_date(
    year: int, month: int, day: int, *, earliest: date = EARLIEST, latest: date = LATEST
) -> date | None:
    """The date, a 2-digit year being 20xx; None when there is no such day or it is out of range."""
    if year < 100:
        year += 2000
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if earliest <= value <= latest else None


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date of a text and where it is written."""

    value: date
    start: int
    end: int


def find_dates(
    text: str,
    *,
    month_first: bool = False,
    month_prefix: bool = False,
    earliest: date = EARLIEST,
    latest: date = LATEST,
) -> list[FoundDate]:
    """Every date of ``text``, in order (see the module docstring for the forms read).

    A numeric date is read day first, or month first with ``month_first``, and in the other
    order when the first gives no date (``13/01`` is always 13 January). A date outside
    ``earliest``..``latest`` (2000-2099 unless told) is no date.
    """
    if not _DIGIT.search(text):  # every date has digits
        return []
    found: list[FoundDate] = []
    for kind, pattern in _DATE_PATTERNS_PREFIX if month_prefix else _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < f.end and m.end() > f.start for f in found):
                continue
            g = m.groups()
            value: date | None = None
            if kind == "ymd":
                value = make_date(int(g[0]), int(g[2]), int(g[3]), earliest=earliest, latest=latest)
            elif kind == "dmy":
                first, second, year = int(g[0]), int(g[2]), int(g[3])
                day_first = (year, second, first)
                orders = ((year, first, second), day_first) if month_first and first <= 12 else (day_first,)
                for y, mo, d in (*orders, (year, first, second)):
                    if (value := make_date(y, mo, d, earliest=earliest, latest=latest)) is not None:
                        break
            else:
                day, name = (g[0], g[1]) if kind == "d_month_y" else (g[1], g[0])
                if (month := month_number(name, prefix=month_prefix)) is not None:
                    value = make_date(int(g[2]), month, int(day), earliest=earliest, latest=latest)
            if value is not None:
                found.append(FoundDate(value, m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


def parse_date(text: str, *, month_first: bool = False, month_prefix: bool = True) -> date | None:
    """The first date ``text`` writes (2000-2099), else None; month names may be abbreviated."""
    found = find_dates(text, month_first=month_first, month_prefix=month_prefix)
    return found[0].value if found else None


def date_order(text: str) -> int:
    """How ``text``'s numeric dates can only be read: +1 for each that is month first only
    (``01/31/2021``), -1 for each that is day first only (``31/01/2021``); 0: either."""
    votes = 0
    for m in _NUMERIC_DATE.finditer(text):
        first, second = int(m.group(1)), int(m.group(3))
        if first <= 12 < second <= 31:
            votes += 1
        elif second <= 12 < first <= 31:
            votes -= 1
    return votes


# -------------------------------------------------------------------------------- identifiers

#: Country prefixes of VAT numbers (EU members, Greece both as EL and GR, Northern Ireland, Britain).
VAT_PREFIXES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "GR", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI", "GB",
)  # fmt: skip
#: A VAT number as written: its prefix (group 1), then 8 to 14 characters, spaced or not (group 2).
VAT_ID = re.compile(rf"(?<![A-Za-z0-9])({'|'.join(VAT_PREFIXES)})((?:[ .\-]?[0-9A-Z]){{8,14}})")
#: An IBAN as written, in groups of four or not (group 1).
IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,32})")
_VAT_START = re.compile(rf"(?:{'|'.join(VAT_PREFIXES)})(?=[0-9A-Z]{{2}})")
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}(?=[A-Z0-9]{10})")
_DIGIT_RUN = re.compile(r"\d(?:[ .\u00a0\u202f]?\d)*")
_SEPARATORS = re.compile(r"[\s.\-/:\u00a0\u202f]")
_NOT_DIGIT = re.compile(r"\D")


def compact(text: str) -> str:
    """``text`` uppercase without the spaces, dots, dashes, slashes and colons that group a number."""
    return _SEPARATORS.sub("", text.upper())


def vat_number(candidate: str) -> str:
    """``candidate`` as a valid VAT number, compact (``FR44732829320``); raises ``ValueError``
    (from python-stdnum's ``ValidationError``) otherwise."""
    if candidate[:2].upper() == "GB":  # not in python-stdnum's EU list since Brexit
        from stdnum.gb import vat as gb_vat

        return "GB" + str(gb_vat.validate(candidate[2:]))
    from invoicing.domain import identifiers

    return identifiers.vat_id(candidate)


def vat_check(candidate: str) -> bool | None:
    """True: a valid VAT number (compact, with its prefix); False: well-formed but its check
    digits are wrong; None: not a VAT number."""
    from stdnum.exceptions import InvalidChecksum

    try:
        vat_number(candidate)
    except ValueError as error:  # stdnum's own (British) or identifiers' wrapping it
        checksum = isinstance(error, InvalidChecksum) or isinstance(error.__cause__, InvalidChecksum)
        return False if checksum else None
    return True


def vat_id_in(text: str) -> str | None:
    """The first valid VAT number written in ``text`` (country prefix required, spacing ignored)."""
    written = compact(text)[:100]
    for start in _VAT_START.finditer(written):
        for end in range(min(len(written), start.start() + 16), start.start() + 3, -1):
            try:
                return vat_number(written[start.start() : end])
            except ValueError:
                continue
    return None


def iban_at(written: str) -> str | None:
    """The longest valid IBAN ``written`` (compact) starts with, else None."""
    from invoicing.domain import identifiers

    for length in range(min(34, len(written)), 14, -1):
        try:
            return identifiers.iban(written[:length])
        except ValueError:
            continue
    return None


def iban_in(text: str) -> str | None:
    """The first valid IBAN written in ``text`` (in groups of four or not)."""
    written = compact(text)[:100]
    for start in _IBAN_START.finditer(written):
        if found := iban_at(written[start.start() :]):
            return found
    return None


def french_id(digits: str) -> str | None:
    """``digits`` as a valid SIRET (14 digits) or SIREN (9 digits), else None."""
    from invoicing.domain import identifiers

    try:
        if len(digits) == 14:
            return identifiers.siret(digits)
        if len(digits) == 9:
            return identifiers.siren(digits)
    except ValueError:
        return None
    return None


def siren_siret_in(text: str) -> tuple[str | None, str | None]:
    """(SIREN, SIRET) first written in ``text`` (digits grouped with spaces or dots), each if valid.

    A SIRET whose check fails gives no SIREN either: its first nine digits are not trusted."""
    siren = siret = None
    for run in _DIGIT_RUN.findall(text[:400]):
        found = french_id(_NOT_DIGIT.sub("", run))
        if found is None:
            continue
        if len(found) == 14 and siret is None:
            siret = found
        elif len(found) == 9 and siren is None:
            siren = found
    return siren, siret
