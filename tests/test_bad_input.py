"""Every bad input across the package, in one table.

Each case runs the real command line. It must exit 1 with one clear message
that starts ``compassion-study: error:`` and names the file (and the place in
it where there is one), print no traceback, and leave every processed output
exactly as it was. Hostile spreadsheets (formula cells, external links, a zip
bomb, an XML entity bomb, a password-protected workbook) are among them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from compassion_study import consensus, ingest
from compassion_study.paths import Paths

from .conftest import DATA, REPO, rewrite_zip, study_through_consensus, tree_hashes

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
    Case("codebook:invalid-yaml", ("codebook", "check", "{f}"), "cb.yaml › line 1, column 8: not valid YAML (while parsing a flow sequence",
         "cb.yaml",
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
    corpus("formula-mark.xlsx", "round-1_alice_formula-mark.xlsx › Coding › G4: mark a formula (=1+0) is not a documented mark"),
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
         "adj_decision.xlsx › Adjudication › G3: decision 'perhaps' is not a documented mark"),
    Case("consensus:unknown-cell", ("consensus", "import", "{root}/adj_cell.xlsx"),
         "adj_cell.xlsx › Adjudication › A3: unit 'u0000000000' × code"),
    Case("consensus:edited", ("consensus", "import", "{root}/adj_text.xlsx"),
         "adj_text.xlsx › Adjudication › D3: comment text of unit"),
    Case("consensus:not-a-spreadsheet", ("consensus", "import", "{f}"), "adj.ods: is not a spreadsheet", "adj.ods", b"hello"),
    # --- the ratings calculator ---------------------------------------------------------
    Case("ratings:duplicate", ("agreement", "{f}"), "r.csv › lines 2, 3: unit '1' is rated twice by coder 'a'", "r.csv",
         b"unit,coder,value\n1,a,1\n1,a,2\n1,b,1\n"),
    Case("ratings:columns", ("agreement", "{f}"), "r.csv › line 1: no column(s) coder, value", "r.csv", b"unit,rater,score\n1,a,1\n"),
    Case("ratings:not-numeric", ("agreement", "{f}", "--level", "ratio"), "r.csv › line(s) 3: value(s) 'high' are not numbers", "r.csv",
         b"unit,coder,value\n1,a,1\n1,b,high\n"),
    Case("ratings:negative-ratio", ("agreement", "{f}", "--level", "ratio"), "level 'ratio' needs values of zero or more", "r.csv",
         b"unit,coder,value\n1,a,-1\n1,b,2\n2,a,3\n2,b,3\n"),
    Case("ratings:empty", ("agreement", "{f}"), "r.csv: empty file", "r.csv", b""),
    Case("ratings:binary", ("agreement", "{f}"), "r.csv: not a CSV text file", "r.csv", b"\x00\x00PK"),
    Case("ratings:missing", ("agreement", "{root}/none.csv"), "none.csv: file not found"),
    Case("ratings:bad-encoding", ("agreement", "{f}"), "r.csv › line 2: neither UTF-8 nor Windows-1252", "r.csv",
         b"unit,coder,value\n1,a,\x81\x8d\n"),
    # --- issue 11: control characters, sizes, names, structures ------------------------
    Case("ingest:control-character", ("ingest", "{f}"), "bell.txt › line 3: control character U+0007 after “Time ”",
         "bell.txt", b"Day\nWhat helps?\n- Time \x07to think\n"),
    Case("ingest:late-nul", ("ingest", "{f}"), f"nul.txt › line {3 + 9000 // 60}: control character U+0000", "nul.txt",
         b"Day\nWhat helps?\n" + b"- a comment that is long enough to fill a line of the notes\n" * (9000 // 60)
         + b"- hidden \x00 here\n"),
    Case("ingest:comment-too-long", ("ingest", "{f}"), "long.txt › line 3: 40,002 characters, more than a spreadsheet cell",
         "long.txt", b"Day\nWhat helps?\n- " + b"x" * 40_002 + b"\n"),
    Case("ingest:folder-named-txt", ("ingest", "{root}/notes-dir"), "notes-dir: no notes files found"),
    Case("ingest:fifo", ("ingest", "{root}/pipe.txt"), "pipe.txt: not a regular file"),
    Case("codebook:groups-list", ("codebook", "check", "{f}"), "cb.yaml › groups: must be a mapping of group name",
         "cb.yaml", codebook_with("groups:\n  behaviour:", "groups:\n  - behaviour\n  - x\ngroupz:\n  behaviour:")),
    Case("codebook:alias-bomb", ("codebook", "check", "{f}"), "not valid YAML (anchors and aliases (*name) are not allowed)",
         "cb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"),
    Case("codebook:deep-nesting", ("codebook", "check", "{f}"), "cb.yaml: nested too deeply", "cb.yaml",
         b"codes: " + b"[" * 20_000 + b"]" * 20_000 + b"\n"),
    Case("codebook:duplicate-key", ("codebook", "check", "{f}"), "cb.yaml › line 13, column 1: not valid YAML (key 'version' appears twice)",
         "cb.yaml", codebook_with('version: "1.0"\n', 'version: "1.0"\nversion: "2.0"\n')),
    Case("codebook:version-number", ("codebook", "check", "{f}"), "cb.yaml › version: 1.1 was read as a number",
         "cb.yaml", codebook_with('version: "1.0"', "version: 1.10")),
    Case("codebook:title-not-text", ("codebook", "check", "{f}"), "cb.yaml › title: must be text", "cb.yaml",
         codebook_with("title: Compassionate leadership in workshop comments", "title: [a, b]")),
    Case("import:round-traversal", ("import", "{root}/round-x_alice.xlsx"),
         "round-x_alice.xlsx › Coding › B1: '../../../../tmp/x' is not a valid round name"),
    Case("import:reserved-coder", ("import", "{root}/round-1_nul.xlsx"), "round-1_nul.xlsx › Coding › D1: 'nul' is not a valid coder name"),
    Case("import:ods-row-bomb", ("import", "{root}/round-1_alice_bomb.ods"),
         "round-1_alice_bomb.ods: its repeated rows and cells would expand to"),
    Case("import:memo-control-character", ("import", "--round", "round-1", "{root}/round-1_alice - Coding.csv"),
         "round-1_alice - Coding.csv › Coding › X4: memo holds control character U+0007"),
    Case("consensus:ods-row-bomb", ("consensus", "import", "{root}/round-1_alice_bomb.ods"),
         "round-1_alice_bomb.ods: its repeated rows and cells would expand to"),
    Case("ratings:duplicate-header", ("agreement", "{f}"), "r.csv › line 1: column(s) coder appear more than once", "r.csv",
         b"unit,coder,coder,value\n1,a,b,1\n"),
    Case("ratings:header-only", ("agreement", "{f}"), "r.csv: a header row but no ratings", "r.csv", b"unit,coder,value\n"),
    Case("ratings:same-columns", ("agreement", "{f}", "--coder", "unit"), "--unit, --coder and --value must name three different",
         "r.csv", b"unit,coder,value\n1,a,1\n"),
    Case("ratings:empty-separator", ("agreement", "{f}", "--multilabel-sep", ""), "--multilabel-sep: give the character(s)",
         "r.csv", b"unit,coder,value\n1,a,x\n"),
    Case("ratings:lines-after-blank-lines", ("agreement", "{f}"), "r.csv › lines 3, 7: unit '1' is rated twice by coder 'a'",
         "r.csv", b"unit,coder,value\n\n1,a,x\n2,a,y\n\n\n1,a,z\n"),
    Case("ratings:unclosed-quote", ("agreement", "{f}"), "r.csv › line 2: a value runs over several lines", "r.csv",
         b'unit,coder,value\n1,a,"x' + b"y" * 200_000 + b"\n2,b,z\n"),
    Case("ratings:quoted-newline-in-unit", ("agreement", "{f}"), "r.csv › line 3: a value runs over several lines",
         "r.csv", b'unit,coder,value\n1,a,x\n"2\nz",a,y\n'),
    Case("import:ods-negative-repeat", ("import", "{root}/round-1_alice_negative.ods"),
         "round-1_alice_negative.ods: a repeat count of '-1000' is not a positive whole number"),
    Case("import:ods-space-bomb", ("import", "{root}/round-1_alice_spaces.ods"),
         "round-1_alice_spaces.ods: a run of 4000000000 spaces is longer than a cell holds"),
    Case("consensus:export-traversal", ("consensus", "export", "--round", "../../x"), "round '../../x': use 1-20 letters"),
    Case("study:huge-number", ("run", "--root", "{root}/st6"), "study.yaml › bootstrap › seed: 10000000000000000000… is outside",
         "st6/study.yaml", b"bootstrap: {seed: 1" + b"0" * 400 + b"}\n"),
    Case("study:unknown-key", ("run", "--root", "{root}/st1"), "study.yaml › colour: unknown key", "st1/study.yaml",
         b"title: T\ncolour: blue\n"),
    Case("study:alias-bomb", ("run", "--root", "{root}/st2"), "study.yaml › line 2, column 14: not valid YAML (anchors",
         "st2/study.yaml", b"title: &t T\nevaluators: [*t, *t]\n"),
    Case("study:codebook-path", ("run", "--root", "{root}/st3"), "study.yaml › codebook: '../secret.yaml' must be the name",
         "st3/study.yaml", b"codebook: ../secret.yaml\n"),
    Case("study:half-compare", ("run", "--root", "{root}/st4"), "study.yaml › compare: give both barriers and enablers",
         "st4/study.yaml", b"compare: {barriers: x}\n"),
    Case("study:resamples-text", ("run", "--root", "{root}/st5"), "study.yaml › bootstrap › resamples: expected a whole number",
         "st5/study.yaml", b"bootstrap: {resamples: lots}\n"),
    Case("root:missing", ("ingest", "--root", "{root}/nowhere"), "nowhere: no such folder"),
    # --- control characters and cell-sized texts wherever text enters (issue 11, finding 7) ---------------------
    Case("codebook:escaped-control-character", ("codebook", "check", "{f}"),
         "cb.yaml › line 24, column 12: not valid YAML (control character U+0007 in a text", "cb.yaml",
         codebook_with("label: Attending", 'label: "Atten\\ading"')),
    Case("codebook:brief-longer-than-a-cell", ("codebook", "check", "{f}"),
         "cb.yaml › line 26, column 12: not valid YAML (a text of 40,000 characters, more than a spreadsheet cell",
         "cb.yaml", codebook_with("brief: Being present with staff and noticing how they are.", "brief: " + "b" * 40_000)),
    Case("study:escaped-control-character", ("run", "--root", "{root}/st7"),
         "study.yaml › line 1, column 8: not valid YAML (control character U+0007", "st7/study.yaml",
         b'title: "Work\\ashop"\n'),
    Case("ingest:control-character-in-file-name", ("ingest", "{f}"),
         "the file name holds a control character (U+0007)", "notes\x07.txt",
         b"Day\nWhat helps?\n- Kindness from the team every day\n"),
    Case("ingest:comment-of-emoji-longer-than-a-cell", ("ingest", "{f}"),
         "long.txt › line 3: 40,000 characters, more than a spreadsheet cell holds", "long.txt",
         "Day\nWhat helps?\n- ".encode() + "\U0001F600".encode() * 20_000 + b"\n"),
    Case("import:memo-longer-than-a-cell", ("import", "--round", "round-1", "{root}/long/round-1_alice - Coding.csv"),
         "round-1_alice - Coding.csv › Coding › X4: memo of 40,000 characters, more than a spreadsheet cell holds"),
    Case("import:qda-round-traversal", ("import", "{root}/p.qdpx", "--round", "../../../../tmp/x"),
         "round '../../../../tmp/x': use 1-20 letters", "p.qdpx", b"PK"),
    Case("root:not-a-study", ("ingest", "--root", "{root}/plain"), "plain: not a study folder", "plain/readme.txt", b"hi"),
    Case("sheets:traversal-round", ("sheets", "--round", "../x", "--coders", "a"), "round '../x': use 1-20 letters"),
    Case("sheets:reserved-round", ("sheets", "--round", "CON", "--coders", "a"), "round 'CON': use 1-20 letters"),
    Case("report:unknown-parameter", ("report", "-p", '{"round": "x"}'), "--parameters: unknown parameter(s) 'round'"),
    Case("report:bad-json", ("report", "-p", "{"), "--parameters: not valid JSON"),
    # --- QDA programs and the Framework Method (issue 16) -------------------------------------
    Case("qda:qdc-not-xml", ("codebook", "import", "{f}"), "cb.qdc: not well-formed XML", "cb.qdc", b"<CodeBook"),
    Case("qda:qdc-entities", ("codebook", "import", "{f}"), "cb.qdc: has a DTD or entity declarations", "cb.qdc",
         b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aa">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'),
    Case("qda:qdc-into-raw", ("codebook", "import", "{root}/ok.qdc", "--out", "{root}/data/raw/codebook/x.yaml"),
         "data/raw/ holds the study's inputs and is never written"),
    Case("qda:qdpx-not-zip", ("import", "{f}", "--round", "round-2"), "p.qdpx: is not a REFI-QDA project (.qdpx)",
         "p.qdpx", b"not a zip"),
    Case("qda:qdpx-no-qde", ("import", "{root}/noqde.qdpx", "--round", "round-2"),
         "noqde.qdpx: expected one .qde file at the top of the archive, found none"),
    Case("qda:qdpx-unknown-code", ("import", "{root}/unknown_code.qdpx", "--round", "round-2"),
         "unknown_code.qdpx: code 'Made up' (1 coding(s)) matches no code"),
    Case("framework:formula", ("framework-matrix", "import", "{root}/fw_formula.xlsx"),
         "fw_formula.xlsx › Matrix › C4: a formula"),
    Case("framework:edited-quotes", ("framework-matrix", "import", "{root}/fw_quotes.xlsx"),
         "fw_quotes.xlsx › Matrix › B4: the quotes were edited"),
    Case("framework:unknown-case", ("framework-matrix", "import", "{root}/fw_case.xlsx"),
         "fw_case.xlsx › Matrix › A4: case 'Elsewhere' is not a case of this study"),
    Case("framework:no-matrix", ("framework-matrix", "import", "{root}/adj_text.xlsx"), "adj_text.xlsx: has no 'Matrix' sheet"),
]


def test_the_table_is_large_and_covers_every_stage():
    assert len(CASES) >= 80
    assert {c.id.split(":")[0] for c in CASES} == {"ingest", "codebook", "import", "consensus", "ratings", "study", "root",
                                                   "sheets", "report", "qda", "framework"}
    assert len({c.id for c in CASES}) == len(CASES)


def _docx_bomb(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("What helps?")
    d.save(path)
    entities = b'?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    rewrite_zip(path, path, lambda name, data: data.replace(b"?>", entities, 1) if name == "word/document.xml" else data)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Paths:
    """A project with every stage's outputs already written (so 'unchanged' means something)."""
    paths = study_through_consensus(tmp_path_factory.mktemp("bad") / "project")
    root = paths.root
    adj = consensus.export(paths, "round-1", out=root / "adj.xlsx")
    for name, cell, value in (("adj_decision", "G3", "perhaps"), ("adj_cell", "A3", "u0000000000"), ("adj_text", "D3", "edited")):
        wb = load_workbook(adj)
        wb[consensus.SHEET][cell] = value
        if name == "adj_cell":
            wb[consensus.SHEET]["G3"] = 1  # a decision on a cell the round does not dispute
        wb.save(root / f"{name}.xlsx")
    _docx_bomb(root / "bomb.docx")
    _hostile_workbooks(paths)
    _qda_files(paths)
    (root / "notes-dir" / "folder.txt").mkdir(parents=True)
    os.mkfifo(root / "pipe.txt")
    return paths


