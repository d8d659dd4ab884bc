"""QDA programs: the codebook in the REFI-QDA Codebook Exchange format (``.qdc``).

NVivo, ATLAS.ti, MAXQDA and QualCoder exchange codebooks as QDA-XML 1.0
(REFI-QDA; namespace ``urn:QDA-XML:codebook:1.0``).  :func:`codebook_qdc`
writes the study's codebook so that a team coding in one of those programs
starts from the same framework:

- one *non-codable* parent code per framework group (its description the
  group's), with the group's codes as *codable* children;
- GUIDs derived from the codebook's name and each code id (UUID version 5),
  so the same codebook always gives the same GUIDs and the same bytes, and a
  program's export can be matched back to the codes;
- a colour per group (Okabe–Ito);
- the MacQueen et al. (1998) fields, which QDA-XML has no place for,
  flattened into the code's ``Description`` as ``Field: value`` lines.

:func:`read_qdc` reads a ``.qdc`` (from this package or any program) back
into the package's codebook YAML structure: names, hierarchy and
descriptions, with ``Field: value`` lines restored where they are present,
and a list of everything it could not carry (deeper hierarchy, sets,
colours, missing MacQueen fields) for the team to finish by hand.

References
----------
REFI-QDA (2019). QDA-XML Codebook Exchange, version 1.0. Rotterdam Exchange
Format Initiative, www.qdasoftware.org.
MacQueen, K. M., McLellan, E., Kay, K., & Milstein, B. (1998). Codebook
development for team-based qualitative analysis. Cultural Anthropology
Methods, 10(2), 31–36.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .errors import InputError

NS = "urn:QDA-XML:codebook:1.0"
#: The namespace of every GUID this package derives (fixed for ever: changing it changes every GUID).
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:compassion-study:refi-qda")
#: Okabe–Ito colours, one per group in order (the report's figures use the same palette).
GROUP_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#F0E442")
#: Largest .qdc read (a codebook of thousands of codes is far smaller).
MAX_BYTES = 5 * 1024 * 1024
#: MacQueen fields flattened into a Description, in order, with the label each line starts with.
DESCRIPTION_FIELDS = (("id", "Id"), ("brief", "Brief"), ("definition", "Definition"), ("use_when", "Use when"),
                      ("do_not_use_when", "Do not use when"), ("example_quote", "Example"),
                      ("example_from", "Example from"), ("example_unit", "Example unit"), ("source", "Source"),
                      ("keywords", "Keywords"))
_LINE = re.compile(r"^(" + "|".join(re.escape(label) for _, label in DESCRIPTION_FIELDS) + r"): ?(.*)$")


def code_guid(book_name: str, code_id: str) -> str:
    """The GUID of a code: UUID 5 of the codebook's name and the code id."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{book_name}/code/{code_id}"))


def group_guid(book_name: str, group: str) -> str:
    """The GUID of a group's parent code."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{book_name}/group/{group}"))


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def description(code: dict) -> str:
    """A code's MacQueen fields as ``Field: value`` lines (one line each, whitespace collapsed)."""
    example = code.get("example") or {}
    values = {**code, "example_quote": example.get("quote", ""), "example_from": example.get("from", ""),
              "example_unit": example.get("unit_id", ""), "keywords": "; ".join(code.get("keywords") or [])}
    return "\n".join(f"{label}: {_one_line(values[key])}" for key, label in DESCRIPTION_FIELDS
                     if _one_line(values.get(key, "")))


