"""Synthetic study data for the benchmarks (not used by the package or tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from compassion_study import files
from compassion_study.paths import Paths

REPO = Path(__file__).resolve().parents[1]
WORDS = ("staff team time leaders support pace work connection care listen change meeting feel valued "
         "pressure space reflect home remote trust decision new ways together kindness anxiety fear "
         "patients service board culture learning voice safety welcome colleagues rota week").split()


def vocabulary() -> list[str]:
    """Every distinct word of the bundled notes (about 600), for realistic synthetic comments."""
    import re

    text = " ".join((REPO / "data" / "raw" / "notes").glob("*.txt").__next__().read_text(encoding="utf-8").split())
    return sorted(set(re.findall(r"[A-Za-z][A-Za-z'’-]*", text)) | set(WORDS))


def comments(n: int, words: int = 40, seed: int = 0, vocab: list[str] | None = None) -> list[str]:
    """``n`` comments of about ``words`` words drawn (Zipf-like) from a vocabulary, with punctuation."""
    rng = np.random.default_rng(seed)
    vocab = np.array(vocab or WORDS)
    lengths = rng.integers(words - 10, words + 11, size=n)
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    idx = rng.choice(len(vocab), size=int(lengths.sum()), p=weights / weights.sum())
    out, start = [], 0
    for k in lengths:
        words_ = vocab[idx[start:start + k]]
        out.append(", ".join([" ".join(words_[: k // 2]), " ".join(words_[k // 2:])]).capitalize() + ".")
        start += k
    return out


def project(root: Path, n_units: int, n_codes: int = 16, seed: int = 0) -> Paths:
    """A project folder with ``n_units`` synthetic units and an ``n_codes``-code codebook."""
    if root.exists():
        shutil.rmtree(root)
    paths = Paths.from_root(root)
    paths.codebooks.mkdir(parents=True)
    book = yaml.safe_load((REPO / "data/raw/codebook/compassionate-leadership-v1.yaml").read_text(encoding="utf-8"))
    book["codes"] = book["codes"][:n_codes]
    texts = comments(n_units, seed=seed)
    for i, code in enumerate(book["codes"]):
        texts[i] = f"{code['example']['quote']} {texts[i]}"
    (paths.codebooks / "bench.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    units = pd.DataFrame({
        "unit_id": [f"u{i:010x}" for i in range(n_units)],
        "source": "synthetic.txt",
        "prompt": np.where(np.arange(n_units) % 2 == 0, "What stops us?", "What helps?"),
        "section": "", "theme": "", "position": np.arange(1, n_units + 1), "text": texts, "session": "synthetic",
    })
    for i, code in enumerate(book["codes"]):
        code["example"]["unit_id"] = units.loc[i, "unit_id"]
    (paths.codebooks / "bench.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    files.write_csv(units, paths.units)
    return paths


# --------------------------------------------------------------------------- a study at scale, through the CLI

#: Comments per notes file: ingest refuses a notes file over 50 MB (300,000 comments in one would be).
PER_FILE = 100_000


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command (with the workers it waited for); it must succeed."""
    import os
    import subprocess
    import time

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def write_notes(folder: Path, n_units: int) -> None:
    """``n_units`` comments of about 40 words in notes files of at most :data:`PER_FILE` (ILLUSTRATIVE).

    Each file: a title, two prompts, breakout themes of 50 comments as bullets.
    """
    texts = comments(n_units, 40, seed=3, vocab=vocabulary())
    for part, start in enumerate(range(0, n_units, PER_FILE)):
        chunk = texts[start:start + PER_FILE]
        lines = [f"Synthetic scale workshop, session {part + 1} (ILLUSTRATIVE)", "What gets in the way?"]
        for i, text in enumerate(chunk):
            if i == len(chunk) // 2:
                lines.append("What helps?")
            if i % 50 == 0:
                lines.append(f"· Theme {i // 50 + 1}")
            lines.append(f"· {text}")
        (folder / f"scale-{part + 1:02d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_codebook(root: Path, units: pd.DataFrame, n_codes: int) -> tuple[str, list[str]]:
    """The bundled codebook cut to ``n_codes`` codes, its examples quoting the study's units."""
    from compassion_study import codebook

    book = yaml.safe_load((REPO / "data/raw/codebook/compassionate-leadership-v1.yaml").read_text(encoding="utf-8"))
    book["codes"] = book["codes"][:n_codes]
    for code, unit in zip(book["codes"], units.itertuples()):
        code["example"] = {"unit_id": unit.unit_id, "quote": " ".join(unit.text.split()[:3])}
    path = root / "data/raw/codebook/bench.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return codebook.load(path).full_version, [c["id"] for c in book["codes"]]


def coder_marks(n_units: int, n_codes: int, n_coders: int, seed: int = 5) -> list[np.ndarray]:
    """Each coder's 0/1 marks: up to three codes per unit, 1% of cells flipped per coder."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((n_units, n_codes), dtype=np.int8)
    for _ in range(3):
        truth[np.arange(n_units), rng.integers(0, n_codes, n_units)] = 1
    out = []
    for _ in range(n_coders):
        marks = truth.copy()
        marks[rng.random(marks.shape) < 0.01] ^= 1
        out.append(marks)
    return out


def write_coder_csvs(folder: Path, units: pd.DataFrame, version: str, ids: list[str], marks: list[np.ndarray]) -> None:
    """Each coder's Coding tab returned as CSV (the Google Sheets route), with a memo on every 97th unit."""
    from compassion_study import sheets

    folder.mkdir(parents=True)
    for g, m in enumerate(marks):
        body = pd.DataFrame({"unit_id": units["unit_id"], "prompt": units["prompt"], "section": units["section"],
                             "theme": units["theme"], "comment": units["text"]})
        for j, cid in enumerate(ids):
            body[cid] = np.where(m[:, j] == 1, "1", "")
        body[sheets.NO_CODE] = np.where(m.sum(1) == 0, "1", "")
        body[sheets.MEMO] = np.where(np.arange(len(units)) % 97 == g, "=unsure, see codebook", "")
        meta = ["round", "round-1", "coder", f"coder{g + 1}", "codebook", version, "units", str(len(units)),
                "status", "ILLUSTRATIVE"]
        with open(folder / f"round-1_coder{g + 1} - Coding.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(meta + [""] * (body.shape[1] - len(meta))) + "\n")
            body.to_csv(fh, index=False)
