"""Safe, deterministic file writing shared by every stage.

* Every write goes to a temporary file in the destination folder and is then
  renamed over the target with :func:`os.replace`, which is atomic on POSIX
  and Windows: a crash leaves the previous file intact, never half a file.
* Nothing is ever written under ``data/raw/`` (raw data is immutable).
* CSVs are written with fixed line endings and float formatting so that a
  re-run on the same inputs gives byte-identical files.
* Text that a spreadsheet would evaluate (a leading ``=``, ``+``, ``-``,
  ``@``, tab or carriage return) is neutralised in every CSV the package
  writes, reversibly: :func:`read_csv` undoes it.  See OWASP, "CSV Injection".
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import gc
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
#: Largest compression ratio accepted for a big zip member (real office files compress ~5-30x).
MAX_RATIO = 200


def _refuse_raw(path: Path) -> None:
    """Refuse a path inside a study's ``data/raw/``.

    The study is the nearest folder above ``path`` holding ``study.yaml``; a
    ``data/raw`` elsewhere in the path (a study kept under a folder that
    happens to be called so) is not raw data.  Without any ``study.yaml``
    above, every ``data/raw`` in the path counts.
    """
    from .paths import find_study

    resolved = path.resolve()
    study = find_study(resolved.parent if resolved.parent.exists() else _existing(resolved.parent))
    if study is not None:
        try:
            resolved.relative_to(study / "data" / "raw")
        except ValueError:
            return
        raise PermissionError(f"refusing to write under data/raw/ (raw data is read-only): {path}")
    parts = resolved.parts
    for i in range(len(parts) - 1):
        if parts[i] == "data" and parts[i + 1] == "raw":
            raise PermissionError(f"refusing to write under data/raw/ (raw data is read-only): {path}")


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _new_file_mode() -> int:
    """The mode a new file gets here (0o666 less the umask), read without changing the umask for long."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, sync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    The data reach the disk before the rename (``fsync``) unless ``sync`` is
    false (a cache that is checked when read and rebuilt when damaged).
    The result keeps the mode of the file it replaces (a deliberate
    ``chmod 600`` stays), or gets the umask's default for a new file.  An
    OS error (disk full, read-only folder) names ``path``, not the
    temporary file.
    """
    path = Path(path)
    _refuse_raw(path)
    tmp_path = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        yield tmp_path
        if sync:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o7777 if path.is_file() else _new_file_mode()
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
        digests = _DIGESTS.get()
        if digests:  # the path now holds other bytes (possibly in a reused inode)
            where = os.path.abspath(path)
            for key in [k for k in digests if k[0] == where]:
                del digests[key]
    except OSError as exc:
        # a failure of the write itself (disk full, read-only folder) is about ``path``; any
        # other OS error raised inside the block (a program that would not start) is the caller's
        ours = exc.filename is not None and os.path.dirname(str(exc.filename)) == str(path.parent) and \
            os.path.basename(str(exc.filename)).startswith(f".{path.name}.")  # mkstemp's name, before tmp_path is set
        if (exc.filename not in (None, str(tmp_path), str(path.parent)) and not ours) or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()


def remove_leftovers(folder: str | os.PathLike) -> list[Path]:
    """Delete the hidden ``.<name>.<random>.tmp`` files a killed write left in ``folder`` (and below); return them.

    Call only while holding the study's lock: a running write's temporary file looks the same.
    """
    folder = Path(folder)
    found = sorted(folder.rglob(".*.tmp")) if folder.is_dir() else []
    for tmp in found:
        remove(tmp)
    return found


def remove(path: str | os.PathLike) -> None:
    """Delete a generated file (never one under ``data/raw/``); a missing file is fine."""
    path = Path(path)
    _refuse_raw(path)
    path.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes, sync: bool = True) -> Path:
    """Atomically write ``data`` to ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path, sync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically write UTF-8 ``text`` (``\\n`` line endings) to ``path``."""
    return write_bytes(path, text.encode("utf-8"))


#: Digests taken inside :func:`remembered_digests` (per thread and task), by the file's path, identity and
#: state; None outside it.
_DIGESTS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("compassion_study_digests", default=None)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector for a bulk read or write, then restore it.

    Reading a 100,000-row workbook or writing one makes millions of small
    objects (cells, rows, tuples) that hold no reference cycles; the
    collector would walk the growing heap again and again, a tenth of the
    time or more.  Anything cyclic made meanwhile is collected afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def remembered_digests():
    """Within this block, :func:`sha256` reads each unchanged file once.

    A stage records the digest of files it has already hashed (a returned
    workbook in ``rounds.csv`` and again in the manifest): a file at the
    same path whose device, inode, size, modification and change times are
    unchanged is not read again, and a file written through
    :func:`atomic_path` is always read again.  Scoped to one stage's run
    (and to the thread running it), as a file edited in place within the
    clock's resolution would keep all five.
    """
    token = _DIGESTS.set({} if _DIGESTS.get() is None else _DIGESTS.get())
    try:
        yield
    finally:
        _DIGESTS.reset(token)


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (see :func:`remembered_digests`)."""
    digests = _DIGESTS.get()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        key = (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if digests is not None and key in digests:
            return digests[key]
        h = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    if digests is not None:
        digests[key] = h.hexdigest()
    return h.hexdigest()


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate (reversible).

    Text already starting with ``'`` is prefixed too, so that
    :func:`restore` is an exact inverse.
    """
    if text and (text[0] in FORMULA_TRIGGERS or text[0] == _QUOTE):
        return _QUOTE + text
    return text


def restore(text: str) -> str:
    """Undo :func:`neutralise`."""
    if len(text) > 1 and text[0] == _QUOTE and (text[1] in FORMULA_TRIGGERS or text[1] == _QUOTE):
        return text[1:]
    return text


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]


_TRIGGERS = frozenset((*FORMULA_TRIGGERS, _QUOTE))


def _neutralise_series(col: pd.Series) -> pd.Series:
    """:func:`neutralise` for a whole column (non-strings untouched).

    One pass over the values in plain Python: pandas' ``.str`` methods on
    object columns cost several times more.
    """
    values = col.to_numpy(dtype=object)
    hit = _first_char_in(values, _TRIGGERS)
    if not hit.any():
        return col
    new = values.copy()
    new[hit] = [_QUOTE + v for v in values[hit]]
    return pd.Series(new, index=col.index, name=col.name, dtype=col.dtype)


def _first_char_in(values: np.ndarray, chars: frozenset) -> np.ndarray:
    """Which values are strings starting with one of ``chars``; each distinct value is looked at once."""
    codes, uniques = pd.factorize(values)  # most text columns (prompt, theme, source) repeat a few values
    first = np.fromiter((type(v) is str and v[:1] in chars for v in uniques), dtype=bool, count=len(uniques))
    return np.where(codes >= 0, first[np.maximum(codes, 0)] if len(first) else False, False)


def _restore_series(col: pd.Series) -> pd.Series:
    """:func:`restore` for a whole column."""
    values = col.to_numpy(dtype=object)
    hit = _first_char_in(values, frozenset(_QUOTE))
    if hit.any():
        hit[hit] = [v[1:2] in _TRIGGERS for v in values[hit]]
    if not hit.any():
        return col
    new = values.copy()
    new[hit] = [v[1:] for v in values[hit]]
    return pd.Series(new, index=col.index, name=col.name, dtype=col.dtype)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes for ``df`` with formula triggers neutralised."""
    plain = _plain_columns(df)
    if plain is None:
        out = df.copy()
        for col in _text_columns(out):
            out[col] = _neutralise_series(out[col])
        buf = io.StringIO()
        out.to_csv(buf, index=False, lineterminator="\n", float_format="%.10g")
        return buf.getvalue().encode("utf-8")
    columns = [values for values, _ in plain]
    if len(columns) < 2:  # the csv module quotes a lone empty field: let it write one-column tables
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(df.columns)
        writer.writerows(zip(*columns))
        return buf.getvalue().encode("utf-8")
    # the same bytes as pandas' writer (which ends in the csv module), without its per-cell conversions: rows
    # are plain joins, and only the columns holding a value to quote (comments, memos) are quoted field by field
    header = [_csv_field(str(c)) for c in df.columns]
    columns = [[_csv_field(v) if _QUOTED.search(v) else v for v in values] if _needs_quotes(distinct) else values
               for values, distinct in plain]
    return ("\n".join(map(",".join, [header, *zip(*columns)])) + "\n").encode("utf-8")


_QUOTED = re.compile('[,"\n\r]')


def _csv_field(value: str) -> str:
    """``value`` as the csv module writes it in a row of several fields (minimal quoting, ``\\n`` line ends)."""
    if "\r" in value:  # quoted by some Python versions and not by others: ask this one
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([value, ""])
        return buf.getvalue()[:-2]
    if "," in value or '"' in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _needs_quotes(values: list[str]) -> bool:
    """Whether the csv module would quote any of ``values`` (a comma, quote or line break in it)."""
    joined = "\x00".join(set(values))  # four substring searches in C instead of four per value
    return any(ch in joined for ch in ',"\n\r')


def _plain_columns(df: pd.DataFrame) -> list[tuple[list[str], list[str]]] | None:
    """Each column as a list of str as written (text neutralised, missing as ''), with its distinct values.

    None unless every column is text or whole numbers (and the index a plain
    range).  Each distinct value is converted and neutralised once (codings
    repeat a few ids and 0/1 over millions of rows).
    """
    if not all(isinstance(c, str) for c in df.columns) or not isinstance(df.index, pd.RangeIndex):
        return None
    columns = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype) and not s.hasnans:
            codes, uniques = pd.factorize(s.to_numpy())
            distinct = pd.Series(uniques, dtype=s.dtype).astype(str).tolist()
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):  # the text columns (_text_columns)
            codes, uniques = pd.factorize(s.to_numpy(dtype=object))  # every missing value (None, NaN, NA) is -1
            uniques = np.asarray(uniques, dtype=object)
            if len(uniques) and pd.api.types.infer_dtype(uniques, skipna=False) != "string":  # every value a str
                return None
            distinct = [neutralise(v) for v in uniques]
        else:
            return None
        if (codes < 0).any():
            distinct = [*distinct, ""]
            codes = np.where(codes < 0, len(distinct) - 1, codes)
        columns.append((np.array(distinct, dtype=object)[codes].tolist(), distinct))
    return columns


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Atomically write ``df`` as a deterministic, injection-safe CSV."""
    return write_bytes(path, csv_bytes(df))


def read_csv(path: str | os.PathLike, text: tuple[str, ...] | list[str] = (), categorical: bool = False) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`, restoring neutralised text.

    Parameters
    ----------
    path : path-like
    text : sequence of str
        Columns to read as text: empty cells become ``""`` rather than NaN
        and neutralised formula triggers are restored.  Other string columns
        are restored too.  Only empty cells are missing values (``NA`` and
        ``null`` are text).
    categorical : bool
        Return the ``text`` columns as categoricals of the text values that
        occur, sorted as Python sorts str: for long tables of a few
        repeated ids (``codings.csv``: 48 rows per unit) neutralised text is
        restored once per distinct value, and later factorising is integer
        work.  (pandas' own category parsing would turn a column of
        number-like names, round ``10`` or coder ``007``, into numbers.)
    """
    present = pd.read_csv(path, nrows=0).columns
    dtypes = {c: str for c in text if c in present}
    # only an empty cell is missing: a comment or memo reading "NA", "n/a" or "null" is someone's words
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    for col in dtypes:
        if not categorical:
            df[col] = df[col].fillna("")
            continue
        codes, uniques = pd.factorize(df[col].to_numpy(dtype=object))  # an empty cell (NaN) is -1
        uniques = np.append(np.asarray(uniques, dtype=object), "")  # the last: an empty cell
        uniques = _restore_series(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
        codes[codes < 0] = len(uniques) - 1
        # sorted as Python sorts str; two spellings that restore to one text become one category
        categories, inverse = np.unique(uniques, return_inverse=True)
        codes = inverse.ravel()[codes]
        used = np.zeros(len(categories), dtype=bool)
        used[codes] = True
        df[col] = pd.Categorical.from_codes((np.cumsum(used) - 1)[codes],
                                            categories=pd.Index(categories[used], dtype=object))
    for col in _text_columns(df):
        if not (categorical and col in dtypes):
            df[col] = _restore_series(df[col])
    return df


def decode_text(data: bytes, label: str) -> str:
    """Decode a user's text file: UTF-16 with a byte-order mark, UTF-8 (with or without BOM), else Windows-1252.

    UTF-16 is what Excel's "Unicode text" writes (always with a BOM).
    Windows-1252 is accepted only where the bytes are not valid UTF-8 and are
    valid Windows-1252 (Excel's "CSV" on Windows), which is unambiguous.
    """
    from .errors import InputError, where

    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{label}: starts as UTF-16 text but byte {exc.start:,} is not UTF-16; save it again") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: not a CSV text file (it contains binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{where(label, f'line {line}')}: neither UTF-8 nor Windows-1252 text; save the CSV as UTF-8") from None


