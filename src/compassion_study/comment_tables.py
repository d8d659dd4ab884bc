"""Comment tables exported from workshop tools: which cells are comments, and under which prompt.

Workshop tools export one row per post or per respondent: Padlet (``Subject``,
``Body``, ``Section``), Microsoft Forms (``ID``, ``Start time``, ``Completion
time``, ``Email``, ``Name``, then one column per question), Mentimeter and
Slido (one column or one sheet per question, or Slido's Q&A list with
``Question`` and ``Votes``).  :func:`read_table` reads such a table (CSV in
UTF-8, UTF-16 or Windows-1252 with ``,`` ``;`` or tab; .xlsx; .ods) and
returns every non-empty comment cell with its place; :mod:`.ingest` turns
them into units.

How a table is read
-------------------
The first non-empty row of each sheet is its header row.  Every column gets
one role (:data:`COLUMN_ROLES`):

* **identity** columns (names, e-mail addresses, ids, staff numbers, dates
  and times, wherever the word stands in a short header, see
  :func:`identity`) are never read: their values reach no unit and no log;
* **metadata** columns (votes, likes, attachments, answered, …) hold no
  comment text and are not read either;
* with a :class:`Mapping` (``--text``/``--prompt``/``--theme``/``--section``
  or ``comment_tables:`` in ``study.yaml``) the named columns are read; with
  several ``text`` columns and no ``prompt`` column each text column's header
  is its comments' prompt, with one the prompt is the table's title;
* without a mapping a preset is recognised by its headers: Padlet (``Body``,
  with ``Subject`` joined in front as ``Subject — Body``, ``Section`` as the
  section), Slido's Q&A (``Question`` beside ``Votes``, ``Answered``,
  ``Highlighted`` or ``Author``: section ``questions``), or question columns
  (a table with identity columns, or whose other headers all end in ``?``:
  every other column is a question and its header the prompt);
* a question column whose answers are all numbers (a 1–5 **rating**, a
  count) holds no comments: its cells are logged as skipped, with their
  numbers, and :mod:`.ingest` warns about them (``--strict`` refuses);
* any other column is **other**: its non-empty cells are in no unit, are
  logged by place only (row and column, not their text, which may name
  people), and :mod:`.ingest` warns about them (``--strict`` refuses).

A table that matches no preset is refused with its headers and the mapping
options.  The table's title (the prompt when no column gives one) is the sheet
name in a workbook of several sheets, else the file name without extension.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import files, spreadsheets
from .spreadsheets import column_letter
from .errors import InputError, where
from .paths import TABLE_SUFFIXES

#: Largest comment table read (a 100,000-comment export is about 20 MB).
MAX_BYTES = 100 * 1024 * 1024
MAX_UNZIPPED = 1024 * 1024 * 1024
#: Keys of a :class:`Mapping` (CLI options and ``study.yaml`` ``comment_tables:``).
MAPPING_KEYS = ("text", "prompt", "theme", "section")
COLUMN_ROLES = ("text", "prompt", "theme", "section", "identity", "metadata", "rating", "other")
#: Joins a Padlet post's subject and body into one comment.
SUBJECT_JOIN = " — "
MAPPING_HELP = ("name the columns with --text COL (repeat it for one column per question) and, if the table has them, "
                "--prompt COL --theme COL --section COL, or the same under 'comment_tables:' in study.yaml")

#: A short header is an identity column when it is made of these words only, one of them from
#: :data:`_IDENTITY_CORE` (``Your name``, ``Name of respondent``, ``Email address``, ``Employee ID``,
#: ``Staff number``, ``Start time``); another word makes it a question (``Name one barrier``, ``Team names``).
_IDENTITY_CORE = frozenset({"name", "names", "email", "e-mail", "id", "date", "time", "timestamp", "created",
                            "updated", "modified", "submitted", "completed", "number", "no", "no."})
_IDENTITY_FILLER = frozenset({"your", "my", "full", "first", "last", "given", "family", "of", "the", "respondent",
                              "respondents", "participant", "participants", "staff", "employee", "address", "start",
                              "end", "submission", "response", "completion", "work", "contact", "and", "assignment",
                              "payroll", "pay", "nhs", "user", "login", "at", "on", "when"})
#: A bracketed qualifier, which says nothing about what the column holds: ``Name (optional)``, ``Email [work]``.
_QUALIFIER = re.compile(r"\([^)]*\)|\[[^\]]*\]")
#: A number as a spreadsheet or a CSV holds it: a rating (``4``, ``4.5``, ``4,5``), a count, a score.
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_METADATA = frozenset({"votes", "vote", "likes", "like", "upvotes", "downvotes", "reactions", "reaction", "score",
                       "rating", "points", "attachment", "attachments", "attachment url", "link", "url", "labels",
                       "label", "highlighted", "answered", "starred", "archived", "status", "color", "colour",
                       "position", "sort order", "pinned", "approved", "hidden", "language", "type", "total"})
_SLIDO_QA = frozenset({"votes", "answered", "highlighted", "author", "labels"})


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower())


_IDENTITY = frozenset({
    "id", "#", "no", "no.", "number", "name", "full name", "first name", "last name", "surname", "given name",
    "family name", "author", "author name", "user", "user name", "username", "user id", "email", "e-mail",
    "email address", "e-mail address", "respondent", "respondent id", "response id", "participant",
    "participant id", "participant name", "voter", "voter id", "voter name", "submitted by", "created by",
    "posted by", "owner", "ip", "ip address", "device", "session id", "voting session", "anonymous",
    "employee id", "employee number", "staff number", "assignment number", "nhs number"})


def identity(header: str) -> bool:
    """Whether a column header names people or times (never read): ``Name``, ``Email``, ``ID``, ``Start time``.

    A header that is a question (ends in ``?``) or longer than four words is
    not an identity column, however it is worded.  Bracketed qualifiers and a
    closing colon do not count: ``Name (optional)``, ``Email address
    (optional)``, ``Staff number (if known)``, ``Full name:``.

    >>> [identity(h) for h in ("Name (optional)", "Your name", "Employee ID", "What helps?", "Team")]
    [True, True, True, False, False]
    >>> [identity(h) for h in ("Name one barrier", "Team names", "Barriers to protected time", "Start time")]
    [False, False, False, True]
    """
    h = _norm(_QUALIFIER.sub(" ", header)).rstrip(":").strip()
    if not h or h.endswith("?") or len(h.split()) > 4:
        return False
    words = h.split()
    return h in _IDENTITY or (any(w in _IDENTITY_CORE for w in words)
                              and all(w in _IDENTITY_CORE or w in _IDENTITY_FILLER for w in words))


def numeric(values) -> bool:
    """Whether a column's non-empty cells are all numbers: a rating or a count, no comment text.

    >>> numeric([4, "5", None, "3.5"]), numeric(["4", "Too many meetings"]), numeric([None, ""])
    (True, False, False)
    """
    found = False
    for v in values:  # stops at the first word: a comment column costs one cell
        if v is None or isinstance(v, spreadsheets.Formula) or (isinstance(v, str) and not v.strip()):
            continue  # empty; a formula is reported as a problem of its own
        if isinstance(v, bool) or not (isinstance(v, (int, float)) or NUMBER.fullmatch(str(v).strip())):
            return False
        found = True
    return found


def metadata(header: str) -> bool:
    """Whether a column header names counts or flags that hold no comment text (``Votes``, ``Attachment``)."""
    return _norm(header) in _METADATA


@dataclass(frozen=True)
class Mapping:
    """Which columns of a comment table hold what; empty means "recognise the preset"."""

    text: tuple[str, ...] = ()
    prompt: str = ""
    theme: str = ""
    section: str = ""

    def __bool__(self) -> bool:
        return bool(self.text or self.prompt or self.theme or self.section)


@dataclass
class Table:
    """The comments of one comment table, and the role of every header and read cell."""

    source: str
    session: str
    #: dicts with prompt, section, theme, text (raw cell text), sheet, row, column (header), index, cell (for messages)
    comments: list[dict] = field(default_factory=list)
    #: (sheet, row, column, role, text) for each header and each read cell; identity and metadata values never
    log: list[tuple] = field(default_factory=list)
    #: problems of single cells (formulas), for the caller to report with its own checks of the text
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading grids


def _grids(path: Path, label: str) -> list[tuple[str, list[list[object]]]]:
    """(sheet name, rows) of every sheet; a CSV is one sheet named ''."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return [("", files.read_text_table(path))]
    why = files.zip_problem(path, MAX_UNZIPPED)
    if why:
        raise InputError(f"{label}: {why}")
    try:
        if (spreadsheets.office_kind(path) or suffix[1:]) == "xlsx":
            return list(spreadsheets.xlsx_sheets(path, label).items())
        return list(spreadsheets.read_ods(path, label).items())
    except InputError:
        raise
    except Exception as exc:  # zipfile, expat and odfpy raise many types for damaged files
        raise InputError(f"{label}: cannot be read as {suffix} ({type(exc).__name__}: {exc})") from None


