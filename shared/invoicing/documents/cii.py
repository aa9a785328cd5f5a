"""The structured invoice: UN/CEFACT Cross Industry Invoice (CII D16B) as Factur-X 1.0 / ZUGFeRD 2.x carry it.

``build_cii(invoice, profile)`` writes the XML for the profiles BASIC, EN 16931 (the default) and EXTENDED,
in the element order of each profile's XSD, with what the French e-invoicing reform adds on top of
EN 16931 (the FNFE BR-FR rules, version 1.4.0):

- BT-23, the "cadre de facturation": B1 (goods), S1 (services) or M1 (mixed), from the seller's
  operation category (BR-FR-08).
- Notes PMT (fixed recovery fee), PMD (late-payment penalties) and AAB (no early-payment discount)
  on every document, each exactly once (BR-FR-05, BR-FR-06); they carry the French legal mentions,
  which ``invoicing.documents.mentions`` decides and words, as it does the exemption reasons (BT-120)
  and how a credit note is settled (BT-20).
- The seller's SIREN as BT-30 (scheme 0002, BR-FR-10) and an electronic address for both parties
  (BT-34 and BT-49, BR-FR-13 and BR-FR-12): the SIREN under scheme 0225 (the French addressing
  directory) when the party has one, else the e-mail address under scheme EM.
- VAT rates written as the French list spells them: ``20``, ``10``, ``5.5``, ``2.1``, ``0`` (BR-FR-16).

An invoice issued paid (``Invoice.settled``, an online sale) says so: its total as paid (BT-113) and
nothing due (BT-115, BR-CO-16), how it was paid (BT-81) in place of the transfer details, and "Facture
acquittée le …" as its payment terms (BT-20).

An invoice priced including VAT (``Draft.prices_include_vat``, a sale paid online) states its lines
excluding VAT like any other: each line's net amount (BT-131) and net price (BT-146, at most six
decimals) as its totals derive them, adding up exactly to the base of their rate (BR-S-08); the VAT of
a rate (BT-117), computed on its total including VAT, is then within a cent of base x rate, where
BR-CO-17 and BR-S-09 accept less than one unit of currency (``invoicing.domain.money``).

The XML says what the visible invoice says (``invoicing.documents.pdf``): the same parties, lines,
discounts, totals, exemption wording, payment details and legal mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from invoicing.documents.mentions import Kind, Where, mentions
from invoicing.domain.invoice import AllowanceCharge, Invoice, Line, LineAmounts
from invoicing.domain.money import ZERO
from invoicing.domain.parties import Address, Client, OperationCategory, Seller, VatRegime
from invoicing.domain.vat import VatCategory, VatTreatment

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

#: BT-24 specification identifier of each supported Factur-X profile.
GUIDELINES: dict[str, str] = {
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "en16931": "urn:cen.eu:en16931:2017",
    "extended": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
}

#: BT-23, the French "cadre de facturation" (BR-FR-08): case 1, a plain invoice, for goods, services or both.
BUSINESS_PROCESS: dict[OperationCategory, str] = {
    OperationCategory.GOODS: "B1",
    OperationCategory.SERVICES: "S1",
    OperationCategory.MIXED: "M1",
}

#: Units as people type them in French (and English) spreadsheets -> UN/ECE Recommendation 20 (with the
#: Rec. 21 "X" package codes), the list BR-CL-23 checks. Keys are casefolded, without a trailing dot.
#: Anything else becomes C62 ("one"), the neutral unit.
UNIT_CODES: dict[str, str] = {
    # time
    **dict.fromkeys(("h", "hr", "hrs", "heure", "heures", "hour", "hours"), "HUR"),
    **dict.fromkeys(("min", "mn", "minute", "minutes"), "MIN"),
    **dict.fromkeys(("j", "jr", "jrs", "jour", "jours", "journée", "journées", "day", "days"), "DAY"),
    **dict.fromkeys(("sem", "semaine", "semaines", "week", "weeks"), "WEE"),
    **dict.fromkeys(("mois", "month", "months"), "MON"),
    **dict.fromkeys(("an", "ans", "année", "années", "year", "years"), "ANN"),
    # mass, volume, length, area, energy
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogramme", "kilogrammes"), "KGM"),
    **dict.fromkeys(("g", "gramme", "grammes"), "GRM"),
    **dict.fromkeys(("t", "tonne", "tonnes"), "TNE"),
    **dict.fromkeys(("l", "litre", "litres", "liter", "liters"), "LTR"),
    **dict.fromkeys(("cl", "centilitre", "centilitres"), "CLT"),
    # "ml" is left out on purpose: millilitre in a shop, "mètre linéaire" on a builder's invoice.
    **dict.fromkeys(("millilitre", "millilitres"), "MLT"),
    **dict.fromkeys(("m", "mètre", "mètres", "metre", "metres", "mètre linéaire", "mètres linéaires"), "MTR"),
    **dict.fromkeys(("cm", "centimètre", "centimètres"), "CMT"),
    **dict.fromkeys(("km", "kilomètre", "kilomètres"), "KMT"),
    **dict.fromkeys(("m2", "m²", "mètre carré", "mètres carrés"), "MTK"),
    **dict.fromkeys(("m3", "m³", "mètre cube", "mètres cubes"), "MTQ"),
    **dict.fromkeys(("kwh",), "KWH"),
    # counted things: H87 "piece" for physical articles, C62 "one" for abstract units
    **dict.fromkeys(("pièce", "pièces", "piece", "pieces", "pce", "pces", "pc", "pcs"), "H87"),
    **dict.fromkeys(("u", "un", "unité", "unités", "unite", "unites", "unit", "units", "ex"), "C62"),
    **dict.fromkeys(("forfait", "forfaits", "forf", "lump sum"), "LS"),
    **dict.fromkeys(("lot", "lots"), "LO"),
    **dict.fromkeys(("paire", "paires", "pair", "pairs"), "PR"),
    **dict.fromkeys(("jeu", "jeux", "set", "sets"), "SET"),
    **dict.fromkeys(("personne", "personnes", "pers", "person", "persons"), "IE"),
    # packages (Rec. 21)
    **dict.fromkeys(("bouteille", "bouteilles", "btl", "bottle", "bottles"), "XBO"),
    **dict.fromkeys(("carton", "cartons", "colis"), "XCT"),
    **dict.fromkeys(("boîte", "boîtes", "boite", "boites", "box", "boxes"), "XBX"),
    **dict.fromkeys(("sac", "sacs", "bag", "bags"), "XBG"),
    **dict.fromkeys(("palette", "palettes", "pallet", "pallets"), "XPX"),
    **dict.fromkeys(("paquet", "paquets", "packet", "packets"), "XPA"),
}
DEFAULT_UNIT_CODE = "C62"

#: UNTDID 5189 code of a document allowance given without one: 95, "Discount".
DEFAULT_ALLOWANCE_REASON_CODE = "95"

LINE_DISCOUNT_REASON = {"fr": "Remise", "en": "Discount"}

#: BT-81 of an invoice issued paid, by ``Settlement.method`` (UNTDID 4461): 48 bank card, 59 SEPA
#: direct debit, 42 payment to bank account (a bank transfer received), 10 cash, 20 cheque; any other
#: (PayPal, Link, Klarna...) 68, online payment service. Not 58 (SEPA credit transfer), which asks for
#: the account to pay into (BR-61): nothing is left to pay.
PAID_MEANS: dict[str, str] = {
    "card": "48",
    "sepa_debit": "59",
    "customer_balance": "42",
    "bank_transfer": "42",
    "transfer": "42",
    "cash": "10",
    "cheque": "20",
}
ONLINE_PAYMENT_MEANS = "68"


class _Names(dict[str, str]):
    """``names["Name"]`` -> ``"{namespace}Name"``, computed once per name."""

    def __init__(self, namespace: str) -> None:
        super().__init__()
        self.namespace = namespace

    def __missing__(self, key: str) -> str:
        value = self[key] = f"{{{self.namespace}}}{key}"
        return value


_RSM = _Names(RSM)
_RAM = _Names(RAM)
_QDT_DATE = f"{{{QDT}}}DateTimeString"
_UDT_DATE = f"{{{UDT}}}DateTimeString"
_UDT_INDICATOR = f"{{{UDT}}}Indicator"
_FORMAT_102 = {"format": "102"}

_sub = etree.SubElement


class _Profile:
    """What a Factur-X profile's XSD allows beyond BASIC."""

    __slots__ = (
        "allowance_basis",
        "contacts",
        "creditor_bic",
        "guideline",
        "line_exemption",
        "party_description",
    )

    def __init__(self, guideline: str, *, rich: bool, extended: bool = False) -> None:
        self.guideline = guideline
        #: BT-33 seller additional legal information (TradeParty/Description).
        self.party_description = rich
        #: BG-6 seller contact (DefinedTradeContact: telephone, e-mail).
        self.contacts = rich
        #: BT-86 payment service provider (PayeeSpecifiedCreditorFinancialInstitution/BICID).
        self.creditor_bic = rich
        #: BT-137/138 basis and percentage of a line allowance (the BASIC schematron marks them unused).
        self.allowance_basis = rich
        #: Exemption reason text and code on each exempt line and allowance/charge (EXTENDED, whose
        #: BR-FXEXT-*-08rev rules match them against the VAT breakdown).
        self.line_exemption = extended


