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
- import_ms.boto3              a plain `import boto3` in a fresh process: the floor
- import_ms.<function>         import of each handler module plus its initialisation
                               (settings, clients; fonts for generate), in a fresh process
"""

from __future__ import annotations

import json
import os
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
RENDERS = 100
BASELINE_RENDERS = 50
IMPORT_RUNS = 5
#: The function each handler module calls to build its cached services on first use.
INIT_HOOKS = {
    "GenerateFunction": "generator",
    "SendFunction": "_resources",
    "RemindFunction": "_invoices",
    "OcrFunction": "_documents",
    "StripeWebhookFunction": None,
}

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
        floor = [
            fresh_process(
                "import time, json; t = time.perf_counter(); import boto3; "
                "print(json.dumps({'total': (time.perf_counter() - t) * 1000}))",
                {**base_env, **aws.client_environment()},
            )["total"]
            for _ in range(IMPORT_RUNS)
        ]
        boto3_ms = statistics.median(floor)
        report("import_ms.boto3", boto3_ms, "ms", f"median of {IMPORT_RUNS}, fresh process")
        for logical_id, hook in INIT_HOOKS.items():
            spec = stack.functions[logical_id]
            code = (
                "import json, sys, time\n"
                f"sys.path.insert(0, {str(spec.code_dir)!r})\n"
                "t0 = time.perf_counter()\n"
                f"import {spec.module} as handler\n"
                "t1 = time.perf_counter()\n"
                + (f"handler.{hook}()\n" if hook else "")
                + "t2 = time.perf_counter()\n"
                "print(json.dumps({'import': (t1 - t0) * 1000, 'total': (t2 - t0) * 1000}))\n"
            )
            env = {
                **base_env,
                **spec.environment,
                **aws.client_environment(),
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            }
            runs = [fresh_process(code, env) for _ in range(IMPORT_RUNS)]
            total = statistics.median(r["total"] for r in runs)
            imported = statistics.median(r["import"] for r in runs)
            note = f"import {imported:.0f} + init {total - imported:.0f} ms; {total / boto3_ms:.2f}x boto3"
            report(f"import_ms.{spec.code_dir.name}", total, "ms", note)
    finally:
        aws.stop()


def main() -> None:
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # "per core": one CPU for the renders
    print(f"machine: {cores} core(s), Python {sys.version.split()[0]}; renders pinned to one core")
    results["cpu_count"] = {"value": cores, "unit": "cores"}
    renders()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(cores)))
    cold_starts()
    report("bench_seconds", time.perf_counter() - started, "s")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {(OUT / 'results.json').relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
