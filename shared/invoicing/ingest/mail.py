"""Inbound email, read from its raw MIME bytes (what SES inbound writes under ``inbox/mail/``).

Pure: standard library only (``email``, ``html.parser``), no AWS, no I/O. One entry point,
``parse_mail``: it returns an ``InboundMail`` or raises ``UnreadableMail`` with a reason a
person can act on, and nothing else, whatever the bytes are. ``reply_token`` then says whether
the mail answers one of our reminders.

What is read, and how it is made safe:

- **Headers** are decoded whatever the sender did: RFC 2047 encoded words (any charset label,
  read as the body's are, below; a character split across two words is joined), raw 8-bit
  bytes (UTF-8 when valid, as RFC 6532 allows, else Windows-1252, the usual 8-bit charset of
  French mail; bytes it does not define become U+FFFD). The values kept
  (subject, sender name, message id, verdicts, file names) lose the characters
  ``invoicing.domain.text`` refuses everywhere (controls, bidi overrides, zero-width
  characters, ...) and every run of white space, line breaks and tabs included, becomes one
  space: a header value is one line, and a crafted ``\\r\\nBcc:`` or ``\\u202e`` stays inert.
- **Recipients**: the addr-specs of To, Cc, Delivered-To and X-Original-To, lowercased, each
  once, in that order. ``reply_token`` looks there for a reminder's reply address.
- **Body text**: the text/plain part of the message (several are joined), else its HTML
  turned into text; a forwarded message's text only when the mail itself has none.
  Declared charsets are tried first; a wrong or unknown one falls back to UTF-8, then to
  Windows-1252 with replacement characters. At most ``TEXT_LIMIT`` characters.
- **Attachments**: every leaf part that is a file, including those of forwarded messages
  (message/rfc822), in the order of the mail. Not attachments: the body text parts, the
  images an HTML body shows inline (non-root parts of a multipart/related that are not
  marked ``attachment``), and the machine-readable parts of bounce reports
  (message/delivery-status and the like). A PDF marked ``Content-Disposition: inline`` in a
  multipart/mixed (what Apple Mail sends) *is* an attachment: a supplier invoice must not be
  lost to a presentation hint.
- **File names**: RFC 2231 (charset, continuations) and RFC 2047 (even where it is not
  allowed, in quoted or unquoted parameters); directory parts are dropped
  (``1234/../../1234.txt`` is ``1234.txt``); a part without a usable name is called
  ``attachment-<n>.<ext>`` (``n`` counts attachments from 1, ``ext`` from the content type).
- **Transfer encodings**: base64 and quoted-printable; a broken base64 body keeps the bytes
  that decode (invalid characters skipped, a dangling last character dropped).
- Parameters are read leniently: a boundary written unquoted with ``=`` in it (Outlook
  Express) still splits its multipart.

Refused (``UnreadableMail``): more than ``max_bytes``; empty; not a mail (no mail header at the
start: a PDF, an image, an Outlook .msg, binary junk); parts nested more than ``MAX_DEPTH``
levels; more than ``MAX_PARTS`` parts.

Cost: the structure is parsed with the ``compat32`` policy, which leaves headers alone (ten
times faster than ``policy.default`` on a mail of many parts); only the headers used here are
read, by code that stays linear on hostile input: encoded words and parameters are decoded
here (the email package's parameter reading is quadratic in the semicolons of a quoted value,
and its parser reads each multipart's boundary with it: ``_Part`` replaces it), and an
address list is cut into single addresses before ``policy.default`` parses each (its address
parser is quadratic on a run of quotes).

SES verdicts: SES adds ``X-SES-Spam-Verdict`` and ``X-SES-Virus-Verdict`` on top of the
message; a sender can write the same headers further down. The first (top-most) value is
kept, except that any ``FAIL`` wins: a forged ``PASS`` cannot clear a mail.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from html.parser import HTMLParser

from invoicing.domain.text import forbidden_characters
from invoicing.domain.tokens import TOKEN_LENGTH, token_from_reply_address

#: Longest body text kept (characters).
TEXT_LIMIT = 20_000
#: Default largest mail read (bytes): SES inbound accepts up to 40 MB.
MAX_MAIL_BYTES = 40 * 1024 * 1024
#: Deepest nesting of parts read (multiparts and forwarded messages).
MAX_DEPTH = 40
#: Longest header value kept (characters), after decoding and cleaning.
HEADER_LIMIT = 998
#: Longest header value read (characters): bounds the cost of parsing it.
_HEADER_PARSE_LIMIT = 32_768
#: Longest address handed to the address parser (characters), and most addresses read.
_ADDRESS_LIMIT = 998
_MAX_ADDRESSES = 1_000
#: Longest file name kept (characters), extension included.
FILENAME_LIMIT = 200
#: HTML read to find the body text (characters, all HTML parts of a message together): the
#: text stops at TEXT_LIMIT anyway, and HTMLParser reads about a megabyte of tags a second.
_HTML_LIMIT = 1_000_000

SPAM_HEADER = "x-ses-spam-verdict"
VIRUS_HEADER = "x-ses-virus-verdict"
FAIL = "FAIL"

#: Addresses are parsed with the policy of today's email package (RFC 5322, RFC 6532)...
_POLICY = email_policy.default
#: ... and the structure with compat32, which leaves headers as they came (see the docstring).
_STRUCTURE_POLICY = email_policy.compat32
#: Most MIME parts read: a few hundred is already a lot (a mail of 300+ invoices exists).
MAX_PARTS = 10_000
#: Headers of which at least one opens anything that is a mail (or a MIME entity).
_MAIL_HEADERS = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "reply-to",
    }
)
#: Message types read as a forwarded message (other message/* types are report metadata).
_NESTED_MESSAGES = frozenset({"message/rfc822", "message/global"})
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_SURROGATES = re.compile("[\ud800-\udfff]")
_ENCODED_WORD_PATTERN = r"=\?([^?\s*]{1,64})(\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?="
_ENCODED_WORD = re.compile(_ENCODED_WORD_PATTERN)
_ENCODED_WORD_RUN = re.compile(rf"{_ENCODED_WORD_PATTERN}(?:\s*{_ENCODED_WORD_PATTERN})*")
_WHITE_CONTROLS = re.compile(r"[\t\n\r]+")
_HEADER_PARSER_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    LookupError,
    RecursionError,  # nested comments: "((((...": deeper than the stack
    email_errors.HeaderParseError,
)
#: One parameter of a MIME header: name = "quoted string" | anything up to the next ";".
_PARAMETER = re.compile(r'([^\s;="]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_ADDR_TOKEN = re.compile(r"[^\s<>,;\"']+@[^\s<>,;\"']+")
_NOT_MAIL_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an XLSX, DOCX or ODT document)"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Outlook .msg file or an old Office document (save the mail as .eml)",
    ),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
)
#: Labels that codecs does not know, or that mail uses for a superset (as the WHATWG Encoding
#: standard reads them: GB2312 is GBK, Shift_JIS is Windows-31J, ...). ISO-8859-1 is read
#: as Windows-1252 too (see ``_codec``).
_CHARSET_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "x-mac-roman": "mac-roman",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
}
_WINDOWS_1252 = "cp1252"
_EXTENSIONS = {
    "application/pdf": "pdf",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/zip": "zip",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/tiff": "tif",
    "image/heic": "heic",
    "image/webp": "webp",
    "text/plain": "txt",
    "text/html": "html",
    "text/csv": "csv",
    "message/rfc822": "eml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/msword": "doc",
    "application/octet-stream": "bin",
}
#: Built-in types only (``MimeTypes()`` ignores the machine's mime.types): the same answer
#: on a laptop and in Lambda.
_MIME_TYPES = mimetypes.MimeTypes()


class _Part(Message):
    """A compat32 message whose parameters are read by ``_params`` (linear) rather than by the
    email package (quadratic in the semicolons of a quoted value: its parser reads every
    multipart's boundary that way, and ``get_payload`` a part's charset)."""

    def get_param(
        self, param: str, failobj: object = None, header: str = "content-type", unquote: bool = True
    ) -> object:
        value = self.get(header)
        if value is None:
            return failobj
        found = _params(str(value)[:_HEADER_PARSE_LIMIT]).get(param.lower())
        return failobj if found is None else found


class UnreadableMail(ValueError):
    """The bytes are not a mail this module can read; ``str(exc)`` says why, for people.

    ``reason`` is a short code for logs and metrics: ``too_large``, ``empty``, ``not_mail``,
    ``too_deep``, ``too_many_parts``, ``unparseable`` (a bug here, never expected: the cause
    is chained).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file of the mail: its name (decoded, without directories, never empty), its content
    type as declared (lowercase), its bytes with the transfer encoding undone."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # the bytes can be megabytes
        return (
            f"Attachment(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.data)})"
        )


