"""Cell text to values: numbers, dates, VAT, discounts, terms, countries, languages.

Every parser takes a ``Cell`` (the raw text, its spreadsheet row and its header as written in
the file) and returns the value or a ``Problem`` naming that row, column and value. Numbers are
``Decimal``, never float. The text forms accepted are those French spreadsheets produce:
decimal comma, spaces (including the narrow no-break space Excel uses) as thousands
separators, "€" after amounts, dd/mm/yyyy dates, "5,5 %" rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from invoicing.domain.invoice import Discount, DocumentType
from invoicing.domain.parties import Locale, VatRegime
from invoicing.domain.problems import Problem
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.text import forbidden_characters
from invoicing.domain.vat import FRENCH_RATES, VatTreatment
from invoicing.ingest.columns import normalise

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
QUANTITY_PLACES = 4
PRICE_PLACES = 6
DISCOUNT_AMOUNT_PLACES = 2
#: No number in an input reaches this: beyond it, Decimal arithmetic at 28 digits would fail.
NUMBER_LIMIT = Decimal(10) ** 15
#: A quantity or a unit price reaches neither; their product stays far inside exact arithmetic.
QUANTITY_PRICE_LIMIT = Decimal(10) ** 9


@dataclass(frozen=True)
class Cell:
    """A cell's text with where it is: spreadsheet row and header as written in the file."""

    raw: str
    row: int
    column: str

    @property
    def blank(self) -> bool:
        return not self.raw.strip()

    def problem(self, code: str, **params: object) -> Problem:
        return Problem(code, row=self.row, column=self.column, value=self.raw, params=dict(params))


# ------------------------------------------------------------------------------------ numbers

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\t")
_CURRENCY = re.compile(r"^(?:€|eur)?(.*?)(?:€|eur|euros?)?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


def to_decimal(text: str) -> Decimal | None:
    """``"1 234,56 €"`` -> ``Decimal("1234.56")``; None when the text is not a plain number.

    With both "," and "." the last one is the decimal separator and the other groups thousands
    (groups of three digits); a single "," is a decimal comma; a single "." a decimal point.
    """
    cleaned = text.translate(_SPACES)
    match = _CURRENCY.match(cleaned)
    cleaned = match.group(1) if match else cleaned
    sign = ""
    if cleaned[:1] in ("-", "+", "\u2212"):
        sign = "-" if cleaned[0] != "+" else ""
        cleaned = cleaned[1:]
    if not cleaned:
        return None
    has_comma, has_point = "," in cleaned, "." in cleaned
    if has_comma and has_point:
        decimal_sep = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        pattern = rf"\d{{1,3}}(?:{re.escape(group_sep)}\d{{3}})+{re.escape(decimal_sep)}\d+"
        if not re.fullmatch(pattern, cleaned):
            return None
        canonical = cleaned.replace(group_sep, "").replace(decimal_sep, ".")
    elif has_comma or has_point:
        sep = "," if has_comma else "."
        if cleaned.count(sep) == 1:
            if not re.fullmatch(rf"\d+{re.escape(sep)}\d*|{re.escape(sep)}\d+", cleaned):
                return None
            canonical = cleaned.replace(sep, ".")
        else:  # 1.234.567 or 1,234,567: thousands only
            if not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", cleaned):
                return None
            canonical = cleaned.replace(sep, "")
    elif _DIGITS.fullmatch(cleaned):
        canonical = cleaned
    else:
        return None
    try:
        return Decimal(sign + canonical)
    except InvalidOperation:  # pragma: no cover - the patterns above only let digits through
        return None


def places(number: Decimal) -> int:
    """Significant decimal places: 2.50 -> 1, 3 -> 0, 0.125 -> 3."""
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def parse_number(cell: Cell) -> Decimal | Problem:
    if cell.blank:
        return cell.problem("required")
    number = to_decimal(cell.raw)
    if number is None:
        return cell.problem("bad_number")
    if abs(number) >= NUMBER_LIMIT:
        return cell.problem("number_too_large", limit=_plain_limit(NUMBER_LIMIT))
    return number


def _plain_limit(limit: Decimal) -> str:
    return f"{limit:,.0f}".replace(",", " ")


def parse_quantity(cell: Cell) -> Decimal | Problem:
    """Strictly positive, at most 4 decimals (a return is a credit note, not a negative line)."""
    number = parse_number(cell)
    if isinstance(number, Problem):
        return number
    if number <= 0:
        return cell.problem("not_positive")
    if number >= QUANTITY_PRICE_LIMIT:
        return cell.problem("number_too_large", limit=_plain_limit(QUANTITY_PRICE_LIMIT))
    if places(number) > QUANTITY_PLACES:
        return cell.problem("too_precise", places=QUANTITY_PLACES)
    return number


def parse_unit_price(cell: Cell) -> Decimal | Problem:
    """Zero or more (a free line is allowed), at most 6 decimals."""
    number = parse_number(cell)
    if isinstance(number, Problem):
        return number
    if number < 0:
        return cell.problem("negative")
    if number >= QUANTITY_PRICE_LIMIT:
        return cell.problem("number_too_large", limit=_plain_limit(QUANTITY_PRICE_LIMIT))
    if places(number) > PRICE_PLACES:
        return cell.problem("too_precise", places=PRICE_PLACES)
    return number


# -------------------------------------------------------------------------------------- dates

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}){_TIME}")
_YMD = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")


