"""The formal notice to pay (mise en demeure), rendered for real and read back with pdfplumber.

Every amount asserted is computed by hand in this file (penalties: amount x rate x days / 36 500,
rounded half-up once per invoice; the 40 EUR fee per invoice for a business debtor only), and
checked against the statements ``invoicing.domain.penalties`` gives for the same invoices.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pdfplumber
import pytest
from documents_helpers import en_money, fr_money, half_up, norm, page_texts, spaced
from test_logo import PNG_ALPHA, pdfa_problems

from invoicing.documents.notice import ADDRESS_X, ADDRESS_Y, NoticeItem, render_formal_notice
from invoicing.domain.parties import Address
from invoicing.domain.penalties import ReferenceRates, late_penalties
from invoicing.domain.terms import LatePenalty
from tests import factories

MM = 72 / 25.4
AS_OF = date(2026, 11, 26)
#: Horizon Conseil & Formation: Lyon, IBAN, a contractual late-payment rate of 12.5 % a year.
SELLER = factories.seller(phone="04 78 00 00 00")
COMPANY = factories.company()  # SIREN and VAT id: a business debtor
PERSON = factories.person()  # a private person: no recovery fee
BELGIAN = factories.belgian()


def interest(*amount_days: tuple[str, int], rate: str = "12.5") -> Decimal:
    """Simple interest, by hand: sum of amount x days, x rate / 100 / 365, rounded half-up once."""
    exact = sum((Decimal(amount) * days for amount, days in amount_days), Decimal(0))
    return half_up(exact * Decimal(rate) / Decimal(36500))


# Invoice A: 1 200,00 EUR due on 10/10/2026, nothing paid: late from 11/10 to 26/11 = 47 days.
A_TOTAL, A_DAYS = Decimal("1200.00"), 47
A_INTEREST = interest(("1200.00", 47))  # 1200 x 12.5 x 47 / 36500 = 19.315... -> 19.32
# Invoice B: 500,00 EUR due on 31/10/2026, 200,00 paid on 10/11: 500 due for 10 late days
# (1-10/11, the day of payment counts), then 300 for 16 (11-26/11).
B_TOTAL, B_DUE = Decimal("500.00"), Decimal("300.00")
B_INTEREST = interest(("500.00", 10), ("300.00", 16))  # 9800 x 12.5 / 36500 = 3.356... -> 3.36
PRINCIPAL = A_TOTAL + B_DUE  # 1 500,00
FEES = Decimal("80.00")


def items_for(debtor_is_business: bool, penalty: LatePenalty = SELLER.late_penalty, rates=None):
    a = late_penalties(
        [(date(2026, 9, 10), A_TOTAL)],
        date(2026, 10, 10),
        AS_OF,
        penalty,
        rates,
        business_debtor=debtor_is_business,
    )
    b = late_penalties(
        [(date(2026, 10, 1), B_TOTAL), (date(2026, 11, 10), B_DUE)],
        date(2026, 10, 31),
        AS_OF,
        penalty,
        rates,
        business_debtor=debtor_is_business,
    )
    return [
        NoticeItem("FA2026-00071", date(2026, 9, 10), date(2026, 10, 10), A_TOTAL, A_TOTAL, a),
        NoticeItem("FA2026-00083", date(2026, 10, 1), date(2026, 10, 31), B_TOTAL, B_DUE, b),
    ]


def text_of(pdf: bytes) -> str:
    return norm("\n".join(page_texts(pdf)))


@pytest.fixture(scope="module")
def business_items() -> list[NoticeItem]:
    return items_for(True)


@pytest.fixture(scope="module")
def business_pdf(business_items) -> bytes:
    return render_formal_notice(seller=SELLER, buyer=COMPANY, items=business_items, as_of=AS_OF)


@pytest.fixture(scope="module")
def business_text(business_pdf) -> str:
    return text_of(business_pdf)


# --- the sums ----------------------------------------------------------------------------------------


def test_the_statements_agree_with_the_hand_computation(business_items) -> None:
    a, b = (item.penalties for item in business_items)
    assert (a.interest, a.recovery_fee, a.days_late) == (Decimal("19.32"), Decimal("40.00"), A_DAYS)
    assert (b.interest, b.recovery_fee, b.days_late) == (Decimal("3.36"), Decimal("40.00"), 26)
    by_hand = {"A": A_INTEREST, "B": B_INTEREST}
    assert by_hand == {"A": Decimal("19.32"), "B": Decimal("3.36")}


def test_amounts_claimed_from_a_business(business_text: str) -> None:
    text = business_text
    total = PRINCIPAL + A_INTEREST + B_INTEREST + FEES
    assert total == Decimal("1602.68")
    assert norm(f"Principal restant dû {fr_money(PRINCIPAL)}") in text
    assert norm(f"Intérêts de retard au 26/11/2026 {fr_money(A_INTEREST + B_INTEREST)}") in text
    assert norm(f"Indemnités forfaitaires de recouvrement (2 × 40 €) {fr_money(FEES)}") in text
    assert norm(f"Total réclamé {fr_money(total)}") in text
    assert norm(f"nous régler la somme de {fr_money(total)}") in text


def test_each_invoice_is_a_row_of_the_table(business_text: str) -> None:
    text = business_text
    assert "Facture Émise le Échéance Montant TTC Reste dû Retard (j) Intérêts Indemnité" in text
    assert "FA2026-00071 10/09/2026 10/10/2026 1 200,00 1 200,00 47 19,32 40,00" in text
    assert "FA2026-00083 01/10/2026 31/10/2026 500,00 300,00 26 3,36 40,00" in text


def test_interest_basis_rate_and_law(business_text: str) -> None:
    text = business_text
    assert (
        "Les intérêts de retard sont calculés, conformément à l'article L441-10 du Code de commerce, "
        "au taux de 12,5 % par an, sur le montant TTC restant dû, à compter du lendemain de l'échéance "
        "de chaque facture et jusqu'au 26 novembre 2026."
    ) in text
    assert "pour frais de recouvrement de 40 € est due de plein droit" in text
    assert "(C. com. art. L441-10 et D441-5)" in text


@pytest.mark.parametrize(("days", "wording"), [(8, "8 jours"), (15, "15 jours"), (1, "1 jour")])
def test_the_deadline_wording(business_items, days: int, wording: str) -> None:
    pdf = render_formal_notice(
        seller=SELLER, buyer=COMPANY, items=business_items, as_of=AS_OF, deadline_days=days
    )
    text = text_of(pdf)
    assert (
        f"Nous vous mettons en demeure de nous régler la somme de "
        f"{norm(fr_money(Decimal('1602.68')))} dans un délai de {wording} à compter de la réception "
        "de la présente."
    ) in text


def test_the_letter_says_what_a_formal_notice_must(business_text: str) -> None:
    text = business_text
    for wording in (
        "Lettre recommandée avec accusé de réception",
        "Lyon, le 26 novembre 2026",
        "Objet : Mise en demeure de payer",
        "Factures n° FA2026-00071 et FA2026-00083",
        "Madame, Monsieur,",
        "malgré nos relances restées sans effet, les factures ci-dessous, arrivées à échéance, "
        "demeurent impayées à ce jour",
        "À défaut de règlement dans ce délai, nous engagerons sans autre avis une procédure de "
        "recouvrement judiciaire (injonction de payer)",
        "Les intérêts de retard continuent de courir jusqu'au complet paiement.",
        "mise en demeure au sens de l'article 1344 du Code civil",
        "Si vous avez procédé au règlement entre-temps, nous vous prions de ne pas tenir compte de ce "
        "courrier.",
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "Pour Horizon Conseil & Formation,",
        "Nom, qualité, signature",
        "Réf. client : C001",
        "Règlement par virement",
        "les numéros des factures réglées",
    ):
        assert wording in text, wording
    assert spaced(SELLER.iban).search(text)
    assert "BIC AGRIFRPP" in text
    # Letterhead and footer: who writes.
    assert "SIRET 831 479 258 00020" in text
    assert "N° TVA FR45831479258" in text
    assert "facturation@horizon-conseil.fr" in text
    assert "04 78 00 00 00" in text
    assert "RCS Lyon 831 479 258" in text
    assert "Page 1/1" in text


def test_the_recipient_is_where_a_window_envelope_shows_it(business_pdf: bytes) -> None:
    with pdfplumber.open(io.BytesIO(business_pdf)) as document:
        page = document.pages[0]
        words = page.extract_words()
    name = [w for w in words if w["text"] in ("Société", "Dauphinoise") and w["top"] < 100 * MM]
    city = next(w for w in words if w["text"] == "Grenoble")
    for word in (*name, city):
        assert word["x0"] >= ADDRESS_X * MM
        assert word["x1"] <= 200 * MM
        # A DL window: 45 x 100 mm, its top about 45-50 mm from the top of the folded sheet.
        assert word["top"] >= ADDRESS_Y * MM - 1
        assert word["bottom"] <= 95 * MM


def test_one_page_for_a_few_invoices_and_pdfa(business_pdf: bytes) -> None:
    assert len(page_texts(business_pdf)) == 1
    assert pdfa_problems(business_pdf) == []
    assert "\ufffd" not in "".join(page_texts(business_pdf))


def test_rendering_is_deterministic(business_items, business_pdf: bytes) -> None:
    again = render_formal_notice(seller=SELLER, buyer=COMPANY, items=business_items, as_of=AS_OF)
    assert again == business_pdf


# --- who owes the fee -------------------------------------------------------------------------------


def test_a_private_person_owes_no_recovery_fee() -> None:
    items = items_for(False)
    assert all(item.penalties.recovery_fee == 0 for item in items)
    text = text_of(render_formal_notice(seller=SELLER, buyer=PERSON, items=items, as_of=AS_OF))
    total = PRINCIPAL + A_INTEREST + B_INTEREST
    assert norm(f"Total réclamé {fr_money(total)}") in text
    assert norm(f"nous régler la somme de {fr_money(total)}") in text
    assert "Indemnit" not in text
    assert not re.search(r"(?<![\d,])40 €", text)
    assert "40,00" not in text
    assert "D441-5" not in text
    # L441-10 binds businesses: the interest is stated without it.
    assert "L441-10" not in text
    assert "au taux de 12,5 % par an" in text
    assert "Mme Hélène Garnier" in text


def test_the_fee_is_per_late_invoice_of_a_business() -> None:
    items = items_for(True)
    one = render_formal_notice(seller=SELLER, buyer=COMPANY, items=items[:1], as_of=AS_OF)
    text = text_of(one)
    assert norm(f"Indemnité forfaitaire de recouvrement {fr_money(Decimal('40'))}") in text
    assert norm(f"Total réclamé {fr_money(A_TOTAL + A_INTEREST + Decimal(40))}") in text
    assert "Facture n° FA2026-00071" in text
    assert "la facture ci-dessous, arrivée à échéance, demeure impayée à ce jour" in text
    # The bank-transfer panel, left of the sums: one invoice, its number as the payment reference.
    with pdfplumber.open(io.BytesIO(one)) as document:
        page = document.pages[0]
        panel = norm(page.within_bbox((0, 0, 85 * MM, page.height)).extract_text())
    assert "Règlement par virement Horizon Conseil & Formation IBAN FR76" in panel
    assert "Référence à rappeler FA2026-00071" in panel


# --- rates --------------------------------------------------------------------------------------------


def test_reference_rates_are_described_with_the_rates_applied() -> None:
    rates = ReferenceRates({(2026, 1): Decimal("2.15"), (2026, 2): Decimal("2.40")})
    penalty = LatePenalty("ecb+10")
    item = late_penalties(
        [(date(2026, 5, 20), Decimal("4590.00"))],
        date(2026, 6, 19),
        AS_OF,
        penalty,
        rates,
        business_debtor=True,
    )
    # 20/06-30/06: 11 days at 12.15 %; 01/07-26/11: 149 days at 12.40 %.
    expected = half_up(
        (Decimal("4590.00") * Decimal("12.15") * 11 + Decimal("4590.00") * Decimal("12.40") * 149) / 36500
    )
    assert item.interest == expected == Decimal("249.15")
    notice = NoticeItem(
        "FA2026-00042", date(2026, 5, 20), date(2026, 6, 19), Decimal("4590.00"), Decimal("4590.00"), item
    )
    text = text_of(render_formal_notice(seller=SELLER, buyer=COMPANY, items=[notice], as_of=AS_OF))
    assert (
        "au taux de refinancement de la BCE majoré de 10 points "
        "(soit 12,15 % puis 12,4 % l'an selon le semestre)"
    ) in text
    assert norm(f"Total réclamé {fr_money(Decimal('4590.00') + expected + 40)}") in text


def test_invoices_whose_penalties_are_not_computed() -> None:
    items = items_for(True)
    unknown = NoticeItem(
        "FA2026-00090", date(2026, 10, 5), date(2026, 11, 4), Decimal("240.00"), Decimal("240.00")
    )
    pdf = render_formal_notice(seller=SELLER, buyer=COMPANY, items=[*items, unknown], as_of=AS_OF)
    text = text_of(pdf)
    # Listed with its days late (5/11 to 26/11: 22 days), no interest or fee figure.
    assert "FA2026-00090 05/10/2026 04/11/2026 240,00 240,00 22 — —" in text
    assert (
        "Pour la facture FA2026-00090, les intérêts de retard sont dus au taux contractuel ou, à défaut, "
        "au taux légal, depuis le lendemain de son échéance ; ils ne sont pas chiffrés ci-dessus et "
        "s'ajoutent à la somme réclamée."
    ) in text
    total = PRINCIPAL + Decimal(240) + A_INTEREST + B_INTEREST + FEES
    assert norm(f"Total réclamé {fr_money(total)}") in text
    assert norm(f"Indemnités forfaitaires de recouvrement (2 × 40 €) {fr_money(FEES)}") in text


def test_no_penalty_computed_at_all() -> None:
    unknown = [
        NoticeItem(
            "FA2026-00090", date(2026, 10, 5), date(2026, 11, 4), Decimal("240.00"), Decimal("240.00")
        ),
        NoticeItem("FA2026-00091", date(2026, 10, 6), date(2026, 11, 5), Decimal("60.00"), Decimal("60.00")),
    ]
    text = text_of(render_formal_notice(seller=SELLER, buyer=COMPANY, items=unknown, as_of=AS_OF))
    assert "Intérêts de retard au 26/11/2026 non chiffrés" in text
    assert (
        "Pour les factures FA2026-00090 et FA2026-00091, les intérêts de retard sont dus au taux contractuel"
        in text
    )
    assert norm(f"Total réclamé {fr_money(Decimal('300.00'))}") in text
    assert "Les intérêts de retard sont calculés" not in text
    assert "Indemnit" not in text


# --- English -----------------------------------------------------------------------------------------


def test_english_version_for_a_foreign_customer() -> None:
    items = items_for(True)
    text = text_of(render_formal_notice(seller=SELLER, buyer=BELGIAN, items=items, as_of=AS_OF, locale="en"))
    total = PRINCIPAL + A_INTEREST + B_INTEREST + FEES
    for wording in (
        "Registered letter with acknowledgement of receipt",
        "Lyon, 26 November 2026",
        "Subject: Formal notice to pay",
        "Invoices No. FA2026-00071 and FA2026-00083",
        "Dear Sir or Madam,",
        "Invoice Issued Due date Incl. VAT Still due Days late Interest Recovery fee",
        "FA2026-00071 10/09/2026 10/10/2026 1,200.00 1,200.00 47 19.32 40.00",
        f"Principal still due {en_money(PRINCIPAL)}",
        f"Late-payment interest to 26/11/2026 {en_money(A_INTEREST + B_INTEREST)}",
        f"Fixed recovery compensation (2 × €40) {en_money(FEES)}",
        f"Total claimed {en_money(total)}",
        "in accordance with Article L441-10 of the French Commercial Code at 12.5 % per year",
        f"We hereby give you formal notice to pay us the sum of {en_money(total)} within 8 days of receipt "
        "of this letter.",
        "injonction de payer",
        "Late-payment interest continues to accrue until payment in full.",
        "Yours faithfully,",
        "For Horizon Conseil & Formation,",
        "Name, position, signature",
        "Brasserie Wallonne de l'Ourthe SA",
        "4000 Liège",
        "BELGIQUE",  # the country line of a letter posted in France
        "VAT No. FR45831479258",
    ):
        assert norm(wording) in text, wording
    for french in ("Madame", "Objet", "mise en demeure", "Échéance", "Total réclamé"):
        assert french not in text, french


# --- long letters --------------------------------------------------------------------------------------


def thirty_items(business: bool = True) -> list[NoticeItem]:
    items = []
    for n in range(30):
        issued = date(2026, 5, 1) + timedelta(days=4 * n)
        due = issued + timedelta(days=30)
        total = Decimal(100 + 37 * n) + Decimal("0.45")
        statement = late_penalties(
            [(issued, total)], due, AS_OF, SELLER.late_penalty, business_debtor=business
        )
        items.append(NoticeItem(f"FA2026-{n + 1:05d}", issued, due, total, total, statement))
    return items


def test_thirty_invoices_flow_onto_more_pages_with_every_number() -> None:
    items = thirty_items()
    long_buyer = COMPANY.__class__(
        ref="C-LONG",
        name="Société Dauphinoise de Transports et de Logistique Alpine du Grand Sud-Est Réunis",
        address=Address(
            (
                "Zone industrielle des Grandes Terres, Bâtiment C, porte 4, quai de déchargement n° 12",
                "BP 4521",
            ),
            "38000",
            "Grenoble",
        ),
        siren=COMPANY.siren,
    )
    pdf = render_formal_notice(seller=SELLER, buyer=long_buyer, items=items, as_of=AS_OF, logo=PNG_ALPHA)
    pages = [norm(p) for p in page_texts(pdf)]
    count = len(pages)
    assert count >= 2
    for number, text in enumerate(pages, start=1):
        assert re.findall(r"Page \d+/\d+", text) == [f"Page {number}/{count}"]
        if re.search(r"FA2026-\d{5} \d\d/", text):
            assert "Facture Émise le Échéance" in text, f"table header missing on page {number}"
    for text in pages[1:]:
        assert "Mise en demeure de payer — Société Dauphinoise" in text
    found = [int(n) for text in pages for n in re.findall(r"FA2026-(\d{5}) \d\d/", text)]
    assert found == list(range(1, 31))
    # The sums, by hand: 12.5 % a year on the total for each invoice's days late.
    principal = sum((item.total for item in items), Decimal(0))
    interests = [interest((str(item.total), (AS_OF - item.due_date).days)) for item in items]
    assert interests == [item.penalties.interest for item in items]
    total = principal + sum(interests, Decimal(0)) + 30 * Decimal(40)
    all_text = " ".join(pages)
    assert all_text.count("Total réclamé") == 1
    assert norm(f"Total réclamé {fr_money(total)}") in all_text
    assert norm(f"Indemnités forfaitaires de recouvrement (30 × 40 €) {fr_money(Decimal(1200))}") in all_text
    assert "Nom, qualité, signature" in pages[-1]
    assert pdfa_problems(pdf) == []
    # The body stays above the footer (its rule is 17 mm from the bottom of the page).
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            body = [c for c in page.chars if c["top"] < 280 * MM]
            assert max(c["bottom"] for c in body) <= 274.5 * MM


def test_the_closing_and_signature_stay_together() -> None:
    """Item counts where the end of the letter falls near the bottom of the first page."""
    for count in range(1, 16):
        pdf = render_formal_notice(seller=SELLER, buyer=COMPANY, items=thirty_items()[:count], as_of=AS_OF)
        pages = [norm(p) for p in page_texts(pdf)]
        closing = [i for i, t in enumerate(pages) if "salutations distinguées" in t]
        signature = [i for i, t in enumerate(pages) if "Nom, qualité, signature" in t]
        assert closing == signature, count
        assert len(closing) == 1, count
        found = [int(n) for text in pages for n in re.findall(r"FA2026-(\d{5}) \d\d/", text)]
        assert found == list(range(1, count + 1)), count


# --- hostile text ----------------------------------------------------------------------------------------


def test_hostile_text_does_not_crash_and_prints_nothing_invisible() -> None:
    word = "W" * 400
    buyer = factories.company(
        name=f"Evil\u202eCorp 🍰 {word}",
        address=Address((f"\u200b{word}", "Rue 🍰 des Fleurs\u2066\u2069\t\n"), "38000", "Grenoble"),
        ref="C\u202e01",
    )
    seller = replace(SELLER, legal_name=f"Horizon\u202e Conseil 😀 {'H' * 200}", phone="☎ 04\u200d78")
    items = items_for(True)
    items[0] = replace(items[0], number=f"FA2026\u202e-00071{'Z' * 80}")
    for locale in ("fr", "en"):
        pdf = render_formal_notice(seller=seller, buyer=buyer, items=items, as_of=AS_OF, locale=locale)
        raw = "\n".join(page_texts(pdf))
        for invisible in ("\u202e", "\u200b", "\u200d", "\u2066", "\u2069", "🍰", "😀"):
            assert invisible not in raw
        text = norm(raw)
        assert "EvilCorp" in text
        assert "FA2026-00071" in text.replace(" ", "").replace("\n", "")
        assert raw.replace("\n", "").count("W") >= 800  # the long words are cut, not lost
        assert pdfa_problems(pdf) == []


def test_names_outside_the_prepared_fonts_are_printed_exactly() -> None:
    buyer = factories.company(
        name="Αθηνά Nguyễn SARL", address=Address(("Οδός Ερμού 12",), "10563", "Αθήνα", "GR")
    )
    pdf = render_formal_notice(seller=SELLER, buyer=buyer, items=items_for(True), as_of=AS_OF)
    raw = "\n".join(page_texts(pdf))
    assert "Αθηνά Nguyễn SARL" in raw
    assert "Οδός Ερμού 12" in raw
    assert "GRÈCE" in raw
    assert norm(f"Total réclamé {fr_money(Decimal('1602.68'))}") in norm(raw)


# --- the logo --------------------------------------------------------------------------------------------


def test_logo_in_the_letterhead() -> None:
    pdf = render_formal_notice(
        seller=SELLER, buyer=COMPANY, items=items_for(True), as_of=AS_OF, logo=PNG_ALPHA
    )
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        (image,) = document.pages[0].images
    assert image["x0"] / MM == pytest.approx(20, abs=0.05)
    assert image["top"] / MM == pytest.approx(15, abs=0.05)
    assert image["width"] / MM <= 35.01
    assert image["height"] / MM <= 18.01
    assert "Horizon Conseil & Formation" in text_of(pdf)
    assert pdfa_problems(pdf) == []
    with pytest.raises(ValueError, match="logo"):
        render_formal_notice(
            seller=SELLER, buyer=COMPANY, items=items_for(True), as_of=AS_OF, logo=b"%PDF-1.7"
        )


# --- what the letter refuses to say ------------------------------------------------------------------------


def test_a_letter_that_would_say_something_false_is_refused() -> None:
    items = items_for(True)
    ok = {"seller": SELLER, "buyer": COMPANY, "as_of": AS_OF}
    with pytest.raises(ValueError, match="at least one unpaid invoice"):
        render_formal_notice(items=[], **ok)
    not_due = NoticeItem("FA2026-00099", date(2026, 11, 1), date(2026, 12, 1), Decimal(10), Decimal(10))
    with pytest.raises(ValueError, match="not past due"):
        render_formal_notice(items=[not_due], **ok)
    early = late_penalties(
        [(date(2026, 9, 10), A_TOTAL)],
        date(2026, 10, 10),
        date(2026, 11, 20),
        SELLER.late_penalty,
        business_debtor=True,
    )
    with pytest.raises(ValueError, match="penalties computed to 2026-11-20"):
        render_formal_notice(items=[replace(items[0], penalties=early)], **ok)
    with pytest.raises(ValueError, match="still due"):
        render_formal_notice(items=[replace(items[0], due=Decimal(0))], **ok)
    with pytest.raises(ValueError, match="still due"):
        render_formal_notice(items=[replace(items[0], due=Decimal("1200.01"))], **ok)
    with pytest.raises(ValueError, match="at least 1"):
        render_formal_notice(items=items, deadline_days=0, **ok)
    with pytest.raises(ValueError, match="French"):
        render_formal_notice(items=items, locale="de", **ok)
