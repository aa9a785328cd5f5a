"""Amazon Textract AnalyzeExpense responses to a ``SupplierInvoice``, and Textract's completion notice.

Pure: standard library, python-stdnum and schwifty (through ``invoicing.domain.identifiers``),
no boto3, no I/O. Amounts, dates, currencies and identifiers are read as every supplier reader
reads them, by ``invoicing.ingest.invoice_values``. Two entry points:

- ``expense_to_invoice(responses, document_hash=...)``: one AnalyzeExpense response, or the pages
  of GetExpenseAnalysis (their ``ExpenseDocuments`` are concatenated: a multi-page invoice comes
  as one ExpenseDocument spanning pages or as one per page, and both read the same), mapped to
  the normalised record with a confidence per field (Textract's 0-100 made 0-1). It never fails
  on what Textract returned: a missing key, a wrong type, an empty response give a record with
  fewer fields, not an exception.
- ``textract_completion(message)``: the notification Textract publishes on SNS when
  StartExpenseAnalysis ends, given as the SNS ``Message`` or as the SQS body of an SNS-to-SQS
  delivery; anything else is a ``ValueError`` saying what was expected.

How Textract's answer is read:

- **Fields** by ``Type.Text``, with ``LabelDetection`` (the words printed beside the value) to
  disambiguate and to find what Textract has no type for: ``OTHER`` fields labelled "IBAN",
  "SIRET", "SIREN", "RCS", "N° TVA", "TVA 20 %", "Net à payer"... Supplier fields come from
  VENDOR_* types and NAME/VAT fields grouped VENDOR; buyer fields from RECEIVER_* types and
  groups (bill-to before sold-to before ship-to; an "Attn:" contact person is not the buyer).
  A text is one line: refused characters (``invoicing.domain.text``: controls, bidi overrides,
  zero-width...) removed, white space folded, cut to ``TEXT_LIMIT`` (``DESCRIPTION_LIMIT`` for
  line descriptions), and only the first ``RAW_LIMIT`` characters of a value are ever looked at.
- **Totals**: Textract's SUBTOTAL/TOTAL follow the words, not the accounting ("Total" can come
  back as SUBTOTAL and "Grand Total" as TOTAL; a "Total HT" as TOTAL). Every money field gets a
  role from its label first ("HT", "TTC", "TVA", "net à payer", "acompte"...) then from its type;
  a bare "Total" can be either. The excl./tax/incl. triple that adds up exactly
  (HT + TVA = TTC) is chosen when there is one; otherwise each role's most likely field. Taxes
  labelled with a rate ("TVA 20 %", "VAT 5.5%", "MwSt. 19 %") become ``VatAmount``s and their sum
  is a tax option of its own. ``amount_due`` is what a "due" field says, else the total minus
  what a "paid" field says (a receipt paid at the till is due 0.00).
- **Amounts** in French, German and English writing (``1 234,56 €``, ``1.234,56``,
  ``1,234.56``, ``$120.00``, ``(12.00)``), through ``invoice_values.parse_amount``; a
  single separator followed by three digits is a thousands separator in an amount
  (``$1,350`` is 1350), never in a quantity. OCR noise around one number (``$899.99 S``, a
  receipt's tax flag) is tolerated; two numbers in one value are not read (``300-00``).
- **Dates**: ISO, numeric (day first, unless the document is in USD or in English with no
  currency, or one of its dates can only be read month first: ``01/31/2021`` settles the
  document), month names in French, English and German (``31 décembre 2024``, ``Dec 31, 2024``,
  ``01-Jan-2021``, ``Thursday, 26 March 2020``), years 2000-2099. A due date missing but payment
  terms given ("30 jours fin de mois") is computed from the issue date.
- **Currency**: ``Currency.Code`` when Textract gives one, else the symbol or code written in the
  amounts (``€``, ``$``, ``£``, ``EUR``...), the most frequent winning.
- **Identifiers**: SIREN and SIRET (python-stdnum), EU VAT numbers (python-stdnum), IBAN
  (schwifty), each from its typed field, a field labelled with its name, or a value that names
  it ("SIRET 732 829 320 00074"); a number that fails its check is not kept (never corrected,
  never invented). The SIREN is the SIRET's first nine digits when only the SIRET is given.
- **Lines**: ``LineItemGroups[].LineItems[]``: ITEM (else DESCRIPTION, else PRODUCT_CODE) is the
  description, QUANTITY, UNIT_PRICE, PRICE (else a TOTAL inside the line) the amount, a tax
  field with a percentage the line's VAT rate; EXPENSE_ROW (the row's raw text) is skipped.
- **Credit notes**: a label or title saying "avoir", "credit note", "Gutschrift", or a negative
  total; its amounts are then given as positive (what the supplier owes back), as the record says.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import product
from typing import Any

from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, SupplierLine, VatAmount
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.text import one_line
from invoicing.ingest.invoice_values import (
    currency_of,
    date_order,
    fold,
    iban_in,
    number,
    parse_amount,
    parse_date,
    siren_siret_in,
    vat_id_in,
)

#: Longest text kept for a name, a number or an identifier (characters).
TEXT_LIMIT = 200
#: Longest line description kept.
DESCRIPTION_LIMIT = 1000
#: Only this much of any text Textract returns is ever looked at (a value can be megabytes).
RAW_LIMIT = 4000
#: Summary fields and line items read from one document (further ones are ignored).
MAX_FIELDS = 5000
MAX_LINES = 2000
#: Money fields considered per role when looking for the totals that add up.
MAX_CANDIDATES = 12
#: Largest SNS message (256 KiB): a completion notice is a few hundred bytes.
MAX_MESSAGE_BYTES = 256 * 1024

# ----------------------------------------------------------------------------------- text


def _text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """One line of ``value`` (a string, else ""), of its first ``RAW_LIMIT`` characters only."""
    return one_line(value[:RAW_LIMIT], limit) if isinstance(value, str) else ""


_PUNCTUATION = re.compile(r"[^a-z0-9%]+")


def _fold(text: str) -> str:
    """Lowercase, accents off, punctuation as spaces except ``%``: what label patterns look at."""
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


def _words(alternatives: str) -> re.Pattern[str]:
    """Whole words or phrases (``"ht|hors tax\\w*"``) of a folded label."""
    return re.compile(r"\b(?:" + alternatives + r")\b")


# Label roles, matched on folded labels.
_EXCL = _words(
    r"ht|h t|hors tax\w*|total net|net total|montant net|sous total|subtotal|sub total|excl\w*|"
    r"net amount|netto\w*|zwischensumme|before tax\w*|pre tax"
)
_INCL = _words(
    r"ttc|toutes taxes|grand total|total incl\w*|incl\w* (?:vat|tax|tva)|brutto\w*|"
    r"gesamtbetrag|rechnungsbetrag|total ttc|montant ttc"
)
_DUE = _words(
    r"a payer|amount due|balance due|total due|balance|montant du|solde|zu zahlen|zahlbetrag|"
    r"amount you owe|due"
)
_PAID = _words(
    r"acomptes?|deja (?:paye|regle)e?s?|amount paid|total paid|paid|payee?s?|tend\w*|"
    r"bereits bezahlt|anzahlung|versements?|regle"
)
_TAX = _words(r"tva|vat|tax|taxes|mwst|ust|gst|iva|btw")
#: Money that is none of the invoice's totals: change given at the till, an earlier balance.
_NOT_TOTAL = _words(
    r"change|rendu|monnaie|wechselgeld|prior balance|previous balance|solde precedent|"
    r"ancien solde|capital"
)
#: An OTHER field labelled as a number ("N° TVA", "VAT ID") holds an identifier, not money.
_IDENTIFIER = _words(r"id|no|n|nr|number|numero|intra\w*|reg\w*|ident\w*|code")
_PLAIN_TOTAL = re.compile(r"(?:total|montant|summe|gesamt)")
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s*%")
_CREDIT = _words(r"avoir|credit note|note de credit|gutschrift|credit memo|facture d avoir")
#: A title or a number's label that makes the document a credit note ("Avoir n°", "AVOIR"), not a
#: mention of one ("Avoir à déduire" on an invoice).
_CREDIT_TITLE = re.compile(
    r"(?:facture d )?(?:avoir|credit note|note de credit|gutschrift|credit memo)"
    r"(?: (?:n|no|nr|number|numero))?"
)
_ATTENTION = _words(r"attn|attention|a l attention|z hd|contact")
_BUYER_HINT = _words(
    r"client|acheteur|customer|buyer|destinataire|kunde\w*|bill to|ship to|sold to|facture a|"
    r"livre a|receiver"
)
_SIRET = _words(r"siret")
_SIREN = _words(r"siren|rcs")
_IBAN = _words(r"iban")
_VAT_ID = _words(
    r"tva|vat|ust|ust id\w*|ustid\w*|mwst|numero de tva|tva intra\w*|steuer\w*|tax id|vat id|"
    r"btw|iva|piva"
)
_ISSUE_DATE = _words(
    r"date de (?:la )?facture|date facture|date de facturation|date d emission|rechnungsdatum"
)
_DUE_DATE = _words(r"echeance|date d echeance|a payer avant|payable avant|faellig\w*|fallig\w*")
_ENGLISH = _words(r"invoice|total|amount|due|subtotal|balance|date|tax|receipt")
_NOT_ENGLISH = _words(r"facture|montant|tva|echeance|rechnung|betrag|mwst|ttc|ht")

# --------------------------------------------------------------------------------- fields


@dataclass(frozen=True, slots=True)
class _Field:
    kind: str
    label: str
    value: str
    confidence: float
    currency: str | None = None
    groups: tuple[str, ...] = ()
    #: Raw value text (bounded), for the currency symbol and descriptions.
    raw: str = ""

    @property
    def key(self) -> str:
        return _fold(self.label)

    @property
    def vendor(self) -> bool:
        return any(g.startswith("VENDOR") for g in self.groups)

    @property
    def receiver(self) -> bool:
        return any(g.startswith("RECEIVER") for g in self.groups)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _confidence(value: Any) -> float:
    """Textract's 0-100 as 0..1; whatever is not a finite number is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return min(max(float(value) / 100, 0.0), 1.0)


