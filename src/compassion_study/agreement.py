"""Agreement: chance-corrected inter-coder agreement, per code and overall.

Coefficients (keys as in design.md)

==================== ========================================================
``percent_agreement`` observed agreement over pairable ratings, p_a (Gwet 2014)
``cohen_kappa``       Cohen (1960); weighted, Cohen (1968); two coders only
``scott_pi``          Scott (1955): chance from the coders' mean marginals
``fleiss_kappa``      Fleiss (1971); with missing ratings, Gwet's (2014) form
``conger_kappa``      Conger (1980): multi-coder Cohen (Gwet's 2014 form)
``krippendorff_alpha`` Krippendorff (2011): nominal, ordinal, interval, ratio,
                      or sets of codes with the MASI or Jaccard distance
``gwet_ac1``          Gwet (2008) AC1 (AC2 when weighted)
``brennan_prediger``  Brennan & Prediger (1981)
==================== ========================================================

Every kappa-type coefficient is ``(p_a - p_e) / (1 - p_e)`` with the same
observed agreement ``p_a`` (Gwet 2014, ch. 2): the mean over units rated by
two or more coders of ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))``, where
``r_ik`` counts the coders who put unit *i* in category *k*, ``r_i`` the
coders who rated unit *i*, and ``r*_ik = sum_l w_kl r_il`` (weights ``w``;
identity when unweighted).  They differ only in chance agreement ``p_e``:

* Fleiss / AC1: from ``pi_k``, the mean over rated units of ``r_ik / r_i``;
  Fleiss ``p_e = sum w_kl pi_k pi_l``; AC1 ``p_e = T_w / (q (q - 1)) sum_k
  pi_k (1 - pi_k)`` with ``T_w = sum w_kl``;
* Conger / Cohen: from each coder's marginal ``p_gk`` (over the units that
  coder rated), ``p_e = sum w_kl (pbar_k pbar_l - s2_kl / R)``; with two
  coders this is Cohen's ``sum_k p_1k p_2k``;
* Scott: ``p_e = sum w_kl pbar_k pbar_l`` (the coders' mean marginals);
* Brennan–Prediger: ``p_e = T_w / q**2``.

With complete data Fleiss equals Scott, and Conger with two coders equals
Cohen.  Krippendorff's alpha is ``1 - D_o / D_e`` from the coincidence matrix
of pairable values (units with two or more ratings).

Missing ratings are allowed throughout.  A coefficient that is undefined for
the data is NaN with the reason in ``note``, never a crash and never a
made-up 1.0 (nltk's ``AnnotationTask.alpha`` returns 1 for one category).

Confidence intervals: percentile bootstrap over *units* (Hayes & Krippendorff
2007 resample units too).  All coefficients are computed from per-unit
sufficient statistics summed with unit weights, so the point estimate (all
weights 1) and every resample (multinomial weights) run through the same
vectorised code: one matrix product for all resamples and all codes.

References
----------
Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses,
misuses, and alternatives. *Educational and Psychological Measurement*, 41,
687-699.
Byrt, T., Bishop, J., & Carlin, J. B. (1993). Bias, prevalence and kappa.
*Journal of Clinical Epidemiology*, 46(5), 423-429.
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
and Psychological Measurement*, 20, 37-46.
Conger, A. J. (1980). Integration and generalization of kappas for multiple
raters. *Psychological Bulletin*, 88(2), 322-328.
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
*Psychological Bulletin*, 76(5), 378-382.
Gwet, K. L. (2008). Computing inter-rater reliability and its variance in
the presence of high agreement. *British Journal of Mathematical and
Statistical Psychology*, 61, 29-48.
Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).
Advanced Analytics.
Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
reliability measure for coding data. *Communication Methods and Measures*,
1(1), 77-89.
Krippendorff, K. (2004). *Content Analysis* (2nd ed.). Sage.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
Annenberg School for Communication, University of Pennsylvania.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement
for categorical data. *Biometrics*, 33, 159-174.
Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for
semantic and pragmatic annotation. *Proceedings of LREC 2006*.
Scott, W. A. (1955). Reliability of content analysis: the case of nominal
scale coding. *Public Opinion Quarterly*, 19(3), 321-325.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from .errors import InputError

KEYS = ("percent_agreement", "cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa",
        "krippendorff_alpha", "gwet_ac1", "brennan_prediger")
TWO_CODER_KEYS = ("prevalence_index", "bias_index", "pabak")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
DISTANCES = ("masi", "jaccard")
#: Passonneau's (2006) MASI monotonicity weights: identical, subset, overlap, disjoint.
MASI_M = (1.0, 2 / 3, 1 / 3, 0.0)
EMPTY_SET_TOKENS = ("{}", "∅")
DEFAULT_BOOT = 1000
#: Minimum alphas for which the calculator reports P(alpha < minimum), as KALPHA does (Hayes & Krippendorff 2007).
ALPHA_MINIMA = (0.5, 0.6, 0.667, 0.7, 0.8, 0.9)


# =========================================================================== data


@dataclass
class Ratings:
    """Reliability data in wide form.

    Attributes
    ----------
    X : numpy.ndarray of int, shape (n_units, n_coders)
        Category index of each rating, ``-1`` where the coder gave none.
    categories : list
        The category values (for sets of codes: frozensets).
    units, coders : list
    """

    X: np.ndarray
    categories: list
    units: list = field(default_factory=list)
    coders: list = field(default_factory=list)

    @property
    def q(self) -> int:
        return len(self.categories)

    @property
    def multilabel(self) -> bool:
        return bool(self.categories) and isinstance(self.categories[0], frozenset)


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _sort_key(value):
    if isinstance(value, frozenset):
        return (len(value), sorted(map(str, value)))
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return (0, float(value), "")
    try:  # labels that are numbers ("2", "10") in numeric order, ties ("1", "01") by their text
        return (0, float(value), str(value))
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def parse_sets(values: pd.Series, sep: str) -> pd.Series:
    """Split ``"a;b"`` into ``frozenset({"a", "b"})``; ``{}``/``∅`` is the empty set, empty is missing."""
    def one(v):
        if _is_missing(v):
            return None
        text = str(v).strip()
        if text in EMPTY_SET_TOKENS:
            return frozenset()
        return frozenset(p.strip() for p in text.split(sep) if p.strip())
    return values.map(one)


def ratings_from_long(data: pd.DataFrame, unit: str = "unit", coder: str = "coder", value: str = "value",
                      categories: Sequence | None = None, label: str = "ratings") -> Ratings:
    """Reshape a long ratings table (one row per unit × coder) into :class:`Ratings`.

    Empty values (NaN, None, blank text) are missing ratings, never a
    category.  Values may be numbers, labels or frozensets (sets of codes).

    Raises
    ------
    InputError
        Missing columns, or a unit rated twice by one coder (rows named, as
        file lines counting the header as line 1).
    """
    missing = [c for c in (unit, coder, value) if c not in data.columns]
    if missing:
        raise InputError(f"{label}: no column(s) {', '.join(missing)} (columns are {', '.join(map(str, data.columns))})")
    lines = data.attrs.get("lines") or list(range(2, len(data) + 2))  # header is line 1
    df = data[[unit, coder, value]].reset_index(drop=True)
    dup = df.duplicated([unit, coder], keep=False)
    if dup.any():
        groups = df[dup].groupby([unit, coder], sort=False).groups
        problems = [f"{label} › lines {', '.join(str(lines[i]) for i in idx)}: unit '{u}' is rated twice by coder '{c}'"
                    for (u, c), idx in groups.items()]
        raise InputError(problems, summary=f"{label}: {len(problems)} duplicate (unit, coder) pair(s):")
    present = df[~df[value].map(_is_missing)]
    unit_codes, units = pd.factorize(df[unit], sort=False)
    keep = ~df[value].map(_is_missing).to_numpy(dtype=bool)
    # a coder with rows but no rating at all is no coder of this table: counting them would make two-coder
    # coefficients (Cohen, Scott, PABAK) undefined for a table that has two coders
    coder_codes = np.full(len(df), -1, dtype=np.int64)
    coder_codes[keep], coders = pd.factorize(df.loc[keep, coder], sort=False)
    value_codes, observed = pd.factorize(present[value], sort=False)
    cats = list(categories) if categories is not None else sorted(observed, key=_sort_key)
    index = {c: i for i, c in enumerate(cats)}
    unknown = [v for v in observed if v not in index]
    if unknown:
        raise InputError(f"{label}: value(s) {sorted(map(str, unknown))[:5]} are not among the categories given")
    lookup = np.array([index[v] for v in observed], dtype=np.int64)
    X = np.full((len(units), len(coders)), -1, dtype=np.int64)
    X[unit_codes[keep], coder_codes[keep]] = lookup[value_codes]
    return Ratings(X, cats, list(units), list(coders))


def ratings_from_matrix(matrix, categories: Sequence | None = None) -> Ratings:
    """Ratings from a coders × units array (``krippendorff`` package layout; NaN = missing)."""
    M = np.asarray(matrix, dtype=object)
    rows = [(u, c, M[c, u]) for c in range(M.shape[0]) for u in range(M.shape[1])]
    return ratings_from_long(pd.DataFrame(rows, columns=["unit", "coder", "value"]), categories=categories)


# =========================================================================== weights and distances


def _numeric(categories: Sequence) -> np.ndarray | None:
    try:
        values = np.array([float(c) for c in categories])
    except (TypeError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


WEIGHTS = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar")


def agreement_weights(categories: Sequence, weights: str | np.ndarray | None = None) -> np.ndarray:
    """Gwet's (2014, ch. 3) agreement weights ``w_kl`` (1 on the diagonal, 0 for the farthest categories).

    On the category values where they are all numbers, else on their ranks
    1..q in the order given (as irrCAC does with text categories), with
    ``d = x_k - x_l`` and ``x_min``, ``x_max`` the extreme values:

    ============= ============================================================
    ``identity``  1 if k = l else 0 (the unweighted coefficients)
    ``linear``    ``1 - |d| / (x_max - x_min)``
    ``quadratic`` ``1 - d**2 / (x_max - x_min)**2``
    ``ordinal``   ``1 - M_kl / max M`` with ``M_kl = C(|k - l| + 1, 2)`` on ranks
    ``radical``   ``1 - sqrt|d| / sqrt(x_max - x_min)``
    ``ratio``     ``1 - (d / (x_k + x_l))**2 / ((x_max - x_min) / (x_max + x_min))**2``
    ``circular``  ``1 - s_kl / max s`` with ``s_kl = sin(pi d / (x_max - x_min + 1))**2``
    ``bipolar``   ``1 - b_kl / max b`` with ``b_kl = d**2 / ((x_k + x_l - 2 x_min)(2 x_max - x_k - x_l))``
    ============= ============================================================

    A q × q array is taken as custom weights (checked: finite, in [0, 1],
    1 on the diagonal).

    References
    ----------
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.), ch. 3.
    Gwet, K. L. (2019). irrCAC: Computing chance-corrected agreement
    coefficients (R package), ``weights.gen.r``.
    """
    q = len(categories)
    if weights is None or (isinstance(weights, str) and weights in ("identity", "unweighted")):
        return np.eye(q)
    if not isinstance(weights, str):
        w = np.asarray(weights, dtype=float)
        if w.shape != (q, q):
            raise InputError(f"custom weights are {w.shape[0]} × {w.shape[1] if w.ndim > 1 else 1}, "
                             f"but there are {q} categories")
        if not np.isfinite(w).all() or (w < 0).any() or (w > 1).any() or not np.allclose(np.diag(w), 1):
            raise InputError("custom weights must be numbers from 0 to 1 with 1 on the diagonal")
        return w
    if weights not in WEIGHTS:
        raise InputError(f"weights '{weights}': use one of {', '.join(WEIGHTS)}, or a CSV file of weights")
    x = _numeric(categories)
    x = np.arange(1, q + 1, dtype=float) if x is None else x
    if q < 2:
        return np.eye(q)
    lo, hi = x.min(), x.max()
    d = x[:, None] - x[None, :]
    total = x[:, None] + x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        if weights == "linear":
            return 1 - np.abs(d) / (hi - lo)
        if weights == "quadratic":
            return 1 - d ** 2 / (hi - lo) ** 2
        if weights == "radical":
            return 1 - np.sqrt(np.abs(d)) / np.sqrt(hi - lo)
        if weights == "ratio":
            if lo < 0 or hi + lo == 0:
                raise InputError("ratio weights need category values of zero or more, not all zero")
            return 1 - np.where(total > 0, (d / np.where(total > 0, total, 1)) ** 2, 0) / ((hi - lo) / (hi + lo)) ** 2
        if weights == "ordinal":
            k = np.arange(q)
            n = np.abs(k[:, None] - k[None, :]) + 1
            raw = n * (n - 1) / 2.0
        elif weights == "circular":
            raw = np.sin(np.pi * d / (hi - lo + 1)) ** 2
        else:  # bipolar
            denom = (total - 2 * lo) * (2 * hi - total)
            raw = np.where(np.eye(q, dtype=bool) | (denom == 0), 0.0, d ** 2 / np.where(denom == 0, 1, denom))
    return 1 - raw / raw.max()


def read_weights_csv(path, categories: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Custom weights from a CSV: a header row and first column naming the categories, q × q numbers.

    Returns the categories (``categories`` if given, else the header's, in
    its order) and the weights in their order; rows and columns are matched
    by name, so their order in the file does not matter.

    Raises
    ------
    InputError
        Unreadable file, categories missing or unknown, or numbers out of
        [0, 1] (with the file and line).
    """
    from pathlib import Path

    from . import files

    path = Path(path)
    files.check_input(path, None, 1024 * 1024, path.name)
    rows = [(n, [x.strip() for x in r]) for n, r in files.read_text_rows(path) if any(x.strip() for x in r)]
    if len(rows) < 2:
        raise InputError(f"{path.name}: expected a header row of categories and one row per category")
    header = rows[0][1][1:]
    names = [str(c) for c in categories] if categories is not None else header
    if sorted(header) != sorted(names) or len(set(header)) < len(header) or len(rows) - 1 != len(names):
        raise InputError(f"{path.name} › line {rows[0][0]}: the weights must name each category once "
                         f"({', '.join(names)}; got {', '.join(header)})")
    w = np.full((len(names), len(names)), np.nan)
    for n, r in rows[1:]:
        if r[0] not in names or len(r) != len(header) + 1:
            raise InputError(f"{path.name} › line {n}: expected a category name and {len(header)} weights")
        try:
            values = [float(x.replace(",", ".")) for x in r[1:]]
        except ValueError:
            raise InputError(f"{path.name} › line {n}: weights must be numbers") from None
        w[names.index(r[0]), [names.index(h) for h in header]] = values
    if np.isnan(w).any():
        raise InputError(f"{path.name}: a category has two rows of weights and another none")
    try:
        return names, agreement_weights(names, w)
    except InputError as exc:
        raise InputError(f"{path.name}: {exc.problems[0]}") from None