@dataclass(frozen=True, slots=True)
class InboundMail:
    """What a mail says, every text value decoded and made safe (see the module docstring)."""

    message_id: str | None
    subject: str
    #: The From address (addr-spec only), as written.
    sender: str | None
    sender_name: str
    #: To + Cc + Delivered-To + X-Original-To addr-specs, lowercased, deduplicated, in order.
    recipients: tuple[str, ...]
    #: From the Date header, always aware (``-0000`` and zone-less dates are UTC).
    date: datetime | None
    text: str
    attachments: tuple[Attachment, ...]
    spam_verdict: str | None
    virus_verdict: str | None

    @property
    def quarantined(self) -> bool:
        """SES found spam or a virus: the mail must not be processed."""
        return self.spam_verdict == FAIL or self.virus_verdict == FAIL


def parse_mail(raw: bytes, *, max_bytes: int = MAX_MAIL_BYTES) -> InboundMail:
    """The mail in ``raw`` (RFC 5322 / MIME bytes, CRLF or LF line endings).

    Raises ``UnreadableMail`` (only) when the bytes are too large, empty or not a mail.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"parse_mail reads bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if len(raw) > max_bytes:
        raise UnreadableMail(
            f"the mail is too large: its size is {len(raw):,} bytes, the limit is {max_bytes:,} bytes",
            reason="too_large",
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    raw = raw.lstrip(b"\r\n")
    if not raw.strip():
        raise UnreadableMail("the file is empty: there is no mail in it", reason="empty")
    # Each part costs the parser time: refuse a flood of them before parsing (each part
    # opens with a line starting with "--", and few other lines do).
    if raw.count(b"\n--") > MAX_PARTS + 1_000:
        raise _too_many_parts()
    try:
        message = BytesParser(_class=_Part, policy=_STRUCTURE_POLICY).parsebytes(raw)
    except RecursionError:
        raise UnreadableMail(
            f"the mail's parts are nested too deeply to be read (more than {MAX_DEPTH} levels)",
            reason="too_deep",
        ) from None
    if not any(name.lower() in _MAIL_HEADERS for name in message):
        raise UnreadableMail(_not_a_mail(raw), reason="not_mail")
    try:
        return _read(message)
    except UnreadableMail:
        raise
    except Exception as exc:  # the contract: UnreadableMail or a mail, whatever the bytes
        raise UnreadableMail(
            f"the mail could not be read ({type(exc).__name__})", reason="unparseable"
        ) from exc


def reply_token(mail: InboundMail) -> str | None:
    """The token of the first recipient that is one of our reply addresses
    (``reply+<token>@…``, see ``invoicing.domain.tokens``), else ``None``.

    The token is only read here, not verified: ``tokens.verify(token, Purpose.REPLY, ...)``
    says which invoice it names, if any. A ``reply+`` address whose token has not the length
    of a token is skipped (it cannot be one of ours). The domain is not checked here.
    """
    for address in mail.recipients:
        token = token_from_reply_address(address)
        if token is not None and len(token) == TOKEN_LENGTH:
            return token
    return None


# --- the message -----------------------------------------------------------------------


def _read(message: Message) -> InboundMail:
    sender, sender_name = _sender(message)
    walker = _Walker()
    walker.walk(message)
    return InboundMail(
        message_id=_first_raw(message, "message-id") or None,
        subject=_first_text(message, "subject"),
        sender=sender,
        sender_name=sender_name,
        recipients=_recipients(message),
        date=_date(message),
        text=walker.text(),
        attachments=tuple(walker.attachments),
        spam_verdict=_verdict(message, SPAM_HEADER),
        virus_verdict=_verdict(message, VIRUS_HEADER),
    )


def _too_many_parts() -> UnreadableMail:
    return UnreadableMail(f"the mail has too many parts (more than {MAX_PARTS:,})", reason="too_many_parts")


def _not_a_mail(raw: bytes) -> str:
    head = raw.lstrip()
    for signature, what in _NOT_MAIL_SIGNATURES:
        if head.startswith(signature):
            return f"not a mail: the file is {what}"
    if b"\x00" in raw[:4096]:
        return "not a mail: the file is binary data"
    return "not a mail: the file does not start with mail headers (From, To, Subject, Date, ...)"


def _sender(message: Message) -> tuple[str | None, str]:
    for name, address in _addresses(_raw_values(message, "from")):
        spec = _clean(address)
        if spec and "@" in spec:
            return spec, _clean(name)
    return None, ""


def _recipients(message: Message) -> tuple[str, ...]:
    found: dict[str, None] = {}
    pairs: list[tuple[str, str]] = []
    pairs += _addresses(_raw_values(message, "to"))
    pairs += _addresses(_raw_values(message, "cc"))
    for header in ("delivered-to", "x-original-to"):
        # One addr-spec each, but written freely ("mailing list x@y.org"): the token with an @.
        for value in _raw_values(message, header):
            pairs += [("", token.strip("<>")) for token in _ADDR_TOKEN.findall(value)]
    for _name, address in pairs:
        spec = _clean(address).lower()
        if "@" in spec and not spec.startswith("@") and not spec.endswith("@"):
            found.setdefault(spec)
    return tuple(found)


def _date(message: Message) -> datetime | None:
    values = _raw_values(message, "date")
    value = _clean(values[0]) if values else ""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": UTC, the sender's zone unknown (RFC 5322 3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _verdict(message: Message, header: str) -> str | None:
    values = [_clean(value).upper()[:40] for value in _raw_values(message, header)]
    values = [v for v in values if v]
    if not values:
        return None
    return FAIL if FAIL in values else values[0]


# --- headers ---------------------------------------------------------------------------


def _raw_values(message: Message, name: str) -> list[str]:
    """Every value of header ``name``, unfolded, raw 8-bit bytes decoded (not yet RFC 2047)."""
    wanted = name.lower()
    values = []
    for key, value in message.raw_items():
        if key.lower() != wanted:
            continue
        if not isinstance(value, str):  # a header object (a message built in Python)
            value = str(value)
        values.append(_LINE_BREAKS.sub("", _decode_8bit(value))[:_HEADER_PARSE_LIMIT])
    return values


def _decode_8bit(value: str) -> str:
    """A header value as parsed from bytes (undecodable bytes kept as surrogate escapes)
    decoded: UTF-8 when it is (RFC 6532), else Windows-1252."""
    if not _SURROGATES.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return _decode_text(data, None)


def _first_text(message: Message, name: str) -> str:
    """The first value of an unstructured header (Subject), encoded words decoded, cleaned."""
    for value in _raw_values(message, name):
        return _clean(_decoded_words(value))
    return ""


def _first_raw(message: Message, name: str) -> str:
    for value in _raw_values(message, name):
        return _clean(value)
    return ""


def _addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs of address-list header values.

    Each address is parsed on its own (``_address_chunks``): the policy parser takes time
    quadratic in the length of what it reads on some input (a run of quotes), so it is never
    handed more than one address of at most ``_ADDRESS_LIMIT`` characters.
    """
    pairs: list[tuple[str, str]] = []
    for value in values:
        # Encoded words first: "=?utf-8?q?a,b:c?=" holds no delimiter, its base64 neither.
        for chunk in _address_chunks(_reencoded_words(value)):
            try:
                header = _POLICY.header_factory("to", chunk)
                pairs += [(a.display_name, a.addr_spec) for a in header.addresses]
            except _HEADER_PARSER_ERRORS:
                # The policy parser gave up on it: the older, simpler one, else nothing.
                try:
                    found = getaddresses([chunk])
                except _HEADER_PARSER_ERRORS:
                    continue
                pairs += [(_decoded_words(name), address) for name, address in found]
    return [(name, address) for name, address in pairs if address and address != "<>"]


