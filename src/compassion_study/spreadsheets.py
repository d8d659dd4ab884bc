"""Reading spreadsheets nobody on the team controls: .xlsx and .ods grids with limits.

Used for returned coding and adjudication workbooks and for comment tables
exported from workshop tools.  Every reader here bounds what a small file can
make the package hold in memory (declared sizes are not trusted, repeated
rows and cells are counted before anything is expanded) and reports formula
cells as :class:`Formula` so that callers can refuse them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .errors import InputError


class Formula(str):
    """A cell that holds a formula (its text is the formula)."""


def as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: Most cells read from one returned workbook (a 100,000-unit round of 17 codes has ~2.5 million).
MAX_CELLS = 20_000_000
#: Most rows of one sheet (a spreadsheet's own limit).
MAX_ROWS = 1_048_576
#: Most XML elements in an .ods ``content.xml`` (odfpy holds them all in memory).
MAX_ODS_ELEMENTS = 10_000_000
#: Longest run of spaces one ODF ``<text:s text:c="N"/>`` may stand for (a cell holds 32,767 characters).
MAX_ODS_SPACES = 32_767


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_COLUMN = re.compile(r"^([A-Z]{1,3})(\d+)$")
_DIGITS = "0123456789"


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """Undo the ``_xHHHH_`` escapes of an .xlsx string (ECMA-376 Part 1, 22.9.2.19, ST_Xstring).

    Excel writes a carriage return typed in a cell as ``_x000D_``, and every
    writer escapes a literal ``_x0041_`` as ``_x005F_x0041_``.  An escape
    of half a surrogate pair stands for no character and is kept as it is
    written (as the text could not be written to UTF-8 otherwise).
    """
    if "_x" not in text:
        return text

    def char(m: re.Match) -> str:
        code = int(m.group(1), 16)
        return m.group() if 0xD800 <= code <= 0xDFFF else chr(code)

    return _ESCAPED.sub(char, text)


def _expat(label: str):
    """An expat parser that refuses DTDs and entity declarations (as defusedxml does), namespaces resolved."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse(*_):
        raise InputError(f"{label}: declares XML entities or a DTD, which spreadsheets do not write; not read")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _xml_tree(z, name: str, label: str):
    """A small package part (workbook, relationships, styles) as an ElementTree element, safely parsed."""
    from defusedxml.ElementTree import fromstring

    return fromstring(z.read(name), forbid_dtd=True)


