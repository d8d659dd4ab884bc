"""Where everything lives: the one module that knows the project's layout.

Every stage takes a :class:`Paths` (or builds the default one) instead of
looking at the current directory, so the study runs the same from a notebook,
the command line, a test's temporary folder or CI.

A study is a folder holding ``study.yaml`` (made by ``compassion-study
init``).  The study root is, in order of preference: an explicit ``root``
argument (``--root``), the ``COMPASSION_STUDY_ROOT`` environment variable, or
the nearest folder holding ``study.yaml`` found by walking up from the current
folder, as git finds ``.git``.  Nothing falls back to the folder the package
was installed from: a command outside any study says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "COMPASSION_STUDY_ROOT"
#: The file that marks a study folder.
STUDY_FILE = "study.yaml"

#: File types the ingest stage reads as notes ...
NOTE_SUFFIXES = (".txt", ".md", ".docx")
#: ... and as comment tables exported from workshop tools.
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".ods")


class NoStudyError(RuntimeError):
    """No study folder was named or found (the command line prints it, exit 1)."""


def find_study(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) holding ``study.yaml``."""
    here = Path(start or Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if (folder / STUDY_FILE).is_file():
            return folder
    return None


def _checked(root: Path, how: str) -> Path:
    if not root.is_dir():
        raise NoStudyError(f"{how} {root}: no such folder")
    if not (root / STUDY_FILE).is_file() and not (root / "data" / "raw").is_dir():
        raise NoStudyError(f"{how} {root}: not a study folder (it has no {STUDY_FILE}); "
                           f"create one with 'compassion-study init {root}'")
    return root


def default_root() -> Path:
    """The study root when none is given: ``$COMPASSION_STUDY_ROOT``, else the nearest ``study.yaml`` upwards."""
    env = os.environ.get(ENV_VAR)
    if env:
        return _checked(Path(env).expanduser().resolve(), f"{ENV_VAR}=")
    found = find_study()
    if found is None:
        raise NoStudyError(
            f"{Path.cwd()} is not inside a study (no {STUDY_FILE} here or in any folder above). "
            "Create one with 'compassion-study init FOLDER', then work inside it, "
            f"or name one with --root FOLDER or {ENV_VAR}=FOLDER"
        )
    return found


@dataclass(frozen=True)
class Paths:
    """The study's folders and files under one project root."""

    root: Path

    @classmethod
    def from_root(cls, root: str | os.PathLike | None = None) -> "Paths":
        """Paths under ``root`` (default: :func:`default_root`).

        An explicit ``root`` is taken as given (a test or a script may be
        about to create it); :meth:`named` checks one a person typed.
        """
        return cls(Path(root).expanduser().resolve() if root else default_root())

    @classmethod
    def named(cls, root: str | os.PathLike | None) -> "Paths":
        """Paths for a study folder named on the command line (``--root``), or found as :func:`default_root` does.

        A named folder must hold ``study.yaml`` (or ``data/raw/``, a study made
        before ``study.yaml`` existed).
        """
        if root:
            return cls(_checked(Path(root).expanduser().resolve(), "--root"))
        return cls(default_root())

    @property
    def study_file(self) -> Path:
        return self.root / STUDY_FILE

    # raw inputs: only ever read
    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def notes(self) -> Path:
        return self.raw / "notes"

    @property
    def codebooks(self) -> Path:
        return self.raw / "codebook"

    @property
    def coding(self) -> Path:
        return self.raw / "coding"

    def coding_round(self, round_: str) -> Path:
        return self.coding / round_

    @property
    def consensus_raw(self) -> Path:
        return self.raw / "consensus"

    @property
    def framework_raw(self) -> Path:
        """Returned Framework Method matrices (with the analysts' summaries)."""
        return self.raw / "framework"

    # processed data: rebuilt by the pipeline
    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def units(self) -> Path:
        return self.processed / "units.csv"

    @property
    def ingest_log(self) -> Path:
        """Every non-empty line of the notes with its role (``ingest.ROLES``)."""
        return self.processed / "ingest_log.csv"

    @property
    def codings(self) -> Path:
        return self.processed / "codings.csv"

    @property
    def codings_copy(self) -> Path:
        """A binary copy of ``codings.csv`` for fast reading (a cache: see :func:`sheets.read_codings`)."""
        return self.processed / ".codings.categorical.npz"

    @property
    def rounds(self) -> Path:
        return self.processed / "rounds.csv"

    @property
    def agreement_by_code(self) -> Path:
        return self.processed / "agreement_by_code.csv"

    @property
    def agreement_pairwise(self) -> Path:
        return self.processed / "agreement_pairwise.csv"

    @property
    def agreement_overall(self) -> Path:
        return self.processed / "agreement_overall.csv"

    @property
    def disagreements(self) -> Path:
        return self.processed / "disagreements.csv"

    @property
    def framework_summaries(self) -> Path:
        return self.processed / "framework_summaries.csv"

    @property
    def consensus(self) -> Path:
        return self.processed / "consensus.csv"

    def findings(self, name: str) -> Path:
        """``data/processed/findings_<name>.csv`` (see :data:`compassion_study.analysis.FINDINGS`)."""
        return self.processed / f"findings_{name}.csv"

    @property
    def manifest(self) -> Path:
        return self.processed / "manifest.json"

    # generated outputs for people
    @property
    def exports(self) -> Path:
        """Workbooks the package writes for coders and adjudicators."""
        return self.root / "exports"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def figures(self) -> Path:
        return self.reports / "figures"

    @property
    def report_html(self) -> Path:
        return self.reports / "report.html"

    @property
    def report_pdf(self) -> Path:
        return self.reports / "report.pdf"

    @property
    def report_docx(self) -> Path:
        return self.reports / "report.docx"

    @property
    def notebooks(self) -> Path:
        """The study's own ``notebooks/`` (made by ``init``), else the package's copies."""
        own = self.root / "notebooks"
        return own if own.is_dir() else template_dir() / "notebooks"

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to the root in POSIX form (absolute if outside it)."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    def contains(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` lies inside the study folder (outputs written elsewhere are not recorded here)."""
        try:
            Path(path).resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def is_raw(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` lies under ``data/raw/`` (which code never writes)."""
        try:
            Path(path).resolve().relative_to(self.raw.resolve())
        except ValueError:
            return False
        return True


def template_dir() -> Path:
    """The study template shipped inside the package (notebooks, README, framework codebook)."""
    from importlib import resources

    return Path(str(resources.files("compassion_study") / "study_template"))