def _address_chunks(value: str) -> list[str]:
    """``value`` cut at the commas (and group delimiters) that separate addresses: not in a
    quoted string, a comment, an angle address or a domain literal. Group names are dropped;
    a piece longer than ``_ADDRESS_LIMIT`` is no address and is dropped too."""
    chunks: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    comment = angle = literal = 0
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or comment):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"' and not comment:
            quoted = True
        elif char == "(":
            comment += 1
        elif char == ")" and comment:
            comment -= 1
        elif comment:
            pass
        elif char == "<":
            angle += 1
        elif char == ">" and angle:
            angle -= 1
        elif char == "[":
            literal += 1
        elif char == "]" and literal:
            literal -= 1
        elif not angle and not literal and char in ",;:":
            if char != ":":  # "group name:" ends a group name, not an address
                chunks.append("".join(current))
            current = []
            continue
        current.append(char)
    chunks.append("".join(current))
    return [c.strip() for c in chunks if c.strip() and len(c) <= _ADDRESS_LIMIT][:_MAX_ADDRESSES]


def _decoded_words(value: str) -> str:
    """Unstructured text with its RFC 2047 encoded words decoded (``_encoded_run_text``)."""
    if "=?" not in value:
        return value
    return _ENCODED_WORD_RUN.sub(lambda run: "".join(_encoded_run_text(run.group(0))), value)