def codebook_qdc(book) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` document (UTF-8 bytes, identical for an identical codebook).

    Parameters
    ----------
    book : compassion_study.codebook.Codebook
    """
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}CodeBook", {"origin": "compassion_study"})
    _codes(ET.SubElement(root, f"{{{NS}}}Codes"), book, NS)
    return _xml(root)


def _xml(root) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def _codes(parent_el, book, ns: str) -> None:
    """The codebook's groups and codes as QDA-XML ``Code`` elements under ``parent_el`` (namespace ``ns``)."""
    groups = list(dict.fromkeys([*book.groups, *(c["group"] for c in book.codes)]))
    for i, group in enumerate(groups):
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        parent = ET.SubElement(parent_el, f"{{{ns}}}Code", {"guid": group_guid(book.name, group), "name": group,
                                                            "isCodable": "false", "color": colour})
        if book.groups.get(group):
            ET.SubElement(parent, f"{{{ns}}}Description").text = _one_line(book.groups[group])
        for code in (c for c in book.codes if c["group"] == group):
            child = ET.SubElement(parent, f"{{{ns}}}Code", {"guid": code_guid(book.name, code["id"]),
                                                            "name": code["label"], "isCodable": "true",
                                                            "color": colour})
            ET.SubElement(child, f"{{{ns}}}Description").text = description(code)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:28] or "code"
    base = base if base[0].isalpha() else f"c_{base}"[:28]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    return slug


def read_qdc(data: bytes, label: str) -> tuple[dict, list[str]]:
    """A ``.qdc`` document as codebook YAML data, and what could not be carried.

    Parent codes that are not codable become groups; codable codes become
    codes (a codable code with children is kept as a code, and its children
    too, with a note).  ``Field: value`` lines in a Description restore the
    MacQueen fields; otherwise the whole Description becomes the definition.

    Returns
    -------
    (dict, list of str)
        Codebook data (``name, version, title, description, groups, codes``)
        and notes, one per thing not carried or still to be written.

    Raises
    ------
    InputError
        Not a QDA-XML codebook (with the place of the problem).
    """
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    if len(data) > MAX_BYTES:
        raise InputError(f"{label}: {len(data):,} bytes, larger than a codebook can be ({MAX_BYTES:,})")
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException:
        raise InputError(f"{label}: has a DTD or entity declarations, which a codebook never needs; refused") from None
    except ET.ParseError as exc:
        raise InputError(f"{label}: not well-formed XML ({exc})") from None
    if root.tag != f"{{{NS}}}CodeBook":
        raise InputError(f"{label}: the root element is {root.tag!r}, not CodeBook in namespace {NS} "
                         "(a REFI-QDA codebook exchange file)")
    codes_el = root.find(f"{{{NS}}}Codes")
    if codes_el is None:
        raise InputError(f"{label} › CodeBook: has no Codes element")
    notes: list[str] = []
    groups: dict[str, str] = {}
    codes: list[dict] = []
    taken: set[str] = set()
    problems: list[str] = []

    def text_of(el) -> str:
        d = el.find(f"{{{NS}}}Description")
        return (d.text or "").strip() if d is not None else ""

    def add_code(el, group: str, place: str) -> None:
        name = (el.get("name") or "").strip()
        fields: dict[str, str] = {}
        free = []
        for line in text_of(el).splitlines():
            m = _LINE.match(line.strip())
            if m:
                key = next(k for k, lab in DESCRIPTION_FIELDS if lab == m.group(1))
                fields[key] = m.group(2).strip()
            elif line.strip():
                free.append(line.strip())
        cid = fields.get("id", "")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", cid) or cid in taken:
            cid = _slug(name, taken)
        taken.add(cid)
        example = {k: v for k, v in (("quote", fields.get("example_quote", "")), ("from", fields.get("example_from", "")),
                                     ("unit_id", fields.get("example_unit", ""))) if v}
        code = {"id": cid, "label": name, "group": group, "brief": fields.get("brief", ""),
                "definition": fields.get("definition") or " ".join(free), "use_when": fields.get("use_when", ""),
                "do_not_use_when": fields.get("do_not_use_when", ""), "example": example,
                "source": fields.get("source", ""),
                "keywords": [k.strip() for k in fields.get("keywords", "").split(";") if k.strip()]}
        missing = [k for k in ("brief", "definition", "use_when", "do_not_use_when", "source", "keywords")
                   if not code[k]] + ([] if example.get("quote") else ["example"])
        if missing:
            notes.append(f"{place} ({name}): no {', '.join(missing)}: write them before coding with this codebook")
        codes.append(code)

    for i, top in enumerate(codes_el.findall(f"{{{NS}}}Code")):
        place = f"{label} › Codes › Code[{i + 1}]"
        name = (top.get("name") or "").strip()
        if not name or not top.get("guid"):
            problems.append(f"{place}: a code needs a name and a guid")
            continue
        children = top.findall(f"{{{NS}}}Code")
        if top.get("isCodable") == "true" and not children:
            groups.setdefault("ungrouped", "Codes that had no parent in the exchange file")
            add_code(top, "ungrouped", place)
            continue
        if top.get("isCodable") == "true":
            notes.append(f"{place} ({name}): a codable code with sub-codes; kept as a group and a code of that group")
            add_code(top, name, place)
        groups[name] = text_of(top)
        for j, child in enumerate(children):
            cplace = f"{place} › Code[{j + 1}]"
            if not (child.get("name") or "").strip() or not child.get("guid"):
                problems.append(f"{cplace}: a code needs a name and a guid")
                continue
            if child.get("isCodable") != "true":
                notes.append(f"{cplace} ({child.get('name')}): not codable in the exchange file; imported as a code")
            add_code(child, name, cplace)
            for k, deeper in enumerate(child.iter(f"{{{NS}}}Code")):
                if deeper is not child:
                    notes.append(f"{cplace} › Code ({deeper.get('name')}): deeper than two levels; not imported")
    if problems:
        raise InputError(problems, summary=f"{label}: {len(problems)} problem(s):")
    if not codes:
        raise InputError(f"{label} › Codes: no codes")
    if root.find(f"{{{NS}}}Sets") is not None:
        notes.append(f"{label} › Sets: code sets are not part of a codebook here; not imported")
    stem = re.sub(r"[^a-z0-9-]+", "-", Path(label).stem.lower()).strip("-") or "imported"
    book = {"name": stem, "version": "0.1", "title": Path(label).stem,
            "description": f"Imported from {label} (REFI-QDA codebook exchange).",
            "groups": {g: d or g for g, d in groups.items()}, "codes": codes}
    return book, notes


def codebook_yaml(book: dict, notes: list[str]) -> str:
    """Codebook data as YAML for ``data/raw/codebook/``, headed by what is still to be done."""
    import yaml

    head = ["# Imported from a REFI-QDA codebook by 'compassion-study codebook import'.",
            "# Review it, complete what is listed below, then copy it to data/raw/codebook/."]
    head += [f"# - {' '.join(n.split())}" for n in notes] or ["# Nothing was left out."]
    return "\n".join(head) + "\n" + yaml.safe_dump(book, allow_unicode=True, sort_keys=False, width=100)


def export_codebook(paths, file: str | None = None, out: str | None = None, fmt: str = "qdc") -> Path:
    """Write a codebook (default: the study's current one) as ``exports/codebook/<name>-<version>.<fmt>``.

    ``fmt`` is ``qdc`` (REFI-QDA, for QDA programs) or ``docx`` (Word, for coder training).
    """
    from . import codebook, files

    book = codebook.load(file) if file else codebook.find(paths)
    target = codebook.export_target(paths, out, paths.exports / "codebook" / f"{book.name}-{book.version}.{fmt}")
    return files.write_bytes(target, codebook_qdc(book) if fmt == "qdc" else codebook.to_docx(book))


def import_codebook(paths, file: str, out: str | None = None) -> tuple[Path, list[str]]:
    """Read a ``.qdc`` and write it as codebook YAML (default ``exports/codebook/<name>.yaml``).

    Returns the YAML's path and the notes on what was not carried.
    """
    from . import files

    label = Path(file).name
    files.check_input(file, (".qdc", ".xml"), MAX_BYTES, label, "a REFI-QDA codebook is a .qdc file")
    book, notes = read_qdc(Path(file).read_bytes(), label)
    from .codebook import export_target

    target = export_target(paths, out, paths.exports / "codebook" / f"{book['name']}.yaml")
    return files.write_text(target, codebook_yaml(book, notes)), notes


# --------------------------------------------------------------------------- projects (.qdpx)

PROJECT_NS = "urn:QDA-XML:project:1.0"


def _guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}/{key}"))


def source_text(units) -> tuple[str, list[tuple[str, int, int]]]:
    """One notes file's units as the plain text of a QDA source, and each unit's place in it.

    The text is the canonical outline (:func:`compassion_study.ingest.to_markdown`: headings, then one unit per
    ``- `` line), which the ingest reads back exactly; each unit's span is ``(unit_id, start, end)`` in Unicode
    code points counted from 0, positions lying between characters, so the unit is ``text[start:end]`` (the
    REFI-QDA convention).
    """
    from .ingest import to_markdown

    ordered = units.sort_values("position", kind="stable")
    text = to_markdown(ordered)
    spans, offset, queue = [], 0, list(ordered[["unit_id", "text"]].itertuples(index=False))
    for line in text.split("\n"):
        if queue and line == f"- {queue[0].text}":
            spans.append((queue[0].unit_id, offset + 2, offset + 2 + len(queue[0].text)))
            queue.pop(0)
        offset += len(line) + 1
    if queue:  # a unit text spanning lines would break the one-line-per-unit outline
        raise ValueError(f"unit {queue[0].unit_id} is not one line of its outline")
    return text, spans


def project_qdpx(paths, with_consensus: bool = True) -> bytes:
    """The study as a REFI-QDA project (``.qdpx`` bytes): coders as users, the codebook, one plain-text source
    per notes file, and (``with_consensus``) the consensus coding as coded selections, one per unit and code.

    Identical inputs give identical bytes (GUIDs are UUID 5 of stable names; fixed zip dates; no times).
    """
    from . import codebook, files
    from .ingest import read_units

    units = read_units(paths.units)
    rounds = None
    if paths.rounds.is_file():
        from .sheets import read_rounds

        rounds = read_rounds(paths)
    book = codebook.find(paths, sorted(rounds["codebook_version"])[-1] if rounds is not None and len(rounds) else None)
    ns = PROJECT_NS
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}Project", {"name": _settings_title(paths), "origin": "compassion_study"})
    users = ET.SubElement(root, f"{{{ns}}}Users")
    coders = sorted(set(rounds["coder"])) if rounds is not None else []
    consensus_user = _guid("user", "(consensus)")
    for coder in coders:
        ET.SubElement(users, f"{{{ns}}}User", {"guid": _guid("user", coder), "name": coder})
    ET.SubElement(users, f"{{{ns}}}User", {"guid": consensus_user, "name": "consensus"})
    _codes(ET.SubElement(ET.SubElement(root, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes"), book, ns)
    applied: dict[str, list[str]] = {}
    if with_consensus and paths.consensus.is_file():
        from .consensus import read_consensus

        cons = read_consensus(paths)
        for r in cons[cons["applied"].astype(int) == 1].itertuples(index=False):
            applied.setdefault(r.unit_id, []).append(r.code_id)
    sources = ET.SubElement(root, f"{{{ns}}}Sources")
    members = []
    for source, grp in units.groupby("source", sort=False):
        text, spans = source_text(grp)
        sguid = _guid("source", source)
        el = ET.SubElement(sources, f"{{{ns}}}TextSource", {"guid": sguid, "name": source,
                                                            "plainTextPath": f"internal://{sguid}.txt"})
        for unit_id, start, end in spans:
            for code_id in applied.get(unit_id, []):
                if code_id not in book.ids:
                    continue
                sel = ET.SubElement(el, f"{{{ns}}}PlainTextSelection", {
                    "guid": _guid("selection", f"{unit_id}/{code_id}"), "name": unit_id, "startPosition": str(start),
                    "endPosition": str(end), "creatingUser": consensus_user})
                coding = ET.SubElement(sel, f"{{{ns}}}Coding", {"guid": _guid("coding", f"{unit_id}/{code_id}"),
                                                               "creatingUser": consensus_user})
                ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": code_guid(book.name, code_id)})
        members.append((f"sources/{sguid}.txt", text.encode("utf-8")))
    return files.stable_zip([("project.qde", _xml(root)), *members])


def _settings_title(paths) -> str:
    from . import study

    return study.load(paths).title


def export_project(paths, out: str | None = None, with_consensus: bool = True) -> Path:
    """Write :func:`project_qdpx` to ``exports/<study folder>.qdpx`` (or ``out``; never under ``data/raw/``)."""
    from . import files
    from .codebook import export_target

    target = export_target(paths, out, paths.exports / f"{paths.root.name or 'study'}.qdpx")
    return files.write_bytes(target, project_qdpx(paths, with_consensus))


# --------------------------------------------------------------------------- importing coded projects

#: Largest project.qde read.
MAX_QDE_BYTES = 50 * 1024 * 1024
#: Elements of a project that carry no coding of units; listed as discarded when present (REFI-QDA asks
#: importers to say what they did not import).
DISCARDED = ("Notes", "Links", "Sets", "Graphs", "Cases", "Variables", "PictureSource", "PDFSource", "AudioSource",
             "VideoSource")


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` with every whitespace run as one space, and each kept character's index in ``text``."""
    out, where_, space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space and out:
                out.append(" ")
                where_.append(i)
            space = True
        else:
            out.append(ch)
            where_.append(i)
            space = False
    return "".join(out), where_


