"""Benchmark: exporting and importing coding workbooks at scale, each as its own command-line process.

One synthetic project of ``--units`` comment units (default 100,000: one
notes file, 2 prompts, 2,000 breakout themes), ``--coders`` coders and
``--codes`` codes.  Three stages are timed, each ``--repeats`` times, with
wall time and peak resident memory (from ``wait4``):

* ``export``: ``compassion-study sheets`` writes one .xlsx per coder;
* ``import csv``: ``compassion-study import`` of one CSV tab per coder (the
  Google Sheets route, as ``bench_scale.py`` builds it);
* ``import xlsx``: the exported workbooks with marks typed in (number cells
  put into the Coding sheet's blank mark cells, as Excel saves a typed 1).

Targets (issue 17), medians on the project's 2-core machine: import under
5 s and export under 10 s at 100,000 rows per coder; peak memory under 1 GB
for an import at 100,000 units and under 4 GB at 300,000.  Prints each
median beside its target and exits 1 on a miss.

    .venv/bin/python benchmarks/bench_import_scale.py [--units 100000] [--coders 3] [--repeats 3]
        [--skip-export] [--skip-xlsx] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import coder_marks, write_codebook, write_coder_csvs, write_notes  # noqa: E402
from _synthetic import measure as run  # noqa: E402

TARGET_IMPORT_S, TARGET_EXPORT_S = 5.0, 10.0


def target_mb(n_units: int) -> int:
    return 1024 if n_units <= 100_000 else 4096


def fill_xlsx(source: Path, target: Path, marks: np.ndarray) -> None:
    """An exported workbook with ``marks`` typed in: a number 1 in each applied mark cell, 1 in "no code applies"
    where no code is marked (a regex over the Coding sheet's XML, as openpyxl takes minutes at this size)."""
    from compassion_study import sheets
    from compassion_study.spreadsheets import column_letter

    first = len(sheets.FIXED)
    n_codes = marks.shape[1]
    column = {column_letter(first + j): j for j in range(n_codes + 1)}  # codes, then "no code applies"
    full = np.hstack([marks, (marks.sum(1) == 0)[:, None].astype(np.int8)])

    def mark(m: re.Match) -> str:
        j, row = column.get(m.group(1)), int(m.group(2)) - sheets.HEADER_ROW - 1
        if j is None or row < 0 or not full[row, j]:
            return m.group(0)
        return f'<c r="{m.group(1)}{m.group(2)}" s="{m.group(3)}"><v>1</v></c>'

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet3.xml":  # Instructions, Codebook, Coding, Assignment
                data = re.sub(r'<c r="([A-Z]+)(\d+)" s="(\d+)"/>', mark, data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)


def median_run(label: str, cmd: list[str], repeats: int, target_s: float, target_mb_: int, before=None) -> bool:
    times, peaks = [], []
    for _ in range(repeats):
        if before:
            before()
        t, mb = run(cmd)
        times.append(t)
        peaks.append(mb)
    t, mb = statistics.median(times), max(peaks)
    ok = t < target_s and mb < target_mb_
    print(f"{label:<12} {t:6.1f} s (target < {target_s:.0f} s; runs {', '.join(f'{x:.1f}' for x in times)})   "
          f"peak {mb:6.0f} MB (target < {target_mb_} MB)   {'ok' if ok else 'MISS'}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--codes", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-export", action="store_true", help="time only the imports")
    parser.add_argument("--skip-xlsx", action="store_true", help="time only the CSV import (no export either)")
    parser.add_argument("--keep", help="build the projects in this folder and keep them (for profiling)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "compassion_study"]
    tmp = tempfile.mkdtemp() if not args.keep else args.keep
    try:
        base = Path(tmp) / "csv"
        (base / "data/raw/notes").mkdir(parents=True)
        (base / "data/raw/codebook").mkdir(parents=True)
        write_notes(base / "data/raw/notes", args.units)
        run([*cli, "--root", str(base), "ingest"])
        from compassion_study.ingest import read_units

        units = read_units(base / "data/processed/units.csv")
        version, ids = write_codebook(base, units, args.codes)
        marks = coder_marks(len(units), len(ids), args.coders)
        write_coder_csvs(base / "data/raw/coding/round-1", units, version, ids, marks)
        coders = ",".join(f"coder{g + 1}" for g in range(args.coders))
        print(f"{args.units:,} units x {args.coders} coders x {args.codes} codes", flush=True)
        ok = median_run("import csv", [*cli, "--root", str(base), "import"], args.repeats, TARGET_IMPORT_S,
                        target_mb(args.units))
        if not args.skip_xlsx:
            book = Path(tmp) / "xlsx"
            shutil.copytree(base / "data/raw/notes", book / "data/raw/notes")
            shutil.copytree(base / "data/raw/codebook", book / "data/raw/codebook")
            shutil.copytree(base / "data/processed", book / "data/processed")
            (book / "data/processed/codings.csv").unlink()
            export = [*cli, "--root", str(book), "sheets", "--round", "round-1", "--coders", coders]
            if args.skip_export:
                run(export)
            else:
                ok &= median_run("export", export, args.repeats, TARGET_EXPORT_S, 4096)
            folder = book / "data/raw/coding/round-1"
            folder.mkdir(parents=True)
            for g, m in enumerate(marks):
                name = f"round-1_coder{g + 1}.xlsx"
                fill_xlsx(book / "exports/round-1" / name, folder / name, m)
            ok &= median_run("import xlsx", [*cli, "--root", str(book), "import"], args.repeats, TARGET_IMPORT_S,
                             target_mb(args.units))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
