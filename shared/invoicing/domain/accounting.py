"""Accounting entries of our own data: the sales journal (VE) from issued invoices and credit
notes, the bank journal (BQ) from the payments ledger, and the accounts of purchases.

Pure and typed: no storage, no AWS. An entry (``JournalEntry``) is a dated document posted in
one journal as lines (``JournalLine``) on accounts of the Plan comptable général; an entry that
does not balance (total debit = total credit, to the cent) cannot be built: ``UnbalancedEntry``.
The FEC file is written from these entries by ``invoicing.documents.fec``, which also numbers
them (``EcritureNum``).

Accounts (PCG, three digits at least, general accounts; the client is the *auxiliary* account
``CompAuxNum`` on 411, its ref as in the clients file):

- Sales (VE): an invoice debits 411 <client> with its total incl. VAT, credits 706 (services)
  or 707 (goods) with its total excl. VAT *per VAT row* (``Totals.breakdown``: one line per
  rate, and one per zero-VAT treatment: reverse charge, intra-EU, export, franchise), and
  credits 44571 with the VAT of each rate. A credit note posts the same lines reversed. The
  revenue account follows the seller's ``OperationCategory``; a MIXED seller gets 706 unless
  the caller names the account (a line does not say whether it is goods or services).
- Bank (BQ): a succeeded payment debits 512 and credits 411 <client>; a refund and a lost
  chargeback post the reverse. Pending and failed payments, open and won disputes move no money
  in the books and give no entry. A payment whose invoice nobody knows is credited to 471
  (compte d'attente) for the accountant to allocate.
- Purchases: ``PurchaseAccounts`` gives the 6xx account of a supplier invoice: the business's
  own mapping per supplier wins, then defaults by keyword (6064 fournitures, 6132 loyers, 6226
  honoraires, 6251 voyages…), then 471 to classify.

Amounts are ``Decimal`` euros with two places; a non-euro document is refused (the FEC's
``Montantdevise``/``Idevise`` need the euro value the ledger does not hold).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from invoicing.domain.invoice import Invoice
from invoicing.domain.ledger import Entry, Kind, State
from invoicing.domain.money import CENT, ZERO
from invoicing.domain.parties import OperationCategory
from invoicing.domain.vat import VatCategory


class AccountingError(ValueError):
    """Data that cannot be posted: the message says which document and why."""


class UnbalancedEntry(AccountingError):
    """An entry whose debits and credits differ."""


@dataclass(frozen=True, slots=True)
class Journal:
    code: str
    label: str


SALES = Journal("VE", "Journal des ventes")
BANK = Journal("BQ", "Journal de banque")
PURCHASES = Journal("HA", "Journal des achats")

_ACCOUNT = re.compile(r"^[0-9]{3}[0-9A-Z]*$")


def _money(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise AccountingError(f"{what} must be a Decimal, not {value!r}")
    if value < 0:
        raise AccountingError(f"{what} cannot be negative ({value})")
    if value != value.quantize(CENT):
        raise AccountingError(f"{what} has fractions of a cent ({value})")
    return value.quantize(CENT)


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of an entry: an amount on one side of one account (FEC fields 5 to 8, 11 to 18)."""

    account: str  # CompteNum
    account_label: str  # CompteLib
    label: str  # EcritureLib
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    auxiliary: str = ""  # CompAuxNum: the client's or supplier's ref
    auxiliary_label: str = ""  # CompAuxLib
    lettering: str = ""  # EcritureLet
    lettered_on: date | None = None  # DateLet
    foreign_amount: Decimal | None = None  # Montantdevise
    currency: str = ""  # Idevise

    def __post_init__(self) -> None:
        if not _ACCOUNT.match(self.account):
            raise AccountingError(f"an account number starts with 3 digits of the PCG, not {self.account!r}")
        object.__setattr__(self, "debit", _money(self.debit, "debit"))
        object.__setattr__(self, "credit", _money(self.credit, "credit"))
        if (self.debit == 0) == (self.credit == 0):
            raise AccountingError(
                f"a line is a debit or a credit, not {self.debit} and {self.credit} ({self.label!r})"
            )
        if bool(self.auxiliary) != bool(self.auxiliary_label):
            raise AccountingError("an auxiliary account needs its number and its label")
        if bool(self.lettering) != (self.lettered_on is not None):
            raise AccountingError("a lettering code goes with its date")
        if (self.foreign_amount is None) != (not self.currency):
            raise AccountingError("an amount in currency goes with its currency code")

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A document posted in a journal: balanced by construction."""

    journal: Journal
    date: date  # EcritureDate
    document_ref: str  # PieceRef
    document_date: date  # PieceDate
    lines: tuple[JournalLine, ...]
    number: str = ""  # EcritureNum, given when the file is written (invoicing.documents.fec)
    validated_on: date | None = None  # ValidDate; the file's default when None

    def __post_init__(self) -> None:
        if not self.document_ref.strip():
            raise AccountingError("an entry needs its document reference (PieceRef)")
        if len(self.lines) < 2:
            raise AccountingError(f"entry {self.document_ref} needs two lines at least")
        check_balanced(self)

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def check_balanced(entries: JournalEntry | Iterable[JournalEntry]) -> Decimal:
    """Every entry's debit equals its credit, to the cent (and so do the totals): the total
    debit, or ``UnbalancedEntry`` naming the first entry that is not."""
    many = (entries,) if isinstance(entries, JournalEntry) else tuple(entries)
    total_debit = total_credit = ZERO
    for entry in many:
        debit, credit = entry.debit, entry.credit
        if debit != credit:
            raise UnbalancedEntry(
                f"entry {entry.journal.code} {entry.number or entry.document_ref} "
                f"of {entry.date.isoformat()} does not balance: debit {debit}, credit {credit} "
                f"(difference {debit - credit})"
            )
        total_debit += debit
        total_credit += credit
    if total_debit != total_credit:  # cannot happen when every entry balances; kept as the file's check
        raise UnbalancedEntry(f"the entries do not balance: debit {total_debit}, credit {total_credit}")
    return total_debit


# --- sales -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SalesAccounts:
    receivable: str = "411"
    services: str = "706"
    goods: str = "707"
    vat_collected: str = "44571"


_RECEIVABLE_LABEL = "Clients"
_REVENUE_LABELS = {"706": "Prestations de services", "707": "Ventes de marchandises"}
_ZERO_VAT_LABELS = {
    VatCategory.REVERSE_CHARGE: "autoliquidation",
    VatCategory.INTRA_EU: "livraison intracommunautaire",
    VatCategory.EXPORT: "exportation",
    VatCategory.EXEMPT: "exonéré",
    VatCategory.ZERO_RATED: "taux zéro",
    VatCategory.OUT_OF_SCOPE: "hors champ",
}


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",") + " %"


def revenue_account(invoice: Invoice, accounts: SalesAccounts = SalesAccounts()) -> str:
    """706 for services (and mixed sellers), 707 for goods: the seller's operation category."""
    if invoice.seller.operation_category is OperationCategory.GOODS:
        return accounts.goods
    return accounts.services


