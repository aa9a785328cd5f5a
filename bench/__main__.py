"""`make bench`: prints one line per figure and writes out/bench/results.json.

Figures (medians; ratios are against a baseline measured in this same run):

- render_per_s_core            one-page PDF/A-3B invoices per second on one core (our renderer)
- render_baseline_per_s_core   the same invoice by a straightforward fpdf2 renderer
- render_speedup               the ratio of the two
- render_first_ms              the first render in a process, fonts not yet prepared
- facturx_per_s_core           the complete product per second on one core: one-page PDF/A-3B,
                               CII XML built (XSD-checked once per code path), embedded
- facturx_speedup              facturx_per_s_core / render_baseline_per_s_core
- facturx_share.<phase>        where a Factur-X invoice's time goes (cProfile, % of the total)
- emails_per_s_core            invoice and reminder emails composed per second on one core (default
                               templates, ~10 KB PNG logo inline, the invoice PDF attached, serialised
                               for SES; bench/emails.py); emails_baseline_per_s_core the same with the
                               templates compiled for each email, emails_speedup the ratio
- import_ms.boto3              a plain `import boto3` in a fresh process: the floor
- import_ms.<function>         import of each handler module plus its initialisation
                               (settings, clients; fonts for generate), in a fresh process
- first_render_ms.generate     then, in that same fresh process, the first Factur-X invoice:
                               what initialisation leaves to the first render (fpdf2, lxml,
                               factur-x imports, the XSD of its code path)
- package_mb.<function>        unzipped size of the function as `sam build` makes it, plus the
                               layers it uses (Lambda's limit: 250 MiB), from a `sam build --cached`
                               into out/bench/sam-build; skipped, saying why, without the SAM CLI
                               (.venv-sam, made by `make test`) or a python3.13
- numbering_400_s              8 writers x 50 invoices racing for numbers against the local
                               moto server (bench/numbering.py); numbering_gaps and
                               numbering_duplicates must be 0
- remind_items_read            items DynamoDB read by one reminder run (the real remind function)
                               with 100,000 invoices in the table, 100 of them due an action
                               (target <= 110; bench/reminders.py); remind_run_s its wall time,
                               remind_load_s the loading, remind_due_returned must be the 100 due
- webhook_ms_p50, webhook_ms_p99  one signed Stripe event through the real stripe_webhook handler,
                               warm, against the local moto server (target p99 <= 50 ms);
                               webhook_own_ms_p50 the same minus the time waiting for AWS calls,
                               webhook_baseline_ms_p50 two plain DynamoDB calls (bench/payments.py)
- bank_lines_per_s             bank statement lines imported per second against 10,000 open invoices
- rows_skip_per_s              rows recognised as already invoiced per second in a 20,000-row sheet of
                               which 19,900 are, through file import against moto (bench/rows.py);
                               rows_parse_per_s the same sheet read with no ledger, rows_skip_ratio
- extract_field_accuracy       % of fields read exactly by the offline text-layer reader from the fixture
                               Factur-X PDFs, their embedded XML ignored and used as the truth (number,
                               dates, supplier, VAT id, totals, currency; target >= 90; bench/extraction.py)
- extract_pages_per_s_core     pages per second of that reader on one core (target >= 10);
                               extract_peak_mb its peak memory
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.baseline import render_baseline
from bench.invoice import bench_invoice

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "out" / "bench"
SAM_BUILD = OUT / "sam-build"
RENDERS = 100
BASELINE_RENDERS = 50
IMPORT_RUNS = 7
#: The function each handler module calls to build its cached services on first use.
INIT_HOOKS = {
    "GenerateFunction": "generator",
    "SendFunction": "_resources",
    "RemindFunction": "_invoices",
    "OcrFunction": "_documents",
    "StripeWebhookFunction": None,
}

#: What the stripe_webhook function must not load (rendering belongs to generate).
HEAVY = ("fpdf", "openpyxl", "pdfplumber", "PIL", "lxml", "jinja2")

results: dict[str, dict[str, Any]] = {}


def report(name: str, value: float, unit: str, note: str = "") -> None:
    results[name] = {"value": round(value, 3), "unit": unit}
    print(f"{name:<34} {value:>10.2f} {unit:<8} {note}")


def per_call(fn: Callable[[Any], Any], args: list[Any]) -> list[float]:
    times = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return times


def renders() -> None:
    from invoicing.documents.pdf import render_pdf

    invoices = [bench_invoice(n) for n in range(1, RENDERS + 4)]
    start = time.perf_counter()
    render_pdf(invoices[0])
    report(
        "render_first_ms", (time.perf_counter() - start) * 1000, "ms", "(prepares the fonts once per process)"
    )
    per_call(render_pdf, invoices[1:3])  # warm up
    ours = statistics.median(per_call(render_pdf, invoices[3:]))
    per_call(render_baseline, invoices[:2])
    base = statistics.median(per_call(render_baseline, invoices[2 : 2 + BASELINE_RENDERS]))
    report("render_per_s_core", 1 / ours, "1/s", f"median of {RENDERS}: {ours * 1000:.2f} ms per invoice")
    report(
        "render_baseline_per_s_core",
        1 / base,
        "1/s",
        f"median of {BASELINE_RENDERS}: {base * 1000:.2f} ms per invoice",
    )
    report("render_speedup", base / ours, "x", "render_per_s_core / render_baseline_per_s_core")
    facturx(invoices, base)


def facturx(invoices: list[Any], base: float) -> None:
    import cProfile
    import logging
    import pstats

    from invoicing.documents.render import render

    logging.getLogger("factur-x").setLevel(logging.WARNING)
    per_call(render, invoices[1:3])  # warm up; the first checks the XSD of this code path
    product = statistics.median(per_call(render, invoices[3:]))
    report(
        "facturx_per_s_core", 1 / product, "1/s", f"median of {RENDERS}: {product * 1000:.2f} ms per invoice"
    )
    report("facturx_speedup", base / product, "x", "facturx_per_s_core / render_baseline_per_s_core")
    profiler = cProfile.Profile()
    profiler.enable()
    for invoice in invoices[3:53]:
        render(invoice)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative = {f"{fn[0].rsplit('/', 1)[-1]}:{fn[2]}": entry[3] for fn, entry in stats.items()}
    total = cumulative["render.py:render"]
    phases = {
        "xml_build": cumulative["cii.py:build_cii"],
        "qr_code": cumulative["qr.py:epc_image"],
        "layout_and_text": cumulative["pdf.py:_draw"] - cumulative["qr.py:epc_image"],
        "embed_xml_and_xmp": cumulative["facturx.py:attach"],
        "pdf_serialisation": cumulative["fpdf.py:output"],
    }
    phases["other"] = total - sum(phases.values())
    for name, seconds in phases.items():
        report(f"facturx_share.{name}", 100 * seconds / total, "%")


def fresh_process(code: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=PROJECT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


#: In the fresh generate process, after its initialisation: the first Factur-X invoice.
FIRST_RENDER = (
    "from bench.invoice import bench_invoice\n"
    "from invoicing.documents.render import render\n"
    "invoice = bench_invoice(1)\n"
    "r0 = time.perf_counter()\n"
    "render(invoice)\n"
    "r1 = time.perf_counter()\n"
)


def cold_starts() -> None:
    from invoicing_tools.local_aws.samconfig import environments
    from invoicing_tools.local_aws.server import LocalAws
    from invoicing_tools.local_aws.stack import LocalStack

    aws = LocalAws()
    aws.start()
    aws.activate()
    try:
        config = environments()["conseil-horizon"]
        stack = LocalStack("bench-coldstart", config.parameters).deploy()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
        floor_code = (
            "import time, json; t, c = time.perf_counter(), time.process_time(); import boto3; "
            "print(json.dumps({'total': (time.perf_counter() - t) * 1000,"
            " 'cpu': (time.process_time() - c) * 1000}))"
        )
        floor_env = {**base_env, **aws.client_environment()}
        handlers = {}
        for logical_id, hook in INIT_HOOKS.items():
            spec = stack.functions[logical_id]
            code = (
                "import json, sys, time\n"
                f"sys.path.insert(0, {str(spec.code_dir)!r})\n"
                "t0, c0 = time.perf_counter(), time.process_time()\n"
                f"import {spec.module} as handler\n"
                "t1 = time.perf_counter()\n"
                # A handler that initialises at import has no hook (or no longer has it).
                + (f"getattr(handler, {hook!r}, lambda: None)()\n" if hook else "")
                + "t2, c2 = time.perf_counter(), time.process_time()\n"
                + (FIRST_RENDER if logical_id == "GenerateFunction" else "r0 = r1 = 0.0\n")
                + f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
                + "print(json.dumps({'import': (t1 - t0) * 1000, 'total': (t2 - t0) * 1000,"
                " 'cpu': (c2 - c0) * 1000, 'first_render': (r1 - r0) * 1000, 'heavy': heavy}))\n"
            )
            env = {
                **base_env,
                **spec.environment,
                **aws.client_environment(),
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            }
            handlers[spec.code_dir.name] = (code, env)
        # Rounds: the floor, then each handler, IMPORT_RUNS times. The other sessions' load comes and
        # goes; interleaved, the floor and the handlers meet it alike, and their ratio stays fair.
        floor: list[dict[str, float]] = []
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in handlers}
        for _ in range(IMPORT_RUNS):
            floor.append(fresh_process(floor_code, floor_env))
            for name, (code, env) in handlers.items():
                runs[name].append(fresh_process(code, env))
        boto3_ms = statistics.median(f["total"] for f in floor)
        boto3_cpu = statistics.median(f["cpu"] for f in floor)
        report("import_ms.boto3", boto3_ms, "ms", f"median of {IMPORT_RUNS}, fresh process")
        for name, measured in runs.items():
            total = statistics.median(r["total"] for r in measured)
            imported = statistics.median(r["import"] for r in measured)
            ratios = sorted(r["total"] / f["total"] for r, f in zip(measured, floor, strict=True))
            cpu = statistics.median(r["cpu"] for r in measured) / boto3_cpu
            # Under load the wall-clock ratio swings; CPU time (user + system) much less.
            note = (
                f"import {imported:.0f} + init {total - imported:.0f} ms; {total / boto3_ms:.2f}x boto3 "
                f"(per round {ratios[0]:.1f}-{ratios[-1]:.1f}x; CPU time {cpu:.2f}x)"
            )
            if name == "stripe_webhook":
                heavy = sorted({m for r in measured for m in r["heavy"]})
                note += (
                    f"; loads {', '.join(heavy)}"
                    if heavy
                    else "; loads none of fpdf2, openpyxl, pdfplumber, PIL, lxml, jinja2"
                )
            report(f"import_ms.{name}", total, "ms", note)
            if name == "generate":
                first = statistics.median(r["first_render"] for r in measured)
                report(
                    "first_render_ms.generate",
                    first,
                    "ms",
                    f"after that initialisation; cold start to a first invoice {total + first:.0f} ms",
                )
    finally:
        aws.stop()


def _tree_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and not p.is_symlink())


def _sam_build() -> tuple[Path | None, str]:
    """(build folder, "") or (None, why the sizes are skipped)."""
    sam = Path(os.environ.get("SAM_CLI") or PROJECT / ".venv-sam" / "bin" / "sam")
    if not sam.is_file():
        return None, f"no SAM CLI at {sam.relative_to(PROJECT) if sam.is_relative_to(PROJECT) else sam}"
    env = {**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", "3.13.0")}
    if shutil.which("python3.13", path=env.get("PATH")) is None:
        return None, "no python3.13 on PATH (sam build needs it)"
    command = [str(sam), "build", "--cached", "--parallel", "--build-dir", str(SAM_BUILD)]
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None, "sam build failed: " + (done.stdout + done.stderr).strip().splitlines()[-1]
    return SAM_BUILD, ""


def package_sizes() -> None:
    """Unzipped size of each function as deployed: its build folder plus its layers'."""
    from invoicing_tools.local_aws.cfn_yaml import load_template

    started = time.perf_counter()
    build, skipped = _sam_build()
    if build is None:
        print(f"{'package_mb.*':<34} {'skipped':>10}          ({skipped})")
        return
    template = load_template(PROJECT / "template.yaml")
    global_layers = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        layers = [ref["Ref"] for ref in properties.get("Layers", global_layers) if "Ref" in ref]
        function_bytes = _tree_bytes(build / logical_id)
        layer_bytes = sum(_tree_bytes(build / layer) for layer in layers)
        name = Path(properties["CodeUri"]).name
        note = f"function {function_bytes / 2**20:.1f} + layers {layer_bytes / 2**20:.1f}; limit 250"
        report(f"package_mb.{name}", (function_bytes + layer_bytes) / 2**20, "MiB", note)
    print(f"{'':<34} {'':>10}          (sam build --cached: {time.perf_counter() - started:.0f} s)")


def main() -> None:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # "per core": one CPU for the renders
    print(f"machine: {cores} core(s), Python {sys.version.split()[0]}; renders pinned to one core")
    results["cpu_count"] = {"value": cores, "unit": "cores"}
    renders()
    from bench.emails import emails

    emails(report)
    from bench.extraction import extraction

    extraction(report)  # offline supplier-invoice reading, on the same single core
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(cores)))
    cold_starts()
    from bench.numbering import numbering

    numbering(report)
    from bench.reminders import reminders

    reminders(report)
    from bench.payments import bank, payments

    payments(report)
    bank(report)
    from bench.rows import rows

    rows(report)
    package_sizes()
    report("bench_seconds", time.perf_counter() - started, "s")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {(OUT / 'results.json').relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
