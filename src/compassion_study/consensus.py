"""Consensus: settle disagreements into final codes per unit.

Every unit × code cell is settled one of these ways (``basis``):

``unanimous``
    every coder who coded the unit made the same decision;
``single coder``
    only one coder coded the unit (units not double-coded in a sampled round);
``adjudicated``
    coders disagreed and the returned adjudication workbook decided;
``majority``
    coders disagreed, no adjudication has been returned, and more than half
    of them applied (or did not apply) the code: a *provisional* decision;
``tie``
    as ``majority`` but exactly half applied it: provisionally not applied,
    and flagged.

``note`` carries the adjudicator's note on a disputed cell (decided or not;
empty elsewhere), so nothing typed in the adjudication workbook is lost.

Until an adjudication workbook is returned to ``data/raw/consensus/``,
``consensus.csv`` is a provisional majority view (``provisional`` is True)
and everything built on it says so.

The adjudication workbook lists only the disputed cells: the unit's text,
the code, each coder's mark and memo, a *decision* dropdown and a note
column.  Its import is as strict as the coding import: every problem at
once, located as file › sheet › cell, and nothing written on rejection.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from . import codebook as cbmod
from . import files, provenance, sheets, spreadsheets, workbooks
from .errors import InputError, where
from .ingest import read_units
from .paths import Paths

COLUMNS = ["unit_id", "code_id", "applied", "basis", "round", "provisional", "decided_in", "note"]
SHEET = "Adjudication"
FIXED = ("unit_id", "code_id", "code", "comment")
DECISION, NOTE = "decision", "note"
#: A decision cell's marks: as a coder's, except that empty means "not decided yet", not "not applied".
DECISION_HELP = (f"{', '.join(sheets.APPLIED_MARKS)} for applied; {', '.join(sheets.NOT_APPLIED_MARKS)} for not "
                 "applied; leave it empty while undecided")
_NAME_SUFFIX = "_adjudication"


def _latest_round(codings: pd.DataFrame) -> pd.DataFrame:
    """For each unit, the codings of the latest round that coded it."""
    last = codings.groupby("unit_id")["round"].max().rename("last")
    return codings.join(last, on="unit_id").query("round == last").drop(columns="last")


def settle(codings: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Final code decisions per unit × code.

    Parameters
    ----------
    codings : pandas.DataFrame
        ``codings.csv`` (one round or several; the latest round per unit is used).
    decisions : pandas.DataFrame, optional
        Adjudicated cells: ``round, unit_id, code_id, applied`` (and
        ``decided_in``, the adjudication file, and ``note``, the adjudicator's
        note).  A row whose ``applied`` is missing carries a note on a cell
        left undecided: the cell stays provisional and keeps the note.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, in unit then code order as in ``codings``.
    """
    latest = _latest_round(codings)
    keys = ["round", "unit_id", "code_id"]
    g = latest.groupby(keys, sort=False)["applied"]
    cells = g.agg(n_coders="size", n_applied="sum").reset_index()
    n, k = cells["n_coders"], cells["n_applied"]
    cells["applied"] = (2 * k > n).astype(int)
    cells["basis"] = "majority"
    cells.loc[(k == 0) | (k == n), "basis"] = "unanimous"
    cells.loc[n == 1, "basis"] = "single coder"
    cells.loc[(2 * k == n) & (n > 1), "basis"] = "tie"
    cells["decided_in"] = ""
    cells["note"] = ""
    disputed = cells["basis"].isin(["majority", "tie"])
    if decisions is not None and len(decisions):
        d = decisions.set_index(keys)
        idx = pd.MultiIndex.from_frame(cells[keys])
        pos = np.flatnonzero(idx.isin(d.index) & disputed.to_numpy())
        looked = d.reindex(idx[pos])
        decided = looked["applied"].notna().to_numpy()
        hit = cells.index[pos[decided]]
        cells.loc[hit, "applied"] = looked["applied"].to_numpy()[decided].astype(int)
        cells.loc[hit, "basis"] = "adjudicated"
        cells.loc[hit, "decided_in"] = looked["decided_in"].to_numpy()[decided] if "decided_in" in looked else ""
        if "note" in looked:
            cells.loc[cells.index[pos], "note"] = looked["note"].fillna("").astype(str).to_numpy()
    cells["provisional"] = cells["basis"].isin(["majority", "tie"])
    return cells[COLUMNS].reset_index(drop=True)