_PROFILES: dict[str, _Profile] = {
    "basic": _Profile(GUIDELINES["basic"], rich=False),
    "en16931": _Profile(GUIDELINES["en16931"], rich=True),
    "extended": _Profile(GUIDELINES["extended"], rich=True, extended=True),
}


# --- formatting ------------------------------------------------------------------------------------


def unit_code(unit: str) -> str:
    """UN/ECE Rec 20/21 code of a unit as typed (``heures`` -> ``HUR``); C62 when unknown."""
    key = unit.strip().casefold().rstrip(".")
    if key in UNIT_CODES:
        return UNIT_CODES[key]
    # Already a code (``HUR``, ``C62``): keep it when it is one we know.
    upper = unit.strip().upper()
    return upper if upper in _KNOWN_CODES else DEFAULT_UNIT_CODE


_KNOWN_CODES = frozenset(UNIT_CODES.values()) | {DEFAULT_UNIT_CODE}


def rate_text(rate: Decimal) -> str:
    """A VAT rate as BR-FR-16 lists it: ``20``, ``5.5``, ``2.1``, ``0`` (no trailing zeros, no exponent)."""
    return format(rate.normalize(), "f")


def _money(amount: Decimal) -> str:
    return format(amount, ".2f")


def _plain(value: Decimal) -> str:
    """A quantity or price exactly as given, never in exponent notation."""
    return format(value, "f")


