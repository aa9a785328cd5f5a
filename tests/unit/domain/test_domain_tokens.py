"""Signed, expiring tokens: payment links and reply-to addresses (issues 8 and 9)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from invoicing.domain.tokens import (
    MAX_LOCAL_PART,
    REPLY_PREFIX,
    TOKEN_LENGTH,
    InvalidToken,
    Key,
    Keyring,
    Purpose,
    reply_address,
    sign,
    token_from_reply_address,
    verify,
)

INVOICE = "inv-0123456789abcdef0123456789abcdef"
EXPIRES = date(2026, 12, 31)
TODAY = date(2026, 6, 15)
OLD = Key(1, b"o" * 32)
CURRENT = Key(2, b"c" * 32)
KEYS = Keyring(CURRENT, OLD)
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

invoice_ids = st.binary(min_size=16, max_size=16).map(lambda b: "inv-" + b.hex())
expiries = st.dates(min_value=date(2020, 1, 1), max_value=date(2199, 6, 1))


def reason(token: object, purpose: Purpose = Purpose.PAY, today: date = TODAY, keys: Keyring = KEYS) -> str:
    with pytest.raises(InvalidToken) as caught:
        verify(token, purpose, today, keys)  # type: ignore[arg-type]
    return caught.value.reason


@pytest.mark.parametrize("purpose", list(Purpose))
def test_round_trip(purpose: Purpose) -> None:
    token = sign(INVOICE, purpose, EXPIRES, KEYS)
    assert verify(token, purpose, TODAY, KEYS) == INVOICE


@settings(max_examples=200)
@given(invoice_id=invoice_ids, expires=expiries, purpose=st.sampled_from(list(Purpose)))
def test_round_trip_any_invoice_and_expiry(invoice_id: str, expires: date, purpose: Purpose) -> None:
    token = sign(invoice_id, purpose, expires, KEYS)
    assert len(token) == TOKEN_LENGTH
    assert verify(token, purpose, expires, KEYS) == invoice_id


def test_tokens_are_url_safe_lowercase_and_fit_an_email_local_part() -> None:
    for purpose in Purpose:
        token = sign(INVOICE, purpose, EXPIRES, KEYS)
        assert set(token) <= set(ALPHABET)
        assert token == token.lower()
    reply = sign(INVOICE, Purpose.REPLY, EXPIRES, KEYS)
    local = REPLY_PREFIX + reply
    assert len(local) <= MAX_LOCAL_PART == 64
    address = reply_address(reply, "factures.example.fr")
    assert address == f"{local}@factures.example.fr"


def test_signing_is_deterministic_and_differs_by_purpose_invoice_and_expiry() -> None:
    pay = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    assert sign(INVOICE, Purpose.PAY, EXPIRES, KEYS) == pay
    others = {
        sign(INVOICE, Purpose.REPLY, EXPIRES, KEYS),
        sign("inv-" + "f" * 32, Purpose.PAY, EXPIRES, KEYS),
        sign(INVOICE, Purpose.PAY, EXPIRES + timedelta(days=1), KEYS),
    }
    assert pay not in others
    assert len(others) == 3


def test_the_mac_is_the_documented_truncated_hmac_sha256() -> None:
    """The layout is a contract between send (signs) and stripe_webhook / ocr (verify)."""
    raw = base64.b32decode(sign(INVOICE, Purpose.PAY, EXPIRES, KEYS).upper())
    payload = bytes([2]) + bytes.fromhex(INVOICE[4:]) + (EXPIRES - date(2020, 1, 1)).days.to_bytes(2, "big")
    assert raw[:19] == payload
    full = hmac.new(CURRENT.secret, b"invoicing/token/v1/pay\x00" + payload, hashlib.sha256).digest()
    assert raw[19:] == full[:16]


def test_tampering_any_character_is_refused() -> None:
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    for position, original in enumerate(token):
        for replacement in ALPHABET:
            if replacement != original:
                tampered = token[:position] + replacement + token[position + 1 :]
                with pytest.raises(InvalidToken):
                    verify(tampered, Purpose.PAY, TODAY, KEYS)


def test_uppercase_is_not_the_token() -> None:
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    assert reason(token.upper()) == "malformed"


def test_wrong_purpose_is_refused() -> None:
    pay = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    reply = sign(INVOICE, Purpose.REPLY, EXPIRES, KEYS)
    assert reason(pay, Purpose.REPLY) == "bad_signature"
    assert reason(reply, Purpose.PAY) == "bad_signature"


def test_valid_through_the_expiry_day_and_refused_the_day_after() -> None:
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    assert verify(token, Purpose.PAY, EXPIRES, KEYS) == INVOICE
    with pytest.raises(InvalidToken) as caught:
        verify(token, Purpose.PAY, EXPIRES + timedelta(days=1), KEYS)
    assert caught.value.reason == "expired"
    # Authentic: a late reply can still be routed to its invoice.
    assert caught.value.invoice_id == INVOICE


def test_a_forged_token_says_nothing_about_its_invoice() -> None:
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    forged = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]
    with pytest.raises(InvalidToken) as caught:
        verify(forged, Purpose.PAY, TODAY, KEYS)
    assert caught.value.invoice_id is None
    assert INVOICE not in str(caught.value)
    assert forged not in str(caught.value)


def test_rotation_previous_key_accepted_older_refused() -> None:
    signed_by_old = sign(INVOICE, Purpose.PAY, EXPIRES, Keyring(OLD))
    assert verify(signed_by_old, Purpose.PAY, TODAY, KEYS) == INVOICE

    newer = KEYS.rotated(Key(3, b"n" * 32))
    assert newer.current.key_id == 3
    assert newer.previous == CURRENT
    signed_by_current = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    assert verify(signed_by_current, Purpose.PAY, TODAY, newer) == INVOICE
    assert reason(signed_by_old, keys=newer) == "unknown_key"


def test_same_key_id_with_another_secret_is_refused() -> None:
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    impostor = Keyring(Key(CURRENT.key_id, b"x" * 32))
    assert reason(token, keys=impostor) == "bad_signature"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "a",
        "a" * (TOKEN_LENGTH - 1),
        "a" * (TOKEN_LENGTH + 1),
        "a" * TOKEN_LENGTH,
        "7" * TOKEN_LENGTH,
        "=" * TOKEN_LENGTH,
        "1" * TOKEN_LENGTH,
        "a" * (TOKEN_LENGTH - 1) + "\n",
        "\x00" * TOKEN_LENGTH,
        "é" * TOKEN_LENGTH,
        "ａ" * TOKEN_LENGTH,  # fullwidth: str.isalpha and \w would say yes
        "a" * (TOKEN_LENGTH - 1) + "\u200b",
        "\u202e" + "a" * (TOKEN_LENGTH - 1),
        "x" * 10_000_000,
        "../" * 20,
        "inv-0123456789abcdef0123456789abcdef",
        None,
        b"a" * TOKEN_LENGTH,
        12,
        ["a"] * TOKEN_LENGTH,
    ],
)
def test_garbage_is_refused_with_invalid_token_only(garbage: object) -> None:
    assert reason(garbage) in {"malformed", "unknown_key", "bad_signature"}


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_any_text_is_refused_with_invalid_token_only(text: str) -> None:
    with pytest.raises(InvalidToken):
        verify(text, Purpose.PAY, TODAY, KEYS)


@st.composite
def mutations(draw: st.DrawFn, token: str) -> str:
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "extend", "swap"]))
    chars = st.one_of(st.sampled_from(ALPHABET + ALPHABET.upper() + string.punctuation), st.characters())
    i = draw(st.integers(0, len(token) - 1))
    if kind == "replace":
        return token[:i] + draw(chars) + token[i + 1 :]
    if kind == "insert":
        return token[:i] + draw(chars) + token[i:]
    if kind == "delete":
        return token[:i] + token[i + 1 :]
    if kind == "truncate":
        return token[:i]
    if kind == "extend":
        return token + draw(st.text(min_size=1, max_size=8))
    j = draw(st.integers(0, len(token) - 1))
    listed = list(token)
    listed[i], listed[j] = listed[j], listed[i]
    return "".join(listed)


@settings(max_examples=500)
@given(
    invoice_id=invoice_ids,
    purpose=st.sampled_from(list(Purpose)),
    data=st.data(),
)
def test_any_mutation_of_a_valid_token_fails_to_verify(
    invoice_id: str, purpose: Purpose, data: st.DataObject
) -> None:
    token = sign(invoice_id, purpose, EXPIRES, KEYS)
    mutated = data.draw(mutations(token))
    assume(mutated != token)
    with pytest.raises(InvalidToken):
        verify(mutated, purpose, TODAY, KEYS)


@pytest.mark.parametrize(
    "invoice_id",
    [
        "inv-1",
        "INV-0123456789ABCDEF0123456789ABCDEF",
        "inv-0123456789abcdef0123456789abcdeg",
        "",
        "cn-1",
        None,
    ],
)
def test_signing_refuses_what_is_not_an_invoice_id(invoice_id: object) -> None:
    with pytest.raises(ValueError, match="invoice id"):
        sign(invoice_id, Purpose.PAY, EXPIRES, KEYS)  # type: ignore[arg-type]


def test_signing_refuses_expiries_out_of_range_and_datetimes() -> None:
    with pytest.raises(ValueError, match="expiry"):
        sign(INVOICE, Purpose.PAY, date(2019, 12, 31), KEYS)
    with pytest.raises(ValueError, match="expiry"):
        sign(INVOICE, Purpose.PAY, date(2300, 1, 1), KEYS)
    with pytest.raises(TypeError):
        sign(INVOICE, Purpose.PAY, datetime(2026, 12, 31, 12), KEYS)  # noqa: DTZ001
    token = sign(INVOICE, Purpose.PAY, EXPIRES, KEYS)
    with pytest.raises(TypeError):
        verify(token, Purpose.PAY, datetime(2026, 6, 15, 12), KEYS)  # noqa: DTZ001


def test_purpose_may_be_given_by_its_value() -> None:
    token = sign(INVOICE, "pay", EXPIRES, KEYS)  # type: ignore[arg-type]
    assert verify(token, "pay", TODAY, KEYS) == INVOICE  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Purpose"):  # a programming error, not a bad token
        verify(token, "refund", TODAY, KEYS)  # type: ignore[arg-type]


def test_keys_never_show_their_secret() -> None:
    secret = b"s3cr3t-" * 6
    keys = Keyring(Key(7, secret))
    for text in (repr(keys), str(keys), repr(keys.current)):
        assert "s3cr3t" not in text
        assert secret.hex() not in text


def test_keys_are_long_and_distinct() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Key(1, b"short")
    with pytest.raises(ValueError, match="0 to 255"):
        Key(256, b"k" * 32)
    with pytest.raises(ValueError, match="different ids"):
        Keyring(Key(1, b"a" * 32), Key(1, b"b" * 32))
    generated = Key.generate(9)
    assert len(generated.secret) == 32
    assert generated.secret != Key.generate(9).secret


def test_keyring_text_round_trip() -> None:
    keys = Keyring(Key.generate(4), Key.generate(3))
    assert Keyring.parse(keys.serialize()) == keys
    assert Keyring.parse("  " + keys.serialize().replace(",", "\n") + "\n") == keys
    single = Keyring(Key.generate(0))
    assert Keyring.parse(single.serialize()) == single


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1",
        "x:abc",
        "1:" + "A" * 10,
        "1:!!!notbase64!!!",
        "1:" + "A" * 43 + "!",
        "1:" + "A" * 42 + "é",
        "1:a,2:b,3:c",
        "-1:" + "A" * 43,
        "256:" + "A" * 43,
        "1:" + "A" * 43 + ",1:" + "B" * 43,
    ],
)
def test_keyring_parse_refuses_and_never_quotes_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="key") as caught:
        Keyring.parse(text)
    if len(text.strip()) > 3:
        assert text.strip() not in str(caught.value)


def test_reply_address_round_trip_tolerates_case_folding() -> None:
    token = sign(INVOICE, Purpose.REPLY, EXPIRES, KEYS)
    address = reply_address(token, "relances.example.fr")
    assert token_from_reply_address(address) == token
    assert token_from_reply_address(address.upper()) == token
    assert verify(token_from_reply_address(address.upper()) or "", Purpose.REPLY, TODAY, KEYS) == INVOICE


@pytest.mark.parametrize(
    "address",
    [
        "contact@example.fr",
        "reply@example.fr",
        "reply+@example.fr",
        "no-at-sign",
        "",
        "x" * 1000 + "@ex.fr",
        None,
    ],
)
def test_addresses_that_are_not_replies(address: object) -> None:
    assert token_from_reply_address(address) is None  # type: ignore[arg-type]


def test_reply_address_refuses_what_is_not_a_token() -> None:
    with pytest.raises(ValueError, match="not a reply token"):
        reply_address("a" * 70, "example.fr")
