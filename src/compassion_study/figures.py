"""Figures: one function per figure, each returning a :class:`Chart`.

One shared style: the Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008,
*Color Universal Design*), readable fonts, a title and labelled axes on every
figure, and alt text written from the data for the report.  Saved output is
deterministic: a fixed SVG hash salt and no dates or software stamps in PNG or
SVG metadata, so two runs give identical bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
import pickle
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import analysis, files, provenance  # noqa: E402
from .errors import InputError  # noqa: E402
from .paths import Paths  # noqa: E402

#: Okabe–Ito palette, in an order that keeps adjacent colours distinct and puts first the colours with a
#: contrast of at least 3:1 against white (WCAG 2.1, 1.4.11): blue 5.2, vermillion 3.9, green 3.4, reddish
#: purple 3.1, black; orange (2.3), sky blue (2.3) and yellow (1.3) only after them.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#F0E442"]

STYLE = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "svg.hashsalt": "compassion_study",
    # text stays text in the SVG: selectable, searchable and read by screen readers (the font is named, never
    # embedded, so the bytes do not depend on the machine)
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
}

PNG_DPI = 300
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


#: Environment variable naming the folder of report renderings the figures stage saved
#: (:func:`write_all`); the report's kernel is started with it set (``report.execute_many``).
CACHE_ENV = "COMPASSION_STUDY_FIGURE_CACHE"
#: The folder, under ``reports/figures/``, holding those renderings: one JSON file per chart, named by its key.
CACHE_FOLDER = ".report"


@dataclass
class Chart:
    """A finished figure with its file name and alt text.

    Displays in a notebook (and so in the report) as an ``<img>`` with alt
    text and a caption.  A chart the figures stage already rendered for the
    report is shown from that rendering (``html``) and has no ``figure``.
    """

    name: str
    figure: Figure | None
    alt: str
    #: The figure's report rendering, when it was read from the figures stage's cache.
    html: str | None = None
    #: Digest of the builder and its arguments (see :func:`_chart_key`); empty for a chart built by hand.
    key: str = ""
    #: The name the builder gave it (a caller may rename a chart; a renamed one is not reused under the old key).
    built_name: str = ""

    @property
    def title(self) -> str:
        axes = self.figure.axes
        return (self.figure._suptitle.get_text() if self.figure._suptitle else "") or (axes[0].get_title() if axes else self.name)

    def to_bytes(self, fmt: str) -> bytes:
        buf = io.BytesIO()
        with plt.rc_context(STYLE):
            self.figure.savefig(buf, format=fmt, dpi=PNG_DPI if fmt == "png" else 100, metadata=_METADATA[fmt])
        return buf.getvalue()

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``<name>.png`` (300 dpi) and ``<name>.svg`` atomically."""
        folder = Path(folder)
        # a name is built from round names found in data: it must stay one file in ``folder``
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", self.name) or ".." in self.name:
            raise InputError(f"figure name {self.name!r} is not a plain file name; check the round names in "
                             "data/processed/codings.csv")
        return [files.write_bytes(folder / f"{self.name}.{fmt}", self.to_bytes(fmt)) for fmt in ("png", "svg")]

    #: Resolution of the PNG offered for download and placed in the Word report.
    REPORT_DPI = 150

    def _repr_html_(self) -> str:
        if self.html is not None:
            return self.html
        svg = base64.b64encode(self.to_bytes("svg")).decode("ascii")
        buf = io.BytesIO()
        with plt.rc_context(STYLE):
            self.figure.savefig(buf, format="png", dpi=self.REPORT_DPI, metadata=_METADATA["png"])
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        name = escape(self.name)
        return (
            f'<figure class="cs-figure" id="fig-{name}">'
            f'<img src="data:image/svg+xml;base64,{svg}" alt="{escape(self.alt)}" '
            f'style="max-width:100%;height:auto" />'
            f"<figcaption>{escape(self.title)}</figcaption>"
            f'<p class="cs-download">Download: <a download="{name}.svg" href="data:image/svg+xml;base64,{svg}">SVG</a>'
            f' · <a class="cs-png" download="{name}.png" href="data:image/png;base64,{png}">PNG</a></p></figure>'
        )


def _new(width: float, height: float) -> tuple[Figure, plt.Axes]:
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """This package's code and matplotlib's version: a rendering made by other code is never reused."""
    from .provenance import _source_digest

    return f"{_source_digest()}:{matplotlib.__version__}"


def _digest_value(h, value) -> None:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        h.update(repr((type(value).__name__, list(map(str, frame.columns)), list(map(str, frame.dtypes)),
                       list(map(str, frame.index.names)), frame.shape)).encode("utf-8"))
        # pandas' own row hashes: fixed key, so the same table gives the same digest in any process
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    else:
        h.update(repr(value).encode("utf-8"))
    h.update(b"\0")


