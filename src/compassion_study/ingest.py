"""Ingest: workshop notes (.txt, .md, .docx) and comment tables -> ``units.csv``.

A *unit* is one comment a breakout group recorded, or one question the groups
put to the speaker.  The notes' structure is recovered from its shape, never
from a list of one document's theme names (``docs/ingest.md`` has the whole
list, with the corpus that tests each rule):

* the first plain (non-bullet) line is the session title;
* a plain line ending in ``?`` before a list is a discussion **prompt**; one
  squeezed inside a list is a comment that lost its bullet (:func:`_lost_bullet`);
* where no plain line ends in ``?``: numbered questions over nested items
  (Word minutes pasted as text, :func:`_numbered_prompts`) and, in Markdown,
  ``##`` headings over bullets (:func:`_heading_prompts`) are the prompts;
* a ``Group 1`` line right above a prompt is a **group**: the theme of every
  comment up to the next group line, across prompts;
* a plain line that mentions *question(s)* without ending in ``?`` opens the
  speaker-**questions** block (its bullets are units, section ``questions``),
  if short or right before a list (one squeezed inside a list is a comment);
  any heading after it ends the block;
* a plain line about *resources*, *links*, *reading* or *references* opens a
  block whose content is not units;
* under a prompt, a short plain line is a **section** (``Key Themes –
  positives`` gives ``positives``); a Markdown heading, bold line or
  ``Group 2`` line (``Group 2:`` too, without its colon) is a **theme**;
* among the bullets of a prompt, a **theme heading** is found by its role in
  the outline (:func:`theme_flags`): short, no closing punctuation (or a short
  question in a list with other themes), followed by longer items, in a list
  that keeps that shape (:func:`_consistent`);
* every other bullet is a comment, kept verbatim except for Word export
  residue (``[bookmark: …]``, stray bullet glyphs, non-breaking, zero-width and
  doubled spaces, soft line breaks); indented lines (tabs every 4 columns)
  continue it, and so does a line in lower case right under it whose line
  above ends no sentence (:func:`_wrapped`);
* in a .docx, every paragraph of the body is read in document order,
  including table cells (read as list items) and text boxes.

A prompt, section or theme with no comment under it holds words that are in
no unit, like a skipped line: both are warnings (:func:`unaccounted`).

Comment tables exported from workshop tools (.csv, .tsv, .xlsx, .ods) are read
by :mod:`.comment_tables`: one unit per non-empty answer, identity columns
never read.  Every non-empty line and read cell gets a role in
``ingest_log.csv`` (:data:`ROLES`).

``unit_id`` is ``u`` + the first 10 hex digits of the SHA-256 of the unit's
text, so it survives re-runs and edits to other comments; repeated texts get
``-2``, ``-3`` … in document order.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import comment_tables, files, provenance
from .errors import InputError, where
from .paths import NOTE_SUFFIXES, TABLE_SUFFIXES, Paths

#: Column order of ``units.csv`` (design.md contract, then extras).
COLUMNS = ["unit_id", "source", "prompt", "section", "theme", "position", "text", "session"]
#: Columns of ``ingest_log.csv``.
LOG_COLUMNS = ["source", "sheet", "line", "column", "role", "text"]
TEXT_COLUMNS = ("unit_id", "source", "prompt", "section", "theme", "text", "session")

#: Longest bullet (in words) that can be a theme heading.
HEADING_MAX_WORDS = 5
HEADING_MAX_CHARS = 45
#: What a non-empty line of notes can be (``ingest_log.csv``). Only ``skipped``
#: lines hold words that are in no unit and no heading: each is a warning.
ROLES = ("title", "prompt", "section", "theme", "group", "unit", "continuation", "resources", "skipped",
         "header", "identity", "metadata")
#: Longest plain line (in words) that can be a section heading under a prompt.
SECTION_MAX_WORDS = 8
#: Largest notes file read (bytes); notes are a few pages, not a corpus.
MAX_BYTES = 50 * 1024 * 1024

#: Bullet glyphs Word, LibreOffice and Google Docs leave in text exports
#: (U+F0B7 etc. are the Symbol-font bullets of Word's private-use area).
_GLYPHS = "\u00b7\u2022\u25aa\u25ab\u25e6\u2023\u2219\u25cf\u25cb\u25a0\u25a1\u27a2\u2043\uf0b7\uf0a7\uf076\uf0d8\uf0fc"
# Word's HTML lists pasted from Outlook put a no-break space after the marker ("o\u00a0", "·\u00a0").
_BULLET = re.compile(rf"^[ \t]*(?:[{_GLYPHS}][ \t\u00a0]*|[-*+o\u2013\u2014][ \t\u00a0]+|\(?\d{{1,3}}[.)][ \t\u00a0]+"
                     rf"|\(?(?:[a-z]|[ivx]{{2,4}})[.)][ \t\u00a0]+)")  # a., b. …; i., ii., iii. …
#: A breakout group named by number ("Group 2", "Breakout room 3", "Table 1:"): a theme, not a section.
_GROUP_LINE = re.compile(r"^(group|breakout(\s+room)?|room|table)\s*\d{1,3}\b", re.IGNORECASE)
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"^(\*\*|__)(.+)\1$")
_RESIDUE = re.compile(r"\[bookmark: [^\]]*\]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Characters str.splitlines() would split a comment at, other than a line
# break: inside a line they are spacing (Word's Shift+Enter, form feeds).
_SEPARATORS = dict.fromkeys(map(ord, "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), " ")
_INVISIBLE_OR_SEPARATOR = re.compile("[" + "".join(map(chr, [*_INVISIBLE, *_SEPARATORS])) + "]")
#: Control characters no notes text has; a spreadsheet cannot hold them either.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Longest comment a spreadsheet cell can hold (Excel's and LibreOffice's limit).
MAX_CELL_CHARS = files.MAX_CELL_CHARS
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u2009\u2002\u2003]+")
_STRAY_LEADING = re.compile(rf"^(?:[{_GLYPHS}][ \t\u00a0]*)+")
_PRIVATE_GLYPHS = re.compile(r"[\uf0b7\uf0a7\uf076\uf0d8\uf0fc]")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SECTION_PREFIX = re.compile(r"^key\s+themes?\s*[\u2013\u2014:-]\s*", re.IGNORECASE)
_QUESTIONS = re.compile(r"\bquestions?\b", re.IGNORECASE)
_QUESTIONS_PLURAL = re.compile(r"\bquestions\b|\bq\s?&\s?a\b", re.IGNORECASE)
#: A resources heading is made of these words only (``Further resources``, ``Useful links and reading:``): a line
#: that merely starts with one ("Links with community teams", "Reading the survey together") is not.
_RESOURCE_WORDS = frozenset({"resources", "resource", "reading", "links", "link", "references", "reference",
                             "materials", "further", "useful", "additional", "suggested", "recommended", "and", "&"})
_RESOURCE_CORE = frozenset({"resources", "resource", "reading", "links", "link", "references", "reference"})


#: What a line under a resources heading names when it is a resource without a link.
_RESOURCE_NAMES = re.compile(r"\b(slides?|intranet|website|web ?site|site|video|videos|recording|handouts?|links?|"
                             r"documents?|leaflets?|e-?mail(ed)?|books?|articles?|podcasts?|courses?|training|pages?|"
                             r"channel|playlist|pdf|resources?|reading|references?|materials?|toolkit|guide|report)\b",
                             re.IGNORECASE)


def _links_follow(lines: Sequence[Line], i: int, reach: int = 200) -> bool:
    """Whether the items under line ``i`` (up to the next plain line) hold a link: a resources block holds links,
    while a theme called "Resources" (staffing, budgets) holds comments, which must not be filed away."""
    for line in lines[i + 1:i + 1 + reach]:
        if _URL.search(line.text):
            return True
        if line.text and not line.bullet and line.indent < 2:
            return False  # the next heading: the block under line i had no link
    return False


def _resources_heading(text: str) -> bool:
    words = text.lower().rstrip(":").split()
    return 0 < len(words) <= 6 and set(words) <= _RESOURCE_WORDS and bool(_RESOURCE_CORE & set(words))
_CLOSING_PUNCT = tuple(".?!:;,")


@dataclass
class Line:
    """One line (or .docx paragraph) of a notes file."""

    number: int
    text: str
    bullet: bool
    level: int = 0
    heading: bool = False  # a styled heading (.md '#', .docx 'Heading n')
    emphasis: bool = False  # a whole-line bold paragraph (.md '**x**', .docx bold runs)
    indent: int = 0  # leading spaces of a plain line; a .docx list paragraph without a number gets 2
    marker: str = ""  # a text bullet's kind of marker: its glyph, "1." for numbers, "a." for letters
    depth: int = 0  # a Markdown heading's number of '#'
    prompt: bool = False  # a prompt by its place in the outline, whatever its punctuation (:func:`_heading_prompts`)
    header: bool = False  # a cell of a .docx table's header row ("Theme | Comments"): labels, not comments


@dataclass
class Parsed:
    """Units recovered from one notes file, plus what was passed over."""

    source: str
    session: str
    units: list[dict] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    #: line number -> (role, text) for every non-empty line; roles are :data:`ROLES`
    roles: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: a comment table's log instead: (sheet, row, column, role, text), see :mod:`.comment_tables`
    cells: list[tuple] = field(default_factory=list)


def clean(text: str) -> str:
    """Remove Word export residue and normalise spacing; keep the wording.

    >>> clean("[bookmark: _GoBack]Pace of  work\\u00a0has")
    'Pace of work has'
    """
    if text.isascii() and text.isprintable() and "  " not in text and "[bookmark:" not in text:
        return text.strip()  # nothing below would change it (most lines): skip the work
    text = unicodedata.normalize("NFC", text)
    if _INVISIBLE_OR_SEPARATOR.search(text):  # rare; translate costs far more than a search
        text = text.translate(_INVISIBLE).translate(_SEPARATORS)
    text = _RESIDUE.sub("", text)
    text = _PRIVATE_GLYPHS.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return _STRAY_LEADING.sub("", text)


def _words(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------- readers


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: not a text file (it contains binary data); expected UTF-8 text notes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = ""
        try:
            data.decode("cp1252")
            hint = "; it looks like a legacy Windows-1252 (cp1252) file: re-save it as UTF-8"
        except UnicodeDecodeError:
            pass
        raise InputError(
            f"{where(path, f'line {line}')}: byte 0x{data[exc.start]:02x} at column {col} is not UTF-8{hint}"
        ) from None


def _text_lines(path: Path, markdown: bool) -> list[Line]:
    data = path.read_bytes()
    text = _decode(path, data)
    lines = []
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        lead = len(raw) - len(raw.lstrip(" \t"))
        if "\t" in raw[:lead]:  # a tab is indentation (continuation lines, sub-bullets): tab stops every 4 columns
            raw = raw[:lead].expandtabs(4) + raw[lead:]
        heading, depth = False, 0
        if markdown and _MD_HEADING.match(raw):
            depth = len(raw) - len(raw.lstrip("#"))
            raw, heading = _MD_HEADING.sub("", raw), True
        m = _BULLET.match(raw)
        # a bare "- " line or glyph with nothing after is not a bullet
        bullet = bool(m) and bool(raw[m.end():].strip()) and not heading
        body = raw[m.end():] if bullet else raw
        indent = len(raw) - len(raw.lstrip(" \t"))
        emphasis = False
        if markdown:
            emphasis = bool(_MD_EMPHASIS.match(body.strip())) and not bullet
            body = _MD_EMPHASIS.sub(r"\2", body.strip())
        marker = ""
        if bullet:
            # one marker per kind of list: numbers, letters, roman numerals (i. ii. iii.), glyphs
            mark = raw[:m.end()].strip(" \t\u00a0")
            marker = re.sub(r"\d+", "1", re.sub(r"^\(?[ivx]{1,4}([.)])$", r"i\1", mark) if re.fullmatch(
                r"\(?[ivx]{1,4}[.)]", mark) else re.sub(r"^\(?[a-z]([.)])$", r"a\1", mark))
            if raw[:1] not in " \t" and "\t" in raw[:m.end()]:
                marker += "\t"  # Word's list pasted as text: marker, tab, text, with the indentation gone
        lines.append(Line(number, clean(body), bullet, level=indent // 2 if bullet else 0, heading=heading,
                          emphasis=emphasis, indent=0 if bullet else indent, marker=marker, depth=depth))
    # Word's list pasted as text keeps each level's marker (·, o, then 1., a. …) but not its indentation: there
    # a kind of marker is one level deeper than those seen before it, as reStructuredText orders its heading marks
    kinds = list(dict.fromkeys(ln.marker for ln in lines if ln.marker.endswith("\t")))
    if len(kinds) > 1:
        for ln in lines:
            if ln.marker.endswith("\t"):
                ln.level = kinds.index(ln.marker)
    return lines


def _docx_lines(path: Path) -> list[Line]:
    try:
        import docx  # python-docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise InputError(f"{path}: reading .docx needs python-docx ({exc})") from None
    why = files.zip_problem(path, kind="Word document")
    if why:
        raise InputError(f"{path}: not a readable Word .docx file: it {why}")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a readable Word .docx file ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # lxml and zip errors of damaged files
        raise InputError(f"{path}: not a readable Word .docx file ({type(exc).__name__})") from None

    def numbering_level(paragraph) -> int | None:
        ppr = paragraph._p.pPr
        if ppr is not None and ppr.numPr is not None:
            ilvl = ppr.numPr.ilvl
            return int(ilvl.val) if ilvl is not None else 0
        style = paragraph.style
        while style is not None:  # numbering inherited from the paragraph style
            spr = style.element.pPr
            if spr is not None and spr.numPr is not None:
                if spr.numPr.ilvl is not None:
                    return int(spr.numPr.ilvl.val)
                # Word's "List Bullet 2" style: a separate list, one level in
                m = re.search(r"(\d+)$", style.name or "")
                return int(m.group(1)) - 1 if m else 0
            style = style.base_style
        return None

    lines = []
    for number, (p, in_table, header) in enumerate(_body_paragraphs(document.element.body), start=1):
        paragraph = Paragraph(p, document)  # the parent gives the styles (document.part)
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = numbering_level(paragraph)
        # a table cell is an item of a list: a "Theme | comment" table gives themes and comments by the list rules
        bullet = level is not None or style.lower().startswith("list") or in_table
        if bullet and level is None:
            m = re.search(r"(\d+)$", style)
            level = int(m.group(1)) - 1 if m else 0
        heading = style.lower().startswith(("heading", "title"))
        runs = [r for r in paragraph.runs if r.text.strip()]
        emphasis = bool(runs) and all(r.bold for r in runs) and not bullet
        # a "List Paragraph" with no number of its own, right after a list item, is that item's next paragraph
        follow_on = bullet and numbering_level(paragraph) is None and style.lower() == "list paragraph" and not in_table
        lines.append(Line(number, clean(_paragraph_text(p)), bullet and not heading and not follow_on and not header,
                          level or 0, heading and not header, emphasis=emphasis and not header,
                          indent=2 if follow_on else 0, header=header))
    return lines


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Markup-compatibility copies: Word stores a text box twice, as DrawingML and as a VML fallback.
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
#: What a run's text elements read as; a line or page break, tab or carriage return inside a paragraph
#: (Shift+Enter) is spacing, so that a comment stays one line of the canonical outline.
_DOCX_TEXT = {_W + "t": None, _W + "tab": " ", _W + "ptab": " ", _W + "br": " ", _W + "cr": " ",
              _W + "noBreakHyphen": "-"}


#: Subtrees of a paragraph that are not its text now: a text box anchored in it (read as paragraphs of its
#: own), its VML copy, and tracked deletions and moves away (a tracked move keeps the text at both places).
_DOCX_NOT_TEXT = frozenset({_W + "txbxContent", _MC_FALLBACK, _W + "del", _W + "moveFrom"})


def _body_paragraphs(body) -> Iterable[tuple[object, bool, bool]]:
    """Every ``w:p`` of a document body in document order, whether it is in a table cell, and whether that
    cell is in the table's header row (:func:`_header_row`).

    Paragraphs in tables, text boxes and content controls are included
    (``document.paragraphs`` holds only the top-level ones); the VML copy of
    a text box under ``mc:Fallback`` is not, or its words would be read twice.
    """
    for p in body.iter(_W + "p"):
        ancestors = list(p.iterancestors())
        tags = {a.tag for a in ancestors}
        if _MC_FALLBACK not in tags:
            row = next((a for a in ancestors if a.tag == _W + "tr"), None)
            yield p, _W + "tc" in tags, row is not None and _header_row(row)


#: First words of the column labels of tables of notes (``Theme | Comments``, ``Prompt | What people said``).
_COLUMN_WORDS = frozenset({"theme", "themes", "comment", "comments", "topic", "topics", "issue", "issues", "note",
                           "notes", "feedback", "response", "responses", "question", "questions", "prompt",
                           "prompts", "action", "actions", "owner", "who", "what", "category", "categories", "area",
                           "areas", "point", "points", "discussion", "summary", "group", "table", "details",
                           "barriers", "enablers", "positives", "negatives", "ideas", "key", "item", "items", "no",
                           "no.", "#", "section", "heading", "headings"})


def _header_row(row) -> bool:
    """Whether a table row is a header: marked "repeat as header row", or the first of several rows with
    every cell a short label in bold or worded as a column label (``Theme | Comments``).  Its cells name
    columns; read as list items they would become comments or themes."""
    table = row.getparent()
    rows = [r for r in table if r.tag == _W + "tr"]
    if len(rows) < 2 or row is not rows[0]:
        return False
    if row.find(f"{_W}trPr/{_W}tblHeader") is not None:
        return True
    cells = ["".join(t.text or "" for t in tc.iter(_W + "t")).strip() for tc in row.iter(_W + "tc")]
    if not all(c and _words(c) <= 3 and not c.endswith(_CLOSING_PUNCT) for c in cells):
        return False
    # short cells alone could be a first theme and a short comment ("Workload | Too many meetings"): a header
    # is also set in bold, or names its columns with the words tables of notes use
    runs = [r for r in row.iter(_W + "r") if "".join(t.text or "" for t in r.iter(_W + "t")).strip()]
    def is_bold(run) -> bool:  # <w:b/>, but not <w:b w:val="0"/> (bold switched off)
        b = run.find(f"{_W}rPr/{_W}b")
        return b is not None and b.get(f"{_W}val", "1") not in ("0", "false", "off")

    bold = bool(runs) and all(is_bold(r) for r in runs)
    return bold or all(c.split()[0].lower().strip(":") in _COLUMN_WORDS for c in cells)


def _paragraph_text(p) -> str:
    """The text of one ``w:p``: every run, including those in hyperlinks, fields, content controls and
    tracked insertions (python-docx reads only direct runs and hyperlinks), but not deleted text or the
    paragraphs of a text box anchored in it (those are read as paragraphs of their own)."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag in _DOCX_TEXT:
                out.append((child.text or "") if _DOCX_TEXT[tag] is None else _DOCX_TEXT[tag])
            elif tag not in _DOCX_NOT_TEXT and isinstance(tag, str):  # str: not a comment
                walk(child)

    walk(p)
    return "".join(out)


