"""A sale paid online (a Stripe Checkout Session or Payment Link that is none of our invoices) to
the draft of its invoice, issued paid; or a refusal naming each field, its value and the reason.

The stripe_webhook function writes the sale to ``incoming/stripe/<session id>.json``::

    {"source": "stripe", "event_id": "evt_…", "livemode": false, "paid_on": "2026-11-26",
     "payment_id": "stripe:pi_…", "method": "card",
     "session": {<the Checkout Session as Stripe sends it>,
                 "line_items": {"object": "list", "data": [<its line items, as the API lists them>]}}}

and generate reads it here, then issues it through the one issuing path, like a sales file.

The invoice:

- the buyer from ``customer_details``: a private person, unless an EU VAT number is given
  (``tax_ids`` of type ``eu_vat``: then a business, with the SIREN a French number carries, and the
  late-payment mentions); the name (``business_name``, else ``name``, else the e-mail address), the
  billing address when Stripe collected one (else none; the country then the seller's), the e-mail
  address (required: the invoice is sent there, and it is the buyer's electronic address for the
  e-invoicing rules). Its reference is deterministic: ``stripe-<customer id>``, else
  ``stripe-<hash of the e-mail address>`` for a guest checkout; it is not added to the clients
  table (the send function writes to the address on the invoice);
- one line per line item (its description and quantity; shipping, when charged, one more line),
  each at its price **including VAT**: what was paid for it (``amount_total``, after any discount)
  divided by its quantity, to as many decimals as make quantity x price exactly that amount. The
  invoice's prices include VAT (``Draft.prices_include_vat``, whenever an item carries VAT);
- VAT: from Stripe's tax data, the rate only (of ``taxes`` when the list was expanded, else the
  French rate that gives ``amount_tax`` on the item's amount excluding it), or, **without any tax
  data, the standard rate** (20 %, CGI art. 278): French consumer prices are TTC. A seller under the
  franchise en base charges none (and any tax Stripe added is refused). A 0 % reverse-charge tax is
  the reverse charge, for a buyer with a VAT number; any other tax (another country's VAT, several
  rates on one item) is refused;
- the total including VAT equals ``amount_total``, what was paid, to the cent, for every amount.
  The rule (``invoicing.domain.money``, prices including VAT): per rate, the VAT is the rate's total
  including VAT x rate / (100 + rate), rounded half-up to the cent, and the taxable base is what
  remains; the base is split over the rate's lines in whole cents (in proportion to what each cost,
  the cents left over to the largest remainders), which gives each line its amount and unit price
  excluding VAT for the PDF and the Factur-X XML. Stripe rounds VAT per item, so the VAT of a rate
  may be a cent or two from the sum of Stripe's ``amount_tax``; the total paid never is. (Under the
  rule of prices excluding VAT, base + round(base x 20 %) misses one total in six, 9,99 € among
  them: such sales used to be refused; none is now);
- its sale date is the payment day; its order reference the session id; ``settled`` the payment
  (day, method, the ledger's payment id), so it prints "Facture acquittée" and opens paid;
- its source ``Source(file_key, sha256("stripe-session:" + session id), "sale")``: the invoice id
  depends on the session only, so the same session written twice, even with other bytes, is one
  invoice (``services.payments.online_sale_invoice_id`` says the same).

Everything is checked before anything is built, and every problem is reported at once
(``InputRejected``): not JSON (or nested too deeply, duplicate keys, NaN), a field missing or of
the wrong type, amounts that are not whole cents or out of range, a currency other than EUR, more
than ``MAX_ITEMS`` items, texts too long or with invisible characters, invalid e-mail addresses and
VAT numbers, item amounts that do not add up to the amount paid. A problem names the item (``row``:
its position, from 1) and the field (``column``: its JSON path), quotes the value and says why.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from invoicing.domain import identifiers
from invoicing.domain.invoice import DocumentType, Draft, Line, Settlement, Source
from invoicing.domain.money import money_str, unit_price_for
from invoicing.domain.parties import Address, Client, Locale, Seller, VatRegime
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.text import forbidden_characters
from invoicing.domain.vat import FRENCH_RATES, VatCategory, VatTreatment
from invoicing.ingest.table import ProblemList, by_row
from invoicing.ingest.values import EARLIEST, ISO_COUNTRIES, LATEST

#: French standard VAT rate (CGI art. 278): what prices without tax data include.
STANDARD_RATE = Decimal(20)
#: Line items one sale may have (Stripe Checkout takes at most 100).
MAX_ITEMS = 100
#: No amount of a sale reaches this many cents (10 billion euros).
AMOUNT_LIMIT = 10**12
#: Nor a quantity this.
QUANTITY_LIMIT = 10**6
#: Digits an integer in the file may have before it is read as a (refused) huge number.
_INT_DIGITS = 30
DESCRIPTION_LIMIT = 500
NAME_LIMIT = 200
ADDRESS_LIMIT = 200
POSTCODE_LIMIT = 16
CITY_LIMIT = 100
ID_LIMIT = 255
#: The group of every online sale's source: one invoice per session.
GROUP = "sale"
DEFAULT_UNIT = "u"
SHIPPING = {Locale.FR: "Livraison", Locale.EN: "Shipping"}

_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}", re.ASCII)
_OBJECT_ID = re.compile(r"[A-Za-z0-9_]{1,255}", re.ASCII)
_PAYMENT_ID = re.compile(r"[A-Za-z0-9_:.\-]{1,255}", re.ASCII)
_METHOD = re.compile(r"[a-z0-9_]{1,40}", re.ASCII)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
#: A customer id short enough to make a client reference of at most 35 characters as it is.
_SHORT_ID = re.compile(r"[A-Za-z0-9_]{1,28}", re.ASCII)
_HUNDRED = Decimal(100)
#: Decimals of a line's price including VAT: enough for quantity x price to be exactly what was paid.
_PRICE_PLACES = 12


class _Refused(Exception):
    """A value that cannot be read further (its problem is already recorded)."""


class _Huge(int):
    """An integer with more digits than any amount: read, then refused by the field's check."""


