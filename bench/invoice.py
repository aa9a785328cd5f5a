"""The benchmark invoice: one A4 page, eight lines, two VAT rates, a business buyer, an IBAN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoicing.domain.invoice import Discount, DocumentType, Draft, Invoice, Line, Source, issue
from invoicing.domain.parties import Address, Client, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.vat import VatTreatment

SELLER = Seller(
    legal_name="Horizon Conseil & Formation",
    legal_form="SARL",
    siret="83147925800020",
    address=Address(("14 rue de la République", "3e étage"), "69002", "Lyon"),
    share_capital=Decimal("20000"),
    rcs_city="Lyon",
    vat_id="FR45831479258",
    iban="FR7630004008230001041763247",
    bic="BNPAFRPPLYO",
    email="facturation@horizon-conseil.example",
    phone="04 78 00 00 00",
    late_penalty=LatePenalty("legal-x3"),
)
BUYER = Client(
    ref="C001",
    name="Société Dauphinoise de Transports",
    address=Address(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble"),
    siren="428716302",
    vat_id="FR19428716302",
    payment_terms=PaymentTerms(30),
)
_ITEMS = [
    ("Audit des processus logistiques — entrepôt de Saint-Égrève", "3.5", "h", "95.00", "20", None),
    ("Atelier « cartographie des flux » avec l'équipe de direction", "1", "jour", "750.00", "20", "10"),
    ("Formation Excel avancé (6 participants)", "2", "jour", "690.00", "20", None),
    ("Support de formation imprimé", "6", "pièce", "18.50", "5.5", None),
    ("Suivi post-formation à distance", "4", "h", "85.00", "20", None),
    ("Frais de déplacement Lyon–Grenoble", "2", "forfait", "62.40", "20", None),
    ("Ouvrage « Lean management » remis aux participants", "6", "pièce", "24.90", "5.5", None),
    ("Rapport de synthèse et plan d'action", "1", "forfait", "450.00", "20", None),
]


def bench_invoice(number: int = 1) -> Invoice:
    lines = tuple(
        Line(
            description=text,
            quantity=Decimal(qty),
            unit=unit,
            unit_price=Decimal(price),
            vat=VatTreatment.standard(rate),
            discount=Discount(percent=Decimal(discount)) if discount else None,
            service_date=date(2026, 11, 3 + i),
        )
        for i, (text, qty, unit, price, rate, discount) in enumerate(_ITEMS)
    )
    draft = Draft(
        DocumentType.INVOICE,
        BUYER,
        lines,
        date(2026, 11, 3),
        date(2026, 11, 10),
        order_ref="BC-2026-114",
        source=Source("incoming/bench.csv", "bench", f"g{number}"),
    )
    return issue(
        draft,
        seller=SELLER,
        number=f"FA2026-{number:05d}",
        issue_date=date(2026, 11, 23),
        default_terms=PaymentTerms(30),
    )