def _reencoded_words(value: str) -> str:
    """``value`` with its encoded words decoded here and written back as UTF-8 words, for
    the policy's address parser: it then never meets a charset it cannot read, a character
    split across two words, or a line break (``=0D=0A`` in a display name makes it refuse
    the whole address)."""
    if "=?" not in value:
        return value

    def reencoded(run: re.Match[str]) -> str:
        texts = _encoded_run_text(run.group(0))
        return " ".join("=?utf-8?b?" + base64.b64encode(t.encode()).decode("ascii") + "?=" for t in texts)

    return _ENCODED_WORD_RUN.sub(reencoded, value)


def _encoded_run_text(run: str) -> list[str]:
    """The texts of adjacent encoded words (the white space between them is not text,
    RFC 2047 6.2), the bytes of consecutive words in one charset joined before decoding (a
    character may be split across two words). Any charset label is read (``_decode_text``:
    aliases, unknown or wrong labels); line breaks and tabs become spaces, refused
    characters go."""
    groups: list[tuple[str, bytearray]] = []
    for word in _ENCODED_WORD.finditer(run):
        label, _language, encoding, text = word.groups()
        data = text.encode("ascii", "ignore")
        data = _decode_base64(data) if encoding in "bB" else binascii.a2b_qp(data, header=True)
        if groups and groups[-1][0] == label.lower():
            groups[-1][1].extend(data)
        else:
            groups.append((label.lower(), bytearray(data)))
    texts = []
    for label, data in groups:
        text = _WHITE_CONTROLS.sub(" ", _strip_refused(_decode_text(bytes(data), label)))
        if text:
            texts.append(text)
    return texts


