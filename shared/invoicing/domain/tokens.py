"""Signed, expiring tokens that name one invoice for one purpose.

Two uses (DESIGN.md, Security: "Payment links carry a signed token, never a guessable id"):

- ``Purpose.PAY``: the payment link of the invoice email, ``GET /pay/{token}``;
- ``Purpose.REPLY``: the reply-to address of reminders, ``reply+{token}@{domain}``; a reply
  names its invoice without trusting anything the sender wrote.

A token is 56 characters of lowercase RFC 4648 base32 (``a``-``z``, ``2``-``7``) encoding
35 bytes::

    key id (1) | invoice id (16) | expiry (2) | MAC (16)

- **key id**: which key of the ``Keyring`` signed it (0-255); verification accepts the current
  and the previous key, so the signing key can be rotated without breaking links in flight.
- **invoice id**: the 16 bytes behind ``inv-`` + 32 hex digits (``Source.invoice_id``).
- **expiry**: the last valid day, as days since 2020-01-01 (big-endian, up to 2199).
- **MAC**: HMAC-SHA256 truncated to 128 bits, over a version label, the purpose and the 19
  bytes before it. The purpose is bound by the MAC, not carried: a payment token is refused
  as a reply token and vice versa. A forgery needs 2^128 guesses online; truncation to 128
  bits is what NIST SP 800-107 allows for HMAC-SHA256 at this strength.

Why this encoding:

- 35 bytes is a multiple of 5, so base32 needs no padding and every 56-character string over
  the alphabet is the encoding of exactly one byte string: no two spellings of one token, so
  changing any character changes the bytes and breaks the MAC (base64 of 35 bytes has two
  spare bits, which decoders ignore: a character could change and still verify).
- ``reply+`` + 56 characters = 62, within the 64 characters an email local part allows
  (RFC 5321 4.5.3.1.1). Lowercase letters and digits survive mail systems that fold the case
  of local parts, linkifiers that stop at ``-`` or ``_``, and URL paths, so one encoding
  serves both purposes. Verification accepts the canonical lowercase form only; the address
  helpers below lowercase the local part of an address first.

Keys come from SSM in production and are passed in: nothing here reads the environment,
logs, or puts a key or a token in an exception message. ``InvalidToken`` is the only error
a caller sees whatever went wrong (it answers 404 without saying why); its ``reason`` is
for logs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class Purpose(StrEnum):
    PAY = "pay"
    REPLY = "reply"


class InvalidToken(Exception):
    """The token does not name an invoice for this purpose today.

    ``reason`` (for logs, never for the person holding the token): ``malformed`` (not a
    token of this format), ``unknown_key`` (signed by a key no longer in the keyring, or
    made up), ``bad_signature`` (tampered, or issued for another purpose), ``expired``
    (authentic but past its last day). ``invoice_id`` is set only when the signature was
    authentic (``expired``): a late reply can still be routed to its invoice's owner.
    """

    def __init__(self, reason: str, *, invoice_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invoice_id = invoice_id


#: Length of every token, whatever its purpose.
TOKEN_LENGTH = 56
#: Subaddress prefix of reply tokens: ``reply+<token>@<domain>``.
REPLY_PREFIX = "reply+"
#: RFC 5321: the local part of an address is at most 64 octets.
MAX_LOCAL_PART = 64
#: Shortest signing key accepted (256 bits, the HMAC-SHA256 block strength).
MIN_SECRET_BYTES = 32

_EPOCH = date(2020, 1, 1)
_MAX_DAYS = 0xFFFF
_MAC_BYTES = 16
_PAYLOAD = struct.Struct(">B16sH")
_RAW_BYTES = _PAYLOAD.size + _MAC_BYTES
_LABEL = b"invoicing/token/v1/"
_INVOICE_ID = re.compile(r"inv-([0-9a-f]{32})", re.ASCII)
_TOKEN = re.compile(rf"[a-z2-7]{{{TOKEN_LENGTH}}}", re.ASCII)

assert _RAW_BYTES * 8 == TOKEN_LENGTH * 5, "the encoding must have no padding and no spare bits"
assert len(REPLY_PREFIX) + TOKEN_LENGTH <= MAX_LOCAL_PART


@dataclass(frozen=True, slots=True)
class Key:
    """One signing key. The secret never appears in ``repr``."""

    key_id: int
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, int) or not 0 <= self.key_id <= 255:
            raise ValueError("a key id is an integer from 0 to 255")
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a signing key has at least {MIN_SECRET_BYTES} bytes")

    @classmethod
    def generate(cls, key_id: int) -> Key:
        return cls(key_id, secrets.token_bytes(MIN_SECRET_BYTES))


@dataclass(frozen=True, slots=True)
class Keyring:
    """The key that signs (``current``) and the one before it, still accepted (``previous``).

    Rotation: ``keyring.rotated(Key.generate(next_id))``; once every token signed with the old
    previous key has expired, nothing it signed is needed any more.
    """

    current: Key
    previous: Key | None = None

    def __post_init__(self) -> None:
        if self.previous is not None and self.previous.key_id == self.current.key_id:
            raise ValueError("the current and previous keys need different ids")

    def find(self, key_id: int) -> Key | None:
        if key_id == self.current.key_id:
            return self.current
        if self.previous is not None and key_id == self.previous.key_id:
            return self.previous
        return None

    def rotated(self, new: Key) -> Keyring:
        return Keyring(new, self.current)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Read the SSM parameter's value: ``<id>:<secret>`` entries (secret in base64url,
        padding optional), separated by commas or white space, the current key first and
        the previous one, if any, second. Error messages never quote the value."""
        entries = [e for e in re.split(r"[\s,]+", text.strip()) if e]
        if not 1 <= len(entries) <= 2:
            raise ValueError("a keyring holds one or two keys: '<id>:<secret>[,<id>:<secret>]'")
        keys = []
        for position, entry in enumerate(entries, 1):
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id.isascii() or not key_id.isdigit():
                raise ValueError(f"keyring entry {position} is not '<id>:<secret>'")
            try:
                padded = (encoded + "=" * (-len(encoded) % 4)).encode("ascii")
                secret = base64.b64decode(padded, altchars=b"-_", validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise ValueError(f"keyring entry {position}: the secret is not base64url") from None
            keys.append(Key(int(key_id), secret))
        return cls(keys[0], keys[1] if len(keys) > 1 else None)

    def serialize(self) -> str:
        """The value ``parse`` reads (for the command that rotates the key in SSM)."""
        keys = [self.current] if self.previous is None else [self.current, self.previous]
        return ",".join(f"{k.key_id}:{base64.urlsafe_b64encode(k.secret).decode().rstrip('=')}" for k in keys)


def _mac(secret: bytes, purpose: Purpose, payload: bytes) -> bytes:
    message = _LABEL + purpose.value.encode() + b"\x00" + payload
    return hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _plain_date(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} is a date (a calendar day), not {type(value).__name__}")
    return value


def sign(invoice_id: str, purpose: Purpose, expires: date, keys: Keyring) -> str:
    """A token naming ``invoice_id`` for ``purpose`` up to and including ``expires``."""
    purpose = Purpose(purpose)
    expires = _plain_date(expires, "expires")
    match = _INVOICE_ID.fullmatch(invoice_id) if isinstance(invoice_id, str) else None
    if match is None:
        raise ValueError("an invoice id is 'inv-' followed by 32 lowercase hex digits")
    days = (expires - _EPOCH).days
    if not 0 <= days <= _MAX_DAYS:
        raise ValueError(f"expiry out of range ({_EPOCH} to {_EPOCH + timedelta(days=_MAX_DAYS)})")
    key = keys.current
    payload = _PAYLOAD.pack(key.key_id, bytes.fromhex(match.group(1)), days)
    raw = payload + _mac(key.secret, purpose, payload)
    return base64.b32encode(raw).decode("ascii").lower()


def verify(token: str, purpose: Purpose, today: date, keys: Keyring) -> str:
    """The invoice id the token names, or ``InvalidToken`` (whatever is wrong with it).

    ``today`` is the business's calendar day (Europe/Paris); the token is valid through its
    expiry day. The signature is checked (in constant time) before the expiry, so ``expired``
    is only ever said of an authentic token.
    """
    purpose = Purpose(purpose)
    today = _plain_date(today, "today")
    # Length first: a megabyte of input costs nothing more than a wrong length.
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH or not _TOKEN.fullmatch(token):
        raise InvalidToken("malformed")
    raw = base64.b32decode(token.upper())
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    key_id, invoice_bytes, days = _PAYLOAD.unpack(payload)
    key = keys.find(key_id)
    if key is None:
        raise InvalidToken("unknown_key")
    if not hmac.compare_digest(mac, _mac(key.secret, purpose, payload)):
        raise InvalidToken("bad_signature")
    invoice_id = "inv-" + invoice_bytes.hex()
    if today > _EPOCH + timedelta(days=days):
        raise InvalidToken("expired", invoice_id=invoice_id)
    return invoice_id


def reply_address(token: str, domain: str) -> str:
    """``reply+<token>@<domain>``, the reply-to address of a reminder."""
    local = REPLY_PREFIX + token
    if len(token) != TOKEN_LENGTH or len(local) > MAX_LOCAL_PART:
        raise ValueError("not a reply token")
    return f"{local}@{domain}"


def token_from_reply_address(address: str) -> str | None:
    """The token of a ``reply+<token>@…`` address (an addr-spec, without display name), or
    ``None`` when the address is not one of ours. The local part is lowercased first, for
    mail systems that fold its case; the domain is the caller's to check."""
    if not isinstance(address, str) or len(address) > 320:
        return None
    local, sep, _domain = address.strip().rpartition("@")
    if not sep:
        return None
    local = local.lower()
    if not local.startswith(REPLY_PREFIX):
        return None
    return local[len(REPLY_PREFIX) :] or None