def _integer(text: str) -> int:
    return _Huge(1) if len(text.lstrip("-")) > _INT_DIGITS else int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {key!r} appears twice in one object")
        found[key] = value
    return found


def _parse(data: bytes) -> Any:
    """The JSON document: floats as ``Decimal`` (never float), huge integers marked, NaN and duplicate
    keys refused; any failure is a ``bad_json`` problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRejected(
            [Problem("bad_json", params={"detail": f"not UTF-8 at byte {exc.start}"})]
        ) from None
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_int=_integer,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except RecursionError:
        raise InputRejected([Problem("bad_json", params={"detail": "nested too deeply"})]) from None
    except ValueError as exc:  # JSONDecodeError is one
        detail = " ".join(str(exc).split())[:160]
        raise InputRejected([Problem("bad_json", params={"detail": detail})]) from None


@dataclass
class _Reader:
    """Reads fields of the document, recording a problem for each one that is wrong."""

    problems: ProblemList

    def add(
        self, code: str, path: str, value: object = None, row: int | None = None, **params: object
    ) -> None:
        shown = None if value is None else value if isinstance(value, str) else _shown(value)
        self.problems.add(Problem(code, row=row, column=path, value=shown, params=dict(params)))

    def refuse(
        self, code: str, path: str, value: object = None, row: int | None = None, **params: object
    ) -> _Refused:
        """Record the problem; the caller raises what this returns, to stop reading that part."""
        self.add(code, path, value, row, **params)
        return _Refused()

    # --- kinds of value --------------------------------------------------------------------------

    def mapping(
        self, parent: dict[str, Any], key: str, path: str, *, required: bool = True, row: int | None = None
    ) -> dict[str, Any] | None:
        """An object; a missing required one, or another kind of value, stops the reading (``_Refused``)."""
        value = parent.get(key)
        if value is None:
            if required:
                raise self.refuse("required", path, row=row)
            return None
        if not isinstance(value, dict):
            raise self.refuse("wrong_type", path, value, row, expected="object")
        return value

    def text(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        *,
        limit: int,
        required: bool = False,
        row: int | None = None,
    ) -> str | None:
        """Stripped text; None when absent, null or blank (then ``required`` is a problem)."""
        value = parent.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add("required", path, row=row)
            return None
        if not isinstance(value, str):
            self.add("wrong_type", path, value, row, expected="string")
            return None
        text = value.strip()
        if len(text) > limit:
            self.add("text_too_long", path, text, row, limit=limit)
            return None
        refused = forbidden_characters(text)
        if refused:
            self.add("forbidden_characters", path, text, row, chars=", ".join(refused))
            return None
        return text

    def ident(
        self,
        parent: dict[str, Any],
        key: str,
        path: str,
        pattern: re.Pattern[str],
        what: str,
        *,
        row: int | None = None,
    ) -> str | None:
        value = self.text(parent, key, path, limit=ID_LIMIT, required=True, row=row)
        if value is not None and not pattern.fullmatch(value):
            self.add("not_an_online_sale", path, value, row, detail=what)
            return None
        return value

    def cents(
        self, parent: dict[str, Any], key: str, path: str, *, required: bool = True, row: int | None = None
    ) -> int | None:
        """A whole number of cents, from 0 to ``AMOUNT_LIMIT``."""
        value = parent.get(key)
        if value is None:
            if required:
                self.add("required", path, row=row)
            return None
        if isinstance(value, _Huge):
            self.add("number_too_large", path, "…", row, limit=_euros(AMOUNT_LIMIT))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add("wrong_type", path, value, row, expected="integer (cents)")
            return None
        if value < 0:
            self.add("negative", path, value, row)
            return None
        if value >= AMOUNT_LIMIT:
            self.add("number_too_large", path, value, row, limit=_euros(AMOUNT_LIMIT))
            return None
        return value


def _shown(value: object) -> str:
    """A non-text value as quoted in a report: its JSON, cut short (a list of a million items too)."""
    if isinstance(value, dict | list):
        return f"{type(value).__name__} of {len(value)}"
    return str(value)[:200]


def _euros(cents: int) -> str:
    return f"{cents // 100:,}".replace(",", " ")


# --- the document -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """A line item (or the shipping) as read: what it costs in cents and what VAT it carries."""

    row: int | None
    description: str
    quantity: int
    total: int  # what the customer paid for it, VAT included
    tax: int  # the VAT Stripe computed on it (0 without tax data)
    vat: VatTreatment


def read_online_sale(
    data: bytes,
    file_key: str,
    *,
    seller: Seller,
    default_locale: Locale = Locale.FR,
    standard_rate: Decimal = STANDARD_RATE,
) -> Draft:
    """The draft of the invoice of the sale in ``data`` (the JSON file at ``file_key``), issued paid.

    Raises ``InputRejected`` with every problem found; nothing is returned partially.
    """
    document = _parse(data)
    reader = _Reader(ProblemList())
    try:
        draft = _read(document, reader, file_key, seller, default_locale, standard_rate)
    except _Refused:
        draft = None
    if draft is None and not reader.problems:  # every way to None records why; never a bare refusal
        reader.add("not_an_online_sale", "(document)", detail="unreadable")
    if reader.problems or draft is None:
        raise InputRejected(sorted(reader.problems, key=by_row))
    return draft


def _read(
    document: Any,
    reader: _Reader,
    file_key: str,
    seller: Seller,
    default_locale: Locale,
    standard_rate: Decimal,
) -> Draft | None:
    if not isinstance(document, dict):
        raise reader.refuse("wrong_type", "(document)", document, expected="object")
    source = document.get("source")
    if source != "stripe":
        raise reader.refuse("not_an_online_sale", "source", source, detail='"source" is not "stripe"')
    paid_on = _day(reader, document, "paid_on")
    payment_id = reader.ident(document, "payment_id", "payment_id", _PAYMENT_ID, "not a payment id")
    method = reader.ident(document, "method", "method", _METHOD, "not a payment method type")
    session = reader.mapping(document, "session", "session")

    session_id = reader.ident(session, "id", "session.id", _SESSION_ID, "not a Checkout Session id (cs_…)")
    currency = session.get("currency")
    if currency is None:
        reader.add("required", "session.currency")
    elif not isinstance(currency, str):
        reader.add("wrong_type", "session.currency", currency, expected="string")
    elif currency.strip().lower() != "eur":
        shown = currency.strip().upper()[:10]
        reader.add("currency_not_eur", "session.currency", currency, currency=shown)
    paid = reader.cents(session, "amount_total", "session.amount_total")
    if paid == 0:
        reader.add("sale_amount_zero", "session.amount_total", 0)

    buyer = _buyer(reader, session, seller, default_locale)
    items = _items(reader, session, seller, buyer, standard_rate)
    if reader.problems or buyer is None or items is None or paid is None:
        return None
    assert paid_on is not None
    assert payment_id is not None
    assert method is not None
    assert session_id is not None

    charged = sum(item.total for item in items)
    if charged != paid:
        reader.add(
            "sale_total_mismatch",
            "session.amount_total",
            paid,
            lines=_m(charged),
            paid=_m(paid),
        )
        return None
    lines = _lines(items)
    digest = hashlib.sha256(f"stripe-session:{session_id}".encode()).hexdigest()
    draft = Draft(
        document_type=DocumentType.INVOICE,
        buyer=buyer,
        lines=lines,
        period_start=paid_on,
        period_end=paid_on,
        order_ref=session_id,
        source=Source(file_key, digest, GROUP),
        settled=Settlement(on=paid_on, method=method, payment_id=payment_id),
        prices_include_vat=any(item.vat.category is VatCategory.STANDARD for item in items),
    )
    total = draft.totals().grand_total
    if total != Decimal(paid) / _HUNDRED:  # by construction it is; never issue one that is not
        reader.add("sale_total_mismatch", "session.amount_total", paid, lines=money_str(total), paid=_m(paid))
        return None
    return draft


def _m(cents: int) -> str:
    return money_str(Decimal(cents) / _HUNDRED)


def _day(reader: _Reader, document: dict[str, Any], key: str) -> date | None:
    text = reader.text(document, key, key, limit=40, required=True)
    if text is None:
        return None
    match = _ISO_DAY.fullmatch(text)
    try:
        day = date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        day = None
    if day is None:
        reader.add("bad_date", key, text)
        return None
    if not EARLIEST <= day <= LATEST:
        reader.add(
            "date_out_of_range",
            key,
            text,
            earliest=EARLIEST.strftime("%d/%m/%Y"),
            latest=LATEST.strftime("%d/%m/%Y"),
        )
        return None
    return day


# --- the buyer -----------------------------------------------------------------------------------------


def _buyer(reader: _Reader, session: dict[str, Any], seller: Seller, default_locale: Locale) -> Client | None:
    try:
        details = reader.mapping(session, "customer_details", "session.customer_details")
    except _Refused:
        return None
    path = "session.customer_details"
    found = len(reader.problems)

    email_text = reader.text(details, "email", f"{path}.email", limit=320, required=True)
    email = None
    if email_text is not None:
        try:
            email = identifiers.email(email_text)
        except ValueError as exc:
            code = identifiers.email_problem(str(exc))
            reader.add(code, f"{path}.email", email_text)
    names = [
        reader.text(details, key, f"{path}.{key}", limit=NAME_LIMIT)
        for key in ("business_name", "name", "individual_name")
    ]
    name = next((n for n in names if n), None) or email

    address = _address(reader, details, path, seller)
    vat_id = _vat_id(reader, details, path)
    siren = None
    if vat_id and vat_id.startswith("FR"):
        try:
            siren = identifiers.siren(vat_id[4:])
        except ValueError:
            siren = None

    locale = default_locale
    wanted = session.get("locale")
    if isinstance(wanted, str) and wanted.strip() and wanted.strip().lower() != "auto":
        locale = Locale.FR if wanted.strip().lower().startswith("fr") else Locale.EN

    customer = session.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer is not None and not (isinstance(customer, str) and _OBJECT_ID.fullmatch(customer)):
        reader.add("not_an_online_sale", "session.customer", customer, detail="not a customer id")
        customer = None

    if len(reader.problems) > found or email is None or name is None or address is None:
        return None
    if customer and _SHORT_ID.fullmatch(customer):
        ref = f"stripe-{customer}"
    else:
        key = f"customer:{customer}" if customer else f"email:{email.casefold()}"
        ref = "stripe-" + hashlib.sha256(key.encode()).hexdigest()[:24]
    return Client(
        ref=ref,
        name=name,
        address=address,
        email=email,
        siren=siren,
        vat_id=vat_id,
        locale=locale,
        payment_terms=PaymentTerms(0),  # paid before it was issued
    )


def _address(reader: _Reader, details: dict[str, Any], path: str, seller: Seller) -> Address | None:
    try:
        found = reader.mapping(details, "address", f"{path}.address", required=False)
    except _Refused:
        return None
    found = found or {}
    at = f"{path}.address"
    line1 = reader.text(found, "line1", f"{at}.line1", limit=ADDRESS_LIMIT)
    line2 = reader.text(found, "line2", f"{at}.line2", limit=ADDRESS_LIMIT)
    postcode = reader.text(found, "postal_code", f"{at}.postal_code", limit=POSTCODE_LIMIT) or ""
    city = reader.text(found, "city", f"{at}.city", limit=CITY_LIMIT) or ""
    country_text = reader.text(found, "country", f"{at}.country", limit=10)
    country = seller.address.country
    if country_text is not None:
        if len(country_text) == 2 and country_text.upper() in ISO_COUNTRIES:
            country = country_text.upper()
        else:
            reader.add("bad_country", f"{at}.country", country_text)
            return None
    return Address(tuple(part for part in (line1, line2) if part), postcode, city, country)


def _vat_id(reader: _Reader, details: dict[str, Any], path: str) -> str | None:
    """The first EU VAT number among the customer's tax ids (other kinds make no VAT number)."""
    tax_ids = details.get("tax_ids")
    if tax_ids is None:
        return None
    if not isinstance(tax_ids, list):
        reader.add("wrong_type", f"{path}.tax_ids", tax_ids, expected="list")
        return None
    for index, tax_id in enumerate(tax_ids[:20]):
        at = f"{path}.tax_ids[{index}]"
        if not isinstance(tax_id, dict):
            reader.add("wrong_type", at, tax_id, expected="object")
            return None
        if tax_id.get("type") != "eu_vat":
            continue
        value = reader.text(tax_id, "value", f"{at}.value", limit=40, required=True)
        if value is None:
            return None
        try:
            return identifiers.vat_id(value)
        except ValueError:
            reader.add("bad_vat_id", f"{at}.value", value)
            return None
    return None


