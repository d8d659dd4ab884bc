"""``data/processed/manifest.json``: what every output was built from.

Each stage calls :func:`record` with its inputs, outputs and parameters.  The
manifest holds paths (relative to the project root), SHA-256 hashes, the
codebook version, parameters and seeds, and the versions of Python, this
package and its main dependencies.  It holds no wall-clock time, so a re-run
on the same inputs writes the same bytes.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from . import files
from .paths import Paths

#: Distributions whose versions can change a result.
MAIN_DEPENDENCIES = (
    "numpy", "pandas", "scipy", "nltk", "matplotlib", "XlsxWriter", "odfpy", "python-docx",
    "PyYAML", "nbclient", "nbconvert", "nbformat", "jupytext", "papermill", "ipykernel",
)


def versions() -> dict[str, str]:
    """Versions of Python, this package and :data:`MAIN_DEPENDENCIES`."""
    out = {"python": platform.python_version()}
    for name in ("compassion_study", *MAIN_DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def file_entries(paths: Paths, items: Iterable[str | Path]) -> list[dict[str, str]]:
    """``[{"path", "sha256"}]`` for existing files, sorted by path."""
    entries = [
        {"path": paths.relative(p), "sha256": files.sha256(p)}
        for p in items
        if Path(p).is_file()
    ]
    return sorted(entries, key=lambda e: e["path"])


def load(paths: Paths) -> dict[str, Any]:
    """The current manifest, or an empty one if there is none (or it is unreadable)."""
    try:
        data = json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"stages": {}}
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        return {"stages": {}}
    return data


def check(paths: Paths) -> list[str]:
    """Outputs that no longer match the manifest: missing, changed since their stage recorded them, or older than their data.

    Each stage writes its outputs first and records them last, so a stage
    stopped in between (a crash, a kill) or a file edited by hand shows up
    here on the next run.
    """
    problems = []
    mine = (paths.relative(paths.processed) + "/", paths.relative(paths.reports) + "/")
    for stage, entry in sorted(load(paths).get("stages", {}).items()):
        if ":" in stage:  # exports (sheets:<round>, consensus-export:<round>) are snapshots sent away, not rebuilt
            continue
        for item in entry.get("inputs", []):
            path = paths.root / item["path"]
            if item["path"].startswith(mine[0]) and path.is_file() and files.sha256(path) != item["sha256"]:
                problems.append(f"{stage} is older than {item['path']} (built from an earlier version of it)")
        for item in entry.get("outputs", []):
            if not item["path"].startswith(mine):  # workbooks in exports/ are sent away; that is normal
                continue
            path = paths.root / item["path"]
            if not path.is_file():
                problems.append(f"{item['path']} ({stage}): missing")
            elif files.sha256(path) != item["sha256"]:
                problems.append(f"{item['path']} ({stage}): changed since {stage} recorded it")
    return problems


def forget(paths: Paths, stage: str) -> None:
    """Drop ``stage`` from the manifest (its outputs were removed because it cannot run yet)."""
    manifest = load(paths)
    if manifest["stages"].pop(stage, None) is not None:
        files.write_text(paths.manifest, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def record(
    paths: Paths,
    stage: str,
    *,
    inputs: Iterable[str | Path] = (),
    outputs: Iterable[str | Path] = (),
    parameters: Mapping[str, Any] | None = None,
    codebook_version: str | None = None,
    recorded_inputs: Iterable[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """Record one stage's run in the manifest (atomically) and return the entry.

    ``recorded_inputs`` are inputs as an earlier run read them (``{"path", "sha256"}``, the path relative to the
    root): what the stage's output still holds from them, e.g. the coders an import of one file kept.  A path
    also in ``inputs`` is listed once, with its hash now.
    """
    manifest = load(paths)
    listed = file_entries(paths, inputs)
    have = {e["path"] for e in listed}
    for item in recorded_inputs:
        if str(item["path"]) not in have:
            have.add(str(item["path"]))
            listed.append({"path": str(item["path"]), "sha256": str(item["sha256"])})
    entry: dict[str, Any] = {
        "inputs": sorted(listed, key=lambda e: e["path"]),
        "outputs": file_entries(paths, outputs),
        "parameters": dict(parameters or {}),
    }
    if codebook_version is not None:
        entry["codebook_version"] = codebook_version
    manifest["stages"][stage] = entry
    manifest["versions"] = versions()
    files.write_text(paths.manifest, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return entry


# --------------------------------------------------------------------------- skipping unchanged stages

#: Processed files each skippable stage, or a stage after it, writes: never part of that stage's fingerprint
#: (they are its results, not its inputs). Every other processed CSV counts as an input, which is
#: conservative: a stage re-runs when anything that could have fed it changed.
_DOWNSTREAM = {
    "agreement": ("agreement_", "disagreements", "consensus", "findings_"),
    "analysis": ("findings_",),
    "figures": (),
}
#: Stages that ``run`` skips when their fingerprint and outputs are unchanged: the costly ones (agreement
#: grows with units x resamples, the analysis bootstraps shares, figures draw and save every chart).
SKIPPABLE = tuple(_DOWNSTREAM)
#: Where the fingerprints are kept: beside the manifest, not in it, so that the manifest (and the
#: report's provenance table built from it) stays byte-identical to a build that never skipped.
_FINGERPRINTS = ".run-fingerprints.json"


def _source_digest() -> str:
    """SHA-256 of this package's code and templates: a changed module (an editable install) re-runs every stage."""
    import hashlib

    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".j2", ".css", ".json", ".txt") and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(paths: Paths, stage: str, parameters: Mapping[str, Any] | None = None) -> str:
    """A digest of everything ``stage`` could read: ``study.yaml``, the codebooks, the processed tables of
    earlier stages, ``parameters``, the package's code and the dependencies' versions.

    Parameters
    ----------
    paths : Paths
    stage : str
        One of :data:`SKIPPABLE`.
    parameters : mapping, optional
        The options the stage is run with (JSON-serialisable), e.g. resamples and seed.
    """
    import hashlib

    later = _DOWNSTREAM[stage]
    inputs = [paths.study_file, *sorted(paths.codebooks.glob("*")),
              *sorted(p for p in paths.processed.glob("*.csv") if not p.name.startswith(later))]
    payload = {"stage": stage, "inputs": file_entries(paths, inputs), "parameters": dict(parameters or {}),
               "code": _source_digest(), "versions": versions()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _fingerprints(paths: Paths) -> dict[str, str]:
    try:
        data = json.loads((paths.processed / _FINGERPRINTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unchanged(paths: Paths, stage: str, digest: str) -> bool:
    """True if ``stage`` last ran on inputs with this ``digest`` and its recorded outputs are all there, unedited.

    Outputs are checked by hash against the manifest, so a deleted or edited
    result (or one a stopped run left half-written) makes the stage run again.
    """
    if _fingerprints(paths).get(stage) != digest:
        return False
    entry = load(paths).get("stages", {}).get(stage)
    if not entry or not entry.get("outputs"):
        return False
    for item in entry["outputs"]:
        path = paths.root / item["path"]
        if not path.is_file() or files.sha256(path) != item["sha256"]:
            return False
    return True


def remember(paths: Paths, stage: str, digest: str | None) -> None:
    """Store (or with ``None`` drop) ``stage``'s fingerprint after it ran (or when it must run next time)."""
    data = _fingerprints(paths)
    if digest is None:
        if data.pop(stage, None) is None:
            return
    else:
        data[stage] = digest
    files.write_text(paths.processed / _FINGERPRINTS, json.dumps(data, indent=2, sort_keys=True) + "\n")
