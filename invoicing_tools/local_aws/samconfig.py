"""Read the per-business environments of samconfig.toml: the demo deploys exactly what
``sam deploy --config-env <business>`` would."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

from invoicing_tools.local_aws.stack import PROJECT


@dataclass(frozen=True)
class Environment:
    name: str
    stack_name: str
    parameters: dict[str, str]


def _overrides(value: str | list[str]) -> dict[str, str]:
    items = value if isinstance(value, list) else [value]
    parameters = {}
    for item in items:
        for token in shlex.split(item):
            key, _, text = token.partition("=")
            parameters[key] = text
    return parameters


def environments(path: Path = PROJECT / "samconfig.toml") -> dict[str, Environment]:
    """Every environment with a stack name and parameter overrides, by config-env name."""
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    found = {}
    for name, commands in config.items():
        if not isinstance(commands, dict) or name == "default":
            continue
        deploy = commands.get("deploy", {}).get("parameters", {})
        if "stack_name" in deploy:
            found[name] = Environment(
                name, deploy["stack_name"], _overrides(deploy.get("parameter_overrides", []))
            )
    return found
