"""Agreement weights (Gwet 2014, ch. 3) and Krippendorff's differences between categories and sets of codes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..errors import InputError



LEVELS = ("nominal", "ordinal", "interval", "ratio")


DISTANCES = ("masi", "jaccard")


#: Passonneau's (2006) MASI monotonicity weights: identical, subset, overlap, disjoint.
MASI_M = (1.0, 2 / 3, 1 / 3, 0.0)


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

    from .. import files

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


#: Most subsets (summed over the categories, 2**|A| each) for which :class:`SetDistance` is used.
MAX_SUBSETS = 1_000_000


class SetDistance:
    """MASI or Jaccard distances between sets of codes, without the categories × categories matrix.

    Both distances depend only on ``|A|``, ``|B|`` and ``|A ∩ B|``, so they
    are a small table ``g[|A|, |B|, |A ∩ B|]``, filled from
    :func:`masi_distance_matrix` / :func:`jaccard_distance_matrix` on
    representative sets (the same arithmetic, so the same values).
    Krippendorff's expected disagreement ``sum_kl n_k n_l delta_kl`` then
    needs only, per pair of set sizes, the totals ``W(s, t, i)`` of ``n_k
    n_l`` over pairs of categories meeting in ``i`` codes.  These come from
    subset sums (a zeta transform): with ``m_s(T)``, the total of ``n_k``
    over categories of size ``s`` containing the subset ``T``, ``V(s, t, j) =
    sum_{|T| = j} m_s(T) m_t(T) = sum_i C(i, j) W(s, t, i)``, inverted by
    ``W(s, t, i) = sum_j (-1)**(j - i) C(j, i) V(s, t, j)``.  For whole-number
    counts (any bootstrap resample) this runs in exact integers and costs
    ``sum_k 2**|A_k|`` per resample instead of ``q**2`` (a study's few
    thousand distinct sets of codes made the matrix product the slowest
    step of the agreement stage).

    Use :func:`set_distance`, which falls back to the dense matrix where the
    sets are too large for subsets to pay off.
    """

    def __init__(self, sets: Sequence[frozenset], distance: str, masi_m: Sequence[float] = MASI_M):
        self.sets, self.distance, self.masi_m = list(sets), distance, masi_m
        self.sub = _subsets(tuple(self.sets))
        self.g = _set_distance_table(self.sub.top, distance, tuple(masi_m))
        self.max = float(np.nanmax(np.abs(self.g[self.sub.triples(np.ones((1, len(self.sets))))[0] > 0]),
                                   initial=0.0))

    def pairs(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``delta[x, y]`` for arrays of category indices."""
        size, mask = self.sub.size, self.sub.mask
        return self.g[size[x], size[y], np.bitwise_count(mask[x] & mask[y]).astype(np.int64)]

    def expected(self, n_k: np.ndarray) -> np.ndarray:
        """``sum_kl n_k n_l delta_kl`` per row of ``n_k`` (resamples × categories)."""
        whole = np.rint(n_k)
        top = self.sub.top
        total = float(np.abs(whole).sum(-1).max(initial=0.0))
        if not np.array_equal(whole, n_k) or (whole < 0).any() or math.comb(top, top // 2) * total ** 2 >= 2.0 ** 52:
            D = self.matrix()  # weights that are not counts (or sums beyond exact floats): the plain quadratic form
            return np.einsum("bk,bk->b", n_k @ D, n_k)
        W = self.sub.triples(whole)
        return np.einsum("bsti,sti->b", W, np.nan_to_num(self.g)) if len(whole) else np.zeros(0)

    def matrix(self) -> np.ndarray:
        """The dense categories × categories distances (as :func:`difference`)."""
        if self.distance == "masi":
            return masi_distance_matrix(self.sets, self.masi_m)
        return jaccard_distance_matrix(self.sets)


class _Subsets:
    """The subset structure of a list of sets of codes, shared by every distance over them (see :class:`SetDistance`)."""

    def __init__(self, sets: tuple[frozenset, ...]):
        from scipy import sparse

        labels = sorted({x for s in sets for x in s}, key=str)
        pos = {x: j for j, x in enumerate(labels)}
        members = np.zeros((len(sets), len(labels)), dtype=np.int64)
        members[[k for k, s in enumerate(sets) for _ in s], [pos[x] for s in sets for x in s]] = 1
        self.size = members.sum(1)
        self.mask = members @ np.left_shift(1, np.arange(len(labels), dtype=np.int64))  # at most 63 labels
        self.top = top = int(self.size.max(initial=0))
        # every subset of every category, as bit masks: selector j picks the set bits of a category
        rows, subs = [], []
        for s in range(top + 1):
            group = np.flatnonzero(self.size == s)
            if not len(group):
                continue
            bits = np.sort(np.where(members[group] == 1, np.arange(len(labels)), len(labels) + 1), 1)[:, :s]
            pick = (np.arange(2 ** s)[:, None] >> np.arange(s)) & 1  # selectors × bits
            subs.append((pick[None, :, :] << bits[:, None, :]).sum(-1).ravel())
            rows.append(np.repeat(group, 2 ** s))
        rows, subs = np.concatenate(rows), np.concatenate(subs)
        uniq, cols = np.unique(subs, return_inverse=True)
        subset_size = np.bitwise_count(uniq).astype(np.int64)
        by_size = np.argsort(subset_size, kind="stable")  # the subsets of each size side by side
        place = np.empty(len(uniq), dtype=np.int64)
        place[by_size] = np.arange(len(uniq))
        Z = sparse.csr_matrix((np.ones(len(rows)), (rows, place[cols.ravel()])), shape=(len(sets), len(uniq)))
        self.n_subsets = Z.shape[1]
        self._by_size = {int(s): (np.flatnonzero(self.size == s), Z[self.size == s].T.tocsr()) for s in np.unique(self.size)}
        bounds = np.searchsorted(subset_size[by_size], np.arange(top + 2))
        self._of_size = [slice(bounds[j], bounds[j + 1]) for j in range(top + 1)]
        self._memo: tuple[bytes, np.ndarray] | None = None

    def triples(self, n: np.ndarray) -> np.ndarray:
        """``W[b, s, t, i]``: sum of ``n_k n_l`` over category pairs of sizes ``s``, ``t`` meeting in ``i`` codes.

        ``n`` holds whole numbers small enough (see :meth:`SetDistance.expected`) that every sum here is
        an integer below 2**53, so float64 arithmetic is exact and the alternating inversion loses
        nothing.  The last result is kept: MASI and Jaccard alpha ask for the same counts in turn.
        """
        key = n.tobytes() + repr(n.shape).encode()
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        step = max(1, 2 ** 22 // ((self.top + 1) * self.n_subsets))  # m below: ~32 MB at a time
        W = np.concatenate([self._triples(n[i:i + step]) for i in range(0, len(n), step)]) if len(n) else \
            np.zeros((0,) + (self.top + 1,) * 3)
        self._memo = (key, W)
        return W

    def _triples(self, n: np.ndarray) -> np.ndarray:
        top, B = self.top, n.shape[0]
        # m[b, s, T]: per resample, the total count of the categories of size s that contain subset T
        m = np.zeros((B, top + 1, self.n_subsets))
        for s, (rows, ZT) in self._by_size.items():
            m[:, s, :] = (ZT @ np.ascontiguousarray(n[:, rows].T)).T
        V = np.zeros((B, top + 1, top + 1, top + 1))
        for j in range(top + 1):
            part = np.ascontiguousarray(m[:, j:, self._of_size[j]])  # resamples × sizes >= j × subsets of size j
            V[:, j:, j:, j] = part @ part.transpose(0, 2, 1)
        W = np.zeros_like(V)
        for i in range(top + 1):
            for j in range(i, top + 1):
                W[..., i] += (-1) ** (j - i) * math.comb(j, i) * V[..., j]
        return W


@lru_cache(maxsize=4)
def _subsets(sets: tuple[frozenset, ...]) -> _Subsets:
    return _Subsets(sets)


@lru_cache(maxsize=8)
def _set_distance_table(top: int, distance: str, masi_m: tuple[float, ...]) -> np.ndarray:
    """``g[a, b, i]``: the distance between a set of ``a`` and a set of ``b`` codes sharing ``i`` (NaN: impossible).

    Each value comes from :func:`masi_distance_matrix` / :func:`jaccard_distance_matrix` on two
    representative sets, so it is computed exactly as the matrix computes it.
    """
    g = np.full((top + 1, top + 1, top + 1), np.nan)
    for a in range(top + 1):
        for b in range(top + 1):
            for i in range(min(a, b) + 1):
                A = frozenset(range(a))
                pair = [A] if a == b == i else [A, frozenset(range(a - i, a - i + b))]  # identical, or not
                D = masi_distance_matrix(pair, masi_m) if distance == "masi" else jaccard_distance_matrix(pair)
                g[a, b, i] = D[0, -1]
    return g


def set_distance(sets: Sequence[frozenset], distance: str, masi_m: Sequence[float] = MASI_M) -> SetDistance | np.ndarray:
    """:class:`SetDistance` for ``sets``, or the dense matrix where subsets would be too many (or the
    sets are drawn from more than 63 codes, beyond one 64-bit mask)."""
    if distance not in DISTANCES:
        raise InputError(f"distance '{distance}': use masi or jaccard")
    if (sum(2 ** len(s) for s in sets) > MAX_SUBSETS or len(set(sets)) != len(sets)
            or len({x for s in sets for x in s}) > 63):
        return difference(sets, distance=distance, masi_m=masi_m)
    return SetDistance(sets, distance, masi_m)


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