def read_text_table(path: str | os.PathLike, max_rows: int | None = None) -> list[list[str]]:
    """Rows of a user's CSV: comma, semicolon or tab separated (sniffed), any of the encodings above.

    With ``max_rows``, only the first rows are parsed (the rest is not checked).
    """
    return [row for _, row in read_text_rows(path, max_rows)]


def read_text_rows(path: str | os.PathLike, max_rows: int | None = None) -> list[tuple[int, list[str]]]:
    """:func:`read_text_table` with the line each row starts on (blank lines and quoted line breaks counted)."""
    path = Path(path)
    text, delimiter = _decoded_table(path)
    return _csv_rows(text, delimiter, path.name, max_rows)


def _decoded_table(path: Path) -> tuple[str, str]:
    """A user's CSV as text (see :func:`decode_text`) and its delimiter (sniffed from the first lines)."""
    text = decode_text(path.read_bytes(), path.name)
    sample = "\n".join(_first_lines(text, 5))
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return text, delimiter


def _first_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]`` without splitting a whole large file: more than n pieces of a prefix end in n
    complete lines."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        if len(lines) > n or size >= len(text):
            return lines[:n]
        size *= 4


def _csv_rows(text: str, delimiter: str, label: str, max_rows: int | None = None) -> list[tuple[int, list[str]]]:
    from .errors import InputError, where

    # a field may be as long as the file (which check_input has bounded), not csv's default 128 KiB
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, start = [], 1
    try:
        for row in reader:
            out.append((start, list(row)))
            start = reader.line_num + 1
            if len(out) == max_rows:
                break
    except csv.Error as exc:
        raise InputError(f"{where(label, f'line {start}')}: not a readable CSV row ({exc})") from None
    return out