# --- the items -------------------------------------------------------------------------------------------


def _items(
    reader: _Reader, session: dict[str, Any], seller: Seller, buyer: Client | None, standard_rate: Decimal
) -> list[_Item] | None:
    try:
        listing = reader.mapping(session, "line_items", "session.line_items")
    except _Refused:
        return None
    data = listing.get("data")
    if data is None:
        reader.add("required", "session.line_items.data")
        return None
    if not isinstance(data, list):
        reader.add("wrong_type", "session.line_items.data", data, expected="list")
        return None
    if listing.get("has_more") is True:
        reader.add(
            "not_an_online_sale",
            "session.line_items.has_more",
            "true",
            detail="the list of line items is incomplete (has_more)",
        )
        return None
    if not data:
        reader.add("required", "session.line_items.data")
        return None
    if len(data) > MAX_ITEMS:
        reader.add("too_many_items", "session.line_items.data", data, count=len(data), limit=MAX_ITEMS)
        return None
    items: list[_Item] = []
    ok = True
    for index, raw in enumerate(data):
        item = _item(reader, raw, index, seller, buyer, standard_rate)
        ok = ok and item is not None
        if item is not None:
            items.append(item)
    shipping = _shipping(reader, session, seller, buyer, standard_rate)
    if shipping is False:
        return None
    if shipping is not None:
        items.append(shipping)
    return items if ok else None


