"""Invoices to plain JSON-safe dicts and back, losslessly.

Money and quantities travel as strings (``"1234.50"``), dates as ISO strings: no float ever.
An issued document's running state (``Receivable``) has its own pair of functions.
The stored record is the full snapshot of an issued document (seller and buyer as they were
on the issue date), so the PDF and the XML can be rebuilt from it byte for byte.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from invoicing.domain.invoice import (
    AllowanceCharge,
    CreditedLine,
    Discount,
    DocumentType,
    Draft,
    Invoice,
    InvoiceReference,
    Line,
    Settlement,
    Source,
)
from invoicing.domain.ledger import Entry, Kind, State
from invoicing.domain.ledger import Source as EntrySource
from invoicing.domain.parties import Address, Client, Locale, OperationCategory, Seller, VatRegime
from invoicing.domain.receivable import (
    Chargeback,
    Credit,
    Delivery,
    DeliveryState,
    DunningState,
    Payment,
    RateShare,
    Receivable,
    Refund,
    SentMessage,
)
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.vat import EXEMPTIONS, VatCategory, VatTreatment

SCHEMA_VERSION = 1
#: A stored document must fit one DynamoDB item (400 KB) with room for the other attributes.
MAX_DOCUMENT_BYTES = 350_000


class DocumentTooLarge(ValueError):
    pass


def encode_document(invoice: Invoice) -> str:
    """The snapshot as stored: compact JSON, refused when it would not fit one record."""
    text = json.dumps(invoice_to_dict(invoice), ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"{invoice.number}: {len(invoice.lines)} lines do not fit one record")
    return text


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _unday(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def address_to_dict(a: Address) -> dict[str, Any]:
    return {"lines": list(a.lines), "postcode": a.postcode, "city": a.city, "country": a.country}


def address_from_dict(d: dict[str, Any]) -> Address:
    return Address(tuple(d["lines"]), d["postcode"], d["city"], d["country"])


def terms_to_dict(t: PaymentTerms) -> dict[str, Any]:
    return {"days": t.days, "end_of_month": t.end_of_month}


def terms_from_dict(d: dict[str, Any]) -> PaymentTerms:
    return PaymentTerms(int(d["days"]), bool(d["end_of_month"]))


def vat_to_dict(v: VatTreatment) -> dict[str, Any]:
    return {
        "category": v.category.value,
        "rate": str(v.rate),
        "exemption": v.exemption.key if v.exemption else None,
    }


def vat_from_dict(d: dict[str, Any]) -> VatTreatment:
    exemption = EXEMPTIONS[d["exemption"]] if d.get("exemption") else None
    return VatTreatment(VatCategory(d["category"]), Decimal(d["rate"]), exemption)


def seller_to_dict(s: Seller) -> dict[str, Any]:
    return {
        "legal_name": s.legal_name,
        "legal_form": s.legal_form,
        "siret": s.siret,
        "address": address_to_dict(s.address),
        "share_capital": _dec(s.share_capital),
        "rcs_city": s.rcs_city,
        "vat_id": s.vat_id,
        "iban": s.iban,
        "bic": s.bic,
        "email": s.email,
        "phone": s.phone,
        "vat_regime": s.vat_regime.value,
        "vat_on_debits": s.vat_on_debits,
        "operation_category": s.operation_category.value,
        "late_penalty": s.late_penalty.canonical(),
    }


def seller_from_dict(d: dict[str, Any]) -> Seller:
    return Seller(
        legal_name=d["legal_name"],
        legal_form=d["legal_form"],
        siret=d["siret"],
        address=address_from_dict(d["address"]),
        share_capital=_undec(d.get("share_capital")),
        rcs_city=d.get("rcs_city"),
        vat_id=d.get("vat_id"),
        iban=d.get("iban"),
        bic=d.get("bic"),
        email=d.get("email"),
        phone=d.get("phone"),
        vat_regime=VatRegime(d["vat_regime"]),
        vat_on_debits=bool(d["vat_on_debits"]),
        operation_category=OperationCategory(d["operation_category"]),
        late_penalty=LatePenalty.parse(d["late_penalty"]),
    )


def client_to_dict(c: Client) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "name": c.name,
        "address": address_to_dict(c.address),
        "email": c.email,
        "siren": c.siren,
        "vat_id": c.vat_id,
        "locale": c.locale.value,
        "payment_terms": terms_to_dict(c.payment_terms) if c.payment_terms else None,
    }


def client_from_dict(d: dict[str, Any]) -> Client:
    return Client(
        ref=d["ref"],
        name=d["name"],
        address=address_from_dict(d["address"]),
        email=d.get("email"),
        siren=d.get("siren"),
        vat_id=d.get("vat_id"),
        locale=Locale(d.get("locale") or "fr"),
        payment_terms=terms_from_dict(d["payment_terms"]) if d.get("payment_terms") else None,
    )


def line_to_dict(line: Line) -> dict[str, Any]:
    discount = None
    if line.discount is not None:
        discount = {"percent": _dec(line.discount.percent), "amount": _dec(line.discount.amount)}
    return {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "vat": vat_to_dict(line.vat),
        "discount": discount,
        "service_date": _day(line.service_date),
        "source_row": line.source_row,
    }


def line_from_dict(d: dict[str, Any]) -> Line:
    discount = None
    if d.get("discount"):
        discount = Discount(_undec(d["discount"].get("percent")), _undec(d["discount"].get("amount")))
    return Line(
        description=d["description"],
        quantity=Decimal(d["quantity"]),
        unit=d["unit"],
        unit_price=Decimal(d["unit_price"]),
        vat=vat_from_dict(d["vat"]),
        discount=discount,
        service_date=_unday(d.get("service_date")),
        source_row=d.get("source_row"),
    )


def adjustment_to_dict(a: AllowanceCharge) -> dict[str, Any]:
    return {
        "is_charge": a.is_charge,
        "amount": str(a.amount),
        "reason": a.reason,
        "vat": vat_to_dict(a.vat),
        "reason_code": a.reason_code,
    }


def adjustment_from_dict(d: dict[str, Any]) -> AllowanceCharge:
    return AllowanceCharge(
        bool(d["is_charge"]), Decimal(d["amount"]), d["reason"], vat_from_dict(d["vat"]), d.get("reason_code")
    )


def draft_to_dict(d: Draft) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "document_type": d.document_type.value,
        "buyer": client_to_dict(d.buyer),
        "lines": [line_to_dict(line) for line in d.lines],
        "period_start": _day(d.period_start),
        "period_end": _day(d.period_end),
        "order_ref": d.order_ref,
        "adjustments": [adjustment_to_dict(a) for a in d.adjustments],
        "corrects": (
            {"number": d.corrects.number, "issue_date": _day(d.corrects.issue_date)} if d.corrects else None
        ),
        "credit_reason": d.credit_reason,
        "credited_lines": [[item.line, str(item.quantity)] for item in d.credited_lines],
        "source": (
            {"file_key": d.source.file_key, "file_sha256": d.source.file_sha256, "group": d.source.group}
            if d.source
            else None
        ),
    }
    if d.settled is not None:  # only then, so the records of other documents stay as they were
        encoded["settled"] = {
            "on": _day(d.settled.on),
            "method": d.settled.method,
            "payment_id": d.settled.payment_id,
        }
    if d.prices_include_vat:  # likewise: a record priced excluding VAT has no such key
        encoded["prices_include_vat"] = True
    return encoded


def draft_from_dict(d: dict[str, Any]) -> Draft:
    corrects = d.get("corrects")
    source = d.get("source")
    settled = d.get("settled")
    return Draft(
        document_type=DocumentType(d["document_type"]),
        buyer=client_from_dict(d["buyer"]),
        lines=tuple(line_from_dict(x) for x in d["lines"]),
        period_start=date.fromisoformat(d["period_start"]),
        period_end=date.fromisoformat(d["period_end"]),
        order_ref=d.get("order_ref"),
        adjustments=tuple(adjustment_from_dict(x) for x in d.get("adjustments") or ()),
        corrects=(
            InvoiceReference(corrects["number"], date.fromisoformat(corrects["issue_date"]))
            if corrects
            else None
        ),
        credit_reason=d.get("credit_reason"),
        credited_lines=tuple(CreditedLine(n, Decimal(q)) for n, q in d.get("credited_lines", ())),
        source=Source(source["file_key"], source["file_sha256"], source["group"]) if source else None,
        settled=(
            Settlement(date.fromisoformat(settled["on"]), settled["method"], settled["payment_id"])
            if settled
            else None
        ),
        prices_include_vat=_flag(d.get("prices_include_vat", False)),
    )


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"prices_include_vat must be true or false, not {value!r}")
    return value


def invoice_to_dict(inv: Invoice) -> dict[str, Any]:
    """The full snapshot. Totals are included for readers, and checked on the way back in."""
    return {
        "schema": SCHEMA_VERSION,
        "invoice_id": inv.invoice_id,
        "number": inv.number,
        "issue_date": _day(inv.issue_date),
        "due_date": _day(inv.due_date),
        "payment_terms": terms_to_dict(inv.payment_terms),
        "currency": inv.currency,
        "seller": seller_to_dict(inv.seller),
        "draft": draft_to_dict(inv.draft),
        "totals": {
            "tax_basis_total": str(inv.totals.tax_basis_total),
            "vat_total": str(inv.totals.vat_total),
            "grand_total": str(inv.totals.grand_total),
        },
    }


def invoice_from_dict(d: dict[str, Any]) -> Invoice:
    if d.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported invoice record schema {d.get('schema')!r}")
    draft = draft_from_dict(d["draft"])
    totals = draft.totals()
    stored = d["totals"]
    if (str(totals.tax_basis_total), str(totals.vat_total), str(totals.grand_total)) != (
        stored["tax_basis_total"],
        stored["vat_total"],
        stored["grand_total"],
    ):
        raise ValueError(f"stored totals of {d['number']} do not match its lines")
    return Invoice(
        invoice_id=d["invoice_id"],
        number=d["number"],
        issue_date=date.fromisoformat(d["issue_date"]),
        due_date=date.fromisoformat(d["due_date"]),
        payment_terms=terms_from_dict(d["payment_terms"]),
        seller=seller_from_dict(d["seller"]),
        draft=draft,
        totals=totals,
        currency=d.get("currency", "EUR"),
    )


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _untime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def receivable_to_dict(r: Receivable) -> dict[str, Any]:
    d, dn = r.delivery, r.dunning
    return {
        "schema": SCHEMA_VERSION,
        "invoice_id": r.invoice_id,
        "number": r.number,
        "is_credit_note": r.is_credit_note,
        "total": str(r.total),
        "issue_date": _day(r.issue_date),
        "due_date": _day(r.due_date),
        "rates": [[x.key, str(x.basis), str(x.vat)] for x in r.rates],
        "line_quantities": [str(q) for q in r.line_quantities],
        "credits": [
            {
                "credit_note": c.credit_note,
                "amount": str(c.amount),
                "on": _day(c.on),
                "by_rate": [[x.key, str(x.basis), str(x.vat)] for x in c.by_rate],
                "lines": [[n, str(q)] for n, q in c.lines],
            }
            for c in r.credits
        ],
        "payments": [[p.payment_id, str(p.amount), _day(p.on), p.method] for p in r.payments],
        "refunds": [[x.refund_id, x.payment_id, str(x.amount), _day(x.on)] for x in r.refunds],
        "in_progress": [[p.payment_id, str(p.amount), _day(p.on), p.method] for p in r.in_progress],
        "chargebacks": [
            [c.dispute_id, c.payment_id, str(c.amount), c.state, _day(c.on), c.reason] for c in r.chargebacks
        ],
        "entries": [
            [
                e.group,
                e.kind.value,
                e.ref,
                e.state.value,
                e.cents,
                _day(e.on),
                e.source.value,
                e.currency,
                e.method,
                e.label,
            ]
            for e in r.entries
        ],
        "delivery": {
            "state": d.state.value,
            "queued_at": _time(d.queued_at),
            "sent_at": _time(d.sent_at),
            "message_id": d.message_id,
            "failed_at": _time(d.failed_at),
            "failure": d.failure,
            "send_at": _time(d.send_at),
            "claimed_at": _time(d.claimed_at),
        },
        "dunning": {
            "offsets": list(dn.offsets),
            "tones": list(dn.tones),
            "min_gap_days": dn.min_gap_days,
            "step": dn.step,
            "claimed": dn.claimed,
            "claimed_on": _day(dn.claimed_on),
            "last_action_on": _day(dn.last_action_on),
            "paused_until": _day(dn.paused_until),
            "disputed": dn.disputed,
            "dispute_reason": dn.dispute_reason,
            "excluded": dn.excluded,
        },
        "messages": [
            {
                "kind": m.kind,
                "at": _time(m.at),
                "message_id": m.message_id,
                "to": m.to,
                "step": m.step,
                "tone": m.tone,
                "on": _day(m.on),
            }
            for m in r.messages
        ],
        "version": r.version,
    }


def _shares(rows: list[list[str]]) -> tuple[RateShare, ...]:
    return tuple(RateShare(k, Decimal(b), Decimal(v)) for k, b, v in rows)


def receivable_from_dict(d: dict[str, Any]) -> Receivable:
    if d.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported receivable schema {d.get('schema')!r}")
    dl, dn = d["delivery"], d["dunning"]
    return Receivable(
        invoice_id=d["invoice_id"],
        number=d["number"],
        is_credit_note=bool(d["is_credit_note"]),
        total=Decimal(d["total"]),
        issue_date=date.fromisoformat(d["issue_date"]),
        due_date=date.fromisoformat(d["due_date"]),
        rates=_shares(d["rates"]),
        line_quantities=tuple(Decimal(q) for q in d["line_quantities"]),
        credits=tuple(
            Credit(
                c["credit_note"],
                Decimal(c["amount"]),
                date.fromisoformat(c["on"]),
                _shares(c["by_rate"]),
                tuple((n, Decimal(q)) for n, q in c["lines"]),
            )
            for c in d["credits"]
        ),
        payments=tuple(Payment(i, Decimal(a), date.fromisoformat(on), m) for i, a, on, m in d["payments"]),
        refunds=tuple(Refund(i, p, Decimal(a), date.fromisoformat(on)) for i, p, a, on in d["refunds"]),
        in_progress=tuple(
            Payment(i, Decimal(a), date.fromisoformat(on), m) for i, a, on, m in d.get("in_progress", ())
        ),
        chargebacks=tuple(
            Chargeback(i, p, Decimal(a), st, date.fromisoformat(on), why)
            for i, p, a, st, on, why in d.get("chargebacks", ())
        ),
        entries=tuple(
            Entry(
                g,
                Kind(k),
                ref,
                State(st),
                cents,
                date.fromisoformat(on),
                EntrySource(src),
                cur,
                m,
                d["invoice_id"],
                lb,
            )
            for g, k, ref, st, cents, on, src, cur, m, lb in d.get("entries", ())
        ),
        delivery=DeliveryState(
            state=Delivery(dl["state"]),
            queued_at=_untime(dl["queued_at"]),
            sent_at=_untime(dl["sent_at"]),
            message_id=dl["message_id"],
            failed_at=_untime(dl["failed_at"]),
            failure=dl["failure"],
            send_at=_untime(dl.get("send_at")),
            claimed_at=_untime(dl.get("claimed_at")),
        ),
        dunning=DunningState(
            offsets=tuple(dn["offsets"]),
            tones=tuple(dn.get("tones", ())),
            min_gap_days=dn["min_gap_days"],
            step=dn["step"],
            claimed=dn.get("claimed"),
            claimed_on=_unday(dn.get("claimed_on")),
            last_action_on=_unday(dn["last_action_on"]),
            paused_until=_unday(dn["paused_until"]),
            disputed=dn["disputed"],
            dispute_reason=dn["dispute_reason"],
            excluded=dn["excluded"],
        ),
        messages=tuple(
            SentMessage(
                m["kind"],
                _untime(m["at"]),
                m["message_id"],
                m["to"],
                m["step"],
                m["tone"],
                _unday(m.get("on")),
            )  # type: ignore[arg-type]
            for m in d.get("messages", ())
        ),
        version=d["version"],
    )
