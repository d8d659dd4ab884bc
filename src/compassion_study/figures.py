"""Figures: one function per figure, each returning a :class:`Chart`.

One shared style: the Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008,
*Color Universal Design*), readable fonts, a title and labelled axes on every
figure, and alt text written from the data for the report.  Saved output is
deterministic: a fixed SVG hash salt and no dates or software stamps in PNG or
SVG metadata, so two runs give identical bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import analysis, files, provenance  # noqa: E402
from .paths import Paths  # noqa: E402

#: Okabe–Ito palette, in an order that keeps adjacent colours distinct.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

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
    "svg.fonttype": "path",
}

PNG_DPI = 300
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


@dataclass
class Chart:
    """A finished figure with its file name and alt text.

    Displays in a notebook (and so in the report) as an ``<img>`` with alt
    text and a caption.
    """

    name: str
    figure: Figure
    alt: str

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
        return [files.write_bytes(folder / f"{self.name}.{fmt}", self.to_bytes(fmt)) for fmt in ("png", "svg")]

    def _repr_html_(self) -> str:
        svg = base64.b64encode(self.to_bytes("svg")).decode("ascii")
        return (
            f'<figure class="cs-figure" id="fig-{escape(self.name)}">'
            f'<img src="data:image/svg+xml;base64,{svg}" alt="{escape(self.alt)}" '
            f'style="max-width:100%;height:auto" />'
            f"<figcaption>{escape(self.title)}</figcaption></figure>"
        )


def _new(width: float, height: float) -> tuple[Figure, plt.Axes]:
    with plt.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def _themed(build: Callable[..., Chart]) -> Callable[..., Chart]:
    """Build the figure under the shared style."""

    def wrapper(*args, **kwargs) -> Chart:
        with plt.rc_context(STYLE):
            return build(*args, **kwargs)

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
        ax.barh([yy for yy, s in zip(y, sel) if s], table.loc[sel, "units"], color=colours[p], label=_short(p))
    ax.set_yticks(list(y), table["label"])
    ax.set_xlabel("Number of comment units")
    ax.set_ylabel("Breakout theme")
    ax.set_title("Comment units per breakout theme")
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.legend(title="Part of the notes", loc="outside lower center", ncols=2, frameon=False)
    top = table.sort_values("units", ascending=False, kind="stable").iloc[0]
    alt = (
        f"Horizontal bar chart of {int(table['units'].sum())} comment units across {len(table)} theme groups "
        f"in {len(parts)} parts of the notes ({', '.join(_short(p) for p in parts)}). "
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

    def formatted(self) -> pd.DataFrame:
        out = self.data.copy()
        for col in out.columns:
            if col in self.percent:
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
            elif pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:.{self.digits}f}")
        return out

    def _repr_html_(self) -> str:
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        html = self.formatted().to_html(index=False, escape=True, border=0, classes="cs-table", na_rep="")
        return html.replace('<table border="0" class="dataframe cs-table">', f'<table class="cs-table">{caption}', 1)


@dataclass
class Note:
    """A highlighted paragraph (e.g. the ILLUSTRATIVE data banner) for notebooks and the report."""

    text: str

    def _repr_html_(self) -> str:
        return f'<div class="cs-banner" role="note"><p>{escape(self.text)}</p></div>'

    def _repr_markdown_(self) -> str:
        return f"> **{self.text}**"


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


def illustrative_note(rounds: pd.DataFrame) -> Note | None:
    """The banner shown wherever illustrative coding is used (None if there is none)."""
    if rounds.empty or not rounds["illustrative"].astype(bool).any():
        return None
    which = ", ".join(sorted(set(rounds.loc[rounds["illustrative"].astype(bool), "round"])))
    return Note(f"ILLUSTRATIVE DATA: the coding of {which} was made up by the project team to demonstrate the "
                "method. It is not a real coding study; do not cite its numbers as findings.")


def table(data: pd.DataFrame, caption: str = "", percent: tuple[str, ...] = ("share",), digits: int = 3) -> Table:
    """Wrap ``data`` for display in a notebook and the report."""
    return Table(data.reset_index(drop=True), caption, tuple(c for c in percent if c in data.columns), digits)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def charts(paths: Paths) -> list[Chart]:
    """Every figure that the processed data present can support."""
    from .ingest import read_units

    out = [units_per_theme(read_units(paths.units))]
    return out


def write_all(paths: Paths | None = None) -> list[Path]:
    """Stage: processed data -> ``reports/figures/*.png|svg``."""
    paths = paths or Paths.from_root()
    written: list[Path] = []
    inputs = [p for p in (paths.units, paths.codings, paths.consensus) if p.is_file()]
    for chart in charts(paths):
        written.extend(chart.save(paths.figures))
    provenance.record(paths, "figures", inputs=inputs, outputs=written)
    return written
