"""Analysis: tidy summaries of the units and the coded data.

Every function takes DataFrames (as read from ``data/processed``) and returns
a tidy DataFrame; none writes files or draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ingest import part, session  # noqa: F401  (the unit schema lives with the ingest)

#: Label used for units with no breakout theme (e.g. questions to the speaker).
NO_THEME = "(no theme)"


def subset(table: pd.DataFrame, round_: str | None = None, coders=None) -> pd.DataFrame:
    """Rows of one round and/or some coders (None keeps everything); for notebook parameters."""
    out = table
    if round_ is not None:
        out = out[out["round"] == round_]
    if coders is not None:
        out = out[out["coder"].isin(list(coders))]
    if out.empty and (round_ is not None or coders is not None) and not table.empty:
        from .errors import InputError

        raise InputError(f"no rows for round {round_!r} and coders {coders!r}")
    return out.reset_index(drop=True)


def units_overview(units: pd.DataFrame) -> pd.DataFrame:
    """Units per prompt, section and theme, in document order.

    Parameters
    ----------
    units : pandas.DataFrame
        ``units.csv`` (columns ``source, prompt, section, theme, position``).

    Returns
    -------
    pandas.DataFrame
        One row per (source, prompt, section, theme) with ``units`` (count)
        and ``share`` (of all units), ordered as the themes first appear.
    """
    required = {"source", "prompt", "section", "theme", "position"}
    missing = required - set(units.columns)
    if missing:
        raise ValueError(f"units table lacks columns {sorted(missing)}")
    keys = ["source", "prompt", "section", "theme"]
    ordered = units.sort_values(["source", "position"], kind="stable")
    out = (
        ordered.groupby(keys, sort=False, dropna=False)
        .agg(units=("position", "size"), first=("position", "min"))
        .reset_index()
        .sort_values(["source", "first"], kind="stable")
        .drop(columns="first")
        .reset_index(drop=True)
    )
    out["share"] = out["units"] / len(units) if len(units) else 0.0
    return out


def units_by_session(units: pd.DataFrame) -> pd.DataFrame:
    """Units per session (one notes file per session), in the order of the files."""
    ses = session(units)
    table = pd.DataFrame({"session": ses, "source": units["source"]}).drop_duplicates()
    counts = ses.value_counts()
    table = table.assign(units=table["session"].map(counts).to_numpy(),
                         share=(table["session"].map(counts) / len(units)).to_numpy())
    return table.drop_duplicates("session").reset_index(drop=True)


def units_by_part(units: pd.DataFrame) -> pd.DataFrame:
    """Units per part of the notes (see :func:`part`), in document order."""
    parts = part(units)
    order = list(dict.fromkeys(parts))
    counts = parts.value_counts().reindex(order)
    return pd.DataFrame({"part": order, "units": counts.to_numpy(), "share": (counts / len(units)).to_numpy()})


def codes_applied(codings: pd.DataFrame, code_order: list[str] | None = None) -> pd.DataFrame:
    """How often each coder applied each code, per round.

    Parameters
    ----------
    codings : pandas.DataFrame
        ``codings.csv`` (``round, coder, unit_id, code_id, applied``).
    code_order : list of str, optional
        Codebook order of the codes.

    Returns
    -------
    pandas.DataFrame
        ``round, code_id, coder, units_coded, applied, share`` (share of the
        coder's coded units carrying the code).
    """
    coded = codings.groupby(["round", "coder"])["unit_id"].nunique().rename("units_coded")
    out = (codings.groupby(["round", "code_id", "coder"], sort=False)["applied"].sum().reset_index()
           .join(coded, on=["round", "coder"]))
    out["share"] = out["applied"] / out["units_coded"]
    if code_order is not None:
        out["_o"] = out["code_id"].map({c: i for i, c in enumerate(code_order)})
        out = out.sort_values(["round", "_o", "coder"], kind="stable").drop(columns="_o")
    return out[["round", "code_id", "coder", "units_coded", "applied", "share"]].reset_index(drop=True)


def codes_by_coder(codings: pd.DataFrame, code_order: list[str] | None = None) -> pd.DataFrame:
    """Wide view of :func:`codes_applied`: one row per round × code, a column per coder (empty where the coder
    was not in the round)."""
    long = codes_applied(codings, code_order)
    wide = long.pivot_table(index=["round", "code_id"], columns="coder", values="applied", sort=False)
    wide.columns.name = None
    return wide.reset_index().astype({c: "Int64" for c in wide.columns})


def fixed(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, never ``-0.00`` (a bound of -0.001 shows as 0.00, not as a negative)."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def agreement_summary(by_code: pd.DataFrame, keys: tuple[str, ...] = (
        "percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1")) -> pd.DataFrame:
    """One row per round × code: prevalence and each coefficient as ``estimate [low, high]``.

    No interpretation band is attached to a point estimate: whether a code is
    reliable is judged on its interval (:func:`verdict_table`).

    Parameters
    ----------
    by_code : pandas.DataFrame
        ``agreement_by_code.csv``.
    keys : tuple of str
        Coefficients to show, in order.
    """
    def fmt(row) -> str:
        if pd.isna(row["estimate"]):
            return "undefined"
        ci = "" if pd.isna(row["ci_low"]) else f" [{fixed(row['ci_low'])}, {fixed(row['ci_high'])}]"
        return f"{fixed(row['estimate'])}{ci}"

    sub = by_code[by_code["coefficient"].isin(keys)].copy()
    sub["text"] = sub.apply(fmt, axis=1)
    wide = sub.pivot_table(index=["round", "code_id"], columns="coefficient", values="text", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[k for k in keys if k in wide.columns]).reset_index()
    wide.columns.name = None
    prev = by_code.groupby(["round", "code_id"], sort=False)["prevalence"].first().reset_index()
    return prev.merge(wide, on=["round", "code_id"])[["round", "code_id", "prevalence", *[k for k in keys if k in wide.columns]]]


def verdict_table(by_code: pd.DataFrame, round_: str, minimum: float, target: float) -> pd.DataFrame:
    """One row per code of ``round_``: Krippendorff's alpha with its 95% CI, and the reliability verdict.

    The verdict is judged on the lower CI bound against the study's
    thresholds (:func:`compassion_study.agreement.reliability_verdicts`).
    """
    from .agreement import reliability_verdicts

    v = reliability_verdicts(by_code[by_code["round"] == round_], minimum, target) if len(by_code) else \
        reliability_verdicts(by_code, minimum, target)

    def shown(r) -> str:
        if pd.isna(r.estimate):
            return "undefined"
        return fixed(r.estimate) + ("" if pd.isna(r.ci_low) else f" [{fixed(r.ci_low)}, {fixed(r.ci_high)}]")

    return pd.DataFrame({"code": v["code_id"], "alpha [95% CI]": [shown(r) for r in v.itertuples()],
                         "verdict": v["verdict"], "why": v["reason"]})


def latest_verdicts(paths) -> pd.DataFrame:
    """The reliability verdict of every code in the latest coded round (empty before agreement has run).

    Judged on the lower CI bound against ``study.yaml``'s thresholds (see
    :func:`compassion_study.agreement.reliability_verdicts`).
    """
    from . import study
    from .agreement import read_table, reliability_verdicts

    if not paths.agreement_by_code.is_file():
        return reliability_verdicts(pd.DataFrame())
    by_code = read_table(paths.agreement_by_code)
    if by_code.empty:
        return reliability_verdicts(by_code)
    settings = study.load(paths)
    latest = sorted(by_code["round"].astype(str).unique())[-1]
    return reliability_verdicts(by_code[by_code["round"].astype(str) == latest], settings.minimum, settings.target)


def mark_reliability(table: pd.DataFrame, verdicts: pd.DataFrame, code: str = "code_id") -> pd.DataFrame:
    """``table`` with a ``reliability`` column beside its code column: each code's verdict.

    Findings on a code that is not shown reliable read as exploratory; the
    column keeps that beside every number built on the code.
    """
    out = table.copy()
    verdict = dict(zip(verdicts["code_id"], verdicts["verdict"])) if len(verdicts) else {}
    out.insert(list(out.columns).index(code) + 1, "reliability", out[code].map(verdict).fillna("not assessed"))
    return out


def prevalence_diagnostics(by_code: pd.DataFrame) -> pd.DataFrame:
    """Per round × code: prevalence, kappa, AC1, PABAK and the prevalence and bias indices.

    Shows the kappa paradox (Feinstein & Cicchetti 1990): rare codes can have
    high observed agreement but low kappa; AC1 and PABAK are more stable.
    """
    keys = ["percent_agreement", "cohen_kappa", "gwet_ac1", "pabak", "prevalence_index", "bias_index"]
    sub = by_code[by_code["coefficient"].isin(keys)]
    wide = sub.pivot_table(index=["round", "code_id"], columns="coefficient", values="estimate", sort=False, dropna=False)
    wide = wide.reindex(columns=[k for k in keys if k in wide.columns]).reset_index()
    wide.columns.name = None
    prev = by_code.groupby(["round", "code_id"], sort=False)["prevalence"].first().reset_index()
    return prev.merge(wide, on=["round", "code_id"])


def pairwise_matrix(pairwise: pd.DataFrame, coefficient: str = "krippendorff_alpha_masi",
                    round_: str | None = None) -> pd.DataFrame:
    """Coder × coder matrix of one over-all-codes coefficient (symmetric, empty diagonal)."""
    sub = pairwise[(pairwise["code_id"] == "(all codes)") & (pairwise["coefficient"] == coefficient)]
    if round_ is not None:
        sub = sub[sub["round"] == round_]
    coders = sorted(set(sub["coder_a"]) | set(sub["coder_b"]))
    mat = pd.DataFrame(float("nan"), index=coders, columns=coders)
    for row in sub.itertuples(index=False):
        mat.loc[row.coder_a, row.coder_b] = mat.loc[row.coder_b, row.coder_a] = row.estimate
    mat.index.name = "coder"
    return mat


# --------------------------------------------------------------------------- findings from the consensus


#: Columns of :func:`coded_units` that describe the unit (the rest are codes).
_META = ("unit_id", "source", "position", "session", "prompt", "section", "theme", "part")


def coded_units(consensus: pd.DataFrame, units: pd.DataFrame, code_order: list[str] | None = None) -> pd.DataFrame:
    """Wide 0/1 table: one row per unit in the consensus (with its session, prompt, section, theme, part), a column per code."""
    wide = consensus.pivot_table(index="unit_id", columns="code_id", values="applied", aggfunc="max", sort=False)
    order = code_order or list(dict.fromkeys(consensus["code_id"]))
    wide = wide.reindex(columns=order).fillna(0).astype(int)
    wide.columns.name = None
    meta = units.set_index("unit_id")[["source", "position", "session", "prompt", "section", "theme"]]
    meta = meta.assign(part=part(units).to_numpy(), session=session(units).to_numpy())
    out = meta.join(wide, how="inner").sort_values(["source", "position"], kind="stable")
    return out.reset_index()


def cluster_share_interval(x: np.ndarray, clusters: np.ndarray, n_boot: int = 1000, seed: int = 0,
                           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the share of units carrying each code, resampling clusters.

    Units discussed by the same breakout group are not independent, so whole
    clusters are drawn with replacement (the cluster bootstrap; Davison &
    Hinkley 1997, sec. 3.8; Field & Welsh 2007) and the share is the ratio of
    units with the code to units drawn.  With one unit per cluster it is the
    ordinary bootstrap of a proportion (Efron & Tibshirani 1993, ch. 13).

    Parameters
    ----------
    x : numpy.ndarray
        ``n_units × n_codes`` 0/1 matrix.
    clusters : numpy.ndarray
        ``n_units`` cluster labels (any hashable values).
    n_boot, seed, level : int, int, float
        Resamples (0: no interval), seed of numpy's default generator, and coverage.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds per code (NaN without resamples or units).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or len(x) != len(clusters):
        raise ValueError("x must be units × codes, with one cluster label per unit")
    if not 0 < level < 1:
        raise ValueError("level must lie between 0 and 1")
    nan = np.full(x.shape[1], np.nan)
    if n_boot <= 0 or len(x) == 0:
        return nan, nan.copy()
    _, inv = np.unique(np.asarray(clusters).astype(str), return_inverse=True)
    g = int(inv.max()) + 1
    sums = np.zeros((g, x.shape[1]))
    np.add.at(sums, inv, x)  # S_c: units with each code in cluster c
    sizes = np.bincount(inv, minlength=g).astype(float)  # m_c
    draws = np.random.default_rng(seed).integers(0, g, size=(n_boot, g))
    # W[b, c]: how often cluster c was drawn in resample b
    w = np.bincount((np.arange(n_boot)[:, None] * g + draws).ravel(), minlength=n_boot * g).reshape(n_boot, g)
    shares = (w @ sums) / (w @ sizes)[:, None]
    low, high = np.quantile(shares, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return low, high


def clusters(units: pd.DataFrame) -> pd.Series:
    """Each unit's breakout cluster: its session and theme, or the unit itself where the notes give no theme."""
    theme = units["theme"].astype(str)
    return (session(units).astype(str) + "\x1f" + theme).where(theme != "", units["unit_id"].astype(str))