def _day(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _grouped(digits: str) -> str:
    return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))


# --- what the XML says, computed from the invoice -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Said:
    """The mentions the XML carries (``invoicing.documents.mentions`` decides them), where it puts them."""

    #: BG-1, (BT-21 subject code, BT-22 text) pairs.
    notes: tuple[tuple[str, str], ...]
    #: BT-33, the seller's legal information (the note REG's text).
    legal_information: str | None
    #: BT-120, the exemption reason of each VATEX code (BT-121), in the document's language.
    exemption_reasons: dict[str, str]
    #: BT-20 of a credit note: how it is settled, in the document's language.
    settlement: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> Said:
        found = mentions(invoice, where=Where.XML)
        locale = invoice.locale
        return cls(
            notes=tuple(m.note for m in found if m.note is not None),
            legal_information=next((m.note[1] for m in found if m.note and m.note[0] == "REG"), None),
            exemption_reasons={m.vatex: m.text(locale) for m in found if m.vatex is not None},
            settlement=next((m.text(locale) for m in found if m.kind is Kind.SETTLEMENT), None),
        )


def vat_point_date_code(invoice: Invoice) -> str | None:
    """BT-8, when the VAT becomes due (UNTDID 2475 as CII restricts it: 5, 29, 72).

    5 "date of invoice" when the seller opted for VAT on debits; 29 "date of delivery" for a seller of
    goods (CGI art. 269: VAT on goods is due on delivery); 72 "paid to date" otherwise, the French
    default for services (VAT due on payment, "TVA sur les encaissements"). None when no VAT is charged.
    """
    if not invoice.has_standard_vat:
        return None
    if invoice.seller.vat_on_debits:
        return "5"
    if invoice.seller.operation_category is OperationCategory.GOODS:
        return "29"
    return "72"


