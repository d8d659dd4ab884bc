"""Word: the finished ``report.html`` rendered as an editable ``reports/report.docx``.

Evaluation teams circulate Word files for comments, so the report is also
written with python-docx: the same sections, headings, paragraphs, numbered
and captioned tables (real Word tables, header row repeated on each page),
the figures as PNG with their alt text, the ILLUSTRATIVE banner, and the
running title and page numbers in the page header and footer.

The HTML is the single rendering of the notebooks' content; this module
reads it back (with the standard library's HTML parser, which never
interprets anything) and lays the same elements out in Word, so the two
cannot disagree.  Only the report's own markup is understood: anything else
is kept as its text.  Navigation that only works in a browser (contents,
download links, "back to contents") is left out; Word's navigation pane
shows the headings.

The file is byte-identical for identical input: fixed zip dates and no
creation or modification time in its properties.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from . import files

#: Elements whose whole content is left out of the Word file (browser-only navigation and page machinery).
_SKIP_CLASSES = {"cs-toc", "cs-download", "cs-top", "anchor-link"}
_SKIP_TAGS = {"head", "style", "script", "title", "nav"}
#: Usable width of an A4 page with 2 cm margins, in EMU (English Metric Units; 914400 per inch).
_TEXT_WIDTH = int(17.0 / 2.54 * 914400)


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass
class Block:
    """One paragraph-level element: ``kind`` is heading, para, bullet, number, note, caption, table or figure."""

    kind: str
    runs: list = field(default_factory=list)
    level: int = 0
    rows: list = field(default_factory=list)  # table: list of rows of (text, is_header)
    png: bytes = b""
    alt: str = ""


class _Reader(HTMLParser):
    """Turns the report's HTML into :class:`Block` objects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping) of open elements
        self.current: Block | None = None
        self.style = {"bold": 0, "italic": 0, "code": 0}
        self.lists: list[str] = []
        self.table: Block | None = None
        self.cell: list[str] | None = None
        self.cell_header = False
        self.figure: Block | None = None
        self.note = 0

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    # ---------------------------------------------------------------- helpers
    def _open(self, kind: str, level: int = 0) -> None:
        self._close()
        self.current = Block("note" if self.note and kind == "para" else kind, level=level)

    def _close(self) -> None:
        if self.current is not None and "".join(r.text for r in self.current.runs).strip():
            self.current.runs[0].text = self.current.runs[0].text.lstrip()
            self.current.runs[-1].text = self.current.runs[-1].text.rstrip()
            self.blocks.append(self.current)
        self.current = None

    # ---------------------------------------------------------------- parser callbacks
    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        skip = self.skipping or tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
        if tag == "a" and "cs-png" in classes and self.figure is not None:
            self.figure.png = _png(a.get("href", ""))  # the figure's PNG sits in its (browser-only) download link
        if tag in ("br", "img", "meta", "link", "hr", "input"):
            if not skip:
                self._void(tag, a)
            return
        self.stack.append((tag, skip))
        if skip:
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._open("heading", int(tag[1]))
        elif tag in ("p", "dt", "dd", "summary"):
            if self.cell is None and self.figure is None:
                self._open("para")
                if tag in ("dt", "summary"):
                    self.style["bold"] += 1
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            self._open("number" if self.lists and self.lists[-1] == "ol" else "bullet")
        elif tag == "div" and "cs-banner" in classes:
            self.note += 1
        elif tag in ("strong", "b"):
            self.style["bold"] += 1
        elif tag in ("em", "i"):
            self.style["italic"] += 1
        elif tag == "code":
            self.style["code"] += 1
        elif tag == "table":
            self._close()
            self.table = Block("table")
        elif tag == "caption" and self.table is not None:
            self._open("caption")
        elif tag in ("td", "th") and self.table is not None:
            self.cell, self.cell_header = [], tag == "th"
        elif tag == "figure":
            self._close()
            self.figure = Block("figure")
        elif tag == "figcaption":
            self._open("caption")

    def _void(self, tag: str, a: dict) -> None:
        if tag == "br":
            self.handle_data("\n")
        elif tag == "img" and self.figure is not None:
            self.figure.alt = a.get("alt") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "meta", "link", "hr", "input"):
            return
        while self.stack:  # tolerate unclosed elements, as browsers do
            open_tag, skip = self.stack.pop()
            if open_tag == tag:
                break
        else:
            return
        if skip:
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li"):
            self._close()
        elif tag in ("p", "dt", "dd", "summary"):
            if self.cell is None and self.figure is None:
                if tag in ("dt", "summary"):
                    self.style["bold"] -= 1
                self._close()
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "div" and self.note:
            self._close()
            self.note -= 1
        elif tag in ("strong", "b"):
            self.style["bold"] -= 1
        elif tag in ("em", "i"):
            self.style["italic"] -= 1
        elif tag == "code":
            self.style["code"] -= 1
        elif tag == "caption":
            self._close()
        elif tag in ("td", "th") and self.table is not None and self.cell is not None:
            if not self.table.rows:
                self.table.rows.append([])
            self.table.rows[-1].append(("".join(self.cell).strip(), self.cell_header))
            self.cell = None
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
        elif tag == "table" and self.table is not None:
            self.table.rows = [r for r in self.table.rows if r]
            self.blocks.append(self.table)
            self.table = None
        elif tag == "figcaption" and self.figure is not None:
            self.figure.runs, self.current = (self.current.runs if self.current else []), None
        elif tag == "figure" and self.figure is not None:
            figure, self.figure = self.figure, None
            self.blocks.append(figure)
            if figure.runs:  # its caption, below it as in the HTML
                self.current = Block("caption", runs=figure.runs)
                self._close()

    def handle_data(self, data: str) -> None:
        if self.skipping or not data:
            return
        if self.cell is not None:
            self.cell.append(data)
            return
        if self.current is None:
            if not data.strip():
                return
            self._open("para")
        text = re.sub(r"[ \t\r\n]+", " ", data) if "\n" != data else "\n"
        self.current.runs.append(Run(text, self.style["bold"] > 0, self.style["italic"] > 0, self.style["code"] > 0))


