"""Read a CII invoice (Factur-X / ZUGFeRD 2.x, UN/CEFACT D16B namespaces) into plain typed values.

``read_cii(xml)`` returns a frozen ``CiiDocument`` of what the XML says, field by field (EN 16931
business terms in the comments): amounts and quantities as ``Decimal``, dates as ``date``, codes as the
strings the XML carries. It reads our own XML back (``invoicing.documents.cii``) and suppliers' XML
alike, so nothing is assumed beyond the CII structure: an absent element gives ``None`` (or an empty
tuple), never a default. The parser refuses entities and network access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

_ROOT = f"{{{RSM}}}CrossIndustryInvoice"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


class CiiError(ValueError):
    """The bytes are not a readable CII invoice."""


# --- what the reader returns ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CiiAddress:
    lines: tuple[str, ...]
    postcode: str | None
    city: str | None
    country: str | None
    subdivision: str | None = None


@dataclass(frozen=True, slots=True)
class CiiParty:
    name: str | None  # BT-27 / BT-44
    #: BT-29 / BT-46 without a scheme (ram:ID), e.g. the seller's customer reference.
    ids: tuple[str, ...]
    #: BT-29 / BT-46 with a scheme (ram:GlobalID) as (scheme, value), e.g. ("0009", SIRET).
    global_ids: tuple[tuple[str | None, str], ...]
    legal_id: str | None  # BT-30 / BT-47
    legal_id_scheme: str | None
    trading_name: str | None  # BT-28 / BT-45
    description: str | None  # BT-33, seller additional legal information
    vat_id: str | None  # BT-31 / BT-48 (scheme VA)
    tax_registration_id: str | None  # BT-32 (scheme FC)
    address: CiiAddress | None
    electronic_address: str | None  # BT-34 / BT-49
    electronic_address_scheme: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None

    @property
    def siren(self) -> str | None:
        """The French SIREN: the legal id under scheme 0002, or the head of a SIRET (scheme 0009)."""
        if self.legal_id and self.legal_id_scheme == "0002":
            return self.legal_id
        for scheme, value in self.global_ids:
            if scheme == "0009" and len(value) == 14 and value.isdigit():
                return value[:9]
        return None


@dataclass(frozen=True, slots=True)
class CiiAllowanceCharge:
    is_charge: bool
    amount: Decimal | None  # BT-92 / BT-99 / BT-136 / BT-141
    basis: Decimal | None
    percent: Decimal | None
    reason: str | None
    reason_code: str | None
    vat_category: str | None  # BT-95 / BT-102 (document level only)
    vat_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class CiiLine:
    line_id: str | None  # BT-126
    name: str | None  # BT-153
    description: str | None  # BT-154
    seller_item_id: str | None  # BT-155
    quantity: Decimal | None  # BT-129
    unit_code: str | None  # BT-130
    net_price: Decimal | None  # BT-146
    price_basis_quantity: Decimal | None  # BT-149
    gross_price: Decimal | None  # BT-148
    net_amount: Decimal | None  # BT-131
    vat_category: str | None  # BT-151
    vat_rate: Decimal | None  # BT-152
    allowances_charges: tuple[CiiAllowanceCharge, ...]  # BG-27 / BG-28
    period_start: date | None  # BT-134
    period_end: date | None  # BT-135
    note: str | None  # BT-127

    @property
    def allowances(self) -> tuple[CiiAllowanceCharge, ...]:
        return tuple(a for a in self.allowances_charges if not a.is_charge)

    @property
    def charges(self) -> tuple[CiiAllowanceCharge, ...]:
        return tuple(a for a in self.allowances_charges if a.is_charge)


@dataclass(frozen=True, slots=True)
class CiiVatBreakdown:
    category: str | None  # BT-118
    rate: Decimal | None  # BT-119
    basis: Decimal | None  # BT-116
    amount: Decimal | None  # BT-117
    exemption_reason: str | None  # BT-120
    exemption_reason_code: str | None  # BT-121
    due_date_code: str | None  # BT-8
    tax_point_date: date | None  # BT-7


@dataclass(frozen=True, slots=True)
class CiiTotals:
    line_total: Decimal | None  # BT-106
    allowance_total: Decimal | None  # BT-107
    charge_total: Decimal | None  # BT-108
    tax_basis_total: Decimal | None  # BT-109
    tax_total: Decimal | None  # BT-110, in the invoice currency
    tax_total_accounting: Decimal | None  # BT-111, in the accounting currency when it differs
    grand_total: Decimal | None  # BT-112
    prepaid: Decimal | None  # BT-113
    rounding: Decimal | None  # BT-114
    due_payable: Decimal | None  # BT-115


@dataclass(frozen=True, slots=True)
class CiiPaymentMeans:
    type_code: str | None  # BT-81
    information: str | None  # BT-82
    iban: str | None  # BT-84
    account_name: str | None  # BT-85
    bic: str | None  # BT-86


@dataclass(frozen=True, slots=True)
class CiiReference:
    number: str | None  # BT-25
    issue_date: date | None  # BT-26


@dataclass(frozen=True, slots=True)
class CiiNote:
    subject: str | None  # BT-21
    content: str  # BT-22


@dataclass(frozen=True, slots=True)
class CiiDocument:
    number: str | None  # BT-1
    type_code: str | None  # BT-3
    issue_date: date | None  # BT-2
    due_date: date | None  # BT-9
    currency: str | None  # BT-5
    tax_currency: str | None  # BT-6
    business_process: str | None  # BT-23
    guideline: str | None  # BT-24
    notes: tuple[CiiNote, ...]  # BG-1
    seller: CiiParty | None  # BG-4
    buyer: CiiParty | None  # BG-7
    buyer_reference: str | None  # BT-10
    order_ref: str | None  # BT-13
    contract_ref: str | None  # BT-12
    invoice_references: tuple[CiiReference, ...]  # BG-3
    delivery_date: date | None  # BT-72
    period_start: date | None  # BT-73
    period_end: date | None  # BT-74
    payment_reference: str | None  # BT-83
    payment_means: tuple[CiiPaymentMeans, ...]  # BG-16
    payment_terms: str | None  # BT-20
    lines: tuple[CiiLine, ...]  # BG-25
    allowances_charges: tuple[CiiAllowanceCharge, ...]  # BG-20 / BG-21
    vat_breakdown: tuple[CiiVatBreakdown, ...]  # BG-23
    totals: CiiTotals  # BG-22

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in ("381", "261", "262", "296", "308", "396", "420", "458", "502", "503", "532")

    @property
    def vat_point_date_code(self) -> str | None:
        """BT-8, the same on every VAT breakdown row when present."""
        return next((row.due_date_code for row in self.vat_breakdown if row.due_date_code), None)

    def notes_by_subject(self) -> dict[str | None, tuple[str, ...]]:
        found: dict[str | None, list[str]] = {}
        for note in self.notes:
            found.setdefault(note.subject, []).append(note.content)
        return {subject: tuple(contents) for subject, contents in found.items()}

    def note(self, subject: str) -> str | None:
        """The first note with this subject code (PMT, PMD, AAB, REG...)."""
        return next((n.content for n in self.notes if n.subject == subject), None)

    @property
    def allowances(self) -> tuple[CiiAllowanceCharge, ...]:
        return tuple(a for a in self.allowances_charges if not a.is_charge)

    @property
    def charges(self) -> tuple[CiiAllowanceCharge, ...]:
        return tuple(a for a in self.allowances_charges if a.is_charge)


# --- XPath, compiled once ---------------------------------------------------------------------------------


def _xp(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NAMESPACES)


_X: dict[str, etree.XPath] = {
    name: _xp(expression)
    for name, expression in {
        "context_process": (
            "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
        ),
        "context_guideline": (
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        ),
        "doc_id": "rsm:ExchangedDocument/ram:ID",
        "doc_type": "rsm:ExchangedDocument/ram:TypeCode",
        "doc_date": "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
        "doc_notes": "rsm:ExchangedDocument/ram:IncludedNote",
        "lines": "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem",
        "agreement": "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement",
        "delivery": "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery",
        "settlement": "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement",
        # note
        "note_content": "ram:Content",
        "note_subject": "ram:SubjectCode",
        # agreement
        "seller": "ram:SellerTradeParty",
        "buyer": "ram:BuyerTradeParty",
        "buyer_reference": "ram:BuyerReference",
        "order_ref": "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        "contract_ref": "ram:ContractReferencedDocument/ram:IssuerAssignedID",
        # party
        "party_ids": "ram:ID",
        "party_global_ids": "ram:GlobalID",
        "party_name": "ram:Name",
        "party_description": "ram:Description",
        "party_legal_id": "ram:SpecifiedLegalOrganization/ram:ID",
        "party_trading_name": "ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
        "party_tax_ids": "ram:SpecifiedTaxRegistration/ram:ID",
        "party_address": "ram:PostalTradeAddress",
        "party_uri": "ram:URIUniversalCommunication/ram:URIID",
        "party_contact_name": "ram:DefinedTradeContact/ram:PersonName",
        "party_contact_phone": (
            "ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber"
        ),
        "party_contact_email": "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
        # address
        "postcode": "ram:PostcodeCode",
        "address_lines": "ram:LineOne | ram:LineTwo | ram:LineThree",
        "city": "ram:CityName",
        "country": "ram:CountryID",
        "subdivision": "ram:CountrySubDivisionName",
        # delivery
        "delivery_date": "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
        # settlement
        "payment_reference": "ram:PaymentReference",
        "currency": "ram:InvoiceCurrencyCode",
        "tax_currency": "ram:TaxCurrencyCode",
        "payment_means": "ram:SpecifiedTradeSettlementPaymentMeans",
        "means_type": "ram:TypeCode",
        "means_information": "ram:Information",
        "means_iban": "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
        "means_account_name": "ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
        "means_bic": "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
        "taxes": "ram:ApplicableTradeTax",
        "period_start": "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
        "period_end": "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
        "allowances_charges": "ram:SpecifiedTradeAllowanceCharge",
        "terms_description": "ram:SpecifiedTradePaymentTerms/ram:Description",
        "terms_due_date": "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
        "summation": "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
        "invoice_references": "ram:InvoiceReferencedDocument",
        "reference_id": "ram:IssuerAssignedID",
        "reference_date": "ram:FormattedIssueDateTime/qdt:DateTimeString",
        # tax
        "tax_amount": "ram:CalculatedAmount",
        "tax_exemption_reason": "ram:ExemptionReason",
        "tax_basis": "ram:BasisAmount",
        "tax_category": "ram:CategoryCode",
        "tax_exemption_code": "ram:ExemptionReasonCode",
        "tax_point_date": "ram:TaxPointDate/udt:DateString",
        "tax_due_code": "ram:DueDateTypeCode",
        "tax_rate": "ram:RateApplicablePercent",
        # allowance / charge
        "ac_indicator": "ram:ChargeIndicator/udt:Indicator",
        "ac_percent": "ram:CalculationPercent",
        "ac_basis": "ram:BasisAmount",
        "ac_amount": "ram:ActualAmount",
        "ac_reason_code": "ram:ReasonCode",
        "ac_reason": "ram:Reason",
        "ac_category": "ram:CategoryTradeTax/ram:CategoryCode",
        "ac_rate": "ram:CategoryTradeTax/ram:RateApplicablePercent",
        # summation
        "sum_lines": "ram:LineTotalAmount",
        "sum_charges": "ram:ChargeTotalAmount",
        "sum_allowances": "ram:AllowanceTotalAmount",
        "sum_basis": "ram:TaxBasisTotalAmount",
        "sum_tax": "ram:TaxTotalAmount",
        "sum_rounding": "ram:RoundingAmount",
        "sum_grand": "ram:GrandTotalAmount",
        "sum_prepaid": "ram:TotalPrepaidAmount",
        "sum_due": "ram:DuePayableAmount",
        # line
        "line_id": "ram:AssociatedDocumentLineDocument/ram:LineID",
        "line_note": "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content",
        "line_name": "ram:SpecifiedTradeProduct/ram:Name",
        "line_description": "ram:SpecifiedTradeProduct/ram:Description",
        "line_seller_item": "ram:SpecifiedTradeProduct/ram:SellerAssignedID",
        "line_net_price": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
        "line_price_basis": "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
        "line_gross_price": (
            "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice/ram:ChargeAmount"
        ),
        "line_quantity": "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
        "line_settlement": "ram:SpecifiedLineTradeSettlement",
        "line_tax_category": "ram:ApplicableTradeTax/ram:CategoryCode",
        "line_tax_rate": "ram:ApplicableTradeTax/ram:RateApplicablePercent",
        "line_amount": "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
    }.items()
}


def _first(context: Any, name: str) -> Any:
    found = _X[name](context)
    return found[0] if found else None


def _text(context: Any, name: str) -> str | None:
    """The whitespace-trimmed text of the first match, or None when absent or empty."""
    element = _first(context, name)
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def _decimal(context: Any, name: str) -> Decimal | None:
    text = _text(context, name)
    return _to_decimal(text, name) if text is not None else None


def _to_decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CiiError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite():
        raise CiiError(f"{where}: {text!r} is not a finite number")
    return value


def _date(context: Any, name: str) -> date | None:
    element = _first(context, name)
    if element is None or not (element.text or "").strip():
        return None
    text = element.text.strip()
    form = element.get("format", "102")
    try:
        if form == "102" and len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        if form == "610" and len(text) == 6 and text.isdigit():  # CCYYMM: the month's first day
            return date(int(text[:4]), int(text[4:6]), 1)
        return date.fromisoformat(text[:10])  # tolerated: an ISO date where 102 was meant
    except ValueError:
        raise CiiError(f"{name}: {text!r} is not a date in format {form}") from None


def _all(context: Any, name: str, read: Callable[[Any], Any]) -> tuple[Any, ...]:
    return tuple(read(element) for element in _X[name](context))


# --- readers of each group -------------------------------------------------------------------------------


def _address(element: Any) -> CiiAddress | None:
    if element is None:
        return None
    lines = tuple(text for e in _X["address_lines"](element) if (text := (e.text or "").strip()))
    return CiiAddress(
        lines=lines,
        postcode=_text(element, "postcode"),
        city=_text(element, "city"),
        country=_text(element, "country"),
        subdivision=_text(element, "subdivision"),
    )


def _party(element: Any) -> CiiParty | None:
    if element is None:
        return None
    vat_id = tax_id = None
    for tax in _X["party_tax_ids"](element):
        text = (tax.text or "").strip()
        scheme = tax.get("schemeID")
        if scheme == "VA" and vat_id is None:
            vat_id = text or None
        elif scheme == "FC" and tax_id is None:
            tax_id = text or None
    legal = _first(element, "party_legal_id")
    uri = _first(element, "party_uri")
    return CiiParty(
        name=_text(element, "party_name"),
        ids=tuple(text for e in _X["party_ids"](element) if (text := (e.text or "").strip())),
        global_ids=tuple(
            (e.get("schemeID"), text)
            for e in _X["party_global_ids"](element)
            if (text := (e.text or "").strip())
        ),
        legal_id=((legal.text or "").strip() or None) if legal is not None else None,
        legal_id_scheme=legal.get("schemeID") if legal is not None else None,
        trading_name=_text(element, "party_trading_name"),
        description=_text(element, "party_description"),
        vat_id=vat_id,
        tax_registration_id=tax_id,
        address=_address(_first(element, "party_address")),
        electronic_address=((uri.text or "").strip() or None) if uri is not None else None,
        electronic_address_scheme=uri.get("schemeID") if uri is not None else None,
        contact_name=_text(element, "party_contact_name"),
        contact_phone=_text(element, "party_contact_phone"),
        contact_email=_text(element, "party_contact_email"),
    )


def _allowance_charge(element: Any) -> CiiAllowanceCharge:
    indicator = (_text(element, "ac_indicator") or "").lower()
    return CiiAllowanceCharge(
        is_charge=indicator in ("true", "1"),
        amount=_decimal(element, "ac_amount"),
        basis=_decimal(element, "ac_basis"),
        percent=_decimal(element, "ac_percent"),
        reason=_text(element, "ac_reason"),
        reason_code=_text(element, "ac_reason_code"),
        vat_category=_text(element, "ac_category"),
        vat_rate=_decimal(element, "ac_rate"),
    )


def _line(element: Any) -> CiiLine:
    quantity = _first(element, "line_quantity")
    settlement = _first(element, "line_settlement")
    quantity_text = (quantity.text or "").strip() if quantity is not None else ""
    return CiiLine(
        line_id=_text(element, "line_id"),
        name=_text(element, "line_name"),
        description=_text(element, "line_description"),
        seller_item_id=_text(element, "line_seller_item"),
        quantity=_to_decimal(quantity_text, "BilledQuantity") if quantity_text else None,
        unit_code=quantity.get("unitCode") if quantity is not None else None,
        net_price=_decimal(element, "line_net_price"),
        price_basis_quantity=_decimal(element, "line_price_basis"),
        gross_price=_decimal(element, "line_gross_price"),
        net_amount=_decimal(settlement, "line_amount") if settlement is not None else None,
        vat_category=_text(settlement, "line_tax_category") if settlement is not None else None,
        vat_rate=_decimal(settlement, "line_tax_rate") if settlement is not None else None,
        allowances_charges=_all(settlement, "allowances_charges", _allowance_charge)
        if settlement is not None
        else (),
        period_start=_date(settlement, "period_start") if settlement is not None else None,
        period_end=_date(settlement, "period_end") if settlement is not None else None,
        note=_text(element, "line_note"),
    )


def _vat(element: Any) -> CiiVatBreakdown:
    return CiiVatBreakdown(
        category=_text(element, "tax_category"),
        rate=_decimal(element, "tax_rate"),
        basis=_decimal(element, "tax_basis"),
        amount=_decimal(element, "tax_amount"),
        exemption_reason=_text(element, "tax_exemption_reason"),
        exemption_reason_code=_text(element, "tax_exemption_code"),
        due_date_code=_text(element, "tax_due_code"),
        tax_point_date=_date(element, "tax_point_date"),
    )


def _means(element: Any) -> CiiPaymentMeans:
    return CiiPaymentMeans(
        type_code=_text(element, "means_type"),
        information=_text(element, "means_information"),
        iban=_text(element, "means_iban"),
        account_name=_text(element, "means_account_name"),
        bic=_text(element, "means_bic"),
    )


def _reference(element: Any) -> CiiReference:
    return CiiReference(_text(element, "reference_id"), _date(element, "reference_date"))


def _note(element: Any) -> CiiNote:
    return CiiNote(_text(element, "note_subject"), (_text(element, "note_content") or ""))


def _totals(element: Any, currency: str | None, tax_currency: str | None) -> CiiTotals:
    if element is None:
        return CiiTotals(None, None, None, None, None, None, None, None, None, None)
    tax_total = tax_accounting = None
    for amount in _X["sum_tax"](element):
        text = (amount.text or "").strip()
        if not text:
            continue
        value = _to_decimal(text, "TaxTotalAmount")
        in_currency = amount.get("currencyID")
        if in_currency is None or in_currency == currency:
            if tax_total is None:
                tax_total = value
        elif in_currency == tax_currency and tax_accounting is None:
            tax_accounting = value
    if tax_total is None and tax_accounting is not None and tax_currency in (None, currency):
        tax_total, tax_accounting = tax_accounting, None
    return CiiTotals(
        line_total=_decimal(element, "sum_lines"),
        allowance_total=_decimal(element, "sum_allowances"),
        charge_total=_decimal(element, "sum_charges"),
        tax_basis_total=_decimal(element, "sum_basis"),
        tax_total=tax_total,
        tax_total_accounting=tax_accounting,
        grand_total=_decimal(element, "sum_grand"),
        prepaid=_decimal(element, "sum_prepaid"),
        rounding=_decimal(element, "sum_rounding"),
        due_payable=_decimal(element, "sum_due"),
    )


def read_cii(xml: bytes) -> CiiDocument:
    """What a CII invoice or credit note says. Raises ``CiiError`` for anything else."""
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CiiError(f"not well-formed XML: {exc}") from None
    if root.tag != _ROOT:
        raise CiiError(f"not a CII D16B invoice: the root element is {root.tag}")
    agreement = _first(root, "agreement")
    delivery = _first(root, "delivery")
    settlement = _first(root, "settlement")
    on_settlement = settlement is not None
    currency = _text(settlement, "currency") if on_settlement else None
    tax_currency = _text(settlement, "tax_currency") if on_settlement else None
    return CiiDocument(
        number=_text(root, "doc_id"),
        type_code=_text(root, "doc_type"),
        issue_date=_date(root, "doc_date"),
        due_date=_date(settlement, "terms_due_date") if on_settlement else None,
        currency=currency,
        tax_currency=tax_currency,
        business_process=_text(root, "context_process"),
        guideline=_text(root, "context_guideline"),
        notes=_all(root, "doc_notes", _note),
        seller=_party(_first(agreement, "seller")) if agreement is not None else None,
        buyer=_party(_first(agreement, "buyer")) if agreement is not None else None,
        buyer_reference=_text(agreement, "buyer_reference") if agreement is not None else None,
        order_ref=_text(agreement, "order_ref") if agreement is not None else None,
        contract_ref=_text(agreement, "contract_ref") if agreement is not None else None,
        invoice_references=_all(settlement, "invoice_references", _reference) if on_settlement else (),
        delivery_date=_date(delivery, "delivery_date") if delivery is not None else None,
        period_start=_date(settlement, "period_start") if on_settlement else None,
        period_end=_date(settlement, "period_end") if on_settlement else None,
        payment_reference=_text(settlement, "payment_reference") if on_settlement else None,
        payment_means=_all(settlement, "payment_means", _means) if on_settlement else (),
        payment_terms=_text(settlement, "terms_description") if on_settlement else None,
        lines=_all(root, "lines", _line),
        allowances_charges=_all(settlement, "allowances_charges", _allowance_charge) if on_settlement else (),
        vat_breakdown=_all(settlement, "taxes", _vat) if on_settlement else (),
        totals=_totals(_first(settlement, "summation") if on_settlement else None, currency, tax_currency),
    )