def _field(raw: Any, limit: int = TEXT_LIMIT) -> _Field | None:
    data = _mapping(raw)
    kind = _mapping(data.get("Type")).get("Text")
    if not isinstance(kind, str):
        return None
    value = _mapping(data.get("ValueDetection"))
    currency = _mapping(data.get("Currency")).get("Code")
    groups: list[str] = []
    for group in _list(data.get("GroupProperties"))[:10]:
        groups.extend(t for t in _list(_mapping(group).get("Types"))[:10] if isinstance(t, str))
    raw_value = value.get("Text") if isinstance(value.get("Text"), str) else ""
    return _Field(
        kind=_text(kind, 64).upper(),
        label=_text(_mapping(data.get("LabelDetection")).get("Text")),
        value=_text(raw_value, limit),
        confidence=_confidence(value.get("Confidence")),
        currency=_text(currency, 3).upper()
        if isinstance(currency, str) and len(currency.strip()) == 3
        else None,
        groups=tuple(groups),
        raw=raw_value[:200],
    )


def _responses(responses: Any) -> list[Mapping[str, Any]]:
    if isinstance(responses, Mapping):
        return [responses]
    if isinstance(responses, str | bytes) or not isinstance(responses, Iterable):
        return []
    return [r for r in responses if isinstance(r, Mapping)]


