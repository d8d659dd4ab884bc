"""Writing .xlsx workbooks: one place for formats, literal text, print setup and a byte-identical save.

The coding and adjudication workbooks are written with XlsxWriter, a writer
made for exactly this: rows of values with prepared formats, about five
times faster than building openpyxl cell objects.  They are read back by
the package's own streaming readers (:mod:`compassion_study.spreadsheets`).

Every value is written by type: text always as a string, never as a formula
or a link, and text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``,
tab, carriage return first) with Excel's quote prefix, so that it shows and
re-saves as the same text (OWASP, "CSV Injection"); text that looks like
XlsxWriter's own rich-text XML is written as escaped runs (:func:`write_text`).

For sheets of 100,000 rows, XlsxWriter's Python for each cell is most of
the time.  The helpers below let a caller give XlsxWriter a few rows of
each pattern and put the others into the saved XML itself, with the bytes
XlsxWriter would have written: shared strings counted in XlsxWriter's
order (:func:`count_strings`), taken out and written in bulk
(:func:`take_strings`, :func:`si_elements`, :func:`strings_into`), rows
made from templates and checked against XlsxWriter's own
(:func:`rows_into_sheet`, :func:`text_rows`), and the package compressed
once, piece by piece (:func:`deflated`).  Anything unexpected raises
``RuntimeError``, and the caller writes every cell instead (see
:func:`compassion_study.sheets.workbook_bytes`).

References
----------
McNamara, J. XlsxWriter documentation, "The Format Class" and "The Worksheet
Class". https://xlsxwriter.readthedocs.io/
"""

from __future__ import annotations

import gc
import io
import itertools
import math
import numbers
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell as xl_cell

from . import files
from .errors import InputError

A4 = 9  # XlsxWriter's paper index for A4
MAX_ROWS = 1_048_576  # Excel's and LibreOffice's row limit
#: Text this short cannot pass a cell's 32,767 UTF-16 units, so XlsxWriter neither measures nor cuts it
SHORT_TEXT = 16_383
PARALLEL_ROWS = 4_000  # below this many unit rows in a round, starting a second process costs more than it saves
#: XlsxWriter stamps zip members with the zip epoch; the document's own creation date is fixed there too,
#: so that the same content always gives the same bytes (the reproducible-builds convention)
_EPOCH = datetime(1980, 1, 1, tzinfo=timezone.utc)


