"""Benchmark: ingest 100 notes files of ~500 lines and a 100,000-row comment table.

Target (issue 12): under 5 s in total on the project's 2-core machine, and
memory linear in the input (the second half of the input adds about as much
peak memory as the first half).

    .venv/bin/python benchmarks/bench_ingest.py            # half and full size, each in a fresh process
    .venv/bin/python benchmarks/bench_ingest.py --scale 1  # one size only

The notes are synthetic (ILLUSTRATIVE): prompts, sections, theme bullets,
comments, hard-wrapped continuation lines and a questions block; the table
is a Microsoft Forms layout (ID, times, e-mail, name, two questions).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 5.0
FILES, LINES, ROWS = 100, 500, 100_000
WORDS = ("time space team rota shift break listen trust support leader staff care kind safe voice "
         "pressure pace decision workload recognition reflection supervision").split()


def _sentence(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n)).capitalize() + f" {i}."


def write_notes(folder: Path, files: int, lines: int) -> None:
    for f in range(files):
        out = [f"Workshop {f} – breakout notes (ILLUSTRATIVE)", ""]
        i = 0
        while len(out) < lines - 6:
            out += [f"What stops us leading compassionately in part {i}?", "Key Themes – barriers"]
            for t in range(6):
                out.append(f"· Theme {t}")
                for c in range(5):
                    out.append(f"· {_sentence(f * 10_000 + i * 100 + t * 10 + c, 12)}")
                    if c == 2:
                        out.append(f"  {_sentence(c, 6)}")  # a hard-wrapped continuation
            out.append("")
            i += 1
        out += ["Questions from the group discussions", "· How will this be sustained?", ""]
        (folder / f"notes_{f:03d}.txt").write_text("\n".join(out) + "\n", encoding="utf-8")


def write_table(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Start time", "Completion time", "Email", "Name",
                    "What gets in the way of compassionate leadership?", "What would help?"])
        for r in range(rows):
            w.writerow([r + 1, "3/5/24 10:01", "3/5/24 10:04", f"person{r}@example.nhs.uk", f"Person {r}",
                        _sentence(r, 14), _sentence(r + 1, 9) if r % 3 else ""])


def run(scale: float) -> dict:
    from compassion_study import comment_tables, ingest
    from compassion_study.paths import Paths

    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes"
        notes.mkdir()
        write_notes(notes, max(1, int(FILES * scale)), LINES)
        write_table(notes / "forms.csv", int(ROWS * scale))
        size = sum(p.stat().st_size for p in notes.iterdir())
        t0 = time.perf_counter()
        # the whole stage: read, recover the structure, write units.csv and ingest_log.csv
        units = ingest.ingest([notes], out=Path(tmp) / "units.csv", paths=Paths.from_root(Path(tmp) / "study"),
                              mapping=comment_tables.Mapping())
        seconds = time.perf_counter() - t0
        log = units.attrs["log"]
    return {"scale": scale, "mb": size / 1e6, "units": len(units), "log": len(log), "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, help="one size only (1 = 100 files and 100,000 rows)")
    args = parser.parse_args()
    if args.scale is not None:
        print(json.dumps(run(args.scale)))
        return 0
    results = []
    for scale in (0.01, 0.5, 1.0):  # the smallest gives the interpreter's own memory
        done = subprocess.run([sys.executable, __file__, "--scale", str(scale)], capture_output=True, text=True,
                              check=True)
        results.append(json.loads(done.stdout))
    for r in results:
        print(f"scale {r['scale']}: {r['mb']:.1f} MB of input -> {r['units']:,} units, {r['log']:,} log rows in "
              f"{r['seconds']:.2f} s; peak {r['peak_mb']:.0f} MB")
    base, half, full = results
    growth = (full["peak_mb"] - half["peak_mb"]) / max(half["peak_mb"] - base["peak_mb"], 1)
    ok = full["seconds"] < TARGET_S
    print(f"time: {full['seconds']:.2f} s (target < {TARGET_S:.0f} s); memory added by the second half of the input "
          f"/ by the first half: {growth:.2f} (linear: about 1)")
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