def _pages(responses: list[Mapping[str, Any]], fields: Iterable[Any]) -> int:
    """The document's page count: what Textract says, else the highest page a field is on, else 1."""
    counts = [_mapping(r.get("DocumentMetadata")).get("Pages") for r in responses]
    counts += [_mapping(f).get("PageNumber") for f in fields]
    return max(
        [n for n in counts if isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 10_000] + [1]
    )


# ------------------------------------------------------------------------- numbers and dates


def _rate(text: str) -> Decimal | None:
    """``"TVA 5,5 %"`` -> 5.5 (a rate between 0 and 100 excluded), else None."""
    match = _RATE.search(text)
    if not match:
        return None
    rate = number(match[1], money=False)
    return rate if rate is not None and 0 < rate < 100 else None


def _numeric_order(text: str) -> bool | None:
    """True when ``text``'s numeric dates can only be month first, False day first, None either."""
    votes = date_order(text)
    return None if votes == 0 else votes > 0


# ---------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Pick:
    value: Any
    confidence: float


@dataclass(frozen=True, slots=True)
class _Money:
    role: str  # excl, incl, tax, due, paid, base
    amount: Decimal
    confidence: float
    #: 3: the label says so; 2: Textract's type says so; 1: could be (a bare "Total").
    priority: int
    field: int  # index of the summary field, so one field is not both excl. and incl.
    rate: Decimal | None = None


