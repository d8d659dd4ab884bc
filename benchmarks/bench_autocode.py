"""Benchmark: the lexicon auto-coder on 100,000 synthetic comments of about 40 words.

Targets (issue 5) on the project's 2-core machine: under 10 s and under 1 GB
peak memory, and at least 5x faster than a naive baseline measured in the
same run (per comment: nltk.word_tokenize + SnowballStemmer on every token +
phrase search). The baseline's ``word_tokenize`` runs with
``preserve_line=True`` because its sentence splitter needs the punkt data
package, which cannot be downloaded here; it is timed on --baseline comments
and scaled linearly (it is linear by construction).

The auto-coder runs in a fresh process so that its peak resident memory
(ru_maxrss) is its own.

    .venv/bin/python benchmarks/bench_autocode.py [--n 100000] [--baseline 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import REPO, comments, vocabulary  # noqa: E402

from compassion_study import codebook, text  # noqa: E402

TARGET_S, TARGET_MB, TARGET_RATIO = 10.0, 1024, 5.0


def _lexicon():
    return text.lexicon(codebook.load(REPO / "data" / "raw" / "codebook" / "compassionate-leadership-v1.yaml"))


def _child(n: int, queue) -> None:
    texts = comments(n, 40, seed=1, vocab=vocabulary())
    lex = _lexicon()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    hits = text.autocode(texts, lex)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    queue.put((elapsed, peak / 1024, base / 1024, hits.sum(0).tolist()))


def naive(texts: list[str], lex) -> np.ndarray:
    """The baseline: tokenise and stem every comment separately, then look for each phrase."""
    from nltk import word_tokenize
    from nltk.stem.snowball import SnowballStemmer

    stemmer = SnowballStemmer("english")
    out = np.zeros((len(texts), len(lex.codes)), dtype=bool)
    for i, t in enumerate(texts):
        stems = [stemmer.stem(w) for tok in word_tokenize(t.lower(), preserve_line=True) for w in text.WORD.findall(tok)]
        for code, phrase in lex.phrases:
            k = len(phrase)
            if any(tuple(stems[j:j + k]) == phrase for j in range(len(stems) - k + 1)):
                out[i, code] = True
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(args.n, queue))
    proc.start()
    elapsed, peak_mb, base_mb, counts = queue.get()
    proc.join()

    sample = comments(args.baseline, 40, seed=1, vocab=vocabulary())
    lex = _lexicon()
    t0 = time.perf_counter()
    slow = naive(sample, lex)
    t_naive = (time.perf_counter() - t0) * args.n / args.baseline
    fast = text.autocode(sample, lex)
    same = bool((slow == fast).all())
    ratio = t_naive / elapsed
    print(f"auto-coder: {args.n:,} comments x {len(lex.codes)} codes ({len(lex.phrases)} keyword phrases) in "
          f"{elapsed:.2f} s (target < {TARGET_S:.0f} s); peak RSS {peak_mb:.0f} MB (process before coding "
          f"{base_mb:.0f} MB; target < {TARGET_MB} MB)")
    print(f"naive baseline: {t_naive:.1f} s for {args.n:,} (timed on {args.baseline:,}) -> {ratio:.1f}x faster "
          f"(target >= {TARGET_RATIO:.0f}x); same suggestions on the timed sample: {same}")
    print(f"suggestions per code: {counts}")
    ok = elapsed < TARGET_S and peak_mb < TARGET_MB and ratio >= TARGET_RATIO and same
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
