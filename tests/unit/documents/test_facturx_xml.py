"""The Factur-X / CII XML: valid under the official rules for every case, and read back faithfully.

The rules are the real ones (fixtures in ../shared/fixtures/validation): the Factur-X XSD of each
profile, the CEN EN 16931 CII schematron and the FNFE BR-FR 1.4.0 rules of the French reform.
Warnings the rules raise are printed and reported as ``FacturXRuleWarning`` (see the warnings summary).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx_cases as cases
import facturx_validation as fv
import pytest
from lxml import etree

from invoicing.documents.cii import GUIDELINES, NSMAP, build_cii, rate_text, unit_code
from invoicing.documents.cii_read import CiiDocument, CiiError, read_cii
from invoicing.documents.mentions import seller_legal_information
from invoicing.domain.invoice import Invoice
from invoicing.domain.money import ZERO
from invoicing.domain.vat import VatCategory
from tests.factories import FacturXRuleWarning

#: Cases also checked under BASIC and EXTENDED: line allowances (which BASIC restricts), an intra-EU
#: supply (deliver-to party), a credit note, an exempt seller without a VAT number, and an exempt
#: document-level charge (EXTENDED repeats exemptions on lines and charges).
REPRESENTATIVE = (
    "discounts",
    "intra_eu_supply_k",
    "credit_note_full",
    "franchise_en_base_e",
    "reverse_charge_ae",
)
PROFILE_CASES = [(name, "en16931") for name in cases.CASES] + [
    (name, profile) for profile in ("basic", "extended") for name in REPRESENTATIVE
]


@pytest.fixture(scope="module", autouse=True)
def compiled_rules() -> None:
    """Compile the three stylesheets once, up front. Without the fixtures, the tests that validate
    skip one by one (naming the missing file) and the others still run."""
    if all(path.exists() for path in fv.STYLESHEETS.values()):
        fv.compile_all()


@pytest.fixture(scope="module")
def invoices() -> dict[str, Invoice]:
    return cases.all_cases()


def _report(label: str, result: fv.ValidationResult) -> None:
    for failed in result.warnings:
        print(f"{label}: {failed}")
        warnings.warn(f"{label}: {failed}", FacturXRuleWarning, stacklevel=2)


def _element(xml: bytes, path: str) -> tuple[etree._Element, etree._Element]:
    root = etree.fromstring(xml)
    found = root.xpath(path, namespaces=NSMAP)
    assert found, path
    return root, found[0]


def _without(xml: bytes, path: str) -> bytes:
    root, element = _element(xml, path)
    element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _replaced(xml: bytes, path: str, text: str) -> bytes:
    root, element = _element(xml, path)
    element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- every case passes the official rules --------------------------------------------------------------


@pytest.mark.parametrize(("name", "profile"), PROFILE_CASES, ids=[f"{n}-{p}" for n, p in PROFILE_CASES])
def test_every_case_passes_xsd_en16931_and_br_fr(
    invoices: dict[str, Invoice], name: str, profile: str
) -> None:
    xml = build_cii(invoices[name], profile)
    result = fv.validate(xml, profile)
    _report(f"{name}/{profile}", result)
    assert result.errors == {}, result.summary()
    assert result.fatal == (), result.summary()
    assert result.passed


def test_a_private_buyer_without_email_breaks_only_br_fr_12() -> None:
    """BR-FR-12 makes BT-49 mandatory; a private person with no e-mail has no electronic address to give.

    Everything else holds: the XSD and EN 16931 pass, and BR-FR fails on that single rule.
    """
    result = fv.validate(build_cii(cases.build("consumer_without_email")))
    assert result["xsd"].passed, result.summary()
    assert result["en16931"].passed, result.summary()
    assert result.errors == {}
    assert result["br-fr"].fatal_ids() == {"BR-FR-12_BT-49"}


def test_the_xsd_check_goes_through_the_factur_x_package(invoices: dict[str, Invoice]) -> None:
    import facturx

    xml = build_cii(invoices["single_rate_services_s1"])
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert facturx.get_level(etree.fromstring(xml), "factur-x") == "en16931"
    assert (
        facturx.get_level(etree.fromstring(build_cii(invoices["discounts"], "basic")), "factur-x") == "basic"
    )


# --- the validators catch broken XML -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_xml(invoices: dict[str, Invoice]) -> bytes:
    xml = build_cii(invoices["single_rate_services_s1"])
    assert fv.validate(xml).passed
    return xml


def test_a_wrong_grand_total_fails_the_arithmetic_rules(good_xml: bytes) -> None:
    path = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"
    grand = Decimal(_element(good_xml, path)[1].text)
    result = fv.validate(_replaced(good_xml, path, f"{grand + Decimal('0.01'):.2f}"))
    assert {"BR-CO-15", "BR-CO-16"} <= result["en16931"].fatal_ids(), result.summary()
    assert not result.passed


def test_a_standard_rated_seller_without_vat_id_fails_br_s_02(invoices: dict[str, Invoice]) -> None:
    invoice = invoices["single_rate_services_s1"]
    without_vat_id = dataclasses.replace(invoice, seller=dataclasses.replace(invoice.seller, vat_id=None))
    xml = build_cii(without_vat_id)
    assert b'schemeID="VA">FR' not in xml.split(b"<ram:BuyerTradeParty>")[0]
    result = fv.validate(xml)
    assert "BR-S-02" in result["en16931"].fatal_ids(), result.summary()


def test_an_invalid_seller_vat_id_prefix_fails_br_co_09(good_xml: bytes) -> None:
    path = "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    result = fv.validate(_replaced(good_xml, path, "45831479258"))
    assert "BR-CO-09" in result["en16931"].fatal_ids(), result.summary()


def test_a_missing_seller_siren_fails_br_fr_10(good_xml: bytes) -> None:
    result = fv.validate(_without(good_xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization"))
    assert "BR-FR-10_BT-30" in result["br-fr"].fatal_ids(), result.summary()
    assert "BR-FR-10_BT-30" in {a.id for a in result["br-fr-warning"].warnings}


def test_a_vat_rate_outside_the_french_format_fails_br_fr_16(good_xml: bytes) -> None:
    path = "(//ram:IncludedSupplyChainTradeLineItem//ram:RateApplicablePercent)[1]"
    result = fv.validate(_replaced(good_xml, path, "20.000"))
    assert result["en16931"].passed, "the same number: EN 16931 itself has no objection"
    assert {"BR-FR-16_BT-152", "BR-FR-DEC-04_BT-152"} <= result["br-fr"].fatal_ids(), result.summary()


def test_missing_legal_notes_fail_br_fr_05(good_xml: bytes) -> None:
    result = fv.validate(_without(good_xml, "//ram:IncludedNote[ram:SubjectCode='PMT']"))
    assert "BR-FR-05_BT-22_PMT" in result["br-fr"].fatal_ids(), result.summary()


def test_elements_out_of_order_fail_the_xsd(good_xml: bytes) -> None:
    root, name = _element(good_xml, "//ram:SellerTradeParty/ram:Name")
    party = name.getparent()
    party.remove(name)
    party.append(name)
    result = fv.validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert not result["xsd"].passed
    assert "SellerTradeParty" in result["xsd"].fatal[0].text or "Name" in result["xsd"].fatal[0].text


def test_a_stylesheet_that_stops_is_a_failure_not_a_pass() -> None:
    """BR-FR 1.4.0 stops with XPTY0004 on several DueDateDateTime (README): recorded as an error.

    (Saxon prints the code XPTY0004 on stderr; the exception carries the message.)
    """
    path = fv.FIXTURES / "facturx" / "drafthorse" / "zugferd_2p3_EXTENDED_Fremdwaehrung.xml"
    result = fv.validate_file(path, rules=(fv.BR_FR,))
    assert "more than one item" in result.errors[fv.BR_FR]
    assert result.fatal == ()
    assert not result.passed


def test_a_document_no_rule_applies_to_is_not_a_pass() -> None:
    """A ZUGFeRD 1.0 invoice (another namespace): no failed assert, because no rule fired at all."""
    path = fv.FIXTURES / "facturx" / "akretion" / "xml" / "zugferd-basic.xml"
    result = fv.validate_file(path, rules=(fv.EN16931, fv.BR_FR))
    assert set(result.errors) == {fv.EN16931, fv.BR_FR}
    assert not result.passed
    assert not fv.validate(b"<x/>", rules=(fv.EN16931,)).passed


def test_missing_rules_skip_with_the_path_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    absent = tmp_path / "absent-rules.xslt"
    monkeypatch.setitem(fv.STYLESHEETS, "absent-rules", absent)
    with pytest.raises(pytest.skip.Exception, match=r"absent-rules\.xslt"):
        fv.validate(b"<x/>", rules=("absent-rules",))


# --- the harness agrees with the fixtures' README -----------------------------------------------------------


def _fixture_files(folder: str, pattern: str = "*.xml") -> list[Path]:
    found = sorted((fv.FIXTURES / folder).glob(pattern))
    return found or [fv.FIXTURES / folder / "(missing)"]


@pytest.mark.parametrize("path", _fixture_files("validation/en16931/examples"), ids=lambda p: p.name)
def test_every_official_cii_example_passes_en16931(path: Path) -> None:
    result = fv.validate_file(path, rules=(fv.EN16931,))
    assert result.errors == {}, result.summary()
    assert result.fatal == (), result.summary()


@pytest.mark.parametrize(("name", "fatal"), [("BR-CO-17.xml", 11), ("BR-CO-15-2.xml", 24)])
def test_the_negative_test_sets_fail_as_documented(name: str, fatal: int) -> None:
    """The vefa <testSet> wrappers transformed whole: the README's fatal counts."""
    result = fv.validate_file(fv.VALIDATION / "en16931" / "negative" / name, rules=(fv.EN16931,))
    assert result.errors == {}
    assert len(result.fatal) == fatal, result.summary()


