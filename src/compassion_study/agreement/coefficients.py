"""The coefficients: per-unit sufficient statistics, summed with unit weights, turned into every coefficient.

See the package docstring for the formulas and references.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .ratings import Ratings
from .weights import MASI_M, SetDistance, _ordinal_difference, agreement_weights, difference, set_distance


KEYS = ("percent_agreement", "cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa",
        "krippendorff_alpha", "gwet_ac1", "brennan_prediger")


TWO_CODER_KEYS = ("prevalence_index", "bias_index", "pabak")


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
        # _apply (_category_sums), never as a dense units x sets matrix.
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


def _category_matrix(X: np.ndarray, q: int, mask: np.ndarray, n_units: int,
                     unit_of: np.ndarray | None = None) -> sparse.csr_matrix:
    """Sparse units × categories counts ``#{g : X[i, g] = k}`` over the rows in ``mask``.

    ``U @ M`` then gives every resample's category totals in one sparse
    product, where a dense one-hot matrix would be units × sets (hundreds of
    distinct sets of codes) and a loop over coders would gather ``U`` once per
    coder.
    """
    rows, cols = [], []
    for g in range(X.shape[1]):
        idx = np.flatnonzero((X[:, g] >= 0) & mask)
        rows.append(idx if unit_of is None else unit_of[idx])
        cols.append(X[idx, g])
    rows, cols = np.concatenate(rows), np.concatenate(cols).astype(np.int64)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_units, q))


def _category_sums(U: np.ndarray, M: sparse.csr_matrix) -> np.ndarray:
    """``U @ M`` (resamples × categories) as a dense array; scipy's sparse × dense kernel runs on ``M.T``."""
    return np.asarray((M.T @ U.T).T)


def _unit_disagreement(X: np.ndarray, delta: np.ndarray | SetDistance, r_i: np.ndarray) -> np.ndarray:
    """``sum over ordered coder pairs of delta(x_ia, x_ib) / (r_i - 1)`` per pairable unit."""
    N, R = X.shape
    d = np.zeros(N)
    for a, b in itertools.permutations(range(R), 2):
        ok = (X[:, a] >= 0) & (X[:, b] >= 0)
        d[ok] += delta.pairs(X[ok, a], X[ok, b]) if isinstance(delta, SetDistance) else delta[X[ok, a], X[ok, b]]
    return np.where(r_i >= 2, d / np.where(r_i >= 2, r_i - 1, 1), 0.0)


def _alpha(D_o_num: np.ndarray, n_k: np.ndarray, delta: np.ndarray | SetDistance) -> np.ndarray:
    """``alpha = 1 - (n - 1) sum o_kl delta_kl / sum n_k n_l delta_kl`` (Krippendorff 2011), rows independent."""
    n = n_k.sum(-1)
    if isinstance(delta, SetDistance):
        D_e_num = delta.expected(n_k)
        scale = n ** 2 * delta.max
    elif delta.ndim == 2:
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
    multilabel: list  # units × categories counts (sparse) for sets of codes, else None


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
            delta = (set_distance(r.categories, distance, masi_m) if r.multilabel and distance is not None
                     else difference(r.categories, level if not r.multilabel else "nominal", None, masi_m))
        F, L = _features(r, w, delta)
        feats.append(F)
        layouts.append(L)
        n = r.X.shape[0] if unit_of is None else (n_units if n_units is not None else int(unit_of.max()) + 1)
        ml.append(_category_matrix(r.X, r.q, (r.X >= 0).sum(1) >= 2, n, unit_of) if r.multilabel else None)
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
    sums: dict[int, np.ndarray] = {}  # a rating set prepared under several distances shares its counts
    for width, L, ml in zip(prep.widths, prep.layouts, prep.multilabel):
        if ml is not None and id(ml) not in sums:
            sums[id(ml)] = _category_sums(U, ml)
        extra = {"n_k": sums[id(ml)]} if ml is not None else None
        out.append(_finish(S_all[:, start:start + width], L, extra))
        start += width
    return out


def _evaluate(sets: Sequence[Ratings], U: np.ndarray, weights: str | None = None, level: str = "nominal",
              distance: str | None = None, masi_m: Sequence[float] = MASI_M,
              unit_of: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
    """Coefficients for several rating sets over the same units and weights ``U``."""
    prep = _prepare(sets, weights, level, distance, masi_m, unit_of, U.shape[1])
    return _apply(prep, U)
