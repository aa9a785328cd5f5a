"""`invoicing check` and the generate function give the same verdict and the same problems:
they call the one validation (services.validation). Every bad-input case of the integration
suite, and good files, go through both; the problems are compared as the error report
(row, column, value, reasons) that generate writes."""

from __future__ import annotations

from pathlib import Path

from invoicing.domain.problems import InputRejected
from invoicing.ingest.report import problems_csv
from invoicing.services.clock import today
from invoicing_tools.cli import check_files, main
from tests.conftest import CLIENTS_CSV, sales_csv
from tests.integration.test_bad_input import CASES, GOOD_ROW

EXTRA = {
    "several problems at once": (
        "plusieurs.csv",
        sales_csv(
            ["C001;03/11/2026;Audit;abc;h;95;20;;;", GOOD_ROW, "C404;31/13/2026;Formation;1;jour;750;7;;;"]
        ),
    ),
    "a credit note for an invoice that does not exist": (
        "avoir.csv",
        "client;date;description;quantite;unite;prix_unitaire_ht;tva;type;facture_origine;motif\n"
        "C003;05/11/2026;Atelier;1;forfait;180;20;avoir;FA1999-00001;Erreur\n",
    ),
    "good file": ("bon.csv", sales_csv([GOOD_ROW, "C002;05/11/2026;Consulting;6;h;110;0;;;autoliquidation"])),
    "good file, one invoice per order": (
        "commandes.csv",
        sales_csv(["C001;03/11/2026;Audit;1;jour;850;20;BC-1;;", "C001;04/11/2026;Suivi;2;h;95;20;BC-2;;"]),
    ),
}
ALL = {**{k: (v[0], v[1]) for k, v in CASES.items()}, **EXTRA}


def check_verdict(tmp_path: Path, name: str, data: bytes, business) -> tuple[str, bytes | int]:
    sales = tmp_path / name
    sales.write_bytes(data)
    clients = tmp_path / "clients.csv"
    clients.write_text(CLIENTS_CSV, encoding="utf-8")
    try:
        drafts = check_files(sales, clients, business, today(business.time_zone))
    except InputRejected as rejected:
        return "rejected", problems_csv(rejected.problems)
    return "accepted", len(drafts)


def test_check_and_generate_agree_on_every_case(tmp_path, runtime, bucket, business, with_clients) -> None:
    """All cases in one stack (each file has its own name): one verdict per case, compared."""
    by_check, by_generate = {}, {}
    for case, (name, content) in ALL.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        by_check[case] = check_verdict(tmp_path, name, data, business)
        bucket.put(f"incoming/{name}", data)
    big = b"client;date\n" + b"x" * business.max_input_bytes
    by_check["over the size limit"] = check_verdict(tmp_path, "enorme.csv", big, business)
    bucket.put("incoming/enorme.csv", big)
    runtime.run_until_idle()
    for case, (name, _) in [*ALL.items(), ("over the size limit", ("enorme.csv", None))]:
        if bucket.keys(f"rejected/{name}"):
            by_generate[case] = ("rejected", bucket.get(f"reports/{name}.errors.csv"))
        else:
            summary = bucket.get(f"reports/{name}.invoices.csv").decode("utf-8-sig").splitlines()
            by_generate[case] = ("accepted", len(summary) - 1)
    assert by_check == by_generate
    assert [case for case, (verdict, _) in by_check.items() if verdict == "accepted"] == [
        "good file",
        "good file, one invoice per order",
    ]


def test_the_command_prints_the_problems_and_exits_non_zero(tmp_path, capsys) -> None:
    root = Path(__file__).resolve().parents[2] / "samples" / "conseil-horizon"
    code = main(
        [
            "check",
            str(root / "ventes-erreurs.csv"),
            "--clients",
            str(root / "clients.csv"),
            "--config-env",
            "conseil-horizon",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "row 3, column Client, value 'C099': Client inconnu" in out
    assert "5 problem(s): the file would be refused whole." in out
    assert main(["check", str(root / "ventes-2026-11.csv"), "--clients", str(root / "clients.csv")]) == 0
    assert "document(s) would be issued." in capsys.readouterr().out