def _item(
    reader: _Reader,
    raw: Any,
    index: int,
    seller: Seller,
    buyer: Client | None,
    standard_rate: Decimal,
) -> _Item | None:
    row = index + 1
    path = f"session.line_items.data[{index}]"
    if not isinstance(raw, dict):
        reader.add("wrong_type", path, raw, row, expected="object")
        return None
    found = len(reader.problems)
    description = reader.text(raw, "description", f"{path}.description", limit=DESCRIPTION_LIMIT, row=row)
    if description is None and len(reader.problems) == found:
        price = raw.get("price")
        product = price.get("product") if isinstance(price, dict) else None
        if isinstance(product, dict):
            description = reader.text(
                product, "name", f"{path}.price.product.name", limit=DESCRIPTION_LIMIT, row=row
            )
        if description is None and len(reader.problems) == found:
            reader.add("required", f"{path}.description", row=row)
    quantity = _quantity(reader, raw, f"{path}.quantity", row)
    total = reader.cents(raw, "amount_total", f"{path}.amount_total", row=row)
    tax = reader.cents(raw, "amount_tax", f"{path}.amount_tax", required=False, row=row) or 0
    if total is not None and tax > total:
        reader.add(
            "sale_vat_unsupported", f"{path}.amount_tax", tax, row, tax=f"{_m(tax)} of tax on {_m(total)}"
        )
    if len(reader.problems) > found or description is None or quantity is None or total is None:
        return None
    vat = _vat(reader, raw, path, row, total, tax, seller, buyer, standard_rate)
    if vat is None:
        return None
    return _Item(row, description, quantity, total, tax, vat)


