"""The words printed on documents, in French and English. One table so both stay in step.

Legal mentions (their wording and when they apply) are not here: ``invoicing.documents.mentions``.
"""

from __future__ import annotations

_LABELS: dict[str, tuple[str, str]] = {
    "invoice": ("FACTURE", "INVOICE"),
    "credit_note": ("AVOIR", "CREDIT NOTE"),
    "number": ("N°", "No."),
    "issue_date": ("Date d'émission", "Issue date"),
    "sale_date": ("Date de la vente / prestation", "Date of sale / service"),
    "sale_period": ("Période de la vente / prestation", "Period of sale / service"),
    "due_date": ("Échéance", "Due date"),
    "order_ref": ("Votre référence", "Your reference"),
    "client_ref": ("Réf. client", "Customer ref."),
    "bill_to": ("Facturé à", "Bill to"),
    "credit_to": ("Avoir au profit de", "Credit to"),
    "siren": ("SIREN", "SIREN"),
    "vat_id": ("N° TVA", "VAT No."),
    "description": ("Désignation", "Description"),
    "date": ("Date", "Date"),
    "quantity": ("Qté", "Qty"),
    "unit": ("Unité", "Unit"),
    "unit_price": ("PU HT", "Unit price"),
    "discount": ("Remise", "Discount"),
    "vat": ("TVA", "VAT"),
    "line_total": ("Total HT", "Net amount"),
    "vat_summary": ("Récapitulatif TVA", "VAT summary"),
    "vat_rate": ("Taux", "Rate"),
    "vat_basis": ("Base HT", "Taxable amount"),
    "vat_amount": ("Montant TVA", "VAT amount"),
    "total_lines": ("Total des lignes HT", "Sum of lines"),
    "allowance": ("Remise", "Allowance"),
    "charge": ("Frais", "Charge"),
    "total_excl_vat": ("Total HT", "Total excl. VAT"),
    "total_vat": ("Total TVA", "Total VAT"),
    "total_incl_vat": ("Total TTC", "Total incl. VAT"),
    "amount_due": ("Net à payer", "Amount due"),
    "amount_paid": ("Réglé le {date}", "Paid on {date}"),
    "paid_on": ("Réglée le", "Paid on"),
    "paid_stamp": ("FACTURE ACQUITTÉE", "PAID"),
    "credit_total": ("Montant de l'avoir TTC", "Credit note total incl. VAT"),
    "payment": ("Paiement", "Payment"),
    "payment_terms": ("Conditions", "Terms"),
    "transfer_to": ("Virement bancaire", "Bank transfer"),
    "payment_reference": ("Référence à rappeler", "Payment reference"),
    "scan_to_pay": ("Scannez pour payer par virement", "Scan to pay by bank transfer"),
    "continued": ("(suite)", "(continued)"),
    "page": ("Page", "Page"),
    "reason": ("Motif", "Reason"),
}


def label(key: str, locale: str, **params: str) -> str:
    fr, en = _LABELS[key]
    text = en if locale == "en" else fr
    return text.format(**params) if params else text
