"""Coders' workbooks (issue 13): no coder action loses or misplaces a mark without a message."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compassion_study import files, ingest, sheets
from compassion_study.cli import main
from compassion_study.errors import InputError

from .conftest import REPO
from .test_sheets import fill


@pytest.fixture
def ready(project):
    """A project with units.csv built and no coding imported yet."""
    shutil.rmtree(project.coding, ignore_errors=True)
    ingest.ingest(paths=project)
    return project


def _returned(paths, round_: str, coders: list[str], **kw) -> list[Path]:
    """Export a round, fill each workbook at random and put it in data/raw/coding/<round>/."""
    written = sheets.export(paths, round_, coders, **kw)
    folder = paths.coding / round_
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, p in enumerate(w for w in written if w.suffix == ".xlsx"):
        fill(p, seed=i)
        out.append(Path(shutil.copy(p, folder / p.name)))
    return out


def test_importing_one_file_keeps_the_other_coders(ready, capsys):
    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    sheets.import_codings(paths=ready)
    before = sheets.read_codings(ready)
    sheets.import_codings([bob], paths=ready)  # bob sent a corrected file: only bob is replaced
    after = sheets.read_codings(ready)
    assert set(after["coder"]) == {"alice", "bob"}
    pd.testing.assert_frame_equal(before, after)
    assert list(sheets.read_rounds(ready)["coder"]) == ["alice", "bob"]
    # the whole folder is the truth: a file taken out of it is gone after a plain import, and the import says so
    from compassion_study.cli import main

    alice.unlink()
    capsys.readouterr()
    assert main(["--root", str(ready.root), "import"]) == 0
    assert set(sheets.read_codings(ready)["coder"]) == {"bob"}
    assert "round-2/alice: imported before, but no file of theirs was read now" in capsys.readouterr().err


def test_one_file_import_keeps_the_kept_coders_files_in_the_manifest(ready):
    """Importing bob's file alone listed only bob's file as the import's input, though codings.csv still holds
    alice's marks; now the manifest lists every file behind codings.csv, alice's as it was imported."""
    from compassion_study import provenance

    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    sheets.import_codings(paths=ready)
    inputs = lambda: {e["path"]: e["sha256"] for e in provenance.load(ready)["stages"]["import"]["inputs"]}  # noqa: E731
    first = inputs()
    names = [ready.relative(alice), ready.relative(bob)]
    assert set(names) <= set(first)
    _edit(alice, {"J9": "x"})  # alice's file changes after it was imported (not imported again)
    _edit(bob, {"J9": "x"})
    sheets.import_codings([bob], paths=ready)
    now = inputs()
    assert set(names) <= set(now)
    assert now[names[0]] == first[names[0]] == sheets.read_rounds(ready).set_index("coder").loc["alice", "sha256"]
    assert now[names[1]] == files.sha256(bob) != first[names[1]]


def test_one_file_import_keeps_the_others_rows_byte_for_byte(ready, monkeypatch):
    """Importing one coder's file writes everyone else's rows from the binary copy, as marks: codings.csv,
    its binary copy and the table returned are those of the general merge, which parses and rewrites the
    whole table.  A codings.csv whose rows are not one unit after another (a line taken out by hand) is
    merged the general way."""
    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    _returned(ready, "10", ["007", "alice"])
    sheets.import_codings(paths=ready)
    outputs = [ready.codings, ready.codings_copy, ready.rounds, ready.processed / "memos.csv"]
    start = {p: p.read_bytes() for p in outputs}

    def one_file(general: bool) -> tuple[dict, pd.DataFrame]:
        for p, data in start.items():
            p.write_bytes(data)
        with monkeypatch.context() as m:
            if general:
                m.setattr(sheets, "_kept_marks", lambda *a: None)
            table = sheets.import_codings([bob], paths=ready)
        return {p: p.read_bytes() for p in outputs}, table

    fast, fast_table = one_file(general=False)
    slow, slow_table = one_file(general=True)
    assert fast == slow
    pd.testing.assert_frame_equal(fast_table, slow_table)
    assert len(sheets._kept_marks(ready, {("round-2", "bob")})) == 3  # round-2 alice, 10/007 and 10/alice

    lines = start[ready.codings].decode().splitlines(keepends=True)
    ready.codings.write_text("".join(lines[:5] + lines[6:]))  # one row of the first unit taken out
    assert sheets._kept_marks(ready, {("round-2", "bob")}) is None
    ready.codings.write_text("".join(lines[:1] + [line.replace(",1\n", ",1.0\n") for line in lines[1:]]))
    assert sheets._kept_marks(ready, {("round-2", "bob")}) is None  # marks read as decimals: the general way
    assert sheets._table_columns(sheets.read_codings(ready)) is None  # and no binary copy holding them as 0/1

    # a name NumPy's text arrays cannot hold (a trailing NUL) is kept apart, in the CSV and the copy alike
    ready.codings.write_text("".join(lines[:1] + [line.replace("round-2,alice,", "round-2,alice\x00,", 1)
                                                  for line in lines[1:]]))
    ready.codings_copy.unlink()
    for p in outputs:
        start[p] = p.read_bytes() if p.exists() else b""
    start.pop(ready.codings_copy)
    outputs.remove(ready.codings_copy)
    fast, _ = one_file(general=False)
    slow, _ = one_file(general=True)
    assert fast == slow and not ready.codings_copy.exists()
    sheets.import_codings([alice], paths=ready)  # alice replaced: "alice\x00" is another coder, kept
    assert set(sheets.read_codings(ready, categorical=True)["coder"]) == {"007", "alice", "alice\x00", "bob"}
    assert not ready.codings_copy.exists()  # not cached, so never read back as "alice"


def test_the_binary_copy_of_codings_is_the_csv_or_is_not_used(ready):
    """The import writes a binary copy of codings.csv for the agreement stage: it reads exactly as the CSV
    parses (number-like round and coder names stay text), after a whole import and after one that keeps
    other coders; a CSV edited by hand, or a copy that is damaged, compressed, out of range or declares
    more than it holds, makes the reader parse the CSV."""
    import io
    import zipfile

    def parsed() -> pd.DataFrame:
        return files.read_csv(ready.codings, text=sheets.CODINGS_TEXT, categorical=True)

    copy = ready.codings_copy
    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    _returned(ready, "10", ["007", "alice"])
    for inputs in (None, [bob]):
        sheets.import_codings(inputs, paths=ready)
        assert copy.is_file()
        assert sheets._read_codings_copy(copy, ready.codings) is not None
        pd.testing.assert_frame_equal(sheets.read_codings(ready, categorical=True), parsed())
    kept = copy.read_bytes()
    sheets.import_codings(paths=ready)  # the same codings, built from the marks rather than the whole table
    assert copy.read_bytes() == kept
    text = ready.codings.read_text()
    ready.codings.write_text(text.replace(",1\n", ",0\n", 1))  # one mark changed by hand
    assert sheets._read_codings_copy(copy, ready.codings) is None
    pd.testing.assert_frame_equal(sheets.read_codings(ready, categorical=True), parsed())
    ready.codings.write_text(text)
    good = copy.read_bytes()
    with zipfile.ZipFile(copy) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    damaged = {
        "truncated": good[: len(good) // 2],
        "compressed": _zipped(members, zipfile.ZIP_DEFLATED),
        "out of range": _zipped({**members, "unit_id.codes.npy": _npy(np.full(len(parsed()), 10**6))}),
        "short": _zipped({**members, "applied.codes.npy": _npy(np.zeros(3, dtype=np.int8))}),
        "marks not 0/1": _zipped({**members, "applied.codes.npy": _npy(np.full(len(parsed()), 7, dtype=np.int8))}),
        "text codes": _zipped({**members, "round.codes.npy": _npy(np.array(["0"] * len(parsed())))}),
        "unsorted": _zipped({**members, "code_id.categories.npy": _npy(np.load(io.BytesIO(
            members["code_id.categories.npy"]))[::-1])}),
        "two-dimensional": _zipped({**members, "unit_id.codes.npy": _npy(np.zeros((len(parsed()), 1), dtype=np.int32))}),
        # a header declaring a terabyte: refused before anything is allocated
        "huge": _zipped({**members, "unit_id.codes.npy": members["unit_id.codes.npy"].replace(
            b"'shape': (", b"'shape': (137438953472", 1)[:200]}),
    }
    for what, data in damaged.items():
        copy.write_bytes(data)
        assert sheets._read_codings_copy(copy, ready.codings) is None, what
        pd.testing.assert_frame_equal(sheets.read_codings(ready, categorical=True), parsed())
    copy.write_bytes(good)
    assert sheets._read_codings_copy(copy, ready.codings) is not None


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _zipped(members: dict[str, bytes], compression: int = 0) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_marks_and_memos_typed_in_libreoffice_are_read_as_typed(ready, calc, tmp_path, fmt):
    """Typing into LibreOffice (XCell.setFormula, as the keyboard does), saving, importing."""
    workbook = sheets.export(ready, "round-1", ["alice"])[0]
    header = _names(workbook)
    col = {h: sheets.column_letter(j) for j, h in enumerate(header)}
    first = sheets.HEADER_ROW + 1
    code = header[len(sheets.FIXED)]
    typed = {f"{col[code]}{first}": "1", f"{col[sheets.MEMO]}{first}": "'=not sure: see codebook",
             f"{col[code]}{first + 1}": "x", f"{col[sheets.NO_CODE]}{first + 2}": "yes",
             f"{col[sheets.MEMO]}{first + 2}": "NA"}
    saved = tmp_path / f"round-1_alice.{fmt}"
    calc({"in": str(workbook), "out": str(saved), "type": {"Coding": typed}}, tmp_path)
    codings = sheets.import_codings([saved], round_="round-1", paths=ready)
    applied = codings[codings["applied"] == 1]
    units = ingest.read_units(ready.units)["unit_id"].tolist()
    assert set(zip(applied["unit_id"], applied["code_id"])) == {(units[0], code), (units[1], code)}
    assert set(codings["unit_id"]) == set(units[:3])  # the third: "no code applies", all codes 0
    memos = files.read_csv(ready.processed / "memos.csv", text=["memo"])
    assert memos["memo"].tolist() == ["=not sure: see codebook", "NA"]
    # a mark or a memo typed as a formula is refused by cell, in either format
    formulas = {f"{col[code]}{first + 3}": "=1", f"{col[sheets.MEMO]}{first + 4}": "=unsure"}
    calc({"in": str(workbook), "out": str(saved), "type": {"Coding": formulas}}, tmp_path)
    with pytest.raises(InputError) as exc:
        sheets.import_codings([saved], round_="round-1", paths=ready)
    text = str(exc.value)
    assert f"Coding › {col[code]}{first + 3}: mark a formula (=1) is not a documented mark" in text
    assert f"Coding › {col[sheets.MEMO]}{first + 4}: the memo was typed as a formula (=unsure)" in text


def test_documented_marks_pass_the_dropdown_and_a_row_of_zeros_shows_as_coded(ready, calc, tmp_path):
    """The dropdown offered 1, x, ✓, yes, true, 0, no, false while the import and the guide also take ✔, y and n,
    which LibreOffice then flagged as invalid; and a row of 0s (no code applies) did not turn green.  Now the
    dropdown, the import and the help share one list, and the green rows are the rows the import counts coded."""
    import re

    from openpyxl import load_workbook

    workbook = sheets.export(ready, "round-1", ["alice"])[0]
    header = _names(workbook)
    codes = header[len(sheets.FIXED):header.index(sheets.NO_CODE)]
    col = lambda name: sheets.column_letter(header.index(name))  # noqa: E731
    first = sheets.HEADER_ROW + 1
    marks = [*sheets.MARK_CHOICES, "TRUE", "Yes", "X", "N"]  # every documented mark, and in other cases
    typed = {f"{col(codes[0])}{first + i}": m for i, m in enumerate(marks)}
    zeros, one_zero, none_applies, untouched = (first + len(marks) + k for k in range(4))
    typed.update({f"{col(c)}{zeros}": "0" for c in codes})
    typed[f"{col(codes[0])}{one_zero}"] = "0"
    typed[f"{col(sheets.NO_CODE)}{none_applies}"] = "1"
    bad = f"{col(codes[1])}{first}"
    rows = list(range(first, untouched + 1))
    ws = load_workbook(workbook)["Coding"]
    [rule] = [r for cf in ws.conditional_formatting if str(cf.sqref).startswith(f"B{first}:") for r in cf.rules]
    done = rule.formula[0].replace(",", ";")  # UNO's formula grammar separates arguments with ';'
    assert '","' not in rule.formula[0] and "COUNTBLANK" in done
    answer = calc({"in": str(workbook), "type": {"Coding": {**typed, bad: "maybe"}}, "invalid": ["Coding"],
                   "evaluate": ["=" + re.sub(rf"\$([A-Z]+){first}\b", rf"$Coding.$\g<1>${r}", done) for r in rows]},
                  tmp_path)
    assert answer["invalid"]["Coding"] == [bad]  # only the undocumented mark is flagged
    assert [e for *_, e in answer["evaluate"]] == [0] * len(rows)
    green = {r for r, (value, *_) in zip(rows, answer["evaluate"]) if value}
    # the import counts as coded exactly the rows shown green
    wb = load_workbook(workbook)
    for address, value in typed.items():
        wb["Coding"][address] = value
    wb.save(workbook)
    codings = sheets.import_codings([workbook], round_="round-1", paths=ready)
    units = ingest.read_units(ready.units)["unit_id"].tolist()
    assert {units[r - first] for r in green} == set(codings["unit_id"])
    assert green == {*(first + i for i, m in enumerate(marks) if sheets.parse_mark(m)), zeros, none_applies}
    # the Instructions sheet and the guide list the same marks
    guide = (REPO / "docs" / "coding.md").read_text(encoding="utf-8")
    for mark in sheets.MARK_CHOICES:
        assert f"`{mark}`" in guide and mark in sheets.MARKS_HELP


@pytest.mark.parametrize("fmt, columns", [("xlsx", "codes"), ("ods", "codes"), ("xlsx", "all"), ("ods", "all")])
def test_marks_sorted_away_from_their_comments_are_refused(ready, calc, tmp_path, fmt, columns):
    """The protected sheet lets a coder sort the unlocked columns on their own (LibreOffice, Data › Sort on a
    selection); the marks then sit beside other comments.  Both the code columns alone and every unlocked
    column (with the check column) are caught."""
    workbook = sheets.export(ready, "round-1", ["alice"])[0]
    fill(workbook, seed=3)
    header = _names(workbook)
    last = sheets.HEADER_ROW + len(ingest.read_units(ready.units))
    first_col = sheets.column_letter(len(sheets.FIXED))
    last_col = sheets.column_letter(header.index(sheets.NO_CODE) if columns == "codes" else len(header) - 1)
    saved = tmp_path / f"round-1_alice.{fmt}"
    calc({"in": str(workbook), "out": str(saved), "sort": [["Coding", f"{first_col}3:{last_col}{last}", 0]]}, tmp_path)
    with pytest.raises(InputError) as exc:
        sheets.import_codings([saved], round_="round-1", paths=ready)
    assert "marks were sorted or moved away from their comments" in str(exc.value)
    # the same workbook saved without the sort imports
    calc({"in": str(workbook), "out": str(saved)}, tmp_path)
    assert len(sheets.import_codings([saved], round_="round-1", paths=ready))


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_decisions_sorted_away_from_their_cells_are_refused(project, calc, tmp_path, fmt):
    """Sorting the adjudication sheet's decision column on its own moved every decision; now it is refused."""
    from openpyxl import load_workbook

    from compassion_study import consensus

    ingest.ingest(paths=project)
    sheets.import_codings(paths=project)
    path = consensus.export(project, "round-1")
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    decision = [c.value for c in ws[2]].index(consensus.DECISION)
    for r in range(3, ws.max_row + 1):
        ws.cell(r, decision + 1).value = 1 if r % 3 else 0
    wb.save(path)
    letter = sheets.column_letter(decision)
    saved = tmp_path / f"round-1_adjudication.{fmt}"
    calc({"in": str(path), "out": str(saved), "sort": [[consensus.SHEET, f"{letter}3:{letter}{ws.max_row}", 0]]},
         tmp_path)
    with pytest.raises(InputError, match="decisions were sorted or moved away from their comments"):
        consensus.run(project, [saved], round_="round-1")
    calc({"in": str(path), "out": str(saved)}, tmp_path)
    assert (consensus.run(project, [saved], round_="round-1")["basis"] == "adjudicated").sum() == ws.max_row - 2
    # notes typed as a person types them: text kept, a formula refused by cell (in .ods as in .xlsx)
    note = sheets.column_letter(decision + 1)
    calc({"in": str(path), "out": str(saved), "type": {consensus.SHEET: {f"{note}3": "'=see codebook",
                                                                          f"{note}4": "=unsure"}}}, tmp_path)
    with pytest.raises(InputError) as exc:
        consensus.run(project, [saved], round_="round-1")
    assert exc.value.problems == [f"{saved.name} › {consensus.SHEET} › {note}4: the note was typed as a formula "
                                  "(=unsure), which the spreadsheet turns into an error value; type it as text, "
                                  "starting with an apostrophe ('=unsure)"]
    calc({"in": str(path), "out": str(saved), "type": {consensus.SHEET: {f"{note}3": "'=see codebook"}}}, tmp_path)
    final = consensus.run(project, [saved], round_="round-1")
    assert final.loc[final["note"] != "", "note"].tolist() == ["=see codebook"]


