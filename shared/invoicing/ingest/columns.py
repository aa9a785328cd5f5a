"""Which column of the file holds which field: header normalisation and alias matching.

People name their columns "Prix unitaire HT (€)", "Qté", "Réf. client" or "Unit price": a
header is normalised (lower case, no accents, every run of other characters replaced by "_")
and looked up among each field's aliases, themselves written normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from invoicing.domain.problems import InputRejected, Problem

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """``" Prix unitaire HT (€) "`` -> ``"prix_unitaire_ht"``; ``"Quantité"`` -> ``"quantite"``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_ALNUM.sub("_", plain).strip("_")


@dataclass(frozen=True)
class Field:
    """A field read from a file: its canonical name first among its (normalised) aliases."""

    name: str
    aliases: tuple[str, ...]
    required: bool = False

    def __post_init__(self) -> None:
        if self.name not in self.aliases:
            raise ValueError(f"field {self.name} must be one of its own aliases")
        for alias in self.aliases:
            if normalise(alias) != alias:
                raise ValueError(f"alias {alias!r} is not normalised")


def _field(name: str, *aliases: str, required: bool = False) -> Field:
    return Field(name, (name, *(a for a in aliases if a != name)), required)


SALES_FIELDS: tuple[Field, ...] = (
    _field(
        "client",
        "ref_client",
        "reference_client",
        "code_client",
        "client_ref",
        "customer",
        "customer_ref",
        required=True,
    ),
    _field(
        "date",
        "date_vente",
        "date_de_vente",
        "date_prestation",
        "date_de_prestation",
        "date_of_sale",
        "service_date",
        required=True,
    ),
    _field("description", "designation", "libelle", "article", "prestation", required=True),
    _field("quantite", "qte", "qty", "quantity", "nombre", required=True),
    _field("unite", "unit"),
    _field(
        "prix_unitaire_ht",
        "prix_unitaire",
        "pu_ht",
        "pu",
        "unit_price",
        "unit_price_excl_vat",
        "prix_ht",
        required=True,
    ),
    _field("tva", "taux_tva", "taux_de_tva", "vat", "vat_rate", required=True),
    _field(
        "reference_commande",
        "ref_commande",
        "commande",
        "bon_de_commande",
        "order_ref",
        "order_reference",
        "po",
    ),
    _field("remise", "discount", "rabais"),
    _field("exoneration", "motif_exoneration", "vat_exemption", "exemption"),
    _field("type", "type_document", "document_type"),
    _field("facture_origine", "facture_corrigee", "corrects", "original_invoice"),
    _field("motif", "motif_avoir", "reason"),
    # The sheet's own row id (invoicing.domain.rows): a row is invoiced once, by this id.
    _field(
        "id",
        "ligne",
        "id_ligne",
        "n",
        "no",
        "n_ligne",
        "numero_ligne",
        "numero_de_ligne",
        "row_id",
        "line_id",
    ),
    # Which rows are ready to invoice (the others are counted, not invoiced).
    _field("statut", "status", "etat", "state"),
    # A code of the price list (invoicing.domain.products): the row takes from the product what
    # it does not write itself.
    _field(
        "produit",
        "code_produit",
        "code_article",
        "article_code",
        "ref_produit",
        "reference_produit",
        "product",
        "product_code",
        "sku",
    ),
)

#: With a product column, a row may take its description, price and VAT from the price list:
#: those columns are no longer required (each row still needs them, from itself or its product).
FROM_PRODUCT = frozenset({"description", "prix_unitaire_ht", "tva"})
SALES_FIELDS_WITH_PRODUCTS: tuple[Field, ...] = tuple(
    Field(f.name, f.aliases, False) if f.name in FROM_PRODUCT else f for f in SALES_FIELDS
)

