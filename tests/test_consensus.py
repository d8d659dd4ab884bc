"""Consensus: settling rules, adjudication round trip, strict import."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from compassion_study import consensus, files, ingest, sheets
from compassion_study.cli import main
from compassion_study.errors import InputError

from .conftest import tree_hashes


def _codings(rows):
    return pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])


def test_settle_rules_hand_checked():
    rows = []
    # u1: all three apply c1 (unanimous); two of three apply c2 (majority 1)
    for g in "abc":
        rows += [("r1", g, "u1", "c1", 1), ("r1", g, "u1", "c2", int(g != "c"))]
    # u2: two coders split on c1 (tie -> 0, flagged); agree on c2
    rows += [("r1", "a", "u2", "c1", 1), ("r1", "b", "u2", "c1", 0), ("r1", "a", "u2", "c2", 0), ("r1", "b", "u2", "c2", 0)]
    # u3: one coder only
    rows += [("r1", "a", "u3", "c1", 1), ("r1", "a", "u3", "c2", 0)]
    out = consensus.settle(_codings(rows)).set_index(["unit_id", "code_id"])
    assert out.loc[("u1", "c1"), ["applied", "basis"]].tolist() == [1, "unanimous"]
    assert out.loc[("u1", "c2"), ["applied", "basis"]].tolist() == [1, "majority"]
    assert out.loc[("u2", "c1"), ["applied", "basis"]].tolist() == [0, "tie"]
    assert out.loc[("u2", "c2"), ["applied", "basis"]].tolist() == [0, "unanimous"]
    assert out.loc[("u3", "c1"), ["applied", "basis"]].tolist() == [1, "single coder"]
    assert out["provisional"].sum() == 2
    decided = pd.DataFrame([("r1", "u2", "c1", 1, "adj.xlsx")], columns=["round", "unit_id", "code_id", "applied", "decided_in"])
    final = consensus.settle(_codings(rows), decided).set_index(["unit_id", "code_id"])
    assert final.loc[("u2", "c1"), ["applied", "basis", "provisional", "decided_in"]].tolist() == [1, "adjudicated", False, "adj.xlsx"]
    assert "PROVISIONAL" in consensus.status_note(final.reset_index())  # u1 × c2 is still a majority


def test_latest_round_wins():
    rows = [("round-1", "a", "u1", "c1", 1), ("round-1", "b", "u1", "c1", 1),
            ("round-2", "a", "u1", "c1", 0), ("round-2", "b", "u1", "c1", 0)]
    out = consensus.settle(_codings(rows))
    assert out[["round", "applied"]].values.tolist() == [["round-2", 0]]


@pytest.fixture
def coded(project):
    ingest.ingest(paths=project)
    sheets.import_codings(paths=project)
    shutil.rmtree(project.consensus_raw, ignore_errors=True)
    return project


def test_export_lists_only_disputed_cells_and_is_injection_safe(coded):
    path = consensus.export(coded, "round-1")
    ws = load_workbook(path)[consensus.SHEET]
    header = [c.value for c in ws[2]]
    assert header == ["unit_id", "code_id", "code", "comment", "mark alice", "mark bob", "decision", "note", "memo alice", "memo bob", "check"]
    assert ws["A1"].value == "round: round-1" and "cells: 25 · status: adjudication" in ws["D1"].value
    assert ws.max_row == 27
    marks = {(r[4], r[5]) for r in ws.iter_rows(min_row=3, values_only=True)}
    assert marks <= {(1, 0), (0, 1)}
    memo = [r[8] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "u28425a3aed"]
    assert memo == ["Not sure 'rebellion' is innovation; it might be autonomy."]
    assert ws.protection.sheet and not ws["G3"].protection.locked and ws["D3"].protection.locked


def _decide(path, decisions: dict[int, object], note: str = "") -> None:
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    for row, value in decisions.items():
        ws.cell(row, 7).value = value
        if note:
            ws.cell(row, 8).value = note
    wb.save(path)


def test_round_trip_partial_then_full(coded):
    path = consensus.export(coded, "round-1")
    _decide(path, {3: 1, 4: "no", 5: "✓"}, note="-cmd|' /C calc'!A0")
    final = consensus.run(coded, [path], round_="round-1")
    assert (final["basis"] == "adjudicated").sum() == 3
    assert final.loc[final["basis"] == "adjudicated", "note"].tolist() == ["-cmd|' /C calc'!A0"] * 3
    assert b"'-cmd|" in coded.consensus.read_bytes()  # stored so that no spreadsheet evaluates it
    assert consensus.read_consensus(coded).equals(final)
    assert final["provisional"].sum() == 22  # the undecided rows stay provisional
    _decide(path, {r: 0 for r in range(3, 28)})
    final = consensus.run(coded, [path])
    assert (final["basis"] == "adjudicated").sum() == 25 and not final["provisional"].any()
    assert set(final.loc[final["basis"] == "adjudicated", "applied"]) == {0}
    first = coded.consensus.read_bytes()
    consensus.run(coded, [path])
    assert coded.consensus.read_bytes() == first  # idempotent


def test_adjudication_notes_are_kept_and_formulas_in_them_refused(coded):
    """The adjudicator's notes reach consensus.csv (decided rows and undecided ones) and the report's table of
    disputed cells; a note typed as a formula is refused by cell, as a decision is."""
    from compassion_study import figures

    path = consensus.export(coded, "round-1")
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    ws["G3"], ws["H3"] = 1, "Applies: <b>the speaker</b> names the team"
    ws["H4"] = "  Undecided: ask the team\r\nat the meeting  "  # no decision: stays provisional, keeps the note
    ws["H5"] = "=unsure"  # a formula
    wb.save(path)
    with pytest.raises(InputError) as exc:
        consensus.run(coded, [path], round_="round-1")
    assert exc.value.problems == [
        "round-1_adjudication.xlsx › Adjudication › H5: the note was typed as a formula (=unsure), which the "
        "spreadsheet turns into an error value; type it as text, starting with an apostrophe ('=unsure)"]
    ws["H5"] = None
    ws["H40"] = "a note below the table"  # on a row with no unit: nowhere to keep it
    wb.save(path)
    with pytest.raises(InputError, match="Adjudication › H40: note on a row with no unit_id"):
        consensus.run(coded, [path], round_="round-1")
    ws["H40"] = None
    wb.save(path)
    final = consensus.run(coded, [path], round_="round-1")
    uid3, cid3, uid4, cid4 = ws["A3"].value, ws["B3"].value, ws["A4"].value, ws["B4"].value
    cells = final.set_index(["unit_id", "code_id"])
    assert cells.loc[(uid3, cid3), ["basis", "note"]].tolist() == ["adjudicated", "Applies: <b>the speaker</b> names the team"]
    assert cells.loc[(uid4, cid4), "provisional"]
    assert cells.loc[(uid4, cid4), "note"] == "Undecided: ask the team\nat the meeting"
    assert (final["note"] != "").sum() == 2
    assert consensus.read_consensus(coded)["note"].tolist() == final["note"].tolist()
    table = consensus.disputed_table(consensus.read_consensus(coded), sheets.read_codings(coded),
                                     ingest.read_units(coded.units), consensus.read_memos(coded))
    assert set(table["note"]) == {"", "Applies: <b>the speaker</b> names the team", "Undecided: ask the team\nat the meeting"}
    html = figures.table(table)._repr_html_()
    assert "Applies: &lt;b&gt;the speaker&lt;/b&gt; names the team" in html and "<b>the speaker" not in html
    # a note on a cell the codings no longer dispute is not dropped: the file is refused, as for a decision
    ws["A4"] = "u0000000000"
    wb.save(path)
    with pytest.raises(InputError, match="Adjudication › H4: unit 'u0000000000' × code .* copy the notes across"):
        consensus.run(coded, [path], round_="round-1")


def test_illustrative_adjudication_is_labelled_and_used(project):
    ingest.ingest(paths=project)
    sheets.import_codings(paths=project)
    [adj] = list(project.consensus_raw.iterdir())
    assert "ILLUSTRATIVE" in adj.name
    assert "ILLUSTRATIVE" in load_workbook(adj)["Instructions"]["B4"].value
    final = consensus.run(project)
    assert final["basis"].value_counts().to_dict() == {"unanimous": 655, "adjudicated": 25}


BAD = [
    ("decision", {3: "maybe"}, "Adjudication › G3: decision 'maybe' is not a documented mark"),
    ("formula", {3: "=1"}, "Adjudication › G3: decision a formula (=1) is not a documented mark"),
    ("unknown-cell", {"A3": "u0000000000", 3: 1}, "Adjudication › A3: unit 'u0000000000' × code"),
    ("duplicate", {"A4": "u390f6e73e0", "B4": "empathising"}, "appears twice (also row 3)"),
    ("edited", {"D3": "changed text"}, "Adjudication › D3: comment text of unit 'u390f6e73e0' was edited"),
    ("round", {"A1": "round: round-9"}, "Adjudication › A1: sheet is for round 'round-9', but it is being imported as round 'round-1'"),
]


@pytest.mark.parametrize("name,edits,message", BAD, ids=[b[0] for b in BAD])
def test_bad_adjudications_rejected_with_location_and_nothing_written(coded, capsys, name, edits, message):
    path = consensus.export(coded, "round-1", out=coded.root / f"round-1_adjudication_{name}.xlsx")
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    for key, value in edits.items():
        ws[key if isinstance(key, str) else f"G{key}"] = value
    wb.save(path)
    consensus.run(coded)  # a provisional consensus already on disk
    before = tree_hashes(coded.processed)
    status = main(["--root", str(coded.root), "consensus", "import", "--round", "round-1", str(path)])
    err = capsys.readouterr().err
    assert status == 1 and message in err and "Traceback" not in err
    assert "nothing was written" in err
    assert tree_hashes(coded.processed) == before


def test_not_a_spreadsheet_and_empty(coded, capsys):
    fake = coded.root / "adj.xlsx"
    fake.write_text("decision\n1\n", encoding="utf-8")
    empty = coded.root / "adj2.xlsx"
    empty.write_bytes(b"")
    assert main(["--root", str(coded.root), "consensus", "import", str(fake), str(empty)]) == 1
    err = capsys.readouterr().err
    assert "adj.xlsx: is not a spreadsheet" in err and "adj2.xlsx: file is empty" in err
    assert not coded.consensus.exists()


def test_consensus_csv_contract(coded):
    consensus.run(coded)
    df = files.read_csv(coded.consensus, text=("unit_id", "code_id", "basis"))
    assert list(df.columns[:4]) == ["unit_id", "code_id", "applied", "basis"]
    assert set(df["basis"]) <= {"unanimous", "adjudicated", "majority", "tie", "single coder"}
    assert len(df) == 40 * 17


def test_a_stale_adjudication_row_says_why_and_undecided_ones_do_not_block(coded):
    path = consensus.export(coded, "round-1")
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    ws["A3"], ws["A4"], ws["G4"], ws["G5"] = "u0000000000", "u0000000001", 1, 0
    wb.save(path)
    with pytest.raises(InputError) as exc:
        consensus.run(coded, [path], round_="round-1")
    assert exc.value.problems == [
        "round-1_adjudication.xlsx › Adjudication › A4: unit 'u0000000001' × code 'reflection_space' is not a disputed "
        "cell of round 'round-1': the codings changed after this workbook was exported (or the row was edited); "
        "export a new adjudication workbook and copy the decisions across"]
    ws["G4"] = None
    wb.save(path)
    final = consensus.run(coded, [path], round_="round-1")  # the undecided stale rows are passed over
    assert (final["basis"] == "adjudicated").sum() == 1


def test_decisions_on_a_round_coded_again_later_are_named_not_dropped():
    """The consensus follows each unit's latest round; an adjudication of an earlier round's cell then decides
    nothing, and says so (with its notes) rather than vanishing."""
    rows = [(rnd, coder, uid, "c1", applied) for rnd, uid in (("round-1", "u1"), ("round-1", "u2"), ("round-2", "u1"))
            for coder, applied in (("ann", 1), ("ben", 0))]
    codings = pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])
    decisions = pd.DataFrame({"round": ["round-1", "round-1"], "unit_id": ["u1", "u2"], "code_id": ["c1", "c1"],
                              "applied": [1.0, 0.0], "decided_in": ["round-1_adjudication.xlsx"] * 2,
                              "note": ["ask the team", ""]})
    final = consensus.settle(codings, decisions).set_index("unit_id")
    assert final.loc["u2", "basis"] == "adjudicated" and final.loc["u1", "basis"] == "tie"  # u1: round-2 rules
    said = consensus.superseded(codings, decisions)
    assert said == ["round-1_adjudication.xlsx: 1 decision(s) and 1 note(s) on round 'round-1' are not used: their "
                    "1 unit(s) were coded again in a later round, whose coding the consensus follows; adjudicate "
                    "the later round"]
    assert consensus.superseded(codings[codings["round"] == "round-1"], decisions) == []
