"""`invoicing suppliers ...` and `invoicing export` against the local AWS: the review queue, an
approval with corrections, a rejection, and the month's files copied out."""

from __future__ import annotations

import json
from datetime import timedelta

from invoicing.services.clock import today
from invoicing.services.supplier_intake import SupplierIntake
from invoicing.settings import OcrSettings
from invoicing_tools.suppliers import main
from tests.integration.test_supplier_intake import supplier_pdf


def test_the_owner_works_through_the_queue_from_the_command_line(runtime, stack, bucket, capsys, tmp_path):
    old = today("Europe/Paris") - timedelta(days=400)
    bucket.put("inbox/upload/a.pdf", supplier_pdf("PM-OLD-1", old))
    bucket.put("inbox/upload/b.pdf", supplier_pdf("PM-OLD-2", old))
    runtime.run_until_idle()
    capsys.readouterr()  # what the functions logged
    settings = OcrSettings.from_env(stack.functions["OcrFunction"].environment)

    def intake_for(name: str) -> SupplierIntake:
        assert name == stack.name
        return SupplierIntake.from_settings(settings)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--stack", stack.name], intake_for=intake_for)
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("suppliers", "list", "--json")
    assert code == 0
    waiting = json.loads(out)
    assert sorted(w["number"] for w in waiting) == ["PM-OLD-1", "PM-OLD-2"]
    first, second = sorted(waiting, key=lambda w: w["number"])
    assert all(w["reasons"] for w in waiting)

    # A correction that breaks the totals is refused, and says why; nothing changes.
    code, _, err = run("suppliers", "approve", first["ref"], "--set", "total_incl_tax=999.99")
    assert code == 1
    assert "does not add up" in err or "but the total incl. VAT read is" in err
    code, out, _ = run(
        "suppliers", "approve", first["ref"], "--set", "due_date=31/12/2026", "--account", "6068"
    )
    assert (code, out.strip()) == (0, f"{first['ref']}: approved, booked on 6068")
    code, out, _ = run("suppliers", "show", first["ref"], "--json")
    shown = json.loads(out)
    assert (shown["state"], shown["record"]["due_date"], shown["account"]) == (
        "approved",
        "2026-12-31",
        "6068",
    )
    assert "due_date" in shown["history"][-1][1]

    code, _, err = run("suppliers", "reject", second["ref"], "--reason", "")
    assert code == 1
    assert "--reason" in err
    code, out, _ = run("suppliers", "reject", second["ref"], "--reason", "Déjà payée en 2025")
    assert code == 0
    code, out, _ = run("suppliers", "list", "--json")
    assert json.loads(out) == []
    code, _, err = run("suppliers", "show", "zz")
    assert code == 1

    month = f"{old:%Y-%m}"
    code, out, _ = run("export", "--month", month, "--out", str(tmp_path), "--json")
    assert code == 0
    done = json.loads(out)
    assert (done["purchases"], done["sales"]) == (1, 0)
    files = sorted(p.name for p in (tmp_path / month).iterdir())
    assert "XIMPORT.TXT" in files
    assert any(name.endswith(".txt") and "FEC" in name for name in files)
    code, _, err = run("export", "--month", "2026-13")
    assert code == 2
    assert "YYYY-MM" in err
