"""The template's parameters, its outputs and the example samconfig.toml: each business's identity
is required and checked, every parameter is used, and no secret is written anywhere."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from template_helpers import (
    IDENTITY_PARAMETERS,
    ROOT,
    parameter_overrides,
    resources,
    samconfig_environments,
)


def test_is_a_sam_template_with_a_description(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Description"].strip()


def test_identity_parameters_have_no_default_and_others_do(template):
    parameters = template["Parameters"]
    for name in IDENTITY_PARAMETERS:
        assert "Default" not in parameters[name], f"{name} identifies the business: it must be given"
    for name, spec in parameters.items():
        assert spec.get("Description", "").strip(), f"{name} needs a Description"
        if name not in IDENTITY_PARAMETERS:
            assert "Default" in spec, f"{name} should have a sensible default"


def test_parameter_defaults_satisfy_their_own_constraints(template):
    for name, spec in template["Parameters"].items():
        if "Default" not in spec:
            continue
        default = str(spec["Default"])
        if "AllowedValues" in spec:
            assert default in [str(v) for v in spec["AllowedValues"]], name
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], default), f"{name} default {default!r}"


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        ("BusinessSiret", ["85212345400013"], ["852123454", "8521234540001A", "852 123 454 00013"]),
        ("BusinessVatId", ["", "FR73852123454"], ["FR7385212345", "DE123456789", "fr73852123454"]),
        ("BusinessBic", ["", "AGRIFRPPXXX", "AGRIFRPP"], ["AGRI", "agrifrppxxx"]),
        ("BusinessEmail", ["factures@horizon-conseil.fr"], ["", "factures", "a@b"]),
        ("OperatorEmail", ["", "ops@agence.fr"], ["ops"]),
        ("LatePenalty", ["ecb+10", "legal-x3", "12", "12,5", "12.5 %"], ["ecb", "douze"]),
        ("InvoiceNumberPattern", ["FA{year}-{seq:05d}", "F{yy}/{seq}"], ["FA{year}", "FA {seq}"]),
        ("BusinessShareCapital", ["", "10000", "7 500,00"], ["dix mille"]),
    ],
)
def test_parameter_patterns(template, parameter, good, bad):
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    for value in good:
        assert re.fullmatch(pattern, value), f"{parameter} should accept {value!r}"
    for value in bad:
        assert not re.fullmatch(pattern, value), f"{parameter} should refuse {value!r}"


def test_every_parameter_is_grouped_for_the_console_and_used(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"]), "each parameter in exactly one group"
    text = json.dumps(template["Resources"]) + json.dumps(template["Globals"])
    for name in template["Parameters"]:
        assert f'{{"Ref": "{name}"}}' in text, f"parameter {name} is never used"


def test_outputs_give_the_operator_what_it_needs(template):
    outputs = template["Outputs"]
    assert outputs["DocumentsBucketName"]["Value"] == {"Ref": "DocumentsBucket"}
    assert outputs["StripeWebhookUrl"]["Value"] == {"Fn::GetAtt": ["StripeWebhookFunctionUrl", "FunctionUrl"]}
    assert outputs["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}
    for table in resources(template, "AWS::DynamoDB::Table"):
        assert outputs[f"{table}Name"]["Value"] == {"Ref": table}
    for queue in resources(template, "AWS::SQS::Queue"):
        assert outputs[f"{queue}Url"]["Value"] == {"Ref": queue}


def test_samconfig_has_common_defaults_and_one_environment_per_business():
    with open(ROOT / "samconfig.toml", "rb") as handle:
        config = tomllib.load(handle)
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["region"] == "eu-west-3"
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert deploy["resolve_s3"] is True
    assert config["default"]["build"]["parameters"] == {"cached": True, "parallel": True}
    environments = samconfig_environments()
    assert len(environments) >= 2
    stacks = [section["stack_name"] for section in environments.values()]
    assert len(set(stacks)) == len(stacks)
    for env, section in environments.items():
        # SAM does not merge an environment with [default]: each repeats the deploy settings.
        for key in ("region", "capabilities", "confirm_changeset", "resolve_s3"):
            assert section[key] == deploy[key], f"[{env}] {key}"
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,39}", section["stack_name"]), "lowercase, at most 40"


@pytest.mark.parametrize("env", sorted(samconfig_environments()))
def test_samconfig_environment_satisfies_the_template_parameters(template, env):
    overrides = parameter_overrides(samconfig_environments()[env])
    parameters = template["Parameters"]
    assert set(overrides) <= set(parameters), f"unknown parameters: {set(overrides) - set(parameters)}"
    missing = {name for name, spec in parameters.items() if "Default" not in spec} - set(overrides)
    assert not missing, f"[{env}] must give {sorted(missing)}"
    for name, value in overrides.items():
        spec = parameters[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], f"[{env}] {name}={value!r}"
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), f"[{env}] {name}={value!r}"


@pytest.mark.parametrize("env", sorted(samconfig_environments()))
def test_samconfig_identity_is_accepted_by_the_functions(template, env):
    """The example identities pass the checks the functions run at start (SIRET, VAT key, IBAN...)."""
    from invoicing.business import Business
    from invoicing_tools.local_aws.stack import LocalStack

    overrides = parameter_overrides(samconfig_environments()[env])
    environ = LocalStack(env, overrides).parameter_environment()
    business = Business.from_env(environ)
    assert business.seller.siret == overrides["BusinessSiret"]
