"""Reliability data: the :class:`Ratings` matrix and reshaping long tables into it (apart from any statistic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError



EMPTY_SET_TOKENS = ("{}", "∅")


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
    """True for a missing rating: any scalar pandas counts as missing, or blank text.

    ``None``, ``NaN`` (of any float type), ``pd.NA`` (nullable ``Int64``,
    ``boolean`` and ``string`` columns) and ``NaT`` are missing, by
    :func:`pandas.isna`; so is text that is empty once trimmed.  Sets of
    codes (frozensets, the empty set included) are never missing.
    """
    if isinstance(value, str):
        return value.strip() == ""
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


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
