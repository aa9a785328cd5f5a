"""Fixtures of the domain tests: a seller and business, private and English-speaking clients."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.domain.parties import Address, Client, Locale, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms


@pytest.fixture
def seller() -> Seller:
    return Seller(
        legal_name="Horizon Conseil & Formation",
        legal_form="SARL",
        siret="83147925800020",
        address=Address(("14 rue de la République",), "69002", "Lyon"),
        share_capital=Decimal("10000"),
        rcs_city="Lyon",
        vat_id="FR45831479258",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        late_penalty=LatePenalty("fixed", Decimal("12.5")),
    )


@pytest.fixture
def company() -> Client:
    return Client(
        ref="C001",
        name="Société Dauphinoise de Transports",
        address=Address(("8 avenue Alsace-Lorraine",), "38000", "Grenoble"),
        siren="428716302",
        vat_id="FR19428716302",
        payment_terms=PaymentTerms(45, end_of_month=True),
    )


@pytest.fixture
def person() -> Client:
    return Client(
        ref="c002", name="Mme Hélène Garnier", address=Address(("3 chemin des Frênes",), "74000", "Annecy")
    )


@pytest.fixture
def belgian() -> Client:
    return Client(
        ref="BE-OURTHE",
        name="Brasserie Wallonne de l'Ourthe SA",
        address=Address(("Rue de l'Académie 52",), "4000", "Liège", "BE"),
        email="compta@ourthe.example",
        vat_id="BE0456712325",
        locale=Locale.EN,
        payment_terms=PaymentTerms(30),
    )
