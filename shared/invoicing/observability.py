"""Logs, metrics and traces, set up once for every function.

- ``logger``: Powertools Logger, structured JSON; the service name comes from
  ``POWERTOOLS_SERVICE_NAME`` (each function's own, set by template.yaml).
- ``metrics``: Powertools Metrics (CloudWatch embedded metric format) in one namespace,
  ``Invoicing``, whatever the function; ``count(name)`` is the one way to add a count.
- ``handler``: the decorator every Lambda handler wears: Lambda context in the logs, metrics
  flushed at the end of each invocation, and X-Ray tracing when the stack turns it on.

Tracing is off unless the stack's ``Tracing`` parameter is ``Active`` (environment
``TRACING=Active``): the X-Ray SDK costs about 150 ms of cold start, which a function whose
traces nobody reads should not pay.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Invoicing"


class _CurrentStdout(logging.StreamHandler):
    """Writes to ``sys.stdout`` as it is at each record, not as it was when the logger was
    made: the same in Lambda, and in the local harness each function's log lands in its own
    file (the harness redirects stdout around each invocation)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


logger = Logger(logger_handler=_CurrentStdout())
metrics = Metrics(namespace=NAMESPACE)

F = TypeVar("F", bound=Callable[..., Any])


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the count metric ``name`` (published when the invocation ends)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def tracing_enabled(env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ) if env is None else env
    return env.get("TRACING", "").strip().lower() == "active"


def handler(fn: F) -> F:
    """Wrap a Lambda handler: context in the logs, metrics flushed, traced when enabled."""
    wrapped: Callable[..., Any] = metrics.log_metrics(logger.inject_lambda_context(fn))
    if tracing_enabled():
        from aws_lambda_powertools import Tracer

        wrapped = Tracer().capture_lambda_handler(wrapped)

    @wraps(fn)
    def run(event: Any, context: Any) -> Any:
        # One function per process in Lambda; several side by side in the local harness, which
        # sets each one's environment around its invocation: name the service that runs now.
        service = os.environ.get("POWERTOOLS_SERVICE_NAME")
        if service:
            logger.append_keys(service=service)
            metrics.provider.service = service
        with warnings.catch_warnings():
            # An invocation with nothing to count (S3's test event) publishes no metric: fine.
            warnings.filterwarnings("ignore", "No application metrics to publish")
            return wrapped(event, context)

    return run  # type: ignore[return-value]
