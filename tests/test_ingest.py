"""Ingest: structure recovered from the notes, verbatim text, stable ids, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from compassion_study import ingest
from compassion_study.cli import main
from compassion_study.errors import InputError
from compassion_study.paths import Paths

from .conftest import DATA, NOTES, tree_hashes

BARRIERS = "What stops us leading compassionately?"
FUTURE = ("Reflecting on what had helped during the crisis, what can we do as leaders to create "
          "a better culture for the future?")
QUESTIONS = "Questions from the group discussions"
THEMES = [
    "Self-care", "Empathy", "Pace of work", "Anxiety", "Recognition", "Space for Reflection",
    "Innovation", "Collaborative working", "Compassion", "Technology",
    "Listening and supporting", "Leadership styles", "Challenges of working virtually",
    "Caring for each other", "Reconnecting teams",
]


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return ingest.read_notes([NOTES])


def _bullets_of_seed() -> list[str]:
    """Every bullet line of the raw notes, cleaned by hand-written rules."""
    out = []
    for line in NOTES.read_text(encoding="utf-8").splitlines():
        if line.startswith("\u00b7"):
            text = line[1:].replace("[bookmark: _GoBack]", "")
            out.append(" ".join(text.split()))
    return out


def test_prompts_sections_and_themes_in_order(units):
    assert list(dict.fromkeys(units["prompt"])) == [BARRIERS, FUTURE, QUESTIONS]
    assert list(dict.fromkeys(units["section"])) == ["", "positives", "areas to improve", "questions"]
    assert [t for t in dict.fromkeys(units["theme"]) if t] == THEMES
    assert units.groupby("section", sort=False).size().to_dict() == {
        "": 14, "positives": 11, "areas to improve": 10, "questions": 5,
    }
    assert (units.loc[units["section"] == "questions", "theme"] == "").all()
    assert units["session"].iloc[0].startswith("1st July Michael West – Leading Beyond the Crisis")


def test_every_comment_verbatim_and_no_heading_is_a_unit(units):
    bullets = _bullets_of_seed()
    comments = [b for b in bullets if b not in THEMES]
    assert units["text"].tolist() == comments
    assert not set(units["text"]) & set(THEMES)
    joined = " ".join(units["text"])
    assert "youtube" not in joined.lower() and "Further resources" not in joined
    assert "[bookmark" not in joined and "\u00a0" not in joined and "  " not in joined
    # wording otherwise exact, including the notes' own typos and curly quotes
    assert "a a lack of resources" in joined
    assert "'it’s not ok, to not be ok'" in joined
    assert units.loc[26, "text"].startswith("Pace of work has impacted leadership style")


def test_positions_and_ids(units):
    assert units["position"].tolist() == list(range(1, 41))
    assert units["unit_id"].is_unique
    assert units["unit_id"].str.fullmatch(r"u[0-9a-f]{10}").all()
    assert list(units.columns[:7]) == ["unit_id", "source", "prompt", "section", "theme", "position", "text"]


def test_second_notes_file_in_a_different_layout():
    df = ingest.read_notes([DATA / "notes_team_wellbeing_2021.txt"])
    assert list(dict.fromkeys(df["prompt"])) == [
        "What drains our energy at work?", "What would help us feel valued?", "Questions for the facilitator",
    ]
    assert list(dict.fromkeys(df["section"])) == ["", "what works", "what we would change", "questions"]
    assert [t for t in dict.fromkeys(df["theme"]) if t] == [
        "Rota gaps", "Paperwork", "Email", "Thank-you notes", "Protected breaks", "Career paths", "Meeting culture",
    ]
    assert df.groupby("theme", sort=False).size().to_dict() == {
        "Rota gaps": 2, "Paperwork": 1, "Email": 3, "Thank-you notes": 1, "Protected breaks": 1,
        "Career paths": 3, "Meeting culture": 1, "": 3,
    }
    assert "Being asked before changes are made, not told afterwards." in set(df["text"])
    assert not df["text"].str.contains("example.org|intranet").any()
    assert df["session"].iloc[0] == "Team Wellbeing Huddle – 14 March 2021 – Community Mental Health Services"


def test_markdown_notes(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text(
        "# Away day\n\n## What gets in the way?\n\n- **Time**\n- There is never enough time to meet as a team.\n"
        "- Too many meetings without a purpose.\n\n## Questions for the panel\n\n1. How do we protect time to think?\n",
        encoding="utf-8",
    )
    df = ingest.read_notes([md])
    assert df["text"].tolist() == [
        "There is never enough time to meet as a team.", "Too many meetings without a purpose.",
        "How do we protect time to think?",
    ]
    assert df["theme"].tolist() == ["Time", "Time", ""]
    assert df["section"].tolist() == ["", "", "questions"]


def _docx_from_txt(txt: Path, out: Path) -> Path:
    """Rebuild the notes as Word would hold them: plain paragraphs and real list bullets."""
    import docx

    document = docx.Document()
    for line in txt.read_text(encoding="utf-8").splitlines():
        if line.startswith("\u00b7"):
            document.add_paragraph(line[1:].strip(), style="List Bullet")
        else:
            document.add_paragraph(line)
    document.save(out)
    return out


def test_docx_gives_the_same_units_as_txt(tmp_path, units):
    docx_path = _docx_from_txt(NOTES, tmp_path / "notes.docx")
    from_docx = ingest.read_notes([docx_path])
    cols = ["unit_id", "prompt", "section", "theme", "position", "text"]
    pd.testing.assert_frame_equal(from_docx[cols], units[cols])


def test_bundled_notes_as_a_nested_docx_keep_all_40_comments(tmp_path, units):
    """Issue 12, class 9: the bundled notes with each theme an outer item and its comments inner items."""
    import docx

    _, log = ingest.read_notes_logged([NOTES])
    roles = dict(zip(log["line"], log["role"]))
    document, in_theme = docx.Document(), False
    for number, line in enumerate(NOTES.read_text(encoding="utf-8").splitlines(), start=1):
        role, text = roles.get(number), line.lstrip("\u00b7 ")
        if role == "theme":
            document.add_paragraph(text, style="List Bullet")
            in_theme = True
        elif role == "unit":  # comments under a theme one level in; the questions stay outer items
            document.add_paragraph(text, style="List Bullet 2" if in_theme else "List Bullet")
        else:
            document.add_paragraph(line)
            in_theme = False
    path = tmp_path / "nested.docx"
    document.save(path)
    got = ingest.read_notes([path])
    cols = ["unit_id", "prompt", "section", "theme", "text"]
    pd.testing.assert_frame_equal(got[cols], units[cols])


def test_docx_nested_lists_use_levels(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("What slows decisions down?")
    document.add_paragraph("Sign-off chains that are far too long", style="List Bullet")
    document.add_paragraph("Three signatures for a small purchase.", style="List Bullet 2")
    document.add_paragraph("Waiting for the monthly panel.", style="List Bullet 2")
    document.add_paragraph("Unclear ownership", style="List Bullet")
    document.add_paragraph("Nobody knows who decides.", style="List Bullet 2")
    document.save(tmp_path / "nested.docx")
    df = ingest.read_notes([tmp_path / "nested.docx"])
    assert df["theme"].tolist() == ["Sign-off chains that are far too long"] * 2 + ["Unclear ownership"]


def test_rerun_is_byte_identical(project):
    ingest.ingest(paths=project)
    first = tree_hashes(project.processed)
    ingest.ingest(paths=project)
    assert tree_hashes(project.processed) == first


def test_ids_stable_under_an_edit(tmp_path, units):
    edited = tmp_path / "edited.txt"
    text = NOTES.read_text(encoding="utf-8").replace("Not remembering to celebrate successes",
                                                     "Not remembering to celebrate our successes")
    edited.write_text(text, encoding="utf-8")
    after = ingest.read_notes([edited])
    changed = units["unit_id"] != after["unit_id"]
    assert changed.sum() == 1
    assert units.loc[changed, "text"].item() == "Not remembering to celebrate successes"


def test_ids_unique_for_repeated_text(tmp_path):
    notes = tmp_path / "dup.txt"
    notes.write_text("Day\nWhat helps?\n· More time to talk together as a team.\n· More time to talk together as a team.\n",
                     encoding="utf-8")
    ids = ingest.read_notes([notes])["unit_id"].tolist()
    assert len(set(ids)) == 2 and ids[1] == ids[0] + "-2"


# --------------------------------------------------------------------------- bad input
# (every single-file case is in tests/test_bad_input.py's one table)

def test_missing_file_and_every_problem_listed(project, capsys):
    (project.root / "empty.txt").write_bytes(b"")
    status = main(["--root", str(project.root), "ingest", str(project.root / "nope.txt"), str(project.root / "empty.txt")])
    err = capsys.readouterr().err
    assert status == 1
    assert "nope.txt: file not found" in err and "empty.txt: file is empty" in err
    assert not project.units.exists()


def test_read_notes_raises_input_error_not_a_crash(tmp_path):
    with pytest.raises(InputError):
        ingest.read_notes([])


def test_cli_entry_points(project):
    """Both the console script and ``python -m`` run the stage."""
    out = project.processed / "alt.csv"
    done = subprocess.run([sys.executable, "-m", "compassion_study", "--root", str(project.root), "ingest", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out).shape[0] == 40
    done = subprocess.run([sys.executable, "-m", "compassion_study", "ingest", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "notes files, comment tables or folders" in done.stdout


# --------------------------------------------------------------------------- every line accounted for (issue 12, part)

DOCUMENTS = [NOTES_2020 := Path(__file__).resolve().parents[1] / "data/raw/notes/2020-07-01_west_compassionate-leadership_breakout-notes.txt",
             Path(__file__).resolve().parent / "data/notes_team_wellbeing_2021.txt",
             Path(__file__).resolve().parent / "data/notes_listening_event_2022.md"]


CORPUS = Path(__file__).resolve().parent / "data/notes_corpus"
CORPUS_DOCUMENTS = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".expected.md"))


@pytest.mark.parametrize("path", DOCUMENTS + CORPUS_DOCUMENTS, ids=lambda p: p.name)
def test_every_word_of_every_document_is_in_a_unit_a_heading_or_a_logged_line(path):
    units, log = ingest.read_notes_logged([path])
    lines = [ln for ln in ingest.read_lines(path) if ln.text]
    # every non-empty line or paragraph is logged once, with its words, in order
    assert list(zip(log["line"], log["text"])) == [(ln.number, ln.text) for ln in lines]
    assert set(log["role"]) <= set(ingest.ROLES)
    # the words of the unit lines (and the lines continuing them) are exactly the units' words, in order
    unit_lines = log[log["role"].isin(["unit", "continuation"])]
    assert " ".join(unit_lines["text"]).split() == " ".join(units["text"]).split()
    # a heading line's words reach its column (a section loses only its 'Key Themes –' prefix)
    for role, column in [("prompt", "prompt"), ("section", "section"), ("theme", "theme"), ("title", "session")]:
        for text in log.loc[log["role"] == role, "text"]:
            under = units.loc[units[column] != "", column]
            assert (text in set(under) or any(v in text for v in under)
                    or role in ("title", "prompt")), (role, text)  # a subtitle, or a prompt nothing was said under
    assert ingest.unaccounted(log) == []


def test_prose_outside_any_comment_is_a_warning_and_strict_refuses_it(tmp_path, capsys):
    from compassion_study.cli import main

    notes = tmp_path / "data/raw/notes/n.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("Huddle\nThe group met for an hour and talked at length about rotas.\nWhat helps?\n"
                     "- Time to think\nWe also said that breaks matter a great deal to everyone.\n- Breaks\n")
    assert main(["--root", str(tmp_path), "ingest"]) == 0
    err = capsys.readouterr().err
    assert "warning: n.txt › line 2: not a comment or a heading, so not in any unit: “The group met" in err
    assert "warning: n.txt › line 5:" in err and "2 skipped" in err
    log = ingest_log = (tmp_path / "data/processed/ingest_log.csv").read_text(encoding="utf-8")
    assert "n.txt,,2,,skipped,The group met" in ingest_log and log.count(",unit,") == 2
    assert main(["--root", str(tmp_path), "ingest", "--strict"]) == 1
    assert "--strict: 2 line(s) of the notes are in no unit and no heading" in capsys.readouterr().err


@pytest.mark.parametrize("path", DOCUMENTS + CORPUS_DOCUMENTS, ids=lambda p: p.name)
def test_canonical_markdown_reads_back_exactly(path, tmp_path):
    units = ingest.read_notes([path])
    canonical = tmp_path / "outline.md"
    canonical.write_text(ingest.to_markdown(units), encoding="utf-8")
    again = ingest.read_notes([canonical])
    cols = ["session", "prompt", "section", "theme", "text", "unit_id"]
    pd.testing.assert_frame_equal(units[cols], again[cols])


@pytest.mark.parametrize("path", DOCUMENTS + CORPUS_DOCUMENTS, ids=lambda p: p.name)
def test_to_markdown_with_the_log_keeps_every_word(path, tmp_path):
    """The outline a researcher corrects loses no word of the original: units, headings, and as comment lines the
    skipped, resources and subtitle lines; read back, every word is logged again."""
    from collections import Counter

    units, log = ingest.read_notes_logged([path])
    canonical = tmp_path / "outline.md"
    canonical.write_text(ingest.to_markdown(units, log), encoding="utf-8")
    _, again = ingest.read_notes_logged([canonical])
    # a section's "Key Themes –" prefix and a group line's colon are layout, not words of the notes
    texts = [ingest._SECTION_PREFIX.sub("", t) if role == "section" else t for t, role in zip(log["text"], log["role"])]

    def words(lines) -> Counter:
        return Counter(w.lower().rstrip(":") for w in " ".join(lines).split())

    assert not words(texts) - words(again["text"]), words(texts) - words(again["text"])


def test_canonical_markdown_keeps_levels_that_become_empty(tmp_path):
    units = pd.DataFrame({
        "source": "x.txt", "session": "S", "position": range(1, 6),
        "prompt": ["P1", "P1", "P1", "P2", "P2"], "section": ["a", "a", "", "", "b"],
        "theme": ["t", "", "", "u", ""], "text": [f"comment {i}" for i in range(5)]})
    path = tmp_path / "o.md"
    path.write_text(ingest.to_markdown(units), encoding="utf-8")
    back = ingest.read_notes([path])
    pd.testing.assert_frame_equal(back[["prompt", "section", "theme", "text"]], units[["prompt", "section", "theme", "text"]])


def test_canonical_markdown_is_read_exactly_with_continuations(tmp_path):
    path = tmp_path / "o.md"
    path.write_text(ingest.CANONICAL_MARK + "\n# Day\n\n## Who cares for the carers?\n\n#### Group 1\n- First part of a comment\n"
                    "  that goes on here\n- Second\nstray prose\n", encoding="utf-8")
    units, log = ingest.read_notes_logged([path])
    assert units["text"].tolist() == ["First part of a comment that goes on here", "Second"]
    assert units["theme"].tolist() == ["Group 1", "Group 1"] and set(units["section"]) == {""}
    assert log["role"].tolist() == ["title", "prompt", "theme", "unit", "continuation", "unit", "skipped"]


def test_explain_prints_the_outline(capsys):
    from compassion_study.cli import main

    assert main(["ingest", "--explain", str(DOCUMENTS[1]), "--root", str(DOCUMENTS[0].parents[3])]) == 0
    out = capsys.readouterr().out
    assert "What drains our energy at work? › Rota gaps: 2 unit(s)" in out
    assert "    - Staff covering extra shifts at short notice every …" in out


@pytest.mark.parametrize("path", CORPUS_DOCUMENTS, ids=lambda p: p.name)
def test_corpus_document_parses_to_its_expected_outline(path):
    """Each document of a failure class (hard-wrapped e-mail, Outlook bullets, actions after questions,
    a long questions heading, themes as headings, bold lines and group names) gives exactly its expected outline,
    written by hand in the canonical form, and leaves no line unaccounted for."""
    units, log = ingest.read_notes_logged([path])
    expected = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.md").read_text(encoding="utf-8")
    assert ingest.to_markdown(units) == expected
    assert ingest.unaccounted(log) == []


def test_docx_list_item_with_a_second_paragraph_is_one_unit(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Team day")
    document.add_paragraph("What helps?")
    document.add_paragraph("Protected time for reflection.", style="List Bullet")
    document.add_paragraph("It has to be in the rota, or it never happens.", style="List Paragraph")
    document.add_paragraph("Thank-you cards.", style="List Bullet")
    path = tmp_path / "n.docx"
    document.save(path)
    units, log = ingest.read_notes_logged([path])
    assert units["text"].tolist() == ["Protected time for reflection. It has to be in the rota, or it never happens.",
                                      "Thank-you cards."]
    assert log["role"].tolist() == ["title", "prompt", "unit", "continuation", "unit"]


def test_comments_reading_na_or_null_survive_the_processed_csv(tmp_path):
    """pandas reads 'NA', 'N/A' and 'null' as missing by default: a comment or memo with those words must not vanish."""
    notes = tmp_path / "n.txt"
    notes.write_text("Day\nWhat helps?\n- N/A\n- null\n- NA\n- None\n", encoding="utf-8")
    study = Paths.from_root(tmp_path / "s")
    ingest.ingest([notes], out=tmp_path / "units.csv", paths=study)
    assert ingest.read_units(tmp_path / "units.csv")["text"].tolist() == ["N/A", "null", "NA", "None"]


# --------------------------------------------------------------------------- issue 12 audit: words that were lost silently


def test_docx_table_cells_and_text_boxes_are_read_once_in_document_order():
    """Paragraphs in table cells and text boxes are read (``document.paragraphs`` holds neither); the VML copy of a
    text box under ``mc:Fallback`` is not read a second time."""
    import re
    import zipfile

    path = CORPUS / "table-and-textbox.docx"
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    units, log = ingest.read_notes_logged([path])
    written = " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)).split()
    assert set(written) <= set(" ".join(log["text"]).split())
    assert xml.count("Car parking charges") == 2  # the text box, and its fallback copy
    assert " ".join(units["text"]).count("Car parking charges") == 1
    assert log.loc[log["text"] == "Staffing", "role"].item() == "theme"  # a "Theme | comment" table: list rules
    assert units["text"].iloc[:3].tolist() == ["Two nurses short on most night shifts since March",
                                               "Agency staff do not know the ward routines",  # a soft line break
                                               "Breaks are taken at the desk, if at all"]


def test_docx_table_outside_any_list_is_logged_and_warned(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Team day")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Attendees", "Twelve staff from both wards"
    document.add_paragraph("What helps?")
    document.add_paragraph("Time to talk after a hard shift", style="List Bullet")
    document.save(tmp_path / "n.docx")
    units, log = ingest.read_notes_logged([tmp_path / "n.docx"])
    assert log["role"].tolist() == ["title", "skipped", "skipped", "prompt", "unit"]
    assert ingest.unaccounted(log)[1] == ("n.docx › line 3: not a comment or a heading, so not in any unit: "
                                          "“Twelve staff from both wards”")


def test_docx_soft_line_breaks_and_tabs_are_spaces_and_round_trip(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Team day")
    document.add_paragraph("What helps?")
    document.add_paragraph("Time to talk\nafter a hard shift", style="List Bullet")  # Shift+Enter: w:br
    document.add_paragraph("Thank-you cards\tfrom the matron", style="List Bullet")
    document.save(tmp_path / "n.docx")
    units = ingest.read_notes([tmp_path / "n.docx"])
    assert units["text"].tolist() == ["Time to talk after a hard shift", "Thank-you cards from the matron"]
    (tmp_path / "o.md").write_text(ingest.to_markdown(units), encoding="utf-8")
    assert ingest.read_notes([tmp_path / "o.md"])["text"].tolist() == units["text"].tolist()


SIGNED_OFF = ("Subject: huddle notes\n\nWhat gets in the way?\n\n- Cover for sickness always falls on the same people, and they\n"
              "are getting tired\n- Too many meetings on\nMondays and Fridays\n\nWhat could we do?\n\n"
              "- Thank people by name in the weekly email\n\nThanks,\nSam\n")


def test_a_heading_with_no_comment_under_it_is_a_warning_and_strict_refuses_it(tmp_path, capsys):
    """A wrapped line taken for a section, and an e-mail's sign-off, hold words that are in no unit."""
    notes = tmp_path / "data/raw/notes/email.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text(SIGNED_OFF, encoding="utf-8")
    _, log = ingest.read_notes_logged([notes])
    # a wrapped line in lower case continues its comment; one that starts in capitals looks like a section
    assert log.set_index("line")["role"].to_dict() == {1: "title", 3: "prompt", 5: "unit", 6: "continuation", 7: "unit",
                                                        8: "section", 10: "prompt", 12: "unit", 14: "section", 15: "section"}
    assert main(["--root", str(tmp_path), "ingest"]) == 0
    err = capsys.readouterr().err
    for line, text in [(8, "Mondays and Fridays"), (14, "Thanks,"), (15, "Sam")]:
        assert f"warning: email.txt › line {line}: a section with no comment under it, so not in any unit: “{text}”" in err
    assert err.count("warning:") == 3 and "0 skipped, 3 heading(s) with no comment under them" in err
    assert main(["--root", str(tmp_path), "ingest", "--strict"]) == 1
    assert "--strict: 3 line(s) of the notes are in no unit and no heading, or are headings with no comment" \
        in capsys.readouterr().err


