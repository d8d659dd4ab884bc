"""Text analysis with NLTK's data-free parts, and the lexicon auto-coder.

Nothing here needs an NLTK data download (none is possible on many NHS
machines): tokens come from ``NLTKWordTokenizer`` (Treebank-style rules, no
punkt model), stems from the Snowball stemmer, counts from ``FreqDist``,
bigram collocations from ``BigramCollocationFinder``; the stop-word list is
shipped in this package (``data/stopwords_en.txt``).

Keyness is Dunning's (1993) log-likelihood G² with Hardie's (2014) log ratio
as the effect size.  The lexicon auto-coder matches the codebook's keywords
(single words and phrases, stemmed) against each unit; it suggests codes and
is evaluated against the consensus, never written into coders' workbooks.

References
----------
Dunning, T. (1993). Accurate methods for the statistics of surprise and
coincidence. *Computational Linguistics*, 19(1), 61-74.
Rayson, P., & Garside, R. (2000). Comparing corpora using frequency
profiling. *Proceedings of the Workshop on Comparing Corpora*, 1-6.
Hardie, A. (2014). Log ratio: an informal introduction. ESRC Centre for
Corpus Approaches to Social Science (CASS), Lancaster University.
Manning, C. D., & Schütze, H. (1999). *Foundations of Statistical Natural
Language Processing*, ch. 5 (collocations). MIT Press.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

#: Words (and phrase parts) for the auto-coder: runs of letters or digits,
#: so "self-care", "self care" and "Self-Care" all give ``self care``.
WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The English stop-word list shipped with the package."""
    text = (resources.files("compassion_study") / "data" / "stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def _import_nltk() -> None:
    """Import nltk without the second it spends importing scipy.stats.

    nltk's package import loads its collocation measures, which import
    ``scipy.stats`` for one of them (Fisher's exact test) and fall back to a
    stub when it is missing.  That import is most of an auto-coding run on
    100,000 units.  Where scipy.stats is not loaded yet, it is held back
    while nltk loads, and the measure is then pointed at a function that
    imports it on first use: nltk behaves exactly as before.  (Another
    thread importing scipy.stats during that instant would be refused; the
    package imports nltk on first use, from the thread that uses it.)
    """
    import sys

    if "nltk" in sys.modules or "scipy.stats" in sys.modules:
        import nltk  # noqa: F401
        return
    sys.modules["scipy.stats"] = None  # "import scipy.stats" raises ImportError meanwhile
    try:
        import nltk  # noqa: F401
    finally:
        if sys.modules.get("scipy.stats", 0) is None:
            del sys.modules["scipy.stats"]
        # even after an interrupted import, the measure that loaded without scipy imports it when used
        association = sys.modules.get("nltk.metrics.association")
        if association is not None:
            association.fisher_exact = _fisher_exact


def _fisher_exact(*args, **kwargs):
    """scipy.stats.fisher_exact, imported on first use (see :func:`_import_nltk`)."""
    from scipy.stats import fisher_exact

    return fisher_exact(*args, **kwargs)


@lru_cache(maxsize=1)
def _tokenizer():
    _import_nltk()
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


@lru_cache(maxsize=1)
def _stemmer():
    _import_nltk()
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


def stem(word: str) -> str:
    """Snowball (Porter 2) stem of a lower-case word."""
    return _stemmer().stem(word)


def tokens(text: str, drop_stopwords: bool = True) -> list[str]:
    """Lower-case word tokens of ``text`` (NLTKWordTokenizer), punctuation removed."""
    stop = stopwords() if drop_stopwords else frozenset()
    out = []
    for tok in _tokenizer().tokenize(text.lower()):
        # the Treebank tokenizer leaves a full stop on a word inside a text ("communities. Staff"), and
        # notes often lack the space after one: no word keeps punctuation at either end
        tok = tok.strip("'’‘`\"-–—.,;:!?…()[]“”")
        if tok and any(ch.isalpha() for ch in tok) and tok not in stop:
            out.append(tok)
    return out


def word_frequencies(units: pd.DataFrame, by: str = "part", top: int = 12) -> pd.DataFrame:
    """Most frequent content words per group (``FreqDist``), with rate per 1,000 words.

    Returns
    -------
    pandas.DataFrame
        ``group, rank, word, count, per_1000``.
    """
    _import_nltk()
    from nltk.probability import FreqDist

    from .ingest import part

    groups = part(units) if by == "part" else units[by]
    rows = []
    for name in dict.fromkeys(groups):
        fd = FreqDist(t for text in units.loc[groups == name, "text"] for t in tokens(text))
        total = fd.N()
        ranked = sorted(fd.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        for rank, (word, count) in enumerate(ranked, start=1):
            rows.append((name, rank, word, count, 1000 * count / total if total else math.nan))
    return pd.DataFrame(rows, columns=["group", "rank", "word", "count", "per_1000"])


def log_likelihood(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """Dunning's G² for words with frequency ``a`` in a corpus of ``c`` words and ``b`` in one of ``d``.

    ``E1 = c (a + b) / (c + d)``, ``E2 = d (a + b) / (c + d)``,
    ``G² = 2 (a ln(a / E1) + b ln(b / E2))`` with ``0 ln 0 = 0``
    (Rayson & Garside 2000).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    return 2 * (t1 + t2)


def log_ratio(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """Hardie's (2014) log ratio ``log2((a / c) / (b / d))``, zero frequencies set to 0.5."""
    a = np.where(np.asarray(a, float) == 0, 0.5, a)
    b = np.where(np.asarray(b, float) == 0, 0.5, b)
    return np.log2((a / c) / (b / d))


def keyness(target: Sequence[str], reference: Sequence[str], min_freq: int = 2) -> pd.DataFrame:
    """Words over- and under-used in ``target`` texts relative to ``reference`` texts.

    Returns
    -------
    pandas.DataFrame
        ``word, target, reference, ll, log_ratio, p, direction``, sorted by
        ``ll``; words with combined frequency below ``min_freq`` are dropped.
        ``p`` is from the chi-squared distribution with one degree of freedom.
    """
    _import_nltk()
    from nltk.probability import FreqDist

    fa = FreqDist(t for text in target for t in tokens(text))
    fb = FreqDist(t for text in reference for t in tokens(text))
    words = sorted(w for w in set(fa) | set(fb) if fa[w] + fb[w] >= min_freq)
    a = np.array([fa[w] for w in words], float)
    b = np.array([fb[w] for w in words], float)
    c, d = float(fa.N()), float(fb.N())
    if not words or c == 0 or d == 0:
        return pd.DataFrame(columns=["word", "target", "reference", "ll", "log_ratio", "p", "direction"])
    ll = log_likelihood(a, b, c, d)
    out = pd.DataFrame({"word": words, "target": a.astype(int), "reference": b.astype(int), "ll": ll,
                        "log_ratio": log_ratio(a, b, c, d)})
    out["p"] = [math.erfc(math.sqrt(x / 2)) for x in ll]  # chi-squared, 1 df
    out["direction"] = np.where(a / c >= b / d, "target", "reference")
    return out.sort_values(["ll", "word"], ascending=[False, True], kind="stable").reset_index(drop=True)


def collocations(texts: Sequence[str], measure: str = "likelihood_ratio", min_freq: int = 2, top: int = 15) -> pd.DataFrame:
    """Bigram collocations within units (never across), stop words excluded.

    Parameters
    ----------
    measure : {'likelihood_ratio', 'pmi'}
        NLTK's ``BigramAssocMeasures`` score (Manning & Schütze 1999).
    min_freq : int
        Minimum bigram frequency (PMI overrates rare pairs).
    """
    _import_nltk()
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    if measure not in ("likelihood_ratio", "pmi"):
        raise ValueError("measure must be 'likelihood_ratio' or 'pmi'")
    finder = BigramCollocationFinder.from_documents([tokens(t, drop_stopwords=False) for t in texts])
    stop = stopwords()
    finder.apply_word_filter(lambda w: w in stop)
    finder.apply_freq_filter(min_freq)
    scored = finder.score_ngrams(getattr(BigramAssocMeasures, measure))
    rows = [(w1, w2, score, finder.ngram_fd[(w1, w2)]) for (w1, w2), score in scored]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    return pd.DataFrame(rows[:top], columns=["word_1", "word_2", "score", "count"])


def top_terms(units: pd.DataFrame, n: int = 2) -> list[str]:
    """The ``n`` most frequent content words across all units (ties broken alphabetically)."""
    freq = word_frequencies(units.assign(section="", prompt="all"), top=n)
    return freq["word"].head(n).tolist()


def kwic_terms(units: pd.DataFrame, terms: list[str] | None = None, n: int = 2) -> pd.DataFrame:
    """:func:`kwic` for several terms in one table (``term`` first); default: the ``n`` most frequent words."""
    terms = list(terms) if terms else top_terms(units, n)
    frames = [kwic(units, t).assign(term=t) for t in terms]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["unit_id", "left", "match", "right", "term"])
    return out[["term", *[c for c in out.columns if c != "term"]]]


def kwic(units: pd.DataFrame, term: str, width: int = 45) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``term`` (matched by stem), with the original wording around it.

    Returns
    -------
    pandas.DataFrame
        ``unit_id, left, match, right``.
    """
    target = [stem(w) for w in WORD.findall(term.lower())]
    if not target:
        raise ValueError(f"term {term!r} has no words")
    rows = []
    for uid, text in units[["unit_id", "text"]].itertuples(index=False):
        spans = [(s, e) for s, e in _tokenizer().span_tokenize(text) if any(ch.isalnum() for ch in text[s:e])]
        words = [stem(text[s:e].lower().strip("'’")) for s, e in spans]
        for i in range(len(words) - len(target) + 1):
            if words[i:i + len(target)] == target:
                start, end = spans[i][0], spans[i + len(target) - 1][1]
                left = text[max(0, start - width):start]
                right = text[end:end + width]
                rows.append((uid, ("…" if start > width else "") + left, text[start:end],
                             right + ("…" if end + width < len(text) else "")))
    return pd.DataFrame(rows, columns=["unit_id", "left", "match", "right"])


# =========================================================================== lexicon auto-coder


@dataclass(frozen=True)
class Lexicon:
    """Stemmed keyword phrases per code (from the codebook's ``keywords``)."""

    codes: tuple[str, ...]
    phrases: tuple[tuple[int, tuple[str, ...]], ...]  # (code index, stems)


def lexicon(book) -> Lexicon:
    """Build the auto-coder's lexicon from a :class:`~compassion_study.codebook.Codebook`.

    A one-word keyword that is a stop word (e.g. "IT", which is also the
    pronoun "it") is skipped: it would match almost every comment.
    Phrases keep their stop words ("not ok").
    """
    phrases = []
    stop = stopwords()
    for i, code in enumerate(book.codes):
        for kw in code["keywords"]:
            words = WORD.findall(str(kw).lower())
            if len(words) == 1 and words[0] in stop:
                continue
            stems = tuple(stem(w) for w in words)
            if stems:
                phrases.append((i, stems))
    return Lexicon(tuple(book.ids), tuple(dict.fromkeys(phrases)))


def autocode(texts: Sequence[str], lex: Lexicon) -> np.ndarray:
    """Codes suggested for each text: ``True`` where any of the code's keyword phrases occurs.

    Vectorised for large corpora: every distinct word is stemmed once, texts
    become one array of stem ids, and each phrase is matched with array
    comparisons (a phrase never spans two texts).

    Returns
    -------
    numpy.ndarray of bool, shape (len(texts), len(lex.codes))
    """
    n = len(texts)
    out = np.zeros((n, len(lex.codes)), dtype=bool)
    per_text = [WORD.findall(t.lower()) for t in texts]
    lengths = np.fromiter((len(w) for w in per_text), dtype=np.int64, count=n)
    flat = [w for ws in per_text for w in ws]
    if not flat:
        return out
    word_codes, vocab = pd.factorize(pd.Series(flat, dtype=object), sort=False)
    stems_of_vocab = [stem(w) for w in vocab]
    stem_index: dict[str, int] = {}
    vocab_stem = np.array([stem_index.setdefault(s, len(stem_index)) for s in stems_of_vocab], dtype=np.int64)
    T = vocab_stem[word_codes]
    doc = np.repeat(np.arange(n), lengths)
    for code, stems in lex.phrases:
        ids = [stem_index.get(s, -1) for s in stems]
        if min(ids) < 0:
            continue
        k = len(ids)
        if k == 1:
            hit = T == ids[0]
            out[np.unique(doc[hit]), code] = True
            continue
        if len(T) < k:
            continue
        starts = np.flatnonzero(T[: len(T) - k + 1] == ids[0])
        ok = np.ones(len(starts), dtype=bool)
        for j in range(1, k):
            ok &= T[starts + j] == ids[j]
        ok &= doc[starts] == doc[starts + k - 1]
        out[np.unique(doc[starts[ok]]), code] = True
    return out


def evaluate_autocoder(units: pd.DataFrame, consensus: pd.DataFrame, lex: Lexicon) -> pd.DataFrame:
    """Auto-coder against the consensus, per code: precision, recall, F1 and Cohen's kappa.

    The auto-coder is treated as one more coder: kappa is Cohen's (1960)
    between the consensus and the suggestions over the units in the consensus.

    Returns
    -------
    pandas.DataFrame
        ``code_id, support, suggested, true_positive, precision, recall, f1, kappa``.
    """
    from . import agreement

    ids = list(dict.fromkeys(consensus["unit_id"]))
    text = units.set_index("unit_id").loc[ids, "text"].tolist()
    suggested = autocode(text, lex)
    truth = consensus.pivot_table(index="unit_id", columns="code_id", values="applied", aggfunc="max")
    truth = truth.reindex(index=ids, columns=list(lex.codes)).fillna(0).to_numpy(dtype=int)
    rows = []
    for j, code in enumerate(lex.codes):
        t, s = truth[:, j], suggested[:, j].astype(int)
        tp = int((t & s).sum())
        precision = tp / s.sum() if s.sum() else math.nan
        recall = tp / t.sum() if t.sum() else math.nan
        f1 = 2 * precision * recall / (precision + recall) if precision and recall and precision + recall else (
            0.0 if (s.sum() and t.sum()) else math.nan)
        r = agreement.Ratings(np.column_stack([t, s]), [0, 1])
        kappa = float(agreement.compute([r])[0].set_index("coefficient").loc["cohen_kappa", "estimate"])
        rows.append((code, int(t.sum()), int(s.sum()), tp, precision, recall, f1, kappa))
    return pd.DataFrame(rows, columns=["code_id", "support", "suggested", "true_positive", "precision", "recall", "f1", "kappa"])
