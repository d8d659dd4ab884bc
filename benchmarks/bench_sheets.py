"""Benchmark: export and import of 5,000 units x 4 coders x 16 codes.

Targets (issue 13): export under 3 s and import under 2 s on the project's
2-core machine (issue 3 asked for an import under 10 s).  Each is run
``--repeats`` times and the median is held to the target: the shared 2-core
machine varies by a third from one run to the next.  Both use the second
core (see ``compassion_study.workbooks.in_parallel``).  Exports are
byte-identical for identical inputs, in one process or two (tested in
tests/test_coding_workbooks.py).

    .venv/bin/python benchmarks/bench_sheets.py [--units 5000] [--coders 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import project  # noqa: E402

from compassion_study import sheets  # noqa: E402

TARGET_EXPORT_S = 3.0
TARGET_IMPORT_S = 2.0


def fill(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    wb = load_workbook(path)
    ws = wb["Coding"]
    n_codes = ws.max_column - len(sheets.FIXED) - 3  # no code applies, memo, check
    for row in ws.iter_rows(min_row=sheets.HEADER_ROW + 1):
        for c in rng.choice(n_codes, size=rng.integers(1, 4), replace=False):
            row[len(sheets.FIXED) + c].value = 1
    wb.save(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--coders", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    exports, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        paths = project(Path(tmp) / "p", args.units)
        coders = [f"coder{i}" for i in range(1, args.coders + 1)]
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            written = sheets.export(paths, "round-1", coders, out=Path(tmp) / "out")
            exports.append(time.perf_counter() - t0)
        for i, p in enumerate(written[:-1]):
            fill(p, i)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            codings = sheets.import_codings(written[:-1], round_="round-1", paths=paths)
            imports.append(time.perf_counter() - t0)
    t_export, t_import = statistics.median(exports), statistics.median(imports)
    print(f"export: {args.units} units x {args.coders} coders x 16 codes in {t_export:.2f} s median "
          f"({', '.join(f'{t:.2f}' for t in exports)}; target < {TARGET_EXPORT_S:.0f} s)")
    print(f"import: {len(codings):,} coding rows in {t_import:.2f} s median "
          f"({', '.join(f'{t:.2f}' for t in imports)}; target < {TARGET_IMPORT_S:.0f} s)")
    ok = t_import < TARGET_IMPORT_S and t_export < TARGET_EXPORT_S
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