def _quantity(reader: _Reader, raw: dict[str, Any], path: str, row: int) -> int | None:
    value = raw.get("quantity")
    if value is None:
        reader.add("required", path, row=row)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or isinstance(value, _Huge):
        if isinstance(value, _Huge):
            reader.add("number_too_large", path, "…", row, limit=_euros(QUANTITY_LIMIT * 100))
        else:
            reader.add("wrong_type", path, value, row, expected="integer")
        return None
    if value <= 0:
        reader.add("not_positive", path, value, row)
        return None
    if value >= QUANTITY_LIMIT:
        reader.add("number_too_large", path, value, row, limit=_euros(QUANTITY_LIMIT * 100))
        return None
    return value


def _shipping(
    reader: _Reader, session: dict[str, Any], seller: Seller, buyer: Client | None, standard_rate: Decimal
) -> _Item | bool | None:
    """The shipping charged, as one more item; None when none; False when it is wrong."""
    path = "session.shipping_cost"
    try:
        cost = reader.mapping(session, "shipping_cost", path, required=False)
    except _Refused:
        return False
    if not cost:
        return None
    found = len(reader.problems)
    total = reader.cents(cost, "amount_total", f"{path}.amount_total")
    tax = reader.cents(cost, "amount_tax", f"{path}.amount_tax", required=False) or 0
    if len(reader.problems) > found or total is None:
        return False
    if total == 0:
        return None
    if tax > total:
        reader.add("sale_vat_unsupported", f"{path}.amount_tax", tax, tax=f"{_m(tax)} of tax on {_m(total)}")
        return False
    vat = _vat(reader, cost, path, None, total, tax, seller, buyer, standard_rate)
    if vat is None:
        return False
    locale = buyer.locale if buyer is not None else Locale.FR
    return _Item(None, SHIPPING[locale], 1, total, tax, vat)


