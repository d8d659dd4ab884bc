"""Uncertainty: the bootstrap over units, Gwet's analytic variances, and the tidy table of estimates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .coefficients import _apply, _notes, _prepare, interpret
from .ratings import Ratings
from .weights import MASI_M


DEFAULT_BOOT = 1000


#: Minimum alphas for which the calculator reports P(alpha < minimum), as KALPHA does (Hayes & Krippendorff 2007).
ALPHA_MINIMA = (0.5, 0.6, 0.667, 0.7, 0.8, 0.9)


#: Most resample × unit weights held in memory at once (the bootstrap runs in chunks).
CHUNK_CELLS = 8_000_000


def _weights(rng: np.random.Generator, n_units: int, n: int) -> np.ndarray:
    draws = rng.integers(0, n_units, size=(n, n_units))
    out = np.empty((n, n_units), dtype=np.int32)  # a count never exceeds n_units
    for b in range(n):  # one resample at a time: its counts stay in cache (ten times one flat bincount)
        out[b] = np.bincount(draws[b], minlength=n_units)
    return out


def bootstrap_weights(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """Resampling weights (n_boot × n_units): how often each unit is drawn in each resample."""
    return _weights(np.random.default_rng(seed), n_units, n_boot).astype(float)


#: The last two series of resamples drawn (key -> blocks): a study's per-code, pairwise and overall tables
#: resample the same units with the same seed, so the draws are made once.
_DRAWN: dict[tuple, tuple[np.ndarray, ...]] = {}


def _block(rng: np.random.Generator, n_units: int, n: int) -> np.ndarray:
    w = _weights(rng, n_units, n)
    # kept as small integers, units × resamples: the sparse products take U.T, which is then contiguous
    return np.ascontiguousarray((w.astype(np.uint8) if w.max() < 256 else w).T)


def _weight_blocks(n_units: int, n_boot: int, seed: int, step: int):
    """The resamples in blocks of ``step``, drawn one block ahead on a second thread.

    Drawing (numpy releases the GIL while it fills the draws) then overlaps
    the products that use the block before; the draws are the same as in
    one thread, since one worker makes them in order from one generator.
    """
    from concurrent.futures import ThreadPoolExecutor

    key = (n_units, n_boot, seed, step)
    if key in _DRAWN:
        yield from _DRAWN[key]
        return
    rng = np.random.default_rng(seed)
    sizes = [min(step, n_boot - start) for start in range(0, n_boot, step)]
    blocks = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(_block, rng, n_units, sizes[0]) if sizes else None
        for i in range(len(sizes)):
            block = ahead.result()
            if i + 1 < len(sizes):
                ahead = pool.submit(_block, rng, n_units, sizes[i + 1])
            blocks.append(block)
            yield block
    _DRAWN[key] = tuple(blocks)
    while len(_DRAWN) > 2:
        del _DRAWN[next(iter(_DRAWN))]


def bootstrap_chunks(n_units: int, n_boot: int, seed: int):
    """:func:`bootstrap_weights` in row blocks of at most :data:`CHUNK_CELLS` cells (same draws, bounded memory).

    Each block is a view of one reused buffer, valid until the next block is asked for.
    """
    step = max(1, min(n_boot, CHUNK_CELLS // max(n_units, 1)))
    buffer = np.empty((n_units, step))  # reused: a fresh 64 MB array per block costs as much in page faults
    for block in _weight_blocks(n_units, n_boot, seed, step):
        U = buffer[:, :block.shape[1]]
        np.copyto(U, block)
        yield U.T  # resamples × units, column-major


def _point_and_bootstrap(sets: Sequence[Ratings], n_units: int, n_boot: int, seed: int,
                         unit_of: np.ndarray | None = None, **kw) -> tuple[list, list | None]:
    """Point estimates and every resample's coefficients; features are prepared once for both."""
    prep = _prepare(sets, unit_of=unit_of, n_units=n_units, **kw)
    point = _apply(prep, np.ones((1, n_units)))
    if not n_boot:
        return point, None
    parts = [_apply(prep, U) for U in bootstrap_chunks(n_units, n_boot, seed)]
    return point, [{k: np.concatenate([p[i][k] for p in parts]) for k in parts[0][i]} for i in range(len(sets))]


#: Coefficients with Gwet's (2008, 2014) linearised variance here; the others have the bootstrap only.
SE_KEYS = ("percent_agreement", "cohen_kappa", "scott_pi", "gwet_ac1", "fleiss_kappa", "conger_kappa",
           "brennan_prediger", "krippendorff_alpha")