def superseded(codings: pd.DataFrame, decisions: pd.DataFrame | None) -> list[str]:
    """Decisions and notes that :func:`settle` does not use because their units were coded again later.

    The consensus follows each unit's latest round, so an adjudication of an
    earlier round's cell no longer decides anything; it must not vanish
    without a word.  One message per adjudication file and round.
    """
    if decisions is None or not len(decisions):
        return []
    latest = _latest_round(codings)[["round", "unit_id"]].drop_duplicates()
    merged = decisions.merge(latest, on=["round", "unit_id"], how="left", indicator=True)
    gone = merged[merged["_merge"] == "left_only"].assign(decided_in=lambda d: d.get("decided_in", ""))
    out = []
    for (file, rnd), grp in gone.groupby(["decided_in", "round"], sort=True):
        noted = int((grp["note"].fillna("").astype(str) != "").sum()) if "note" in grp else 0
        out.append(f"{file or 'an adjudication'}: {grp['applied'].notna().sum()} decision(s) and {noted} note(s) "
                   f"on round '{rnd}' are not used: their {grp['unit_id'].nunique()} unit(s) were coded again in a "
                   "later round, whose coding the consensus follows; adjudicate the later round")
    return out


def disputed_cells(codings: pd.DataFrame, round_: str) -> pd.DataFrame:
    """Unit × code cells of ``round_`` on which the coders disagreed (with who marked what)."""
    sub = codings[codings["round"] == round_]
    if sub.empty:
        raise InputError(f"round '{round_}': no codings imported (have {', '.join(sorted(codings['round'].unique())) or 'none'})")
    g = sub.groupby(["unit_id", "code_id"], sort=False)["applied"]
    stats = g.agg(n="size", k="sum").reset_index()
    split = stats[(stats["k"] > 0) & (stats["k"] < stats["n"])][["unit_id", "code_id"]]
    return sub.merge(split, on=["unit_id", "code_id"])


