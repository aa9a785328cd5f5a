"""Lambda, played in-process: handlers invoked with real-shaped events, as AWS would.

``LocalRuntime`` plays the event source mappings of a ``LocalStack``: it polls each function's
SQS queues, builds the SQS batch event Lambda would send (with the S3 notification moto
posted as the message body), calls the handler, deletes what succeeded and hands back what
failed (``batchItemFailures``) so that SQS redelivers it; after the queue's maxReceiveCount
moto moves it to the dead-letter queue, exactly like AWS. One deviation, for speed: a failed
message becomes visible again at once instead of after the visibility timeout.

Each (stack, function) gets its own copy of the handler module, like a separate Lambda
container, and runs with its own environment variables. A new ``LocalRuntime`` starts every
function cold: fresh handler modules (their module-level ``functools.cache`` included) and
Powertools' process-wide parameter cache emptied, so that a stack reused after
``LocalStack.reset`` serves no value cached by an earlier runtime. Given a ``log_dir``, what a function
prints (Powertools logs, metrics) goes to ``<log_dir>/<function>.log``, as CloudWatch Logs
would keep it; otherwise it goes to this process's output.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from aws_lambda_powertools.utilities import parameters

from invoicing_tools.local_aws.server import ACCOUNT_ID, REGION, LocalAws, client
from invoicing_tools.local_aws.stack import FunctionSpec, LocalStack

log = logging.getLogger("local_aws")


@dataclass
class LambdaContext:
    """The attributes and method handlers and Powertools read from Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self.started)) * 1000))


@dataclass(frozen=True)
class Delivery:
    """One batch handed to a function by the event source mapping."""

    function: str
    queue: str
    received: int
    failed: int
    error: str | None = None


class LocalRuntime:
    def __init__(self, aws: LocalAws, stack: LocalStack, log_dir: Path | None = None) -> None:
        self.aws = aws
        self.stack = stack
        self.log_dir = log_dir
        self._logs: dict[str, TextIO] = {}
        self._modules: dict[str, ModuleType] = {}
        self._sqs = client("sqs")
        self.deliveries: list[Delivery] = []
        #: Variables added to one function's environment (what only the local run needs, such as
        #: the Stripe API stub's address: ``STRIPE_API_BASE``).
        self.overrides: dict[str, dict[str, str]] = {}
        # In Lambda each container has its own; in-process they are shared: start them cold.
        parameters.clear_caches()

    # --- invoking ------------------------------------------------------------------------------

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        return {
            **spec.environment,
            **self.aws.client_environment(),
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            **self.overrides.get(spec.logical_id, {}),
        }

    @contextlib.contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.update(self.environment(spec))
        with contextlib.ExitStack() as stack:
            if self.log_dir is not None:
                if spec.logical_id not in self._logs:
                    self.log_dir.mkdir(parents=True, exist_ok=True)
                    path = self.log_dir / f"{spec.logical_id}.log"
                    self._logs[spec.logical_id] = path.open("a", encoding="utf-8")
                log = self._logs[spec.logical_id]
                stack.enter_context(contextlib.redirect_stdout(log))
                stack.enter_context(contextlib.redirect_stderr(log))
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("default")
            try:
                yield
            finally:
                os.environ.clear()
                os.environ.update(saved)
                for log in self._logs.values():
                    log.flush()

    def close(self) -> None:
        for log in self._logs.values():
            log.close()
        self._logs.clear()

    def _module(self, spec: FunctionSpec) -> ModuleType:
        if spec.logical_id not in self._modules:
            path = spec.code_dir / f"{spec.module}.py"
            tag = hashlib.sha1(f"{self.stack.name}:{spec.logical_id}".encode()).hexdigest()[:8]  # noqa: S324
            name = f"_lambda_{spec.module}_{tag}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            assert module_spec is not None
            assert module_spec.loader is not None
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            with self._environment(spec):
                module_spec.loader.exec_module(module)
            self._modules[spec.logical_id] = module
        return self._modules[spec.logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.stack.functions[logical_id]
        module = self._module(spec)
        context = LambdaContext(spec.name, spec.memory, spec.timeout)
        with self._environment(spec):
            return getattr(module, spec.function)(event, context)

    # --- event source mappings -----------------------------------------------------------------

    def poll(self, logical_id: str) -> int:
        """One receive-and-invoke round on each SQS source of a function; messages handled."""
        spec = self.stack.functions[logical_id]
        handled = 0
        for source in spec.sqs_sources:
            messages = self._sqs.receive_message(
                QueueUrl=source.queue_url,
                MaxNumberOfMessages=min(10, source.batch_size),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                continue
            handled += len(messages)
            event = {"Records": [_sqs_record(m, source.queue_arn) for m in messages]}
            error = None
            try:
                response = self.invoke(logical_id, event)
            except Exception:  # the whole batch failed, as when a Lambda invocation errors
                error = traceback.format_exc(limit=3)
                log.warning("%s failed on a batch from %s:\n%s", logical_id, source.queue, error)
                failed = {m["MessageId"] for m in messages}
            else:
                failures = (response or {}).get("batchItemFailures", []) if source.report_failures else []
                failed = {f["itemIdentifier"] for f in failures}
            for message in messages:
                if message["MessageId"] in failed:
                    self._sqs.change_message_visibility(
                        QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self._sqs.delete_message(
                        QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            self.deliveries.append(Delivery(logical_id, source.queue, len(messages), len(failed), error))
        return handled

    def run_until_idle(self, max_rounds: int = 200) -> int:
        """Poll every function until a full round finds no message; returns messages handled."""
        total = 0
        for _ in range(max_rounds):
            handled = sum(self.poll(logical_id) for logical_id in self.stack.functions)
            total += handled
            if handled == 0:
                return total
        raise RuntimeError(f"queues still busy after {max_rounds} rounds")

    # --- other triggers ------------------------------------------------------------------------

    def run_schedule(self, logical_id: str, at: datetime | None = None) -> Any:
        """What EventBridge Scheduler sends the function's schedule target: its ``Input`` with the
        context attributes filled in for ``at`` (the scheduled time; now by default), or ``{}``
        for a schedule without Input."""
        spec = self.stack.functions[logical_id]
        schedule = spec.schedules[0] if spec.schedules else {}
        template = schedule.get("Input")
        if not template:
            return self.invoke(logical_id, {})
        when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = (
            template.replace("<aws.scheduler.scheduled-time>", when)
            .replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
            .replace("<aws.scheduler.attempt-number>", "1")
        )
        return self.invoke(logical_id, json.loads(text))

    def call_url(
        self,
        logical_id: str,
        *,
        method: str = "POST",
        body: str = "",
        headers: dict[str, str] | None = None,
        path: str = "/",
        query: str = "",
        base64_body: bool = False,
    ) -> dict[str, Any]:
        """A request to the function's URL, in Lambda's payload format 2.0 (``base64_body``: the
        body base64-encoded, as Lambda sends a body it does not take for text)."""
        spec = self.stack.functions[logical_id]
        if not spec.has_url:
            raise ValueError(f"{logical_id} has no function URL in the template")
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        now = time.time()
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": {"content-type": "application/json", "host": "local.lambda-url", **lowered},
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "local",
                "domainName": "local.lambda-url.eu-west-3.on.aws",
                "domainPrefix": "local",
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": lowered.get("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": "$default",
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "body": base64.b64encode(body.encode()).decode() if base64_body else body,
            "isBase64Encoded": base64_body,
        }
        return self.invoke(logical_id, event)


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as Lambda's event source mapping presents it."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attributes.get("SenderId", ACCOUNT_ID),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
