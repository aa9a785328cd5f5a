"""A products file (the price list) to validated ``Product`` values, all or nothing.

Each row is a product: its code, label, unit, unit price excluding VAT and VAT rate (or a zero
rate with its exemption reason), read by the very parsers the sales rows use
(``invoicing.ingest.values``), so a price or a rate the list accepts is one a sales row would.
Codes are unique in the file, compared as sales rows match them: without regard to case.
"""

from __future__ import annotations

import re
from typing import TypeVar

from invoicing.domain.parties import VatRegime
from invoicing.domain.problems import InputRejected, Problem
from invoicing.domain.products import Product, product_key
from invoicing.ingest.columns import PRODUCT_FIELDS, ColumnMap, match_columns
from invoicing.ingest.table import ProblemList, Row, Table
from invoicing.ingest.values import Cell, parse_text, parse_unit_price, parse_vat

T = TypeVar("T")

#: Letters, digits and ``+ - _ / .``: what shops and catalogues use for SKUs.
CODE = re.compile(r"^[A-Za-z0-9+\-_/.]{1,35}$")
LABEL_LIMIT = 500  # a sales row's description (invoicing.ingest.sales.DESCRIPTION_LIMIT)
UNIT_LIMIT = 30


def parse_products(table: Table, *, vat_regime: VatRegime = VatRegime.NORMAL) -> tuple[Product, ...]:
    """Every row to a ``Product``, in file order; raise ``InputRejected`` with all problems found.

    ``vat_regime`` is the seller's: under the franchise a product carries no VAT (a blank or
    zero rate), as a sales row would.
    """
    columns = match_columns(table.headers, PRODUCT_FIELDS)
    problems = ProblemList()
    products: list[Product] = []
    first_rows: dict[str, int] = {}
    for row in table.rows:
        if problems.full:
            break
        found: list[Problem] = []
        code_cell = Cell(columns.get(row.cells, "code"), row.number, columns.header("code"))
        code = code_cell.raw.strip()
        if not code:
            found.append(code_cell.problem("required"))
        elif not CODE.match(code):
            found.append(code_cell.problem("bad_product_code"))
        elif product_key(code) in first_rows:
            found.append(code_cell.problem("duplicate_product", first_row=first_rows[product_key(code)]))
        else:
            first_rows[product_key(code)] = row.number
        product = _product(code, row, columns, vat_regime, found)
        for problem in found:
            problems.add(problem)
        if product is not None and not found:
            products.append(product)
    if problems:
        raise InputRejected(problems)
    return tuple(products)


def _product(
    code: str, row: Row, columns: ColumnMap, vat_regime: VatRegime, found: list[Problem]
) -> Product | None:
    """The product of one row; its problems go to ``found`` (and then None is returned)."""

    def cell(name: str) -> Cell:
        return Cell(columns.get(row.cells, name), row.number, columns.header(name))

    def value(result: T | Problem) -> T | None:
        if isinstance(result, Problem):
            found.append(result)
            return None
        return result

    label = value(parse_text(cell("libelle"), limit=LABEL_LIMIT, required=True))
    unit = value(parse_text(cell("unite"), limit=UNIT_LIMIT))
    price = value(parse_unit_price(cell("prix_unitaire_ht")))
    vat = value(parse_vat(cell("tva"), cell("exoneration"), vat_regime))
    if found or label is None or price is None or vat is None:
        return None
    return Product(code=code, label=label, unit=unit, unit_price=price, vat=vat)