def test_each_fragment_of_br_co_17_passes_or_fails_as_its_test_expects() -> None:
    path = fv.VALIDATION / "en16931" / "negative" / "BR-CO-17.xml"
    fv.require_fixtures(path)
    vefa = "{http://difi.no/xsd/vefa/validator/1.0}"
    tests = etree.parse(str(path)).getroot().findall(f"{vefa}test")
    assert tests
    for test in tests:
        invoice = test.find(f"{{{NSMAP['rsm']}}}CrossIndustryInvoice")
        expected = test.find(f"{vefa}assert")
        fails = "BR-CO-17" in fv.validate(etree.tostring(invoice), rules=(fv.EN16931,)).fatal_ids()
        assert fails == (expected.find(f"{vefa}error") is not None), etree.tostring(invoice)[:400]


@pytest.mark.parametrize("level", ["basic", "basicwl", "en16931", "extended"])
def test_akretion_french_samples_pass_br_fr(level: str) -> None:
    result = fv.validate_file(
        fv.FIXTURES / "facturx" / "akretion" / "xml" / f"factur-x-{level}.xml", rules=(fv.BR_FR,)
    )
    assert result.passed, result.summary()


# --- reading back what we wrote ---------------------------------------------------------------------------


def _assert_party(read, name: str, siren: str | None, vat_id: str | None, address) -> None:  # type: ignore[no-untyped-def]
    assert read is not None
    assert read.name == name
    assert read.siren == siren
    assert read.vat_id == vat_id
    assert read.address is not None
    assert (read.address.postcode, read.address.city, read.address.country) == (
        address.postcode,
        address.city,
        address.country,
    )
    assert read.address.lines == address.lines


