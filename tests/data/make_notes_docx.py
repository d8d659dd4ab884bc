"""Write the Word documents of ``notes_corpus/`` (run once; the .docx files are committed).

Each document is a list of (style, text, bold) paragraphs in the styles NHS
teams' Word notes use: list styles with nesting levels, numbered lists,
bold theme lines, heading styles and a list item's second paragraph.
All text is illustrative, written for the tests.

Usage: python tests/data/make_notes_docx.py
"""

from pathlib import Path

import docx

HERE = Path(__file__).resolve().parent / "notes_corpus"

DOCUMENTS = {
    # class 9: a short outer heading followed by an outer comment with inner items; a long outer question with
    # an inner item; a comment paragraph that lost its bullet inside a nested list
    "nested-lists.docx": [
        ("Normal", "Team leaders' away day – breakout notes", False),
        ("Normal", "What stops us leading compassionately?", False),
        ("List Bullet", "Pace of work", False),
        ("List Bullet", "The pace of work has meant compassionate leadership has not been easy", False),
        ("List Bullet 2", "Deadlines arrive with no consultation", False),
        ("List Bullet 2", "Meetings run back to back", False),
        ("List Bullet", "Anxiety", False),
        ("List Bullet", "How do we lead calmly when we are anxious ourselves, and is it fair to ask that of people?", False),
        ("List Bullet 2", "People stop taking information in when they are anxious", False),
        ("List Bullet", "Recognition", False),
        ("List Bullet 2", "Not remembering to celebrate successes", False),
        ("Normal", "Why do we only hear from managers when something has gone wrong?", False),
        ("List Bullet 2", "Praise is rare and always in private", False),
        ("Normal", "What would help?", False),
        ("List Bullet", "Listening and supporting", False),
        ("List Bullet 2", "Regular check-ins that are about the person, not the caseload", False),
    ],
    # Word minutes: heading styles, bold theme paragraphs, a list item's second paragraph, a long questions
    # heading and actions after it
    "word-minutes.docx": [
        ("Title", "Compassionate Leadership Workshop – Minutes", False),
        ("Normal", "Date: 12 May 2022", False),
        ("Heading 2", "What stops us leading compassionately?", False),
        ("Normal", "Workload", True),
        ("List Bullet", "Too many priorities at once, all labelled urgent.", False),
        ("List Bullet", "Cover for sickness falls on the same few people.", False),
        ("List Paragraph", "Nobody asks them whether they can take it on.", False),
        ("Normal", "Culture", True),
        ("List Bullet", "People worry that asking for help will be held against them.", False),
        ("Heading 2", "Questions for the Director of Nursing and Medical Director", False),
        ("List Number", "How will the trust protect time for supervision?", False),
        ("List Number", "What support is there for managers who are new in post?", False),
        ("Heading 2", "Actions", False),
        ("List Number", "Share these notes with all teams by the end of May.", False),
        ("List Number", "Invite the speaker back in the autumn.", False),
    ],
    # a numbered list in the bundled notes' layout: themes are short items followed by longer ones
    "numbered-list.docx": [
        ("Normal", "Directorate leadership huddle", False),
        ("Normal", "What drains our compassion?", False),
        ("List Number", "Travel", False),
        ("List Number", "Hours in the car between visits leave no time to reflect.", False),
        ("List Number", "Community teams cover a whole county with four cars.", False),
        ("List Number", "Paperwork", False),
        ("List Number", "The same information is typed into three systems.", False),
        ("Normal", "What gives us energy?", False),
        ("List Number", "Colleagues who notice when you are having a hard day.", False),
        ("List Number", "Patients who say thank you.", False),
    ],
}


def build(name: str, paragraphs: list[tuple[str, str, bool]]) -> Path:
    document = docx.Document()
    for style, text, bold in paragraphs:
        paragraph = document.add_paragraph(style=style)
        paragraph.add_run(text).bold = bold or None
    path = HERE / name
    document.save(path)
    return path


if __name__ == "__main__":
    for name, paragraphs in DOCUMENTS.items():
        print(build(name, paragraphs))