def _edit(path: Path, cells: dict[str, object], sheet: str = "Coding") -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for address, value in cells.items():
        wb[sheet][address] = value
    wb.save(path)
    return path


def _names(path: Path) -> list[str]:
    """A Coding sheet's column names as the import sees them (codes by id)."""
    from compassion_study import codebook

    book = codebook.load(REPO / "data/raw/codebook/compassionate-leadership-v1.yaml")
    labels = dict(zip(sheets.code_headers(book), book.ids))
    return [labels.get(sheets.header_name(h), sheets.header_name(h)) for h in sheets.read_tabs(path)[0].grid[1]]


def _col(path: Path, name: str) -> str:
    return sheets.column_letter(_names(path).index(name))


def test_carriage_returns_in_memos_stay_inside_their_row(ready):
    """A memo with a carriage return (pasted Windows text, which Excel stores as _x000D_) is kept with its
    line breaks as line feeds: a lone CR in memos.csv would end its row there and make a second one."""
    (alice,) = _returned(ready, "round-2", ["alice"])
    memo = _col(alice, sheets.MEMO)
    _edit(alice, {f"{memo}{sheets.HEADER_ROW + 1}": "kind_x000D_but unsure",
                  f"{memo}{sheets.HEADER_ROW + 2}": "first\r\nsecond\rthird"})
    sheets.import_codings(paths=ready)
    memos = files.read_csv(ready.processed / "memos.csv", text=["memo"])
    assert memos["memo"].tolist()[:2] == ["kind\nbut unsure", "first\nsecond\nthird"]
    assert set(memos["round"]) == {"round-2"}