def _chart_key(name: str, args: tuple, kwargs: dict) -> str:
    """Digest of a chart builder's name, its arguments (tables by content) and the code that draws it.

    Two calls with the same key draw the same bytes, so the report's kernel
    can show what the figures stage drew for a call with the same key.
    """
    h = hashlib.sha256(f"{name}\0{_code_digest()}\0".encode("utf-8"))
    for value in args:
        _digest_value(h, value)
    for k in sorted(kwargs):
        h.update(k.encode("utf-8") + b"=")
        _digest_value(h, kwargs[k])
    return h.hexdigest()


def _cached(key: str) -> Chart | None:
    """The figures stage's rendering for ``key``, where the report's kernel was told where to look."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    try:
        entry = json.loads((Path(folder) / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not drawn by the figures stage (other arguments, a notebook parameter): drawn here
    return Chart(entry["name"], None, entry["alt"], html=entry["html"], key=key, built_name=entry["name"])


def _themed(build: Callable[..., Chart]) -> Callable[..., Chart | Note]:
    """Build the figure under the shared style, or take it from the figures stage's renderings.

    In the report's kernel, a chart the figures stage already drew from the
    same data (same :func:`_chart_key`) is not drawn again: drawing and
    saving the SVG and PNG took about 1 s a chart.
    """

    def wrapper(*args, **kwargs) -> Chart | Note:
        key = _chart_key(build.__name__, args, kwargs)
        cached = _cached(key)
        if cached is not None:
            return cached
        with plt.rc_context(STYLE):
            chart = build(*args, **kwargs)
        if isinstance(chart, Chart):
            chart.key, chart.built_name = key, chart.name
        return chart

    wrapper.__doc__, wrapper.__name__ = build.__doc__, build.__name__
    return wrapper


@_themed
def units_per_theme(units: pd.DataFrame) -> Chart:
    """Horizontal bars: comment units per breakout theme, coloured by part of the notes."""
    table = analysis.units_overview(units)
    table["part"] = table["section"].where(table["section"] != "", table["prompt"])
    table["label"] = table["theme"].replace("", analysis.NO_THEME)
    parts = list(dict.fromkeys(table["part"]))
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(parts)}
    fig, ax = _new(8, 0.32 * len(table) + 1.6)
    y = range(len(table))[::-1]
    for p in parts:
        sel = table["part"] == p
        ax.barh([yy for yy, s in zip(y, sel) if s], table.loc[sel, "units"], color=colours[p],
                label=textwrap.fill(p, 45))
    ax.set_yticks(list(y), table["label"])
    ax.set_xlabel("Number of comment units")
    ax.set_ylabel("Breakout theme")
    ax.set_title("Comment units per breakout theme")
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.legend(title="Part of the notes", loc="outside lower center", ncols=2, frameon=False)
    top = table.sort_values("units", ascending=False, kind="stable").iloc[0]
    alt = (
        f"Horizontal bar chart of {int(table['units'].sum())} comment units across {len(table)} theme groups "
        f"in {len(parts)} parts of the notes ({'; '.join(parts)}). "
        f"The largest is {top['label']} with {int(top['units'])} units."
    )
    return Chart("units_per_theme", fig, alt)


@dataclass
class Table:
    """A DataFrame shown as a plain, deterministic HTML table with a caption.

    (pandas' ``Styler`` puts a random id in its HTML, which would make two
    renders of the same report differ.)
    """

    data: pd.DataFrame
    caption: str = ""
    percent: tuple[str, ...] = ()
    digits: int = 3
    #: Rows of a longer table that are shown; the rest are in :attr:`full` (see :func:`table`).
    limit: int | None = None
    #: The whole table as a CSV file in a folder beside the report, linked when rows are left out.
    full: Path | None = None

    def formatted(self) -> pd.DataFrame:
        """The cells as shown: shares as percentages, floats to ``digits``, booleans as yes/no, readable headers."""
        out = self.data.copy()
        for col in out.columns:
            if col in self.percent:
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
            elif pd.api.types.is_bool_dtype(out[col]):
                out[col] = out[col].map({True: "yes", False: "no"})
            elif pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else analysis.fixed(v, self.digits))
        out.columns = [header(c) for c in out.columns]
        return out

    def csv(self) -> str:
        """The table as shown, as CSV text (what the report's download link holds).

        Text from the data that a spreadsheet would evaluate (a comment starting with ``=``) is prefixed
        with an apostrophe (:func:`files.neutralise`); numbers, shown as text here, stay numbers.
        """
        out = self.formatted()
        for i in range(out.shape[1]):
            if not pd.api.types.is_numeric_dtype(self.data.iloc[:, i]):
                out.iloc[:, i] = out.iloc[:, i].map(lambda v: files.neutralise(v) if isinstance(v, str) else v)
        return out.to_csv(index=False, lineterminator="\n")

    #: A table holding a cell this long is a table of text: on a phone its rows become cards.
    TEXT_CELL = 60

    def _repr_html_(self) -> str:
        if self.data.empty:  # a header with no rows reads as a fault; say there is nothing
            what = f"{escape(self.caption)}: " if self.caption else ""
            return f'<p class="cs-empty"><em>{what}nothing to show.</em></p>'
        if self.limit is not None and len(self.data) > self.limit:
            return self._capped_html()
        shown = self.formatted()
        heads = [escape(str(c)) for c in shown.columns]
        cells = [["" if pd.isna(v) else str(v) for v in row] for row in shown.itertuples(index=False)]
        text = any(len(v) >= self.TEXT_CELL for row in cells for v in row)
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else "<caption></caption>"
        head = "".join(f'<th scope="col">{h}</th>' for h in heads)
        # data-label repeats the column name beside each cell where a phone shows the row as a card
        body = "".join("<tr>" + "".join(f'<td data-label="{h}">{escape(v)}</td>' for h, v in zip(heads, row)) + "</tr>"
                       for row in cells)
        data = base64.b64encode(self.csv().encode("utf-8")).decode("ascii")
        return (f'<table class="cs-table{" cs-text" if text else ""}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>"
                f'<p class="cs-download"><a download="table.csv" href="data:text/csv;base64,{data}">'
                "Download this table (CSV)</a></p>")


    def _capped_html(self) -> str:
        """The first :attr:`limit` rows, a note saying how many there are, and a link to :attr:`full`.

        Only the rows shown are formatted and embedded, so the report's size and
        build time do not grow with the study beyond what a reader can read.
        """
        n = len(self.data)
        head = Table(self.data.head(self.limit), self.caption, self.percent, self.digits)._repr_html_()
        head = head[:head.rindex('<p class="cs-download">')]  # the link to every row replaces the one to the rows shown
        note = f"Showing the first {self.limit:,} of {n:,} rows"
        if self.full is None:
            return head + f'<p class="cs-capped"><em>{escape(note)}.</em></p>'
        href = f"{self.full.parent.name}/{self.full.name}"
        return (head + f'<p class="cs-capped"><em>{escape(note)}; every row is in <code>{escape(href)}</code> beside '
                "this report.</em></p>"
                f'<p class="cs-download"><a download="{escape(self.full.name)}" href="{escape(href)}">'
                f"Download the full table (CSV, {n:,} rows)</a></p>")


#: Rows shown of a table that grows with the number of units (the appendix of quotes, the disputed cells):
#: what a reader can read; the rest is in the CSV file linked under the table.
ROWS_SHOWN = 500


@dataclass
class Note:
    """A highlighted paragraph (e.g. the ILLUSTRATIVE data banner) for notebooks and the report."""

    text: str

    def _repr_html_(self) -> str:
        return f'<div class="cs-banner" role="note"><p>{escape(self.text)}</p></div>'


@dataclass
class Prose:
    """Paragraphs of generated text, each ``(heading, text)``, escaped (see :mod:`compassion_study.narrative`)."""

    paragraphs: list

    def _repr_html_(self) -> str:
        return "".join(f"<p><strong>{escape(head)}.</strong> {_refs(escape(text))}</p>" if head
                       else f"<p>{_refs(escape(text))}</p>" for head, text in self.paragraphs)


#: A cross-reference in generated text: ``[[table:Caption start]]`` or ``[[figure:Title start]]``.
REF = re.compile(r"\[\[(table|figure):([^\]]+)\]\]")


def _refs(html: str) -> str:
    """Cross-references as links the report numbers ("Table 12"); in a notebook they read "the table 'X'"."""
    return REF.sub(lambda m: f'<a class="cs-ref" data-ref="{m.group(1)}:{m.group(2)}">the {m.group(1)} '
                             f"“{m.group(2)}”</a>", html)


@dataclass
class Bullets:
    """A list of generated sentences, escaped."""

    items: list
    numbered: bool = False

    def _repr_html_(self) -> str:
        tag = "ol" if self.numbered else "ul"
        return f"<{tag}>" + "".join(f"<li>{escape(str(i))}</li>" for i in self.items) + f"</{tag}>"


@dataclass
class CodeDefinitions:
    """Every code's full MacQueen entry as expandable blocks (id, label, fields)."""

    codebook_table: pd.DataFrame

    def _repr_html_(self) -> str:
        fields = [("brief", "Brief"), ("definition", "Definition"), ("use_when", "Use when"),
                  ("do_not_use_when", "Do not use when"), ("example", "Example"), ("source", "Source"),
                  ("keywords", "Keywords")]
        blocks = []
        for row in self.codebook_table.to_dict("records"):
            items = "".join(f"<dt>{name}</dt><dd>{escape(str(row[key]))}</dd>" for key, name in fields)
            blocks.append(f'<details class="cs-code"><summary><strong>{escape(row["label"])}</strong> '
                          f'(<code>{escape(row["id"])}</code>, {escape(row["group"])})</summary><dl>{items}</dl></details>')
        return "".join(blocks)


@dataclass
class Stack:
    """Several displays shown one after another."""

    parts: list

    def _repr_html_(self) -> str:
        return "".join(p._repr_html_() for p in self.parts)


def round_comparison(change: pd.DataFrame, codebook_change: tuple | None) -> Stack:
    """Round-over-round change per code, with the codebook diff between the rounds' versions.

    With one round, a note says there is nothing to compare yet.
    """
    rounds = [c for c in change.columns if c not in ("code_id", "change")]
    if len(rounds) < 2:
        return Stack([Note(f"Only one coding round so far ({', '.join(rounds)}): no change to show. After a codebook "
                           "revision and a second round, this section compares agreement per code between rounds.")])
    parts = [Table(change, f"Krippendorff's alpha per code, {rounds[0]} to {rounds[-1]}", (), 3)]
    if codebook_change is None:
        parts.append(Note("Both rounds used the same codebook version."))
    else:
        old, new, table = codebook_change
        parts.append(Table(table, f"Codebook changes from {old} to {new}", (), 3))
    return Stack(parts)


def illustrative_note(rounds: pd.DataFrame) -> Note | None:
    """The banner shown wherever illustrative coding is used (None if there is none)."""
    if rounds.empty or not rounds["illustrative"].astype(bool).any():
        return None
    which = ", ".join(sorted(set(rounds.loc[rounds["illustrative"].astype(bool), "round"])))
    return Note(f"ILLUSTRATIVE DATA: the coding of {which} was made up by the project team to demonstrate the "
                "method. It is not a real coding study; do not cite its numbers as findings.")


#: Column headers as a reader says them; any other ``snake_case`` header loses its underscores.
HEADERS = {
    "code_id": "Code", "unit_id": "Unit", "n_units": "Units", "n_coders": "Coders", "n_ratings": "Ratings",
    "ci_low": "95% CI low", "ci_high": "95% CI high", "ll": "G² (log-likelihood)", "log_ratio": "Log ratio",
    "per_1000": "Per 1,000 words", "units_with_code": "Units with the code", "units_in_group": "Units in the group",
    "share_double_coded": "Share double-coded", "units_double_coded": "Units double-coded",
    "codebook_version": "Codebook version", "units_assigned": "Units assigned", "units_coded": "Units coded",
    "percent_agreement": "Percent agreement", "cohen_kappa": "Cohen's kappa", "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1", "pabak": "PABAK", "prevalence_index": "Prevalence index", "bias_index": "Bias index",
    "f1": "F1", "kappa": "Kappa", "n": "N",
    "krippendorff_alpha_masi": "Krippendorff's alpha (MASI)", "krippendorff_alpha_jaccard": "Krippendorff's alpha (Jaccard)",
    "scott_pi": "Scott's pi", "fleiss_kappa": "Fleiss' kappa", "conger_kappa": "Conger's kappa",
    "brennan_prediger": "Brennan–Prediger",
}


def header(name) -> str:
    """A column header as shown: :data:`HEADERS`, else underscores as spaces and the first letter capitalised."""
    text = str(name)
    if text in HEADERS:
        return HEADERS[text]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def table(data: pd.DataFrame, caption: str = "", percent: tuple[str, ...] = ("share",), digits: int = 3,
          tag: str = "", labels: dict | None = None, limit: int | None = None,
          full: str | Path | None = None) -> Table:
    """Wrap ``data`` for display in a notebook and the report.

    Parameters
    ----------
    caption : str
        Shown above the table (the report numbers it).
    percent : tuple of str
        Columns of shares shown as percentages.
    digits : int
        Decimals of other floats.
    tag : str
        ``"ILLUSTRATIVE data"`` (see :func:`data_tag`) where the table is built on illustrative coding: added to
        the caption, so that no table of such numbers can be copied out without it.
    labels : dict, optional
        Code id -> label: a ``code_id`` column shows labels instead of ids.
    limit : int, optional
        Show at most this many rows (e.g. :data:`ROWS_SHOWN`), with a note of how many there are.
    full : str or Path, optional
        With ``limit``: where the whole table (as shown, every row) is written as CSV when rows are left
        out, a file in a folder beside the report (``reports/tables/NAME.csv``), linked under the table.
        Nothing is written for a table within the limit.
    """
    data = data.reset_index(drop=True)
    if "round" in data.columns and len(data) > 1 and data["round"].nunique() == 1:
        # a column repeating one round on every row says it once, in the caption
        only = str(data["round"].iloc[0])
        data = data.drop(columns="round")
        caption = f"{caption}, {only}" if caption and only not in caption else (caption or only)
    if labels and "code_id" in data.columns:
        data = data.assign(code_id=data["code_id"].map(lambda c: labels.get(c, c)))
    if "coefficient" in data.columns:  # coefficients by name, as in the text
        data = data.assign(coefficient=data["coefficient"].map(lambda c: HEADERS.get(c, c)))
    caption = f"{caption} ({tag})" if tag and caption else (f"({tag})" if tag else caption)
    shown = Table(data, caption, tuple(c for c in percent if c in data.columns), digits, limit,
                  Path(full) if full is not None else None)
    if limit is not None and full is not None and len(data) > limit:
        files.write_text(Path(full), shown.csv())
    return shown


@_themed
def agreement_forest(by_code: pd.DataFrame, round_: str | None = None,
                     keys: tuple[str, ...] = ("krippendorff_alpha", "gwet_ac1"), tag: str = "",
                     minimum: float = 0.667, target: float = 0.800) -> Chart:
    """Forest plot: per-code coefficients with 95% bootstrap CIs and lines at the study's alpha ``minimum`` and ``target``.

    The defaults are Krippendorff's (2004) .667 and .800; a study sets its
    own in ``study.yaml`` (``reliability``).
    """
    lo_t, hi_t = f"{minimum:.3f}".removeprefix("0"), f"{target:.3f}".removeprefix("0")
    rounds = sorted(by_code["round"].unique())
    round_ = round_ or rounds[-1]
    sub = by_code[(by_code["round"] == round_) & by_code["coefficient"].isin(keys)]
    codes = list(dict.fromkeys(sub["code_id"]))
    fig, ax = _new(8, 0.34 * len(codes) + 1.8)
    markers = {"krippendorff_alpha": "o", "gwet_ac1": "^", "cohen_kappa": "s", "percent_agreement": "D"}
    names = {"krippendorff_alpha": "Krippendorff's alpha", "gwet_ac1": "Gwet's AC1", "cohen_kappa": "Cohen's kappa",
             "percent_agreement": "Percent agreement"}
    offsets = {k: (i - (len(keys) - 1) / 2) * 0.25 for i, k in enumerate(keys)}
    y = {c: len(codes) - 1 - i for i, c in enumerate(codes)}
    undefined = []
    for j, key in enumerate(keys):
        rows = sub[sub["coefficient"] == key]
        ok = rows["estimate"].notna()
        ys = [y[c] + offsets[key] for c in rows.loc[ok, "code_id"]]
        est = rows.loc[ok, "estimate"].to_numpy()
        lo = rows.loc[ok, "ci_low"].fillna(rows.loc[ok, "estimate"]).to_numpy()
        hi = rows.loc[ok, "ci_high"].fillna(rows.loc[ok, "estimate"]).to_numpy()
        # the interval as a line of its own: a percentile bootstrap interval need not contain the estimate
        ax.hlines(ys, lo, hi, color=PALETTE[j], linewidth=1.2)
        ax.plot(est, ys, linestyle="none", marker=markers.get(key, "o"), color=PALETTE[j],
                label=names.get(key, key), markersize=5)
        undefined += [c for c in rows.loc[~ok, "code_id"] if key == keys[0]]
    for x, style, text in ((minimum, "--", lo_t), (target, "-", hi_t)):
        ax.axvline(x, color="#555555", linestyle=style, linewidth=1)
        ax.text(x, len(codes) - 0.3, text, ha="center", va="bottom", fontsize=8, color="#333333")
    ax.set_yticks([y[c] for c in codes], [c + (" (undefined)" if c in undefined else "") for c in codes])
    lows = sub["ci_low"].dropna()
    ax.set_xlim(min(-0.1, float(lows.min()) - 0.05) if len(lows) else -0.1, 1.05)
    ax.set_ylim(-0.7, len(codes) - 0.1)
    ax.set_xlabel("Coefficient (point estimate and 95% bootstrap CI)")
    ax.set_ylabel("Code")
    ax.set_title(_tagged(f"Agreement per code, {round_}", tag))
    fig.legend(loc="outside lower center", ncols=len(keys), frameon=False)
    alpha = sub[sub["coefficient"] == keys[0]].dropna(subset=["estimate"])
    reliable = int((alpha["estimate"] >= target).sum())
    tentative = int(((alpha["estimate"] >= minimum) & (alpha["estimate"] < target)).sum())
    alt = (f"Forest plot of {names.get(keys[0], keys[0])} and {', '.join(names.get(k, k) for k in keys[1:])} for "
           f"{len(codes)} codes in {round_}, with 95% bootstrap confidence intervals and reference lines at {lo_t} and "
           f"{hi_t}. {reliable} codes reach {hi_t}, {tentative} are between {lo_t} and {hi_t}, "
           f"{len(alpha) - reliable - tentative} are below {lo_t}" + (f", and {len(undefined)} are undefined." if undefined else "."))
    return Chart(f"agreement_forest_{round_}", fig, alt)


@_themed
def pairwise_heatmap(matrix: pd.DataFrame, title: str = "Pairwise agreement (multi-label MASI alpha)", tag: str = "") -> Chart:
    """Coder × coder heatmap of an over-all-codes coefficient: each pair once (the lower triangle), value printed."""
    n = len(matrix)
    full = matrix
    # each pair once: rows are coders 2..n, columns coders 1..n-1 (two coders give one cell, not the same number twice)
    matrix = matrix.iloc[1:, :-1] if n > 1 else matrix
    values = matrix.to_numpy(dtype=float).copy()
    values[np.triu_indices_from(values, k=1)] = np.nan
    m = len(matrix)
    fig, ax = _new(1.2 * m + 2.6, 1.0 * m + 1.8)
    im = ax.imshow(values, vmin=0, vmax=1, cmap="cividis")
    for i in range(m):
        for j in range(i + 1):
            v = values[i, j]
            ax.text(j, i, "—" if np.isnan(v) else f"{v:.2f}", ha="center", va="center",
                    color="white" if (not np.isnan(v) and v < 0.6) else "black")
    ax.set_xticks(range(m), matrix.columns)
    ax.set_yticks(range(m), matrix.index)
    ax.set_xlabel("Coder")
    ax.set_ylabel("Coder")
    ax.set_title(_tagged(title, tag))
    fig.colorbar(im, ax=ax, label="alpha", shrink=0.8)
    pairs = [(full.index[i], full.columns[j], full.iat[i, j]) for i in range(n) for j in range(i + 1, n)]
    alt = f"Heatmap: {title}, for {n} coders: " + "; ".join(f"{a} and {b}: {v:.2f}" for a, b, v in pairs if not pd.isna(v)) + "."
    return Chart("pairwise_agreement", fig, alt)


@_themed
def code_frequency_by_part(freq: pd.DataFrame, tag: str = "") -> Chart:
    """Grouped bars: share of units in each part of the notes carrying each code."""
    groups = [g for g in dict.fromkeys(freq["group"]) if g != "(all units)"]
    codes = list(dict.fromkeys(freq["code_id"]))
    fig, ax = _new(8.5, 0.42 * len(codes) + 2.0)
    height = 0.8 / max(len(groups), 1)
    for j, g in enumerate(groups):
        sub = freq[freq["group"] == g].set_index("code_id").reindex(codes)
        ys = [len(codes) - 1 - i + (len(groups) / 2 - j - 0.5) * height for i in range(len(codes))]
        ax.barh(ys, sub["share"].fillna(0), height=height, color=PALETTE[j % len(PALETTE)],
                label=textwrap.fill(f"{g} (n={int(sub['units_in_group'].iloc[0])})", 45))
    ax.set_yticks([len(codes) - 1 - i for i in range(len(codes))], codes)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Share of the part's units carrying the code")
    ax.set_ylabel("Code")
    ax.set_title(_tagged("Codes by part of the notes", tag))
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    overall = freq[freq["group"] == "(all units)"].sort_values("units_with_code", ascending=False, kind="stable")
    top = ", ".join(f"{r.code_id} ({r.units_with_code})" for r in overall.head(3).itertuples())
    alt = (f"Grouped bar chart of the share of units carrying each of {len(codes)} codes in {len(groups)} parts of "
           f"the notes. Most frequent codes overall: {top}.")
    return Chart("code_frequency_by_part", fig, alt)


def _heatmap(matrix: pd.DataFrame, title: str, xlabel: str, ylabel: str, cbar: str, fmt: str, vmax: float | None = None):
    fig, ax = _new(0.42 * matrix.shape[1] + 3.6, 0.36 * matrix.shape[0] + 2.4)
    values = matrix.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="cividis", vmin=0, vmax=vmax if vmax is not None else max(np.nanmax(values), 1),
                   aspect="auto")
    top = np.nanmax(values) if values.size else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if not np.isnan(v) and v > 0:
                ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=9,
                        color="black" if v > 0.55 * (vmax or top) else "white")
    ax.set_xticks(range(values.shape[1]), matrix.columns, rotation=60, ha="right")
    ax.set_yticks(range(values.shape[0]), matrix.index)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=cbar, shrink=0.7)
    return fig


