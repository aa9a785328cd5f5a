"""Invoices and credit notes covering what the Factur-X XML must express, as pure domain objects.

Imported as a plain module by the XML tests (and by the PDF embedding tests): ``CASES`` maps a case
name to a builder; ``build(name)`` and ``all_cases()`` give the issued ``Invoice``. Identifiers are
computed with their check digits (python-stdnum) and validated through ``invoicing.domain.identifiers``,
the same door every real identifier goes through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from stdnum import luhn
from stdnum.ie import vat as ie_vat
from stdnum.iso7064 import mod_11_10

from invoicing.domain import identifiers
from invoicing.domain.invoice import (
    AllowanceCharge,
    CreditedLine,
    Discount,
    DocumentType,
    Draft,
    Invoice,
    Line,
    Source,
    credit_note_draft,
    issue,
)
from invoicing.domain.parties import Address, Client, Locale, OperationCategory, Seller, VatRegime
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.vat import VatTreatment

ISSUED = date(2026, 11, 30)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


# --- identifiers with valid check digits -------------------------------------------------------------


def french_siren(first_eight: str) -> str:
    return identifiers.siren(first_eight + luhn.calc_check_digit(first_eight))


def french_siret(siren: str, establishment: str = "0001") -> str:
    return identifiers.siret(siren + establishment + luhn.calc_check_digit(siren + establishment))


def german_vat(first_eight: str) -> str:
    return identifiers.vat_id(f"DE{first_eight}{mod_11_10.calc_check_digit(first_eight)}")


def belgian_vat(first_eight: str) -> str:
    return identifiers.vat_id(f"BE{first_eight}{97 - int(first_eight) % 97:02d}")


def irish_vat(seven_digits: str) -> str:
    return identifiers.vat_id(f"IE{seven_digits}{ie_vat.calc_check_digit(seven_digits)}")


# --- parties -------------------------------------------------------------------------------------------

#: A French SARL selling services (S1); the other sellers are variations of it.
SELLER = Seller(
    legal_name="Horizon Conseil & Formation",
    legal_form="SARL",
    siret=identifiers.siret("83147925800020"),
    address=Address(("14 rue de la République",), "69002", "Lyon"),
    share_capital=Decimal("20000"),
    rcs_city="Lyon",
    vat_id=identifiers.vat_id("FR45831479258"),
    iban=identifiers.iban("FR7630004008230001041763247"),
    bic=identifiers.bic("BNPAFRPPLYO"),
    email=identifiers.email("facturation@horizon-conseil.example"),
    phone="+33 4 72 10 20 30",
    late_penalty=LatePenalty("legal-x3"),
    operation_category=OperationCategory.SERVICES,
)
GOODS_SELLER = dataclasses.replace(SELLER, operation_category=OperationCategory.GOODS)
MIXED_SELLER = dataclasses.replace(SELLER, operation_category=OperationCategory.MIXED)
DEBITS_SELLER = dataclasses.replace(SELLER, vat_on_debits=True)

_MICRO_SIREN = french_siren("51234567")
#: Franchise en base (CGI art. 293 B): an individual entrepreneur with no VAT number and no RCS.
FRANCHISE_SELLER = Seller(
    legal_name="Julie Martin Graphisme",
    legal_form="EI",
    siret=french_siret(_MICRO_SIREN),
    address=Address(("5 place des Terreaux",), "69001", "Lyon"),
    iban=identifiers.iban("FR7630004008230001041763247"),
    bic=identifiers.bic("BNPAFRPPLYO"),
    email=identifiers.email("julie@martin-graphisme.example"),
    vat_regime=VatRegime.FRANCHISE,
    operation_category=OperationCategory.SERVICES,
    late_penalty=LatePenalty("fixed", Decimal("12.5")),
)

_DAUPHINOISE_SIREN = french_siren("42871630")
DAUPHINOISE = Client(
    ref="C001",
    name="Société Dauphinoise de Transports",
    address=Address(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble"),
    email=identifiers.email("compta@sdt.example"),
    siren=_DAUPHINOISE_SIREN,
    vat_id=identifiers.french_vat_id(_DAUPHINOISE_SIREN),
    payment_terms=PaymentTerms(30),
)
_LEFEVRE_SIREN = french_siren("55210055")
LEFEVRE = Client(
    ref="C002",
    name="Boulangerie Lefèvre SAS",
    address=Address(("4 rue de la République",), "69001", "Lyon"),
    email=identifiers.email("compta@lefevre.example"),
    siren=_LEFEVRE_SIREN,
    vat_id=identifiers.french_vat_id(_LEFEVRE_SIREN),
    payment_terms=PaymentTerms(45, end_of_month=True),
)
OURTHE = Client(
    ref="BE-01",
    name="Brasserie de l'Ourthe SA",
    address=Address(("Rue de l'Académie 52",), "4000", "Liège", "BE"),
    email=identifiers.email("comptabilite@ourthe.example"),
    vat_id=belgian_vat("04567123"),
)
MUELLER = Client(
    ref="DE-01",
    name="Müller Werkzeuge GmbH",
    address=Address(("Industriestraße 12",), "50667", "Köln", "DE"),
    email=identifiers.email("einkauf@mueller-werkzeuge.example"),
    vat_id=german_vat("81234567"),
    locale=Locale.EN,
    payment_terms=PaymentTerms(30),
)
LEMAN = Client(
    ref="CH-01",
    name="Chocolaterie du Léman SA",
    address=Address(("Avenue de Rhodanie 40",), "1007", "Lausanne", "CH"),
    email=identifiers.email("achats@chocolaterie-leman.example"),
)
OAKWOOD = Client(
    ref="IE-01",
    name="Oakwood Digital Ltd",
    address=Address(("12 Fitzwilliam Square",), "D02 X285", "Dublin", "IE"),
    email=identifiers.email("accounts@oakwood-digital.example"),
    vat_id=irish_vat("6433435"),
    locale=Locale.EN,
    payment_terms=PaymentTerms(45, end_of_month=True),
)
GARNIER = Client(
    ref="P001",
    name="Mme Hélène Garnier",
    address=Address(("3 chemin des Frênes",), "74000", "Annecy"),
    email=identifiers.email("helene.garnier@courriel.example"),
)
#: A private person known only by name and postal address.
GARNIER_NO_EMAIL = dataclasses.replace(GARNIER, ref="P002", email=None)


# --- builders --------------------------------------------------------------------------------------------


def standard(description: str, quantity: str, unit: str, price: str, rate: str = "20", **kwargs) -> Line:
    return Line(description, Decimal(quantity), unit, Decimal(price), VatTreatment.standard(rate), **kwargs)


def exempt(description: str, quantity: str, unit: str, price: str, key: str, **kwargs) -> Line:
    return Line(description, Decimal(quantity), unit, Decimal(price), VatTreatment.exempt(key), **kwargs)


def make(
    number: str,
    buyer: Client,
    lines: tuple[Line, ...],
    *,
    seller: Seller = SELLER,
    period: tuple[date, date] = NOVEMBER,
    issued: date = ISSUED,
    **draft_kwargs,
) -> Invoice:
    draft = Draft(
        draft_kwargs.pop("document_type", DocumentType.INVOICE),
        buyer,
        lines,
        period[0],
        period[1],
        **draft_kwargs,
    )
    return issue(
        draft,
        seller=seller,
        number=number,
        issue_date=issued,
        default_terms=PaymentTerms(30),
        invoice_id=number,
    )


_AUDIT_LINES = (
    standard("Audit organisationnel", "2.5", "jours", "1234.50"),
    standard("Atelier de restitution", "3", "h", "180"),
    standard("Frais de dossier", "1", "forfait", "50"),
)


def single_rate_services() -> Invoice:
    """S1: a services seller, a French business buyer, one VAT rate, an order reference."""
    return make("FA2026-00101", DAUPHINOISE, _AUDIT_LINES, order_ref="PO-2026/118")


def mixed_rates_mixed_seller() -> Invoice:
    """M1: goods and services at 20, 10, 5.5 and 2.1 %, delivered on one day."""
    lines = (
        standard("Four à sole (installation comprise)", "1", "pièce", "2450", "20"),
        standard("Repas de l'équipe de montage", "6", "personnes", "18.50", "10"),
        standard("Manuel de boulangerie professionnelle", "2", "u", "39.90", "5.5"),
        standard("Revue Le Boulanger, numéro de novembre", "3", "u", "6.90", "2.1"),
        standard("Réglage et formation", "4", "heures", "85", "20"),
    )
    day = date(2026, 11, 18)
    return make("FA2026-00102", LEFEVRE, lines, seller=MIXED_SELLER, period=(day, day))


def franchise_en_base() -> Invoice:
    """E: franchise en base, the seller has a SIREN but no VAT number."""
    lines = (
        exempt("Création de logo", "1", "forfait", "850", "franchise"),
        exempt("Déclinaisons (cartes de visite, en-têtes)", "6", "h", "45", "franchise"),
    )
    return make("FA2026-00103", DAUPHINOISE, lines, seller=FRANCHISE_SELLER)


def reverse_charge() -> Invoice:
    """AE: services to a Belgian business, VAT self-assessed by the buyer, with a travel charge."""
    lines = (
        exempt("Formation management (2 sessions)", "2", "jours", "1450", "autoliquidation"),
        exempt("Support de cours imprimé", "12", "u", "15", "autoliquidation"),
    )
    travel = AllowanceCharge(
        True, Decimal("180.00"), "Frais de déplacement", VatTreatment.exempt("autoliquidation"), "ADR"
    )
    return make("FA2026-00104", OURTHE, lines, adjustments=(travel,))


def intra_eu_supply() -> Invoice:
    """K: goods delivered to a German business (both VAT ids, delivery date, deliver-to country)."""
    lines = (
        exempt("Clés dynamométriques 1/2 pouce", "40", "pièces", "62.50", "intracom"),
        exempt("Graisse technique", "25", "kg", "14.20", "intracom"),
    )
    day = date(2026, 11, 20)
    return make("FA2026-00105", MUELLER, lines, seller=GOODS_SELLER, period=(day, day))


def export_outside_eu() -> Invoice:
    """G: goods exported to Switzerland, freight exempt with them."""
    lines = (
        exempt("Moules à pralines en polycarbonate", "30", "u", "24.90", "export"),
        exempt("Thermomètre de tempérage", "2", "u", "129", "export"),
    )
    freight = AllowanceCharge(
        True, Decimal("65.00"), "Transport jusqu'à Lausanne", VatTreatment.exempt("export"), "FC"
    )
    day = date(2026, 11, 24)
    return make("FA2026-00106", LEMAN, lines, seller=GOODS_SELLER, period=(day, day), adjustments=(freight,))


def line_and_document_discounts() -> Invoice:
    """A percentage and an amount line discount, and a document-level allowance."""
    lines = (
        standard("Coaching individuel", "5", "h", "150", discount=Discount(percent=Decimal("10"))),
        standard("Séminaire de direction", "1", "jour", "2400", discount=Discount(amount=Decimal("250"))),
        standard("Livret participant", "10", "u", "12.40", "5.5"),
    )
    loyalty = AllowanceCharge(False, Decimal("100.00"), "Remise fidélité", VatTreatment.standard("20"))
    return make("FA2026-00107", DAUPHINOISE, lines, adjustments=(loyalty,))


def goods_with_shipping() -> Invoice:
    """B1: a goods seller with a shipping charge (UNTDID 7161 FC, freight)."""
    lines = (
        standard("Bannetons en rotin", "24", "u", "11.90"),
        standard("Couche de lin (rouleau)", "12", "m", "8.75"),
        standard("Grignettes inox", "6", "boîtes", "9.60"),
    )
    shipping = AllowanceCharge(True, Decimal("25.00"), "Frais de port", VatTreatment.standard("20"), "FC")
    day = date(2026, 11, 26)
    return make(
        "FA2026-00108", LEFEVRE, lines, seller=GOODS_SELLER, period=(day, day), adjustments=(shipping,)
    )


def english_buyer() -> Invoice:
    """A foreign buyer reading English: services to an Irish business under reverse charge."""
    lines = (
        exempt("Strategy workshop", "2", "days", "1600", "autoliquidation"),
        exempt("Follow-up calls", "5", "hours", "140", "autoliquidation"),
    )
    return make("FA2026-00109", OAKWOOD, lines, order_ref="OAK-PO-7781")


def sixty_lines() -> Invoice:
    """A long document: 60 lines over three rates and several units."""
    units = ("u", "kg", "h", "jour", "carton", "l")
    lines = tuple(
        standard(
            f"Article {n:03d}", f"{n % 7 + 1}", units[n % len(units)], f"{n}.25", ("20", "10", "5.5")[n % 3]
        )
        for n in range(1, 61)
    )
    return make("FA2026-00110", DAUPHINOISE, lines, seller=MIXED_SELLER)


def _credit(
    number: str, original: Invoice, reason: str, issued: date, lines: tuple[CreditedLine, ...] | None = None
) -> Invoice:
    """A credit note as the core makes them (``credit_note_draft``), issued on ``issued``."""
    source = Source(f"operator/credit-notes/{number}", "0" * 64, number)
    draft = credit_note_draft(original, reason=reason, source=source, lines=lines)
    return issue(
        draft,
        seller=original.seller,
        number=number,
        issue_date=issued,
        default_terms=PaymentTerms(30),
        invoice_id=number,
    )


def full_credit_note() -> Invoice:
    """381: cancels invoice FA2026-00107 in full, its discounts and document allowance included."""
    return _credit(
        "AV2026-00001",
        line_and_document_discounts(),
        "Annulation de la facture FA2026-00107 : séminaire reporté à 2027",
        date(2026, 12, 4),
    )


def partial_credit_note() -> Invoice:
    """381: credits one of the 2.5 audit days of invoice FA2026-00101."""
    return _credit(
        "AV2026-00002",
        single_rate_services(),
        "Journée d'audit du 14/11 annulée",
        date(2026, 12, 5),
        lines=(CreditedLine(1, Decimal("1")),),
    )


def consumer() -> Invoice:
    """B2C: a private person (no SIREN, no VAT id), reachable by e-mail."""
    lines = (
        standard("Dépannage chauffe-eau", "1", "forfait", "180", "10"),
        standard("Groupe de sécurité", "1", "pièce", "42.50", "10"),
        standard("Déplacement", "1", "u", "35", "20"),
    )
    day = date(2026, 11, 12)
    return make("FA2026-00111", GARNIER, lines, period=(day, day))


def consumer_without_email() -> Invoice:
    """B2C with no electronic address at all: BR-FR-12 cannot be met (see the tests)."""
    lines = (standard("Dépannage chauffe-eau", "1", "forfait", "180", "10"),)
    day = date(2026, 11, 13)
    return make("FA2026-00112", GARNIER_NO_EMAIL, lines, period=(day, day))


def vat_on_debits() -> Invoice:
    """Services where the seller opted to pay VAT on debits (BT-8 = 5, and the mention)."""
    lines = (
        standard("Maintenance applicative (novembre)", "1", "mois", "1800"),
        standard("Interventions hors forfait", "7.5", "h", "95", service_date=date(2026, 11, 21)),
    )
    return make("FA2026-00113", DAUPHINOISE, lines, seller=DEBITS_SELLER)


#: Every case the XML must validate for, by name.
CASES: dict[str, Callable[[], Invoice]] = {
    "single_rate_services_s1": single_rate_services,
    "mixed_rates_m1": mixed_rates_mixed_seller,
    "franchise_en_base_e": franchise_en_base,
    "reverse_charge_ae": reverse_charge,
    "intra_eu_supply_k": intra_eu_supply,
    "export_g": export_outside_eu,
    "discounts": line_and_document_discounts,
    "goods_shipping_b1": goods_with_shipping,
    "english_buyer": english_buyer,
    "sixty_lines": sixty_lines,
    "credit_note_full": full_credit_note,
    "credit_note_partial": partial_credit_note,
    "consumer_b2c": consumer,
    "vat_on_debits": vat_on_debits,
}

#: Cases the rules cannot accept as they stand, kept to document why (the tests pin the exact rule).
LIMITS: dict[str, Callable[[], Invoice]] = {
    "consumer_without_email": consumer_without_email,
}


def build(name: str) -> Invoice:
    return {**CASES, **LIMITS}[name]()


def all_cases() -> dict[str, Invoice]:
    return {name: builder() for name, builder in CASES.items()}