def _shared_strings(z, label: str) -> list[str]:
    """``xl/sharedStrings.xml``: each ``<si>``'s text (rich-text runs joined; phonetic guides left out)."""
    name = next((n for n in z.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return []
    out: list[str] = []
    parts: list[str] = []
    state = {"depth_t": 0, "rph": 0}
    parser = _expat(label)
    si, t, rph = f"{_MAIN} si", f"{_MAIN} t", f"{_MAIN} rPh"

    def start(tag, attrs):
        if tag == si:
            parts.clear()
        elif tag == rph:
            state["rph"] += 1
        elif tag == t and not state["rph"]:
            state["depth_t"] += 1

    def end(tag):
        if tag == si:
            out.append(unescape("".join(parts)))
            if len(out) > MAX_CELLS:
                raise InputError(f"{label}: more than {MAX_CELLS:,} shared strings; not a workbook the package wrote")
        elif tag == rph:
            state["rph"] -= 1
        elif tag == t and state["depth_t"]:
            state["depth_t"] -= 1

    def text(data):
        if state["depth_t"]:
            parts.append(data)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    with z.open(name) as fh:
        parser.ParseFile(fh)
    return out


def _fills(z, label: str) -> list[str | None]:
    """For each cell format (``cellXfs``), its solid fill colour as ``RRGGBB`` (None: none, or a theme colour)."""
    name = next((n for n in z.namelist() if n.lower() == "xl/styles.xml"), None)
    if name is None:
        return []
    root = _xml_tree(z, name, label)
    colours: list[str | None] = []
    for fill in root.iterfind(f"{{{_MAIN}}}fills/{{{_MAIN}}}fill"):
        pattern = fill.find(f"{{{_MAIN}}}patternFill")
        fg = pattern.find(f"{{{_MAIN}}}fgColor") if pattern is not None else None
        rgb = fg.get("rgb") if fg is not None and pattern.get("patternType") == "solid" else None
        colours.append(rgb[-6:].upper() if rgb and len(rgb) >= 6 else None)
    out = []
    for xf in root.iterfind(f"{{{_MAIN}}}cellXfs/{{{_MAIN}}}xf"):
        try:
            out.append(colours[int(xf.get("fillId", "0"))])
        except (ValueError, IndexError):
            out.append(None)
    return out


def xlsx_sheets(path: Path, label: str, wanted=lambda name: True, colours: dict | None = None,
                comments: dict | None = None) -> dict[str, list[list[object]]]:
    """The sheets of an .xlsx that ``wanted(name)`` accepts, each as a grid of values, streamed.

    Cells are what the person typed: a formula is a :class:`Formula`
    (``=1+0``), never its cached result; shared strings and inline strings
    are text, numbers ``float``, booleans ``bool``, error values their text
    (``#N/A``).  The sheet's declared ``<dimension>`` is ignored (a file that
    understates its size loses no rows, one that overstates it pads
    nothing); rows are placed by their numbers, and reading stops with an
    error past :data:`MAX_ROWS` rows or :data:`MAX_CELLS` cells (a gap in the
    row numbers counts as the empty rows it stands for).  Given a dict,
    ``colours`` receives for each sheet the rows of cell fills (``RRGGBB``),
    and ``comments`` each sheet's cell comments (notes) as
    ``(row, column, text)``, 0-based: they are no cell's value, and a caller
    that reads only values would drop them without a word.
    """
    import posixpath
    import zipfile

    with zipfile.ZipFile(path) as z:
        book = _xml_tree(z, "xl/workbook.xml", label)
        rels = _xml_tree(z, "xl/_rels/workbook.xml.rels", label)
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iterfind(f"{{{_PKG_REL}}}Relationship")}
        sheets = []
        for sh in book.iterfind(f"{{{_MAIN}}}sheets/{{{_MAIN}}}sheet"):
            name, target = sh.get("name", ""), targets.get(sh.get(f"{{{_REL}}}id"), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            sheets.append((name, part))
        chosen = [(n, part) for n, part in sheets if wanted(n)]
        if not chosen:
            return {}
        shared = _shared_strings(z, label)
        fills = _fills(z, label) if colours is not None else []
        out = {}
        for name, part in chosen:
            if part not in z.namelist():
                raise InputError(f"{label}: sheet '{name}' is missing from the file (damaged workbook)")
            shades: list[list[str | None]] = []
            out[name] = _xlsx_sheet(z, part, label, shared, fills, shades if colours is not None else None)
            if colours is not None:
                colours[name] = shades
            if comments is not None:
                comments[name] = _xlsx_comments(z, part, label)
        return out


def _xlsx_comments(z, part: str, label: str) -> list[tuple[int, int, str]]:
    """The cell comments of one worksheet part: its ``comments`` relationship's ``<comment ref=…>`` texts."""
    import posixpath

    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    if rels_part not in z.namelist():
        return []
    out = []
    for rel in _xml_tree(z, rels_part, label).iterfind(f"{{{_PKG_REL}}}Relationship"):
        if not rel.get("Type", "").endswith("/comments"):
            continue
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if target not in z.namelist():
            continue
        for comment in _xml_tree(z, target, label).iter(f"{{{_MAIN}}}comment"):
            m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d{1,7})", comment.get("ref", ""))
            if not m:
                continue
            col = 0
            for ch in m.group(1):
                col = col * 26 + ord(ch) - 64
            text = "".join(t.text or "" for t in comment.iter(f"{{{_MAIN}}}t"))
            out.append((int(m.group(2)) - 1, col - 1, unescape(text).strip()))
    return sorted(out)


def _xlsx_sheet(z, part: str, label: str, shared: list[str], fills: list, shades: list | None) -> list[list[object]]:
    """One worksheet part as a grid (see :func:`xlsx_sheets`), streamed through expat.

    Blank cells (styled or not) add nothing: only cells with a value, a
    formula or inline text are placed, with their fill.
    """
    grid: list[list[object]] = []
    cells = 0
    row_tag, c_tag, v_tag, f_tag = f"{_MAIN} row", f"{_MAIN} c", f"{_MAIN} v", f"{_MAIN} f"
    t_tag, rph_tag = f"{_MAIN} t", f"{_MAIN} rPh"
    attrs_c: dict = {}
    value_text: str | None = None
    formula: str | None = None
    inline: list[str] = []
    buf: list[str] = []
    collecting: str | None = None
    rph = 0
    columns: dict[str, int] = {}

    def fail(what: str):
        raise InputError(f"{label}: {what}; this is not a workbook the package wrote")

    def start(tag, attrs):
        nonlocal attrs_c, value_text, formula, inline, collecting, cells, rph
        if tag == c_tag:
            attrs_c, value_text, formula = attrs, None, None
            if inline:
                inline = []
        elif tag == v_tag or tag == f_tag:
            collecting = tag
            buf.clear()
        elif tag == row_tag:
            try:
                number = int(attrs.get("r", len(grid) + 1))
            except ValueError:
                fail(f"row number '{attrs.get('r')}' is not a number")
            if number > MAX_ROWS:
                fail(f"row {number:,}: more than {MAX_ROWS:,} rows")
            if number < len(grid) + 1:
                fail(f"row numbers out of order (row {number} after row {len(grid)})")
            cells += number - len(grid)  # the empty rows a gap stands for cost what any reader makes of them
            if cells > MAX_CELLS:
                fail(f"more than {MAX_CELLS:,} cells")
            while len(grid) < number:
                grid.append([])
                if shades is not None:
                    shades.append([])
        elif tag == t_tag and not rph:
            collecting = tag
            buf.clear()
        elif tag == rph_tag:
            rph += 1

    def end(tag):
        nonlocal value_text, formula, collecting, cells, rph
        if tag == c_tag:
            if value_text is None and formula is None and not inline:
                return  # a blank cell
            if not grid:
                fail("a cell outside a row")
            row = grid[-1]
            ref = attrs_c.get("r")
            # the few column letters are parsed once
            col = columns.get(ref.rstrip(_DIGITS)) if ref and ref[-1] in _DIGITS else None
            if col is None:
                m = _COLUMN.match(ref) if ref else None
                if m:
                    col = 0
                    for ch in m.group(1):
                        col = col * 26 + ord(ch) - 64
                    col -= 1
                    columns[m.group(1)] = col
                else:
                    col = len(row)
            if col >= 16384:
                fail(f"column {ref} is beyond a sheet's 16,384 columns")
            if col >= len(row):
                cells += col + 1 - len(row)
                if cells > MAX_CELLS:
                    fail(f"more than {MAX_CELLS:,} cells")
                row.extend([None] * (col + 1 - len(row)))
            kind = attrs_c.get("t", "n")
            if kind == "s" and formula is None:  # most cells: a shared string
                index = int(value_text) if _index_text(value_text) else -1
                row[col] = shared[index] if 0 <= index < len(shared) else None
            else:
                row[col] = _xlsx_value(formula, kind, value_text, inline, shared)
            if shades is not None:
                style = attrs_c.get("s")
                if style is not None:
                    shade = shades[-1]
                    if col >= len(shade):
                        shade.extend([None] * (col + 1 - len(shade)))
                    try:
                        shade[col] = fills[int(style)]
                    except (ValueError, IndexError):
                        pass
        elif tag == collecting:
            if tag == v_tag:
                value_text = "".join(buf)
            elif tag == f_tag:
                formula = "".join(buf)
            else:
                inline.append("".join(buf))
            collecting = None
        elif tag == rph_tag:
            rph -= 1

    def text(data):
        if collecting:
            buf.append(data)

    parser = _expat(label)
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    with z.open(part) as fh:
        for chunk in _without_blank_cells(fh):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    for row in grid:
        while row and row[-1] is None:
            row.pop()
    while grid and not grid[-1]:
        grid.pop()
    return grid


#: An empty cell as spreadsheets write it (``<c r="F5" s="12"/>``): the blank, styled mark cells of a Coding sheet.
_BLANK_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"(?: s="[0-9]{1,9}")?/>')


def _without_blank_cells(fh, size: int = 1 << 20):
    """The bytes of a sheet part in chunks, with its empty cells left out while that is certain to change nothing.

    :func:`_xlsx_sheet` places nothing for an empty cell, yet expat calls
    back twice for each: most of a returned Coding sheet's 2.4 million cells
    at 100,000 units.  Such a tag can only be text inside a comment or a
    CDATA section, which start ``<!``: from the first ``<!`` on (as from any
    tag cut by a chunk's end) the bytes pass through as they are.  (The
    column expat names for a damaged sheet counts the bytes it was given.)
    """
    carry, plain = b"", True
    while True:
        block = fh.read(size)
        data = carry + block
        if not block:
            if data:
                yield data
            return
        cut = data.rfind(b"<")  # a tag may continue in the next block
        head, carry = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
        if plain and b"<!" in head:
            plain = False
        yield _BLANK_CELL.sub(b"", head) if plain else head


def _index_text(text: str | None) -> bool:
    """Whether ``text`` is a plain ASCII row or string index (``int`` refuses "²" and 5,000-digit strings)."""
    return bool(text) and text.isascii() and text.isdigit() and len(text) <= 12


def _xlsx_value(formula: str | None, kind: str, v: str | None, inline: list[str], shared: list[str]) -> object:
    if formula is not None:
        return Formula("=" + (formula or "…"))  # a shared formula's other cells carry no text of their own
    if kind == "inlineStr":
        return unescape("".join(inline)) or None
    if v is None:
        return None
    if kind == "s":
        index = int(v.strip()) if _index_text(v.strip()) else -1
        return shared[index] if 0 <= index < len(shared) else None
    if kind == "b":
        return v.strip() == "1"
    if kind in ("str", "e", "d"):
        return v
    try:
        return float(v)
    except ValueError:
        return v


_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def ods_cells(content, label: str = "content.xml") -> int:
    """Cells a reader will hold for an .ods ``content.xml`` stream, counted without expanding anything.

    ODF stores runs of equal rows and cells once, with a repeat count, and
    readers expand them; pandas keeps empty runs only where something follows
    them, then pads every row of a sheet to its longest.  So a sheet costs
    (rows kept) x (widest row kept), which is what this returns (the largest
    sheet's), from one streaming pass.  Tables nested in cells count with
    the sheet that holds them.

    Raises
    ------
    InputError
        A repeat count below 1, a run of spaces longer than a cell holds, or
        more than :data:`MAX_ODS_ELEMENTS` elements.
    """
    from defusedxml.ElementTree import iterparse

    t = f"{{{_ODF_TABLE}}}"
    row_tag, table_tag, value_type = f"{t}table-row", f"{t}table", f"{{{_ODF_OFFICE}}}value-type"
    cell_tags = {f"{t}table-cell", f"{t}covered-table-cell"}
    rows_rep, cols_rep = f"{t}number-rows-repeated", f"{t}number-columns-repeated"
    spaces, spaces_count = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}s", "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}c"

    def repeat(elem, attr: str) -> int:
        try:
            n = int(elem.get(attr, "1"))
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(f"{label}: a repeat count of '{elem.get(attr)}' is not a positive whole number")
        return n

    worst = rows = width = pending_rows = depth = elements = 0
    for event, elem in iterparse(content, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            elements += 1
            if elements > MAX_ODS_ELEMENTS:
                raise InputError(f"{label}: more than {MAX_ODS_ELEMENTS:,} XML elements; this is not a workbook "
                                 "the package wrote")
            if elem.tag == table_tag:
                depth += 1
            continue
        if elem.tag == spaces and repeat(elem, spaces_count) > MAX_ODS_SPACES:
            raise InputError(f"{label}: a run of {elem.get(spaces_count)} spaces is longer than a cell holds")
        if elem.tag == row_tag and depth == 1:
            kept = pending_cells = 0
            for cell in elem:
                if cell.tag not in cell_tags:
                    continue
                n = repeat(cell, cols_rep)
                if cell.get(value_type) is not None or len(cell):
                    kept, pending_cells = kept + pending_cells + n, 0
                else:
                    pending_cells += n
            n = repeat(elem, rows_rep)
            if kept:
                rows, pending_rows, width = rows + pending_rows + n, 0, max(width, kept)
            else:
                pending_rows += n
            elem.clear()
        elif elem.tag == table_tag:
            depth -= 1
            if depth == 0:
                worst, rows, width, pending_rows = max(worst, rows * width), 0, 0, 0
                elem.clear()
    return worst


def read_ods(path: Path, label: str, colours: dict | None = None, comments: dict | None = None
             ) -> dict[str, list[list[object]]]:
    """Every sheet of an .ods file as a grid of values, formula cells as :class:`Formula`.

    Refused first if it would expand past :data:`MAX_CELLS` (see
    :func:`ods_cells`); then ``content.xml`` is streamed once.  A cell is
    what the person typed: a formula (``table:formula``) is a
    :class:`Formula` holding it (``=1``, ``=unsure``), never its result
    (``1``, ``#NAME?``); numbers and booleans are ``float``/``bool``; other
    cells are their text (paragraphs joined by line breaks, ``<text:s>``
    spaces and tabs restored).  No text is read as a missing value: ``NA``
    stays ``NA``.  Empty rows and cells at the end of a row or sheet are
    dropped, as other readers do.  Given a dict, ``colours`` receives for
    each sheet the rows of cell background colours (``RRGGBB`` or None), and
    ``comments`` each sheet's cell comments (``office:annotation``) as
    ``(row, column, text)``, 0-based.
    """
    import zipfile

    from defusedxml.ElementTree import iterparse

    with zipfile.ZipFile(path) as z, z.open("content.xml") as content:
        n = ods_cells(content, label)
    if n > MAX_CELLS:
        raise InputError(f"{label}: its repeated rows and cells would expand to {n:,} cells, more than "
                         f"{MAX_CELLS:,}; this is not a workbook the package wrote")
    t, o = f"{{{_ODF_TABLE}}}", f"{{{_ODF_OFFICE}}}"
    x = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    cell_tags = {f"{t}table-cell", f"{t}covered-table-cell"}
    st, fo = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}", "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
    backgrounds: dict[str, str | None] = {}  # automatic cell style -> its background colour
    sheets: dict[str, list[list[object]]] = {}
    depth = 0
    grid: list[list[object]] = []
    shades: list[list[str | None]] = []
    column_styles: list[str | None] = []
    pending_rows = 0
    with zipfile.ZipFile(path) as z, z.open("content.xml") as content:
        for event, elem in iterparse(content, events=("start", "end"), forbid_dtd=True):
            if colours is not None and event == "end" and elem.tag == f"{st}style" \
                    and elem.get(f"{st}family") == "table-cell":
                props = elem.find(f"{st}table-cell-properties")
                colour = props.get(f"{fo}background-color") if props is not None else None
                backgrounds[elem.get(f"{st}name")] = (colour[1:].upper() if colour and colour.startswith("#")
                                                      and len(colour) == 7 else None)
                continue
            if colours is not None and event == "end" and elem.tag == f"{t}table-column" and depth == 1:
                n = int(elem.get(f"{t}number-columns-repeated", "1"))
                if len(column_styles) + n <= 16384:  # a spreadsheet's widest sheet; the rest have no cells
                    column_styles.extend([elem.get(f"{t}default-cell-style-name")] * n)
                continue
            if elem.tag == f"{t}table":
                if event == "start":
                    depth += 1
                    if depth == 1:
                        grid, shades, column_styles, pending_rows = [], [], [], 0
                        name = elem.get(f"{t}name") or f"Sheet{len(sheets) + 1}"
                        sheets[name] = grid
                        notes: list[tuple[int, int, str]] = []
                        if colours is not None:
                            colours[name] = shades
                        if comments is not None:
                            comments[name] = notes
                else:
                    depth -= 1
                    if depth == 0:
                        elem.clear()
                continue
            if event != "end" or elem.tag != f"{t}table-row" or depth != 1:
                continue
            row: list[object] = []
            shade: list[str | None] = []
            pending_cells = 0
            for cell in elem:
                if cell.tag not in cell_tags:
                    continue
                value = _ods_value(cell, t, o, x)
                repeat = int(cell.get(f"{t}number-columns-repeated", "1"))
                annotation = cell.find(f"{o}annotation") if comments is not None else None
                if annotation is not None:  # where this cell is: rows and cells still pending come before it
                    notes.append((len(grid) + pending_rows, len(row) + pending_cells,
                                  "\n".join(_ods_text(p, x) for p in annotation if p.tag == f"{x}p").strip()))
                if value is None:
                    pending_cells += repeat
                    continue
                if colours is not None:
                    shade.extend([None] * (len(row) + pending_cells - len(shade)))
                    for k in range(len(shade), len(shade) + repeat):
                        style = cell.get(f"{t}style-name") or (column_styles[k] if k < len(column_styles) else None)
                        shade.append(backgrounds.get(style))
                row.extend([None] * pending_cells)
                pending_cells = 0
                row.extend([value] * repeat)
            repeat = int(elem.get(f"{t}number-rows-repeated", "1"))
            if row:
                grid.extend([] for _ in range(pending_rows))
                shades.extend([] for _ in range(pending_rows if colours is not None else 0))
                pending_rows = 0
                grid.extend([row] + [list(row) for _ in range(repeat - 1)])
                if colours is not None:
                    shades.extend([shade] + [list(shade) for _ in range(repeat - 1)])
            else:
                pending_rows += repeat
            elem.clear()
    return sheets


