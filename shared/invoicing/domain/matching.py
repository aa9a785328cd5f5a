"""Bank credits to open invoices: which payment settles which invoice, or why a person must look.

Pure: values in, values out. Nothing calls it yet; the payments feature will. Reasons are in
English only.

Each credit (``amount > 0``) of the bank lines is looked at once, in ``booked_on`` order (then
``line_id``, so the input order does not matter), against what is still due on each open invoice;
what a credit settles is taken off that invoice's due before the next credit is looked at, so two
credits of one call never settle the same invoice beyond its due. Debits (and zero lines) are
not returned. A credit is:

1. matched by the **invoice numbers** found in its label (``how="number"``). The spelling is
   free as to case and to spaces, dashes, dots, slashes or underscores between characters
   (``FA2026-00012``, ``fa 2026 00012``, ``FA202600012``, ``Facture FA2026/00012``), but a
   number must stand alone: a letter or digit right before or after it means it is part of
   another word, so ``FA2026-0001`` is never read inside ``FA2026-00012``. One number: the
   credit is matched to it for the amount paid (a partial payment says so in the reason; an
   overpayment is matched for the whole credit, says so and gives the excess in ``overpaid``).
   Several numbers: matched, split at each invoice's due, only when the credit equals the sum
   of their dues; else review. A number of an invoice already settled (earlier in the same
   call) or in another currency goes to review;
2. else matched by its **exact amount** equal to the due of one open invoice (same currency)
   whose client name is found in the label or the counterparty (``how="amount_and_name"``).
   Names are compared normalised: case, accents and punctuation ignored, legal forms (SARL,
   SAS, SA, EURL, ...) removed, whole words only. Two or more invoices qualifying is a review;
3. else left for **review** (``how="review"``, no invoice) with the reason. A reversal credit
   (a returned debit, not a payment) always goes to review.

A credit split across several invoices gives one ``Match`` per invoice (same ``line_id``; the
amounts add up to the credit); every other credit gives exactly one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the domain does not import the readers; a BankLine is only read from
    from invoicing.ingest.bank import BankLine

NUMBER = "number"
AMOUNT_AND_NAME = "amount_and_name"
REVIEW = "review"

_ZERO = Decimal(0)
#: Characters allowed between the characters of an invoice number written in a label.
_SEPARATORS = frozenset(" \t\u00a0\u202f-./_")
#: At most this many separator characters in a row inside a number.
_SEPARATOR_RUN = 3
#: Legal forms dropped from client names before comparing them (normalised, upper case).
LEGAL_FORMS = frozenset(
    {
        "SA",
        "SAS",
        "SASU",
        "SARL",
        "EURL",
        "SCI",
        "SNC",
        "SCS",
        "SCA",
        "SCOP",
        "SCP",
        "SEL",
        "SELARL",
        "SELAS",
        "SELAFA",
        "EI",
        "EIRL",
        "GIE",
        "SCM",
    }
)
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")
_NON_WORD = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice not yet (fully) paid: ``due`` is what is still owed, VAT included."""

    invoice_id: str
    number: str
    client_ref: str
    client_name: str
    due: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.due, Decimal) or not self.due.is_finite():
            raise ValueError(f"open invoice {self.number}: due must be a finite Decimal, not {self.due!r}")
        if self.due < 0:
            raise ValueError(f"open invoice {self.number}: due {self.due} is negative")


@dataclass(frozen=True, slots=True)
class Match:
    """What a credit settles: ``invoice_id``/``number`` are None when ``how`` is ``"review"``.

    ``amount`` is the part of the credit given to the invoice (the whole credit for a review);
    ``overpaid`` is what of ``amount`` exceeds the invoice's due (only for an overpayment by
    number, which ``reason`` also says). ``reason`` is in English.
    """

    line_id: str
    invoice_id: str | None
    number: str | None
    amount: Decimal
    how: str  # "number" | "amount_and_name" | "review"
    reason: str
    overpaid: Decimal = _ZERO