def _clean(text: str, limit: int = HEADER_LIMIT) -> str:
    """One line of text: refused characters removed, white space folded, at most ``limit``."""
    text = _strip_refused(text)
    return " ".join(text.split())[:limit]


def _strip_refused(text: str, keep: str = "") -> str:
    """``text`` without the characters ``forbidden_characters`` names (but those in
    ``keep``); undecodable bytes (surrogate escapes) become U+FFFD first."""
    if text.isprintable():  # no control, format, surrogate or private-use character
        return text
    text = _SURROGATES.sub("\ufffd", text)
    refused = {chr(int(code[2:], 16)) for code in forbidden_characters(text)} - set(keep)
    # forbidden_characters lets tab, CR and LF through: callers fold or keep them.
    if not refused:
        return text
    return "".join(char for char in text if char not in refused)


# --- charsets --------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _codec(label: str | None) -> str | None:
    """The Python codec for a MIME charset label, or ``None`` (unknown, or not a text codec)."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()[:64]
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
        "a".encode(info.name)  # LookupError for bytes-to-bytes codecs (base64, zlib, ...)
    except (LookupError, ValueError, TypeError, UnicodeError):
        return None
    if info.name in ("iso8859-1", "ascii"):
        return _WINDOWS_1252 if info.name == "iso8859-1" else "ascii"
    return info.name


def _decode_text(data: bytes, charset: str | None, *, final: bool = True) -> str:
    """Text of ``data`` in the declared ``charset``; a wrong or unknown charset falls back to
    UTF-8, then to Windows-1252 (or the declared charset) with replacement characters.
    ``final=False``: ``data`` may end inside a character (a cut), which is then dropped."""
    codec = _codec(charset)
    if codec in (None, "ascii"):  # undeclared, unknown, or plainly wrong (8-bit "us-ascii")
        tries, fallback = ["utf-8"], _WINDOWS_1252
    elif codec == "utf-8":
        tries, fallback = ["utf-8"], "utf-8"
    else:
        tries, fallback = [codec, "utf-8"], codec
    for name in tries:
        try:
            return codecs.getincrementaldecoder(name)("strict").decode(data, final=final)
        except UnicodeError:
            continue
    return codecs.getincrementaldecoder(fallback)("replace").decode(data, final=final)


# --- parts -----------------------------------------------------------------------------


class _Walker:
    """Walks the parts in order: body text candidates by nesting level, attachments."""

    def __init__(self) -> None:
        self.attachments: list[Attachment] = []
        #: level (0: the mail, 1: a forwarded message in it, ...) -> [(kind, text)]
        self.texts: dict[int, list[tuple[str, str]]] = {}
        #: characters still to decode per (level, kind): bounds the work on a flood of parts
        self.budget: dict[tuple[int, str], int] = {}
        self.parts = 0

    def walk(self, message: Message) -> None:
        self._part(message, depth=0, level=0, related=False)

    def _part(self, part: Message, *, depth: int, level: int, related: bool) -> None:
        if depth > MAX_DEPTH:
            raise UnreadableMail(
                f"the mail's parts are nested too deeply to be read (more than {MAX_DEPTH} levels)",
                reason="too_deep",
            )
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise _too_many_parts()
        content_type = part.get_content_type()
        maintype = part.get_content_maintype()
        if part.is_multipart():
            if maintype == "message":
                if content_type in _NESTED_MESSAGES:
                    for inner in _children(part):
                        self._part(inner, depth=depth + 1, level=level + 1, related=False)
                return  # message/delivery-status and other report parts
            children = list(_children(part))
            for index, child in enumerate(children):
                in_related = content_type == "multipart/related" and index > 0
                self._part(child, depth=depth + 1, level=level, related=in_related)
            return
        if maintype == "multipart":  # no boundary in it: its body is all there is to read
            self._text(part, level, "plain")
            return
        self._leaf(part, content_type, level=level, related=related)

    def _leaf(self, part: Message, content_type: str, *, level: int, related: bool) -> None:
        disposition = _disposition(part)
        filename = _filename(part)
        is_attachment = disposition == "attachment"
        if (
            content_type in ("text/plain", "text/html")
            and not is_attachment
            and (filename is None or disposition == "inline")
        ):
            self._text(part, level, "plain" if content_type == "text/plain" else "html")
            return
        if related and part.get_content_maintype() == "image" and not is_attachment:
            return  # an image the HTML body shows (logo, signature): part of the body
        if not (is_attachment or filename is not None or part.get_content_maintype() != "text"):
            return  # text/calendar, text/rfc822-headers, ... without a name: not a file
        number = len(self.attachments) + 1
        self.attachments.append(
            Attachment(
                filename=filename or f"attachment-{number}.{_extension(content_type)}",
                content_type=content_type,
                data=_payload(part),
            )
        )

    def _text(self, part: Message, level: int, kind: str) -> None:
        budget = self.budget.get((level, kind), TEXT_LIMIT if kind == "plain" else _HTML_LIMIT)
        if budget <= 0:
            return
        text = _text_of(part, budget)
        self.budget[level, kind] = budget - len(text)
        self.texts.setdefault(level, []).append((kind, text))

    def text(self) -> str:
        """The plain text of the mail, else its HTML as text; else the same of the first
        forwarded message that has any."""
        for level in sorted(self.texts):
            parts = self.texts[level]
            for kind in ("plain", "html"):
                chosen = [t for k, t in parts if k == kind]
                if kind == "html":
                    chosen = [_html_to_text(t) for t in chosen]
                joined = "\n\n".join(t.strip() for t in chosen if t.strip())
                if joined:
                    # Refused characters are few: cut with room, strip, cut to the limit.
                    return _strip_refused(joined[: 2 * TEXT_LIMIT], keep="\t\n").strip()[:TEXT_LIMIT]
        return ""


def _children(part: Message) -> Iterator[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        yield from (child for child in payload if isinstance(child, Message))
    elif isinstance(payload, Message):
        yield payload


def _disposition(part: Message) -> str | None:
    for value in _raw_values(part, "content-disposition"):
        return value.split(";", 1)[0].strip().strip("\"'").lower() or None
    return None


def _filename(part: Message) -> str | None:
    """The part's file name, decoded and made safe, or ``None`` when it has no usable one."""
    for header_name, param in (("content-disposition", "filename"), ("content-type", "name")):
        for value in _raw_values(part, header_name):
            name = _param(header_name, value, param)
            if name is None:
                continue
            safe = _safe_filename(name)
            if safe:
                return safe
    return None


