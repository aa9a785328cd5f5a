"""How much a PDF inflates to, known before any PDF library opens it.

A PDF of a few hundred kilobytes can hold a page whose compressed content inflates to gigabytes
(a "zip bomb"): pdfium or pdfminer would inflate it whole, and the function would run out of
memory and be killed, again at every retry. ``check_inflation`` walks the file's
``stream … endstream`` blocks that use FlateDecode, inflates each one in bounded pieces (never
more than ``PIECE`` bytes in memory at once) and stops as soon as the total passes the limit.
Image streams are left out: text extraction never decodes them, and a scan's pages are rightly
large. Pure and standard-library only.
"""

from __future__ import annotations

import re
import zlib

#: What a supplier invoice's text, fonts and structure may inflate to, in all.
MAX_INFLATED_BYTES = 100 * 1024 * 1024
#: Bytes inflated at a time.
PIECE = 1 << 20
_INPUT = 1 << 16
_STREAM = re.compile(rb"stream\r?\n")
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")


class InflatesTooMuch(ValueError):
    """The PDF's compressed streams inflate beyond the limit."""

    def __init__(self, total: int, limit: int) -> None:
        super().__init__(
            f"its compressed content inflates to more than {limit // (1024 * 1024)} MB "
            f"(at least {total // (1024 * 1024)} MB read): refused unread"
        )
        self.reason = "inflates_too_much"


def check_inflation(data: bytes, limit: int = MAX_INFLATED_BYTES) -> int:
    """The inflated size of ``data``'s non-image Flate streams, or ``InflatesTooMuch`` as soon as
    it passes ``limit``. Broken streams count for what inflates before the error."""
    total = 0
    searched = 0
    for match in _STREAM.finditer(data):
        if match.start() < searched:
            continue  # the keyword inside a stream already read
        objects = list(_OBJ.finditer(data, max(0, match.start() - 4096), match.start()))
        head = data[objects[-1].end() if objects else max(0, match.start() - 4096) : match.start()]
        if not _FLATE.search(head) or _IMAGE.search(head):
            continue
        inflater = zlib.decompressobj()
        position = match.end()
        pending = b""
        try:
            while not inflater.eof:
                if not pending:
                    if position >= len(data):
                        break
                    pending = data[position : position + _INPUT]
                    position += len(pending)
                out = inflater.decompress(pending, PIECE)
                pending = inflater.unconsumed_tail
                total += len(out)
                if total > limit:
                    raise InflatesTooMuch(total, limit)
                if not out and not pending and inflater.eof:
                    break
        except zlib.error:
            pass
        searched = position - len(inflater.unused_data) if inflater.eof else match.end()
    return total
