"""Write the Word documents of ``notes_corpus/`` (run once; the .docx files are committed).

Each document is a list of (style, text, bold) paragraphs in the styles NHS
teams' Word notes use: list styles with nesting levels, numbered lists,
bold theme lines, heading styles and a list item's second paragraph.  Two
pseudo-styles hold more than a paragraph: ``"Table"`` (text: rows of cells)
and ``"Text box"`` (text: its own (style, text, bold) paragraphs, stored
twice as Word does, as DrawingML and as the VML copy under ``mc:Fallback``).
A ``"\n"`` in a paragraph's text is a soft line break (Shift+Enter).
All text is illustrative, written for the tests.

Usage: python tests/data/make_notes_docx.py
"""

import copy
from pathlib import Path

import docx
from docx.oxml import parse_xml

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
    # issue 12 audit: a "Theme | comment" table (an empty theme cell continues the theme above), a text box
    # beside the list, and comments with soft line breaks (Shift+Enter) inside them
    "table-and-textbox.docx": [
        ("Normal", "Ward 7 huddle – notes from the breakout tables", False),
        ("Normal", "What makes it hard to look after each other?", False),
        ("Table", [["Staffing", "Two nurses short on most night shifts since March"],
                   ["", "Agency staff do not know the\nward routines"],
                   ["Breaks", "Breaks are taken at the desk, if at all"]], False),
        ("Normal", "What helps?", False),
        ("List Bullet", "A manager who asks how you are\nafter a difficult shift", False),
        ("List Bullet", "Tea and cake on Fridays", False),
        ("Text box", [("Normal", "Parking lot", True),
                      ("List Bullet", "Car parking charges for staff on night shifts", False)], False),
    ],
}

_TEXT_BOX = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    ' xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
    '<wp:inline><wp:extent cx="2743200" cy="914400"/><wp:docPr id="1" name="Text Box 1"/>'
    '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
    '<wps:wsp><wps:txbx><w:txbxContent/></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic>'
    '</wp:inline></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape style="width:216pt;height:72pt">'
    '<v:textbox><w:txbxContent/></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>')


def _add(container, style: str, text: str, bold: bool):
    """A paragraph; each "\\n" in ``text`` a soft line break (python-docx writes ``w:br``)."""
    paragraph = container.add_paragraph(style=style)
    paragraph.add_run(text).bold = bold or None
    return paragraph


def build(name: str, paragraphs: list) -> Path:
    document = docx.Document()
    for style, text, bold in paragraphs:
        if style == "Table":
            table = document.add_table(rows=len(text), cols=len(text[0]))
            for row, cells in zip(table.rows, text):
                for cell, value in zip(row.cells, cells):
                    cell.paragraphs[0].add_run(value)
        elif style == "Text box":
            anchor = document.add_paragraph()._p
            run = parse_xml(_TEXT_BOX)
            anchor.append(run)
            boxes = run.findall(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}txbxContent")
            for inner in text:  # written in the body, then moved into the text box (and copied into its fallback)
                p = _add(document, *inner)._p
                boxes[0].append(p)
                boxes[1].append(copy.deepcopy(p))
        else:
            _add(document, style, text, bold)
    path = HERE / name
    document.save(path)
    return path


if __name__ == "__main__":
    for name, paragraphs in DOCUMENTS.items():
        print(build(name, paragraphs))
