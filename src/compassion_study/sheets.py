"""Sheets: coding workbooks for coders, and reading what they return.

Export
    One ``.xlsx`` per coder (blind coding) or one shared workbook with a
    ``Coding <coder>`` tab per coder.  Sheets: *Instructions*, *Codebook*,
    *Coding* (and a hidden *Assignment* listing the units each coder was
    given).  Row 1 of every Coding sheet carries the round, coder, codebook
    version, number of units and status, so that even a single tab downloaded
    as CSV says what it is.  Row 2 is the header; one row per unit follows.
    Text that a spreadsheet would evaluate is written as a literal string with
    Excel's quote prefix (formula injection; OWASP "CSV Injection").

Import
    ``.xlsx`` and ``.ods`` (streamed by :mod:`compassion_study.spreadsheets`,
    formulas seen as formulas) and ``.csv`` (one tab as
    Google Sheets downloads it; comma, semicolon or tab separated; UTF-8 with
    or without BOM, or Windows-1252 where the bytes cannot be UTF-8).  Units
    are matched by ``unit_id``, never by row.  Every problem in every file is
    collected, located as ``file › sheet › cell``, and raised together; a
    rejected import writes nothing.

Marks
    Applied: ``1``, ``x``, ``✓``, ``✔``, ``y``, ``yes``, ``true``.  Not
    applied: empty, ``0``, ``n``, ``no``, ``false`` (any case).  A row with no
    applied mark and no "no code applies" is *not coded yet* (missing: no rows
    in ``codings.csv``); "no code applies" is a real answer (every code 0).
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import codebook as cbmod
from . import files, provenance, workbooks
from .errors import InputError, where
from .ingest import read_units
from .spreadsheets import column_letter, office_kind, read_ods, xlsx_sheets
from .spreadsheets import Formula as _Formula
from .spreadsheets import as_text as _as_text
from .paths import Paths

#: The documented marks (any case), in the order the dropdown and the help list them: one list for the
#: dropdown, the import, the "coded" conditional formatting, the Instructions sheet and docs/coding.md.
APPLIED_MARKS = ("1", "x", "✓", "✔", "y", "yes", "true")
NOT_APPLIED_MARKS = ("0", "n", "no", "false")
APPLIED = frozenset(APPLIED_MARKS)
NOT_APPLIED = frozenset({"", *NOT_APPLIED_MARKS})
MARKS_HELP = (f"{', '.join(APPLIED_MARKS[:-1])} or {APPLIED_MARKS[-1]} for applied; "
              f"empty, {', '.join(NOT_APPLIED_MARKS[:-1])} or {NOT_APPLIED_MARKS[-1]} for not applied")
#: The dropdown of a mark cell: every documented mark, so that none typed asks whether to keep it.
MARK_CHOICES = APPLIED_MARKS + NOT_APPLIED_MARKS

#: The locked columns of a Coding sheet, in their order: the id and the comment are frozen at the left, the
#: comment's place in the notes follows in narrower columns that scroll away to make room for the codes.
FIXED = ("unit_id", "comment", "prompt", "section", "theme")
#: Width (characters) of each column of a Coding sheet: fixed, each code, "no code applies", memo, check.
WIDTHS = {"unit_id": 14, "comment": 55, "prompt": 20, "section": 12, "theme": 16, "code": 5.5, "memo": 36, "check": 13}
#: A code's header: its label, then its id in brackets (the import reads the id).
_CODE_HEADER = re.compile(r"^.*\(([A-Za-z0-9_-]+)\)$", re.DOTALL)
NO_CODE = "no code applies"
MEMO = "memo"
#: Last column of a Coding sheet: each row's unit id again, unlocked, so that it moves with the marks if a coder
#: sorts the mark columns on their own; the import compares it with the (locked) unit_id column.
CHECK = "check"
#: Fill colours of the unit rows, row ``k`` (0-based from the first unit row) taking ``STRIPES[k % 14]``: white
#: and pale blue alternate, which makes a wide row easy to follow, and each is one of seven shades a unit of RGB
#: apart, which no eye tells apart (white FFFFFF, FEFFFF, ...; blue EAF1F8, EBF1F8, ...).  As spreadsheets move a
#: cell's fill with its value, a mark sorted or moved away from its row carries another row's shade, unless it
#: moved by a multiple of 14 rows: a sort that swaps two rows of one colour (rows 3 and 5) shows too.
STRIPES = tuple(c for pair in zip(("FFFFFF", "FEFFFF", "FFFEFF", "FFFFFE", "FEFEFF", "FFFEFE", "FEFFFE"),
                                  ("EAF1F8", "EBF1F8", "EAF2F8", "EAF1F9", "EBF2F8", "EAF2F9", "EBF1F9"))
                for c in pair)
_STRIPE_SET = frozenset(STRIPES)


def stripe(k: int) -> str:
    """The fill colour (``RRGGBB``) of unit row ``k`` (0-based from the first unit row)."""
    return STRIPES[k % len(STRIPES)]


def moved_stripe(k: int, shades: Sequence[str | None], columns: Iterable[int]) -> bool:
    """Whether a cell of unit row ``k`` among ``columns`` carries another row's stripe (cells the coder
    filled some other way, or not at all, say nothing)."""
    own = stripe(k)
    return any(j < len(shades) and shades[j] != own and shades[j] in _STRIPE_SET for j in columns)

META_ROW, HEADER_ROW = 1, 2  # 1-based spreadsheet rows
META_KEYS = ("round", "coder", "codebook", "units", "status")
ILLUSTRATIVE = "ILLUSTRATIVE"

#: Largest returned file read (bytes), and largest uncompressed zip content, for any round: the floors of
#: :func:`size_limits`, which raises both for a study of many units.
MAX_BYTES = 50 * 1024 * 1024
#: returned files larger than this in all are read in two processes (about 7,000 rows of coding)
PARALLEL_BYTES = 1024 * 1024
MAX_UNZIPPED = 500 * 1024 * 1024
#: What one unit row may take beyond its text, in a returned file and unzipped: ids, marks, memo, check, markup
#: (a 100,000-unit round of 16 codes takes about 120 and 750 bytes a row).
ROW_BYTES, ROW_UNZIPPED = 512, 2048
#: Coding tabs one file may hold (a shared workbook has one per coder)
MAX_TABS = 4
#: Ceilings of :func:`size_limits` whatever units.csv holds.
CEILING_BYTES, CEILING_UNZIPPED = 2 * 1024 ** 3, 8 * 1024 ** 3
SUFFIXES = (".xlsx", ".ods", ".csv")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00a0\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
# "<round>_<coder>[_ILLUSTRATIVE]" plus, for one tab saved as CSV, the sheet:
# " - Coding" (Google Sheets' download) or "-Coding" (LibreOffice's export).
_FILE_NAME = re.compile(r"^(?P<round>[A-Za-z0-9-]+?)_(?P<coder>[A-Za-z0-9-]+?)(?:_[A-Za-z0-9-]+?)*"
                        r"(?:(?: - |-)(?P<sheet>Coding(?: [A-Za-z0-9-]+)?))?$")

CODINGS_COLUMNS = ["round", "coder", "unit_id", "code_id", "applied"]
ROUNDS_COLUMNS = ["round", "coder", "source", "sheet", "sha256", "codebook_version", "illustrative", "units_assigned", "units_coded"]
MEMOS_COLUMNS = ["round", "coder", "unit_id", "memo"]


def check_name(kind: str, value: str) -> str:
    """Rounds and coders become file and sheet names: keep them simple."""
    if not valid_name(value):
        raise InputError(f"{kind} '{value}': use 1-20 letters, digits or '-', starting with a letter or digit "
                         "(and not a name Windows reserves, such as con or nul)")
    return value


def valid_name(value: object) -> bool:
    """Whether ``value`` can be a round or coder name: it becomes part of file, folder and sheet names."""
    return isinstance(value, str) and bool(_NAME.match(value)) and not _RESERVED.match(value)


def cell(row0: int, col0: int) -> str:
    """0-based (row, column) -> ``A1`` address."""
    return f"{column_letter(col0)}{row0 + 1}"


# =========================================================================== export


def assign(units: pd.DataFrame, coders: Sequence[str], sample: float | None = None, seed: int = 0) -> pd.DataFrame:
    """Which coder codes which unit.

    Without ``sample`` every coder gets every unit.  With ``sample`` (0-1) a
    double-coded subset is drawn, stratified by prompt (at least one unit per
    prompt, ``round(sample * n)`` otherwise), and given to every coder; the
    other units are shuffled and dealt out in turn, one coder each.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, coder, double_coded`` in unit order, then coder order.
    """
    if len(set(coders)) != len(coders) or not coders:
        raise InputError(f"--coders: give distinct coder names (got {', '.join(coders) or 'none'})")
    ids = units["unit_id"].to_numpy()
    if sample is None:
        double = np.ones(len(ids), dtype=bool)
    else:
        if not 0 < sample <= 1:
            raise InputError(f"--sample {sample}: must be a fraction in (0, 1]")
        rng = np.random.default_rng(seed)
        double = np.zeros(len(ids), dtype=bool)
        for _, idx in units.groupby("prompt", sort=False).indices.items():
            k = max(1, int(round(sample * len(idx))))
            double[rng.permutation(idx)[:k]] = True
        rest = rng.permutation(np.flatnonzero(~double))
    rows = []
    owner = {} if sample is None else {i: coders[j % len(coders)] for j, i in enumerate(rest)}
    for i, uid in enumerate(ids):
        for coder in coders:
            if double[i] or owner.get(i) == coder:
                rows.append((uid, coder, bool(double[i])))
    return pd.DataFrame(rows, columns=["unit_id", "coder", "double_coded"])


def _instructions(book_: workbooks.Book, round_: str, coders: Sequence[str], book: cbmod.Codebook, illustrative: bool,
                  shared: bool) -> None:
    ws = book_.sheet("Instructions")
    first = ("This workbook holds a Coding tab for each coder. Code only on your own tab, and do not look at the "
             "others' tabs or discuss units with other coders until the round is closed." if shared else
             "Code on your own: do not discuss units with other coders until the round is closed.")
    rows = [
        ("compassion_study coding workbook", None),
        ("Round", round_),
        ("Coder" if not shared else "Coders", ", ".join(coders)),
        ("Codebook", f"{book.name} {book.full_version}"),
        ("Status", f"{ILLUSTRATIVE}: example data, not real coding" if illustrative else "for coding"),
        (None, None),
        ("How to code", None),
        ("1", first),
        ("2", "Read the Codebook sheet first. On the Coding sheet, for each comment mark every code that applies "
              "with 1 (or x, ✓ or yes: the dropdown lists them). Leave a code empty when it does not apply. "
              "Hover over a code's name for its short definition."),
        ("3", f"If no code fits, mark 1 in '{NO_CODE}'. A row with nothing marked counts as not coded yet; a row "
              "with 0 in every code counts as no code applies."),
        ("4", "A comment turns green when its row is coded. "
              f"'{NO_CODE}' turns red when a code is marked too: keep one or the other."),
        ("5", "Write anything you were unsure about in the memo column; it is shown at the consensus meeting. "
              "To start a memo with =, + or -, type an apostrophe first ('= see codebook)."),
        ("6", f"Accepted marks: {MARKS_HELP}."),
        ("7", "Do not sort the Coding sheet or move marks between rows: the striped rows and the check column show "
              "the study team when marks have moved away from their comments, and such a file is returned to "
              "you. To copy a mark from another row, paste the value only (Paste Special › Values). Filtering to "
              "hide rows is fine."),
        ("8", "Do not edit the comment text, ids or headers, do not add or delete rows, and do not rename sheets. "
              "The comment columns are protected against accidental edits."),
        ("9", "Save in the same format (or download the Coding tab as CSV from Google Sheets) and return the file "
              f"to the study team, who will put it in data/raw/coding/{round_}/."),
    ]
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 90)
    for r, (key, text) in enumerate(rows):
        if r == 0:
            book_.write(ws, 0, 0, key, bold=True, font_size=14)
            ws.set_row(0, 24)
            continue
        book_.write(ws, r, 0, key, valign="top", bold=r <= 4 or r == 6)
        flag = {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"} if illustrative and r == 4 else {}
        book_.write(ws, r, 1, text, text_wrap=True, valign="top", **flag)
        ws.set_row(r, row_height([(text, 90, 11)]))
    workbooks.print_setup(ws, landscape=False)
    workbooks.protect(ws)


def _codebook_sheet(book_: workbooks.Book, book: cbmod.Codebook) -> None:
    ws = book_.sheet("Codebook")
    table = book.table()
    widths = {"id": 18, "label": 20, "group": 11, "brief": 34, "definition": 50, "use_when": 40,
              "do_not_use_when": 40, "example": 40, "source": 36, "keywords": 30}
    cols = [widths.get(name, 20) for name in table.columns]
    for j, w in enumerate(cols):
        ws.set_column(j, j, w)
    book_.write_row(ws, 0, table.columns, bold=True)
    for r, values in enumerate(table.itertuples(index=False), start=1):
        book_.write_row(ws, r, values, text_wrap=True, valign="top")
        ws.set_row(r, row_height(zip(values, cols, [11] * len(cols))))
    ws.freeze_panes(1, 1)
    workbooks.print_setup(ws, landscape=True, title_rows=(0, 0))
    workbooks.protect(ws)


def code_headers(book: cbmod.Codebook) -> list[str]:
    """Header of each code column: the code's label (its id in brackets where two codes share a label)."""
    labels = [c["label"] for c in book.codes]
    return [c["label"] if labels.count(c["label"]) == 1 else f"{c['label']} ({c['id']})" for c in book.codes]