#: (account, account label, line label, amount: positive debit / negative credit, aux, aux label)
_Row = tuple[str, str, str, Decimal, str, str]


def _signed_lines(rows: list[_Row], *, reverse: bool) -> tuple[JournalLine, ...]:
    """Journal lines of ``rows`` (amounts of zero left out); ``reverse`` (a credit note) swaps
    every debit and credit."""
    sign = -1 if reverse else 1
    return tuple(
        JournalLine(
            account=number,
            account_label=label,
            label=line_text,
            debit=max(sign * amount, ZERO),
            credit=max(-sign * amount, ZERO),
            auxiliary=aux,
            auxiliary_label=aux_label,
        )
        for number, label, line_text, amount, aux, aux_label in rows
        if amount
    )


def sales_entry(
    invoice: Invoice, *, accounts: SalesAccounts = SalesAccounts(), revenue: str | None = None
) -> JournalEntry:
    """The sales-journal entry of an issued invoice or credit note (``revenue`` overrides the
    706/707 choice). An invoice of zero posts nothing: ``AccountingError``."""
    if invoice.currency != "EUR":
        raise AccountingError(f"{invoice.number} is in {invoice.currency}: only euro documents are posted")
    totals = invoice.totals
    client = invoice.buyer
    account = revenue or revenue_account(invoice, accounts)
    account_label = _REVENUE_LABELS.get(account[:3], "Ventes")
    what = "Avoir" if invoice.is_credit_note else "Facture"
    text = f"{what} {invoice.number} {client.name}"
    rows: list[_Row] = [
        (accounts.receivable, _RECEIVABLE_LABEL, text, totals.grand_total, client.ref, client.name)
    ]
    for row in totals.breakdown:
        if row.vat.category is VatCategory.STANDARD:
            basis_label = f"{account_label} TVA {_rate(row.vat.rate)}"
        else:
            basis_label = f"{account_label} {_ZERO_VAT_LABELS[row.vat.category]}"
        rows.append((account, basis_label, f"{text} HT", -row.basis, "", ""))
        if row.amount:
            vat_label = f"TVA collectée {_rate(row.vat.rate)}"
            rows.append((accounts.vat_collected, vat_label, f"{text} TVA", -row.amount, "", ""))
    lines = _signed_lines(rows, reverse=invoice.is_credit_note)
    if not lines:
        raise AccountingError(f"{invoice.number} is of zero: nothing to post")
    return JournalEntry(SALES, invoice.issue_date, invoice.number, invoice.issue_date, lines)


