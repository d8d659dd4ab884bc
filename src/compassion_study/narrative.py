"""Narrative: the report's sentences, written from the study's own tables.

The executive summary, the methods, the limitations, the reporting
checklist and the reference list are generated here from ``study.yaml``, the
codebook and the files in ``data/processed`` — never typed in — so that
every number in the text equals its source CSV and no sentence describes a
workshop the data did not come from.  Functions return plain data (lists of
``(heading, text)`` paragraphs, lists of sentences, DataFrames); rendering
(escaping, HTML, Word) is :mod:`compassion_study.figures`' and
:mod:`compassion_study.report`'s job.

Numbers are written the way the tables show them: coefficients with three
decimals, shares of units as "k of n (p%)" with the percentage rounded
half-to-even from the same k and n.

References
----------
Hallgren, K. A. (2012); O'Connor, C., & Joffe, H. (2020): what a report of
intercoder reliability should state (see :data:`REFERENCES`).
"""

from __future__ import annotations

import re

import pandas as pd

from . import provenance
from .paths import Paths

Paragraphs = list[tuple[str, str]]

#: Full citations of every work the report cites, keyed by the "Author (year)" form used in the text.
REFERENCES: dict[str, str] = {
    "Brennan & Prediger 1981": "Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: Some uses, misuses, and "
                               "alternatives. Educational and Psychological Measurement, 41(3), 687–699.",
    "Byrt, Bishop & Carlin 1993": "Byrt, T., Bishop, J., & Carlin, J. B. (1993). Bias, prevalence and kappa. Journal "
                                  "of Clinical Epidemiology, 46(5), 423–429.",
    "Cohen 1960": "Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological "
                  "Measurement, 20(1), 37–46.",
    "Conger 1980": "Conger, A. J. (1980). Integration and generalization of kappas for multiple raters. "
                   "Psychological Bulletin, 88(2), 322–328.",
    "Dunning 1993": "Dunning, T. (1993). Accurate methods for the statistics of surprise and coincidence. "
                    "Computational Linguistics, 19(1), 61–74.",
    "Efron & Tibshirani 1993": "Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & "
                               "Hall.",
    "Feinstein & Cicchetti 1990": "Feinstein, A. R., & Cicchetti, D. V. (1990). High agreement but low kappa: I. The "
                                  "problems of two paradoxes. Journal of Clinical Epidemiology, 43(6), 543–549.",
    "Fleiss 1971": "Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological "
                   "Bulletin, 76(5), 378–382.",
    "Gale et al. 2013": "Gale, N. K., Heath, G., Cameron, E., Rashid, S., & Redwood, S. (2013). Using the framework "
                        "method for the analysis of qualitative data in multi-disciplinary health research. BMC "
                        "Medical Research Methodology, 13, 117.",
    "Gwet 2008": "Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high "
                 "agreement. British Journal of Mathematical and Statistical Psychology, 61(1), 29–48.",
    "Hallgren 2012": "Hallgren, K. A. (2012). Computing inter-rater reliability for observational data: An overview "
                     "and tutorial. Tutorials in Quantitative Methods for Psychology, 8(1), 23–34.",
    "Hardie 2014": "Hardie, A. (2014). Log Ratio: An informal introduction. ESRC Centre for Corpus Approaches to "
                   "Social Science (CASS), Lancaster University.",
    "Krippendorff 2004": "Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology (2nd ed.). "
                         "Sage.",
    "Landis & Koch 1977": "Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for "
                          "categorical data. Biometrics, 33(1), 159–174.",
    "MacQueen et al. 1998": "MacQueen, K. M., McLellan, E., Kay, K., & Milstein, B. (1998). Codebook development "
                            "for team-based qualitative analysis. Cultural Anthropology Methods, 10(2), 31–36.",
    "O'Connor & Joffe 2020": "O'Connor, C., & Joffe, H. (2020). Intercoder reliability in qualitative research: "
                             "Debates and practical guidelines. International Journal of Qualitative Methods, 19, "
                             "1–13.",
    "Passonneau 2006": "Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for semantic and "
                       "pragmatic annotation. Proceedings of LREC 2006, 831–836.",
    "Scott 1955": "Scott, W. A. (1955). Reliability of content analysis: The case of nominal scale coding. Public "
                  "Opinion Quarterly, 19(3), 321–325.",
    "West 2021": "West, M. A. (2021). Compassionate Leadership: Sustaining Wisdom, Humanity and Presence in Health "
                 "and Social Care. The Swirling Leaf Press.",
}