def _best(picks: Iterable[_Pick]) -> _Pick | None:
    """The most confident pick (the first of equals)."""
    best: _Pick | None = None
    for pick in picks:
        if best is None or pick.confidence > best.confidence:
            best = pick
    return best


def _clean_name(text: str) -> str:
    return text.strip(" -–—|,;:/*·•").strip()


class _Reader:
    def __init__(self, fields: list[_Field]) -> None:
        self.fields = fields
        self.keys = [f.key for f in fields]

    def of(self, *kinds: str) -> Iterator[_Field]:
        return (f for f in self.fields if f.kind in kinds and f.value)

    def labelled(self, pattern: re.Pattern[str], *kinds: str) -> Iterator[_Field]:
        return (
            f
            for f, key in zip(self.fields, self.keys, strict=True)
            if f.value and pattern.search(key) and (not kinds or f.kind in kinds)
        )

    # --- parties --------------------------------------------------------------------------

    def supplier_name(self) -> _Pick | None:
        picks = [_Pick(_clean_name(f.value), f.confidence) for f in self.of("VENDOR_NAME")]
        if not picks:
            picks = [_Pick(_clean_name(f.value), f.confidence) for f in self.of("NAME") if f.vendor]
        return _best(p for p in picks if p.value)

    def buyer_name(self) -> _Pick | None:
        def rank(f: _Field) -> int:
            groups = " ".join(f.groups)
            for score, group in enumerate(("RECEIVER_BILL_TO", "RECEIVER_SOLD_TO", "RECEIVER_SHIP_TO")):
                if group in groups:
                    return score
            return 3

        candidates = [f for f in self.of("RECEIVER_NAME")] or [f for f in self.of("NAME") if f.receiver]
        named = [f for f in candidates if not _ATTENTION.search(f.key)] or candidates
        if not named:
            return None
        top = min(rank(f) for f in named)
        return _best(
            _Pick(_clean_name(f.value), f.confidence)
            for f in named
            if rank(f) == top and _clean_name(f.value)
        )

    # --- identifiers ----------------------------------------------------------------------

    def _buyer_side(self, f: _Field) -> bool:
        return f.receiver or f.kind.startswith("RECEIVER") or bool(_BUYER_HINT.search(f.key))

    def vat_id(self, *, buyer: bool) -> _Pick | None:
        typed = ("RECEIVER_VAT_NUMBER",) if buyer else ("VENDOR_VAT_NUMBER", "TAX_PAYER_ID")
        picks: list[_Pick] = []
        for f in self.of(*typed):
            own = buyer or not self._buyer_side(f) or f.kind == "VENDOR_VAT_NUMBER"
            if own and (vat := vat_id_in(f.value)):
                picks.append(_Pick(vat, f.confidence))
        if not picks:
            for f in self.fields:
                if not f.value or f.kind in typed or self._buyer_side(f) != buyer:
                    continue
                named = _VAT_ID.search(f.key) or _VAT_ID.search(_fold(f.value))
                if named and (vat := vat_id_in(f.value)):
                    picks.append(_Pick(vat, f.confidence))
        return _best(picks)

    def siren_siret(self) -> tuple[_Pick | None, _Pick | None]:
        sirens: list[_Pick] = []
        sirets: list[_Pick] = []
        for f in self.fields:
            if not f.value or self._buyer_side(f):
                continue
            head = _fold(f.value)
            if _SIRET.search(f.key) or _SIREN.search(f.key) or _SIRET.search(head) or _SIREN.search(head):
                siren, siret = siren_siret_in(f.value)
                if siren:
                    sirens.append(_Pick(siren, f.confidence))
                if siret:
                    sirets.append(_Pick(siret, f.confidence))
        best_siret = _best(sirets)
        best_siren = _best(sirens)
        if best_siren is None and best_siret is not None:
            best_siren = _Pick(best_siret.value[:9], best_siret.confidence)
        return best_siren, best_siret

    def iban(self) -> _Pick | None:
        picks = []
        for f in self.fields:
            if not f.value or self._buyer_side(f):
                continue
            named = _IBAN.search(f.key) or _IBAN.search(_fold(f.value)) or f.kind == "ACCOUNT_NUMBER"
            if named and (found := iban_in(f.value)):
                picks.append(_Pick(found, f.confidence))
        return _best(picks)

    # --- number, dates, currency ----------------------------------------------------------

    def invoice_number(self) -> _Pick | None:
        picks = []
        for f in self.of("INVOICE_RECEIPT_ID"):
            value = f.value
            if f.label and _fold(value).startswith(f.key) and f.key:
                value = value[len(f.label) :] if value.lower().startswith(f.label.lower()) else value
            value = _NUMBER_PREFIX.sub("", value.strip()).strip(" :#")
            if value:
                picks.append(_Pick(value, f.confidence))
        return _best(picks)

    def month_first(self, currency: str | None) -> bool:
        votes = Counter(
            order
            for f in self.fields
            if f.kind in ("INVOICE_RECEIPT_DATE", "DUE_DATE", "ORDER_DATE", "DELIVERY_DATE")
            and (order := _numeric_order(f.value)) is not None
        )
        if votes[True] != votes[False]:
            return votes[True] > votes[False]
        if currency is not None:
            return currency == "USD"
        labels = " ".join(self.keys)
        return bool(_ENGLISH.search(labels)) and not _NOT_ENGLISH.search(labels)

    def dates(self, kind: str, pattern: re.Pattern[str], *, month_first: bool) -> _Pick | None:
        fields = list(self.of(kind)) or [f for f in self.labelled(pattern) if f.kind == "OTHER"]
        return _best(
            _Pick(day, f.confidence)
            for f in fields
            if (day := parse_date(f.value, month_first=month_first)) is not None
        )

    def currency(self) -> _Pick | None:
        coded = Counter(f.currency for f in self.fields if f.currency)
        if coded:
            code = coded.most_common(1)[0][0]
            return _Pick(code, max(f.confidence for f in self.fields if f.currency == code))
        written: Counter[str] = Counter()
        confidence: dict[str, float] = {}
        for f in self.fields:
            if f.kind not in _MONEY_KINDS and f.kind != "OTHER":
                continue
            if (code := currency_of(f.raw)) is not None and parse_amount(f.value) is not None:
                written[code] += 1
                confidence[code] = max(confidence.get(code, 0.0), f.confidence)
        if not written:
            return None
        code = written.most_common(1)[0][0]
        return _Pick(code, confidence[code])

    # --- money ----------------------------------------------------------------------------

    def money(self) -> list[_Money]:
        found: list[_Money] = []
        for index, (f, key) in enumerate(zip(self.fields, self.keys, strict=True)):
            if f.kind not in _MONEY_KINDS and f.kind != "OTHER":
                continue
            amount = parse_amount(f.value)
            if amount is None:
                continue
            found.extend(_roles(f, key, amount, index))
        return found


