"""Codebook: the coding framework as versioned YAML, validated and compared.

One YAML file per framework version under ``data/raw/codebook/``.  Each code
has the fields of MacQueen et al. (1998) plus what the project needs:
``id, label, group, brief, definition, use_when, do_not_use_when, example,
source, keywords``.  ``example`` is a quote plus where it came from (``from``, free text, and
optionally the ``unit_id`` of a comment in the study it was taken from); a
quote from another study is fine.

A codebook's version is its human version string plus a hash of its content,
e.g. ``1.0+3f9a2c1b7d0e``: editing any field without bumping the version still
gives a different version, so a round always records exactly what its coders
saw.

References
----------
MacQueen, K. M., McLellan, E., Kay, K., & Milstein, B. (1998). Codebook
development for team-based qualitative analysis. *Cultural Anthropology
Methods*, 10(2), 31-36.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import files
from .errors import InputError, where
from .paths import Paths

FIELDS = ("id", "label", "group", "brief", "definition", "use_when", "do_not_use_when", "example", "source", "keywords")
TOP_FIELDS = ("name", "version", "codes")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class Codebook:
    """A validated codebook.

    Attributes
    ----------
    name, version, title, description : str
    groups : dict
        Group name -> description.
    codes : tuple of dict
        One dict per code with every field in :data:`FIELDS`.
    path : pathlib.Path or None
    """

    name: str
    version: str
    title: str
    description: str
    groups: dict
    codes: tuple
    path: Path | None = None

    @property
    def content_hash(self) -> str:
        """First 12 hex digits of SHA-256 over the canonical JSON of the content."""
        content = {"name": self.name, "version": self.version, "title": self.title,
                   "description": self.description, "groups": self.groups, "codes": list(self.codes)}
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]

    @property
    def full_version(self) -> str:
        """``<version>+<content hash>``, recorded with every round."""
        return f"{self.version}+{self.content_hash}"

    @property
    def ids(self) -> list[str]:
        return [c["id"] for c in self.codes]

    @property
    def labels(self) -> dict[str, str]:
        """Code id -> label, for tables and text that name codes as readers know them."""
        return {c["id"]: c["label"] for c in self.codes}

    def table(self) -> pd.DataFrame:
        """One row per code, every field as a column (keywords joined by ``; ``)."""
        rows = []
        for c in self.codes:
            row = {f: c[f] for f in FIELDS}
            row["example"] = example_text(c["example"])
            row["keywords"] = "; ".join(c["keywords"])
            rows.append(row)
        return pd.DataFrame(rows, columns=list(FIELDS))


def example_text(example: dict) -> str:
    """An example as shown to coders and readers: the quote, then where it is from."""
    where_from = "; ".join(str(x) for x in (example.get("from"), example.get("unit_id") and f"unit {example['unit_id']}") if x)
    return f"“{example['quote']}”" + (f" (from {where_from})" if where_from else "")


#: Largest codebook file read.
MAX_BYTES = 2 * 1024 * 1024


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def validate(data: Any, label: str, units: pd.DataFrame | None = None) -> list[str]:
    """Every problem with a parsed codebook, as ``file › place: message`` lines."""
    if not isinstance(data, dict):
        return [f"{label}: a codebook is a YAML mapping with {', '.join(TOP_FIELDS)}"]
    problems = [f"{where(label, key)}: missing" for key in TOP_FIELDS if key not in data]
    if "version" in data:
        if isinstance(data["version"], float):
            problems.append(f"{where(label, 'version')}: {data['version']!r} was read as a number (1.10 would become 1.1); "
                            "write the version in quotes, e.g. \"1.10\"")
        elif not isinstance(data["version"], (str, int)) or not _text(str(data["version"])):
            problems.append(f"{where(label, 'version')}: must be non-empty text such as \"1.0\"")
    for key in ("name", "title", "description"):
        if key in data and not isinstance(data[key], (str, type(None))):
            problems.append(f"{where(label, key)}: must be text")
    if "groups" in data and not (data["groups"] is None or (isinstance(data["groups"], dict) and all(
            isinstance(k, str) and isinstance(v, (str, type(None))) for k, v in data["groups"].items()))):
        problems.append(f"{where(label, 'groups')}: must be a mapping of group name to description")
        return problems
    codes = data.get("codes")
    if codes is None:
        return problems
    if not isinstance(codes, list) or not codes:
        return problems + [f"{where(label, 'codes')}: expected a non-empty list of codes"]
    unit_text = dict(zip(units["unit_id"], units["text"])) if units is not None else None
    groups = data.get("groups") or {}
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        place = f"codes[{i}]" + (f" ({code.get('id')})" if isinstance(code, dict) and code.get("id") else "")
        if not isinstance(code, dict):
            problems.append(f"{where(label, place)}: expected a mapping of fields")
            continue
        missing = [f for f in FIELDS if f not in code]
        if missing:
            problems.append(f"{where(label, place)}: missing field(s) {', '.join(missing)}")
        for f in ("label", "group", "brief", "definition", "use_when", "do_not_use_when", "source"):
            if f in code and not _text(code[f]):
                problems.append(f"{where(label, place, f)}: must be non-empty text")
        cid = code.get("id")
        if cid is not None:
            if not isinstance(cid, str) or not _ID.match(cid):
                problems.append(f"{where(label, place, 'id')}: '{cid}' must be lower-case letters, digits and _ (at most 31), starting with a letter")
            elif cid in seen:
                problems.append(f"{where(label, place, 'id')}: duplicate id '{cid}' (also codes[{seen[cid]}])")
            else:
                seen[cid] = i
        if groups and _text(code.get("group")) and code["group"] not in groups:
            problems.append(f"{where(label, place, 'group')}: '{code['group']}' is not one of the groups {sorted(groups)}")
        if "keywords" in code:
            kw = code["keywords"]
            if not isinstance(kw, list) or not kw or not all(_text(k) for k in kw):
                problems.append(f"{where(label, place, 'keywords')}: must be a non-empty list of words or phrases")
        if "example" in code:
            ex = code["example"]
            if (not isinstance(ex, dict) or not _text(ex.get("quote"))
                    or not (_text(ex.get("from")) or _text(ex.get("unit_id")))
                    or any(k not in ("quote", "from", "unit_id") for k in ex)
                    or any(k in ex and not _text(ex[k]) for k in ("from", "unit_id"))):
                problems.append(f"{where(label, place, 'example')}: must give quote and where it is from "
                                "(from: free text, and/or unit_id), and nothing else")
            elif unit_text is not None and ex.get("unit_id") in unit_text and ex["quote"] not in unit_text[ex["unit_id"]]:
                problems.append(f"{where(label, place, 'example')}: quote is not in the text of unit "
                                f"'{ex['unit_id']}' of this study")
    return problems


def load(path: str | Path, units: pd.DataFrame | None = None) -> Codebook:
    """Read and validate a codebook YAML file.

    Parameters
    ----------
    path : path-like
    units : pandas.DataFrame, optional
        ``units.csv``; when given, an example citing one of these units must
        quote its text (examples from other studies are fine).

    Raises
    ------
    InputError
        With every problem found.
    """
    path = Path(path)
    label = path.name
    data = files.read_yaml(path, label, MAX_BYTES, "a codebook is a .yaml file")
    problems = validate(data, label, units)
    if problems:
        raise InputError(problems, summary=f"codebook {label} has {len(problems)} problem(s):")
    codes = tuple({**{f: c[f] for f in FIELDS}, "keywords": [str(k) for k in c["keywords"]]} for c in data["codes"])
    return Codebook(
        name=str(data["name"]), version=str(data["version"]), title=str(data.get("title", "")),
        description=str(data.get("description", "")), groups=dict(data.get("groups") or {}), codes=codes, path=path,
    )


def available(paths: Paths) -> list[Path]:
    """Codebook files under ``data/raw/codebook/``, sorted by name."""
    return sorted(paths.codebooks.glob("*.y*ml"))


def find(paths: Paths, version: str | None = None) -> Codebook:
    """The codebook with ``version`` (human or full), else the study's, else the newest one.

    The study's codebook is the file ``study.yaml`` names under ``codebook``.
    "Newest" compares human version strings numerically (``1.10`` > ``1.9``).
    """
    books = [load(p) for p in available(paths)]
    if not books:
        raise InputError(f"{paths.relative(paths.codebooks)}: no codebook YAML files found")
    if version is None:
        from . import study

        chosen = study.load(paths).codebook
        if chosen:
            named = [b for b in books if b.path.name == chosen]
            if not named:
                raise InputError(f"study.yaml › codebook: '{chosen}' is not in {paths.relative(paths.codebooks)}/ "
                                 f"(have {', '.join(b.path.name for b in books)})")
            return named[0]
        return max(books, key=lambda b: [int(x) if x.isdigit() else x for x in re.split(r"[.\-]", b.version)])
    for book in books:
        if version in (book.version, book.full_version):
            return book
    known = ", ".join(b.full_version for b in books)
    raise InputError(f"codebook version '{version}' not found in {paths.relative(paths.codebooks)} (have {known})")


def diff(old: Codebook, new: Codebook) -> pd.DataFrame:
    """Codes added, removed and changed (field by field) from ``old`` to ``new``.

    Returns
    -------
    pandas.DataFrame
        Columns ``change`` (added, removed, changed), ``code_id``, ``field``,
        ``old``, ``new``; ordered by the new codebook, removed codes last.
    """
    a = {c["id"]: c for c in old.codes}
    b = {c["id"]: c for c in new.codes}
    rows = []
    for cid in new.ids:
        if cid not in a:
            rows.append(("added", cid, "", "", b[cid]["label"]))
            continue
        for f in FIELDS[1:]:
            if a[cid][f] != b[cid][f]:
                rows.append(("changed", cid, f, _show(a[cid][f]), _show(b[cid][f])))
    rows += [("removed", cid, "", a[cid]["label"], "") for cid in old.ids if cid not in b]
    return pd.DataFrame(rows, columns=["change", "code_id", "field", "old", "new"])


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def rounds_diff(paths: Paths, rounds: pd.DataFrame) -> tuple[str, str, pd.DataFrame] | None:
    """The codebook diff from the first round's version to the last round's (None if they are the same)."""
    order = rounds.sort_values("round")
    first, last = order["codebook_version"].iloc[0], order["codebook_version"].iloc[-1]
    if first == last:
        return None
    return first, last, diff(find(paths, first), find(paths, last))


def export_target(paths: Paths, out: str | None, default: Path) -> Path:
    """Where an export goes: ``out`` or ``default``, never under ``data/raw/``."""
    target = Path(out) if out else default
    if paths.is_raw(target):
        raise InputError(f"{target}: data/raw/ holds the study's inputs and is never written; write elsewhere "
                         "(the default is exports/codebook/) and copy the file in after review")
    return target


def to_docx(book: Codebook) -> bytes:
    """The codebook as a Word document for coder training: every MacQueen field of every code, by group.

    Identical codebooks give identical bytes (see :func:`compassion_study.files.docx_bytes`).
    """
    import docx
    from docx.shared import Pt

    doc = docx.Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.sections[0].header.paragraphs[0].text = f"Codebook {book.name}, version {book.full_version}"
    doc.add_heading(book.title or book.name, level=0)
    doc.add_paragraph(f"Version {book.full_version} ({len(book.ids)} codes; the part after '+' is a hash of the "
                      "codebook's content). Entries follow MacQueen et al. (1998): a brief and a full definition, "
                      "when to use the code and when not, an example, and the source it draws on.")
    if book.description:
        doc.add_paragraph(book.description)
    fields = (("brief", "Brief"), ("definition", "Definition"), ("use_when", "Use when"),
              ("do_not_use_when", "Do not use when"), ("example", "Example"), ("source", "Source"),
              ("keywords", "Keywords"))
    for group in dict.fromkeys([*book.groups, *(c["group"] for c in book.codes)]):
        doc.add_heading(group, level=1)
        if book.groups.get(group):
            doc.add_paragraph(str(book.groups[group]))
        for code in (c for c in book.codes if c["group"] == group):
            doc.add_heading(f"{code['label']} ({code['id']})", level=2)
            for key, name in fields:
                value = example_text(code["example"]) if key == "example" else (
                    "; ".join(code["keywords"]) if key == "keywords" else str(code[key]))
                p = doc.add_paragraph()
                p.add_run(f"{name}: ").bold = True
                p.add_run(value)
    doc.core_properties.title = f"Codebook {book.name} {book.full_version}"
    doc.core_properties.author = "compassion_study"
    return files.docx_bytes(doc)