@_themed
def framework_theme_heatmap(table: pd.DataFrame, tag: str = "") -> Chart:
    """Heatmap of units per breakout theme (rows) × code (columns)."""
    wide = table.pivot_table(index="theme", columns="code_id", values="units_with_code", sort=False)
    fig = _heatmap(wide, _tagged("Framework codes by breakout theme", tag),
                   "Code", "Breakout theme", "Units", ".0f")
    flat = table.sort_values("units_with_code", ascending=False, kind="stable").head(3)
    top = "; ".join(f"{r.theme} × {r.code_id}: {r.units_with_code}" for r in flat.itertuples())
    alt = f"Heatmap of {wide.shape[0]} breakout themes by {wide.shape[1]} codes, cells counting units. Largest cells: {top}."
    return Chart("framework_by_theme", fig, alt)


@_themed
def cooccurrence_heatmap(table: pd.DataFrame, tag: str = "") -> Chart:
    """Heatmap of Jaccard similarity between codes (units carrying both / either)."""
    wide = table.pivot_table(index="code_a", columns="code_b", values="jaccard", sort=False)
    values = wide.to_numpy(copy=True)
    np.fill_diagonal(values, np.nan)
    wide = pd.DataFrame(values, index=wide.index, columns=wide.columns)
    # the colour scale spans the values there are (a 0–1 scale left every cell of a sparse coding dark)
    top = float(np.nanmax(values)) if np.isfinite(values).any() and np.nanmax(values) > 0 else 1.0
    fig = _heatmap(wide, _tagged("Co-occurrence of codes within units (Jaccard)", tag),
                   "Code", "Code", "Jaccard similarity", ".2f", vmax=top)
    off = table[table["code_a"] < table["code_b"]].sort_values(["jaccard", "code_a"], ascending=[False, True]).head(3)
    top = "; ".join(f"{r.code_a} and {r.code_b}: {r.jaccard:.2f} ({r.units_both} units)" for r in off.itertuples())
    alt = f"Heatmap of Jaccard similarity between {wide.shape[0]} codes. Strongest pairs: {top}."
    return Chart("cooccurrence", fig, alt)


