"""Studies of one's own: init, finding the study, study.yaml, every stage a real study passes through."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from compassion_study import analysis, study
from compassion_study.cli import main
from compassion_study.paths import ENV_VAR, Paths, default_root, template_dir

from .conftest import DATA, REPO, fill_from, tree_hashes

SECOND = DATA / "notes_team_wellbeing_2021.txt"
THIRD = DATA / "notes_listening_event_2022.md"
#: Text that only the bundled 2020 workshop has (its notes, not the framework's example quotes).
WORKSHOP_2020 = ("What stops us leading compassionately", "Leading Beyond the Crisis", "Key Themes – positives",
                 "barriers against positives", "The first prompt asked")


@pytest.fixture
def new_study(tmp_path: Path, monkeypatch) -> Path:
    """A study made by ``init`` with two sessions' notes from other workshops; the current folder is inside it."""
    root = tmp_path / "wellbeing"
    assert main(["init", str(root), "--title", "Wellbeing huddles <2021> & listening events"]) == 0
    for notes in (SECOND, THIRD):
        shutil.copy(notes, root / "data" / "raw" / "notes")
    monkeypatch.chdir(root / "data")
    monkeypatch.delenv(ENV_VAR, raising=False)
    return root


# --------------------------------------------------------------------------- init and the template


def test_init_makes_a_complete_study(new_study):
    names = {p.relative_to(new_study).as_posix() for p in new_study.rglob("*") if p.is_file()}
    assert {"study.yaml", "README.md", "jupytext.toml", ".gitignore",
            "data/raw/codebook/compassionate-leadership-v1.yaml", "notebooks/01_units.py", "notebooks/01_units.ipynb"} <= names
    for folder in ("notes", "codebook", "coding", "consensus"):
        assert (new_study / "data" / "raw" / folder).is_dir()
    settings = study.load(Paths.from_root(new_study))
    assert settings.title == "Wellbeing huddles <2021> & listening events"
    assert settings.compare is None and settings.minimum == 0.667 and settings.resamples == 1000
    assert "Wellbeing huddles" in (new_study / "README.md").read_text(encoding="utf-8")


def test_init_refuses_a_folder_with_files(tmp_path, capsys):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path / "old")]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "old" / "keep.txt").read_text() == "mine"


def test_example_study_uses_the_shipped_template():
    """The repository's example study runs exactly the notebooks and framework that init copies."""
    template = template_dir()
    for src in sorted((template / "notebooks").iterdir()):
        assert (REPO / "notebooks" / src.name).read_bytes() == src.read_bytes(), (
            f"notebooks/{src.name} differs from the package's copy: copy it to {src.parent}")
    assert {p.name for p in (REPO / "notebooks").glob("*.py")} == {p.name for p in (template / "notebooks").glob("*.py")}
    shipped = template / "codebook" / study.FRAMEWORK
    assert (REPO / "data/raw/codebook" / study.FRAMEWORK).read_bytes() == shipped.read_bytes()


# --------------------------------------------------------------------------- finding the study


def test_study_is_found_from_a_subfolder_and_can_be_named(new_study, tmp_path, monkeypatch):
    assert default_root() == new_study.resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="not inside a study"):
        default_root()
    monkeypatch.setenv(ENV_VAR, str(new_study))
    assert default_root() == new_study.resolve()