PRODUCT_FIELDS: tuple[Field, ...] = (
    _field(
        "code",
        "code_produit",
        "code_article",
        "article_code",
        "reference",
        "ref",
        "ref_produit",
        "reference_produit",
        "sku",
        "product_code",
        required=True,
    ),
    _field("libelle", "designation", "description", "label", "intitule", "produit", "product", required=True),
    _field("unite", "unit"),
    _field(
        "prix_unitaire_ht",
        "prix_unitaire",
        "pu_ht",
        "pu",
        "prix",
        "prix_ht",
        "tarif",
        "unit_price",
        "unit_price_excl_vat",
        "price",
        required=True,
    ),
    _field("tva", "taux_tva", "taux_de_tva", "vat", "vat_rate", required=True),
    _field("exoneration", "motif_exoneration", "vat_exemption", "exemption"),
)

CLIENT_FIELDS: tuple[Field, ...] = (
    _field("reference", "ref", "client", "code_client", "ref_client", "client_ref", required=True),
    _field("nom", "name", "raison_sociale", "company", "client_name", required=True),
    _field("adresse", "address", "rue", "street", "adresse_1", "address_1", required=True),
    _field("complement", "adresse_2", "complement_adresse", "address_2"),
    _field("code_postal", "cp", "postcode", "zip", "postal_code", required=True),
    _field("ville", "city", required=True),
    _field("pays", "country"),
    _field("siren", "siret"),
    _field(
        "tva",
        "numero_tva",
        "tva_intracom",
        "vat",
        "vat_id",
        "vat_number",
        # "N° TVA", "No TVA", "Numéro de TVA", "TVA intracommunautaire" as people write them
        "n_tva",
        "no_tva",
        "numero_de_tva",
        "tva_intracommunautaire",
    ),
    _field("email", "e_mail", "courriel", "mail", "adresse_email", "adresse_e_mail"),
    _field("langue", "locale", "language", "lang"),
    _field("conditions_paiement", "delai_paiement", "conditions_de_paiement", "payment_terms", "echeance"),
)


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in a table's header."""

    headers: tuple[str, ...]
    #: canonical field name -> column index
    index: dict[str, int]
    #: headers (as written) that match no field; the caller may mention them
    unknown: tuple[str, ...]

    def has(self, name: str) -> bool:
        return name in self.index

    def get(self, cells: Sequence[str], name: str) -> str:
        """The cell of field ``name`` in a row, '' when the column is absent."""
        position = self.index.get(name)
        return cells[position] if position is not None else ""

    def header(self, name: str) -> str:
        """The header as written in the file (the canonical name when the column is absent)."""
        position = self.index.get(name)
        return self.headers[position] if position is not None else name


def match_sales_columns(headers: Sequence[str]) -> ColumnMap:
    """The columns of a sales file: description, price and VAT are required unless a product
    column can supply them."""
    products = next(f for f in SALES_FIELDS if f.name == "produit")
    with_products = any(normalise(header) in products.aliases for header in headers)
    return match_columns(headers, SALES_FIELDS_WITH_PRODUCTS if with_products else SALES_FIELDS)


def match_columns(headers: Sequence[str], fields: Sequence[Field]) -> ColumnMap:
    """Map headers to fields; raise ``InputRejected`` listing every missing or duplicated column."""
    lookup = {alias: f for f in fields for alias in f.aliases}
    index: dict[str, int] = {}
    unknown: list[str] = []
    problems: list[Problem] = []
    for position, header in enumerate(headers):
        found = lookup.get(normalise(header))
        if found is None:
            if header.strip():
                unknown.append(header)
            continue
        if found.name in index:
            problems.append(
                Problem("duplicate_column", column=found.name, value=header, params={"column": found.name})
            )
            continue
        index[found.name] = position
    for f in fields:
        if f.required and f.name not in index:
            params: dict[str, object] = {"column": f.name, "aliases": ", ".join(f.aliases)}
            problems.append(Problem("missing_column", column=f.name, params=params))
    if problems:
        raise InputRejected(problems)
    return ColumnMap(tuple(headers), index, tuple(unknown))
