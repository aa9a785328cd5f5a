"""moto in server mode on loopback: the embedded local AWS.

Requests are served one at a time. DynamoDB applies a TransactWriteItems atomically and in
isolation; moto's threaded server does not (eight concurrent writers racing on one numbering
counter produced duplicate numbers in our trials). Serialising requests gives back the
guarantee the numbering code relies on in AWS, while clients still connect concurrently.

SQS allows one PurgeQueue per queue per 60 s and moto enforces it; the local AWS lifts that
rule so that a stack can be reset between tests (``LocalStack.reset``).

moto backs up every table a TransactWriteItems names, by deep copy, before applying it (to roll
back when a condition fails): a transaction's cost grows with the table, and eight writers
racing for numbers spent most of their time copying tables. ``_cheap_transaction_backups``
makes that backup copy only the items the transaction names. The result is the same (a
transaction touches each item at most once, so nothing else can change); tables with a stream
keep moto's full copy.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

ACCOUNT_ID = "123456789012"
REGION = "eu-west-3"


class _QuietHandler(MotoRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise here
        pass


class _Serialized:
    """WSGI middleware: one request at a time through the wrapped application."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class LocalAws:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        os.environ.setdefault("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        _cheap_transaction_backups()
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._host, self._port, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        return self.endpoint

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def client_environment(self) -> dict[str, str]:
        """What boto3 (and pynamodb) need to talk to this server instead of AWS."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }

    def activate(self) -> None:
        """Point this process's AWS clients at the server."""
        os.environ.update(self.client_environment())
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def client(service: str) -> Any:
    """A boto3 client for the local AWS, made once per service and endpoint: making one costs
    ~40 ms, more than the requests a test or a stack reset sends with it."""
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"))


@cache
def _client(service: str, endpoint: str | None) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


class _ItemBackups:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``. Within a
    TransactWriteItems (``touched`` set for this thread: table name -> keys as the request gives
    them), ``deepcopy(table)`` copies the table's item index and only the items named; anything
    else, or outside a transaction, is copied as usual."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def touched(self) -> dict[str, list[dict[str, Any]]] | None:
        return getattr(self._local, "touched", None)

    @touched.setter
    def touched(self, value: dict[str, list[dict[str, Any]]] | None) -> None:
        self._local.touched = value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.dynamo_type import DynamoType
        from moto.dynamodb.models.table import Table

        touched = self.touched
        if touched is None or type(value) is not Table or value.stream_shard is not None:
            return copy.deepcopy(value, memo)
        backup = copy.copy(value)
        backup.items = copy.copy(value.items)  # the defaultdict: same items, its own index
        for key in touched.get(value.name, []):
            hash_value = DynamoType(key[value.hash_key_attr])
            if value.range_key_attr is None:
                if hash_value in value.items:
                    backup.items[hash_value] = copy.deepcopy(value.items[hash_value])
                continue
            range_value = DynamoType(key[value.range_key_attr])
            inner = dict(value.items.get(hash_value, {}))
            if range_value in inner:
                inner[range_value] = copy.deepcopy(inner[range_value])
            backup.items[hash_value] = inner
        return backup


def _cheap_transaction_backups() -> None:
    from moto.dynamodb import models

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "local_aws", False):
        return
    original = backend.transact_write_items
    backups = _ItemBackups()
    models.copy = backups  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched: dict[str, list[dict[str, Any]]] = {}
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            attributes = op.get("Item") if op_type == "Put" else op.get("Key")
            keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
            if not isinstance(attributes, dict) or not all(k in attributes for k in keys):
                return original(self, transact_items)  # malformed: moto's own path and errors
            touched.setdefault(table.name, []).append(attributes)
        backups.touched = touched
        try:
            return original(self, transact_items)
        finally:
            backups.touched = None

    transact_write_items.local_aws = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def sent_emails() -> list[dict[str, Any]]:
    """Every raw email the embedded SES accepted, oldest first, as moto recorded it
    (``{"message_id", "source", "destinations", "raw"}``). The local AWS runs in this process,
    so this reads moto's own record of what the functions sent over HTTP."""
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT_ID][REGION]
    return [
        {
            "message_id": m.id,
            "source": m.source,
            "destinations": list(m.destinations),
            "raw": m.raw_data.encode("utf-8") if isinstance(m.raw_data, str) else m.raw_data,
        }
        for m in backend.sent_messages
        if hasattr(m, "raw_data")
    ]
