# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# ## Consensus and findings
#
# Disagreements between coders are settled into one final decision per unit
# and code: unanimous cells directly, disputed cells by an adjudicator (or, until
# an adjudication is returned, provisionally by the majority of coders, ties
# flagged). Everything below is built on that consensus.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)
exemplars_per_code = 2  # quotes shown per code

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)
consensus = cs.consensus.read_consensus(paths)
rounds = cs.sheets.read_rounds(paths)
freq = cs.analysis.read_findings(paths, "code_frequencies")
by_theme = cs.analysis.read_findings(paths, "framework_by_theme")
cooc = cs.analysis.read_findings(paths, "cooccurrence")
by_session = cs.analysis.read_findings(paths, "session_frequencies")
tag = cs.figures.data_tag(paths)
compared = cs.analysis.compared(paths)
verdicts = cs.analysis.latest_verdicts(paths)
labels = cs.codebook.find(paths, sorted(rounds["codebook_version"])[-1]).labels

# %%
cs.figures.illustrative_note(rounds)

# %%
cs.figures.Note(cs.consensus.status_note(consensus))

# %% [markdown]
# ### Adjudication
#
# For each coder, the disputed cells the adjudicator decided, and how many
# decisions matched the coder's own mark (upheld) or went the other way.

# %%
cs.figures.table(cs.consensus.adjudication_outcomes(consensus, cs.sheets.read_codings(paths)),
                 caption="Adjudicated cells: whose marks prevailed", tag=tag)

# %% [markdown]
# Every disputed cell, with the coders' marks, the decision, the adjudicator's
# note on it and any memo the coders wrote on the unit:

# %%
cs.figures.table(cs.consensus.disputed_table(consensus, cs.sheets.read_codings(paths), units,
                                             cs.consensus.read_memos(paths)).drop(columns="unit_id"),
                 caption="Disputed cells, decisions, adjudicator's notes and coders' memos", tag=tag, labels=labels,
                 limit=cs.figures.ROWS_SHOWN, full=paths.reports / "tables" / "disputed_cells.csv")

# %% [markdown]
# Every table below carries each code's reliability verdict from the
# agreement section (judged on the lower bound of its confidence interval):
# findings on a code that is *not shown reliable* or *undetermined* are
# exploratory, not established.

# %% [markdown]
# ### How often each code was applied
#
# Units carrying each code, overall and in each part of the notes (a part is
# a section heading, else a discussion prompt): count, share and its 95%
# bootstrap interval, resampling the breakout themes (units discussed by one
# group are not independent) with the study's bootstrap settings.

# %%
cs.figures.code_frequency_by_part(freq, tag)

# %%
cs.figures.table(cs.analysis.mark_reliability(cs.analysis.prevalence_table(freq), verdicts),
                 caption="Units with the code: count, share [95% CI]", tag=tag, labels=labels)

# %% [markdown]
# ### Codes per session
#
# Share of units carrying each code in each workshop session (one notes
# file per session), compared side by side when there is more than one.

# %%
cs.figures.table(cs.analysis.mark_reliability(cs.analysis.prevalence_table(by_session), verdicts),
                 caption="Units with the code per session: count, share [95% CI]", tag=tag, labels=labels)

# %% [markdown]
# ### Barriers against enablers
#
# The two parts of the notes named under `compare` in `study.yaml`.

# %%
cs.figures.Note(cs.analysis.compared_note(compared))

# %%
comparison = cs.analysis.barriers_vs_enablers(freq, compared)
cs.figures.table(cs.analysis.mark_reliability(comparison, verdicts), percent=tuple(comparison.columns[1:]),
                 caption="Share of units with the code in the two parts compared", tag=tag, labels=labels)

# %% [markdown]
# ### The framework across the breakout themes

# %%
cs.figures.framework_theme_heatmap(by_theme, tag)

# %% [markdown]
# ### Codes that occur together

# %%
cs.figures.cooccurrence_heatmap(cooc, tag)

# %% [markdown]
# ### The Framework Method charting matrix
#
# The analysts' summaries per case and code (Gale et al. 2013), from the
# charting matrix written by `compassion-study framework-matrix export` and
# returned to `data/raw/framework/`.

# %%
cs.figures.table(cs.framework.read_summaries(paths), caption="Framework matrix: the analysts' summaries", tag=tag,
                 labels=labels)

# %% [markdown]
# ### Exemplar quotes
#
# The rule, fixed in advance so that quotes are not cherry-picked:

# %%
cs.figures.Note(cs.analysis.EXEMPLAR_RULE)

# %%
cs.figures.table(cs.analysis.mark_reliability(
    cs.analysis.exemplars(consensus, units, exemplars_per_code)[["code_id", "rank", "basis", "part", "theme", "text"]],
    verdicts), caption="Exemplar quotes per code", tag=tag, labels=labels)
