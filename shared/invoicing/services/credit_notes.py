"""Credit notes (avoirs) created by the operator: ``invoicing credit-note`` calls this.

An issued invoice is never edited. To correct it, the operator issues a credit note for all
of it or for some quantities of some lines, with a reason. The credit note gets its own
number series (AV2026-00001 by default), names the invoice it corrects, and is recorded
against it in the same transaction, so the invoice can never be credited beyond its total.
The same request made twice (a retried command) creates one credit note.
"""

from __future__ import annotations

import hashlib
import json

from invoicing.adapters.invoices import CreditExceedsInvoice
from invoicing.domain.invoice import CreditedLine, Source, credit_note_draft
from invoicing.domain.problems import InputRejected
from invoicing.domain.receivable import TransitionRefused, rate_shares
from invoicing.services.issuing import IssuedDocument, Issuer
from invoicing.services.validation import Rules, check_drafts


class CreditNoteError(ValueError):
    pass


def issue_credit_note(
    issuer: Issuer,
    number: str,
    *,
    reason: str,
    lines: tuple[CreditedLine, ...] | None = None,
    request_id: str = "",
) -> IssuedDocument:
    """Credit ``number`` in full (``lines`` None) or in part. ``request_id`` distinguishes two
    otherwise identical requests that are both meant (two separate credits)."""
    stored = issuer.find(number)
    if stored is None:
        raise CreditNoteError(f"no invoice numbered {number}")
    request = {
        "number": number,
        "reason": reason.strip(),
        "lines": None if lines is None else [[item.line, str(item.quantity)] for item in lines],
        "request": request_id,
    }
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    source = Source(f"operator/credit-notes/{number}", digest, "credit-note")
    if issuer.invoices.get(source.invoice_id) is not None:
        # Issued already by this same request: the idempotent path returns it.
        return issuer.issue(credit_note_draft(stored.invoice, reason=reason, source=source, lines=lines))
    try:
        draft = credit_note_draft(stored.invoice, reason=reason, source=source, lines=lines)
        check_drafts([draft], Rules.for_business(issuer.business, issuer.today()))
        totals = draft.totals()
        # What the invoice still allows, over all its credit notes: in total, per VAT rate, per line.
        stored.receivable.credit(
            "requested",
            totals.grand_total,
            issuer.today(),
            by_rate=rate_shares(totals),
            lines=tuple((item.line, item.quantity) for item in draft.credited_lines),
        )
    except InputRejected as rejected:
        raise CreditNoteError("; ".join(p.reason_en for p in rejected.problems)) from rejected
    except (ValueError, TransitionRefused) as exc:
        raise CreditNoteError(str(exc)) from exc
    try:
        return issuer.issue(draft)
    except CreditExceedsInvoice as exc:  # another credit note was recorded meanwhile
        raise CreditNoteError(str(exc)) from exc
