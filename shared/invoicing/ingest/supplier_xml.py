"""Read a supplier's structured e-invoice exactly into the normalised ``SupplierInvoice``.

``read_supplier_xml(xml, document_hash=...)`` reads, by the XML's root element:

- UN/CEFACT CII D16B (``rsm:CrossIndustryInvoice``): Factur-X, ZUGFeRD 2.x, XRechnung CII, with
  ``invoicing.documents.cii_read.read_cii``;
- ZUGFeRD 1.0 (``CrossIndustryDocument``): its elements renamed to their CII D16B names (the
  structure is the same), then read by ``read_cii``;
- OASIS UBL 2.1 ``Invoice`` and ``CreditNote`` (XRechnung UBL, Peppol BIS, CTC-FR): read here into
  the same ``CiiDocument`` shape, so that one mapping gives the record whatever the syntax.

``embedded_xml(pdf)`` is the attachment of a Factur-X / ZUGFeRD / XRechnung PDF; ``is_invoice_xml``
is the cheap sniff for a file named ``.xml``. The engine is ``CII`` or ``UBL`` by the root, or the
caller's (``Engine.FACTURX`` for the XML of a PDF); every field read gets confidence 1.0.

What the record holds, in EN 16931 terms:

- supplier: name BT-27 (UBL: the registration name, else the trading name), VAT id BT-31 as
  written (spaces, dots and dashes removed), SIREN and SIRET as ``_siren_siret`` says, IBAN BT-84:
  the first payment means' account that is a valid IBAN (schwifty), else the first as written.
  None of them is dropped for failing its checksum: the record says what the document says, and
  ``invoicing.domain.supplier_review`` names a bad one to the person approving the invoice;
- number BT-1, issue date BT-2, due date BT-9 (else the first payment terms' due date),
  currency BT-5; totals BT-109 (excl. VAT), BT-110 (VAT, in the invoice currency), BT-112
  (incl. VAT), BT-115 (amount due); the VAT breakdown BG-23 summed per rate; the lines BG-25
  (name, quantity, net price per unit, net amount, VAT rate).
- ``credit_note``: the type code is a credit note's (381, 261, 396, 532... the list of
  ``CiiDocument.is_credit_note``) or the root is a UBL ``CreditNote``, **or** the document is an
  invoice whose total is negative (the French "avoir" sent as a 380 with negative amounts). The
  record's amounts are what the document is worth in its own direction, as the record defines:
  when the XML's total is negative every amount is negated (an invoice of -233.47 is a credit
  note of 233.47, a credit note of -10 an invoice of 10). A self-billed invoice (389, the German
  "Gutschrift" of §14(2) UStG) is an invoice.

Hostile input: more than ``MAX_XML_BYTES`` is refused unread; the parser resolves no entity and
opens no network, and a document with a DOCTYPE is refused ("unsafe"); text is stripped of the
characters ``invoicing.domain.text`` refuses (controls, bidi overrides, zero-width) and bounded;
an amount that is not a plain number of sensible size (``1E+999999``, 40 decimals) refuses the
document as "unreadable". The PDF reader bounds the size of what it inflates, the number of
attachments it looks at, and never raises on a broken PDF.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from invoicing.documents.cii_read import (
    RAM,
    RSM,
    UDT,
    CiiAddress,
    CiiAllowanceCharge,
    CiiDocument,
    CiiError,
    CiiLine,
    CiiNote,
    CiiParty,
    CiiPaymentMeans,
    CiiReference,
    CiiTotals,
    CiiVatBreakdown,
    read_cii,
)
from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, SupplierLine, VatAmount
from invoicing.domain.text import one_line

#: Largest XML read (bytes); an attachment inflating to more is not read either.
MAX_XML_BYTES = 5_000_000
#: Largest PDF whose attachments are looked for (bytes).
MAX_PDF_BYTES = 50_000_000
#: Attachments (name tree entries and /AF entries) looked at in one PDF, and name tree nodes walked.
MAX_ATTACHMENTS = 2_000
MAX_NAME_TREE_NODES = 500

#: The e-invoice's file name in a PDF, in order of preference (compared case-insensitively).
#: ``order-x.xml`` (an order, not an invoice) is not among them.
INVOICE_FILENAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

_ZF1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
_ZF1_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
_ZF1_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"
_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

_CII_ROOT = f"{{{RSM}}}CrossIndustryInvoice"
_ZF1_ROOT = f"{{{_ZF1}}}CrossIndustryDocument"
_UBL_INVOICE_ROOT = f"{{{_UBL_INVOICE}}}Invoice"
_UBL_CREDIT_ROOT = f"{{{_UBL_CREDIT}}}CreditNote"
_ROOTS = frozenset({_CII_ROOT, _ZF1_ROOT, _UBL_INVOICE_ROOT, _UBL_CREDIT_ROOT})

#: "<!DOCTYPE" in the encodings an XML document may come in (UTF-8 and the like, UTF-16).
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(encoding) for encoding in ("ascii", "utf-16-le", "utf-16-be"))
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)

#: Bounds of an amount, quantity or rate: below 10^15 and at most 10 decimals.
_MAX_DIGITS = 15
_MIN_EXPONENT = -10
_TEXT_LIMIT = 300
_LINE_LIMIT = 1000


class NotAnInvoiceXml(ValueError):
    """The bytes are not an e-invoice this module reads. ``reason`` says why:

    ``not_xml`` (not well-formed XML), ``unknown_root`` (XML, but not a CII / ZUGFeRD 1 / UBL
    invoice: an Order-X order, any other XML), ``unsafe`` (a DOCTYPE: DTDs and entities are never
    read), ``too_large`` (more than ``MAX_XML_BYTES``), ``unreadable`` (an invoice whose amounts or
    dates are not values)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# --- the PDF attachment ------------------------------------------------------------------------------