class Book:
    """An in-memory .xlsx under construction.

    ``fmt(**properties)`` returns one shared format per distinct set of
    XlsxWriter format properties (``bold``, ``bg_color``, ``text_wrap``,
    ``locked`` …), so that a workbook holds a handful of styles whatever its
    size.
    """

    def __init__(self, creator: str = "compassion_study") -> None:
        self._buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self._buffer, {
            "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "nan_inf_to_errors": False})
        self.wb.set_properties({"author": creator, "created": _EPOCH})
        self._formats: dict[tuple, object] = {}

    def fmt(self, **properties):
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(dict(properties))
        return self._formats[key]

    def sheet(self, name: str):
        return self.wb.add_worksheet(name)

    def write(self, ws, row: int, col: int, value: object, **properties) -> None:
        """Write ``value`` at 0-based (row, col): text as literal text, numbers as numbers, None/NaN empty.

        Raises
        ------
        InputError
            A text longer than a cell holds or a row past the sheet's end
            (XlsxWriter would cut or skip it with only a warning), or text
            :func:`write_text` cannot write exactly.
        """
        if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
            status = ws.write_blank(row, col, None, self.fmt(**properties)) if properties else 0
        elif isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            status = ws.write_number(row, col, value, self.fmt(**properties))
        else:
            text = str(value)
            if text[:1] in files.FORMULA_TRIGGERS:
                properties = {**properties, "quote_prefix": True}
            status = write_text(ws, row, col, text, self.fmt(**properties))
        if status:
            raise InputError(f"{ws.get_name()} › {xl_cell(row, col)}: "
                             + ("text longer than a cell's 32,767 characters" if status == -2
                                else f"past the sheet's last row ({MAX_ROWS:,})"))

    def write_row(self, ws, row: int, values, **properties) -> None:
        for col, value in enumerate(values):
            self.write(ws, row, col, value, **properties)

    def getvalue(self) -> bytes:
        """Close the workbook and return its bytes, identical for identical content."""
        self.wb.close()
        return self._buffer.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Close the workbook and write it atomically (see :meth:`getvalue`)."""
        return files.write_bytes(path, self.getvalue())


def rich_looking(text: str) -> bool:
    """Whether XlsxWriter's ``write_string`` would take ``text`` for rich-text XML (see :func:`write_text`)."""
    return text.startswith("<r>") and text.endswith("</r>")


def write_text(ws, row: int, col: int, text: str, fmt) -> int:
    """``ws.write_string``, except that text is always text.

    XlsxWriter copies a string that starts with ``<r>`` and ends with
    ``</r>`` into the workbook's shared strings unescaped, as the rich text
    its ``write_rich_string`` makes: such a comment could add or shift
    shared strings and so show other text in other cells.  It is written
    as three plain runs instead, escaped, which every spreadsheet (and the
    package's reader) shows and reads as the same text.
    """
    if rich_looking(text):
        if _ESCAPED_BY_XLSXWRITER.search(text):  # XlsxWriter would escape these twice in rich text
            raise InputError(f"{ws.get_name()} › {xl_cell(row, col)}: text that begins with <r> and ends with </r> "
                             "and holds a control character or an _xHHHH_ sequence cannot be written to a "
                             "workbook exactly; change it where it comes from")
        return ws.write_rich_string(row, col, text[:1], text[1:2], text[2:], fmt)
    return ws.write_string(row, col, text, fmt)


def count_strings(sst, strings: np.ndarray) -> np.ndarray:
    """Count ``strings`` into XlsxWriter's shared-string table as writing them one by one would; their indexes.

    New strings are numbered in the order they first appear, as
    ``SharedStringTable._get_shared_string_index`` numbers them.
    """
    import pandas as pd

    table = getattr(sst, "string_table", None)
    if not isinstance(table, dict) or not isinstance(getattr(sst, "count", None), int) \
            or not isinstance(getattr(sst, "unique_count", None), int):
        raise RuntimeError("bulk workbook: XlsxWriter keeps its shared strings otherwise")
    codes, distinct = pd.factorize(np.asarray(strings, dtype=object), use_na_sentinel=False)
    numbers = np.empty(len(distinct), dtype=np.int64)
    for i, text in enumerate(distinct.tolist()):
        n = table.get(text)
        if n is None:
            n = table[text] = sst.unique_count
            sst.unique_count += 1
        numbers[i] = n
    sst.count += len(strings)
    return numbers[codes]


def take_strings(wb) -> list[str]:
    """Take the shared strings out of an open XlsxWriter workbook, in index order, for :func:`si_elements`.

    XlsxWriter then writes ``xl/sharedStrings.xml`` with its counts and no
    strings, and spends none of the 6 µs of Python it takes for each.
    """
    table = getattr(getattr(wb, "str_table", None), "string_table", None)
    if not isinstance(table, dict) or not np.array_equal(np.fromiter(table.values(), np.int64, len(table)),
                                                         np.arange(len(table))):
        raise RuntimeError("bulk workbook: XlsxWriter keeps its shared strings otherwise")
    wb.str_table.string_table = {}
    return list(table)  # a dict keeps its insertion order: the index order


#: text XlsxWriter writes other than as "<si><t>" + text with &, < and > escaped + "</t></si>": what its
#: _escape_control_characters changes (an _xHHHH_ run, a control character, U+FFFE, U+FFFF) and whitespace at
#: an end (xml:space="preserve")
_ESCAPED_BY_XLSXWRITER = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SPECIAL_TEXT = re.compile(_ESCAPED_BY_XLSXWRITER.pattern + r"|^\s|\s$")
#: every byte but those of the control characters XlsxWriter escapes as _xHHHH_
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0B <= b <= 0x1F))