#: An in-text citation: "Krippendorff (2004)", "Byrt, Bishop & Carlin 1993", "MacQueen et al. 1998".
CITATION = re.compile(r"\b([A-Z][A-Za-z'’]+(?:(?:,| &| and) [A-Z][A-Za-z'’]+)*(?: et al\.)?),? \(?((?:19|20)\d\d)(?![-\w])")


_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"}


def cited(text: str) -> set[str]:
    """The works cited in ``text``, as ``"Surname year"`` keys (first author's surname; dates are not citations)."""
    text = re.sub(r"['’]s\b", "", " ".join(text.split()))  # "Dunning's (1993)" cites Dunning 1993
    keys = {f"{names.split(',')[0].split(' ')[0]} {year}" for names, year in CITATION.findall(text)}
    return {k for k in keys if k.split(" ")[0] not in _MONTHS}


def reference_list() -> pd.DataFrame:
    """Every work the report cites, in full, alphabetically (one row per work)."""
    return pd.DataFrame({"reference": sorted(REFERENCES.values())})


def f3(value: float) -> str:
    """A coefficient as the tables show it: three decimals (``undefined`` for a missing value)."""
    return "undefined" if pd.isna(value) else f"{value:.3f}"


def threshold(value: float) -> str:
    """A threshold as methods sections write it (``.667``)."""
    return f"{value:.3f}".removeprefix("0")


