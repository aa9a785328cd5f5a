"""Fixtures of the domain tests: a seller and business, private and English-speaking clients
(from ``tests.factories``)."""

from __future__ import annotations

import pytest

from invoicing.domain.parties import Client, Seller
from invoicing.domain.terms import PaymentTerms
from tests import factories


@pytest.fixture
def seller() -> Seller:
    return factories.seller(email=None)


@pytest.fixture
def company() -> Client:
    return factories.company(payment_terms=PaymentTerms(45, end_of_month=True))


@pytest.fixture
def person() -> Client:
    return factories.person()


@pytest.fixture
def belgian() -> Client:
    return factories.belgian(email="compta@ourthe.example", payment_terms=PaymentTerms(30))