def read_text_grid(path: str | os.PathLike) -> np.ndarray | list[list[str]]:
    """:func:`read_text_table` for large tables: a 2-D array of text where it can, else the list of rows.

    pandas' C tokenizer reads a 100,000-row table about ten times faster
    than the csv module, and it reads every field the csv module reads as
    the csv module does (quotes, doubled quotes, quoted line breaks, ``\\r``
    line ends, blank lines as rows).  But it pads short rows with ``""`` to
    the width of the first row, and refuses some tables the csv module
    accepts (a row wider than the first, an unclosed quote at the end); so
    callers must take a missing cell and an empty one alike.  Where pandas
    refuses the table, where it holds a NUL character, or where padding
    could hold far more cells than the text has characters (a first row of
    a million commas), the csv module reads it and reports what it reports.
    """
    path = Path(path)
    text, delimiter = _decoded_table(path)
    if "\x00" not in text:
        first = next(csv.reader(io.StringIO(text[:1 << 20], newline=""), delimiter=delimiter), [])
        lines = text.count("\n") + text.count("\r") + 1
        if len(first) * lines <= 4 * len(text) + 100_000:
            try:
                frame = pd.read_csv(io.StringIO(text), header=None, sep=delimiter, dtype=object, na_filter=False,
                                    keep_default_na=False, skip_blank_lines=False, engine="c",
                                    quoting=csv.QUOTE_MINIMAL, doublequote=True)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error):
                pass
            else:
                return frame.fillna("").to_numpy(dtype=object)
    return [row for _, row in _csv_rows(text, delimiter, path.name)]


