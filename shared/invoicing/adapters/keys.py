"""Where each document lives in the documents bucket. One place, so nobody guesses paths.

incoming/            files dropped by the business (sales exports; clients under incoming/clients/)
processed/<name>     a source file once its invoices exist
rejected/<name>      a source file refused whole; its report is reports/<name>.errors.csv
reports/             error reports and per-file summaries
invoices/<year>/     the issued documents: <number>.pdf (Factur-X) and <number>.xml (CII)
inbox/               supplier invoices (SES inbound mail or uploads)
"""

from __future__ import annotations

from pathlib import PurePosixPath

from invoicing.domain.invoice import Invoice

INCOMING = "incoming/"
CLIENTS = "incoming/clients/"
INBOX = "inbox/"


def file_name(key: str) -> str:
    return PurePosixPath(key).name


def is_clients_file(key: str) -> bool:
    return key.startswith(CLIENTS)


def processed(key: str) -> str:
    prefix = "processed/clients/" if is_clients_file(key) else "processed/"
    return prefix + file_name(key)


def rejected(key: str) -> str:
    prefix = "rejected/clients/" if is_clients_file(key) else "rejected/"
    return prefix + file_name(key)


def error_report(key: str) -> str:
    return f"reports/{file_name(key)}.errors.csv"


def summary_report(key: str) -> str:
    return f"reports/{file_name(key)}.invoices.csv"


def invoice_pdf(invoice: Invoice) -> str:
    return f"invoices/{invoice.issue_date.year}/{invoice.number}.pdf"


def invoice_xml(invoice: Invoice) -> str:
    return f"invoices/{invoice.issue_date.year}/{invoice.number}.xml"