@pytest.mark.parametrize("name", list(cases.CASES))
def test_read_cii_gives_back_what_the_invoice_says(invoices: dict[str, Invoice], name: str) -> None:
    invoice = invoices[name]
    doc = read_cii(build_cii(invoice))
    assert doc.number == invoice.number
    assert doc.type_code == invoice.document_type.value
    assert doc.is_credit_note == invoice.is_credit_note
    assert doc.issue_date == invoice.issue_date
    assert doc.due_date == invoice.due_date
    assert doc.currency == invoice.currency
    draft = invoice.draft
    if draft.period_start == draft.period_end:
        assert (doc.delivery_date, doc.period_start, doc.period_end) == (draft.period_start, None, None)
    else:
        assert (doc.delivery_date, doc.period_start, doc.period_end) == (
            None,
            draft.period_start,
            draft.period_end,
        )
    assert doc.order_ref == draft.order_ref

    seller, buyer = invoice.seller, invoice.buyer
    _assert_party(doc.seller, seller.legal_name, seller.siren, seller.vat_id, seller.address)
    _assert_party(doc.buyer, buyer.name, buyer.siren, buyer.vat_id, buyer.address)
    assert doc.buyer.ids == (buyer.ref,)
    assert ("0009", seller.siret) in doc.seller.global_ids

    assert len(doc.lines) == len(invoice.lines)
    for number, (read, line) in enumerate(zip(doc.lines, invoice.lines, strict=True), start=1):
        assert read.line_id == str(number)
        assert read.name == line.description
        assert read.quantity == line.quantity
        assert read.unit_code == unit_code(line.unit)
        assert read.net_price == line.unit_price
        assert read.net_amount == line.net_amount
        assert read.vat_category == line.vat.category.value
        assert read.vat_rate == line.vat.rate
        assert sum((a.amount for a in read.allowances), ZERO) == line.discount_amount
        assert read.charges == ()

    assert len(doc.allowances_charges) == len(draft.adjustments)
    for read_adj, adjustment in zip(doc.allowances_charges, draft.adjustments, strict=True):
        assert (read_adj.is_charge, read_adj.amount, read_adj.reason) == (
            adjustment.is_charge,
            adjustment.amount,
            adjustment.reason,
        )
        assert (read_adj.vat_category, read_adj.vat_rate) == (
            adjustment.vat.category.value,
            adjustment.vat.rate,
        )

    assert len(doc.vat_breakdown) == len(invoice.totals.breakdown)
    for read_vat, row in zip(doc.vat_breakdown, invoice.totals.breakdown, strict=True):
        assert (read_vat.category, read_vat.rate, read_vat.basis, read_vat.amount) == (
            row.vat.category.value,
            row.vat.rate,
            row.basis,
            row.amount,
        )
        exemption = row.vat.exemption
        assert read_vat.exemption_reason_code == (exemption.vatex if exemption else None)
        assert read_vat.exemption_reason == (exemption.text(invoice.locale) if exemption else None)

    totals, read_totals = invoice.totals, doc.totals
    assert read_totals.line_total == totals.line_total
    assert read_totals.allowance_total == totals.allowance_total
    assert read_totals.charge_total == totals.charge_total
    assert read_totals.tax_basis_total == totals.tax_basis_total
    assert read_totals.tax_total == totals.vat_total
    assert read_totals.grand_total == totals.grand_total
    assert read_totals.due_payable == totals.grand_total

    if invoice.is_credit_note:
        assert draft.corrects is not None
        assert [(r.number, r.issue_date) for r in doc.invoice_references] == [
            (draft.corrects.number, draft.corrects.issue_date)
        ]
        assert doc.note("ACD") == draft.credit_reason
    else:
        assert doc.invoice_references == ()


