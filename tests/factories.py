"""The test data every suite shares: one seller, the known clients, lines, drafts and sales rows.

Each factory returns the canonical value; keyword arguments replace fields (``dataclasses.replace``)
where a test needs a variant, so that the identities (names, SIRET/SIREN, VAT ids, IBAN: all pass
their checksums) are written once. The integration tests deploy the same seller as stack
parameters (``stack_parameters``) and import clients and sales through files written from the
same values (``clients_csv``, ``sales_csv``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from invoicing.domain.invoice import DocumentType, Draft, Line
from invoicing.domain.parties import Address, Client, Locale, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.vat import VatTreatment

# --- the seller ----------------------------------------------------------------------------------

_SELLER = Seller(
    legal_name="Horizon Conseil & Formation",
    legal_form="SARL",
    siret="83147925800020",
    address=Address(("14 rue de la République",), "69002", "Lyon"),
    share_capital=Decimal("10000"),
    rcs_city="Lyon",
    vat_id="FR45831479258",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="facturation@horizon-conseil.fr",
    late_penalty=LatePenalty("fixed", Decimal("12.5")),
)


def seller(**changes: Any) -> Seller:
    """Horizon Conseil & Formation, a SARL in Lyon (normal VAT regime, IBAN, late penalty)."""
    return replace(_SELLER, **changes)


def bare_seller(**changes: Any) -> Seller:
    """The same business with only what a seller must have: name, form, SIRET, address, VAT id."""
    return seller(
        share_capital=None,
        rcs_city=None,
        iban=None,
        bic=None,
        email=None,
        late_penalty=LatePenalty(),
        **changes,
    )


def stack_parameters(of: Seller | None = None, **overrides: str) -> dict[str, str]:
    """The template parameters that deploy ``of`` (the default seller) as a client business."""
    s = of or seller()
    parameters = {
        "BusinessLegalName": s.legal_name,
        "BusinessLegalForm": s.legal_form,
        "BusinessShareCapital": "" if s.share_capital is None else str(s.share_capital),
        "BusinessSiret": s.siret,
        "BusinessRcsCity": s.rcs_city or "",
        "BusinessVatId": s.vat_id or "",
        "BusinessStreet": "|".join(s.address.lines),
        "BusinessPostcode": s.address.postcode,
        "BusinessCity": s.address.city,
        "BusinessEmail": s.email or "",
        "BusinessIban": s.iban or "",
        "BusinessBic": s.bic or "",
        # Textract cannot run here: supplier documents are read offline (the demo's engine).
        "ExtractionEngine": "local",
    }
    return {**parameters, **overrides}


# --- clients -------------------------------------------------------------------------------------


def company(**changes: Any) -> Client:
    """A French company (SIREN and VAT id), 30 days."""
    return replace(
        Client(
            ref="C001",
            name="Société Dauphinoise de Transports",
            address=Address(("8 avenue Alsace-Lorraine",), "38000", "Grenoble"),
            siren="428716302",
            vat_id="FR19428716302",
            payment_terms=PaymentTerms(30),
        ),
        **changes,
    )


def person(**changes: Any) -> Client:
    """A private person in France (no identifier, no email, default terms)."""
    return replace(
        Client(
            ref="c002",
            name="Mme Hélène Garnier",
            address=Address(("3 chemin des Frênes",), "74000", "Annecy"),
        ),
        **changes,
    )


def belgian(**changes: Any) -> Client:
    """A Belgian company with a VAT id, invoiced in English."""
    return replace(
        Client(
            ref="BE-OURTHE",
            name="Brasserie Wallonne de l'Ourthe SA",
            address=Address(("Rue de l'Académie 52",), "4000", "Liège", "BE"),
            vat_id="BE0456712325",
            locale=Locale.EN,
        ),
        **changes,
    )


def bakery(**changes: Any) -> Client:
    """A French company of the integration tests (the first row of ``CLIENTS``)."""
    return replace(
        Client(
            ref="C001",
            name="Boulangerie Lefèvre SAS",
            address=Address(("4 rue de la République",), "69001", "Lyon"),
            email="compta@lefevre.example",
            siren="552100554",
            vat_id="FR96552100554",
            payment_terms=PaymentTerms(30),
        ),
        **changes,
    )


#: The clients file of the integration tests: a French company, a Belgian one, a person.
CLIENTS: tuple[Client, ...] = (
    bakery(),
    belgian(
        ref="C002",
        name="Brasserie de l'Ourthe SA",
        email="accounts@ourthe.example",
        payment_terms=PaymentTerms(45, end_of_month=True),
    ),
    person(ref="C003", email="helene@courriel.example"),
)

CLIENT_COLUMNS = (
    "reference",
    "nom",
    "adresse",
    "code_postal",
    "ville",
    "pays",
    "siren",
    "tva",
    "email",
    "langue",
    "conditions_paiement",
)


def _terms_text(terms: PaymentTerms | None) -> str:
    if terms is None:
        return ""
    return f"{terms.days} jours" + (" fin de mois" if terms.end_of_month else "")


def clients_csv(clients: Sequence[Client] = CLIENTS) -> str:
    """A semicolon clients file, as an operator drops it in ``incoming/clients/``."""
    rows = [";".join(CLIENT_COLUMNS)]
    for c in clients:
        if len(c.address.lines) != 1:
            raise ValueError("clients_csv writes one address line")
        fields = (
            c.ref,
            c.name,
            c.address.lines[0],
            c.address.postcode,
            c.address.city,
            c.address.country,
            c.siren or "",
            c.vat_id or "",
            c.email or "",
            c.locale.value,
            _terms_text(c.payment_terms),
        )
        rows.append(";".join(fields))
    return "\n".join(rows) + "\n"


# --- sales rows ----------------------------------------------------------------------------------

#: Every column of a sales file, in the order the samples use.
SALES_COLUMNS = (
    "client",
    "date",
    "description",
    "quantite",
    "unite",
    "prix_unitaire_ht",
    "tva",
    "reference_commande",
    "remise",
    "exoneration",
    "type",
    "facture_origine",
    "motif",
)
#: The columns of an ordinary sales export (no credit notes).
SALES_BASIC_COLUMNS = SALES_COLUMNS[:10]
#: What a row given as a mapping holds unless it says otherwise.
DEFAULT_SALE: dict[str, str] = {
    "client": "C001",
    "date": "03/11/2026",
    "description": "Conseil en organisation",
    "quantite": "1",
    "unite": "h",
    "prix_unitaire_ht": "100,00",
    "tva": "20 %",
}


def sales_csv(*rows: Mapping[str, str] | str, columns: Sequence[str] = SALES_COLUMNS) -> str:
    """A semicolon sales file: a header of ``columns``, then one line per row. A row is either a
    mapping (``DEFAULT_SALE`` updated with it) or a line already written in ``columns`` order."""
    lines = [";".join(columns)]
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
        else:
            values = {**DEFAULT_SALE, **row}
            lines.append(";".join(values.get(column, "") for column in columns))
    return "\n".join(lines) + "\n"


# --- lines and drafts ----------------------------------------------------------------------------


def line(
    description: str = "Prestation",
    quantity: str = "1",
    price: str = "100",
    rate: str = "20",
    *,
    unit: str = "u",
    **kwargs: Any,
) -> Line:
    """A standard-rated line: ``quantity`` × ``price`` at ``rate`` % (amounts as text: exact)."""
    return Line(
        description, Decimal(quantity), unit, Decimal(price), VatTreatment.standard(Decimal(rate)), **kwargs
    )


def draft(client: Client, *lines: Line, **kwargs: Any) -> Draft:
    """An invoice (unless ``document_type`` says otherwise) for November 2026."""
    return Draft(
        kwargs.pop("document_type", DocumentType.INVOICE),
        client,
        tuple(lines),
        kwargs.pop("period_start", date(2026, 11, 1)),
        kwargs.pop("period_end", date(2026, 11, 30)),
        **kwargs,
    )


class FacturXRuleWarning(UserWarning):
    """A warning-level failed assert from the official Factur-X rules, surfaced in the test report
    (defined here, in an importable module, so that pytest-xdist workers can send it back)."""
