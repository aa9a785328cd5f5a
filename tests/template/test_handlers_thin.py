"""Handlers are thin (DESIGN.md, Seams): each parses its event, calls one service, maps the
outcome. None imports an adapter; every one logs and counts through the observability module
and builds its settings when Lambda loads it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(ROOT.glob("functions/*/*_handler.py"))


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_function_has_a_handler() -> None:
    assert [p.parent.name for p in HANDLERS] == ["generate", "ocr", "remind", "send", "stripe_webhook"]


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_a_handler_imports_no_adapter_and_one_service(handler: Path) -> None:
    found = imports(handler)
    assert not [m for m in found if m.startswith("invoicing.adapters")]
    services = [m for m in found if m.startswith("invoicing.services")]
    assert len(services) == 1, services
    assert "invoicing.observability" in found or "invoicing" in found
    # Logging and metrics come from the one module, not from a Logger of its own.
    tree = ast.parse(handler.read_text())
    made_here = [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if node.func.id in ("Logger", "Metrics", "Tracer")
    ]
    assert made_here == []


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_a_handler_reads_no_environment_variable_itself(handler: Path) -> None:
    text = handler.read_text()
    assert "os.environ" not in text
    assert "getenv" not in text
    assert "Settings.from_env()" in text  # its settings object, built at load time
