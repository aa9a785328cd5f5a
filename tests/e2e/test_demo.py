"""`make demo` end to end: the command a newcomer runs, in its own process, and what it
leaves under out/demo/ (the output contract in DESIGN.md)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import date, timedelta
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
    # The days passed: reminders in order, a reply that paused one invoice, escalations with their
    # formal notices; every email kept as .eml, every notice as a PDF.
    timeline = summary["dunning"]["timeline"]
    events = [e["event"] for e in timeline]
    assert "réponse du client" in events
    assert "escalade + mise en demeure" in events
    replied = next(e for e in timeline if e["event"] == "réponse du client")
    after_reply = [e for e in timeline if e.get("number") == replied["number"] and e["day"] > replied["day"]]
    assert all(
        e["day"] >= (date.fromisoformat(replied["day"]) + timedelta(days=14)).isoformat() for e in after_reply
    )
    emails = sorted((out / "emails").glob("conseil-horizon--[0-9]*.eml"))
    kinds = {
        re.match(r"conseil-horizon--\d{3}-([a-z-]+?)(?:-\d+)?-(?:FA|AV)", p.name).group(1) for p in emails
    }
    assert kinds == {"invoice", "credit-note", "reminder", "escalation", "reply-forward"}
    notices = sorted((out / "notices").glob("*.pdf"))
    assert notices
    assert all(p.read_bytes().startswith(b"%PDF-") for p in notices)
    assert "Les jours passent" in done.stdout

    # Money came in: a bank statement settled two invoices and left a credit for review, a card
    # payment through the payment link stopped an invoice's reminders, a partial refund reopened
    # it, a customer paid by card during the reminders (none after), and an online sale was
    # invoiced paid.
    horizon_docs = {d["number"]: d for d in horizon["documents"]}
    statement = next(f["result"] for f in horizon["files"] if f["file"] == "releve-demo.csv")
    assert "1 crédit à vérifier" in statement
    settled = re.findall(r"FA\d{4}-\d{5}", statement)
    assert len(settled) == 2
    assert all(horizon_docs[n]["status"] == "paid" for n in settled)
    payments = summary["payments"]
    card = next(p for p in payments if p["event"].startswith("payée par carte"))
    refunded = next(p for p in payments if p["event"].startswith("remboursement partiel"))
    assert card["number"] == refunded["number"]
    assert horizon_docs[card["number"]]["status"] in ("partially_paid", "disputed")
    paid_during = next(e for e in timeline if e["event"] == "payée par carte (Stripe)")
    assert horizon_docs[paid_during["number"]]["status"] == "paid"
    assert not [
        e for e in timeline if e.get("number") == paid_during["number"] and e["day"] > paid_during["day"]
    ]
    shop = businesses["epicerie-lea"]
    sale = next(f["result"] for f in shop["files"] if f["file"] == "vente en ligne (Stripe)")
    (number,) = re.findall(r"EL\d{2}-\d{4}", sale)
    sold = next(d for d in shop["documents"] if d["number"] == number)
    assert sold["status"] == "paid"
    with pdfplumber.open(out / sold["pdf"]) as opened:
        assert "acquittée" in opened.pages[0].extract_text().lower()

    # Supplier invoices: one mailed (its Factur-X XML read exactly), one uploaded (its text layer),
    # both booked in the month's FEC beside the sales and the payments.
    purchases = summary["suppliers"]
    engines = {item["file"]: (item["engine"], item["state"]) for item in purchases["read"]}
    assert engines == {
        "Facture PM-2026-0412.pdf": ("facturx", "ready"),
        "lenoir-avocats-2026-118.pdf": ("text", "approved"),
    }
    assert len(purchases["summaries"]) == 2
    (fec,) = (out / "exports").glob("*FEC*.txt")
    assert re.fullmatch(r"831479258FEC\d{8}\.txt", fec.name)
    rows = [line.split("|") for line in fec.read_text(encoding="iso-8859-15").splitlines()[1:]]
    assert {row[0] for row in rows} == {"VE", "HA", "BQ"}
    assert {"PM-2026-0412", "2026-118"} <= {row[8] for row in rows if row[0] == "HA"}
    assert (out / "exports" / "XIMPORT.TXT").stat().st_size > 0
    assert "Factures fournisseurs" in done.stdout

    # The living timesheet: week 47's export, then week 48's (with week 47's rows and one row still
    # "En attente"), then week 49 pulled from the stub Google Sheets API: only new, validated rows.
    sheet = summary["living_sheet"]
    assert [(len(e["issued"]), len(e["already"]), len(e["not_ready"])) for e in sheet] == [
        (2, 0, 0),
        (2, 3, 1),
        (2, 5, 0),
    ]
    assert sheet[-1]["source"].startswith("Google Sheets")
    assert "La feuille d'heures qui grandit" in done.stdout
    week48 = (out / "reports" / "conseil-horizon--heures-semaine-48.csv.invoices.csv").read_text(
        encoding="utf-8-sig"
    )
    assert week48.count("déjà facturée (FA2026-") == 3
    assert "non prête (statut « En attente »)" in week48
