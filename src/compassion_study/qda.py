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
