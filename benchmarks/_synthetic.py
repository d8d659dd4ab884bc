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
