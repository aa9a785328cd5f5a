"""The documents bucket (S3).

Objects a notification names are read, copied and deleted by the exact version it names:
an upload made after the event (to the same key) is another event, handled on its own, and
never replaces the one being processed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client

_MISSING = ("NoSuchKey", "NoSuchVersion", "404", "NotFound")


class SourceGone(LookupError):
    """The version to move is no longer there (another delivery moved it)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    version_id: str | None
    last_modified: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    data: bytes
    etag: str
    version_id: str | None
    last_modified: datetime | None = None


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return (
        error.get("Code") in _MISSING or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
    )


def _version(version_id: str | None) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


class DocumentStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._s3 = client("s3")

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo | None:
        """What S3 knows of an object (or of one version of it), or None when it is gone."""
        try:
            r = self._s3.head_object(Bucket=self.bucket, Key=key, **_version(version_id))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return ObjectInfo(
            key,
            int(r["ContentLength"]),
            r["ETag"].strip('"'),
            r.get("VersionId"),
            r.get("LastModified"),
            dict(r.get("Metadata") or {}),
        )

    def size(self, key: str) -> int | None:
        """Size in bytes, or None when the object does not exist."""
        info = self.head(key)
        return None if info is None else info.size

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key, **_version(version_id))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return StoredObject(
            key,
            response["Body"].read(),
            response["ETag"].strip('"'),
            response.get("VersionId"),
            response.get("LastModified"),
        )

    def put(
        self,
        key: str,
        data: bytes,
        content_type: str,
        metadata: dict[str, str] | None = None,
        *,
        locked_until: date | None = None,
    ) -> None:
        """Store an object; ``locked_until`` locks this version against deletion and overwriting
        until that day (S3 Object Lock, governance mode: only a privileged override lifts it)."""
        lock = (
            {
                "ObjectLockMode": "GOVERNANCE",
                "ObjectLockRetainUntilDate": datetime.combine(locked_until, time(), tzinfo=UTC),
            }
            if locked_until
            else {}
        )
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, Metadata=metadata or {}, **lock
        )

    def move(self, source: str, destination: str, *, version_id: str | None = None) -> None:
        """Copy one version of ``source`` to ``destination``, then delete exactly that version:
        a later upload to ``source`` is left in place for its own event."""
        copy_source = {"Bucket": self.bucket, "Key": source, **_version(version_id)}
        try:
            self._s3.copy_object(Bucket=self.bucket, Key=destination, CopySource=copy_source)
        except ClientError as exc:
            if _missing(exc):
                raise SourceGone(f"{source} ({version_id or 'current'}) is gone") from exc
            raise
        self._s3.delete_object(Bucket=self.bucket, Key=source, **_version(version_id))

    def notified(self, key: str, version_id: str | None, etag: str) -> ObjectInfo | None:
        """The exact upload an S3 notification names: its version, else the newest version with
        its eTag; None when it is gone (moved by an earlier delivery of the same event, or
        removed). A version whose eTag is not the notified one is an error, not a guess."""
        version = version_id
        if version is None and etag:
            version = self.version_with_etag(key, etag)
            if version is None:
                return None
        info = self.head(key, version)
        if info is not None and etag and info.etag != etag:
            raise RuntimeError(f"{key} version {version}: eTag {info.etag} is not the notified {etag}")
        return info

    def version_with_etag(self, key: str, etag: str) -> str | None:
        """The newest version of ``key`` whose content has ``etag`` (for notifications that
        name the eTag but not the version), or None when no such version is left."""
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            for version in page.get("Versions", ()):  # newest first
                if version["Key"] == key and version["ETag"].strip('"') == etag:
                    return version.get("VersionId")
        return None

    def etags(self, prefix: str) -> dict[str, str]:
        """Every object under ``prefix`` with its ETag (what changed since the last look)."""
        found = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                found[item["Key"]] = item["ETag"].strip('"')
        return found

    def keys(self, prefix: str) -> Iterator[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item["Key"]
