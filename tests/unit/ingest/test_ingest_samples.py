"""The demo data in samples/ parses without a problem (and the rejected file with exactly its mistakes)."""

from __future__ import annotations

import hashlib
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from ingest_helpers import rejected

from invoicing.business import Business
from invoicing.domain.invoice import Discount, Draft
from invoicing.domain.parties import Client, Locale
from invoicing.domain.vat import VatCategory
from invoicing.ingest.clients import parse_clients
from invoicing.ingest.report import problems_csv
from invoicing.ingest.sales import parse_sales
from invoicing.ingest.table import read_table
from invoicing_tools.local_aws.samconfig import environments
from invoicing_tools.local_aws.stack import LocalStack

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_rows": 20_000}


def business(folder: str) -> Business:
    """The seller of a sample folder: the samconfig.toml environment of the same name."""
    env = environments()[folder]
    return Business.from_env(LocalStack(env.stack_name, env.parameters).parameter_environment())


def load_clients(folder: str) -> tuple[Client, ...]:
    (path,) = (SAMPLES / folder).glob("clients.*")
    return parse_clients(read_table(path.read_bytes(), path.name, **LIMITS))


def load_sales(folder: str, path: Path | None = None) -> tuple[Draft, ...]:
    path = path or next((SAMPLES / folder).glob("ventes-*"))
    data = path.read_bytes()
    clients = {c.ref: c for c in load_clients(folder)}
    return parse_sales(
        read_table(data, path.name, **LIMITS),
        clients=clients,
        seller=business(folder).seller,
        file_key=f"incoming/{path.name}",
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


def test_horizon_clients() -> None:
    clients = {c.ref: c for c in load_clients("conseil-horizon")}
    assert len(clients) == 5
    assert clients["C001"].siren == "428716302"  # given as a SIRET
    assert clients["C002"].name == "Boulangerie Pâtisserie Lefèvre"
    assert clients["C004"].address.country == "BE"
    assert clients["C004"].vat_id is not None
    assert clients["C004"].vat_id.startswith("BE")
    assert clients["C004"].locale is Locale.EN
    assert not clients["C005"].is_business
    assert {str(c.payment_terms and c.payment_terms.canonical()) for c in clients.values()} >= {
        "30",
        "0",
        "45 fin de mois",
    }


def test_horizon_timesheet() -> None:
    drafts = load_sales("conseil-horizon")
    lines = [line for draft in drafts for line in draft.lines]
    assert len(lines) == 25
    assert {line.unit for line in lines} == {"h", "jour", "u"}
    assert all(
        line.service_date and (line.service_date.year, line.service_date.month) == (2026, 11)
        for line in lines
    )
    assert [line.discount for line in lines if line.discount] == [Discount(percent=Decimal("10"))]
    belgian = [draft for draft in drafts if draft.buyer.ref == "C004"]
    assert len(belgian) == 1
    assert {line.vat.category for line in belgian[0].lines} == {VatCategory.REVERSE_CHARGE}
    assert {d.order_ref for d in drafts} >= {"BC-2026-114", "BC-2026-121", "CMD-4471", "PO-88213", None}
    assert all(d.totals().tax_basis_total + d.totals().vat_total == d.totals().grand_total for d in drafts)


def test_epicerie_clients_from_xlsx() -> None:
    clients = {c.ref: c for c in load_clients("epicerie-lea")}
    assert len(clients) == 5
    german = clients["FEINKOST-MULLER"]
    assert german.address.country == "DE"
    assert german.vat_id is not None
    assert german.vat_id.startswith("DE")
    assert clients["HOTEL-COTE-ARGENT"].name == "Hôtel Côte d'Argent"
    assert all(c.siren for ref, c in clients.items() if ref != "FEINKOST-MULLER")


def test_epicerie_sales_from_xlsx() -> None:
    drafts = load_sales("epicerie-lea")
    lines = [line for draft in drafts for line in draft.lines]
    assert len(lines) == 30
    assert {line.vat.rate for line in lines if line.vat.category is VatCategory.STANDARD} == {
        Decimal("5.5"),
        Decimal("10"),
        Decimal("20"),
    }
    assert {line.unit for line in lines} == {"kg", "bouteille", "pièce", "carton"}
    intracom = [line for line in lines if line.vat.category is VatCategory.INTRA_EU]
    assert len(intracom) == 3
    assert {d.buyer.ref for d in drafts if any(line in intracom for line in d.lines)} == {"FEINKOST-MULLER"}
    discounts = [line.discount for line in lines if line.discount]
    assert Discount(amount=Decimal("15")) in discounts
    assert Discount(percent=Decimal("5")) in discounts  # a percent-formatted cell
    assert Decimal("3.5") in {line.quantity for line in lines}


def test_rejected_sample_lists_each_mistake_once() -> None:
    path = SAMPLES / "conseil-horizon" / "ventes-erreurs.csv"
    problems = rejected(lambda: load_sales("conseil-horizon", path))
    assert [(p.row, p.code, p.column, p.value) for p in problems] == [
        (3, "unknown_client", "Client", "C099"),
        (4, "bad_number", "Quantité", "abc"),
        (5, "unknown_vat_rate", "TVA (%)", "19,6 %"),
        (6, "bad_date", "Date", "31/02/2026"),
        (7, "not_positive", "Quantité", "-2"),
    ]
    report = problems_csv(problems).decode("utf-8-sig")
    assert "3;Client;C099;Client inconnu" in report


def _generator():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("relative", "rows"),
    [
        ("conseil-horizon/clients.csv", "horizon_clients"),
        ("conseil-horizon/ventes-2026-11.csv", "horizon_sales"),
        ("conseil-horizon/ventes-erreurs.csv", "rejected_sales"),
    ],
)
def test_csv_samples_are_what_the_generator_writes(relative: str, rows: str, tmp_path: Path) -> None:
    generator = _generator()
    target = tmp_path / "out.csv"
    generator.write_csv(target, getattr(generator, rows)())
    assert (SAMPLES / relative).read_bytes() == target.read_bytes()