def gwet_variance(r: Ratings, w: np.ndarray, delta: np.ndarray | None = None) -> dict[str, tuple[float, int]]:
    """Standard errors of p_a, AC1/AC2, Scott's pi, Fleiss' and Conger's kappa, Brennan-Prediger and alpha.

    Gwet's linearisation: each coefficient ``kappa`` gets a per-unit value
    ``kappa*_i = kappa_i - 2 (1 - kappa) (p_e|i - p_e) / (1 - p_e)``, with
    ``kappa_i = (n / n_2) (p_a|i - p_e [r_i >= 2]) / (1 - p_e)``, and
    ``var = sum_i (kappa*_i - kappa)**2 / (n (n - 1))`` over the n rated
    units (Gwet 2008, eq. 27; Gwet 2014, ch. 5); ``p_e|i`` is each
    coefficient's own (Conger's from the coders' marginals; Scott's the same
    with their mean).  Krippendorff's alpha uses
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
    R = X.shape[1]
    if R >= 2:  # Conger's kappa: chance agreement from each coder's own marginals (Gwet 2014, sec. 5.3)
        onehot = (X[:, :, None] == np.arange(q)).astype(float)  # units × coders × categories
        rated = (X >= 0).astype(float)
        n_g = rated.sum(0)
        if (n_g > 0).all():
            p_gk = onehot.sum(0) / n_g[:, None]
            p_bar = p_gk.mean(0)
            s2 = (p_gk.T @ p_gk - R * np.outer(p_bar, p_bar)) / (R - 1)
            p_e = (w * (np.outer(p_bar, p_bar) - s2 / R)).sum()
            share = (rated - n_g / n)[:, :, None] * p_gk[None, :, :]
            B = ((onehot - share) @ w.T) * (n / n_g)[None, :, None]  # each unit's pull on each coder's marginals
            lam = (B * (R * p_bar - p_gk)[None, :, :]).sum((1, 2))
            done = corrected(p_a_i, p_a, p_e, lam / (R * (R - 1)))
            if done is not None:
                out["conger_kappa"] = (done[1], n - 1)
            # Scott's pi: chance from the coders' mean marginals, p_e = sum w pbar_k pbar_l, so each coder's
            # marginal pulls with R pbar_k (Conger's R pbar_k - p_gk without the between-coder variance)
            done = corrected(p_a_i, p_a, p_bar @ w @ p_bar, (B * (R * p_bar)[None, None, :]).sum((1, 2)) / R ** 2)
            if done is not None:
                out["scott_pi"] = (done[1], n - 1)
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


def fleiss_null_test(r: Ratings) -> dict | None:
    """Fleiss' (1971) test of "no agreement beyond chance" for his kappa and for each category.

    Under H0 (kappa = 0), with N units each rated by the same m coders and
    category shares p_j (q_j = 1 - p_j):
    ``se_0 = sqrt(2 [(sum p_j q_j)**2 - sum p_j q_j (q_j - p_j)] / (N m (m - 1))) / sum p_j q_j``
    and for category j ``se_0j = sqrt(2 / (N m (m - 1)))``; ``z = kappa /
    se_0`` with a two-sided normal p-value, as R's ``irr::kappam.fleiss``.
    Defined only for that design: None when units have different numbers of
    ratings (use Gwet's standard error, :func:`gwet_variance`, instead).

    Returns
    -------
    dict or None
        ``se``, ``z``, ``p_value`` for the overall kappa and ``categories``:
        a list of (kappa_j, z_j, p_j).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many
    raters. *Psychological Bulletin*, 76(5), 378-382.
    Fleiss, J. L., Levin, B., & Paik, M. C. (2003). *Statistical Methods for
    Rates and Proportions* (3rd ed.), ch. 18.
    """
    from scipy import stats

    if r.multilabel or r.q < 2:
        return None
    X = r.X[(r.X >= 0).any(1)]
    counts = (X >= 0).sum(1)
    if not len(X) or counts.min() != counts.max() or counts[0] < 2:
        return None
    N, m = len(X), int(counts[0])
    x = (X[:, :, None] == np.arange(r.q)).sum(1).astype(float)
    p = x.sum(0) / (N * m)
    pq = p * (1 - p)
    if pq.sum() <= 0:
        return None
    kappa = 1 - (x * (m - x)).sum() / (N * m * (m - 1) * pq.sum())
    se = np.sqrt(2 * (pq.sum() ** 2 - (pq * (1 - 2 * p)).sum()) / (N * m * (m - 1))) / pq.sum()
    se_j = np.sqrt(2 / (N * m * (m - 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        k_j = 1 - (x * (m - x)).sum(0) / (N * m * (m - 1) * pq)
    cats = [(float(k), float(k / se_j), float(2 * stats.norm.sf(abs(k / se_j)))) if np.isfinite(k) else (np.nan,) * 3
            for k in k_j]
    return {"se": float(se), "z": float(kappa / se), "p_value": float(2 * stats.norm.sf(abs(kappa / se))),
            "categories": cats}


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