def _cell(value: object, place, problems: list[str]) -> str:
    """A cell's text; ``place()`` names it only when there is something to say."""
    if isinstance(value, spreadsheets.Formula):
        problems.append(f"{place()}: holds a formula ({str(value)[:40]}); a workshop tool's export has none: "
                        "paste the values instead")
        return ""
    return "" if value is None else spreadsheets.as_text(value).strip()


# --------------------------------------------------------------------------- columns


def _plan(headers: list[str], mapping: Mapping, place: str) -> tuple[dict[int, str], str]:
    """Role of every column (:data:`COLUMN_ROLES`), and the preset's name; raises for an unreadable table."""
    normed = [_norm(h) for h in headers]
    roles = {i: "identity" if identity(h) else "metadata" if metadata(h) else "other" for i, h in enumerate(headers)}
    listing = ", ".join(f"'{h}'" for h in headers if h) or "(none)"
    if mapping:
        problems = []

        def find(name: str) -> int | None:
            hits = [i for i, h in enumerate(normed) if h == _norm(name)]
            if len(hits) != 1:
                problems.append(f"{place}: {'no' if not hits else f'{len(hits)} columns named'} '{name}' "
                                f"{'column ' if not hits else ''}(headers: {listing})")
                return None
            return hits[0]

        for key in ("prompt", "theme", "section"):
            name = getattr(mapping, key)
            if name and (i := find(name)) is not None:
                roles[i] = key
        for name in mapping.text or ():
            if (i := find(name)) is not None:
                roles[i] = "text"
        if not mapping.text:
            problems.append(f"{place}: the mapping names no text column (--text COL)")
        if problems:
            raise InputError(problems, summary=f"{place}: the mapping does not fit the table:" if len(problems) > 1 else None)
        return roles, "mapping"
    if "body" in normed:
        for key, header in (("text", "subject"), ("text", "body"), ("section", "section")):
            if header in normed:
                roles[normed.index(header)] = key
        return roles, "padlet"
    if "question" in normed and _SLIDO_QA & set(normed):
        roles[normed.index("question")] = "text"
        return roles, "slido-qa"
    rest = [i for i, r in roles.items() if r == "other" and headers[i]]
    if rest and (any(r == "identity" for r in roles.values()) or all(headers[i].endswith("?") for i in rest)):
        for i in rest:
            roles[i] = "text"
        return roles, "questions"
    raise InputError(
        f"{place}: not a comment table this package recognises (headers: {listing}); it reads Padlet, Microsoft "
        f"Forms, Mentimeter and Slido exports by their headers. Otherwise {MAPPING_HELP}; a table that holds no "
        "comments (an attendance list) does not belong in the notes folder")


