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
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from html import escape, unescape
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd


def _import_nbformat():
    """``import nbformat`` without ``rfc3987_syntax``.

    nbformat imports jsonschema, whose format checkers build 38 lark grammars
    for ``rfc3987_syntax`` when it is installed: about 1.4 s of the report's
    start-up on the 2-core machine, for IRI format checks that notebook
    validation never asks for (nbformat validates without a format checker).
    The module is hidden only while jsonschema is first imported.
    """
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import nbformat
        return nbformat
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail: the checker is skipped
    try:
        import nbformat
    finally:
        del sys.modules["rfc3987_syntax"]
    return nbformat


nbformat = _import_nbformat()

from . import files, provenance
from .errors import InputError
from .paths import Paths

#: Notebooks executed for the report, in report order, with the processed
#: files each needs (a section is left out, and the report says so, until
#: its inputs exist).
SECTIONS: dict[str, tuple[str, ...]] = {
    "00_summary": ("units",),
    "01_units": ("units",),
    "02_codebook_coding": ("units", "codings", "rounds"),
    "03_agreement": ("agreement_by_code", "agreement_pairwise", "agreement_overall", "rounds"),
    "04_consensus_findings": ("consensus", "rounds", "findings:code_frequencies"),
    "05_text": ("units", "consensus", "rounds", "findings:keyness"),
    "06_questions_methods": ("units",),
    "07_appendix": ("units", "consensus", "rounds"),
}
NOTEBOOKS: tuple[str, ...] = tuple(SECTIONS)
#: What each notebook's section is called, for the list of sections not yet available.
SECTION_TITLES = {
    "00_summary": "Summary",
    "01_units": "The material", "02_codebook_coding": "The codebook and the coding process",
    "03_agreement": "Inter-coder agreement", "04_consensus_findings": "Consensus and findings",
    "05_text": "Text analysis", "06_questions_methods": "Questions, methods and reporting checklist",
    "07_appendix": "Appendix: every coded quote",
}
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def load_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook from its jupytext ``.py`` source (or an ``.ipynb``)."""
    import jupytext

    return jupytext.read(path) if path.suffix == ".py" else nbformat.read(path, as_version=4)


def notebook_parameters(source: Path) -> list[str]:
    """Names assigned in a notebook's cell tagged ``parameters``."""
    import ast

    nb = load_notebook(source)
    names: list[str] = []
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return names


#: Temporary folders of notebook kernels and Chromium profiles, removed when they finish; a killed run leaves them.
TEMP_PREFIXES = ("cs-kernel-", "cs-chromium-")


