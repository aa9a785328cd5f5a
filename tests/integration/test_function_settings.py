"""Each function validates its settings when Lambda loads it: a required variable that is
missing fails the cold start with a message naming it, instead of a silent no-op later."""

from __future__ import annotations

import importlib.util
import os

import pytest

from invoicing.settings import SettingsError

REQUIRED = {
    "GenerateFunction": ("SEND_QUEUE_URL", "ALERTS_TOPIC_ARN", "INVOICES_TABLE", "SELLER_SIRET"),
    "SendFunction": ("INVOICES_TABLE", "DOCUMENTS_BUCKET"),
    "RemindFunction": ("ALERTS_TOPIC_ARN", "INVOICES_TABLE"),
    "OcrFunction": ("DOCUMENTS_BUCKET",),
    "StripeWebhookFunction": ("STRIPE_WEBHOOK_SECRET_PARAM",),
}


def load(spec, env: dict[str, str], monkeypatch) -> object:
    for name in list(os.environ):
        if name.startswith(("SELLER_", "POWERTOOLS_")) or name.endswith(("_TABLE", "_URL", "_ARN", "_PARAM")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = spec.code_dir / f"{spec.module}.py"
    module_spec = importlib.util.spec_from_file_location(f"_settings_probe_{spec.module}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("function", "variable"), [(f, v) for f, names in REQUIRED.items() for v in names])
def test_a_missing_variable_fails_the_cold_start_by_name(stack, function, variable, monkeypatch) -> None:
    spec = stack.functions[function]
    assert variable in spec.environment, "the template gives the function this variable"
    env = {k: v for k, v in spec.environment.items() if k != variable}
    with pytest.raises(SettingsError, match=variable):
        load(spec, env, monkeypatch)


def test_a_wrong_time_zone_fails_the_remind_cold_start(stack, monkeypatch) -> None:
    spec = stack.functions["RemindFunction"]
    with pytest.raises(SettingsError, match="TIME_ZONE: unknown time zone 'Europe/Pariss'"):
        load(spec, {**spec.environment, "TIME_ZONE": "Europe/Pariss"}, monkeypatch)


def test_with_its_template_environment_each_function_loads(stack, local_aws, monkeypatch) -> None:
    for function in REQUIRED:
        spec = stack.functions[function]
        module = load(spec, {**spec.environment, **local_aws.client_environment()}, monkeypatch)
        assert callable(module.handler)
