"""Shared fixtures of the template checks: the project root and template.yaml as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from invoicing_tools.local_aws.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)
