"""Every figure function runs, writes PNG and SVG, has alt text, and is byte-identical across runs."""

from __future__ import annotations

import shutil

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
