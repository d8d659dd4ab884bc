"""The ``compassion-study`` command line: one subcommand per stage, and ``run``.

Bad input ends in one clear message on stderr and exit status 1 (2 for a
wrong command line), never a traceback.  Progress goes to stderr, results to
stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from collections.abc import Callable, Sequence

from . import __version__
from .errors import InputError
from .paths import ENV_VAR, Paths

PROG = "compassion-study"


@contextlib.contextmanager
def study_lock(paths: Paths):
    """Hold an exclusive lock on the study folder so that two commands cannot interleave their writes.

    The lock is ``flock`` on the folder itself (no lock file to leave behind
    or to mistake for data); the system releases it when a process ends,
    however it ends.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; run one command at a time
        yield
        return
    fd = os.open(paths.root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{paths.root}: another compassion-study command is working on this study; "
                             "wait for it to finish, then run again") from None
        except OSError:  # a file system without flock on folders (NFS): work unlocked, as before locks
            pass
        yield
    finally:
        os.close(fd)


def say(message: str) -> None:
    """Progress for people, on stderr so stdout stays machine-readable."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- stages


def cmd_init(args: argparse.Namespace, paths: Paths | None) -> int:
    from . import study

    folder = Path(args.folder)
    written = study.init(folder, args.title)
    say(f"init: new study in {folder.resolve()} ({len(written)} files)")
    print(f"""Next steps:
  1. put the workshop notes (.txt, .md or .docx, one file per session) in {folder / 'data/raw/notes'}/
  2. describe the study in {folder / 'study.yaml'} (title, organisation, dates, governance, ...)
  3. cd {folder} && compassion-study run        # units, then the report so far
  4. compassion-study sheets --round round-1 --coders NAME,NAME   # workbooks for the coders