def sweep_temporary(max_age: float = 24 * 3600) -> list[Path]:
    """Remove this user's :data:`TEMP_PREFIXES` folders in the temporary folder older than ``max_age`` seconds.

    Nothing that old can be in use (Chromium has a hard timeout, a kernel
    lives as long as one report), so the folders a killed run left do not
    pile up (a Chromium profile is a few MB).  Returns what was removed.
    """
    import shutil
    import time

    now, removed = time.time(), []
    root = Path(tempfile.gettempdir())
    for folder in sorted(p for prefix in TEMP_PREFIXES for p in root.glob(f"{prefix}*")):
        try:
            info = folder.lstat()
        except OSError:
            continue
        mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()  # Windows has no uids: one user's temp folder
        if folder.is_dir() and not folder.is_symlink() and mine and now - info.st_mtime > max_age:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def check_parameters(paths: Paths, names: Sequence[str], parameters: Mapping[str, Any] | None) -> None:
    """Refuse parameters that no notebook in ``names`` declares (a typo would otherwise be ignored)."""
    if not parameters:
        return
    valid: dict[str, list[str]] = {}
    for name in names:
        for p in notebook_parameters(paths.notebooks / f"{name}.py"):
            valid.setdefault(p, []).append(name)
    valid.pop("root", None)  # the study is the one found or named (--root), never another one by a parameter
    unknown = sorted(set(parameters) - set(valid))
    if unknown:
        listing = "; ".join(f"{p} ({', '.join(nbs)})" for p, nbs in sorted(valid.items()))
        raise InputError(f"--parameters: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                         f"the notebooks take: {listing}")


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
    check_parameters(paths, [name], parameters)
    from jupyter_client.manager import KernelManager

    params = {**(parameters or {}), "root": str(paths.root)}
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


def execute_many(names: Sequence[str], paths: Paths, parameters: Mapping[str, Any] | None = None,
                 kernel: "Kernel | None" = None) -> list[nbformat.NotebookNode]:
    """Execute several notebooks in one kernel, its namespace reset between them.

    The report's notebooks share one kernel, so Python, pandas, matplotlib and
    the package are imported once rather than once per notebook. Each
    notebook still starts from an empty namespace (``%reset -f``) with its own
    parameters injected after its ``parameters`` cell, exactly as papermill
    does; :func:`execute` (a fresh kernel) remains the reference, and the
    tests run every notebook both ways.

    ``kernel`` is one :func:`start_kernel` started earlier (it is closed
    here); by default a new one is started.

    Raises
    ------
    InputError
        When a cell fails; the message names the notebook, the cell and the error.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.parameterize import parameterize_notebook

    kernel = kernel or start_kernel(paths)
    km = kernel.km
    results = []
    client = None
    try:
        check_parameters(paths, names, parameters)
        params = {**(parameters or {}), "root": str(paths.root)}
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
            nb.cells.insert(0, nbformat.v4.new_code_cell(RESET, metadata={"tags": ["reset"]}))
            # one client for every notebook: its channels to the kernel are opened once, not per notebook
            if client is None:
                client = NotebookClient(nb, km=km, timeout=900, kernel_name="python3",
                                        resources={"metadata": {"path": str(paths.notebooks)}})
            client.nb = nb
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
        if client is not None and client.kc is not None:
            client.kc.stop_channels()
        kernel.close()
    return results


#: The cell run before each notebook: its variables removed, as ``%reset -f`` would, but without the
#: ``gc.collect()`` of IPython's reset (0.15–0.25 s a notebook, for memory the next notebook reuses anyway).
RESET = ("_cs_ip = get_ipython()\n"
         "[_cs_ip.user_ns.pop(_cs_k) for _cs_k in list(_cs_ip.user_ns)\n"
         " if not _cs_k.startswith('_') and _cs_k not in _cs_ip.user_ns_hidden]\n"
         "del _cs_ip")
#: Imported in the report's kernel as soon as it starts, while this process prepares the front page and
#: reads the notebooks: the first cells would otherwise wait for them (matplotlib about 1 s, NLTK with
#: scipy.stats about 1 s).
WARM_UP = ("import compassion_study.figures, compassion_study.narrative, compassion_study.analysis, "
           "compassion_study.text, nltk")


class Kernel:
    """A started report kernel: its manager and its socket folder.

    :meth:`close` stops the kernel at once (it has nothing to save) and removes the sockets; it may be
    called more than once.
    """

    def __init__(self, km, sockets: str):
        self.km, self.sockets = km, sockets

    def close(self) -> None:
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        shutil.rmtree(self.sockets, ignore_errors=True)


def start_kernel(paths: Paths) -> Kernel:
    """Start the report's kernel, which imports the heavy modules (:data:`WARM_UP`) as it starts.

    The imports run in the kernel's start-up (ipykernel's ``exec_lines``),
    while the caller goes on writing the front page and reading the
    notebooks; the first cell waits only for what is left of them.  (A
    second client sending the imports as a request made the notebook
    client's start-up time out under pytest.)  Charts the figures stage drew
    from the same data are shown, not drawn again (``figures._themed``): the
    kernel is told where their renderings are.
    """
    from jupyter_client.manager import KernelManager

    from .figures import CACHE_ENV, CACHE_FOLDER

    # A local IPC socket, not TCP: nothing listens on a network port.
    sockets = tempfile.mkdtemp(prefix="cs-kernel-")  # never in the project folder
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
    try:
        km.start_kernel(cwd=str(paths.notebooks), env={**os.environ, CACHE_ENV: str(paths.figures / CACHE_FOLDER)},
                        extra_arguments=[f"--IPKernelApp.exec_lines={WARM_UP}"])
    except Exception:
        shutil.rmtree(sockets, ignore_errors=True)
        raise
    return Kernel(km, sockets)


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


def _about(fields: Sequence[tuple[str, str | Sequence[str]]]) -> str:
    """The study's own description (study.yaml) as one compact, escaped list; empty fields left out."""
    items = []
    for label, value in fields:
        text = value if isinstance(value, str) else ", ".join(value)
        if text:
            items.append(f"<strong>{escape(label)}:</strong> {escape(text)}")
    return f'<p class="cs-about">{"<br>".join(items)}</p>' if items else ""


def front_matter(paths: Paths, units: pd.DataFrame, left_out: Sequence[tuple[str, str]] = ()) -> str:
    """HTML for the report's first screen: what it is, for whom, and what it was built from.

    ``left_out`` holds (section title, what it is waiting for) pairs.
    """
    from . import analysis, status, study

    settings = study.load(paths)
    manifest = provenance.load(paths)
    notes = manifest.get("stages", {}).get("ingest", {}).get("inputs", [])
    rows = "".join(
        f"<li><code>{escape(n['path'])}</code> <small>(SHA-256 {escape(n['sha256'][:12])}…)</small></li>" for n in notes
    )
    sessions = analysis.units_by_session(units)
    session_html = ""
    if len(sessions) == 1:
        session_html = ""  # one session: shown with the study's description
    elif len(sessions) > 1:
        items = "".join(f"<li>{escape(r.session)}: {r.units} units</li>" for r in sessions.itertuples())
        session_html = f"<p><strong>Sessions:</strong></p><ul>{items}</ul>"
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
        out = status.outstanding(paths)
        if out:
            items = "".join(f"<li>{escape(text)}</li>" for text in out)
            coding_html += f'<div class="cs-waiting"><p><strong>Coding still out:</strong></p><ul>{items}</ul></div>'
    banner = ""
    if not rounds.empty and rounds["illustrative"].astype(bool).any():
        banner = ('<div class="cs-banner" role="note"><p><strong>ILLUSTRATIVE DATA.</strong> The coding in this report '
                  "was made up by the project team to demonstrate the method; agreement figures and coded findings "
                  "are not results of a real coding study.</p></div>")
    missing = ""
    if left_out:
        by_reason: dict[str, list[str]] = {}
        for title, reason in left_out:  # sections waiting for the same thing are listed together
            by_reason.setdefault(reason, []).append(title)
        items = "".join(f"<li><strong>{escape('; '.join(titles))}</strong>: waiting for {escape(reason)}</li>"
                        for reason, titles in by_reason.items())
        missing = f'<div class="cs-waiting"><p><strong>Not in this report yet:</strong></p><ul>{items}</ul></div>'
    about = _about((("Organisation", settings.organisation), ("Dates", settings.dates),
                    ("Evaluators", settings.evaluators), ("Purpose", settings.purpose),
                    ("Governance", settings.governance),
                    ("Session", list(sessions["session"]) if len(sessions) == 1 else "")))
    return (
        '<section class="cs-front">'
        f"<h1>{escape(settings.title)}</h1>"
        f"{banner}{about}{session_html}"
        "<p>How the workshop notes were divided into comment units, coded and checked for reliability, and what "
        "they say; generated by <code>compassion_study</code> from the files below (it needs no network).</p>"
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
                body.append(f"<tr><td>{escape(stage)}</td><td>{kind[:-1]}</td><td><code>{escape(item['path'])}</code></td><td><code>{escape(str(item['sha256']))}</code></td></tr>")
    versions = ", ".join(f"{escape(k)} {escape(v)}" for k, v in sorted(manifest.get("versions", {}).items()))
    return (
        '<section class="cs-provenance"><h2 id="provenance">Provenance</h2>'
        "<p>Every file the results were computed from or written to, with its SHA-256 hash "
        "(from <code>data/processed/manifest.json</code>).</p>"
        '<table class="cs-table"><caption>Files the results were computed from and written to</caption>'
        '<thead><tr><th scope="col">Stage</th><th scope="col">Role</th><th scope="col">Path</th>'
        '<th scope="col">SHA-256</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table><p><strong>Software:</strong> {versions}</p></section>"
    )


_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link".*?</a>)?</h2>', re.S)


def _add_toc(html: str) -> str:
    # heading text is HTML already: unescaped here, escaped once when written
    entries = [(anchor, unescape(re.sub(r"<[^>]+>", "", text)).strip()) for anchor, text in _H2.findall(html)]
    items = "".join(f'<li><a href="#{anchor}">{escape(text, quote=False)}</a></li>' for anchor, text in entries)
    toc = f'<nav class="cs-toc" aria-label="Contents"><h2 id="contents">Contents</h2><ol>{items}</ol></nav>'
    html = _subsections(html)
    # every section after the first ends with a way back to the contents
    back = '<p class="cs-top"><a href="#contents">Back to contents</a></p>'
    for anchor, _ in entries[1:]:
        html = html.replace(f'<h2 id="{anchor}"', f'{back}<h2 id="{anchor}"', 1)
    return html.replace("&lt;!--cs-toc--&gt;", toc).replace("<!--cs-toc-->", toc, 1)


_H3 = re.compile(r'<h3 id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link".*?</a>)?</h3>', re.S)


def _subsections(html: str) -> str:
    """After each section heading with two or more subsections, a line of links to them ("In this section")."""
    parts = re.split(r'(?=<h2 id=")', html)
    out = [parts[0]]
    for part in parts[1:]:
        subs = [(anchor, unescape(re.sub(r"<[^>]+>", "", text)).strip()) for anchor, text in _H3.findall(part)]
        if len(subs) >= 2:
            links = " · ".join(f'<a href="#{anchor}">{escape(text, quote=False)}</a>' for anchor, text in subs)
            nav = f'<nav class="cs-subtoc" aria-label="In this section"><p>In this section: {links}</p></nav>'
            part = re.sub(r"(</h2>)", lambda m: m.group(1) + nav, part, count=1)
        out.append(part)
    return "".join(out)


def _number(html: str) -> str:
    """Number every table and figure in order ("Table 3.", "Figure 2.") and give each an anchor."""
    tables, figs = iter(range(1, 10**6)), iter(range(1, 10**6))

    def table(m: re.Match) -> str:
        k = next(tables)
        return f'<table class="{m.group(1)}" id="table-{k}"><caption><span class="cs-num">Table {k}.</span> '

    def figure(m: re.Match) -> str:
        return f'<figcaption><span class="cs-num">Figure {next(figs)}.</span> '

    html = re.sub(r'<table class="(cs-table[^"]*)"><caption>', table, html)
    html = re.sub(r"<figcaption>", figure, html)
    # cross-references in generated text point at the first table or figure whose caption starts so
    captions = {"table": re.findall(r'id="table-(\d+)"><caption><span class="cs-num">Table \d+\.</span> (.*?)</caption>',
                                    html, re.S),
                "figure": re.findall(r'<figcaption><span class="cs-num">Figure (\d+)\.</span> (.*?)</figcaption>', html,
                                     re.S)}
    figure_ids = re.findall(r'<figure class="cs-figure" id="([^"]+)">', html)

    def ref(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        for i, (k, text) in enumerate(captions[kind]):
            if text.startswith(name):
                anchor = f"table-{k}" if kind == "table" else figure_ids[i]
                return f'<a class="cs-ref" href="#{anchor}">{kind.capitalize()} {k}</a>'
        return f"the {kind} “{name}”"  # not in this report (a section left out): named, not linked

    return re.sub(r'<a class="cs-ref" data-ref="(table|figure):([^"]*)">[^<]*</a>', ref, html)


#: Wrapper attributes nbconvert's JupyterLab template adds that serve no reader: a ``tabindex`` on every output
#: (a keyboard user would tab through 80 empty stops).
_NOISE = (' tabindex="0"',)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: every character but ASCII letters and digits as a 6-digit hex escape.

    The study title comes from ``study.yaml``; escaped this way it can close
    neither the string nor the ``<style>`` element.  (Spaces are escaped too:
    CSS swallows one space after an escape.)
    """
    return '"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in text) + '"'


def print_css(running: str) -> str:
    """The page rule that repeats ``running`` (title, and ILLUSTRATIVE where it is) at the top of every PDF page."""
    return ("@page { @top-left { content: " + css_string(running) +
            "; font: 8pt system-ui, sans-serif; color: #444; } }\n")


def render(cells: Sequence[nbformat.NotebookNode], title: str = "Workshop evaluation", running: str | None = None) -> str:
    """Render cells (code hidden) to one offline HTML page titled ``title``.

    ``running`` is the running title printed at the top of every PDF page
    (default: ``title``).
    """
    from nbconvert import HTMLExporter

    cells = list(cells)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # jupytext and nbformat make random ids; the HTML must not change
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"title": running or title})  # the page <title>
    template_dir = Path(str(resources.files("compassion_study") / "templates"))
    from traitlets.config import Config

    exporter = HTMLExporter(
        # no code is shown, so no syntax-highlighting CSS either
        config=Config({"CSSHTMLHeaderPreprocessor": {"enabled": False}}),
        template_name="compassion",
        extra_template_basedirs=[str(template_dir)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # never embed files named in Markdown: the report holds only what the package made
        embed_images=False,
    )
    css = (template_dir / "report.css").read_text(encoding="utf-8") + print_css(running or title)
    body, _ = exporter.from_notebook_node(nb, resources={"report_css": css, "metadata": {"name": running or title}})
    for noise in _NOISE:
        body = body.replace(noise, "")
    return _number(_add_toc(body))


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium, or None."""
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


#: Chromium switches for a headless, offline, throw-away run: no background
#: networking, component or safe-browsing updates, sync, first-run work,
#: crash reports, pings or metrics, and no host name is ever resolved (every
#: look-up fails at once), so nothing reaches DNS or the network.
CHROMIUM_SWITCHES = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--disable-breakpad", "--disable-domain-reliability", "--no-pings",
    "--disable-client-side-phishing-detection", "--disable-component-extensions-with-background-pages",
    "--metrics-recording-only", "--no-service-autorun", "--password-store=basic", "--use-mock-keychain",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,NetworkTimeServiceQuerying,InterestFeedContentSuggestions",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
)


def run_chromium(*extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run headless Chromium with :data:`CHROMIUM_SWITCHES` and a temporary profile, removed afterwards.

    Raises
    ------
    RuntimeError
        Chromium is not installed, fails, or runs past ``timeout`` seconds.
    """
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium is not installed")
    profile = tempfile.mkdtemp(prefix="cs-chromium-")
    try:
        done = subprocess.run([chromium, *CHROMIUM_SWITCHES, f"--user-data-dir={profile}", *extra],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Chromium did not finish within {timeout:.0f} s") from None
    except OSError as exc:
        raise RuntimeError(f"Chromium ({chromium}) could not start: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise RuntimeError(f"Chromium failed (exit status {done.returncode}): {last}")
    return done


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path | None:
    """Print ``html_path`` to PDF with headless Chromium (None if Chromium is absent).

    Raises
    ------
    RuntimeError
        Chromium failed or timed out; ``pdf_path`` is then unchanged.
    """
    if find_chromium() is None:
        return None
    with files.atomic_path(pdf_path) as tmp:
        run_chromium(f"--print-to-pdf={tmp}", "--no-pdf-header-footer", "--generate-pdf-document-outline",
                     html_path.resolve().as_uri(), timeout=timeout)
        if tmp.stat().st_size == 0:
            raise RuntimeError("Chromium wrote an empty PDF")
    return pdf_path


def build(paths: Paths | None = None, parameters: Mapping[str, Any] | None = None, notebooks: Sequence[str] = NOTEBOOKS, pdf: bool = False) -> Path:
    """Stage: processed data and figures -> ``reports/report.html``, ``report.docx`` (and PDF).

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

    from . import status, study

    paths = paths or Paths.from_root()
    # started first: it imports the heavy modules while the front page is written here
    kernel = start_kernel(paths)
    try:
        settings = study.load(paths)
        units = read_units(paths.units)
        check_parameters(paths, notebooks, parameters)
        notebooks, left_out = available_sections(paths, notebooks)
        waiting = [(SECTION_TITLES.get(n, n), status.section_waiting(paths, SECTIONS.get(n, ()))) for n in left_out]
        cells = [_html_cell(front_matter(paths, units, waiting))]
        # full CSVs of long tables (figures.table's ``full``) are written afresh by the notebooks that cap them
        for old in sorted((paths.reports / "tables").glob("*.csv")):
            files.remove(old)
        executed = execute_many(notebooks, paths, parameters, kernel=kernel)
    finally:
        kernel.close()
    for nb in executed:
        cells.extend(_output_cells(nb))
    cells.append(_html_cell(provenance_html(paths)))
    rounds = _rounds(paths)
    illustrative = not rounds.empty and bool(rounds["illustrative"].astype(bool).any())
    running = settings.title + (" · ILLUSTRATIVE coding" if illustrative else "")
    html = render(cells, settings.title, running=running)
    files.write_text(paths.report_html, html)
    sources = [paths.notebooks / f"{n}.py" for n in notebooks]
    # the processed tables the sections read, so that a report older than its data is detected
    data = sorted(p for p in paths.processed.glob("*.csv"))

    def record(printed: bool) -> None:
        # The PDF is a print of the HTML and carries Chromium's print date, so it
        # is recorded as printed, not hashed: the manifest stays byte-identical.
        provenance.record(paths, "report", inputs=[paths.study_file, *sources, *data],
                          outputs=[paths.report_html, paths.report_docx],
                          parameters={"notebooks": list(notebooks),
                                      "pdf": paths.relative(paths.report_pdf) if printed else None,
                                      **dict(parameters or {})})

    files.remove(paths.report_pdf)  # a PDF of an earlier report must not pass for a print of this one
    # Chromium prints the HTML (in its own process) while the Word file is laid out here: both need only
    # the finished HTML, and the thread merely waits for Chromium
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        printing = pool.submit(write_pdf, paths.report_html, paths.report_pdf) if pdf else None
        from . import docx_report

        files.write_bytes(paths.report_docx, docx_report.render(html, settings.title, running))
        record(False)  # the HTML and DOCX are complete and recorded even if printing fails
        if printing is not None:
            try:
                printed = bool(printing.result())
            except RuntimeError as exc:
                raise RuntimeError(f"{paths.relative(paths.report_pdf)}: not printed ({exc}); "
                                   f"{paths.relative(paths.report_html)} is complete") from None
            if printed:
                record(True)
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