def code_frequencies(consensus: pd.DataFrame, units: pd.DataFrame, by: str = "part",
                     code_order: list[str] | None = None, n_boot: int = 0, seed: int = 0) -> pd.DataFrame:
    """How many units carry each code, overall and per group (part, prompt, section or theme).

    Parameters
    ----------
    n_boot, seed : int
        Resamples and seed of the bootstrap interval of each share
        (:func:`cluster_share_interval`, breakout themes resampled); 0: none.

    Returns
    -------
    pandas.DataFrame
        ``group, code_id, units_with_code, units_in_group, share, ci_low,
        ci_high``; ``group`` is ``(all units)`` for the overall rows, which
        come first.
    """
    wide = coded_units(consensus, units, code_order)
    codes = [c for c in wide.columns if c not in _META]
    wide = wide.assign(_cluster=clusters(wide).to_numpy())
    frames = []
    groups = [("(all units)", wide)] + [(g, sub) for g, sub in wide.groupby(by, sort=False)]
    for name, sub in groups:
        counts = sub[codes].sum()
        low, high = cluster_share_interval(sub[codes].to_numpy(), sub["_cluster"].to_numpy(), n_boot, seed)
        frames.append(pd.DataFrame({"group": name, "code_id": codes, "units_with_code": counts.to_numpy(),
                                    "units_in_group": len(sub), "share": (counts / len(sub)).to_numpy(),
                                    "ci_low": low, "ci_high": high}))
    return pd.concat(frames, ignore_index=True)


