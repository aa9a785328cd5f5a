"""The business's own accounts for its suppliers: ``config/supplier-accounts.csv``.

A CSV (``;`` or ``,``, UTF-8 or Windows-1252, read by ``ingest.table`` like every other file)
with the columns ``fournisseur`` (a SIREN, or the supplier's name as it appears on its
invoices: case, accents and punctuation do not matter), ``compte`` (a PCG account: 3 digits at
least, ``6064``, ``6132``…) and optionally ``libelle`` (the account's label). A row that cannot be
used is left out and said (row, column, value, reason); the others apply. What the file does
not name goes to the keyword defaults (``accounting.DEFAULT_PURCHASE_RULES``), then to 471.
"""

from __future__ import annotations

from invoicing.domain.accounting import Account, AccountingError, PurchaseAccounts
from invoicing.domain.problems import InputRejected, Problem
from invoicing.ingest.table import read_table

KEY = "config/supplier-accounts.csv"
MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
_SUPPLIER = ("fournisseur", "supplier", "siren", "nom")
_ACCOUNT = ("compte", "account", "compte de charge")
_LABEL = ("libelle", "libellé", "label", "intitule", "intitulé")


def read_supplier_accounts(data: bytes) -> tuple[PurchaseAccounts, list[Problem]]:
    problems: list[Problem] = []
    try:
        table = read_table(data, KEY, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except InputRejected as exc:
        return PurchaseAccounts(), list(exc.problems)
    header = [h.strip().casefold() for h in table.headers]

    def column(names: tuple[str, ...]) -> int | None:
        for index, name in enumerate(header):
            if name in names:
                return index
        return None

    supplier_at, account_at, label_at = column(_SUPPLIER), column(_ACCOUNT), column(_LABEL)
    if supplier_at is None or account_at is None:
        missing = "fournisseur" if supplier_at is None else "compte"
        return PurchaseAccounts(), [
            Problem("missing_column", column=missing, params={"column": missing, "aliases": missing})
        ]
    mapping: dict[str, Account] = {}
    for line in table.rows:
        number, row = line.number, line.cells
        supplier = row[supplier_at].strip() if supplier_at < len(row) else ""
        account = row[account_at].strip() if account_at < len(row) else ""
        label = row[label_at].strip() if label_at is not None and label_at < len(row) else ""
        if not supplier and not account:
            continue
        if not supplier:
            problems.append(Problem("required", row=number, column="fournisseur"))
            continue
        try:
            mapping[supplier] = Account(account.replace(" ", ""), label or account)
        except AccountingError:
            problems.append(Problem("bad_account", row=number, column="compte", value=account))
    try:
        return PurchaseAccounts(mapping), problems
    except AccountingError as exc:
        return PurchaseAccounts(), [*problems, Problem("required", column="fournisseur", value=str(exc))]