@_themed
def keyness_chart(table: pd.DataFrame, top: int = 10) -> Chart | Note:
    """Diverging bars of the most key words in each direction (log-likelihood G², log ratio in labels).

    The groups compared are read from the table's ``target_group`` and
    ``reference_group`` columns; with no words to compare, a note says so.
    """
    if table.empty:
        return Note("No keyness: it needs two parts of the notes to compare (see 'compare' in study.yaml).")
    target, reference = table["target_group"].iloc[0], table["reference_group"].iloc[0]
    a = table[table["direction"] == "target"].head(top)
    b = table[table["direction"] == "reference"].head(top)
    rows = pd.concat([a.assign(signed=a["ll"]), b.assign(signed=-b["ll"])]).sort_values("signed", kind="stable")
    fig, ax = _new(8, 0.3 * len(rows) + 1.8)
    # the first part compared keeps the first colour, as in every figure of the parts
    colours = [PALETTE[0] if v > 0 else PALETTE[1] for v in rows["signed"]]
    ax.barh(range(len(rows)), rows["signed"], color=colours)
    ax.set_yticks(range(len(rows)), [f"{w} (LR {lr:+.1f})" for w, lr in zip(rows["word"], rows["log_ratio"])])
    ax.axvline(3.84, color="#555555", linestyle="--", linewidth=1)
    ax.axvline(-3.84, color="#555555", linestyle="--", linewidth=1)
    ax.set_xlabel("Log-likelihood G² (right: key in the first part; left: key in the second)")
    ax.set_ylabel("Word (log ratio)")
    # the parts' full names, wrapped: a title cut at 30 characters hid which parts were compared
    ax.set_title(textwrap.fill(f"Keyness: “{target}” (first) against “{reference}” (second)", 60))
    words_a = ", ".join(a["word"].head(5))
    words_b = ", ".join(b["word"].head(5))
    alt = (f"Diverging bar chart of keyness (log-likelihood) comparing '{target}' with '{reference}'. Most key in the "
           f"first: {words_a or 'none'}; most key in the second: {words_b or 'none'}. Dashed lines mark G² = 3.84 (p = .05).")
    return Chart("keyness", fig, alt)


