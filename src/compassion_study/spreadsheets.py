"""Reading spreadsheets nobody on the team controls: .xlsx and .ods grids with limits.

Used for returned coding and adjudication workbooks and for comment tables
exported from workshop tools.  Every reader here bounds what a small file can
make the package hold in memory (declared sizes are not trusted, repeated
rows and cells are counted before anything is expanded) and reports formula
cells as :class:`Formula` so that callers can refuse them.
"""

from __future__ import annotations

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


def xlsx_fill(cell) -> str | None:
    """A cell's solid fill colour as ``RRGGBB`` (None: no solid fill)."""
    fill = getattr(cell, "fill", None)
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = fill.fgColor.rgb if fill.fgColor is not None else None
    return rgb[-6:].upper() if isinstance(rgb, str) and len(rgb) >= 6 else None


def xlsx_grid(ws, label: str, colours: list | None = None) -> list[list[object]]:
    """Every row of a read-only openpyxl sheet as values (formula cells as :class:`Formula`).

    The sheet's declared ``<dimension>`` is ignored (``reset_dimensions``):
    a file that understates its size must not lose rows, and one that
    overstates it must not make the reader pad millions of empty cells.
    Reading stops with an error past :data:`MAX_CELLS`.  Given a list,
    ``colours`` receives each row's cell fills (:func:`xlsx_fill`).
    """
    ws.reset_dimensions()
    grid, cells = [], 0
    for row in ws.iter_rows():
        cells += max(len(row), 1)  # a gap in the row numbers arrives as empty rows: count them too
        if cells > MAX_CELLS or len(grid) >= MAX_ROWS:
            raise InputError(f"{label}: more than {min(MAX_CELLS, MAX_ROWS):,} rows or {MAX_CELLS:,} cells; "
                             "this is not a workbook the package wrote")
        grid.append([Formula(c.value) if getattr(c, "data_type", None) == "f" else c.value for c in row])
        if colours is not None:
            colours.append([xlsx_fill(c) for c in row])
    return grid


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


def read_ods(path: Path, label: str, colours: dict | None = None) -> dict[str, list[list[object]]]:
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
    each sheet the rows of cell background colours (``RRGGBB`` or None).
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
                        if colours is not None:
                            colours[name] = shades
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