@pytest.mark.parametrize("profile", ["basic", "extended"])
def test_read_cii_reads_the_other_profiles_the_same(invoices: dict[str, Invoice], profile: str) -> None:
    for name in REPRESENTATIVE:
        ours, theirs = read_cii(build_cii(invoices[name])), read_cii(build_cii(invoices[name], profile))
        assert theirs.guideline == GUIDELINES[profile]
        assert (theirs.totals, theirs.vat_breakdown) == (ours.totals, ours.vat_breakdown)
        assert [(x.quantity, x.net_amount, x.vat_rate) for x in theirs.lines] == [
            (x.quantity, x.net_amount, x.vat_rate) for x in ours.lines
        ]


# --- what the French rules add -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "process", "vat_point"),
    [
        ("single_rate_services_s1", "S1", "72"),
        ("goods_shipping_b1", "B1", "29"),
        ("mixed_rates_m1", "M1", "72"),
        ("vat_on_debits", "S1", "5"),
        ("franchise_en_base_e", "S1", None),
        ("intra_eu_supply_k", "B1", None),
    ],
)
def test_business_process_and_vat_point_date_code(
    invoices: dict[str, Invoice], name: str, process: str, vat_point: str | None
) -> None:
    doc = read_cii(build_cii(invoices[name]))
    assert doc.business_process == process
    assert doc.vat_point_date_code == vat_point


