"""The ``compassion-study`` command line: one subcommand per stage, and ``run``.

Bad input ends in one clear message on stderr and exit status 1 (2 for a
wrong command line), never a traceback.  Progress goes to stderr, results to
stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .errors import InputError
from .paths import ENV_VAR, Paths

PROG = "compassion-study"


def say(message: str) -> None:
    """Progress for people, on stderr so stdout stays machine-readable."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- stages


def cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from . import ingest

    units = ingest.ingest(args.notes or None, out=args.out, paths=paths)
    out = args.out or paths.units
    say(f"ingest: {len(units)} comment units from {units['source'].nunique()} notes file(s) -> {out}")
    return 0


def cmd_figures(args: argparse.Namespace, paths: Paths) -> int:
    from . import figures

    written = figures.write_all(paths)
    say(f"figures: {len(written)} files -> {paths.relative(paths.figures)}/")
    return 0


def cmd_report(args: argparse.Namespace, paths: Paths) -> int:
    from . import report

    params = report.parameters_json(args.parameters) if args.parameters else None
    say("report: executing notebooks and rendering HTML…")
    out = report.build(paths, parameters=params, pdf=args.pdf)
    say(f"report: {paths.relative(out)}")
    return 0


def cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    """Every stage, in order, on the bundled (or given) data."""
    steps: list[tuple[str, Callable[[], int]]] = [
        ("ingest", lambda: cmd_ingest(argparse.Namespace(notes=None, out=None), paths)),
        ("figures", lambda: cmd_figures(args, paths)),
        ("report", lambda: cmd_report(argparse.Namespace(parameters=args.parameters, pdf=args.pdf), paths)),
    ]
    for i, (name, step) in enumerate(steps, start=1):
        say(f"[{i}/{len(steps)}] {name}")
        status = step()
        if status:
            return status
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Reproducible qualitative evaluation of compassionate-leadership workshops.",
        epilog=f"The project folder is --root, else ${ENV_VAR}, else this checkout.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", help="project folder holding data/raw/ (default: this checkout)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("ingest", help="workshop notes -> data/processed/units.csv",
                       description="Split workshop notes (.txt, .md, .docx) into comment units.")
    p.add_argument("notes", nargs="*", help="notes files or folders (default: data/raw/notes/)")
    p.add_argument("--out", help="output CSV (default: data/processed/units.csv)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("figures", help="processed data -> reports/figures/*.png|svg")
    p.set_defaults(func=cmd_figures)

    for name, func, text in (("report", cmd_report, "execute the notebooks -> reports/report.html"),
                             ("run", cmd_run, "run every stage on the bundled data and write the report")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--parameters", "-p", metavar="JSON", help="notebook parameters as a JSON object, e.g. '{\"seed\": 7}'")
        p.add_argument("--pdf", action="store_true", help="also print reports/report.pdf with headless Chromium")
        p.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``compassion-study``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        paths = Paths.from_root(args.root)
        return args.func(args, paths)
    except InputError as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        return 1
    except (RuntimeError, PermissionError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"{PROG}: error:{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
