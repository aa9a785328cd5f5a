"""Fixtures of the ingest tests: a seller (normal and franchise VAT regime) and known clients
(from ``tests.factories``)."""

from __future__ import annotations

import pytest

from invoicing.domain.parties import Client, Seller, VatRegime
from tests import factories


@pytest.fixture
def seller() -> Seller:
    return factories.bare_seller()


@pytest.fixture
def franchise_seller() -> Seller:
    return factories.bare_seller(
        legal_name="Atelier Dupont", legal_form="EI", vat_id=None, vat_regime=VatRegime.FRANCHISE
    )


@pytest.fixture
def clients() -> dict[str, Client]:
    return {c.ref: c for c in (factories.company(), factories.person(), factories.belgian())}
