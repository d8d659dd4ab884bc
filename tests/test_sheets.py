"""Coding workbooks: export, blind coding, every import route, real LibreOffice, bad input."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from compassion_study import codebook, files, ingest, sheets
from compassion_study.cli import main
from compassion_study.errors import InputError

from .conftest import DATA, rewrite_zip, tree_hashes

BAD = DATA / "bad_workbooks"


@pytest.fixture
def ready(project):
    """A project with units.csv built and no coding imported yet."""
    shutil.rmtree(project.coding, ignore_errors=True)
    ingest.ingest(paths=project)
    return project


def fill(path: Path, seed: int, skip_every: int = 0) -> dict[tuple[str, str], set[str]]:
    """Mark a workbook at random as a coder would; return {(coder, unit): codes} (empty set = no code applies).

    Every ``skip_every``-th unit is left unmarked (not coded yet).
    """
    rng = np.random.default_rng(seed)
    wb = load_workbook(path)
    truth = {}
    by_label = {label: cid for cid, label, *_ in wb["Codebook"].iter_rows(min_row=2, values_only=True)}
    for ws in (wb[n] for n in wb.sheetnames if n.startswith("Coding")):
        header = [by_label.get(sheets.header_name(c.value), sheets.header_name(c.value)) for c in ws[sheets.HEADER_ROW]]
        coder = sheets.row_one([str(c.value or "") for c in ws[1]], sheets.META_KEYS)["coder"][0]
        code_cols = [(h, i + 1) for i, h in enumerate(header) if h not in (*sheets.FIXED, sheets.NO_CODE, sheets.MEMO, sheets.CHECK)]
        marks = ["1", 1, "x", "✓", "yes", "TRUE"]
        for k, row in enumerate(range(sheets.HEADER_ROW + 1, ws.max_row + 1)):
            uid = ws.cell(row, 1).value
            if skip_every and k % skip_every == 0:
                continue
            chosen = {h for h, _ in code_cols if rng.random() < 0.15}
            for h, j in code_cols:
                if h in chosen:
                    ws.cell(row, j).value = marks[rng.integers(len(marks))]
                elif rng.random() < 0.2:
                    ws.cell(row, j).value = ["0", 0, "no", "false"][rng.integers(4)]
            if not chosen:
                ws.cell(row, header.index(sheets.NO_CODE) + 1).value = 1
            truth[(coder, uid)] = chosen
    wb.save(path)
    return truth


def as_truth(codings: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for (coder, uid), grp in codings.groupby(["coder", "unit_id"]):
        out[(coder, uid)] = set(grp.loc[grp["applied"] == 1, "code_id"])
    return out


def test_export_layout(ready):
    paths = sheets.export(ready, "round-1", ["alice", "bob"])
    assert [p.name for p in paths] == ["round-1_alice.xlsx", "round-1_bob.xlsx", "assignment.csv"]
    wb = load_workbook(paths[0])
    assert wb.sheetnames == ["Instructions", "Codebook", "Coding", "Assignment"]
    assert wb["Assignment"].sheet_state == "hidden"
    ws = wb["Coding"]
    book = codebook.find(ready)
    assert [c.value for c in ws[1]][:2] == [
        "round: round-1", f"coder: alice · codebook: {book.full_version} · units: 40 · status: coding"]
    header = [c.value for c in ws[2]]
    assert header == [*sheets.FIXED, *(c["label"] for c in book.codes), sheets.NO_CODE, sheets.MEMO, sheets.CHECK]
    assert sheets.FIXED[:2] == ("unit_id", "comment") and ws.freeze_panes == "C3"  # id and comment stay in view
    assert ws.protection.sheet
    assert ws["E3"].protection.locked and not ws["F3"].protection.locked and not ws[f"{sheets.column_letter(len(header) - 1)}3"].protection.locked
    assert ws["B3"].alignment.wrap_text
    dv = ws.data_validations.dataValidation[0]
    assert dv.formula1 == '"1,x,✓,✔,y,yes,true,0,n,no,false"' and "F3" in str(dv.sqref)
    assert ws.max_row == 2 + 40
    instructions = " ".join(str(c.value) for row in wb["Instructions"] for c in row if c.value)
    assert "round-1" in instructions and "alice" in instructions and book.full_version in instructions
    assert "no code applies" in instructions


def test_round_trip_reproduces_every_mark(ready):
    written = sheets.export(ready, "round-1", ["alice", "bob"])
    truth = {}
    for i, p in enumerate(written[:2]):
        truth |= fill(p, seed=i, skip_every=7)
    codings = sheets.import_codings(written[:2], round_="round-1", paths=ready)
    assert as_truth(codings) == truth
    # units left unmarked are missing (no rows), never zeros
    assert codings.groupby("coder")["unit_id"].nunique().to_dict() == {"alice": 34, "bob": 34}
    assert list(codings.columns) == ["round", "coder", "unit_id", "code_id", "applied"]
    assert len(codings) == 68 * 17
    rounds = sheets.read_rounds(ready)
    assert rounds["codebook_version"].unique().tolist() == [codebook.find(ready).full_version]
    assert rounds["sha256"].tolist() == [files.sha256(p) for p in written[:2]]


def test_import_is_idempotent(ready):
    written = sheets.export(ready, "round-1", ["alice"])
    fill(written[0], seed=1)
    sheets.import_codings(written[:1], round_="round-1", paths=ready)
    first = tree_hashes(ready.processed)
    sheets.import_codings(written[:1], round_="round-1", paths=ready)
    assert tree_hashes(ready.processed) == first


def _csv_like_google(xlsx: Path, out: Path, sheet: str, **fmt) -> Path:
    """Save one tab as CSV the way a spreadsheet download does (values, header rows included)."""
    ws = load_workbook(xlsx)[sheet]
    encoding = fmt.pop("encoding", "utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, **fmt)
        for row in ws.iter_rows(values_only=True):
            values = ["" if v is None else v for v in row]
            if encoding == "cp1252":  # Excel's "CSV" has no ✓: a coder would have typed x
                values = [v.replace("✓", "x") if isinstance(v, str) else v for v in values]
            writer.writerow(values)
    return out


def test_shared_csv_and_ods_routes_give_the_same_codings(ready, tmp_path):
    per = sheets.export(ready, "round-1", ["alice", "bob"], out=tmp_path / "per")
    shared = sheets.export(ready, "round-1", ["alice", "bob"], shared=True, out=tmp_path / "shared")
    assert [p.name for p in shared] == ["round-1_shared.xlsx", "assignment.csv"]
    assert load_workbook(shared[0]).sheetnames == ["Instructions", "Codebook", "Coding alice", "Coding bob", "Assignment"]
    truth = fill(per[0], 3) | fill(per[1], 4)
    # copy the same marks into the shared workbook
    wb = load_workbook(shared[0])
    for coder, src in (("alice", per[0]), ("bob", per[1])):
        ws_src, ws_dst = load_workbook(src)["Coding"], wb[f"Coding {coder}"]
        for row in ws_src.iter_rows(min_row=3):
            for c in row[5:]:
                ws_dst[c.coordinate] = c.value
    wb.save(shared[0])

    def codings_from(inputs):
        sheets.import_codings(inputs, round_="round-1", paths=ready)
        return ready.codings.read_bytes()

    reference = codings_from(per[:2])
    assert as_truth(sheets.read_codings(ready)) == truth
    assert codings_from(shared[:1]) == reference
    csvs = [_csv_like_google(per[0], tmp_path / "round-1_alice - Coding.csv", "Coding"),
            _csv_like_google(shared[0], tmp_path / "round-1_shared - Coding bob.csv", "Coding bob")]
    assert codings_from(csvs) == reference
    # semicolon-separated with a BOM, and Windows-1252: read correctly
    odd = [_csv_like_google(per[0], tmp_path / "x" / "round-1_alice.csv", "Coding", delimiter=";", encoding="utf-8-sig"),
           _csv_like_google(per[1], tmp_path / "x" / "round-1_bob - Coding.csv", "Coding", encoding="cp1252")]
    assert b"\x96" in odd[1].read_bytes()  # the en dash of the notes, in Windows-1252
    assert codings_from(odd) == reference
    odss = []
    for p in per[:2]:
        frames = pd.read_excel(p, sheet_name=None, header=None)
        ods = tmp_path / "ods" / p.with_suffix(".ods").name
        ods.parent.mkdir(exist_ok=True)
        with pd.ExcelWriter(ods, engine="odf") as xw:
            for name, df in frames.items():
                df.to_excel(xw, sheet_name=name, header=False, index=False)
        odss.append(ods)
    assert codings_from(odss) == reference


def test_sample_is_stratified_reproducible_and_splits_the_rest(ready):
    units = ingest.read_units(ready.units)
    a = sheets.assign(units, ["alice", "bob", "carol"], sample=0.2, seed=11)
    b = sheets.assign(units, ["alice", "bob", "carol"], sample=0.2, seed=11)
    pd.testing.assert_frame_equal(a, b)
    double = a.loc[a["double_coded"], "unit_id"].unique()
    per_prompt = units[units["unit_id"].isin(double)].groupby("prompt").size()
    expected = units.groupby("prompt").size().map(lambda n: max(1, round(0.2 * n)))
    assert per_prompt.sort_index().tolist() == expected.sort_index().tolist()
    assert (a[a["double_coded"]].groupby("unit_id").size() == 3).all()
    single = a[~a["double_coded"]]
    assert single["unit_id"].is_unique and set(single["unit_id"]) | set(double) == set(units["unit_id"])
    counts = single["coder"].value_counts()
    assert counts.max() - counts.min() <= 1
    assert sheets.assign(units, ["alice", "bob"], sample=0.2, seed=12)["unit_id"].tolist() != a["unit_id"].tolist()


def test_formula_injection_is_neutralised_in_xlsx_and_csv(tmp_path):
    from compassion_study.paths import Paths

    root = tmp_path / "p"
    (root / "data" / "raw" / "notes").mkdir(parents=True)
    shutil.copytree(DATA.parent.parent / "data" / "raw" / "codebook", root / "data" / "raw" / "codebook")
    hostile = ["=1+1 is what the rota sheet showed.", '=HYPERLINK("http://example.invalid","click")', "+44 113 000 is the number.",
               "-2 staff off sick again.", "@SUM(A1) was in the template."]
    (root / "data" / "raw" / "notes" / "n.txt").write_text(
        "Day\nWhat helps?\n" + "".join(f"· {h} in the notes\n" for h in ["plain"]) + "".join(f"·\t{h}\n" for h in hostile),
        encoding="utf-8")
    paths = Paths.from_root(root)
    units = ingest.ingest(paths=paths)
    assert set(hostile) <= set(units["text"])
    raw_csv = paths.units.read_text(encoding="utf-8")
    assert "\n=1+1" not in raw_csv and "'=1+1" in raw_csv  # neutralised on disk ...
    assert set(hostile) <= set(ingest.read_units(paths.units)["text"])  # ... and restored on reading
    wb = load_workbook(sheets.write_workbook(tmp_path / "w.xlsx", "round-1", {"alice": units},
                                             codebook.load(next(paths.codebooks.glob("*.yaml")))))
    cells = {c.value: c for row in wb["Coding"].iter_rows() for c in row if isinstance(c.value, str)}
    for h in hostile:
        assert cells[h].data_type == "s" and cells[h].quotePrefix


# Every single bad workbook is in tests/test_bad_input.py's one table; here, files with several problems.
BAD_CASES = [
    ("round-1_alice_unknown-code.xlsx", ["Coding › F2: unknown column 'atending'", "Coding › row 2: missing column(s) attending"]),
    ("round-1_alice_many-problems.xlsx", ["Coding › H12: mark 'maybe'", "Coding › A7: unknown unit", "Coding › E9: comment text",
                                          "Coding: 1 assigned unit row(s) missing: u8422fcfdeb"]),
]


@pytest.mark.parametrize("name,messages", BAD_CASES, ids=[c[0][14:] for c in BAD_CASES])
def test_every_problem_in_a_workbook_is_listed_and_nothing_written(ready, capsys, name, messages):
    good = sheets.export(ready, "round-1", ["bob"], out=ready.root / "good")[0]
    fill(good, 5)
    sheets.import_codings([good], round_="round-1", paths=ready)
    before = tree_hashes(ready.processed)
    status = main(["--root", str(ready.root), "import", "--round", "round-1", str(BAD / name)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    for message in messages:
        assert f"{name} › {message}" in err, err
    assert f"{len(messages)} problem(s)" in err  # every problem, and nothing else
    assert tree_hashes(ready.processed) == before


def test_problems_in_several_files_are_reported_together(ready):
    with pytest.raises(InputError) as info:
        sheets.import_codings([BAD / "round-1_alice_bad-mark.xlsx", BAD / "round-1_alice_empty.xlsx"],
                              round_="round-1", paths=ready)
    text = info.value.message
    assert "import rejected: 2 problem(s) in 2 file(s); nothing was written" in text
    assert "bad-mark.xlsx › Coding › H12" in text and "empty.xlsx: file is empty" in text


def test_oversized_file_is_refused(ready, monkeypatch, capsys):
    monkeypatch.setattr(sheets, "MAX_BYTES", 1000)
    monkeypatch.setattr(sheets, "MAX_TABS", 0)  # no allowance for the study's units: the floor is the limit
    status = main(["--root", str(ready.root), "import", "--round", "round-1", str(BAD / "round-1_alice_bad-mark.xlsx")])
    assert status == 1 and "over the 1,000-byte limit" in capsys.readouterr().err


def test_size_limit_grows_with_the_units_between_floor_and_ceiling(monkeypatch):
    def units(n, words=40):
        return pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "text": ["word " * words] * n,
                             "prompt": "What helps?", "section": "", "theme": "Theme 1"})

    assert sheets.size_limits(None) == sheets.size_limits(units(10)) == (sheets.MAX_BYTES, sheets.MAX_UNZIPPED)
    big, unzipped = sheets.size_limits(units(300_000))
    # a 300,000-unit workbook is about 50 MB (CSV: 111 MB), 360 MB unzipped; four coders' tabs fit
    assert 4 * 111e6 < big <= sheets.CEILING_BYTES and 4 * 360e6 < unzipped <= sheets.CEILING_UNZIPPED
    monkeypatch.setattr(sheets, "CEILING_BYTES", big - 1)
    monkeypatch.setattr(sheets, "CEILING_UNZIPPED", unzipped - 1)
    assert sheets.size_limits(units(300_000)) == (big - 1, unzipped - 1)


def test_same_coder_twice_in_a_round_is_an_error(ready, tmp_path):
    a = sheets.export(ready, "round-1", ["alice"], out=tmp_path / "a")[0]
    fill(a, 1)
    b = shutil.copy(a, tmp_path / "round-1_alice - Coding.xlsx")
    with pytest.raises(InputError, match="coder 'alice' in round 'round-1' is also in"):
        sheets.import_codings([a, b], round_="round-1", paths=ready)


def test_illustrative_round_one_is_labelled_and_imports(project):
    ingest.ingest(paths=project)
    files_ = sorted(project.coding_round("round-1").iterdir())
    assert [f.name for f in files_] == ["round-1_alice_ILLUSTRATIVE.xlsx", "round-1_bob_ILLUSTRATIVE.xlsx"]
    for f in files_:
        wb = load_workbook(f)
        assert "ILLUSTRATIVE" in str(wb["Instructions"]["B5"].value)
        assert wb["Coding"]["J1"].value == "ILLUSTRATIVE"
    codings = sheets.import_codings(paths=project)
    assert codings.groupby("coder")["unit_id"].nunique().to_dict() == {"alice": 40, "bob": 40}
    assert sheets.read_rounds(project)["illustrative"].all()


# --------------------------------------------------------------------------- real LibreOffice


def _soffice(soffice: str, tmp: Path, *args: str) -> None:
    profile = (tmp / "lo-profile").as_uri()
    done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", *args],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def _hostile_project(tmp_path: Path):
    from compassion_study.paths import Paths

    root = tmp_path / "p"
    (root / "data" / "raw" / "notes").mkdir(parents=True)
    shutil.copytree(DATA.parent.parent / "data" / "raw" / "codebook", root / "data" / "raw" / "codebook")
    shutil.copy(DATA.parent.parent / "data" / "raw" / "notes" / "2020-07-01_west_compassionate-leadership_breakout-notes.txt",
                root / "data" / "raw" / "notes")
    (root / "data" / "raw" / "notes" / "hostile.txt").write_text(
        'Day\nWhat helps?\n· =1+1\n· =HYPERLINK("http://example.invalid","click me")\n· -5 on the rota today\n',
        encoding="utf-8")
    paths = Paths.from_root(root)
    ingest.ingest(paths=paths)
    return paths


@pytest.mark.libreoffice
def test_libreoffice_opens_export_and_keeps_text_literal(soffice, tmp_path):
    paths = _hostile_project(tmp_path)
    xlsx = sheets.export(paths, "round-1", ["alice"], out=tmp_path / "exp")[0]
    _soffice(soffice, tmp_path, "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
             "--outdir", str(tmp_path / "csv"), str(xlsx))
    out = tmp_path / "csv" / "round-1_alice-Coding.csv"
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[1][:5] == list(sheets.FIXED)
    texts = {r[sheets.FIXED.index("comment")] for r in rows[2:]}
    units = ingest.read_units(paths.units)
    assert texts == set(units["text"])
    assert {"=1+1", '=HYPERLINK("http://example.invalid","click me")', "-5 on the rota today"} <= texts
    assert "2" not in texts and "click me" not in texts
    # the CSV LibreOffice wrote for one tab imports as a returned sheet (nothing marked = nothing coded)
    sheets.import_codings([out], round_="round-1", paths=paths)
    assert sheets.read_codings(paths).empty


@pytest.mark.libreoffice
def test_workbook_resaved_by_libreoffice_imports_identically(soffice, tmp_path):
    paths = _hostile_project(tmp_path)
    xlsx = sheets.export(paths, "round-1", ["alice"], out=tmp_path / "exp")[0]
    fill(xlsx, 9, skip_every=5)
    sheets.import_codings([xlsx], round_="round-1", paths=paths)
    reference = paths.codings.read_bytes()
    _soffice(soffice, tmp_path, "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"), str(xlsx))
    _soffice(soffice, tmp_path, "--convert-to", "ods", "--outdir", str(tmp_path / "lo-ods"), str(xlsx))
    for resaved in (tmp_path / "lo" / xlsx.name, tmp_path / "lo-ods" / xlsx.with_suffix(".ods").name):
        sheets.import_codings([resaved], round_="round-1", paths=paths)
        assert paths.codings.read_bytes() == reference, resaved.name


def test_codebook_sheet_rows_are_tall_enough_for_their_wrapped_text(project, tmp_path):
    """LibreOffice and Excel do not grow rows for wrapped text in a file they did not lay out (seen in
    LibreOffice's PDF export: definitions printed over each other), so every row carries its height."""
    from openpyxl import load_workbook

    from compassion_study import ingest

    ingest.ingest(paths=project)
    book = sheets.export(project, "round-1", ["ann"], out=tmp_path)[0]
    ws = load_workbook(book)["Codebook"]
    rows = list(ws.iter_rows(min_row=2))
    heights = [ws.row_dimensions[r[0].row].height for r in rows]
    header = [c.value for c in ws[1]]
    width = ws.column_dimensions[chr(ord("A") + header.index("definition"))].width
    for r, h in zip(rows, heights):
        definition = r[header.index("definition")].value
        # a 15-point line holds about 1.1 characters per unit of column width
        assert h >= 15 * -(-len(definition) // int(1.1 * width)) >= 30, (r[0].value, h)
    assert len(set(heights)) > 1


def _varied_tab(ready, tmp_path, problems: bool) -> sheets.Tab:
    """alice's exported Coding tab with rows of every kind the import tells apart."""
    from compassion_study.spreadsheets import Formula

    path = sheets.export(ready, "round-1", ["alice"], out=tmp_path / "varied")[0]
    tab = sheets.read_tabs(path)[0]
    width = len(tab.grid[sheets.HEADER_ROW - 1])
    grid = [list(row) + [None] * (width - len(row)) for row in tab.grid]
    first, n_codes = len(sheets.FIXED), width - len(sheets.FIXED) - 3
    none, memo, check = first + n_codes, first + n_codes + 1, first + n_codes + 2
    edits = {2: {first: "1"}, 3: {first + 1: "x", memo: "unsure"}, 4: {none: 1.0},
             5: {first + j: 0.0 for j in range(n_codes)}, 6: {first: "0"}, 7: {memo: "only a memo"},
             8: {first + 2: True}, 9: {first + 3: "1.0"}, 10: {first: " X\u200b"}, 11: {first: "no", none: "yes"},
             12: {first + 1: "✓", memo: "  padded  "}}
    if problems:
        edits |= {13: {first: "maybe"}, 14: {first: Formula("=1")}, 15: {memo: Formula("=A1")},
                  16: {memo: "a\x07b"}, 17: {none: "1", first: "1"}, 18: {1: "edited"},
                  19: {check: grid[20][0]}, 21: {0: grid[2][0], first: "1"}, 22: {0: "zzz"},
                  23: {0: "", first: "1"}, 24: {first: float("nan")}, 25: {first: Formula("=1"), none: "1"}}
        shade = tab.colours[26]
        shade.extend([None] * (width - len(shade)))
        shade[first + 4] = sheets.stripe(26 - sheets.HEADER_ROW + 1)  # the next row's colour
        grid[27].append("stray")
    for r, cells in edits.items():
        for j, value in cells.items():
            grid[r][j] = value
    grid.append([])
    tab.grid = grid
    tab.colours.extend([["FFFFFF"] * width] * 3)  # fills of empty rows a reader dropped from the grid
    return tab


@pytest.mark.parametrize("problems", [False, True])
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_rows_checked_column_by_column_read_as_row_by_row(ready, tmp_path, monkeypatch, problems, kind):
    from compassion_study.spreadsheets import as_text

    units = ingest.read_units(ready.units)
    books = {b.full_version: b for b in map(codebook.load, codebook.available(ready))}
    tab = _varied_tab(ready, tmp_path, problems)
    if kind == "csv":  # as a CSV download: text only, a rectangle, no fills
        width = max(map(len, tab.grid))
        tab = sheets.Tab(tab.file, tab.sheet, np.array([[as_text(v) for v in row] + [""] * (width - len(row))
                                                         for row in tab.grid], dtype=object), plain=True)
    fast, slow = sheets.Result(), sheets.Result()
    sheets.parse_tab(tab, units, books, "round-1", fast)
    monkeypatch.setattr(sheets, "_clean_rows", lambda *args: None)
    sheets.parse_tab(tab, units, books, "round-1", slow)
    assert fast.problems == slow.problems and fast.warnings == slow.warnings
    assert fast.memos == slow.memos and fast.rounds == slow.rounds
    assert sheets._long(fast.codings).equals(sheets._long(slow.codings))
    assert bool(fast.problems) == problems and (problems or len(fast.memos) == 3 and fast.warnings)


def test_codings_written_from_marks_are_the_general_writers_bytes():
    def marks(ids, codes=("a", "b", "c")):
        rng = np.random.default_rng(len(ids))
        return sheets.Marks("round-1", "alice", np.array(ids, dtype=object), list(codes),
                            rng.integers(0, 2, (len(ids), len(codes))).astype(np.int8))

    tabs = [marks(["u1", "=u2", "'u3", "+4", "u5"]), marks(["u1", "u9"], ("-x", "@y"))]
    tabs[1].coder = "bob"
    assert sheets._codings_csv(tabs) == files.csv_bytes(sheets._long(tabs))
    assert sheets._codings_csv([marks(["u1", "a,b"])]) is None  # quoted: the general writer
    assert sheets._codings_csv([marks([])]) is None


def test_xlsx_text_escapes_are_undone(ready):
    """Excel stores a carriage return in a cell as _x000D_ and a literal "_x0041_" as _x005F_x0041_
    (ECMA-376 Part 1, 22.9.2.19): the reader gives back what was typed, in shared and inline strings; an
    escaped half of a surrogate pair (no character) stays as written."""
    from compassion_study import spreadsheets

    exported = sheets.export(ready, "round-2", ["alice"])[0]
    escaped = ready.root / "escaped.xlsx"
    rewrite_zip(exported, escaped, lambda name, data: data.replace(
        b"<t>round: round-2</t>", b"<t>round: round-2_x000D__x005F_x0041__xD800_</t>")
        if name == "xl/sharedStrings.xml" else data)
    grid = spreadsheets.xlsx_sheets(escaped, escaped.name, lambda name: name == "Coding")["Coding"]
    assert grid[0][0] == "round: round-2\r_x0041__xD800_"
    wb = load_workbook(exported)
    wb["Coding"]["A1"] = "round: round-2_x000D_"  # openpyxl writes it as an inline string, unescaped
    wb.save(escaped)
    assert spreadsheets.xlsx_sheets(escaped, escaped.name, lambda name: name == "Coding")["Coding"][0][0] \
        == "round: round-2\r"


def _lines_word_by_word(text: str, width: float, size: float) -> int:
    """sheets.text_lines as first written: a greedy fill, word by word (the reference for its faster form)."""
    per_line = max(1.0, width * 11 / size * 1.08)
    lines = 0
    for paragraph in text.split("\n"):
        used, n = 0.0, 1
        for word in paragraph.split():
            need = len(word) + (1 if used else 0)
            if used and used + need > per_line:
                n, used = n + 1, len(word)
            else:
                used += need
            while used > per_line:
                n, used = n + 1, used - per_line
        lines += n
    return max(lines, 1)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdefgh   \n\t\u00a0")), max_size=150),
       st.sampled_from([0.5, 1, 2, 3.5, 5.5, 9, 12, 14, 16, 20, 36, 55]), st.sampled_from([9, 11, 14]))
def test_row_heights_fill_lines_as_word_by_word(text, width, size):
    """A row's height counts wrapped lines with one search per line; the count is the word-by-word fill's."""
    assert sheets.text_lines.__wrapped__(text, width, size) == _lines_word_by_word(text, width, size)


def test_workbooks_written_in_bulk_are_the_cell_by_cell_bytes(ready, tmp_path, monkeypatch):
    """The export puts most cells of the unit rows into the sheet's XML in bulk; the
    workbook is byte for byte the one XlsxWriter writes cell by cell: one coder and a shared workbook,
    ILLUSTRATIVE or not, a sampled round (coders with different rows), 2 and 3 units (the least the
    Assignment sheet's bulk needs), 15 and 16 (the Coding sheet's: one row of each of the 14 stripes, the first and
    the last), text that needs the quote prefix (first in the first rows or far down), text XlsxWriter measures
    in UTF-16 units, rows that cannot be a stripe's pattern, and a codebook of 40 codes (a two-letter check
    column)."""
    import copy

    import yaml

    from compassion_study import codebook as cbmod

    units = ingest.read_units(ready.units)
    odd = units.copy()
    odd.loc[odd.index[::3], "text"] = "=" + odd["text"][::3]
    late = units.copy()  # a format first used far down the sheet, and text XlsxWriter measures in UTF-16 units
    late.loc[late.index[27], "section"] = "-" + late["section"].iloc[27]
    late.loc[late.index[32], "theme"] = "@" + late["theme"].iloc[32]
    late.loc[late.index[5], "text"] = "😀" * 9_000  # not plain: stripe 5's pattern is row 19
    late.loc[late.index[9], "text"] = RICH_LOOKING  # written as runs, so in full
    # shared strings XlsxWriter writes otherwise than plain: whitespace at an end, _xHHHH_, markup characters
    late.loc[late.index[10], "theme"] = late["theme"].iloc[10] + " "
    late.loc[late.index[11], "text"] = "a _x0041_ and <b> & c"
    late.loc[late.index[13], "section"] = "\u00a0" + late["section"].iloc[13]
    for k in (15, 16, 17, 18, 19, 20):  # non-characters XlsxWriter escapes, wherever the sample check looks
        late.loc[late.index[k], "text"] = late["text"].iloc[k] + "\uffff\ufffe"
    book = cbmod.load(cbmod.available(ready)[0])
    big = yaml.safe_load(book.path.read_text(encoding="utf-8"))
    base = [dict(c) for c in big["codes"]]
    big["codes"] = [{**copy.deepcopy(base[i % len(base)]), "id": f"c{i:02d}", "label": f"Code {i}"}
                    for i in range(40)]
    big_path = tmp_path / "big.yaml"
    big_path.write_text(yaml.safe_dump(big, allow_unicode=True), encoding="utf-8")
    wide = cbmod.load(big_path)
    plan = sheets.assign(units, ["alice", "bob"], sample=0.5, seed=3)
    sampled = {c: units[units["unit_id"].isin(plan.loc[plan["coder"] == c, "unit_id"])] for c in ("alice", "bob")}
    cases = [({"alice": units}, book, False), ({"alice": units, "bob": units}, book, True),
             (sampled, book, False), ({"alice": units.iloc[:2]}, book, False), ({"alice": units.iloc[:3]}, book, True),
             ({"alice": units.iloc[:15]}, book, False), ({"alice": units.iloc[:16]}, book, False),
             ({"alice": odd}, book, False), ({"alice": units, "bob": odd}, wide, True), ({"alice": late}, book, False)]
    spliced, coding_sheets = [], []
    real, real_rows = sheets._cells_in_bulk, sheets._unit_rows
    monkeypatch.setattr(sheets, "_cells_in_bulk", lambda *a: spliced.append(real(*a)) or spliced[-1])
    monkeypatch.setattr(sheets, "_unit_rows", lambda *a, **kw: coding_sheets.append(len(kw["heights"]))
                        or real_rows(*a, **kw))
    for assignments, codebook_, illustrative in cases:
        bulk = sheets.workbook_bytes("round-2", assignments, codebook_, illustrative)
        assert bulk == sheets.workbook_bytes("round-2", assignments, codebook_, illustrative, bulk=False)
    assert len(spliced) == 9  # every case but the 2-unit one went the bulk way (none fell back)
    n = len(units)
    # the Coding sheets of 16 units and more did too (a 15-unit sheet has too few rows to be worth it)
    assert coding_sheets == [n, n, n, len(sampled["alice"]), len(sampled["bob"]), 16, n, n, n, n]


RICH_LOOKING = "<r><t>A</t></r></si><si><t>B</t></r>"  # XlsxWriter copies such a string unescaped


@pytest.mark.parametrize("bulk,first", [(True, 3), (False, 3), (True, 0)])
def test_text_that_looks_like_rich_text_xml_stays_text(ready, bulk, first):
    """XlsxWriter writes a string that starts with <r> and ends with </r> into the shared strings as XML,
    unescaped: the comment above made two shared strings of one and showed the next comment's text in
    the next cell.  Every cell of the Coding and Assignment sheets must read back as the text written."""
    from compassion_study import spreadsheets

    units = ingest.read_units(ready.units).iloc[:30].copy()  # enough rows for the bulk way (16 and more)
    units.loc[units.index[first], "text"] = RICH_LOOKING  # far down, or in the rows bulk writing copies
    units.loc[units.index[first + 3], "theme"] = "<r>x</r>"
    units.loc[units.index[first], "unit_id"] = "<r>u7</r>"
    book = codebook.load(codebook.available(ready)[0])
    data = sheets.workbook_bytes("round-2", {"alice": units}, book, bulk=bulk)
    if bulk:
        assert data == sheets.workbook_bytes("round-2", {"alice": units}, book, bulk=False)
    path = ready.root / "rich.xlsx"
    path.write_bytes(data)
    grids = spreadsheets.xlsx_sheets(path, path.name)
    rows = grids["Coding"][sheets.HEADER_ROW:]
    assert [row[:5] for row in rows] == units[["unit_id", "text", "prompt", "section", "theme"]].values.tolist()
    assert [row[-1] for row in rows] == units["unit_id"].tolist()
    assert [row[1] for row in grids["Assignment"][1:]] == units["unit_id"].tolist()


@pytest.mark.parametrize("text", ["<r>\r</r>", "<r>_x0041_</r>", "<r>a\uffff</r>"])
def test_rich_looking_text_that_xlsxwriter_would_escape_twice_is_refused_by_cell(ready, text):
    """XlsxWriter escapes control characters and _xHHHH_ runs twice in rich text: such a comment would
    read back changed, so the export names its cell instead of writing it."""
    units = ingest.read_units(ready.units).iloc[:5].copy()
    units.loc[units.index[2], "text"] = text
    book = codebook.load(codebook.available(ready)[0])
    for bulk in (True, False):
        with pytest.raises(InputError, match=r"Coding › B5: text that begins with <r>"):
            sheets.workbook_bytes("round-2", {"alice": units}, book, bulk=bulk)


def test_empty_cells_left_out_before_parsing_change_nothing(tmp_path, monkeypatch):
    """The .xlsx reader drops empty cells (<c r="F5" s="12"/>) from the XML before expat sees it, chunk by
    chunk; nothing else changes, whatever the chunk size: not a tag cut by a chunk's end, not text in a
    CDATA section or a comment that looks like an empty cell."""
    import functools
    import io
    import re

    from compassion_study import spreadsheets

    rows = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" s="3"/><c r="C1" s="2"/></row>'
            b'<row r="2"><c r="A2" s="1"/><c r="B2"><v>1</v></c><c r="C2" s="1"/></row>')
    odd = (b'<row r="3"><c r="A3"/><!-- <c r="C3"/> --><c r="B3" t="inlineStr"><is><t><![CDATA[x<c r="D9" s="1"/>y]]>'
           b'</t></is></c><c r="C3" s="2"/></row>')
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    tail = b"</sheetData></worksheet>"
    plain = b"".join(spreadsheets._without_blank_cells(io.BytesIO(head + rows + tail)))
    assert b"/>" not in plain and plain.count(b"<c ") == 2  # every empty cell left out, the two others kept
    real = spreadsheets._without_blank_cells
    for xml, expected in ((head + rows + tail, [["a"], [None, 1.0]]),
                          (head + rows + odd + tail, [["a"], [None, 1.0], [None, 'x<c r="D9" s="1"/>y']])):
        book = tmp_path / "sheet.xlsx"
        wb = xlsxwriter.Workbook(book)
        wb.add_worksheet("Coding").write_string(0, 0, "a")
        wb.close()
        rewrite_zip(book, tmp_path / "x.xlsx", lambda name, data: xml if name == "xl/worksheets/sheet1.xml" else data)
        for size in (1, 2, 3, 7, 16, 64, 1 << 20):
            monkeypatch.setattr(spreadsheets, "_without_blank_cells", functools.partial(real, size=size))
            assert spreadsheets.xlsx_sheets(tmp_path / "x.xlsx", "x.xlsx")["Coding"] == expected, size
        monkeypatch.setattr(spreadsheets, "_BLANK_CELL", re.compile(rb"(?!)"))  # nothing left out
        assert spreadsheets.xlsx_sheets(tmp_path / "x.xlsx", "x.xlsx")["Coding"] == expected
        monkeypatch.undo()