def test_legal_notes_for_a_business_buyer(invoices: dict[str, Invoice]) -> None:
    invoice = invoices["single_rate_services_s1"]
    doc = read_cii(build_cii(invoice))
    assert doc.note("PMT") == (
        "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €"
    )
    assert doc.note("PMD") == "Pénalités de retard : " + invoice.seller.late_penalty.describe("fr")
    assert doc.note("AAB") == "Pas d'escompte pour paiement anticipé."
    assert (
        doc.note("REG")
        == seller_legal_information(invoice.seller)
        == "SARL au capital de 20 000 € — RCS Lyon 831 479 258"
    )
    assert doc.seller.description == doc.note("REG")
    assert doc.note("TXD") is None
    assert all(len(contents) == 1 for contents in doc.notes_by_subject().values())


def test_legal_notes_for_a_private_buyer_and_a_credit_note(invoices: dict[str, Invoice]) -> None:
    consumer = read_cii(build_cii(invoices["consumer_b2c"]))
    credit = read_cii(build_cii(invoices["credit_note_full"]))
    for doc in (consumer, credit):
        assert {"PMT", "PMD", "AAB"} <= set(doc.notes_by_subject())
    assert "non applicable" in consumer.note("PMT")
    assert "40" not in consumer.note("PMT")
    assert "avoir" in credit.note("PMT")


def test_vat_on_debits_is_said_twice(invoices: dict[str, Invoice]) -> None:
    doc = read_cii(build_cii(invoices["vat_on_debits"]))
    assert doc.note("TXD") == "Option pour le paiement de la taxe d'après les débits."
    assert doc.vat_point_date_code == "5"


def test_electronic_addresses(invoices: dict[str, Invoice]) -> None:
    business = read_cii(build_cii(invoices["single_rate_services_s1"]))
    assert (business.seller.electronic_address, business.seller.electronic_address_scheme) == (
        "831479258",
        "0225",
    )
    assert (business.buyer.electronic_address, business.buyer.electronic_address_scheme) == (
        invoices["single_rate_services_s1"].buyer.siren,
        "0225",
    )
    foreign = read_cii(build_cii(invoices["intra_eu_supply_k"]))
    assert (foreign.buyer.electronic_address, foreign.buyer.electronic_address_scheme) == (
        invoices["intra_eu_supply_k"].buyer.email,
        "EM",
    )


def test_franchise_seller_is_identified_by_its_siren_as_tax_registration(
    invoices: dict[str, Invoice],
) -> None:
    invoice = invoices["franchise_en_base_e"]
    doc = read_cii(build_cii(invoice))
    assert doc.seller.vat_id is None
    assert doc.seller.tax_registration_id == invoice.seller.siren
    assert [(v.category, v.exemption_reason_code) for v in doc.vat_breakdown] == [("E", "VATEX-FR-FRANCHISE")]
    assert doc.vat_breakdown[0].exemption_reason == "TVA non applicable, art. 293 B du CGI"
    assert doc.totals.tax_total == ZERO


