"""Report: executed notebooks -> one self-contained ``reports/report.html``.

The notebooks in ``notebooks/`` (jupytext percent scripts, the source of
truth) are executed headlessly with papermill, which injects parameters after
each notebook's cell tagged ``parameters``.  Their outputs, with code hidden,
are joined under a generated front page (what the report is, which data it
was built from) and table of contents, and rendered with nbconvert through a
template that loads nothing from the network.  Figures are inline SVG with
alt text.  A PDF is printed with headless Chromium where it is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from . import files, provenance
from .errors import InputError
from .paths import Paths

#: Notebooks executed for the report, in report order, with the processed
#: files each needs (a section is left out, and the report says so, until
#: its inputs exist).
SECTIONS: dict[str, tuple[str, ...]] = {
    "01_units": ("units",),
    "02_codebook_coding": ("units", "codings", "rounds"),
    "03_agreement": ("agreement_by_code", "agreement_pairwise", "agreement_overall", "rounds"),
    "04_consensus_findings": ("consensus", "rounds"),
    "05_text": ("units", "consensus", "rounds"),
}
NOTEBOOKS: tuple[str, ...] = tuple(SECTIONS)

TITLE = "Compassionate leadership workshop: evaluation report"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def load_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook from its jupytext ``.py`` source (or an ``.ipynb``)."""
    import jupytext

    return jupytext.read(path) if path.suffix == ".py" else nbformat.read(path, as_version=4)


