"""French and English number, money and date formats, from babel's CLDR data.

Locales and patterns are parsed once per process; formatting an amount then costs ~10 us,
which matters when an invoice prints a hundred of them in a few milliseconds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import parse_pattern

from invoicing.domain.money import round_money

_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@cache
def _locale(locale: str) -> Locale:
    return Locale.parse(_BABEL_LOCALES.get(locale, "fr_FR"))


@cache
def _pattern(spec: str):
    return parse_pattern(spec)


def money(amount: Decimal, locale: str) -> str:
    """``1 234,50 €`` (fr) or ``€1,234.50`` (en), rounded half-up like every amount."""
    loc = _locale(locale)
    return loc.currency_formats["standard"].apply(round_money(amount), loc, currency="EUR")


def amount(value: Decimal, locale: str) -> str:
    """Two decimals, grouped, no currency sign: ``1 234,50``."""
    return _pattern("#,##0.00").apply(round_money(value), _locale(locale))


def unit_price(value: Decimal, locale: str) -> str:
    """At least two decimals, up to six when the price has them: ``0,0125``."""
    return _pattern("#,##0.00####").apply(value, _locale(locale))


def quantity(value: Decimal, locale: str) -> str:
    """As many decimals as needed, up to four: ``2,5``, ``1 200``."""
    return _pattern("#,##0.####").apply(value, _locale(locale))


def percent(rate: Decimal, locale: str) -> str:
    """``20 %``, ``5,5 %`` (French puts a narrow no-break space before %), ``5.5%`` in English."""
    number = _pattern("#,##0.####").apply(rate, _locale(locale))
    return f"{number}%" if locale == "en" else f"{number}\u202f%"


def day(value: date, locale: str) -> str:
    """``23/11/2026`` in both languages (the European order)."""
    return format_date(value, "dd/MM/yyyy", locale=_locale(locale))


def long_day(value: date, locale: str) -> str:
    """``23 novembre 2026`` or ``23 November 2026``."""
    return format_date(value, "d MMMM yyyy", locale=_locale(locale))


def grouped(digits: str, size: int, sep: str = " ") -> str:
    """``732829320`` -> ``732 829 320``: how SIREN and SIRET are usually printed."""
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


def siret(value: str) -> str:
    return f"{grouped(value[:9], 3)} {value[9:]}"