_NUMBER_PREFIX = re.compile(
    r"^(?:(?:invoice|facture|rechnung|receipt|bill|avoir|credit note)\s*)?"
    r"(?:#|n[°º]|no\.|nr\.|num[eé]ro|number)\s*[:.]?\s*",
    re.IGNORECASE,
)
_MONEY_KINDS = frozenset({"SUBTOTAL", "TAX", "TOTAL", "AMOUNT_DUE", "AMOUNT_PAID"})


def _roles(f: _Field, key: str, amount: Decimal, index: int) -> list[_Money]:
    """What a money field can be: its roles with how sure its label and type make them."""

    def money(role: str, priority: int, rate: Decimal | None = None) -> _Money:
        return _Money(role, amount, f.confidence, priority, index, rate)

    if _NOT_TOTAL.search(key) or (f.kind == "OTHER" and _IDENTIFIER.search(key)):
        return []
    rate = _rate(f.label)
    excl, incl = bool(_EXCL.search(key)), bool(_INCL.search(key))
    due, paid, tax = bool(_DUE.search(key)), bool(_PAID.search(key)), bool(_TAX.search(key))
    plain = not (excl or incl or due or paid or tax) and bool(_PLAIN_TOTAL.search(key) or not key)
    if f.kind == "AMOUNT_DUE":
        return [money("due", 3)]
    if f.kind == "AMOUNT_PAID":
        return [money("paid", 3)]
    if paid and not due:
        return [money("paid", 3)]
    if due:
        return [money("due", 3), money("incl", 1)] if f.kind in ("TOTAL", "SUBTOTAL") else [money("due", 3)]
    if incl:
        return [money("incl", 3)]
    if excl:
        if tax and rate is not None:
            return [money("base", 3, rate)]
        return [money("excl", 3)]
    if tax or f.kind == "TAX":
        if f.kind == "OTHER" and not tax:
            return []
        return [money("tax", 3 if tax else 2, rate)]
    if f.kind == "SUBTOTAL":
        return [money("excl", 2), *([money("incl", 1)] if plain else [])]
    if f.kind == "TOTAL":
        return [money("incl", 2), *([money("excl", 1)] if plain and key else [])]
    return []