See {folder / 'README.md'} for the whole study, step by step.""")
    return 0


def _table_mapping(args: argparse.Namespace, paths: Paths):
    """The comment-table columns named on the command line, else those in study.yaml."""
    from .comment_tables import Mapping
    from .study import load

    given = Mapping(text=tuple(getattr(args, "text", None) or ()), prompt=getattr(args, "prompt", None) or "",
                    theme=getattr(args, "theme", None) or "", section=getattr(args, "section", None) or "")
    if given and not given.text:
        raise InputError("--prompt, --theme and --section need --text COL: the column(s) holding the comments")
    return given or load(paths).comment_tables


def cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from . import ingest

    mapping = _table_mapping(args, paths)
    if getattr(args, "explain", False) or getattr(args, "to_markdown", False):
        units, log = ingest.read_notes_logged(args.notes or [paths.notes], mapping)
        if args.to_markdown:
            if units["source"].nunique() != 1:
                raise InputError("--to-markdown: name one notes file (its outline is printed as Markdown)")
            print(ingest.to_markdown(units, log), end="")  # lines in no unit kept as <!-- skipped: … --> lines
        else:
            print(ingest.outline(units), end="")
        for warning in ingest.unaccounted(log):  # the same warnings as ingest, on stderr beside the outline
            say(f"warning: {warning}")
        return 0
    units = ingest.ingest(args.notes or None, out=args.out, paths=paths, strict=getattr(args, "strict", False),
                          mapping=mapping)
    log = units.attrs["log"]
    for warning in ingest.unaccounted(log):
        say(f"warning: {warning}")
    roles = log["role"].value_counts()
    not_units = ", ".join(f"{roles[r]} {r}" for r in ingest.ROLES if r not in ("unit", "continuation") and r in roles)
    out = args.out or paths.units
    empty = int((ingest.unplaced(log)["role"] != "skipped").sum())  # headings with no comment under them
    say(f"ingest: {len(units)} comment units from {units['source'].nunique()} file(s) -> {out}; "
        f"{len(log) - int(roles.get('unit', 0)) - int(roles.get('continuation', 0))} other lines or cells ({not_units}), "
        f"{int(roles.get('skipped', 0))} skipped" + (f", {empty} heading(s) with no comment under them" if empty else ""))
    return 0


def cmd_codebook(args: argparse.Namespace, paths: Paths) -> int:
    from . import codebook
    from .ingest import read_units

    if args.action == "export":
        from . import qda

        out = qda.export_codebook(paths, args.file, args.out, args.format)
        print(out)
        say(f"codebook: {paths.relative(out)} " + ("(REFI-QDA codebook exchange; open it in NVivo, ATLAS.ti, MAXQDA "
                                                   "or QualCoder)" if args.format == "qdc" else "(Word, for coder training)"))
        return 0
    if args.action == "import":
        from . import qda

        out, notes = qda.import_codebook(paths, args.file, args.out)
        print(out)
        for note in notes:
            say(f"codebook import: {note}")
        say(f"codebook import: {paths.relative(out)} written; {len(notes)} thing(s) to finish by hand (listed above "
            "and at the top of the file); 'compassion-study codebook check FILE' says when it is complete")
        return 0
    if args.action == "diff":
        old, new = codebook.load(args.old), codebook.load(args.new)
        changes = codebook.diff(old, new)
        print(f"codebook diff {old.full_version} -> {new.full_version}")
        if changes.empty:
            print("no changes")
        for row in changes.itertuples(index=False):
            if row.change == "changed":
                print(f"changed  {row.code_id}.{row.field}:\n  - {row.old}\n  + {row.new}")
            else:
                print(f"{row.change:<8} {row.code_id}")
        return 0
    units = read_units(paths.units) if paths.units.is_file() else None
    targets = [args.file] if args.file else codebook.available(paths)
    if not targets:
        raise InputError(f"{paths.relative(paths.codebooks)}: no codebook YAML files found")
    for target in targets:
        book = codebook.load(target, units)
        if args.action == "show":
            print(book.table().to_csv(index=False), end="")
        say(f"codebook: {paths.relative(target)} is valid: {len(book.ids)} codes, version {book.full_version}"
            + ("" if units is not None else " (examples not checked against this study's units: no units.csv yet)"))
    return 0


def cmd_sheets(args: argparse.Namespace, paths: Paths) -> int:
    from . import sheets

    if args.reissue:
        ignored = [flag for flag, given in (("--coders", args.coders), ("--shared", args.shared),
                                            ("--sample", args.sample is not None), ("--seed", args.seed),
                                            ("--codebook", args.codebook), ("--illustrative", args.illustrative),
                                            ("--replace", args.replace)) if given]
        if ignored:
            raise InputError(f"sheets: --reissue {args.reissue} writes that coder's workbook again from the round's "
                             f"own assignment and codebook, so {', '.join(ignored)} would be ignored; leave "
                             f"{'it' if len(ignored) == 1 else 'them'} out (to change the round's coders or sample, "
                             "export it again with --coders … --replace)")
        path = sheets.reissue(paths, args.round, args.reissue, out=args.out)
        print(path)
        say(f"sheets: re-issued {args.reissue}'s workbook for round {args.round} (same units, same codebook); "
            "the round's assignment and other workbooks are unchanged")
        return 0
    if not args.coders:
        raise InputError("sheets: name the coders with --coders NAME,NAME (or re-issue one coder's workbook with "
                         "--reissue NAME)")
    coders = [c.strip() for c in args.coders.split(",") if c.strip()]
    written = sheets.export(paths, args.round, coders, shared=args.shared, sample=args.sample, seed=args.seed,
                            out=args.out, codebook_version=args.codebook, illustrative=args.illustrative,
                            replace=args.replace)
    for path in written:
        print(path)
    say(f"sheets: {len(written) - 1} workbook(s) for round {args.round}; put the returned files in "
        f"{paths.relative(paths.coding_round(args.round))}/ (make the folder if it is not there)")
    return 0


def cmd_import(args: argparse.Namespace, paths: Paths) -> int:
    from . import sheets

    # QDA projects only ('run' calls this without them: every project's roster is its users)
    coders = args.coders.split(",") if getattr(args, "coders", None) else None
    overlap = getattr(args, "overlap", "any")
    coder_from = getattr(args, "coder_from", None)

    if getattr(args, "check", False):
        result = sheets.check_codings(args.paths or None, round_=args.round, paths=paths,
                                      coders=coders, overlap=overlap, coder_from=coder_from)
        for warning in result.warnings:
            say(f"warning: {warning}")
        if result.problems:
            raise InputError(result.problems, summary=f"import --check: {len(result.problems)} problem(s); "
                                                      "the import would be rejected:")
        detail = ", ".join(f"{r['round']}/{r['coder']}: {r['units_coded']} of {r['units_assigned']} units coded"
                           for r in result.rounds)
        say(f"import --check: the files would import ({detail}); nothing was written")
        return 0
    # the table itself is not needed here, only its size
    _, n_rows, warnings = sheets._import(args.paths or None, args.round, paths, coders, overlap, coder_from)
    for warning in warnings:
        say(f"warning: {warning}")
    rounds = sheets.read_rounds(paths)
    detail = ", ".join(f"{r.round}/{r.coder}: {r.units_coded} of {r.units_assigned} units coded"
                       for r in rounds.itertuples())
    say(f"import: {n_rows} coding rows ({detail}) -> {paths.relative(paths.codings)}")
    return 0


def cmd_coding_status(args: argparse.Namespace, paths: Paths) -> int:
    from . import sheets

    table = sheets.coding_status(paths, args.round)
    if table.empty:
        say("status: no coding round exported or imported yet" + (f" for round {args.round}" if args.round else ""))
        return 0
    shown = table.assign(sha256=table["sha256"].str[:12]).astype(object).where(table.notna(), "").astype(str)
    print(shown.to_string(index=False))
    return 0


def cmd_agreement(args: argparse.Namespace, paths: Paths) -> int:
    import json

    from . import agreement

    if args.ratings is None:
        from . import study

        settings = study.load(paths)
        out = agreement.run(paths, n_boot=args.bootstrap if args.bootstrap is not None else settings.resamples,
                            seed=args.seed if args.seed is not None else settings.seed)
        n = len(out["by_code"]["code_id"].unique()) if len(out["by_code"]) else 0
        say(f"agreement: {n} codes, {len(out['disagreements'])} disagreement cells -> {paths.relative(paths.processed)}/agreement_*.csv")
        return 0
    if args.multilabel_sep is not None and not args.multilabel_sep.strip():
        raise InputError("--multilabel-sep: give the character(s) that separate labels, e.g. '|'")
    categories = _list_option(args.categories, "--categories") if args.categories else None
    missing = _list_option(args.missing, "--missing") if args.missing else ()
    weights = args.weights
    named = weights in (None, *agreement.WEIGHTS)
    if not named:
        if Path(weights).suffix.lower() not in (".csv", ".tsv", ".txt"):
            raise InputError(f"--weights {weights}: use one of {', '.join(agreement.WEIGHTS)}, or a CSV file of weights")
        # a CSV of custom weights names the categories: they are the category set unless --categories is given
        categories, weights = agreement.read_weights_csv(weights, categories)
    if categories is not None:
        numeric, why = False, ""
    elif args.level in ("interval", "ratio"):
        numeric, why = True, f"level '{args.level}' needs numbers"
    elif args.level == "ordinal" or weights not in (None, "identity"):
        numeric, why = True, "ordered categories are needed: numbers, or their order given with --categories"
    else:
        numeric, why = False, ""
    data = agreement.read_ratings_csv(args.ratings, args.unit, args.coder, args.value,
                                      numeric=numeric and args.multilabel_sep is None, missing=missing,
                                      categories=categories, why=why, shape=args.shape,
                                      decimal_comma=args.decimal_comma, sets=args.multilabel_sep is not None)
    table, per_category, pairs = agreement.agreement_table(
        data, args.unit, args.coder, args.value, level=args.level, weights=weights, categories=categories,
        distance=args.distance, multilabel_sep=args.multilabel_sep, n_boot=args.bootstrap or 0, seed=args.seed or 0,
        label=Path(args.ratings).name, ci=args.ci_level, details=True)
    name = agreement.weights_name(args.weights if named else "custom")
    if args.json:
        level = args.level if not args.multilabel_sep else f"sets ({args.distance or 'masi'})"
        extra = {"weights": name, "ci_level": args.ci_level}
        if categories is not None:
            extra["categories"] = list(categories)
        if len(per_category):
            extra["per_category"] = [
                {"category": c if isinstance(c, (int, float)) else str(c), "share": sh, "p_o": _num(po),
                 "p_e": _num(pe), "kappa": _num(k), "ci": None if lo != lo else [lo, hi], "z": _num(z),
                 "p_value": _num(p), "note": note or None}
                for c, sh, po, pe, k, lo, hi, z, p, note in per_category.itertuples(index=False)]
        if len(pairs):
            extra["pairwise"] = [{"coder_a": str(a), "coder_b": str(b), "n_units": n, "percent_agreement": _num(p),
                                  "cohen_kappa": _num(k)} for a, b, n, p, k in pairs.itertuples(index=False)]
            extra["light_kappa"] = _num(pairs.attrs["light_kappa"])
        print(json.dumps(agreement.as_json(table, level, extra), indent=2, ensure_ascii=False))
    elif args.csv:
        from . import files

        sys.stdout.write(files.csv_bytes(table.assign(weights=name or "", ci_level=args.ci_level, input_note="; ".join(
            table.attrs.get("input_notes", [])))).decode("utf-8"))
    else:
        show = table[["coefficient", "estimate", "se", "se_ci_low", "se_ci_high", "p_value", "ci_low", "ci_high",
                      "interpretation", "note"]].rename(columns={
            "se_ci_low": "t_low", "se_ci_high": "t_high", "p_value": "p", "ci_low": "boot_low", "ci_high": "boot_high"})
        if not table["n_boot"].iloc[0]:
            show = show.drop(columns=["boot_low", "boot_high"])
        print(show.to_string(index=False, na_rep="", formatters={"p": lambda v: "" if v != v else f"{v:.2g}"},
                             float_format=lambda v: f"{v:.4f}"))
        if table.attrs.get("fleiss_null"):
            f = table.attrs["fleiss_null"]
            print(f"\nFleiss' (1971) test of no agreement beyond chance: se0 {f['se']:.4f}, z {f['z']:.2f}, "
                  f"p {f['p_value']:.2g}")
        if table.attrs.get("alpha_below"):
            print("\nProbability that alpha is below a minimum (bootstrap, Hayes & Krippendorff 2007): " + ", ".join(
                f"{m:g}: {q:.3f}" for m, q in table.attrs["alpha_below"].items()))
        if len(per_category):
            print("\nPer category (Fleiss' kappa of each category against the rest, unweighted):")
            print(per_category.drop(columns="note").to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4f}"))
        if len(pairs) > 1:
            light = pairs.attrs["light_kappa"]
            print(f"\nPairs of coders{f' ({name}-weighted)' if name else ''}; Light's kappa, their mean Cohen's kappa: "
                  f"{'undefined' if light != light else f'{light:.4f}'}")
            print(pairs.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4f}"))
        first = table.iloc[0]
        print(f"\n{first['n_units']} units, {first['n_coders']} coders, {first['n_ratings']} ratings "
              f"({first['n_pairable_units']} units pairable)"
              + (f"; {name} weights" if name else f"; Krippendorff's alpha: {args.level}" if not args.multilabel_sep
                 else f"; Krippendorff's alpha: sets of codes ({args.distance or 'masi'})")
              + f"; {args.ci_level * 100:g}% t-intervals (t_low, t_high)"
              + (f"; {args.ci_level * 100:g}% bootstrap CIs from {first['n_boot']} resamples" if first["n_boot"] else ""))
        for note in table.attrs.get("input_notes", []):
            print(f"Note: {note}")
    return 0


def _num(value) -> float | None:
    """A float for JSON, None for NaN."""
    return None if value is None or value != value else float(value)


def _list_option(text: str, option: str) -> list[str]:
    """A comma-separated option value as a list (items trimmed, none empty, none twice)."""
    items = [t.strip() for t in text.split(",")]
    if any(not t for t in items) or len(set(items)) < len(items):
        raise InputError(f"{option} {text!r}: give distinct values separated by commas, e.g. {option} low,medium,high")
    return items


def _ci_level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a level between 0 and 1, e.g. 0.95")
    return value


def cmd_consensus(args: argparse.Namespace, paths: Paths) -> int:
    from . import consensus

    if args.action == "export":
        out = consensus.export(paths, args.round, out=args.out, illustrative=args.illustrative)
        print(out)
        say(f"consensus: adjudication workbook for {args.round}; return it to {paths.relative(paths.consensus_raw)}/")
        return 0
    final = consensus.run(paths, args.paths or None, round_=args.round)
    for text in final.attrs.get("warnings", []):
        say(f"warning: {text}")
    say(f"consensus: {consensus.status_note(final)} -> {paths.relative(paths.consensus)}")
    return 0


def cmd_analyse(args: argparse.Namespace, paths: Paths) -> int:
    from . import analysis

    out = analysis.run(paths, barriers=args.barriers, enablers=args.enablers)
    say(f"analysis: {len(out)} tables -> {paths.relative(paths.processed)}/findings_*.csv")
    if analysis.compared(paths) is None:
        from .ingest import read_units

        parts = "; ".join(dict.fromkeys(analysis.part(read_units(paths.units))))
        say(f"analysis: no parts of the notes compared; to compare two, name them under 'compare' in study.yaml "
            f"(the parts are: {parts})")
    return 0


def cmd_figures(args: argparse.Namespace, paths: Paths) -> int:
    from . import figures

    written = figures.write_all(paths)
    say(f"figures: {len(written)} files -> {paths.relative(paths.figures)}/")
    return 0


def cmd_export(args: argparse.Namespace, paths: Paths) -> int:
    from . import qda

    out = qda.export_project(paths, args.out, with_consensus=not args.no_consensus)
    print(out)
    say(f"export: {paths.relative(out)} (REFI-QDA project: coders, codebook, one source per notes file"
        + ("" if args.no_consensus else ", the consensus coding as coded selections") + ")")
    return 0


def cmd_framework(args: argparse.Namespace, paths: Paths) -> int:
    from . import framework

    if args.action == "export":
        out = framework.export(paths, args.out)
        print(out)
        say(f"framework-matrix: {paths.relative(out)}; analysts write the summary columns and return it to "
            f"{paths.relative(paths.framework_raw)}/")
        return 0
    summaries = framework.import_(paths, args.paths or None)
    say(f"framework-matrix: {len(summaries)} summaries -> {paths.relative(paths.framework_summaries)}")
    return 0


def cmd_report(args: argparse.Namespace, paths: Paths) -> int:
    from . import report

    params = report.parameters_json(args.parameters) if args.parameters else None
    report.check_parameters(paths, report.NOTEBOOKS, params)
    say("report: executing notebooks and rendering HTML…")
    out = report.build(paths, parameters=params, pdf=args.pdf)
    say(f"report: {paths.relative(out)}")
    say(f"report: {paths.relative(paths.report_docx)} (Word)")
    if args.pdf:
        say(f"report: {paths.relative(paths.report_pdf)}" if paths.report_pdf.is_file()
            else "report: no PDF printed (Chromium is not installed)")
    return 0


def cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    """Every stage, in order; a stage that cannot run yet says what it is waiting for.

    The costly stages (:data:`provenance.SKIPPABLE`: agreement, analysis,
    figures) are skipped when nothing they read has changed since they last
    ran and their outputs are still the ones recorded
    (:func:`provenance.unchanged`): a re-run then writes the same bytes it
    would have written, in a fraction of the time.  ``--rebuild`` runs them
    all.  The report is always built.
    """
    from . import files, status, study

    settings = study.load(paths)
    boot = args.bootstrap if args.bootstrap is not None else settings.resamples
    seed = args.seed if args.seed is not None else settings.seed
    compare = settings.compare or (None, None)
    say(f"study: {paths.root} ({settings.title})")
    from . import provenance, report

    if args.parameters:  # a typo in a parameter is found before seven stages run, not at the report
        report.check_parameters(paths, report.NOTEBOOKS, report.parameters_json(args.parameters))

    for folder in (paths.processed, paths.reports, paths.exports):
        files.remove_leftovers(folder)  # unfinished writes of a stopped run (we hold the study's lock)
    report.sweep_temporary()  # kernel and browser folders a killed run left in the temporary folder
    stale = provenance.check(paths)
    if stale:
        say(f"warning: {len(stale)} output(s) do not match data/processed/manifest.json (an earlier run was stopped, "
            "or a file was edited); this run rebuilds them: " + "; ".join(stale[:5]) + (" …" if len(stale) > 5 else ""))
    steps: dict[str, Callable[[], int]] = {
        "ingest": lambda: cmd_ingest(argparse.Namespace(notes=None, out=None), paths),
        "codebook": lambda: cmd_codebook(argparse.Namespace(action="check", file=None), paths),
        "import": lambda: cmd_import(argparse.Namespace(paths=None, round=None), paths),
        "agreement": lambda: cmd_agreement(argparse.Namespace(ratings=None, bootstrap=boot, seed=seed), paths),
        "consensus": lambda: cmd_consensus(argparse.Namespace(action="import", paths=None, round=None), paths),
        "analysis": lambda: cmd_analyse(argparse.Namespace(barriers=compare[0], enablers=compare[1]), paths),
        "figures": lambda: cmd_figures(args, paths),
        "report": lambda: cmd_report(argparse.Namespace(parameters=args.parameters, pdf=args.pdf), paths),
    }
    waiting, last = 0, ("", "")
    for i, name in enumerate(status.STAGES, start=1):
        reason = status.waiting_for(paths, name)
        if reason is not None:
            if name == "ingest":
                raise InputError(f"{paths.relative(paths.notes)}/: no notes files yet; put the workshop notes "
                                 "(.txt, .md or .docx, one file per session) there and run again")
            waiting += 1
            # a stage waiting for the same thing as the one before it says so briefly
            said = f"needs {last[0]} first" if reason == last[1] else f"waiting for {reason}"
            say(f"[{i}/{len(status.STAGES)}] {name}: not yet, {said}")
            last = (name, reason)
            for stale in status.stale_outputs(paths, name):
                files.remove(stale)  # an older run's result must not pass for this one's
            provenance.forget(paths, name)
            provenance.remember(paths, name, None)
            continue
        digest = None
        if name in provenance.SKIPPABLE:
            digest = provenance.fingerprint(paths, name, {"bootstrap": boot, "seed": seed, "compare": list(compare)})
            if not getattr(args, "rebuild", False) and provenance.unchanged(paths, name, digest):
                say(f"[{i}/{len(status.STAGES)}] {name}: up to date (inputs and outputs unchanged)")
                continue
            provenance.remember(paths, name, None)  # a run stopped inside the stage must not pass for a finished one
        say(f"[{i}/{len(status.STAGES)}] {name}")
        code = steps[name]()
        if code:
            return code
        if digest is not None:
            provenance.remember(paths, name, digest)
        if name == "ingest" and settings.compare:  # a misnamed part is found now, not after coding
            from .analysis import part
            from .ingest import read_units

            parts = set(part(read_units(paths.units)))
            for role, value in zip(("barriers", "enablers"), settings.compare):
                if value not in parts:
                    say(f"warning: study.yaml › compare › {role}: part '{value}' is not in the notes "
                        f"(parts: {'; '.join(sorted(parts))})")
    for text in status.outstanding(paths):  # every stage ran, but not on every coder's work
        say(f"coding still out: {text}")
    if waiting:
        say(f"done: {waiting} stage(s) waiting (listed above and in the report)")
    return 0


# --------------------------------------------------------------------------- parser


def _count(text: str) -> int:
    """A whole number from 0 to 2**32 - 1 (resamples, seeds), for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 to {2**32 - 1}")
    return value


