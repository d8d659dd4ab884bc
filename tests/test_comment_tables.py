"""Comment tables exported from workshop tools (issue 12): presets, mappings, identity columns, hostile files.

The exports in ``tests/data/comment_tables/`` are ILLUSTRATIVE, written by
``tests/data/make_comment_tables.py`` in the layouts Padlet, Microsoft Forms,
Mentimeter and Slido write; each has its expected outline, written out and
checked by hand, beside it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from compassion_study import comment_tables, ingest
from compassion_study.cli import main
from compassion_study.errors import InputError

from .conftest import rewrite_zip
from .test_hostile import _capped

TABLES = Path(__file__).resolve().parent / "data/comment_tables"
EXPORTS = sorted(p for p in TABLES.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx", ".ods")
                 and p.with_name(p.name.rsplit(".", 1)[0] + ".expected.md").exists())
#: Every identity value in the exports: none may reach units.csv or ingest_log.csv.
IDENTITIES = ["Asha Patel", "asha.patel@example.nhs.uk", "Tom Reed", "tom.reed@example.nhs.uk", "Sam Okoro",
              "v-1001", "v-1003", "Priya", "2024-03-05", "3/5/24", "J. Smith", "K. Jones"]


def _raw_cells(path: Path) -> dict[tuple[str, int, str], str]:
    """Every non-empty cell, read independently of the package: (sheet, row, header) -> text."""
    if path.suffix in (".csv", ".tsv"):
        data = path.read_bytes()
        encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            encoding = "cp1252"
        sheets = {"": pd.read_csv(path, sep=None, engine="python", encoding=encoding, dtype=str, header=None,
                                  keep_default_na=False)}
    else:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False)
    out = {}
    for name, df in sheets.items():
        headers = [str(h).strip() for h in df.iloc[0]]
        for r in range(1, len(df)):
            for c, value in enumerate(df.iloc[r]):
                if str(value).strip():
                    out[(name, r + 1, headers[c])] = str(value)
    return out


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.name)
def test_export_parses_to_its_expected_outline(path):
    units, log = ingest.read_notes_logged([path])
    assert ingest.to_markdown(units) == path.with_name(path.name.rsplit(".", 1)[0] + ".expected.md").read_text("utf-8")
    assert ingest.unaccounted(log) == []


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.name)
def test_every_cell_is_a_unit_a_heading_or_an_identity_or_metadata_column(path):
    units, log = ingest.read_notes_logged([path])
    sheet_of = {"": ""} if path.suffix in (".csv", ".tsv") else None
    logged = {(s, int(n), c): (role, text) for _, s, n, c, role, text in log.itertuples(index=False)}
    unread = {(s, c) for _, s, n, c, role, text in log.itertuples(index=False) if role in ("identity", "metadata")}
    words_in_units = " ".join(units["text"]).split()
    for (sheet, row, header), value in _raw_cells(path).items():
        sheet = sheet_of[sheet] if sheet_of is not None else sheet
        if (sheet, header) in unread:
            assert (sheet, row, header) not in logged  # identity and metadata values are never copied
            continue
        role, text = logged[(sheet, row, header)]
        assert text == " ".join(value.split()), (row, header)
        assert role in ("unit", "theme", "section", "prompt")
        if role == "unit":
            assert all(w in words_in_units for w in text.split())


def test_identity_columns_reach_no_output(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(TABLES, study / "data/raw/notes", ignore=shutil.ignore_patterns("*.md", "listening-*"))
    (study / "study.yaml").write_text("title: Tables\n")
    assert main(["--root", str(study), "ingest"]) == 0
    written = b"".join(p.read_bytes() for p in (study / "data/processed").iterdir())
    for value in IDENTITIES:
        assert value.encode() not in written, value
    units = pd.read_csv(study / "data/processed/units.csv", dtype=str, keep_default_na=False)
    assert list(units.columns) == ingest.COLUMNS  # no column of the tables is carried over
    assert len(units) == sum(t.read_text("utf-8").count("\n- ") for t in TABLES.glob("*.expected.md"))


def test_an_unrecognised_table_lists_its_headers_and_the_mapping_options(tmp_path, capsys):
    study = tmp_path / "study"
    (study / "data/raw/notes").mkdir(parents=True)
    shutil.copy(TABLES / "listening-event-tables.csv", study / "data/raw/notes")
    assert main(["--root", str(study), "ingest"]) == 1
    err = capsys.readouterr().err
    assert "listening-event-tables.csv: not a comment table this package recognises (headers: 'Table', " \
           "'Staff group', 'Comment', 'Facilitator')" in err
    assert "--text COL" in err and "comment_tables:" in err and "Traceback" not in err
    assert not (study / "data/processed/units.csv").exists()


LISTENING_EXPECTED = """<!-- compassion_study outline: # title, ## prompt, ### section, #### theme, - comment -->
# listening-event-tables

## listening-event-tables

