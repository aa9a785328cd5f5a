"""What is wrong with an input, said plainly in French and English.

Every rejection names the row, the column, the value and the reason. Reasons come from one
catalogue so that the same problem is always worded the same way, and tests can assert codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from invoicing.domain.text import quoted

#: code -> (French, English); ``{placeholders}`` are filled from ``Problem.params``.
MESSAGES: dict[str, tuple[str, str]] = {
    # whole file
    "empty_file": ("Le fichier est vide.", "The file is empty."),
    "too_large": (
        "Le fichier dépasse la taille maximale de {limit} octets.",
        "The file exceeds the maximum size of {limit} bytes.",
    ),
    "not_tabular": (
        "Ce fichier n'est ni un CSV ni un classeur XLSX ({detail}).",
        "This file is neither a CSV nor an XLSX workbook ({detail}).",
    ),
    "legacy_xls": (
        "Ancien format Excel .xls : enregistrez le classeur au format .xlsx.",
        "Legacy Excel .xls format: save the workbook as .xlsx.",
    ),
    "bad_encoding": (
        "Encodage illisible : enregistrez le fichier en UTF-8 (CSV UTF-8) ou Windows-1252.",
        "Unreadable encoding: save the file as UTF-8 (CSV UTF-8) or Windows-1252.",
    ),
    "mixed_encoding": (
        "Le fichier mélange deux encodages : la plupart des lignes accentuées sont en UTF-8, mais "
        "pas les lignes {lines}. Enregistrez tout le fichier en « CSV UTF-8 ».",
        "The file mixes two encodings: most accented lines are UTF-8, but not lines {lines}. "
        'Save the whole file as "CSV UTF-8".',
    ),
    "xlsx_too_large": (
        "Le classeur se décompresse en {size} Mo, au-delà de {limit} Mo : gardez une seule feuille "
        "de ventes, sans images ni cellules géantes.",
        "The workbook unpacks to {size} MB, above {limit} MB: keep one sales sheet, without images or "
        "huge cells.",
    ),
    "bad_xlsx": ("Classeur XLSX illisible ({detail}).", "Unreadable XLSX workbook ({detail})."),
    "no_rows": ("Le fichier ne contient aucune ligne de données.", "The file has no data rows."),
    "too_many_rows": (
        "Le fichier dépasse {limit} lignes ; découpez-le.",
        "The file exceeds {limit} rows; split it.",
    ),
    "missing_column": (
        "Colonne obligatoire absente : {column} (noms acceptés : {aliases}).",
        "Required column missing: {column} (accepted names: {aliases}).",
    ),
    "duplicate_column": (
        "La colonne {column} apparaît plusieurs fois dans l'en-tête.",
        "Column {column} appears more than once in the header.",
    ),
    "formula_without_value": (
        "Cellule avec formule mais sans valeur calculée : ouvrez le classeur dans Excel ou "
        "LibreOffice et enregistrez-le.",
        "Cell holds a formula but no computed value: open the workbook in Excel or LibreOffice and save it.",
    ),
    "ragged_row": (
        "La ligne a {found} colonnes alors que l'en-tête en a {expected}.",
        "The row has {found} columns but the header has {expected}.",
    ),
    # values
    "required": ("Valeur obligatoire manquante.", "Required value missing."),
    "bad_number": ("Nombre illisible.", "Unreadable number."),
    "number_too_large": (
        "Nombre trop grand (au plus {limit}).",
        "Number too large (at most {limit}).",
    ),
    "amount_over_limit": (
        "Ce document totaliserait {total} € TTC, au-delà du plafond de {limit} € fixé pour cette "
        "entreprise (paramètre MaxInvoiceTotal) : vérifiez les quantités et les prix.",
        "This document would total {total} € incl. VAT, above this business's ceiling of {limit} € "
        "(parameter MaxInvoiceTotal): check the quantities and prices.",
    ),
    "too_precise": (
        "Trop de décimales (au plus {places}).",
        "Too many decimal places (at most {places}).",
    ),
    "not_positive": ("La quantité doit être strictement positive.", "Quantity must be greater than zero."),
    "negative": ("La valeur ne peut pas être négative.", "The value cannot be negative."),
    "bad_date": (
        "Date illisible : utilisez JJ/MM/AAAA ou AAAA-MM-JJ.",
        "Unreadable date: use DD/MM/YYYY or YYYY-MM-DD.",
    ),
    "date_out_of_range": (
        "Date hors limites (entre {earliest} et {latest}).",
        "Date out of range (between {earliest} and {latest}).",
    ),
    "unknown_vat_rate": (
        "Taux de TVA inconnu : utilisez 20, 10, 5,5, 2,1 ou 0 avec un motif d'exonération.",
        "Unknown VAT rate: use 20, 10, 5.5, 2.1, or 0 with an exemption reason.",
    ),
    "zero_rate_needs_reason": (
        "TVA à 0 % sans motif : indiquez la colonne exoneration (autoliquidation, intracom, export).",
        "0 % VAT without a reason: fill the exoneration column (autoliquidation, intracom, export).",
    ),
    "unknown_exemption": (
        "Motif d'exonération inconnu : utilisez autoliquidation, intracom ou export.",
        "Unknown exemption reason: use autoliquidation, intracom or export.",
    ),
    "exemption_with_rate": (
        "Un motif d'exonération exige un taux de TVA de 0.",
        "An exemption reason requires a VAT rate of 0.",
    ),
    "franchise_with_vat": (
        "L'entreprise est en franchise en base de TVA (art. 293 B du CGI) : aucun taux de TVA ne "
        "peut être facturé.",
        "The business is under the VAT franchise (art. 293 B CGI): no VAT rate can be charged.",
    ),
    "unknown_product": (
        "Code produit inconnu : ajoutez-le à la liste de prix (incoming/products/) ou écrivez sur "
        "la ligne sa désignation, son prix et sa TVA.",
        "Unknown product code: add it to the price list (incoming/products/) or write its "
        "description, price and VAT on the row.",
    ),
    "no_products_table": (
        "Cette installation n'a pas de table des produits : redéployez la pile pour utiliser une "
        "liste de prix.",
        "This stack has no products table: redeploy it to use a price list.",
    ),
    "duplicate_product": (
        "Code produit déjà utilisé à la ligne {first_row}.",
        "Product code already used on row {first_row}.",
    ),
    "bad_product_code": (
        "Code produit invalide : lettres, chiffres et + - _ / . uniquement, 35 caractères au plus.",
        "Invalid product code: letters, digits and + - _ / . only, at most 35 characters.",
    ),
    "unknown_client": (
        "Client inconnu : ajoutez-le au fichier clients (incoming/clients/).",
        "Unknown client: add it to the clients file (incoming/clients/).",
    ),
    "bad_discount": (
        "Remise illisible : écrivez un pourcentage (10 %) ou un montant HT (25,00).",
        "Unreadable discount: write a percentage (10 %) or an amount excl. VAT (25.00).",
    ),
    "discount_too_large": (
        "La remise dépasse le montant de la ligne.",
        "The discount exceeds the line amount.",
    ),
    "text_too_long": (
        "Texte trop long (au plus {limit} caractères).",
        "Text too long (at most {limit} characters).",
    ),
    "bad_siren": ("SIREN invalide (9 chiffres, clé de contrôle).", "Invalid SIREN (9 digits, check digit)."),
    "bad_vat_id": ("Numéro de TVA intracommunautaire invalide.", "Invalid EU VAT identification number."),
    "vat_id_siren_mismatch": (
        "Le numéro de TVA ne correspond pas au SIREN.",
        "The VAT number does not match the SIREN.",
    ),
    "bad_email": ("Adresse e-mail invalide.", "Invalid email address."),
    "email_invisible": (
        "Adresse e-mail contenant un caractère invisible (souvent un copier-coller) : retapez-la.",
        "Email address with an invisible character (often from a copy-paste): type it again.",
    ),
    "email_not_ascii": (
        "Adresse e-mail avec des lettres accentuées avant le @ : aucun e-mail ne peut y être envoyé ; "
        "demandez au client une adresse sans accents.",
        "Email address with accented letters before the @: no email can be sent to it; ask the client "
        "for one without.",
    ),
    "bad_country": (
        "Code pays invalide : utilisez le code ISO à deux lettres (FR, BE, DE...).",
        "Invalid country code: use the two-letter ISO code (FR, BE, DE...).",
    ),
    "bad_locale": ("Langue inconnue : fr ou en.", "Unknown language: fr or en."),
    "bad_terms": (
        "Conditions de paiement illisibles : par exemple 30, 30 jours, 45 jours fin de mois, comptant.",
        "Unreadable payment terms: for example 30, 30 days, 45 days end of month, on receipt.",
    ),
    "duplicate_client": (
        "Référence client déjà utilisée à la ligne {first_row}.",
        "Client reference already used on row {first_row}.",
    ),
    "bad_reference": (
        "Référence invalide : lettres, chiffres et + - _ / uniquement, 35 caractères au plus.",
        "Invalid reference: letters, digits and + - _ / only, at most 35 characters.",
    ),
    "bad_document_type": (
        "Type de document inconnu : facture ou avoir.",
        "Unknown document type: invoice (facture) or credit note (avoir).",
    ),
    "credit_note_needs_invoice": (
        "Un avoir doit indiquer la facture qu'il corrige (colonne facture_origine).",
        "A credit note must name the invoice it corrects (facture_origine column).",
    ),
    "unknown_invoice": (
        "Facture d'origine introuvable : {number}.",
        "Corrected invoice not found: {number}.",
    ),
    "credit_exceeds_invoice": (
        "L'avoir ({credit}) dépasse le montant restant de la facture {number} ({remaining}).",
        "The credit note ({credit}) exceeds what remains of invoice {number} ({remaining}).",
    ),
    "credit_rate_not_invoiced": (
        "La facture {number} n'a pas de TVA à {rate} : un avoir reprend ce qui a été facturé, à son taux.",
        "Invoice {number} has no VAT at {rate}: a credit note credits what was invoiced, at its rate.",
    ),
    "credit_exceeds_rate": (
        "À {rate}, les avoirs de la facture {number} annuleraient {basis} HT et {vat} de TVA, plus que "
        "facturé ({invoiced_basis} HT, {invoiced_vat} de TVA).",
        "At {rate}, the credit notes of invoice {number} would cancel {basis} excl. VAT and {vat} VAT, "
        "more than invoiced ({invoiced_basis} excl. VAT, {invoiced_vat} VAT).",
    ),
    "credit_note_other_client": (
        "La facture {number} appartient au client {owner}, pas à celui de l'avoir.",
        "Invoice {number} belongs to client {owner}, not to the credit note's client.",
    ),
    "mixed_in_group": (
        "Les lignes d'un même document doivent avoir le même {what} que la ligne {first_row}.",
        "Rows of one document must share the same {what} as row {first_row}.",
    ),
    "origin_on_invoice": (
        "Facture d'origine indiquée sur une ligne de facture : pour un avoir, écrivez « avoir » dans la "
        "colonne type ; sinon videz cette cellule.",
        'Corrected invoice given on an invoice row: for a credit note write "avoir" in the type column; '
        "otherwise empty this cell.",
    ),
    "too_many_documents": (
        "Ce fichier produirait {count} documents ; au plus {limit} par fichier : découpez-le en "
        "plusieurs fichiers (par exemple par semaine ou par client).",
        "This file would produce {count} documents; at most {limit} per file: split it into several "
        "files (by week or by client, say).",
    ),
    "too_many_lines": (
        "Ce document aurait {count} lignes : c'est trop pour une seule facture ; répartissez les lignes "
        "sur plusieurs références de commande.",
        "This document would have {count} lines: too many for one invoice; spread the rows over several "
        "order references.",
    ),
    "undrawable_characters": (
        "Caractères impossibles à imprimer sur la facture : {chars} ; écrivez ce texte en caractères "
        "latins (ou grecs, cyrilliques).",
        "Characters that cannot be printed on the invoice: {chars}; write this text in Latin (or Greek, "
        "Cyrillic) characters.",
    ),
    "forbidden_characters": (
        "Caractères invisibles ou de contrôle interdits : {chars} (copiés depuis une autre "
        "application ?) ; retapez ce texte.",
        "Invisible or control characters are not allowed: {chars} (pasted from another "
        "application?); type this text again.",
    ),
    "unrenderable": (
        "Ce document ne peut pas être produit (PDF ou XML Factur-X) : {detail}. Aucune facture n'a "
        "été numérotée ; corrigez les lignes concernées.",
        "This document cannot be produced (PDF or Factur-X XML): {detail}. No invoice was numbered; "
        "fix the rows concerned.",
    ),
    "email_required": (
        "Adresse e-mail obligatoire pour un client sans SIREN ni numéro de TVA (un particulier) : "
        "c'est là que ses factures sont envoyées.",
        "An email address is required for a client without SIREN or VAT number (a private person): "
        "that is where their invoices are sent.",
    ),
    "too_many_problems": (
        "Trop d'erreurs : seules les {limit} premières sont listées. Corrigez-les et déposez à nouveau "
        "le fichier.",
        "Too many problems: only the first {limit} are listed. Fix them and upload the file again.",
    ),
    # bank statements (invoicing.ingest.bank)
    "not_a_statement": (
        "Ce fichier n'est pas un relevé bancaire lisible (CAMT.053 ou CSV) : {detail}.",
        "This file is not a readable bank statement (CAMT.053 or CSV): {detail}.",
    ),
    "bad_xml": ("XML illisible ({detail}).", "Unreadable XML ({detail})."),
    "xml_doctype": (
        "XML avec une déclaration DOCTYPE (entités) : refusé ; exportez le relevé tel que la banque "
        "le fournit.",
        "XML with a DOCTYPE declaration (entities): refused; export the statement as the bank provides it.",
    ),
    "no_statement": (
        "Ce fichier CAMT.053 ne contient aucun relevé (élément Stmt).",
        "This CAMT.053 file holds no statement (Stmt element).",
    ),
    "unknown_statement_layout": (
        "Relevé CSV non reconnu : il faut une ligne d'en-tête avec une date, un libellé et un montant "
        "(ou des colonnes débit et crédit) ; première ligne : {detail}.",
        "Unrecognised CSV statement: it needs a header line with a date, a label and an amount (or "
        "debit and credit columns); first line: {detail}.",
    ),
    "bad_currency": (
        "Devise invalide : code ISO à trois lettres (EUR).",
        "Invalid currency: three-letter ISO code (EUR).",
    ),
    "bad_credit_debit": (
        "Sens de l'opération illisible : CRDT (crédit) ou DBIT (débit) attendu.",
        "Unreadable direction: CRDT (credit) or DBIT (debit) expected.",
    ),
    "debit_and_credit": (
        "La ligne a à la fois un débit et un crédit : une seule des deux colonnes doit être remplie.",
        "The row has both a debit and a credit: only one of the two columns may be filled.",
    ),
    # sales paid online (invoicing.ingest.online_sale): the payment is recorded, the invoice is not
    # issued; the operator issues it by hand or has the sale corrected and written again.
    "bad_json": ("JSON illisible ({detail}).", "Unreadable JSON ({detail})."),
    "not_an_online_sale": (
        "Ce fichier n'est pas une vente en ligne Stripe lisible : {detail}.",
        "This file is not a readable Stripe online sale: {detail}.",
    ),
    "wrong_type": (
        "Type de valeur inattendu : {expected} attendu.",
        "Unexpected kind of value: {expected} expected.",
    ),
    "too_many_items": (
        "La vente compte {count} articles, au-delà des {limit} qu'une facture automatique reprend ; "
        "émettez cette facture à la main.",
        "The sale has {count} items, more than the {limit} an automatic invoice takes; issue this "
        "invoice by hand.",
    ),
    "currency_not_eur": (
        "Vente en {currency} : seules les ventes en euros (EUR) sont facturées automatiquement ; émettez "
        "cette facture à la main.",
        "Sale in {currency}: only sales in euros (EUR) are invoiced automatically; issue this invoice by "
        "hand.",
    ),
    "sale_amount_zero": (
        "Vente d'un montant nul : aucune facture n'est émise.",
        "A sale of zero: no invoice is issued.",
    ),
    "sale_total_mismatch": (
        "Les articles de la vente totalisent {lines} € TTC, mais {paid} € ont été payés : aucune facture "
        "n'a été émise ; vérifiez la vente dans Stripe.",
        "The sale's items total {lines} € incl. VAT, but {paid} € was paid: no invoice was issued; check "
        "the sale in Stripe.",
    ),
    "sale_total_unreachable": (
        "Avec la TVA à {rate} % calculée sur le total HT et arrondie au centime, aucun total HT ne donne "
        "exactement les {amount} € TTC payés : émettez cette facture à la main.",
        "With {rate} % VAT computed on the total excluding VAT and rounded to the cent, no such total "
        "gives exactly the {amount} € paid: issue this invoice by hand.",
    ),
    "sale_vat_unsupported": (
        "Taxe non gérée ({tax}) : seules la TVA française (20, 10, 5,5 ou 2,1 %) et l'autoliquidation "
        "pour un client ayant un numéro de TVA intracommunautaire sont facturées automatiquement ; "
        "émettez cette facture à la main.",
        "Tax not supported ({tax}): only French VAT (20, 10, 5.5 or 2.1 %) and the reverse charge for a "
        "customer with an EU VAT number are invoiced automatically; issue this invoice by hand.",
    ),
    # supplier invoices (invoicing.domain.supplier_review): reasons to wait for the owner
    "supplier_missing": (
        "Mention absente ou illisible : {mention}.",
        "Mention missing or unreadable: {mention}.",
    ),
    "supplier_totals_mismatch": (
        "Total HT {excl} + TVA {tax} = {expected}, mais le total TTC lu est {incl}.",
        "Total excl. VAT {excl} + VAT {tax} = {expected}, but the total incl. VAT read is {incl}.",
    ),
    "supplier_vat_rate_mismatch": (
        "TVA à {rate} % sur {base} : {expected} attendus, {tax} lus.",
        "VAT at {rate} % on {base}: {expected} expected, {tax} read.",
    ),
    "supplier_vat_breakdown_mismatch": (
        "Le détail de la TVA par taux ({breakdown}) ne fait pas le total lu ({total}).",
        "The VAT per rate ({breakdown}) does not add up to the total read ({total}).",
    ),
    "supplier_bad_siret": (
        "SIRET invalide (14 chiffres, clé de contrôle).",
        "Invalid SIRET (14 digits, check digit).",
    ),
    "supplier_bad_iban": ("IBAN invalide.", "Invalid IBAN."),
    "supplier_date_future": (
        "Date de facture dans le futur ({date}).",
        "Invoice date in the future ({date}).",
    ),
    "supplier_date_old": (
        "Date de facture de plus de {days} jours ({date}) : vérifiez qu'elle n'est pas déjà comptabilisée.",
        "Invoice dated more than {days} days ago ({date}): check it is not already booked.",
    ),
    "supplier_due_before_issue": (
        "Échéance ({due}) antérieure à la date de facture ({issued}).",
        "Due date ({due}) before the invoice date ({issued}).",
    ),
    "supplier_duplicate_number": (
        "Facture {number} de ce fournisseur déjà reçue ({other}).",
        "Invoice {number} of this supplier already received ({other}).",
    ),
    "supplier_duplicate_file": (
        "Ce fichier a déjà été reçu ({other}).",
        "This file was already received ({other}).",
    ),
    "supplier_low_confidence": (
        "Lecture incertaine de : {fields}.",
        "Uncertain reading of: {fields}.",
    ),
    "supplier_currency": (
        "Facture en {currency} : la comptabilité a besoin de sa contre-valeur en euros.",
        "Invoice in {currency}: the books need its value in euros.",
    ),
    "supplier_is_us": (
        "Cette facture est adressée par notre propre entreprise : ce n'est pas un achat.",
        "This invoice is issued by our own business: it is not a purchase.",
    ),
    "duplicate_row_id": (
        "Identifiant de ligne déjà utilisé à la ligne {first_row} : chaque ligne a le sien.",
        "Row id already used on row {first_row}: each row has its own.",
    ),
    "row_changed_after_invoicing": (
        "Cette ligne a été facturée ({number}) et a changé depuis (client ou montants) : une facture "
        "émise ne se modifie pas, corrigez-la par un avoir et ajoutez une nouvelle ligne.",
        "This row was invoiced ({number}) and has changed since (client or amounts): an issued invoice "
        "cannot be edited; correct it with a credit note and add a new row.",
    ),
    "bad_account": (
        "Compte invalide : un compte du plan comptable commence par 3 chiffres (6064, 6226…).",
        "Invalid account: an account of the French chart starts with 3 digits (6064, 6226…).",
    ),
    "supplier_unreadable": (
        "Document illisible ({detail}).",
        "Unreadable document ({detail}).",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input. ``row`` is the spreadsheet row (the header is row 1)."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise KeyError(f"unknown problem code {self.code!r}")
        if self.value is not None:
            # Quoted back in reports and alerts: bounded and with nothing invisible in it.
            object.__setattr__(self, "value", quoted(self.value))

    @property
    def reason_fr(self) -> str:
        return MESSAGES[self.code][0].format(**self.params)

    @property
    def reason_en(self) -> str:
        return MESSAGES[self.code][1].format(**self.params)

    def describe(self, locale: str = "en") -> str:
        """One line for people: where (row, column, value), then why, in French or English."""
        fr = locale == "fr"
        where = ", ".join(
            part
            for part in (
                f"{'ligne' if fr else 'row'} {self.row}" if self.row is not None else "",
                f"{'colonne' if fr else 'column'} {self.column}" if self.column else "",
                (f"valeur « {self.value} »" if fr else f"value {self.value!r}")
                if self.value is not None
                else "",
            )
            if part
        )
        reason = self.reason_fr if fr else self.reason_en
        return f"{where}{' : ' if fr else ': '}{reason}" if where else reason

    def __str__(self) -> str:
        return self.describe("en")


class InputRejected(Exception):
    """The whole input is refused; nothing was created from it."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        if not problems:
            raise ValueError("a rejection needs at least one problem")
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} problem(s); first: {self.problems[0]}")
