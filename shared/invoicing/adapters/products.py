"""The products table (the price list): upserted from the products file, read when a sales file
is processed. Like the clients table: one item per product, its validated value as a JSON
document, keyed by its code folded as sales rows match it (``product_key``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from invoicing.adapters.aws import region
from invoicing.domain.products import Product, product_from_dict, product_key, product_to_dict
from invoicing.settings import Resources


@cache
def _model(resources: Resources) -> Any:
    """The model class of one stack's products table (cached per ``Resources``, like
    ``invoicing.adapters.records.models``)."""
    table_region = region()

    class ProductRecord(Model):
        class Meta:
            table_name = resources.products_table
            region = table_region

        code = UnicodeAttribute(hash_key=True)
        document = UnicodeAttribute()
        updated_at = UnicodeAttribute()
        source_key = UnicodeAttribute(null=True)

    return ProductRecord


class ProductRepository:
    def __init__(
        self, resources: Resources, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        if not resources.products_table:
            raise ValueError("this stack has no products table (PRODUCTS_TABLE)")
        self._Product = _model(resources)
        self._clock = clock

    def upsert(self, products: Iterable[Product], *, source_key: str | None = None) -> int:
        """Create or replace each product; products not in ``products`` are left as they are."""
        now = self._clock().isoformat(timespec="seconds")
        count = 0
        with self._Product.batch_write() as batch:
            for product in products:
                batch.save(
                    self._Product(
                        product_key(product.code),
                        document=json.dumps(product_to_dict(product), ensure_ascii=False),
                        updated_at=now,
                        source_key=source_key,
                    )
                )
                count += 1
        return count

    def all(self) -> dict[str, Product]:
        """Every product by code. A price list has hundreds of lines, not millions."""
        return {
            product.code: product
            for product in (
                product_from_dict(json.loads(r.document)) for r in self._Product.scan(consistent_read=True)
            )
        }