def match_credits(lines: Sequence[BankLine], invoices: Sequence[OpenInvoice]) -> tuple[Match, ...]:
    """Match the credits of ``lines`` to ``invoices`` (rules in the module docstring).

    Returns the matches in processing order (``booked_on``, then ``line_id``). Raises
    ``ValueError`` when two different lines share a ``line_id`` or two invoices an
    ``invoice_id`` (identical repeated lines, as overlapping statements give, count once).
    """
    credits = _credits(lines)
    by_id: dict[str, OpenInvoice] = {}
    for invoice in invoices:
        if invoice.invoice_id in by_id and by_id[invoice.invoice_id] != invoice:
            raise ValueError(f"invoice id {invoice.invoice_id!r} given twice")
        by_id[invoice.invoice_id] = invoice
    book = _Book(tuple(sorted(by_id.values(), key=lambda inv: (inv.number, inv.invoice_id))))
    matches: list[Match] = []
    for line in credits:
        matches.extend(book.settle(line))
    return tuple(matches)


def _credits(lines: Sequence[BankLine]) -> list[BankLine]:
    seen: dict[str, BankLine] = {}
    for line in lines:
        if line.line_id in seen and seen[line.line_id] != line:
            raise ValueError(f"bank line id {line.line_id!r} names two different lines")
        seen[line.line_id] = line
    return sorted(
        (line for line in seen.values() if line.amount > 0), key=lambda ln: (ln.booked_on, ln.line_id)
    )


def number_key(number: str) -> str:
    """An invoice number as compared with labels: letters and digits only, upper case."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def name_words(text: str) -> tuple[str, ...]:
    """A name (or a label) as words to compare: no accents, case or punctuation, legal forms
    such as SARL or S.A.S. removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    plain = _DOTTED_ACRONYM.sub(lambda found: found.group().replace(".", "") + " ", plain)
    return tuple(word for word in _NON_WORD.split(plain) if word and word not in LEGAL_FORMS)


def _contains(words: tuple[str, ...], name: tuple[str, ...]) -> bool:
    if not name or len(name) > len(words):
        return False
    first = name[0]
    return any(
        words[start] == first and words[start : start + len(name)] == name
        for start in range(len(words) - len(name) + 1)
    )


@dataclass(frozen=True, slots=True)
class _Spelling:
    """A label read for invoice numbers: its letters and digits (upper case), and for each of
    them whether a word boundary comes before it and whether it may continue a number."""

    chars: str
    boundary: tuple[bool, ...]  # a non-alphanumeric character (or the start) comes before
    joins: tuple[bool, ...]  # nothing, or only a few separators, comes before


def _spell(label: str) -> _Spelling:
    chars: list[str] = []
    boundary: list[bool] = []
    joins: list[bool] = []
    gap = ""
    for ch in label:
        if not ch.isalnum():
            gap += ch
            continue
        for position, upper in enumerate(ch.upper()):
            chars.append(upper)
            first = position == 0
            boundary.append(first and (not chars[:-1] or gap != ""))
            joins.append(
                not first or gap == "" or (len(gap) <= _SEPARATOR_RUN and all(g in _SEPARATORS for g in gap))
            )
        gap = ""
    return _Spelling("".join(chars), tuple(boundary), tuple(joins))


