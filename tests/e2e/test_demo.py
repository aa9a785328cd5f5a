"""`make demo` end to end: the command a newcomer runs, in its own process, and what it
leaves under out/demo/ (the output contract in DESIGN.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pdfplumber

from invoicing_tools.local_aws.stack import PROJECT


def test_demo_makes_the_sample_invoices_and_shows_where(tmp_path: Path):
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "invoicing_tools.cli", "demo", "--out", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    businesses = {b["config_env"]: b for b in summary["businesses"]}
    assert set(businesses) == {"conseil-horizon", "epicerie-lea"}

    documents = [d for b in summary["businesses"] for d in b["documents"]]
    pdfs = sorted((out / "invoices").glob("*.pdf"))
    assert len(pdfs) == len(documents) >= 10
    for business in summary["businesses"]:
        for doc in business["documents"]:
            pdf = out / "invoices" / f"{business['stack']}--{doc['number']}.pdf"
            with pdfplumber.open(io.BytesIO(pdf.read_bytes())) as opened:
                text = opened.pages[0].extract_text()
            assert doc["number"] in text
            assert business["business"] in text
            # What the console shows is what the document says.
            assert doc["number"] in done.stdout

    horizon = businesses["conseil-horizon"]
    results = {f["file"]: f["result"] for f in horizon["files"]}
    assert results["ventes-erreurs.csv"].startswith("REFUSÉ")
    assert results["copie-ventes-2026-11.csv"].endswith(": 0 facture créée")
    report = out / "reports" / "conseil-horizon--ventes-erreurs.csv.errors.csv"
    assert report.read_text(encoding="utf-8-sig").count("\n") >= 6  # header + the five mistakes
    assert "ventes-erreurs.csv" in (out / "alerts" / "conseil-horizon.txt").read_text(encoding="utf-8")
    assert (out / "logs" / "conseil-horizon" / "GenerateFunction.log").stat().st_size > 0
    assert f"{len(documents)} documents in" in done.stdout
    # Both ways to correct an invoice: the operator's command and an avoir row in a file.
    credit_notes = [d for d in horizon["documents"] if d["type"] == "avoir"]
    assert len(credit_notes) == 2
    assert any(d["status"] == "credited" for d in horizon["documents"] if d["type"] == "facture")
    # Each function's log holds its own lines, under its own service name.
    for function, service in (("GenerateFunction", "generate"), ("SendFunction", "send")):
        lines = [
            json.loads(line)
            for line in (out / "logs" / "conseil-horizon" / f"{function}.log").read_text().splitlines()
            if line.startswith("{")
        ]
        assert lines
        assert {line["service"] for line in lines} == {service}
    # The receivable's state is in the summary: the partly credited invoice still has money due.
    partly = [
        d
        for d in horizon["documents"]
        if d["type"] == "facture" and Decimal(d["credited"]) and d["status"] != "credited"
    ]
    assert partly
    assert all(
        Decimal(d["amount_due"]) == Decimal(d["total_incl_vat"]) - Decimal(d["credited"]) for d in partly
    )