def embedded_xml(pdf: bytes) -> tuple[str, bytes] | None:
    """The e-invoice attached to ``pdf`` as (its file name as the PDF gives it, its bytes).

    Looked for among the files of the catalog's ``/AF`` array (where Factur-X puts it) and of the
    ``/EmbeddedFiles`` name tree, under the names of ``INVOICE_FILENAMES`` in that order. ``None``
    when there is none, when it inflates to more than ``MAX_XML_BYTES``, when the PDF is larger
    than ``MAX_PDF_BYTES``, or when the PDF cannot be read: the caller then reads the PDF as a
    picture (text layer, OCR). Only the chosen attachment is inflated.
    """
    if not pdf or len(pdf) > MAX_PDF_BYTES or b"%PDF-" not in pdf[:1024]:  # readers allow a prefix
        return None
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf), strict=False)
        found = _filespecs(reader.trailer["/Root"])
        for wanted in INVOICE_FILENAMES:
            for name, spec in found:
                if name.lower() == wanted:
                    data = _file_data(spec)
                    if data is not None:
                        return name, data
    except Exception:  # any broken PDF (pypdf raises many kinds) means "no XML"
        return None
    return None


def _filespecs(catalog: Any) -> list[tuple[str, Any]]:
    """(file name, file specification) of the catalog's associated files and embedded files."""
    found: list[tuple[str, Any]] = []
    catalog = catalog.get_object()
    for spec in _resolve(catalog.get("/AF")) or ():
        if len(found) >= MAX_ATTACHMENTS:
            return found
        _add_spec(found, None, spec)
    names = _resolve(catalog.get("/Names"))
    tree = _resolve(names.get("/EmbeddedFiles")) if hasattr(names, "get") else None
    stack = [tree] if tree is not None else []
    visited: set[int] = set()
    nodes = 0
    while stack and nodes < MAX_NAME_TREE_NODES and len(found) < MAX_ATTACHMENTS:
        node = stack.pop()
        if not hasattr(node, "get") or id(node) in visited:
            continue
        visited.add(id(node))
        nodes += 1
        pairs = _resolve(node.get("/Names")) or ()
        for index in range(0, min(len(pairs), 2 * MAX_ATTACHMENTS) - 1, 2):
            _add_spec(found, pairs[index], pairs[index + 1])
            if len(found) >= MAX_ATTACHMENTS:
                break
        kids = _resolve(node.get("/Kids")) or ()
        stack.extend(_resolve(kid) for kid in list(kids)[:MAX_NAME_TREE_NODES])
    return found