def read_table(path: str | Path, label: str, mapping: Mapping = Mapping()) -> Table:
    """Read one exported comment table; every problem of the file at once.

    Parameters
    ----------
    path : path-like
        A .csv, .tsv, .xlsx or .ods file.
    label : str
        How messages name the file (its path inside the notes folder).
    mapping : Mapping, optional
        Columns named by the researcher; empty: recognise the tool by its headers.

    Returns
    -------
    Table
        Comments in row order (sheet by sheet, column by column within a row).

        Formula cells are in ``Table.problems`` (``file › sheet › row N ›
        column X``), for the caller to report with its own checks.

    Raises
    ------
    InputError
        Missing, oversized, damaged or unrecognised files, and mappings that
        name absent or repeated columns.
    """
    path = Path(path)
    files.check_input(path, TABLE_SUFFIXES, MAX_BYTES, label, f"comment tables must be {', '.join(TABLE_SUFFIXES)}")
    grids = [(name, grid) for name, grid in _grids(path, label)
             if any(spreadsheets.as_text(v).strip() for row in grid for v in row)]
    if not grids:
        raise InputError(f"{label}: the table has no text")
    out = Table(source=label, session=path.stem)
    problems: list[str] = []
    structural: list[str] = []  # the table cannot be read at all
    for sheet, grid in grids:
        title = sheet if len(grids) > 1 else path.stem
        top = next(r for r, row in enumerate(grid) if any(spreadsheets.as_text(v).strip() for v in row))
        width = max(len(row) for row in grid)
        headers = [_cell(v, lambda c=c: where(label, sheet, f"row {top + 1}", f"column {column_letter(c)}"), problems)
                   for c, v in enumerate(list(grid[top]) + [None] * (width - len(grid[top])))]
        names = [h or f"column {column_letter(c)}" for c, h in enumerate(headers)]
        cell_names = [f"column {column_letter(c)} ({name})" for c, name in enumerate(names)]
        try:
            roles, preset = _plan(headers, mapping, where(label, sheet))
        except InputError as exc:
            structural.extend(exc.problems)
            continue
        if preset == "questions":  # a question answered with numbers only (a 1-5 rating) holds no comments
            for c in [c for c, r in roles.items() if r == "text"]:
                if numeric(row[c] if c < len(row) else None for row in grid[top + 1:]):
                    roles[c] = "rating"
        text_cols = [c for c, r in roles.items() if r == "text"]
        by_header = preset == "questions" or (preset == "mapping" and len(text_cols) > 1 and not mapping.prompt)
        joined = preset == "padlet" and len(text_cols) == 2  # Subject and Body: one post, one comment
        read = {c: role for c, role in roles.items() if role not in ("identity", "metadata")}
        for c, role in roles.items():
            if headers[c]:
                shown = role if role in ("identity", "metadata") else "prompt" if role == "text" and by_header else "header"
                out.log.append((sheet, top + 1, names[c], shown, headers[c]))
        comments = []
        for r in range(top + 1, len(grid)):
            row = grid[r]
            cells = {}
            for c in read:
                v = row[c] if c < len(row) else None
                if v is None:
                    continue
                # a plain string is the common case: only other values need the general (slower) path
                t = v.strip() if type(v) is str else _cell(v, lambda c=c: where(
                    label, sheet, f"row {r + 1}", cell_names[c]), problems)
                if t:
                    cells[c] = t
            if not cells:
                continue
            found = {role: cells.get(c, "") for c, role in read.items() if role in ("prompt", "theme", "section")}
            for c, text in cells.items():  # an unread column's cells are logged by place only: they may name people
                role = "unit" if read[c] == "text" else "skipped" if read[c] in ("other", "rating") else read[c]
                out.log.append((sheet, r + 1, names[c], role, text if read[c] != "other" else ""))
            texts = [(c, cells[c]) for c in text_cols if c in cells]
            if joined and texts:
                texts = [(texts[-1][0], SUBJECT_JOIN.join(t for _, t in texts))]
            for c, text in texts:
                comments.append({
                    "prompt": headers[c] if by_header else found.get("prompt") or title,
                    "section": "questions" if preset == "slido-qa" else found.get("section", ""),
                    "theme": found.get("theme", ""), "text": text, "sheet": sheet, "row": r + 1, "column": names[c], "index": c,
                    "cell": cell_names[c]})
        # one column per question: all answers to a question together, in the table's row order
        out.comments.extend(sorted(comments, key=lambda d: d["index"]) if by_header else comments)
    if structural:
        raise InputError(structural, summary=f"{label}: {len(structural)} problem(s):" if len(structural) > 1 else None)
    out.problems = problems
    return out