def execute(name: str, paths: Paths, parameters: Mapping[str, Any] | None = None) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>.py`` with ``parameters`` and return the result.

    Raises
    ------
    InputError
        When a cell fails; the message names the notebook, the cell and the error.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = paths.notebooks / f"{name}.py"
    if not source.is_file():
        raise InputError(f"{source}: notebook not found")
    params = {"root": str(paths.root), **(parameters or {})}
    try:
        return papermill.execute_notebook(
            load_notebook(source), None, parameters=params, kernel_name="python3",
            progress_bar=False, cwd=str(paths.notebooks), log_output=False,
        )
    except PapermillExecutionError as exc:
        raise InputError(f"{paths.relative(source)} › cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None


def _output_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells a reader sees: markdown and code outputs, not parameter cells."""
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters"}:
            continue
        if cell.cell_type == "code" and not cell.get("outputs"):
            continue
        cell.metadata = {}
        keep.append(cell)
    return keep


def _html_cell(html: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source="", outputs=[nbformat.v4.new_output("display_data", data={"text/html": html})])


def available_sections(paths: Paths, notebooks: Sequence[str] = NOTEBOOKS) -> tuple[list[str], list[str]]:
    """Split ``notebooks`` into those whose inputs exist and those left out."""
    ready, missing = [], []
    for name in notebooks:
        needs = SECTIONS.get(name, ())
        (ready if all(getattr(paths, n).is_file() for n in needs) else missing).append(name)
    return ready, missing


def _rounds(paths: Paths) -> pd.DataFrame:
    if not paths.rounds.is_file():
        return pd.DataFrame(columns=["round", "coder", "source", "codebook_version", "illustrative"])
    return files.read_csv(paths.rounds, text=("round", "coder", "source", "codebook_version"))


def front_matter(paths: Paths, units: pd.DataFrame, left_out: Sequence[str] = ()) -> str:
    """HTML for the report's first screen: what it is and what it was built from."""
    manifest = provenance.load(paths)
    notes = manifest.get("stages", {}).get("ingest", {}).get("inputs", [])
    sessions = sorted(set(units.get("session", pd.Series(dtype=str))) - {""})
    rows = "".join(
        f"<li><code>{escape(n['path'])}</code> <small>(SHA-256 {n['sha256'][:12]}…)</small></li>" for n in notes
    )
    session_html = "".join(f"<p><strong>Session:</strong> {escape(s)}</p>" for s in sessions)
    rounds = _rounds(paths)
    if rounds.empty:
        coding_html = "<p><strong>Coding:</strong> no coded rounds yet.</p>"
    else:
        parts = []
        for rnd, grp in rounds.groupby("round", sort=True):
            flag = " <strong>(ILLUSTRATIVE data)</strong>" if grp["illustrative"].astype(bool).any() else ""
            parts.append(f"<li>{escape(rnd)}{flag}: coders {escape(', '.join(grp['coder']))}; codebook "
                         f"{escape(', '.join(sorted(set(grp['codebook_version']))))}</li>")
        coding_html = f"<p><strong>Coding rounds:</strong></p><ul>{''.join(parts)}</ul>"
    banner = ""
    if not rounds.empty and rounds["illustrative"].astype(bool).any():
        banner = ('<div class="cs-banner" role="note"><p><strong>ILLUSTRATIVE DATA.</strong> The coding in this report '
                  "was made up by the project team to demonstrate the method; agreement figures and coded findings "
                  "are not results of a real coding study.</p></div>")
    missing = ""
    if left_out:
        missing = (f"<p><em>Sections not yet available (their inputs do not exist yet): "
                   f"{escape(', '.join(left_out))}.</em></p>")
    return (
        '<section class="cs-front">'
        f"<h1>{escape(TITLE)}</h1>"
        f"{banner}{session_html}"
        "<p>This report evaluates the breakout-group notes of a compassionate-leadership workshop: "
        "how the notes were divided into comment units, how they were coded and how reliably, and what they say. "
        "It was generated by <code>compassion_study</code> from the files below; nothing in it needs a network "
        "connection.</p>"
        f"<p><strong>Built from</strong> {len(units)} comment units in {len(notes)} notes file(s):</p><ul>{rows}</ul>"
        f"{coding_html}{missing}"
        "<!--cs-toc-->"
        "</section>"
    )


def provenance_html(paths: Paths) -> str:
    """HTML table of every input and output hash and the software versions."""
    manifest = provenance.load(paths)
    body = []
    # the report cannot list its own hash: every other stage's files
    for stage, entry in sorted(manifest.get("stages", {}).items()):
        if stage == "report":
            continue
        for kind in ("inputs", "outputs"):
            for item in entry.get(kind, []):
                body.append(f"<tr><td>{escape(stage)}</td><td>{kind[:-1]}</td><td><code>{escape(item['path'])}</code></td><td><code>{item['sha256']}</code></td></tr>")
    versions = ", ".join(f"{escape(k)} {escape(v)}" for k, v in sorted(manifest.get("versions", {}).items()))
    return (
        '<section class="cs-provenance"><h2 id="provenance">Provenance</h2>'
        "<p>Every file the results were computed from or written to, with its SHA-256 hash "
        "(from <code>data/processed/manifest.json</code>).</p>"
        "<table><thead><tr><th>stage</th><th>role</th><th>path</th><th>SHA-256</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><p><strong>Software:</strong> {versions}</p></section>"
    )


_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link".*?</a>)?</h2>', re.S)


def _add_toc(html: str) -> str:
    entries = [(anchor, re.sub(r"<[^>]+>", "", text).strip()) for anchor, text in _H2.findall(html)]
    items = "".join(f'<li><a href="#{anchor}">{escape(text, quote=False)}</a></li>' for anchor, text in entries)
    toc = f'<nav class="cs-toc" aria-label="Contents"><h2 id="contents">Contents</h2><ol>{items}</ol></nav>'
    return html.replace("&lt;!--cs-toc--&gt;", toc).replace("<!--cs-toc-->", toc, 1)


def render(cells: Sequence[nbformat.NotebookNode]) -> str:
    """Render cells (code hidden) to one offline HTML page."""
    from nbconvert import HTMLExporter

    cells = list(cells)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # jupytext and nbformat make random ids; the HTML must not change
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"title": TITLE})
    template_dir = Path(str(resources.files("compassion_study") / "templates"))
    exporter = HTMLExporter(
        template_name="compassion",
        extra_template_basedirs=[str(template_dir)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    css = (template_dir / "report.css").read_text(encoding="utf-8")
    body, _ = exporter.from_notebook_node(nb, resources={"report_css": css, "metadata": {"name": TITLE}})
    return _add_toc(body)


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium, or None."""
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_args(*extra: str) -> list[str]:
    """Chromium flags for a headless, offline, throw-away run."""
    profile = tempfile.mkdtemp(prefix="cs-chromium-")
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", *extra,
    ]


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path | None:
    """Print ``html_path`` to PDF with headless Chromium (None if Chromium is absent)."""
    chromium = find_chromium()
    if chromium is None:
        return None
    with files.atomic_path(pdf_path) as tmp:
        subprocess.run(
            [chromium, *chromium_args(f"--print-to-pdf={tmp}", "--no-pdf-header-footer"), html_path.resolve().as_uri()],
            check=True, capture_output=True, timeout=timeout,
        )
        if tmp.stat().st_size == 0:
            raise RuntimeError("Chromium wrote an empty PDF")
    return pdf_path


def build(paths: Paths | None = None, parameters: Mapping[str, Any] | None = None, notebooks: Sequence[str] = NOTEBOOKS, pdf: bool = False) -> Path:
    """Stage: processed data and figures -> ``reports/report.html`` (and PDF).

    Parameters
    ----------
    paths : Paths, optional
    parameters : mapping, optional
        Extra notebook parameters (``root`` is always set from ``paths``).
    notebooks : sequence of str
        Notebook names to execute, in order.
    pdf : bool
        Also print ``reports/report.pdf`` with headless Chromium, if installed.
    """
    from .ingest import read_units

    paths = paths or Paths.from_root()
    units = read_units(paths.units)
    notebooks, left_out = available_sections(paths, notebooks)
    cells = [_html_cell(front_matter(paths, units, left_out))]
    for name in notebooks:
        cells.extend(_output_cells(execute(name, paths, parameters)))
    cells.append(_html_cell(provenance_html(paths)))
    html = render(cells)
    files.write_text(paths.report_html, html)
    outputs = [paths.report_html]
    if pdf and write_pdf(paths.report_html, paths.report_pdf):
        outputs.append(paths.report_pdf)
    sources = [paths.notebooks / f"{n}.py" for n in notebooks]
    provenance.record(paths, "report", inputs=sources, outputs=outputs, parameters={"notebooks": list(notebooks), **{k: v for k, v in (parameters or {}).items()}})
    return paths.report_html


def parameters_json(text: str) -> dict[str, Any]:
    """Parse ``-p`` parameters given as JSON (``'{"seed": 3}'``)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InputError(f"--parameters: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise InputError("--parameters: expected a JSON object such as '{\"seed\": 3}'")
    return value
