"""Coders' workbooks (issue 13): no coder action loses or misplaces a mark without a message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from compassion_study import ingest, sheets
from compassion_study.cli import main
from compassion_study.errors import InputError

from .test_sheets import fill


@pytest.fixture
def ready(project):
    """A project with units.csv built and no coding imported yet."""
    shutil.rmtree(project.coding, ignore_errors=True)
    ingest.ingest(paths=project)
    return project


def _returned(paths, round_: str, coders: list[str], **kw) -> list[Path]:
    """Export a round, fill each workbook at random and put it in data/raw/coding/<round>/."""
    written = sheets.export(paths, round_, coders, **kw)
    folder = paths.coding / round_
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, p in enumerate(w for w in written if w.suffix == ".xlsx"):
        fill(p, seed=i)
        out.append(Path(shutil.copy(p, folder / p.name)))
    return out


def test_importing_one_file_keeps_the_other_coders(ready):
    alice, bob = _returned(ready, "round-2", ["alice", "bob"])
    sheets.import_codings(paths=ready)
    before = sheets.read_codings(ready)
    sheets.import_codings([bob], paths=ready)  # bob sent a corrected file: only bob is replaced
    after = sheets.read_codings(ready)
    assert set(after["coder"]) == {"alice", "bob"}
    pd.testing.assert_frame_equal(before, after)
    assert list(sheets.read_rounds(ready)["coder"]) == ["alice", "bob"]
    # the whole folder is the truth: a file taken out of it is gone after a plain import
    alice.unlink()
    sheets.import_codings(paths=ready)
    assert set(sheets.read_codings(ready)["coder"]) == {"bob"}