def _param(header_name: str, value: str, param: str) -> str | None:
    """A parameter of a MIME header (``_params``), then any RFC 2047 encoded word in it
    (not allowed there, written by many mailers: quoted, or even unquoted as in
    ``filename==?utf-8?B?...?=``)."""
    found = _params(value).get(param)
    if not found:
        return None
    return _decoded_words(found) if "=?" in found else found


def _params(value: str) -> dict[str, str]:
    """The parameters of a MIME header value (``type; name=value; ...``): names lowercased,
    the first of each name kept, quoted strings unquoted, RFC 2231 values (``name*``,
    ``name*0*``, ``name*1``, ...) joined and decoded, and preferred to a plain one (RFC 6266).
    Linear in the length of ``value``, whatever it holds."""
    head, _, rest = value.partition(";")
    if "=" in head:  # no type before the parameters
        rest = value
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    for match in _PARAMETER.finditer(rest):
        key = match.group(1).lower()
        quoted = match.group(2)
        text = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else match.group(3).strip().strip('"')
        name, star, index = key.partition("*")
        if not star:
            plain.setdefault(name, text)
            continue
        extended = index == "" or index.endswith("*")
        number = index.removesuffix("*") or "0"
        if number.isdigit() and len(number) <= 3:
            sections.setdefault(name, {}).setdefault(int(number), (extended, text))
    for name, pieces in sections.items():
        plain[name] = _rfc2231(pieces)
    return plain


