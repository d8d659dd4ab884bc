"""Every bad input across the package, in one table.

Each case runs the real command line. It must exit 1 with one clear message
that starts ``compassion-study: error:`` and names the file (and the place in
it where there is one), print no traceback, and leave every processed output
exactly as it was. Hostile spreadsheets (formula cells, external links, a zip
bomb, an XML entity bomb, a password-protected workbook) are among them.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from compassion_study import consensus, ingest, sheets
from compassion_study.paths import Paths

from .conftest import DATA, REPO, tree_hashes

BAD = DATA / "bad_workbooks"
CODEBOOK = (REPO / "data/raw/codebook/compassionate-leadership-v1.yaml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]  # "{f}" is the bad file, "{root}" the project
    message: str
    name: str = ""
    content: bytes | None = None  # written to {f}; None: {f} is a corpus file or made by the fixture


def codebook_with(*edits: str) -> bytes:
    """The bundled codebook with each (old, new) pair of ``edits`` replaced once."""
    text = CODEBOOK
    for old, new in zip(edits[::2], edits[1::2]):
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def corpus(name: str, message: str) -> Case:
    return Case(f"import:{name}", ("import", "--round", "round-1", str(BAD / f"round-1_alice_{name}")), message)


CASES = [
    # --- ingest -------------------------------------------------------------------------
    Case("ingest:empty", ("ingest", "{f}"), "empty.txt: file is empty", "empty.txt", b""),
    Case("ingest:blank", ("ingest", "{f}"), "blank.txt: file has no text", "blank.txt", b" \n\n"),
    Case("ingest:binary", ("ingest", "{f}"), "binary.txt: not a text file", "binary.txt", b"\x00\x01\x02binary"),
    Case("ingest:cp1252", ("ingest", "{f}"), "legacy.txt › line 3: byte 0x92 at column 6 is not UTF-8",
         "legacy.txt", "Day\nWhat helps?\n-  It\u2019s the little things.\n".encode("cp1252")),
    Case("ingest:extension", ("ingest", "{f}"), "notes.pdf: unsupported file type '.pdf'", "notes.pdf", b"%PDF-1.4"),
    Case("ingest:no-prompt", ("ingest", "{f}"), "prose.txt: no discussion prompt found", "prose.txt",
         b"Minutes\nWe met.\nWe agreed to meet again.\n"),
    Case("ingest:no-comments", ("ingest", "{f}"), "nobullets.txt: no comments found", "nobullets.txt",
         b"Day\nWhat helps?\nWe talked at length.\n"),
    Case("ingest:fake-docx", ("ingest", "{f}"), "fake.docx: not a readable Word .docx file: it is not a Word document",
         "fake.docx", b"plain text, not a zip"),
    Case("ingest:missing", ("ingest", "{root}/nope.txt"), "nope.txt: file not found"),
    Case("ingest:docx-entity-bomb", ("ingest", "{f}"), "bomb.docx: not a readable Word .docx file: it member word/document.xml "
         "declares XML entities", "bomb.docx"),
    # --- codebook -----------------------------------------------------------------------
    Case("codebook:duplicate-id", ("codebook", "check", "{f}"), "cb.yaml › codes[1] (attending) › id: duplicate id 'attending'",
         "cb.yaml", codebook_with("id: understanding", "id: attending")),
    Case("codebook:missing-field", ("codebook", "check", "{f}"), "cb.yaml › codes[0] (attending): missing field(s) use_when",
         "cb.yaml", codebook_with("    use_when: >-\n      The comment mentions listening", "    usewhen: >-\n      The comment mentions listening")),
    Case("codebook:example-without-source", ("codebook", "check", "{f}"),
         "cb.yaml › codes[0] (attending) › example: must give quote and where it is from",
         "cb.yaml", codebook_with("      unit_id: ud73e3172c0\n", "", "      from: breakout notes, compassionate-leadership "
                                  "workshop with Michael West, 1 July 2020\n", "")),
    Case("codebook:empty-keywords", ("codebook", "check", "{f}"), "cb.yaml › codes[0] (attending) › keywords: must be a non-empty list",
         "cb.yaml", codebook_with("keywords: [listen, listening,", "keywords: []\n    old: [listen, listening,")),
    Case("codebook:quote-not-in-unit", ("codebook", "check", "{f}"), "example: quote is not in the text of unit 'ud73e3172c0'",
         "cb.yaml", codebook_with("quote: when people let their guard down", "quote: when people let their guard up")),
    Case("codebook:invalid-yaml", ("codebook", "check", "{f}"), "cb.yaml › line 3, column 1: not valid YAML", "cb.yaml",
         b"codes: [\nversion: 1\n"),
    Case("codebook:not-a-mapping", ("codebook", "check", "{f}"), "cb.yaml: a codebook is a YAML mapping", "cb.yaml", b"- a\n- b\n"),
    Case("codebook:bad-id", ("codebook", "check", "{f}"), "cb.yaml › codes[0] (Attending!) › id: 'Attending!' must be lower-case",
         "cb.yaml", codebook_with("id: attending", "id: Attending!")),
    # --- coding workbooks (the corpus in tests/data/bad_workbooks) ----------------------
    corpus("unknown-code.xlsx", "round-1_alice_unknown-code.xlsx › Coding › F2: unknown column 'atending'"),
    corpus("bad-mark.xlsx", "round-1_alice_bad-mark.xlsx › Coding › H12: mark 'maybe' is not a documented mark"),
    corpus("duplicate-row.xlsx", "round-1_alice_duplicate-row.xlsx › Coding › A5: unit 'u390f6e73e0' appears twice"),
    corpus("unknown-unit.xlsx", "round-1_alice_unknown-unit.xlsx › Coding › A7: unknown unit 'u0000000000'"),
    corpus("edited-text.xlsx", "round-1_alice_edited-text.xlsx › Coding › E9: comment text of unit 'u609bd544f6' was edited"),
    corpus("round-mismatch.xlsx", "round-1_alice_round-mismatch.xlsx › Coding › B1: sheet is for round 'round-2'"),
    corpus("coder-mismatch.xlsx", "round-1_alice_coder-mismatch.xlsx › Coding › D1: sheet says coder 'bob'"),
    corpus("unknown-codebook.xlsx", "round-1_alice_unknown-codebook.xlsx › Coding › F1: codebook version '0.9+000000000000'"),
    corpus("formula-mark.xlsx", "round-1_alice_formula-mark.xlsx › Coding › G4: mark a formula is not a documented mark"),
    corpus("code-and-none.xlsx", "round-1_alice_code-and-none.xlsx › Coding › W3: 'no code applies' is marked but so are"),
    corpus("missing-row.xlsx", "round-1_alice_missing-row.xlsx › Coding: 1 assigned unit row(s) missing"),
    corpus("no-coding-sheet.xlsx", "round-1_alice_no-coding-sheet.xlsx: has no 'Coding' sheet"),
    corpus("empty.xlsx", "round-1_alice_empty.xlsx: file is empty"),
    corpus("truncated.xlsx", "round-1_alice_truncated.xlsx: is not a spreadsheet (not a zip archive)"),
    corpus("not-a-spreadsheet.xlsx", "round-1_alice_not-a-spreadsheet.xlsx: is not a spreadsheet"),
    corpus("password.xlsx", "round-1_alice_password.xlsx: is encrypted (password-protected)"),
    corpus("binary.csv", "round-1_alice_binary.csv: not a CSV text file"),
    corpus("external-link.xlsx", "round-1_alice_external-link.xlsx: links to other workbooks (external links)"),
    corpus("zip-bomb.xlsx", "round-1_alice_zip-bomb.xlsx: member xl/worksheets/sheet3.xml expands"),
    corpus("entity-bomb.xlsx", "round-1_alice_entity-bomb.xlsx: member xl/worksheets/sheet3.xml declares XML entities"),
    Case("import:unsupported", ("import", "{f}"), "returned.xls: unsupported file type '.xls'", "returned.xls", b"\xd0\xcf\x11\xe0"),
    # --- consensus import (adjudication workbooks made by the fixture) ------------------
    Case("consensus:bad-decision", ("consensus", "import", "{root}/adj_decision.xlsx"),
         "adj_decision.xlsx › Adjudication › I3: decision 'perhaps' is not a documented mark"),
    Case("consensus:unknown-cell", ("consensus", "import", "{root}/adj_cell.xlsx"),
         "adj_cell.xlsx › Adjudication › A3: unit 'u0000000000' × code"),
    Case("consensus:edited", ("consensus", "import", "{root}/adj_text.xlsx"),
         "adj_text.xlsx › Adjudication › D3: comment text of unit"),
    Case("consensus:not-a-spreadsheet", ("consensus", "import", "{f}"), "adj.ods: is not a spreadsheet", "adj.ods", b"hello"),
    # --- the ratings calculator ---------------------------------------------------------
    Case("ratings:duplicate", ("agreement", "{f}"), "r.csv › lines 2, 3: unit '1' is rated twice by coder 'a'", "r.csv",
         b"unit,coder,value\n1,a,1\n1,a,2\n1,b,1\n"),
    Case("ratings:columns", ("agreement", "{f}"), "r.csv › line 1: no column(s) coder, value", "r.csv", b"unit,rater,score\n1,a,1\n"),
    Case("ratings:not-numeric", ("agreement", "{f}", "--level", "ratio"), "r.csv › line(s) 3: value is not a number", "r.csv",
         b"unit,coder,value\n1,a,1\n1,b,high\n"),
    Case("ratings:negative-ratio", ("agreement", "{f}", "--level", "ratio"), "level 'ratio' needs values of zero or more", "r.csv",
         b"unit,coder,value\n1,a,-1\n1,b,2\n2,a,3\n2,b,3\n"),
    Case("ratings:empty", ("agreement", "{f}"), "r.csv: empty file", "r.csv", b""),
    Case("ratings:binary", ("agreement", "{f}"), "r.csv: not a CSV text file", "r.csv", b"\x00\x00PK"),
    Case("ratings:missing", ("agreement", "{root}/none.csv"), "none.csv: file not found"),
    Case("ratings:bad-encoding", ("agreement", "{f}"), "r.csv › line 2: neither UTF-8 nor Windows-1252", "r.csv",
         b"unit,coder,value\n1,a,\x81\x8d\n"),
]


def test_the_table_is_large_and_covers_every_stage():
    assert len(CASES) >= 30
    assert {c.id.split(":")[0] for c in CASES} == {"ingest", "codebook", "import", "consensus", "ratings"}
    assert len({c.id for c in CASES}) == len(CASES)


def _docx_bomb(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("What helps?")
    d.save(path)
    tmp = path.with_suffix(".tmp.docx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1)
            zout.writestr(info, data)
    tmp.replace(path)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Paths:
    """A project with every stage's outputs already written (so 'unchanged' means something)."""
    root = tmp_path_factory.mktemp("bad") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    paths = Paths.from_root(root)
    ingest.ingest(paths=paths)
    sheets.import_codings(paths=paths)
    consensus.run(paths)
    adj = consensus.export(paths, "round-1", out=root / "adj.xlsx")
    for name, cell, value in (("adj_decision", "I3", "perhaps"), ("adj_cell", "A3", "u0000000000"), ("adj_text", "D3", "edited")):
        wb = load_workbook(adj)
        wb[consensus.SHEET][cell] = value
        wb.save(root / f"{name}.xlsx")
    _docx_bomb(root / "bomb.docx")
    return paths


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_message_and_changes_nothing(project, case, capsys):
    from compassion_study.cli import main

    f = project.root / case.name if case.name else None
    if case.content is not None:
        f.write_bytes(case.content)
    args = [a.replace("{f}", str(f)).replace("{root}", str(project.root)) for a in case.args]
    before = tree_hashes(project.processed)
    raw = tree_hashes(project.raw)
    status = main(["--root", str(project.root), *args])
    err = capsys.readouterr().err
    assert status == 1, err
    assert err.startswith("compassion-study: error: "), err
    assert "Traceback" not in err
    assert case.message in err, err
    assert tree_hashes(project.processed) == before
    assert tree_hashes(project.raw) == raw
