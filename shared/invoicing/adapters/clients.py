"""The clients table: upserted from the clients file, read when a sales file is processed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from invoicing.adapters.records import models
from invoicing.domain.codec import client_from_dict, client_to_dict
from invoicing.domain.parties import Client
from invoicing.settings import Resources


def client_key(ref: str) -> str:
    """Client references match case-insensitively: ``c001`` in a sales file is client ``C001``."""
    return ref.strip().upper()


class ClientRepository:
    def __init__(
        self, resources: Resources, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._Client = models(resources).ClientRecord
        self._clock = clock

    def upsert(self, clients: Iterable[Client], *, source_key: str | None = None) -> int:
        """Create or replace each client; clients not in ``clients`` are left as they are."""
        now = self._clock().isoformat(timespec="seconds")
        count = 0
        with self._Client.batch_write() as batch:
            for client in clients:
                batch.save(
                    self._Client(
                        client_key(client.ref),
                        document=json.dumps(client_to_dict(client), ensure_ascii=False),
                        updated_at=now,
                        source_key=source_key,
                    )
                )
                count += 1
        return count

    def get(self, ref: str) -> Client | None:
        """One client by reference (case-insensitive), as last upserted."""
        try:
            record = self._Client.get(client_key(ref), consistent_read=True)
        except self._Client.DoesNotExist:
            return None
        return client_from_dict(json.loads(record.document))

    def all(self) -> dict[str, Client]:
        """Every client by reference. A small business has hundreds, not millions."""
        return {
            client.ref: client
            for client in (
                client_from_dict(json.loads(r.document)) for r in self._Client.scan(consistent_read=True)
            )
        }
