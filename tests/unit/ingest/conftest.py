"""Fixtures of the ingest tests: a seller (normal and franchise VAT regime) and known clients."""

from __future__ import annotations

import pytest

from invoicing.domain.parties import Address, Client, Locale, Seller, VatRegime
from invoicing.domain.terms import PaymentTerms


@pytest.fixture
def seller() -> Seller:
    return Seller(
        legal_name="Horizon Conseil & Formation",
        legal_form="SARL",
        siret="83147925800020",
        address=Address(("14 rue de la République",), "69002", "Lyon"),
        vat_id="FR45831479258",
    )


@pytest.fixture
def franchise_seller(seller: Seller) -> Seller:
    return Seller(
        legal_name="Atelier Dupont",
        legal_form="EI",
        siret=seller.siret,
        address=seller.address,
        vat_regime=VatRegime.FRANCHISE,
    )


@pytest.fixture
def clients() -> dict[str, Client]:
    company = Client(
        ref="C001",
        name="Société Dauphinoise de Transports",
        address=Address(("8 avenue Alsace-Lorraine",), "38000", "Grenoble"),
        siren="428716302",
        vat_id="FR19428716302",
        payment_terms=PaymentTerms(30),
    )
    person = Client(
        ref="c002", name="Mme Hélène Garnier", address=Address(("3 chemin des Frênes",), "74000", "Annecy")
    )
    belgian = Client(
        ref="BE-OURTHE",
        name="Brasserie Wallonne de l'Ourthe SA",
        address=Address(("Rue de l'Académie 52",), "4000", "Liège", "BE"),
        vat_id="BE0456712325",
        locale=Locale.EN,
    )
    return {c.ref: c for c in (company, person, belgian)}