def _qda_files(paths: Paths) -> None:
    """A valid codebook exchange file, broken QDA projects and returned framework matrices with one fault each."""
    from compassion_study import codebook, files, framework, qda

    root = paths.root
    (root / "ok.qdc").write_bytes(qda.codebook_qdc(codebook.find(paths)))
    (root / "noqde.qdpx").write_bytes(files.stable_zip([("sources/a.txt", b"text")]))
    unit = ingest.read_units(paths.units).iloc[0]
    notes = f"- {unit.text}\n"
    qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Users><User guid="00000000-0000-4000-8000-000000000001" '
           'name="ann"/></Users><CodeBook><Codes><Code guid="00000000-0000-4000-8000-000000000002" name="Made up" '
           'isCodable="true"/></Codes></CodeBook><Sources><TextSource guid="00000000-0000-4000-8000-000000000003" '
           'plainTextPath="internal://a.txt"><PlainTextSelection guid="00000000-0000-4000-8000-000000000004" '
           f'startPosition="2" endPosition="{2 + len(unit.text)}"><Coding guid="00000000-0000-4000-8000-000000000005" '
           'creatingUser="00000000-0000-4000-8000-000000000001"><CodeRef targetGUID="00000000-0000-4000-8000-'
           '000000000002"/></Coding></PlainTextSelection></TextSource></Sources></Project>')
    (root / "unknown_code.qdpx").write_bytes(files.stable_zip([("project.qde", qde.encode()),
                                                               ("sources/a.txt", notes.encode())]))
    matrix = framework.export(paths, root / "fw.xlsx")
    for name, cell, value in (("fw_formula", "C4", "=1+1"), ("fw_quotes", "B4", "mine"), ("fw_case", "A4", "Elsewhere")):
        wb = load_workbook(matrix)
        wb[framework.SHEET][cell] = value
        wb.save(root / f"{name}.xlsx")


