"""Analysis: tidy summaries of the units and the coded data.

Every function takes DataFrames (as read from ``data/processed``) and returns
a tidy DataFrame; none writes files or draws.
"""

from __future__ import annotations

import pandas as pd

#: Label used for units with no breakout theme (e.g. questions to the speaker).
NO_THEME = "(no theme)"


def part(units: pd.DataFrame) -> pd.Series:
    """The part of the notes each unit belongs to: its section, else its prompt.

    For the bundled notes this gives the barriers prompt, ``positives``,
    ``areas to improve`` and ``questions``.
    """
    return units["section"].where(units["section"] != "", units["prompt"]).rename("part")


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
    """Wide view of :func:`codes_applied`: one row per round × code, a column per coder."""
    long = codes_applied(codings, code_order)
    wide = long.pivot_table(index=["round", "code_id"], columns="coder", values="applied", sort=False)
    wide.columns.name = None
    return wide.reset_index().astype({c: int for c in wide.columns})


def agreement_summary(by_code: pd.DataFrame, keys: tuple[str, ...] = (
        "percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1")) -> pd.DataFrame:
    """One row per round × code: prevalence and each coefficient as ``estimate [low, high] label``.

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
        ci = "" if pd.isna(row["ci_low"]) else f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
        label = f" {row['interpretation']}" if row["interpretation"] else ""
        return f"{row['estimate']:.2f}{ci}{label}"

    sub = by_code[by_code["coefficient"].isin(keys)].copy()
    sub["text"] = sub.apply(fmt, axis=1)
    wide = sub.pivot_table(index=["round", "code_id"], columns="coefficient", values="text", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[k for k in keys if k in wide.columns]).reset_index()
    wide.columns.name = None
    prev = by_code.groupby(["round", "code_id"], sort=False)["prevalence"].first().reset_index()
    return prev.merge(wide, on=["round", "code_id"])[["round", "code_id", "prevalence", *[k for k in keys if k in wide.columns]]]


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