@functools.lru_cache(maxsize=4096)  # prompt, section and theme repeat on every row of a large sheet
def text_lines(text: object, width: float, size: float = 11) -> int:
    """Lines a wrapped cell needs: its text in a column ``width`` characters wide, at a ``size``-point font.

    Spreadsheets do not grow a row for wrapped text they did not lay out
    themselves (and a protected sheet stops the coder doing it), so every
    row is given its height.  A column of width *w* holds about *w* average
    characters at 11 points; words are not split, so a line is filled word
    by word.  Deliberately generous: a row a little too tall reads well, one
    too short hides words.
    """
    per_line = max(1.0, width * 11 / size * 1.08)
    fits = math.floor(per_line)  # most characters (words and single spaces) a line holds
    lines = 0
    for paragraph in str(text or "").split("\n"):
        if paragraph.isascii() and paragraph.isprintable() and "  " not in paragraph \
                and paragraph[:1] != " " and paragraph[-1:] != " ":
            # words already one space apart (most text): the lines as below, without splitting into words
            n, start = 1, 0
            while len(paragraph) - start > fits:
                cut = paragraph.rfind(" ", start, start + fits + 1)
                if cut < start:
                    break  # a word longer than a line: counted below
                start, n = cut + 1, n + 1
            else:
                lines += n
                continue
        words = paragraph.split()
        joined = " ".join(words)
        if max(map(len, words), default=0) <= fits:
            # each line is the longest run of whole words that fits: one search for its last space
            n, start = 1, 0
            while len(joined) - start > fits:
                start = joined.rfind(" ", start, start + fits + 1) + 1
                n += 1
            lines += n
            continue
        used, n = 0.0, 1
        for word in words:
            need = len(word) + (1 if used else 0)
            if used and used + need > per_line:
                n, used = n + 1, len(word)
            else:
                used += need
            while used > per_line:  # a word longer than the line
                n, used = n + 1, used - per_line
        lines += n
    return max(lines, 1)


def row_height(cells: Iterable[tuple[object, float, float]]) -> float:
    """Row height (points) for cells given as (text, column width, font size): the tallest wrapped cell."""
    return min(409.0, max((text_lines(t, w, size) * size * 1.32 + 4 for t, w, size in cells), default=15.0))


def row_heights(columns: Sequence[Sequence[str]], widths: Sequence[float], sizes: Sequence[float]) -> list[float]:
    """:func:`row_height` of every row of a table given column by column: each distinct text is measured once."""
    tallest = np.full(len(columns[0]) if columns else 0, -np.inf)
    for values, width, size in zip(columns, widths, sizes):
        codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        lines = np.fromiter((text_lines.__wrapped__(t, width, size) for t in distinct), dtype=np.float64,
                            count=len(distinct))
        tallest = np.maximum(tallest, lines[codes] * size * 1.32 + 4)  # the same float steps as row_height
    return np.minimum(409.0, np.where(np.isneginf(tallest), 15.0, tallest)).tolist()