def _ods_value(cell, t: str, o: str, x: str) -> object:
    """The value of one ODF table cell (None if empty); see :func:`read_ods`."""
    formula = cell.get(f"{t}formula")
    if formula is not None:
        return Formula(formula[3:] if formula.startswith("of:") else formula)
    kind = cell.get(f"{o}value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            return float(cell.get(f"{o}value"))
        except (TypeError, ValueError):
            pass
    elif kind == "boolean":
        return cell.get(f"{o}boolean-value") == "true"
    paragraphs = [_ods_text(p, x) for p in cell if p.tag in (f"{x}p", f"{x}h")]
    if not paragraphs:
        return cell.get(f"{o}string-value") or cell.get(f"{o}date-value") or None
    return "\n".join(paragraphs)


def _ods_text(elem, x: str) -> str:
    """The text of an ODF paragraph: spans and links flattened, ``<text:s c=N>`` as N spaces, tabs and breaks."""
    parts = [elem.text or ""]
    for child in elem:
        if child.tag == f"{x}s":
            parts.append(" " * int(child.get(f"{x}c", "1")))
        elif child.tag == f"{x}tab":
            parts.append("\t")
        elif child.tag == f"{x}line-break":
            parts.append("\n")
        elif child.tag != f"{x}note" and not child.tag.endswith("}annotation"):  # comments on a cell are not its text
            parts.append(_ods_text(child, x))
        parts.append(child.tail or "")
    return "".join(parts)


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def office_kind(path: Path) -> str | None:
    """What an Office zip really holds, whatever its name says: ``"xlsx"``, ``"ods"`` or None."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and z.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet":
                return "ods"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None