def _rfc2231(pieces: dict[int, tuple[bool, str]]) -> str:
    """An RFC 2231 value from its sections: ``charset'language'%XX...`` in the first, the
    sections in order (up to the first missing one), percent-encoded bytes decoded."""
    data = bytearray()
    charset = None
    for number in range(len(pieces)):
        if number not in pieces:
            break
        extended, text = pieces[number]
        if extended:
            if number == 0 and text.count("'") >= 2:
                charset, _language, text = text.split("'", 2)
            data += urllib.parse.unquote_to_bytes(text)
        else:
            data += text.encode("utf-8", "surrogateescape")
    return _decode_text(bytes(data), charset or None)


def _safe_filename(name: str) -> str:
    name = re.split(r"[/\\]", name)[-1]
    if len(name) > 4 * FILENAME_LIMIT:  # keep the extension: a head and the tail
        name = name[: 2 * FILENAME_LIMIT] + name[-FILENAME_LIMIT:]
    name = _clean(name, limit=4 * FILENAME_LIMIT)
    if name in ("", ".", ".."):
        return ""
    if len(name) > FILENAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: FILENAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            name = name[:FILENAME_LIMIT]
    return name


def _extension(content_type: str) -> str:
    known = _EXTENSIONS.get(content_type)
    if known:
        return known
    guessed = _MIME_TYPES.guess_extension(content_type)
    return guessed.lstrip(".") if guessed else "bin"


