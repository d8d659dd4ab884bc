"""Make the ILLUSTRATIVE round-1 coding and adjudication workbooks.

ILLUSTRATIVE DATA. These are not a real coding study: two members of the
project team ("alice" and "bob") each coded the 40 units of the bundled notes
against codebook v1, independently and without discussion, so that the
pipeline and the report have realistic input to show. The decisions are
listed below so anyone can see exactly what the illustrative files contain.

A third team member ("carol") then adjudicated the 25 cells on which they
disagreed, with the codebook in hand; her decisions and notes are below too.

The script exports blank workbooks with the package (marked ILLUSTRATIVE),
fills them as a coder would (1 in each applied code column, a memo where the
coder was unsure), imports them in a scratch copy of the project, exports the
adjudication workbook and fills it the same way. It writes everything to
--out. Copy the coding workbooks to data/raw/coding/round-1/ and the
adjudication workbook to data/raw/consensus/ by hand: code never writes
under data/raw/.

    python scripts/make_illustrative_coding.py --out /tmp/illustrative
"""

from __future__ import annotations

import argparse
from pathlib import Path

import shutil
import tempfile

from openpyxl import load_workbook

from compassion_study import consensus, ingest, sheets
from compassion_study.paths import Paths

# unit position in the notes -> codes applied ("none" = no code applies)
ALICE = {
    1: "self_care pace_workload", 2: "self_care anxiety_fear empathising", 3: "empathising inclusion_equity",
    4: "pace_workload team_connection self_care reflection_space", 5: "pace_workload",
    6: "pace_workload autonomy helping", 7: "anxiety_fear autonomy", 8: "understanding belonging anxiety_fear",
    9: "recognition", 10: "recognition belonging", 11: "recognition belonging", 12: "pace_workload reflection_space",
    13: "attending reflection_space collaboration", 14: "reflection_space autonomy", 15: "innovation autonomy",
    16: "innovation contribution collaboration", 17: "autonomy collaboration innovation", 18: "innovation",
    19: "innovation belonging", 20: "collaboration", 21: "belonging team_connection",
    22: "collaboration inclusion_equity", 23: "helping remote_technology belonging", 24: "belonging empathising",
    25: "remote_technology innovation", 26: "inclusion_equity helping self_care understanding",
    27: "pace_workload autonomy", 28: "innovation autonomy", 29: "attending remote_technology",
    30: "remote_technology helping belonging anxiety_fear", 31: "remote_technology", 32: "innovation",
    33: "team_connection reflection_space self_care", 34: "team_connection understanding", 35: "team_connection",
    36: "innovation", 37: "anxiety_fear", 38: "collaboration", 39: "remote_technology attending", 40: "none",
}
BOB = {
    1: "self_care pace_workload", 2: "self_care anxiety_fear", 3: "empathising inclusion_equity",
    4: "pace_workload self_care team_connection", 5: "pace_workload", 6: "pace_workload autonomy",
    7: "anxiety_fear", 8: "understanding anxiety_fear", 9: "recognition", 10: "recognition empathising",
    11: "recognition", 12: "pace_workload reflection_space", 13: "attending reflection_space",
    14: "reflection_space autonomy", 15: "innovation", 16: "innovation contribution", 17: "autonomy innovation",
    18: "innovation", 19: "innovation", 20: "collaboration", 21: "belonging",
    22: "collaboration inclusion_equity belonging", 23: "helping remote_technology belonging", 24: "belonging",
    25: "remote_technology", 26: "inclusion_equity helping", 27: "pace_workload autonomy", 28: "innovation",
    29: "attending remote_technology", 30: "remote_technology belonging anxiety_fear", 31: "remote_technology",
    32: "innovation team_connection", 33: "self_care team_connection reflection_space", 34: "team_connection",
    35: "team_connection belonging", 36: "innovation", 37: "anxiety_fear", 38: "collaboration",
    39: "remote_technology attending", 40: "empathising",
}
MEMOS = {
    "alice": {32: "Not sure 'rebellion' is innovation; it might be autonomy.", 40: "A general aim, no behaviour described."},
    "bob": {40: "General aim; empathising is the closest code.", 26: "Several issues in one comment."},
}