class _Book:
    """The open invoices and what is still due on each, while the credits are worked through."""

    def __init__(self, invoices: tuple[OpenInvoice, ...]) -> None:
        self.invoices = invoices
        self.remaining: dict[str, Decimal] = {inv.invoice_id: inv.due for inv in invoices}
        self.settled_by: dict[str, list[str]] = {inv.invoice_id: [] for inv in invoices}
        self.by_key: dict[str, list[OpenInvoice]] = {}
        for inv in invoices:
            key = number_key(inv.number)
            if key:
                self.by_key.setdefault(key, []).append(inv)
        self.longest = max((len(key) for key in self.by_key), default=0)
        self.names = {inv.invoice_id: name_words(inv.client_name) for inv in invoices}
        # Indexes, so a credit is compared with the few invoices that can qualify, not all of them:
        # by the first word of the client's name, and by what is still due (kept up to date).
        self.order = {inv.invoice_id: position for position, inv in enumerate(invoices)}
        self.by_first_word: dict[str, list[OpenInvoice]] = {}
        for inv in invoices:
            name = self.names[inv.invoice_id]
            if name:
                self.by_first_word.setdefault(name[0], []).append(inv)
        self.by_due: dict[tuple[str, Decimal], dict[str, OpenInvoice]] = {}
        for inv in invoices:
            if inv.due > 0:
                self.by_due.setdefault((inv.currency, inv.due), {})[inv.invoice_id] = inv

    # -- rule 1: invoice numbers ------------------------------------------------------------

    def numbers_in(self, label: str) -> tuple[list[OpenInvoice], str | None]:
        """The invoices whose numbers stand in ``label`` (in order of appearance), or the
        reason the label cannot be read unambiguously."""
        spelling = _spell(label)
        size = len(spelling.chars)
        found: list[tuple[int, int, list[OpenInvoice]]] = []
        for start in range(size):
            if not spelling.boundary[start]:
                continue
            for end in range(start + 1, min(size, start + self.longest) + 1):
                if end > start + 1 and not spelling.joins[end - 1]:
                    break
                if end < size and not spelling.boundary[end]:
                    continue
                hits = self.by_key.get(spelling.chars[start:end])
                if hits:
                    found.append((start, end, hits))
        # A number read inside a longer one (FA2026-0001 in "FA2026-0001 2") is not there.
        kept = [
            span
            for span in found
            if not any(
                other is not span and other[0] <= span[0] and span[1] <= other[1] and other[:2] != span[:2]
                for other in found
            )
        ]
        for position, (start, end, hits) in enumerate(kept):
            if len(hits) > 1:
                numbers = ", ".join(inv.number for inv in hits)
                return [], f"the label names {numbers}, which are spelled alike; cannot tell them apart"
            for other_start, other_end, other_hits in kept[position + 1 :]:
                if other_start < end and start < other_end:
                    return [], (
                        f"the label can be read as {hits[0].number} or as {other_hits[0].number} "
                        "(overlapping); cannot tell which"
                    )
        ordered: dict[str, OpenInvoice] = {}
        for _, _, hits in sorted(kept, key=lambda span: span[:2]):
            ordered.setdefault(hits[0].invoice_id, hits[0])
        return list(ordered.values()), None

    def by_number(self, line: BankLine, named: list[OpenInvoice]) -> list[Match]:
        other_currency = [inv for inv in named if inv.currency != line.currency]
        if other_currency:
            return [
                self.review(
                    line,
                    f"the label names {_numbers(other_currency)}, invoiced in "
                    f"{', '.join(sorted({inv.currency for inv in other_currency}))}, "
                    f"but the credit is in {line.currency}",
                )
            ]
        settled = [inv for inv in named if self.remaining[inv.invoice_id] <= 0]
        if settled:
            return [self.review(line, f"the label names {_numbers(settled)}, {self.nothing_due(settled)}")]
        if len(named) == 1:
            return [self.single(line, named[0])]
        total = sum((self.remaining[inv.invoice_id] for inv in named), _ZERO)
        dues = ", ".join(f"{inv.number} {self.remaining[inv.invoice_id]}" for inv in named)
        if line.amount != total:
            return [
                self.review(
                    line,
                    f"the label names {len(named)} invoices ({dues} {line.currency} due, {total} in "
                    f"all) but the credit is {line.amount} {line.currency}; cannot tell how to split it",
                )
            ]
        matches = []
        for inv in named:
            part = self.remaining[inv.invoice_id]
            matches.append(
                self.settle_invoice(
                    line,
                    inv,
                    part,
                    NUMBER,
                    f"invoice numbers {_numbers(named)} in the label; the credit equals their dues "
                    f"({dues} {line.currency}), split accordingly",
                )
            )
        return matches

    def single(self, line: BankLine, inv: OpenInvoice) -> Match:
        due = self.remaining[inv.invoice_id]
        amount, currency = line.amount, line.currency
        if amount == due:
            return self.settle_invoice(line, inv, amount, NUMBER, f"invoice number {inv.number} in the label")
        if amount < due:
            return self.settle_invoice(
                line,
                inv,
                amount,
                NUMBER,
                f"invoice number {inv.number} in the label; partial payment: {amount} {currency} "
                f"of {due} {currency} due, {due - amount} {currency} still due",
            )
        excess = amount - due
        return self.settle_invoice(
            line,
            inv,
            amount,
            NUMBER,
            f"invoice number {inv.number} in the label; overpayment: {amount} {currency} received "
            f"for {due} {currency} due, {excess} {currency} paid over",
            overpaid=excess,
        )

    # -- rule 2: amount and client name ----------------------------------------------------

    def by_amount_and_name(self, line: BankLine) -> Match:
        words = name_words(line.label)
        counterparty = name_words(line.counterparty) if line.counterparty else ()
        candidates = {
            inv.invoice_id: inv
            for word in {*words, *counterparty}
            for inv in self.by_first_word.get(word, ())
        }
        named = sorted(
            (
                inv
                for inv in candidates.values()
                if inv.currency == line.currency
                and self.remaining[inv.invoice_id] > 0
                and (
                    _contains(words, self.names[inv.invoice_id])
                    or _contains(counterparty, self.names[inv.invoice_id])
                )
            ),
            key=lambda inv: self.order[inv.invoice_id],
        )
        same_amount = sorted(
            self.by_due.get((line.currency, line.amount), {}).values(),
            key=lambda inv: self.order[inv.invoice_id],
        )
        named_ids = {inv.invoice_id for inv in named}
        both = [inv for inv in same_amount if inv.invoice_id in named_ids]
        amount = f"{line.amount} {line.currency}"
        if len(both) == 1:
            inv = both[0]
            return self.settle_invoice(
                line,
                inv,
                line.amount,
                AMOUNT_AND_NAME,
                f"no invoice number in the label; {amount} is what is due on {inv.number} and its "
                f"client {inv.client_name!r} is named",
            )
        if both:
            return self.review(
                line,
                f"no invoice number in the label; {len(both)} invoices qualify ({_numbers(both)}: "
                f"{amount} due and client named); cannot tell which",
            )
        if named:
            dues = ", ".join(f"{inv.number} {self.remaining[inv.invoice_id]}" for inv in named)
            return self.review(
                line,
                f"no invoice number in the label; the client of {_numbers(named)} is named but "
                f"{amount} differs from what is due ({dues} {line.currency})",
            )
        if same_amount:
            return self.review(
                line,
                f"no invoice number in the label; {amount} is due on {_numbers(same_amount)} but "
                "no client of theirs is named in the label or counterparty",
            )
        return self.review(
            line,
            f"no invoice number in the label and no open invoice of {amount} whose client is named",
        )

    # -- bookkeeping -------------------------------------------------------------------------

    def settle(self, line: BankLine) -> list[Match]:
        if line.reversal:
            return [
                self.review(
                    line, "reversal of an earlier debit (money returned), not a payment of an invoice"
                )
            ]
        named, unreadable = self.numbers_in(line.label)
        if unreadable:
            return [self.review(line, unreadable)]
        if named:
            return self.by_number(line, named)
        return [self.by_amount_and_name(line)]

    def settle_invoice(
        self,
        line: BankLine,
        inv: OpenInvoice,
        amount: Decimal,
        how: str,
        reason: str,
        overpaid: Decimal = _ZERO,
    ) -> Match:
        before = self.remaining[inv.invoice_id]
        after = max(_ZERO, before - amount)
        self.remaining[inv.invoice_id] = after
        self.by_due.get((inv.currency, before), {}).pop(inv.invoice_id, None)
        if after > 0:
            self.by_due.setdefault((inv.currency, after), {})[inv.invoice_id] = inv
        self.settled_by[inv.invoice_id].append(line.line_id)
        return Match(line.line_id, inv.invoice_id, inv.number, amount, how, reason, overpaid)

    def nothing_due(self, invoices: list[OpenInvoice]) -> str:
        lines = sorted({line_id for inv in invoices for line_id in self.settled_by[inv.invoice_id]})
        if lines:
            return f"on which nothing is left due (already settled by line {', '.join(lines)})"
        return "on which nothing is due"

    @staticmethod
    def review(line: BankLine, reason: str) -> Match:
        return Match(line.line_id, None, None, line.amount, REVIEW, reason)


def _numbers(invoices: list[OpenInvoice]) -> str:
    return ", ".join(inv.number for inv in invoices)