@dataclass(frozen=True, slots=True)
class _Totals:
    excl: _Money | None = None
    tax: _Pick | None = None
    incl: _Money | None = None
    due: _Pick | None = None
    vat: tuple[VatAmount, ...] = ()


def _totals(money: list[_Money]) -> _Totals:
    def of(role: str) -> list[_Money]:
        found = sorted((m for m in money if m.role == role), key=lambda m: (-m.priority, -m.confidence))
        return found[:MAX_CANDIDATES]

    excls, incls = of("excl"), of("incl")
    rated: dict[Decimal, _Money] = {}
    for m in of("tax"):
        if m.rate is not None and m.rate not in rated:
            rated[m.rate] = m
    unrated = [m for m in of("tax") if m.rate is None]
    tax_options: list[tuple[Decimal, float, int]] = [(m.amount, m.confidence, m.priority) for m in unrated]
    if rated:
        tax_options.append(
            (
                sum((m.amount for m in rated.values()), Decimal(0)),
                min(m.confidence for m in rated.values()),
                3,
            )
        )

    excl = incl = None
    tax: _Pick | None = None
    best_score: tuple[int, float] | None = None
    for e, (t, t_conf, t_priority), i in product(excls, tax_options, incls):
        if e.field == i.field or e.amount + t != i.amount:
            continue
        score = (e.priority + t_priority + i.priority, e.confidence + t_conf + i.confidence)
        if best_score is None or score > best_score:
            best_score, excl, tax, incl = score, e, _Pick(t, t_conf), i
    if best_score is None:  # nothing adds up: each role's likeliest field; a bare "Total" is not excl.
        excl = next((m for m in excls if m.priority >= 2), None)
        incl = next((m for m in incls if excl is None or m.field != excl.field), None)
        if unrated:
            tax = _Pick(unrated[0].amount, unrated[0].confidence)
        elif rated:
            tax = _Pick(tax_options[-1][0], tax_options[-1][1])

    bases = {m.rate: m.amount for m in of("base") if m.rate is not None}
    vat = []
    for rate, m in rated.items():
        base = bases.get(rate)
        if (
            base is None
            and len(rated) == 1
            and excl is not None
            and tax is not None
            and m.amount == tax.value
        ):
            base = excl.amount
        vat.append(VatAmount(rate=rate, base=base, tax=m.amount))

    due_money = of("due")
    due: _Pick | None = None
    if due_money:
        due = _Pick(due_money[0].amount, due_money[0].confidence)
    elif (paid := of("paid")) and incl is not None and 0 <= paid[0].amount <= incl.amount:
        due = _Pick(incl.amount - paid[0].amount, min(incl.confidence, paid[0].confidence))
    return _Totals(excl=excl, tax=tax, incl=incl, due=due, vat=tuple(vat))


# ------------------------------------------------------------------------------------ lines


def _line(item: Mapping[str, Any]) -> SupplierLine | None:
    fields = [
        f for raw in _list(item.get("LineItemExpenseFields"))[:50] if (f := _field(raw, DESCRIPTION_LIMIT))
    ]

    def first(*kinds: str) -> _Field | None:
        for kind in kinds:
            for f in fields:
                if f.kind == kind and f.value:
                    return f
        return None

    described = first("ITEM", "DESCRIPTION", "PRODUCT_CODE")
    description = described.value if described else ""
    quantity = parse_amount(q.value, money=False) if (q := first("QUANTITY")) else None
    unit_price = parse_amount(u.value) if (u := first("UNIT_PRICE")) else None
    amount = parse_amount(p.value) if (p := first("PRICE")) else None
    if amount is None:
        totals = [f for f in fields if f.kind == "TOTAL" and f.value]
        totals.sort(key=lambda f: not _PLAIN_TOTAL.search(f.key) and "amount" not in f.key)
        amount = next((a for f in totals if (a := parse_amount(f.value)) is not None), None)
    vat_rate = next((r for f in fields if f.kind == "OTHER" and (r := _line_rate(f)) is not None), None)
    if not description and amount is None:
        return None
    return SupplierLine(
        description=description, quantity=quantity, unit_price=unit_price, amount=amount, vat_rate=vat_rate
    )


