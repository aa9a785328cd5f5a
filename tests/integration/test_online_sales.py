"""A sale paid online, written to incoming/stripe/<session id>.json as the stripe_webhook function
writes it, becomes its invoice through generate (S3 -> SQS -> the generate handler, as in AWS):
numbered in the invoices' series, issued paid, emailed as a receipt with its PDF; the same session
written again, with other bytes, is still one invoice; a sale that cannot be invoiced is refused
with a report and an alert, like any file."""

from __future__ import annotations

import copy
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pdfplumber

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.domain.invoice import Settlement
from invoicing.domain.receivable import Delivery, Status
from invoicing.services.clock import today
from invoicing.services.payments import online_sale_invoice_id
from tests.conftest import fixture_path, sales_csv


def _fixture(*parts: str) -> Any:
    return json.loads(fixture_path(*parts).read_text(encoding="utf-8"))


def sale_file(
    *, recorded: str = "stripe-sync-engine/checkout_session_completed.json", **changes: Any
) -> dict:
    """The file the webhook writes for a recorded ``checkout.session.completed``, with two line items
    (Stripe's OpenAPI ``item``): a 24,00 € box (4,00 € of VAT) and a 6,00 € delivery (1,00 €)."""
    session = copy.deepcopy(_fixture("stripe", "events", *recorded.split("/"))["data"]["object"])
    items = []
    for description, quantity, total, tax in (
        ("Coffret découverte", 2, 2400, 400),
        ("Livraison", 1, 600, 100),
    ):
        item = copy.deepcopy(_fixture("stripe", "openapi", "fixtures3.json")["resources"]["item"])
        item.update(
            description=description, quantity=quantity, amount_total=total, amount_tax=tax, currency="eur"
        )
        items.append(item)
    session["line_items"] = {"object": "list", "data": items, "has_more": False}
    session["amount_total"] = 3000
    if "stripe-sync-engine" in recorded:
        session["currency"] = "eur"
    document = {
        "source": "stripe",
        "event_id": "evt_1QzY8tB7WZ01zgkW",
        "livemode": False,
        "paid_on": "2026-11-26",
        "payment_id": "stripe:pi_1IqxJOJDPojXS6LN9uOebAea",
        "method": "card",
        "session": session,
    }
    document.update(changes)
    return document


def test_a_sale_paid_online_is_invoiced_paid_and_emailed_once(
    runtime, bucket, resources, mailbox, with_clients
) -> None:
    # An invoice of the sales file first: the sale's comes next in the same series.
    bucket.put("incoming/ventes.csv", sales_csv(["C001;03/11/2026;Audit;2;h;95;20;BC-1;;"]))
    runtime.run_until_idle()

    sale = sale_file()
    session_id = sale["session"]["id"]
    key = f"incoming/stripe/{session_id}.json"
    bucket.put(key, json.dumps(sale, sort_keys=True))
    runtime.run_until_idle()

    repo = InvoiceRepository(resources)
    year = today("Europe/Paris").year
    assert sorted(s.invoice.number for s in repo.all()) == [f"FA{year}-00001", f"FA{year}-00002"]
    stored = repo.get(online_sale_invoice_id(session_id))  # the id the webhook records the payment on
    assert stored is not None
    invoice, receivable = stored.invoice, stored.receivable
    assert invoice.number == f"FA{year}-00002"
    assert invoice.settled == Settlement(date(2026, 11, 26), "card", "stripe:pi_1IqxJOJDPojXS6LN9uOebAea")
    assert invoice.totals.grand_total == Decimal("30.00")
    assert (invoice.buyer.name, invoice.buyer.email) == ("Copple", "billz@supabase.io")
    # Opened paid with the sale's payment: nothing due, no reminder ahead.
    assert receivable.status is Status.PAID
    assert receivable.due == Decimal("0.00")
    assert [(p.payment_id, p.amount) for p in receivable.payments] == [
        ("stripe:pi_1IqxJOJDPojXS6LN9uOebAea", Decimal("30.00"))
    ]
    assert not receivable.chaseable
    assert receivable.delivery.state is Delivery.SENT

    # Emailed to the buyer (who is in no clients file) as a receipt, with the PDF saying it is paid.
    [message] = mailbox.about(invoice.invoice_id)
    assert [a.addr_spec for a in message["To"].addresses] == ["billz@supabase.io"]
    assert message["Subject"].startswith(f"Facture acquittée {invoice.number}")
    text = message.get_body(("plain",)).get_content()
    assert "Voici votre facture acquittée" in text
    assert "/pay/" not in text
    assert "IBAN" not in text
    [attachment] = list(message.iter_attachments())
    with pdfplumber.open(io.BytesIO(attachment.get_content())) as pdf:
        page = " ".join(pdf.pages[0].extract_text().split())
    assert "Facture acquittée le 26/11/2026 — payée par carte bancaire" in page
    assert "Net à payer 0,00 €" in page

    assert bucket.keys("incoming/") == []
    assert bucket.keys("processed/stripe/") == [f"processed/stripe/{session_id}.json"]
    report = bucket.get(f"reports/stripe/{session_id}.json.invoices.csv").decode("utf-8-sig")
    assert invoice.number in report

    # The same session written again, with other bytes (another event, other spacing): nothing new.
    again = sale_file(event_id="evt_1QzY9aB7WZ01zgkWagain", livemode=True)
    bucket.put(key, json.dumps(again, indent=2))
    runtime.run_until_idle()
    assert len(list(repo.all())) == 2
    assert len(mailbox.about(invoice.invoice_id)) == 1
    assert len(bucket.keys("processed/stripe/")) == 2  # both files kept, the second under its upload time
    assert repo.get(invoice.invoice_id).receivable.payments == receivable.payments  # type: ignore[union-attr]


def test_a_sale_that_cannot_be_invoiced_is_refused_with_a_report(
    runtime, bucket, resources, mailbox, operator_inbox
) -> None:
    """stripe-ruby-mock's recorded session, in US dollars; and a buyer's name no font of the invoice
    can print: each refused whole, kept, reported and alerted, nothing numbered."""
    dollars = sale_file(recorded="stripe-ruby-mock/checkout.session.completed.json")
    unprintable = sale_file()
    unprintable["session"]["id"] = "cs_test_b2ZT2VSmoDQzFgpmiduWZQ8Qx52MfbZzWJfHTUCqKqJgGe7uWZ9YC2PMZ"
    unprintable["session"]["customer_details"]["name"] = "王小明"
    for sale in (dollars, unprintable):
        bucket.put(f"incoming/stripe/{sale['session']['id']}.json", json.dumps(sale))
    runtime.run_until_idle()

    assert list(InvoiceRepository(resources).all()) == []
    assert mailbox.messages() == []
    ids = sorted(sale["session"]["id"] for sale in (dollars, unprintable))
    assert bucket.keys("rejected/stripe/") == [f"rejected/stripe/{i}.json" for i in ids]
    report = bucket.get(f"reports/stripe/{dollars['session']['id']}.json.errors.csv").decode("utf-8-sig")
    assert "session.currency" in report
    assert "Vente en USD" in report
    report = bucket.get(f"reports/stripe/{unprintable['session']['id']}.json.errors.csv").decode("utf-8-sig")
    assert "session.customer_details.name" in report
    assert "impossibles à imprimer" in report
    alerts = operator_inbox.messages()
    assert len(alerts) == 2
    assert any("Vente en USD" in alert["Message"] for alert in alerts)
