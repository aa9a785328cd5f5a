"""The price list: what a product code stands for on a sales row.

A business may keep a products file (``incoming/products/``): each product has a code, a label,
a unit, a unit price excluding VAT and a VAT treatment. A sales row then gives a code and a
quantity, and takes from the product whatever it does not write itself
(``invoicing.ingest.sales``). Codes are matched without regard to case or surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoicing.domain.codec import vat_from_dict, vat_to_dict
from invoicing.domain.vat import VatTreatment


def product_key(code: str) -> str:
    """How codes are compared: ``" aud-j "`` is product ``AUD-J``."""
    return code.strip().casefold()


@dataclass(frozen=True, slots=True)
class Product:
    """One line of the price list, already validated."""

    code: str
    label: str
    unit_price: Decimal
    vat: VatTreatment
    #: ``h``, ``jour``, ``kg``…; None: the row's own unit, else the default one.
    unit: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Decimal):
            raise TypeError("a unit price is a Decimal")
        if self.unit_price < 0:
            raise ValueError("a unit price is never negative")

    @property
    def key(self) -> str:
        return product_key(self.code)


def product_index(products: Iterable[Product]) -> dict[str, Product]:
    """Products by folded code (the first of a code wins; a products file has each code once)."""
    index: dict[str, Product] = {}
    for product in products:
        index.setdefault(product.key, product)
    return index


def product_to_dict(product: Product) -> dict[str, Any]:
    return {
        "code": product.code,
        "label": product.label,
        "unit": product.unit,
        "unit_price": str(product.unit_price),
        "vat": vat_to_dict(product.vat),
    }


def product_from_dict(data: dict[str, Any]) -> Product:
    return Product(
        code=data["code"],
        label=data["label"],
        unit=data.get("unit"),
        unit_price=Decimal(data["unit_price"]),
        vat=vat_from_dict(data["vat"]),
    )
