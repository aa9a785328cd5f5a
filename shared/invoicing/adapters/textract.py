"""Amazon Textract AnalyzeExpense: reading a supplier document that sits in the documents bucket.

Two ways, chosen by ``needs_async`` from the document's type, size and page count (Textract's
quotas): an image, or a one-page PDF or TIFF, of at most 10 MB is read synchronously
(``analyze``: AnalyzeExpense on the S3 object version); a longer PDF or TIFF (or a one-page one
over 10 MB, up to 500 MB and 3,000 pages) is started (``start``: StartExpenseAnalysis, whose end
Textract announces on the SNS topic, read by ``invoicing.ingest.textract_expense.
textract_completion``) and its pages fetched afterwards (``results``: GetExpenseAnalysis,
following NextToken). Both return the raw responses; ``invoicing.ingest.textract_expense.
expense_to_invoice`` maps them.

Errors, so the caller's queue does the right thing:

- Textract too busy (throttling, provisioned throughput, too many jobs, an internal error) is
  ``TextractBusy`` once the client's own retries are spent: raise it, the SQS message comes back.
- A document Textract will never read (unsupported format, bad or corrupt document, too large) is
  ``DocumentRefused`` with the reason: retrying changes nothing; keep the document and report it.
- A job still running is ``AnalysisInProgress`` (retry later); a job that failed is
  ``AnalysisFailed`` with Textract's message. A job that read only some pages
  (PARTIAL_SUCCESS) returns what was read, its warnings logged and kept in the responses.
- Everything else (access denied, an invalid parameter: a deployment error) propagates as
  botocore's ``ClientError``.

``start`` is idempotent: the same ``request_token`` (the document hash's first 64 characters)
gives back the same job instead of a second analysis when a message is delivered twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client

logger = logging.getLogger(__name__)

#: Largest document AnalyzeExpense reads synchronously, and largest image at all.
SYNC_MAX_BYTES = 10 * 1024 * 1024
#: Largest PDF or TIFF StartExpenseAnalysis reads, and its page limit.
ASYNC_MAX_BYTES = 500 * 1024 * 1024
ASYNC_MAX_PAGES = 3000
#: GetExpenseAnalysis page size (its maximum) and the most result pages followed for one job.
RESULTS_PAGE = 20
MAX_RESULT_PAGES = 500

_IMAGES = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png"})
_PAGED = frozenset({"application/pdf", "application/x-pdf", "image/tiff", "image/tif"})
_RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "InternalServerError",
    }
)
_REFUSED = {
    "UnsupportedDocumentException": "Textract does not support this document's format",
    "BadDocumentException": "Textract cannot read this document (damaged, encrypted or not a document)",
    "DocumentTooLargeException": "the document is too large for Textract",
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TAG = re.compile(r"[A-Za-z0-9_.\-:]{1,64}")


class DocumentRefused(Exception):
    """Textract will not read this document; retrying changes nothing."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TextractBusy(RuntimeError):
    """Textract is throttling or briefly failing: retry the message later."""


class AnalysisInProgress(RuntimeError):
    """The asynchronous analysis has not finished: fetch its results later."""


class AnalysisFailed(RuntimeError):
    """Textract ended the asynchronous analysis in failure."""


