"""The study's agreement stage: per code, per pair of coders and overall, from ``codings.csv``."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import InputError
from .coefficients import _apply, _features, _finish, _prepare, _Prepared
from .ratings import Ratings, _sort_key
from .uncertainty import DEFAULT_BOOT, _table, bootstrap_chunks
from .weights import DISTANCES, agreement_weights, difference


def code_ratings(codings: pd.DataFrame, code_ids: Sequence[str]) -> tuple[list[Ratings], list[Hashable], list[str]]:
    """One binary (present/absent) :class:`Ratings` per code, over the same units and coders.

    A unit a coder has not coded is missing for every code.
    """
    coded = _encode(codings, code_ids)
    K = len(code_ids)
    return [Ratings(coded.X[k], [0, 1], coded.units, coded.coders) for k in range(K)], coded.units, coded.coders


def set_ratings(codings: pd.DataFrame) -> Ratings:
    """The set of codes each coder gave each unit (empty set = no code applies; uncoded = missing)."""
    return _encode(codings, ()).sets()


@dataclass
class _Coded:
    """One round's codings as arrays (reshaped once; every table of the round reads these).

    ``X[k, i, g]`` is 1 when coder ``g`` applied code ``k`` to unit ``i``, 0
    when not, -1 when the coder did not code the unit.  Codes are the
    codebook's, then any other code in the codings; units are in order of
    first appearance; coders sorted.  ``unit_rows``/``coder_rows`` index each
    codings row, for the first-appearance order of a pair's units.
    """

    X: np.ndarray
    codes: list
    units: list
    coders: list
    unit_rows: np.ndarray
    coder_rows: np.ndarray
    present: np.ndarray  # indices (into codes) of the codes that have rows
    code_rows: np.ndarray  # each row's code (index into codes)

    def sets(self, units: np.ndarray | None = None, coders: Sequence[int] | None = None) -> Ratings:
        """Each coder's set of codes per unit, for all units and coders or a subset (in the order given)."""
        X = self.X[self.present]
        if units is not None:
            X = X[:, units]
        if coders is not None:
            X = X[:, :, list(coders)]
        coded = (X >= 0).any(0) if len(X) else np.zeros(X.shape[1:], dtype=bool)
        names = [self.codes[k] for k in self.present]
        # each coder's set on a unit as a bit pattern (63 codes per word), decoded into frozensets only
        # for the distinct patterns
        words = []
        for start in range(0, max(len(names), 1), 63):
            block = (X[start:start + 63] == 1).astype(np.int64)
            shift = np.left_shift(1, np.arange(block.shape[0], dtype=np.int64))
            words.append(np.tensordot(shift, block, axes=(0, 0)) if len(block) else np.zeros(X.shape[1:], np.int64))
        flat = np.stack(words, -1).reshape(-1, len(words))
        if flat.shape[1] == 1:
            patterns, inverse = np.unique(flat[:, 0], return_inverse=True)
            patterns = patterns[:, None]
        else:
            patterns, inverse = np.unique(flat, axis=0, return_inverse=True)
        on = (patterns[:, :, None] >> np.arange(63)) & 1  # patterns × words × bits
        on = on.reshape(len(patterns), -1)[:, :len(names)].astype(bool)
        names = np.array(names, dtype=object)
        cats = [frozenset(names[row]) for row in on]
        order = sorted(range(len(cats)), key=lambda i: _sort_key(cats[i]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        S = rank[inverse.ravel()].reshape(coded.shape)
        used = np.unique(S[coded]) if coded.any() else np.array([], dtype=np.int64)
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        unit_ids = self.units if units is None else [self.units[i] for i in units]
        coder_ids = self.coders if coders is None else [self.coders[g] for g in coders]
        return Ratings(np.where(coded, remap[S], -1), [cats[order[i]] for i in used], unit_ids, coder_ids)

    def pair_units(self, a: int, b: int) -> np.ndarray:
        """The units coded by coder ``a`` or ``b``, in order of first appearance in their rows."""
        mine = (self.coder_rows == a) | (self.coder_rows == b)
        return pd.unique(self.unit_rows[mine])


def _encode(codings: pd.DataFrame, code_ids: Sequence[str]) -> _Coded:
    """:class:`_Coded` from long codings: each text column factorised once, then integer indexing only."""
    unit_rows, units = pd.factorize(codings["unit_id"], sort=False)
    coder_rows, coders = pd.factorize(codings["coder"], sort=True)
    code_rows, names = pd.factorize(codings["code_id"], sort=False)
    known = set(code_ids)
    codes = list(code_ids) + [c for c in names if c not in known]
    at = pd.Index(codes).get_indexer(names)
    X = np.full((len(codes), len(units), len(coders)), -1, dtype=np.int8)
    X[at[code_rows], unit_rows, coder_rows] = codings["applied"].to_numpy(dtype=np.int8)
    return _Coded(X, codes, list(units), list(coders), unit_rows, coder_rows, np.sort(at), at[code_rows])


def _patterns(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each code × unit's row of marks as an index into the distinct rows (``P × coders``, values -1/0/1)."""
    K, N, R = X.shape
    if R <= 39:  # base-3 digits fit in int64
        key = np.zeros((K, N), dtype=np.int64)
        for g in range(R):
            key += (X[:, :, g].astype(np.int64) + 1) * 3 ** g
        ids, inverse = np.unique(key, return_inverse=True)
        rows = (ids[:, None] // 3 ** np.arange(R, dtype=np.int64)) % 3 - 1
    else:
        rows, inverse = np.unique(X.reshape(K * N, R), axis=0, return_inverse=True)
    return rows.astype(np.int64), inverse.reshape(K, N)


class _BinaryCodes:
    """Every coefficient of every binary code, and pooled over codes, from counts of patterns of marks.

    A unit's contribution to every coefficient of a code depends only on its
    row of marks (one of at most ``3**coders`` patterns), so each resample
    needs only how often each pattern occurs per code: one sparse product
    ``U @ M`` (units × code-patterns, one entry per unit and code) instead of
    a dense product with per-unit features of every code.  The pattern
    counts are exact integers, so the coefficients follow from them as from
    the per-unit sums.  The same counts serve every subset of coders
    (``views``: all coders, each pair), and pooling over codes (all unit ×
    code decisions, resampled by unit) is the sum over codes of the per-code
    sums.  Each code's most frequent pattern (usually "nobody applied it")
    is left out of ``M`` and counted as the total weight minus the others,
    which removes most of the product's work.
    """

    def __init__(self, X: np.ndarray, views: Sequence[tuple[int, ...]]):
        K, N, _ = X.shape
        rows, inverse = _patterns(X)
        P = len(rows)
        self.K, self.P = K, P
        counts = np.stack([np.bincount(inverse[k], minlength=P) for k in range(K)]) if K else np.zeros((0, P))
        self.common = counts.argmax(1) if K else np.zeros(0, dtype=np.int64)
        keep = inverse != self.common[:, None]
        code, unit = np.nonzero(keep)
        # the last column is every unit's weight, for the total that the common patterns complete
        self.M = sparse.csr_matrix(
            (np.ones(len(unit) + N), (np.r_[unit, np.arange(N)], np.r_[code * P + inverse[keep], np.full(N, K * P)])),
            shape=(N, K * P + 1))
        w = agreement_weights([0, 1], None)
        delta = difference([0, 1], "nominal")
        self.views = [_features(Ratings(rows[:, list(v)], [0, 1]), w, delta) for v in views]

    def __call__(self, U: np.ndarray) -> list[tuple[dict, dict]]:
        """Per view: (per code: key -> resamples × codes, pooled: key -> resamples)."""
        B = U.shape[0]
        flat = np.asarray((self.M.T @ U.T).T)
        C = flat[:, :-1].reshape(B, self.K, self.P)
        C[:, np.arange(self.K), self.common] = flat[:, -1:] - C.sum(2)
        out = []
        for F, L in self.views:
            S = C @ F  # resamples × codes × features
            per_code = {k: v.reshape(B, self.K) for k, v in _finish(S.reshape(B * self.K, -1), L).items()}
            out.append((per_code, _finish(S.sum(1), L)))
        return out


def _shared(n_units: int, n_boot: int, seed: int, jobs: Sequence) -> tuple[list, list | None]:
    """Point estimates (all weights 1) and bootstrap resamples for several jobs over the same units.

    Each job maps resampling weights ``U`` (resamples × units) to nested
    dicts/lists of arrays with resamples first; the resamples are drawn once
    and every job sees each block of them.
    """
    def stack(parts):
        first = parts[0]
        if isinstance(first, dict):
            return {k: stack([p[k] for p in parts]) for k in first}
        if isinstance(first, (list, tuple)):
            return type(first)(stack([p[i] for p in parts]) for i in range(len(first)))
        return np.concatenate(parts)

    ones = np.ones((1, n_units))
    points = [job(ones) for job in jobs]
    if not n_boot:
        return points, None
    parts = [[job(U) for job in jobs] for U in bootstrap_chunks(n_units, n_boot, seed)]
    return points, [stack([p[j] for p in parts]) for j in range(len(jobs))]


class _Sets:
    """Krippendorff's alpha for sets of codes, for several rating sets and distances over the same units.

    A job for :func:`_shared`: their per-unit features are stacked, so each
    block of resamples is read once for all of them.
    """

    def __init__(self, sets: Sequence[tuple[Ratings, str]]):
        preps = [_prepare([r], distance=d) for r, d in sets]
        first: dict[int, object] = {}
        for (r, _), prep in zip(sets, preps):  # one rating set under two distances: count its categories once
            prep.multilabel[0] = first.setdefault(id(r), prep.multilabel[0])
        self.prep = _Prepared(np.hstack([p.F for p in preps]), [L for p in preps for L in p.layouts],
                              [w for p in preps for w in p.widths], [m for p in preps for m in p.multilabel]
                              ) if preps else None

    def __call__(self, U: np.ndarray) -> list[dict]:
        return _apply(self.prep, U) if self.prep is not None else []


def _one(values: dict, i: int | None = None) -> dict[str, float]:
    """Point estimates as floats (``i``: the code's column)."""
    return {k: float(v[0] if i is None else v[0, i]) for k, v in values.items()}


def _boot(values: dict | None, i: int | None = None) -> dict | None:
    if values is None:
        return None
    return values if i is None else {k: v[:, i] for k, v in values.items()}


def _code_tables(coded: _Coded, units: np.ndarray | None, coders: Sequence[int], code_ids: Sequence[str],
                 points: tuple, boots: tuple | None, n_boot: int, seed: int, minimum: float | None = None
                 ) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Tidy tables per code and pooled over codes for one view of the codings.

    With ``minimum``, each code's alpha row carries ``q_below_minimum``: the
    share of bootstrap resamples in which alpha falls below it, Hayes &
    Krippendorff's (2007) q.
    """
    X = coded.X[:len(code_ids)]
    X = X[:, units] if units is not None else X
    X = X[:, :, list(coders)] if list(coders) != list(range(X.shape[2])) else X
    unit_ids = coded.units if units is None else [coded.units[i] for i in units]
    coder_ids = [coded.coders[g] for g in coders]
    per_code = []
    for k in range(len(code_ids)):
        r = Ratings(X[k], [0, 1], unit_ids, coder_ids)
        t = _table(r, _one(points[0], k), _boot(boots[0] if boots else None, k), n_boot, seed)
        rated = r.X >= 0
        t.insert(0, "code_id", code_ids[k])
        t.insert(5, "prevalence", float((r.X == 1).sum() / rated.sum()) if rated.any() else np.nan)
        if minimum is not None:
            t["q_below_minimum"] = np.nan
            sample = boots[0]["krippendorff_alpha"][:, k] if boots else np.empty(0)
            sample = sample[np.isfinite(sample)]
            row = t["coefficient"] == "krippendorff_alpha"
            if len(sample) and len(sample) >= 0.5 * n_boot and np.isfinite(t.loc[row, "estimate"]).all():
                t.loc[row, "q_below_minimum"] = float((sample < minimum).mean())
        per_code.append(t)
    K, N, R = X.shape
    pooled = Ratings(X.reshape(K * N, R), [0, 1], coders=coder_ids)  # items, not units: no unit ids
    return per_code, _table(pooled, _one(points[1]), boots[1] if boots else None, n_boot, seed)


def _round_tables(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int, seed: int,
                  distances: Sequence[str] = DISTANCES, pairs: bool = True, coded: _Coded | None = None,
                  minimum: float | None = None) -> dict[str, pd.DataFrame]:
    """One round's per-code, overall and pairwise tables, sharing the reshaping and the resamples.

    ``coded`` is the round already reshaped by :func:`_encode` with these ``code_ids`` (else it is done here).
    """
    code_ids = list(code_ids)
    coded = coded if coded is not None else _encode(codings, code_ids)
    K, N, R = coded.X[:len(code_ids)].shape
    everyone = tuple(range(R))
    # pairs that coded every unit, in the round's order, share its resamples; others draw their own
    all_pairs = list(itertools.combinations(range(R), 2)) if pairs else []
    pair_units = {ab: coded.pair_units(*ab) for ab in all_pairs}
    shared = [ab for ab in all_pairs if len(pair_units[ab]) == N and (pair_units[ab] == np.arange(N)).all()]
    r_sets = coded.sets()
    pair_sets = {ab: coded.sets(None, ab) for ab in shared}
    jobs = [_BinaryCodes(coded.X[:len(code_ids)], [everyone, *shared]),
            _Sets([(r_sets, d) for d in distances] + [(pair_sets[ab], "masi") for ab in shared])]
    points, boots = _shared(N, n_boot, seed, jobs)
    boots = boots or [None, None]
    per_code, pooled = _code_tables(coded, None, everyone, code_ids, points[0][0],
                                    boots[0][0] if boots[0] else None, n_boot, seed, minimum)
    by_code_t = pd.concat(per_code, ignore_index=True) if per_code else pd.DataFrame()
    frames = []
    for i, distance in enumerate(distances):
        t = _table(r_sets, _one(points[1][i]), boots[1][i] if boots[1] else None, n_boot, seed)
        frames.append(t[t["coefficient"] == "krippendorff_alpha"].assign(
            coefficient=f"krippendorff_alpha_{distance}", scope="sets of codes per unit"))
    pooled["n_units"] = N
    pooled["n_pairable_units"] = int(((r_sets.X >= 0).sum(1) >= 2).sum())
    frames.append(pooled.assign(scope="all unit × code decisions"))
    overall_t = pd.concat(frames, ignore_index=True)

    pair_frames = []
    for ab in all_pairs:
        if ab in shared:
            j = shared.index(ab)
            codes_pts, codes_boot = points[0][1 + j], boots[0][1 + j] if boots[0] else None
            m = len(distances) + j
            r_pair, masi_pt, masi_boot = pair_sets[ab], points[1][m], boots[1][m] if boots[1] else None
            units = None
        else:  # a pair that did not code every unit of the round: its own units and resamples
            units = pair_units[ab]
            sub = coded.X[:len(code_ids)][:, units][:, :, list(ab)]
            r_pair = coded.sets(units, ab)
            p, bt = _shared(len(units), n_boot, seed, [_BinaryCodes(sub, [(0, 1)]), _Sets([(r_pair, "masi")])])
            codes_pts, codes_boot = p[0][0], bt[0][0] if bt else None
            masi_pt, masi_boot = p[1][0], bt[1][0] if bt else None
        tables, pooled_ab = _code_tables(coded, units, ab, code_ids, codes_pts, codes_boot, n_boot, seed)
        keep = [t[t["coefficient"].isin(["cohen_kappa", "percent_agreement"])].drop(columns="prevalence")
                for t in tables]
        alpha = _table(r_pair, _one(masi_pt), masi_boot, n_boot, seed)
        alpha = alpha[alpha["coefficient"] == "krippendorff_alpha"].assign(coefficient="krippendorff_alpha_masi")
        pooled_ab["n_units"] = len(r_pair.units)
        pooled_ab["n_pairable_units"] = int(((r_pair.X >= 0).sum(1) >= 2).sum())
        alls = pd.concat([alpha, pooled_ab[pooled_ab["coefficient"].isin(["cohen_kappa", "percent_agreement"])]],
                         ignore_index=True).assign(code_id="(all codes)")
        pair_frames.append(pd.concat([*keep, alls], ignore_index=True).assign(
            coder_a=coded.coders[ab[0]], coder_b=coded.coders[ab[1]]))
    pairwise_t = pd.concat(pair_frames, ignore_index=True) if pair_frames else pd.DataFrame()
    return {"by_code": by_code_t, "overall": overall_t, "pairwise": pairwise_t}


_FIRST = {"by_code": ["round"], "overall": ["round", "scope"], "pairwise": ["round", "coder_a", "coder_b", "code_id"]}


def _ordered(part: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One table from the rounds' tables, its identifying columns first."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[_FIRST[part] + [c for c in out.columns if c not in _FIRST[part]]]


def _by_round(codings: pd.DataFrame, part: str, **kw) -> pd.DataFrame:
    return _ordered(part, [_round_tables(grp, **kw)[part].assign(round=rnd)
                           for rnd, grp in codings.groupby("round", sort=True, observed=True)])


def by_code(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0,
            minimum: float | None = None) -> pd.DataFrame:
    """Per round × code: every coefficient (present/absent), CIs, prevalence.

    Parameters
    ----------
    minimum : float, optional
        The reliability minimum set in advance: adds ``q_below_minimum``,
        the bootstrap probability that alpha falls short of it (Hayes &
        Krippendorff 2007, q), on each code's alpha row.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, coefficient, estimate, ci_low, ci_high,
        interpretation, prevalence, n_units, n_coders, n_ratings,
        n_pairable_units, n_boot, seed, note`` (and ``q_below_minimum``).

    References
    ----------
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a
    standard reliability measure for coding data. *Communication Methods and
    Measures*, 1(1), 77-89.
    """
    return _by_round(codings, "by_code", code_ids=code_ids, n_boot=n_boot, seed=seed, distances=(),
                     pairs=False, minimum=minimum)


def overall(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0,
            distances: Sequence[str] = DISTANCES) -> pd.DataFrame:
    """Per round: multi-label alpha (MASI and Jaccard) and coefficients pooled over all unit × code decisions.

    The pooled rows resample whole units (all their codes together), so the
    CIs respect that decisions on one unit are not independent.
    """
    return _by_round(codings, "overall", code_ids=code_ids, n_boot=n_boot, seed=seed,
                     distances=distances, pairs=False)


def pairwise(codings: pd.DataFrame, code_ids: Sequence[str], n_boot: int = DEFAULT_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per round × pair of coders: Cohen's kappa and percent agreement per code, and over all codes.

    ``code_id`` is ``(all codes)`` for the multi-label MASI alpha and the
    pooled Cohen's kappa of the pair.
    """
    return _by_round(codings, "pairwise", code_ids=code_ids,
                     n_boot=n_boot, seed=seed, distances=())


DISAGREEMENT_COLUMNS = ["round", "code_id", "unit_id", "n_coders", "n_applied", "applied_by", "not_applied_by"]


def disagreements(codings: pd.DataFrame) -> pd.DataFrame:
    """Unit × code cells where the coders who coded the unit did not all agree.

    Cells are listed in order of their first row in ``codings``; the coders
    on each side are named in sorted order.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, unit_id, n_coders, n_applied, applied_by, not_applied_by``.
    """
    groups = codings.groupby("round", sort=True, observed=True).indices if len(codings) else {}
    return _in_row_order([_split_cells(_encode(codings.iloc[rows], ()), rows, rnd) for rnd, rows in groups.items()])


def _split_cells(coded: _Coded, rows: np.ndarray, round_) -> pd.DataFrame:
    """One round's disagreement cells, with the position in the codings of each cell's first row (``_first``).

    ``rows`` are the positions in the whole codings table of the rows ``coded`` was made from.
    """
    X = coded.X
    n_coders, n_applied = (X >= 0).sum(2), (X == 1).sum(2)
    k, i = np.nonzero((n_applied > 0) & (n_applied < n_coders))
    at = np.full(X.shape, np.iinfo(np.int64).max, dtype=np.int64)
    at[coded.code_rows, coded.unit_rows, coded.coder_rows] = rows
    out = pd.DataFrame({"round": np.full(len(k), round_, dtype=object),
                        "code_id": np.array(coded.codes, dtype=object)[k],
                        "unit_id": np.array(coded.units, dtype=object)[i],
                        "n_coders": n_coders[k, i].astype(np.int64), "n_applied": n_applied[k, i].astype(np.int64)})
    names = np.array(coded.coders, dtype=object)
    for value, column in ((1, "applied_by"), (0, "not_applied_by")):
        # which coders are on this side, per cell: each distinct pattern is spelled out once
        patterns, inverse = np.unique(X[k, i] == value, axis=0, return_inverse=True)
        out[column] = np.array([", ".join(names[p]) for p in patterns], dtype=object)[inverse.ravel()] if len(k) else []
    out["_first"] = at[k, i].min(1)
    return out


def _in_row_order(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rounds' disagreement cells as one table, in order of their first row in the codings."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    out = pd.concat(frames, ignore_index=True).sort_values("_first", kind="stable")
    return out[DISAGREEMENT_COLUMNS].reset_index(drop=True)


VERDICTS = ("reliable", "tentative", "not shown reliable", "undetermined")


def reliability_verdicts(by_code_table: pd.DataFrame, minimum: float = 0.667, target: float = 0.800,
                         coefficient: str = "krippendorff_alpha", min_units: int = 5) -> pd.DataFrame:
    """Per round × code: is the code reliable enough to support findings, judged on the lower CI bound?

    A point estimate above a threshold is not evidence that the code reaches
    it: with few units the interval is wide.  The verdict therefore uses
    the lower bound of the bootstrap interval (Krippendorff 2004, sec. 11.4;
    Hayes & Krippendorff 2007 judge by the probability of falling short):
    ``reliable`` when it reaches ``target``, ``tentative`` when it reaches
    ``minimum``, ``not shown reliable`` below, and ``undetermined`` when
    there is no interval (no bootstrap, the coefficient undefined) or when
    a bound at or above the minimum rests on too few units to confirm it:
    fewer than ``min_units`` per coder, where a [1, 1] interval only says
    that the few units hold no disagreement (Krippendorff 2004, sec. 11.4.4,
    on the values a category needs).

    Parameters
    ----------
    by_code_table : pandas.DataFrame
        :func:`by_code`'s table (``agreement_by_code.csv``).
    minimum, target : float
        The thresholds set in advance in ``study.yaml`` (Krippendorff 2004:
        .667 and .800).
    min_units : int
        Fewest units a code must be applied to (per coder, on average) for a
        verdict.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, coefficient, estimate, ci_low, ci_high, verdict, reason``.
    """
    cols = ["round", "code_id", "coefficient", "estimate", "ci_low", "ci_high", "verdict", "reason"]
    if not 0 <= minimum <= target <= 1:
        raise InputError(f"reliability thresholds: need 0 <= minimum ({minimum}) <= target ({target}) <= 1")
    rows = by_code_table[by_code_table["coefficient"] == coefficient] if len(by_code_table) else by_code_table
    out = []
    for r in rows.itertuples(index=False):
        units = r.prevalence * r.n_ratings / max(r.n_coders, 1) if np.isfinite(r.prevalence) else 0.0
        if not np.isfinite(r.estimate):
            verdict, reason = "undetermined", r.note or "the coefficient is undefined"
        elif not np.isfinite(r.ci_low):
            verdict, reason = "undetermined", r.note or "no confidence interval (run with bootstrap resamples)"
        elif r.ci_low < minimum:
            verdict, reason = "not shown reliable", f"lower bound {r.ci_low:.3f} < minimum {minimum:.3f}"
        elif units < min_units:  # a high bound on a handful of units only says they hold no disagreement
            verdict, reason = "undetermined", (f"applied to {units:.1f} units per coder, fewer than {min_units}: "
                                               "too rare to confirm")
        elif r.ci_low >= target:
            verdict, reason = "reliable", f"lower bound {r.ci_low:.3f} >= target {target:.3f}"
        else:
            verdict, reason = "tentative", f"lower bound {r.ci_low:.3f} >= minimum {minimum:.3f}, below target {target:.3f}"
        q = getattr(r, "q_below_minimum", np.nan)
        if np.isfinite(q) and verdict != "undetermined":  # the same evidence read as a probability
            reason += f"; q = P(alpha < {minimum:.3f}) = {q:.3f}"
        out.append((r.round, r.code_id, coefficient, r.estimate, r.ci_low, r.ci_high, verdict, reason))
    return pd.DataFrame(out, columns=cols)


def run(paths=None, n_boot: int = DEFAULT_BOOT, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Stage: ``codings.csv`` -> ``agreement_by_code.csv``, ``agreement_pairwise.csv``,
    ``agreement_overall.csv`` and ``disagreements.csv``.

    Codes are taken in the order of the codebook each round was coded with.
    The bootstrap seed and resample count are written into every row and the
    manifest.
    """
    from .. import files
    from ..paths import Paths

    paths = paths or Paths.from_root()
    with files.remembered_digests():  # codings.csv is hashed to check its binary copy and for the manifest
        return _run(paths, n_boot, seed)


def _run(paths, n_boot: int, seed: int) -> dict[str, pd.DataFrame]:
    from .. import codebook as cbmod
    from .. import files, provenance
    from ..sheets import read_codings, read_rounds

    codings = read_codings(paths, categorical=True)
    rounds = read_rounds(paths)
    books = {}
    for p in cbmod.available(paths):
        b = cbmod.load(p)
        books[b.full_version] = b
    from .. import study

    minimum = study.load(paths).minimum  # the reliability minimum set in advance: q per code is judged on it
    results: dict[str, list[pd.DataFrame]] = {"by_code": [], "pairwise": [], "overall": []}
    split = []
    for rnd, rows in codings.groupby("round", sort=True, observed=True).indices.items():
        grp = codings.iloc[rows]
        version = rounds.loc[rounds["round"] == rnd, "codebook_version"].iloc[0]
        ids = books[version].ids if version in books else list(dict.fromkeys(grp["code_id"]))
        coded = _encode(grp, ids)
        for part, table in _round_tables(grp, ids, n_boot, seed, coded=coded, minimum=minimum).items():
            results[part].append(table.assign(round=rnd))
        split.append(_split_cells(coded, rows, rnd))
    out = {k: _ordered(k, v) for k, v in results.items()}
    out["disagreements"] = _in_row_order(split)
    targets = {"by_code": paths.agreement_by_code, "pairwise": paths.agreement_pairwise,
               "overall": paths.agreement_overall, "disagreements": paths.disagreements}
    written = [files.write_csv(out[k], targets[k]) for k in targets]
    provenance.record(paths, "agreement", inputs=[paths.codings, paths.rounds], outputs=written,
                      parameters={"n_boot": n_boot, "seed": seed, "ci": "95% percentile bootstrap over units",
                                  "minimum": minimum})
    return out


def read_table(path) -> pd.DataFrame:
    """An ``agreement_*.csv`` written by :func:`run`."""
    from .. import files

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
    from .. import codebook as cbmod
    from .. import provenance
    from ..paths import Paths
    from ..sheets import read_codings, read_rounds

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
        for rnd, grp in codings.groupby("round", sort=True, observed=True):
            if round_ is not None and rnd != round_:
                continue
            version = rounds.loc[rounds["round"] == rnd, "codebook_version"].iloc[0]
            ids = cbmod.find(paths, version).ids
            for part, table in _round_tables(grp, ids, n_boot, seed).items():
                parts[part].append(table.assign(round=rnd))
        out = {k: _ordered(k, v) for k, v in parts.items()}
    if round_ is not None:
        out = {k: v[v["round"] == round_].reset_index(drop=True) if len(v) else v for k, v in out.items()}
        if out["by_code"].empty:
            raise InputError(f"round '{round_}': no agreement results")
    return out