ROOT_HELP = f"the study folder (default: ${ENV_VAR}, else the nearest folder with study.yaml, upwards)"


class _Sub:
    """A subparsers action whose parsers all accept the common options (``--root``)."""

    def __init__(self, action, common: argparse.ArgumentParser):
        self.action, self.common = action, common

    def add_parser(self, name, **kwargs):
        return self.action.add_parser(name, parents=[self.common], **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Reproducible qualitative evaluation of compassionate-leadership workshops.",
        epilog=f"Every command works on one study: --root DIR, else ${ENV_VAR}, else the nearest folder "
               "holding study.yaml at or above the current folder. Start one with 'init'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    # --root is accepted after the subcommand too; SUPPRESS keeps an earlier value
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", metavar="DIR", default=argparse.SUPPRESS, help=ROOT_HELP)
    sub = _Sub(parser.add_subparsers(dest="command", metavar="COMMAND", required=True), common)

    p = sub.add_parser("init", help="create a new study folder",
                       description="Create a study: study.yaml, data/raw/{notes,codebook,coding,consensus}/, the "
                                   "compassionate-leadership framework codebook, the report's notebooks and a README.")
    p.add_argument("folder", help="the new study's folder (new or empty)")
    p.add_argument("--title", help="the study's title (shown on the report; default 'Workshop evaluation')")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("ingest", help="workshop notes and comment tables -> data/processed/units.csv",
                       description="Split workshop notes (.txt, .md, .docx) into comment units, and read comment "
                                   "tables exported from workshop tools (.csv, .tsv, .xlsx, .ods: Padlet, Microsoft "
                                   "Forms, Mentimeter, Slido, or any table with the columns named below). Columns of "
                                   "names, e-mail addresses, ids and times are never read.")
    p.add_argument("notes", nargs="*", help="notes files, comment tables or folders (default: data/raw/notes/)")
    p.add_argument("--out", help="output CSV (default: data/processed/units.csv)")
    p.add_argument("--strict", action="store_true", help="refuse notes with a line that is in no unit and no heading")
    p.add_argument("--explain", action="store_true", help="print the recovered outline (prompt › section › theme, "
                   "units) instead of writing")
    p.add_argument("--to-markdown", action="store_true", help="print one notes file's outline as canonical Markdown "
                   "(# title, ## prompt, ### section, #### theme, - comment); correct it and use it as the notes")
    p.add_argument("--text", action="append", metavar="COL", help="comment tables: a column holding comments; "
                   "repeat for one column per question (its header is then the prompt)")
    p.add_argument("--prompt", metavar="COL", help="comment tables: the column holding each comment's prompt")
    p.add_argument("--theme", metavar="COL", help="comment tables: the column holding each comment's theme")
    p.add_argument("--section", metavar="COL", help="comment tables: the column holding each comment's section")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("codebook", help="check, show or compare codebooks",
                       description="Check codebooks (structure, and that an example citing a unit of this study quotes it), "
                                   "print one as CSV, or compare two.")
    csub = _Sub(p.add_subparsers(dest="action", metavar="ACTION", required=True), common)
    for action, text in (("check", "validate codebook YAML files (default: all in data/raw/codebook/)"),
                         ("show", "validate and print a codebook as CSV")):
        q = csub.add_parser(action, help=text, description=text)
        q.add_argument("file", nargs="?", help="codebook YAML (default: every file in data/raw/codebook/)")
        q.set_defaults(func=cmd_codebook)
    q = csub.add_parser("export", help="write the codebook for QDA programs (.qdc) or for coders (.docx)",
                        description="Write a codebook (default: the study's current one) in the REFI-QDA Codebook "
                                    "Exchange format, for NVivo, ATLAS.ti, MAXQDA and QualCoder (qdc), or as a Word "
                                    "document for coder training (docx).")
    q.add_argument("file", nargs="?", help="codebook YAML (default: the study's current codebook)")
    q.add_argument("--format", choices=["qdc", "docx"], default="qdc", help="qdc (default) or docx")
    q.add_argument("--out", help="file to write (default: exports/codebook/NAME-VERSION.FORMAT)")
    q.set_defaults(func=cmd_codebook)
    q = csub.add_parser("import", help="read a REFI-QDA .qdc codebook into codebook YAML",
                        description="Read a codebook exported by a QDA program (.qdc) into this package's YAML, "
                                    "listing what it could not carry.")
    q.add_argument("file", help="the .qdc file")
    q.add_argument("--out", help="YAML file to write (default: exports/codebook/NAME.yaml; never data/raw/)")
    q.set_defaults(func=cmd_codebook)
    q = csub.add_parser("diff", help="list codes added, removed and changed (by field) between two codebooks")
    q.add_argument("old")
    q.add_argument("new")
    q.set_defaults(func=cmd_codebook)

    p = sub.add_parser("sheets", help="write coding workbooks for a round",
                       description="Write one .xlsx per coder (blind coding), or one shared workbook with a tab per coder.")
    p.add_argument("--round", required=True, help="round name, e.g. round-1")
    p.add_argument("--coders", help="comma-separated coder names, e.g. alice,bob")
    p.add_argument("--reissue", metavar="CODER", help="write one coder's workbook of an exported round again "
                   "(same units, same codebook; the assignment is not re-drawn)")
    p.add_argument("--shared", action="store_true", help="one workbook with a Coding tab per coder")
    p.add_argument("--sample", type=float, help="fraction double-coded (stratified by prompt); the rest is split among coders")
    p.add_argument("--seed", type=_count, default=0, help="random seed for --sample (default 0)")
    p.add_argument("--codebook", help="codebook version (default: the newest in data/raw/codebook/)")
    p.add_argument("--illustrative", action="store_true", help="label the workbooks as ILLUSTRATIVE example data")
    p.add_argument("--replace", action="store_true", help="replace a round already exported with a different "
                   "assignment (otherwise refused; for one coder's new copy use --reissue CODER)")
    p.add_argument("--out", help="output folder (default: exports/<round>/)")
    p.set_defaults(func=cmd_sheets)

    p = sub.add_parser("import", help="returned workbooks or QDA projects -> data/processed/codings.csv",
                       description="Read returned coding workbooks (.xlsx, .ods, .csv) or REFI-QDA projects (.qdpx), "
                                   "check every cell, write codings.csv.")
    p.add_argument("paths", nargs="*", help="files or folders (default: data/raw/coding/)")
    p.add_argument("--round", help="the round these files belong to (default: their folder name)")
    p.add_argument("--check", action="store_true", help="check the files as the import would, and write nothing")
    p.add_argument("--coders", help="QDA projects (.qdpx): every coder of the round, comma-separated "
                                    "(default: every user who made a coding)")
    p.add_argument("--coder-from", choices=["source", "set"],
                   help="QDA projects where each coder coded their own copy of the notes: the coder is named at "
                        "the end of the document's name (notes_ann, notes (ann)) or is the name of its set")
    p.add_argument("--overlap", choices=["any", "majority"], default="any",
                   help="QDA projects: a coded selection codes a unit it overlaps at all (any, default) or covers "
                        "more than half of (majority)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("status", help="coding rounds: per coder, units assigned, coded, not coded yet, file imported",
                       description="Where each coder of each round stands: units assigned (exports/<round>/"
                                   "assignment.csv), coded and not coded yet (last import), the file imported with "
                                   "its SHA-256, and whether a returned file is waiting to be imported.")
    p.add_argument("--round", help="one round only")
    p.set_defaults(func=cmd_coding_status)

    p = sub.add_parser(
        "agreement", help="inter-coder agreement for the study, or for any ratings table",
        description="Without RATINGS: agreement for data/processed/codings.csv (per code, per pair, overall). "
                    "With RATINGS.csv (one row per unit and coder): every coefficient for that table. "
                    "An empty value is a missing rating, never a category.")
    p.add_argument("ratings", nargs="?", help="a ratings CSV, long by default (other layouts: --shape); "
                   "default: the study's codings")
    p.add_argument("--unit", default="unit", help="unit column (default: unit)")
    p.add_argument("--coder", default="coder", help="coder column (default: coder)")
    p.add_argument("--value", default="value", help="value column (default: value)")
    p.add_argument("--level", default="nominal", choices=["nominal", "ordinal", "interval", "ratio"],
                   help="Krippendorff's alpha level of measurement (default: nominal)")
    p.add_argument("--weights", metavar="SCHEME|FILE.csv",
                   help="agreement weights for every coefficient, alpha included (Gwet 2014): identity, linear, "
                        "quadratic, ordinal, radical, ratio, circular, bipolar, or a CSV of custom weights "
                        "(header and first column name the categories)")
    p.add_argument("--shape", default="long", choices=["long", "wide", "counts", "table"],
                   help="long: a row per unit and coder (default); wide: a row per unit, a column per coder; "
                        "counts: a row per unit, a column per category counting the coders who chose it; "
                        "table: two coders' contingency table")
    p.add_argument("--categories", metavar="A,B,C", help="the categories in their order, unused ones included "
                   "(needed for text labels with --level ordinal or --weights)")
    p.add_argument("--missing", metavar="NA,.,-99", help="values that mean no rating (an empty cell always does)")
    p.add_argument("--ci-level", type=_ci_level, default=0.95, metavar="LEVEL",
                   help="confidence level of the analytic t-intervals and the bootstrap intervals (default: 0.95)")
    p.add_argument("--decimal-comma", action="store_true", help="commas in numbers are decimal points (1,000 = 1.0); "
                   "without it, values such as 1,000 that may hold a thousands separator are refused")
    p.add_argument("--multilabel-sep", metavar="SEP", help="values are sets of labels separated by SEP ({} = empty set)")
    p.add_argument("--distance", choices=["masi", "jaccard"], help="set distance with --multilabel-sep (default: masi)")
    p.add_argument("--bootstrap", type=_count, metavar="N", help="bootstrap resamples of units for CIs "
                   "(study: study.yaml, else 1000; calculator: none)")
    p.add_argument("--seed", type=_count, help="bootstrap random seed (study: study.yaml, else 0; calculator: 0)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object (keys as in docs/agreement.md)")
    out.add_argument("--csv", action="store_true", help="print the tidy table as CSV (a row per coefficient; "
                     "per-category and pairwise tables are in --json)")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("consensus", help="adjudicate disagreements -> data/processed/consensus.csv",
                       description="Export an adjudication workbook of the disputed cells, or import returned ones.")
    csub = _Sub(p.add_subparsers(dest="action", metavar="ACTION", required=True), common)
    q = csub.add_parser("export", help="write the adjudication workbook for a round (disputed cells only)")
    q.add_argument("--round", required=True)
    q.add_argument("--out", help="output .xlsx (default: exports/<round>/<round>_adjudication.xlsx)")
    q.add_argument("--illustrative", action="store_true", help="label the workbook ILLUSTRATIVE")
    q.set_defaults(func=cmd_consensus)
    q = csub.add_parser("import", help="check returned adjudications and write consensus.csv (provisional majority where none)")
    q.add_argument("paths", nargs="*", help="adjudication workbooks (default: data/raw/consensus/)")
    q.add_argument("--round", help="check the workbooks are for this round")
    q.set_defaults(func=cmd_consensus)

    p = sub.add_parser("analyse", aliases=["analyze"], help="frequencies, co-occurrence, text, auto-coder -> findings_*.csv")
    p.add_argument("--barriers", help="part of the notes holding barriers (default: study.yaml's compare › barriers; none: no comparison)")
    p.add_argument("--enablers", help="part holding enablers (default: study.yaml's compare › enablers)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("figures", help="processed data -> reports/figures/*.png|svg")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("framework-matrix", help="Framework Method charting matrix: export it, import the summaries",
                       description="Write the Framework Method charting matrix (cases × codes, the consensus quotes "
                                   "in each cell and a summary column for the analyst), or read returned matrices "
                                   "into data/processed/framework_summaries.csv.")
    csub = _Sub(p.add_subparsers(dest="action", metavar="ACTION", required=True), common)
    q = csub.add_parser("export", help="write exports/framework/framework-matrix.xlsx")
    q.add_argument("--out", help="file to write (never data/raw/)")
    q.set_defaults(func=cmd_framework)
    q = csub.add_parser("import", help="check returned matrices and write framework_summaries.csv")
    q.add_argument("paths", nargs="*", help="returned matrices (default: data/raw/framework/)")
    q.set_defaults(func=cmd_framework)

    p = sub.add_parser("export", help="write the study for QDA programs (REFI-QDA .qdpx project)",
                       description="Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder: the "
                                   "coders as users, the codebook, one plain-text source per notes file and the "
                                   "consensus coding as coded selections.")
    p.add_argument("format", choices=["qdpx"], help="qdpx")
    p.add_argument("--no-consensus", action="store_true", help="leave the consensus coding out")
    p.add_argument("--out", help="file to write (default: exports/STUDY.qdpx; never data/raw/)")
    p.set_defaults(func=cmd_export)

    for name, func, text in (("report", cmd_report, "execute the notebooks -> reports/report.html"),
                             ("run", cmd_run, "run every stage that can run on the study's data, then write the "
                                              "report; stages that cannot run yet say what they are waiting for")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--parameters", "-p", metavar="JSON", help="notebook parameters as a JSON object, e.g. '{\"seed\": 7}'")
        p.add_argument("--pdf", action="store_true", help="also print reports/report.pdf with headless Chromium")
        if name == "run":
            p.add_argument("--rebuild", action="store_true", help="run every stage, also those whose inputs, "
                           "settings and outputs are unchanged since they last ran (skipped otherwise)")
            p.add_argument("--bootstrap", type=_count, metavar="N", help="bootstrap resamples (default: study.yaml, else 1000)")
            p.add_argument("--seed", type=_count, help="bootstrap random seed (default: study.yaml, else 0)")
        p.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``compassion-study``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.func is cmd_init:
            if getattr(args, "root", None):  # the new study is FOLDER; --root names an existing one
                raise InputError(f"--root {args.root}: init makes the study in FOLDER ('compassion-study init "
                                 f"FOLDER'); --root is for commands on an existing study")
            return cmd_init(args, None)
        # the calculator and codebook diff read only the files they are given
        if (args.func is cmd_agreement and args.ratings) or (args.func is cmd_codebook and args.action == "diff"):
            return args.func(args, None)
        paths = Paths.named(args.root)
        with study_lock(paths):
            return args.func(args, paths)
    except InputError as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        return 1
    except (RuntimeError, PermissionError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head or less, which stopped reading: not an error of ours
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
