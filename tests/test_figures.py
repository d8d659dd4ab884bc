"""Every figure function runs, writes PNG and SVG, has alt text, and is byte-identical across runs."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest

from compassion_study import figures
from compassion_study.cli import main
from compassion_study.paths import Paths

from .conftest import REPO


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("fig") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    for step in (["ingest"], ["import"], ["agreement", "--bootstrap", "100"], ["consensus", "import"], ["analyse"]):
        assert main(["--root", str(root), *step]) == 0
    return Paths.from_root(root)


EXPECTED = {"units_per_theme", "agreement_forest_round-1", "pairwise_agreement_round-1", "code_frequency_by_part",
            "framework_by_theme", "cooccurrence", "keyness", "autocoder_vs_consensus"}


def test_every_figure_is_built_with_title_and_alt_text(analysed):
    charts = figures.charts(analysed)
    assert {c.name for c in charts} == EXPECTED
    for chart in charts:
        assert chart.title and len(chart.alt) > 40, chart.name
        axes = chart.figure.axes[0]
        assert axes.get_xlabel() and axes.get_ylabel(), chart.name
        html = chart._repr_html_()
        assert 'alt="' in html and "data:image/svg+xml;base64," in html
    coded = [c for c in charts if c.name not in ("units_per_theme", "keyness")]
    assert all("ILLUSTRATIVE" in c.title for c in coded)


def test_write_all_png_and_svg_and_deterministic(analysed, tmp_path):
    written = figures.write_all(analysed)
    names = {p.name for p in written}
    for stem in EXPECTED:
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    for p in written:
        head = p.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else b"<?xml" in head
    first = {p.name: p.read_bytes() for p in written if p.suffix == ".svg"}
    again = {p.name: p.read_bytes() for p in figures.write_all(analysed) if p.suffix == ".svg"}
    assert first == again
    svg = first["keyness.svg"]
    assert b"<dc:date>" not in svg and b"matplotlib v" not in svg


def test_png_is_300_dpi(analysed):
    from PIL import Image

    chart = figures.charts(analysed)[0]
    path = chart.save(analysed.figures)[0]
    with Image.open(path) as im:
        assert round(im.info["dpi"][0]) == 300


def test_tables_never_show_negative_zero():
    """Issue 15: a CI bound of -0.004 printed as '-0.00' reads as a negative agreement; it is 0.00."""
    import pandas as pd

    from compassion_study import analysis

    assert [analysis.fixed(v) for v in (-0.004, -0.0, 0.004, -0.006, 0.5)] == ["0.00", "0.00", "0.00", "-0.01", "0.50"]
    html = figures.Table(pd.DataFrame({"code": ["a"], "ci_low": [-0.0004]}), digits=3)._repr_html_()
    assert "-0.000" not in html and ">0.000<" in html
    by_code = pd.DataFrame({"round": ["r"], "code_id": ["a"], "coefficient": ["cohen_kappa"], "estimate": [0.5],
                            "ci_low": [-0.001], "ci_high": [0.9], "interpretation": ["moderate"], "prevalence": [0.2]})
    # issue 15: no band beside a point estimate (reliability is judged on the interval, in the verdict table)
    assert analysis.agreement_summary(by_code)["cohen_kappa"].iloc[0] == "0.50 [0.00, 0.90]"


def test_a_long_table_shows_its_first_rows_and_links_every_row(tmp_path):
    """A table that grows with the units (the appendix of quotes, the disputed cells) shows ``limit`` rows,
    says how many there are and links a CSV of every row; a table within the limit is unchanged."""
    import pandas as pd

    from compassion_study import figures

    data = pd.DataFrame({"unit_id": [f"u{i}" for i in range(12)], "text": [f"quote {i}" for i in range(12)]})
    full = tmp_path / "reports" / "tables" / "quotes.csv"
    short = figures.table(data, caption="Quotes", limit=12, full=full)
    assert short._repr_html_() == figures.table(data, caption="Quotes")._repr_html_() and not full.exists()
    html = figures.table(data, caption="Quotes", limit=5, full=full)._repr_html_()
    assert html.count("<tr>") == 6 and "quote 4" in html and "quote 5" not in html
    assert "Showing the first 5 of 12 rows" in html and 'href="tables/quotes.csv"' in html
    assert full.read_text(encoding="utf-8") == figures.table(data, caption="Quotes").csv()


def test_table_downloads_cannot_run_as_formulas_and_keep_negative_numbers():
    """A report table's CSV (download link, and the full table of a long one) is opened in a spreadsheet:
    comment text starting with a formula trigger is neutralised, numbers (shown as text) are not."""
    data = pd.DataFrame({"text": ['=HYPERLINK("http://x","y")', "-not a number", "ok"], "share": [-0.25, 0.5, 1.0],
                         "n": [-1, 2, 3]})
    rows = list(csv.reader(io.StringIO(figures.table(data, caption="t", digits=2).csv())))
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x","y")', "'-not a number", "ok"]
    assert [r[1] for r in rows[1:]] == ["-25%", "50%", "100%"] and [r[2] for r in rows[1:]] == ["-1", "2", "3"]