def masi_distance_matrix(sets: Sequence[frozenset], m: Sequence[float] = MASI_M) -> np.ndarray:
    """MASI distances between every pair of sets (Passonneau 2006).

    ``1 - J * M`` with Jaccard ``J`` and monotonicity ``M``: ``m[0]`` for
    identical sets, ``m[1]`` when one contains the other, ``m[2]`` when they
    overlap, ``m[3]`` when disjoint.  Two empty sets are identical: distance 0.
    """
    S, inter, size = _set_algebra(sets)
    union = np.add.outer(size, size)
    union -= inter
    np.maximum(union, 1, out=union)
    # Two different categories are different sets, so off the diagonal M is m[1] when
    # one contains the other (|A ∩ B| = min(|A|, |B|)) and m[2] when they merely
    # overlap; disjoint sets have J = 0 whatever m[3] is.
    subset = inter == np.minimum.outer(size, size)
    JM = np.divide(inter, union, out=union)
    JM *= m[2]
    JM[subset] *= m[1] / m[2] if m[2] else 0.0
    if not m[2]:
        JM[subset] = (inter / np.maximum(np.add.outer(size, size) - inter, 1))[subset] * m[1]
    distinct = len(set(sets)) == len(sets)
    if distinct:
        np.fill_diagonal(JM, m[0])  # identical (J = 1), including two empty sets
    else:  # repeated sets given: compare them as identical wherever they are equal
        equal = subset & (size[:, None] == size[None, :])
        JM[equal] = m[0]
    return 1.0 - JM


def jaccard_distance_matrix(sets: Sequence[frozenset]) -> np.ndarray:
    """Jaccard distances ``1 - |A ∩ B| / |A ∪ B|`` (0 for two empty sets)."""
    S, inter, size = _set_algebra(sets)
    union = size[:, None] + size[None, :] - inter
    return np.where(union > 0, 1.0 - inter / np.where(union > 0, union, 1), 0.0)


def _set_algebra(sets: Sequence[frozenset]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = sorted({x for s in sets for x in s}, key=str)
    pos = {x: j for j, x in enumerate(labels)}
    rows = [i for i, s in enumerate(sets) for _ in s]
    cols = [pos[x] for s in sets for x in s]
    S = np.zeros((len(sets), max(len(labels), 1)), dtype=np.float64)
    S[rows, cols] = 1.0
    inter = S @ S.T
    return S, inter, S.sum(1)


def difference(categories: Sequence, level: str = "nominal", distance: str | None = None,
               masi_m: Sequence[float] = MASI_M) -> np.ndarray | None:
    """Krippendorff's difference ``delta**2_kl`` between categories.

    Returns None for ``ordinal``, whose differences depend on the marginal
    frequencies and are computed per (re)sample.
    """
    q = len(categories)
    if distance is not None:
        if distance not in DISTANCES:
            raise InputError(f"distance '{distance}': use masi or jaccard")
        return masi_distance_matrix(categories, masi_m) if distance == "masi" else jaccard_distance_matrix(categories)
    if level not in LEVELS:
        raise InputError(f"level '{level}': use one of {', '.join(LEVELS)}")
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        return None
    x = _numeric(categories)
    if x is None:
        raise InputError(f"level '{level}' needs numeric values (got {', '.join(map(str, categories[:5]))})")
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if (x < 0).any():
        raise InputError("level 'ratio' needs values of zero or more")
    total = x[:, None] + x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, ((x[:, None] - x[None, :]) / np.where(total > 0, total, 1)) ** 2, 0.0)