def sales_journal(
    invoices: Iterable[Invoice], *, accounts: SalesAccounts = SalesAccounts(), revenue: str | None = None
) -> tuple[JournalEntry, ...]:
    """The entries of the given invoices and credit notes, in date then number order (documents
    of zero skipped)."""
    ordered = sorted(invoices, key=lambda inv: (inv.issue_date, inv.number))
    return tuple(
        sales_entry(inv, accounts=accounts, revenue=revenue) for inv in ordered if inv.totals.grand_total
    )


# --- bank ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankAccounts:
    bank: str = "512"
    receivable: str = "411"
    suspense: str = "471"


@dataclass(frozen=True, slots=True)
class Movement:
    """A payments-ledger entry and what the bank journal needs to know about its invoice (given
    by the caller, who read the receivable): its number and client, or None while unknown."""

    entry: Entry
    invoice_number: str | None = None
    client_ref: str | None = None
    client_name: str = ""

    def __post_init__(self) -> None:
        if self.client_ref is not None and not self.client_name.strip():
            raise AccountingError(f"{self.entry.entry_id}: a client ref goes with the client's name")


def bank_entry(movement: Movement, *, accounts: BankAccounts = BankAccounts()) -> JournalEntry | None:
    """The bank-journal entry of a ledger movement, or None when it moved no money: a pending or
    failed payment, an open or won dispute, an amount of zero.

    A refund entry holds the running total refunded on its charge (``invoicing.domain.ledger``):
    it is posted at that total, so the caller posts a charge's refunds once they are final for
    the period (or the difference with what an earlier export posted)."""
    entry = movement.entry
    if entry.currency != "EUR":
        raise AccountingError(f"{entry.entry_id} is in {entry.currency}: only euro movements are posted")
    money_in = entry.kind is Kind.PAYMENT and entry.state is State.SUCCEEDED
    money_out = (entry.kind is Kind.REFUND and entry.state is State.SUCCEEDED) or (
        entry.kind is Kind.CHARGEBACK and entry.state is State.LOST
    )
    if not (money_in or money_out) or entry.cents == 0:
        return None
    amount = entry.amount
    what = {Kind.PAYMENT: "Règlement", Kind.REFUND: "Remboursement", Kind.CHARGEBACK: "Litige perdu"}[
        entry.kind
    ]
    reference = movement.invoice_number or entry.ref
    who = movement.client_name.strip()
    text = " ".join(part for part in (what, movement.invoice_number or "", who, entry.method) if part)
    if movement.client_ref:
        third = JournalLine(
            account=accounts.receivable,
            account_label=_RECEIVABLE_LABEL,
            label=text,
            debit=amount if money_out else ZERO,
            credit=amount if money_in else ZERO,
            auxiliary=movement.client_ref,
            auxiliary_label=who,
        )
    else:
        third = JournalLine(
            account=accounts.suspense,
            account_label="Compte d'attente",
            label=text,
            debit=amount if money_out else ZERO,
            credit=amount if money_in else ZERO,
        )
    bank = JournalLine(
        account=accounts.bank,
        account_label="Banque",
        label=text,
        debit=amount if money_in else ZERO,
        credit=amount if money_out else ZERO,
    )
    return JournalEntry(BANK, entry.on, reference, entry.on, (bank, third))


