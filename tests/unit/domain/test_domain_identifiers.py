"""Business identifiers: SIREN/SIRET (Luhn), EU VAT numbers, IBAN/BIC and email addresses."""

from __future__ import annotations

import pytest

from invoicing.domain import identifiers as ids


def luhn_ok(digits: str) -> bool:
    """The Luhn check, restated: double every second digit from the right, sum the digits, mod 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def candidates(prefix: str) -> dict[str, bool]:
    """Every possible last digit after ``prefix``, with whether Luhn accepts it."""
    return {prefix + str(d): luhn_ok(prefix + str(d)) for d in range(10)}


@pytest.mark.parametrize("prefix", ["73282932", "83147925", "42871630"])
def test_siren_accepts_exactly_the_luhn_valid_check_digit(prefix: str) -> None:
    results = candidates(prefix)
    assert sum(results.values()) == 1
    for number, valid in results.items():
        if valid:
            assert ids.siren(number) == number
        else:
            with pytest.raises(ValueError, match="invalid SIREN"):
                ids.siren(number)


@pytest.mark.parametrize("prefix", ["7328293200007", "8314792580002"])
def test_siret_accepts_exactly_the_luhn_valid_check_digit(prefix: str) -> None:
    results = candidates(prefix)
    assert sum(results.values()) == 1
    for number, valid in results.items():
        if valid:
            assert ids.siret(number) == number
        else:
            with pytest.raises(ValueError, match="invalid SIRET"):
                ids.siret(number)


@pytest.mark.parametrize("text", ["", "73282932", "7328293200", "73282932A", "732829320000741"])
def test_siren_and_siret_refuse_bad_lengths_and_letters(text: str) -> None:
    with pytest.raises(ValueError, match="invalid SIREN"):
        ids.siren(text)
    with pytest.raises(ValueError, match="invalid SIRET"):
        ids.siret(text)


def test_siren_and_siret_are_compacted() -> None:
    assert ids.siren("732 829 320") == "732829320"
    assert ids.siret("732 829 320 00074") == "73282932000074"


@pytest.mark.parametrize("siren", ["732829320", "831479258", "428716302"])
def test_french_vat_id_key_formula(siren: str) -> None:
    key = (12 + 3 * (int(siren) % 97)) % 97
    expected = f"FR{key:02d}{siren}"
    assert ids.french_vat_id(siren) == expected
    assert ids.vat_id(expected) == expected
    assert ids.vat_id_matches_siren(expected, siren)
    # Any other key is refused.
    wrong = f"FR{(key + 1) % 97:02d}{siren}"
    with pytest.raises(ValueError, match="invalid VAT number"):
        ids.vat_id(wrong)


def test_known_french_vat_id() -> None:
    assert ids.french_vat_id("732829320") == "FR44732829320"
    with pytest.raises(ValueError, match="invalid SIREN"):
        ids.french_vat_id("732829321")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FR44732829320", "FR44732829320"),
        ("fr 44 732 829 320", "FR44732829320"),
        ("BE0456712325", "BE0456712325"),
    ],
)
def test_vat_id_valid(text: str, expected: str) -> None:
    assert ids.vat_id(text) == expected


@pytest.mark.parametrize("text", ["44732829320", "FR45732829320", "XX44732829320", "FR", "BE0456712324"])
def test_vat_id_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="VAT number"):
        ids.vat_id(text)


def test_vat_id_matches_siren() -> None:
    assert ids.vat_id_matches_siren("FR44732829320", "732829320")
    assert not ids.vat_id_matches_siren("FR44732829320", "831479258")
    assert ids.vat_id_matches_siren("BE0456712325", "732829320")  # only French numbers embed a SIREN


def test_iban_is_checked_compacted_and_grouped_by_four() -> None:
    compact = ids.iban("fr76 3000 6000 0112 3456 7890 189")
    assert compact == "FR7630006000011234567890189"
    grouped = ids.grouped_iban(compact)
    assert grouped == "FR76 3000 6000 0112 3456 7890 189"
    groups = grouped.split(" ")
    assert "".join(groups) == compact
    assert all(len(g) == 4 for g in groups[:-1])
    assert 1 <= len(groups[-1]) <= 4


@pytest.mark.parametrize("text", ["FR7630006000011234567890188", "FR76", "not an iban", ""])
def test_iban_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid IBAN"):
        ids.iban(text)


@pytest.mark.parametrize(("text", "expected"), [("AGRIFRPP", "AGRIFRPP"), ("bnpa fr pp xxx", "BNPAFRPPXXX")])
def test_bic_valid(text: str, expected: str) -> None:
    assert ids.bic(text) == expected


@pytest.mark.parametrize("text", ["AGRI", "AGRIFRPPX", "12345678"])
def test_bic_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid BIC"):
        ids.bic(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("compta@ourthe.example", "compta@ourthe.example"),
        ("  h.garnier+factures@mail.fr ", "h.garnier+factures@mail.fr"),
    ],
)
def test_email_valid(text: str, expected: str) -> None:
    assert ids.email(text) == expected


@pytest.mark.parametrize(
    "text", ["", "a@b", "a b@c.fr", "a@b@c.fr", "a@b.c", "a,b@c.fr", "<a@b.fr>", "a@b.fr; c@d.fr"]
)
def test_email_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid email"):
        ids.email(text)


@pytest.mark.parametrize(
    "text",
    [
        "compta@société.example",  # an internationalised domain is sent to in punycode
        "x@пример.рф",
        "x@xn--e1afmkfd.xn--p1ai",
        "o'brien+factures@mail.example",
        "A.B-C_D@Sub.Example.COM",
    ],
)
def test_email_accepts_what_ses_can_send_to_as_written(text: str) -> None:
    assert ids.email(f" {text} ") == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("compta\u200b@atelier.example", r"invisible.*U\+200B"),
        ("compta@ate\u200blier.example", r"invisible.*U\+200B"),
        ("\u202ecompta@atelier.example", r"invisible.*U\+202E"),
        ("compta\u00ad@atelier.example", r"invisible.*U\+00AD"),
        ("compta\x07@atelier.example", r"invisible.*U\+0007"),
        ("compta@ex\u0378.example", r"unassigned.*U\+0378"),
        ("élodie.martin@atelier.example", r"non-ASCII characters \(é\).*SMTPUTF8"),
        ("мария@пример.рф", "non-ASCII"),
        ("a..b@atelier.example", "part before the @"),
        (".a@atelier.example", "part before the @"),
        ('"a"@atelier.example', "part before the @"),
        ("a@b_c.example", "domain"),
        ("a@-b.example", "domain"),
        ("a@atelier.example.", "domain"),
        ("a@" + "b" * 64 + ".example", "domain"),
        ("a" * 65 + "@atelier.example", "part before the @"),
        ("a@" + "b." * 130 + "fr", "longer than 254"),
    ],
)
def test_email_refuses_an_address_that_cannot_be_sent_to_and_says_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"invalid email address .*: .*{why}"):
        ids.email(text)


def test_email_refusal_shows_the_invisible_character_and_stays_short() -> None:
    with pytest.raises(ValueError, match="invalid email address") as caught:
        ids.email("compta\u200b@atelier.example")
    assert "compta\\u200b@atelier.example" in str(caught.value)
    with pytest.raises(ValueError, match="invalid email address") as caught:
        ids.email("\u200b" + "a" * 1_000_000 + "@atelier.example")
    assert len(str(caught.value)) < 400


def test_every_address_email_accepts_is_one_the_emails_can_be_sent_to() -> None:
    from invoicing.documents.emails import _address

    for text in ("compta@société.example", "o'brien+factures@mail.example", "x@пример.рф"):
        assert _address(ids.email(text), "recipient").addr_spec.isascii()