def _coding_sheet(book_: workbooks.Book, name: str, round_: str, coder: str, units: pd.DataFrame,
                  book: cbmod.Codebook, illustrative: bool, bulk: bool = False) -> tuple | None:
    """Lay out one Coding sheet.

    With ``bulk``, most unit rows are left for :func:`_cells_in_bulk` to
    put into the saved XML, and the return value is ``(sheet, the function
    that does it)``; otherwise None.
    """
    ws = book_.sheet(name)
    write = book_.write
    status = ILLUSTRATIVE if illustrative else "coding"
    meta = {"italic": True, "font_color": "#444444"}
    write(ws, 0, 0, f"round: {round_}", **meta)
    write(ws, 0, 1, f"coder: {coder} · codebook: {book.full_version} · units: {len(units)} · status: {status}",
          **({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"} if illustrative else meta))
    ws.set_row(0, 18)

    labels = {c["id"]: c for c in book.codes}
    header = [*FIXED, *code_headers(book), NO_CODE, MEMO, CHECK]
    n_codes, first_code = len(book.ids), len(FIXED)
    no_code, memo, check = first_code + n_codes, first_code + n_codes + 1, first_code + n_codes + 2
    h = HEADER_ROW - 1  # 0-based rows from here on
    widths = [WIDTHS[name] for name in FIXED] + [WIDTHS["code"]] * (n_codes + 1) + [WIDTHS["memo"], WIDTHS["check"]]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    for j, text in enumerate(header):
        if first_code <= j <= no_code:
            write(ws, h, j, text, bold=True, font_size=9, rotation=90, text_wrap=True, valign="bottom", align="center")
        else:
            write(ws, h, j, text, bold=True, text_wrap=True, valign="bottom",
                  **({"font_color": "#888888"} if j == check else {}))
        if first_code <= j < no_code:
            code = labels[book.ids[j - first_code]]
            ws.write_comment(h, j, header_comment(code),
                             {"author": "compassion_study", "width": 300, "height": 110})
    # rotated labels wrap onto two lines of a code column; a line holds about 1 character per 5 points
    ws.set_row(h, min(200.0, max(100.0, 5.2 * max(math.ceil(len(t) / 2) + 2 for t in header[first_code:no_code + 1]))))

    # every cell of a unit row is written with its stripe, so that a sorted or moved block shows;
    # formats are prepared once per stripe and column kind
    def pair(**props):  # a format, and the same with the quote prefix for text that looks like a formula
        return book_.fmt(**props), book_.fmt(quote_prefix=True, **props)

    styles = []
    for colour in STRIPES:
        fill = {"bg_color": "#" + colour, "valign": "top"}
        styles.append((
            pair(text_wrap=True, **fill), pair(text_wrap=True, font_size=9, **fill),
            book_.fmt(align="center", locked=False, left=1, left_color="#9AA5B1", **fill),
            book_.fmt(align="center", locked=False, **fill), book_.fmt(text_wrap=True, locked=False, **fill),
            pair(text_wrap=True, locked=False, font_size=9, font_color="#888888", **fill)))
    sizes = [11, 9, 9, 9]
    columns = [units[c].tolist() for c in ("unit_id", "text", "prompt", "section", "theme")]
    # bulk: most unit rows are not given to XlsxWriter but written into the saved XML (workbooks.rows_into_sheet), with
    # their shared strings counted in the same order as cell by cell.  A format gets its number when a cell
    # first uses it in the saved XML, so a row holding a format no written cell has used yet is written by
    # XlsxWriter, as are the first row, a plain row of each stripe (the pattern of the others), the last, and
    # rows with text XlsxWriter measures or writes as rich text.
    n = len(units)
    if h + n >= workbooks.MAX_ROWS:
        raise InputError(f"{n:,} units do not fit on one sheet ({workbooks.MAX_ROWS - HEADER_ROW:,} rows)")
    heights = row_heights(columns[1:], widths[1:first_code], sizes)
    quoted = [np.fromiter((v[:1] in files.FORMULA_TRIGGERS for v in col), dtype=bool, count=n) for col in columns]
    code = np.arange(n) % len(STRIPES) * 32 + sum(q.astype(np.int64) << j for j, q in enumerate(quoted))  # stripe, quotes

    def formats_of(c: int) -> list:  # the formats of a row's text cells and check cell, from its code
        text, small, *_, check_f = styles[c >> 5]
        return [(text if j < 2 else small)[c >> j & 1] for j in range(len(FIXED))] + [check_f[c & 1]]

    plain = np.ones(n, dtype=bool)
    for col in columns:
        plain &= np.fromiter(map(len, col), dtype=np.int64, count=n) <= workbooks.SHORT_TEXT
        plain &= ~np.fromiter(map(workbooks.rich_looking, col), dtype=bool, count=n)
    full = np.ones(n, dtype=bool)
    period = len(STRIPES)
    patterns = [s + period * int(np.argmax(plain[s::period])) for s in range(min(period, n))]  # by stripe
    if bulk and n > period + 1 and plain[patterns].all():
        full = ~plain
        full[[0, *patterns, n - 1]] = True
        used: set[int] = set()
        for k in np.union1d(np.flatnonzero(full), np.unique(code, return_index=True)[1]).tolist():
            if full[k] or not all(id(f) in used for f in formats_of(int(code[k]))):
                full[k] = True
                used.update(map(id, formats_of(int(code[k]))))
    strings = np.empty((n, len(FIXED) + 1), dtype=object)  # each row's text cells, then its check cell
    for j, col in enumerate(columns):
        strings[:, j] = col
    strings[:, -1] = strings[:, 0]
    index = np.full(strings.shape, -1, dtype=np.int64)  # their shared-string numbers, for rows written below
    sst = book_.wb.str_table
    done = 0
    for k in [*np.flatnonzero(full).tolist(), n]:
        if k > done:  # rows done .. k-1 are written below: their strings are counted here, in order
            index[done:k] = workbooks.count_strings(sst, strings[done:k].ravel()).reshape(k - done, -1)
        if k == n:
            break
        r = h + 1 + k
        text, small, first_mark, mark, memo_f, check_f = styles[k % period]
        formats = formats_of(int(code[k]))
        for j, value in enumerate(strings[k, :-1]):
            if workbooks.write_text(ws, r, j, value, formats[j]) == -2:
                raise InputError(f"unit {strings[k, 0]}: text longer than a cell's 32,767 characters")
        ws.write_blank(r, first_code, None, first_mark)
        for j in range(first_code + 1, memo):
            ws.write_blank(r, j, None, mark)
        ws.write_blank(r, memo, None, memo_f)
        workbooks.write_text(ws, r, check, strings[k, 0], formats[-1])
        ws.set_row(r, heights[k])
        done = k + 1
    last = h + len(units)  # 0-based last unit row
    if len(units):
        ws.data_validation(h + 1, first_code, last, no_code, {
            "validate": "list", "source": list(MARK_CHOICES), "ignore_blank": True, "error_type": "warning",
            "error_title": "Mark", "error_message": f"Use 1 when the code applies and leave it empty otherwise "
                                                    f"({MARKS_HELP})."})
        # a finished row shows in its comment; a code marked together with "no code applies" shows in red
        r0 = HEADER_ROW + 1
        codes_ = f"${column_letter(first_code)}{r0}:${column_letter(no_code - 1)}{r0}"
        applied = "+".join(f'COUNTIF({{rng}},"{m}")' for m in APPLIED_MARKS)
        # coded: a code or "no code applies" marked, or every code filled in (0s in every code: no code applies)
        done = (f"OR(({applied.format(rng=codes_)}+{applied.format(rng=f'${column_letter(no_code)}{r0}')})>0,"
                f"COUNTBLANK({codes_})=0)")
        clash = f"AND(({applied.format(rng=codes_)})>0,({applied.format(rng=f'${column_letter(no_code)}{r0}')})>0)"
        ws.conditional_format(h + 1, 1, last, 1, {"type": "formula", "criteria": "=" + done,
                                                   "format": book_.fmt(bg_color="#D9EAD3")})
        ws.conditional_format(h + 1, no_code, last, no_code, {"type": "formula", "criteria": "=" + clash,
                                                               "format": book_.fmt(bg_color="#F4B6B6")})
    ws.freeze_panes(HEADER_ROW, 2)  # id and comment stay in view; everything else scrolls
    workbooks.print_setup(ws, landscape=True, title_rows=(0, h))
    ws.autofilter(h, 0, max(last, h), len(header) - 1)
    workbooks.protect(ws, filter_and_resize=True)
    if not full.all():
        for k in patterns:  # the pattern rows (plain text: stored as it is)
            index[k] = [sst.string_table.get(v, -1) for v in strings[k]]
        first = h + 2  # the first unit row's number in the sheet's XML
        later = (first + np.flatnonzero(~full)).tolist()
        return ws, functools.partial(workbooks.rows_into_sheet, maker=functools.partial(
            _unit_rows, first=first, heights=heights, code=code, index=index, formats_of=formats_of,
            cells=[column_letter(j) for j in [*range(first_code), check]],
            blank=(column_letter(first_code), column_letter(check)), patterns=[first + k for k in patterns]),
            pattern=tuple(first + k for k in patterns), later=later)
    return None


def workbook_bytes(round_: str, assignments: dict[str, pd.DataFrame], book: cbmod.Codebook,
                   illustrative: bool = False, bulk: bool = True) -> bytes:
    """One coding workbook holding a Coding tab per coder in ``assignments``, as bytes.

    One coder gives a *Coding* sheet; several give ``Coding <coder>`` sheets
    (the shared workbook).  Identical inputs give identical bytes, and
    ``bulk`` (most cells of the unit rows put in by :func:`_cells_in_bulk`,
    several times faster for a large round) gives the same bytes as writing
    every cell through XlsxWriter.
    """
    with files.collector_paused():
        if bulk:
            try:
                return _workbook_bytes(round_, assignments, book, illustrative, bulk=True)
            except RuntimeError:  # XlsxWriter lays sheets out otherwise (another version): write every cell instead
                pass
        return _workbook_bytes(round_, assignments, book, illustrative, bulk=False)


def _workbook_bytes(round_: str, assignments: dict[str, pd.DataFrame], book: cbmod.Codebook,
                    illustrative: bool, bulk: bool) -> bytes:
    book_ = workbooks.Book()
    shared = len(assignments) > 1
    _instructions(book_, round_, list(assignments), book, illustrative, shared)
    _codebook_sheet(book_, book)
    spliced = []
    for coder, units in assignments.items():
        spliced.append(_coding_sheet(book_, f"Coding {coder}" if shared else "Coding", round_, coder, units, book,
                                     illustrative, bulk))
    hidden = book_.sheet("Assignment")
    book_.write_row(hidden, 0, ["coder", "unit_id"])
    # as on the Coding sheets: most rows go into the XML afterwards; the first is the pattern, the last sets
    # the sheet's dimensions, and rows with a format not used yet or unusual text are XlsxWriter's
    pairs = np.empty((sum(len(units) for units in assignments.values()), 2), dtype=object)
    pairs[:, 0] = [coder for coder, units in assignments.items() for _ in range(len(units))]
    pairs[:, 1] = [uid for units in assignments.values() for uid in units["unit_id"]]
    n = len(pairs)
    formats = (book_.fmt(), book_.fmt(quote_prefix=True))  # the formats Book.write gives text
    quoted = [np.fromiter((type(v) is str and v[:1] in files.FORMULA_TRIGGERS for v in col), dtype=bool, count=n)
              for col in pairs.T]
    code = quoted[0].astype(np.int64) + 2 * quoted[1]
    plain = np.fromiter((type(a) is str and type(b) is str and max(len(a), len(b)) <= workbooks.SHORT_TEXT
                         and not workbooks.rich_looking(a) and not workbooks.rich_looking(b) for a, b in pairs),
                        dtype=bool, count=n)
    full = np.ones(n, dtype=bool)
    if bulk and n > 2 and plain[0]:
        full = ~plain
        full[[0, n - 1]] = True
        used: set[int] = set()
        for k in np.union1d(np.flatnonzero(full), np.unique(code, return_index=True)[1]).tolist():
            cells = [formats[code[k] >> j & 1] for j in (0, 1)]
            if full[k] or not all(id(f) in used for f in cells):
                full[k] = True
                used.update(map(id, cells))
    index = np.full(pairs.shape, -1, dtype=np.int64)
    sst = book_.wb.str_table
    done = 0
    for k in [*np.flatnonzero(full).tolist(), n]:
        if k > done:
            index[done:k] = workbooks.count_strings(sst, pairs[done:k].ravel()).reshape(k - done, 2)
        if k == n:
            break
        book_.write_row(hidden, k + 1, list(pairs[k]))
        done = k + 1
    hidden.hide()
    workbooks.protect(hidden)
    if not full.all():
        index[0] = [sst.string_table.get(v, -1) for v in pairs[0]]  # the pattern row (plain text)
        spliced.append((hidden, functools.partial(workbooks.rows_into_sheet, maker=functools.partial(
            workbooks.text_rows, code=code, index=index, formats=formats), pattern=(2,), later=(2 + np.flatnonzero(~full)).tolist())))
    sheets_in_order = book_.wb.worksheets()
    parts = {f"xl/worksheets/sheet{sheets_in_order.index(ws) + 1}.xml": put for ws, put in filter(None, spliced)}
    if parts:  # the shared strings too are written below, most of them in bulk
        parts["xl/sharedStrings.xml"] = functools.partial(workbooks.strings_into, strings=workbooks.take_strings(book_.wb))
    data = book_.getvalue()  # small: the rows and strings most of the package holds are put in below
    return _cells_in_bulk(data, parts) if parts else data


def _cells_in_bulk(data: bytes, parts: dict[str, Callable[[bytes], Iterable[bytes]]]) -> bytes:
    """Put the rows left out of Coding and Assignment sheets into the saved workbook, and compress it.

    XlsxWriter spends about 8 µs of Python on each cell it writes, and a
    100,000-unit Coding sheet has 2.4 million.  Most rows of the unit
    table are instead written here as XML from their parts: the row's
    number and height, each text cell's format number and shared-string
    index, and the blank cells (codes, "no code applies", memo) copied from
    the first unit rows, one of each stripe.  ``parts`` maps a sheet's
    XML part to the function that puts its rows in.  The result is byte for
    byte the workbook written cell by cell
    (``test_workbooks_written_in_bulk_are_the_cell_by_cell_bytes``), and
    every run checks its rows against the rows XlsxWriter wrote: anything
    unexpected raises instead of writing a different workbook.
    """
    return workbooks.deflated(data, parts)


def _unit_rows(written: dict[int, bytes], first: int, heights: list[float], code: np.ndarray, index: np.ndarray,
               formats_of: Callable[[int], list], cells: list[str], blank: tuple[str, str],
               patterns: Sequence[int]) -> Callable[[int], str]:
    """Unit rows of a Coding sheet as XlsxWriter writes them; ``patterns`` (row numbers, one of each of the
    :data:`STRIPES` in their order) are the pattern.

    Row ``first + k`` has height ``heights[k]``, the formats
    ``formats_of(code[k])`` and the shared strings ``index[k]`` in its text
    cells (column letters ``cells``, the check cell last).  ``blank`` is the
    first blank column and the check column: the blank cells are the
    pattern rows' own (one per stripe), with the row number changed; the
    spans are the first row's.
    """
    spans = re.match(rb'<row r="\d+" spans="(\d+:\d+)"', written.get(first, b""))
    if spans is None:
        raise RuntimeError("bulk workbook: the first unit row has no spans")
    blanks = []
    for pattern in patterns:
        row = written.get(pattern, b"")
        i, j = row.find(f'<c r="{blank[0]}{pattern}"'.encode()), row.find(f'<c r="{blank[1]}{pattern}"'.encode())
        if not 0 <= i < j:
            raise RuntimeError(f"bulk workbook: row {pattern}'s blank cells not found")
        blanks.append(re.sub(r'(<c r="[A-Z]{1,3})' + str(pattern) + '"', r"\1{0}" + '"',
                             row[i:j].decode().replace("{", "{{").replace("}", "}}")))
    templates: dict[int, str] = {}  # one per code: the row with its numbers left to fill in
    heights_as_text: dict[float, str] = {}
    codes, numbers_of = code.tolist(), index.tolist()

    def make(r: int) -> str:
        k = r - first
        c = codes[k]
        template = templates.get(c)
        if template is None:
            xf = [workbooks.xf_number(f) for f in formats_of(c)]
            text = [f'<c r="{letter}{{0}}" s="{x}" t="s"><v>{{{2 + j}}}</v></c>'
                    for j, (letter, x) in enumerate(zip(cells, xf))]
            template = templates[c] = (f'<row r="{{0}}" spans="{spans.group(1).decode()}" ht="{{1}}" '
                                       f'customHeight="1">{"".join(text[:-1])}{blanks[c >> 5]}{text[-1]}</row>')
        height = heights[k]
        ht = heights_as_text.get(height)
        if ht is None:  # XlsxWriter's set_row keeps whole pixels, and writes no height for the default 20
            pixels = int(height * 4.0 / 3.0 + 0.5)
            if pixels == 20:
                raise RuntimeError("bulk workbook: a row of the default height")
            ht = heights_as_text[height] = f"{pixels * 0.75:.16g}"
        numbers = numbers_of[k]
        if min(numbers) < 0:
            raise RuntimeError("bulk workbook: a text cell without its shared string")
        return template.format(r, ht, *numbers)

    return make


def write_workbook(path: Path, round_: str, assignments: dict[str, pd.DataFrame], book: cbmod.Codebook,
                   illustrative: bool = False) -> Path:
    """Write :func:`workbook_bytes` to ``path`` atomically."""
    return files.write_bytes(path, workbook_bytes(round_, assignments, book, illustrative))


def workbook_name(round_: str, coder: str, illustrative: bool = False) -> str:
    return f"{round_}_{coder}{'_' + ILLUSTRATIVE if illustrative else ''}.xlsx"


def reissue(paths: Paths, round_: str, coder: str, out: str | Path | None = None) -> Path:
    """Write one coder's workbook of a round again, from the round's own assignment and codebook.

    For a coder who lost or spoiled their copy.  ``assignment.csv`` and the
    round's other workbooks are not touched, the coder gets exactly the
    units first assigned (a sampled round stays sampled), and the workbook
    is byte-identical to the first one while units and codebook are
    unchanged.

    Raises
    ------
    InputError
        The round was never exported here, was exported as one shared
        workbook, or does not include the coder; or its units are no longer
        in ``units.csv``.
    """
    check_name("round", round_)
    check_name("coder", coder)
    folder = Path(out) if out else paths.exports / round_
    plan_path = folder / "assignment.csv"
    if not plan_path.is_file():
        raise InputError(f"{plan_path}: not found; round '{round_}' was not exported here, so there is nothing to "
                         "re-issue (export it with 'compassion-study sheets --round … --coders …')")
    plan = files.read_csv(plan_path, text=["unit_id", "coder"])
    entry = provenance.load(paths)["stages"].get(f"sheets:{round_}", {})
    if entry.get("parameters", {}).get("shared"):
        raise InputError(f"round '{round_}' was exported as one shared workbook; export the round again instead")
    if coder not in set(plan["coder"]):
        raise InputError(f"{plan_path}: coder '{coder}' has no units in round '{round_}' "
                         f"(coders: {', '.join(sorted(set(plan['coder'])))})")
    units = read_units(paths.units)
    wanted = plan.loc[plan["coder"] == coder, "unit_id"]
    lost = sorted(set(wanted) - set(units["unit_id"]))
    if lost:
        raise InputError(f"{plan_path}: {len(lost)} unit(s) assigned to '{coder}' are no longer in units.csv "
                         f"({', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}); the notes changed since the export")
    book = cbmod.find(paths, entry.get("codebook_version"))
    illustrative = any(p.name == workbook_name(round_, coder, True) for p in folder.glob("*.xlsx"))
    path = folder / workbook_name(round_, coder, illustrative)
    write_workbook(path, round_, {coder: units[units["unit_id"].isin(set(wanted))]}, book, illustrative)
    if entry and paths.contains(folder):  # the round's record keeps its parameters; the hashes follow the file
        provenance.record(paths, f"sheets:{round_}", inputs=[paths.units, book.path],
                          outputs=[paths.root / o["path"] for o in entry["outputs"]],
                          parameters=entry["parameters"], codebook_version=entry.get("codebook_version"))
    return path


def export(paths: Paths | None = None, round_: str = "round-1", coders: Sequence[str] = ("alice", "bob"),
           shared: bool = False, sample: float | None = None, seed: int = 0, out: str | Path | None = None,
           codebook_version: str | None = None, illustrative: bool = False, replace: bool = False) -> list[Path]:
    """Stage: units + codebook -> coding workbooks (``exports/<round>/`` by default).

    Returns the paths written, plus ``assignment.csv`` beside them.  To give
    one coder a fresh copy without re-drawing the round, see :func:`reissue`.

    Parameters
    ----------
    replace : bool
        Allow replacing a round already exported to this folder with a
        different assignment (other coders, sample or seed).  Without it such
        an export is refused, as the workbooks handed out, ``status`` and the
        import's assignment checks would no longer agree; exporting the same
        assignment again is always allowed.
    """
    paths = paths or Paths.from_root()
    check_name("round", round_)
    for c in coders:
        check_name("coder", c)
    if shared and "shared" in coders:
        raise InputError("coder name 'shared' is reserved for the shared workbook")
    units = read_units(paths.units)
    book = cbmod.find(paths, codebook_version)
    cbmod.load(book.path, units)  # an example citing one of these units must quote it
    plan = assign(units, list(coders), sample, seed)
    folder = Path(out) if out else paths.exports / round_
    if not replace:
        _check_same_assignment(paths, round_, folder / "assignment.csv", plan)
    per_coder = {c: units[units["unit_id"].isin(plan.loc[plan["coder"] == c, "unit_id"])] for c in coders}
    if shared:
        jobs = {workbook_name(round_, "shared", illustrative): per_coder}
    else:
        jobs = {workbook_name(round_, coder, illustrative): {coder: sub} for coder, sub in per_coder.items()}
    made = workbooks.in_parallel(workbook_bytes, [(round_, a, book, illustrative) for a in jobs.values()],
                                 worth_it=len(plan) >= workbooks.PARALLEL_ROWS)
    written = [files.write_bytes(folder / name, data) for name, data in zip(jobs, made)]
    written.append(files.write_csv(plan, folder / "assignment.csv"))
    if paths.contains(folder):  # an --out elsewhere writes only there
        provenance.record(paths, f"sheets:{round_}", inputs=[paths.units, book.path], outputs=written,
                          parameters={"round": round_, "coders": list(coders), "shared": shared, "sample": sample,
                                      "seed": seed},
                          codebook_version=book.full_version)
    return written


def _check_same_assignment(paths: Paths, round_: str, plan_path: Path, plan: pd.DataFrame) -> None:
    """Refuse to overwrite a round's ``assignment.csv`` with a different one (see :func:`export`)."""
    if not plan_path.is_file():
        return
    if plan_path.read_bytes() == files.csv_bytes(plan):
        return  # the same round exported again
    try:
        before = files.read_csv(plan_path, text=["unit_id", "coder"])
        old = set(zip(before["unit_id"], before["coder"]))
    except Exception:  # noqa: BLE001 - an unreadable assignment is as different as can be
        before, old = None, set()
    if old == set(zip(plan["unit_id"], plan["coder"])):
        return

    def summary(df: pd.DataFrame | None) -> str:
        if df is None:
            return "an unreadable assignment"
        return ", ".join(f"{c}: {n} units" for c, n in df.groupby("coder", sort=True).size().items())

    raise InputError(f"{paths.relative(plan_path)}: round '{round_}' was already exported here ({summary(before)}); "
                     f"this export would replace it with a different assignment ({summary(plan)}), so the workbooks "
                     "handed out, 'status' and the import's assignment check would no longer agree. To give one "
                     "coder a fresh copy of their workbook use --reissue CODER; to replace the round's assignment "
                     "and workbooks add --replace (or export to a new round)")


# =========================================================================== import


def _planned(exports: Path, round_: str) -> dict[str, list[str]] | str | None:
    """``exports/<round>/assignment.csv`` as coder -> unit ids (in unit order); None if there is none, or the
    reason it cannot be read.

    What a returned file with no hidden Assignment sheet (a CSV, or a workbook
    whose Assignment sheet was deleted) is checked against.
    """
    path = exports / round_ / "assignment.csv"
    try:
        stat = path.stat()
    except OSError:
        return None
    return _planned_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _planned_cached(path: str, mtime_ns: int, size: int) -> dict[str, list[str]] | str:
    try:
        plan = files.read_csv(path, text=["unit_id", "coder"])
    except Exception as exc:  # noqa: BLE001 - any damage: the import says it could not check
        return f"cannot be read ({type(exc).__name__})"
    if not {"unit_id", "coder"} <= set(plan.columns):
        return "has no unit_id and coder columns"
    out: dict[str, list[str]] = {}
    for uid, coder in zip(plan["unit_id"].tolist(), plan["coder"].tolist()):
        out.setdefault(coder, []).append(uid)
    return out


@dataclass
class Tab:
    """One Coding sheet read into a grid of strings (``None`` for a formula)."""

    file: Path
    sheet: str
    grid: list[list[object]]
    assigned: list[str] | None = None  # unit ids from the hidden Assignment sheet
    instructions_coder: str | None = None
    colours: list[list[str | None]] | None = None  # each cell's fill (RRGGBB), where the format keeps fills
    plain: bool = False  # every cell is text (a CSV): no formula cells
    comments: list[tuple[int, int, str]] = field(default_factory=list)  # cell comments (notes): (row, col, text)


@dataclass
class Marks:
    """One tab's codings in short form: the coded units (in the order of the notes) by the codes' 0/1 marks.

    The long table (one row per unit and code) of a 100,000-unit tab has
    1.6 million rows, which cost more to pass back from a worker process
    than to build; :meth:`frame` builds it where it is written.
    """

    round: str
    coder: str
    unit_ids: np.ndarray
    code_ids: list[str]
    marks: np.ndarray  # int8, units x codes

    def frame(self) -> pd.DataFrame:
        """The ``codings.csv`` rows (:data:`CODINGS_COLUMNS`): units in order, codes in codebook order."""
        return pd.DataFrame({
            "round": self.round, "coder": self.coder, "unit_id": np.repeat(self.unit_ids, len(self.code_ids)),
            "code_id": np.tile(np.array(self.code_ids, dtype=object), len(self.unit_ids)),
            "applied": self.marks.ravel().astype(np.int64)}, columns=CODINGS_COLUMNS)


@dataclass
class Result:
    #: per tab, in the order of ``rounds``: :class:`Marks`, or a DataFrame of codings (QDA projects)
    codings: list = field(default_factory=list)
    rounds: list[dict] = field(default_factory=list)
    memos: list[tuple] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: things the study lead should see that do not stop the import (rows left half-done, untouched sheets)
    warnings: list[str] = field(default_factory=list)


def _read_workbook(path: Path, kind: str) -> list[Tab]:
    """The Coding tabs of an .xlsx or .ods, with the hidden Assignment and the Instructions' coder."""
    colours: dict = {}
    comments: dict = {}
    wanted = lambda name: name.startswith("Coding") or name in ("Assignment", "Instructions")  # noqa: E731
    if kind == "xlsx":
        sheets = xlsx_sheets(path, path.name, wanted, colours, comments)
    else:
        sheets = {n: g for n, g in read_ods(path, path.name, colours, comments).items() if wanted(n)}
    assigned: dict[str, list[str]] = {}
    for row in sheets.get("Assignment", [])[1:]:
        if row and row[0] is not None and len(row) > 1:
            assigned.setdefault(_as_text(row[0]), []).append(_as_text(row[1]))
    instr_coder = None
    for row in sheets.get("Instructions", [])[:6]:
        if row and _as_text(row[0]) == "Coder" and len(row) > 1:
            instr_coder = _as_text(row[1])
    tabs = []
    for name, grid in sheets.items():
        if name.startswith("Coding"):
            coder = name[len("Coding "):] if name.startswith("Coding ") else (instr_coder or "")
            tabs.append(Tab(path, name, grid, assigned.get(coder) if assigned else None,
                            instr_coder if name == "Coding" else None, colours.get(name),
                            comments=comments.get(name, [])))
    return tabs


def _read_csv(path: Path) -> list[Tab]:
    grid = files.read_text_grid(path)
    m = _FILE_NAME.match(path.stem)
    sheet = (m.group("sheet") if m and m.group("sheet") else "Coding")
    return [Tab(path, sheet, grid, plain=True)]


def size_limits(units: pd.DataFrame | None) -> tuple[int, int]:
    """Largest returned file, and largest uncompressed content of an .xlsx/.ods, for a study's units.

    A returned file holds, on each of up to :data:`MAX_TABS` Coding tabs,
    one row per unit: its comment, prompt, section and theme (counted twice,
    for quoting and markup), plus :data:`ROW_BYTES` (:data:`ROW_UNZIPPED`
    unzipped) for everything else.  Every round gets at least
    :data:`MAX_BYTES` and :data:`MAX_UNZIPPED`; no round more than
    :data:`CEILING_BYTES` and :data:`CEILING_UNZIPPED`.  So a 300,000-unit
    workbook (about 50 MB, 360 MB unzipped) is read, while the limits,
    bounded by the study's own units, still stop a file far larger than
    any coder's return before it is read.

    Parameters
    ----------
    units : pandas.DataFrame or None
        ``units.csv`` (None: the floors).

    Returns
    -------
    tuple of int
        ``(max_bytes, max_unzipped)``.
    """
    if units is None or not len(units):
        return MAX_BYTES, MAX_UNZIPPED
    shown = sum(len("".join(units[c].astype(str).tolist()).encode("utf-8"))
                for c in ("text", "prompt", "section", "theme") if c in units)
    n = len(units)
    return (min(CEILING_BYTES, max(MAX_BYTES, MAX_TABS * (ROW_BYTES * n + 2 * shown))),
            min(CEILING_UNZIPPED, max(MAX_UNZIPPED, MAX_TABS * (ROW_UNZIPPED * n + 2 * shown))))


def read_tabs(path: Path, limits: tuple[int, int] | None = None) -> list[Tab]:
    """Read every Coding tab of a returned file.

    Parameters
    ----------
    path : Path
    limits : tuple of int, optional
        ``(max_bytes, max_unzipped)`` from :func:`size_limits` (default: the floors).

    Raises
    ------
    InputError
        Missing, oversized, unreadable, encrypted or mislabelled files.
    """
    label = path.name
    suffix = path.suffix.lower()
    max_bytes, max_unzipped = limits or (MAX_BYTES, MAX_UNZIPPED)
    files.check_input(path, SUFFIXES, max_bytes, label, "return .xlsx, .ods or .csv",
                      "" if max_bytes == MAX_BYTES else " (the limit grows with the study's units)")
    if suffix == ".csv":
        tabs = _read_csv(path)
    else:
        why = files.zip_problem(path, max_unzipped)
        if why:
            raise InputError(f"{label}: {why}")
        kind = office_kind(path) or suffix[1:]  # an .ods saved under an .xlsx name is read as what it is
        try:
            tabs = _read_workbook(path, kind)
        except InputError:
            raise
        except Exception as exc:  # zipfile, expat and odfpy raise many types for damaged files
            raise InputError(f"{label}: cannot be read as {suffix} ({type(exc).__name__}: {exc})") from None
    if not tabs:
        raise InputError(f"{label}: has no 'Coding' sheet")
    return tabs


def parse_mark(value: object) -> bool | None:
    """True (applied), False (not applied) or None (not a documented mark)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, _Formula):
        return {1: True, 0: False}.get(value) if float(value).is_integer() else None
    # invisible characters (a zero-width space pasted with an "x", a no-break space) are not part of the mark
    text = _as_text(value).translate(_INVISIBLE).strip().casefold()
    if text in APPLIED:
        return True
    if text in NOT_APPLIED:
        return False
    if text in ("1.0", "1,0", "0.0", "0,0"):  # a number typed into a cell formatted as text
        return text[0] == "1"
    return None


def visible(value: object) -> str:
    """A cell's text for a message, quoted, with invisible and control characters made visible (``'x\\u200b'``)."""
    text = _as_text(value)
    return "'" + "".join(ch if ch.isprintable() and ch not in _INVISIBLE_CHARS else f"\\u{ord(ch):04x}"
                         for ch in text[:60]) + ("…'" if len(text) > 60 else "'")


def header_name(cell: object) -> str:
    """The column name a Coding sheet header cell stands for: a code's id for ``Label (id)``, else its text."""
    text = _as_text(cell).strip()
    m = _CODE_HEADER.match(text)
    return m.group(1) if m else text


def row_one(meta: list[str], keys: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Row 1's ``key, value`` pairs, found by key wherever they are: ``{key: (value, column)}``.

    Workbooks written now hold ``key: value`` pairs in two wide cells (A1,
    B1; pairs in one cell separated by `` · ``).  Earlier ones, and sheets
    edited by hand, hold a key and its value in separate cells: the value is
    the next non-empty cell after its key (a column inserted between them,
    or before them, moves nothing out of reach).
    """
    out: dict[str, tuple[str, int]] = {}
    for i, m in enumerate(meta):  # this package's own form: "round: round-1", "coder: alice · codebook: 1.0 · …"
        for part in m.split(" · "):
            key, sep, value = part.partition(":")
            if sep and key.strip().casefold() in keys and key.strip().casefold() not in out:
                out[key.strip().casefold()] = (value.strip(), i)
    if out:
        return out
    lowered = [m.casefold() for m in meta]
    for i, m in enumerate(lowered):
        if m in keys and m not in out:
            j = next((j for j in range(i + 1, len(meta)) if meta[j] and lowered[j] not in keys), None)
            out[m] = (meta[j], j) if j is not None else ("", i + 1)
    return out


def _expected_coder(tab: Tab) -> str | None:
    if tab.sheet.startswith("Coding "):
        return tab.sheet[len("Coding "):]
    m = _FILE_NAME.match(tab.file.stem)
    if m and m.group("coder") != "shared":
        return m.group("coder")
    return tab.instructions_coder


def parse_tab(tab: Tab, units: pd.DataFrame, books: dict[str, cbmod.Codebook], expected_round: str | None,
              result: Result, exports: Path | None = None) -> None:
    """Check one Coding tab and add its codings, memos and problems to ``result``.

    The units are checked against the tab's assignment: the workbook's hidden
    Assignment sheet, else (a CSV, or a workbook whose Assignment sheet was
    deleted) ``exports/<round>/assignment.csv`` under ``exports``; with
    neither, a warning says that the assignment could not be checked.
    """
    label, sheet = tab.file.name, tab.sheet
    problems = result.problems
    at = lambda r, c: where(label, sheet, cell(r, c))  # noqa: E731
    grid = tab.grid
    # the export writes each code's definition as a comment on its header: those (unchanged) are ours; any other
    # comment, anywhere, is the coder's and would be lost
    # (``label: brief`` is how earlier versions wrote them, as in the bundled ILLUSTRATIVE round)
    ours = {text for b in books.values() for code in b.codes for text in
            (header_comment(code), f"{code['label']}: {code['brief']}")} if tab.comments else set()
    problems.extend(f"{at(r, c)}: {comment_problem(text, 'memo')}" for r, c, text in tab.comments
                    if not (r == HEADER_ROW - 1 and text in ours))
    if len(grid) < HEADER_ROW:
        problems.append(f"{where(label, sheet)}: sheet is empty or truncated (no header row)")
        return
    meta = [_as_text(v).strip() for v in grid[META_ROW - 1]]
    info = row_one(meta, META_KEYS)
    missing_meta = [k for k in META_KEYS[:3] if k not in info]
    if missing_meta:
        problems.append(f"{where(label, sheet, 'row 1')}: missing {', '.join(missing_meta)}; row 1 must be the exported "
                        "'round … coder … codebook …' line")
        return
    round_, rcol = info["round"]
    coder, ccol = info["coder"]
    version, vcol = info["codebook"]
    if not valid_name(round_):
        problems.append(f"{at(META_ROW - 1, rcol)}: '{round_}' is not a valid round name (1-20 letters, digits or '-')")
        return
    if expected_round and round_ != expected_round:
        problems.append(f"{at(META_ROW - 1, rcol)}: sheet is for round '{round_}', but it is being imported as round '{expected_round}'")
    named = _FILE_NAME.match(tab.file.stem)
    if named and named.group("round") != round_ and valid_name(named.group("round")) \
            and named.group("round").casefold().startswith("round"):
        problems.append(f"{at(META_ROW - 1, rcol)}: sheet is for round '{round_}', but the file name says round "
                        f"'{named.group('round')}'; rename the file or check that it is the right workbook")
    declared_text = info.get("units", ("", 0))[0]
    if "units" in info and not declared_text.isdigit():
        problems.append(f"{at(META_ROW - 1, info['units'][1])}: units '{declared_text}' is not a number; row 1 must "
                        "keep the exported count")
    want = _expected_coder(tab)
    if want and want != coder:
        problems.append(f"{at(META_ROW - 1, ccol)}: sheet says coder '{coder}', but the file/tab is for '{want}'")
    if not valid_name(coder):
        problems.append(f"{at(META_ROW - 1, ccol)}: '{coder}' is not a valid coder name")
    book = books.get(version)
    if book is None:
        problems.append(f"{at(META_ROW - 1, vcol)}: codebook version '{version}' is not in data/raw/codebook/ "
                        f"(have {', '.join(sorted(books)) or 'none'})")
        return
    header = [_as_text(v).strip() for v in grid[HEADER_ROW - 1]]
    while header and header[-1] == "":
        header.pop()
    ids = set(book.ids)
    by_label = {" ".join(h.split()).casefold(): i for h, i in zip(code_headers(book), book.ids)}
    for j, name in enumerate(header):  # a code's label, "Label (id)" or its id all name the code
        m = _CODE_HEADER.match(name)
        if m and m.group(1) in ids:
            header[j] = m.group(1)
        elif " ".join(name.split()).casefold() in by_label:
            header[j] = by_label[" ".join(name.split()).casefold()]
    col = {}
    for j, name in enumerate(header):
        key = name.casefold().replace("_", " ") if name.casefold().replace("_", " ") == NO_CODE else name
        if key in col:
            problems.append(f"{at(HEADER_ROW - 1, j)}: column '{name}' appears twice")
        col[key] = j
    known = set(FIXED) | set(book.ids) | {NO_CODE, MEMO, CHECK}
    for j, name in enumerate(header):
        key = NO_CODE if name.casefold().replace("_", " ") == NO_CODE else name
        if not name:  # a column inserted by hand: harmless while empty, as columns are found by their headers
            used = next((r for r in range(HEADER_ROW, len(grid)) if j < len(grid[r]) and _as_text(grid[r][j]).strip()), None)
            if used is not None:
                problems.append(f"{at(used, j)}: column {column_letter(j)} has no header (inserted by hand?) but holds "
                                f"{visible(grid[used][j])}; move it into the {MEMO} column and delete the column")
        elif key not in known:
            problems.append(f"{at(HEADER_ROW - 1, j)}: unknown column '{name}' (not a code of codebook {version})")
    absent = [n for n in ("unit_id", "comment", *book.ids, NO_CODE) if n not in col]
    if absent:
        problems.append(f"{where(label, sheet, 'row 2')}: missing column(s) {', '.join(absent)}")
        return
    text_of = dict(zip(units["unit_id"].tolist(), units["text"].tolist()))
    n_before = len(problems)
    seen: dict[str, int] = {}
    coded_ids: list[str] = []
    coded_marks: list = []
    memos_out: list[tuple[int, tuple]] = []  # (row, memo), put in row order at the end
    coded = 0
    code_cols = [(cid, col[cid]) for cid in book.ids]
    cache: dict[object, bool | None] = {}
    bad_marks: dict[str, list[str]] = {}  # each undocumented mark once, with the cells holding it
    moved: list[int] = []  # rows whose check cell names another unit
    striped: list[int] = []  # rows with a mark/memo/check cell in another row's stripe colour
    unlocked = [j for _, j in code_cols] + [col[k] for k in (NO_CODE, MEMO, CHECK) if k in col]

    def mark_of(v):  # most cells hold one of a handful of values: parse each once
        if isinstance(v, _Formula):
            return None
        try:
            return cache[v]
        except KeyError:
            cache[v] = parse_mark(v)
            return cache[v]
        except TypeError:
            return parse_mark(v)
    width = len(header) + 1
    assigned_ids, unchecked = tab.assigned, ""
    if assigned_ids is None:  # no Assignment sheet: what was handed out, as the export recorded it
        plan = _planned(exports, round_) if exports is not None else None
        plan_name = f"exports/{round_}/assignment.csv"
        if isinstance(plan, dict):
            if coder not in plan:
                problems.append(f"{at(META_ROW - 1, ccol)}: coder '{coder}' has no units in round '{round_}' "
                                f"({plan_name} lists {', '.join(sorted(plan)) or 'no coder'}); is this the right "
                                "round, or the right file?")
                return
            assigned_ids = plan[coder]
        else:
            unchecked = (f"{plan_name} {plan}" if isinstance(plan, str) else
                         f"the file has no Assignment sheet and there is no {plan_name}")
    assigned = set(assigned_ids) if assigned_ids is not None else None
    half_done: list[int] = []  # rows with 0s or a memo but no applied mark and no "no code applies"

    def check_row(r: int) -> None:
        """Every check of one unit row, one by one; for the rows :func:`_clean_rows` does not vouch for."""
        nonlocal coded
        if len(grid[r]) > len(header):
            beyond = [j for j in range(len(header), len(grid[r])) if _as_text(grid[r][j]).strip()]
            if beyond:
                problems.append(f"{at(r, beyond[0])}: text outside the sheet's columns "
                                f"('{_as_text(grid[r][beyond[0]])[:40]}'); move it into the {MEMO} column")
        row = list(grid[r][:width]) + [None] * (width - len(grid[r]))
        values = row.__getitem__
        uid = _as_text(values(col["unit_id"])).strip()
        if not uid:
            if any(_as_text(values(j)).strip() for _, j in code_cols) or _as_text(values(col[NO_CODE])).strip():
                problems.append(f"{at(r, col['unit_id'])}: row has marks but no unit_id")
            return
        if uid not in text_of:
            problems.append(f"{at(r, col['unit_id'])}: unknown unit '{uid}' (not in units.csv)")
            return
        if uid in seen:
            problems.append(f"{at(r, col['unit_id'])}: unit '{uid}' appears twice (also row {seen[uid] + 1})")
            return
        if assigned is not None and uid not in assigned:
            problems.append(f"{at(r, col['unit_id'])}: unit '{uid}' was not assigned to '{coder}' in this round "
                            "(a row copied from another coder's workbook?); delete the row")
            return
        seen[uid] = r
        if CHECK in col and _as_text(values(col[CHECK])).strip() != uid:
            moved.append(r)
        if tab.colours is not None and r < len(tab.colours) and moved_stripe(r - HEADER_ROW, tab.colours[r],
                                                                             unlocked):
            striped.append(r)
        shown = values(col["comment"])
        if isinstance(shown, _Formula) or _as_text(shown) != text_of[uid]:
            problems.append(f"{at(r, col['comment'])}: comment text of unit '{uid}' was edited; restore the original text")
        applied = []
        vector = []
        for cid, j in code_cols:
            v = values(j)
            mark = mark_of(v)
            if mark is None:
                bad_marks.setdefault(f"a formula ({str(v)[:40]})" if isinstance(v, _Formula) else visible(v),
                                     []).append(at(r, j))
            elif mark:
                applied.append(cid)
            vector.append(1 if mark else 0)
        v = values(col[NO_CODE])
        none_mark = mark_of(v)
        if none_mark is None:
            bad_marks.setdefault(f"a formula ({str(v)[:40]})" if isinstance(v, _Formula) else visible(v),
                                 []).append(at(r, col[NO_CODE]))
            return
        if none_mark and applied:
            problems.append(f"{at(r, col[NO_CODE])}: '{NO_CODE}' is marked but so are {', '.join(applied)}")
            return
        memo = ""
        if MEMO in col:
            raw_memo = values(col[MEMO])
            if isinstance(raw_memo, _Formula):
                problems.append(f"{at(r, col[MEMO])}: the memo was typed as a formula ({str(raw_memo)[:40]}), which the "
                                f"spreadsheet turns into an error value; type it as text, starting with an apostrophe "
                                f"('{str(raw_memo)[:40]})")
                return
            memo = _memo_text(raw_memo)
            bad = _CONTROL.search(memo)
            if bad:
                problems.append(f"{at(r, col[MEMO])}: memo holds control character U+{ord(bad.group()):04X}; "
                                "delete it")
                return
            if files.cell_length(memo) > files.MAX_CELL_CHARS:  # it could not go into the adjudication workbook
                problems.append(f"{at(r, col[MEMO])}: memo of {files.cell_length(memo):,} characters, more than a "
                                f"spreadsheet cell holds ({files.MAX_CELL_CHARS:,}); shorten it")
                return
            if memo:
                memos_out.append((r, (round_, coder, uid, memo)))
        if not applied and not none_mark:
            # a 0 typed in every code says "no code applies" as plainly as the column does
            if all(_as_text(values(j)).strip() for _, j in code_cols):
                none_mark = True
            else:
                if any(_as_text(values(j)).strip() for _, j in code_cols) or memo:
                    half_done.append(r)
                return  # not coded yet: missing, never zeros
        coded += 1
        coded_ids.append(uid)
        coded_marks.append(np.array([vector], dtype=np.int8))

    clean = _clean_rows(tab, header, col, code_cols, units, assigned)
    if clean is None:
        slow = range(HEADER_ROW, len(grid))
    else:
        rows, uids, marks, memos, keep = clean
        slow = (HEADER_ROW + np.flatnonzero(~keep)).tolist()
        seen.update(zip(uids.tolist(), (HEADER_ROW + np.flatnonzero(keep)).tolist()))
        coded_ids.extend(uids[rows].tolist())
        coded_marks.append(marks[rows])
        coded += int(rows.sum())
        memos_out.extend((int(r), (round_, coder, u, m)) for r, u, m in memos)
    for r in slow:
        check_row(r)
    memos_out.sort(key=lambda item: item[0])
    for what, cells in bad_marks.items():
        places = cells[0] if len(cells) == 1 else f"{cells[0]} and {len(cells) - 1} other cell(s): " + ", ".join(
            c.rsplit(" › ", 1)[-1] for c in cells[1:8]) + (" …" if len(cells) > 8 else "")
        problems.append(f"{places}: mark {what} is not a documented mark ({MARKS_HELP})")
    problems.extend(moved_marks(label, sheet, moved, striped))
    declared = info.get("units", ("", 0))[0]
    if assigned_ids is not None:
        lost = [u for u in assigned_ids if u not in seen]
        if lost:
            problems.append(f"{where(label, sheet)}: {len(lost)} assigned unit row(s) missing: {', '.join(lost[:10])}"
                            + (" …" if len(lost) > 10 else ""))
    if declared.isdigit() and len(seen) < int(declared) and len(problems) == n_before:
        problems.append(f"{where(label, sheet)}: {int(declared) - len(seen)} unit row(s) missing "
                        f"(row 1 says {declared} units were assigned, {len(seen)} found)")
    if len(problems) > n_before:
        return
    here = where(label, sheet)
    if unchecked:
        result.warnings.append(f"{here}: the units could not be checked against {coder}'s assignment ({unchecked}); "
                               "a row copied from another coder's workbook would not be noticed"
                               + ("" if declared.isdigit() else ", nor missing rows"))
    if coded == 0:
        result.warnings.append(f"{here}: nothing is marked in any of the {len(seen)} rows; is this the coder's "
                               "finished workbook?")
    if half_done:
        shown = ", ".join(str(r + 1) for r in half_done[:8]) + (" …" if len(half_done) > 8 else "")
        result.warnings.append(f"{here}: {len(half_done)} row(s) ({shown}) have 0s or a memo but no code marked and "
                               f"'{NO_CODE}' empty: counted as not coded yet (mark 1 where a code applies, or "
                               f"'{NO_CODE}')")
    n_codes = len(book.ids)
    # units in the order of the notes (a sheet sorted by whole rows is fine), codes in codebook order
    order = np.argsort(pd.Index(units["unit_id"]).get_indexer(coded_ids), kind="stable")
    marks = (np.concatenate(coded_marks) if coded_marks else np.zeros((0, n_codes), dtype=np.int8))[order]
    coded_ids = np.array(coded_ids, dtype=object)[order]
    result.codings.append(Marks(round_, coder, coded_ids, list(book.ids), marks))
    result.memos.extend(m for _, m in memos_out)
    result.rounds.append({
        "round": round_, "coder": coder, "source": tab.file, "sheet": sheet,
        "codebook_version": version, "illustrative": info.get("status", ("", 0))[0].upper() == ILLUSTRATIVE,
        "units_assigned": len(seen), "units_coded": coded,
    })


_TYPE_OF = np.frompyfunc(type, 1, 1)


def _memo_text(value: object) -> str:
    """A memo as stored: line breaks as ``\\n`` (a carriage return, which Excel keeps from text pasted from
    Windows, would end the row of the CSV it is written to), outer spaces removed."""
    return _as_text(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean_rows(tab: Tab, header: list[str], col: dict[str, int], code_cols: list[tuple[str, int]],
                units: pd.DataFrame, assigned: set[str] | None):
    """The unit rows of a Coding tab that pass every check, found column by column.

    A returned workbook is mostly rows that need no message: a known,
    assigned unit met once, its comment as exported, documented marks, no
    clash with "no code applies", a plain memo, the check cell and stripes
    in place.  Those are vouched for here with array operations; every other
    row (and any row this cannot judge: a formula or a NaN in a cell that
    is read, text beyond the header) is left to :func:`parse_tab`'s
    row-by-row checks, so that each problem and warning reads and is
    ordered exactly as one pass over the rows gives it.

    Returns
    -------
    tuple or None
        ``(coded, uids, marks, memos, keep)``: ``keep`` marks the body rows
        vouched for (rows from :data:`HEADER_ROW` on); ``uids`` their unit
        ids, ``coded`` which of them are coded (a mark, "no code applies",
        or a value in every code cell), ``marks`` their 0/1 code marks,
        ``memos`` ``(row, unit id, memo)`` for those with a memo.  None
        when the columns cannot be laid out cheaply (a header far wider
        than the codebook), so that every row takes the slow path.
    """
    grid = tab.grid
    n = len(grid) - HEADER_ROW
    used = [col["unit_id"], col["comment"], *(j for _, j in code_cols),
            *(col[k] for k in (NO_CODE, MEMO, CHECK) if k in col)]
    if n <= 0 or max(used) > 4 * len(used) + 16:
        return None
    matrix = isinstance(grid, np.ndarray)  # a CSV read whole by files.read_text_grid
    if not matrix:  # the read columns of a workbook's rows, laid out once (a missing cell is None)
        body = np.full((n, max(used) + 1), None, dtype=object)
        for i, row in enumerate(grid[HEADER_ROW:]):
            body[i, :len(row)] = row[:body.shape[1]]

    def cells(j: int) -> np.ndarray:
        if matrix:
            return grid[HEADER_ROW:, j] if j < grid.shape[1] else np.full(n, None, dtype=object)
        return body[:, j]

    def texts(values: np.ndarray) -> np.ndarray:  # _as_text of each cell, stripped
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            return np.fromiter((v.strip() for v in values), dtype=object, count=n)
        return np.fromiter((_as_text(v).strip() for v in values), dtype=object, count=n)

    columns = {j: cells(j) for j in set(used)}
    doubtful = np.zeros(n, dtype=bool)  # cells whose value the factorised shortcuts cannot stand for
    if matrix:
        beyond = grid[HEADER_ROW:, len(header):]
        doubtful |= (beyond != "").any(axis=1) if beyond.size else False
    else:
        doubtful |= np.fromiter(map(len, grid[HEADER_ROW:]), dtype=np.int64, count=n) > len(header)
    if not tab.plain:  # cells of .xlsx and .ods can be numbers and formulas; a CSV's are text
        for values in columns.values():
            doubtful |= pd.isna(values) & np.not_equal(values, None)  # NaN: an undocumented mark, not a blank
        # factorize takes "=1" and Formula("=1") alike: formulas are judged row by row
        read = np.stack(list(columns.values()), axis=1)
        doubtful |= (_TYPE_OF(read) == _Formula).any(axis=1)

    uids = texts(columns[col["unit_id"]])
    where_unit = pd.Index(units["unit_id"]).get_indexer(uids)
    keep = ~doubtful & (where_unit >= 0) & ~pd.Series(uids).duplicated(keep=False).to_numpy()
    if assigned is not None:
        keep &= pd.Series(uids).isin(assigned).to_numpy()
    if CHECK in col:
        keep &= texts(columns[col[CHECK]]) == uids
    if tab.colours is not None:
        shades = tab.colours[HEADER_ROW:len(grid)]  # (fills of trailing empty rows may outlast the grid)
        own = np.array(STRIPES, dtype=object)[np.arange(len(shades)) % len(STRIPES)]  # each row's own shade
        for j in [j for _, j in code_cols] + [col[k] for k in (NO_CODE, MEMO, CHECK) if k in col]:
            shade = np.fromiter((s[j] if j < len(s) else None for s in shades), dtype=object, count=len(shades))
            other = np.flatnonzero(shade != own)  # usually none; a fill the coder chose is not a stripe
            keep[[i for i in other.tolist() if shade[i] in _STRIPE_SET]] = False
    comments = columns[col["comment"]]
    if pd.api.types.infer_dtype(comments, skipna=False) != "string":
        comments = np.fromiter(map(_as_text, comments), dtype=object, count=n)
    keep &= comments == units["text"].to_numpy(dtype=object)[where_unit]

    marks = np.zeros((n, len(code_cols)), dtype=np.int8)
    filled = np.ones(n, dtype=bool)  # a value in every code cell
    some = np.zeros(n, dtype=bool)  # a value in any code cell
    for k, (_, j) in enumerate(code_cols):
        codes, uniques = pd.factorize(columns[j])  # None (and NaN, refused above) are -1
        mark = np.array([*map(parse_mark, uniques), False], dtype=object)[codes]
        value = np.array([bool(_as_text(u).strip()) for u in uniques] + [False])[codes]
        keep &= mark != None  # noqa: E711 (elementwise)
        marks[:, k] = mark == True  # noqa: E712
        filled &= value
        some |= value
    codes, uniques = pd.factorize(columns[col[NO_CODE]])
    none = np.array([*map(parse_mark, uniques), False], dtype=object)[codes]
    keep &= none != None  # noqa: E711
    none = none == True  # noqa: E712
    applied = marks.any(axis=1)
    keep &= ~(applied & none)
    memo = texts(columns[col[MEMO]]) if MEMO in col else np.full(n, "", dtype=object)
    breaks = np.fromiter(("\r" in m for m in memo), dtype=bool, count=n)
    if breaks.any():
        memo[breaks] = [_memo_text(m) for m in memo[breaks]]
    has_memo = memo != ""
    for i in np.flatnonzero(has_memo & keep):
        if _CONTROL.search(memo[i]) or files.cell_length(memo[i]) > files.MAX_CELL_CHARS:
            keep[i] = False  # the row-by-row reading says what is wrong
    coded = applied | none | filled
    keep &= coded | ~(some | has_memo)  # a half-done row is warned about row by row
    memos = [(HEADER_ROW + i, uids[i], memo[i]) for i in np.flatnonzero(keep & has_memo)]
    return coded[keep], uids[keep], marks[keep], memos, keep


def moved_marks(label: str, sheet: str, by_check: list[int], by_stripe: list[int], what: str = "marks") -> list[str]:
    """Problems if marks were moved away from their comments (a sort of some columns on their own).

    A protected sheet still lets a coder sort its unlocked cells without the
    locked comment beside them, and spreadsheets move a cell's formatting
    with its value.  So two things reveal the move:

    * the *check* column (each row's unit id, unlocked, exported last) no
      longer matches the row's locked unit id (the check cells were sorted
      with the marks; also seen in a CSV download);
    * a mark, memo or check cell carries the stripe shade of another row
      (rows take the 14 :data:`STRIPES` in turn; .xlsx and .ods only).

    Parameters
    ----------
    by_check, by_stripe : list of int
        0-based rows found by each sign.
    """
    out = []
    for rows, why in ((by_check, f"the '{CHECK}' column names another unit"),
                      (by_stripe, "cells you fill in carry the stripe colour of other rows")):
        if rows:
            shown = ", ".join(str(r + 1) for r in rows[:8]) + (" …" if len(rows) > 8 else "")
            check = (f" If a '{CHECK}' cell was cleared or typed over, put the row's unit id (column A) back in "
                     "it." if rows is by_check else "")
            out.append(f"{where(label, sheet)}: in {len(rows)} row(s) ({shown}) {why}: {what} were sorted or moved "
                       f"away from their comments, or cells were copied or filled down from other rows with their "
                       f"formatting. Undo the sort (Edit › Undo); where you copied or filled cells, paste values only "
                       f"(Paste Special › Values) or type them; or copy your {what} into a fresh copy of the workbook, "
                       f"and return it again.{check}")
    return out


def expand(inputs: Iterable[str | Path]) -> list[Path]:
    """Files named, plus returned workbooks inside folders named (recursively, sorted)."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in (*SUFFIXES, ".qdpx") and q.is_file()
                              and not q.name.startswith((".", "~$", ".~lock")) and q.name != "assignment.csv"))
        else:
            out.append(p)
    return out


def _other_sheet(first_row) -> str | None:
    """The name of the exported sheet whose first row this is, if it is not a Coding sheet.

    LibreOffice saves every sheet of a workbook as its own CSV; Instructions,
    Codebook and Assignment are recognised by their first cells.
    """
    first = [_as_text(c).strip().casefold() for c in list(first_row)[:2]]
    return ("Instructions" if first[:1] == ["compassion_study coding workbook"] else
            "Codebook" if first[:2] == ["id", "label"] else "Assignment" if first[:2] == ["coder", "unit_id"] else None)


def _read_one(path: Path, units: pd.DataFrame, books: dict[str, cbmod.Codebook], expected: str | None,
              project: dict | None = None, limits: tuple[int, int] | None = None,
              exports: Path | None = None) -> Result:
    """Read and check one returned file (a job of :func:`read_returned`, possibly in another process).

    A ``.qdpx`` (a project coded in a QDA program) is read by :func:`compassion_study.qda.read_project` with
    ``project``'s ``coders`` and ``overlap`` rule.
    """
    result = Result()
    if path.suffix.lower() == ".qdpx":
        from . import qda

        if not path.is_file():
            result.problems.append(f"{path.name}: file not found")
            return result
        got = qda.read_project(path, units, books, expected, (project or {}).get("coders"),
                               (project or {}).get("overlap", "any"), (project or {}).get("coder_from"))
        result.problems.extend(got["problems"])
        result.warnings.extend(got["warnings"])
        if not got["problems"]:
            result.codings.extend(got["codings"])
            result.rounds.extend(got["rounds"])
        return result
    with files.collector_paused():
        return _read_tabs_into(path, units, books, expected, limits, result, exports)


def _read_tabs_into(path: Path, units: pd.DataFrame, books: dict[str, cbmod.Codebook], expected: str | None,
                    limits: tuple[int, int] | None, result: Result, exports: Path | None = None) -> Result:
    try:
        tabs = read_tabs(path, limits)
    except InputError as exc:
        result.problems.extend(exc.problems)
        return result
    other = _other_sheet(tabs[0].grid[0]) if path.suffix.lower() == ".csv" and len(tabs[0].grid) else None
    if other:
        result.warnings.append(f"{path.name}: the workbook's {other} sheet, not a Coding sheet (LibreOffice saves "
                               "every sheet as its own CSV); skipped")
        return result
    for tab in tabs:
        parse_tab(tab, units, books, expected, result, exports)
    return result


_SHARED: tuple | None = None  # what every job of read_returned reads (set only while it runs)


def _read_shared(path: Path, expected: str | None) -> Result:
    units, books, project, limits, exports = _SHARED
    return _read_one(path, units, books, expected, project, limits, exports)


def read_returned(inputs: Iterable[str | Path], units: pd.DataFrame, books: dict[str, cbmod.Codebook],
                  round_: str | None = None, raw_coding: Path | None = None, project: dict | None = None,
                  exports: Path | None = None) -> Result:
    """Read and check returned coding files; ``result.problems`` lists every problem.

    ``exports`` is the study's exports folder, whose ``<round>/assignment.csv``
    checks the units of a file without an Assignment sheet (see :func:`parse_tab`).

    Files are read in two processes when they are large (see
    :func:`compassion_study.workbooks.in_parallel`); what each file gives is
    gathered in the order the files were named, so the result is the same.
    """
    result = Result()
    if round_ is not None:
        check_name("round", round_)
    jobs = []
    for path in expand(inputs):
        expected = round_
        if expected is None and raw_coding is not None and path.resolve().parent.parent == raw_coding.resolve():
            expected = path.resolve().parent.name
            if not valid_name(expected):  # the folder's name becomes the round, and rounds become file names
                result.problems.append(f"{path.parent.name}/: '{expected}' is not a valid round name for a folder "
                                       "in data/raw/coding/ (1-20 letters, digits or '-', starting with a letter "
                                       "or digit)")
                continue
        jobs.append((path, expected))
    size = sum(p.stat().st_size for p, *_ in jobs if p.is_file())
    # the units, codebooks and project reach forked workers as they are, not pickled once per file
    global _SHARED
    _SHARED = (units, books, project, size_limits(units), exports)
    try:
        done = workbooks.in_parallel(_read_shared, jobs, worth_it=size >= PARALLEL_BYTES)
    finally:
        _SHARED = None
    for one in done:
        for name in ("problems", "warnings", "codings", "memos", "rounds"):
            getattr(result, name).extend(getattr(one, name))
    seen: dict[tuple[str, str], str] = {}
    for r in result.rounds:
        key = (r["round"], r["coder"])
        here = where(r["source"].name, r["sheet"])
        # every reader (sheet, CSV, QDA project) ends here: round and coder names become file names later
        for kind, value in zip(("round", "coder"), key):
            if not valid_name(value):
                result.problems.append(f"{here}: {kind} '{value}' is not a valid {kind} name (1-20 letters, "
                                       "digits or '-', starting with a letter or digit, not a name Windows reserves)")
        if key in seen:
            result.problems.append(f"{here}: coder '{key[1]}' in round '{key[0]}' is also in {seen[key]}")
        seen[key] = here
    versions: dict[str, set[str]] = {}
    for r in result.rounds:
        versions.setdefault(r["round"], set()).add(r["codebook_version"])
    for rnd, vs in versions.items():
        if len(vs) > 1:
            result.problems.append(f"round '{rnd}': coded with several codebook versions: " + "; ".join(
                f"{where(r['source'].name, r['sheet'])} uses {r['codebook_version']}"
                for r in result.rounds if r["round"] == rnd) + "; export the round again with one codebook")
    return result


def _in_order(result: Result) -> tuple[list, list[dict]]:
    """Each tab's codings and rounds entry, in (round, coder) order."""
    tabs = sorted(range(len(result.rounds)), key=lambda i: (result.rounds[i]["round"], result.rounds[i]["coder"]))
    return [result.codings[i] for i in tabs], [result.rounds[i] for i in tabs]


def _frames(result: Result, paths: Paths, units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rounds.csv`` and ``memos.csv`` rows of what was read."""
    unit_index = pd.Index(units["unit_id"])
    rounds = pd.DataFrame(result.rounds)
    if len(rounds):
        rounds["sha256"] = [files.sha256(p) for p in rounds["source"]]
        rounds["source"] = [paths.relative(p) for p in rounds["source"]]
        rounds = rounds.sort_values(["round", "coder"], kind="stable")
    rounds = rounds.reindex(columns=ROUNDS_COLUMNS)
    memos = pd.DataFrame(result.memos, columns=MEMOS_COLUMNS)
    memos["_u"] = unit_index.get_indexer(memos["unit_id"])
    memos = memos.sort_values(["round", "coder", "_u"], kind="stable").drop(columns="_u")
    return rounds.reset_index(drop=True), memos.reset_index(drop=True)


def _long(codings: list) -> pd.DataFrame:
    """One table of the codings of several tabs (:class:`Marks` or DataFrames), in the order given."""
    if not codings:
        return pd.DataFrame(columns=CODINGS_COLUMNS)
    if not all(isinstance(c, Marks) for c in codings):
        return pd.concat([c.frame() if isinstance(c, Marks) else c for c in codings], ignore_index=True)
    # column by column: a million-row table is built once rather than per tab and again when joined
    # (object columns: pandas' own string type would check each of millions of values on the way in)
    sizes = [len(c.unit_ids) * len(c.code_ids) for c in codings]
    text = lambda values: pd.Series(values, dtype=object, copy=False)  # noqa: E731
    return pd.DataFrame({
        "round": text(np.repeat(np.array([c.round for c in codings], dtype=object), sizes)),
        "coder": text(np.repeat(np.array([c.coder for c in codings], dtype=object), sizes)),
        "unit_id": text(np.concatenate([np.repeat(c.unit_ids.astype(object), len(c.code_ids)) for c in codings])),
        "code_id": text(np.concatenate([np.tile(np.array(c.code_ids, dtype=object), len(c.unit_ids))
                                        for c in codings])),
        "applied": np.concatenate([c.marks.ravel() for c in codings]).astype(np.int64)}, columns=CODINGS_COLUMNS,
        copy=False)


def _codings_csv(codings: list) -> bytes | None:
    """``files.csv_bytes(_long(codings))`` built from each tab's marks; None where that needs the general writer.

    Writing a 4.8-million-row ``codings.csv`` through the general writer
    converts and checks every cell; here each unit id and code is
    neutralised once and a row is its unit's start joined to its code's
    end.  None for tabs that are not :class:`Marks`, for no rows, and for
    any value the csv module would quote.
    """
    if not codings or not all(isinstance(c, Marks) for c in codings) or not sum(len(c.unit_ids) for c in codings):
        return None
    for c in codings:
        if files._needs_quotes([c.round, c.coder, *c.code_ids, *c.unit_ids.tolist()]):
            return None
    lines = [",".join(CODINGS_COLUMNS)]
    for c in codings:
        if not len(c.code_ids) or not len(c.unit_ids):  # no codes, or nothing coded yet: no rows
            continue
        start = f"{files.neutralise(c.round)},{files.neutralise(c.coder)},"
        codes = [files.neutralise(cid) for cid in c.code_ids]
        # a unit's rows differ only in their code and mark: each distinct row of marks is spelled once,
        # and a unit's block is those endings joined by a line break and the unit's own start
        marks = np.asarray(c.marks).reshape(len(c.unit_ids), -1)
        if marks.shape[1] <= 62:  # each row as one integer: a one-dimensional unique is far faster
            _, first, inverse = np.unique(marks.astype(np.int64) @ np.left_shift(1, np.arange(marks.shape[1])),
                                          return_index=True, return_inverse=True)
            patterns = marks[first]
        else:
            patterns, inverse = np.unique(marks, axis=0, return_inverse=True)
        endings = [[f"{cid},{int(a)}" for cid, a in zip(codes, row)] for row in patterns]
        for unit, p in zip(c.unit_ids.tolist(), inverse.ravel().tolist()):
            head = start + files.neutralise(unit) + ","
            lines.append(head + ("\n" + head).join(endings[p]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _merge(path: Path, new: pd.DataFrame, replaced: set[tuple[str, str]] | None, columns: list[str]) -> pd.DataFrame:
    """Existing rows of every other (round, coder) + ``new``.

    Importing one coder's file replaces that coder in that round and keeps
    every other coder; ``replaced=None`` (the whole coding folder was read)
    replaces everything, so that a file taken out of the folder is gone too.
    """
    if path.is_file() and replaced is not None:
        old = files.read_csv(path, text=[c for c in columns if c not in ("applied", "units_assigned", "units_coded", "illustrative")])
        keys = pd.MultiIndex.from_arrays([old["round"].astype(str), old["coder"].astype(str)])
        old = old[~keys.isin(list(replaced))]
        if len(old):
            new = pd.concat([old, new], ignore_index=True)
        # new rows come in (round, coder) order already (_frames); put the kept ones among them
        return new.iloc[np.lexsort(_round_coder_keys(new))].reset_index(drop=True)[columns]
    return new.reset_index(drop=True)[columns]


def _kept_marks(paths: Paths, replaced: set[tuple[str, str]]) -> list[Marks] | None:
    """The rows of ``codings.csv`` an import keeps (every round and coder but ``replaced``), as :class:`Marks`.

    Importing one coder's file rewrites ``codings.csv`` with everyone
    else's rows as they were; read from the binary copy (see
    :func:`read_codings`) and written from marks as a whole import writes
    them, that takes a fraction of parsing and writing 4.8 million rows
    cell by cell.  None (the general merge, :func:`_merge`, is used) unless
    each round and coder's rows are together, one unit after another, each
    unit with the same codes in the same order, marked 0 or 1: the rows
    :class:`Marks` gives back exactly.
    """
    old = read_codings(paths, categorical=True)
    if list(old.columns) != CODINGS_COLUMNS or not len(old):
        return None if list(old.columns) != CODINGS_COLUMNS else []
    columns = {}
    for name in CODINGS_TEXT:
        if not isinstance(old[name].dtype, pd.CategoricalDtype):
            return None
        columns[name] = (old[name].cat.categories.to_numpy(dtype=object), old[name].cat.codes.to_numpy())
        if (columns[name][1] < 0).any():  # a missing value
            return None
    applied = old["applied"].to_numpy()
    if applied.dtype.kind not in "iu" or not np.isin(applied, (0, 1)).all():  # marks read as whole numbers
        return None
    (rounds, r), (coders, c), (units, u), (codes, k) = (columns[n] for n in CODINGS_TEXT)
    pair = r.astype(np.int64) * (len(coders) + 1) + c
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    if len(np.unique(pair[starts])) != len(starts):  # a round and coder in two places
        return None
    kept = []
    for a, b in zip(starts.tolist(), [*starts[1:].tolist(), len(pair)]):
        round_, coder = str(rounds[r[a]]), str(coders[c[a]])
        if (round_, coder) in replaced:
            continue
        block_units, block_codes = u[a:b], k[a:b]
        width = int(np.argmax(block_units != block_units[0])) or b - a  # the first unit's rows
        if (b - a) % width:
            return None
        grid_units, grid_codes = block_units.reshape(-1, width), block_codes.reshape(-1, width)
        if (grid_units != grid_units[:, :1]).any() or (grid_codes != grid_codes[0]).any():
            return None
        kept.append(Marks(round_, coder, units[grid_units[:, 0]], codes[grid_codes[0]].tolist(),
                          applied[a:b].reshape(-1, width).astype(np.int8)))
    return kept


def _round_coder_keys(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sort keys for :func:`numpy.lexsort` (last key first) giving ``sort_values(["round", "coder"])``'s order.

    Integer codes of the sorted distinct values: lexsort is stable and much
    faster than sorting text columns of a large table.
    """
    return (pd.factorize(df["coder"].astype(str), sort=True)[0], pd.factorize(df["round"].astype(str), sort=True)[0])


STATUS_COLUMNS = ["round", "coder", "assigned", "coded", "not_coded", "state", "file", "sha256"]


def coding_status(paths: Paths, round_: str | None = None) -> pd.DataFrame:
    """Where each coder of each round stands: units assigned, coded, not coded yet, and the file last imported.

    Reads ``exports/<round>/assignment.csv`` (what was handed out),
    ``rounds.csv`` (what was imported, with the file's SHA-256) and the
    returned files in ``data/raw/coding/<round>/``.  ``state`` is one of
    *not returned*, *returned, not imported*, *imported*, *changed since
    import* (the file in the folder is not the one imported).

    Returns
    -------
    pandas.DataFrame
        :data:`STATUS_COLUMNS`, one row per round × coder.
    """
    rows: dict[tuple[str, str], dict] = {}
    for plan_path in sorted(paths.exports.glob("*/assignment.csv")):
        rnd = plan_path.parent.name
        plan = files.read_csv(plan_path, text=["unit_id", "coder"])
        for coder, n in plan.groupby("coder", sort=True).size().items():
            rows[(rnd, coder)] = {"assigned": int(n)}
    imported = read_rounds(paths) if paths.rounds.is_file() else pd.DataFrame(columns=ROUNDS_COLUMNS)
    for r in imported.itertuples(index=False):
        entry = rows.setdefault((r.round, r.coder), {})
        entry.update(coded=int(r.units_coded), file=r.source, sha256=r.sha256)
        entry.setdefault("assigned", int(r.units_assigned))
    returned: dict[tuple[str, str], list[Path]] = {}
    for path in expand([paths.coding]) if paths.coding.is_dir() else []:
        m = _FILE_NAME.match(path.stem)
        if not m:
            continue
        rnd = path.parent.name
        if m.group("coder") != "shared":
            returned.setdefault((rnd, m.group("coder")), []).append(path)
            continue
        # a shared workbook counts for each coder in it
        coders = _shared_coders(path, m.group("sheet"))
        if coders is None:  # its tabs are not read here (.ods): the round's coders, and who was imported from it
            coders = {c for (r, c) in rows if r == rnd and rows[(r, c)].get("file") in (None, paths.relative(path))}
        for coder in sorted(coders):
            returned.setdefault((rnd, coder), []).append(path)
    for key in returned:
        rows.setdefault(key, {})
    out = []
    for (rnd, coder), e in sorted(rows.items()):
        if round_ and rnd != round_:
            continue
        found = returned.get((rnd, coder), [])
        if "sha256" in e:
            state = "imported" if any(files.sha256(p) == e["sha256"] for p in found) or not found else "changed since import"
        else:
            state = "returned, not imported" if found else "not returned"
        coded = e.get("coded")
        out.append({"round": rnd, "coder": coder, "assigned": e.get("assigned"), "coded": coded,
                    "not_coded": (e["assigned"] - coded) if coded is not None and e.get("assigned") is not None else None,
                    "state": state, "file": e.get("file", paths.relative(found[0]) if found else ""),
                    "sha256": e.get("sha256", "")})
    table = pd.DataFrame(out, columns=STATUS_COLUMNS)
    for c in ("assigned", "coded", "not_coded"):
        table[c] = table[c].astype("Int64")  # whole numbers, blank where unknown
    return table


def _shared_coders(path: Path, sheet: str | None) -> set[str] | None:
    """The coders of a shared workbook, from its tab names (``Coding NAME``): a CSV download's file name names
    its one tab, an .xlsx's tab names are read from its workbook part; None where they are not cheap to find."""
    if sheet:
        return {sheet[len("Coding "):]} if sheet.startswith("Coding ") else None
    if path.suffix.lower() == ".csv" or office_kind(path) != "xlsx":
        return None
    names: list[str] = []
    try:
        xlsx_sheets(path, path.name, lambda name: names.append(name) and False)  # names only: no sheet is read
    except Exception:  # noqa: BLE001 - a damaged file: the import will say what is wrong with it
        return None
    return {n[len("Coding "):] for n in names if n.startswith("Coding ") and valid_name(n[len("Coding "):])}


def check_codings(inputs: Iterable[str | Path] | None = None, round_: str | None = None,
                  paths: Paths | None = None, coders: list[str] | None = None, overlap: str = "any",
                  coder_from: str | None = None) -> Result:
    """Read and check returned files exactly as :func:`import_codings` would, writing nothing.

    Returns
    -------
    Result
        ``problems`` (would reject the import) and ``warnings``; ``rounds``
        says what each file holds.
    """
    paths = paths or Paths.from_root()
    return _check(paths, inputs, round_, {"coders": coders, "overlap": overlap, "coder_from": coder_from})[0]


def _check(paths: Paths, inputs, round_: str | None, project: dict | None = None
           ) -> tuple[Result, pd.DataFrame, dict[str, cbmod.Codebook]]:
    sources = expand(inputs if inputs else [paths.coding])
    if not sources:
        raise InputError(f"no returned coding files found (looked in {', '.join(map(str, inputs or [paths.coding]))})")
    units = read_units(paths.units)
    books = {b.full_version: b for b in map(cbmod.load, cbmod.available(paths))}
    return read_returned(sources, units, books, round_, paths.coding, project, paths.exports), units, books


def import_codings(inputs: Iterable[str | Path] | None = None, round_: str | None = None,
                   paths: Paths | None = None, coders: list[str] | None = None, overlap: str = "any",
                   coder_from: str | None = None) -> pd.DataFrame:
    """Stage: returned workbooks -> ``codings.csv``, ``rounds.csv``, ``memos.csv``.

    Parameters
    ----------
    inputs : iterable of path-like, optional
        Files or folders (default: every round under ``data/raw/coding/``,
        which then replaces everything imported before).  Files named
        replace only their own coders' earlier imports: importing bob's file
        keeps alice.
    round_ : str, optional
        The round these files belong to (checked against each sheet); by
        default the folder name under ``data/raw/coding/``.
    coders, overlap, coder_from : list of str, str, str
        For REFI-QDA projects (``.qdpx``): every coder of the round (default: every user who made a coding), the rule
        mapping a coded selection onto units (``any`` overlap or ``majority``) and where coders come from
        (``creatingUser``, or ``source``/``set`` names for duplicated documents); see
        :func:`compassion_study.qda.read_project`.

    Returns
    -------
    pandas.DataFrame
        ``codings.csv`` as written (all rounds).

    Raises
    ------
    InputError
        With every problem in every file; nothing is written.
    """
    codings, _, warnings = _import(inputs, round_, paths or Paths.from_root(), coders, overlap, coder_from)
    codings = codings()
    codings.attrs["warnings"] = warnings
    return codings


def _import(inputs, round_: str | None, paths: Paths, coders: list[str] | None, overlap: str,
            coder_from: str | None) -> tuple[Callable[[], pd.DataFrame], int, list[str]]:
    """:func:`import_codings`' work: ``(the codings table, when asked for; its rows; the warnings)``.

    A whole new ``codings.csv`` (nothing kept from before) is written
    straight from the tabs' marks, and the command line, which only counts
    its rows, never builds the 4.8-million-row table of a 100,000-unit round.
    """
    sources = expand(inputs if inputs else [paths.coding])
    with files.remembered_digests():
        result, units, books = _check(paths, inputs, round_, {"coders": coders, "overlap": overlap,
                                                              "coder_from": coder_from})
        if result.problems:
            n_files = len({p.split(" › ")[0] for p in result.problems})
            raise InputError(result.problems, summary=f"import rejected: {len(result.problems)} problem(s) in "
                                                      f"{n_files} file(s); nothing was written:")
        rounds, memos = _frames(result, paths, units)
        imported = set(zip(rounds["round"], rounds["coder"])) if inputs else None
        if imported is None and paths.rounds.is_file():  # the folder replaces everything: say who drops out
            before = files.read_csv(paths.rounds, text=("round", "coder"))
            now = set(zip(rounds["round"], rounds["coder"]))
            result.warnings.extend(
                f"{rnd}/{coder}: imported before, but no file of theirs was read now (removed from "
                f"{paths.relative(paths.coding)}/, or skipped as said above), so their codings and memos are no "
                "longer in the study's tables; put the file back and import again to keep them"
                for rnd, coder in sorted(set(zip(before["round"], before["coder"])) - now))
        rounds = _merge(paths.rounds, rounds, imported, ROUNDS_COLUMNS)
        memos = _merge(paths.processed / "memos.csv", memos, imported, MEMOS_COLUMNS)
        mixed = rounds.groupby("round")["codebook_version"].nunique()
        if (mixed > 1).any():  # a coder imported now against others kept from before
            raise InputError([f"round '{rnd}': coded with several codebook versions: " + "; ".join(
                f"{r.coder} {r.codebook_version} ({r.source})" for r in rounds[rounds["round"] == rnd].itertuples())
                for rnd in mixed.index[mixed > 1]], summary="import rejected; nothing was written:")
        # each tab's codings are already in the order of the notes and the codebook (parse_tab): the tabs go
        # in (round, coder) order; one tab per round and coder, as read_returned refuses duplicates
        tabs = _in_order(result)[0]
        if paths.codings.is_file() and imported is not None:  # the other coders' rows are kept, in (round, coder)
            kept = _kept_marks(paths, imported) if all(isinstance(c, Marks) for c in tabs) else None
            every = None if kept is None else sorted([*kept, *tabs], key=lambda c: (c.round, c.coder))
        else:
            every = tabs
        fresh = _codings_csv(every) if every is not None else None
        if fresh is None:
            table = _merge(paths.codings, _long(tabs), imported, CODINGS_COLUMNS)
            codings, n_rows = (lambda: table), len(table)
        else:
            codings = lambda: _long(every).reset_index(drop=True)[CODINGS_COLUMNS]  # noqa: E731
            n_rows = sum(len(c.unit_ids) * len(c.code_ids) for c in every)
        outputs = [files.write_csv(rounds, paths.rounds), files.write_csv(memos, paths.processed / "memos.csv"),
                   files.write_bytes(paths.codings, fresh) if fresh is not None
                   else files.write_csv(table, paths.codings)]
        _refresh_codings_copy(paths, _codings_columns(every) if fresh is not None else _table_columns(table))
        used = sorted({books[v].path for v in rounds["codebook_version"]})
        # the files behind the coders kept from earlier imports, as they were read then (rounds.csv)
        kept_rows = rounds if imported is None else \
            rounds[~pd.MultiIndex.from_arrays([rounds["round"], rounds["coder"]]).isin(list(imported))]
        kept_inputs = [] if imported is None else [{"path": s, "sha256": h} for s, h in
                                                   zip(kept_rows["source"], kept_rows["sha256"])]
        provenance.record(paths, "import", inputs=[*sources, paths.units, *used], outputs=outputs,
                          parameters={"round": round_, "rounds": sorted(set(rounds["round"]))},
                          codebook_version=", ".join(sorted(set(rounds["codebook_version"]))),
                          recorded_inputs=kept_inputs)
    return codings, n_rows, result.warnings


def read_codings(paths: Paths, categorical: bool = False) -> pd.DataFrame:
    """``codings.csv`` (text columns as strings, or as categoricals: see :func:`files.read_csv`).

    As categoricals, the table comes from the binary copy the import wrote
    beside it (``paths.codings_copy``) when that copy was made from exactly
    these bytes (same SHA-256), else from the CSV.  The copy holds each text
    column's sorted categories and integer codes and the marks, as plain
    arrays (no pickles, fixed zip timestamps, so the same table gives the
    same bytes); parsing 4.8 million rows takes seconds, loading it a
    fraction of one.  It is a cache, not an output: nothing else reads it,
    and deleting it changes nothing.
    """
    if not paths.codings.is_file():
        raise InputError(f"{paths.relative(paths.codings)}: not found; run 'compassion-study import' first")
    if categorical:
        copy = _read_codings_copy(paths.codings_copy, paths.codings)
        if copy is not None:
            return copy
    return files.read_csv(paths.codings, text=CODINGS_TEXT, categorical=categorical)


#: ``codings.csv``'s text columns.
CODINGS_TEXT = ("round", "coder", "unit_id", "code_id")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _codings_columns(tabs: list) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """For each of ``codings.csv``'s columns as :func:`_long` lays it out: (sorted categories, codes); for
    ``applied``, (None, marks).  None unless every tab is :class:`Marks` (built without the long table)."""
    if not tabs or not all(isinstance(c, Marks) for c in tabs):
        return None
    tabs = [c for c in tabs if len(c.unit_ids) and len(c.code_ids)]  # a tab without rows adds no category
    if not tabs:
        return None
    sizes = np.array([len(c.unit_ids) * len(c.code_ids) for c in tabs], dtype=np.int64)

    def per_tab(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
        categories = np.array(sorted(set(values)), dtype=object)
        return categories, np.repeat(np.searchsorted(categories, np.array(values, dtype=object)), sizes)

    units = pd.Index(sorted(set().union(*(c.unit_ids.tolist() for c in tabs))), dtype=object)
    codes = np.array(sorted({k for c in tabs for k in c.code_ids}), dtype=object)
    return {
        "round": per_tab([c.round for c in tabs]), "coder": per_tab([c.coder for c in tabs]),
        "unit_id": (units.to_numpy(), np.concatenate([np.repeat(units.get_indexer(c.unit_ids), len(c.code_ids))
                                                      for c in tabs])),
        "code_id": (codes, np.concatenate([np.tile(np.searchsorted(codes, np.array(c.code_ids, dtype=object)),
                                                   len(c.unit_ids)) for c in tabs])),
        "applied": (None, np.concatenate([c.marks.ravel() for c in tabs]).astype(np.int8))}


def _table_columns(table: pd.DataFrame) -> dict[str, tuple[np.ndarray | None, np.ndarray]] | None:
    """:func:`_codings_columns` of a ``codings.csv`` table held whole (an import that kept other coders);
    None for anything but text ids and 0/1 marks."""
    applied = table["applied"].to_numpy()
    if not len(table) or applied.dtype.kind not in "iu" or not np.isin(applied, (0, 1)).all():
        return None  # marks the CSV parser reads as decimals (1.0) are left to it
    out = {}
    for name in CODINGS_TEXT:
        values = table[name].to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) != "string":
            return None
        codes, categories = pd.factorize(values, sort=True)
        out[name] = (np.asarray(categories, dtype=object), codes)
    return {**out, "applied": (None, applied.astype(np.int8))}


def _refresh_codings_copy(paths: Paths, columns: dict | None) -> None:
    """Write the binary copy of the ``codings.csv`` just written, or remove an old one; a cache that cannot be
    written (a full disk) is left out rather than failing the import (the CSV is then parsed)."""
    try:
        if columns is not None:
            _write_codings_copy(paths.codings_copy, columns, files.sha256(paths.codings))
        else:
            paths.codings_copy.unlink(missing_ok=True)
    except OSError:
        paths.codings_copy.unlink(missing_ok=True)


def _write_codings_copy(path: Path, columns: dict[str, tuple[np.ndarray | None, np.ndarray]], digest: str) -> None:
    """Write the binary copy of ``codings.csv`` (see :func:`read_codings`), or remove it if a value would change."""
    import zipfile

    arrays = {"sha256": np.array([digest])}
    for name, (categories, codes) in columns.items():
        if categories is not None:
            arrays[f"{name}.categories"] = categories.astype(str)
            # NumPy's text arrays drop trailing NULs: a value they cannot hold exactly is not cached at all
            if arrays[f"{name}.categories"].tolist() != [str(v) for v in categories]:
                path.unlink(missing_ok=True)
                return
        width = np.int8 if categories is None or len(categories) < 128 else np.int16 if len(categories) < 1 << 15 \
            else np.int32
        arrays[f"{name}.codes"] = codes.astype(width)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH), member.getvalue())
    files.write_bytes(path, buf.getvalue(), sync=False)  # a cache: checked when read