def _payload(part: Message) -> bytes:
    """The part's bytes, transfer encoding undone (as much of it as decodes)."""
    encoding = ""
    for value in _raw_values(part, "content-transfer-encoding"):
        encoding = value.strip().strip("\"'").lower()
        break
    if encoding == "base64":
        # The email package gives up on a length it cannot decode (returning the base64
        # text itself): decoded here, forgivingly.
        payload = part.get_payload()
        return _decode_base64(payload.encode("ascii", "ignore")) if isinstance(payload, str) else b""
    # Quoted-printable decoded, anything else as it came (8-bit bytes untouched).
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _decode_base64(data: bytes) -> bytes:
    """Base64, forgiving: characters outside the alphabet are skipped; when the length is
    impossible (one character too many), the dangling last character is dropped."""
    try:
        return base64.b64decode(data + b"==", validate=False)
    except binascii.Error:
        clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        if len(clean) % 4 == 1:
            clean = clean[:-1]
        try:
            return base64.b64decode(clean + b"==", validate=False)
        except binascii.Error:  # pragma: no cover - the cleaned input always decodes
            return b""


def _text_of(part: Message, limit: int) -> str:
    """The decoded text of a text part, newlines as LF, at most ``limit`` characters."""
    data = _payload(part)
    charset = next((_params(v).get("charset") for v in _raw_values(part, "content-type")), None)
    # A character is at most 4 bytes in the charsets of mail: more is never needed.
    cut = len(data) > 4 * limit
    text = _decode_text(data[: 4 * limit] if cut else data, charset, final=not cut)
    return _LINE_BREAKS.sub("\n", text[:limit])


# --- HTML ------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "title", "noscript", "xml"})


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.size = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag == "body":  # whatever was left open in the head, the body shows
            self.hidden = 0
        elif tag in _BLOCK_TAGS:
            self._add("\n")
        elif tag in ("td", "th"):
            self._add(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._add(re.sub(r"\s+", " ", data))

    def _add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.size += len(piece)


def _html_to_text(html: str) -> str:
    parser = _HtmlText()
    step = 65_536
    for start in range(0, len(html), step):
        parser.feed(html[start : start + step])
        if parser.size > 2 * TEXT_LIMIT:
            break
    else:
        parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.pieces).split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip()
