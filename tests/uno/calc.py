"""Drive LibreOffice Calc through its UNO API, as a coder at the keyboard would.

Run with the system Python that has LibreOffice's ``uno`` module (Debian:
``python3-uno``), not the project's virtual environment:

    /usr/bin/python3 tests/uno/calc.py SPEC.json

SPEC is a JSON object:

``in``      the workbook to open;
``out``     where to save it (``.xlsx`` or ``.ods``; omitted: nothing saved);
``type``    {"Sheet": {"G4": "=1", "W4": "=unsure"}}: each text is entered as
            typing it would be (``XCell.setFormula``: ``=…`` becomes a formula,
            ``'…`` text, a number a number);
``sort``    [["Sheet", "F3:W42", 0]]: sort that range alone by its first
            column (0-based index in the range), as Data › Sort on a selection;
``heights`` ["Sheet", …]: report, for every used row, the height the file
            gives it and LibreOffice's optimal height for its content (1/100 mm);
``password`` save encrypted with this password;
``csv``     save every sheet as its own CSV next to ``out`` (File › Save a Copy › Text CSV, "each sheet").
``invalid`` ["Sheet", …]: Tools › Detective › Mark Invalid Data, after the typing; report the cells
            circled (cells whose content their validity rule, e.g. a dropdown's list, does not allow);
``evaluate`` ["=formula", …]: each formula's result, computed in a new sheet after the typing (for
            conditional-formatting rules: refer to other sheets as ``$Coding.$F$3``).

Prints a JSON object (``heights``: {sheet: [[row, height, optimal], …]}; ``invalid``: {sheet: ["F6", …]};
``evaluate``: [[value, text, error code (0: none)], …]).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.table import TableSortField


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _address(col, row):
    """'F6' from 0-based column and row."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def main(spec_path):
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    profile = tempfile.mkdtemp(prefix="cs-uno-")
    pipe = f"cs_uno_{os.getpid()}"
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(300):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(spec["in"])), "_blank", 0,
                                           (_prop("Hidden", True),))
        out = {}
        for name, cells in spec.get("type", {}).items():
            sheet = doc.Sheets.getByName(name)
            for address, text in cells.items():
                sheet.getCellRangeByName(address).setFormula(text)
        for name, address, key in spec.get("sort", []):
            cells = doc.Sheets.getByName(name).getCellRangeByName(address)
            field = TableSortField()
            field.Field, field.IsAscending = key, True
            descriptor = cells.createSortDescriptor()
            for p in descriptor:
                if p.Name == "SortFields":
                    p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
            cells.sort(descriptor)
        for name in spec.get("invalid", []):
            sheet = doc.Sheets.getByName(name)
            page = sheet.DrawPage
            before = page.Count  # notes and other shapes already there
            sheet.showInvalid()
            circled = []
            for i in range(before, page.Count):
                at = page.getByIndex(i).Anchor.CellAddress
                circled.append(_address(at.Column, at.Row))
            out.setdefault("invalid", {})[name] = sorted(circled, key=lambda a: (len(a), a))
        if spec.get("evaluate"):
            doc.Sheets.insertNewByName("cs-evaluate", doc.Sheets.Count)
            sheet = doc.Sheets.getByName("cs-evaluate")
            for i, formula in enumerate(spec["evaluate"]):
                sheet.getCellByPosition(0, i).setFormula(formula)
            doc.calculateAll()
            cells = [sheet.getCellByPosition(0, i) for i in range(len(spec["evaluate"]))]
            out["evaluate"] = [[c.getValue(), c.getString(), c.getError()] for c in cells]
            doc.Sheets.removeByName("cs-evaluate")
        for name in spec.get("heights", []):
            sheet = doc.Sheets.getByName(name)
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            last = cursor.RangeAddress.EndRow
            rows = sheet.getRows()
            report = []
            for r in range(last + 1):
                row = rows.getByIndex(r)
                given = row.Height
                row.OptimalHeight = True
                report.append([r + 1, given, row.Height])
            out.setdefault("heights", {})[name] = report
        if spec.get("out"):
            target = os.path.abspath(spec["out"])
            filt = "Calc MS Excel 2007 XML" if target.endswith(".xlsx") else "calc8"
            options = [_prop("FilterName", filt)]
            if spec.get("password"):
                options.append(_prop("Password", spec["password"]))
            if spec.get("csv"):
                # separator ',', quote '"', UTF-8 (76), first line 1, ..., the last token -1: every sheet to its own file
                options = [_prop("FilterName", "Text - txt - csv (StarCalc)"),
                           _prop("FilterOptions", "44,34,76,1,,0,false,true,false,false,false,-1")]
            doc.storeToURL(uno.systemPathToFileUrl(target), tuple(options))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge goes away with the office
        print(json.dumps(out))
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
