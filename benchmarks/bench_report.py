"""Benchmark: ``make report`` (``compassion-study run --pdf``) on the bundled study, part by part.

Target (issue 17): a warm run (second and later runs, everything installed)
under 15 s on the project's 2-core machine, median of ``--repeats`` runs,
HTML, PDF and DOCX included.  The bundled study (this repository's
``study.yaml``, ``data/raw`` and ``notebooks``) is copied to a temporary
folder first, so the repository's own outputs are not touched.

Printed side by side, each with its time now and, where there is one, its
target:

- the command line's start-up (``compassion-study --help``; its imports are
  listed by ``python -X importtime -m compassion_study --help``);
- a cold run (first run in a new folder: every stage runs) and each stage's
  share of it, read from the progress lines;
- warm runs (agreement, analysis and figures are then skipped as up to date,
  see ``cli.cmd_run``) and each stage's share;
- the report's parts, measured in this process on the warm study: kernel
  start-up, notebook execution, nbconvert's HTML, the Word file, Chromium's
  PDF, and the figures stage drawing every chart (what a cold run pays);
- a table of 100,000 rows shown capped (``figures.table(limit=...)``): the
  report's time must not grow with the units beyond the rows it shows.

Exit status 1 when the warm median misses the target.  No timed tests: the
shared machine varies by a third from one run to the next.

    .venv/bin/python benchmarks/bench_report.py [--repeats 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_WARM_S = 15.0
TARGET_HELP_S = 0.5
#: What the bundled study is made of (everything else is written by the pipeline).
STUDY = ("study.yaml", "jupytext.toml", "data/raw", "notebooks")


def _cli() -> list[str]:
    return [sys.executable, "-m", "compassion_study"]


def _env() -> dict[str, str]:
    # the kernel and the command see the same sources as this script
    src = str(ROOT / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def copy_study(dest: Path) -> Path:
    for name in STUDY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / "data" / "processed").mkdir(parents=True, exist_ok=True)
    return dest


def timed_run(root: Path, *extra: str) -> tuple[float, dict[str, float]]:
    """Wall time of ``run --pdf`` and of each stage (from one progress line to the next)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*_cli(), "--root", str(root), "run", "--pdf", *extra], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=_env())
    marks: list[tuple[str, float]] = []
    for line in proc.stderr:  # type: ignore[union-attr]
        text = line.split(": ", 1)[-1]
        if text.startswith("[") and "] " in text:
            name = text.split("] ", 1)[1].split(":")[0].strip()
            marks.append((name, time.perf_counter() - t0))
    if proc.wait():
        raise SystemExit(f"run failed in {root}")
    total = time.perf_counter() - t0
    stages = {}
    for i, (name, start) in enumerate(marks):
        end = marks[i + 1][1] if i + 1 < len(marks) else total
        stages[name] = end - start
    stages["start-up (before the first stage)"] = marks[0][1] if marks else total
    return total, stages


def report_parts(root: Path) -> dict[str, float]:
    """The report stage's parts, run here one by one on an already built study."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.update(_env())
    out: dict[str, float] = {}
    t = time.perf_counter()
    from compassion_study import docx_report, figures, report, study
    from compassion_study.paths import Paths

    out["imports (report, nbformat, pandas)"] = time.perf_counter() - t
    paths = Paths.from_root(root)
    from jupyter_client.manager import KernelManager

    sockets = tempfile.mkdtemp(prefix="cs-bench-")
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
    t = time.perf_counter()
    km.start_kernel(cwd=str(paths.notebooks))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    out["kernel start-up (until it answers)"] = time.perf_counter() - t
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    shutil.rmtree(sockets, ignore_errors=True)
    t = time.perf_counter()
    nbs = report.execute_many(report.NOTEBOOKS, paths)
    out["executing the notebooks (one kernel, start-up included)"] = time.perf_counter() - t
    cells = [c for nb in nbs for c in report._output_cells(nb)]
    title = study.load(paths).title
    t = time.perf_counter()
    html = report.render(cells, title)
    out["nbconvert HTML (render)"] = time.perf_counter() - t
    t = time.perf_counter()
    docx_report.render(html, title, title)
    out["Word file (docx_report.render)"] = time.perf_counter() - t
    if report.find_chromium():
        t = time.perf_counter()
        report.write_pdf(paths.report_html, Path(tempfile.mkdtemp(prefix="cs-bench-")) / "report.pdf")
        out["Chromium PDF (write_pdf)"] = time.perf_counter() - t
    t = time.perf_counter()
    figures.write_all(paths)
    out["figures stage, every chart drawn (cold runs only)"] = time.perf_counter() - t
    return out


def capped_table(rows: int = 100_000) -> tuple[float, int]:
    import pandas as pd

    from compassion_study import figures

    data = pd.DataFrame({"code_id": ["c"] * rows, "text": [f"quote number {i}" for i in range(rows)]})
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        figures.table(data, "Every coded quote", limit=figures.ROWS_SHOWN,
                      full=Path(tmp) / "tables" / "quotes.csv")._repr_html_()
        return time.perf_counter() - t, figures.ROWS_SHOWN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary study (its path is printed)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cs-bench-report-"))
    try:
        root = copy_study(tmp / "study")
        helps = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            subprocess.run([*_cli(), "--help"], capture_output=True, check=True, env=_env())
            helps.append(time.perf_counter() - t)
        cold, cold_stages = timed_run(root)
        warm_runs = [timed_run(root) for _ in range(args.repeats)]
        warm = statistics.median(t for t, _ in warm_runs)
        parts = report_parts(root)
        table_s, shown = capped_table()
    finally:
        if args.keep:
            print(f"study kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    def row(label: str, now: float, target: float | None = None) -> None:
        print(f"  {label:<58} {now:7.2f} s" + (f"   target < {target:.1f} s" if target is not None else ""))

    print("command line")
    row("compassion-study --help (median)", statistics.median(helps), TARGET_HELP_S)
    print(f"cold run (every stage): {cold:.2f} s")
    for name, s in cold_stages.items():
        row(name, s)
    print(f"warm runs: {', '.join(f'{t:.2f}' for t, _ in warm_runs)} s")
    mid = sorted(warm_runs, key=lambda r: r[0])[len(warm_runs) // 2][1]
    for name, s in mid.items():
        row(name, s)
    row("warm run --pdf (median): make report", warm, TARGET_WARM_S)
    print("report parts (measured one by one)")
    for name, s in parts.items():
        row(name, s)
    row(f"a 100,000-row table shown capped at {shown} rows", table_s)
    ok = warm < TARGET_WARM_S
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
