"""The ratings calculator: reading any ratings table (four shapes), every coefficient with SE and CIs, and JSON."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .coefficients import KEYS, TWO_CODER_KEYS, _apply, _prepare, weights_name
from .ratings import EMPTY_SET_TOKENS, Ratings, _is_missing, _sort_key, parse_sets, ratings_from_long
from .uncertainty import analytic_interval, cohen_ase, compute, fleiss_null_test, gwet_variance
from .weights import MASI_M, _numeric, agreement_weights, difference


def agreement_table(data: pd.DataFrame, unit: str = "unit", coder: str = "coder", value: str = "value",
                    level: str = "nominal", weights: str | None = None, distance: str | None = None,
                    multilabel_sep: str | None = None, categories: Sequence | None = None,
                    n_boot: int = 0, seed: int = 0, masi_m: Sequence[float] = MASI_M,
                    label: str = "ratings", ci: float = 0.95, details: bool = False):
    """All coefficients for a long ratings table, as a tidy DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit × coder; empty values (blank text, None, NaN,
        ``pd.NA``, ``NaT``) are missing ratings.  Text ids and values are
        trimmed, as the calculator trims a file's.
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
        ``ordinal`` and ``weights`` need this (or numeric values).  Weights
        use the values of numeric categories, so with ``weights`` numeric
        categories must be given in increasing order.
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
    data = _trimmed(data, [c for c in (unit, coder, value) if c in data.columns])
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
    given = _numeric(categories) if categories is not None and isinstance(weights, str) else None
    if weights_name(weights) and given is not None and (np.diff(given) <= 0).any():
        # Gwet's weights are functions of the values of numeric categories (irrCAC sorts them), so an order
        # other than theirs cannot be honoured: refused rather than silently ignored
        raise InputError(f"categories {', '.join(map(str, categories))}: weights use the values of numeric "
                         "categories, so list them in increasing order (or give text labels, whose order is the "
                         "one given)")
    if categories is None and (level == "ordinal" or weights_name(weights)) and _numeric(r.categories) is None:
        raise InputError(f"{label}: the values are text labels ({', '.join(map(str, r.categories[:5]))}), which have "
                         "no order; give it with --categories (lowest first), e.g. --categories low,medium,high")
    table = compute([r], weights=weights, level=level, distance=distance, n_boot=n_boot, seed=seed, masi_m=masi_m,
                    ci=ci)[0]
    _add_analytic(table, r, weights, level, ci)
    if data.attrs.get("decimal_comma"):
        table.attrs["input_notes"] = ["decimal commas were read as decimal points (1,5 = 1.5)"]
    null = fleiss_null_test(r) if not weights_name(weights) else None
    if null:
        table.attrs["fleiss_null"] = {k: null[k] for k in ("se", "z", "p_value")}
    if not data.attrs.get("coders_known", True):
        # counts say how many coders chose each category, not who: coder-specific coefficients are not identified
        anonymous = table["coefficient"].isin(["cohen_kappa", "conger_kappa", "scott_pi", *TWO_CODER_KEYS])
        table.loc[anonymous, ["estimate", "ci_low", "ci_high", "se", "se_ci_low", "se_ci_high", "p_value"]] = np.nan
        table.loc[anonymous, "interpretation"] = ""
        table.loc[anonymous, "note"] = "not defined for counts, which do not say which coder gave which rating"
    if details:
        pairs = pairwise_table(r, weights) if data.attrs.get("coders_known", True) else pairwise_table(Ratings(
            np.empty((0, 0), dtype=np.int64), r.categories))
        return table, category_table(r, n_boot, seed, ci), pairs
    return table


