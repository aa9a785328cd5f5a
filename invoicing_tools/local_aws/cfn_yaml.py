"""Load a CloudFormation/SAM template, turning short tags (``!Ref``, ``!Sub``...) into the
long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``) so code can read it as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_TAGS = ("Ref", "Condition")
_FN_TAGS = (
    "Sub",
    "GetAtt",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Length",
    "ToJsonString",
)


class TemplateLoader(yaml.SafeLoader):
    """A safe YAML loader that knows the CloudFormation intrinsic function tags."""


def _construct(name: str):
    def construct(loader: TemplateLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in _TAGS:
    TemplateLoader.add_constructor(f"!{_tag}", _construct(_tag))
for _tag in _FN_TAGS:
    TemplateLoader.add_constructor(f"!{_tag}", _construct(f"Fn::{_tag}"))


def load_template(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=TemplateLoader)  # noqa: S506 - SafeLoader subclass