def _add_spec(found: list[tuple[str, Any]], key: Any, spec: Any) -> None:
    spec = _resolve(spec)
    if not hasattr(spec, "get"):
        return
    for name in (spec.get("/UF"), spec.get("/F"), key):
        name = _resolve(name)
        if isinstance(name, str) and name:
            found.append((name[:_TEXT_LIMIT], spec))
            return


def _file_data(spec: Any) -> bytes | None:
    """The embedded file's bytes, inflated to at most ``MAX_XML_BYTES`` (``None`` beyond)."""
    ef = _resolve(spec.get("/EF"))
    stream = _resolve(ef.get("/F") or ef.get("/UF")) if hasattr(ef, "get") else None
    if stream is None or not hasattr(stream, "_data"):
        return None
    declared = _resolve(stream.get("/Filter"))
    if isinstance(declared, list):  # pypdf's ArrayObject is a list, its NameObject a str
        filters = [str(_resolve(f)) for f in declared]
    else:
        filters = [str(declared)] if declared else []
    raw = stream._data
    if not filters:
        data = bytes(raw)
    elif filters == ["/FlateDecode"] and not stream.get("/DecodeParms"):
        inflater = zlib.decompressobj()
        data = inflater.decompress(bytes(raw), MAX_XML_BYTES + 1)
    else:  # other filters: pypdf's decoder (its own output limit), then ours
        data = stream.get_data()
    if not data or len(data) > MAX_XML_BYTES:
        return None
    return bytes(data)