def electronic_address(party: Seller | Client) -> tuple[str, str] | None:
    """(BT-34/BT-49 value, scheme): the SIREN in the French directory (0225), else the e-mail (EM)."""
    siren = party.siren
    if siren:
        return siren, "0225"
    if party.email:
        return party.email, "EM"
    return None


# --- the XML -----------------------------------------------------------------------------------------

_PATHS: dict[str, tuple[str, ...]] = {}


def _tags(path: str) -> tuple[str, ...]:
    """``"A/B"`` -> the qualified ``ram:`` names, split once per path."""
    tags = _PATHS.get(path)
    if tags is None:
        tags = _PATHS[path] = tuple(_RAM[name] for name in path.split("/"))
    return tags


def _put(parent: etree._Element, path: str, text: str, **attributes: str) -> etree._Element:
    """Create the ``ram:`` elements of ``path`` ("A/B/C") under ``parent``; the last one gets ``text``."""
    tags = _tags(path)
    for tag in tags[:-1]:
        parent = _sub(parent, tag)
    leaf = _sub(parent, tags[-1], attributes) if attributes else _sub(parent, tags[-1])
    leaf.text = text
    return leaf


def _put_date(parent: etree._Element, path: str, day: date, *, qualified: bool = False) -> None:
    """``<ram:path><udt:DateTimeString format="102">CCYYMMDD</...>`` (qdt: for referenced documents)."""
    container = parent
    for tag in _tags(path):
        container = _sub(container, tag)
    _sub(container, _QDT_DATE if qualified else _UDT_DATE, _FORMAT_102).text = _day(day)


def _put_indicator(parent: etree._Element, is_charge: bool) -> None:
    _sub(_sub(parent, _RAM["ChargeIndicator"]), _UDT_INDICATOR).text = "true" if is_charge else "false"


