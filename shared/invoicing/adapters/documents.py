"""The documents bucket (S3)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    data: bytes
    etag: str
    version_id: str | None


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


class DocumentStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self._s3 = client("s3")

    def size(self, key: str) -> int | None:
        """Size in bytes, or None when the object does not exist."""
        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def get(self, key: str) -> StoredObject | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return StoredObject(
            key, response["Body"].read(), response["ETag"].strip('"'), response.get("VersionId")
        )

    def put(self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None) -> None:
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, Metadata=metadata or {}
        )

    def move(self, source: str, destination: str) -> None:
        """Copy then delete: the bucket is versioned, so the original stays recoverable."""
        self._s3.copy_object(
            Bucket=self.bucket, Key=destination, CopySource={"Bucket": self.bucket, "Key": source}
        )
        self._s3.delete_object(Bucket=self.bucket, Key=source)

    def keys(self, prefix: str) -> Iterator[str]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item["Key"]