def test_intra_eu_supply_names_the_delivery_country(invoices: dict[str, Invoice]) -> None:
    xml = build_cii(invoices["intra_eu_supply_k"])
    _, country = _element(xml, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID")
    assert country.text == "DE"


def test_payment_means_and_reference(invoices: dict[str, Invoice]) -> None:
    invoice = invoices["single_rate_services_s1"]
    doc = read_cii(build_cii(invoice))
    assert [(m.type_code, m.iban, m.bic) for m in doc.payment_means] == [
        ("58", invoice.seller.iban, invoice.seller.bic)
    ]
    assert doc.payment_reference == invoice.number
    assert doc.payment_terms == invoice.payment_terms.describe("fr")
    english = read_cii(build_cii(invoices["english_buyer"]))
    assert english.payment_terms == "45 days end of month"
    assert read_cii(build_cii(invoices["credit_note_full"])).payment_means == ()


def test_a_seller_without_iban_gets_no_payment_means_and_stays_valid(invoices: dict[str, Invoice]) -> None:
    invoice = invoices["consumer_b2c"]
    no_bank = dataclasses.replace(invoice, seller=dataclasses.replace(invoice.seller, iban=None, bic=None))
    xml = build_cii(no_bank)
    doc = read_cii(xml)
    assert (doc.payment_means, doc.payment_reference) == ((), None)
    assert doc.payment_terms == no_bank.payment_terms.describe("fr")
    result = fv.validate(xml)
    assert result.passed, result.summary()


def test_basic_leaves_out_what_its_schema_does_not_have(invoices: dict[str, Invoice]) -> None:
    """BT-33, the seller contact, the BIC, and a line allowance's basis and percentage."""

    def dropped(doc: CiiDocument) -> tuple:  # type: ignore[type-arg]
        discounted = doc.lines[0].allowances[0]
        return (
            doc.seller.description,
            doc.seller.contact_email,
            doc.payment_means[0].bic,
            discounted.percent,
            discounted.basis,
        )

    basic = read_cii(build_cii(invoices["discounts"], "basic"))
    assert dropped(basic) == (None, None, None, None, None)
    assert None not in dropped(read_cii(build_cii(invoices["discounts"])))
    assert basic.lines[0].allowances[0].amount == invoices["discounts"].lines[0].discount_amount


def test_unknown_profile_is_refused(invoices: dict[str, Invoice]) -> None:
    with pytest.raises(ValueError, match="unknown Factur-X profile"):
        build_cii(invoices["discounts"], "minimum")


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("h", "HUR"),
        ("Heures", "HUR"),
        ("jour", "DAY"),
        ("j.", "DAY"),
        ("mois", "MON"),
        ("kg", "KGM"),
        ("g", "GRM"),
        ("litre", "LTR"),
        ("m", "MTR"),
        ("km", "KMT"),
        ("m²", "MTK"),
        ("forfait", "LS"),
        ("pièce", "H87"),
        ("u", "C62"),
        ("bouteille", "XBO"),
        ("carton", "XCT"),
        ("HUR", "HUR"),
        ("page", "C62"),
        ("", "C62"),
    ],
)
def test_unit_codes(unit: str, code: str) -> None:
    assert unit_code(unit) == code


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("20", "20"),
        ("20.00", "20"),
        ("5.5", "5.5"),
        ("5.50", "5.5"),
        ("2.1", "2.1"),
        ("0", "0"),
        ("0.00", "0"),
    ],
)
def test_rates_are_written_as_the_french_list_spells_them(rate: str, text: str) -> None:
    assert rate_text(Decimal(rate)) == text