def prevalence_table(freq: pd.DataFrame) -> pd.DataFrame:
    """One row per code, one column per group: ``k of n: p% [low%, high%]`` (counts, share and its interval)."""
    def cell(r) -> str:
        ci = "" if pd.isna(r.ci_low) else f" [{r.ci_low:.0%}, {r.ci_high:.0%}]"
        return f"{int(r.units_with_code)} of {int(r.units_in_group)}: {r.share:.0%}{ci}"

    shown = freq.assign(text=[cell(r) for r in freq.itertuples()]) if len(freq) else freq.assign(text=[])
    wide = shown.pivot_table(index="code_id", columns="group", values="text", aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(freq["group"])))
    wide.columns.name = None
    return wide.reset_index()


def compare_groups(freq: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Share of units with each code in two groups (e.g. barriers vs enablers) and the difference."""
    a = freq[freq["group"] == first].set_index("code_id")
    b = freq[freq["group"] == second].set_index("code_id")
    if a.empty or b.empty:
        raise ValueError(f"groups {first!r} and {second!r} must both be in the frequency table")
    out = pd.DataFrame({"code_id": a.index, f"share {first}": a["share"].to_numpy(),
                        f"share {second}": b.reindex(a.index)["share"].to_numpy()})
    out["difference"] = out.iloc[:, 1] - out.iloc[:, 2]
    return out


def cooccurrence(consensus: pd.DataFrame, code_order: list[str] | None = None) -> pd.DataFrame:
    """Co-occurrence of codes within units: counts and Jaccard similarity, every ordered pair.

    ``units_both`` is the number of units with both codes (on the diagonal,
    units with the code); ``jaccard`` = both / (a + b − both).
    """
    wide = consensus.pivot_table(index="unit_id", columns="code_id", values="applied", aggfunc="max", sort=False)
    order = code_order or list(dict.fromkeys(consensus["code_id"]))
    A = wide.reindex(columns=order).fillna(0).to_numpy(dtype=float)
    C = A.T @ A
    n = np.diag(C)
    with np.errstate(invalid="ignore", divide="ignore"):
        J = C / (n[:, None] + n[None, :] - C)
    i, j = np.indices(C.shape)
    return pd.DataFrame({"code_a": np.array(order)[i.ravel()], "code_b": np.array(order)[j.ravel()],
                         "units_both": C.ravel().astype(int), "jaccard": J.ravel()})


def framework_by_theme(consensus: pd.DataFrame, units: pd.DataFrame, code_order: list[str] | None = None) -> pd.DataFrame:
    """Units per breakout theme × code (long), themes in document order with their part."""
    wide = coded_units(consensus, units, code_order)
    codes = [c for c in wide.columns if c not in _META]
    wide["theme"] = wide["theme"].replace("", NO_THEME)
    g = wide.groupby(["part", "theme"], sort=False)
    counts = g[codes].sum()
    sizes = g.size()
    long = counts.stack().rename("units_with_code").reset_index().rename(columns={"level_2": "code_id"})
    long["units_in_theme"] = long.set_index(["part", "theme"]).index.map(sizes).to_numpy()
    return long


#: The documented rule for exemplar quotes.
EXEMPLAR_RULE = ("For each code, the units carrying it are ranked by (1) how the decision was reached: agreed by every "
                 "coder first, then adjudicated, then provisional; (2) how specific the unit is: fewest other codes "
                 "first; (3) order in the notes. The first units in this order are the exemplars.")


def exemplars(consensus: pd.DataFrame, units: pd.DataFrame, per_code: int = 2,
              code_order: list[str] | None = None) -> pd.DataFrame:
    """Exemplar quotes per code, chosen by :data:`EXEMPLAR_RULE` (deterministic).

    Returns
    -------
    pandas.DataFrame
        ``code_id, rank, unit_id, basis, codes_on_unit, part, theme, text``.
    """
    rank_basis = {"unanimous": 0, "single coder": 1, "adjudicated": 2, "majority": 3, "tie": 4}
    applied = consensus[consensus["applied"] == 1]
    n_codes = applied.groupby("unit_id").size().rename("codes_on_unit")
    meta = units.set_index("unit_id")[["source", "position", "theme", "text"]].assign(part=part(units).to_numpy())
    df = applied.join(n_codes, on="unit_id").join(meta, on="unit_id")
    df["_b"] = df["basis"].map(rank_basis).fillna(9)
    order = code_order or list(dict.fromkeys(consensus["code_id"]))
    df["_c"] = df["code_id"].map({c: i for i, c in enumerate(order)})
    df = df.sort_values(["_c", "_b", "codes_on_unit", "source", "position"], kind="stable")
    df["rank"] = df.groupby("code_id").cumcount() + 1
    out = df[df["rank"] <= per_code]
    return out[["code_id", "rank", "unit_id", "basis", "codes_on_unit", "part", "theme", "text"]].reset_index(drop=True)


# --------------------------------------------------------------------------- the analysis stage

#: Tables written by :func:`run` as ``data/processed/findings_<name>.csv``.
FINDINGS = ("code_frequencies", "session_frequencies", "framework_by_theme", "cooccurrence", "exemplars", "keyness",
            "collocations", "word_frequencies", "autocoder_evaluation", "autocoder_suggestions")
_TEXT_COLS = ("group", "code_id", "code_a", "code_b", "part", "theme", "unit_id", "basis", "text", "word",
              "word_1", "word_2", "direction", "target_group", "reference_group", "codes")


def compared(paths) -> tuple[str, str] | None:
    """The parts of the notes the analysis compared (barriers, enablers), as recorded in the manifest; None if none."""
    from . import provenance

    params = provenance.load(paths).get("stages", {}).get("analysis", {}).get("parameters", {})
    pair = params.get("barriers"), params.get("enablers")
    return (str(pair[0]), str(pair[1])) if all(pair) else None


def compared_note(groups: tuple[str, str] | None) -> str:
    """One sentence saying which parts of the notes are compared, or how to choose them."""
    if groups is None:
        return ("No parts of the notes are compared: name two parts (a section heading, else a prompt) under "
                "'compare' in study.yaml, as barriers and enablers, to compare them.")
    return f"Compared: “{groups[0]}” (barriers) against “{groups[1]}” (enablers)."


def barriers_vs_enablers(freq: pd.DataFrame, groups: tuple[str, str] | None) -> pd.DataFrame:
    """:func:`compare_groups` for the compared parts (see :func:`compared`); empty when nothing is compared."""
    return compare_groups(freq, *groups) if groups else pd.DataFrame(columns=["code_id", "difference"])


def share_by_group(freq: pd.DataFrame) -> pd.DataFrame:
    """Wide view of :func:`code_frequencies`: one row per code, the share of units in each group."""
    wide = freq.pivot_table(index="code_id", columns="group", values="share", sort=False)
    wide.columns.name = None
    return wide.reset_index()


def run(paths=None, barriers: str | None = None, enablers: str | None = None) -> dict[str, pd.DataFrame]:
    """Stage: units + consensus + codebook -> ``data/processed/findings_*.csv``.

    Parameters
    ----------
    barriers, enablers : str, optional
        Parts of the notes compared (keyness and frequencies); default: the
        ``compare`` setting of ``study.yaml``, which is none unless set.
    """
    from . import codebook as cbmod
    from . import files, provenance, text
    from .consensus import read_consensus
    from .errors import InputError
    from .ingest import read_units
    from .paths import Paths

    paths = paths or Paths.from_root()
    from . import study

    units = read_units(paths.units)

    settings = study.load(paths)
    a, b = settings.compare or (None, None)
    from_study = not (barriers or enablers) and a is not None
    barriers, enablers = barriers or a, enablers or b
    if bool(barriers) != bool(enablers):
        raise InputError("give both the barriers and the enablers part to compare (or neither)")
    parts = part(units)
    for name in (barriers, enablers):
        if name is not None and name not in set(parts):
            key = ("study.yaml › compare › " + ("barriers" if name == barriers else "enablers") + ": ") if from_study else ""
            raise InputError(f"{key}part '{name}' is not in the notes (parts: {', '.join(dict.fromkeys(parts))}); "
                             "set compare in study.yaml to two of these, or to none")
    cons = read_consensus(paths)
    rounds = files.read_csv(paths.rounds, text=("round", "codebook_version"))
    version = rounds.sort_values("round")["codebook_version"].iloc[-1]
    book = cbmod.find(paths, version)
    ids = [c for c in book.ids if c in set(cons["code_id"])]
    if barriers is not None and enablers is not None:
        key = text.keyness(units.loc[parts == barriers, "text"], units.loc[parts == enablers, "text"])
    else:  # nothing to compare
        key = text.keyness([], [])
    key = key.assign(target_group=barriers or "", reference_group=enablers or "")
    lex = text.lexicon(book)
    suggested = text.autocode(units["text"].tolist(), lex)
    out = {
        "code_frequencies": code_frequencies(cons, units, "part", ids, settings.resamples, settings.seed),
        "session_frequencies": code_frequencies(cons, units, "session", ids, settings.resamples, settings.seed),
        "framework_by_theme": framework_by_theme(cons, units, ids),
        "cooccurrence": cooccurrence(cons, ids),
        "exemplars": exemplars(cons, units, 2, ids),
        "keyness": key,
        "collocations": text.collocations(units["text"], "likelihood_ratio", min_freq=2),
        "word_frequencies": text.word_frequencies(units),
        "autocoder_evaluation": text.evaluate_autocoder(units, cons, lex),
        "autocoder_suggestions": pd.DataFrame({
            "unit_id": units["unit_id"],
            "codes": ["; ".join(c for c, hit in zip(lex.codes, row) if hit) for row in suggested]}),
    }
    written = [files.write_csv(out[name], paths.findings(name)) for name in FINDINGS]
    provenance.record(paths, "analysis", inputs=[paths.units, paths.consensus, book.path], outputs=written,
                      parameters={"barriers": barriers, "enablers": enablers, "exemplars_per_code": 2,
                                  "share_ci": {"resamples": settings.resamples, "seed": settings.seed,
                                               "clusters": "session and breakout theme"},
                                  "collocation_measure": "likelihood_ratio", "collocation_min_freq": 2},
                      codebook_version=book.full_version)
    return out


def read_findings(paths, name: str) -> pd.DataFrame:
    """One ``findings_<name>.csv`` table."""
    from . import files

    return files.read_csv(paths.findings(name), text=_TEXT_COLS)


def round_change(by_code: pd.DataFrame, coefficient: str = "krippendorff_alpha") -> pd.DataFrame:
    """One row per code: ``coefficient`` in each round, and the change from the first to the last round."""
    sub = by_code[by_code["coefficient"] == coefficient]
    wide = sub.pivot_table(index="code_id", columns="round", values="estimate", sort=False, dropna=False)
    rounds = sorted(sub["round"].unique())
    wide = wide.reindex(columns=rounds)
    wide.columns.name = None
    if len(rounds) >= 2:
        wide["change"] = wide[rounds[-1]] - wide[rounds[0]]
    return wide.reset_index()


def coding_process(rounds: pd.DataFrame, codings: pd.DataFrame, n_units: int) -> pd.DataFrame:
    """Per round: coders, units coded, units double-coded (and their share of all units), codebook version."""
    rows = []
    for rnd, grp in codings.groupby("round", sort=True):
        per_unit = grp.groupby("unit_id")["coder"].nunique()
        r = rounds[rounds["round"] == rnd]
        rows.append({"round": rnd, "coders": ", ".join(sorted(grp["coder"].unique())),
                     "units_coded": int(len(per_unit)), "units_double_coded": int((per_unit >= 2).sum()),
                     "share_double_coded": float((per_unit >= 2).sum() / n_units) if n_units else float("nan"),
                     "codebook_version": ", ".join(sorted(set(r["codebook_version"]))),
                     "illustrative": bool(r["illustrative"].astype(bool).any())})
    return pd.DataFrame(rows)


def questions(units: pd.DataFrame) -> pd.DataFrame:
    """The questions the groups put to a speaker or facilitator (the notes' questions section), in order."""
    q = units[units["section"] == "questions"]
    return q[["unit_id", "text"]].rename(columns={"text": "question"}).reset_index(drop=True)
