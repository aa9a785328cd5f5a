"""Configuration read from the environment that template.yaml gives each function.

``Resources`` says where things are (tables, bucket, queues, topic); who the business is
lives in ``invoicing.business`` (it checks identifiers, which only invoice-issuing code needs,
so generate's settings, ``GenerateSettings``, live there too).

Each function builds its settings object when Lambda loads it (the init phase): a required
variable that is missing or wrong fails the cold start with ``SettingsError`` naming it,
instead of a silent no-op at the first event (a topic that is not set, say, would otherwise
quietly alert nobody).
Nothing secret lives here: secrets are fetched from SSM Parameter Store by the functions
that need them (DESIGN.md, invariant 6).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """The stack is misconfigured: the message names the parameter to fix."""


def get(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if value is None or value.strip() == "":
        if default is not None:
            return default
        raise SettingsError(f"environment variable {name} is required")
    return value.strip()


def optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes", "oui"):
        return True
    if value in ("false", "0", "no", "non"):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True, slots=True)
class Resources:
    """The tables and the bucket. Queues and topics belong to the settings of the functions
    that use them (required there, so a missing one fails the cold start)."""

    invoices_table: str
    sequences_table: str
    clients_table: str
    documents_bucket: str
    idempotency_table: str | None = None
    dunning_table: str | None = None
    payments_table: str | None = None
    supplier_invoices_table: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Resources:
        env = os.environ if env is None else env
        return cls(
            invoices_table=get(env, "INVOICES_TABLE"),
            sequences_table=get(env, "SEQUENCES_TABLE"),
            clients_table=get(env, "CLIENTS_TABLE"),
            documents_bucket=get(env, "DOCUMENTS_BUCKET"),
            idempotency_table=optional(env, "IDEMPOTENCY_TABLE"),
            dunning_table=optional(env, "DUNNING_TABLE"),
            payments_table=optional(env, "PAYMENTS_TABLE"),
            supplier_invoices_table=optional(env, "SUPPLIER_INVOICES_TABLE"),
        )


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


@dataclass(frozen=True, slots=True)
class SendSettings:
    resources: Resources

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SendSettings:
        return cls(resources=Resources.from_env(_env(env)))


@dataclass(frozen=True, slots=True)
class RemindSettings:
    resources: Resources
    time_zone: str
    alerts_topic_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RemindSettings:
        env = _env(env)
        return cls(
            resources=Resources.from_env(env),
            time_zone=_time_zone(get(env, "TIME_ZONE", "Europe/Paris")),
            alerts_topic_arn=get(env, "ALERTS_TOPIC_ARN"),
        )


@dataclass(frozen=True, slots=True)
class OcrSettings:
    documents_bucket: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OcrSettings:
        return cls(documents_bucket=get(_env(env), "DOCUMENTS_BUCKET"))


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    #: The SSM SecureString holding Stripe's webhook signing secret (its name, never its value).
    webhook_secret_parameter: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        return cls(webhook_secret_parameter=get(_env(env), "STRIPE_WEBHOOK_SECRET_PARAM"))


def _time_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"TIME_ZONE: unknown time zone {name!r}") from exc
    return name
