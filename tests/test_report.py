"""Notebooks execute; the report renders offline in real headless Chromium."""

from __future__ import annotations

import re
import subprocess

import nbformat
import numpy as np
import pytest

from compassion_study import figures, ingest, report

from .conftest import REPO, tree_hashes


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One full pipeline run in a throw-away project (shared by this module's tests)."""
    import shutil

    from compassion_study.cli import main
    from compassion_study.paths import Paths

    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    assert main(["--root", str(root), "run"]) == 0
    return Paths.from_root(root)


@pytest.mark.parametrize("name", report.NOTEBOOKS)
def test_notebooks_are_paired_and_clean(name):
    """The jupytext .py is the source; the committed .ipynb has the same cells and no outputs."""
    py = report.load_notebook(REPO / "notebooks" / f"{name}.py")
    ipynb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
    assert [c.source for c in py.cells] == [c.source for c in ipynb.cells]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in ipynb.cells if c.cell_type == "code")
    tagged = [c for c in py.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in py.cells), "notebooks hold no logic"


@pytest.mark.parametrize("name", report.NOTEBOOKS)
def test_notebook_executes_with_default_parameters(built, name):
    nb = report.execute(name, built)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_report_written_with_figure_and_no_external_resources(built):
    html = built.report_html.read_text(encoding="utf-8")
    assert "Comment units per breakout theme" in html
    assert 'alt="Horizontal bar chart of 40 comment units' in html
    assert "data/raw/notes/2020-07-01_west_compassionate-leadership_breakout-notes.txt" in html
    # nothing the page would load from elsewhere: scripts, styles, images, fonts
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "<script src" not in html
    assert {p.name for p in built.figures.iterdir()} >= {"units_per_theme.png", "units_per_theme.svg"}


def test_report_rerun_is_byte_identical(built):
    from compassion_study.cli import main

    before = tree_hashes(built.processed) | {f"report/{k}": v for k, v in tree_hashes(built.reports).items()}
    assert main(["--root", str(built.root), "run"]) == 0
    after = tree_hashes(built.processed) | {f"report/{k}": v for k, v in tree_hashes(built.reports).items()}
    assert after == before


def test_svg_is_deterministic(tmp_path):
    units = ingest.read_notes([REPO / "data" / "raw" / "notes"])
    a = figures.units_per_theme(units).to_bytes("svg")
    b = figures.units_per_theme(units).to_bytes("svg")
    assert a == b and b"<dc:date>" not in a


def _screenshot(chromium: str, url: str, out, width: int, height: int = 2000) -> np.ndarray:
    from matplotlib.image import imread

    done = subprocess.run(
        [chromium, *report.chromium_args(f"--window-size={width},{height}", f"--screenshot={out}"), url],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return imread(out)


@pytest.mark.chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_headless_chromium(built, chromium, tmp_path, width):
    pixels = _screenshot(chromium, built.report_html.as_uri(), tmp_path / "shot.png", width)
    assert pixels.shape[1] == width
    ink = (pixels[..., :3] < 0.9).any(axis=-1).mean()
    assert ink > 0.02, f"screenshot is nearly blank ({ink:.1%} non-white pixels)"
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) > 50, "screenshot has almost no colours"