def _line_rate(f: _Field) -> Decimal | None:
    """A line's VAT rate: a tax column's "20 %", or its "20" under a "TVA %" heading."""
    if not _TAX.search(f.key):
        return None
    if (rate := _rate(f.value)) is not None:
        return rate
    value = parse_amount(f.value, money=False) if "%" in f.label else None
    return value if value is not None and 0 < value < 100 else None


# ------------------------------------------------------------------------------------- entry


def expense_to_invoice(
    responses: Sequence[Mapping[str, Any]] | Mapping[str, Any], *, document_hash: str
) -> SupplierInvoice:
    """The supplier invoice Textract read: AnalyzeExpense's response or GetExpenseAnalysis's pages
    (a list; one response alone is taken too). Whatever the responses hold, a record comes back."""
    given = _responses(responses)
    raw_fields: list[Any] = []
    lines: list[SupplierLine] = []
    for response in given:
        for document in _list(response.get("ExpenseDocuments")):
            document = _mapping(document)
            raw_fields.extend(_list(document.get("SummaryFields"))[: MAX_FIELDS - len(raw_fields)])
            for group in _list(document.get("LineItemGroups")):
                for item in _list(_mapping(group).get("LineItems"))[: MAX_LINES - len(lines)]:
                    if isinstance(item, Mapping) and (line := _line(item)) is not None:
                        lines.append(line)
    fields = [f for raw in raw_fields if (f := _field(raw)) is not None]
    read = _Reader(fields)

    picks: dict[str, _Pick | None] = {}
    picks["supplier_name"] = read.supplier_name()
    picks["buyer_name"] = read.buyer_name()
    picks["supplier_vat_id"] = read.vat_id(buyer=False)
    picks["buyer_vat_id"] = read.vat_id(buyer=True)
    picks["supplier_siren"], picks["supplier_siret"] = read.siren_siret()
    picks["supplier_iban"] = read.iban()
    picks["invoice_number"] = read.invoice_number()
    currency = read.currency()
    picks["currency"] = currency
    month_first = read.month_first(currency.value if currency else None)
    picks["issue_date"] = issued = read.dates("INVOICE_RECEIPT_DATE", _ISSUE_DATE, month_first=month_first)
    picks["due_date"] = read.dates("DUE_DATE", _DUE_DATE, month_first=month_first) or _due_from_terms(
        read, issued
    )

    totals = _totals(read.money())
    for name, chosen in (("total_excl_tax", totals.excl), ("total_incl_tax", totals.incl)):
        picks[name] = _Pick(chosen.amount, chosen.confidence) if chosen else None
    picks["total_tax"] = totals.tax
    picks["amount_due"] = totals.due

    credit_note = any(
        _CREDIT.search(key)
        if f.kind == "INVOICE_RECEIPT_ID"
        else _CREDIT_TITLE.fullmatch(key or _fold(f.value))
        for f, key in zip(fields, read.keys, strict=True)
        if f.kind in ("INVOICE_RECEIPT_ID", "OTHER")
    )
    vat, lines_out = totals.vat, tuple(lines)
    total = picks["total_incl_tax"]
    if total is not None and total.value < 0:  # a credit note written with negative amounts
        credit_note = True
        for name in ("total_excl_tax", "total_tax", "total_incl_tax", "amount_due"):
            if (pick := picks[name]) is not None and pick.value < 0:
                picks[name] = _Pick(-pick.value, pick.confidence)
        vat = tuple(VatAmount(v.rate, abs(v.base) if v.base is not None else None, abs(v.tax)) for v in vat)
        if sum(line.amount or 0 for line in lines_out) < 0:
            lines_out = tuple(
                replace(line, amount=-line.amount if line.amount is not None else None) for line in lines_out
            )

    values = {name: pick.value if pick is not None else None for name, pick in picks.items()}
    return SupplierInvoice(
        engine=Engine.TEXTRACT,
        document_hash=document_hash,
        credit_note=credit_note,
        vat=vat,
        lines=lines_out,
        confidence={name: round(pick.confidence, 3) for name, pick in picks.items() if pick is not None},
        pages=_pages(given, raw_fields),
        **values,
    )


