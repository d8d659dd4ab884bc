"""The study's agreement stage: per code, per pair of coders and overall, from ``codings.csv``."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .ratings import Ratings, _sort_key
from .uncertainty import DEFAULT_BOOT, _point_and_bootstrap, _table, compute
from .weights import DISTANCES


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
        out.append((r.round, r.code_id, coefficient, r.estimate, r.ci_low, r.ci_high, verdict, reason))
    return pd.DataFrame(out, columns=cols)


def run(paths=None, n_boot: int = DEFAULT_BOOT, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Stage: ``codings.csv`` -> ``agreement_by_code.csv``, ``agreement_pairwise.csv``,
    ``agreement_overall.csv`` and ``disagreements.csv``.

    Codes are taken in the order of the codebook each round was coded with.
    The bootstrap seed and resample count are written into every row and the
    manifest.
    """
    from .. import codebook as cbmod
    from .. import files, provenance
    from ..paths import Paths
    from ..sheets import read_codings, read_rounds

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
