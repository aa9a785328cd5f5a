"""The month's books for the accountant: sales, purchases and payments as an FEC file and as
entries their software imports directly, under ``exports/<YYYY-MM>/``.

- Sales (VE): every invoice and credit note issued in the month (``accounting.sales_entry``).
- Purchases (HA): every supplier invoice dated in the month that is ``ready`` or ``approved``
  (``accounting.purchase_entry``, on the account recorded with it). Those still waiting for the
  owner are left out and listed, so the accountant knows what is missing.
- Bank (BQ): every ledger entry of the month that moved money (payments received, refunds, lost
  chargebacks), on the client's 411 account when its invoice is known, else on 471.

Files: ``<SIREN>FEC<YYYYMMDD>.txt`` (article A.47 A-1 of the LPF, closing date = the month's last
day), ``ecritures-<YYYY-MM>.csv`` and ``XIMPORT.TXT`` (``documents.accounting_import``: Sage 50 /
Ciel, EBP, QuickBooks; see docs/accounting-import.md), and ``lisez-moi.txt``: what is in them and
what was left out, and why. Run monthly by the schedule (the previous month, on the 1st) and on
demand (``invoicing export``); running it again rewrites the month's files from the data as it
is then (a late approval is included the next time).

Cost: the month's invoices are found by reading the invoices table (``InvoiceRepository.all``)
and the payments by a Scan of the ledger: fine for the thousands of documents a year of a small
business; a by-month index would be the next step for more.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.supplier_invoices import State, StoredSupplierInvoice, SupplierInvoices
from invoicing.domain.accounting import (
    AccountingError,
    JournalEntry,
    Movement,
    Purchase,
    bank_entry,
    purchase_entry,
    sales_entry,
    supplier_key,
)
from invoicing.domain.invoice import Invoice
from invoicing.domain.ledger import Entry
from invoicing.domain.text import quoted
from invoicing.settings import OcrSettings

EXPORTS_PREFIX = "exports/"
_MONTH = re.compile(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Exported:
    month: str
    keys: tuple[str, ...]
    sales: int
    purchases: int
    bank: int
    #: What was left out, one line each (document and why).
    left_out: tuple[str, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)


def month_bounds(month: str) -> tuple[date, date]:
    """``YYYY-MM`` (exactly: four digits, a dash, two) -> its first and last day."""
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise ValueError(f"a month is written YYYY-MM (2026-11), not {quoted(str(month), 20)!r}")
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    return first, date(year, number, calendar.monthrange(year, number)[1])


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    last = date.fromordinal(first.toordinal() - 1)
    return f"{last:%Y-%m}"


def supplier_ref(name: str, identifier: str | None) -> str:
    """The supplier's auxiliary account: the first 6 letters and digits of its name, as Ciel and
    Sage 50 users number them, and 2 characters drawn from its SIREN (else its VAT id, else its
    name), so that two suppliers named alike keep two accounts (``401PAPETE3K``: the 11
    characters XIMPORT holds). The same supplier always gets the same code."""
    letters = supplier_key(name).replace(" ", "").upper()[:6] or "FOURN"
    source = (identifier or supplier_key(name)).encode()
    value = int.from_bytes(hashlib.sha256(source).digest()[:4], "big") % (36 * 36)
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters + digits[value // 36] + digits[value % 36]


def purchase_of(stored: StoredSupplierInvoice) -> Purchase:
    """What the purchases journal needs of a booked supplier invoice (``AccountingError`` when
    something it needs was not read)."""
    inv = stored.invoice
    if inv.issue_date is None or inv.total_excl_tax is None or inv.total_incl_tax is None:
        raise AccountingError("its date or totals are missing")
    if stored.account is None:
        raise AccountingError("it has no purchase account")
    name = inv.supplier_name or "Fournisseur"
    ref = supplier_ref(name, inv.supplier_siren or (inv.supplier_siret or "")[:9] or inv.supplier_vat_id)
    tax = inv.total_tax or Decimal(0)
    rates = tuple((v.rate, abs(v.tax)) for v in inv.vat if v.tax)
    if not rates or sum((t for _, t in rates), Decimal(0)) != abs(tax):
        rates = ((None, abs(tax)),) if tax else ()
    return Purchase(
        supplier_ref=ref or "FOURNISSEUR",
        supplier_name=name,
        number=inv.invoice_number or stored.short_id,
        issue_date=inv.issue_date,
        total_excl_tax=abs(inv.total_excl_tax),
        total_incl_tax=abs(inv.total_incl_tax),
        vat=rates,
        account=stored.account,
        credit_note=inv.credit_note or inv.total_incl_tax < 0,
        currency=inv.currency or "EUR",
    )


class AccountingExport:
    def __init__(
        self,
        *,
        documents: DocumentStore,
        invoices: Callable[[], Iterable[Invoice]],
        payments: Callable[[], Iterable[Entry]] | None,
        suppliers: SupplierInvoices | None,
        siren: str,
        invoice_of: Callable[[str], Invoice | None] | None = None,
    ) -> None:
        self.documents = documents
        self.invoices = invoices
        self.payments = payments
        self.suppliers = suppliers
        self.siren = siren
        self.invoice_of = invoice_of

    @classmethod
    def from_settings(cls, settings: OcrSettings) -> AccountingExport:
        from invoicing.adapters.invoices import InvoiceRepository
        from invoicing.adapters.payments import PaymentLedger

        resources = settings.resources
        if resources is None or not settings.business_siret:
            raise ValueError("the accounting export needs the tables and the business's SIRET")
        repository = InvoiceRepository(resources)
        ledger = PaymentLedger(resources.payments_table) if resources.payments_table else None

        def invoice_of(invoice_id: str) -> Invoice | None:
            stored = repository.get(invoice_id)
            return stored.invoice if stored else None

        return cls(
            documents=DocumentStore(settings.documents_bucket),
            invoices=lambda: (stored.invoice for stored in repository.all()),
            payments=ledger.all if ledger else None,
            suppliers=(
                SupplierInvoices(resources.supplier_invoices_table)
                if resources.supplier_invoices_table
                else None
            ),
            siren=settings.business_siret[:9],
            invoice_of=invoice_of,
        )

    def month(self, month: str) -> Exported:
        from invoicing.documents.accounting_import import ImportFileError, write_entries_csv, write_ximport
        from invoicing.documents.fec import fec_file_name, write_fec

        first, last = month_bounds(month)
        left_out: list[str] = []
        entries: list[JournalEntry] = []
        by_id: dict[str, Invoice] = {}

        sales = 0
        for invoice in self.invoices():
            by_id[invoice.invoice_id] = invoice
            if not (first <= invoice.issue_date <= last) or not invoice.totals.grand_total:
                continue
            try:
                entries.append(sales_entry(invoice))
                sales += 1
            except AccountingError as exc:
                left_out.append(f"vente {invoice.number} : {exc}")

        purchases = 0
        if self.suppliers is not None:
            # Documents Textract is still reading have no date yet: named whatever the month.
            for stored in self.suppliers.in_state(State.READING):
                left_out.append(
                    f"achat {stored.file_name} ({stored.short_id}) : en cours de lecture depuis "
                    f"{stored.received_at:%d/%m/%Y %H:%M}"
                )
            for stored in self.suppliers.of_month(month):
                what = f"achat {stored.invoice.invoice_number or stored.file_name} ({stored.short_id})"
                if not stored.state.booked:
                    left_out.append(f"{what} : {stored.state.value}, en attente de validation")
                    continue
                try:
                    entries.append(purchase_entry(purchase_of(stored)))
                    purchases += 1
                except AccountingError as exc:
                    left_out.append(f"{what} : {exc}")

        bank = 0
        for entry in self.payments() if self.payments is not None else ():
            if not (first <= entry.on <= last):
                continue
            invoice = by_id.get(entry.invoice_id or "") if entry.invoice_id else None
            if invoice is None and entry.invoice_id and self.invoice_of is not None:
                invoice = self.invoice_of(entry.invoice_id)
            movement = Movement(
                entry,
                invoice.number if invoice else None,
                invoice.buyer.ref if invoice else None,
                invoice.buyer.name if invoice else "",
            )
            try:
                posted = bank_entry(movement)
            except AccountingError as exc:
                left_out.append(f"règlement {entry.entry_id} : {exc}")
                continue
            if posted is not None:
                entries.append(posted)
                bank += 1

        prefix = f"{EXPORTS_PREFIX}{month}/"
        files = {
            fec_file_name(self.siren, last): write_fec(entries, validated_on=last),
            f"ecritures-{month}.csv": write_entries_csv(entries),
        }
        try:
            files["XIMPORT.TXT"] = write_ximport(entries)
        except ImportFileError as exc:  # a client ref too long for its 11 characters, say
            # Written empty rather than left as an earlier run wrote it, with other entries.
            files["XIMPORT.TXT"] = b""
            left_out.append(f"XIMPORT.TXT (Sage 50 / Ciel) vide : {exc}")
        summary = [
            f"Écritures de {month} ({first:%d/%m/%Y} – {last:%d/%m/%Y})",
            f"Ventes (VE) : {sales}   Achats (HA) : {purchases}   Banque (BQ) : {bank}",
            "",
            *(f"{name}" for name in files),
            "",
            "Laissé de côté :" if left_out else "Rien n'a été laissé de côté.",
            *(f"- {line}" for line in left_out),
        ]
        files["lisez-moi.txt"] = ("\r\n".join(summary) + "\r\n").encode("utf-8")
        types = {".txt": "text/plain; charset=iso-8859-15", ".csv": "text/csv; charset=windows-1252"}
        keys = []
        for name, data in files.items():
            content_type = (
                "text/plain; charset=utf-8" if name == "lisez-moi.txt" else types[name[-4:].lower()]
            )
            self.documents.put(prefix + name, data, content_type)
            keys.append(prefix + name)
        return Exported(month, tuple(keys), sales, purchases, bank, tuple(left_out), files)