def _check_text(text: str, place, problems: list[str]) -> None:
    """Refuse control characters and texts longer than a spreadsheet cell; ``place()`` names where."""
    bad = None if text.isascii() and text.isprintable() else _CONTROL.search(text)
    if bad:
        before = text[max(0, bad.start() - 30): bad.start()]
        problems.append(f"{place()}: control character U+{ord(bad.group()):04X} after “{before}”; notes must be "
                        "plain text (delete it and save again)")
    elif files.cell_length(text) > MAX_CELL_CHARS:
        problems.append(f"{place()}: {files.cell_length(text):,} characters, more than a spreadsheet cell holds "
                        f"({MAX_CELL_CHARS:,}); split it into several comments")


def read_lines(path: str | Path) -> list[Line]:
    """Read a notes file into :class:`Line` records (bullets marked).

    Raises
    ------
    InputError
        Missing, empty, binary, non-UTF-8, oversized or corrupt files, and
        unsupported extensions.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    files.check_input(path, NOTE_SUFFIXES, MAX_BYTES, str(path), f"notes must be {', '.join(NOTE_SUFFIXES)}", " for notes")
    try:
        lines = _docx_lines(path) if suffix == ".docx" else _text_lines(path, markdown=suffix == ".md")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not any(line.text for line in lines):
        raise InputError(f"{path}: file has no text")
    problems: list[str] = []
    for line in lines:
        _check_text(line.text, lambda line=line: where(path, f"line {line.number}"), problems)
    if problems:
        raise InputError(problems, summary=f"{path}: {len(problems)} line(s) cannot be read:" if len(problems) > 1 else None)
    return lines


# --------------------------------------------------------------------------- structure


def _heading_shaped(text: str) -> bool:
    return (
        text[:1].isalnum()
        and 0 < _words(text) <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
        and not text.endswith(_CLOSING_PUNCT)
        and ". " not in text
    )


def _question_heading(text: str) -> bool:
    """A theme phrased as a short question (``Who cares for the carers?``)."""
    return (
        text[:1].isalnum()
        and 0 < _words(text) <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
        and text.endswith("?")
        and not re.search(r"[.!?;:] ", text)
    )


def _label(text: str) -> str:
    """A heading line without the colon that introduces its items (``Group 1:``, ``**Workload:**``)."""
    return text[:-1].rstrip() if text.endswith(":") else text


def _title_shaped(text: str) -> bool:
    """A heading that has items under it may be longer: up to :data:`SECTION_MAX_WORDS` words, no closing punctuation."""
    return text[:1].isalnum() and 0 < _words(text) <= SECTION_MAX_WORDS and not text.endswith(_CLOSING_PUNCT)


def theme_flags(bullets: Sequence[Line], flat_themes: bool = True) -> list[bool]:
    """Which bullets of one prompt/section block are theme headings.

    A theme is a heading by its role in the outline: short, no sentence
    punctuation, and followed by items that belong to it.

    * Flat lists: a heading-shaped bullet (see the module notes) followed by
      a longer bullet, never directly after another heading, in a list whose
      first item is heading-shaped.  Once a list has such themes, a short
      question followed by a longer bullet (``Who cares for the carers?``) is
      a theme too; a list whose only candidates are questions has no themes.
      The shape must hold through the list (:func:`_consistent`): at least
      two themes with two or more items each, or every theme's first item a
      sentence; otherwise the short bullets are short comments
      (``Kindness`` / ``Managers who ask how you are``).
    * Nested lists: an outer item with inner items is a heading when it is
      title-shaped (at most :data:`SECTION_MAX_WORDS` words, no closing
      punctuation); a long outer item or one ending in ``?`` is a comment,
      and its inner items are comments of the same theme.  An outer item
      without inner items is a heading when heading-shaped and followed by
      a longer outer item that is not.

    Parameters
    ----------
    bullets : sequence of Line
        Consecutive bullets of one block (plain lines between them removed).
    flat_themes : bool
        False where the document shows its themes by nesting: its flat lists
        are then plain comments.

    Returns
    -------
    list of bool
        ``True`` where the bullet is a theme heading.
    """
    n = len(bullets)
    if n == 0:
        return []
    levels = {b.level for b in bullets}
    if len(levels) > 1:
        top = min(levels)
        flags = []
        for i, b in enumerate(bullets):
            nxt = bullets[i + 1] if i + 1 < n else None
            if b.level != top or nxt is None:
                flags.append(False)
            elif nxt.level > top:
                flags.append((_title_shaped(b.text) or _question_heading(b.text)) and not flags[-1:] == [True])
            else:
                flags.append(_heading_shaped(b.text) and not _heading_shaped(nxt.text)
                             and _words(nxt.text) > _words(b.text) and not flags[-1:] == [True])
        return flags

    def flags_for(shaped) -> list[bool]:
        flags: list[bool] = []
        for i, b in enumerate(bullets):
            nxt = bullets[i + 1] if i + 1 < n else None
            flags.append(not (flags and flags[-1]) and nxt is not None and shaped(b.text)
                         and _words(nxt.text) > _words(b.text))
        return flags

    if not flat_themes or not (_heading_shaped(bullets[0].text) or _question_heading(bullets[0].text)):
        return [False] * n
    flags = flags_for(lambda t: _heading_shaped(t) or _question_heading(t))
    if not any(f and _heading_shaped(b.text) for f, b in zip(flags, bullets)):
        # questions alone do not make a themed list; plain headings must be there too
        flags = flags_for(_heading_shaped) if _heading_shaped(bullets[0].text) else [False] * n
    return flags if _consistent(bullets, flags) else [False] * n


def _consistent(bullets: Sequence[Line], flags: Sequence[bool]) -> bool:
    """Whether the themes ``flags`` marks in a flat list give the list a themed shape throughout.

    A short bullet before a longer one is a theme only when the list keeps
    that shape: two or more themes with at least two items each, or every
    theme's first item a sentence (longer than a heading can be, or ending
    in punctuation), which no heading is.  A list of short comments of
    varying length (``Kindness`` / ``Managers who ask how you are``) has
    neither.
    """
    starts = [i for i, f in enumerate(flags) if f]
    if not starts:
        return True
    ends = starts[1:] + [len(bullets)]
    if sum(e - s > 2 for s, e in zip(starts, ends)) >= 2:
        return True
    if len(starts) == 1 and ends[0] - starts[0] <= 2:
        return False  # one short line over one longer one: two comments as likely as a theme and its comment
    return all(not _title_shaped(bullets[s + 1].text) for s in starts)


def _lost_bullet(lines: Sequence[Line], i: int, block: list, paragraphs: bool) -> bool:
    """Whether plain line ``i``, ending in ``?`` or mentioning questions, is a comment inside a list that lost its bullet.

    A prompt (or a questions heading) is a plain line *before* a list.  Where the document ends its
    lists with a blank line (``paragraphs`` false), a line squeezed between
    two items of one list, with no blank line on either side, is inside it.
    Word paragraphs, and text pasted from Word or Outlook, carry no blank
    lines (a prompt written as a plain paragraph sits right between two
    lists), so there the list must visibly go on: the next item is nested
    deeper than the list's outer items.
    """
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if line.heading or line.emphasis or not block or not lines[i - 1].text or nxt is None or not nxt.text or not nxt.bullet:
        return False
    if not paragraphs:
        return True
    return nxt.level > min(b.level for b, _ in block)


#: Words a wrapped line can end on only in the middle of a sentence.
_JOINERS = frozenset({"and", "or", "but", "the", "a", "an", "to", "of", "for", "with", "in", "on", "at", "by",
                      "from", "that", "which", "who", "is", "are", "was", "were", "be", "as", "than", "so", "our",
                      "their", "we", "they", "it", "not", "no", "more", "very", "into", "about", "when", "if"})


def _wrapped(lines: Sequence[Line], i: int, paragraphs: bool) -> bool:
    """Whether plain line ``i``, right under a comment, is the rest of its sentence hard-wrapped without an indent.

    It starts in lower case and the line above does not end a sentence
    (``… and they`` / ``are getting tired``).  Only where the document ends
    its lists with a blank line: Word paragraphs are never wrapped.
    """
    line, above = lines[i], lines[i - 1]
    text = line.text
    if (paragraphs or not text[:1].islower() or not above.text or above.text.endswith((".", "?", "!"))
            or line.heading or line.emphasis):
        return False
    if text.endswith(("?", ":")) or _SECTION_PREFIX.match(text) or _QUESTIONS.search(text):
        return False  # a lower-case prompt, section or questions heading, not the rest of a sentence
    if above.text.endswith((",", ";", "-", "\u2013")) or above.text.split()[-1].lower() in _JOINERS:
        return True  # the sentence above plainly goes on
    # a short label with a list under it heads that list (``positives`` above its comments)
    nxt = next((ln for ln in lines[i + 1:] if ln.text), None)
    return not (nxt is not None and nxt.bullet and _title_shaped(text) and _words(text) <= 3)


def _numbered_prompts(lines: Sequence[Line]) -> Sequence[Line]:
    """The lines with numbered questions that head nested lists made plain lines: prompts.

    Word minutes number their discussion prompts as a list (``1.<TAB>What
    makes it hard…?``) with the comments nested under them.  Where the
    document has no plain line ending in ``?`` and every top-level numbered
    item is a question with deeper items right under it, those items are the
    prompts.  A bulleted question with an item under it stays a comment
    (:func:`theme_flags`): only numbering, throughout, marks prompts.
    """
    bullets = [ln for ln in lines if ln.bullet]
    if not bullets or any(not ln.bullet and ln.text.endswith("?") for ln in lines):
        return lines
    top = min(b.level for b in bullets)
    numbered = [i for i, ln in enumerate(lines) if ln.bullet and ln.level == top and ln.marker.startswith(("1", "(1"))]

    def heads_a_list(i: int) -> bool:
        nxt = next((ln for ln in lines[i + 1:] if ln.text), None)
        return lines[i].text.endswith("?") and nxt is not None and nxt.bullet and nxt.level > top

    if not numbered or not all(heads_a_list(i) for i in numbered):
        return lines
    out = list(lines)
    for i in numbered:
        out[i] = Line(lines[i].number, lines[i].text, False)
    return out


def _heading_prompts(lines: Sequence[Line]) -> Sequence[Line]:
    """The lines with Markdown ``##`` headings marked as prompts where no line ends in ``?``.

    Notes written in Markdown give their discussion prompts as ``##``
    headings under the ``#`` title (``## Barriers``, ``## Enablers``), not
    always as questions. Where no plain line is a question, such a heading
    with a bullet under it (before the next ``#`` or ``##``) is a prompt.
    """
    if any(not ln.bullet and ln.text.endswith("?") for ln in lines):
        return lines
    out = list(lines)
    for i, ln in enumerate(lines):
        if ln.depth == 2:
            under = next((x for x in lines[i + 1:] if x.bullet or 0 < x.depth <= 2), None)
            if under is not None and under.bullet:
                out[i] = Line(ln.number, ln.text, False, heading=True, depth=2, prompt=True)
    return out


def parse(lines: Sequence[Line], source: str, paragraphs: bool = False) -> Parsed:
    """Recover session, prompts, sections, themes and units from ``lines``.

    ``paragraphs`` says the lines are Word paragraphs (no blank lines between
    blocks), which :func:`_lost_bullet` needs to know; a text file that never
    ends a list with a blank line is read the same way.

    Raises
    ------
    InputError
        When no prompt or no comment can be recognised.
    """
    # does the document end a list (its last item, or a line indented under it) with a blank line before the
    # next plain line? (see _lost_bullet)
    filled = [(i, ln) for i, ln in enumerate(lines) if ln.text]
    paragraphs = paragraphs or not any(
        (a.bullet or a.indent >= 2) and not b.bullet and j > i + 1 for (i, a), (j, b) in zip(filled, filled[1:]))
    session = ""
    prompt = section = group = ""  # group: a theme given as a heading line (### x, **x**, "Group 2")
    outer = ""  # a breakout group named above its prompts: the theme of everything under it, prompt after prompt
    mode = "preamble"  # preamble | prompt | questions | skip
    out = Parsed(source=source, session="")
    block: list[tuple[Line, tuple[str, str, str]]] = []  # bullets of the current block
    blocks: list[tuple[list, str]] = []  # every block, with its group: themes are found once all are known
    continued: dict[int, list[tuple[int, str]]] = {}  # bullet line -> its hard-wrapped continuation lines
    prompts_seen = 0
    lines = _heading_prompts(_numbered_prompts(lines))

    def flush() -> None:
        if block:
            blocks.append((block[:], group, outer))
            block.clear()

    def emit(block: list, group: str, outer: str, flat_themes: bool) -> None:
        # themes from the list's own shape only where no heading line gave one (a breakout group is not one)
        bullets = [b for b, _ in block]
        flags = theme_flags(bullets, flat_themes) if block[0][1][0] == "prompt" and group == outer \
            else [False] * len(bullets)
        theme = group
        for (line, (_, p, s)), is_heading in zip(block, flags):
            out.roles[line.number] = ("theme" if is_heading else "unit", line.text)  # the line's own words
            for number, more in continued.pop(line.number, []):
                out.roles[number] = ("continuation", more)
                line = Line(line.number, f"{line.text} {more}", line.bullet, line.level)
            if is_heading:
                theme = f"{outer} › {line.text}" if outer else line.text  # the group's theme, not the group lost
                continue
            out.units.append({"prompt": p, "section": s, "theme": theme, "text": line.text, "line": line.number})

    for i, line in enumerate(lines):
        text = line.text
        if not text:
            continue
        if line.header:  # a table's column labels: in no unit or heading, so logged and warned, never lost
            flush()
            out.skipped.append(line.number)
            out.roles[line.number] = ("skipped", text)
            continue
        # a line that would open a prompt or the questions, squeezed inside a list, lost its bullet
        if not line.bullet and (text.endswith("?") or _QUESTIONS.search(text)) and mode in ("prompt", "questions") \
                and _lost_bullet(lines, i, block, paragraphs):
            line = Line(line.number, text, True, block[-1][0].level)
        if not line.bullet and block and (line.indent >= 2 or _wrapped(lines, i, paragraphs)):
            # a line indented under the comment above (an e-mail hard-wrapped at 72 columns, a list item's
            # second paragraph) continues it: any plain line flushes the block, so the line above was a bullet
            continued.setdefault(block[-1][0].number, []).append((line.number, text))
            continue
        if line.bullet:
            if mode in ("prompt", "questions") and not _URL.fullmatch(text):
                block.append((line, (mode, prompt, section)))
            else:
                out.skipped.append(line.number)
                out.roles[line.number] = ("resources" if mode == "skip" or _URL.fullmatch(text) else "skipped", text)
            continue
        # a plain line: a heading of some kind, or prose
        flush()
        role = "skipped"
        if not session and not prompts_seen and not text.endswith("?") and not line.prompt:
            session, role = text, "title"
        elif (_resources_heading(text) and _links_follow(lines, i)) or _URL.search(text):
            mode = "skip" if _resources_heading(text) else mode
            out.skipped.append(line.number)
            role = "resources"
        elif _GROUP_LINE.match(text) and not _label(text).endswith(_CLOSING_PUNCT) and _words(text) <= SECTION_MAX_WORDS \
                and next((not ln.bullet and (ln.text.endswith("?") or ln.prompt) for ln in lines[i + 1:] if ln.text), False):
            # "Group 1" right above a prompt: the groups wrote their notes one after the other, each under the
            # same prompts, so the group is the theme of its comments until the next group line
            outer = group = _label(text)
            role = "group"
        elif _QUESTIONS.search(text) and not text.endswith("?") and (
                _words(text) <= SECTION_MAX_WORDS or text.lower().startswith(("questions", "q&a"))
                # a long heading before a list names the questions (plural), not "the question of …" in prose
                or (_QUESTIONS_PLURAL.search(text) and next((ln.bullet for ln in lines[i + 1:] if ln.text), False))):
            prompt, section, group, mode = text, "questions", outer, "questions"
            prompts_seen += 1
            role = "prompt"
        elif text.endswith("?") or line.prompt:
            prompt, section, group, mode = text, "", outer, "prompt"
            prompts_seen += 1
            role = "prompt"
        elif mode in ("prompt", "questions") and not _SECTION_PREFIX.match(text) and _words(text) <= SECTION_MAX_WORDS \
                and not _label(text).endswith(_CLOSING_PUNCT) and (line.heading or line.emphasis or _GROUP_LINE.match(text)):
            if mode == "questions":  # a heading after the questions ends them: a new part of the notes
                prompt, section, group, mode = text, "", outer, "prompt"
                prompts_seen += 1
                role = "prompt"
            else:  # a theme written as a heading, a bold line or a group's name ("Group 1:" is "Group 1")
                group, role = (f"{outer} › {_label(text)}" if outer else _label(text)), "theme"
        elif mode == "questions" and _words(text) <= SECTION_MAX_WORDS and not text.endswith(_CLOSING_PUNCT):
            prompt, section, group, mode = text, "", outer, "prompt"  # "Actions" after the questions
            prompts_seen += 1
            role = "prompt"
        elif mode == "prompt" and (_SECTION_PREFIX.match(text) or _words(text) <= SECTION_MAX_WORDS) and not text.endswith("."):
            section, group = _SECTION_PREFIX.sub("", text).strip() or text, outer
            role = "section"
        elif mode == "skip":
            out.skipped.append(line.number)
            role = "resources"
        elif mode == "preamble":
            # a short line under the title is a subtitle ("Key Themes"); a sentence there is prose, not a unit
            role = "title" if _words(text) <= SECTION_MAX_WORDS and not text.endswith(_CLOSING_PUNCT) else "skipped"
        else:
            out.skipped.append(line.number)  # prose under a prompt: not a bullet comment
        out.roles[line.number] = (role, text)
    flush()
    # a document that shows its themes by nesting (a heading with items indented under it) does so throughout:
    # its flat lists are comments, however short some of them are
    themed = [blk for blk, g, o in blocks if blk[0][1][0] == "prompt" and g == o]
    by_nesting = any(len({b.level for b, _ in blk}) > 1 and any(theme_flags([b for b, _ in blk])) for blk in themed)
    for blk, g, o in blocks:
        emit(blk, g, o, not by_nesting)

    out.session = session
    if not prompts_seen:
        raise InputError(
            f"{source}: no discussion prompt found; expected a plain heading line ending in '?' "
            "(or a 'Questions …' heading, or in Markdown a '## ' heading) with bullet comments under it. "
            "Or give the structure by hand: write the notes in the canonical outline form that "
            "`compassion-study ingest --to-markdown FILE` prints (`# title`, `## prompt`, `### section`, "
            "`#### theme`, `- comment`; see docs/ingest.md, Layout rules), which is read exactly"
        )
    if not out.units:
        raise InputError(f"{source}: no comments found; expected bullet lines under a discussion prompt")
    return out


# --------------------------------------------------------------------------- ids and tables


def unit_ids(texts: Iterable[str]) -> list[str]:
    """Stable ids: ``u`` + 10 hex digits of SHA-256(text), ``-k`` for repeats."""
    seen: dict[str, int] = {}
    ids = []
    for text in texts:
        base = "u" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def labelled(inputs: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Notes files named, plus those anywhere inside folders named, each with its ``source`` label.

    A file named directly is labelled by its name; one found in a folder by
    its path inside that folder (``session-2/notes.txt``), so that files of
    the same name in two sub-folders stay apart.  Hidden files, Word's
    ``~$`` lock files and sub-folders (whatever their name) are not notes; a
    pipe or device is kept so that it is refused by name.
    """
    found: list[tuple[Path, str]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            inside = []
            for q in p.rglob("*"):
                rel = q.relative_to(p)
                if (q.suffix.lower() in NOTE_SUFFIXES + TABLE_SUFFIXES and not q.is_dir()
                        and not any(part.startswith((".", "~$")) for part in rel.parts)):
                    inside.append((q, rel.as_posix()))
            found.extend(sorted(inside, key=lambda pair: pair[1]))
        else:
            found.append((p, p.name))
    return found


def expand(inputs: Iterable[str | Path]) -> list[Path]:
    """The notes files of :func:`labelled`, in the same order."""
    return [p for p, _ in labelled(inputs)]


_CANONICAL_HEADING = re.compile(r"^(#{1,4}) (.*)$")
#: First line of a notes file in the canonical outline form: such a file is read exactly, nothing inferred.
CANONICAL_MARK = "<!-- compassion_study outline: # title, ## prompt, ### section, #### theme, - comment -->"
#: A line of the notes that is in no unit, kept in the canonical form by :func:`to_markdown`.
_CANONICAL_NOTE = re.compile(r"<!-- (skipped|resources|title): (.*) -->")


def is_canonical(text: str) -> bool:
    """Whether Markdown text is in the canonical outline form of :func:`to_markdown` (it starts with :data:`CANONICAL_MARK`)."""
    return text.lstrip("\ufeff").startswith(CANONICAL_MARK)


def parse_canonical(path: Path, source: str) -> Parsed:
    """Read a notes file in the canonical outline form exactly: nothing is inferred.

    ``# title``, ``## prompt``, ``### section``, ``#### theme``; each ``- ``
    line is one comment, and a following line indented by two spaces
    continues it. A heading resets the levels below it. A ``<!-- skipped: …
    -->`` or ``<!-- resources: … -->`` line of :func:`to_markdown` is logged
    with that role and its words; any other line is logged as skipped.
    """
    read_lines(path)  # the same checks as any notes file: size, encoding, control characters
    out = Parsed(source=source, session="")
    prompt = section = theme = ""
    for number, raw in enumerate(_LINE_BREAK.split(_decode(path, path.read_bytes())), start=1):
        if not raw.strip() or (number == 1 and raw.strip() == CANONICAL_MARK):
            continue
        m = _CANONICAL_HEADING.match(raw)
        if m:
            level, text = len(m.group(1)), clean(m.group(2))
            if level == 1:
                out.session, role = text, "title"
            elif level == 2:
                prompt, section, theme, role = text, "", "", "prompt"
            elif level == 3:
                section, theme, role = text, "", "section"
            else:
                theme, role = text, "theme"
            out.roles[number] = (role, text)
        elif raw.startswith("- ") and prompt:
            text = clean(raw[2:])
            out.units.append({"prompt": prompt, "section": section, "theme": theme, "text": text, "line": number})
            out.roles[number] = ("unit", text)
        elif raw.startswith("  ") and out.units and out.roles.get(number - 1, ("",))[0] in ("unit", "continuation"):
            out.units[-1]["text"] += " " + clean(raw)
            out.roles[number] = ("continuation", clean(raw))
        else:  # a line to_markdown kept ("<!-- skipped: … -->") is logged by its own words; any other is skipped
            m = _CANONICAL_NOTE.fullmatch(raw.strip())
            out.roles[number] = (m.group(1), clean(m.group(2))) if m else ("skipped", clean(raw))
    if not out.units:
        raise InputError(f"{source}: no comments found; the outline form needs '- ' comment lines under a '## ' prompt")
    return out


def parse_table(path: Path, label: str, mapping: comment_tables.Mapping = comment_tables.Mapping()) -> Parsed:
    """A comment table exported from a workshop tool (see :mod:`.comment_tables`) as units.

    Cell text is cleaned as notes are (line breaks inside a cell are spaces)
    and checked the same way; the session is the file name without extension.
    """
    table = comment_tables.read_table(path, label, mapping)
    out = Parsed(source=label, session=clean(table.session))
    problems: list[str] = list(table.problems)

    done: dict[str, str] = {}  # raw text -> cleaned: prompts and themes repeat, and the log repeats the comments

    def tidy(text: str, place) -> str:
        if text not in done:
            done[text] = clean(_LINE_BREAK.sub(" ", text) if "\n" in text or "\r" in text else text)
            _check_text(done[text], place, problems)
        return done[text]

    for c in table.comments:
        place = lambda c=c: where(label, c["sheet"], f"row {c['row']}", c["cell"])  # noqa: E731
        text = tidy(c["text"], place)
        if text:
            out.units.append({"prompt": tidy(c["prompt"], place), "section": tidy(c["section"], place),
                              "theme": tidy(c["theme"], place), "text": text, "line": c["row"]})
    out.cells = [(sheet, row, column, role, tidy(text, lambda: where(label, sheet, f"row {row}", column)))
                 for sheet, row, column, role, text in table.log]  # headers, themes and sections checked too
    if problems:
        raise InputError(problems, summary=f"{label}: {len(problems)} cell(s) cannot be read:" if len(problems) > 1 else None)
    if not out.units:
        raise InputError(f"{label}: no comments found; every comment cell of the table is empty")
    return out


def _parse_file(path: Path, label: str, mapping: comment_tables.Mapping = comment_tables.Mapping()) -> Parsed:
    if path.suffix.lower() in TABLE_SUFFIXES:
        return parse_table(path, label, mapping)
    if path.suffix.lower() == ".md" and path.is_file():
        with open(path, "rb") as fh:  # only the first line decides; the whole file is checked by read_lines
            head = fh.read(len(CANONICAL_MARK.encode("utf-8")) + 3).decode("utf-8", errors="replace")
        if is_canonical(head):
            return parse_canonical(path, label)
    return parse(read_lines(path), source=label, paragraphs=path.suffix.lower() == ".docx")


def read_notes_logged(inputs: Iterable[str | Path], mapping: comment_tables.Mapping = comment_tables.Mapping(),
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse notes files and comment tables into a units table and a log of every non-empty line's role.

    ``mapping`` names the columns of comment tables (default: recognise the
    workshop tool by the table's headers).

    Returns
    -------
    units : pandas.DataFrame
        Columns :data:`COLUMNS`.
    log : pandas.DataFrame
        :data:`LOG_COLUMNS`: one row per non-empty line of every notes file
        (``sheet`` and ``column`` empty) and per header and read cell of
        every comment table (``line`` is the row), its role one of
        :data:`ROLES`.  Identity and metadata columns are logged by their
        header only: their values are never copied.

    Raises
    ------
    InputError
        Every problem of every file at once.
    """
    inputs = list(inputs)
    paths = labelled(inputs)
    if not paths:
        named = ", ".join(str(i) for i in inputs) or "nothing"
        raise InputError(f"{named}: no notes files found (expected .txt, .md or .docx notes, .csv, .tsv, .xlsx or .ods "
                         "comment tables, or a folder holding them)")
    problems, parsed = [], []
    for path, label in paths:
        bad = files.CONTROL_CHARACTERS.search(label) or re.search(r"[\t\n\r]", label)
        if bad:  # the name is the units' ``source``: it reaches every table, workbook and report
            problems.append(f"{label!r}: the file name holds a control character (U+{ord(bad.group()):04X}); "
                            "rename the file")
            continue
        try:
            parsed.append(_parse_file(path, label, mapping))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, summary=f"cannot ingest {len(problems)} notes file(s):" if len(problems) > 1 else None)
    columns: dict[str, list] = {k: [] for k in ("source", "position", "session", "prompt", "section", "theme", "text")}
    log = []
    for p in parsed:
        n = len(p.units)
        columns["source"] += [p.source] * n
        columns["session"] += [p.session] * n
        columns["position"] += range(1, n + 1)
        for key in ("prompt", "section", "theme", "text"):
            columns[key] += [u[key] for u in p.units]
        log.extend((p.source, "", n, "", role, text) for n, (role, text) in sorted(p.roles.items()))
        log.extend((p.source, *cell) for cell in p.cells)
    df = pd.DataFrame(columns)
    df["unit_id"] = unit_ids(df["text"].tolist())
    return df[COLUMNS].reset_index(drop=True), pd.DataFrame(log, columns=LOG_COLUMNS)


def read_notes(inputs: Iterable[str | Path]) -> pd.DataFrame:
    """Parse notes files into a units table (columns :data:`COLUMNS`); see :func:`read_notes_logged`."""
    return read_notes_logged(inputs)[0]


#: Heading roles of notes, outermost first: a heading's comments are the units up to the next heading at its level
#: or above.
_HEADING_LEVELS = {"group": 0, "prompt": 1, "section": 2, "theme": 3}


def unplaced(log: pd.DataFrame) -> pd.DataFrame:
    """The log rows of notes lines (not table cells) whose words are in no unit.

    Skipped lines, and prompt, section or theme lines with no unit under
    them: a hard-wrapped line taken for a section, an e-mail's sign-off
    (``Thanks,`` / ``Sam``), a heading whose comments were never written.
    """
    notes = log[log["column"] == ""]
    roles = notes["role"].tolist()
    empty = [False] * len(notes)
    open_: list[tuple[int, int]] = []  # (level, row) of the headings with no unit under them yet
    source = None
    for row, (src, role) in enumerate(zip(notes["source"].tolist(), roles)):
        if src != source:  # a new file: the headings left open in the last one had nothing under them
            for _, r in open_:
                empty[r] = True
            source, open_ = src, []
        level = _HEADING_LEVELS.get(role)
        if level is not None:  # a heading closes the open ones at its level or below (a group is level 0)
            for lv, r in open_:
                empty[r] = lv >= level  # still open: nothing was under it yet
            open_ = [(lv, r) for lv, r in open_ if lv < level] + [(level, row)]
        elif role == "unit":
            open_ = []
    for _, r in open_:
        empty[r] = True
    # a resources line links to or names a resource; other text there may be comments filed as resources
    unlinked = [role == "resources" and not _URL.search(t) and not _resources_heading(t)
                and not _RESOURCE_NAMES.search(t) for role, t in zip(roles, notes["text"].tolist())]
    return notes.iloc[[row for row, (role, e, u) in enumerate(zip(roles, empty, unlinked)) if e or u or role == "skipped"]]


def unaccounted(log: pd.DataFrame) -> list[str]:
    """Warnings for logged text that is in no unit.

    One per notes line of :func:`unplaced` (``file › line N: …``): a skipped
    line, or a heading with no comment under it; and one per column of a
    comment table whose cells were not read (``file › sheet › column``, with
    the rows).
    """
    out = []
    for r in unplaced(log).itertuples():
        what = ("not a comment or a heading" if r.role == "skipped" else
                "under a resources heading but not a link" if r.role == "resources" else
                f"a {r.role} with no comment under it")
        out.append(f"{where(r.source, f'line {r.line}')}: {what}, so not in any unit: "
                   f"“{r.text[:60]}{'…' if len(r.text) > 60 else ''}”")
    skipped = log[(log["role"] == "skipped") & (log["column"] != "")]
    for (source, sheet, column), cells in skipped.groupby(["source", "sheet", "column"], sort=False):
        rows = ", ".join(str(n) for n in cells["line"].head(5)) + (", …" if len(cells) > 5 else "")
        what = "non-empty cell(s)"
        if cells["text"].str.fullmatch(comment_tables.NUMBER.pattern).all():  # an unread column's text is logged as ""
            what = "cell(s) of numbers only (a rating or a count, no comment text)"
        out.append(f"{where(source, sheet, column)}: {len(cells)} {what} not read as comments (rows {rows}); "
                   f"{comment_tables.MAPPING_HELP}")
    return out


def outline(units: pd.DataFrame) -> str:
    """The recovered structure as text: prompt › section › theme, units per theme and their first words."""
    out = []
    for (source, session), grp in units.groupby(["source", "session"], sort=False):
        out.append(f"{source}: {session or '(no title)'}")
        for keys, sub in grp.groupby(["prompt", "section", "theme"], sort=False):
            path = " › ".join(k for k in keys if k)
            out.append(f"  {path}: {len(sub)} unit(s)")
            out.extend(f"    - {' '.join(t.split()[:8])}{' …' if len(t.split()) > 8 else ''}" for t in sub["text"])
    return "\n".join(out) + "\n"


def to_markdown(units: pd.DataFrame, log: pd.DataFrame | None = None) -> str:
    """One notes file's units in the canonical outline form, which :func:`parse_canonical` reads back exactly.

    ``# session``, ``## prompt``, ``### section``, ``#### theme``, ``- comment``.
    When a level becomes empty again, the heading above it is repeated, so
    that every unit keeps exactly its prompt, section and theme.

    With the file's ``log`` (:func:`read_notes_logged`), the lines whose words
    are in no unit (:func:`unplaced`: skipped lines, headings with nothing
    under them) and the resources lines are kept, where they stood among the
    comments, as ``<!-- skipped: … -->``, ``<!-- resources: … -->`` and (for
    a subtitle under the title) ``<!-- title: … -->`` lines:
    a corrected outline loses none of them silently (the canonical reader
    logs them again, and warns about the skipped ones).
    """
    if units["source"].nunique() != 1:
        raise ValueError("to_markdown writes one notes file at a time")
    notes: dict[int, list[str]] = {}  # number of units before a kept line -> the lines
    if log is not None:
        log = log[log["source"] == units["source"].iloc[0]]
        unit_lines = sorted(log.loc[(log["role"] == "unit") & (log["column"] == ""), "line"])
        titles = log[log["role"] == "title"].sort_values("line").iloc[1:]  # subtitles; the first is the ``#`` title
        kept = pd.concat([unplaced(log).assign(role="skipped"), log[log["role"] == "resources"], titles]
                         ).sort_values("line", kind="stable")
        for r in kept.itertuples():
            notes.setdefault(bisect.bisect_left(unit_lines, r.line), []).append(f"<!-- {r.role}: {r.text} -->")
    out = [CANONICAL_MARK, f"# {units['session'].iloc[0] or units['source'].iloc[0]}"]
    prompt = section = theme = None
    for k, u in enumerate(units.sort_values("position", kind="stable").itertuples()):
        out += notes.get(k, [])
        if u.prompt != prompt or (u.section != section and not u.section) or (u.theme != theme and not u.theme and not u.section):
            out += ["", f"## {u.prompt}"]
            prompt, section, theme = u.prompt, "", ""
        if u.section != section or (u.theme != theme and not u.theme):
            out += ["", f"### {u.section}"] if u.section else []
            section, theme = u.section, ""
        if u.theme != theme:
            out += ["", f"#### {u.theme}"]
            theme = u.theme
        out.append(f"- {u.text}")
    out += notes.get(len(units), [])
    return "\n".join(out) + "\n"


def read_units(path: str | Path) -> pd.DataFrame:
    """Read ``units.csv`` back (text columns as strings, neutralised text restored)."""
    try:
        return files.read_csv(path, text=TEXT_COLUMNS)
    except FileNotFoundError:
        raise InputError(f"{path}: not found; run 'compassion-study ingest' first") from None


def ingest(inputs: Iterable[str | Path] | None = None, out: str | Path | None = None, paths: Paths | None = None,
           strict: bool = False, mapping: comment_tables.Mapping | None = None) -> pd.DataFrame:
    """Stage: notes files -> ``units.csv`` (and the manifest entry).

    Parameters
    ----------
    inputs : iterable of path-like, optional
        Notes files or folders (default: ``data/raw/notes/``).
    out : path-like, optional
        Where to write (default: ``data/processed/units.csv``).  A file
        outside the study is written without touching the study's manifest.
        ``ingest_log.csv`` (every non-empty line and its role) goes beside it.
    strict : bool
        Refuse notes with a line that is in no unit and no heading (by
        default such lines are warnings, see :func:`unaccounted`).
    paths : Paths, optional
    mapping : comment_tables.Mapping, optional
        Columns of comment tables (default: ``comment_tables:`` in
        ``study.yaml``, else recognise the workshop tool by its headers).

    Returns
    -------
    pandas.DataFrame
        The units written; ``.attrs["log"]`` holds the line log.
    """
    paths = paths or Paths.from_root()
    named = list(inputs) if inputs else [paths.notes]
    sources = expand(named)
    out = Path(out) if out else paths.units
    if mapping is None:
        from .study import load

        mapping = load(paths).comment_tables
    units, log = read_notes_logged(named, mapping)
    warnings = unaccounted(log)
    if strict and warnings:
        raise InputError(warnings, summary=f"--strict: {len(warnings)} line(s) of the notes are in no unit and no heading, "
                                           "or are headings with no comment under them:")
    files.write_csv(units, out)
    log_path = out.with_name("ingest_log.csv") if out != paths.units else paths.ingest_log
    files.write_csv(log, log_path)
    if paths.contains(out):  # an --out elsewhere writes only there
        provenance.record(paths, "ingest", inputs=sources, outputs=[out, log_path],
                          parameters={"heading_max_words": HEADING_MAX_WORDS, "strict": strict,
                                      "comment_tables": {k: v for k, v in mapping.__dict__.items() if v}})
    units.attrs["log"] = log
    return units


def part(units: pd.DataFrame) -> pd.Series:
    """The part of the notes each unit belongs to: its section, else its prompt.

    For the example study's notes this gives the barriers prompt,
    ``positives``, ``areas to improve`` and ``questions``.
    """
    return units["section"].where(units["section"] != "", units["prompt"]).rename("part")


def session(units: pd.DataFrame) -> pd.Series:
    """The workshop session each unit comes from: its notes file's title line, else the file name."""
    return units["session"].where(units["session"] != "", units["source"]).rename("session")
