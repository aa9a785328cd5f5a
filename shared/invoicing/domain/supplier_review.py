"""Whether a supplier invoice read from its document can be booked as it is, or waits for the owner.

``review(invoice, today=..., duplicate_of=..., file_seen_in=..., our_ids=...)`` checks what was
read and returns ``Review(status, problems)``: ``ready`` when nothing is doubtful, ``to_review``
with every reason otherwise (``invoicing.domain.problems`` words them in French and English;
``column`` is the record's field). Nothing here refuses a document: a doubtful invoice is kept
and shown to a person, never dropped.

The checks:

- **Arithmetic**: total excl. VAT + VAT = total incl. VAT, to the cent. Per rate when the
  document gives the breakdown: each rate's tax is its base × rate rounded half-up, within one
  cent (suppliers round per line, which moves the tax by a cent; more is an error); the rates'
  taxes add up to the VAT total.
- **Identifiers**: SIREN and SIRET by their Luhn key, the VAT id by its country's rule
  (python-stdnum), a French VAT id's key against the SIREN, the IBAN (schwifty). An extractor
  keeps an invalid identifier out of its record, so these mostly catch corrected values.
- **Dates**: an invoice dated after today (one day of slack for time zones), or more than
  ``OLD_AFTER_DAYS`` ago (a forgotten invoice or one already booked), a due date before the issue date.
- **Duplicates**: the same file already received (its SHA-256), or the same supplier and invoice
  number already recorded under another file.
- **Mandatory mentions** (article 242 nonies A of annex II to the CGI, as far as they matter to the
  books): supplier name, its identification (SIREN, SIRET or VAT id), invoice number, issue date,
  totals excl. VAT and incl. VAT, the VAT (or none when the totals are equal).
- **Reading**: a field an extractor read with a confidence below ``CONFIDENCE_FLOOR`` (the exact
  engines, XML, give 1.0); a currency other than the euro (the books need its euro value); an
  invoice issued by the business itself (its own SIREN or VAT id as the supplier's: a sales invoice
  dropped in the wrong place).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from invoicing.domain import identifiers
from invoicing.domain.money import CENT, ZERO
from invoicing.domain.problems import Problem
from invoicing.domain.supplier_invoice import SupplierInvoice

#: Below this, what an extractor read is shown to the owner before it is booked.
CONFIDENCE_FLOOR = 0.8
#: Fields whose uncertain reading matters to the books.
KEY_FIELDS = (
    "supplier_name",
    "invoice_number",
    "issue_date",
    "total_excl_tax",
    "total_tax",
    "total_incl_tax",
)
OLD_AFTER_DAYS = 365
#: A rate's tax may differ from base × rate by this much (rounding per line).
RATE_TOLERANCE = CENT

_MENTIONS = {
    "supplier_name": ("nom du fournisseur", "supplier name"),
    "supplier_id": ("SIREN, SIRET ou n° de TVA du fournisseur", "supplier SIREN, SIRET or VAT id"),
    "invoice_number": ("numéro de facture", "invoice number"),
    "issue_date": ("date de facture", "invoice date"),
    "total_excl_tax": ("total HT", "total excl. VAT"),
    "total_tax": ("montant de TVA", "VAT amount"),
    "total_incl_tax": ("total TTC", "total incl. VAT"),
}


#: How a field is named to people (French, English).
_LABELS = {
    **_MENTIONS,
    "supplier_name": ("fournisseur", "supplier"),
    "issue_date": ("date", "date"),
    "total_tax": ("TVA", "VAT"),
}


class Status(StrEnum):
    READY = "ready"
    TO_REVIEW = "to_review"


@dataclass(frozen=True, slots=True)
class Review:
    status: Status
    problems: tuple[Problem, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


def review(
    invoice: SupplierInvoice,
    *,
    today: date,
    duplicate_of: str | None = None,
    file_seen_in: str | None = None,
    our_ids: Iterable[str] = (),
) -> Review:
    """``duplicate_of``: what already holds this supplier's invoice number (a reference for
    people); ``file_seen_in``: the same for this very file; ``our_ids``: the business's own
    SIREN and VAT id."""
    problems: list[Problem] = []
    problems += _mentions(invoice)
    problems += _arithmetic(invoice)
    problems += _identifiers(invoice)
    problems += _dates(invoice, today)
    if file_seen_in:
        problems.append(Problem("supplier_duplicate_file", params={"other": file_seen_in}))
    if duplicate_of:
        problems.append(
            Problem(
                "supplier_duplicate_number",
                column="invoice_number",
                value=invoice.invoice_number,
                params={"number": invoice.invoice_number, "other": duplicate_of},
            )
        )
    ours = {i for i in our_ids if i}
    if ours & {invoice.supplier_siren, invoice.supplier_vat_id, (invoice.supplier_siret or "")[:9]}:
        problems.append(Problem("supplier_is_us", column="supplier_name", value=invoice.supplier_name))
    if invoice.currency is not None and invoice.currency != "EUR":
        problems.append(
            Problem(
                "supplier_currency",
                column="currency",
                value=invoice.currency,
                params={"currency": invoice.currency},
            )
        )
    if not invoice.engine.exact:
        doubtful = [
            name
            for name in KEY_FIELDS
            if getattr(invoice, name) is not None and invoice.confidence.get(name, 0.0) < CONFIDENCE_FLOOR
        ]
        if doubtful:
            names = ", ".join(f"{_LABELS[name][0]} ({_LABELS[name][1]})" for name in doubtful)
            problems.append(Problem("supplier_low_confidence", params={"fields": names}))
    return Review(Status.TO_REVIEW if problems else Status.READY, tuple(problems))


def _missing(key: str) -> Problem:
    fr, en = _MENTIONS[key]
    return Problem("supplier_missing", column=key, params={"mention": f"{fr} / {en}"})


def _mentions(invoice: SupplierInvoice) -> list[Problem]:
    out = []
    if not invoice.supplier_name:
        out.append(_missing("supplier_name"))
    if not (invoice.supplier_siren or invoice.supplier_siret or invoice.supplier_vat_id):
        out.append(_missing("supplier_id"))
    for key in ("invoice_number", "issue_date", "total_excl_tax", "total_incl_tax"):
        if getattr(invoice, key) is None:
            out.append(_missing(key))
    if invoice.total_tax is None and not (
        invoice.total_excl_tax is not None and invoice.total_excl_tax == invoice.total_incl_tax
    ):
        out.append(_missing("total_tax"))
    return out


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _arithmetic(invoice: SupplierInvoice) -> list[Problem]:
    out = []
    excl, tax, incl = invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax
    if excl is not None and incl is not None:
        expected = excl + (tax or ZERO)
        if expected != incl:
            out.append(
                Problem(
                    "supplier_totals_mismatch",
                    column="total_incl_tax",
                    value=_money(incl),
                    params={
                        "excl": _money(excl),
                        "tax": _money(tax or ZERO),
                        "expected": _money(expected),
                        "incl": _money(incl),
                    },
                )
            )
    for vat in invoice.vat:
        if vat.base is None:
            continue
        expected = (vat.base * vat.rate / 100).quantize(CENT, ROUND_HALF_UP)
        if abs(expected - vat.tax) > RATE_TOLERANCE:
            out.append(
                Problem(
                    "supplier_vat_rate_mismatch",
                    column="vat",
                    value=_money(vat.tax),
                    params={
                        "rate": f"{vat.rate.normalize():f}",
                        "base": _money(vat.base),
                        "expected": _money(expected),
                        "tax": _money(vat.tax),
                    },
                )
            )
    if invoice.vat and tax is not None:
        total = sum((v.tax for v in invoice.vat), ZERO)
        if total != tax:
            breakdown = " + ".join(f"{_money(v.tax)} ({v.rate.normalize():f} %)" for v in invoice.vat)
            out.append(
                Problem(
                    "supplier_vat_breakdown_mismatch",
                    column="total_tax",
                    value=_money(tax),
                    params={"breakdown": breakdown, "total": _money(tax)},
                )
            )
    return out


def _identifiers(invoice: SupplierInvoice) -> list[Problem]:
    out = []
    checks = (
        ("supplier_siren", identifiers.siren, "bad_siren"),
        ("supplier_siret", identifiers.siret, "supplier_bad_siret"),
        ("supplier_vat_id", identifiers.vat_id, "bad_vat_id"),
        ("supplier_iban", identifiers.iban, "supplier_bad_iban"),
    )
    valid: dict[str, str] = {}
    for name, check, code in checks:
        value = getattr(invoice, name)
        if not value:
            continue
        try:
            valid[name] = check(value)
        except ValueError:
            out.append(Problem(code, column=name, value=value))
    siren = valid.get("supplier_siren") or (valid.get("supplier_siret") or "")[:9]
    vat = valid.get("supplier_vat_id")
    if siren and vat and not identifiers.vat_id_matches_siren(vat, siren):
        out.append(Problem("vat_id_siren_mismatch", column="supplier_vat_id", value=vat))
    return out


def _dates(invoice: SupplierInvoice, today: date) -> list[Problem]:
    out = []
    issued = invoice.issue_date
    if issued is not None:
        if issued > today + timedelta(days=1):
            out.append(
                Problem(
                    "supplier_date_future",
                    column="issue_date",
                    value=issued.isoformat(),
                    params={"date": issued.isoformat()},
                )
            )
        elif issued < today - timedelta(days=OLD_AFTER_DAYS):
            out.append(
                Problem(
                    "supplier_date_old",
                    column="issue_date",
                    value=issued.isoformat(),
                    params={"date": issued.isoformat(), "days": OLD_AFTER_DAYS},
                )
            )
        if invoice.due_date is not None and invoice.due_date < issued:
            out.append(
                Problem(
                    "supplier_due_before_issue",
                    column="due_date",
                    value=invoice.due_date.isoformat(),
                    params={"due": invoice.due_date.isoformat(), "issued": issued.isoformat()},
                )
            )
    return out