def _read_codings_copy(path: Path, csv: Path) -> pd.DataFrame | None:
    """The binary copy at ``path`` as a categorical ``codings.csv`` table, if it was made from ``csv`` as it
    is now and is whole; else None (the CSV is read).

    A copy is checked before anything in it is allocated: stored members
    only, each a 1-D ``.npy`` whose declared shape fills exactly its bytes,
    the SHA-256 of ``csv`` as it is now, integer codes within their sorted,
    distinct categories, marks 0 or 1, all columns of one length.
    """
    import zipfile

    arrays = {}
    try:
        if not path.is_file() or path.stat().st_size > 2 * csv.stat().st_size + (1 << 20):
            return None  # a copy holds at most 8 bytes a row, and its ids once: far less than its CSV
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                    return None
                with z.open(info) as fh:
                    header = {(1, 0): np.lib.format.read_array_header_1_0,
                              (2, 0): np.lib.format.read_array_header_2_0}.get(np.lib.format.read_magic(fh))
                    if header is None:
                        return None
                    shape, _, dtype = header(fh)
                    if len(shape) != 1 or dtype.hasobject or fh.tell() + shape[0] * dtype.itemsize != info.file_size:
                        return None
            digest = files.sha256(csv)
            for info in z.infolist():
                with z.open(info) as fh:
                    arrays[info.filename[:-4]] = np.lib.format.read_array(fh, allow_pickle=False)
        if arrays.get("sha256", np.array([])).tolist() != [digest]:
            return None
        applied = arrays["applied.codes"]
        if applied.dtype.kind not in "iu" or not np.isin(applied, (0, 1)).all():
            return None
        columns = {}
        for name in CODINGS_TEXT:
            categories, codes = arrays[f"{name}.categories"], arrays[f"{name}.codes"]
            if categories.dtype.kind != "U" or codes.dtype.kind not in "iu" or len(codes) != len(applied):
                return None
            categories = categories.astype(object)
            if (len(categories) > 1 and not all(a < b for a, b in zip(categories[:-1], categories[1:]))) \
                    or (len(codes) and not (0 <= codes.min() and codes.max() < len(categories))):
                return None
            columns[name] = pd.Categorical.from_codes(codes.astype(np.int64),
                                                      categories=pd.Index(categories, dtype=object))
    except Exception:  # noqa: BLE001 - a damaged cache of any kind: read the CSV
        return None
    return pd.DataFrame({**columns, "applied": applied.astype(np.int64)}, columns=CODINGS_COLUMNS)


