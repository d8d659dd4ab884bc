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
# ## Inter-coder agreement
#
# How far the coders agree, per code (present/absent), per pair of coders,
# and for the whole set of codes each coder gave a unit. Every coefficient is
# shown with a 95% bootstrap confidence interval (units resampled). No band
# is put beside a point estimate: whether a code is reliable enough is judged
# on the lower bound of its interval (see *Which codes are reliable enough*).
# Gwet's AC1 is reported beside kappa and alpha because rare codes can show
# high agreement but low kappa (the prevalence paradox; Feinstein & Cicchetti
# 1990).

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)
round_ = None  # a round such as "round-1"; None means every round (plots show the latest)
coders = None  # a subset of coders, e.g. ["alice", "bob"]; None means all (as stored)
n_boot = None  # bootstrap resamples; None means as stored by the pipeline (study.yaml)
seed = None  # bootstrap seed; None means as stored (study.yaml)

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
results = cs.agreement.tables(paths, round_=round_, coders=coders, n_boot=n_boot, seed=seed)
by_code, pairwise, overall = results["by_code"], results["pairwise"], results["overall"]
rounds = cs.sheets.read_rounds(paths)
settings = cs.study.load(paths)
tag = "ILLUSTRATIVE data" if rounds["illustrative"].astype(bool).any() else ""
latest = sorted(by_code["round"].unique())[-1]
labels = cs.codebook.find(paths, sorted(rounds["codebook_version"])[-1]).labels

# %%
cs.figures.illustrative_note(rounds)

# %%
cs.figures.Note(cs.study.thresholds_note(settings))

# %% [markdown]
# ### Overall agreement
#
# *Sets of codes per unit*: Krippendorff's alpha over the set of codes each
# coder gave a unit, with the MASI (Passonneau 2006) and Jaccard distances;
# "no code applies" is the empty set. *All unit × code decisions*: every
# present/absent decision pooled, resampling whole units. The pooled
# decisions are mostly easy "absent" ones, so a pooled kappa runs higher than
# the set-level alpha; the methods section gives the numbers.

# %%
cs.figures.table(overall[["round", "scope", "coefficient", "estimate", "ci_low", "ci_high",
                          "n_units", "n_coders", "n_ratings"]], digits=3, caption="Agreement over all codes", tag=tag)

# %% [markdown]
# ### Per code

# %%
cs.figures.table(cs.analysis.agreement_summary(by_code), caption="Agreement per code: estimate [95% CI]",
                 tag=tag, labels=labels, percent=("prevalence",))

# %%
cs.figures.agreement_forest(by_code, latest, tag=tag, minimum=settings.minimum, target=settings.target)

# %% [markdown]
# ### Which codes are reliable enough to support findings
#
# The band beside a point estimate does not show that a code reaches a
# threshold: with few units the interval is wide. Each code is judged here on
# the lower bound of its 95% interval for Krippendorff's alpha against the
# thresholds set in advance (see above): *reliable* when it reaches the
# target, *tentative* when it reaches the minimum, *not shown reliable*
# below, and *undetermined* without an interval or when a bound above the
# minimum rests on fewer than five units carrying the code. Findings on codes
# that are not shown reliable, or undetermined, are exploratory.

# %%
cs.figures.table(cs.analysis.verdict_table(by_code, latest, settings.minimum, settings.target)
                 .rename(columns={"code": "code_id"}), caption=f"Reliability verdict per code, {latest}", tag=tag,
                 labels=labels)

# %% [markdown]
# ### Prevalence and bias (two coders)
#
# Prevalence index = (both applied − both not applied) / n; bias index =
# (only the first coder − only the second) / n; PABAK = 2·p_o − 1 (Byrt,
# Bishop & Carlin 1993).

# %%
cs.figures.table(cs.analysis.prevalence_diagnostics(by_code), percent=("prevalence",),
                 caption="Prevalence, bias and kappa per code (two coders)", tag=tag, labels=labels)

# %% [markdown]
# ### Pairs of coders

# %%
cs.figures.pairwise_heatmap(cs.analysis.pairwise_matrix(pairwise, round_=latest), tag=tag)

# %% [markdown]
# ### Change between rounds
#
# When the codebook is revised between rounds, agreement per code shows
# whether the revision helped.

# %%
cs.figures.round_comparison(cs.analysis.round_change(by_code), cs.codebook.rounds_diff(paths, rounds))
