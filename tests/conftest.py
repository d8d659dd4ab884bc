"""Shared fixtures: a throw-away project folder per test, and the real clients."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from compassion_study.paths import Paths

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
NOTES = REPO / "data" / "raw" / "notes" / "2020-07-01_west_compassionate-leadership_breakout-notes.txt"


def _require(tool: str, found: str | None) -> str:
    """Return the tool's path, or skip (fail in CI) with a clear reason."""
    if found:
        return found
    reason = f"{tool} is not installed (CI installs it from Debian's packages; see .ci/run)"
    if os.environ.get("CS_REQUIRE_CLIENTS"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    from compassion_study.report import find_chromium

    return _require("Chromium", find_chromium())


@pytest.fixture
def soffice() -> str:
    return _require("LibreOffice (soffice)", shutil.which("soffice") or shutil.which("libreoffice"))


def _uno_python() -> str | None:
    """A Python that can import LibreOffice's ``uno`` module (Debian's python3-uno), if any."""
    import subprocess

    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.fixture
def calc(soffice):
    """Run ``tests/uno/calc.py`` with a spec (see its docstring); returns its JSON answer."""
    import json
    import subprocess

    python = _require("LibreOffice's Python UNO bridge (python3-uno)", _uno_python())

    def run(spec: dict, tmp: Path) -> dict:
        spec_path = tmp / "uno-spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        done = subprocess.run([python, str(Path(__file__).parent / "uno" / "calc.py"), str(spec_path)],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture
def project(tmp_path: Path) -> Paths:
    """A project folder holding a copy of the repository's raw data and notebooks."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return Paths.from_root(root)


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> hash)."""
    from compassion_study.files import sha256

    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def rewrite_zip(src: Path, target: Path, change) -> None:
    """Copy an Office file (a zip) member by member, passing each through ``change(name, data) -> data``."""
    import zipfile

    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info.filename)))
    tmp.replace(target)


def fill_from(path: Path, decisions: dict[str, set[str]]) -> None:
    """Mark a coding workbook's Coding sheet from {unit_id: codes} (empty set = no code applies)."""
    from openpyxl import load_workbook

    from compassion_study import sheets

    wb = load_workbook(path)
    ws = wb["Coding"]
    # code columns are headed by labels: the workbook's own Codebook sheet says which id each stands for
    by_label = {label: cid for cid, label, *_ in wb["Codebook"].iter_rows(min_row=2, values_only=True)}
    header = [by_label.get(sheets.header_name(c.value), sheets.header_name(c.value)) for c in ws[sheets.HEADER_ROW]]
    for row in range(sheets.HEADER_ROW + 1, ws.max_row + 1):
        uid = ws.cell(row, 1).value
        if uid not in decisions:
            continue
        codes = decisions[uid] or {sheets.NO_CODE}
        for code in codes:
            ws.cell(row, header.index(code) + 1).value = 1
    wb.save(path)


def add_round_two(paths: Paths) -> None:
    """A second round after a codebook revision (v1.1), coded from round 1 with fewer disagreements.

    Writes the revised codebook and the returned round-2 workbooks into the
    (throw-away) project's raw folders, as a study lead would.
    """
    import yaml

    from compassion_study import ingest, sheets

    v1 = paths.codebooks / "compassionate-leadership-v1.yaml"
    book = yaml.safe_load(v1.read_text(encoding="utf-8"))
    book["version"] = "1.1"
    for code in book["codes"]:
        if code["id"] == "empathising":
            code["do_not_use_when"] += " A general call for a compassionate culture is not empathising."
        if code["id"] == "remote_technology":
            code["keywords"] = [k for k in code["keywords"] if k != "it"] + ["online"]
    (paths.codebooks / "compassionate-leadership-v1.1.yaml").write_text(yaml.safe_dump(book, allow_unicode=True),
                                                                          encoding="utf-8")
    if not paths.units.is_file():
        ingest.ingest(paths=paths)
    sheets.import_codings(paths=paths)
    codings = sheets.read_codings(paths)
    sets = {(c, u): set(g.loc[g["applied"] == 1, "code_id"]) for (c, u), g in codings.groupby(["coder", "unit_id"])}
    units = list(dict.fromkeys(codings["unit_id"]))
    written = sheets.export(paths, "round-2", ["alice", "bob"], out=paths.root / "round2-out", codebook_version="1.1")
    fill_from(written[0], {u: sets[("alice", u)] for u in units})
    # bob now agrees with alice on every other unit he disagreed on
    bob = {}
    for i, u in enumerate(units):
        bob[u] = sets[("alice", u)] if i % 2 == 0 else sets[("bob", u)]
    fill_from(written[1], bob)
    target = paths.coding_round("round-2")
    target.mkdir(parents=True, exist_ok=True)
    for p in written[:2]:
        shutil.copy(p, target / p.name)


def study_through_consensus(root: Path) -> Paths:
    """A copy of the bundled study at ``root`` with units, codings and the consensus written (no report)."""
    from compassion_study import consensus, ingest, sheets

    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    paths = Paths.from_root(root)
    ingest.ingest(paths=paths)
    sheets.import_codings(paths=paths)
    consensus.run(paths)
    return paths
