"""Framework Method charting matrix (issue 16, item 4; Gale et al. 2013): export, return, import."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest

from compassion_study import consensus, framework, ingest
from compassion_study.cli import main
from compassion_study.errors import InputError
from compassion_study.paths import Paths

from .conftest import study_through_consensus


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Paths:
    return study_through_consensus(tmp_path_factory.mktemp("framework") / "study")


def test_matrix_holds_every_consensus_quote_once_per_code(study):
    units = ingest.read_units(study.units)
    cons = consensus.read_consensus(study)
    for by in ("session", "theme"):
        long = framework.matrix(cons, units, sorted(set(cons["code_id"])), by)
        applied = cons[cons["applied"].astype(int) == 1]
        assert long["n_units"].sum() == len(applied)
        text = dict(zip(units["unit_id"], units["text"]))
        for r in applied.itertuples():
            case = framework.case_of(units.set_index("unit_id").loc[[r.unit_id]].reset_index(), by).iloc[0]
            cell = long[(long["case"] == case) & (long["code_id"] == r.code_id)]["quotes"].iloc[0]
            assert f"[{r.unit_id}] {text[r.unit_id]}" in cell.split("\n")


def _returned(study, tmp_path, edit) -> object:
    out = framework.export(study, tmp_path / "matrix.xlsx")
    wb = openpyxl.load_workbook(out)
    edit(wb["Matrix"])
    target = tmp_path / "returned.xlsx"
    wb.save(target)
    return target


def test_summaries_round_trip_through_the_cli(study, tmp_path):
    assert main(["--root", str(study.root), "framework-matrix", "export"]) == 0
    exported = study.exports / "framework" / "framework-matrix.xlsx"
    wb = openpyxl.load_workbook(exported)
    ws = wb["Matrix"]
    assert ws.protection.sheet and ws.row_dimensions[3].hidden  # the key row is hidden, quotes are locked
    assert [ws.cell(3, c).value for c in range(1, 4)] == ["case", "quotes:attending", "summary:attending"]
    ws.cell(4, 3).value = "Leaders make time to listen [ud73e3172c0]"
    ws.cell(4, 5).value = "=not a formula, a note"  # typed text that starts with '=' is kept as text by the quote prefix
    ws.cell(4, 5).data_type = "s"
    returned = study.framework_raw / "matrix_returned.xlsx"
    returned.parent.mkdir(parents=True, exist_ok=True)
    wb.save(returned)
    assert main(["--root", str(study.root), "framework-matrix", "import"]) == 0
    summaries = framework.read_summaries(study)
    assert summaries[["code_id", "summary"]].values.tolist() == [
        ["attending", "Leaders make time to listen [ud73e3172c0]"], ["understanding", "=not a formula, a note"]]
    assert framework.export(study, tmp_path / "again.xlsx").read_bytes() == exported.read_bytes()


@pytest.mark.parametrize("edit, message", [
    (lambda ws: setattr(ws.cell(4, 3), "value", "=1+1"), "Matrix › C4: a formula"),
    (lambda ws: setattr(ws.cell(4, 2), "value", "my own quotes"), "Matrix › B4: the quotes were edited"),
    (lambda ws: setattr(ws.cell(4, 1), "value", "Another workshop"), "Matrix › A4: case 'Another workshop' is not"),
    (lambda ws: setattr(ws.cell(3, 1), "value", "x"), "the hidden key row 3 is missing or changed"),
    (lambda ws: setattr(ws.cell(3, 3), "value", "summary:made_up"), "Matrix › C3: key 'summary:made_up'"),
    (lambda ws: setattr(ws.cell(4, 60), "value", "stray note"), "text outside the matrix's columns"),
])
def test_bad_returned_matrices_are_refused_with_the_cell(study, tmp_path, edit, message):
    before = study.framework_summaries.read_bytes() if study.framework_summaries.is_file() else None
    target = _returned(study, tmp_path, edit)
    with pytest.raises(InputError) as exc:
        framework.import_(study, [target])
    assert any(message in p for p in exc.value.problems), exc.value.problems
    after = study.framework_summaries.read_bytes() if study.framework_summaries.is_file() else None
    assert after == before  # nothing written


def test_the_same_summary_in_two_files_is_a_problem(study, tmp_path):
    one = _returned(study, tmp_path, lambda ws: setattr(ws.cell(4, 3), "value", "a"))
    two = tmp_path / "second.xlsx"
    shutil.copy(one, two)
    with pytest.raises(InputError, match="summarised in several files"):
        framework.import_(study, [one, two])


@pytest.mark.libreoffice
def test_a_matrix_saved_by_libreoffice_as_ods_imports(study, tmp_path, soffice):
    target = _returned(study, tmp_path, lambda ws: setattr(ws.cell(4, 3), "value", "Summary typed in Calc"))
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to",
                    "ods", "--outdir", str(tmp_path / "ods"), str(target)], capture_output=True, timeout=300)
    got = framework.import_(study, [tmp_path / "ods" / "returned.ods"])
    assert got["summary"].tolist() == ["Summary typed in Calc"]
