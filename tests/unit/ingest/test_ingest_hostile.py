"""Files built to hurt: zip bombs, mixed encodings (issue: generation under attack)."""

from __future__ import annotations

import io
import zipfile

from ingest_helpers import codes, rejected, table_from, xlsx_bytes

from invoicing.ingest.table import XLSX_MAX_EXPANDED


def with_member(xlsx: bytes, name: str, size: int) -> bytes:
    """The workbook plus one member that unpacks to ``size`` bytes (and zips to almost nothing)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        with target.open(name, "w") as member:
            chunk = b"A" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_reading() -> None:
    bomb = with_member(
        xlsx_bytes([["client", "date"], ["C001", "03/11/2026"]]), "xl/sharedStrings2.xml", 64 << 20
    )
    assert len(bomb) < 300_000  # small on disk
    # Refused from the archive's declared sizes (its own problem code), not by unpacking it.
    problems = rejected(lambda: table_from(bomb, "ventes.xlsx"))
    assert codes(problems) == ["xlsx_too_large"]
    assert problems[0].params == {"size": 64, "limit": XLSX_MAX_EXPANDED // (1 << 20)}


def test_a_utf8_file_with_one_windows_1252_line_is_refused_naming_it() -> None:
    data = (
        b"client;date;description;quantite;prix_unitaire_ht;tva\n"
        + "C001;03/11/2026;Café crème;1;10;20\n".encode()
        + "C001;03/11/2026;Thé à la menthe;1;10;20\n".encode("cp1252")
        + "C001;03/11/2026;Crêpe;1;10;20\n".encode()
    )
    problems = rejected(lambda: table_from(data))
    assert codes(problems) == ["mixed_encoding"]
    assert problems[0].row == 3
    assert "lines 3" in problems[0].reason_en


def test_a_windows_1252_file_is_still_read_as_such() -> None:
    data = "client;description\nC001;Café crème\nC002;Thé\n".encode("cp1252")
    table = table_from(data)
    assert [row.cells[1] for row in table.rows] == ["Café crème", "Thé"]