def export(paths: Paths | None = None, round_: str = "round-1", out: str | Path | None = None,
           illustrative: bool = False) -> Path:
    """Stage: write the adjudication workbook for ``round_`` (only disputed cells).

    Returns the workbook's path (default ``exports/<round>/<round>_adjudication.xlsx``).
    """
    paths = paths or Paths.from_root()
    sheets.check_name("round", round_)
    codings = sheets.read_codings(paths)
    rounds = sheets.read_rounds(paths)
    units = read_units(paths.units).set_index("unit_id")
    version = rounds.loc[rounds["round"] == round_, "codebook_version"]
    book = cbmod.find(paths, version.iloc[0] if len(version) else None)
    labels = {c["id"]: c["label"] for c in book.codes}
    split = disputed_cells(codings, round_)
    coders = sorted(split["coder"].unique()) if len(split) else sorted(codings.loc[codings["round"] == round_, "coder"].unique())
    memos = _memos(paths, round_)
    book_ = workbooks.Book()
    ins = book_.sheet("Instructions")
    status = f"{sheets.ILLUSTRATIVE}: example data, not a real adjudication" if illustrative else "for adjudication"
    ins.set_column(0, 0, 16)
    ins.set_column(1, 1, 100)
    for r, (key, text) in enumerate([
            ("compassion_study adjudication workbook", ""), ("Round", round_),
            ("Codebook", f"{book.name} {book.full_version}"), ("Status", status), ("", ""),
            ("How to decide", ""),
            ("1", "Each row is one comment and one code on which the coders disagreed. Unanimous cells are "
                  "already settled and are not listed."),
            ("2", f"Read the comment, each coder's mark and memo, and the codebook; then set '{DECISION}' to 1 "
                  "(the code applies) or 0 (it does not). Explain the decision in the note column if useful."),
            ("3", "A row left without a decision stays provisional (majority view, ties flagged)."),
            ("4", "Return the file to the study team, who will put it in data/raw/consensus/.")]):
        book_.write(ins, r, 0, key, **({"bold": True, "font_size": 14} if r == 0 else {"valign": "top"}))
        flag = {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"} if illustrative and r == 3 else {}
        book_.write(ins, r, 1, text, text_wrap=True, valign="top", **flag)
        if r:
            ins.set_row(r, sheets.row_height([(text, 100, 11)]))
    workbooks.protect(ins)

    sheets._codebook_sheet(book_, book)
    ws = book_.sheet(SHEET)
    pairs = split[["unit_id", "code_id"]].drop_duplicates()
    # row 1 in two cells that have room (A, and the wide comment column D): "key: value" pairs
    meta = {"italic": True, "font_color": "#444444"}
    book_.write(ws, 0, 0, f"round: {round_}", **meta)
    book_.write(ws, 0, 3, f"codebook: {book.full_version} · cells: {len(pairs)} · status: "
                          f"{sheets.ILLUSTRATIVE if illustrative else 'adjudication'}",
                **({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"} if illustrative else meta))
    # the decision sits right after the coders' marks, so that comment, marks and decision are in view together
    header = [*FIXED, *[f"mark {c}" for c in coders], DECISION, NOTE, *[f"memo {c}" for c in coders], sheets.CHECK]
    book_.write_row(ws, 1, header, bold=True, text_wrap=True, valign="bottom")
    ws.set_row(1, 30)
    n_fixed, n_c = len(FIXED), len(coders)
    dec_col = n_fixed + n_c
    last = 1 + len(pairs)  # 0-based
    widths = [13, 16, 20, 50] + [7] * n_c + [9, 30] + [30] * n_c + [18]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    # plain dicts: a lookup per cell in a pandas index costs more than writing the cell
    marks = dict(zip(zip(split["unit_id"], split["code_id"], split["coder"]), split["applied"]))
    text_of = dict(zip(units.index, units["text"]))
    for k, (uid, cid) in enumerate(pairs.itertuples(index=False)):
        row = [uid, cid, labels.get(cid, cid), text_of[uid]]
        row += [marks.get((uid, cid, c), "") for c in coders]
        row += [None, None] + [memos.get((c, uid), "") for c in coders]
        row += [f"{uid} {cid}"]  # check: moves with the decisions if they are sorted alone
        fill = {"bg_color": "#" + sheets.stripe(k), "valign": "top"}
        for j, value in enumerate(row):
            editable = {"locked": False} if dec_col <= j <= dec_col + 1 or j == len(header) - 1 else {}
            wrap = {"text_wrap": True} if j < len(header) - 1 else {}  # the check never wraps
            book_.write(ws, 2 + k, j, value, **fill, **editable, **wrap)
        ws.set_row(2 + k, sheets.row_height((v, widths[j], 11) for j, v in enumerate(row) if j != len(header) - 1))
    if len(pairs):
        ws.data_validation(2, dec_col, last, dec_col, {
            "validate": "list", "source": list(sheets.MARK_CHOICES), "ignore_blank": True, "error_type": "stop",
            "error_title": "Decision", "error_message": f"1 = the code applies, 0 = it does not ({DECISION_HELP})."})
    ws.freeze_panes(2, 4)  # id, code and comment stay in view beside the marks and the decision
    workbooks.print_setup(ws, landscape=True, title_rows=(0, 1))
    ws.autofilter(1, 0, max(last, 1), len(header) - 1)
    workbooks.protect(ws, filter_and_resize=True)
    target = Path(out) if out else paths.exports / round_ / f"{round_}{_NAME_SUFFIX}{'_' + sheets.ILLUSTRATIVE if illustrative else ''}.xlsx"
    book_.save(target)
    if paths.contains(target):  # an --out elsewhere writes only there
        provenance.record(paths, f"consensus-export:{round_}", inputs=[paths.codings, paths.units], outputs=[target],
                          parameters={"round": round_, "cells": int(len(pairs))}, codebook_version=book.full_version)
    return target


def _memos(paths: Paths, round_: str) -> dict[tuple[str, str], str]:
    path = paths.processed / "memos.csv"
    if not path.is_file():
        return {}
    m = files.read_csv(path, text=("round", "coder", "unit_id", "memo"))
    m = m[m["round"] == round_]
    return {(r.coder, r.unit_id): r.memo for r in m.itertuples(index=False)}


def read_adjudication(path: Path, codings: pd.DataFrame, texts: dict[str, str], round_: str | None = None
                      ) -> tuple[pd.DataFrame, list[str]]:
    """Check a returned adjudication workbook; return its decisions and every problem found.

    ``texts`` maps unit ids to their comment text (edited text is an error).
    """
    label = path.name
    problems: list[str] = []
    try:
        found = _adjudication_tabs(path)
    except InputError as exc:
        return pd.DataFrame(), exc.problems
    if found is None:
        return pd.DataFrame(), [f"{label}: has no '{SHEET}' sheet"]
    grid, colours = found
    at = lambda r, c: where(label, SHEET, sheets.cell(r, c))  # noqa: E731
    if len(grid) < 2:
        return pd.DataFrame(), [f"{where(label, SHEET)}: sheet is empty or truncated (no header row)"]
    meta = [spreadsheets.as_text(v).strip() for v in grid[0]]
    info = sheets.row_one(meta, ("round", "codebook", "cells", "status"))
    if "round" not in info:
        return pd.DataFrame(), [f"{where(label, SHEET, 'row 1')}: missing round; row 1 must be the exported 'round …' line"]
    rnd, rcol = info["round"]
    if not sheets.valid_name(rnd):
        return pd.DataFrame(), [f"{at(0, rcol)}: '{rnd}' is not a valid round name (1-20 letters, digits or '-')"]
    if round_ and rnd != round_:
        problems.append(f"{at(0, rcol)}: sheet is for round '{rnd}', but it is being imported as round '{round_}'")
    header = [spreadsheets.as_text(v).strip() for v in grid[1]]
    while header and header[-1] == "":
        header.pop()
    col = {h: j for j, h in enumerate(header)}
    absent = [h for h in ("unit_id", "code_id", "comment", DECISION) if h not in col]
    if absent:
        return pd.DataFrame(), problems + [f"{where(label, SHEET, 'row 2')}: missing column(s) {', '.join(absent)}"]
    sub = codings[codings["round"] == rnd]
    if sub.empty:
        return pd.DataFrame(), problems + [f"{at(0, rcol)}: round '{rnd}' has no imported codings"]
    split = disputed_cells(codings, rnd)
    wanted = set(zip(split["unit_id"], split["code_id"]))
    seen: dict[tuple[str, str], int] = {}
    rows = []
    width = len(header) + 1
    by_check: list[int] = []
    by_stripe: list[int] = []
    unlocked = [col[k] for k in (DECISION, NOTE, sheets.CHECK) if k in col]
    for r in range(2, len(grid)):
        row = list(grid[r][:width]) + [None] * (width - len(grid[r]))
        value = row.__getitem__
        uid = spreadsheets.as_text(value(col["unit_id"])).strip()
        cid = spreadsheets.as_text(value(col["code_id"])).strip()
        raw = value(col[DECISION])
        raw_note = value(col[NOTE]) if NOTE in col else None
        decided = bool(spreadsheets.as_text(raw).strip())
        noted = bool(spreadsheets.as_text(raw_note).strip())
        if not uid and not cid:
            if decided:
                problems.append(f"{at(r, col[DECISION])}: decision on a row with no unit_id")
            if noted:
                problems.append(f"{at(r, col[NOTE])}: note on a row with no unit_id; move it to the row of "
                                "its unit and code")
            continue
        key = (uid, cid)
        if key not in wanted:
            if not decided and not noted:
                continue  # an undecided row the codings no longer dispute carries nothing
            what = "decisions" if decided else "notes"
            problems.append(f"{at(r, col['unit_id'] if decided else col[NOTE])}: unit '{uid}' × code '{cid}' is not "
                            f"a disputed cell of round '{rnd}': the codings changed after this workbook was exported "
                            f"(or the row was edited); export a new adjudication workbook and copy the {what} across")
            continue
        if key in seen:
            problems.append(f"{at(r, col['unit_id'])}: unit '{uid}' × code '{cid}' appears twice (also row {seen[key] + 1})")
            continue
        seen[key] = r
        if sheets.CHECK in col and spreadsheets.as_text(value(col[sheets.CHECK])).strip() != f"{uid} {cid}":
            by_check.append(r)
        if colours is not None and r < len(colours) and sheets.moved_stripe(r - 2, colours[r], unlocked):
            by_stripe.append(r)
        shown = value(col["comment"])
        if isinstance(shown, spreadsheets.Formula) or spreadsheets.as_text(shown) != texts.get(uid):
            problems.append(f"{at(r, col['comment'])}: comment text of unit '{uid}' was edited; restore the original text")
        note = ""
        if isinstance(raw_note, spreadsheets.Formula):
            problems.append(f"{at(r, col[NOTE])}: the note was typed as a formula ({str(raw_note)[:40]}), which the "
                            f"spreadsheet turns into an error value; type it as text, starting with an apostrophe "
                            f"('{str(raw_note)[:40]})")
        elif noted:
            note = sheets._memo_text(raw_note)
            bad = sheets._CONTROL.search(note)
            if bad:
                problems.append(f"{at(r, col[NOTE])}: note holds control character U+{ord(bad.group()):04X}; delete it")
        mark = None if isinstance(raw, spreadsheets.Formula) else sheets.parse_mark(raw)
        text = spreadsheets.as_text(raw).strip()
        if mark is None:
            what = f"a formula ({str(raw)[:40]})" if isinstance(raw, spreadsheets.Formula) else f"'{text}'"
            problems.append(f"{at(r, col[DECISION])}: decision {what} is not a documented mark ({DECISION_HELP})")
            continue
        if text or note:  # a row without a decision stays provisional, and keeps its note
            rows.append((rnd, uid, cid, int(mark) if text else None, note))
    moved = sheets.moved_marks(label, SHEET, by_check, by_stripe, what="decisions")
    if moved:
        return pd.DataFrame(), problems + moved
    out = pd.DataFrame(rows, columns=["round", "unit_id", "code_id", "applied", "note"])
    out["applied"] = out["applied"].astype("Int64")
    out["decided_in"] = label
    return out, problems


def _adjudication_tabs(path: Path) -> tuple[list[list[object]], list[list[str | None]] | None] | None:
    """The Adjudication sheet of an .xlsx/.ods (or a CSV of it) as a grid, with its cell fills (None for CSV)."""
    return sheets.read_grid(path, SHEET)


def run(paths: Paths | None = None, inputs: Iterable[str | Path] | None = None, round_: str | None = None) -> pd.DataFrame:
    """Stage: codings (+ returned adjudications) -> ``consensus.csv``.

    Parameters
    ----------
    inputs : iterable of path-like, optional
        Adjudication workbooks (default: every file in ``data/raw/consensus/``).
    round_ : str, optional
        Check that each workbook is for this round.

    Raises
    ------
    InputError
        With every problem in every adjudication file; nothing is written.
    """
    paths = paths or Paths.from_root()
    if round_ is not None:
        sheets.check_name("round", round_)
    codings = sheets.read_codings(paths)
    texts = dict(read_units(paths.units)[["unit_id", "text"]].itertuples(index=False))
    sources = sheets.expand(inputs if inputs else ([paths.consensus_raw] if paths.consensus_raw.is_dir() else []))
    decided, problems = [], []
    for path in sources:
        d, p = read_adjudication(Path(path), codings, texts, round_)
        decided.append(d)
        problems.extend(p)
    decided = [d for d in decided if len(d)]
    if decided:
        both = pd.concat(decided, ignore_index=True)
        dup = both[both.duplicated(["round", "unit_id", "code_id"], keep=False)]
        for (rnd, uid, cid), grp in dup.groupby(["round", "unit_id", "code_id"]):
            how = "decided" if grp["applied"].notna().sum() > 1 else "decided or noted"
            problems.append(f"round '{rnd}': unit '{uid}' × code '{cid}' is {how} in several files "
                            f"({', '.join(sorted(set(grp['decided_in'])))})")
    if problems:
        raise InputError(problems, summary=f"consensus import rejected: {len(problems)} problem(s); nothing was written:")
    decisions = pd.concat(decided, ignore_index=True) if decided else None
    final = settle(codings, decisions)
    final.attrs["warnings"] = superseded(codings, decisions)
    files.write_csv(final, paths.consensus)
    provenance.record(paths, "consensus", inputs=[paths.codings, paths.units, *sources], outputs=[paths.consensus],
                      parameters={"round": round_, "adjudications": len(sources),
                                  "provisional_cells": int(final["provisional"].sum()),
                                  "notes": int((final["note"] != "").sum()),
                                  "set_aside": final.attrs["warnings"]})
    return final


def read_consensus(paths: Paths) -> pd.DataFrame:
    """``consensus.csv`` (run ``compassion-study consensus import`` first)."""
    if not paths.consensus.is_file():
        raise InputError(f"{paths.relative(paths.consensus)}: not found; run 'compassion-study consensus import' first")
    return files.read_csv(paths.consensus, text=("unit_id", "code_id", "basis", "round", "decided_in", "note"))


def status_note(consensus: pd.DataFrame) -> str:
    """One sentence on how final the consensus is, for every place it is shown."""
    counts = consensus["basis"].value_counts().to_dict()
    parts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    if consensus["provisional"].astype(bool).any():
        ties = counts.get("tie", 0)
        return (f"PROVISIONAL: no adjudication has been returned for {int(consensus['provisional'].sum())} disputed "
                f"cells, so they follow the majority of coders ({ties} ties, counted as not applied, are flagged). "
                f"Cells: {parts}.")
    if (consensus["basis"] == "adjudicated").any():
        return f"Final consensus: every disputed cell was adjudicated. Cells: {parts}."
    if (consensus["basis"] == "single coder").all():
        return f"Not a consensus: every unit was coded by one coder only, so there was nothing to reconcile. Cells: {parts}."
    return f"Final consensus: the coders agreed on every cell, so nothing needed adjudication. Cells: {parts}."


def adjudication_outcomes(consensus: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """Whose marks prevailed: per round and coder, the adjudicated cells where the decision matched their mark.

    Parameters
    ----------
    consensus : pandas.DataFrame
        ``consensus.csv``.
    codings : pandas.DataFrame
        ``codings.csv`` (long: round, coder, unit_id, code_id, applied).

    Returns
    -------
    pandas.DataFrame
        ``round, coder, adjudicated, upheld, overruled``: one row per coder
        who marked an adjudicated cell (empty when nothing was adjudicated).
    """
    cols = ["round", "coder", "adjudicated", "upheld", "overruled"]
    decided = consensus.loc[consensus["basis"] == "adjudicated", ["round", "unit_id", "code_id", "applied"]]
    if decided.empty:
        return pd.DataFrame(columns=cols)
    marks = codings[["round", "coder", "unit_id", "code_id", "applied"]].dropna(subset=["applied"])
    both = decided.merge(marks, on=["round", "unit_id", "code_id"], suffixes=("_decision", "_mark"))
    both["upheld"] = (both["applied_decision"].astype(int) == both["applied_mark"].astype(int)).astype(int)
    out = both.groupby(["round", "coder"], sort=True).agg(adjudicated=("upheld", "size"), upheld=("upheld", "sum"))
    out["overruled"] = out["adjudicated"] - out["upheld"]
    return out.reset_index()[cols]


def read_memos(paths: Paths) -> pd.DataFrame:
    """``memos.csv`` (round, coder, unit_id, memo); empty when no coder wrote one."""
    path = paths.processed / "memos.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["round", "coder", "unit_id", "memo"])
    return files.read_csv(path, text=("round", "coder", "unit_id", "memo"))


def disputed_table(consensus: pd.DataFrame, codings: pd.DataFrame, units: pd.DataFrame,
                   memos: pd.DataFrame) -> pd.DataFrame:
    """Every cell the coders disagreed on, with the unit's text, who marked what, the decision, the
    adjudicator's note and the coders' memos.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, unit_id, text, applied_by, not_applied_by, decision, basis, note, memos``, in document
        order; ``note`` is the adjudicator's note on the cell (``consensus.csv``), ``memos`` joins every
        coder's memo on the unit as ``coder: memo``.
    """
    cols = ["round", "code_id", "unit_id", "text", "applied_by", "not_applied_by", "decision", "basis", "note", "memos"]
    cells = consensus[consensus["basis"].isin(["adjudicated", "majority", "tie"])]
    if cells.empty:
        return pd.DataFrame(columns=cols)
    marks = codings.dropna(subset=["applied"]).merge(cells[["round", "unit_id", "code_id"]],
                                                     on=["round", "unit_id", "code_id"])
    marks = marks.sort_values("coder", kind="stable")
    who = marks.groupby(["round", "unit_id", "code_id", "applied"])["coder"].agg(", ".join).unstack("applied")
    who = who.rename(columns={1: "applied_by", 0: "not_applied_by"}).reindex(columns=["applied_by", "not_applied_by"])
    notes = memos.sort_values("coder", kind="stable").assign(line=lambda m: m["coder"] + ": " + m["memo"])
    notes = notes.groupby(["round", "unit_id"])["line"].agg(" | ".join).rename("memos")
    out = cells.merge(who.reset_index(), on=["round", "unit_id", "code_id"], how="left")
    out = out.merge(notes.reset_index(), on=["round", "unit_id"], how="left")
    order = units.reset_index(drop=True).reset_index().set_index("unit_id")
    out = out.assign(text=out["unit_id"].map(order["text"]), _pos=out["unit_id"].map(order["index"]),
                     decision=out["applied"].map({1: "applied", 0: "not applied"}))
    out = out.sort_values(["round", "_pos", "code_id"], kind="stable")
    if "note" not in out.columns:  # a consensus.csv written before notes were kept
        out["note"] = ""
    return out[cols].fillna({"applied_by": "", "not_applied_by": "", "note": "", "memos": ""}).reset_index(drop=True)
