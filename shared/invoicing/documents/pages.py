"""The small HTML pages a payment link can answer instead of sending the customer to Stripe.

``GET /pay/<token>`` either redirects to Stripe Checkout or shows one of these: the link is
unknown (``not_found_page``), nothing is left to pay (``already_paid_page``), a payment is on
its way (``in_progress_page``), Stripe cannot be reached (``unavailable_page``: pay by bank
transfer instead) or the links cannot be checked at all (``service_down_page``);
``thanks_page`` is where Checkout sends the customer back.

Each page is one self-contained HTML string: no script, no image, no font or stylesheet to
fetch, its only style inline and allowed by its hash (``CONTENT_SECURITY_POLICY``, which the
response must carry); readable on a phone. Every value is escaped. French or English by the
invoice's language; a page that knows no invoice (an unknown token says nothing about who
holds it) is bilingual, in the reader's preferred order.

Amounts and IBANs are printed by ``invoicing.documents.format`` (babel), imported only when a
page prints one: the webhook function loads this module at every cold start and needs babel's
~40 ms only on the rare bank-transfer page.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from html import escape

from invoicing.domain.parties import Seller

STYLE = (
    "body{margin:0;background:#f4f5f7;color:#1f2933;"
    'font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}'
    "main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}"
    "section{background:#fff;border-radius:.5rem;padding:1.25rem;margin:0 0 1rem;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}"
    "h1{font-size:1.3rem;line-height:1.3;margin:0 0 .75rem}"
    "p{margin:.5rem 0}"
    ".from{color:#52606d;font-size:.9rem;margin:0 0 .5rem}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .75rem;margin:1rem 0}"
    "dt{color:#52606d}dd{margin:0;overflow-wrap:anywhere}"
    ".mono{font-family:ui-monospace,Menlo,Consolas,monospace}"
    "@media (max-width:26rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.5rem}}"
)

#: What the pages may load: nothing but their own inline style (by hash), no framing, no forms.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

LANGUAGES = ("fr", "en")


def _lang(locale: str) -> str:
    return "en" if locale == "en" else "fr"


def _fmt():
    from invoicing.documents import format as fmt  # babel, only for the pages that print money

    return fmt


def _document(lang: str, title: str, sections: list[str]) -> str:
    body = "\n".join(sections)
    return (
        "<!doctype html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _section(lang: str, business: str | None, heading: str, *paragraphs: str, lang_attr: bool = False) -> str:
    """A card: the business's name, a heading, paragraphs (already HTML: escape what goes in)."""
    attr = f' lang="{lang}"' if lang_attr else ""
    top = f'<p class="from">{escape(business)}</p>\n' if business else ""
    text = "\n".join(paragraphs)
    return f"<section{attr}>\n{top}<h1>{escape(heading)}</h1>\n{text}\n</section>"


def _p(html: str) -> str:
    return f"<p>{html}</p>"


def _b(value: str) -> str:
    return f"<strong>{escape(value)}</strong>"


# --- pages that know no invoice (bilingual) ---------------------------------------------------------


def not_found_page(business_name: str | None = None, *, first: str = "fr") -> str:
    """The token is unknown, altered or expired: we do not say which, nor whose invoice it was.
    ``first``: the language shown first (the reader's ``Accept-Language``)."""
    who_fr = escape(business_name) if business_name else "l’entreprise qui vous l’a envoyée"
    who_en = escape(business_name) if business_name else "the business that sent it"
    sections = {
        "fr": _section(
            "fr",
            None,
            "Lien de paiement invalide",
            _p("Ce lien de paiement n’est pas reconnu ou n’est plus valable."),
            _p(f"Utilisez le lien du dernier e-mail reçu pour cette facture, ou contactez {who_fr}."),
            lang_attr=True,
        ),
        "en": _section(
            "en",
            None,
            "Invalid payment link",
            _p("This payment link is not recognised or is no longer valid."),
            _p(
                f"Please use the link in the latest email you received for this invoice, or contact {who_en}."
            ),
            lang_attr=True,
        ),
    }
    return _bilingual(first, {"fr": "Lien de paiement invalide", "en": "Invalid payment link"}, sections)


def service_down_page(business_name: str | None = None, *, first: str = "fr") -> str:
    """Payment links cannot be checked at the moment (their keys are unreadable): try later, or
    pay by transfer with the bank details printed on the invoice."""
    sections = {
        "fr": _section(
            "fr",
            business_name,
            "Paiement en ligne momentanément indisponible",
            _p(
                "Le paiement en ligne ne peut pas être ouvert pour le moment. "
                "Réessayez dans quelques minutes."
            ),
            _p(
                "Vous pouvez aussi régler la facture par virement, "
                "avec les coordonnées bancaires qu’elle indique."
            ),
            lang_attr=True,
        ),
        "en": _section(
            "en",
            business_name,
            "Online payment temporarily unavailable",
            _p("Online payment cannot be opened at the moment. Please try again in a few minutes."),
            _p("You can also pay the invoice by bank transfer, using the bank details printed on it."),
            lang_attr=True,
        ),
    }
    titles = {"fr": "Paiement en ligne indisponible", "en": "Online payment unavailable"}
    return _bilingual(first, titles, sections)


def _bilingual(first: str, titles: dict[str, str], sections: dict[str, str]) -> str:
    order = ("en", "fr") if first == "en" else ("fr", "en")
    return _document(order[0], " · ".join(titles[o] for o in order), [sections[o] for o in order])


