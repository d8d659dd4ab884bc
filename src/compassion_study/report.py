"""Report: executed notebooks -> one self-contained ``reports/report.html``.

The notebooks in ``notebooks/`` (jupytext percent scripts, the source of
truth) are executed headlessly, parameters injected after each notebook's
cell tagged ``parameters`` the papermill way; the report runs them all in one
kernel (:func:`execute_many`), a single notebook runs in its own
(:func:`execute`).  Their outputs, with code hidden,
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
    "04_consensus_findings": ("consensus", "rounds", "findings:code_frequencies"),
    "05_text": ("units", "consensus", "rounds", "findings:keyness"),
    "06_questions_methods": ("units",),
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
    from jupyter_client.manager import KernelManager

    params = {"root": str(paths.root), **(parameters or {})}
    # A local IPC socket, not TCP: nothing listens on a network port, and the
    # kernel has no reason to warn about unencrypted TCP.
    sockets = tempfile.mkdtemp(prefix="cs-kernel-")  # never in the project folder
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
    try:
        return papermill.execute_notebook(
            load_notebook(source), None, parameters=params, kernel_name="python3",
            progress_bar=False, cwd=str(paths.notebooks), log_output=False, km=km,
        )
    except PapermillExecutionError as exc:
        raise InputError(f"{paths.relative(source)} › cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    finally:
        if km.has_kernel:  # nbclient leaves a kernel it did not create running
            km.shutdown_kernel(now=False)
        shutil.rmtree(sockets, ignore_errors=True)


def execute_many(names: Sequence[str], paths: Paths, parameters: Mapping[str, Any] | None = None
                 ) -> list[nbformat.NotebookNode]:
    """Execute several notebooks in one kernel, its namespace reset between them.

    The report's notebooks share one kernel, so Python, pandas, matplotlib and
    the package are imported once rather than once per notebook. Each
    notebook still starts from an empty namespace (``%reset -f``) with its own
    parameters injected after its ``parameters`` cell, exactly as papermill
    does; :func:`execute` (a fresh kernel) remains the reference, and the
    tests run every notebook both ways.

    Raises
    ------
    InputError
        When a cell fails; the message names the notebook, the cell and the error.
    """
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.parameterize import parameterize_notebook

    params = {"root": str(paths.root), **(parameters or {})}
    sockets = tempfile.mkdtemp(prefix="cs-kernel-")
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
    km.start_kernel(cwd=str(paths.notebooks))
    results = []
    try:
        for name in names:
            source = paths.notebooks / f"{name}.py"
            if not source.is_file():
                raise InputError(f"{source}: notebook not found")
            nb = load_notebook(source)
            nb.metadata.setdefault("papermill", {})  # what papermill's loader would add
            for cell in nb.cells:
                cell.metadata.setdefault("tags", [])
            nb = parameterize_notebook(nb, params)
            # every notebook starts from an empty namespace, as in a fresh kernel
            nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f", metadata={"tags": ["reset"]}))
            client = NotebookClient(nb, km=km, timeout=900, kernel_name="python3",
                                    resources={"metadata": {"path": str(paths.notebooks)}})
            try:
                client.execute(cleanup_kc=False)
            except CellExecutionError as exc:
                failed = next((c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
                err = next(o for o in failed["outputs"] if o.get("output_type") == "error") if failed else {}
                count = failed.get("execution_count") if failed else "?"
                raise InputError(f"{paths.relative(source)} › cell {count}: {err.get('ename', 'Error')}: "
                                 f"{err.get('evalue', str(exc).splitlines()[0])}") from None
            results.append(nb)
    finally:
        km.shutdown_kernel(now=False)
        shutil.rmtree(sockets, ignore_errors=True)
    return results


def _output_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells a reader sees: markdown and code outputs, not parameter cells."""
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters", "reset"}:
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
        found = [paths.findings(n.split(":", 1)[1]) if n.startswith("findings:") else getattr(paths, n) for n in needs]
        (ready if all(p.is_file() for p in found) else missing).append(name)
    return ready, missing


def _rounds(paths: Paths) -> pd.DataFrame:
    from .sheets import read_rounds

    if not paths.rounds.is_file():
        return pd.DataFrame(columns=["round", "coder", "source", "codebook_version", "illustrative"])
    return read_rounds(paths)


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


def _f(value: float) -> str:
    """Numbers in the methods text: three decimals, as in the tables (tests check they match the CSVs)."""
    return "undefined" if pd.isna(value) else f"{value:.3f}"