def needs_async(content_type: str, size: int, pages: int | None) -> bool:
    """Whether the document goes through StartExpenseAnalysis rather than AnalyzeExpense.

    ``pages`` None means unknown (a PDF not yet opened): asynchronous, which reads any length.
    Raises ``DocumentRefused`` for what Textract reads neither way (an image over 10 MB, a PDF
    over 500 MB or 3,000 pages, another format).
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in _IMAGES:
        if size > SYNC_MAX_BYTES:
            raise DocumentRefused(f"the image is {size} bytes; Textract reads images of at most 10 MB")
        return False
    if kind in _PAGED:
        if size > ASYNC_MAX_BYTES:
            raise DocumentRefused(f"the document is {size} bytes; Textract reads at most 500 MB")
        if pages is not None and pages > ASYNC_MAX_PAGES:
            raise DocumentRefused(f"the document has {pages} pages; Textract reads at most {ASYNC_MAX_PAGES}")
        return not (pages == 1 and size <= SYNC_MAX_BYTES)
    raise DocumentRefused(
        f"Textract reads PDF, TIFF, JPEG and PNG documents, not {kind or 'an unknown type'}"
    )


class ExpenseReader:
    """AnalyzeExpense (sync) and StartExpenseAnalysis / GetExpenseAnalysis (async) on S3 objects."""

    def __init__(self, textract: Any | None = None) -> None:
        self._given = textract

    @property
    def _textract(self) -> Any:
        return self._given if self._given is not None else client("textract")

    def analyze(self, bucket: str, key: str, version_id: str | None = None) -> list[dict[str, Any]]:
        """AnalyzeExpense on the object (that version): the one response, in a list like ``results``."""
        with _errors("AnalyzeExpense"):
            response = self._textract.analyze_expense(
                Document={"S3Object": _s3_object(bucket, key, version_id)}
            )
        return [response]

    def start(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        *,
        topic_arn: str,
        role_arn: str,
        job_tag: str,
        request_token: str,
    ) -> str:
        """StartExpenseAnalysis, announced on ``topic_arn``: the job id (the same one for the same token)."""
        token = request_token[:64]
        if not _TOKEN.fullmatch(token):
            raise ValueError("request_token must be letters, digits, '-' or '_' (the document hash)")
        if not _TAG.fullmatch(job_tag):
            raise ValueError(f"job_tag {job_tag[:80]!r}: 1 to 64 letters, digits or _.-: only")
        with _errors("StartExpenseAnalysis"):
            answer = self._textract.start_expense_analysis(
                DocumentLocation={"S3Object": _s3_object(bucket, key, version_id)},
                ClientRequestToken=token,
                JobTag=job_tag,
                NotificationChannel={"SNSTopicArn": topic_arn, "RoleArn": role_arn},
            )
        return str(answer["JobId"])

    def results(self, job_id: str) -> list[dict[str, Any]]:
        """Every page of GetExpenseAnalysis for a finished job."""
        pages: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_RESULT_PAGES):
            request: dict[str, Any] = {"JobId": job_id, "MaxResults": RESULTS_PAGE}
            if token:
                request["NextToken"] = token
            with _errors("GetExpenseAnalysis"):
                page = self._textract.get_expense_analysis(**request)
            status = page.get("JobStatus")
            if status == "IN_PROGRESS":
                raise AnalysisInProgress(f"Textract job {job_id} is still running")
            if status == "FAILED":
                raise AnalysisFailed(
                    f"Textract job {job_id} failed: {page.get('StatusMessage') or 'no reason given'}"
                )
            if status == "PARTIAL_SUCCESS" and not pages:
                logger.warning(
                    "Textract job %s read only part of the document: %s (%s)",
                    job_id,
                    page.get("StatusMessage"),
                    page.get("Warnings"),
                )
            pages.append(page)
            next_token = page.get("NextToken")
            if not next_token or next_token == token:
                return pages
            token = next_token
        raise AnalysisFailed(f"Textract job {job_id} has more than {MAX_RESULT_PAGES} pages of results")


def _s3_object(bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    location = {"Bucket": bucket, "Name": key}
    if version_id:
        location["Version"] = version_id
    return location


@contextmanager
def _errors(operation: str) -> Iterator[None]:
    """Textract's errors as this module's: busy (retry), refused (do not), the rest as they are."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code") or "")
        message = str(error.response.get("Error", {}).get("Message") or "")
        if code in _RETRYABLE:
            raise TextractBusy(f"{operation}: {code} ({message}); retry later") from error
        if code in _REFUSED:
            raise DocumentRefused(_REFUSED[code] + (f": {message}" if message else ""), code) from error
        raise
