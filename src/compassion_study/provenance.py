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
) -> dict[str, Any]:
    """Record one stage's run in the manifest (atomically) and return the entry."""
    manifest = load(paths)
    entry: dict[str, Any] = {
        "inputs": file_entries(paths, inputs),
        "outputs": file_entries(paths, outputs),
        "parameters": dict(parameters or {}),
    }
    if codebook_version is not None:
        entry["codebook_version"] = codebook_version
    manifest["stages"][stage] = entry
    manifest["versions"] = versions()
    files.write_text(paths.manifest, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return entry