# --- pages about one invoice -----------------------------------------------------------------------


def already_paid_page(number: str, locale: str, business_name: str) -> str:
    """Nothing is left to pay: paid, or cancelled by a credit note."""
    name = escape(business_name)
    return _invoice_page(
        locale,
        business_name,
        fr=(
            "Rien à payer",
            f"Il ne reste rien à payer sur la facture {_b(number)} de {name}.",
            f"Si vous pensez qu’il s’agit d’une erreur, contactez {name}.",
        ),
        en=(
            "Nothing left to pay",
            f"There is nothing left to pay on invoice {_b(number)} from {name}.",
            f"If you think this is a mistake, please contact {name}.",
        ),
    )


def in_progress_page(number: str, locale: str, business_name: str) -> str:
    """A payment of what is due is under way (a SEPA debit or a bank transfer not yet received)."""
    return _invoice_page(
        locale,
        business_name,
        fr=(
            "Paiement en cours",
            f"Un paiement de la facture {_b(number)} est en cours de traitement. Un prélèvement SEPA "
            "ou un virement met quelques jours ouvrés à arriver.",
            "Inutile de payer une seconde fois : la facture sera soldée dès réception des fonds.",
        ),
        en=(
            "Payment in progress",
            f"A payment of invoice {_b(number)} is being processed. A SEPA Direct Debit or a bank "
            "transfer takes a few business days to arrive.",
            "There is no need to pay again: the invoice will be settled as soon as the funds arrive.",
        ),
    )


def thanks_page(number: str, locale: str, business_name: str) -> str:
    """Where Stripe Checkout sends the customer back once they have paid or started paying."""
    name = escape(business_name)
    return _invoice_page(
        locale,
        business_name,
        fr=(
            "Merci",
            f"Votre paiement de la facture {_b(number)} a bien été transmis à {name}.",
            "Un paiement par carte est confirmé en quelques instants ; un prélèvement SEPA ou un "
            "virement prend quelques jours ouvrés. Vous pouvez fermer cette page.",
        ),
        en=(
            "Thank you",
            f"Your payment of invoice {_b(number)} has been sent to {name}.",
            "A card payment is confirmed within moments; a SEPA Direct Debit or a bank transfer "
            "takes a few business days. You may close this page.",
        ),
    )


def _invoice_page(locale: str, business_name: str, *, fr: tuple[str, ...], en: tuple[str, ...]) -> str:
    """One card in the invoice's language: ``(heading, paragraph, ...)``, paragraphs as HTML."""
    lang = _lang(locale)
    heading, *paragraphs = en if lang == "en" else fr
    return _document(lang, heading, [_section(lang, business_name, heading, *map(_p, paragraphs))])


def unavailable_page(
    number: str,
    locale: str,
    seller: Seller,
    amount: Decimal | None = None,
    *,
    below_minimum: bool = False,
) -> str:
    """Online payment cannot be opened (Stripe unreachable or refusing): pay by bank transfer,
    to the seller's IBAN, quoting the invoice number. ``below_minimum``: what is left is too
    small for a card payment (Stripe takes 0.50 EUR at least), not an outage."""
    lang = _lang(locale)
    name = seller.legal_name
    en = lang == "en"
    if below_minimum:
        heading = "Pay by bank transfer" if en else "Paiement par virement"
        lead = (
            f"The amount left on invoice {_b(number)} is too small to be paid online."
            if en
            else f"Le montant restant dû sur la facture {_b(number)} est trop faible "
            "pour un paiement en ligne."
        )
    else:
        heading = "Online payment unavailable" if en else "Paiement en ligne indisponible"
        lead = (
            f"Online payment of invoice {_b(number)} is temporarily unavailable. "
            "Please try again in a few minutes."
            if en
            else f"Le paiement en ligne de la facture {_b(number)} est momentanément indisponible. "
            "Réessayez dans quelques minutes."
        )
    lines = [_p(lead)]
    if seller.iban:
        fmt = _fmt()
        lines.append(_p("You can pay by bank transfer:" if en else "Vous pouvez régler par virement :"))
        rows = [
            ("Beneficiary" if en else "Bénéficiaire", escape(name)),
            ("IBAN", f'<span class="mono">{escape(fmt.grouped(seller.iban, 4))}</span>'),
        ]
        if seller.bic:
            rows.append(("BIC", f'<span class="mono">{escape(seller.bic)}</span>'))
        if amount is not None:
            rows.append(("Amount" if en else "Montant", escape(fmt.money(amount, lang))))
        rows.append(("Reference" if en else "Référence", _b(number)))
        lines.append(
            "<dl>\n"
            + "\n".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in rows)
            + "\n</dl>"
        )
        lines.append(
            _p("Please quote the reference in the transfer.")
            if en
            else _p("Indiquez la référence dans le libellé du virement.")
        )
    contact = _contact(seller)
    if contact:
        lines.append(_p(f"Questions: {contact}" if en else f"Une question : {contact}"))
    elif not seller.iban:
        lines.append(_p(f"Please contact {escape(name)}." if en else f"Contactez {escape(name)}."))
    return _document(lang, heading, [_section(lang, name, heading, *lines)])


def _contact(seller: Seller) -> str:
    ways = []
    if seller.email:
        ways.append(f'<a href="mailto:{escape(seller.email)}">{escape(seller.email)}</a>')
    if seller.phone:
        ways.append(escape(seller.phone))
    return " · ".join(ways)