def bank_journal(
    movements: Iterable[Movement], *, accounts: BankAccounts = BankAccounts()
) -> tuple[JournalEntry, ...]:
    """The entries of the movements that moved money, in date then ledger-id order."""
    ordered = sorted(movements, key=lambda m: (m.entry.on, m.entry.entry_id))
    posted = (bank_entry(m, accounts=accounts) for m in ordered)
    return tuple(entry for entry in posted if entry is not None)


# --- accounts of purchases -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    label: str

    def __post_init__(self) -> None:
        if not _ACCOUNT.match(self.number):
            raise AccountingError(f"an account number starts with 3 digits of the PCG, not {self.number!r}")


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """Text containing one of ``keywords`` (accents and case ignored, at a word start) goes to
    ``account``."""

    account: Account
    keywords: tuple[str, ...]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


#: Defaults, first match wins (so the specific come before the general).
DEFAULT_PURCHASE_RULES: tuple[KeywordRule, ...] = (
    KeywordRule(
        Account("6132", "Locations immobilières"),
        ("loyer", "bail", "location de bureau", "charges locatives"),
    ),
    KeywordRule(Account("6135", "Locations mobilières"), ("location", "leasing", "crédit-bail")),
    KeywordRule(
        Account("6226", "Honoraires"),
        (
            "honoraire",
            "avocat",
            "expert-comptable",
            "expertise comptable",
            "notaire",
            "commissaire aux comptes",
        ),
    ),
    KeywordRule(
        Account("6251", "Voyages et déplacements"),
        (
            "voyage",
            "déplacement",
            "train",
            "sncf",
            "billet",
            "avion",
            "vol ",
            "hôtel",
            "hotel",
            "taxi",
            "péage",
            "parking",
            "carburant",
        ),
    ),
    KeywordRule(Account("6257", "Réceptions"), ("restaurant", "repas", "réception", "traiteur")),
    KeywordRule(
        Account("626", "Frais postaux et de télécommunications"),
        (
            "téléphone",
            "telephone",
            "mobile",
            "internet",
            "fibre",
            "affranchissement",
            "timbre",
            "la poste",
            "colissimo",
        ),
    ),
    KeywordRule(
        Account("6061", "Fournitures non stockables (eau, énergie)"),
        ("électricité", "electricite", "gaz", "eau ", "énergie"),
    ),
    KeywordRule(
        Account("6064", "Fournitures administratives"),
        ("fourniture", "papeterie", "papier", "cartouche", "toner", "enveloppe", "classeur"),
    ),
    KeywordRule(Account("616", "Primes d'assurances"), ("assurance",)),
    KeywordRule(
        Account("6156", "Maintenance"),
        ("maintenance", "logiciel", "abonnement", "licence", "hébergement", "saas"),
    ),
    KeywordRule(
        Account("623", "Publicité, publications, relations publiques"),
        ("publicité", "annonce", "impression", "flyer", "salon"),
    ),
    KeywordRule(
        Account("627", "Services bancaires"), ("frais bancaires", "commission", "agios", "tenue de compte")
    ),
)

#: Where a purchase nobody can classify goes: the accountant's to allocate.
TO_CLASSIFY = Account("471", "Compte d'attente")


#: Legal forms left out of a supplier's key: "Papeterie Martin SARL" is "Papeterie Martin".
_LEGAL_FORMS = frozenset(
    (
        "sarl",
        "sas",
        "sasu",
        "eurl",
        "sa",
        "sci",
        "snc",
        "selarl",
        "selas",
        "scop",
        "scp",
        "ei",
        "eirl",
        "gmbh",
        "ag",
        "kg",
        "ug",
        "ltd",
        "llc",
        "inc",
        "bv",
        "nv",
        "srl",
        "spa",
        "plc",
    )
)