def _vat(
    reader: _Reader,
    raw: dict[str, Any],
    path: str,
    row: int | None,
    total: int,
    tax: int,
    seller: Seller,
    buyer: Client | None,
    standard_rate: Decimal,
) -> VatTreatment | None:
    """The VAT of an item (its price includes it, whatever Stripe's tax data); None after a problem."""
    taxes = raw.get("taxes")
    if taxes is None:
        taxes = []
    if not isinstance(taxes, list):
        reader.add("wrong_type", f"{path}.taxes", taxes, row, expected="list")
        return None
    rates: list[
        tuple[Decimal | None, str | None, str | None, int]
    ] = []  # percentage, country, reason, amount
    for index, entry in enumerate(taxes[:10]):
        at = f"{path}.taxes[{index}]"
        if not isinstance(entry, dict):
            reader.add("wrong_type", at, entry, row, expected="object")
            return None
        amount = reader.cents(entry, "amount", f"{at}.amount", row=row)
        if amount is None:
            return None
        rate = entry.get("rate")
        percentage = country = None
        if isinstance(rate, dict):
            value = rate.get("percentage")
            if isinstance(value, int | Decimal) and not isinstance(value, bool | _Huge):
                percentage = Decimal(value)
            country = rate.get("country") if isinstance(rate.get("country"), str) else None
        reason = entry.get("taxability_reason")
        rates.append((percentage, country, reason if isinstance(reason, str) else None, amount))
    if len(taxes) > 10:
        reader.add("sale_vat_unsupported", f"{path}.taxes", taxes, row, tax=f"{len(taxes)} taxes")
        return None

    charged = [r for r in rates if r[3] > 0]
    if seller.vat_regime is VatRegime.FRANCHISE:
        if tax or charged:
            reader.add("franchise_with_vat", f"{path}.amount_tax", tax, row)
            return None
        return VatTreatment.exempt("franchise")

    if tax == 0 and not charged:
        if any(r[2] == "reverse_charge" for r in rates):
            if buyer is None or not buyer.vat_id:
                detail = "reverse charge, without the customer's VAT number"
                reader.add("sale_vat_unsupported", f"{path}.taxes", "reverse_charge", row, tax=detail)
                return None
            return VatTreatment.exempt("autoliquidation")
        rated = [r for r in rates if r[0] is not None and r[0] != 0]
        if rates and not rated:
            reason = next((r[2] for r in rates if r[2]), None) or "0 %"
            reader.add("sale_vat_unsupported", f"{path}.taxes", reason, row, tax=reason[:60])
            return None
        if not rated:
            return VatTreatment.standard(standard_rate)  # no tax data: French consumer prices, at 20 %
        # A rate whose VAT rounds to nothing on so small an amount (0,09 € at 5,5 %): that rate.
        charged = rated

    known = {(r[0], (r[1] or "FR").upper()) for r in charged if r[0] is not None}
    if len(charged) > 1 or len(known) > 1:
        shown = ", ".join(
            f"{'?' if r[0] is None else format(r[0].normalize(), 'f')} % {r[1] or ''}".strip()
            for r in charged
        )
        reader.add("sale_vat_unsupported", f"{path}.taxes", shown, row, tax=shown[:60])
        return None
    if known:
        (percentage, country), *_ = known
        rate = next((r for r in FRENCH_RATES if r == percentage), None)
        if rate is None or country != "FR":
            shown = f"{_percent(percentage)} % {country}"
            reader.add("sale_vat_unsupported", f"{path}.taxes", shown, row, tax=shown)
            return None
        return VatTreatment.standard(rate)
    # Tax amounts without their rates (the line items were listed without expanding taxes): the
    # French rate that gives this tax on this net amount.
    rate = _rate_of(total - tax, tax)
    if rate is None:
        shown = f"{_m(tax)} of tax on {_m(total - tax)}"
        reader.add("sale_vat_unsupported", f"{path}.amount_tax", tax, row, tax=shown)
        return None
    return VatTreatment.standard(rate)


