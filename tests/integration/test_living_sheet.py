"""The living spreadsheet against the local AWS: a Google Sheet (the stub Sheets API on loopback,
no network) pulled week after week, each row invoiced once, two pulls at once, a pull crashing
half way, a sheet Google will not serve."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from invoicing.adapters.aws import client
from invoicing.adapters.invoices import InvoiceRepository
from invoicing.business import GenerateSettings
from invoicing.events import S3Object
from invoicing.services.file_import import FileImport
from invoicing_tools.local_aws.sheets_stub import SheetsStub

SHEET = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
RANGE = "Heures!A1:J"
HEADER = ["id", "statut", "client", "date", "description", "quantite", "unite", "prix_unitaire_ht", "tva"]


@pytest.fixture(scope="module")
def stub():
    with SheetsStub(key_size=1024) as running:
        yield running


@pytest.fixture
def sheet(stub, stack, runtime):
    """The stack wired to the stub's sheet: its key in the local Secrets Manager, the generate
    function's environment naming the sheet and the stub's API."""
    stub.reset()
    name = f"{stack.name}/google-service-account"
    secrets = client("secretsmanager")
    value = json.dumps(stub.service_account_info())
    try:
        secrets.create_secret(Name=name, SecretString=value)
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=name, SecretString=value)
    runtime.overrides["GenerateFunction"] = {
        "SHEET_SPREADSHEET_ID": SHEET,
        "SHEET_RANGE": RANGE,
        "SHEET_SECRET_ID": name,
        "SHEETS_API_BASE": stub.url,
    }
    return stub


def week(n: int) -> list[list[str]]:
    """The rows logged in week ``n`` of November 2026: one per consultant and client."""
    day = f"{2 + 7 * (n - 1):02d}/11/2026"
    return [
        [f"W{n}-1", "validé", "C001", day, f"Accompagnement semaine {n}", "7", "h", "95", "20"],
        [f"W{n}-2", "à facturer", "C003", day, f"Atelier semaine {n}", "1", "u", "180", "20"],
        [f"W{n}-3", "en attente", "C001", day, f"Préparation semaine {n}", "2", "h", "95", "20"],
    ]


def pull(runtime) -> dict:
    done = runtime.invoke("GenerateFunction", {"task": "sheet-pull"})
    runtime.run_until_idle()
    return done


def billed_rows(resources) -> Counter:
    """Each sales row's description, counted over every invoice line: a row billed twice shows 2."""
    return Counter(
        line.description for stored in InvoiceRepository(resources).all() for line in stored.invoice.lines
    )


def test_a_sheet_growing_over_four_weeks_bills_each_ready_row_once(
    sheet, runtime, bucket, resources, with_clients
):
    rows: list[list[str]] = []
    issued_per_pull = []
    for n in range(1, 5):
        rows += week(n)
        sheet.set_values(SHEET, RANGE, [HEADER, *rows])
        before = {s.invoice.number for s in InvoiceRepository(resources).all()}
        done = pull(runtime)
        assert done["pulled"].startswith("incoming/sheets/")
        after = {s.invoice.number: s for s in InvoiceRepository(resources).all()}
        new = [after[number] for number in sorted(set(after) - before)]
        issued_per_pull.append(sorted(s.invoice.buyer.ref for s in new))
    # Each pull: one invoice per client with new ready rows; rows "en attente" never billed.
    assert issued_per_pull == [["C001", "C003"]] * 4
    counts = billed_rows(resources)
    assert all(count == 1 for count in counts.values())
    assert len(counts) == 8
    assert not [d for d in counts if d.startswith("Préparation")]
    # The last snapshot's report names the rows skipped: invoiced before, and not ready.
    (report,) = [k for k in bucket.keys("reports/sheets/") if k.endswith(".invoices.csv")][-1:]
    text = bucket.get(report).decode("utf-8-sig")
    assert text.count("déjà facturée (FA2026-") == 6
    assert text.count("non prête (statut « en attente »)") == 4
    # Nothing new: the next pull issues nothing.
    before = len(list(InvoiceRepository(resources).all()))
    pull(runtime)
    assert len(list(InvoiceRepository(resources).all())) == before


def test_two_pulls_at_once_bill_each_row_once(sheet, runtime, stack, bucket, resources, with_clients):
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1), *week(2)])
    first = runtime.invoke("GenerateFunction", {"task": "sheet-pull"})["pulled"]
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1), *week(2), *week(3)])
    second = runtime.invoke("GenerateFunction", {"task": "sheet-pull"})["pulled"]
    # Two generate containers take the two snapshots at the same moment.
    env = {**stack.functions["GenerateFunction"].environment, **runtime.overrides["GenerateFunction"]}
    importers = [FileImport.from_settings(GenerateSettings.from_env(env)) for _ in range(2)]
    errors: list[BaseException] = []

    def run(importer: FileImport, key: str) -> None:
        try:
            importer.process(S3Object(bucket.name, key))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair) for pair in zip(importers, (first, second), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = billed_rows(resources)
    assert len(counts) == 6
    assert all(count == 1 for count in counts.values()), counts


def test_a_pull_that_died_after_numbering_is_completed_and_nothing_is_billed_twice(
    sheet, runtime, bucket, resources, with_clients
):
    importer = runtime._module(runtime.stack.functions["GenerateFunction"]).importer
    real_render = importer.issuer.render
    calls: list[str] = []

    def dies_once(invoice):
        calls.append(invoice.number)
        if len(calls) == 1:
            raise ConnectionError("the Lambda was stopped while rendering")
        return real_render(invoice)

    importer.issuer.render = dies_once
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1)])
    pull(runtime)  # dies once, then SQS delivers it again and the retry completes it
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1), *week(2)])
    pull(runtime)
    counts = billed_rows(resources)
    assert len(counts) == 4
    assert all(count == 1 for count in counts.values())
    stored = list(InvoiceRepository(resources).all())
    assert all(s.pdf_key for s in stored)  # the invoice whose rendering died has its PDF