def unit_spans(text: str, units) -> dict[str, tuple[int, int]]:
    """Where each unit's text lies in a source's plain text: ``unit_id -> (start, end)`` in code points.

    Units are looked for in document order, whitespace-insensitively (a program may wrap lines or write CRLF);
    a unit not found is left out of the result.
    """
    norm, index = _normalised(text)
    spans, cursor = {}, 0
    for r in units.sort_values("position", kind="stable").itertuples():
        target = " ".join(str(r.text).split())
        if not target:
            continue
        at = norm.find(target, cursor)
        if at < 0:
            at = norm.find(target)  # out of order in the program's copy
        if at < 0:
            continue
        spans[r.unit_id] = (index[at], index[at + len(target) - 1] + 1)
        cursor = at + len(target)
    return spans


def _utf16_to_points(text: str):
    """A function mapping a UTF-16 code-unit offset of ``text`` to a code-point offset (NVivo counts UTF-16)."""
    import numpy as np

    widths = np.array([2 if ord(c) > 0xFFFF else 1 for c in text], dtype=np.int64)
    ends = np.concatenate([[0], np.cumsum(widths)])
    return lambda unit: int(np.searchsorted(ends, unit, side="left"))


def coder_in_name(name: str) -> str:
    """The coder named at the end of a duplicated document's name: ``notes_ann``, ``notes - ann``, ``notes (ann)``
    (extension ignored); empty when there is none."""
    import re as _re

    stem = _re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name.strip())
    m = _re.search(r"(?:\(\s*([^()]+?)\s*\)|(?:_| - )\s*([^_()]+?))$", stem)
    return ((m.group(1) or m.group(2)) or "").strip() if m else ""