def test_half_done_rows_and_untouched_workbooks_are_reported(ready, capsys):
    alice, bob = (p for p in sheets.export(ready, "round-1", ["alice", "bob"]) if p.suffix == ".xlsx")
    book_ids = _names(alice)[len(sheets.FIXED):-3]
    zeros = {f"{sheets.column_letter(len(sheets.FIXED) + k)}3": 0 for k in range(len(book_ids))}
    _edit(alice, {**zeros, f"{_col(alice, book_ids[0])}4": 0, f"{_col(alice, sheets.MEMO)}5": "unsure",
                  f"{_col(alice, book_ids[1])}6": "yes"})
    folder = ready.coding / "round-1"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(alice, folder)
    shutil.copy(bob, folder)
    assert main(["--root", str(ready.root), "import"]) == 0
    err = capsys.readouterr().err
    assert "round-1_bob.xlsx › Coding: nothing is marked in any of the 40 rows" in err
    assert "round-1_alice.xlsx › Coding: 2 row(s) (4, 5) have 0s or a memo but no code marked" in err
    assert "round-1/alice: 2 of 40 units coded" in err
    codings = sheets.read_codings(ready)
    units = ingest.read_units(ready.units)["unit_id"].tolist()
    # a row of 0s in every code is "no code applies": coded, every code 0
    assert set(codings["unit_id"]) == {units[0], units[3]}
    assert codings.loc[codings["unit_id"] == units[0], "applied"].sum() == 0


