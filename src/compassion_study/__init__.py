"""compassion_study: reproducible qualitative evaluation of compassionate-leadership workshops.

Stages (one module each, data flowing one way)::

    ingest -> codebook -> sheets -> agreement -> consensus -> analysis -> figures -> report

``narrative`` writes the report's sentences from the processed tables; ``docx_report``
renders the finished report as an editable Word file.

Each stage is a function from files (or DataFrames) to files, reachable from
Python, the ``compassion-study`` command and the notebooks.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("compassion_study")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_STAGES = ("paths", "files", "errors", "provenance", "study", "status", "ingest", "codebook", "sheets", "agreement",
           "consensus", "text", "analysis", "figures", "narrative", "report", "docx_report", "qda", "framework", "cli")


def __getattr__(name: str):
    # Stages load on first use (``cs.figures``), so the command line does not
    # pay for matplotlib or nbconvert when it only ingests notes.
    if name in _STAGES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
