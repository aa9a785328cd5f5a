"""The owner's summary of supplier documents received: what was read, and what waits for them.

One email per mail or upload (``compose_supplier_summary``): for each document its supplier,
number, dates, totals, the account it is booked on, and, when it waits for approval, every
reason (French, the owner's language; the English follows in the plain text for an agency
reading over their shoulder) and the command that approves or corrects it. The document is
attached when it is small enough, so the owner can compare without opening the bucket.

Everything quoted comes from a supplier's document or mail: it goes through ``quoted`` (no
control or bidi character survives) and is escaped in the HTML; nothing of it reaches a header
but the file name of an attachment, made safe by the email package.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

from invoicing.domain.text import quoted

#: Documents above this are not attached (the summary stays well under SES's 10 MB).
ATTACH_LIMIT = 3 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SummaryItem:
    short_id: str
    file_name: str
    state: str  # ready, to_review, reading, rejected, duplicate
    supplier: str | None
    number: str | None
    issue_date: str | None
    due_date: str | None
    total_excl_tax: Decimal | None
    total_tax: Decimal | None
    total_incl_tax: Decimal | None
    currency: str | None
    account: str | None
    engine: str
    reasons_fr: tuple[str, ...] = ()
    reasons_en: tuple[str, ...] = ()
    attachment: bytes | None = None
    content_type: str = "application/octet-stream"


_STATE_FR = {
    "ready": "enregistrée",
    "to_review": "à valider",
    "reading": "en cours de lecture",
    "rejected": "refusée",
    "duplicate": "déjà reçue",
}


def _money(value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return "?"
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} {'€' if currency in (None, 'EUR') else currency}"


def compose_supplier_summary(
    items: Sequence[SummaryItem],
    *,
    to: str,
    sender: str,
    business_name: str,
    origin: str,
    stack: str,
    unread: Sequence[str] = (),
) -> EmailMessage:
    """``origin``: where the documents came from (a mail's sender and subject, or an upload);
    ``unread``: what could not be read at all (file name and why), listed for the owner;
    ``stack``: named in the commands to type."""
    waiting = [i for i in items if i.state == "to_review"]
    subject = (
        f"Factures fournisseurs : {len(waiting)} à valider sur {len(items)}"
        if waiting
        else f"Factures fournisseurs : {len(items)} enregistrée{'s' if len(items) > 1 else ''}"
    )
    if not items:
        subject = "Factures fournisseurs : aucune facture lisible reçue"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)

    lines = [f"Bonjour,\n\n{business_name} a reçu : {quoted(origin, 300)}.\n"]
    blocks = []
    for item in items:
        head = (
            f"{quoted(item.supplier or '(fournisseur non lu)', 120)} — facture "
            f"{quoted(item.number or '(numéro non lu)', 60)} — {_STATE_FR.get(item.state, item.state)}"
        )
        body = [
            f"  Fichier : {quoted(item.file_name, 120)} (réf. {item.short_id}, lu par {item.engine})",
            f"  Date : {item.issue_date or '?'}   Échéance : {item.due_date or '?'}",
            f"  HT {_money(item.total_excl_tax, item.currency)}   TVA {_money(item.total_tax, item.currency)}"
            f"   TTC {_money(item.total_incl_tax, item.currency)}",
        ]
        if item.account:
            body.append(f"  Compte de charge : {item.account}")
        for fr in item.reasons_fr:
            body.append(f"  ! {fr}")
        if item.state == "to_review":
            body.append(
                f"  Pour valider : invoicing suppliers approve {item.short_id} --stack {stack}"
                f"\n  Pour corriger : invoicing suppliers approve {item.short_id} --set total_incl_tax=…"
                f" --stack {stack}"
                f'\n  Pour refuser : invoicing suppliers reject {item.short_id} --reason "…" --stack {stack}'
            )
        blocks.append((head, body, item))
        lines.append(head)
        lines.extend(body)
        lines.append("")
    for what in unread:
        lines.append(f"Non lu : {quoted(what, 300)}")
    if not items and not unread:
        lines.append(
            "Aucune pièce jointe ne ressemble à une facture (PDF, image, XML). Le message est conservé."
        )
    english = [
        "",
        "--",
        f"Supplier documents received ({quoted(origin, 300)}):",
        *(
            f"- {quoted(i.supplier or '?', 120)} {quoted(i.number or '?', 60)}: {i.state}"
            + "".join(f"\n    ! {en}" for en in i.reasons_en)
            for i in items
        ),
    ]
    msg.set_content("\n".join(lines + english) + "\n")

    rows = []
    for head, body, item in blocks:
        color = "#b45309" if item.state == "to_review" else "#166534"
        rows.append(
            f'<div style="border-left:4px solid {color};padding:4px 12px;margin:12px 0">'
            f'<p style="margin:0"><strong>{html.escape(head)}</strong></p>'
            + "".join(f'<p style="margin:2px 0;font-size:14px">{html.escape(b.strip())}</p>' for b in body)
            + "</div>"
        )
    page = (
        '<!doctype html><html lang="fr"><body style="font-family:Arial,sans-serif;color:#111">'
        f"<p>Bonjour,</p><p>{html.escape(business_name)} a reçu : {html.escape(quoted(origin, 300))}.</p>"
        + "".join(rows)
        + "".join(f"<p>Non lu : {html.escape(quoted(u, 300))}</p>" for u in unread)
        + "</body></html>"
    )
    msg.add_alternative(page, subtype="html")
    for item in items:
        if item.attachment is not None and len(item.attachment) <= ATTACH_LIMIT:
            maintype, _, subtype = item.content_type.partition("/")
            msg.add_attachment(
                item.attachment,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=item.file_name,
            )
    return msg
