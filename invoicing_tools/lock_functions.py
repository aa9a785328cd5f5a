"""Lock each function's requirements: functions/<name>/requirements.in -> requirements.txt.

    python -m invoicing_tools.lock_functions [--uv PATH] [--check] [NAME ...]

requirements.in lists what the function imports, pinned as in pyproject.toml (the test
tests/template/test_function_dependencies.py keeps both true); requirements.txt is what `sam build`
installs: every transitive version, with hashes, resolved for the Lambda runtime (Python 3.13,
arm64, Amazon Linux 2023) with the versions of requirements/dev.lock (the project's own lock, the
one the tests run with) as constraints, so a library has one version everywhere.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
PROJECT_LOCK = Path("requirements") / "dev.lock"
#: The Lambda runtime: python3.13 on arm64 runs on Amazon Linux 2023 (glibc 2.34).
TARGET = ["--python-version", "3.13", "--python-platform", "aarch64-manylinux_2_34"]


def _uv(explicit: str | None) -> str:
    for candidate in (explicit, str(ROOT / ".uv" / "bin" / "uv"), shutil.which("uv")):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit("uv not found: pass --uv PATH (make installs it under .uv/)")


def compile_command(uv: str, function: str, output: Path) -> list[str]:
    source = Path("functions") / function / "requirements.in"
    command = [uv, "pip", "compile", "--quiet", "--generate-hashes", *TARGET, str(source), "-o", str(output)]
    command += ["--custom-compile-command", "make lock"]
    if (ROOT / PROJECT_LOCK).is_file():
        command += ["--constraint", str(PROJECT_LOCK)]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m invoicing_tools.lock_functions", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help="functions to lock (default: every one with a requirements.in)"
    )
    parser.add_argument("--uv", help="the uv executable")
    parser.add_argument("--check", action="store_true", help="exit 1 if a lock is not what uv resolves now")
    args = parser.parse_args(argv)
    uv = _uv(args.uv)
    names = args.names or sorted(p.parent.name for p in FUNCTIONS.glob("*/requirements.in"))
    stale = []
    for name in names:
        lock = FUNCTIONS / name / "requirements.txt"
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "requirements.txt"
            if lock.is_file():
                shutil.copy(lock, output)  # uv keeps the versions of an existing output
            subprocess.run(compile_command(uv, name, output), cwd=ROOT, check=True)
            fresh = output.read_text(encoding="utf-8")
        if args.check:
            if fresh != lock.read_text(encoding="utf-8"):
                stale.append(name)
            continue
        lock.write_text(fresh, encoding="utf-8")
        print(f"locked functions/{name}/requirements.txt")
    if stale:
        print(f"out of date (run make lock): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
