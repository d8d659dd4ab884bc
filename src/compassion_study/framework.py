"""Framework Method: the charting matrix of cases × codes, and the analysts' summaries read back.

UK applied health research charts qualitative findings in a matrix (Gale et
al. 2013): one row per case, one column per code, each cell summarising what
the case said about the code, with the data it rests on in view.  The matrix
is written from the consensus coding: each code has a *quotes* column (every
consensus quote of the case with its ``unit_id``, locked) and a *summary*
column (empty, for the analyst).  Cases are sessions (notes files) or
prompts × breakout themes (``framework_cases`` in ``study.yaml``).

The returned matrix (``data/raw/framework/``) is read as strictly as the
coding workbooks: every problem at once as ``file › sheet › cell``; a
formula, an edited quote cell, a case or code the study does not have, or a
missing key row rejects it and nothing is written.  The summaries go to
``data/processed/framework_summaries.csv`` (one row per case × code with a
summary) and into the report.

References
----------
Gale, N. K., Heath, G., Cameron, E., Rashid, S., & Redwood, S. (2013).
Using the framework method for the analysis of qualitative data in
multi-disciplinary health research. BMC Medical Research Methodology, 13, 117.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from . import codebook as cbmod
from . import files, provenance, sheets, workbooks
from .errors import InputError, where
from .ingest import read_units, session
from .paths import Paths

SHEET = "Matrix"
KEY_CASE = "case"
#: Longest text a matrix cell holds (a spreadsheet cell holds 32,767 characters).
MAX_CELL = 32_000


def case_of(units: pd.DataFrame, by: str = "session") -> pd.Series:
    """Each unit's case: its session, or its prompt and breakout theme (``prompt › theme``)."""
    if by == "session":
        return session(units).rename("case")
    if by == "theme":
        theme = units["theme"].where(units["theme"] != "", "(no theme)")
        return (units["prompt"] + " › " + theme).rename("case")
    raise ValueError(f"cases are 'session' or 'theme', not {by!r}")


def matrix(consensus: pd.DataFrame, units: pd.DataFrame, code_ids: list[str], by: str = "session") -> pd.DataFrame:
    """The charting matrix in long form: one row per case × code with the consensus quotes.

    Returns
    -------
    pandas.DataFrame
        ``case, code_id, n_units, quotes``; ``quotes`` is one line per unit,
        ``[unit_id] text``, in document order (empty when no unit of the case
        carries the code).  Cases in document order, codes in codebook order.
    """
    ordered = units.sort_values(["source", "position"], kind="stable")
    cases = case_of(ordered, by)
    applied = consensus.loc[consensus["applied"].astype(int) == 1, ["unit_id", "code_id"]]
    meta = pd.DataFrame({"unit_id": ordered["unit_id"].to_numpy(), "case": cases.to_numpy(),
                         "text": ordered["text"].to_numpy(), "_o": range(len(ordered))})
    hits = applied.merge(meta, on="unit_id").sort_values("_o", kind="stable")
    hits["line"] = "[" + hits["unit_id"] + "] " + hits["text"]
    grouped = hits.groupby(["case", "code_id"], sort=False).agg(n_units=("unit_id", "size"),
                                                                 quotes=("line", "\n".join))
    grid = pd.MultiIndex.from_product([list(dict.fromkeys(cases)), code_ids], names=["case", "code_id"])
    out = grouped.reindex(grid).reset_index()
    return out.assign(n_units=out["n_units"].fillna(0).astype(int), quotes=out["quotes"].fillna(""))


def _cut(text: str) -> str:
    # a cell holds 32,767 characters; a longer list of quotes says how many were left out
    if len(text) <= MAX_CELL:
        return text
    kept = text[:MAX_CELL].rsplit("\n", 1)[0]
    return f"{kept}\n[… {text.count(chr(10)) - kept.count(chr(10))} more quotes: see the appendix of the report]"