def _percent(value: Decimal | None) -> str:
    return "?" if value is None else format(value.normalize(), "f")


def _rate_of(net: int, tax: int) -> Decimal | None:
    """The one French rate whose VAT on ``net`` cents is ``tax`` cents, give or take a cent."""
    if net <= 0:
        return None
    close = sorted(
        (abs(_vat_cents(net, rate) - tax), rate)
        for rate in FRENCH_RATES
        if abs(_vat_cents(net, rate) - tax) <= 1
    )
    if not close or (len(close) > 1 and close[0][0] == close[1][0]):
        return None
    return close[0][1]


def _vat_cents(net: int, rate: Decimal) -> int:
    return int((Decimal(net) * rate / _HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- the lines ---------------------------------------------------------------------------------------------


def _lines(items: list[_Item]) -> tuple[Line, ...]:
    """One line per item at its price including VAT: what was paid for it, to the cent. The totals
    (``Draft.prices_include_vat``) derive the VAT and the amounts excluding VAT from these prices."""
    return tuple(
        Line(
            description=item.description,
            quantity=Decimal(item.quantity),
            unit=DEFAULT_UNIT,
            unit_price=unit_price_for(Decimal(item.total).scaleb(-2), Decimal(item.quantity), _PRICE_PLACES),
            vat=item.vat,
            source_row=item.row,
        )
        for item in items
    )
