"""A clients table to validated ``Client`` values, all or nothing.

Identifiers are checked with python-stdnum (through ``invoicing.domain.identifiers``): SIREN
(a SIRET is accepted and reduced to its SIREN), EU VAT numbers, and for a French company that
its VAT number carries its SIREN.
"""

from __future__ import annotations

import re
from typing import TypeVar

from invoicing.domain import identifiers
from invoicing.domain.parties import Address, Client, Locale
from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.columns import CLIENT_FIELDS, ColumnMap, match_columns
from invoicing.ingest.table import ProblemList, Row, Table
from invoicing.ingest.values import Cell, parse_country, parse_locale, parse_terms, parse_text

T = TypeVar("T")

REFERENCE = re.compile(r"^[A-Za-z0-9+\-_/]{1,35}$")
NAME_LIMIT = 200
ADDRESS_LIMIT = 200
POSTCODE_LIMIT = 16
CITY_LIMIT = 100
_ID_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")


def parse_clients(table: Table, *, default_locale: Locale = Locale.FR) -> tuple[Client, ...]:
    """Every row to a ``Client``, in file order; raise ``InputRejected`` with all problems found.

    References are unique in the file, compared without regard to case (sales rows match them
    that way).
    """
    columns = match_columns(table.headers, CLIENT_FIELDS)
    problems = ProblemList()
    clients: list[Client] = []
    first_rows: dict[str, int] = {}
    for row in table.rows:
        if problems.full:
            break
        found: list[Problem] = []
        ref_cell = Cell(columns.get(row.cells, "reference"), row.number, columns.header("reference"))
        ref = ref_cell.raw.strip()
        if not ref:
            found.append(ref_cell.problem("required"))
        elif not REFERENCE.match(ref):
            found.append(ref_cell.problem("bad_reference"))
        elif ref.casefold() in first_rows:
            found.append(ref_cell.problem("duplicate_client", first_row=first_rows[ref.casefold()]))
        else:
            first_rows[ref.casefold()] = row.number
        client = _client(ref, row, columns, default_locale, found)
        for problem in found:
            problems.add(problem)
        if client is not None and not found:
            clients.append(client)
    if problems:
        raise InputRejected(problems)
    return tuple(clients)


def _client(
    ref: str, row: Row, columns: ColumnMap, default_locale: Locale, found: list[Problem]
) -> Client | None:
    """The client of one row; its problems go to ``found`` (and then None is returned)."""

    def cell(name: str) -> Cell:
        return Cell(columns.get(row.cells, name), row.number, columns.header(name))

    def value(result: T | Problem) -> T | None:
        if isinstance(result, Problem):
            found.append(result)
            return None
        return result

    name = value(parse_text(cell("nom"), limit=NAME_LIMIT, required=True))
    street = value(parse_text(cell("adresse"), limit=ADDRESS_LIMIT, required=True))
    complement = value(parse_text(cell("complement"), limit=ADDRESS_LIMIT))
    country = value(parse_country(cell("pays")))
    postcode = value(parse_text(cell("code_postal"), limit=POSTCODE_LIMIT, required=True))
    if postcode and country == "FR" and len(postcode) == 4 and postcode.isdigit():
        postcode = "0" + postcode  # a number cell loses the leading zero of 01000 to 09999
    city = value(parse_text(cell("ville"), limit=CITY_LIMIT, required=True))

    siren_cell = cell("siren")
    siren = None
    if not siren_cell.blank:
        digits = _ID_SEPARATORS.sub("", siren_cell.raw)
        try:
            siren = identifiers.siret(digits)[:9] if len(digits) == 14 else identifiers.siren(digits)
        except ValueError:
            found.append(siren_cell.problem("bad_siren"))

    vat_cell = cell("tva")
    vat_id = None
    if not vat_cell.blank:
        try:
            vat_id = identifiers.vat_id(vat_cell.raw)
        except ValueError:
            found.append(vat_cell.problem("bad_vat_id"))
    if vat_id and siren and not identifiers.vat_id_matches_siren(vat_id, siren):
        found.append(vat_cell.problem("vat_id_siren_mismatch"))

    email_cell = cell("email")
    email = None
    if not email_cell.blank:
        try:
            email = identifiers.email(email_cell.raw)
        except ValueError as exc:
            code = identifiers.email_problem(str(exc))
            found.append(email_cell.problem(code))
    elif not siren_cell.blank or not vat_cell.blank:
        pass  # a business: its SIREN is its electronic invoicing address
    else:
        # A private person has no SIREN: the e-mail address is where invoices go, and the
        # electronic address the e-invoicing rules require of every buyer (BR-FR-12).
        found.append(
            Problem(
                "email_required", row=row.number, column=email_cell.column or "email", value=email_cell.raw
            )
        )

    locale = value(parse_locale(cell("langue"), default_locale))
    terms = value(parse_terms(cell("conditions_paiement")))

    if found or name is None or street is None or postcode is None or city is None:
        return None
    if country is None or locale is None:
        return None
    return Client(
        ref=ref,
        name=name,
        address=Address(
            lines=(street, complement) if complement else (street,),
            postcode=postcode,
            city=city,
            country=country,
        ),
        email=email,
        siren=siren,
        vat_id=vat_id,
        locale=locale,
        payment_terms=terms,
    )
