"""Issued documents are locked for their legal retention (S3 Object Lock, governance mode),
unless the stack turns it off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from invoicing.adapters.invoices import InvoiceRepository
from tests.conftest import sales_csv


@pytest.fixture
def stored(runtime, bucket, resources, with_clients):
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;"]))
    runtime.run_until_idle()
    (item,) = InvoiceRepository(resources).all()
    return item


def test_an_issued_pdf_and_its_xml_cannot_be_deleted_for_4018_days(bucket, stored) -> None:
    for key in (stored.pdf_key, stored.xml_key):
        head = bucket.s3.head_object(Bucket=bucket.name, Key=key)
        assert head["ObjectLockMode"] == "GOVERNANCE"
        assert head["ObjectLockRetainUntilDate"].date() == stored.invoice.issue_date + timedelta(days=4018)
        with pytest.raises(ClientError) as refused:
            bucket.s3.delete_object(Bucket=bucket.name, Key=key, VersionId=head["VersionId"])
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        assert bucket.get(key)


@pytest.mark.stack_parameters(InvoiceObjectLock="Disabled")
def test_without_object_lock_documents_are_stored_plainly(bucket, stored) -> None:
    head = bucket.s3.head_object(Bucket=bucket.name, Key=stored.pdf_key)
    assert "ObjectLockMode" not in head


def test_working_files_stay_deletable(bucket, stored) -> None:
    """Only invoices/ is locked: processed/ and reports/ follow their lifecycle."""
    (processed,) = bucket.keys("processed/ventes")
    head = bucket.s3.head_object(Bucket=bucket.name, Key=processed)
    assert "ObjectLockMode" not in head
    bucket.s3.delete_object(Bucket=bucket.name, Key=processed, VersionId=head["VersionId"])
    assert bucket.keys("processed/ventes") == []