def build_cii(invoice: Invoice, profile: str = "en16931") -> bytes:
    """The CII XML of an issued invoice or credit note, UTF-8 with its XML declaration."""
    try:
        spec = _PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown Factur-X profile {profile!r}: use one of {sorted(_PROFILES)}") from None
    root = etree.Element(_RSM["CrossIndustryInvoice"], nsmap=NSMAP)

    context = _sub(root, _RSM["ExchangedDocumentContext"])
    process = BUSINESS_PROCESS[invoice.seller.operation_category]
    _put(context, "BusinessProcessSpecifiedDocumentContextParameter/ID", process)
    _put(context, "GuidelineSpecifiedDocumentContextParameter/ID", spec.guideline)

    document = _sub(root, _RSM["ExchangedDocument"])
    _put(document, "ID", invoice.number)
    _put(document, "TypeCode", invoice.document_type.value)
    _put_date(document, "IssueDateTime", invoice.issue_date)
    said = Said.of(invoice)
    for subject, content in said.notes:
        note = _put(document, "IncludedNote/Content", content).getparent()
        _put(note, "SubjectCode", subject)

    transaction = _sub(root, _RSM["SupplyChainTradeTransaction"])
    locale = invoice.locale
    for number, (line, amounts) in enumerate(zip(invoice.lines, invoice.totals.lines, strict=True), start=1):
        _line(transaction, number, line, amounts, locale, spec, said)
    _agreement(transaction, invoice, spec, said)
    _delivery(transaction, invoice)
    _settlement(transaction, invoice, spec, said)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _line(
    transaction: etree._Element,
    number: int,
    line: Line,
    amounts: LineAmounts,
    locale: str,
    spec: _Profile,
    said: Said,
) -> None:
    item = _sub(transaction, _RAM["IncludedSupplyChainTradeLineItem"])
    _put(item, "AssociatedDocumentLineDocument/LineID", str(number))
    _put(item, "SpecifiedTradeProduct/Name", line.description)
    # BT-146, excluding VAT: the discount is a line allowance (BG-27), so the net price is the unit
    # price; of prices including VAT, the price the totals derive from it (which have no discount).
    price = _plain(amounts.unit_price)
    _put(item, "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount", price)
    quantity = _plain(line.quantity)
    _put(item, "SpecifiedLineTradeDelivery/BilledQuantity", quantity, unitCode=unit_code(line.unit))
    settlement = _sub(item, _RAM["SpecifiedLineTradeSettlement"])
    reasons = said.exemption_reasons if spec.line_exemption else None
    _tax_category(_sub(settlement, _RAM["ApplicableTradeTax"]), line.vat, reasons)
    if line.service_date is not None:  # BT-134/135: the day of this line's sale or service
        period = _sub(settlement, _RAM["BillingSpecifiedPeriod"])
        _put_date(period, "StartDateTime", line.service_date)
        _put_date(period, "EndDateTime", line.service_date)
    if line.discount is not None:
        allowance = _sub(settlement, _RAM["SpecifiedTradeAllowanceCharge"])
        _put_indicator(allowance, False)
        if spec.allowance_basis and line.discount.percent is not None:
            _put(allowance, "CalculationPercent", _plain(line.discount.percent))
            _put(allowance, "BasisAmount", _money(line.gross_amount))
        _put(allowance, "ActualAmount", _money(line.discount_amount))
        _put(allowance, "ReasonCode", DEFAULT_ALLOWANCE_REASON_CODE)
        _put(allowance, "Reason", LINE_DISCOUNT_REASON.get(locale, LINE_DISCOUNT_REASON["fr"]))
    _put(
        settlement,
        "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
        _money(amounts.net_amount),
    )


def _tax_category(tax: etree._Element, vat: VatTreatment, reasons: dict[str, str] | None = None) -> None:
    """TypeCode, CategoryCode and rate of a line or an allowance/charge (BT-151/152, BT-95/96...).

    With the exemption ``reasons`` (EXTENDED), an exempt item also carries its exemption reason and code.
    """
    exemption = vat.exemption if reasons is not None else None
    _put(tax, "TypeCode", "VAT")
    if exemption is not None and reasons is not None:
        _put(tax, "ExemptionReason", reasons[exemption.vatex])
    _put(tax, "CategoryCode", vat.category.value)
    if exemption is not None:
        _put(tax, "ExemptionReasonCode", exemption.vatex)
    if vat.category is not VatCategory.OUT_OF_SCOPE:  # BR-O-05: "not subject to VAT" carries no rate
        _put(tax, "RateApplicablePercent", rate_text(vat.rate))


def _address(party: etree._Element, address: Address) -> None:
    postal = _sub(party, _RAM["PostalTradeAddress"])
    # Only the country is required (BR-11); a buyer who paid online may have given no address.
    if address.postcode:
        _put(postal, "PostcodeCode", address.postcode)
    lines = [line for line in address.lines if line.strip()]
    if len(lines) > 3:  # CII has three address lines; the rest joins the third
        lines = [lines[0], lines[1], ", ".join(lines[2:])]
    for tag, text in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False):
        _put(postal, tag, text)
    if address.city:
        _put(postal, "CityName", address.city)
    _put(postal, "CountryID", address.country)


def _uri(party: etree._Element, value: tuple[str, str] | None) -> None:
    if value is not None:
        _put(party, "URIUniversalCommunication/URIID", value[0], schemeID=value[1])


