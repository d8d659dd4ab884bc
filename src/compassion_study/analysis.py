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