def si_elements(strings: list[str]) -> list[str]:
    """The ``<si>`` element of each of ``strings``, as XlsxWriter's ``SharedStrings._write_si`` writes it.

    Plain text (most) is escaped here; text with control characters,
    ``_xHHHH_``-like runs, whitespace at an end or rich-text runs is given
    to XlsxWriter's own writer.  Every call compares a sample of the plain
    text with XlsxWriter's writing, and raises if one differs.
    """
    from xlsxwriter.sharedstrings import SharedStrings

    writer = SharedStrings()

    def theirs(text: str) -> str:
        writer.fh = io.StringIO()
        writer._write_si(text)
        return writer.fh.getvalue()

    # one pass over all the text finds whether any has a control character or an "_x" (rarely)
    blob = "\n".join(strings).encode("utf-8", "surrogatepass")
    special = _SPECIAL_TEXT.search if blob.translate(None, _NOT_CONTROL) or b"_x" in blob \
        or b"\xef\xbf\xbe" in blob or b"\xef\xbf\xbf" in blob else None
    out = []
    for text in strings:
        if text[:1].isspace() or text[-1:].isspace() or rich_looking(text) or (special and special(text)):
            out.append(theirs(text))
        else:
            out.append("<si><t>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</t></si>")
    for i in range(0, len(strings), max(1, len(strings) // 64)):
        if out[i] != theirs(strings[i]):
            raise RuntimeError("bulk workbook: a shared string written here differs from XlsxWriter's")
    return out


def strings_into(xml: bytes, strings: list[str]) -> Iterator[bytes]:
    """The shared-strings part XlsxWriter wrote without its strings (see :func:`take_strings`), filled."""
    start = xml.find(b"<sst ")
    end = xml.find(b"</sst>")
    if not 0 <= start < end or xml[end - 1:end] != b">" or xml.count(b"<si>"):
        raise RuntimeError("bulk workbook: the shared strings are not where XlsxWriter puts them")
    count = re.search(rb' uniqueCount="([0-9]+)"', xml[start:end])
    if count is None or int(count.group(1)) != len(strings):
        raise RuntimeError("bulk workbook: the shared strings are not the ones counted")
    return itertools.chain([xml[:end]], in_pieces(si_elements(strings)), [xml[end:]])


def rows_into_sheet(xml: bytes, maker: Callable[[dict[int, bytes]], Callable[[int], str]],
                     pattern: Sequence[int], later: Sequence[int]) -> Iterator[bytes]:
    """Sheet XML with the rows ``later`` (1-based numbers) put in by number, in pieces.

    ``maker(written)``, given the rows XlsxWriter wrote (number -> XML),
    returns the function that makes a row's XML; the ``pattern`` rows are
    made too and must equal XlsxWriter's (checked before the first piece).
    """
    start, end = xml.find(b"<sheetData>"), xml.find(b"</sheetData>")
    if not 0 <= start < end:
        raise RuntimeError("bulk workbook: no sheet data where XlsxWriter puts it")
    pieces = xml[start + len(b"<sheetData>"):end].split(b"<row ")
    if pieces[0]:
        raise RuntimeError("bulk workbook: text before a sheet's first row")
    written = {}
    for row in pieces[1:]:
        number = row[3:row.find(b'"', 3)] if row.startswith(b'r="') else b""
        if not number.isdigit() or int(number) in written:
            raise RuntimeError("bulk workbook: a row without a number, or twice")
        written[int(number)] = b"<row " + row
    make = maker(written)
    if any(r not in written or make(r).encode() != written[r] for r in pattern):
        raise RuntimeError("bulk workbook: a row made here differs from XlsxWriter's")
    later = sorted(set(later) - set(pattern))
    if written.keys() & set(later):
        raise RuntimeError("bulk workbook: a row both written and made")
    return itertools.chain([xml[:start + len(b"<sheetData>")]], _merged_rows(written, later, make), [xml[end:]])


def _merged_rows(written: dict[int, bytes], later: list[int], make: Callable[[int], str],
                 size: int = 5_000) -> Iterator[bytes]:
    """Every row in number order, XlsxWriter's and made ones; made rows are encoded ``size`` at a time."""
    run: list[str] = []
    kept = iter(sorted(written))
    following = next(kept, None)
    for r in later:
        while following is not None and following < r:
            if run:
                yield "".join(run).encode()
                run = []
            yield written[following]
            following = next(kept, None)
        run.append(make(r))
        if len(run) == size:
            yield "".join(run).encode()
            run = []
    if run:
        yield "".join(run).encode()
    while following is not None:
        yield written[following]
        following = next(kept, None)


def xf_number(fmt) -> int:
    if fmt is None or fmt.xf_index is None:
        raise RuntimeError("bulk workbook: a cell's format has no number")
    return fmt.xf_index


def text_rows(written: dict[int, bytes], code: np.ndarray, index: np.ndarray, formats: tuple) -> Callable[[int], str]:
    """Rows of two text cells (A and B) and no height of their own, as XlsxWriter's ``_write_row`` writes them.

    Row ``2 + k`` holds the shared strings ``index[k]``, each cell in
    ``formats[0]`` or, where ``code[k]`` has its bit, ``formats[1]``.
    """
    templates: dict[int, str] = {}
    codes, numbers_of = code.tolist(), index.tolist()

    def make(r: int) -> str:
        k = r - 2
        c = codes[k]
        template = templates.get(c)
        if template is None:
            a, b = (xf_number(formats[c >> j & 1]) for j in (0, 1))
            template = templates[c] = (f'<row r="{{0}}" spans="1:2"><c r="A{{0}}" s="{a}" t="s"><v>{{1}}</v></c>'
                                       f'<c r="B{{0}}" s="{b}" t="s"><v>{{2}}</v></c></row>')
        numbers = numbers_of[k]
        if min(numbers) < 0:
            raise RuntimeError("bulk workbook: a text cell without its shared string")
        return template.format(r, *numbers)

    return make


def deflated(data: bytes, change: dict[str, Callable[[bytes], bytes | Iterable[bytes]]]) -> bytes:
    """The package ``data`` (an XlsxWriter .xlsx) with the parts in ``change`` changed.

    Every part is compressed as XlsxWriter compresses it (each a member
    named as before, dated 1 January 1980, deflated), so that a workbook
    some of whose parts were finished here has the bytes XlsxWriter would
    have written for the same content.  A change may give its part in
    pieces, which are compressed as they come (zlib's output does not
    depend on how its input is cut), so that a large part is never held
    whole.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            member = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            if info.filename not in change:
                zout.writestr(member, body)
                continue
            pieces = change[info.filename](body)
            with zout.open(member, "w") as fh:
                for piece in [pieces] if isinstance(pieces, bytes) else pieces:
                    fh.write(piece)
    return out.getvalue()


def in_pieces(texts: list[str], size: int = 20_000) -> Iterator[bytes]:
    """``texts`` joined and encoded as UTF-8, ``size`` at a time (for :func:`deflated`)."""
    for i in range(0, len(texts), size):
        yield "".join(texts[i:i + size]).encode("utf-8")


def in_parallel(function, jobs: list[tuple], worth_it: bool = True) -> list:
    """``[function(*job) for job in jobs]``, in parallel processes where that is safe and worth it.

    A 5,000-row workbook takes about a second to lay out or read, all of it
    in Python; a second core halves the time for a round.  Up to twice as
    many workers as cores run at once (at most 8), as many as there are jobs.  Workers are
    forked (no re-import) and only compute: they return results (bytes, not
    files) and the caller writes.  Forking is used only from a
    single-threaded process (a command line or a test, not a Jupyter
    kernel, whose threads make forking unsafe) and only when the caller
    says the work is large enough to be ``worth_it``;
    otherwise, and on systems without ``fork``, the jobs run here, one by one.
    The results are in the order of ``jobs`` either way.
    """
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # the cores this process may use (a container's or taskset's share, not the host's count)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # one worker per job up to twice the cores (at most 8): three files on two cores then take 1.5 files'
    # time, not 2 (jobs here are similar in size); more would only hold more files in memory at once
    workers = min(len(jobs), 2 * cores, 8)
    if cores < 2 or workers < 2 or not worth_it or threading.active_count() > 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        return [function(*job) for job in jobs]
    gc.freeze()  # the workers' garbage collector then leaves the inherited objects alone (no copy-on-write)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(function, *zip(*jobs)))
    finally:
        gc.unfreeze()


def print_setup(ws, landscape: bool, title_rows: tuple[int, int] | None = None) -> None:
    """A4, fitted to the page width, header rows (0-based, inclusive) repeated on every page."""
    ws.set_paper(A4)
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.fit_to_pages(1, 0)
    if title_rows:
        ws.repeat_rows(*title_rows)


def protect(ws, filter_and_resize: bool = False) -> None:
    """Protect a sheet without a password; optionally still allow filtering and resizing rows and columns."""
    ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True} if filter_and_resize else {})
