"""Configuration read from the environment that template.yaml gives each function.

``Resources`` says where things are (tables, bucket, queues, topic); who the business is
lives in ``invoicing.business`` (it checks identifiers, which only invoice-issuing code needs).
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
    invoices_table: str
    sequences_table: str
    clients_table: str
    documents_bucket: str
    alerts_topic_arn: str | None = None
    send_queue_url: str | None = None
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
            alerts_topic_arn=optional(env, "ALERTS_TOPIC_ARN"),
            send_queue_url=optional(env, "SEND_QUEUE_URL"),
            idempotency_table=optional(env, "IDEMPOTENCY_TABLE"),
            dunning_table=optional(env, "DUNNING_TABLE"),
            payments_table=optional(env, "PAYMENTS_TABLE"),
            supplier_invoices_table=optional(env, "SUPPLIER_INVOICES_TABLE"),
        )