# (unit position, code) -> (decision, note) by the adjudicator
ADJUDICATION = {
    (2, "empathising"): (1, "'knowing how much people are bearing' is feeling others' distress."),
    (4, "reflection_space"): (1, "'a lack of stillness'."),
    (6, "helping"): (1, "Lack of resources is a failure to help (codebook: finding resources)."),
    (7, "autonomy"): (1, "People stop 'thinking for themselves'."),
    (8, "belonging"): (1, "'maintaining connection'."),
    (10, "empathising"): (0, "Kindness here is appreciation: recognition, per do-not-use."),
    (10, "belonging"): (1, "'valuing each other'."),
    (11, "belonging"): (1, "'make people feel valued ... showing that people matter'."),
    (13, "collaboration"): (1, "'lead collaboratively'."),
    (15, "autonomy"): (1, "Flexibility is control over one's work."),
    (16, "collaboration"): (1, "'working into new teams, linking in with new colleagues'."),
    (17, "collaboration"): (1, "Shared purpose across levels (use-when)."),
    (19, "belonging"): (1, "'remaining connected'."),
    (21, "team_connection"): (0, "Connection across colleagues is belonging, not repair within a team."),
    (22, "belonging"): (1, "Connectivity and inclusion between teams."),
    (24, "empathising"): (0, "Compassion as a general aim (do-not-use)."),
    (25, "innovation"): (0, "Remote working only: remote_technology (do-not-use)."),
    (26, "understanding"): (1, "'Understanding BAME colleagues have anxieties'."),
    (26, "self_care"): (1, "'leaders should take time for themselves'."),
    (28, "autonomy"): (1, "Not stifling the front line is about voice and control."),
    (30, "helping"): (1, "'how we support people who are working from home'."),
    (32, "team_connection"): (0, "Rebellion is about innovation, not relationships."),
    (34, "understanding"): (1, "'Differing perceptions ... unhelpful narratives'."),
    (35, "belonging"): (1, "'drawing people together ... welcoming new starters'."),
    (40, "empathising"): (0, "A general aim; no behaviour described."),
}


def fill(path: Path, coder: str, decisions: dict[int, str]) -> None:
    """Mark the workbook as the coder would in a spreadsheet program."""
    wb = load_workbook(path)
    ws = wb["Coding"]
    by_label = {label: cid for cid, label, *_ in ws.parent["Codebook"].iter_rows(min_row=2, values_only=True)}
    header = [by_label.get(sheets.header_name(c.value), sheets.header_name(c.value)) for c in ws[sheets.HEADER_ROW]]
    col = {name: i + 1 for i, name in enumerate(header)}
    for row in range(sheets.HEADER_ROW + 1, ws.max_row + 1):
        position = row - sheets.HEADER_ROW
        for code in decisions[position].split():
            ws.cell(row, col[sheets.NO_CODE if code == "none" else code]).value = 1
        memo = MEMOS[coder].get(position)
        if memo:
            ws.cell(row, col[sheets.MEMO]).value = memo
    wb.save(path)


def adjudicate(path: Path, units: dict[str, int]) -> None:
    """Fill the adjudication workbook with the decisions above."""
    wb = load_workbook(path)
    ws = wb[consensus.SHEET]
    header = [c.value for c in ws[2]]
    for row in range(3, ws.max_row + 1):
        uid, cid = ws.cell(row, 1).value, ws.cell(row, 2).value
        decision, note = ADJUDICATION[(units[uid], cid)]
        ws.cell(row, header.index(consensus.DECISION) + 1).value = decision
        ws.cell(row, header.index(consensus.NOTE) + 1).value = f"carol: {note}"
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the filled workbooks")
    args = parser.parse_args()
    paths = Paths.from_root()
    out = Path(args.out)
    written = sheets.export(paths, "round-1", ["alice", "bob"], out=out, illustrative=True)
    for path in written:
        if path.suffix == ".xlsx":
            coder = path.stem.split("_")[1]
            fill(path, coder, ALICE if coder == "alice" else BOB)
            print(path)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Paths.from_root(Path(tmp) / "project")
        shutil.copytree(paths.notes, scratch.notes)
        shutil.copytree(paths.codebooks, scratch.codebooks)
        ingest.ingest(paths=scratch)
        sheets.import_codings([p for p in written if p.suffix == ".xlsx"], round_="round-1", paths=scratch)
        target = consensus.export(scratch, "round-1", out=out / "round-1_adjudication_ILLUSTRATIVE.xlsx", illustrative=True)
        units = dict(ingest.read_units(scratch.units)[["unit_id", "position"]].itertuples(index=False))
        adjudicate(target, units)
        print(target)


if __name__ == "__main__":
    main()