def _resolve(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


# --- sniffing and parsing ----------------------------------------------------------------------------


def is_invoice_xml(data: bytes) -> bool:
    """Whether ``data`` starts like an e-invoice this module reads (root element CII, ZUGFeRD 1
    or UBL Invoice / CreditNote, no DOCTYPE), from its first 64 KB. Cheap, and says nothing of the
    rest: ``read_supplier_xml`` may still refuse it."""
    if not data or len(data) > MAX_XML_BYTES:
        return False
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    try:
        parser.feed(data[:65536])
        for _event, element in parser.read_events():
            return element.tag in _ROOTS and not _has_doctype(element)
    except etree.XMLSyntaxError:
        return False
    return False


def _has_doctype(element: Any) -> bool:
    info = element.getroottree().docinfo
    return bool(info.doctype) or info.internalDTD is not None or info.externalDTD is not None


def _parse(xml: bytes) -> Any:
    if not isinstance(xml, bytes | bytearray | memoryview):
        raise NotAnInvoiceXml("not_xml", f"expected bytes, got {type(xml).__name__}")
    if len(xml) > MAX_XML_BYTES:
        raise NotAnInvoiceXml("too_large", f"{len(xml)} bytes, more than {MAX_XML_BYTES}")
    try:
        root = etree.fromstring(bytes(xml), _PARSER)
    except etree.XMLSyntaxError as exc:
        if any(marker in xml for marker in _DOCTYPE_MARKERS):  # e.g. libxml2's entity amplification limit
            raise NotAnInvoiceXml(
                "unsafe", "the document declares a DOCTYPE (DTDs and entities are not read)"
            ) from None
        raise NotAnInvoiceXml("not_xml", f"not well-formed XML: {str(exc)[:200]}") from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise NotAnInvoiceXml("not_xml", str(exc)[:200]) from None
    if root is None:
        raise NotAnInvoiceXml("not_xml", "no root element")
    if _has_doctype(root):
        raise NotAnInvoiceXml("unsafe", "the document declares a DOCTYPE (DTDs and entities are not read)")
    return root


# --- the entry point ------------------------------------------------------------------------------------


def read_supplier_xml(xml: bytes, *, document_hash: str, engine: Engine | None = None) -> SupplierInvoice:
    """The record of a CII, ZUGFeRD 1.0 or UBL 2.1 invoice or credit note. ``engine`` defaults to
    ``CII`` or ``UBL`` by the root (pass ``Engine.FACTURX`` for the XML of a PDF). Raises
    ``NotAnInvoiceXml`` (with its ``reason``) for anything else."""
    root = _parse(xml)
    tag = root.tag if isinstance(root.tag, str) else ""
    try:
        if tag == _CII_ROOT:
            doc, syntax, credit_root = read_cii(bytes(xml)), Engine.CII, False
        elif tag == _ZF1_ROOT:
            doc, syntax, credit_root = read_cii(_zugferd1_as_cii(root)), Engine.CII, False
        elif tag in (_UBL_INVOICE_ROOT, _UBL_CREDIT_ROOT):
            doc, syntax, credit_root = _read_ubl(root), Engine.UBL, tag == _UBL_CREDIT_ROOT
        else:
            raise NotAnInvoiceXml("unknown_root", f"the root element is {one_line(tag, 200)!r}")
    except CiiError as exc:
        raise NotAnInvoiceXml("unreadable", one_line(str(exc), 300)) from None
    except RecursionError:
        raise NotAnInvoiceXml("unreadable", "nested too deep") from None
    return _record(doc, engine or syntax, document_hash, credit_root=credit_root)


# --- ZUGFeRD 1.0 --------------------------------------------------------------------------------------

#: ZUGFeRD 1.0 element names and their CII D16B names (the rest are the same).
_ZF1_NAMES = {
    "CrossIndustryDocument": "CrossIndustryInvoice",
    "SpecifiedExchangedDocumentContext": "ExchangedDocumentContext",
    "HeaderExchangedDocument": "ExchangedDocument",
    "SpecifiedSupplyChainTradeTransaction": "SupplyChainTradeTransaction",
    "ApplicableSupplyChainTradeAgreement": "ApplicableHeaderTradeAgreement",
    "ApplicableSupplyChainTradeDelivery": "ApplicableHeaderTradeDelivery",
    "ApplicableSupplyChainTradeSettlement": "ApplicableHeaderTradeSettlement",
    "SpecifiedSupplyChainTradeAgreement": "SpecifiedLineTradeAgreement",
    "SpecifiedSupplyChainTradeDelivery": "SpecifiedLineTradeDelivery",
    "SpecifiedSupplyChainTradeSettlement": "SpecifiedLineTradeSettlement",
    "ApplicablePercent": "RateApplicablePercent",
}
_ZF1_NAMESPACES = {_ZF1: RSM, _ZF1_RAM: RAM, _ZF1_UDT: UDT}


def _zugferd1_as_cii(root: Any) -> bytes:
    """A ZUGFeRD 1.0 document with its elements renamed to CII D16B (same structure)."""
    for element in root.iter(tag=etree.Element):
        qname = etree.QName(element)
        namespace = _ZF1_NAMESPACES.get(qname.namespace or "", qname.namespace)
        name = _ZF1_NAMES.get(qname.localname, qname.localname)
        if name == "SpecifiedTradeSettlementMonetarySummation":
            parent = etree.QName(element.getparent()).localname
            header = parent in ("ApplicableSupplyChainTradeSettlement", "ApplicableHeaderTradeSettlement")
            name = f"SpecifiedTradeSettlement{'Header' if header else 'Line'}MonetarySummation"
        element.tag = f"{{{namespace}}}{name}" if namespace else name
    return bytes(etree.tostring(root))


# --- UBL 2.1 ----------------------------------------------------------------------------------------------

_UBL_NS = {"cac": CAC, "cbc": CBC}
_UBL_XPATHS: dict[str, etree.XPath] = {}


def _u(context: Any, path: str) -> list[Any]:
    compiled = _UBL_XPATHS.get(path)
    if compiled is None:
        compiled = _UBL_XPATHS[path] = etree.XPath(path, namespaces=_UBL_NS)
    return list(compiled(context))


def _ut(context: Any, path: str) -> str | None:
    if context is None:
        return None
    found = _u(context, path)
    if not found:
        return None
    text = (found[0].text or "").strip()
    return text or None


def _ud(context: Any, path: str) -> Decimal | None:
    text = _ut(context, path)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CiiError(f"{path}: {text[:40]!r} is not a number") from None
    if not value.is_finite():
        raise CiiError(f"{path}: {text[:40]!r} is not a finite number")
    return value


def _udate(context: Any, path: str) -> date | None:
    text = _ut(context, path)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CiiError(f"{path}: {text[:40]!r} is not a date") from None


def _ubl_party(party: Any) -> CiiParty | None:
    if party is None:
        return None
    vat_id = tax_id = None
    for scheme in _u(party, "cac:PartyTaxScheme"):
        company = _ut(scheme, "cbc:CompanyID")
        if _ut(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            vat_id = vat_id or company
        else:
            tax_id = tax_id or company
    legal = next(iter(_u(party, "cac:PartyLegalEntity/cbc:CompanyID")), None)
    endpoint = next(iter(_u(party, "cbc:EndpointID")), None)
    identifiers = [
        (e.get("schemeID"), (e.text or "").strip()) for e in _u(party, "cac:PartyIdentification/cbc:ID")
    ]
    address = next(iter(_u(party, "cac:PostalAddress")), None)
    return CiiParty(
        name=_ut(party, "cac:PartyLegalEntity/cbc:RegistrationName") or _ut(party, "cac:PartyName/cbc:Name"),
        ids=tuple(value for scheme, value in identifiers if value and not scheme),
        global_ids=tuple((scheme, value) for scheme, value in identifiers if value and scheme),
        legal_id=((legal.text or "").strip() or None) if legal is not None else None,
        legal_id_scheme=legal.get("schemeID") if legal is not None else None,
        trading_name=_ut(party, "cac:PartyName/cbc:Name"),
        description=_ut(party, "cac:PartyLegalEntity/cbc:CompanyLegalForm"),
        vat_id=vat_id,
        tax_registration_id=tax_id,
        address=CiiAddress(
            lines=tuple(
                text
                for e in _u(address, "cbc:StreetName | cbc:AdditionalStreetName | cac:AddressLine/cbc:Line")
                if (text := (e.text or "").strip())
            ),
            postcode=_ut(address, "cbc:PostalZone"),
            city=_ut(address, "cbc:CityName"),
            country=_ut(address, "cac:Country/cbc:IdentificationCode"),
            subdivision=_ut(address, "cbc:CountrySubentity"),
        )
        if address is not None
        else None,
        electronic_address=((endpoint.text or "").strip() or None) if endpoint is not None else None,
        electronic_address_scheme=endpoint.get("schemeID") if endpoint is not None else None,
        contact_name=_ut(party, "cac:Contact/cbc:Name"),
        contact_phone=_ut(party, "cac:Contact/cbc:Telephone"),
        contact_email=_ut(party, "cac:Contact/cbc:ElectronicMail"),
    )


def _ubl_allowance_charge(element: Any) -> CiiAllowanceCharge:
    return CiiAllowanceCharge(
        is_charge=(_ut(element, "cbc:ChargeIndicator") or "").lower() in ("true", "1"),
        amount=_ud(element, "cbc:Amount"),
        basis=_ud(element, "cbc:BaseAmount"),
        percent=_ud(element, "cbc:MultiplierFactorNumeric"),
        reason=_ut(element, "cbc:AllowanceChargeReason"),
        reason_code=_ut(element, "cbc:AllowanceChargeReasonCode"),
        vat_category=_ut(element, "cac:TaxCategory/cbc:ID"),
        vat_rate=_ud(element, "cac:TaxCategory/cbc:Percent"),
    )


def _ubl_line(element: Any) -> CiiLine:
    quantity = next(iter(_u(element, "cbc:InvoicedQuantity | cbc:CreditedQuantity")), None)
    return CiiLine(
        line_id=_ut(element, "cbc:ID"),
        name=_ut(element, "cac:Item/cbc:Name"),
        description=_ut(element, "cac:Item/cbc:Description"),
        seller_item_id=_ut(element, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        quantity=_ud(element, "cbc:InvoicedQuantity | cbc:CreditedQuantity"),
        unit_code=quantity.get("unitCode") if quantity is not None else None,
        net_price=_ud(element, "cac:Price/cbc:PriceAmount"),
        price_basis_quantity=_ud(element, "cac:Price/cbc:BaseQuantity"),
        gross_price=_ud(element, "cac:Price/cac:AllowanceCharge/cbc:BaseAmount"),
        net_amount=_ud(element, "cbc:LineExtensionAmount"),
        vat_category=_ut(element, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        vat_rate=_ud(element, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        allowances_charges=tuple(_ubl_allowance_charge(e) for e in _u(element, "cac:AllowanceCharge")),
        period_start=_udate(element, "cac:InvoicePeriod/cbc:StartDate"),
        period_end=_udate(element, "cac:InvoicePeriod/cbc:EndDate"),
        note=_ut(element, "cbc:Note"),
    )


def _ubl_note(element: Any) -> CiiNote:
    text = (element.text or "").strip()
    match = re.fullmatch(r"#([A-Z]{3})#(.*)", text, re.DOTALL)
    return CiiNote(match.group(1), match.group(2)) if match else CiiNote(None, text)


def _ubl_tax_totals(root: Any, currency: str | None, tax_currency: str | None) -> tuple[Any, Any]:
    """(the TaxTotal in the invoice currency, its amount element, the one in the tax currency)."""
    main = accounting = None
    for total in _u(root, "cac:TaxTotal"):
        amount = next(iter(_u(total, "cbc:TaxAmount")), None)
        in_currency = amount.get("currencyID") if amount is not None else None
        if main is None and (in_currency in (None, currency) or _u(total, "cac:TaxSubtotal")):
            main = total
        elif accounting is None and in_currency == tax_currency:
            accounting = total
    return main, accounting


def _read_ubl(root: Any) -> CiiDocument:
    currency = _ut(root, "cbc:DocumentCurrencyCode")
    tax_currency = _ut(root, "cbc:TaxCurrencyCode")
    tax_total, tax_accounting = _ubl_tax_totals(root, currency, tax_currency)
    monetary = next(iter(_u(root, "cac:LegalMonetaryTotal")), None)
    period = next(iter(_u(root, "cac:InvoicePeriod")), None)
    due_code = _ut(period, "cbc:DescriptionCode")
    tax_point = _udate(root, "cbc:TaxPointDate")
    return CiiDocument(
        number=_ut(root, "cbc:ID"),
        type_code=_ut(root, "cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode"),
        issue_date=_udate(root, "cbc:IssueDate"),
        due_date=_udate(root, "cbc:DueDate") or _udate(root, "cac:PaymentMeans/cbc:PaymentDueDate"),
        currency=currency,
        tax_currency=tax_currency,
        business_process=_ut(root, "cbc:ProfileID"),
        guideline=_ut(root, "cbc:CustomizationID"),
        notes=tuple(_ubl_note(e) for e in _u(root, "cbc:Note")),
        seller=_ubl_party(next(iter(_u(root, "cac:AccountingSupplierParty/cac:Party")), None)),
        buyer=_ubl_party(next(iter(_u(root, "cac:AccountingCustomerParty/cac:Party")), None)),
        buyer_reference=_ut(root, "cbc:BuyerReference"),
        order_ref=_ut(root, "cac:OrderReference/cbc:ID"),
        contract_ref=_ut(root, "cac:ContractDocumentReference/cbc:ID"),
        invoice_references=tuple(
            CiiReference(_ut(e, "cbc:ID"), _udate(e, "cbc:IssueDate"))
            for e in _u(root, "cac:BillingReference/cac:InvoiceDocumentReference")
        ),
        delivery_date=_udate(root, "cac:Delivery/cbc:ActualDeliveryDate"),
        period_start=_udate(period, "cbc:StartDate") if period is not None else None,
        period_end=_udate(period, "cbc:EndDate") if period is not None else None,
        payment_reference=_ut(root, "cac:PaymentMeans/cbc:PaymentID"),
        payment_means=tuple(
            CiiPaymentMeans(
                type_code=_ut(e, "cbc:PaymentMeansCode"),
                information=next((c.get("name") for c in _u(e, "cbc:PaymentMeansCode")), None),
                iban=_ut(e, "cac:PayeeFinancialAccount/cbc:ID"),
                account_name=_ut(e, "cac:PayeeFinancialAccount/cbc:Name"),
                bic=_ut(e, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"),
            )
            for e in _u(root, "cac:PaymentMeans")
        ),
        payment_terms=_ut(root, "cac:PaymentTerms/cbc:Note"),
        lines=tuple(_ubl_line(e) for e in _u(root, "cac:InvoiceLine | cac:CreditNoteLine")),
        allowances_charges=tuple(_ubl_allowance_charge(e) for e in _u(root, "cac:AllowanceCharge")),
        vat_breakdown=tuple(
            CiiVatBreakdown(
                category=_ut(e, "cac:TaxCategory/cbc:ID"),
                rate=_ud(e, "cac:TaxCategory/cbc:Percent"),
                basis=_ud(e, "cbc:TaxableAmount"),
                amount=_ud(e, "cbc:TaxAmount"),
                exemption_reason=_ut(e, "cac:TaxCategory/cbc:TaxExemptionReason"),
                exemption_reason_code=_ut(e, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
                due_date_code=due_code,
                tax_point_date=tax_point,
            )
            for e in (_u(tax_total, "cac:TaxSubtotal") if tax_total is not None else ())
        ),
        totals=CiiTotals(
            line_total=_ud(monetary, "cbc:LineExtensionAmount"),
            allowance_total=_ud(monetary, "cbc:AllowanceTotalAmount"),
            charge_total=_ud(monetary, "cbc:ChargeTotalAmount"),
            tax_basis_total=_ud(monetary, "cbc:TaxExclusiveAmount"),
            tax_total=_ud(tax_total, "cbc:TaxAmount"),
            tax_total_accounting=_ud(tax_accounting, "cbc:TaxAmount"),
            grand_total=_ud(monetary, "cbc:TaxInclusiveAmount"),
            prepaid=_ud(monetary, "cbc:PrepaidAmount"),
            rounding=_ud(monetary, "cbc:PayableRoundingAmount"),
            due_payable=_ud(monetary, "cbc:PayableAmount"),
        ),
    )


# --- the record ------------------------------------------------------------------------------------------


def _record(doc: CiiDocument, engine: Engine, document_hash: str, *, credit_root: bool) -> SupplierInvoice:
    totals = doc.totals
    direction = next((v for v in (totals.grand_total, totals.tax_basis_total, totals.due_payable) if v), None)
    sign = -1 if direction is not None and direction < 0 else 1
    credit_type = credit_root or doc.is_credit_note
    seller, buyer = doc.seller, doc.buyer
    siren, siret = _siren_siret(seller)

    def amount(value: Decimal | None, what: str) -> Decimal | None:
        return None if value is None else sign * _checked(value, what)

    record = SupplierInvoice(
        engine=engine,
        document_hash=document_hash,
        supplier_name=one_line(seller.name, _TEXT_LIMIT) or None if seller else None,
        supplier_siren=siren,
        supplier_siret=siret,
        supplier_vat_id=_vat_id(seller.vat_id) if seller else None,
        supplier_iban=_iban(m.iban for m in doc.payment_means),
        buyer_name=one_line(buyer.name, _TEXT_LIMIT) or None if buyer else None,
        buyer_vat_id=_vat_id(buyer.vat_id) if buyer else None,
        invoice_number=one_line(doc.number, _TEXT_LIMIT) or None,
        issue_date=doc.issue_date,
        due_date=doc.due_date,
        currency=_currency(doc.currency),
        total_excl_tax=amount(totals.tax_basis_total, "BT-109"),
        total_tax=amount(totals.tax_total, "BT-110"),
        total_incl_tax=amount(totals.grand_total, "BT-112"),
        amount_due=amount(totals.due_payable, "BT-115"),
        credit_note=credit_type != (sign < 0),
        vat=_vat(doc.vat_breakdown, sign),
        lines=tuple(_line(line, sign) for line in doc.lines),
    )
    return record.with_confidence(1.0)


def _vat(rows: Iterable[CiiVatBreakdown], sign: int) -> tuple[VatAmount, ...]:
    """The breakdown summed per rate, in the order rates first appear. A row without a rate is
    a 0 % row when its tax is zero (categories E, O, AE...), and skipped otherwise; a row
    without a tax amount is skipped."""
    per_rate: dict[Decimal, tuple[Decimal | None, Decimal]] = {}
    for row in rows:
        if row.amount is None:
            continue
        tax = _checked(row.amount, "BT-117")
        if row.rate is None and tax != 0:
            continue
        rate = _checked(row.rate, "BT-119") if row.rate is not None else Decimal(0)
        base = _checked(row.basis, "BT-116") if row.basis is not None else None
        known_base, known_tax = per_rate.get(rate, (Decimal(0), Decimal(0)))
        summed_base = None if base is None or known_base is None else known_base + base
        per_rate[rate] = (summed_base, known_tax + tax)
    return tuple(
        VatAmount(rate=rate, base=None if base is None else sign * base, tax=sign * tax)
        for rate, (base, tax) in per_rate.items()
    )


def _line(line: CiiLine, sign: int) -> SupplierLine:
    price = _checked(line.net_price, "BT-146") if line.net_price is not None else None
    basis = _checked(line.price_basis_quantity, "BT-149") if line.price_basis_quantity is not None else None
    if price is not None and basis is not None and basis > 0 and basis != 1:
        price = (price / basis).quantize(Decimal("0.000001")).normalize()
    quantity = _checked(line.quantity, "BT-129") if line.quantity is not None else None
    net = _checked(line.net_amount, "BT-131") if line.net_amount is not None else None
    return SupplierLine(
        description=one_line(line.name or line.description or line.note, _LINE_LIMIT),
        quantity=None if quantity is None else sign * quantity,
        unit_price=price,
        amount=None if net is None else sign * net,
        vat_rate=_checked(line.vat_rate, "BT-152") if line.vat_rate is not None else None,
    )


def _checked(value: Decimal, what: str) -> Decimal:
    """``value`` when it is a plain number of sensible size, else the document is refused."""
    exponent = value.as_tuple().exponent  # no arithmetic: 1E+99999999999 would overflow the context
    if (
        not value.is_finite()
        or not isinstance(exponent, int)
        or exponent < _MIN_EXPONENT
        or value.adjusted() >= _MAX_DIGITS
    ):
        raise NotAnInvoiceXml("unreadable", f"{what}: {value!s:.40} is not an amount this reader accepts")
    return value


def _siren_siret(party: CiiParty | None) -> tuple[str | None, str | None]:
    """(SIREN, SIRET) of the seller, in this order of trust:

    1. the legal registration id BT-30: scheme 0002 is the SIREN (a 14-digit value there is a
       SIRET given under the wrong scheme: the SIREN is its head), scheme 0009 a SIRET whose first
       9 digits are the SIREN; without a scheme, 9 or 14 digits count only for a French seller
       (VAT id FR..., or a French address);
    2. the seller identifiers BT-29 with scheme 0009 (SIRET) or 0002 (SIREN);
    3. only when none of those gives one, the last 9 digits of a French VAT id (FRkk + SIREN).

    Checked for shape only (9 or 14 digits once spaces are removed), not against their Luhn key:
    that is the intake's check, as for the VAT id.
    """
    if party is None:
        return None, None
    french = (party.vat_id or "").upper().startswith("FR") or (
        party.address is not None and (party.address.country or "").upper() == "FR"
    )
    candidates: list[tuple[str | None, str]] = []
    if party.legal_id:
        scheme = party.legal_id_scheme or ("0002" if french else None)
        candidates.append((scheme, party.legal_id))
    candidates.extend((scheme, value) for scheme, value in party.global_ids if scheme in ("0002", "0009"))
    siren = siret = None
    for scheme, value in candidates:
        digits = re.sub(r"[\s.\-]", "", value)
        if not digits.isdigit() or scheme not in ("0002", "0009"):
            continue
        if len(digits) == 14:
            siret = siret or digits
            siren = siren or digits[:9]
        elif len(digits) == 9 and scheme == "0002":
            siren = siren or digits
    if siren is None:
        vat = _vat_id(party.vat_id) or ""
        if re.fullmatch(r"FR[0-9A-Z]{2}[0-9]{9}", vat):
            siren = vat[4:]
    return siren, siret


def _vat_id(text: str | None) -> str | None:
    cleaned = one_line(text, 40)
    if not cleaned:
        return None
    compact = re.sub(r"[\s.\-]", "", cleaned).upper()
    return compact or None


def _iban(values: Iterable[str | None]) -> str | None:
    """The first account (BT-84) that is a valid IBAN, compact; when none is, the first as
    written (spaces removed), so that the review names it (``supplier_bad_iban``) instead of the
    record hiding it."""
    from invoicing.domain.identifiers import iban

    written = [compact for value in values if (compact := re.sub(r"\s", "", one_line(value, 60)).upper())]
    for value in written:
        try:
            return iban(value)
        except ValueError:
            continue
    return written[0] if written else None


def _currency(text: str | None) -> str | None:
    cleaned = one_line(text, 10).upper()
    return cleaned if re.fullmatch(r"[A-Z]{3}", cleaned) else None


__all__ = [
    "INVOICE_FILENAMES",
    "MAX_XML_BYTES",
    "NotAnInvoiceXml",
    "embedded_xml",
    "is_invoice_xml",
    "read_supplier_xml",
]