@_themed
def autocoder_chart(evaluation: pd.DataFrame, tag: str = "") -> Chart:
    """Bars per code: the lexicon auto-coder's F1 and Cohen's kappa against the consensus."""
    codes = list(evaluation["code_id"])
    fig, ax = _new(8, 0.36 * len(codes) + 1.8)
    y = np.arange(len(codes))[::-1]
    ax.barh(y + 0.2, evaluation["f1"].fillna(0), height=0.4, color=PALETTE[0], label="F1")
    ax.barh(y - 0.2, evaluation["kappa"].fillna(0), height=0.4, color=PALETTE[1], label="Cohen's kappa")
    ax.set_yticks(y, codes)
    ax.set_xlim(min(0, float(evaluation["kappa"].min(skipna=True) or 0)) - 0.05, 1.05)
    ax.set_xlabel("Score against the consensus")
    ax.set_ylabel("Code")
    ax.set_title(_tagged("Lexicon auto-coder against the consensus", tag))
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    good = int((evaluation["kappa"] >= 0.8).sum())
    worst = evaluation.sort_values("kappa", kind="stable").head(3)
    alt = (f"Bar chart of F1 and Cohen's kappa of the keyword auto-coder for {len(codes)} codes; {good} reach kappa .80. "
           f"Weakest: {', '.join(f'{r.code_id} ({r.kappa:.2f})' for r in worst.itertuples())}.")
    return Chart("autocoder_vs_consensus", fig, alt)