def zip_problem(path: str | os.PathLike, max_unzipped: int = 500 * 1024 * 1024, kind: str = "spreadsheet") -> str | None:
    """Why an Office file (.xlsx, .ods, .docx: a zip of XML) cannot be opened safely; None if it can.

    Checked before any parser sees the file: not a zip (or an encrypted OLE
    file), total or per-member expansion (zip bombs), links to other
    workbooks, XML DTD or entity declarations (entity-expansion attacks;
    office programs never write them), and member checksums.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:8]
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            return "is encrypted (password-protected) or an old binary .xls; save it unprotected as .xlsx"
        return f"is not a {kind} (not a zip archive): empty, truncated or another kind of file"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > max_unzipped:
                return f"expands to {total:,} bytes, over the {max_unzipped:,}-byte limit (zip bomb?)"
            for info in infos:
                if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    return (f"member {info.filename} expands {info.file_size // max(info.compress_size, 1):,}-fold "
                            f"to {info.file_size:,} bytes (zip bomb?)")
            names = [i.filename for i in infos]
            if any(n.startswith("xl/externalLinks/") for n in names):
                return "links to other workbooks (external links); remove them (Data › Edit Links › Break Link) and save again"
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        return (f"member {info.filename} declares XML entities or a DTD, which spreadsheets do not "
                                "write (possible entity-expansion attack); not read")
            if "META-INF/manifest.xml" in names and b"encryption-data" in zf.read("META-INF/manifest.xml"):
                return "is password-protected (encrypted); save it again without a password"
            bad = zf.testzip()
            if bad:
                return f"is damaged (member {bad} fails its checksum)"
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        return f"is damaged, truncated or encrypted ({exc})"
    return None


#: Characters no report, workbook or Word file can hold (tab, newline and carriage return are text).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
#: The most a spreadsheet cell holds, counted in UTF-16 code units as Excel and LibreOffice count.
MAX_CELL_CHARS = 32767


def cell_length(text: str) -> int:
    """Length of ``text`` as a spreadsheet counts it: characters beyond U+FFFF take two UTF-16 units."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def read_yaml(path: str | os.PathLike, label: str, max_bytes: int, expected: str = "") -> object:
    """Parse a user's YAML file (``yaml.safe_load``) after :func:`check_input`.

    Raises :class:`~compassion_study.errors.InputError` naming ``label`` and,
    for a syntax error, the line and column.
    """
    import yaml

    from .errors import InputError, where

    check_input(path, (".yaml", ".yml"), max_bytes, label, expected)
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None
    except RecursionError:
        raise InputError(f"{label}: nested too deeply to be a study file or codebook") from None
    except (ValueError, OverflowError) as exc:  # e.g. a number with thousands of digits
        raise InputError(f"{label}: a value cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        # where the broken construct starts (an unclosed quote's opening) is more use than where parsing gave up
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = getattr(exc, "context", None)
        what = f"{context}: {exc.problem}" if context and getattr(exc, "problem", None) else (getattr(exc, "problem", None) or exc)
        raise InputError(f"{where(label, place)}: not valid YAML ({what})") from None


def _strict_loader():
    """A ``yaml.SafeLoader`` that refuses aliases (the "billion laughs" of YAML) and repeated keys."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        # Dates stay text: "2026-02-30" is a typo to show, not a crash in datetime.
        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "anchors and aliases (*name) are not allowed",
                                                  event.start_mark)
            return super().compose_node(parent, index)

        def construct_scalar(self, node):
            # a YAML escape ("\a", "\0") gives a character no report, workbook or Word file can hold
            value = super().construct_scalar(node)
            bad = CONTROL_CHARACTERS.search(value) if isinstance(value, str) else None
            if bad:
                raise yaml.constructor.ConstructorError(
                    None, None, f"control character U+{ord(bad.group()):04X} in a text; write plain text",
                    node.start_mark)
            if isinstance(value, str) and cell_length(value) > MAX_CELL_CHARS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a text of {cell_length(value):,} characters, more than a spreadsheet cell holds "
                    f"({MAX_CELL_CHARS:,})", node.start_mark)
            return value

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice",
                                                            key_node.start_mark)
                if isinstance(key, (str, int, float, bool)):
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


_StrictLoader = _strict_loader()


def check_input(path: str | os.PathLike, suffixes: tuple[str, ...] | None, max_bytes: int, label: str,
                expected: str = "", limit_for: str = "") -> int:
    """Refuse a user's file before reading it: wrong type, missing, empty or too large.

    Raises :class:`~compassion_study.errors.InputError` naming ``label``;
    returns the file's size.
    """
    from .errors import InputError

    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(f"{label}: unsupported file type '{path.suffix or '(none)'}'; {expected}")
    if path.is_dir():
        raise InputError(f"{label}: is a folder, not a file")
    if path.exists() and not path.is_file():
        raise InputError(f"{label}: not a regular file (a pipe, socket or device); copy the data into a file")
    if not path.is_file():
        raise InputError(f"{label}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{label}: file is empty")
    if size > max_bytes:
        raise InputError(f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit{limit_for}")
    return size


def docx_bytes(document) -> bytes:
    """A python-docx ``Document`` as bytes that depend only on its content.

    python-docx stamps the time of saving on every zip member and keeps
    creation and modification times in the core properties; both are
    removed (zip members dated 1980-01-01, no times in ``docProps/core.xml``),
    so identical content gives identical bytes.
    """
    import io
    import zipfile

    from docx.oxml.ns import qn

    props = document.core_properties
    for name in ("dcterms:created", "dcterms:modified", "cp:lastPrinted"):
        for el in props._element.findall(qn(name)):
            props._element.remove(el)
    props.revision = 1
    raw = io.BytesIO()
    document.save(raw)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src:
        return stable_zip([(info.filename, src.read(info.filename)) for info in src.infolist()])


def stable_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of ``members`` (name, bytes) in the order given, every member dated 1980-01-01 with mode
    0644: the same members always give the same bytes."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, data)
    return out.getvalue()