def _png(href: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not href.startswith(prefix):
        return b""
    try:
        data = base64.b64decode(href[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return b""
    return data if data.startswith(b"\x89PNG\r\n\x1a\n") else b""


def blocks(html: str) -> list[Block]:
    """The paragraph-level elements of a report page, in order (what :func:`render` lays out)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader._close()
    return reader.blocks


def _page_number(paragraph, running: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.add_run(f"{running} · Page ")
    for instr in ("PAGE",):
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        fld.append(run)
        paragraph._p.append(fld)


def render(html: str, title: str, running: str) -> bytes:
    """The Word document (bytes) for a report page.

    Parameters
    ----------
    html : str
        ``report.html`` as written by :func:`compassion_study.report.render`.
    title : str
        Document title (its properties).
    running : str
        Text in every page's header and footer (the title, and ILLUSTRATIVE where the coding is).
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as the PDF
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    section.header.paragraphs[0].text = running
    _page_number(section.footer.paragraphs[0], running)
    section.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.styles["Normal"].font.size = Pt(10)
    styles = {s.name for s in doc.styles}

    def runs(paragraph, items: list[Run]) -> None:
        for item in items:
            run = paragraph.add_run(item.text)
            run.bold, run.italic = item.bold or None, item.italic or None
            if item.code:
                run.font.name = "DejaVu Sans Mono"

    for block in blocks(html):
        if block.kind == "heading":
            p = doc.add_heading(level=min(block.level - 1, 4) if block.level > 1 else 0)
            runs(p, block.runs)
        elif block.kind in ("para", "bullet", "number", "note", "caption"):
            style = {"bullet": "List Bullet", "number": "List Number", "note": "Intense Quote",
                     "caption": "Caption"}.get(block.kind)
            p = doc.add_paragraph(style=style if style in styles else None)
            runs(p, block.runs)
            if block.kind == "caption":
                p.paragraph_format.keep_with_next = True
        elif block.kind == "table" and block.rows:
            width = max(len(r) for r in block.rows)
            table = doc.add_table(rows=len(block.rows), cols=width)
            table.style = "Table Grid" if "Table Grid" in styles else None
            # row by row: Table.cell(i, j) walks the whole grid on every call
            for row, tr in zip(block.rows, table.rows):
                for (text, is_header), cell in zip(row, tr.cells):
                    run = cell.paragraphs[0].add_run(text)
                    run.bold = is_header or None
                    run.font.size = Pt(8)
            if all(h for _, h in block.rows[0]):  # the header row repeats on every page
                props = table.rows[0]._tr.get_or_add_trPr()
                flag = OxmlElement("w:tblHeader")
                flag.set(qn("w:val"), "true")
                props.append(flag)
        elif block.kind == "figure" and block.png:
            doc.add_picture(io.BytesIO(block.png), width=_TEXT_WIDTH)
            shape = doc.paragraphs[-1].runs[-1]._r.xpath(".//wp:docPr")
            for pr in shape:
                pr.set("descr", block.alt)  # alt text, as screen readers and Word's accessibility checker read it
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
    props = doc.core_properties
    props.title, props.author, props.comments = title, "compassion_study", running
    return files.docx_bytes(doc)


def write(html_path: Path, docx_path: Path, title: str, running: str) -> Path:
    """Render ``html_path`` to ``docx_path`` (written atomically)."""
    return files.write_bytes(docx_path, render(html_path.read_text(encoding="utf-8"), title, running))