### Nursing

#### 1
- We need more time for handovers.
- Breaks are the first thing to go.

### Admin

#### 2
- Nobody explains why decisions are made.
"""


@pytest.mark.parametrize("where", ["command line", "study.yaml"])
def test_a_mapping_reads_any_table_and_warns_about_unread_columns(tmp_path, capsys, where):
    study = tmp_path / "study"
    (study / "data/raw/notes").mkdir(parents=True)
    shutil.copy(TABLES / "listening-event-tables.csv", study / "data/raw/notes")
    options = ["--text", "Comment", "--theme", "Table", "--section", "Staff group"]
    if where == "study.yaml":
        (study / "study.yaml").write_text("comment_tables:\n  text: Comment\n  theme: Table\n  section: Staff group\n")
        options = []
    assert main(["--root", str(study), "ingest", *options]) == 0
    err = capsys.readouterr().err
    # the facilitators' names are not read, and the warning says where they are without repeating them
    assert "warning: listening-event-tables.csv › Facilitator: 3 non-empty cell(s) not read as comments (rows 2, 3, 4)" in err
    assert "J. Smith" not in err
    units = ingest.read_units(study / "data/processed/units.csv")
    assert ingest.to_markdown(units) == LISTENING_EXPECTED
    assert "J. Smith" not in (study / "data/processed/ingest_log.csv").read_text("utf-8")
    assert main(["--root", str(study), "ingest", "--strict", *options]) == 1
    assert "--strict" in capsys.readouterr().err


def test_one_text_column_per_question_uses_the_headers_as_prompts(tmp_path):
    path = tmp_path / "retro.csv"
    path.write_text("Start,Stop,Continue\nWalking rounds,Late rotas,Thank-you cards\n,Email at night,\n", "utf-8")
    units, _ = ingest.read_notes_logged([path], comment_tables.Mapping(text=("Start", "Stop", "Continue")))
    assert list(zip(units["prompt"], units["text"])) == [
        ("Start", "Walking rounds"), ("Stop", "Late rotas"), ("Stop", "Email at night"), ("Continue", "Thank-you cards")]


@pytest.mark.parametrize("mapping, message", [
    (comment_tables.Mapping(text=("Remarks",)), "t.csv: no 'Remarks' column (headers: 'Comment', 'Comment', 'Group')"),
    (comment_tables.Mapping(text=("Comment",)), "t.csv: 2 columns named 'Comment'"),
    (comment_tables.Mapping(theme="Group"), "t.csv: the mapping names no text column (--text COL)"),
])
def test_a_mapping_that_does_not_fit_names_the_file_and_the_headers(tmp_path, mapping, message):
    path = tmp_path / "t.csv"
    path.write_text("Comment,Comment,Group\na,b,c\n", "utf-8")
    with pytest.raises(InputError) as exc:
        ingest.read_notes_logged([path], mapping)
    assert message in str(exc.value)


def test_study_yaml_comment_tables_is_validated(tmp_path, capsys):
    (tmp_path / "study.yaml").write_text("comment_tables:\n  theme: Group\n  colour: x\n")
    assert main(["--root", str(tmp_path), "ingest"]) == 1
    err = capsys.readouterr().err
    assert "study.yaml › comment_tables › colour: unknown key" in err
    assert "study.yaml › comment_tables: name the column(s) holding the comments under 'text'" in err


def _forms_xlsx(path: Path, answers: list[object]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Name", "What helps?"])
    for i, answer in enumerate(answers, start=1):
        ws.append([i, f"Person {i}", answer])
    wb.save(path)
    return path


def test_a_bad_cell_is_named_by_file_sheet_row_and_column(tmp_path):
    path = _forms_xlsx(tmp_path / "forms.xlsx", ["Fine.", "=HYPERLINK(\"http://x\")"])
    with pytest.raises(InputError, match=r"forms.xlsx › Sheet › row 3 › column C \(What helps\?\): holds a formula"):
        ingest.read_notes_logged([path])
    csv = tmp_path / "forms.csv"
    csv.write_text("ID,Name,What helps?\n1,A,Fine.\n2,B,bell\x07here\n3,C," + "x" * 40000 + "\n", "utf-8")
    with pytest.raises(InputError) as exc:
        ingest.read_notes_logged([csv])
    assert exc.value.problems == [
        "forms.csv › row 3 › column C (What helps?): control character U+0007 after “bell”; notes must be plain text "
        "(delete it and save again)",
        "forms.csv › row 4 › column C (What helps?): 40,000 characters, more than a spreadsheet cell holds (32,767); "
        "split it into several comments"]


def test_line_breaks_inside_a_cell_are_spaces_and_no_answer_is_dropped(tmp_path):
    path = _forms_xlsx(tmp_path / "forms.xlsx", ["Time to\nthink", "NA", "n/a", None, "  ", 0, "null"])
    units, _ = ingest.read_notes_logged([path])
    assert units["text"].tolist() == ["Time to think", "NA", "n/a", "0", "null"]
    ods = tmp_path / "forms.ods"
    pd.read_excel(path, dtype=object, keep_default_na=False).to_excel(ods, engine="odf", index=False)
    assert ingest.read_notes_logged([ods])[0]["text"].tolist() == ["Time to think", "NA", "n/a", "0", "null"]


@pytest.mark.parametrize("kind", ["xlsx-dimension", "ods-repeat"])
def test_hostile_comment_tables_are_bounded(tmp_path, kind):
    study = tmp_path / "study"
    (study / "data/raw/notes").mkdir(parents=True)
    (study / "study.yaml").write_text("title: Bombs\n")
    if kind == "xlsx-dimension":  # a small file claiming 17 billion cells is read as it really is
        source = _forms_xlsx(tmp_path / "f.xlsx", ["Time to think"])
        rewrite_zip(source, study / "data/raw/notes/forms.xlsx", lambda name, data: re.sub(
            rb'<dimension ref="[A-Z0-9:]+"/>', b'<dimension ref="A1:XFD1048576"/>', data)
            if name.startswith("xl/worksheets/") else data)
        done, seconds = _capped("ingest", cwd=study)
        assert done.returncode == 0 and "1 comment units" in done.stderr, done.stderr
    else:
        from .test_bad_input import _ods_row_bomb

        _ods_row_bomb(study / "data/raw/notes/forms.ods")
        done, seconds = _capped("ingest", cwd=study)
        assert done.returncode == 1 and "forms.ods: its repeated rows and cells would expand" in done.stderr
    assert "Traceback" not in done.stderr and seconds < 30


@pytest.mark.parametrize("header", ["Name (optional)", "Your name", "Email address (optional)", "Employee ID",
                                    "Staff number (if known)", "Full name:", "Name of respondent", "E-mail [work]",
                                    "Start time", "Date submitted"])
def test_identity_headers_with_qualifiers_are_identity_columns(header):
    assert comment_tables.identity(header)


@pytest.mark.parametrize("header", ["Which team are you in? (optional)", "What would help?", "Comments", "Team",
                                    "Ideas for the team", "Did it help", "Anything else you would like to name?",
                                    "Name one barrier", "Team names", "Barriers to protected time",
                                    "Time for reflection"])
def test_questions_and_comment_headers_are_not_identity_columns(header):
    assert not comment_tables.identity(header)


def test_forms_identity_and_rating_columns_never_become_units(tmp_path, capsys):
    """Issue 12 audit: a Forms export with 'Name (optional)' and a 1-5 rating made units of names and numbers."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Start time", "Email", "Name", "What stops you leading with compassion?", "Name (optional)",
               "Email address (optional)", "Employee ID", "How would you rate support (1-5)?", "Which team are you in?"])
    ws.append([1, "3/5/24 09:01", "asha.patel@example.nhs.uk", "Asha Patel", "Too many meetings", "Priya Shah",
               "priya.shah@example.nhs.uk", "E10442", 3, "District nursing"])
    ws.append([2, "3/5/24 09:07", "", "", "Fear of being blamed", "", "", "", "4", ""])
    ws.append([3, "3/5/24 09:12", "", "", "", "", "", "", None, "Health visiting"])
    study = tmp_path / "study"
    (study / "data/raw/notes").mkdir(parents=True)
    (study / "study.yaml").write_text("title: Forms\n")
    wb.save(study / "data/raw/notes/forms.xlsx")
    assert main(["--root", str(study), "ingest"]) == 0
    err = capsys.readouterr().err
    units = ingest.read_units(study / "data/processed/units.csv")
    assert list(zip(units["prompt"], units["text"])) == [
        ("What stops you leading with compassion?", "Too many meetings"),
        ("What stops you leading with compassion?", "Fear of being blamed"),
        ("Which team are you in?", "District nursing"), ("Which team are you in?", "Health visiting")]
    written = b"".join(p.read_bytes() for p in (study / "data/processed").iterdir())
    for value in ["Priya Shah", "priya.shah@example", "E10442", "Asha Patel"]:
        assert value.encode() not in written, value
    # the ratings are in no unit: logged (numbers cannot name anyone) and warned, never dropped silently
    log = pd.read_csv(study / "data/processed/ingest_log.csv", dtype=str, keep_default_na=False)
    rating = log[log["column"] == "How would you rate support (1-5)?"]
    assert rating[["line", "role", "text"]].values.tolist() == [
        ["1", "header", "How would you rate support (1-5)?"], ["2", "skipped", "3"], ["3", "skipped", "4"]]
    assert ("warning: forms.xlsx › Sheet › How would you rate support (1-5)?: 2 cell(s) of numbers only (a rating or "
            "a count, no comment text) not read as comments (rows 2, 3)") in err
    assert main(["--root", str(study), "ingest", "--strict"]) == 1
