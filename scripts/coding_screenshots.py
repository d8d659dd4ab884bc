"""Pictures of the coders' workbooks as LibreOffice Calc lays them out, for docs/coding.md.

Exports an ILLUSTRATIVE workbook from the bundled notes, marks the first
rows as the bundled ILLUSTRATIVE round 1 does, prints the top of the Coding
sheet (with grid lines and row/column headings, as on screen) to PDF through
headless LibreOffice, and writes ``docs/img/coding-sheet-libreoffice.png``;
then does the same for the top of the adjudication workbook of the bundled
ILLUSTRATIVE round 1 (``docs/img/adjudication-libreoffice.png``).

    .venv/bin/python scripts/coding_screenshots.py   # needs soffice and pdftoppm
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from compassion_study import consensus, ingest, sheets  # noqa: E402
from compassion_study.paths import Paths  # noqa: E402

ROWS = 12  # unit rows shown


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "data/raw", tmp / "study/data/raw")
        (tmp / "study/study.yaml").write_text("title: screenshot\n", encoding="utf-8")
        paths = Paths.from_root(tmp / "study")
        ingest.ingest(paths=paths)
        codings = sheets.import_codings(paths=paths)  # the bundled ILLUSTRATIVE round 1
        book = sheets.cbmod.find(paths)
        path = sheets.export(paths, "round-2", ["alice"], out=tmp / "out", illustrative=True)[0]
        wb = load_workbook(path)
        ws = wb["Coding"]
        names = [sheets.header_name(c.value) for c in ws[sheets.HEADER_ROW]]
        by_label = dict(zip(sheets.code_headers(book), book.ids))
        names = [by_label.get(n, n) for n in names]
        alice = codings[(codings["coder"] == "alice") & (codings["applied"] == 1)]
        for r in range(sheets.HEADER_ROW + 1, sheets.HEADER_ROW + 1 + ROWS - 2):  # two rows left to do
            uid = ws.cell(r, 1).value
            applied = set(alice.loc[alice["unit_id"] == uid, "code_id"])
            for cid in applied:
                ws.cell(r, names.index(cid) + 1).value = 1
            if not applied:
                ws.cell(r, names.index(sheets.NO_CODE) + 1).value = 1
        ws.cell(sheets.HEADER_ROW + 2, names.index(sheets.MEMO) + 1).value = "Guilt: self-care or anxiety? Check."
        ws.print_area = f"A1:{sheets.column_letter(len(names) - 1)}{sheets.HEADER_ROW + ROWS}"
        ws.print_options.gridLines = ws.print_options.headings = True
        wb.save(path)
        print(_picture(path, tmp, ROOT / "docs/img/coding-sheet-libreoffice.png"))

        adjudication = consensus.export(paths, "round-1", out=tmp / "round-1_adjudication.xlsx", illustrative=True)
        wb = load_workbook(adjudication)
        ws = wb[consensus.SHEET]
        ws.print_area = f"A1:{sheets.column_letter(ws.max_column - 1)}{ROWS}"
        ws.print_options.gridLines = ws.print_options.headings = True
        wb.save(adjudication)
        print(_picture(adjudication, tmp, ROOT / "docs/img/adjudication-libreoffice.png"))
    return 0


def _picture(path: Path, tmp: Path, target: Path) -> Path:
    """Print ``path`` with headless LibreOffice and crop the last page (the sheet shown) to ``target``."""
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to",
                    "pdf", "--outdir", str(tmp), str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp / (path.stem + ".pdf")
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    # the sheet shown is the last one printed (Instructions and Codebook come first)
    subprocess.run(["pdftoppm", "-r", "130", "-png", "-singlefile", "-f", str(count), "-l", str(count),
                    str(pdf), str(tmp / "page")], check=True)
    from PIL import Image, ImageChops

    target.parent.mkdir(parents=True, exist_ok=True)
    page = Image.open(tmp / "page.png").convert("RGB")
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()  # the printed part
    page.crop((box[0] - 8, box[1] - 8, box[2] + 8, box[3] + 8)).save(target, optimize=True)
    return target


if __name__ == "__main__":
    sys.exit(main())
