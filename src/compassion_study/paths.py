"""Where everything lives: the one module that knows the project's layout.

Every stage takes a :class:`Paths` (or builds the default one) instead of
looking at the current directory, so the study runs the same from a notebook,
the command line, a test's temporary folder or CI.

The project root is, in order of preference: an explicit ``root`` argument,
the ``COMPASSION_STUDY_ROOT`` environment variable, or the checkout this
package was installed from (editable install, the normal set-up).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "COMPASSION_STUDY_ROOT"

#: File types the ingest stage reads.
NOTE_SUFFIXES = (".txt", ".md", ".docx")


def default_root() -> Path:
    """Return the project root used when none is given."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / "raw").is_dir():
            return parent
    raise RuntimeError(
        f"cannot find the project folder: set {ENV_VAR} or pass --root "
        "(the folder that holds data/raw/)"
    )


@dataclass(frozen=True)
class Paths:
    """The study's folders and files under one project root."""

    root: Path

    @classmethod
    def from_root(cls, root: str | os.PathLike | None = None) -> "Paths":
        """Paths under ``root`` (default: :func:`default_root`)."""
        return cls(Path(root).expanduser().resolve() if root else default_root())

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

    # processed data: rebuilt by the pipeline
    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def units(self) -> Path:
        return self.processed / "units.csv"

    @property
    def codings(self) -> Path:
        return self.processed / "codings.csv"

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
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to the root in POSIX form (absolute if outside it)."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    def is_raw(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` lies under ``data/raw/`` (which code never writes)."""
        try:
            Path(path).resolve().relative_to(self.raw.resolve())
        except ValueError:
            return False
        return True