def share(k: int, n: int, noun: str = "") -> str:
    """``k of n [noun] (p%)``: a count with its share, so the text never states a share without its base."""
    noun = f" {noun}" if noun else ""
    return f"{k} of {n}{noun} ({k / n:.0%})" if n else f"{k} of 0{noun}"


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised and the rest untouched (``ILLUSTRATIVE`` stays upper case)."""
    return text[:1].upper() + text[1:]


def _latest(table: pd.DataFrame) -> str:
    return sorted(table["round"].astype(str).unique())[-1]


def _labels(paths: Paths) -> dict[str, str]:
    """Code id -> label in the codebook of the latest round (ids where there is no codebook yet)."""
    from . import codebook as cbmod
    from .sheets import read_rounds

    from .errors import InputError

    try:
        rounds = read_rounds(paths)
        book = cbmod.find(paths, sorted(rounds["codebook_version"])[-1] if len(rounds) else None)
    except InputError:  # no rounds or no codebook yet: ids are the best name there is
        return {}
    return book.labels


def _illustrative(paths: Paths) -> bool:
    from .sheets import read_rounds

    return paths.rounds.is_file() and bool(read_rounds(paths)["illustrative"].astype(bool).any())


def verdict_counts(verdicts: pd.DataFrame) -> dict[str, int]:
    """How many codes got each reliability verdict (every verdict listed, zeros included)."""
    order = ("reliable", "tentative", "not shown reliable", "undetermined")
    counts = verdicts["verdict"].value_counts() if len(verdicts) else pd.Series(dtype=int)
    return {v: int(counts.get(v, 0)) for v in order}


# --------------------------------------------------------------------------- summary


def summary(paths: Paths, top: int = 3) -> Paragraphs:
    """The executive summary: what was studied, the key findings with their reliability, and the caveats.

    Parameters
    ----------
    paths : Paths
    top : int
        Most frequent codes named among the findings.

    Returns
    -------
    list of (str, str)
        ``(heading, text)`` paragraphs; a stage not yet run is said to be
        missing rather than left out silently.
    """
    from . import analysis, study
    from .agreement import read_table
    from .consensus import read_consensus
    from .ingest import read_units

    settings = study.load(paths)
    units = read_units(paths.units)
    sessions = analysis.units_by_session(units)
    parts = analysis.units_by_part(units)
    illustrative = _illustrative(paths)
    labels = _labels(paths)
    out: Paragraphs = []
    where = "; ".join(x for x in (settings.organisation, ", ".join(settings.dates)) if x)
    out.append(("What was studied",
                f"{settings.title}{f' ({where})' if where else ''}. The notes of {len(sessions)} session"
                f"{'s' if len(sessions) != 1 else ''} were divided into {len(units)} comment units in "
                f"{len(parts)} part{'s' if len(parts) != 1 else ''} ("
                + "; ".join(f"{r.part}: {r.units}" for r in parts.itertuples()) + ")."))
    if not paths.findings("code_frequencies").is_file():
        out.append(("Findings", "No coded findings yet: the units have not been coded, or the coding has not been "
                                "reconciled and analysed (see 'Not in this report yet' above)."))
        return out
    verdicts = analysis.latest_verdicts(paths)
    verdict = dict(zip(verdicts["code_id"], verdicts["verdict"]))
    freq = analysis.read_findings(paths, "code_frequencies")
    overall = freq[freq["group"] == "(all units)"].sort_values("units_with_code", ascending=False, kind="stable")
    tag = "ILLUSTRATIVE coding: " if illustrative else ""
    named = [f"{labels.get(r.code_id, r.code_id)} ({share(int(r.units_with_code), int(r.units_in_group), 'units')}; "
             f"{verdict.get(r.code_id, 'not assessed')})" for r in overall.head(top).itertuples()]
    out.append(("Key findings",
                f"{tag}{'the' if tag else 'The'} most frequent codes in the consensus coding were " + "; ".join(named) + ". "
                + _compared_sentence(paths, freq, labels, verdict)
                + "A finding on a code that is not shown reliable or undetermined is exploratory (shares with their "
                  "intervals: [[table:Units with the code]])."))
    if paths.agreement_overall.is_file():
        ov = read_table(paths.agreement_overall)
        rnd = _latest(ov)
        masi = ov[(ov["round"] == rnd) & (ov["coefficient"] == "krippendorff_alpha_masi")].iloc[0]
        n = verdict_counts(verdicts)
        out.append(("Reliability",
                    f"{tag}{'in' if tag else 'In'} {rnd}, Krippendorff's alpha for the set of codes per unit was {f3(masi['estimate'])} "
                    f"[{f3(masi['ci_low'])}, {f3(masi['ci_high'])}] over {int(masi['n_units'])} units. Judged on the "
                    f"lower bound of each code's 95% interval against the study's minimum ({threshold(settings.minimum)}"
                    f") and target ({threshold(settings.target)}), {n['reliable']} of {len(verdicts)} codes were "
                    f"reliable, {n['tentative']} tentative, {n['not shown reliable']} not shown reliable and "
                    f"{n['undetermined']} undetermined ([[table:Reliability verdict per code]]; "
                    "[[figure:Agreement per code]])."))
    caveats = []
    if illustrative:
        caveats.append("the coding is ILLUSTRATIVE, made up by the project team to demonstrate the method, so no "
                       "finding above is a result about the workshop")
    if paths.consensus.is_file() and read_consensus(paths)["provisional"].astype(bool).any():
        caveats.append("the consensus is provisional (disputed cells follow the majority until adjudicated)")
    from . import status

    caveats.extend(f"coding is still out ({text})" for text in status.outstanding(paths))
    caveats.append(f"the findings describe {len(units)} comment units from {len(sessions)} session"
                   f"{'s' if len(sessions) != 1 else ''} and do not generalise beyond them")
    out.append(("Caveats", sentence("; ".join(caveats)) + ". See Limitations."))
    return out


def _compared_sentence(paths: Paths, freq: pd.DataFrame, labels: dict, verdict: dict) -> str:
    from . import analysis

    groups = analysis.compared(paths)
    if not groups:
        return ""
    said = []
    for g in groups:
        sub = freq[freq["group"] == g].sort_values("units_with_code", ascending=False, kind="stable")
        if len(sub) and sub["units_with_code"].iloc[0] > 0:
            r = sub.iloc[0]
            said.append(f"in “{g}”, {labels.get(r.code_id, r.code_id)} "
                        f"({share(int(r.units_with_code), int(r.units_in_group), 'units')}; "
                        f"{verdict.get(r.code_id, 'not assessed')})")
    return ("Of the parts compared, the most frequent code was, " + "; and ".join(said) + ". ") if said else ""


# --------------------------------------------------------------------------- methods


def methods(paths: Paths) -> Paragraphs:
    """A methods section in the style of a paper, written from the actual results.

    Every number is read from ``data/processed`` (units, rounds, agreement
    tables, consensus, findings) and every study-specific statement from
    ``study.yaml`` and the codebook, so the text cannot drift from the tables.

    Returns
    -------
    list of (str, str)
        ``(heading, text)`` paragraphs, plain text (escaped where shown).
    """
    from . import analysis, study
    from . import codebook as cbmod
    from .ingest import read_units
    from .sheets import read_codings, read_rounds

    settings = study.load(paths)
    units = read_units(paths.units)
    parts = analysis.units_by_part(units)
    sessions = analysis.units_by_session(units)
    sources = ", ".join(sorted(units["source"].unique()))
    out: Paragraphs = [("Material", f"The workshop notes ({sources}; {len(sessions)} session"
                        f"{'s' if len(sessions) != 1 else ''}) were divided into {len(units)} comment units: "
                        + "; ".join(f"{r.part}: {r.units}" for r in parts.itertuples())
                        + ". Prompts, section and theme headings and resource links were not units; each unit keeps "
                        "its session, prompt, section and theme.")]
    if settings.governance:
        out.append(("Governance", settings.governance))
    if not paths.rounds.is_file():
        return out
    rounds = read_rounds(paths)
    codings = read_codings(paths)
    process = analysis.coding_process(rounds, codings, len(units))
    for version in sorted(set(rounds["codebook_version"])):
        book = cbmod.find(paths, version)
        groups = pd.Series([c["group"] for c in book.codes]).value_counts(sort=False)
        out.append(("Codebook", f"Units were coded against the codebook “{book.title or book.name}”, "
                    f"version {book.full_version}: {len(book.ids)} codes ("
                    + ", ".join(f"{n} {g}" for g, n in groups.items())
                    + "), each with a brief and a full definition, when to use it and when not, an example quote "
                    "with where it is from, and its source (MacQueen et al. 1998)."))
    for row in process.itertuples(index=False):
        text = (f"{len(row.coders.split(', '))} coders ({row.coders}) coded {row.units_coded} units independently "
                f"in spreadsheet workbooks; {row.units_double_coded} units ({row.share_double_coded:.0%} of all "
                "units) were coded by at least two coders.")
        if row.illustrative:
            text += " This coding is ILLUSTRATIVE: it was made up by the project team to demonstrate the method."
        out.append((f"Coding, {row.round}", text))
    if paths.agreement_by_code.is_file():
        out.extend(_reliability(paths, settings, codings))
    if paths.consensus.is_file():
        out.append(("Consensus", consensus_text(paths)))
    if paths.findings("autocoder_evaluation").is_file():
        ev = analysis.read_findings(paths, "autocoder_evaluation")
        groups = analysis.compared(paths)
        keyness = (f"keyness compares “{groups[0]}” with “{groups[1]}” by Dunning's (1993) log-likelihood with "
                   "Hardie's (2014) log ratio as effect size" if groups
                   else "no parts of the notes were compared for keyness (none set in the study's settings)")
        out.append(("Analysis", "Code frequencies are shares of units per part of the notes and per session, with "
                    "95% percentile bootstrap intervals that resample breakout themes (or units where the notes give "
                    "no themes; Efron & Tibshirani 1993); co-occurrence is the Jaccard similarity of the sets of "
                    "units carrying two codes. Text analysis used NLTK's data-free tokenizer and Snowball stemmer "
                    f"with a stop-word list shipped with the software; {keyness}. A lexicon auto-coder built from "
                    f"the codebook's keywords reached a median F1 of {f3(ev['f1'].median())} and a median Cohen's "
                    f"kappa of {f3(ev['kappa'].median())} against the consensus across {len(ev)} codes."))
    return out


def _reliability(paths: Paths, settings, codings: pd.DataFrame) -> Paragraphs:
    from .agreement import read_table, reliability_verdicts

    by_code = read_table(paths.agreement_by_code)
    overall = read_table(paths.agreement_overall)
    lo_t, hi_t = settings.minimum, settings.target
    out: Paragraphs = []
    for rnd in sorted(by_code["round"].unique()):
        bc = by_code[by_code["round"] == rnd]
        ov = overall[overall["round"] == rnd].set_index("coefficient")
        pooled = overall[(overall["round"] == rnd) & (overall["scope"] == "all unit × code decisions")]
        pooled = pooled.set_index("coefficient")
        alpha = bc[bc["coefficient"] == "krippendorff_alpha"]
        ok = alpha.dropna(subset=["estimate"])
        masi = ov.loc["krippendorff_alpha_masi"]
        use_cohen = "cohen_kappa" in pooled.index and not pd.isna(pooled.loc["cohen_kappa", "estimate"])
        kappa = pooled.loc["cohen_kappa" if use_cohen else "fleiss_kappa"]
        kappa_name = "Cohen's kappa" if use_cohen else "Fleiss' kappa"
        ranged = ""
        if len(ok):
            low, high = ok.loc[ok["estimate"].idxmin()], ok.loc[ok["estimate"].idxmax()]
            ranged = (f" Per code, alpha ranged from {f3(low['estimate'])} ({low['code_id']}) to "
                      f"{f3(high['estimate'])} ({high['code_id']}).")
        n_boot = 0 if pd.isna(masi["n_boot"]) else int(masi["n_boot"])
        cis = (f"Confidence intervals are 95% percentile bootstrap intervals from {n_boot} resamples of units "
               f"(seed {int(masi['seed'])}; Efron & Tibshirani 1993)." if n_boot
               else "No bootstrap confidence intervals were computed (0 resamples).")
        decisions = codings[codings["round"] == rnd]["applied"]
        present = int(decisions.sum())
        n = verdict_counts(reliability_verdicts(bc, lo_t, hi_t))
        out.append((f"Reliability, {rnd}",
            "Agreement was assessed for each code (present or absent) with percent agreement, Cohen's kappa (two "
            "coders; Cohen 1960), Fleiss' and Conger's kappa (Fleiss 1971; Conger 1980), Scott's pi (Scott 1955), "
            "Krippendorff's alpha (Krippendorff 2004), Gwet's AC1 (Gwet 2008) and the Brennan–Prediger coefficient "
            "(Brennan & Prediger 1981), and across all codes with Krippendorff's alpha for the set of codes each "
            f"coder gave a unit (MASI distance; Passonneau 2006). {cis} Across all codes, alpha (MASI) was "
            f"{f3(masi['estimate'])} [{f3(masi['ci_low'])}, {f3(masi['ci_high'])}] over {int(masi['n_units'])} "
            f"units.{ranged} Each code was judged on the lower bound of its interval for alpha against a minimum of "
            f"{threshold(lo_t)} and a target of {threshold(hi_t)} set in advance in the study's settings, after "
            f"Krippendorff (2004): {n['reliable']} codes were reliable (lower bound at or above the target), "
            f"{n['tentative']} tentative (at or above the minimum), {n['not shown reliable']} not shown reliable and "
            f"{n['undetermined']} undetermined (no interval, only one category used, or too few units carrying the "
            "code; [[table:Reliability verdict per code]])."))
        out.append((f"Why the pooled kappa is higher, {rnd}",
            f"The pooled {kappa_name} over all {int(kappa['n_ratings']) // max(int(kappa['n_coders']), 1)} unit × "
            f"code decisions was {f3(kappa['estimate'])} [{f3(kappa['ci_low'])}, {f3(kappa['ci_high'])}]. It is "
            f"not a measure of the codes' reliability: only {share(present, len(decisions), 'decisions')} "
            "made by the coders were 'present', so it is dominated by the easy agreement that a code does not apply. The "
            "set-level alpha asks whether coders gave a unit the same set of codes, and the per-code alphas whether "
            "each code was applied to the same units; findings rest on the per-code verdicts. Kappa-family values "
            "are reported without interpretation bands (Landis & Koch 1977 bands were not designed for this "
            "judgement); Gwet's AC1 is reported beside kappa because rare codes can show high agreement but low "
            "kappa (Feinstein & Cicchetti 1990)."))
    return out


def consensus_text(paths: Paths) -> str:
    """How the disputed cells were settled, from ``consensus.csv`` (one statement per fact, no fixed claims)."""
    from .consensus import read_consensus

    cons = read_consensus(paths)
    counts = cons["basis"].value_counts()
    disputed = int(cons["basis"].isin(["adjudicated", "majority", "tie"]).sum())
    n_adj = int(counts.get("adjudicated", 0))
    used = sorted(set(cons.loc[cons["basis"] == "adjudicated", "decided_in"]) - {""})
    said = [f"{int(counts.get('unanimous', 0))} unit × code cells on which every coder agreed were settled directly"]
    if counts.get("single coder", 0):
        said.append(f"{int(counts['single coder'])} cells coded by one coder only were taken as coded")
    if disputed == 0:
        said.append("there were no cells on which coders disagreed")
    else:
        if n_adj:
            applied = int(cons.loc[cons["basis"] == "adjudicated", "applied"].astype(int).sum())
            said.append(f"{n_adj} of the {disputed} disputed cells were decided in {len(used)} returned "
                        f"adjudication workbook{'s' if len(used) != 1 else ''} ({', '.join(used)}): the code was "
                        f"applied in {applied} and not applied in {n_adj - applied}")
        left = disputed - n_adj
        if left:
            said.append(f"{left} disputed cells have not been adjudicated and follow the majority of coders "
                        f"provisionally ({int(counts.get('tie', 0))} ties counted as not applied)")
    return sentence("; ".join(said)) + "."


# --------------------------------------------------------------------------- limitations and checklist


def limitations(paths: Paths) -> list[str]:
    """The study's limitations, each stated from a fact in its files.

    Covers what a reviewer checks first (O'Connor & Joffe 2020): illustrative
    coding, the number of units, the share double-coded, codebook examples
    drawn from the same notes, unreliable codes, provisional consensus and
    coder training (which the software cannot know).
    """
    from . import analysis
    from . import codebook as cbmod
    from .ingest import read_units
    from .sheets import read_codings, read_rounds

    units = read_units(paths.units)
    out = []
    if _illustrative(paths):
        out.append("The coding is ILLUSTRATIVE: it was made up by the project team to demonstrate the method. "
                   "Agreement figures and coded findings are not results about the workshop.")
    sessions = analysis.units_by_session(units)
    out.append(f"The material is {len(units)} comment units from {len(sessions)} session"
               f"{'s' if len(sessions) != 1 else ''}: notes taken by the groups, not transcripts, so what was said "
               "but not written down is missing, and shares of so few units are imprecise (see their intervals).")
    if not paths.rounds.is_file():
        out.append("The units have not been coded yet: there are no findings to qualify.")
        return out
    rounds = read_rounds(paths)
    process = analysis.coding_process(rounds, read_codings(paths), len(units))
    for r in process.itertuples(index=False):
        if r.units_double_coded < len(units):
            out.append(f"In {r.round}, {share(int(r.units_double_coded), len(units), 'units')} were double-coded; "
                       "agreement on the rest is assumed, not measured.")
    book = cbmod.find(paths, sorted(rounds["codebook_version"])[-1])
    ids = set(units["unit_id"])
    from_notes = [c["id"] for c in book.codes
                  if isinstance(c.get("example"), dict) and c["example"].get("unit_id") in ids]
    if from_notes:
        out.append(f"{len(from_notes)} of the codebook's {len(book.ids)} example quotes are units of these notes, "
                   "and its keywords were written with them in view: the coders saw worked answers for those units, "
                   "and the auto-coder's accuracy is optimistic.")
    verdicts = analysis.latest_verdicts(paths)
    if len(verdicts):
        n = verdict_counts(verdicts)
        weak = n["not shown reliable"] + n["undetermined"]
        if weak:
            out.append(f"{weak} of {len(verdicts)} codes were not shown reliable or undetermined; findings on them "
                       "are exploratory.")
    if paths.consensus.is_file():
        from .consensus import read_consensus

        if read_consensus(paths)["provisional"].astype(bool).any():
            out.append("The consensus is provisional: disputed cells follow the majority of coders until an "
                       "adjudication workbook is returned.")
    out.append("Coders' training and their familiarity with the framework are not recorded by the software; the "
               "write-up should describe them.")
    return out


def checklist(paths: Paths) -> pd.DataFrame:
    """Intercoder-reliability reporting items (Hallgren 2012; O'Connor & Joffe 2020) and where this report meets them."""
    from . import analysis
    from .agreement import read_table
    from .ingest import read_units
    from .sheets import read_codings, read_rounds

    rows = []
    units = read_units(paths.units)
    have_rounds = paths.rounds.is_file()
    rounds = read_rounds(paths) if have_rounds else pd.DataFrame()
    process = analysis.coding_process(rounds, read_codings(paths), len(units)) if have_rounds else pd.DataFrame()
    have_agreement = paths.agreement_by_code.is_file()
    by_code = read_table(paths.agreement_by_code) if have_agreement else pd.DataFrame()

    def add(item: str, ok: bool, detail: str) -> None:
        rows.append({"Item": item, "Reported": "yes" if ok else "no", "Where or what": detail})

    add("Unit of analysis defined", True, f"{len(units)} comment units (one bullet comment or question each)")
    add("Coefficients, and why", have_agreement,
        "percent agreement, kappa family, Krippendorff's alpha, AC1 (prevalence paradox), Brennan–Prediger; per "
        "code and for the set of codes per unit")
    boot = have_agreement and bool(by_code["n_boot"].fillna(0).iloc[0])
    add("Confidence intervals", have_agreement and by_code["ci_low"].notna().any(),
        (f"95% bootstrap over units, {int(by_code['n_boot'].iloc[0])} resamples, seed {int(by_code['seed'].iloc[0])}"
         if boot else "none computed (0 resamples)") if have_agreement else "no agreement results")
    add("Number and share of units double-coded", have_rounds,
        "; ".join(f"{r.round}: {share(int(r.units_double_coded), len(units), 'units')}" for r in process.itertuples())
        if have_rounds else "no coding rounds")
    add("Number of coders", have_rounds, "; ".join(f"{r.round}: {r.coders}" for r in process.itertuples())
        if have_rounds else "")
    add("Coder training", False, "not recorded by the software: describe it in the write-up")
    add("Codebook and its revisions", have_rounds,
        "versions used: " + ", ".join(sorted(set(rounds["codebook_version"]))) if have_rounds else "")
    add("How disagreements were resolved", paths.consensus.is_file(),
        consensus_text(paths) if paths.consensus.is_file() else "")
    versions = provenance.load(paths).get("versions") or provenance.versions()
    add("Software and versions", True, ", ".join(f"{k} {v}" for k, v in sorted(versions.items())
                                                   if k in ("compassion_study", "python", "numpy", "pandas", "nltk")))
    add("Illustrative data labelled", True,
        "ILLUSTRATIVE coding is labelled on the first screen, on every printed page, in the caption of every table "
        "and the title of every figure built on the coding" if _illustrative(paths) else "no illustrative data")
    return pd.DataFrame(rows)