def _ordinal_difference(n_k: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal ``delta**2_ck = (sum_{g=c..k} n_g - (n_c + n_k)/2)**2`` per row of ``n_k``."""
    cum = np.cumsum(n_k, axis=-1)
    lo = np.minimum.outer(np.arange(n_k.shape[-1]), np.arange(n_k.shape[-1]))
    hi = np.maximum.outer(np.arange(n_k.shape[-1]), np.arange(n_k.shape[-1]))
    between = cum[..., hi] - cum[..., lo] + n_k[..., lo]  # sum_{g=lo..hi} n_g
    return (between - (n_k[..., :, None] + n_k[..., None, :]) / 2) ** 2


# =========================================================================== the engine


@dataclass
class _Layout:
    """Column slices of the per-unit feature matrix of one rating set."""

    R: int
    q: int
    cols: dict[str, slice]
    w: np.ndarray
    delta: np.ndarray | None
    multilabel: bool
    binary_two: bool


def _features(r: Ratings, w: np.ndarray, delta: np.ndarray | None) -> tuple[np.ndarray, _Layout]:
    """Per-unit sufficient statistics: every coefficient is a function of their weighted sums."""
    X = r.X
    N, R = X.shape
    q = r.q
    rated = X >= 0
    r_i = rated.sum(1).astype(float)
    m1 = (r_i >= 1).astype(float)
    m2 = (r_i >= 2).astype(float)
    blocks: dict[str, np.ndarray] = {"m1": m1[:, None], "m2": m2[:, None]}
    multilabel = r.multilabel
    safe_r = np.where(r_i > 0, r_i, 1)
    if not multilabel:
        onehot = (X[:, :, None] == np.arange(q)).astype(float)  # N × R × q
        r_ik = onehot.sum(1)
        r_star = r_ik @ w
        a_i = (r_ik * (r_star - 1)).sum(1) / np.where(r_i >= 2, r_i * (r_i - 1), 1)
        blocks["a"] = (a_i * m2)[:, None]
        blocks["pi"] = r_ik / safe_r[:, None] * m1[:, None]
        blocks["rated_g"] = rated.astype(float)
        blocks["n_gk"] = onehot.reshape(N, R * q)
        blocks["n_k"] = r_ik * m2[:, None]
        if delta is None or q <= 12:  # the coincidence matrix itself (needed for ordinal)
            denom = np.where(r_i >= 2, r_i - 1, 1)[:, None, None]
            o = (r_ik[:, :, None] * r_ik[:, None, :] - np.eye(q)[None] * r_ik[:, :, None]) / denom
            blocks["o"] = (o * m2[:, None, None]).reshape(N, q * q)
        else:
            blocks["d"] = _unit_disagreement(X, delta, r_i)[:, None]
    else:
        # sets of codes: only alpha. The marginals n_k are summed by category in
        # _evaluate (_category_sums), never as a dense units x sets matrix.
        blocks["d"] = _unit_disagreement(X, delta, r_i)[:, None]
    binary_two = (not multilabel) and R == 2 and q == 2
    if binary_two:
        both = rated.all(1)
        blocks["tab"] = np.stack([both & (X[:, 0] == 1) & (X[:, 1] == 1), both & (X[:, 0] == 1) & (X[:, 1] == 0),
                                  both & (X[:, 0] == 0) & (X[:, 1] == 1), both & (X[:, 0] == 0) & (X[:, 1] == 0)],
                                 axis=1).astype(float)
    cols, start, parts = {}, 0, []
    for name, block in blocks.items():
        cols[name] = slice(start, start + block.shape[1])
        start += block.shape[1]
        parts.append(block)
    return np.hstack(parts), _Layout(R, q, cols, w, delta, multilabel, binary_two)


def _category_sums(U: np.ndarray, X: np.ndarray, q: int, mask: np.ndarray) -> np.ndarray:
    """``sum_i U[b, i] * #{g : X[i, g] = k}`` over units in ``mask`` (B × q), without a dense one-hot matrix."""
    out = np.zeros((U.shape[0], q))
    for g in range(X.shape[1]):
        idx = np.flatnonzero((X[:, g] >= 0) & mask)
        if not len(idx):
            continue
        cats = X[idx, g]
        order = np.argsort(cats, kind="stable")
        idx, cats = idx[order], cats[order]
        starts = np.flatnonzero(np.r_[True, cats[1:] != cats[:-1]])
        out[:, cats[starts]] += np.add.reduceat(U[:, idx], starts, axis=1)
    return out


def _unit_disagreement(X: np.ndarray, delta: np.ndarray, r_i: np.ndarray) -> np.ndarray:
    """``sum over ordered coder pairs of delta(x_ia, x_ib) / (r_i - 1)`` per pairable unit."""
    N, R = X.shape
    d = np.zeros(N)
    for a, b in itertools.permutations(range(R), 2):
        ok = (X[:, a] >= 0) & (X[:, b] >= 0)
        d[ok] += delta[X[ok, a], X[ok, b]]
    return np.where(r_i >= 2, d / np.where(r_i >= 2, r_i - 1, 1), 0.0)


def _alpha(D_o_num: np.ndarray, n_k: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``alpha = 1 - (n - 1) sum o_kl delta_kl / sum n_k n_l delta_kl`` (Krippendorff 2011), rows independent."""
    n = n_k.sum(-1)
    if delta.ndim == 2:
        D_e_num = np.einsum("bk,bk->b", n_k @ delta, n_k)
        scale = n ** 2 * np.abs(delta).max(initial=0.0)
    else:
        D_e_num = np.einsum("bk,bkl,bl->b", n_k, delta, n_k)
        scale = n ** 2 * np.abs(delta).max(axis=(-1, -2), initial=0.0)
    # undefined when the values do not vary (D_e = 0): judged relative to the data's own scale, so that
    # interval values around 1e-8 are as defined as values around 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((D_e_num > 1e-12 * scale) & (n > 1),
                        1 - (n - 1) * D_o_num / np.where(D_e_num > 0, D_e_num, 1), np.nan)


def alpha_batch(sets: Sequence[Ratings], level: str = "nominal") -> np.ndarray:
    """Krippendorff's alpha for many rating sets with the same categories and shape, vectorised over sets.

    The fast path for per-code alpha (one array operation for all codes);
    :func:`compute` gives the same values with every other coefficient.
    """
    X = np.stack([r.X for r in sets])  # sets × units × coders
    q = sets[0].q
    r_ik = (X[..., None] == np.arange(q)).sum(2, dtype=np.float64)  # sets × units × q
    r_i = r_ik.sum(-1)
    scale = np.where(r_i >= 2, 1.0 / np.where(r_i >= 2, r_i - 1, 1), 0.0)
    o = np.einsum("cnk,cnl->ckl", r_ik * scale[..., None], r_ik)
    o[:, np.arange(q), np.arange(q)] -= (r_ik * scale[..., None]).sum(1)
    n_k = o.sum(-1)
    fixed = difference(sets[0].categories, level)
    delta = _ordinal_difference(n_k) if fixed is None else fixed
    return _alpha((o * delta).sum((-1, -2)), n_k, delta)


def _kappa(p_a: np.ndarray, p_e: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.abs(1 - p_e) > 1e-12, (p_a - p_e) / (1 - p_e), np.nan)


def _finish(S: np.ndarray, L: _Layout, extra: dict | None = None) -> dict[str, np.ndarray]:
    """Coefficients (arrays over resamples) from summed features ``S`` (B × m)."""
    extra = extra or {}
    c = L.cols
    B = S.shape[0]
    nan = np.full(B, np.nan)
    out: dict[str, np.ndarray] = {k: nan.copy() for k in KEYS}
    n_pair = S[:, c["m2"]][:, 0]
    # Krippendorff's alpha from the coincidence matrix
    n_k = S[:, c["n_k"]] if "n_k" in c else extra["n_k"]
    if "o" in c:
        o = S[:, c["o"]].reshape(B, L.q, L.q)
        delta = _ordinal_difference(n_k) if L.delta is None else L.delta
        D_o_num = (o * delta).sum((-1, -2))
    else:
        delta = L.delta
        D_o_num = S[:, c["d"]][:, 0]
    out["krippendorff_alpha"] = _alpha(D_o_num, n_k, delta)
    if L.multilabel:
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        p_a = np.where(n_pair > 0, S[:, c["a"]][:, 0] / np.where(n_pair > 0, n_pair, 1), np.nan)
        n_rated = S[:, c["m1"]][:, 0]
        pi = S[:, c["pi"]] / np.where(n_rated > 0, n_rated, 1)[:, None]
    out["percent_agreement"] = p_a
    w, q = L.w, L.q
    out["fleiss_kappa"] = _kappa(p_a, np.einsum("bk,kl,bl->b", pi, w, pi))
    if q >= 2:
        out["gwet_ac1"] = _kappa(p_a, w.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum(1))
        out["brennan_prediger"] = _kappa(p_a, np.full(B, w.sum() / q ** 2))
    # per-coder marginals: Conger, Cohen, Scott
    R = L.R
    n_g = S[:, c["rated_g"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        p_gk = S[:, c["n_gk"]].reshape(B, R, q) / np.where(n_g > 0, n_g, np.nan)[:, :, None]
    p_bar = p_gk.mean(1)
    out["scott_pi"] = _kappa(p_a, np.einsum("bk,kl,bl->b", p_bar, w, p_bar))
    if R >= 2:
        dev = p_gk - p_bar[:, None, :]
        s2 = np.einsum("bgk,bgl->bkl", dev, dev) / (R - 1)
        p_e = np.einsum("kl,bkl->b", w, p_bar[:, :, None] * p_bar[:, None, :] - s2 / R)
        out["conger_kappa"] = _kappa(p_a, p_e)
        if R == 2:
            out["cohen_kappa"] = out["conger_kappa"].copy()
    if L.binary_two:
        tab = S[:, c["tab"]]
        total = tab.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            a, b, cc, d = (tab[:, j] / np.where(total > 0, total, np.nan) for j in range(4))
        out["prevalence_index"] = a - d
        out["bias_index"] = b - cc
        out["pabak"] = 2 * (a + d) - 1
    return out


def weights_name(weights: str | np.ndarray | None) -> str | None:
    """What to call the weights in output: None when unweighted, ``custom`` for a matrix."""
    if weights is None or (isinstance(weights, str) and weights in ("identity", "unweighted")):
        return None
    return weights if isinstance(weights, str) else "custom"


def _notes(r: Ratings, est: dict[str, float], weights: str | np.ndarray | None) -> dict[str, str]:
    """Why a coefficient is NaN (or how it was computed), per key."""
    notes = {}
    N, R = r.X.shape
    pairable = int(((r.X >= 0).sum(1) >= 2).sum())
    used = None
    name = weights_name(weights)
    for key in KEYS + TWO_CODER_KEYS:
        if key not in est:
            continue
        if not math.isnan(est[key]):
            if name and key == "percent_agreement":
                notes[key] = f"weighted agreement ({name} weights)"
            elif name and key == "gwet_ac1":
                notes[key] = f"AC2: Gwet's AC1 with {name} weights"
            elif name and key in KEYS:
                notes[key] = f"{name}-weighted"
            elif key in ("prevalence_index", "bias_index"):
                notes[key] = f"positive category '{r.categories[1]}'"
            continue
        if pairable == 0:
            notes[key] = "no unit has two or more ratings"
        elif r.multilabel and key != "krippendorff_alpha":
            notes[key] = "not defined for sets of codes; see krippendorff_alpha"
        elif key == "cohen_kappa" and R != 2:
            notes[key] = f"defined for exactly two coders (there are {R})"
        elif key in ("gwet_ac1", "brennan_prediger") and r.q < 2:
            notes[key] = "needs at least two categories"
        elif key in TWO_CODER_KEYS:
            notes[key] = "defined for two coders and a binary code"
        else:
            if used is None:
                used = len(np.unique(r.X[r.X >= 0]))
            notes[key] = ("only one category was used, so chance agreement is 1 and the coefficient is undefined"
                          if used <= 1 else "undefined for these data (chance agreement is 1)")
    return notes


#: Most resample × unit weights held in memory at once (the bootstrap runs in chunks).
CHUNK_CELLS = 8_000_000


def _weights(rng: np.random.Generator, n_units: int, n: int) -> np.ndarray:
    draws = rng.integers(0, n_units, size=(n, n_units))
    flat = draws + (np.arange(n) * n_units)[:, None]
    return np.bincount(flat.ravel(), minlength=n * n_units).reshape(n, n_units).astype(float)


def bootstrap_weights(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """Resampling weights (n_boot × n_units): how often each unit is drawn in each resample."""
    return _weights(np.random.default_rng(seed), n_units, n_boot)


@lru_cache(maxsize=2)
def _weight_blocks(n_units: int, n_boot: int, seed: int, step: int) -> tuple[np.ndarray, ...]:
    # Kept as small integers: a study's per-code, pairwise and overall tables
    # all resample the same units with the same seed, so the draws are made once.
    rng = np.random.default_rng(seed)
    blocks = []
    for start in range(0, n_boot, step):
        w = _weights(rng, n_units, min(step, n_boot - start))
        blocks.append(w.astype(np.uint8) if w.max() < 256 else w)
    return tuple(blocks)


def bootstrap_chunks(n_units: int, n_boot: int, seed: int):
    """:func:`bootstrap_weights` in row blocks of at most :data:`CHUNK_CELLS` cells (same draws, bounded memory)."""
    step = max(1, min(n_boot, CHUNK_CELLS // max(n_units, 1)))
    for block in _weight_blocks(n_units, n_boot, seed, step):
        yield block.astype(np.float64)


def _point_and_bootstrap(sets: Sequence[Ratings], n_units: int, n_boot: int, seed: int,
                         unit_of: np.ndarray | None = None, **kw) -> tuple[list, list | None]:
    """Point estimates and every resample's coefficients; features are prepared once for both."""
    prep = _prepare(sets, unit_of=unit_of, n_units=n_units, **kw)
    point = _apply(prep, np.ones((1, n_units)))
    if not n_boot:
        return point, None
    parts = [_apply(prep, U) for U in bootstrap_chunks(n_units, n_boot, seed)]
    return point, [{k: np.concatenate([p[i][k] for p in parts]) for k in parts[0][i]} for i in range(len(sets))]


# =========================================================================== analytic variance


#: Coefficients with Gwet's (2008, 2014) linearised variance here; the others have the bootstrap only.
SE_KEYS = ("percent_agreement", "gwet_ac1", "fleiss_kappa", "brennan_prediger", "krippendorff_alpha")


def gwet_variance(r: Ratings, w: np.ndarray, delta: np.ndarray | None = None) -> dict[str, tuple[float, int]]:
    """Standard errors of p_a, AC1/AC2, Fleiss' kappa, Brennan-Prediger and Krippendorff's alpha.

    Gwet's linearisation: each coefficient ``kappa`` gets a per-unit value
    ``kappa*_i = kappa_i - 2 (1 - kappa) (p_e|i - p_e) / (1 - p_e)``, with
    ``kappa_i = (n / n_2) (p_a|i - p_e [r_i >= 2]) / (1 - p_e)``, and
    ``var = sum_i (kappa*_i - kappa)**2 / (n (n - 1))`` over the n rated
    units (Gwet 2008, eq. 27; Gwet 2014, ch. 5).  Krippendorff's alpha uses
    Gwet's (2014, sec. 5.4) form over the pairable units.  The weights ``w``
    are the agreement weights (identity when unweighted); alpha's fixed
    differences ``delta`` (nominal, interval, ratio, or ``1 - w``) give its
    weights ``1 - delta / max delta``.

    Returns
    -------
    dict
        key -> (standard error, degrees of freedom for Student's t: rated
        units - 1, pairable units - 1 for alpha);
        keys missing where the variance is not defined (one unit, one
        category, ordinal alpha or sets of codes).

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in
    the presence of high agreement. *BJMSP*, 61, 29-48.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).
    Gwet, K. L. (2019). irrCAC (R package), ``agree.coeff3.raw.r``.
    """
    out: dict[str, tuple[float, int]] = {}
    if r.multilabel or r.q < 2:
        return out
    X = r.X[(r.X >= 0).any(1)]
    n, q = X.shape[0], r.q
    if n < 2:
        return out
    r_ik = (X[:, :, None] == np.arange(q)).sum(1).astype(float)
    r_i = r_ik.sum(1)
    two = r_i >= 2
    n2 = int(two.sum())
    if n2 == 0:
        return out
    pairs = np.where(two, r_i * (r_i - 1), 1.0)

    def spread(values: np.ndarray, centre: float, units: int) -> float:
        return float(np.sqrt(((values - centre) ** 2).sum() / (units * (units - 1))))

    def corrected(p_a_i, p_a, p_e, p_e_i) -> tuple[float, float] | None:
        if abs(1 - p_e) < 1e-12:
            return None
        kappa = (p_a - p_e) / (1 - p_e)
        k_i = (n / n2) * (p_a_i - p_e * two) / (1 - p_e)
        if p_e_i is not None:
            k_i = k_i - 2 * (1 - kappa) * (p_e_i - p_e) / (1 - p_e)
        return kappa, spread(k_i, kappa, n)

    sum_q = (r_ik * (r_ik @ w.T - 1)).sum(1)
    p_a_i = np.where(two, sum_q / pairs, 0.0)
    p_a = p_a_i[two].mean()
    out["percent_agreement"] = (spread((n / n2) * p_a_i, p_a, n), n - 1)
    pi = (r_ik / r_i[:, None]).mean(0)
    t_w = w.sum() / (q * (q - 1))
    for key, p_e, p_e_i in (
            ("gwet_ac1", t_w * (pi * (1 - pi)).sum(), t_w * (r_ik @ (1 - pi)) / r_i),
            ("fleiss_kappa", pi @ w @ pi, (r_ik @ ((w @ pi + w.T @ pi) / 2)) / r_i),
            ("brennan_prediger", w.sum() / q ** 2, None)):
        done = corrected(p_a_i, p_a, p_e, p_e_i)
        if done is not None:
            out[key] = (done[1], n - 1)
    if delta is not None and np.abs(delta).max() > 0:
        wa = 1.0 - delta / np.abs(delta).max()
        R, rbar = r_ik[two], r_i[two].mean()
        m = R.shape[0]
        if m >= 2:
            s_q = (R * (R @ wa.T - 1)).sum(1) / (rbar * (r_i[two] - 1))
            pa1 = s_q.mean()
            pi_a = (R / rbar).mean(0)
            p_e = pi_a @ wa @ pi_a
            if abs(1 - p_e) > 1e-12:
                alpha1 = (pa1 - p_e) / (1 - p_e)
                eps = 1 / r_i[two].sum()  # Krippendorff's small-sample term: p_a = (1 - eps) p_a' + eps
                a_i = (s_q - ((1 - eps) * pa1 + eps) * (r_i[two] - rbar) / rbar - p_e) / (1 - p_e)
                pe_i = (R @ ((wa @ pi_a + wa.T @ pi_a) / 2)) / rbar - p_e * (r_i[two] - rbar) / rbar
                a_i = a_i - 2 * (1 - alpha1) * (pe_i - p_e) / (1 - p_e)
                out["krippendorff_alpha"] = (spread(a_i, alpha1, m), m - 1)
    return out


def cohen_ase(r: Ratings, w: np.ndarray) -> tuple[float, int] | None:
    """Asymptotic standard error of Cohen's (weighted) kappa over the units both coders rated.

    Fleiss, Cohen & Everitt (1969), as SAS PROC FREQ's "ASE":
    ``var = [sum_kl p_kl (w_kl - (wbar_k. + wbar_.l)(1 - kappa))**2
    - (kappa - p_e (1 - kappa))**2] / (n (1 - p_e)**2)`` with
    ``wbar_k. = sum_l p_.l w_kl`` and ``wbar_.l = sum_k p_k. w_kl``
    (identity weights give the unweighted formula).  None unless there are
    exactly two coders, two categories and two units rated by both.

    References
    ----------
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard
    errors of kappa and weighted kappa. *Psychological Bulletin*, 72, 323-327.
    """
    if r.multilabel or r.X.shape[1] != 2 or r.q < 2:
        return None
    both = (r.X >= 0).all(1)
    n = int(both.sum())
    if n < 2:
        return None
    p = np.zeros((r.q, r.q))
    np.add.at(p, (r.X[both, 0], r.X[both, 1]), 1.0)
    p /= n
    row, col = p.sum(1), p.sum(0)
    p_e = row @ w @ col
    if abs(1 - p_e) < 1e-12:
        return None
    kappa = ((p * w).sum() - p_e) / (1 - p_e)
    wbar_row, wbar_col = w @ col, row @ w
    inner = (p * (w - (wbar_row[:, None] + wbar_col[None, :]) * (1 - kappa)) ** 2).sum()
    var = (inner - (kappa - p_e * (1 - kappa)) ** 2) / (n * (1 - p_e) ** 2)
    return float(np.sqrt(max(var, 0.0))), n - 1


def analytic_interval(estimate: float, se: float, df: int, level: float = 0.95) -> tuple[float, float, float]:
    """Student-t confidence interval (upper bound capped at 1) and two-sided p-value for H0: coefficient = 0.

    As irrCAC 1.0 reports them (Gwet 2014, ch. 5): ``estimate +- t_{df} se``
    and ``2 P(T_df > |estimate| / se)``.
    """
    from scipy import stats

    if not (np.isfinite(estimate) and np.isfinite(se)) or df < 1:
        return np.nan, np.nan, np.nan
    half = stats.t.ppf((1 + level) / 2, df) * se
    p = float(2 * stats.t.sf(abs(estimate) / se, df)) if se > 0 else np.nan
    return estimate - half, min(1.0, estimate + half), p


def interpret(key: str, value: float) -> str:
    """Interpretation band, shown beside the number (never instead of it).

    Krippendorff's alpha: Krippendorff (2004): >= .800 reliable, >= .667
    tentative conclusions only, else unreliable.  Kappa-type coefficients:
    Landis & Koch (1977).  Percent agreement and diagnostics: no band.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if key.startswith("krippendorff_alpha"):
        return "reliable" if value >= 0.800 else "tentative" if value >= 0.667 else "unreliable"
    if key in ("cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger"):
        if value < 0:
            return "poor"
        for upper, band in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
            if value <= upper + 1e-12:
                return band
        return "almost perfect"
    return ""


@dataclass
class _Prepared:
    """Per-unit features of several rating sets, computed once and reused for every resample chunk."""

    F: np.ndarray
    layouts: list
    widths: list
    multilabel: list  # (X, q, pairable mask) for sets of codes, else None


def _prepare(sets: Sequence[Ratings], weights: str | None = None, level: str = "nominal",
             distance: str | None = None, masi_m: Sequence[float] = MASI_M,
             unit_of: np.ndarray | None = None, n_units: int | None = None) -> _Prepared:
    """Features for :func:`_apply`.

    ``unit_of`` maps each row of the rating sets to a unit when rows are
    items clustered in units (all unit × code decisions): their features are
    summed per unit, which is the same as weighting each item by its unit's
    resampling weight.
    """
    feats, layouts, ml = [], [], []
    for r in sets:
        w = agreement_weights(r.categories, weights) if not r.multilabel else np.eye(1)
        if weights is not None and not r.multilabel:  # alpha with the same weights: delta = 1 - w (Gwet 2014)
            delta = 1.0 - w
        else:
            delta = difference(r.categories, level if not r.multilabel else "nominal",
                               distance if r.multilabel else None, masi_m)
        F, L = _features(r, w, delta)
        feats.append(F)
        layouts.append(L)
        ml.append((r.X, r.q, (r.X >= 0).sum(1) >= 2) if r.multilabel else None)
    F_all = np.hstack(feats)
    if unit_of is not None:
        grouped = np.zeros((n_units if n_units is not None else int(unit_of.max()) + 1, F_all.shape[1]))
        np.add.at(grouped, unit_of, F_all)
        F_all = grouped
    return _Prepared(F_all, layouts, [F.shape[1] for F in feats], ml)


def _apply(prep: _Prepared, U: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Coefficients for resampling weights ``U`` (resamples × units): one matrix product for all sets."""
    S_all = U @ prep.F
    out, start = [], 0
    for width, L, ml in zip(prep.widths, prep.layouts, prep.multilabel):
        extra = {"n_k": _category_sums(U, *ml)} if ml is not None else None
        out.append(_finish(S_all[:, start:start + width], L, extra))
        start += width
    return out


def _evaluate(sets: Sequence[Ratings], U: np.ndarray, weights: str | None = None, level: str = "nominal",
              distance: str | None = None, masi_m: Sequence[float] = MASI_M,
              unit_of: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
    """Coefficients for several rating sets over the same units and weights ``U``."""
    prep = _prepare(sets, weights, level, distance, masi_m, unit_of, U.shape[1])
    return _apply(prep, U)


def compute(sets: Sequence[Ratings], weights: str | None = None, level: str = "nominal", distance: str | None = None,
            n_boot: int = 0, seed: int = 0, masi_m: Sequence[float] = MASI_M, ci: float = 0.95) -> list[pd.DataFrame]:
    """Every coefficient, with bootstrap CIs, for rating sets that share their units.

    Returns one tidy DataFrame per rating set (see :func:`agreement_table`).
    The same resamples are used for every set, so CIs of different codes are
    comparable.
    """
    if not sets:
        return []
    N = sets[0].X.shape[0]
    if any(r.X.shape[0] != N for r in sets):
        raise ValueError("rating sets passed together must share their units")
    point, boot = _point_and_bootstrap(sets, N, n_boot, seed, weights=weights, level=level, distance=distance,
                                       masi_m=masi_m)
    return [_table(r, {k: float(v[0]) for k, v in point[i].items()}, boot[i] if boot is not None else None,
                   n_boot, seed, ci, weights) for i, r in enumerate(sets)]


def _table(r: Ratings, est: dict[str, float], boot: dict[str, np.ndarray] | None, n_boot: int, seed: int,
           ci: float = 0.95, weights: str | np.ndarray | None = None) -> pd.DataFrame:
    """One rating set's tidy table: estimates, percentile CIs (or why none), bands, counts, notes."""
    notes = _notes(r, est, weights)
    rated = r.X >= 0
    per_unit = rated.sum(1)
    counts = {"n_units": int((per_unit >= 1).sum()), "n_coders": int(rated.any(0).sum()),
              "n_ratings": int(per_unit.sum()), "n_pairable_units": int((per_unit >= 2).sum())}
    lo_q, hi_q = 100 * (1 - ci) / 2, 100 * (1 + ci) / 2
    rows = []
    for key, value in est.items():
        low = high = np.nan
        if boot is not None and not math.isnan(value):
            finite = boot[key][np.isfinite(boot[key])]
            if len(finite) >= 0.5 * n_boot:
                low, high = np.percentile(finite, [lo_q, hi_q])
            else:
                notes[key] = (notes.get(key, "") + "; " if notes.get(key) else "") + \
                    f"CI not reported: the coefficient is undefined in {n_boot - len(finite)} of {n_boot} resamples"
        rows.append({
            "coefficient": key, "estimate": value, "ci_low": float(low), "ci_high": float(high),
            "interpretation": interpret(key, value), **counts, "n_boot": int(n_boot),
            "seed": int(seed) if n_boot else np.nan, "note": notes.get(key, ""),
        })
    table = pd.DataFrame(rows)
    if boot is not None and "krippendorff_alpha" in boot and not math.isnan(est.get("krippendorff_alpha", np.nan)):
        # Hayes & Krippendorff (2007): the probability q of failing to reach a minimum alpha, read off the
        # bootstrap distribution (of units, here; KALPHA resamples pairable values)
        sample = boot["krippendorff_alpha"]
        sample = sample[np.isfinite(sample)]
        if len(sample) >= 0.5 * n_boot:
            table.attrs["alpha_below"] = {m: float((sample < m).mean()) for m in ALPHA_MINIMA}
    return table


def agreement_table(data: pd.DataFrame, unit: str = "unit", coder: str = "coder", value: str = "value",
                    level: str = "nominal", weights: str | None = None, distance: str | None = None,
                    multilabel_sep: str | None = None, categories: Sequence | None = None,
                    n_boot: int = 0, seed: int = 0, masi_m: Sequence[float] = MASI_M,
                    label: str = "ratings", ci: float = 0.95, details: bool = False):
    """All coefficients for a long ratings table, as a tidy DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit × coder; empty values are missing ratings.
    unit, coder, value : str
        Column names.
    level : {'nominal', 'ordinal', 'interval', 'ratio'}
        Krippendorff's alpha metric (without ``weights``).
    weights : str or array, optional
        Agreement weights (see :func:`agreement_weights`) for every
        chance-corrected coefficient, Krippendorff's alpha included (its
        difference is ``1 - w``), as irrCAC does (Cohen 1968; Gwet 2014).
        Percent agreement is then weighted agreement and ``gwet_ac1`` is AC2;
        the notes say so.
    distance : {None, 'masi', 'jaccard'}
        With ``multilabel_sep``: the set distance for alpha.
    multilabel_sep : str, optional
        Values are sets of labels separated by this string (``{}`` or ``∅``
        is the empty set).
    categories : sequence, optional
        The categories in their order, unused ones included (they change q,
        and so AC1 and Brennan-Prediger); default: the values observed, in
        numeric order where they are numbers.  Text labels have no order, so
        ``ordinal`` and ``weights`` need this (or numeric values).
    n_boot, seed : int
        Bootstrap resamples of units (0 = no CIs) and the random seed.
    ci : float
        Confidence level of the intervals (default 0.95).
    details : bool
        Also return :func:`category_table` and :func:`pairwise_table` (the
        latter empty for counts, whose coders are anonymous).
    label : str
        What to call the data in error messages (the calculator passes the file name).

    Returns
    -------
    pandas.DataFrame
        ``coefficient, estimate, ci_low, ci_high, interpretation, n_units,
        n_coders, n_ratings, n_pairable_units, n_boot, seed, note`` and the
        analytic ``se, se_ci_low, se_ci_high, p_value`` where Gwet's variance
        formulas apply (:func:`gwet_variance`; ``ci_low``/``ci_high`` are the
        bootstrap's).

    Examples
    --------
    >>> df = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ababab"), "value": [1, 1, 0, 0, 1, 0]})
    >>> round(agreement_table(df).set_index("coefficient").loc["percent_agreement", "estimate"], 3)
    0.667
    """
    if not 0 < ci < 1:
        raise InputError(f"CI level {ci}: give a level between 0 and 1, e.g. 0.95")
    if weights_name(weights) and level != "nominal":
        raise InputError(f"weights and level '{level}' both given: with weights every coefficient, Krippendorff's "
                         "alpha included, uses them; drop one")
    if categories is None and data.attrs.get("categories") is not None:  # named by a counts or contingency table
        categories = data.attrs["categories"]
    df = data
    if multilabel_sep is not None:
        df = data.assign(**{value: parse_sets(data[value], multilabel_sep)})
        hollow = df[value].map(lambda v: v == frozenset()) & ~data[value].map(
            lambda v: _is_missing(v) or str(v).strip() in EMPTY_SET_TOKENS)
        if hollow.any():
            lines = data.attrs.get("lines") or list(range(2, len(data) + 2))
            at = ", ".join(str(lines[i]) for i in np.flatnonzero(hollow.to_numpy())[:10])
            raise InputError(f"{label} › line(s) {at}: a value holds separators but no label; write "
                             f"{EMPTY_SET_TOKENS[0]} for no code, or leave it empty for no rating")
        distance = distance or "masi"
    r = ratings_from_long(df, unit, coder, value, categories, label=label)
    if r.multilabel and (weights_name(weights) or level != "nominal"):
        raise InputError("sets of codes are compared by a set distance (--distance masi or jaccard), "
                         "not by --weights or --level")
    if distance is not None and not r.multilabel and r.categories:
        raise InputError(f"distance '{distance}' compares sets of codes: give their separator (--multilabel-sep)")
    if categories is None and (level == "ordinal" or weights_name(weights)) and _numeric(r.categories) is None:
        raise InputError(f"{label}: the values are text labels ({', '.join(map(str, r.categories[:5]))}), which have "
                         "no order; give it with --categories (lowest first), e.g. --categories low,medium,high")
    table = compute([r], weights=weights, level=level, distance=distance, n_boot=n_boot, seed=seed, masi_m=masi_m,
                    ci=ci)[0]
    _add_analytic(table, r, weights, level, ci)
    if not data.attrs.get("coders_known", True):
        # counts say how many coders chose each category, not who: coder-specific coefficients are not identified
        anonymous = table["coefficient"].isin(["cohen_kappa", "conger_kappa", "scott_pi", *TWO_CODER_KEYS])
        table.loc[anonymous, ["estimate", "ci_low", "ci_high", "se", "se_ci_low", "se_ci_high", "p_value"]] = np.nan
        table.loc[anonymous, "interpretation"] = ""
        table.loc[anonymous, "note"] = "not defined for counts, which do not say which coder gave which rating"
    if details:
        pairs = pairwise_table(r) if data.attrs.get("coders_known", True) else pairwise_table(Ratings(
            np.empty((0, 0), dtype=np.int64), r.categories))
        return table, category_table(r, n_boot, seed, ci), pairs
    return table


def category_table(r: Ratings, n_boot: int = 0, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Agreement on each category: Fleiss' (1971) per-category kappa, with bootstrap CIs.

    Each category against all the others, as a binary rating: with complete
    data this is Fleiss' ``kappa_j = 1 - sum_i x_ij (m - x_ij) /
    (N m (m - 1) p_j q_j)``; with missing ratings Gwet's form of Fleiss'
    kappa on the binary ratings.  ``share`` is the category's share of all
    ratings.

    Returns
    -------
    pandas.DataFrame
        ``category, share, kappa, ci_low, ci_high, note``.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many
    raters. *Psychological Bulletin*, 76(5), 378-382.
    """
    cols = ["category", "share", "kappa", "ci_low", "ci_high", "note"]
    if r.multilabel or r.q < 2:
        return pd.DataFrame(columns=cols)
    rated = r.X >= 0
    binary = [Ratings(np.where(rated, (r.X == k).astype(np.int64), -1), [0, 1], r.units, r.coders)
              for k in range(r.q)]
    tables = compute(binary, n_boot=n_boot, seed=seed, ci=ci)
    rows = []
    for k, t in enumerate(tables):
        row = t.set_index("coefficient").loc["fleiss_kappa"]
        rows.append((r.categories[k], float((r.X == k).sum() / max(rated.sum(), 1)), row["estimate"],
                     row["ci_low"], row["ci_high"], row["note"]))
    return pd.DataFrame(rows, columns=cols)


def pairwise_table(r: Ratings) -> pd.DataFrame:
    """Every pair of coders: units both rated, percent agreement and Cohen's kappa; Light's kappa is their mean.

    Returns
    -------
    pandas.DataFrame
        ``coder_a, coder_b, n_units, percent_agreement, cohen_kappa``; its
        ``attrs["light_kappa"]`` is Light's (1971) kappa, the mean of the
        pairs' Cohen's kappas (NaN if any is undefined), as R's
        ``irr::kappam.light`` computes it.

    References
    ----------
    Light, R. J. (1971). Measures of response agreement for qualitative data:
    some generalizations and alternatives. *Psychological Bulletin*, 76(5),
    365-377.
    """
    cols = ["coder_a", "coder_b", "n_units", "percent_agreement", "cohen_kappa"]
    rows = []
    if not r.multilabel:
        for a, b in itertools.combinations(range(r.X.shape[1]), 2):
            both = (r.X[:, a] >= 0) & (r.X[:, b] >= 0)
            pair = Ratings(r.X[both][:, [a, b]], r.categories, [], [r.coders[a], r.coders[b]])
            est = _apply(_prepare([pair]), np.ones((1, int(both.sum()))))[0] if both.any() else {}
            rows.append((r.coders[a], r.coders[b], int(both.sum()),
                         float(est["percent_agreement"][0]) if est else np.nan,
                         float(est["cohen_kappa"][0]) if est else np.nan))
    table = pd.DataFrame(rows, columns=cols)
    kappas = table["cohen_kappa"].to_numpy(dtype=float)
    table.attrs["light_kappa"] = float(kappas.mean()) if len(kappas) and np.isfinite(kappas).all() else np.nan
    return table


def _add_analytic(table: pd.DataFrame, r: Ratings, weights, level: str, ci: float) -> None:
    """Columns ``se``, ``se_ci_low``, ``se_ci_high`` (Student's t) and ``p_value`` from :func:`gwet_variance`."""
    for col in ("se", "se_ci_low", "se_ci_high", "p_value"):
        table[col] = np.nan
    if r.multilabel or r.q < 2:
        return
    w = agreement_weights(r.categories, weights)
    delta = 1.0 - w if weights_name(weights) else difference(r.categories, level)
    est = table.set_index("coefficient")["estimate"]
    found = gwet_variance(r, w, delta)
    ase = cohen_ase(r, w)
    if ase is not None:
        found["cohen_kappa"] = ase
    for key, (se, df) in found.items():
        if key in est.index and np.isfinite(est[key]):
            row = table.index[table["coefficient"] == key][0]
            table.loc[row, ["se", "se_ci_low", "se_ci_high", "p_value"]] = (se, *analytic_interval(est[key], se, df, ci))


def _single(key: str):
    def coefficient(data: pd.DataFrame, unit: str = "unit", coder: str = "coder", value: str = "value", **kwargs) -> float:
        table = agreement_table(data, unit, coder, value, **kwargs)
        return float(table.set_index("coefficient").loc[key, "estimate"])
    coefficient.__name__ = key
    coefficient.__doc__ = f"``{key}`` of a long ratings table (see :func:`agreement_table` for the arguments)."
    return coefficient


percent_agreement = _single("percent_agreement")
cohen_kappa = _single("cohen_kappa")
scott_pi = _single("scott_pi")
fleiss_kappa = _single("fleiss_kappa")
conger_kappa = _single("conger_kappa")
krippendorff_alpha = _single("krippendorff_alpha")
gwet_ac1 = _single("gwet_ac1")
brennan_prediger = _single("brennan_prediger")


def as_json(table: pd.DataFrame, level: str, extra: dict | None = None) -> dict:
    """The calculator's JSON object: every key (null where not applicable), counts, level and CIs.

    ``extra`` adds keys (the calculator adds ``weights``, ``categories``
    and ``ci_level``).
    """
    t = table.set_index("coefficient")
    obj: dict = {}
    for key in KEYS:
        v = t.loc[key, "estimate"] if key in t.index else np.nan
        obj[key] = None if pd.isna(v) else float(v)
    for key in TWO_CODER_KEYS:
        if key in t.index and not pd.isna(t.loc[key, "estimate"]):
            obj[key] = float(t.loc[key, "estimate"])
    first = table.iloc[0]
    obj.update({"n_units": int(first["n_units"]), "n_coders": int(first["n_coders"]),
                "n_ratings": int(first["n_ratings"]), "level": level})
    if int(first["n_boot"]):
        obj["ci"] = {k: (None if pd.isna(t.loc[k, "ci_low"]) else [float(t.loc[k, "ci_low"]), float(t.loc[k, "ci_high"])])
                     for k in KEYS if k in t.index}
        obj["n_boot"] = int(first["n_boot"])
        obj["seed"] = int(first["seed"])
    if "se" in t.columns:
        def each(col):
            return {k: (None if k not in t.index or pd.isna(t.loc[k, col]) else float(t.loc[k, col])) for k in KEYS}
        obj["se"] = each("se")
        obj["p_value"] = each("p_value")
        obj["se_ci"] = {k: (None if obj["se"][k] is None else [float(t.loc[k, "se_ci_low"]), float(t.loc[k, "se_ci_high"])])
                        for k in KEYS}
    if table.attrs.get("alpha_below"):
        obj["p_alpha_below"] = {f"{m:g}": q for m, q in table.attrs["alpha_below"].items()}
    obj["notes"] = {k: t.loc[k, "note"] for k in t.index if t.loc[k, "note"]}
    obj["interpretation"] = {k: t.loc[k, "interpretation"] for k in t.index if t.loc[k, "interpretation"]}
    if extra:
        obj.update(extra)
    return obj


# =========================================================================== the study's codings


def code_ratings(codings: pd.DataFrame, code_ids: Sequence[str]) -> tuple[list[Ratings], list[Hashable], list[str]]:
    """One binary (present/absent) :class:`Ratings` per code, over the same units and coders.

    A unit a coder has not coded is missing for every code.
    """
    unit_codes, units = pd.factorize(codings["unit_id"], sort=False)
    coders = sorted(pd.unique(codings["coder"]))
    coder_codes = pd.Index(coders).get_indexer(codings["coder"])
    code_codes = pd.Index(list(code_ids)).get_indexer(codings["code_id"])
    known = code_codes >= 0
    X = np.full((len(code_ids), len(units), len(coders)), -1, dtype=np.int64)
    X[code_codes[known], unit_codes[known], coder_codes[known]] = codings["applied"].to_numpy(dtype=np.int64)[known]
    units = list(units)
    return [Ratings(X[k], [0, 1], units, coders) for k in range(len(code_ids))], units, coders


def set_ratings(codings: pd.DataFrame) -> Ratings:
    """The set of codes each coder gave each unit (empty set = no code applies; uncoded = missing)."""
    # Each coder's set of codes on a unit as a bit pattern (vectorised), decoded
    # into frozensets only for the distinct patterns.
    unit_codes, units = pd.factorize(codings["unit_id"], sort=False)
    coders = sorted(pd.unique(codings["coder"]))
    coder_codes = pd.Index(coders).get_indexer(codings["coder"])
    code_codes, code_names = pd.factorize(codings["code_id"], sort=True)
    n_codes = len(code_names)
    bits = np.zeros((len(units), len(coders), (n_codes + 62) // 63), dtype=np.int64)
    coded = np.zeros((len(units), len(coders)), dtype=bool)
    coded[unit_codes, coder_codes] = True
    on = codings["applied"].to_numpy() == 1
    word, bit = np.divmod(code_codes[on], 63)
    np.bitwise_or.at(bits, (unit_codes[on], coder_codes[on], word), np.left_shift(1, bit).astype(np.int64))
    flat = bits.reshape(-1, bits.shape[-1])
    patterns, inverse = np.unique(flat, axis=0, return_inverse=True)
    cats = [frozenset(code_names[w * 63 + b] for w in range(p.shape[0]) for b in range(63) if (int(p[w]) >> b) & 1)
            for p in patterns]
    order = sorted(range(len(cats)), key=lambda i: _sort_key(cats[i]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    X = rank[inverse.ravel()].reshape(len(units), len(coders))
    used = np.unique(X[coded]) if coded.any() else np.array([], dtype=np.int64)
    remap = np.full(len(cats), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    X = np.where(coded, remap[X], -1)
    return Ratings(X, [cats[order[i]] for i in used], list(units), coders)


def _pooled(codes: list[Ratings]) -> tuple[Ratings, np.ndarray]:
    """All unit × code decisions as one binary rating set, and each item's unit index."""
    X = np.vstack([r.X for r in codes])
    unit_of = np.tile(np.arange(codes[0].X.shape[0]), len(codes))
    return Ratings(X, [0, 1], list(range(X.shape[0])), codes[0].coders), unit_of


def by_code(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per round × code: every coefficient (present/absent), CIs, prevalence.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, coefficient, estimate, ci_low, ci_high,
        interpretation, prevalence, n_units, n_coders, n_ratings,
        n_pairable_units, n_boot, seed, note``.
    """
    frames = []
    for rnd, grp in codings.groupby("round", sort=True):
        sets, units, _ = code_ratings(grp, code_ids)
        tables = compute(sets, n_boot=n_boot, seed=seed)
        for cid, r, t in zip(code_ids, sets, tables):
            rated = r.X >= 0
            t.insert(0, "code_id", cid)
            t.insert(0, "round", rnd)
            t.insert(6, "prevalence", float((r.X == 1).sum() / rated.sum()) if rated.any() else np.nan)
            frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def overall(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0,
            distances: Sequence[str] = DISTANCES) -> pd.DataFrame:
    """Per round: multi-label alpha (MASI and Jaccard) and coefficients pooled over all unit × code decisions.

    The pooled rows resample whole units (all their codes together), so the
    CIs respect that decisions on one unit are not independent.
    """
    frames = []
    for rnd, grp in codings.groupby("round", sort=True):
        r_sets = set_ratings(grp)
        for distance in distances:
            t = _with_U(r_sets, n_boot=n_boot, seed=seed, distance=distance)
            t = t[t["coefficient"] == "krippendorff_alpha"].assign(coefficient=f"krippendorff_alpha_{distance}")
            frames.append(t.assign(round=rnd, scope="sets of codes per unit"))
        codes, units, _ = code_ratings(grp, code_ids)
        # the same units, in the order of set_ratings, for comparable resamples
        order = {u: i for i, u in enumerate(units)}
        perm = np.array([order[u] for u in r_sets.units])
        codes = [Ratings(c.X[perm], c.categories, r_sets.units, c.coders) for c in codes]
        pooled, unit_of = _pooled(codes)
        t = _with_U(pooled, n_boot=n_boot, seed=seed, unit_of=unit_of)
        # counts are of units (the resampled clusters); n_ratings counts decisions
        t["n_units"] = len(r_sets.units)
        t["n_pairable_units"] = int(((r_sets.X >= 0).sum(1) >= 2).sum())
        frames.append(t.assign(round=rnd, scope="all unit × code decisions"))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    first = ["round", "scope"]
    return out[first + [c for c in out.columns if c not in first]]


def _with_U(r: Ratings, n_boot: int, seed: int, distance: str | None = None,
            unit_of: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`compute` for one rating set whose rows may be items clustered in units (cluster bootstrap)."""
    n_units = r.X.shape[0] if unit_of is None else int(unit_of.max()) + 1
    points, boots = _point_and_bootstrap([r], n_units, n_boot, seed, distance=distance, unit_of=unit_of)
    est = {k: float(v[0]) for k, v in points[0].items()}
    return _table(r, est, boots[0] if boots is not None else None, n_boot, seed)


def pairwise(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per round × pair of coders: Cohen's kappa and percent agreement per code, and over all codes.

    ``code_id`` is ``(all codes)`` for the multi-label MASI alpha and the
    pooled Cohen's kappa of the pair.
    """
    frames = []
    for rnd, grp in codings.groupby("round", sort=True):
        coders = sorted(set(grp["coder"]))
        for a, b in itertools.combinations(coders, 2):
            pair = grp[grp["coder"].isin([a, b])]
            tables = by_code(pair, code_ids, n_boot=n_boot, seed=seed)
            keep = tables[tables["coefficient"].isin(["cohen_kappa", "percent_agreement"])]
            alls = overall(pair, code_ids, n_boot=n_boot, seed=seed, distances=("masi",))
            alls = alls[alls["coefficient"].isin(["krippendorff_alpha_masi", "cohen_kappa", "percent_agreement"])]
            alls = alls.assign(code_id="(all codes)").drop(columns="scope")
            both = pd.concat([keep.drop(columns="prevalence"), alls], ignore_index=True)
            frames.append(both.assign(round=rnd, coder_a=a, coder_b=b))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    first = ["round", "coder_a", "coder_b", "code_id"]
    return out[first + [c for c in out.columns if c not in first]]


def disagreements(codings: pd.DataFrame) -> pd.DataFrame:
    """Unit × code cells where the coders who coded the unit did not all agree.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, unit_id, n_coders, n_applied, applied_by, not_applied_by``.
    """
    g = codings.groupby(["round", "code_id", "unit_id"], sort=False)["applied"]
    stats = g.agg(n_coders="size", n_applied="sum").reset_index()
    split = stats[(stats["n_applied"] > 0) & (stats["n_applied"] < stats["n_coders"])]
    if split.empty:
        return pd.DataFrame(columns=["round", "code_id", "unit_id", "n_coders", "n_applied", "applied_by", "not_applied_by"])
    sub = codings.merge(split[["round", "code_id", "unit_id"]], on=["round", "code_id", "unit_id"])
    who = sub.groupby(["round", "code_id", "unit_id", "applied"], sort=False)["coder"].agg(lambda s: ", ".join(sorted(s)))
    who = who.unstack("applied").rename(columns={1: "applied_by", 0: "not_applied_by"}).reset_index()
    out = split.merge(who, on=["round", "code_id", "unit_id"], how="left")
    return out[["round", "code_id", "unit_id", "n_coders", "n_applied", "applied_by", "not_applied_by"]]


# =========================================================================== files


_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
SHAPES = ("long", "wide", "counts", "table")
#: Most ratings a counts or contingency table may stand for (each count becomes that many ratings).
MAX_COUNTED = 10_000_000


def read_ratings_csv(path, unit: str = "unit", coder: str = "coder", value: str = "value",
                     numeric: bool = False, missing: Sequence[str] = (), categories: Sequence[str] | None = None,
                     why: str = "the level needs numbers", shape: str = "long",
                     max_bytes: int = 200 * 1024 * 1024) -> pd.DataFrame:
    """Read a ratings table (CSV, TSV or Excel's UTF-16 "Unicode text") for the calculator, as long data.

    Shapes (``shape``), reshaped apart from the statistics as statsmodels'
    ``inter_rater`` does:

    ``long``
        One row per unit × coder, columns ``unit``, ``coder``, ``value``.
    ``wide``
        One row per unit: the ``unit`` column (else the first) and one
        column per coder, headed by the coder's name.
    ``counts``
        One row per unit: the unit, then one column per category holding
        how many coders chose it (Fleiss 1971; irrCAC's "distribution").
        Which coder gave which rating is not known (``attrs["coders_known"]``
        is False) and the header gives the categories and their order.
    ``table``
        Two coders' contingency table: the header row names the second
        coder's categories, each row starts with the first coder's category
        and holds counts of units.

    Ids and values are trimmed.  An empty cell, or one of the ``missing``
    tokens (``NA``, ``.``, ``-99`` …), is a missing rating.  Values stay
    labels exactly as written (``01`` and ``1`` are two categories) unless
    ``numeric``, when each must be a number (a decimal comma, ``1,5``, is
    read where no value uses a decimal point).  With ``categories``, every
    value must be one of them.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``coder``, ``value`` as named; ``attrs["lines"]``
        gives each row's line in the file, ``attrs["categories"]`` the
        categories a counts or contingency table names.

    Raises
    ------
    InputError
        Unreadable file, missing columns, a value outside ``categories``, or
        a value that is not a number where numbers are needed, with its line
        and how to mark it missing.
    """
    from pathlib import Path

    from . import files

    path = Path(path)
    if shape not in SHAPES:
        raise InputError(f"shape '{shape}': use one of {', '.join(SHAPES)}")
    expected = {"long": f"a header row with {unit}, {coder}, {value}", "wide": "a header row naming the coders",
                "counts": "a header row naming the categories", "table": "a header row naming the categories"}[shape]
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path.name}: empty file (expected {expected})")
    files.check_input(path, None, max_bytes, path.name)
    if len({unit, coder, value}) < 3:
        raise InputError(f"--unit, --coder and --value must name three different columns (got {unit}, {coder}, {value})")
    numbered = [(n, r) for n, r in files.read_text_rows(path) if any(x.strip() for x in r)]
    if not numbered:
        raise InputError(f"{path.name}: empty file (expected {expected})")
    head_line, first = numbered[0]
    header = [h.strip() for h in first]
    named = header if shape != "table" else header[1:]
    twice = sorted({h for h in named if h and named.count(h) > 1})
    if twice:
        raise InputError(f"{path.name} › line {head_line}: column(s) {', '.join(twice)} appear more than once")
    if len(numbered) < 2:
        raise InputError(f"{path.name}: a header row but no ratings")
    for n, r in numbered[1:]:
        if any("\n" in x or "\r" in x for x in r):
            raise InputError(f"{path.name} › line {n}: a value runs over several lines (an unclosed quote?)")
    rows = [(n, [x.strip() for x in r] + [""] * (len(header) - len(r))) for n, r in numbered[1:]]
    df, shape_categories = _reshape(shape, path.name, head_line, header, rows, unit, coder, value)
    lines = df.pop("_line").tolist()
    nameless = df[(df[unit] == "") & (df[value] != "")]
    if len(nameless):
        raise InputError(f"{path.name} › line(s) {', '.join(str(lines[i]) for i in nameless.index[:10])}: "
                         "a rating without a unit id")
    tokens = {t.strip() for t in missing if t.strip()}
    present = (df[value] != "") & ~df[value].isin(tokens)

    def where(bad: pd.Series) -> str:
        shown = sorted(set(bad), key=str)[:5]
        at = sorted({lines[i] for i in bad.index})
        return (f"{path.name} › line(s) {', '.join(map(str, at[:10]))}"
                f"{' …' if len(at) > 10 else ''}: value(s) {', '.join(repr(v) for v in shown)}")

    if categories is not None:
        names = [str(c).strip() for c in categories]
        outside = df.loc[present & ~df[value].isin(names), value]
        if len(outside):
            raise InputError(f"{where(outside)} are not among the categories ({', '.join(names)}); add them to "
                             f"--categories, or list them in --missing if they mean no rating")
    if numeric:
        text = df.loc[present, value]
        if not text.str.contains(".", regex=False).any():
            text = text.where(~text.str.match(_DECIMAL_COMMA), text.str.replace(",", ".", regex=False))
        as_num = pd.to_numeric(text, errors="coerce")
        bad = df.loc[as_num[as_num.isna()].index, value]
        if len(bad) and as_num.notna().sum() == 0:
            shown = ", ".join(sorted(set(bad), key=str)[:5])
            raise InputError(f"{path.name}: the values are text labels ({shown}), not numbers ({why}); give the "
                             "labels in their order with --categories (lowest first), e.g. --categories low,medium,high")
        if len(bad):
            raise InputError(f"{where(bad)} are not numbers ({why}); list them in --missing if they mean no "
                             "rating (e.g. --missing NA)")
        df[value] = None
        df.loc[present, value] = [int(v) if float(v).is_integer() else float(v) for v in as_num]
        if shape_categories is not None:  # the header's categories, unused ones included, as numbers
            as_cat = pd.to_numeric(pd.Series(shape_categories).str.replace(",", "."), errors="coerce")
            if as_cat.isna().any():
                raise InputError(f"{path.name} › line {head_line}: categories "
                                 f"{', '.join(repr(c) for c in np.array(shape_categories)[as_cat.isna()][:5])} "
                                 f"are not numbers ({why})")
            shape_categories = sorted({int(v) if float(v).is_integer() else float(v) for v in as_cat}, key=_sort_key)
    df.loc[~present, value] = None
    df.attrs["lines"] = lines  # each row's line in the file, for messages
    df.attrs["coders_known"] = shape != "counts"
    if shape_categories is not None:
        df.attrs["categories"] = [c for c in shape_categories if c not in tokens]
    return df


def _reshape(shape: str, label: str, head_line: int, header: list[str], rows: list[tuple[int, list[str]]],
             unit: str, coder: str, value: str) -> tuple[pd.DataFrame, list[str] | None]:
    """Any of :data:`SHAPES` as long rows (unit, coder, value, _line), and the categories the shape names."""
    def table(records) -> pd.DataFrame:
        return pd.DataFrame(records, columns=[unit, coder, value, "_line"])

    if shape == "long":
        absent = [c for c in (unit, coder, value) if c not in header]
        if absent:
            raise InputError(f"{label} › line {head_line}: no column(s) {', '.join(absent)} (columns are "
                             f"{', '.join(header)}); name them with --unit, --coder, --value, or give the shape "
                             "with --shape wide|counts|table")
        j = [header.index(c) for c in (unit, coder, value)]
        return table([(r[j[0]], r[j[1]], r[j[2]], n) for n, r in rows]), None
    if shape == "wide":
        u = header.index(unit) if unit in header else 0
        coders = [(j, h) for j, h in enumerate(header) if j != u and h]
        if not coders:
            raise InputError(f"{label} › line {head_line}: no coder columns (the header names the coders)")
        return table([(r[u], name, r[j], n) for n, r in rows for j, name in coders]), None
    # counts and contingency tables: each cell is how many ratings (or units) it stands for
    first = 0 if shape == "counts" else 1
    cats = [h for h in header[first:] if h] if shape == "table" else [h for j, h in enumerate(header) if j and h]
    records, total = [], 0
    for n, r in rows:
        for j, name in enumerate(header):
            if j == 0 or not name:
                continue
            cell = r[j]
            if cell and not cell.isdigit():
                raise InputError(f"{label} › line {n}: '{cell}' under '{name}' is not a count (a whole number)")
            k = int(cell or 0)
            total += k
            if total > MAX_COUNTED:
                raise InputError(f"{label} › line {n}: the counts add up to more than {MAX_COUNTED:,} ratings")
            if shape == "counts":
                records.extend((r[0], None, name, n) for _ in range(k))
            else:
                if r[0] and r[0] not in cats:
                    cats.append(r[0])
                records.extend((None, None, (r[0], name), n) for _ in range(k))
    if shape == "counts":
        from collections import Counter

        twice = sorted(u for u, k in Counter(r[0] for _, r in rows).items() if k > 1)
        if twice:
            raise InputError(f"{label}: unit(s) {', '.join(twice[:5])} have two rows of counts")
        out, seen = [], {}
        for uid, _, cat, n in records:  # coders are anonymous: the i-th rating of a unit is "coder i"
            seen[uid] = seen.get(uid, 0) + 1
            out.append((uid, str(seen[uid]), cat, n))
        return table(out), cats
    out = []
    for i, (_, _, (a, b), n) in enumerate(records):
        out += [(f"pair {i + 1}", "rows", a, n), (f"pair {i + 1}", "columns", b, n)]
    return table(out), cats


def run(paths=None, n_boot: int = DEFAULT_BOOT, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Stage: ``codings.csv`` -> ``agreement_by_code.csv``, ``agreement_pairwise.csv``,
    ``agreement_overall.csv`` and ``disagreements.csv``.

    Codes are taken in the order of the codebook each round was coded with.
    The bootstrap seed and resample count are written into every row and the
    manifest.
    """
    from . import codebook as cbmod
    from . import files, provenance
    from .paths import Paths
    from .sheets import read_codings, read_rounds

    paths = paths or Paths.from_root()
    codings = read_codings(paths)
    rounds = read_rounds(paths)
    books = {}
    for p in cbmod.available(paths):
        b = cbmod.load(p)
        books[b.full_version] = b
    results: dict[str, list[pd.DataFrame]] = {"by_code": [], "pairwise": [], "overall": []}
    for rnd, grp in codings.groupby("round", sort=True):
        version = rounds.loc[rounds["round"] == rnd, "codebook_version"].iloc[0]
        ids = books[version].ids if version in books else list(dict.fromkeys(grp["code_id"]))
        results["by_code"].append(by_code(grp, ids, n_boot, seed))
        results["pairwise"].append(pairwise(grp, ids, n_boot, seed))
        results["overall"].append(overall(grp, ids, n_boot, seed))
    out = {k: (pd.concat(v, ignore_index=True) if v else pd.DataFrame()) for k, v in results.items()}
    out["disagreements"] = disagreements(codings)
    targets = {"by_code": paths.agreement_by_code, "pairwise": paths.agreement_pairwise,
               "overall": paths.agreement_overall, "disagreements": paths.disagreements}
    written = [files.write_csv(out[k], targets[k]) for k in targets]
    provenance.record(paths, "agreement", inputs=[paths.codings, paths.rounds], outputs=written,
                      parameters={"n_boot": n_boot, "seed": seed, "ci": "95% percentile bootstrap over units"})
    return out


def read_table(path) -> pd.DataFrame:
    """An ``agreement_*.csv`` written by :func:`run`."""
    from . import files

    return files.read_csv(path, text=("round", "code_id", "coefficient", "interpretation", "note", "scope",
                                      "coder_a", "coder_b", "applied_by", "not_applied_by", "unit_id"))


def tables(paths=None, round_: str | None = None, coders: Sequence[str] | None = None,
           n_boot: int | None = None, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """Agreement tables for a notebook: the stored ones, or recomputed for other parameters.

    With every parameter None (or equal to the stored run's), the
    ``agreement_*.csv`` written by :func:`run` are read; a different subset
    of coders, number of resamples or seed recomputes them from
    ``codings.csv`` (nothing is written).  ``round_`` filters either way.
    """
    from . import codebook as cbmod
    from . import provenance
    from .paths import Paths
    from .sheets import read_codings, read_rounds

    paths = paths or Paths.from_root()
    stored = provenance.load(paths).get("stages", {}).get("agreement", {}).get("parameters", {})
    same = (coders is None and (n_boot is None or n_boot == stored.get("n_boot"))
            and (seed is None or seed == stored.get("seed")))
    if same and paths.agreement_by_code.is_file():
        out = {"by_code": read_table(paths.agreement_by_code), "pairwise": read_table(paths.agreement_pairwise),
               "overall": read_table(paths.agreement_overall)}
    else:
        codings = read_codings(paths)
        if coders is not None:
            codings = codings[codings["coder"].isin(list(coders))]
            if codings["coder"].nunique() < 2:
                raise InputError(f"coders {list(coders)}: at least two coders with codings are needed")
        rounds = read_rounds(paths)
        n_boot = stored.get("n_boot", DEFAULT_BOOT) if n_boot is None else n_boot
        seed = stored.get("seed", 0) if seed is None else seed
        parts: dict[str, list[pd.DataFrame]] = {"by_code": [], "pairwise": [], "overall": []}
        for rnd, grp in codings.groupby("round", sort=True):
            if round_ is not None and rnd != round_:
                continue
            version = rounds.loc[rounds["round"] == rnd, "codebook_version"].iloc[0]
            ids = cbmod.find(paths, version).ids
            parts["by_code"].append(by_code(grp, ids, n_boot, seed))
            parts["pairwise"].append(pairwise(grp, ids, n_boot, seed))
            parts["overall"].append(overall(grp, ids, n_boot, seed))
        out = {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame() for k, v in parts.items()}
    if round_ is not None:
        out = {k: v[v["round"] == round_].reset_index(drop=True) if len(v) else v for k, v in out.items()}
        if out["by_code"].empty:
            raise InputError(f"round '{round_}': no agreement results")
    return out