def _seller(agreement: etree._Element, seller: Seller, spec: _Profile, said: Said) -> None:
    party = _sub(agreement, _RAM["SellerTradeParty"])
    _put(party, "GlobalID", seller.siret, schemeID="0009")  # BT-29: the SIRET
    _put(party, "Name", seller.legal_name)
    if spec.party_description and said.legal_information:
        _put(party, "Description", said.legal_information)
    _put(party, "SpecifiedLegalOrganization/ID", seller.siren, schemeID="0002")
    if spec.contacts and (seller.phone or seller.email):
        contact = _sub(party, _RAM["DefinedTradeContact"])
        if seller.phone:
            _put(contact, "TelephoneUniversalCommunication/CompleteNumber", seller.phone)
        if seller.email:
            _put(contact, "EmailURIUniversalCommunication/URIID", seller.email)
    _address(party, seller.address)
    _uri(party, electronic_address(seller))
    if seller.vat_id:
        _put(party, "SpecifiedTaxRegistration/ID", seller.vat_id, schemeID="VA")
    elif seller.vat_regime is VatRegime.FRANCHISE:
        # Franchise en base without a VAT number: BT-32, the tax registration id, is the SIREN (the
        # French tax identification number of a business); BR-E-02 asks for BT-31, BT-32 or BT-63.
        # A seller charging VAT without a VAT number gets neither, so the rules report the gap.
        _put(party, "SpecifiedTaxRegistration/ID", seller.siren, schemeID="FC")


def _buyer(agreement: etree._Element, buyer: Client) -> None:
    party = _sub(agreement, _RAM["BuyerTradeParty"])
    _put(party, "ID", buyer.ref)  # BT-46: the seller's reference for this customer
    _put(party, "Name", buyer.name)
    if buyer.siren:
        _put(party, "SpecifiedLegalOrganization/ID", buyer.siren, schemeID="0002")
    _address(party, buyer.address)
    _uri(party, electronic_address(buyer))
    if buyer.vat_id:
        _put(party, "SpecifiedTaxRegistration/ID", buyer.vat_id, schemeID="VA")