def _with_row1(src: Path, target: Path, cell: str, value: str) -> None:
    wb = load_workbook(src)
    wb["Coding"][cell] = value
    wb.save(target)


def _ods_row_bomb(target: Path) -> None:
    """A tiny .ods whose one non-empty row is repeated 400 million times."""
    import pandas as pd

    pd.DataFrame({"a": ["x"]}).to_excel(target, engine="odf", index=False, header=False)
    repeat = b'<table:table-row table:number-rows-repeated="400000000"'
    rewrite_zip(target, target,
                lambda name, data: data.replace(b"<table:table-row", repeat, 1) if name == "content.xml" else data)


def _ods_edit(target: Path, change) -> None:
    import pandas as pd

    pd.DataFrame({"a": ["x", "y"]}).to_excel(target, engine="odf", index=False, header=False)
    rewrite_zip(target, target, lambda name, data: change(data) if name == "content.xml" else data)


def _hostile_workbooks(paths: Paths) -> None:
    import csv

    alice = paths.coding_round("round-1") / "round-1_alice_ILLUSTRATIVE.xlsx"
    _with_row1(alice, paths.root / "round-x_alice.xlsx", "B1", "../../../../tmp/x")
    _with_row1(alice, paths.root / "round-1_nul.xlsx", "D1", "nul")
    _ods_row_bomb(paths.root / "round-1_alice_bomb.ods")
    _ods_edit(paths.root / "round-1_alice_negative.ods",
              lambda c: c.replace(b"<table:table-row>", b'<table:table-row table:number-rows-repeated="-1000">', 1))
    _ods_edit(paths.root / "round-1_alice_spaces.ods", lambda c: c.replace(b"<text:p>x", b'<text:p>x<text:s text:c="4000000000"/>', 1))
    grid = [[("" if c.value is None else c.value) for c in row] for row in load_workbook(alice)["Coding"].iter_rows()]
    memo = grid[1].index("memo")
    grid[3][memo] = "unsure \x07 here"
    with open(paths.root / "round-1_alice - Coding.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(grid)
    grid[3][memo] = "m" * 40_000
    (paths.root / "long").mkdir()
    with open(paths.root / "long" / "round-1_alice - Coding.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(grid)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_message_and_changes_nothing(project, case, capsys):
    from compassion_study.cli import main

    f = project.root / case.name if case.name else None
    if case.content is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
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
