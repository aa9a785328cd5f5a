"""The demo's supplier invoices and the accountant's export (issue: supplier intake).

Two suppliers bill the first sample business this month:

- a stationer emails its invoice, a Factur-X PDF (the XML inside is read exactly), with its
  logo in the signature (skipped: too small to be an invoice) — the raw mail goes where SES
  inbound writes it, ``inbox/mail/``;
- a law firm's invoice is a plain PDF without XML, uploaded to ``inbox/upload/``: the offline
  engine reads its text layer.

Both are read, checked and recorded; the owner gets a summary of each. Then the month's export
runs as the monthly schedule runs it, and its files (the FEC with sales, purchases and payments,
the entries CSV and XIMPORT.TXT) are copied to ``out/demo/exports/``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3

from invoicing.business import Business
from invoicing.documents.pdf import render_pdf
from invoicing.documents.render import render
from invoicing.domain.invoice import DocumentType, Draft, Line, issue
from invoicing.domain.parties import Address, Client, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment
from invoicing_tools.local_aws.server import REGION

STATIONER = Seller(
    legal_name="Papeterie Martin",
    legal_form="SARL",
    siret="84731926600015",
    address=Address(("3 rue des Carmes",), "69002", "Lyon"),
    vat_id="FR60847319266",
    iban="FR7630006000011234567890189",
    email="factures@papeterie-martin.example",
    rcs_city="Lyon",
)
LAW_FIRM = Seller(
    legal_name="Cabinet Lenoir Avocats",
    legal_form="SELARL",
    siret="81245733100013",
    address=Address(("22 quai Saint-Antoine",), "69002", "Lyon"),
    vat_id="FR43812457331",
    email="compta@lenoir-avocats.example",
    rcs_city="Lyon",
)


def _buyer(stack_env: dict[str, str]) -> Client:
    us = Business.from_env(stack_env).seller
    return Client(ref="CLIENT", name=us.legal_name, address=us.address, siren=us.siren, vat_id=us.vat_id)


def _invoice(seller: Seller, buyer: Client, number: str, day: date, *lines: tuple[str, str, str, str]) -> Any:
    draft = Draft(
        DocumentType.INVOICE,
        buyer,
        tuple(
            Line(text, Decimal(qty), "u", Decimal(price), VatTreatment.standard(Decimal(rate)))
            for text, qty, price, rate in lines
        ),
        day,
        day,
    )
    return issue(
        draft, seller=seller, number=number, issue_date=day, default_terms=PaymentTerms(30), invoice_id=number
    )


def _mail(pdf: bytes, to: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Papeterie Martin <{STATIONER.email}>"
    msg["To"] = to
    msg["Subject"] = "Facture PM-2026-0412"
    msg["X-SES-Spam-Verdict"] = "PASS"
    msg["X-SES-Virus-Verdict"] = "PASS"
    msg.set_content("Bonjour,\n\nVeuillez trouver ci-joint notre facture.\n\nCordialement,\nPapeterie Martin")
    logo = b"\x89PNG\r\n\x1a\n" + bytes(1500)  # the signature's logo
    msg.add_attachment(logo, maintype="image", subtype="png", filename="logo-papeterie.png")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="Facture PM-2026-0412.pdf")
    return msg.as_bytes()


def suppliers(stack: Any, runtime: Any, day: date, out: Path) -> dict[str, Any]:
    """Mail one supplier invoice and upload another, then export the month into ``out/exports``."""
    from invoicing.adapters.supplier_invoices import State, SupplierInvoices
    from invoicing.services.supplier_desk import SupplierDesk

    env = stack.functions["OcrFunction"].environment
    buyer = _buyer(env)
    stationery = _invoice(
        STATIONER,
        buyer,
        "PM-2026-0412",
        day,
        ("Ramettes de papier A4 80 g", "10", "5.90", "20"),
        ("Classeurs à levier", "12", "3.25", "20"),
        ("Cartouches d'encre noire", "2", "34.00", "20"),
    )
    fees = _invoice(
        LAW_FIRM,
        buyer,
        "2026-118",
        day,
        ("Honoraires : rédaction des conditions générales de vente", "1", "850.00", "20"),
    )
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.resource("DocumentsBucket")
    s3.put_object(
        Bucket=bucket,
        Key="inbox/mail/demo-papeterie",
        Body=_mail(render(stationery).pdf, env["SELLER_EMAIL"]),
    )
    s3.put_object(Bucket=bucket, Key="inbox/upload/lenoir-avocats-2026-118.pdf", Body=render_pdf(fees))
    runtime.run_until_idle()

    records = SupplierInvoices(env["SUPPLIER_INVOICES_TABLE"])
    # The owner reads the summary and validates what waits, as `invoicing suppliers approve REF`.
    desk = SupplierDesk(records, today=lambda: day)
    approved = [desk.approve(waiting.short_id).short_id for waiting in desk.queue()]
    read = []
    for state in (State.READY, State.APPROVED):
        for stored in records.in_state(state):
            inv = stored.invoice
            read.append(
                {
                    "file": stored.file_name,
                    "supplier": inv.supplier_name,
                    "number": inv.invoice_number,
                    "total_incl_tax": f"{inv.total_incl_tax}",
                    "engine": inv.engine.value,
                    "state": stored.state.value,
                    "account": f"{stored.account.number} {stored.account.label}" if stored.account else "",
                    "reasons": [r.fr for r in stored.reasons],
                    "ref": stored.short_id,
                }
            )
    summaries = _save_summaries(stack.name, out)
    done = runtime.invoke("OcrFunction", {"task": "accounting-export", "month": f"{day:%Y-%m}"})
    exports = out / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    files = []
    for key in done["keys"]:
        target = exports / Path(key).name
        target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        files.append(str(target.relative_to(out)))
    return {
        "business": stack.name,
        "read": sorted(read, key=lambda r: r["file"]),
        "approved": approved,
        "summaries": summaries,
        "exports": files,
        "left_out": done["left_out"],
    }


def _save_summaries(stack_name: str, out: Path) -> list[str]:
    """The owner's summaries of supplier documents, as .eml files beside the other emails."""
    from email import message_from_bytes, policy

    from invoicing_tools.local_aws.server import sent_emails

    saved = []
    for sent in sent_emails():
        headers = message_from_bytes(sent["raw"], policy=policy.default)
        if str(headers["Subject"] or "").startswith("Factures fournisseurs"):
            name = f"{stack_name}--supplier-summary-{len(saved) + 1}.eml"
            (out / "emails" / name).write_bytes(sent["raw"])
            saved.append(f"emails/{name}")
    return saved