def _agreement(transaction: etree._Element, invoice: Invoice, spec: _Profile, said: Said) -> None:
    agreement = _sub(transaction, _RAM["ApplicableHeaderTradeAgreement"])
    _seller(agreement, invoice.seller, spec, said)
    _buyer(agreement, invoice.buyer)
    if invoice.draft.order_ref:
        _put(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID", invoice.draft.order_ref)


def _needs_ship_to(invoice: Invoice) -> bool:
    """BR-IC-12: an intra-EU supply names the country goods are delivered to (BT-80)."""
    return any(b.vat.category is VatCategory.INTRA_EU for b in invoice.totals.breakdown)


def _delivery(transaction: etree._Element, invoice: Invoice) -> None:
    delivery = _sub(transaction, _RAM["ApplicableHeaderTradeDelivery"])
    if _needs_ship_to(invoice):
        # The domain has no separate delivery address: goods go to the buyer's address.
        ship_to = _sub(delivery, _RAM["ShipToTradeParty"])
        _put(ship_to, "Name", invoice.buyer.name)
        _address(ship_to, invoice.buyer.address)
    draft = invoice.draft
    if draft.period_start == draft.period_end:  # BT-72, the actual delivery date
        _put_date(delivery, "ActualDeliverySupplyChainEvent/OccurrenceDateTime", draft.period_start)


def _settlement(transaction: etree._Element, invoice: Invoice, spec: _Profile, said: Said) -> None:
    settlement = _sub(transaction, _RAM["ApplicableHeaderTradeSettlement"])
    seller, draft, totals = invoice.seller, invoice.draft, invoice.totals
    settled = invoice.settled
    # An invoice issued paid asks for no transfer: no payment reference, no account to pay into.
    pays_by_transfer = bool(seller.iban) and not invoice.is_credit_note and settled is None
    if pays_by_transfer:
        _put(settlement, "PaymentReference", invoice.number)  # BT-83, the transfer's reference
    _put(settlement, "InvoiceCurrencyCode", invoice.currency)
    if pays_by_transfer and seller.iban:
        means = _sub(settlement, _RAM["SpecifiedTradeSettlementPaymentMeans"])
        _put(means, "TypeCode", "58")  # SEPA credit transfer
        _put(means, "PayeePartyCreditorFinancialAccount/IBANID", seller.iban)
        if spec.creditor_bic and seller.bic:
            _put(means, "PayeeSpecifiedCreditorFinancialInstitution/BICID", seller.bic)
    elif settled is not None:  # BT-81: how it was paid
        means = _sub(settlement, _RAM["SpecifiedTradeSettlementPaymentMeans"])
        _put(means, "TypeCode", PAID_MEANS.get(settled.method, ONLINE_PAYMENT_MEANS))

    locale = invoice.locale
    due_code = vat_point_date_code(invoice)
    for row in totals.breakdown:
        tax = _sub(settlement, _RAM["ApplicableTradeTax"])
        _put(tax, "CalculatedAmount", _money(row.amount))
        _put(tax, "TypeCode", "VAT")
        exemption = row.vat.exemption
        if exemption is not None:
            _put(tax, "ExemptionReason", said.exemption_reasons[exemption.vatex])
        _put(tax, "BasisAmount", _money(row.basis))
        _put(tax, "CategoryCode", row.vat.category.value)
        if exemption is not None:
            _put(tax, "ExemptionReasonCode", exemption.vatex)
        if due_code is not None:
            _put(tax, "DueDateTypeCode", due_code)
        if row.vat.category is not VatCategory.OUT_OF_SCOPE:
            _put(tax, "RateApplicablePercent", rate_text(row.vat.rate))

    if draft.period_start != draft.period_end:  # BG-14, the invoicing period
        period = _sub(settlement, _RAM["BillingSpecifiedPeriod"])
        _put_date(period, "StartDateTime", draft.period_start)
        _put_date(period, "EndDateTime", draft.period_end)

    reasons = said.exemption_reasons if spec.line_exemption else None
    for adjustment in draft.adjustments:
        _adjustment(settlement, adjustment, reasons)

    terms = _sub(settlement, _RAM["SpecifiedTradePaymentTerms"])
    # BT-20: how a credit note is settled, else the payment terms.
    _put(terms, "Description", said.settlement or invoice.payment_terms.describe(locale))
    # Exactly one due date: the BR-FR 1.4.0 XSLT fails (XPTY0004) on several.
    _put_date(terms, "DueDateDateTime", invoice.due_date)

    summation = _sub(settlement, _RAM["SpecifiedTradeSettlementHeaderMonetarySummation"])
    _put(summation, "LineTotalAmount", _money(totals.line_total))
    _put(summation, "ChargeTotalAmount", _money(totals.charge_total))
    _put(summation, "AllowanceTotalAmount", _money(totals.allowance_total))
    _put(summation, "TaxBasisTotalAmount", _money(totals.tax_basis_total))
    _put(summation, "TaxTotalAmount", _money(totals.vat_total), currencyID=invoice.currency)
    _put(summation, "GrandTotalAmount", _money(totals.grand_total))
    if settled is not None:
        # BT-113, paid before issue; BR-CO-16: due (BT-115) = total (BT-112) - paid + rounding (BT-114).
        _put(summation, "TotalPrepaidAmount", _money(totals.grand_total))
        _put(summation, "DuePayableAmount", _money(ZERO))
    else:
        _put(summation, "DuePayableAmount", _money(totals.grand_total))

    if draft.corrects is not None:  # BT-25 and BT-26, the invoice a credit note corrects
        reference = _sub(settlement, _RAM["InvoiceReferencedDocument"])
        _put(reference, "IssuerAssignedID", draft.corrects.number)
        _put_date(reference, "FormattedIssueDateTime", draft.corrects.issue_date, qualified=True)


def _adjustment(
    settlement: etree._Element, adjustment: AllowanceCharge, reasons: dict[str, str] | None
) -> None:
    element = _sub(settlement, _RAM["SpecifiedTradeAllowanceCharge"])
    _put_indicator(element, adjustment.is_charge)
    _put(element, "ActualAmount", _money(adjustment.amount))
    code = adjustment.reason_code or (None if adjustment.is_charge else DEFAULT_ALLOWANCE_REASON_CODE)
    if code:
        _put(element, "ReasonCode", code)
    _put(element, "Reason", adjustment.reason)
    _tax_category(_sub(element, _RAM["CategoryTradeTax"]), adjustment.vat, reasons)