def methods_markdown(paths: Paths) -> str:
    """A methods section in the style of a paper, written from the actual results.

    Every number is read from ``data/processed`` (units, rounds, agreement
    tables, consensus, findings), so the text cannot drift from the tables.
    """
    from . import analysis
    from . import codebook as cbmod
    from .agreement import read_table
    from .consensus import read_consensus, status_note
    from .ingest import read_units
    from .sheets import read_codings, read_rounds

    units = read_units(paths.units)
    parts = analysis.units_by_part(units)
    sources = ", ".join(sorted(units["source"].unique()))
    out = ["**Material.** The breakout-group notes (" + sources + ") were divided into "
           f"{len(units)} comment units: " + "; ".join(f"{r.part}: {r.units}" for r in parts.itertuples())
           + ". Prompts, section and theme headings and resource links were not units; each unit keeps its "
           "prompt, section and breakout theme."]
    if not paths.rounds.is_file():
        return "\n\n".join(out)
    rounds = read_rounds(paths)
    codings = read_codings(paths)
    process = analysis.coding_process(rounds, codings, len(units))
    for version in sorted(set(rounds["codebook_version"])):
        book = cbmod.find(paths, version)
        groups = pd.Series([c["group"] for c in book.codes]).value_counts(sort=False)
        out.append(f"**Codebook.** Units were coded against the codebook \u201c{book.title or book.name}\u201d, "
                   f"version {book.full_version}: {len(book.ids)} codes ("
                   + ", ".join(f"{n} {g}" for g, n in groups.items())
                   + "), each with a brief and a full definition, when to use it and when not, an example from the "
                   "notes and its source (MacQueen et al. 1998).")
    for row in process.itertuples(index=False):
        text = (f"**Coding, {row.round}.** {len(row.coders.split(', '))} coders ({row.coders}) coded {row.units_coded} "
                f"units independently in spreadsheet workbooks; {row.units_double_coded} units "
                f"({row.share_double_coded:.0%} of all units) were coded by at least two coders.")
        if row.illustrative:
            text += " This coding is ILLUSTRATIVE: it was made up by the project team to demonstrate the method."
        out.append(text)
    if paths.agreement_by_code.is_file():
        by_code = read_table(paths.agreement_by_code)
        overall = read_table(paths.agreement_overall)
        for rnd in sorted(by_code["round"].unique()):
            bc = by_code[by_code["round"] == rnd]
            ov = overall[overall["round"] == rnd].set_index("coefficient")
            pooled = overall[(overall["round"] == rnd) & (overall["scope"] == "all unit × code decisions")].set_index("coefficient")
            alpha = bc[bc["coefficient"] == "krippendorff_alpha"]
            ok = alpha.dropna(subset=["estimate"])
            lo, hi = ok.loc[ok["estimate"].idxmin()], ok.loc[ok["estimate"].idxmax()]
            masi = ov.loc["krippendorff_alpha_masi"]
            kappa = pooled.loc["cohen_kappa"] if "cohen_kappa" in pooled.index and not pd.isna(pooled.loc["cohen_kappa", "estimate"]) \
                else pooled.loc["fleiss_kappa"]
            kappa_name = "Cohen's kappa" if kappa.name == "cohen_kappa" else "Fleiss' kappa"
            out.append(
                f"**Reliability, {rnd}.** Agreement was assessed for each code (present or absent) with percent "
                "agreement, Cohen's kappa (two coders), Fleiss' and Conger's kappa, Scott's pi, Krippendorff's alpha, "
                "Gwet's AC1 and the Brennan\u2013Prediger coefficient, and across all codes with Krippendorff's alpha "
                "for the set of codes each coder gave a unit (MASI distance; Passonneau 2006). Confidence intervals are "
                f"95% percentile bootstrap intervals from {int(masi['n_boot'])} resamples of units (seed "
                f"{int(masi['seed'])}). Across all codes, alpha (MASI) was {_f(masi['estimate'])} "
                f"[{_f(masi['ci_low'])}, {_f(masi['ci_high'])}] over {int(masi['n_units'])} units, and the pooled "
                f"{kappa_name} over all {int(kappa['n_ratings']) // max(int(kappa['n_coders']), 1)} unit \u00d7 code "
                f"decisions was {_f(kappa['estimate'])} [{_f(kappa['ci_low'])}, {_f(kappa['ci_high'])}]. Per code, "
                f"alpha ranged from {_f(lo['estimate'])} ({lo['code_id']}) to {_f(hi['estimate'])} ({hi['code_id']}); "
                f"{int((ok['estimate'] >= 0.8).sum())} codes reached .800, "
                f"{int(((ok['estimate'] >= 0.667) & (ok['estimate'] < 0.8)).sum())} lay between .667 and .800, "
                f"{int((ok['estimate'] < 0.667).sum())} were below .667 and {len(alpha) - len(ok)} were undefined "
                "because only one category was used. Thresholds follow Krippendorff (2004) for alpha and Landis and "
                "Koch (1977) for kappa; Gwet's AC1 is reported beside kappa because rare codes can show high agreement "
                "but low kappa (Feinstein & Cicchetti 1990).")
    if paths.consensus.is_file():
        cons = read_consensus(paths)
        disputed = int((~cons["basis"].isin(["unanimous", "single coder"])).sum())
        how = ("adjudicated by a third member of the team using the codebook" if (cons["basis"] == "adjudicated").any()
               else "not yet adjudicated")
        out.append(f"**Consensus.** The {disputed} unit \u00d7 code cells on which coders disagreed were {how}; "
                   f"unanimous cells were settled directly. {status_note(cons)}")
    if paths.findings("autocoder_evaluation").is_file():
        ev = analysis.read_findings(paths, "autocoder_evaluation")
        key = analysis.read_findings(paths, "keyness")
        out.append("**Analysis.** Code frequencies are shares of units per part of the notes; co-occurrence is the "
                   "Jaccard similarity of the sets of units carrying two codes. Text analysis used NLTK's data-free "
                   "tokenizer and Snowball stemmer with a stop-word list shipped with the software; keyness compares "
                   f"\u201c{key['target_group'].iloc[0] if len(key) else ''}\u201d with \u201c"
                   f"{key['reference_group'].iloc[0] if len(key) else ''}\u201d by Dunning's (1993) log-likelihood "
                   "with Hardie's (2014) log ratio as effect size. A lexicon auto-coder built from the codebook's keywords "
                   f"reached a median F1 of {_f(ev['f1'].median())} and a median Cohen's kappa of "
                   f"{_f(ev['kappa'].median())} against the consensus across {len(ev)} codes.")
    return "\n\n".join(out)