def parse_date(cell: Cell) -> date | Problem:
    """dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd, from 2000 to 2099.

    A time of day after the date (as some exports write it) is ignored.
    """
    if cell.blank:
        return cell.problem("required")
    text = cell.raw.strip()
    if match := _DMY.fullmatch(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    elif match := _YMD.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        return cell.problem("bad_date")
    try:
        value = date(year, month, day)
    except ValueError:
        return cell.problem("bad_date")
    if not EARLIEST <= value <= LATEST:
        return cell.problem(
            "date_out_of_range", earliest=EARLIEST.strftime("%d/%m/%Y"), latest=LATEST.strftime("%d/%m/%Y")
        )
    return value


# ---------------------------------------------------------------------------------------- VAT

#: Normalised spellings of each exemption reason -> key in invoicing.domain.vat.EXEMPTIONS.
EXEMPTION_ALIASES: dict[str, str] = {
    "autoliquidation": "autoliquidation",
    "auto_liquidation": "autoliquidation",
    "reverse_charge": "autoliquidation",
    "ae": "autoliquidation",
    "intracom": "intracom",
    "intracommunautaire": "intracom",
    "livraison_intracommunautaire": "intracom",
    "intra_eu": "intracom",
    "k": "intracom",
    "export": "export",
    "exportation": "export",
    "g": "export",
}


def parse_rate(cell: Cell) -> Decimal | None:
    """``"5,5 %"`` -> ``Decimal("5.5")``; None when unreadable."""
    text = cell.raw.strip()
    if text.endswith("%"):
        text = text[:-1]
    return to_decimal(text)


def parse_vat(rate: Cell, exemption: Cell, regime: VatRegime = VatRegime.NORMAL) -> VatTreatment | Problem:
    """The VAT of a line from its rate and exemption cells.

    - franchise en base: every line is exempt (art. 293 B); a blank or 0 rate is fine, any
      other rate is refused;
    - a French rate (20, 10, 5.5, 2.1) with no exemption reason;
    - 0 (or blank) with an exemption reason: autoliquidation, intracom or export.
    """
    value = None if rate.blank else parse_rate(rate)
    if not rate.blank and value is None:
        return rate.problem("unknown_vat_rate")
    if regime is VatRegime.FRANCHISE:
        if value is not None and value != 0:
            return rate.problem("franchise_with_vat")
        return VatTreatment.exempt("franchise")
    if value is None:
        if exemption.blank:
            return rate.problem("required")
        value = Decimal(0)
    if value != 0:
        known = next((r for r in FRENCH_RATES if r == value), None)
        if known is None:
            return rate.problem("unknown_vat_rate")
        if not exemption.blank:
            return exemption.problem("exemption_with_rate")
        return VatTreatment.standard(known)
    if exemption.blank:
        return exemption.problem("zero_rate_needs_reason")
    key = EXEMPTION_ALIASES.get(normalise(exemption.raw))
    if key is None:
        return exemption.problem("unknown_exemption")
    return VatTreatment.exempt(key)


# ---------------------------------------------------------------------------------- discounts


def parse_discount(cell: Cell) -> Discount | Problem | None:
    """Blank or zero -> None; ``"10 %"`` -> 10 percent; ``"25,00"`` -> 25.00 EUR excl. VAT."""
    if cell.blank:
        return None
    text = cell.raw.strip()
    if text.endswith("%"):
        percent = to_decimal(text[:-1])
        if percent is None or not 0 <= percent <= 100:
            return cell.problem("bad_discount")
        return Discount(percent=percent) if percent else None
    amount = to_decimal(text)
    if amount is None or amount < 0 or places(amount) > DISCOUNT_AMOUNT_PLACES:
        return cell.problem("bad_discount")
    return Discount(amount=amount) if amount else None


# -------------------------------------------------------------------------------- other texts


def parse_text(cell: Cell, *, limit: int, required: bool = False) -> str | Problem | None:
    """Stripped text; None when blank and optional; ``required`` / ``text_too_long`` problems."""
    text = cell.raw.strip()
    if not text:
        return cell.problem("required") if required else None
    if len(text) > limit:
        return cell.problem("text_too_long", limit=limit)
    refused = forbidden_characters(text)
    if refused:
        return cell.problem("forbidden_characters", chars=", ".join(refused))
    return text


_DOCUMENT_TYPES: dict[str, DocumentType] = {
    "facture": DocumentType.INVOICE,
    "invoice": DocumentType.INVOICE,
    "380": DocumentType.INVOICE,
    "avoir": DocumentType.CREDIT_NOTE,
    "credit": DocumentType.CREDIT_NOTE,
    "credit_note": DocumentType.CREDIT_NOTE,
    "note_de_credit": DocumentType.CREDIT_NOTE,
    "381": DocumentType.CREDIT_NOTE,
}


def parse_document_type(cell: Cell) -> DocumentType | Problem:
    """facture/invoice (also when blank) or avoir/credit/credit_note."""
    if cell.blank:
        return DocumentType.INVOICE
    found = _DOCUMENT_TYPES.get(normalise(cell.raw))
    return cell.problem("bad_document_type") if found is None else found


def parse_terms(cell: Cell) -> PaymentTerms | Problem | None:
    if cell.blank:
        return None
    try:
        return PaymentTerms.parse(cell.raw)
    except ValueError:
        return cell.problem("bad_terms")


_LOCALES: dict[str, Locale] = {
    "fr": Locale.FR,
    "fr_fr": Locale.FR,
    "francais": Locale.FR,
    "french": Locale.FR,
    "en": Locale.EN,
    "en_gb": Locale.EN,
    "en_us": Locale.EN,
    "anglais": Locale.EN,
    "english": Locale.EN,
}


def parse_locale(cell: Cell, default: Locale) -> Locale | Problem:
    if cell.blank:
        return default
    found = _LOCALES.get(normalise(cell.raw))
    return cell.problem("bad_locale") if found is None else found


_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
    ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID
    IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR
    NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC
    VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
#: ISO 3166-1 alpha-2 codes.
ISO_COUNTRIES = frozenset(_ISO_CODES.split())

#: Country names people write instead of the code (normalised).
COUNTRY_NAMES: dict[str, str] = {
    "france": "FR",
    "belgique": "BE",
    "belgium": "BE",
    "allemagne": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "espagne": "ES",
    "spain": "ES",
    "italie": "IT",
    "italy": "IT",
    "luxembourg": "LU",
    "pays_bas": "NL",
    "netherlands": "NL",
    "suisse": "CH",
    "switzerland": "CH",
    "royaume_uni": "GB",
    "united_kingdom": "GB",
    "uk": "GB",
    "portugal": "PT",
    "irlande": "IE",
    "ireland": "IE",
    "etats_unis": "US",
    "united_states": "US",
    "usa": "US",
}


def parse_country(cell: Cell) -> str | Problem:
    """Blank -> FR; an ISO alpha-2 code in any case or a common country name -> the code."""
    if cell.blank:
        return "FR"
    text = cell.raw.strip()
    if len(text) == 2 and text.upper() in ISO_COUNTRIES:
        return text.upper()
    found = COUNTRY_NAMES.get(normalise(text))
    return cell.problem("bad_country") if found is None else found
