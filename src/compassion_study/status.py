"""Where a study stands: which stages can run, and what the others are waiting for.

A real study passes through several states: notes only; workbooks exported
but none returned; some coders back; blank workbooks returned; all back but
no adjudication; adjudicated.  :func:`waiting_for` answers, for one stage and
the files that exist now, ``None`` (it can run) or a sentence in plain words
saying what it waits for.  ``compassion-study run`` prints these sentences and
the report shows them in place of the sections that cannot be built yet.

This module only reads files (raw inputs, ``data/processed`` and the
manifest); it imports no later stage.
"""

from __future__ import annotations

from . import provenance
from .paths import NOTE_SUFFIXES, TABLE_SUFFIXES, Paths

#: Stages in pipeline order.
STAGES = ("ingest", "codebook", "import", "agreement", "consensus", "analysis", "figures", "report")

#: Processed files each stage writes (removed by ``run`` while a stage waits, so no stale result is shown).
OUTPUTS = {
    "import": ("codings", "rounds", "memos"),
    "agreement": ("agreement_by_code", "agreement_pairwise", "agreement_overall", "disagreements"),
    "consensus": ("consensus",),
    "analysis": ("findings",),
}


def _files(folder, suffixes) -> list:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
            and not p.name.startswith((".", "~$")) and p.name != "assignment.csv"]


def exported(paths: Paths) -> dict[str, list[str]]:
    """Rounds whose workbooks were exported (from the manifest): round -> coders."""
    stages = provenance.load(paths).get("stages", {})
    out = {}
    for name, entry in sorted(stages.items()):
        if name.startswith("sheets:"):
            coders = entry.get("parameters", {}).get("coders") or []
            out[name.split(":", 1)[1]] = [str(c) for c in coders]
    return out


def _coding_state(paths: Paths) -> str | None:
    """Why agreement cannot be computed yet (None if some unit is coded by two coders in a round)."""
    from .files import read_csv

    rounds = read_csv(paths.rounds, text=("round", "coder"))
    codings = read_csv(paths.codings, text=("round", "coder", "unit_id", "code_id")) if paths.codings.is_file() else None
    if codings is not None and len(codings):
        per_unit = codings.groupby(["round", "unit_id"])["coder"].nunique()
        if (per_unit >= 2).any():
            return None
    expected = exported(paths)
    reasons = []
    for rnd, grp in rounds.groupby("round", sort=True):
        back = sorted(grp["coder"])
        coded = sorted(grp.loc[grp["units_coded"] > 0, "coder"])
        missing = [c for c in expected.get(rnd, []) if c not in back]
        text = f"{rnd}: workbooks back from {', '.join(back)}"
        if missing:
            text += f"; waiting for {', '.join(missing)}"
        if len(coded) < len(back):
            blank = [c for c in back if c not in coded]
            text += (f"; the workbooks of {', '.join(blank)} are blank (no unit coded yet)" if len(blank) > 1 else
                     f"; {blank[0]}'s workbook is blank (no unit coded yet)")
        if not missing and len(coded) == len(back) and len(back) < 2:
            text += "; a second coder is needed to measure agreement"
        reasons.append(text)
    return ("at least two coders' marks on the same units. " + ". ".join(reasons)) if reasons else \
        "at least two coders' marks on the same units"


def outstanding(paths: Paths) -> list[str]:
    """Coding still out once agreement can run: per exported round, coders not back yet or back blank.

    With three coders, two returned workbooks are enough for agreement and a
    consensus; the third must still be named in ``run`` and in the report,
    which would otherwise read as if the round were complete.
    """
    from .files import read_csv

    if not paths.rounds.is_file() or _coding_state(paths) is not None:
        return []  # nothing can run yet: waiting_for says why
    rounds = read_csv(paths.rounds, text=("round", "coder"))
    out = []
    for rnd, coders in exported(paths).items():
        grp = rounds[rounds["round"] == rnd]
        back = set(grp["coder"])
        missing = [c for c in coders if c not in back]
        blank = sorted(grp.loc[grp["units_coded"] <= 0, "coder"])
        if not back:
            out.append(f"{rnd}: no workbook back yet (exported for {', '.join(coders)}); it is not in the results")
            continue
        if missing:
            out.append(f"{rnd}: waiting for {', '.join(missing)}; the results use {', '.join(sorted(back))} so far")
        if blank:
            out.append(f"{rnd}: the workbook{'s' if len(blank) > 1 else ''} of {', '.join(blank)} came back blank "
                       "(no unit coded yet)")
    return out


def waiting_for(paths: Paths, stage: str) -> str | None:
    """None if ``stage`` can run on the files that exist now, else what it is waiting for (plain words)."""
    if stage == "ingest":
        if _files(paths.notes, NOTE_SUFFIXES + TABLE_SUFFIXES):
            return None
        return f"workshop notes: put the notes (.txt, .md or .docx, one file per session, or comment tables exported from a workshop tool) in {paths.relative(paths.notes)}/"
    if stage == "codebook":
        return None if any(paths.codebooks.glob("*.y*ml")) else f"a codebook (.yaml) in {paths.relative(paths.codebooks)}/"
    if stage == "import":
        if not paths.units.is_file():
            return "the comment units (ingest)"
        if _files(paths.coding, (".xlsx", ".ods", ".csv", ".qdpx")):  # workbooks or coded QDA projects
            return None
        out = exported(paths)
        if out:
            listing = "; ".join(f"{rnd} (exported for {', '.join(c)})" for rnd, c in out.items())
            folders = " or ".join(f"{paths.relative(paths.coding_round(rnd))}/" for rnd in out)
            return f"returned coding workbooks: none are back yet for {listing}. Put the returned files in {folders}"
        return ("coding workbooks: none exported yet. Write them with "
                "'compassion-study sheets --round round-1 --coders NAME,NAME', send them to the coders, and put "
                f"the returned files in {paths.relative(paths.coding)}/round-1/")
    if stage in ("agreement", "consensus"):
        if not paths.rounds.is_file():
            return waiting_for(paths, "import") or "the import of the returned coding workbooks"
        return _coding_state(paths)
    if stage == "analysis":
        if not paths.consensus.is_file():
            return waiting_for(paths, "consensus") or "the consensus"
        return None
    return None


def section_waiting(paths: Paths, needs: tuple[str, ...]) -> str:
    """What a report section that needs the processed files ``needs`` is waiting for."""
    producer = {"units": "ingest", "codings": "import", "rounds": "import", "consensus": "consensus"}
    for need in needs:
        stage = producer.get(need, "agreement" if need.startswith("agreement") else "analysis")
        reason = waiting_for(paths, stage)
        if reason:
            return reason
    return "its inputs (run 'compassion-study run')"


def stale_outputs(paths: Paths, stage: str) -> list:
    """Processed files of ``stage`` that exist (to be removed while the stage waits)."""
    out = []
    for name in OUTPUTS.get(stage, ()):
        if name == "findings":
            out.extend(sorted(paths.processed.glob("findings_*.csv")))
        elif name == "memos":
            out.append(paths.processed / "memos.csv")
        else:
            out.append(getattr(paths, name))
    return [p for p in out if p.is_file()]
