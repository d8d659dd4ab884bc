"""Make the ILLUSTRATIVE round-1 coding workbooks in data/raw/coding/round-1/.

ILLUSTRATIVE DATA. These are not a real coding study: two members of the
project team ("alice" and "bob") each coded the 40 units of the bundled notes
against codebook v1, independently and without discussion, so that the
pipeline and the report have realistic input to show. The decisions are
listed below so anyone can see exactly what the illustrative files contain.

The script exports blank workbooks with the package (marked ILLUSTRATIVE),
fills them as a coder would (1 in each applied code column, a memo where the
coder was unsure) and writes them to --out. Copy them to
data/raw/coding/round-1/ by hand: code never writes under data/raw/.

    python scripts/make_illustrative_coding.py --out /tmp/illustrative
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openpyxl import load_workbook

from compassion_study import sheets
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


def fill(path: Path, coder: str, decisions: dict[int, str]) -> None:
    """Mark the workbook as the coder would in a spreadsheet program."""
    wb = load_workbook(path)
    ws = wb["Coding"]
    header = [c.value for c in ws[sheets.HEADER_ROW]]
    col = {name: i + 1 for i, name in enumerate(header)}
    for row in range(sheets.HEADER_ROW + 1, ws.max_row + 1):
        position = row - sheets.HEADER_ROW
        for code in decisions[position].split():
            ws.cell(row, col[sheets.NO_CODE if code == "none" else code]).value = 1
        memo = MEMOS[coder].get(position)
        if memo:
            ws.cell(row, col[sheets.MEMO]).value = memo
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the filled workbooks")
    args = parser.parse_args()
    paths = Paths.from_root()
    written = sheets.export(paths, "round-1", ["alice", "bob"], out=args.out, illustrative=True)
    for path in written:
        if path.suffix == ".xlsx":
            coder = path.stem.split("_")[1]
            fill(path, coder, ALICE if coder == "alice" else BOB)
            print(path)


if __name__ == "__main__":
    main()