def _tagged(title: str, tag: str) -> str:
    return f"{title}\n({tag})" if tag else title


def data_tag(paths: Paths) -> str:
    """What a figure built from the coded data must say about it: ILLUSTRATIVE and/or provisional."""
    from .consensus import read_consensus
    from .sheets import read_rounds

    parts = []
    if paths.rounds.is_file() and read_rounds(paths)["illustrative"].astype(bool).any():
        parts.append("ILLUSTRATIVE data")
    if paths.consensus.is_file() and read_consensus(paths)["provisional"].astype(bool).any():
        parts.append("provisional consensus")
    return ", ".join(parts)


def charts(paths: Paths) -> list[Chart]:
    """Every figure that the processed data present can support."""
    from .ingest import read_units

    out = [units_per_theme(read_units(paths.units))]
    tag = data_tag(paths)
    if paths.agreement_by_code.is_file():
        from . import study
        from .agreement import read_table

        settings = study.load(paths)
        coded_tag = "ILLUSTRATIVE data" if "ILLUSTRATIVE" in tag else ""
        by_code = read_table(paths.agreement_by_code)
        for rnd in sorted(by_code["round"].unique()):
            out.append(agreement_forest(by_code, rnd, tag=coded_tag, minimum=settings.minimum, target=settings.target))
        pw = read_table(paths.agreement_pairwise)
        for rnd in sorted(pw["round"].unique()) if len(pw) else []:
            chart = pairwise_heatmap(analysis.pairwise_matrix(pw, round_=rnd),
                                     f"Pairwise agreement, {rnd} (multi-label MASI alpha)", tag=coded_tag)
            chart.name = f"pairwise_agreement_{rnd}"
            out.append(chart)
    if paths.findings("code_frequencies").is_file():
        out.append(code_frequency_by_part(analysis.read_findings(paths, "code_frequencies"), tag))
        out.append(framework_theme_heatmap(analysis.read_findings(paths, "framework_by_theme"), tag))
        out.append(cooccurrence_heatmap(analysis.read_findings(paths, "cooccurrence"), tag))
        key = analysis.read_findings(paths, "keyness")
        if len(key):
            out.append(keyness_chart(key))
        out.append(autocoder_chart(analysis.read_findings(paths, "autocoder_evaluation"), tag))
    return out


