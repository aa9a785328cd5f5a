"""One place that makes boto3 clients: same region, retry and timeout policy everywhere."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-3"


@cache
def _client(service: str, region_name: str, endpoint: str | None) -> Any:
    return boto3.session.Session().client(
        service, region_name=region_name, config=_CONFIG, endpoint_url=endpoint
    )


def client(service: str) -> Any:
    """A cached client for ``service`` in the current region and endpoint (moto when local)."""
    return _client(service, region(), os.environ.get("AWS_ENDPOINT_URL") or None)