@pytest.mark.parametrize(
    ("failure", "reason", "words"),
    [
        ("forbidden", "forbidden", "partagez la feuille"),
        ("not_found", "not_found", "identifiant"),
        ("bad_range", "bad_range", "onglet"),
        ("revoked", "revoked", "révoquée"),
    ],
)
def test_a_sheet_google_will_not_serve_is_an_alert_naming_the_cause_and_nothing_is_issued(
    sheet, runtime, bucket, resources, with_clients, operator_inbox, failure, reason, words
):
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1)])
    if failure == "forbidden":
        sheet.unshare(SHEET)
    elif failure == "not_found":
        sheet.fail_next("not_found")  # the spreadsheet was deleted, or its id mistyped
    elif failure == "revoked":
        sheet.revoke_key()
    else:
        sheet.fail_next("bad_range")
    done = pull(runtime)
    assert (done["pulled"], done["reason"]) == (None, reason)
    assert list(InvoiceRepository(resources).all()) == []
    assert bucket.keys("incoming/sheets/") == []
    (alert,) = [m for m in operator_inbox.messages() if "Google Sheet" in m.get("Subject", "")]
    assert words in alert["Message"]


def test_an_empty_sheet_writes_nothing(sheet, runtime, bucket, with_clients):
    sheet.set_values(SHEET, RANGE, [HEADER])
    assert pull(runtime)["reason"] == "no_rows"
    assert bucket.keys("incoming/sheets/") == []


def test_a_row_invoiced_then_changed_refuses_the_snapshot_with_its_report(
    sheet, runtime, bucket, resources, with_clients
):
    rows = week(1)
    sheet.set_values(SHEET, RANGE, [HEADER, *rows])
    pull(runtime)
    changed = [list(r) for r in rows]
    changed[0][5] = "8"  # 7 hours invoiced, now 8
    sheet.set_values(SHEET, RANGE, [HEADER, *changed, *week(2)])
    pull(runtime)
    (errors,) = [k for k in bucket.keys("reports/sheets/") if k.endswith(".errors.csv")]
    text = bucket.get(errors).decode("utf-8-sig")
    assert "FA2026-00001" in text
    assert "avoir" in text
    assert len(billed_rows(resources)) == 2  # week 2 waits for the file to be corrected


def test_invoicing_pull_pulls_now_and_says_why_when_it_cannot(sheet, stack, runtime, capsys, with_clients):
    import argparse

    from invoicing_tools.sheets import register, sheet_pull_for_stack

    env = {**stack.functions["GenerateFunction"].environment, **runtime.overrides["GenerateFunction"]}

    def pull_for(name: str):
        assert name == stack.name
        from unittest import mock

        with mock.patch("invoicing_tools.sheets._generate_environment", return_value=env):
            return sheet_pull_for_stack(name)

    parser = argparse.ArgumentParser(prog="invoicing")
    register(parser.add_subparsers(dest="command", required=True), pull_for=pull_for)
    capsys.readouterr()
    sheet.set_values(SHEET, RANGE, [HEADER, *week(1)])
    args = parser.parse_args(["pull", "--stack", stack.name])
    assert args.run(args) == 0
    assert "3 row(s) pulled into incoming/sheets/" in capsys.readouterr().out
    sheet.unshare(SHEET)
    assert args.run(args) == 1
    assert "(forbidden)" in capsys.readouterr().out


def test_a_file_refused_on_its_second_reading_says_what_its_first_reading_issued(
    runtime, stack, bucket, resources, with_clients, operator_inbox
):
    """Review finding: between two of a file's invoices, another file billed one of its rows with
    other amounts; read again, the file is refused, and the alert said no invoice was created."""
    head = ";".join(HEADER)
    first = f"{head}\n1;validé;C002;03/11/2026;Pain;1;u;10;5,5\n5;validé;C001;04/11/2026;Audit;7;h;95;20\n"
    other = f"{head}\n5;validé;C001;04/11/2026;Audit;8;h;95;20\n6;validé;C001;05/11/2026;Suivi;1;h;95;20\n"
    env = stack.functions["GenerateFunction"].environment
    mine, theirs = (FileImport.from_settings(GenerateSettings.from_env(env)) for _ in range(2))
    bucket.put("incoming/a.csv", first)
    bucket.put("incoming/b.csv", other)
    real_issue = mine.issuer.issue
    calls = []

    def issue_then_let_the_other_run(draft):
        done = real_issue(draft)
        calls.append(done.number)
        if len(calls) == 1:  # between this file's two invoices, the other file is imported
            theirs.process(S3Object(bucket.name, "incoming/b.csv"))
        return done

    mine.issuer.issue = issue_then_let_the_other_run
    outcome = mine.process(S3Object(bucket.name, "incoming/a.csv"))
    assert outcome.kind == "rejected"
    assert calls[0] in outcome.detail or "1 document(s) issued before" in outcome.detail
    (alert,) = [m for m in operator_inbox.messages() if "a.csv" in m.get("Subject", "")]
    assert f"{calls[0]} en a été émis" in alert["Message"]
    assert "Aucune facture n'a été créée" not in alert["Message"]
    counts = billed_rows(resources)
    assert counts == Counter({"Pain": 1, "Audit": 1, "Suivi": 1})
