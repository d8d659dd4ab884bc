"""Benchmark: the pipeline at scale, stage by stage.

100,000 synthetic comment units (one notes file: 2 prompts, 2,000 breakout
themes), 3 coders and 16 codes, returned as CSV tabs (the Google Sheets
route, so that building 100,000-row workbooks does not dominate the run).
Each stage runs as its own process through the real command line, and its
wall time and peak resident memory (from wait4) are reported:

    ingest -> import -> agreement (1,000 bootstrap resamples) -> auto-coding

Target (issue 7) on the project's 2-core machine: the whole run under
2 minutes and every stage under 2 GB.

    .venv/bin/python benchmarks/bench_scale.py [--units 100000] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import REPO, comments, vocabulary  # noqa: E402

TARGET_S, TARGET_MB = 120.0, 2048


def stage(name: str, cmd: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed:\n{err}")
    peak = usage.ru_maxrss / 1024
    print(f"{name:<12} {elapsed:7.1f} s   peak {peak:7.0f} MB", flush=True)
    return elapsed, peak


def write_notes(path: Path, n_units: int) -> None:
    texts = comments(n_units, 40, seed=3, vocab=vocabulary())
    per_theme = 50
    lines = ["Synthetic scale workshop", "What gets in the way?"]
    for i, text in enumerate(texts):
        if i == n_units // 2:
            lines.append("What helps?")
        if i % per_theme == 0:
            lines.append(f"· Theme {i // per_theme + 1}")
        lines.append(f"· {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_codebook(paths_root: Path, units: pd.DataFrame, n_codes: int) -> str:
    book = yaml.safe_load((REPO / "data/raw/codebook/compassionate-leadership-v1.yaml").read_text(encoding="utf-8"))
    book["codes"] = book["codes"][:n_codes]
    for code, unit in zip(book["codes"], units.itertuples()):
        code["example"] = {"unit_id": unit.unit_id, "quote": " ".join(unit.text.split()[:3])}
    (paths_root / "data/raw/codebook/bench.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    from compassion_study import codebook

    return codebook.load(paths_root / "data/raw/codebook/bench.yaml").full_version, [c["id"] for c in book["codes"]]


def write_coder_csvs(root: Path, units: pd.DataFrame, version: str, ids: list[str], n_coders: int, seed: int) -> None:
    from compassion_study import sheets

    rng = np.random.default_rng(seed)
    n = len(units)
    truth = np.zeros((n, len(ids)), dtype=np.int8)
    for _ in range(3):  # up to three codes per unit
        truth[np.arange(n), rng.integers(0, len(ids), n)] = 1
    folder = root / "data/raw/coding/round-1"
    folder.mkdir(parents=True)
    for g in range(n_coders):
        marks = truth.copy()
        flip = rng.random(marks.shape) < 0.01
        marks[flip] ^= 1
        none = marks.sum(1) == 0
        body = pd.DataFrame({"unit_id": units["unit_id"], "prompt": units["prompt"], "section": units["section"],
                             "theme": units["theme"], "comment": units["text"]})
        for j, cid in enumerate(ids):
            body[cid] = np.where(marks[:, j] == 1, "1", "")
        body[sheets.NO_CODE] = np.where(none, "1", "")
        body[sheets.MEMO] = ""
        meta = ["round", "round-1", "coder", f"coder{g + 1}", "codebook", version, "units", str(n), "status", "coding"]
        with open(folder / f"round-1_coder{g + 1} - Coding.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(meta + [""] * (body.shape[1] - len(meta))) + "\n")
            body.to_csv(fh, index=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=3)
    parser.add_argument("--codes", type=int, default=16)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "compassion_study"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        (root / "data/raw/notes").mkdir(parents=True)
        (root / "data/raw/codebook").mkdir(parents=True)
        write_notes(root / "data/raw/notes/scale.txt", args.units)
        times = {}
        times["ingest"] = stage("ingest", [*cli, "--root", str(root), "ingest"])
        from compassion_study.ingest import read_units

        units = read_units(root / "data/processed/units.csv")
        assert len(units) == args.units, len(units)
        version, ids = write_codebook(root, units, args.codes)
        write_coder_csvs(root, units, version, ids, args.coders, seed=5)
        times["import"] = stage("import", [*cli, "--root", str(root), "import"])
        times["agreement"] = stage("agreement", [*cli, "--root", str(root), "agreement", "--bootstrap", str(args.bootstrap)])
        code = ("from compassion_study import codebook, ingest, text; "
                f"u = ingest.read_units({str(root / 'data/processed/units.csv')!r}); "
                f"lex = text.lexicon(codebook.load({str(root / 'data/raw/codebook/bench.yaml')!r})); "
                "print(text.autocode(u['text'].tolist(), lex).sum())")
        times["auto-coding"] = stage("auto-coding", [sys.executable, "-c", code])
    total = sum(t for t, _ in times.values())
    peak = max(m for _, m in times.values())
    print(f"{'total':<12} {total:7.1f} s   peak {peak:7.0f} MB   ({args.units:,} units, {args.coders} coders, "
          f"{args.codes} codes; targets < {TARGET_S:.0f} s and < {TARGET_MB} MB)")
    ok = total < TARGET_S and peak < TARGET_MB
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
