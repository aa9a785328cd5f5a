"""Where each document lives in the documents bucket. One place, so nobody guesses paths.

incoming/<path>           files dropped by the business (clients under incoming/clients/); sales
                          paid online, written by the stripe_webhook function, under
                          incoming/stripe/<Checkout Session id>.json
processed/<path>          a source file once its invoices exist
rejected/<path>           a source file refused whole
reports/<path>.errors.csv and reports/<path>.invoices.csv: why it was refused, what it made
invoices/<year>/          the issued documents: <number>.pdf (Factur-X) and <number>.xml (CII)
inbox/                    supplier invoices (SES inbound mail or uploads)

``<path>`` is the file's path under ``incoming/`` (``incoming/a/ventes.csv`` and
``incoming/b/ventes.csv`` stay apart). When a different upload of the same path already sits
at the destination (a monthly ``ventes.csv``), the upload time is added to the name
(``ventes.20261126T101502Z.csv``) so that nothing overwrites an earlier file or its report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath

from invoicing.domain.invoice import Invoice

INCOMING = "incoming/"
CLIENTS = "incoming/clients/"
#: Sales paid online (``invoicing.ingest.online_sale``); they end in processed/stripe/.
ONLINE_SALES = "incoming/stripe/"
INBOX = "inbox/"


def file_name(key: str) -> str:
    return PurePosixPath(key).name


def is_incoming(key: str) -> bool:
    """A file the business dropped: under incoming/, not the folder itself, no '..' games."""
    parts = PurePosixPath(key).parts
    return key.startswith(INCOMING) and len(parts) > 1 and ".." not in parts and not key.endswith("/")


def is_clients_file(key: str) -> bool:
    return key.startswith(CLIENTS)


def is_online_sale(key: str) -> bool:
    """A sale paid online, as the stripe_webhook function hands it to generate."""
    return key.startswith(ONLINE_SALES)


def online_sale(session_id: str) -> str:
    """Where the sale of a Checkout Session is written: ``incoming/stripe/<session id>.json``."""
    return f"{ONLINE_SALES}{session_id}.json"


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def relative(key: str, upload_stamp: str | None = None) -> str:
    """The path under incoming/, with the upload stamp before the extension when given."""
    path = PurePosixPath(key.removeprefix(INCOMING))
    if upload_stamp:
        path = path.with_name(f"{path.stem}.{upload_stamp}{path.suffix}")
    return str(path)


def processed(key: str, upload_stamp: str | None = None) -> str:
    return "processed/" + relative(key, upload_stamp)


def rejected(key: str, upload_stamp: str | None = None) -> str:
    return "rejected/" + relative(key, upload_stamp)


def error_report(key: str, upload_stamp: str | None = None) -> str:
    return f"reports/{relative(key, upload_stamp)}.errors.csv"


def summary_report(key: str, upload_stamp: str | None = None) -> str:
    return f"reports/{relative(key, upload_stamp)}.invoices.csv"


def invoice_pdf(invoice: Invoice) -> str:
    return f"invoices/{invoice.issue_date.year}/{invoice.number}.pdf"


def invoice_xml(invoice: Invoice) -> str:
    return f"invoices/{invoice.issue_date.year}/{invoice.number}.xml"
