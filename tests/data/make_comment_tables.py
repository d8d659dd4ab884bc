"""Write the workshop-tool exports of ``comment_tables/`` (run once; the files are committed).

The layouts follow what Padlet, Microsoft Forms, Mentimeter and Slido
export (headers as those tools write them); every name, e-mail address and
comment is ILLUSTRATIVE, invented for the tests.

Usage: python tests/data/make_comment_tables.py
"""

import csv
import io
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent / "comment_tables"

PADLET = [
    ["Subject", "Body", "Attachment", "Author", "Created At", "Updated At", "Section"],
    ["Protected time", "Half a day a month for the team to reflect,\nwith no clinical work booked.", "",
     "Asha Patel", "2024-03-05 10:12:00 UTC", "2024-03-05 10:12:00 UTC", "What helps"],
    ["", "Managers who ask how you are and wait for the answer", "", "Anonymous", "2024-03-05 10:13:40 UTC",
     "2024-03-05 10:13:40 UTC", "What helps"],
    ["Rotas", "", "https://example.org/rota.png", "Tom Reed", "2024-03-05 10:15:02 UTC", "2024-03-05 10:15:02 UTC",
     "What gets in the way"],
    ["", "", "https://example.org/photo.jpg", "Tom Reed", "2024-03-05 10:16:00 UTC", "2024-03-05 10:16:00 UTC",
     "What gets in the way"],
    ["Who cares for the carers?", "Nobody checks on the night staff after a difficult shift.", "", "Sam Okoro",
     "2024-03-05 10:17:31 UTC", "2024-03-05 10:18:00 UTC", "What gets in the way"],
]

FORMS_HEADERS = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                 "What gets in the way of compassionate leadership in your team?", "What one thing would help?"]
FORMS = [
    [1, "3/5/24 10:01:12", "3/5/24 10:04:40", "asha.patel@example.nhs.uk", "Asha Patel", "",
     "Caseloads leave no time for supervision.", "Supervision that is never cancelled."],
    [2, "3/5/24 10:02:00", "3/5/24 10:06:13", "anonymous", "", "", "", "A thank-you from the board that names the team."],
    [3, "3/5/24 10:03:30", "3/5/24 10:09:55", "tom.reed@example.nhs.uk", "Tom Reed", "",
     "Decisions are made without asking the people who do the work;\nthen we are told to be resilient.", "n/a"],
]

MENTI = {  # one sheet per question slide
    "Slide 1": [["Voter ID", "Voting session", "What stops us leading compassionately?"],
                       ["v-1001", "1", "Fear of getting it wrong"], ["v-1002", "1", "No time to think"],
                       ["v-1003", "1", ""]],
    "Slide 2": [["Voter ID", "Voting session", "What helps you lead with compassion?"],
                    ["v-1001", "1", "Colleagues who listen"], ["v-1003", "1", "Being trusted to decide"]],
}

SLIDO = {
    "Questions": [["Question", "Author", "Votes", "Date", "Answered", "Highlighted"],
                  ["How will the board know if this is working?", "Priya", 12, "2024-03-05 11:02", "Yes", "No"],
                  ["What does compassionate leadership mean for agency staff?", "Anonymous", 4, "2024-03-05 11:05",
                   "No", "No"]],
    "Poll 1": [["Participant", "Date", "In one phrase, what gives you energy at work?"],
               ["Anonymous", "2024-03-05 10:45", "Patients getting better"],
               ["Anonymous", "2024-03-05 10:46", "My team"]],
}

LISTENING = [  # a team's own spreadsheet: needs a mapping
    ["Table", "Staff group", "Comment", "Facilitator"],
    ["1", "Nursing", "We need more time for handovers.", "J. Smith"],
    ["1", "Nursing", "Breaks are the first thing to go.", "J. Smith"],
    ["2", "Admin", "Nobody explains why decisions are made.", "K. Jones"],
]


def _csv(rows, delimiter=",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _workbook(path: Path, sheets: dict[str, list[list]], engine: str) -> None:
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, rows in sheets.items():
            pd.DataFrame(rows[1:], columns=rows[0]).to_excel(writer, sheet_name=name, index=False)


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    (HERE / "padlet-team-board.csv").write_text(_csv(PADLET), encoding="utf-8-sig", newline="")
    _workbook(HERE / "forms-staff-survey.xlsx", {"Sheet1": [FORMS_HEADERS, *FORMS]}, "openpyxl")
    _workbook(HERE / "forms-staff-survey-libreoffice.ods", {"Sheet1": [FORMS_HEADERS, *FORMS]}, "odf")
    (HERE / "forms-staff-survey-excel-semicolon.csv").write_bytes(
        _csv([FORMS_HEADERS, *FORMS], ";").replace("anonymous", "anonyme").encode("cp1252"))
    _workbook(HERE / "mentimeter-results.xlsx", MENTI, "openpyxl")
    _workbook(HERE / "slido-event.xlsx", SLIDO, "openpyxl")
    (HERE / "slido-questions-unicode-text.tsv").write_bytes(_csv(SLIDO["Questions"], "\t").encode("utf-16"))
    (HERE / "listening-event-tables.csv").write_text(_csv(LISTENING), encoding="utf-8", newline="")
    for path in sorted(HERE.iterdir()):
        print(path)
