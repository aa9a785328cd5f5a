"""Text that may reach a document, a report or an alert: what is refused, and how a value is
quoted back to people.

Refused in every text field of every input (spreadsheets, clients, credit-note reasons,
command-line arguments), before anything is numbered:

- control characters other than tab, line feed and carriage return (``\\x0b`` and ``\\x0c``
  are refused by XML; ``\\x1c``-``\\x1f`` print as nothing);
- format characters: bidirectional overrides and isolates (``Evil\\u202eCorp`` reads
  "EvilproC"), zero-width spaces and joiners, the BOM inside a text, and the like;
- surrogates and private-use characters, which no font or platform agrees on.

``one_line`` is how a value read from a document (a supplier's PDF or XML, a bank statement, a
mail header) is kept: refused characters dropped, white space (line breaks included) folded to
single spaces, cut to a bounded length.

``quoted`` is how a value is shown back in a report or an alert: invisible characters made
visible (``\\u202e``), and cut to a bounded length, so a 200 MB cell or a hostile string
cannot flood or fool the person reading it.
"""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = frozenset("\t\n\r")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
#: Longest value quoted back in a report or an alert (characters).
QUOTE_LIMIT = 120


def _refused(char: str) -> bool:
    return char not in ALLOWED_CONTROLS and unicodedata.category(char) in _REFUSED_CATEGORIES


def forbidden_characters(text: str) -> tuple[str, ...]:
    """The distinct refused characters of ``text``, named as ``U+202E``, in order of appearance."""
    found: dict[str, None] = {}
    for char in text:
        if _refused(char):
            found.setdefault(f"U+{ord(char):04X}")
    return tuple(found)


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as shown back to people: refused characters written as ``\\u202e``, line
    breaks as ``\\n``, and at most ``limit`` characters (then "…")."""
    out = []
    size = 0
    for char in text:
        if char in "\n\r\t" or _refused(char):
            piece = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or f"\\u{ord(char):04x}"
        else:
            piece = char
        if size + len(piece) > limit:
            out.append("…")
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def without_refused(text: str, keep: str = "") -> str:
    """``text`` without the characters ``forbidden_characters`` names (but those in ``keep``,
    such as the form feed between the pages of a text layer); tab, CR and LF are kept."""
    if text.isprintable():  # every refused character is unprintable: nothing to look for
        return text
    refused = [ord(char) for char in set(text) if char not in keep and _refused(char)]
    return text.translate(dict.fromkeys(refused)) if refused else text


def one_line(text: str | None, limit: int) -> str:
    """``text`` as one line: refused characters dropped, white space (line breaks included)
    folded to single spaces, stripped, at most ``limit`` characters; "" for None."""
    if not text:
        return ""
    return " ".join(without_refused(text).split())[:limit].rstrip()