def supplier_key(name: str) -> str:
    """How a supplier is looked up in the mapping when no SIREN is given: its name, accents,
    case, punctuation, spacing and legal form (SARL, SAS, GmbH, Ltd…) ignored."""
    words = re.sub(r"[^0-9a-z]+", " ", _fold(name)).split()
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)


@dataclass(frozen=True, slots=True)
class PurchaseAccounts:
    """The 6xx account of a supplier invoice: the business's mapping per supplier (keys: a SIREN,
    or a supplier name as ``supplier_key`` folds it) wins, then the keyword rules, then
    ``fallback``."""

    by_supplier: Mapping[str, Account] = field(default_factory=dict)
    rules: tuple[KeywordRule, ...] = DEFAULT_PURCHASE_RULES
    fallback: Account = TO_CLASSIFY

    def __post_init__(self) -> None:
        keys = {}
        for key, account in self.by_supplier.items():
            folded = key if key.isdigit() else supplier_key(key)
            if not folded:
                raise AccountingError(f"a supplier mapping needs a SIREN or a name, not {key!r}")
            keys[folded] = account
        object.__setattr__(self, "by_supplier", MappingProxyType(keys))

    def with_supplier(self, supplier: str, account: Account) -> PurchaseAccounts:
        """The same mapping with ``supplier`` (SIREN or name) sent to ``account``."""
        return PurchaseAccounts({**self.by_supplier, supplier: account}, self.rules, self.fallback)

    def account_for(self, *, supplier: str, text: str = "", siren: str | None = None) -> Account:
        """The account for a supplier's invoice; ``text`` is what it says it is (lines, subject)."""
        for key in (siren, supplier_key(supplier)):
            if key and key in self.by_supplier:
                return self.by_supplier[key]
        haystack = f" {_fold(supplier)} {_fold(text)} "
        for rule in self.rules:
            for keyword in rule.keywords:
                if re.search(r"(?<![0-9a-z])" + re.escape(_fold(keyword)), haystack):
                    return rule.account
        return self.fallback


# --- purchases -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Purchase:
    """A supplier invoice as the purchases journal needs it (from a booked ``SupplierInvoice``):
    ``supplier_ref`` is the supplier's auxiliary account on 401 (its SIREN, else a key of its
    name), ``vat`` the deductible VAT per rate (``(rate, tax)``; one line when the document gives
    no breakdown)."""

    supplier_ref: str
    supplier_name: str
    number: str
    issue_date: date
    total_excl_tax: Decimal
    total_incl_tax: Decimal
    vat: tuple[tuple[Decimal | None, Decimal], ...]
    account: Account
    credit_note: bool = False
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class PurchaseLedgerAccounts:
    payable: str = "401"
    vat_deductible: str = "44566"


def purchase_entry(
    purchase: Purchase, *, accounts: PurchaseLedgerAccounts = PurchaseLedgerAccounts()
) -> JournalEntry:
    """The purchases-journal (HA) entry of a supplier invoice: debit the 6xx account with the
    total excl. VAT and 44566 with each rate's VAT, credit 401 <supplier> with the total incl.
    VAT. A credit note posts the reverse. The three must agree to the cent (the review checked
    it): a document whose totals disagree raises ``UnbalancedEntry``."""
    if purchase.currency != "EUR":
        raise AccountingError(f"{purchase.number} is in {purchase.currency}: only euro documents are posted")
    text = f"{'Avoir' if purchase.credit_note else 'Facture'} {purchase.number} {purchase.supplier_name}"
    rows: list[_Row] = [
        (purchase.account.number, purchase.account.label, f"{text} HT", purchase.total_excl_tax, "", "")
    ]
    for rate, tax in purchase.vat:
        label = f"TVA déductible {_rate(rate)}" if rate is not None else "TVA déductible"
        rows.append((accounts.vat_deductible, label, f"{text} TVA", tax, "", ""))
    rows.append(
        (
            accounts.payable,
            "Fournisseurs",
            text,
            -purchase.total_incl_tax,
            purchase.supplier_ref,
            purchase.supplier_name,
        )
    )
    lines = _signed_lines(rows, reverse=purchase.credit_note)
    if not lines:
        raise AccountingError(f"{purchase.number} is of zero: nothing to post")
    return JournalEntry(PURCHASES, purchase.issue_date, purchase.number, purchase.issue_date, lines)