def export(paths: Paths | None = None, out: str | Path | None = None) -> Path:
    """Stage: consensus -> the charting matrix workbook (default ``exports/framework/framework-matrix.xlsx``)."""
    from . import study
    from .consensus import read_consensus

    paths = paths or Paths.from_root()
    by = study.load(paths).framework_cases
    units = read_units(paths.units)
    cons = read_consensus(paths)
    rounds = sheets.read_rounds(paths)
    book = cbmod.find(paths, sorted(rounds["codebook_version"])[-1])
    ids = [c for c in book.ids if c in set(cons["code_id"])]
    long = matrix(cons, units, ids, by)
    cases = list(dict.fromkeys(long["case"]))
    labels = book.labels
    b = workbooks.Book()
    ins = b.sheet("Instructions")
    ins.set_column(0, 0, 16)
    ins.set_column(1, 1, 100)
    illustrative = bool(rounds["illustrative"].astype(bool).any())
    for r, (key, text) in enumerate([
            ("compassion_study framework matrix", ""), ("Cases", "sessions" if by == "session" else
                                                        "prompts × breakout themes"),
            ("Codebook", f"{book.name} {book.full_version}"),
            ("Status", f"{sheets.ILLUSTRATIVE}: built on example coding" if illustrative else "for charting"), ("", ""),
            ("How to chart", ""),
            ("1", "Each row is a case and each code has two columns: the consensus quotes of the case that carry "
                  "the code (with their unit ids; do not edit them) and a summary column for you."),
            ("2", "Write in each summary cell what the case says about the code, in your own words, keeping the "
                  "unit ids you rely on. Leave it empty where there is nothing to say."),
            ("3", "Return the file to the study team, who will put it in data/raw/framework/.")]):
        b.write(ins, r, 0, key, **({"bold": True, "font_size": 14} if r == 0 else {"valign": "top"}))
        b.write(ins, r, 1, text, text_wrap=True, valign="top",
                **({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"} if illustrative and r == 3 else {}))
        if r:
            ins.set_row(r, sheets.row_height([(text, 100, 11)]))
    workbooks.print_setup(ins, landscape=False)
    workbooks.protect(ins)
    ws = b.sheet(SHEET)
    b.write(ws, 0, 0, f"cases: {by}", italic=True, font_color="#444444")
    b.write(ws, 0, 1, f"codebook: {book.full_version} · cases: {len(cases)} · codes: {len(ids)}"
            + (f" · status: {sheets.ILLUSTRATIVE}" if illustrative else ""), italic=True, font_color="#444444")
    header = ["Case"] + [h for c in ids for h in (f"{labels.get(c, c)}: quotes", f"{labels.get(c, c)}: summary")]
    b.write_row(ws, 1, header, bold=True, text_wrap=True, valign="bottom", bg_color="#EEF1F5")
    keys = [KEY_CASE] + [k for c in ids for k in (f"quotes:{c}", f"summary:{c}")]
    b.write_row(ws, 2, keys, font_color="#666666")  # the import's key row: which column is which code
    ws.set_row(2, None, None, {"hidden": True})
    ws.set_column(0, 0, 28)
    for j in range(len(ids)):
        ws.set_column(1 + 2 * j, 1 + 2 * j, 45)
        ws.set_column(2 + 2 * j, 2 + 2 * j, 35)
    cells = long.set_index(["case", "code_id"])["quotes"]
    for i, case in enumerate(cases):
        row = 3 + i
        b.write(ws, row, 0, case, bold=True, text_wrap=True, valign="top")
        tallest = [(case, 28, 11)]
        for j, c in enumerate(ids):
            quotes = _cut(cells[(case, c)])
            b.write(ws, row, 1 + 2 * j, quotes, text_wrap=True, valign="top", bg_color="#F2F2F2", font_size=9)
            b.write(ws, row, 2 + 2 * j, None, text_wrap=True, valign="top", locked=False, bg_color="#FFF8E1")
            tallest.append((quotes, 45, 9))
        ws.set_row(row, sheets.row_height(tallest))
    ws.freeze_panes(3, 1)
    # on paper the matrix runs across pages (as wide as it needs), the header row and the case column on each
    ws.set_paper(workbooks.A4)
    ws.set_landscape()
    ws.repeat_rows(1, 1)
    ws.repeat_columns(0, 0)
    workbooks.protect(ws, filter_and_resize=True)
    target = Path(out) if out else paths.exports / "framework" / "framework-matrix.xlsx"
    if paths.is_raw(target):
        raise InputError(f"{target}: data/raw/ holds returned files only; export elsewhere (default exports/framework/)")
    written = b.save(target)
    if paths.contains(written):  # --out elsewhere writes only there: the study's manifest is left alone
        provenance.record(paths, "framework_export", inputs=[paths.units, paths.consensus, book.path],
                          outputs=[written], parameters={"cases": by}, codebook_version=book.full_version)
    return written


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["case", "code_id", "summary"])


def read_matrix(path: Path, units: pd.DataFrame, consensus: pd.DataFrame, book: cbmod.Codebook, by: str
                ) -> tuple[pd.DataFrame, list[str]]:
    """Check a returned matrix; return its summaries (``case, code_id, summary``) and every problem found."""
    label = path.name
    problems: list[str] = []
    try:
        found = sheets.read_grid(path, SHEET)
    except InputError as exc:
        return _empty(), exc.problems
    if found is None:
        return _empty(), [f"{label}: has no '{SHEET}' sheet"]
    grid = found[0]
    at = lambda r, c: where(label, SHEET, f"{sheets.column_letter(c)}{r + 1}")  # noqa: E731
    text = lambda v: sheets._as_text(v)  # noqa: E731
    if len(grid) < 3 or text(grid[2][0] if grid[2] else "").strip() != KEY_CASE:
        return _empty(), [f"{where(label, SHEET)}: the hidden key row 3 is missing or changed; export the "
                                "matrix again and copy the summaries across"]
    keys = [text(v).strip() for v in grid[2]]
    expected = matrix(consensus, units, [c for c in book.ids if c in set(consensus["code_id"])], by)
    known_codes = set(expected["code_id"])
    columns: dict[int, tuple[str, str]] = {}
    for c, key in enumerate(keys[1:], start=1):
        kind, _, code = key.partition(":")
        if not key:
            continue
        if kind not in ("quotes", "summary") or code not in known_codes:
            problems.append(f"{at(2, c)}: key '{key[:60]}' is not a quotes or summary column of this study's codes")
            continue
        columns[c] = (kind, code)
    quotes = expected.set_index(["case", "code_id"])["quotes"]
    cases = set(expected["case"])
    rows = []
    seen: dict[str, int] = {}
    for r in range(3, len(grid)):
        line = grid[r]
        case = text(line[0] if line else "").strip()
        if not case and not any(text(v).strip() for v in line):
            continue
        if case not in cases:
            problems.append(f"{at(r, 0)}: case '{case[:60]}' is not a case of this study")
            continue
        if case in seen:
            problems.append(f"{at(r, 0)}: case '{case[:60]}' is also in row {seen[case] + 1}")
            continue
        seen[case] = r
        for c, value in enumerate(line):
            if c == 0:
                continue
            if isinstance(value, sheets._Formula):
                problems.append(f"{at(r, c)}: a formula ({str(value)[:40]}); write the summary as text")
                continue
            if c not in columns:
                if text(value).strip():
                    problems.append(f"{at(r, c)}: text outside the matrix's columns; nothing may be written there")
                continue
            kind, code = columns[c]
            if kind == "quotes":
                if text(value).strip() != _cut(quotes[(case, code)]).strip():
                    problems.append(f"{at(r, c)}: the quotes were edited; they must stay as exported (write in the "
                                    "summary column)")
            elif text(value).strip():
                summary = text(value).strip()
                bad = files.CONTROL_CHARACTERS.search(summary)
                if bad:  # it would reach the report and the Word file, which cannot hold it
                    problems.append(f"{at(r, c)}: the summary holds control character U+{ord(bad.group()):04X}; "
                                    "delete it")
                    continue
                rows.append({"case": case, "code_id": code, "summary": summary})
    return pd.DataFrame(rows, columns=["case", "code_id", "summary"]), problems


def import_(paths: Paths | None = None, inputs: Iterable[str | Path] | None = None) -> pd.DataFrame:
    """Stage: returned matrices -> ``framework_summaries.csv`` (every problem at once; nothing written on one).

    Parameters
    ----------
    inputs : iterable of path-like, optional
        Returned matrices (default: every file in ``data/raw/framework/``); where several hold a summary for
        the same case and code, that is a problem (the team merges them first).
    """
    from . import study
    from .consensus import read_consensus

    paths = paths or Paths.from_root()
    sources = sheets.expand(inputs if inputs else [paths.framework_raw])
    sources = [p for p in sources if p.suffix.lower() != ".qdpx"]
    if not sources:
        raise InputError(f"no returned framework matrices found (looked in "
                         f"{', '.join(map(str, inputs or [paths.relative(paths.framework_raw)]))})")
    by = study.load(paths).framework_cases
    units = read_units(paths.units)
    cons = read_consensus(paths)
    rounds = sheets.read_rounds(paths)
    book = cbmod.find(paths, sorted(rounds["codebook_version"])[-1])
    frames, problems = [], []
    for path in sources:
        got, found = read_matrix(Path(path), units, cons, book, by)
        problems += found
        frames.append(got.assign(source=Path(path).name))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["case", "code_id", "summary", "source"])
    twice = out[out.duplicated(["case", "code_id"], keep=False)]
    for (case, code), grp in twice.groupby(["case", "code_id"], sort=False):
        problems.append(f"case '{case[:60]}', code {code}: summarised in several files ({', '.join(grp['source'])}); "
                        "merge them into one")
    if problems:
        raise InputError(problems, summary=f"framework import rejected: {len(problems)} problem(s); nothing was written:")
    order = {c: i for i, c in enumerate(dict.fromkeys(case_of(units.sort_values(['source', 'position'], kind='stable'), by)))}
    out = out.assign(_c=out["case"].map(order), _k=out["code_id"].map({c: i for i, c in enumerate(book.ids)}))
    out = out.sort_values(["_c", "_k"], kind="stable")[["case", "code_id", "summary"]].reset_index(drop=True)
    written = files.write_csv(out, paths.framework_summaries)
    provenance.record(paths, "framework_import", inputs=[*map(Path, sources), paths.units, paths.consensus],
                      outputs=[written], parameters={"cases": by}, codebook_version=book.full_version)
    return out


def read_summaries(paths: Paths) -> pd.DataFrame:
    """``framework_summaries.csv`` (empty, with its columns, before any matrix has been returned)."""
    if not paths.framework_summaries.is_file():
        return pd.DataFrame(columns=["case", "code_id", "summary"])
    return files.read_csv(paths.framework_summaries, text=("case", "code_id", "summary"))
