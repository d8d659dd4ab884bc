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


@pytest.fixture
def project(tmp_path: Path) -> Paths:
    """A project folder holding a copy of the repository's raw data and notebooks."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return Paths.from_root(root)


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> hash)."""
    from compassion_study.files import sha256

    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