def test_a_unit_outside_the_coders_assignment_is_refused(ready):
    from openpyxl import load_workbook

    written = sheets.export(ready, "round-2", ["alice", "bob"], sample=0.25, seed=1)
    alice, bob = (p for p in written if p.suffix == ".xlsx")
    plan = pd.read_csv(written[-1])
    only_bob = plan.groupby("unit_id")["coder"].agg(set)
    extra = next(u for u, c in only_bob.items() if c == {"bob"})
    wb = load_workbook(alice)
    ws = wb["Coding"]
    r = ws.max_row
    ws.cell(r, 1).value = extra  # the coder pasted one of bob's rows over her own last row
    ws.cell(r, 5).value = ingest.read_units(ready.units).set_index("unit_id").loc[extra, "text"]
    wb.save(alice)
    with pytest.raises(InputError, match=f"A{r}: unit '{extra}' was not assigned to 'alice' in this round"):
        sheets.import_codings([alice], round_="round-2", paths=ready)


def test_returns_without_an_assignment_sheet_are_checked_against_the_export(ready, tmp_path):
    """A CSV download (or a workbook whose hidden Assignment sheet was deleted) skipped the assignment check;
    now exports/<round>/assignment.csv stands in, and without it a warning says what could not be checked."""
    from openpyxl import load_workbook

    from .test_sheets import _csv_like_google

    written = sheets.export(ready, "round-2", ["alice", "bob"], sample=0.25, seed=1)
    alice = written[0]
    fill(alice, seed=0)
    clean_csv = _csv_like_google(alice, tmp_path / "clean" / "round-2_alice - Coding.csv", "Coding")
    plan = pd.read_csv(written[-1])
    extra = next(u for u, c in plan.groupby("unit_id")["coder"].agg(set).items() if c == {"bob"})
    wb = load_workbook(alice)
    ws = wb["Coding"]
    r = ws.max_row
    replaced = ws.cell(r, 1).value
    check = [c.value for c in ws[sheets.HEADER_ROW]].index(sheets.CHECK) + 1
    ws.cell(r, 1).value = ws.cell(r, check).value = extra  # one of bob's rows pasted over her last row
    ws.cell(r, 5).value = ingest.read_units(ready.units).set_index("unit_id").loc[extra, "text"]
    del wb["Assignment"]
    wb.save(alice)
    as_csv = _csv_like_google(alice, tmp_path / "round-2_alice - Coding.csv", "Coding")
    for returned in (as_csv, alice):
        with pytest.raises(InputError) as exc:
            sheets.import_codings([returned], round_="round-2", paths=ready)
        assert exc.value.problems == [
            f"{returned.name} › Coding › A{r}: unit '{extra}' was not assigned to 'alice' in this round (a row copied "
            "from another coder's workbook?); delete the row",
            f"{returned.name} › Coding: 1 assigned unit row(s) missing: {replaced}"]
    # a file of a coder the round never had is refused once, not row by row
    carol = tmp_path / "carol" / "round-2_carol - Coding.csv"
    carol.parent.mkdir()
    carol.write_text(clean_csv.read_text(encoding="utf-8").replace("coder: alice", "coder: carol"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        sheets.import_codings([carol], round_="round-2", paths=ready)
    row_one = next(iter(files.read_text_table(carol)))
    where_coder = sheets.column_letter(next(j for j, v in enumerate(row_one) if v.startswith("coder"))) + "1"
    assert exc.value.problems == [
        f"{carol.name} › Coding › {where_coder}: coder 'carol' has no units "
        "in round 'round-2' (exports/round-2/assignment.csv lists alice, bob); is this the right round, or the right "
        "file?"]
    # with no assignment to check against, the import runs and says so
    written[-1].rename(tmp_path / "assignment.csv")
    codings = sheets.import_codings([clean_csv], round_="round-2", paths=ready)
    assert len(codings)
    assert codings.attrs["warnings"] == [
        f"{clean_csv.name} › Coding: the units could not be checked against alice's assignment (the file has no "
        "Assignment sheet and there is no exports/round-2/assignment.csv); a row copied from another coder's "
        "workbook would not be noticed"]


def test_reissue_keeps_the_assignment_and_gives_the_same_workbook(ready, capsys):
    written = sheets.export(ready, "round-2", ["alice", "bob"], sample=0.25, seed=1)
    plan_before = written[-1].read_bytes()
    first = {p.name: p.read_bytes() for p in written}
    alice = written[0]
    alice.write_bytes(b"spoilt")
    assert main(["--root", str(ready.root), "sheets", "--round", "round-2", "--reissue", "alice"]) == 0
    assert {p.name: p.read_bytes() for p in written} == first  # same bytes as the first export
    assert written[-1].read_bytes() == plan_before
    # a second full export of the same round is byte-identical too (no save dates, fixed zip times)
    again = sheets.export(ready, "round-2", ["alice", "bob"], sample=0.25, seed=1)
    assert {p.name: p.read_bytes() for p in again} == first
    assert main(["--root", str(ready.root), "sheets", "--round", "round-2", "--reissue", "carol"]) == 1
    assert "coder 'carol' has no units in round 'round-2'" in capsys.readouterr().err


def test_exporting_a_round_again_with_another_assignment_needs_replace(ready, capsys):
    """A second 'sheets --round R --coders …' with other coders silently rewrote assignment.csv and the manifest
    (a coder vanished from 'status'); now it is refused unless --replace is given, and --reissue refuses options
    it would ignore."""
    from compassion_study import provenance

    root = ["--root", str(ready.root), "sheets", "--round", "round-2"]
    assert main([*root, "--coders", "alice,bob", "--sample", "0.25", "--seed", "1"]) == 0
    plan = ready.exports / "round-2" / "assignment.csv"
    before, record = plan.read_bytes(), provenance.load(ready)["stages"]["sheets:round-2"]
    capsys.readouterr()
    for again in (["--coders", "alice"], ["--coders", "alice,bob"], ["--coders", "alice,bob", "--sample", "0.5"]):
        assert main([*root, *again]) == 1
        err = capsys.readouterr().err
        assert "exports/round-2/assignment.csv: round 'round-2' was already exported here (alice: " in err
        assert "use --reissue CODER" in err and "add --replace" in err and "Traceback" not in err
        assert plan.read_bytes() == before and provenance.load(ready)["stages"]["sheets:round-2"] == record
    assert set(sheets.coding_status(ready, "round-2")["coder"]) == {"alice", "bob"}
    # the same export again is harmless and allowed
    assert main([*root, "--coders", "alice,bob", "--sample", "0.25", "--seed", "1"]) == 0
    assert plan.read_bytes() == before
    # --reissue uses the round's own assignment: options it would ignore are refused, not dropped
    assert main([*root, "--reissue", "alice", "--coders", "alice,carol"]) == 1
    assert "--reissue alice writes that coder's workbook again from the round's own assignment and codebook, so " \
           "--coders would be ignored" in capsys.readouterr().err
    assert main([*root, "--reissue", "alice", "--sample", "0.5", "--seed", "2"]) == 1
    assert "so --sample, --seed would be ignored" in capsys.readouterr().err
    assert plan.read_bytes() == before
    # replacing the round is explicit
    assert main([*root, "--coders", "alice", "--replace"]) == 0
    assert set(files.read_csv(plan, text=["coder"])["coder"]) == {"alice"}
    assert provenance.load(ready)["stages"]["sheets:round-2"]["parameters"]["coders"] == ["alice"]


def test_row_one_and_stray_cells_are_checked(ready, tmp_path):
    alice = sheets.export(ready, "round-1", ["alice"])[0]
    header = _names(alice)
    outside = sheets.column_letter(len(header) + 1)
    row_one = sheets.read_tabs(alice)[0].grid[0][1].replace("units: 40", "units: forty")
    _edit(alice, {"B1": row_one, f"{outside}7": "see memo", f"{_col(alice, header[len(sheets.FIXED)])}3": 1})
    renamed = tmp_path / "round-2_alice.xlsx"
    shutil.copy(alice, renamed)
    with pytest.raises(InputError) as exc:
        sheets.import_codings([renamed], paths=ready)
    text = str(exc.value)
    assert "round-2_alice.xlsx › Coding › B1: units 'forty' is not a number" in text
    assert f"Coding › {outside}7: text outside the sheet's columns ('see memo')" in text
    assert "sheet is for round 'round-1', but the file name says round 'round-2'" in text


def test_libreoffice_files_give_plain_messages(ready, calc, tmp_path):
    """A password-protected .ods, an .ods saved under an .xlsx name, and LibreOffice's one-CSV-per-sheet export."""
    alice = sheets.export(ready, "round-1", ["alice"])[0]
    code = _col(alice, _names(alice)[len(sheets.FIXED)])
    locked = tmp_path / "round-1_alice.ods"
    calc({"in": str(alice), "out": str(locked), "password": "secret"}, tmp_path)
    with pytest.raises(InputError, match="round-1_alice.ods: is password-protected"):
        sheets.import_codings([locked], round_="round-1", paths=ready)
    ods = tmp_path / "ods" / "round-1_alice.ods"
    ods.parent.mkdir()
    calc({"in": str(alice), "out": str(ods), "type": {"Coding": {f"{code}3": "1"}}}, tmp_path)
    misnamed = tmp_path / "round-1_alice.xlsx"
    shutil.copy(ods, misnamed)
    assert sheets.import_codings([misnamed], round_="round-1", paths=ready)["applied"].sum() == 1
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    calc({"in": str(ods), "out": str(csv_dir / "round-1_alice.csv"), "csv": True}, tmp_path)
    made = sorted(p.name for p in csv_dir.iterdir())
    assert any("Instructions" in n for n in made) and any("Coding" in n for n in made), made
    codings = sheets.import_codings([csv_dir], round_="round-1", paths=ready)
    assert codings["applied"].sum() == 1
    assert any("Instructions sheet, not a Coding sheet" in w for w in codings.attrs["warnings"])


def test_marks_with_invisible_characters_or_decimals_and_repeated_bad_marks(ready):
    alice = sheets.export(ready, "round-1", ["alice"])[0]
    header = _names(alice)
    a, b = _col(alice, header[len(sheets.FIXED)]), _col(alice, header[len(sheets.FIXED) + 1])
    _edit(alice, {f"{a}3": "x\u200b", f"{a}4": "1.0", f"{b}5": "0.0", f"{a}5": "\u00a0yes"})
    codings = sheets.import_codings([alice], round_="round-1", paths=ready)
    assert codings.groupby("unit_id")["applied"].sum().tolist() == [1, 1, 1]
    _edit(alice, {f"{a}{r}": "maybe\u200b" for r in range(3, 23)})
    with pytest.raises(InputError) as exc:
        sheets.import_codings([alice], round_="round-1", paths=ready)
    assert exc.value.problems == [f"round-1_alice.xlsx › Coding › {a}3 and 19 other cell(s): {a}4, {a}5, {a}6, {a}7, "
                                  f"{a}8, {a}9, {a}10 …: mark 'maybe\\u200b' is not a documented mark "
                                  f"({sheets.MARKS_HELP})"]


@pytest.mark.parametrize("at", [1, 3, 8])
def test_an_empty_column_inserted_by_hand_changes_nothing(ready, at):
    """Columns are found by their headers and row 1 by its keys: an inserted empty column moves nothing."""
    from openpyxl import load_workbook

    alice = sheets.export(ready, "round-1", ["alice"])[0]
    fill(alice, seed=5)
    expected = sheets.import_codings([alice], round_="round-1", paths=ready)
    wb = load_workbook(alice)
    ws = wb["Coding"]
    ws.protection.sheet = False
    ws.insert_cols(at)
    wb.save(alice)
    pd.testing.assert_frame_equal(sheets.import_codings([alice], round_="round-1", paths=ready), expected)
    _edit(alice, {f"{sheets.column_letter(at - 1)}9": "see row 7"})
    with pytest.raises(InputError, match=f"{sheets.column_letter(at - 1)}9: column {sheets.column_letter(at - 1)} "
                                         "has no header \\(inserted by hand\\?\\) but holds 'see row 7'"):
        sheets.import_codings([alice], round_="round-1", paths=ready)


@pytest.mark.parametrize("kind", ["coding", "shared", "adjudication"])
def test_no_text_cell_overflows_its_row_in_libreoffice(project, calc, tmp_path, kind):
    """Every row is at least as tall as LibreOffice's own optimal height for its text (so nothing is cut off,
    and protection need not be lifted to read a comment), and not absurdly taller."""
    from compassion_study import consensus

    ingest.ingest(paths=project)
    if kind == "adjudication":
        sheets.import_codings(paths=project)
        path, names = consensus.export(project, "round-1", out=tmp_path / "adj.xlsx"), [consensus.SHEET]
    else:
        coders = ["alice", "bob"] if kind == "shared" else ["alice"]
        path = sheets.export(project, "round-1", coders, shared=kind == "shared", out=tmp_path / "exp")[0]
        names = [f"Coding {c}" for c in coders] if kind == "shared" else ["Coding"]
    names += ["Instructions", "Codebook"]
    heights = calc({"in": str(path), "heights": names}, tmp_path)["heights"]
    for name in names:
        for row, given, optimal in heights[name][2 if name.startswith(("Coding", "Adj")) else 1:]:
            assert given >= optimal - 30, f"{name} row {row}: {given / 100:.1f} mm < LibreOffice's {optimal / 100:.1f} mm"
            assert given <= 2.2 * optimal + 200, f"{name} row {row}: {given / 100:.1f} mm, far above {optimal / 100:.1f} mm"


def test_status_and_import_check_show_where_each_coder_stands(ready, capsys):
    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    before = {p.name: p.read_bytes() for p in ready.processed.iterdir()}
    assert main(["--root", str(ready.root), "import", "--check"]) == 0
    assert "the files would import (round-2/alice: 40 of 40 units coded, round-2/bob: 40 of 40 units coded); " \
           "nothing was written" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in ready.processed.iterdir()} == before
    bob.unlink()
    sheets.import_codings(paths=ready)
    shutil.copy(ready.exports / "round-2" / bob.name, bob)  # bob's (blank) file arrives after the import
    _edit(alice, {"J9": "x"})  # and alice changes hers
    assert main(["--root", str(ready.root), "status", "--round", "round-2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["round", "coder", "assigned", "coded", "not_coded", "state", "file", "sha256"]
    assert table[1].split()[:6] == ["round-2", "alice", "40", "40", "0", "changed"]
    assert table[2].split()[:6] == ["round-2", "bob", "40", "returned,", "not", "imported"]
    _edit(bob, {"F3": "maybe"})
    assert main(["--root", str(ready.root), "import", "--check"]) == 1
    err = capsys.readouterr().err
    assert "mark 'maybe' is not a documented mark" in err and "the import would be rejected" in err


def test_status_counts_a_shared_workbook_for_each_coder_in_it(ready, capsys, tmp_path):
    """'status' passed over shared workbooks: alice and bob showed 'not returned' with the shared file back."""
    from .test_sheets import _csv_like_google

    shared = _returned(ready, "round-2", ["alice", "bob", "carol"], shared=True)[0]
    status = lambda: sheets.coding_status(ready, "round-2").set_index("coder")  # noqa: E731
    assert status()["state"].tolist() == ["returned, not imported"] * 3
    assert set(status()["file"]) == {ready.relative(shared)}
    sheets.import_codings(paths=ready)
    table = status()
    assert table["state"].tolist() == ["imported"] * 3 and table["coded"].tolist() == [40, 40, 40]
    # a tab downloaded as CSV from the shared workbook counts for that tab's coder only
    shared.unlink()
    _csv_like_google(ready.exports / "round-2" / shared.name, shared.parent / f"{shared.stem} - Coding bob.csv",
                     "Coding bob")
    table = status()
    assert table.loc["bob", "state"] == "changed since import"
    assert table.loc[["alice", "carol"], "state"].tolist() == ["imported", "imported"]  # nothing newer is back


def test_code_labels_and_comments_that_look_like_formulas_stay_text(ready):
    """Codebook labels reach the header row: they may not become formulas (comments: test_sheets)."""
    import yaml
    from openpyxl import load_workbook

    path = ready.codebooks / "compassionate-leadership-v1.yaml"
    book = yaml.safe_load(path.read_text(encoding="utf-8"))
    book["codes"][0]["label"] = "=1+1"
    book["codes"][1]["label"] = "@SUM(A1:A9)"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    ws = load_workbook(sheets.export(ready, "round-1", ["alice"])[0])["Coding"]
    first = len(sheets.FIXED) + 1
    for cell in (ws.cell(sheets.HEADER_ROW, first), ws.cell(sheets.HEADER_ROW, first + 1)):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert ws.cell(sheets.HEADER_ROW, first).value == "=1+1"
    # and the rows styled by copying keep their stripes, protection and alignment
    assert not ws["F40"].protection.locked and ws["B40"].protection.locked
    assert ws["F40"].fill.fgColor.rgb[-6:] == sheets.stripe(40 - 3) and ws["B41"].alignment.wrap_text


def test_a_mark_copied_with_its_formatting_is_explained(ready):
    """Copying a mark from the row above (Ctrl+C, Ctrl+V) brings that row's fill: the message says how to paste."""
    from copy import copy

    from openpyxl import load_workbook

    alice = sheets.export(ready, "round-1", ["alice"])[0]
    wb = load_workbook(alice)
    ws = wb["Coding"]
    ws["F3"] = 1
    ws["F4"] = 1
    ws["F4"]._style = copy(ws["F3"]._style)  # what a paste of F3 into F4 does
    wb.save(alice)
    with pytest.raises(InputError) as exc:
        sheets.import_codings([alice], round_="round-1", paths=ready)
    assert "in 1 row(s) (4)" in str(exc.value) and "paste values only (Paste Special › Values)" in str(exc.value)


def test_marks_moved_by_an_even_number_of_rows_are_refused(ready):
    """With two alternating stripes, a sort that swapped the marks of rows 3 and 5 (both white) left every fill
    as it was, and only the check column could tell; now the 14 shades differ from row to row."""
    from copy import copy

    from openpyxl import load_workbook

    alice = sheets.export(ready, "round-1", ["alice"])[0]
    fill(alice, seed=4)
    wb = load_workbook(alice)
    ws = wb["Coding"]
    header = [c.value for c in ws[sheets.HEADER_ROW]]
    moved = range(len(sheets.FIXED) + 1, header.index(sheets.CHECK) + 1)  # codes, no code applies, memo
    for a, b in ((3, 5), (4, 8)):  # rows of one colour, two and four rows apart
        for j in moved:
            x, y = ws.cell(a, j), ws.cell(b, j)
            (x.value, y.value), (x._style, y._style) = (y.value, x.value), (copy(y._style), copy(x._style))
    wb.save(alice)
    with pytest.raises(InputError) as exc:
        sheets.import_codings([alice], round_="round-1", paths=ready)
    [problem] = exc.value.problems
    assert "in 4 row(s) (3, 4, 5, 8) cells you fill in carry the stripe colour of other rows" in problem
    assert len({sheets.stripe(k) for k in range(14)}) == 14  # and they look alike: a unit of RGB or two apart
    shades = [bytes.fromhex(c) for c in sheets.STRIPES]
    for k in range(2, 14):
        assert max(abs(a - b) for a, b in zip(shades[k], shades[k % 2])) <= 1


def _pid() -> int:
    import os

    return os.getpid()


def test_two_processes_write_and_read_exactly_what_one_does(ready, monkeypatch, tmp_path):
    """Large rounds are exported and imported in two processes (issue 13's benchmark); the files written and
    the tables read must be the same as in one process, in the same order, with the same messages."""
    import os
    import threading

    from compassion_study import workbooks

    if threading.active_count() > 1 or not hasattr(os, "fork"):
        pytest.skip("forking needs a single-threaded process on a system with fork")
    assert os.getpid() not in workbooks.in_parallel(_pid, [(), (), ()])  # the second process is really used
    coders = ["alice", "bob", "carol"]
    one = sheets.export(ready, "round-1", coders, sample=0.5, out=tmp_path / "one")
    monkeypatch.setattr(workbooks, "PARALLEL_ROWS", 0)
    two = sheets.export(ready, "round-1", coders, sample=0.5, out=tmp_path / "two")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]

    for i, p in enumerate(one[:-2]):  # carol's workbook comes back untouched
        fill(p, seed=i, skip_every=5)
    monkeypatch.setattr(sheets, "PARALLEL_BYTES", 10**12)
    warned = sheets.import_codings(one[:-1], round_="round-1", paths=ready).attrs["warnings"]
    first = [ready.codings.read_bytes(), ready.rounds.read_bytes(), (ready.processed / "memos.csv").read_bytes()]
    monkeypatch.setattr(sheets, "PARALLEL_BYTES", 0)
    codings = sheets.import_codings(one[:-1], round_="round-1", paths=ready)
    assert [ready.codings.read_bytes(), ready.rounds.read_bytes(), (ready.processed / "memos.csv").read_bytes()] == first
    assert codings.attrs["warnings"] == warned and "carol" in warned[0]  # reported from the workers too


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_cell_comment_is_refused_by_cell_not_dropped(ready, soffice, tmp_path, fmt):
    """A coder's or adjudicator's note written as a cell comment (Insert › Comment) is no cell's value: the import
    refused to see it and dropped it without a word. Now it names the cell and asks for the text in the memo
    (coding) or note (adjudication) column; LibreOffice's .ods keeps comments as annotations."""
    import subprocess

    from openpyxl import load_workbook
    from openpyxl.comments import Comment

    workbook = sheets.export(ready, "round-1", ["alice"])[0]
    header = _names(workbook)
    code = sheets.column_letter(len(sheets.FIXED))
    first = sheets.HEADER_ROW + 1
    wb = load_workbook(workbook)
    wb["Coding"][f"{code}{first}"] = 1
    wb["Coding"][f"{code}{first + 1}"].comment = Comment("unsure whether this applies - ask the lead", "alice")
    wb["Coding"]["A1"].comment = Comment("I skipped the ones about rotas, ask me", "alice")
    defined = wb["Coding"][f"{code}{sheets.HEADER_ROW}"]
    defined.comment = Comment(defined.comment.text + " (not when it is about the ward)", "alice")
    untouched = f"{sheets.column_letter(len(sheets.FIXED) + 1)}{sheets.HEADER_ROW}"  # the export's own definition
    saved = tmp_path / "round-1_alice.xlsx"
    wb.save(saved)
    if fmt == "ods":
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                        "ods", "--outdir", str(tmp_path / "ods"), str(saved)], check=True, capture_output=True,
                       timeout=180)
        saved = tmp_path / "ods" / "round-1_alice.ods"
    with pytest.raises(InputError) as exc:
        sheets.import_codings([saved], round_="round-1", paths=ready)
    text = str(exc.value)
    assert (f"{saved.name} › Coding › {code}{first + 1}: has a cell comment (“unsure whether this applies - ask the "
            "lead”), which the import does not read; put its text in the memo column") in text
    assert f"{saved.name} › Coding › A1: has a cell comment (“I skipped the ones about rotas, ask me”)" in text
    assert f"Coding › {code}{sheets.HEADER_ROW}: has a cell comment" in text  # a definition the coder added to
    assert f"Coding › {untouched}:" not in text and len(header) > len(sheets.FIXED)


def test_a_cell_comment_in_an_adjudication_is_refused_by_cell(project, tmp_path):
    from openpyxl import load_workbook
    from openpyxl.comments import Comment

    from compassion_study import consensus

    ingest.ingest(paths=project)
    sheets.import_codings(paths=project)
    book = consensus.export(project, "round-1")
    wb = load_workbook(book)
    wb[consensus.SHEET]["G4"].comment = Comment("applies: the speaker names the team", "lead")
    returned = tmp_path / "round-1_adjudication.xlsx"
    wb.save(returned)
    with pytest.raises(InputError) as exc:
        consensus.run(project, [returned])
    assert ("round-1_adjudication.xlsx › Adjudication › G4: has a cell comment (“applies: the speaker names the "
            "team”), which the import does not read; put its text in the note or summary column") in str(exc.value)
