"""The study: ``study.yaml`` (who, what, when, and the choices made in advance) and ``init``.

A study is a folder created by ``compassion-study init`` (or by hand) with
this layout::

    study.yaml                 the study's description and settings (this module)
    README.md                  a short guide for the study team
    data/raw/notes/            workshop notes (.txt, .md, .docx), one file per session
    data/raw/codebook/         the framework codebook(s), copied from the package
    data/raw/coding/<round>/   returned coding workbooks
    data/raw/consensus/        returned adjudication workbooks
    notebooks/                 the report's notebooks, for the team to open and adapt
    data/processed/, reports/, exports/   written by the pipeline

Everything study-specific in the report (title, organisation, dates,
evaluators, purpose, governance, which parts of the notes are compared and
the reliability minimum set in advance) comes from ``study.yaml``; nothing
about a particular workshop is fixed in code.  Every value is untrusted text:
it is validated here and escaped wherever it is shown.

References
----------
Krippendorff, K. (2004). *Content analysis: An introduction to its
methodology* (2nd ed.), p. 241: rely on variables with alpha >= .800, and
draw only tentative conclusions from .667 <= alpha < .800.  The thresholds
are to be chosen before the data are coded; ``study.yaml`` records them.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import files
from .comment_tables import MAPPING_KEYS, Mapping
from .errors import InputError, where
from .paths import STUDY_FILE, Paths, template_dir

#: The framework codebook shipped with the package and copied into new studies.
FRAMEWORK = "compassionate-leadership-v1.yaml"
#: Largest ``study.yaml`` read (it is a short description, not data).
MAX_BYTES = 256 * 1024
#: Longest single text value accepted in ``study.yaml``.
MAX_TEXT = 4000
KEYS = ("title", "organisation", "dates", "evaluators", "purpose", "governance", "codebook", "compare",
        "reliability", "bootstrap", "comment_tables", "framework_cases")
#: What a row of the Framework Method charting matrix is: a session (notes file), or a prompt × breakout theme.
FRAMEWORK_CASES = ("session", "theme")
#: Raw folders every study has.
RAW_FOLDERS = ("notes", "codebook", "coding", "consensus")


@dataclass(frozen=True)
class Study:
    """A validated ``study.yaml`` (defaults where a key is absent).

    Attributes
    ----------
    title, organisation, purpose, governance : str
    dates, evaluators : tuple of str
    codebook : str or None
        File name in ``data/raw/codebook/`` used for new rounds (None: the newest version).
    compare : tuple of (str, str) or None
        The part of the notes holding barriers and the part holding enablers,
        compared in the analysis; None compares nothing.
    minimum, target : float
        Krippendorff's alpha below which a code is unreliable, and at which
        it is reliable (Krippendorff 2004: .667 and .800).
    resamples, seed : int
        Bootstrap resamples of units for confidence intervals, and the seed.
    comment_tables : Mapping
        Columns of comment tables exported from workshop tools (empty:
        recognise the tool by the table's headers).
    framework_cases : str
        Rows of the Framework Method charting matrix: ``session`` or ``theme``
        (prompt × breakout theme).
    """

    title: str = "Workshop evaluation"
    organisation: str = ""
    dates: tuple = ()
    evaluators: tuple = ()
    purpose: str = ""
    governance: str = ""
    codebook: str | None = None
    compare: tuple[str, str] | None = None
    minimum: float = 0.667
    target: float = 0.800
    resamples: int = 1000
    seed: int = 0
    comment_tables: Mapping = Mapping()
    framework_cases: str = "session"
    path: Path | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The settings as recorded in the manifest."""
        return {"title": self.title, "codebook": self.codebook,
                "compare": list(self.compare) if self.compare else None,
                "reliability": {"minimum": self.minimum, "target": self.target},
                "bootstrap": {"resamples": self.resamples, "seed": self.seed}}


def _text(value: Any, place: str, problems: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.append(f"{place}: expected text")
        return ""
    if len(value) > MAX_TEXT:
        problems.append(f"{place}: longer than {MAX_TEXT} characters")
        return ""
    return value.strip()


def _texts(value: Any, place: str, problems: list[str]) -> tuple:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    if len(items) > 100:
        problems.append(f"{place}: more than 100 entries")
        return ()
    return tuple(t for i, v in enumerate(items) if (t := _text(v, f"{place} › {i + 1}" if isinstance(value, list) else place, problems)))


def _number(value: Any, place: str, problems: list[str], kind: type, low: float, high: float) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        problems.append(f"{place}: {str(value)[:20]}… is outside {low} to {high}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        problems.append(f"{place}: expected {'a whole number' if kind is int else 'a number'} from {low} to {high}, not {value!r:.40}")
        return None
    if not low <= value <= high:
        problems.append(f"{place}: {value} is outside {low} to {high}")
        return None
    return kind(value)


def _mapping(data: dict, key: str, label: str, allowed: tuple[str, ...], problems: list[str]) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where(label, key)}: expected a mapping with {', '.join(allowed)}")
        return {}
    for k in value:
        if k not in allowed:
            problems.append(f"{where(label, key, k)}: unknown key (expected {', '.join(allowed)})")
    return value


def parse(data: Any, label: str = STUDY_FILE) -> Study:
    """Validate parsed ``study.yaml`` content; every problem is reported at once.

    Raises
    ------
    InputError
        One line per problem, each ``study.yaml › key: message``.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a mapping of keys ({', '.join(KEYS)})")
    problems = [f"{where(label, k)}: unknown key (expected one of {', '.join(KEYS)})" for k in data if k not in KEYS]
    out: dict[str, Any] = {}
    for key in ("title", "organisation", "purpose", "governance"):
        out[key] = _text(data.get(key), where(label, key), problems)
    if not out["title"]:
        if "title" in data:
            problems.append(f"{where(label, 'title')}: must not be empty")
        out["title"] = Study.title
    for key in ("dates", "evaluators"):
        out[key] = _texts(data.get(key), where(label, key), problems)
    book = _text(data.get("codebook"), where(label, "codebook"), problems)
    if book and (Path(book).name != book or not book.endswith((".yaml", ".yml")) or book.startswith(".")):
        problems.append(f"{where(label, 'codebook')}: '{book:.80}' must be the name of a .yaml file in data/raw/codebook/")
    out["codebook"] = book or None
    compare = data.get("compare")
    out["compare"] = None
    if isinstance(compare, dict):
        cmp = _mapping(data, "compare", label, ("barriers", "enablers"), problems)
        pair = tuple(_text(cmp.get(k), where(label, "compare", k), problems) for k in ("barriers", "enablers"))
        if not all(pair):
            problems.append(f"{where(label, 'compare')}: give both barriers and enablers (parts of the notes), or 'none'")
        elif pair[0] == pair[1]:
            problems.append(f"{where(label, 'compare')}: barriers and enablers must be different parts")
        else:
            out["compare"] = pair
    elif compare not in (None, "none", False):
        problems.append(f"{where(label, 'compare')}: expected 'none' or a mapping with barriers and enablers")
    rel = _mapping(data, "reliability", label, ("minimum", "target"), problems)
    out["minimum"] = _number(rel.get("minimum", Study.minimum), where(label, "reliability", "minimum"), problems, float, 0, 1)
    out["target"] = _number(rel.get("target", Study.target), where(label, "reliability", "target"), problems, float, 0, 1)
    if out["minimum"] is not None and out["target"] is not None and out["minimum"] > out["target"]:
        problems.append(f"{where(label, 'reliability')}: minimum {out['minimum']} is above target {out['target']}")
    boot = _mapping(data, "bootstrap", label, ("resamples", "seed"), problems)
    out["resamples"] = _number(boot.get("resamples", Study.resamples), where(label, "bootstrap", "resamples"),
                               problems, int, 0, 100_000)
    out["seed"] = _number(boot.get("seed", Study.seed), where(label, "bootstrap", "seed"), problems, int, 0, 2**32 - 1)
    tables = _mapping(data, "comment_tables", label, MAPPING_KEYS, problems)
    out["comment_tables"] = Mapping(
        text=_texts(tables.get("text"), where(label, "comment_tables", "text"), problems),
        **{k: _text(tables.get(k), where(label, "comment_tables", k), problems) for k in MAPPING_KEYS[1:]})
    cases = data.get("framework_cases", Study.framework_cases)
    if cases not in FRAMEWORK_CASES:
        problems.append(f"{where(label, 'framework_cases')}: expected one of {', '.join(FRAMEWORK_CASES)} (the rows of "
                        "the Framework Method matrix: sessions, or prompts × breakout themes)")
    out["framework_cases"] = cases if cases in FRAMEWORK_CASES else Study.framework_cases
    if out["comment_tables"] and not out["comment_tables"].text:
        problems.append(f"{where(label, 'comment_tables')}: name the column(s) holding the comments under 'text'")
    if problems:
        raise InputError(problems, summary=f"{label} has {len(problems)} problem(s):")
    return Study(**out)


def load(paths: Paths) -> Study:
    """The study's settings from ``study.yaml`` (defaults if the folder has none)."""
    path = paths.study_file
    if not path.is_file():
        return Study()
    study = parse(files.read_yaml(path, STUDY_FILE, MAX_BYTES))
    return Study(**{**study.__dict__, "path": path})


def thresholds_note(study: Study) -> str:
    """The reliability thresholds set in advance, in words (for the agreement section)."""
    where_set = "in this study's study.yaml" if study.path else "(the defaults; this study has no study.yaml)"
    return (f"Reliability thresholds set in advance {where_set}: Krippendorff's alpha of at least "
            f"{study.target:.3f} counts as reliable and at least {study.minimum:.3f} as tentative "
            "(Krippendorff 2004); below that a code's findings are not to be relied on.")


# --------------------------------------------------------------------------- init

_STUDY_YAML = """\
# The study: what the report says about it, and the choices made before
# coding. Every value here is shown as plain text (never as HTML or Markdown).
title: $title
organisation: ""          # e.g. the trust or team running the evaluation
dates: []                 # workshop dates, e.g. [2026-03-14, 2026-04-11]
evaluators: []            # names of the study team
purpose: ""               # why the workshops are evaluated
governance: ""            # e.g. "Registered as a service evaluation (ref. SE-123)", or an approval reference

# The codebook (in data/raw/codebook/) used for new coding rounds.
codebook: $codebook

# Which parts of the notes are compared (keyness, frequencies): a part is a
# section heading (such as "Key Themes – positives") or else a prompt. Run
# 'compassion-study run' once to see the parts of your notes, then e.g.
#   compare:
#     barriers: What stops us leading compassionately?
#     enablers: positives
compare: none

# Reliability thresholds set in advance (Krippendorff's alpha; Krippendorff 2004).
reliability:
  minimum: 0.667
  target: 0.800

# Bootstrap confidence intervals: resamples of units, and the random seed.
bootstrap:
  resamples: 1000
  seed: 0
"""


def _yaml_text(value: str) -> str:
    """``value`` as one YAML scalar (quoted, so any text stays text)."""
    return yaml.safe_dump(value, allow_unicode=True, default_style='"', width=10_000).strip().removesuffix("...").strip()


def init(folder: str | Path, title: str | None = None) -> list[Path]:
    """Create a new study in ``folder`` (which must be new or empty).

    Writes ``study.yaml``, ``README.md``, ``jupytext.toml``, ``.gitignore``,
    the raw folders (``data/raw/notes``, ``codebook``, ``coding``,
    ``consensus``), the framework codebook and the notebooks.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        When ``folder`` already holds files, or the title is unusable.
    """
    folder = Path(folder).expanduser()
    title = (title or "Workshop evaluation").strip()
    problems: list[str] = []
    _text(title, "--title", problems)
    if problems or not title or re.search(r"[\x00-\x08\x0b-\x1f\x7f]", title):
        raise InputError(f"--title: expected one line of text of at most {MAX_TEXT} characters")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder}: already exists and is not an empty folder; init makes a new study "
                         "(choose a new folder name)")
    template = template_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in RAW_FOLDERS:
        (folder / "data" / "raw" / name).mkdir(parents=True, exist_ok=True)
    (folder / "data" / "processed").mkdir(parents=True, exist_ok=True)
    values = {"title": _yaml_text(title), "codebook": FRAMEWORK}
    # written first and directly (the folder is new): from now on the folder is a
    # study, so the raw-data guard protects its own data/raw and nothing above it
    (folder / STUDY_FILE).write_text(string.Template(_STUDY_YAML).substitute(values), encoding="utf-8")
    written.append(folder / STUDY_FILE)
    readme = (template / "README.md").read_text(encoding="utf-8")
    written.append(files.write_text(folder / "README.md", readme.replace("$title", title.replace("\n", " "))))
    for name in ("jupytext.toml", "gitignore"):
        target = folder / (".gitignore" if name == "gitignore" else name)
        written.append(files.write_bytes(target, (template / name).read_bytes()))
    # Copied by code into a folder that is new, so data/raw's write guard
    # (which protects a study's existing raw data) does not apply.
    book = folder / "data" / "raw" / "codebook" / FRAMEWORK
    shutil.copyfile(template / "codebook" / FRAMEWORK, book)
    written.append(book)
    for src in sorted((template / "notebooks").iterdir()):
        if src.suffix in (".py", ".ipynb"):
            written.append(files.write_bytes(folder / "notebooks" / src.name, src.read_bytes()))
    parse(yaml.safe_load((folder / STUDY_FILE).read_text(encoding="utf-8")))  # what init writes must load
    return written
