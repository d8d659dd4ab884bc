"""Regenerate the corpus of bad coding workbooks in this folder.

Each file is a round-1 workbook for the bundled notes and codebook v1 with one
kind of damage, or built to attack a reader (external links, a zip bomb, an
XML entity bomb). The messages each must produce are in tests/test_sheets.py
and tests/test_bad_input.py. Regenerating rewrites every file (their
docProps timestamps change); restore the unchanged ones with git checkout.

    .venv/bin/python tests/data/bad_workbooks/make_corpus.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from compassion_study import ingest, sheets
from compassion_study.paths import Paths

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def base(tmp: Path, coder: str = "alice") -> Path:
    root = tmp / "project"
    if not root.exists():
        shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
        ingest.ingest(paths=Paths.from_root(root))
    out = tmp / "exp"
    written = sheets.export(Paths.from_root(root), "round-1", [coder], out=out)
    return written[0]


def edit(src: Path, name: str, change) -> Path:
    wb = load_workbook(src)
    ws = wb["Coding"]
    for r in range(3, ws.max_row + 1):  # a plausible coder's marks
        ws.cell(r, 6 + (r % 17)).value = 1
    change(wb, ws)
    dest = HERE / name
    wb.save(dest)
    return dest


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        src = base(Path(t))

        def set_(addr, value):
            return lambda wb, ws: ws.__setitem__(addr, value)

        edit(src, "round-1_alice_unknown-code.xlsx", set_("F2", "atending"))
        edit(src, "round-1_alice_bad-mark.xlsx", set_("H12", "maybe"))
        edit(src, "round-1_alice_duplicate-row.xlsx", set_("A5", "u390f6e73e0"))
        edit(src, "round-1_alice_unknown-unit.xlsx", set_("A7", "u0000000000"))
        edit(src, "round-1_alice_edited-text.xlsx", set_("E9", "Lack of compassion"))
        edit(src, "round-1_alice_round-mismatch.xlsx", set_("B1", "round-2"))
        edit(src, "round-1_alice_coder-mismatch.xlsx", set_("D1", "bob"))
        edit(src, "round-1_alice_unknown-codebook.xlsx", set_("F1", "0.9+000000000000"))
        edit(src, "round-1_alice_formula-mark.xlsx", set_("G4", "=1+0"))
        edit(src, "round-1_alice_code-and-none.xlsx", lambda wb, ws: (ws.__setitem__("F3", 1), ws.__setitem__("W3", 1)))
        edit(src, "round-1_alice_missing-row.xlsx", lambda wb, ws: ws.delete_rows(10))
        edit(src, "round-1_alice_no-coding-sheet.xlsx", lambda wb, ws: wb.remove(ws))
        edit(src, "round-1_alice_many-problems.xlsx",
             lambda wb, ws: (ws.__setitem__("H12", "maybe"), ws.__setitem__("A7", "u0000000000"), ws.__setitem__("E9", "x")))
        (HERE / "round-1_alice_empty.xlsx").write_bytes(b"")
        data = src.read_bytes()
        (HERE / "round-1_alice_truncated.xlsx").write_bytes(data[: len(data) // 2])
        (HERE / "round-1_alice_not-a-spreadsheet.xlsx").write_text("unit_id,attending\nu1,1\n", encoding="utf-8")
        # an OLE2 compound file: what Excel writes for a password-protected workbook
        (HERE / "round-1_alice_password.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
        (HERE / "round-1_alice_binary.csv").write_bytes(b"PK\x03\x04\x00\x00binary\x00data")
        hostile(src)


def _rewrite(src: Path, dest: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
             compress_level: int = 6) -> None:
    """Copy an .xlsx member by member, replacing or adding members."""
    import zipfile

    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=compress_level) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in add.items():
            zout.writestr(name, data)


def hostile(src: Path) -> None:
    """Workbooks built to attack a reader: external links, a zip bomb, an XML entity bomb."""
    import zipfile

    sheet = "xl/worksheets/sheet3.xml"  # the Coding sheet (openpyxl writes inline strings)
    with zipfile.ZipFile(src) as z:
        coding = z.read(sheet)
    link = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><externalBook r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships"/></externalLink>')
    _rewrite(src, HERE / "round-1_alice_external-link.xlsx", add={"xl/externalLinks/externalLink1.xml": link})
    # 80 MB of sheet XML that compresses to well under 1 MB
    padding = coding.replace(b"</worksheet>", b"<!--" + b"0" * 80_000_000 + b"--></worksheet>")
    _rewrite(src, HERE / "round-1_alice_zip-bomb.xlsx", replace={sheet: padding}, compress_level=9)
    lol = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">'.encode() for i in range(9))
           + b"]>\n" + (coding.split(b"?>", 1)[1] if coding.startswith(b"<?xml") else coding).replace(b"<t>", b"<t>&lol8;", 1))
    _rewrite(src, HERE / "round-1_alice_entity-bomb.xlsx", replace={sheet: lol})


if __name__ == "__main__":
    main()