def test_text_is_escaped_and_utf8(invoices: dict[str, Invoice]) -> None:
    xml = build_cii(invoices["single_rate_services_s1"])
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"Horizon Conseil &amp; Formation" in xml
    assert "Société Dauphinoise".encode() in xml
    assert read_cii(xml).seller.name == "Horizon Conseil & Formation"


def test_the_xml_is_deterministic(invoices: dict[str, Invoice]) -> None:
    invoice = invoices["sixty_lines"]
    assert build_cii(invoice) == build_cii(invoice)


# --- reading suppliers' XML: the official samples ----------------------------------------------------------


def _samples() -> Iterator[Path]:
    yield from _fixture_files("validation/en16931/examples")
    yield from _fixture_files("facturx/akretion/xml", "factur-x-*.xml")
    yield from _fixture_files("facturx/drafthorse")


@pytest.mark.parametrize("path", list(_samples()), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_read_cii_reads_official_samples_consistently(path: Path) -> None:
    fv.require_fixtures(path)
    doc = read_cii(path.read_bytes())
    totals = doc.totals
    assert doc.number
    assert isinstance(doc.issue_date, date)
    assert doc.currency
    assert len(doc.currency) == 3
    assert doc.seller is not None
    assert doc.seller.name
    assert doc.buyer is not None
    assert doc.buyer.name
    assert totals.grand_total is not None
    assert totals.tax_basis_total is not None
    assert totals.grand_total == totals.tax_basis_total + (totals.tax_total or ZERO)
    assert totals.due_payable is not None
    if doc.vat_breakdown and totals.tax_total is not None:
        assert sum((v.amount or ZERO for v in doc.vat_breakdown), ZERO) == totals.tax_total
    if doc.lines:
        assert sum((line.net_amount or ZERO for line in doc.lines), ZERO) == totals.line_total
        assert all(line.line_id and line.name and line.quantity is not None for line in doc.lines)


def test_read_cii_reads_the_akretion_en16931_sample_in_detail() -> None:
    path = fv.FIXTURES / "facturx" / "akretion" / "xml" / "factur-x-en16931.xml"
    fv.require_fixtures(path)
    doc: CiiDocument = read_cii(path.read_bytes())
    assert (doc.number, doc.type_code, doc.issue_date, doc.business_process) == (
        "F20260023",
        "380",
        date(2026, 1, 31),
        "S1",
    )
    assert doc.seller.siren == "123456782"
    assert doc.seller.vat_id == "FR11123456782"
    assert (doc.seller.electronic_address, doc.seller.electronic_address_scheme) == ("moi@seller.com", "EM")
    assert doc.buyer.siren == "987654321"
    assert {"PMT", "PMD", "AAB"} <= set(doc.notes_by_subject())
    assert doc.due_date == date(2026, 3, 2)
    assert [(r.number, r.issue_date) for r in doc.invoice_references] == [("F20260003", date(2026, 1, 1))]
    assert (doc.totals.grand_total, doc.totals.tax_total) == (Decimal("104.90"), Decimal("4.90"))
    assert len(doc.lines) == 3
    assert doc.lines[0].vat_category == VatCategory.EXEMPT.value
    assert (len(doc.lines[0].allowances), len(doc.lines[0].charges)) == (4, 4)
    assert (len(doc.allowances), len(doc.charges)) == (4, 4)


def test_read_cii_refuses_what_is_not_cii() -> None:
    with pytest.raises(CiiError, match="root element"):
        read_cii(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')
    with pytest.raises(CiiError, match="well-formed"):
        read_cii(b"<rsm:CrossIndustryInvoice")


def test_read_cii_does_not_expand_entities() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="'
        + NSMAP["rsm"].encode()
        + b'" xmlns:ram="'
        + NSMAP["ram"].encode()
        + b'"><rsm:ExchangedDocument><ram:ID>&secret;</ram:ID></rsm:ExchangedDocument>'
        + b"</rsm:CrossIndustryInvoice>"
    )
    assert read_cii(xml).number is None