@pytest.mark.parametrize("where", ["before", "after"])
def test_root_before_or_after_the_subcommand(new_study, tmp_path, monkeypatch, where, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["--root", str(new_study), "ingest"] if where == "before" else ["ingest", "--root", str(new_study)]
    assert main(args) == 0, capsys.readouterr().err
    assert (new_study / "data/processed/units.csv").is_file()
    assert main(["codebook", "check", "--root", str(new_study)]) == 0


def test_outside_any_study_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "is not inside a study" in err and "compassion-study init" in err and "Traceback" not in err
    assert main(["--root", str(tmp_path), "ingest"]) == 1
    assert "not a study folder" in capsys.readouterr().err


def test_out_elsewhere_leaves_the_study_untouched(new_study, tmp_path, capsys):
    assert main(["ingest"]) == 0
    before = tree_hashes(new_study)
    elsewhere = tmp_path / "elsewhere"
    assert main(["ingest", "--out", str(elsewhere / "units.csv")]) == 0
    assert main(["sheets", "--round", "r1", "--coders", "ann,ben", "--out", str(elsewhere / "sheets")]) == 0, \
        capsys.readouterr().err
    assert tree_hashes(new_study) == before
    assert (elsewhere / "units.csv").is_file() and (elsewhere / "sheets" / "r1_ann.xlsx").is_file()


def test_every_out_elsewhere_leaves_a_coded_study_untouched(tmp_path, capsys):
    """Each command with --out, on a study with a consensus: every file of the study hashes the same after."""
    from .conftest import study_through_consensus

    root = tmp_path / "study"
    study_through_consensus(root)
    before = tree_hashes(root)
    out = tmp_path / "elsewhere"
    for args in (["framework-matrix", "export", "--out", str(out / "matrix.xlsx")],
                 ["consensus", "export", "--round", "round-1", "--out", str(out / "adjudication")],
                 ["export", "qdpx", "--out", str(out / "study.qdpx")],
                 ["sheets", "--round", "round-9", "--coders", "ann", "--out", str(out / "sheets")],
                 ["ingest", "--out", str(out / "units.csv")]):
        assert main(["--root", str(root), *args]) == 0, (args, capsys.readouterr().err)
        assert tree_hashes(root) == before, args
    assert (out / "matrix.xlsx").is_file() and (out / "study.qdpx").is_file()


def test_root_cannot_be_passed_to_the_notebooks(new_study, capsys):
    """A notebook parameter naming another study would make the report read that study's data."""
    assert main(["report", "-p", json.dumps({"root": str(REPO)})]) == 1
    assert "unknown parameter(s) 'root'" in capsys.readouterr().err
    assert main(["run", "-p", json.dumps({"root": str(REPO)})]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter(s) 'root'" in err and "[1/8]" not in err  # refused before any stage ran


# --------------------------------------------------------------------------- study.yaml


def test_study_yaml_problems_are_listed_by_key(new_study, capsys):
    (new_study / "study.yaml").write_text(
        "title: ''\ncolour: blue\ncompare: {barriers: x}\nreliability: {minimum: 0.9, target: 0.8}\n"
        "bootstrap: {resamples: lots}\ncodebook: ../../etc/passwd\n", encoding="utf-8")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    for expected in ("study.yaml › title: must not be empty", "study.yaml › colour: unknown key",
                     "study.yaml › compare: give both barriers and enablers",
                     "study.yaml › reliability: minimum 0.9 is above target 0.8",
                     "study.yaml › bootstrap › resamples: expected a whole number",
                     "study.yaml › codebook: '../../etc/passwd' must be the name of a .yaml file"):
        assert expected in err, expected
    assert "Traceback" not in err


def test_unknown_notebook_parameter_is_an_error(new_study, capsys):
    assert main(["ingest"]) == 0
    assert main(["report", "-p", '{"round": "round-1"}']) == 1
    err = capsys.readouterr().err
    assert "unknown parameter(s) 'round'" in err and "round_" in err and "kwic_terms" in err


# --------------------------------------------------------------------------- every stage of a study


def _report_text(root: Path) -> str:
    html = (root / "reports" / "report.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _adjudicate(path: Path, target: Path) -> None:
    from openpyxl import load_workbook

    from compassion_study import consensus

    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    header = [c.value for c in ws[2]]
    for row in range(3, ws.max_row + 1):
        ws.cell(row, header.index(consensus.DECISION) + 1).value = row % 2
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


@pytest.mark.slow
def test_every_stage_of_a_study_runs_and_says_what_it_waits_for(new_study, capsys):
    """Notes only -> exported -> one coder back -> a blank workbook back -> all back -> adjudicated."""
    run = ["run", "--bootstrap", "40"]
    returned = new_study / "data/raw/coding/round-1"

    def step(state: str, waiting: tuple[str, ...], absent: tuple[str, ...] = ()) -> str:
        code = main(run)
        err = capsys.readouterr().err
        assert code == 0, f"{state}: {err}"
        assert "Traceback" not in err and f"study: {new_study.resolve()}" in err, state
        text = _report_text(new_study)
        assert "Wellbeing huddles &lt;2021&gt; &amp; listening events" in (new_study / "reports/report.html").read_text()
        for phrase in waiting:
            assert phrase in err and phrase in text, f"{state}: {phrase!r} missing"
        for phrase in absent:
            assert phrase not in text, f"{state}: {phrase!r} shown"
        return text

    text = step("notes only", ("waiting for coding workbooks: none exported yet",), ("Final consensus",))
    assert "Not in this report yet" in text
    assert re.search(r"Inter-coder agreement; Consensus and findings; Text analysis; Appendix: every coded quote : "
                     "waiting for coding workbooks", text)

    assert main(["sheets", "--round", "round-1", "--coders", "ann,ben"]) == 0
    step("exported, none back", ("none are back yet for round-1 (exported for ann, ben)",), ("Final consensus",))

    units = pd.read_csv(new_study / "data/processed/units.csv")["unit_id"].tolist()
    exports = new_study / "exports/round-1"
    fill_from(exports / "round-1_ben.xlsx", {u: ({"pace_workload"} if i % 2 else {"recognition"}) for i, u in enumerate(units)})
    returned.mkdir(parents=True, exist_ok=True)
    shutil.copy(exports / "round-1_ben.xlsx", returned)
    step("one coder back", ("workbooks back from ben; waiting for ann",), ("Final consensus", "PROVISIONAL"))

    shutil.copy(exports / "round-1_ann.xlsx", returned)  # returned untouched
    step("a blank workbook back", ("ann's workbook is blank (no unit coded yet)",), ("Final consensus",))

    fill_from(returned / "round-1_ann.xlsx", {u: ({"pace_workload"} if i % 3 else {"recognition"}) for i, u in enumerate(units)})
    text = step("all back, no adjudication", (), ("Final consensus", "Not in this report yet"))
    assert "PROVISIONAL" in text and "have not been adjudicated and follow the majority" in text

    assert main(["consensus", "export", "--round", "round-1"]) == 0
    _adjudicate(exports / "round-1_adjudication.xlsx", new_study / "data/raw/consensus/round-1_adjudication.xlsx")
    text = step("adjudicated", (), ("PROVISIONAL", "Not in this report yet"))
    assert "Final consensus: every disputed cell was adjudicated" in text
    # two sessions: units and code frequencies per session
    for session in ("Team Wellbeing Huddle – 14 March 2021", "Staff Listening Event – 9 November 2022"):
        assert session in text
    assert "Codes per session" in text and "Units per session" in text
    for phrase in WORKSHOP_2020:
        assert phrase not in text, phrase
    # a study that asks for no confidence intervals still gets a report that says so
    assert main(["run", "--bootstrap", "0"]) == 0, capsys.readouterr().err
    assert "No bootstrap confidence intervals were computed (0 resamples)" in _report_text(new_study)


@pytest.mark.slow
def test_a_coder_still_out_is_named_once_the_others_give_results(new_study, capsys):
    """Three coders, two back: agreement and a consensus run on two, and run and the report say who is missing."""
    assert main(["ingest"]) == 0
    assert main(["sheets", "--round", "round-1", "--coders", "ann,ben,cat"]) == 0
    units = pd.read_csv(new_study / "data/processed/units.csv")["unit_id"].tolist()
    returned = new_study / "data/raw/coding/round-1"
    returned.mkdir(parents=True)
    for k, coder in enumerate(("ann", "ben")):
        book = new_study / "exports/round-1" / f"round-1_{coder}.xlsx"
        fill_from(book, {u: ({"pace_workload"} if (i + k) % 3 else {"recognition"}) for i, u in enumerate(units)})
        shutil.copy(book, returned)
    capsys.readouterr()
    assert main(["run", "--bootstrap", "0"]) == 0
    err = capsys.readouterr().err
    said = "round-1: waiting for cat; the results use ann, ben so far"
    assert f"coding still out: {said}" in err
    text = _report_text(new_study)
    assert "Coding still out" in text and said in text and f"coding is still out ({said})" in text  # and the caveats
    shutil.copy(new_study / "exports/round-1/round-1_cat.xlsx", returned)  # back, but blank
    assert main(["import"]) == 0
    from compassion_study import status

    assert status.outstanding(Paths.from_root(new_study)) == ["round-1: the workbook of cat came back blank (no unit "
                                                              "coded yet)"]


def test_misnamed_compare_part_names_the_setting(new_study, capsys):
    (new_study / "study.yaml").write_text(yaml_dump({"compare": {"barriers": "What drains our energy at work",
                                                                 "enablers": "what works"}}), encoding="utf-8")
    assert main(["run"]) == 0  # found at once, before any coding
    assert ("warning: study.yaml › compare › barriers: part 'What drains our energy at work' is not in the notes"
            in capsys.readouterr().err)
    with pytest.raises(Exception, match=r"study\.yaml › compare › barriers: part 'What drains our energy at work' "
                                        r"is not in the notes \(parts: .*What drains our energy at work\?"):
        analysis.run(Paths.from_root(new_study))


def test_sessions_are_counted_per_notes_file():
    from compassion_study import ingest

    units = ingest.read_notes([SECOND, THIRD])
    per = analysis.units_by_session(units)
    assert list(per["session"]) == [ingest.read_notes([SECOND])["session"][0], ingest.read_notes([THIRD])["session"][0]]
    assert per["units"].sum() == len(units)


# --------------------------------------------------------------------------- installable


@pytest.mark.slow
def test_non_editable_install_runs_a_whole_study(tmp_path):
    """pip install . (not editable) into a fresh venv; init and run a study from its own folder, no --root.

    The venv sees the test environment's dependencies through a path file
    (nothing is downloaded); the package itself is built and installed as a
    wheel, so notebooks, templates and the codebook must come from package data.
    """
    import sysconfig

    src, dist = tmp_path / "src", tmp_path / "dist"
    generated = shutil.ignore_patterns(".git", ".venv*", "*.egg-info", "build", "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(REPO, src, ignore=lambda folder, names: set(generated(folder, names)) | (
        {"data", "reports", "exports"} & set(names) if Path(folder) == REPO else set()))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(dist), str(src)], check=True, capture_output=True)
    shutil.rmtree(src)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_ = venv / "bin"
    site = subprocess.run([str(bin_ / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel, = dist.glob("compassion_study-*.whl")
    subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    where = subprocess.run([str(bin_ / "python"), "-c", "import compassion_study; print(compassion_study.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(site), where

    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["PATH"] = f"{bin_}{os.pathsep}{env['PATH']}"
    # the dependencies' data files (nbconvert's templates) as a fresh install would have them in the venv
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")

    def cs(*args: str, cwd: Path) -> str:
        done = subprocess.run([str(bin_ / "compassion-study"), *args], cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stderr

    cs("init", "huddles", "--title", "Team wellbeing huddles 2021", cwd=tmp_path)
    root = tmp_path / "huddles"
    shutil.copy(SECOND, root / "data/raw/notes")
    cs("run", "--bootstrap", "30", cwd=root)
    cs("sheets", "--round", "round-1", "--coders", "ann,ben", cwd=root / "data")
    units = pd.read_csv(root / "data/processed/units.csv")["unit_id"].tolist()
    for i, coder in enumerate(("ann", "ben")):
        book = root / "exports/round-1" / f"round-1_{coder}.xlsx"
        fill_from(book, {u: ({"pace_workload"} if (j + i) % 3 else {"recognition"}) for j, u in enumerate(units)})
        (root / "data/raw/coding/round-1").mkdir(parents=True, exist_ok=True)
        shutil.copy(book, root / "data/raw/coding/round-1")
    cs("run", "--bootstrap", "30", cwd=root)
    cs("consensus", "export", "--round", "round-1", cwd=root)
    _adjudicate(root / "exports/round-1/round-1_adjudication.xlsx", root / "data/raw/consensus/round-1_adjudication.xlsx")
    err = cs("run", "--bootstrap", "30", cwd=root / "notebooks")
    assert "waiting" not in err
    text = _report_text(root)
    assert "Team wellbeing huddles 2021" in text and "Final consensus" in text
    for phrase in WORKSHOP_2020:
        assert phrase not in text, phrase
    assert not (REPO / "data/processed/manifest.json").exists() or "huddles" not in \
        (REPO / "data/processed/manifest.json").read_text(encoding="utf-8")


def test_study_text_is_shown_as_text(new_study):
    """Every study.yaml value reaches the report escaped: markup in it is never HTML."""
    from compassion_study import docx_report, figures, ingest, narrative, report

    hostile = "<img src=x onerror=alert(1)> [link](javascript:alert(2)) </title><script>alert(3)</script>"
    (new_study / "study.yaml").write_text(yaml_dump({
        "title": hostile, "organisation": hostile, "dates": [hostile], "evaluators": [hostile, "Ann"],
        "purpose": hostile, "governance": hostile}), encoding="utf-8")
    paths = Paths.from_root(new_study)
    units = ingest.ingest(paths=paths)
    html = (report.front_matter(paths, units) + figures.Prose(narrative.methods(paths))._repr_html_()
            + figures.Prose(narrative.summary(paths))._repr_html_() + report.render([], study.load(paths).title))
    assert "<img" not in html and "<script>" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    import io

    import docx

    word = docx.Document(io.BytesIO(docx_report.render(html, hostile, hostile)))
    assert any(hostile in p.text for p in word.paragraphs)  # shown as the very text, in Word too


def yaml_dump(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True)


def test_init_refuses_root(tmp_path, capsys):
    """init makes the study in its FOLDER argument; a --root beside it would be silently ignored."""
    assert main(["init", str(tmp_path / "s"), "--root", str(tmp_path / "other")]) == 1
    assert "init makes the study in FOLDER" in capsys.readouterr().err and not (tmp_path / "s").exists()