def read_project(path: Path, units, books: dict, round_: str | None, coders: list[str] | None,
                 rule: str = "any", coder_from: str | None = None) -> dict:
    """Read a coded REFI-QDA project: per coder, which study units carry which code.

    Parameters
    ----------
    path : pathlib.Path
        The ``.qdpx``.
    units : pandas.DataFrame
        The study's ``units.csv``.
    books : dict
        Codebook version -> :class:`~compassion_study.codebook.Codebook`; codes are matched by GUID (this
        package's UUID 5), else by label, else by id, against the codebook matching most of the project's codes.
    round_ : str
        The round (a project cannot say).
    coders : list of str or None
        Every coder of the round (None: every user who made a coding, the others listed in a warning).
        REFI-QDA cannot record "read and left uncoded", so each of them is taken to have coded every unit found
        in the sources; a coding by anyone else is an error.
    rule : {"any", "majority"}
        A selection codes a unit when it overlaps the unit by at least one character (``any``) or covers more
        than half of it (``majority``).
    coder_from : {None, "source", "set"}
        For programs where each coder codes their own copy of the documents: the coder of every coding in a
        source is the one named at the end of the source's name (:func:`coder_in_name`), or the name of the
        set (``Sets``) the source belongs to, instead of ``creatingUser``.

    Returns
    -------
    dict
        ``codings`` (DataFrame: round, coder, unit_id, code_id, applied), ``rounds`` (list of dicts as the
        spreadsheet import), ``problems``, ``warnings`` (what was discarded or not found).
    """
    import zipfile

    import numpy as np
    import pandas as pd
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    from . import files

    label = path.name
    problems: list[str] = []
    warnings: list[str] = []
    out = {"codings": pd.DataFrame(columns=["round", "coder", "unit_id", "code_id", "applied"]), "rounds": [],
           "problems": problems, "warnings": warnings}
    if not round_:
        problems.append(f"{label}: a project does not say which round it is; give --round")
    if rule not in ("any", "majority"):
        problems.append(f"{label}: unknown overlap rule {rule!r} (any or majority)")
    if coder_from not in (None, "source", "set"):
        problems.append(f"{label}: coders are taken from creatingUser, 'source' or 'set', not {coder_from!r}")
    bad = files.zip_problem(path, kind="REFI-QDA project (.qdpx)")
    if bad:
        problems.append(f"{label}: {bad}")
    if problems:
        return out
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        qdes = [n for n in names if "/" not in n and n.lower().endswith(".qde")]
        if len(qdes) != 1:
            problems.append(f"{label}: expected one .qde file at the top of the archive, found "
                            f"{len(qdes) or 'none'}{': ' + ', '.join(qdes) if qdes else ''}")
            return out
        info = zf.getinfo(qdes[0])
        if info.file_size > MAX_QDE_BYTES:
            problems.append(f"{label} › {qdes[0]}: {info.file_size:,} bytes, over the {MAX_QDE_BYTES:,}-byte limit")
            return out
        try:
            root = SafeET.fromstring(zf.read(qdes[0]))
        except DefusedXmlException:
            problems.append(f"{label} › {qdes[0]}: declares a DTD or entities, which projects never need; not read")
            return out
        except ET.ParseError as exc:
            problems.append(f"{label} › {qdes[0]}: not well-formed XML ({exc})")
            return out
        members = {n.lower(): n for n in names}  # sources/ in any letter case (NVivo writes lower case)

        def source_bytes(ref: str) -> bytes | None:
            # internal://NAME is the standard; programs also write internal:/NAME, sources/NAME or a bare NAME.
            # Only a file of sources/ is ever read (relative:// and absolute:// point outside the archive).
            name = re.sub(r"^internal:/{1,2}", "", ref.strip(), flags=re.I)
            name = re.sub(r"^sources/", "", name, flags=re.I)
            if not name or "://" in name or "/" in name or "\\" in name or name.startswith("."):
                return None
            member = members.get(f"sources/{name}".lower())
            return zf.read(member) if member else None

        p = f"{{{PROJECT_NS}}}"
        if root.tag != f"{p}Project":
            problems.append(f"{label} › {qdes[0]}: the root element is {root.tag!r}, not Project in namespace "
                            f"{PROJECT_NS}")
            return out
        origin = root.get("origin") or ""
        users = {u.get("guid", "").strip("{}").lower(): (u.get("name") or u.get("id") or "").strip()
                 for u in root.iter(f"{p}User")}
        project_codes = {c.get("guid", "").strip("{}").lower(): (c.get("name") or "").strip()
                         for c in root.iter(f"{p}Code")}
        # the study codebook that matches most of the project's codes
        def matcher(book):
            by_guid = {code_guid(book.name, c): c for c in book.ids}
            by_label = {c["label"].casefold(): c["id"] for c in book.codes}
            by_id = {c.casefold(): c for c in book.ids}
            return lambda g, n: by_guid.get(g) or by_label.get(n.casefold()) or by_id.get(n.casefold())
        scored = sorted(books.items(), key=lambda kv: (sum(matcher(kv[1])(g, n) is not None
                                                           for g, n in project_codes.items()), kv[0]))
        version, book = scored[-1]
        match = matcher(book)
        for tag in DISCARDED:
            found = sum(1 for _ in root.iter(f"{p}{tag}"))
            if found:
                warnings.append(f"{label} › {tag}: {found} element(s) not imported (only text codings are)")
        marks: dict[tuple[str, str, str], int] = {}
        located: set[str] = set()
        # a project cannot say who read a unit and left it uncoded: every coder of the roster is taken to have
        # read every unit found in the sources
        # duplicated documents per coder: the coder of each source from its name or its set
        owner: dict[str, str] = {}
        if coder_from == "set":
            for st in root.iter(f"{p}Set"):
                for member in st.findall(f"{p}MemberSource"):
                    owner[(member.get("targetGUID") or "").strip("{}").lower()] = (st.get("name") or "").strip()
        elif coder_from == "source":
            for src in root.iter(f"{p}TextSource"):
                owner[(src.get("guid") or "").strip("{}").lower()] = coder_in_name(src.get("name") or "")
        # the roster: given; else the copies' owners; else every user who made a coding (a project's owner or
        # an administrator who coded nothing is not taken for a coder who read every unit and applied nothing)
        roster = list(dict.fromkeys(coders)) if coders else sorted({n for n in owner.values() if n}) if coder_from \
            else None
        unknown_users: dict[str, int] = {}
        seen_coders: set[str] = set()
        unmatched: dict[str, int] = {}
        whole: int = 0
        for s, source in enumerate(root.iter(f"{p}TextSource")):
            place = f"{label} › {qdes[0]} › TextSource[{s + 1}] ({source.get('name') or ''})"
            content = source.find(f"{p}PlainTextContent")
            raw = content.text.encode("utf-8") if content is not None and content.text else \
                source_bytes(source.get("plainTextPath") or "")
            if raw is None:
                problems.append(f"{place}: its text is neither inside the project (PlainTextContent) nor in "
                                f"sources/ ({source.get('plainTextPath') or 'no plainTextPath'})")
                continue
            try:
                text = raw.decode("utf-8").removeprefix("\ufeff")
            except UnicodeDecodeError:
                problems.append(f"{place}: the source text is not UTF-8")
                continue
            source_coder = owner.get((source.get("guid") or "").strip("{}").lower(), "") if coder_from else None
            if coder_from and not source_coder:
                problems.append(f"{place}: no coder in its {'name' if coder_from == 'source' else 'set'} "
                                "(--coder-from " + coder_from + ")")
                continue
            spans = unit_spans(text, units)
            located |= set(spans)
            whole += len(source.findall(f"{p}Coding"))
            selections = source.findall(f"{p}PlainTextSelection")
            n_points = len(text)
            n_units16 = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
            bounds = [(int(x.get("startPosition", -1)), int(x.get("endPosition", -1)))
                      for x in selections if (x.get("startPosition") or "").lstrip("-").isdigit()
                      and (x.get("endPosition") or "").lstrip("-").isdigit()]
            utf16 = n_units16 != n_points and ("nvivo" in origin.lower() or any(e > n_points for _, e in bounds))
            to_points = _utf16_to_points(text) if utf16 else (lambda x: x)
            if utf16:
                warnings.append(f"{place}: positions counted in UTF-16 code units (as NVivo writes them); converted")
            unit_ids = list(spans)
            starts = np.array([spans[u][0] for u in unit_ids])
            ends = np.array([spans[u][1] for u in unit_ids])
            for k, sel in enumerate(selections):
                splace = f"{place} › PlainTextSelection[{k + 1}]"
                try:
                    a, b = to_points(int(sel.get("startPosition"))), to_points(int(sel.get("endPosition")))
                except (TypeError, ValueError):
                    problems.append(f"{splace}: startPosition and endPosition must be whole numbers")
                    continue
                if not 0 <= a <= b <= n_points:
                    problems.append(f"{splace}: positions {a}–{b} lie outside the source's {n_points} characters")
                    continue
                overlap = np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None)
                hit = overlap > 0 if rule == "any" else overlap * 2 > (ends - starts)
                for coding in sel.findall(f"{p}Coding"):
                    ref = coding.find(f"{p}CodeRef")
                    guid = (ref.get("targetGUID") if ref is not None else "").strip("{}").lower()
                    name = project_codes.get(guid, "")
                    code = match(guid, name)
                    if code is None:
                        unmatched[name or guid] = unmatched.get(name or guid, 0) + 1
                        continue
                    user = (coding.get("creatingUser") or sel.get("creatingUser") or "").strip("{}").lower()
                    coder = source_coder if coder_from else users.get(user, "")
                    if roster is None and coder:
                        seen_coders.add(coder)
                    elif coder not in (roster or ()):
                        unknown_users[coder or user or "(no user)"] = unknown_users.get(coder or user or "(no user)", 0) + 1
                        continue
                    for i in np.flatnonzero(hit):
                        marks[(coder, unit_ids[i], code)] = 1
        for name, n in sorted(unmatched.items()):
            problems.append(f"{label}: code '{name}' ({n} coding(s)) matches no code of codebook {version} by GUID, "
                            "label or id")
        for name, n in sorted(unknown_users.items()):
            problems.append(f"{label}: {n} coding(s) by '{name}', who is not among --coders ({', '.join(roster)})"
                            if roster is not None else
                            f"{label}: {n} coding(s) by '{name}', not a named user of the project; say whose they are "
                            "(--coder-from source or set, for copies of the notes per coder)")
        if whole:
            warnings.append(f"{label}: {whole} coding(s) of whole sources (not of a text selection) not imported")
        if roster is None:
            roster = sorted(seen_coders)
            idle = sorted({n for n in users.values() if n} - seen_coders)
            if idle:
                warnings.append(f"{label}: user(s) {', '.join(idle)} made no coding and are not counted as coders; "
                                "give every coder with --coders to count someone who coded nothing")
            if not roster:
                problems.append(f"{label}: no coding by any named user; give every coder of the round with --coders")
    missing = [u for u in units["unit_id"] if u not in located]
    if missing:
        warnings.append(f"{label}: {len(missing)} of {len(units)} units were not found in the project's sources; "
                        "they are not coded in this round")
    if problems:
        return out
    order = [u for u in units.sort_values(["source", "position"], kind="stable")["unit_id"] if u in located]
    frames = []
    for coder in sorted(roster):
        grid = np.array([[marks.get((coder, u, c), 0) for c in book.ids] for u in order], dtype=np.int64)
        frames.append(pd.DataFrame({"round": round_, "coder": coder, "unit_id": np.repeat(order, len(book.ids)),
                                    "code_id": np.tile(np.array(book.ids, dtype=object), len(order)),
                                    "applied": grid.reshape(-1)}))
        out["rounds"].append({"round": round_, "coder": coder, "source": path, "sheet": qdes[0],
                              "codebook_version": version, "illustrative": False, "units_assigned": len(order),
                              "units_coded": len(order)})
    out["codings"] = frames
    return out