def checklist(paths: Paths) -> pd.DataFrame:
    """Intercoder-reliability reporting items (Hallgren 2012; O'Connor & Joffe 2020) and where this report meets them."""
    from .agreement import read_table
    from .ingest import read_units
    from .sheets import read_codings, read_rounds
    from . import analysis

    rows = []
    units = read_units(paths.units)
    have_rounds = paths.rounds.is_file()
    rounds = read_rounds(paths) if have_rounds else pd.DataFrame()
    process = analysis.coding_process(rounds, read_codings(paths), len(units)) if have_rounds else pd.DataFrame()
    have_agreement = paths.agreement_by_code.is_file()
    by_code = read_table(paths.agreement_by_code) if have_agreement else pd.DataFrame()

    def add(item: str, ok: bool, detail: str) -> None:
        rows.append({"item": item, "reported": "yes" if ok else "no", "detail": detail})

    add("Unit of analysis defined", True, f"{len(units)} comment units (one bullet comment or question each)")
    add("Coefficients, and why", have_agreement,
        "percent agreement, kappa family, Krippendorff's alpha, AC1 (prevalence paradox), Brennan–Prediger; per code and multi-label")
    add("Confidence intervals", have_agreement and by_code["ci_low"].notna().any(),
        f"95% bootstrap over units, {int(by_code['n_boot'].iloc[0])} resamples, seed {int(by_code['seed'].iloc[0])}"
        if have_agreement else "no agreement results")
    add("Number and share of units double-coded", have_rounds,
        "; ".join(f"{r.round}: {r.units_double_coded} of {len(units)} ({r.share_double_coded:.0%})" for r in process.itertuples())
        if have_rounds else "no coding rounds")
    add("Number of coders", have_rounds, "; ".join(f"{r.round}: {r.coders}" for r in process.itertuples()) if have_rounds else "")
    add("Coder training", False, "not recorded by the software: describe it in the write-up")
    add("Codebook and its revisions", have_rounds,
        "versions used: " + ", ".join(sorted(set(rounds["codebook_version"]))) if have_rounds else "")
    add("How disagreements were resolved", paths.consensus.is_file(),
        "adjudication of disputed cells; provisional majority until returned" if paths.consensus.is_file() else "")
    versions = provenance.load(paths).get("versions") or provenance.versions()
    add("Software and versions", True, ", ".join(f"{k} {v}" for k, v in sorted(versions.items())
                                                   if k in ("compassion_study", "python", "numpy", "pandas", "nltk")))
    add("Illustrative data labelled", True,
        "ILLUSTRATIVE coding is labelled on the first screen, in tables and figures" if have_rounds and rounds["illustrative"].astype(bool).any()
        else "no illustrative data")
    return pd.DataFrame(rows)


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
    for nb in execute_many(notebooks, paths, parameters):
        cells.extend(_output_cells(nb))
    cells.append(_html_cell(provenance_html(paths)))
    html = render(cells)
    files.write_text(paths.report_html, html)
    printed = bool(pdf and write_pdf(paths.report_html, paths.report_pdf))
    sources = [paths.notebooks / f"{n}.py" for n in notebooks]
    # The PDF is a print of the HTML and carries Chromium's print date, so it is
    # recorded as printed, not hashed: the manifest stays byte-identical.
    provenance.record(paths, "report", inputs=sources, outputs=[paths.report_html],
                      parameters={"notebooks": list(notebooks), "pdf": paths.relative(paths.report_pdf) if printed else None,
                                  **dict(parameters or {})})
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
