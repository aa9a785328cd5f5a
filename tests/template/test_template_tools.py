"""The template through the real tools: cfn-lint, `sam validate --lint` and `sam build`.

The SAM CLI lives in its own virtualenv (it pins boto3): set SAM_CLI to its executable, or it is
looked up at .venv-sam/bin/sam under the project root. `sam build` needs a python3.13 on PATH
(with pyenv: PYENV_VERSION=3.13.0). Each test skips, saying why, when its tool is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

pytestmark = pytest.mark.slow

#: Packages the webhook must not carry (heavy, slow to import, useless to it).
DOCUMENT_PACKAGES = ("fpdf", "openpyxl", "pdfplumber", "fontTools", "pdfminer", "pypdfium2", "facturx")


def sam_executable() -> Path:
    sam = Path(os.environ.get("SAM_CLI") or ROOT / ".venv-sam" / "bin" / "sam")
    if not sam.is_absolute():
        sam = ROOT / sam
    if not sam.exists():
        pytest.skip(f"SAM CLI not found at {sam}: run `make test` (it installs it) or set SAM_CLI")
    return sam


def tool_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    env["SAM_CLI_TELEMETRY"] = "0"
    env.update(extra)
    return env


def test_cfn_lint_finds_nothing():
    from cfnlint.api import lint
    from cfnlint.config import ManualArgs

    matches = lint(TEMPLATE.read_text(encoding="utf-8"), config=ManualArgs(regions=["eu-west-3"]))
    assert not matches, "\n".join(str(m) for m in matches)


def test_sam_validate_lint():
    result = subprocess.run(
        [str(sam_executable()), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def python313(env: dict[str, str]) -> str:
    found = shutil.which("python3.13", path=env.get("PATH"))
    if found is None:
        pytest.skip("sam build needs python3.13 on PATH (with pyenv: PYENV_VERSION=3.13.0)")
    probe = subprocess.run([found, "--version"], env=env, capture_output=True, text=True, check=False)
    if probe.returncode != 0 or "3.13" not in probe.stdout + probe.stderr:
        pytest.skip(f"python3.13 at {found} does not run: {(probe.stdout + probe.stderr).strip()}")
    return found


def packages_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()} if directory.is_dir() else set()


def test_sam_build_ships_each_function_only_what_it_needs(tmp_path):
    env = tool_env(PYENV_VERSION=os.environ.get("PYENV_VERSION", "3.13.0"))
    sam = sam_executable()
    python313(env)
    build_dir = tmp_path / "build"
    result = subprocess.run(
        [
            str(sam),
            "build",
            # The webhook and, with it, the shared layer. Generate's build (the largest) is
            # built and checked by test_function_dependencies; `make validate` builds them all.
            "StripeWebhookFunction",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--no-cached",
            "--parallel",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    webhook = packages_in(build_dir / "StripeWebhookFunction")
    assert "stripe_webhook_handler.py" in webhook
    shipped = sorted(p for p in DOCUMENT_PACKAGES if p in webhook)
    assert not shipped, f"the Stripe webhook carries {shipped}"

    # The layer is our code alone: third-party libraries belong to the functions.
    layer_dir = build_dir / "SharedLayer" / "python"
    assert (layer_dir / "invoicing" / "__init__.py").is_file()
    extra = sorted(
        p.name for p in layer_dir.iterdir() if p.is_dir() and p.name not in ("invoicing", "__pycache__")
    )
    assert not extra, f"the shared layer carries third-party packages: {extra}"