def read_rounds(paths: Paths) -> pd.DataFrame:
    """``rounds.csv``: one row per round × coder with source hash and codebook version."""
    if not paths.rounds.is_file():
        raise InputError(f"{paths.relative(paths.rounds)}: not found; run 'compassion-study import' first")
    return files.read_csv(paths.rounds, text=("round", "coder", "source", "sheet", "sha256", "codebook_version"))


def header_comment(code: dict) -> str:
    """The comment the export puts on a code's header cell: its label, id and brief definition."""
    return f"{code['label']} ({code['id']}): {code['brief']}"


def comment_problem(text: str, column: str) -> str:
    """What to say of a cell comment (a note attached to a cell): the import reads cells, never comments."""
    shown = text if len(text) <= 50 else text[:50] + "…"
    return (f"has a cell comment (“{shown}”), which the import does not read; put its text in the {column} column, "
            "delete the comment, and save again")


def read_grid(path: Path, sheet: str) -> tuple[list[list[object]], list[list[str | None]] | None] | None:
    """One named sheet of a returned .xlsx/.ods (or a CSV of it) as a grid, with its cell fills (None for CSV).

    The same checks as the coding workbooks (type, size, zip bombs, DTDs, encrypted files), formula cells
    reported as :class:`~compassion_study.spreadsheets.Formula`; None when the workbook has no such sheet.
    """
    suffix = path.suffix.lower()
    files.check_input(path, SUFFIXES, MAX_BYTES, path.name, "return .xlsx, .ods or .csv")
    if suffix == ".csv":
        return files.read_text_table(path), None
    why = files.zip_problem(path, MAX_UNZIPPED)
    if why:
        raise InputError(f"{path.name}: {why}")
    try:
        shades: dict = {}
        notes: dict = {}
        if (office_kind(path) or suffix[1:]) == "xlsx":
            grids = xlsx_sheets(path, path.name, lambda name: name == sheet, shades, notes)
        else:
            grids = read_ods(path, path.name, shades, notes)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path.name}: cannot be read as {suffix} ({type(exc).__name__}: {exc})") from None
    if sheet not in grids:
        return None
    if notes.get(sheet):  # a note or a decision's reason written as a cell comment would be lost
        raise InputError([f"{where(path.name, sheet, cell(r, c))}: {comment_problem(text, 'note or summary')}"
                          for r, c, text in notes[sheet]])
    return grids[sheet], shades[sheet]
