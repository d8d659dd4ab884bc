"""Benchmark: every stage of the pipeline at 10k, 30k, 100k and 300k units, and how each one scales.

Synthetic (ILLUSTRATIVE) studies: N comments of about 40 words in notes files
of up to 100,000 (2 prompts, breakout themes of 50 comments), 3 coders and 16 codes,
their coding returned as CSV tabs (the Google Sheets route, so that filling
workbooks does not dominate the run; ``bench_sheets.py`` measures
workbooks).  Each stage runs as its own process through the real command
line, and its wall time and peak resident memory (from ``wait4``) are
recorded:

    ingest -> import -> agreement (1,000 bootstrap resamples) -> auto-coding

and with ``--export`` also the coding workbooks of the 3 coders
(``sheets``), which the pipeline total leaves out.  With ``--repeats R`` each
stage runs R times per size and the median is reported.  Then, per stage,
the exponent ``b`` of ``time ~ units**b`` and ``memory ~ units**b``
(least squares on the logs over the sizes run): 1 is linear; memory
exponents start below 1 because a Python process with pandas holds about
100 MB before it reads anything.

Targets (issue 17) on the project's 2-core machine, at 100,000 units: the
pipeline (ingest + import + agreement + auto-coding) under 20 s, agreement
under 8 s and 1 GB, import under 5 s, the workbooks under 10 s; at every
size up to 300,000 units every stage under 4 GB.

    .venv/bin/python benchmarks/bench_scale.py                       # 10k, 30k, 100k, 300k
    .venv/bin/python benchmarks/bench_scale.py --sizes 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import coder_marks, write_codebook, write_coder_csvs, write_notes  # noqa: E402
from _synthetic import measure as stage  # noqa: E402

STAGES = ("ingest", "import", "agreement", "auto-coding")
PIPELINE_S = 20.0  # at 100,000 units
TARGETS_100K = {"agreement": (8.0, 1024), "import": (5.0, None), "export": (10.0, None)}
MAX_MB = 4096  # every stage, every size up to 300,000 units


def build(root: Path, n_units: int, n_codes: int, n_coders: int) -> list[str]:
    """A study folder with notes, codebook and returned CSVs; ingest runs once here (untimed) to get the units."""
    from compassion_study.ingest import read_units

    (root / "data/raw/notes").mkdir(parents=True)
    (root / "data/raw/codebook").mkdir(parents=True)
    (root / "study.yaml").write_text("title: Synthetic scale study (ILLUSTRATIVE)\n", encoding="utf-8")
    write_notes(root / "data/raw/notes", n_units)
    stage([*cli(root), "ingest"])
    units = read_units(root / "data/processed/units.csv")
    assert len(units) == n_units, len(units)
    version, ids = write_codebook(root, units, n_codes)
    write_coder_csvs(root / "data/raw/coding/round-1", units, version, ids, coder_marks(n_units, n_codes, n_coders))
    return [f"coder{g + 1}" for g in range(n_coders)]


def cli(root: Path) -> list[str]:
    return [sys.executable, "-m", "compassion_study", "--root", str(root)]


def commands(root: Path, coders: list[str], bootstrap: int, export: bool) -> dict[str, list[str]]:
    autocode = ("from compassion_study import codebook, ingest, text; "
                f"u = ingest.read_units({str(root / 'data/processed/units.csv')!r}); "
                f"lex = text.lexicon(codebook.load({str(root / 'data/raw/codebook/bench.yaml')!r})); "
                "print(text.autocode(u['text'].tolist(), lex).sum())")
    out = {"ingest": [*cli(root), "ingest"],
           "import": [*cli(root), "import"],
           "agreement": [*cli(root), "agreement", "--bootstrap", str(bootstrap)],
           "auto-coding": [sys.executable, "-c", autocode]}
    if export:
        out["export"] = [*cli(root), "sheets", "--round", "round-9", "--coders", ",".join(coders),
                         "--illustrative", "--out", str(root / "exports")]
    return out


def exponent(sizes: list[int], values: list[float]) -> float:
    """Slope of log(value) on log(size): the b in value ~ size**b."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000,300000", help="comma-separated unit counts")
    parser.add_argument("--repeats", type=int, default=1, help="runs per stage and size; the median is reported")
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--codes", type=int, default=16)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--export", action="store_true", help="also time the coders' workbooks (sheets)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[str, dict[int, tuple[float, float]]] = {}
    ok = True
    print(f"{args.coders} coders, {args.codes} codes, {args.bootstrap} resamples; median of {args.repeats} run(s)")
    print(f"{'units':>8} {'stage':<12} {'time s':>8} {'peak MB':>8}   target")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "study"
            coders = build(root, n, args.codes, args.coders)
            cmds = commands(root, coders, args.bootstrap, args.export)
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
            for _ in range(args.repeats):
                for name, cmd in cmds.items():
                    runs[name].append(stage(cmd))
        total = 0.0
        for name, measured in runs.items():
            seconds = statistics.median(t for t, _ in measured)
            mb = statistics.median(m for _, m in measured)
            results.setdefault(name, {})[n] = (seconds, mb)
            total += seconds if name in STAGES else 0.0
            target_s, target_mb = TARGETS_100K.get(name, (None, None)) if n == 100_000 else (None, None)
            target_mb = min(target_mb or MAX_MB, MAX_MB)
            hit = (target_s is None or seconds < target_s) and mb < target_mb
            ok &= hit
            wanted = ", ".join(filter(None, [f"< {target_s:.0f} s" if target_s else "", f"< {target_mb} MB"]))
            print(f"{n:>8,} {name:<12} {seconds:8.2f} {mb:8.0f}   {wanted} {'ok' if hit else 'MISS'}", flush=True)
        line = f"{n:>8,} {'pipeline':<12} {total:8.2f}"
        if n == 100_000:
            ok &= total < PIPELINE_S
            line += f" {'':8}   < {PIPELINE_S:.0f} s {'ok' if total < PIPELINE_S else 'MISS'}"
        print(line, flush=True)
    if len(sizes) > 1:
        print(f"\nscaling over {', '.join(f'{n:,}' for n in sizes)} units (b in cost ~ units**b)")
        print(f"{'stage':<12} {'time b':>7} {'memory b':>9}")
        for name, by_size in results.items():
            ns = sorted(by_size)
            print(f"{name:<12} {exponent(ns, [by_size[n][0] for n in ns]):7.2f} "
                  f"{exponent(ns, [by_size[n][1] for n in ns]):9.2f}")
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