def _trimmed(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``data`` with the text in ``columns`` trimmed, as the calculator reads files.

    A spreadsheet hides the space in ``"4 "`` or ``" B"``; untrimmed, such
    an id is another unit or coder and such a value another category.  Only
    ``str`` cells change (numbers, sets and missing values stay as they
    are); ``attrs`` (file lines, categories) are kept.
    """
    out = data
    for col in columns:
        values = data[col]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        text = values.map(lambda v: isinstance(v, str))
        if not text.any():
            continue
        stripped = values[text].str.strip()
        if (stripped != values[text]).any():
            if out is data:
                out = data.copy()
                out.attrs = dict(data.attrs)
            out[col] = values.astype(object)
            out.loc[text, col] = stripped
    return out


def category_table(r: Ratings, n_boot: int = 0, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Agreement on each category: Fleiss' (1971) per-category kappa, with bootstrap CIs.

    Each category against all the others, as a binary rating: with complete
    data this is Fleiss' ``kappa_j = 1 - sum_i x_ij (m - x_ij) /
    (N m (m - 1) p_j q_j)``; with missing ratings Gwet's form of Fleiss'
    kappa on the binary ratings.  ``share`` is the category's share of all
    ratings, ``p_o`` the observed agreement on the binary rating (this
    category or another) and ``p_e`` its chance agreement,
    ``p_j^2 + (1 - p_j)^2``, so that with complete data
    ``kappa = (p_o - p_e) / (1 - p_e)``.

    Returns
    -------
    pandas.DataFrame
        ``category, share, p_o, p_e, kappa, ci_low, ci_high, z, p_value, note``; ``z``
        and ``p_value`` are Fleiss' test of kappa_j = 0 where every unit has
        the same number of ratings (:func:`fleiss_null_test`).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many
    raters. *Psychological Bulletin*, 76(5), 378-382.
    """
    cols = ["category", "share", "p_o", "p_e", "kappa", "ci_low", "ci_high", "z", "p_value", "note"]
    if r.multilabel or r.q < 2:
        return pd.DataFrame(columns=cols)
    rated = r.X >= 0
    binary = [Ratings(np.where(rated, (r.X == k).astype(np.int64), -1), [0, 1], r.units, r.coders)
              for k in range(r.q)]
    tables = compute(binary, n_boot=n_boot, seed=seed, ci=ci)
    null = fleiss_null_test(r)
    rows = []
    for k, t in enumerate(tables):
        by = t.set_index("coefficient")
        row = by.loc["fleiss_kappa"]
        z, p = null["categories"][k][1:] if null else (np.nan, np.nan)
        share = float((r.X == k).sum() / max(rated.sum(), 1))
        rows.append((r.categories[k], share, float(by.loc["percent_agreement", "estimate"]),
                     share ** 2 + (1 - share) ** 2, row["estimate"], row["ci_low"], row["ci_high"], z, p, row["note"]))
    return pd.DataFrame(rows, columns=cols)


def pairwise_table(r: Ratings, weights=None) -> pd.DataFrame:
    """Every pair of coders: units both rated, percent agreement and Cohen's kappa; Light's kappa is their mean.

    With ``weights`` (see :func:`agreement_weights`) both are weighted, as in
    the main table.

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
            est = _apply(_prepare([pair], weights=weights), np.ones((1, int(both.sum()))))[0] if both.any() else {}
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
    rated = r.X[(r.X >= 0).any(1)]
    if r.X.shape[1] == 2 and len(rated) and (rated >= 0).all():
        # every rated unit has both ratings: the estimate is the classical kappa on the contingency table, whose
        # standard error is Fleiss, Cohen & Everitt's (1969)
        ase = cohen_ase(r, w)
        if ase is not None:
            found["cohen_kappa"] = ase
    elif "conger_kappa" in found and r.X.shape[1] == 2:
        # some units have one rating: the estimate is Gwet's (2014) missing-data form, which for two coders is
        # Conger's kappa, so its standard error is Conger's linearised variance, not FCE's on the complete pairs
        found["cohen_kappa"] = found["conger_kappa"]
        _add_note(table, "cohen_kappa", "se from Gwet's (2014) linearised variance, as for Conger's kappa: some "
                                        "units have one rating (Fleiss-Cohen-Everitt's ASE needs both)")
    for key, (se, df) in found.items():
        if key in est.index and np.isfinite(est[key]):
            row = table.index[table["coefficient"] == key][0]
            table.loc[row, ["se", "se_ci_low", "se_ci_high", "p_value"]] = (se, *analytic_interval(est[key], se, df, ci))
    if (not weights_name(weights) and level == "ordinal" and "krippendorff_alpha" in est.index
            and np.isfinite(est["krippendorff_alpha"])):
        _add_note(table, "krippendorff_alpha", "no analytic se for ordinal alpha: its differences depend on the "
                                               "observed category frequencies; use --bootstrap for a CI")


def _add_note(table: pd.DataFrame, key: str, note: str) -> None:
    """Append ``note`` to the note of coefficient ``key`` (if the table has it)."""
    rows = table.index[table["coefficient"] == key]
    for row in rows:
        old = table.at[row, "note"]
        table.at[row, "note"] = f"{old}; {note}" if old else note


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
    and ``ci_level``).  ``notes`` maps each coefficient to its note, and
    ``notes["input"]`` says how the file was read where that matters
    (decimal commas read as decimal points).
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
    if table.attrs.get("fleiss_null"):
        obj["fleiss_null"] = table.attrs["fleiss_null"]
    if table.attrs.get("alpha_below"):
        obj["p_alpha_below"] = {f"{m:g}": q for m, q in table.attrs["alpha_below"].items()}
    obj["notes"] = {k: t.loc[k, "note"] for k in t.index if t.loc[k, "note"]}
    if table.attrs.get("input_notes"):  # how the file was read, for every coefficient
        obj["notes"]["input"] = "; ".join(table.attrs["input_notes"])
    obj["interpretation"] = {k: t.loc[k, "interpretation"] for k in t.index if t.loc[k, "interpretation"]}
    if extra:
        obj.update(extra)
    return obj


_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


#: A comma followed by exactly three digits: a thousands separator ("1,000") as much as a decimal comma.
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")  # "0,125" can only be a decimal comma


#: How spreadsheets and statistics packages write "no value" (compared in lower case): in a column of
#: numbers at the nominal level such a value would otherwise become one more category.
NA_TOKENS = frozenset({"na", "n/a", "#n/a", "#na", "nan", "-nan", ".", "null", "#null!", "none", "<na>", "missing"})


SHAPES = ("long", "wide", "counts", "table")


#: Most ratings a counts or contingency table may stand for (each count becomes that many ratings).
MAX_COUNTED = 10_000_000


def read_ratings_csv(path, unit: str = "unit", coder: str = "coder", value: str = "value",
                     numeric: bool = False, missing: Sequence[str] = (), categories: Sequence[str] | None = None,
                     why: str = "the level needs numbers", shape: str = "long",
                     max_bytes: int = 200 * 1024 * 1024, decimal_comma: bool = False,
                     sets: bool = False) -> pd.DataFrame:
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
    tokens (``NA``, ``.``, ``-99`` …), is a missing rating; where numbers
    are needed (``numeric``) a token that is a number also matches the same
    number written otherwise (``-99`` catches ``-99.0``).  Values stay
    labels exactly as written (``01`` and ``1`` are two categories) unless
    ``numeric``, when each must be a number.  A decimal comma (``1,5``) is
    read where no value uses a decimal point, and ``attrs["decimal_comma"]``
    then says so; if every such value has exactly three digits after the
    comma (``1,000``) it may as well be a thousands separator, and is
    refused unless ``decimal_comma`` says the comma is a decimal point.
    With ``categories``, every value must be one of them.  At the nominal
    level (not ``numeric``, no ``categories``, not ``sets``), a column of
    numbers holding a token of :data:`NA_TOKENS` (``NA``, ``N/A``, ``#N/A``,
    ``NaN``, ``.`` …) is refused rather than read with "NA" as a category:
    list it in ``missing`` or give every category in ``categories``.

    Parameters
    ----------
    decimal_comma : bool
        The comma is a decimal point (``1,000`` is 1.0), as the user said.
    sets : bool
        Values are sets of codes (``--multilabel-sep``): labels, never
        checked as numbers.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``coder``, ``value`` as named; ``attrs["lines"]``
        gives each row's line in the file, ``attrs["categories"]`` the
        categories a counts or contingency table names.

    Raises
    ------
    InputError
        Unreadable file, missing columns, a value outside ``categories``, a
        value that is not a number where numbers are needed, a "no value"
        token among numbers at the nominal level, or commas that may be
        thousands separators, with the lines and the fix.
    """
    from pathlib import Path

    from .. import files

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
    for n, r in rows:  # a cell no column names would be dropped unread: an unquoted comma, or a missing header
        stray = [j for j, x in enumerate(r) if x and (j >= len(header) or (shape != "long" and j and not header[j]))]
        if stray:
            raise InputError(f"{path.name} › line {n}: a value ('{r[stray[0]][:40]}') in column {stray[0] + 1}, which has "
                             "no header (an unquoted comma or separator in a value?)")
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
    if not numeric and categories is None and not sets:
        text = df.loc[present, value]
        na_like = text.str.lower().isin(NA_TOKENS)
        if na_like.any() and (~na_like).any() and pd.to_numeric(
                text[~na_like].str.replace(",", ".", regex=False), errors="coerce").notna().all():
            shown = sorted(set(text[na_like]))
            raise InputError(f"{where(text[na_like])} in a column of numbers would be read as a category; if "
                             f"{'they mean' if len(shown) > 1 else 'it means'} no rating, give --missing "
                             f"{','.join(shown)}; to keep {'them' if len(shown) > 1 else 'it'} as a category, list "
                             f"every category with --categories")
    decimal_read = False
    if numeric:
        text = df.loc[present, value]
        comma = text.str.match(_DECIMAL_COMMA)
        if comma.any() and not text.str.contains(".", regex=False).any():
            if not decimal_comma and text[comma].str.match(_THOUSANDS).all():
                first = text[comma].index[0]
                raise InputError(f"{path.name} › line {lines[first]}: '{text[first]}' may be a thousands separator "
                                 f"({text[first].replace(',', '')}) or a decimal comma "
                                 f"({text[first].replace(',', '.')}); write the numbers without thousands "
                                 "separators, or give --decimal-comma if the comma is the decimal point")
            text = text.where(~comma, text.str.replace(",", ".", regex=False))
            decimal_read = True
        as_num = pd.to_numeric(text, errors="coerce")
        numbers = pd.to_numeric(pd.Series(sorted(tokens), dtype=object), errors="coerce").dropna()
        if len(numbers):  # --missing -99 also catches -99.0 and -99.00: numbers compare as numbers
            as_token = as_num.isin(set(numbers))
            present.loc[as_token[as_token].index] = False
            as_num = as_num[~as_token]
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
    df.attrs["decimal_comma"] = decimal_read
    df.attrs["coders_known"] = shape != "counts"
    if shape_categories is not None:
        dropped = set(tokens) | (set(numbers) if numeric else set())
        df.attrs["categories"] = [c for c in shape_categories if c not in dropped]
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
            if cell and not (cell.isascii() and cell.isdigit() and len(cell) <= 12):
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