def test_unplaced_headings_are_those_with_no_unit_before_the_next_heading_at_their_level():
    log = pd.DataFrame({"source": ["a"] * 7 + ["b"], "sheet": "", "column": "", "line": range(1, 9),
                        "role": ["prompt", "section", "theme", "unit", "section", "prompt", "theme", "prompt"],
                        "text": list("PSTuSPTP")})
    assert ingest.unplaced(log)["line"].tolist() == [5, 6, 7, 8]


def test_explain_and_to_markdown_warn_and_keep_skipped_lines(tmp_path, capsys):
    notes = tmp_path / "email.txt"
    notes.write_text("Subject: huddle notes\n\nHi all,\n\n" + SIGNED_OFF.split("\n\n", 1)[1], encoding="utf-8")
    (tmp_path / "study.yaml").write_text("title: T\n", encoding="utf-8")
    assert main(["ingest", "--explain", str(notes), "--root", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "What gets in the way?: 2 unit(s)" in out
    assert "warning: email.txt › line 3: not a comment or a heading" in err and err.count("warning:") == 4
    assert main(["ingest", "--to-markdown", str(notes), "--root", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert err.count("warning:") == 4
    assert out.splitlines()[1:] == [
        "# Subject: huddle notes", "<!-- skipped: Hi all, -->", "", "## What gets in the way?",
        "- Cover for sickness always falls on the same people, and they are getting tired", "- Too many meetings on",
        "<!-- skipped: Mondays and Fridays -->", "", "## What could we do?", "- Thank people by name in the weekly email",
        "<!-- skipped: Thanks, -->", "<!-- skipped: Sam -->"]
    # the outline read back: the same units, and the kept lines logged as skipped by their own words and warned again
    (tmp_path / "outline.md").write_text(out, encoding="utf-8")
    units, log = ingest.read_notes_logged([tmp_path / "outline.md"])
    pd.testing.assert_frame_equal(units[["prompt", "section", "theme", "text"]],
                                  ingest.read_notes([notes])[["prompt", "section", "theme", "text"]])
    assert log.loc[log["role"] == "skipped", "text"].tolist() == ["Hi all,", "Mondays and Fridays", "Thanks,", "Sam"]
    assert len(ingest.unaccounted(log)) == 4


def test_resources_lines_are_kept_by_to_markdown(tmp_path):
    units, log = ingest.read_notes_logged([DOCUMENTS[1]])
    kept = [ln for ln in ingest.to_markdown(units, log).splitlines() if ln.startswith("<!-- resources: ")]
    assert kept == [f"<!-- resources: {t} -->" for t in log.loc[log["role"] == "resources", "text"]] and kept
    (tmp_path / "o.md").write_text(ingest.to_markdown(units, log), encoding="utf-8")
    _, again = ingest.read_notes_logged([tmp_path / "o.md"])
    assert again.loc[again["role"] == "resources", "text"].tolist() == log.loc[log["role"] == "resources", "text"].tolist()
    assert ingest.unaccounted(again) == []


def test_tab_indented_sub_bullets_and_continuations(tmp_path):
    notes = tmp_path / "n.txt"
    notes.write_text("Day\n\nWhat helps?\n\n* Rotas\n\t* Published six weeks ahead, so that\n\t  childcare can be planned\n"
                     "* Breaks that are taken away from the\n\tward\n", encoding="utf-8")
    assert [(ln.level, ln.indent) for ln in ingest.read_lines(notes) if ln.text][2:] == [(0, 0), (2, 0), (0, 6), (0, 0), (0, 4)]
    units = ingest.read_notes([notes])
    assert units["text"].tolist() == ["Published six weeks ahead, so that childcare can be planned",
                                      "Breaks that are taken away from the ward"]
    assert units["theme"].tolist() == ["Rotas", "Rotas"]


# --------------------------------------------------------------------------- issue 12 second audit: layouts still misread


def test_numbered_questions_are_prompts_only_where_no_plain_line_is_one(tmp_path):
    """``1.<TAB>Question?`` over nested items is a prompt in Word minutes pasted as text; where the document
    has a plain-line prompt, a numbered question with items under it stays a comment (issue class 9)."""
    minutes = "Minutes\r\n1.\tWhat helps?\r\n\u00b7\tStaffing\r\no\tTwo nurses short on most nights\r\n"
    path = tmp_path / "m.txt"
    path.write_text(minutes, encoding="utf-8", newline="")
    assert ingest.read_notes([path])[["prompt", "theme"]].values.tolist() == [["What helps?", "Staffing"]]
    path.write_text("Minutes\nWhat gets in the way?\n1. Why do rotas come out so late?\n   - Two weeks' notice at most\n",
                    encoding="utf-8")
    units = ingest.read_notes([path])
    assert set(units["prompt"]) == {"What gets in the way?"} and len(units) == 2


def test_group_lines_above_prompts_are_logged_as_groups():
    units, log = ingest.read_notes_logged([CORPUS / "groups-above-prompts.txt"])
    assert log.loc[log["role"] == "group", "text"].tolist() == ["Breakout room 1", "Breakout room 2"]
    assert units.groupby("theme").size().to_dict() == {"Breakout room 1": 3, "Breakout room 2": 4}


def test_no_prompt_error_points_to_the_canonical_outline(tmp_path):
    path = tmp_path / "n.md"
    path.write_text("# Day\n\nWe met and talked.\n\n- Kindness\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no discussion prompt found.*ingest --to-markdown FILE.*docs/ingest.md"):
        ingest.read_notes([path])


@pytest.mark.parametrize("marked", [False, True])
def test_a_docx_table_header_row_is_labels_not_comments(tmp_path, marked):
    """A "Theme | Comments" header row (short labels, or Word's "repeat as header row") names the columns:
    read as list items it would become a theme and a comment. It is logged and warned, and the rows under it
    give themes and comments by the list rules."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("Ward 3 away day")
    document.add_paragraph("What gets in the way of kindness at work?")
    rows = [["Theme", "Comments"] if not marked else ["Theme of the discussion", "What people said, in their words"],
            ["Staffing", "Two nurses short on most night shifts since March"],
            ["", "Agency staff do not know the ward routines"],
            ["Breaks", "Breaks are taken at the desk, if at all"]]
    table = document.add_table(rows=len(rows), cols=2)
    for row, cells in zip(table.rows, rows):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    if marked:  # long labels, but Word's own header-row mark
        table.rows[0]._tr.get_or_add_trPr().append(
            parse_xml('<w:tblHeader xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'))
    path = tmp_path / "away-day.docx"
    document.save(path)
    units, log = ingest.read_notes_logged([path])
    assert units["text"].tolist() == [rows[1][1], rows[2][1], rows[3][1]]
    assert units["theme"].tolist() == ["Staffing", "Staffing", "Breaks"]
    header = log[log["text"].isin(rows[0])]
    assert header["role"].tolist() == ["skipped", "skipped"]
    assert len(ingest.unaccounted(log)) == 2  # each label is warned, with its file and line


def test_a_short_first_table_row_that_is_data_stays_data(tmp_path):
    """``Workload | Too many meetings`` is short, but neither bold nor worded as column labels: a theme and a
    comment, not a header."""
    import docx

    document = docx.Document()
    document.add_paragraph("Ward 3 away day")
    document.add_paragraph("What gets in the way of kindness at work?")
    rows = [["Workload", "Too many meetings"], ["", "Rotas are published late every single month"]]
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, rows):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    path = tmp_path / "data-first.docx"
    document.save(path)
    units, log = ingest.read_notes_logged([path])
    assert set(log.loc[log["text"].isin(rows[0]), "role"]) <= {"unit", "theme"}  # read by the list rules
    assert rows[0][1] in units["text"].tolist() and not ingest.unaccounted(log)


def test_tracked_moves_and_deletions_in_docx_are_read_once_where_the_text_now_stands(tmp_path):
    """Word keeps a tracked move's text at both places (``w:moveFrom`` with ordinary ``w:t`` runs, and
    ``w:moveTo``): only the destination is the document's text now, as Word shows it with changes accepted."""
    import docx
    from docx.oxml.ns import qn
    from lxml import etree

    document = docx.Document()
    document.add_paragraph("Leadership workshop")
    document.add_paragraph("What gets in the way?")
    first = document.add_paragraph("Too many meetings ", style="List Bullet")
    second = document.add_paragraph("Staff shortages on every ward", style="List Bullet")
    for paragraph, tag in ((second, "w:moveFrom"), (first, "w:moveTo"), (second, "w:del")):
        change = etree.SubElement(paragraph._p, qn(tag))
        change.set(qn("w:id"), tag[-2:]), change.set(qn("w:author"), "A")
        run = etree.SubElement(change, qn("w:r"))
        etree.SubElement(run, qn("w:t" if tag != "w:del" else "w:delText")).text = \
            " and nobody asks why" if tag == "w:del" else "with no purpose"
    path = tmp_path / "moved.docx"
    document.save(path)
    units = ingest.read_notes([path])
    assert units["text"].tolist() == ["Too many meetings with no purpose", "Staff shortages on every ward"]


def test_a_lower_case_heading_under_a_comment_is_not_joined_to_it(tmp_path):
    """A hard-wrapped line continues the comment above only where the sentence plainly goes on; a lower-case
    section line (``key themes – positives``) or a short label with a list under it stays a heading."""
    path = tmp_path / "wrap.txt"
    path.write_text("Leadership workshop\n\nWhat gets in the way of compassionate leadership?\n- Too many meetings\n"
                    "- Staff shortages on every ward\nkey themes – positives\n- Kind managers who ask\n\n"
                    "What helps?\n- Peer support and\nsomeone to talk to\n- Time to reflect\n", encoding="utf-8")
    units = ingest.read_notes([path])
    assert units["text"].tolist() == ["Too many meetings", "Staff shortages on every ward", "Kind managers who ask",
                                      "Peer support and someone to talk to", "Time to reflect"]
    assert units["section"].tolist() == ["", "", "positives", "", ""]


def test_prose_about_a_question_does_not_open_a_questions_block(tmp_path):
    """Only a heading naming questions (plural, or Q&A) opens the questions to the speaker at any length; a line of
    prose about "the question of" rotas leaves the comments under their prompt, and is warned as prose."""
    path = tmp_path / "q.txt"
    path.write_text("Leadership workshop\n\nWhat gets in the way of compassionate leadership?\n"
                    "- Too many meetings with no clear purpose\n\n"
                    "Several people came back to the question of how rotas are made:\n"
                    "- Rotas are published late every single month\n\n"
                    "Points raised and questions for the Chief Executive and the Director of Workforce\n"
                    "- Will the rota system be replaced this year?\n", encoding="utf-8")
    units, log = ingest.read_notes_logged([path])
    assert units["section"].tolist() == ["", "", "questions"]
    assert units["prompt"].iloc[1] == "What gets in the way of compassionate leadership?"
    assert [w.split("›")[1].strip().split(":")[0] for w in ingest.unaccounted(log)] == ["line 6"]


@pytest.mark.parametrize("suffix, text", [
    (".txt", "Away day\n\nGroup 1\nWhat gets in the way?\n- Workload\n- Too many meetings with no clear purpose\n"
             "- Rotas published late every month\n- Culture\n- Nobody asks how you are after a bad shift\n"
             "- Managers only ever send emails to us\n\nGroup 2\nWhat gets in the way?\n- Parking costs too much\n"),
    (".md", "Away day\n\nGroup 1\nWhat gets in the way?\n### Workload\n- Too many meetings with no clear purpose\n"
            "- Rotas published late every month\n### Culture\n- Nobody asks how you are after a bad shift\n"
            "- Managers only ever send emails to us\n\nGroup 2\nWhat gets in the way?\n- Parking costs too much\n"),
])
def test_a_theme_inside_a_breakout_group_keeps_the_group(tmp_path, suffix, text):
    """Themes under a group named above the prompts (a bullet heading, or a Markdown heading) are read as themes,
    and each unit keeps both its group and its theme: neither is lost."""
    path = tmp_path / f"groups{suffix}"
    path.write_text(text, encoding="utf-8")
    units = ingest.read_notes([path])
    assert units["theme"].tolist() == ["Group 1 › Workload"] * 2 + ["Group 1 › Culture"] * 2 + ["Group 2"]


def test_only_a_resources_heading_starts_the_resources(tmp_path):
    """A theme or a comment that merely starts with "Links" or "Reading" does not turn what follows into resources
    (which are not units): only a line made of resources words does; a resources line without a link is warned."""
    path = tmp_path / "flipchart.txt"
    path.write_text("Ward 9 flipchart\n\nWhat gets in the way?\n\nLINKS WITH COMMUNITY TEAMS\n"
                    "- Discharge delays because social care is not contactable\n"
                    "- Nobody knows who the district nurse is for our patients\n\n"
                    "Reading the staff survey results together as a team helped.\n\n"
                    "What would help?\n- A thank-you board in the staff room\n\nUseful links and reading:\n"
                    "- https://example.org/wellbeing\n- Ask Sam for the slides\n- Car parking is too dear\n",
                    encoding="utf-8")
    units, log = ingest.read_notes_logged([path])
    assert units["text"].tolist() == ["Discharge delays because social care is not contactable",
                                      "Nobody knows who the district nurse is for our patients",
                                      "A thank-you board in the staff room"]
    warned = " ".join(ingest.unaccounted(log))
    assert "line 9: not a comment or a heading" in warned  # the prose line, not silently a resources heading
    assert "line 17: under a resources heading but not a link" in warned  # a comment after the resources
    assert "line 15" not in warned and "line 16" not in warned  # a link, and a resource named without one


def test_roman_numeral_items_are_items_of_their_own_kind(tmp_path):
    """``i. ii. iii.`` under lettered or numbered items: each is one comment, one level deeper."""
    path = tmp_path / "roman.md"
    path.write_text("Maternity workshop\n\nWhat would help?\n\n1. Better rota planning\n   i. Six weeks' notice of "
                    "shifts\n   ii. Self-rostering pilot on the birth centre\n   iii. Ask staff before moving them\n"
                    "2. Support after difficult births\n   i. Hot debriefs led by a PMA\n", encoding="utf-8")
    units = ingest.read_notes([path])
    assert units["text"].tolist() == ["Six weeks' notice of shifts", "Self-rostering pilot on the birth centre",
                                      "Ask staff before moving them", "Hot debriefs led by a PMA"]
    assert units["theme"].tolist() == ["Better rota planning"] * 3 + ["Support after difficult births"]


def test_one_short_comment_over_one_longer_is_two_comments(tmp_path):
    """A two-item list whose first item is short is as likely two comments as a theme and its comment: both
    stay comments (a themed list shows its shape with more than one item under a theme)."""
    path = tmp_path / "reply.txt"
    path.write_text("Ward 4 notes\n\nWhat would help?\n- Protected time for supervision\n"
                    "- A rest room that is not also the store room for broken equipment\n", encoding="utf-8")
    units = ingest.read_notes([path])
    assert units["text"].tolist() == ["Protected time for supervision",
                                      "A rest room that is not also the store room for broken equipment"]
    assert units["theme"].tolist() == ["", ""]


def test_a_theme_called_resources_holds_comments_not_links(tmp_path):
    """"Resources" (staffing, budgets) or "Materials" as a theme: its items are comments; only a block whose items
    hold links is resources, and a line there naming neither a link nor a resource is warned."""
    path = tmp_path / "res.txt"
    path.write_text("Workshop\n\nWhat gets in the way?\nResources\n- No budget for training cover\n"
                    "- Agency staff every night\nMaterials\n- The slides were too dense to read\n\n"
                    "Further resources\n- https://example.org/x\n- The slides are on the intranet\n"
                    "- Parking is too dear\n", encoding="utf-8")
    units, log = ingest.read_notes_logged([path])
    assert units["text"].tolist() == ["No budget for training cover", "Agency staff every night",
                                      "The slides were too dense to read"]
    assert [w.split(" › ")[1].split(":")[0] for w in ingest.unaccounted(log)] == ["line 13"]  # "Parking …"