def _due_from_terms(read: _Reader, issued: _Pick | None) -> _Pick | None:
    """The due date the payment terms give ("30 jours fin de mois") from the issue date."""
    if issued is None:
        return None
    for f in read.of("PAYMENT_TERMS"):
        try:
            terms = PaymentTerms.parse(f.value)
        except ValueError:
            continue
        return _Pick(terms.due_date(issued.value), min(f.confidence, issued.confidence))
    return None


# ------------------------------------------------------------------------------- completion

#: Statuses Textract publishes for a finished job (PARTIAL_SUCCESS: some pages were not read).
COMPLETION_STATUSES = frozenset({"SUCCEEDED", "FAILED", "ERROR", "PARTIAL_SUCCESS"})
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class TextractCompletion:
    """Textract's notice that a StartExpenseAnalysis job ended."""

    job_id: str
    #: SUCCEEDED, FAILED, ERROR (or PARTIAL_SUCCESS).
    status: str
    job_tag: str | None
    bucket: str | None
    key: str | None

    @property
    def succeeded(self) -> bool:
        """The results can be fetched (all pages, or some of them for PARTIAL_SUCCESS)."""
        return self.status in ("SUCCEEDED", "PARTIAL_SUCCESS")


def textract_completion(message: str | bytes | Mapping[str, Any]) -> TextractCompletion:
    """Textract's completion notice from the SNS ``Message`` or an SNS-to-SQS body (its envelope).

    Raises ``ValueError`` naming what is wrong for anything else.
    """
    data = _json_object(message, "the message")
    for _ in range(2):  # an SQS body is the SNS envelope around the notice (or a Lambda SNS record)
        if "JobId" in data:
            break
        if data.get("Type") == "Notification" and "Message" in data:
            data = _json_object(data["Message"], "the SNS envelope's Message")
        elif isinstance(data.get("Sns"), Mapping) and "Message" in data["Sns"]:
            data = _json_object(data["Sns"]["Message"], "the SNS record's Message")
        else:
            break
    if "JobId" not in data:
        raise ValueError(
            "not a Textract completion notice: expected a JSON object with JobId and Status, or an SNS "
            f"notification (Type=Notification) carrying one; got keys {sorted(map(str, data))[:10]}"
        )
    job_id, status = data.get("JobId"), data.get("Status")
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise ValueError(f"Textract completion notice with an invalid JobId: {str(job_id)[:80]!r}")
    if status not in COMPLETION_STATUSES:
        raise ValueError(
            f"Textract completion notice with an unknown Status {str(status)[:40]!r} "
            f"(expected one of {', '.join(sorted(COMPLETION_STATUSES))})"
        )
    api = data.get("API")
    if api is not None and api != "StartExpenseAnalysis":
        raise ValueError(f"Textract completion notice of {str(api)[:40]!r}, not of StartExpenseAnalysis")
    location = data.get("DocumentLocation")
    if location is not None and not isinstance(location, Mapping):
        raise ValueError("Textract completion notice whose DocumentLocation is not an object")
    location = location or {}

    def optional(value: Any, what: str) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > 1024:
            raise ValueError(f"Textract completion notice with an invalid {what}")
        return value

    return TextractCompletion(
        job_id=job_id,
        status=status,
        job_tag=optional(data.get("JobTag"), "JobTag"),
        bucket=optional(location.get("S3Bucket"), "S3Bucket"),
        key=optional(location.get("S3ObjectName"), "S3ObjectName"),
    )


def _json_object(value: Any, what: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, bytes | bytearray):
        if len(value) > MAX_MESSAGE_BYTES:
            raise ValueError(f"{what} is larger than {MAX_MESSAGE_BYTES} bytes: not a Textract notice")
        value = bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise ValueError(f"{what} is a {type(value).__name__}, not JSON text or an object")
    if len(value) > MAX_MESSAGE_BYTES:
        raise ValueError(f"{what} is larger than {MAX_MESSAGE_BYTES} bytes: not a Textract notice")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} is JSON but not an object")
    return data