def _report_rendering(chart: Chart, blob: bytes) -> str:
    """The chart's report HTML, drawn on a fresh copy of its figure (``blob``, the figure pickled before any draw).

    Constrained layout moves artists by fractions of a point from one draw
    to the next, so the SVG saved after the 300-dpi PNG is not byte-identical
    to one drawn first.  The report has always shown a first drawing; an
    unpickled copy is that first drawing, at a tenth of the cost of building
    the figure again in the kernel.
    """
    fresh = Chart(chart.name, pickle.loads(blob), chart.alt)  # noqa: S301 - our own bytes, from this process
    try:
        return fresh._repr_html_()
    finally:
        fresh.figure.clear()


def write_all(paths: Paths | None = None) -> list[Path]:
    """Stage: processed data -> ``reports/figures/*.png|svg``, and the report's renderings of them.

    Besides the files, each chart's report HTML (inline SVG, 150-dpi PNG
    link) is kept in ``reports/figures/.report/<key>.json``, named by the
    digest of the builder and its arguments (:func:`_chart_key`): the
    report's kernel shows it instead of drawing the chart a second time.
    The renderings are a cache, not results: they are not in the manifest,
    and a missing one is drawn in the kernel.
    """
    paths = paths or Paths.from_root()
    written: list[Path] = []
    inputs = [p for p in (paths.units, paths.codings, paths.agreement_by_code, paths.agreement_pairwise,
                          paths.consensus, *[paths.findings(n) for n in analysis.FINDINGS]) if p.is_file()]
    cache = paths.figures / CACHE_FOLDER
    for old in sorted(cache.glob("*.json")) if cache.is_dir() else []:
        files.remove(old)
    for chart in charts(paths):
        blob = pickle.dumps(chart.figure)
        written.extend(chart.save(paths.figures))
        if chart.key and chart.name == chart.built_name:
            entry = {"name": chart.name, "alt": chart.alt, "html": _report_rendering(chart, blob)}
            files.write_text(cache / f"{chart.key}.json", json.dumps(entry, sort_keys=True) + "\n")
        chart.figure.clear()
    provenance.record(paths, "figures", inputs=inputs, outputs=written)
    return written
