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
# ## What the words say: text analysis
#
# Word counts, keyness and collocations use NLTK's data-free tools (its
# Treebank word tokenizer, the Snowball stemmer, `FreqDist` and the bigram
# collocation finder) with a stop-word list shipped in the package, so they
# run on machines that cannot download NLTK data. They describe the wording of
# every unit and do not depend on the coding.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)
kwic_terms = None  # terms to show in context, e.g. ["time", "connection"]; None: the two most frequent words

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)
rounds = cs.sheets.read_rounds(paths)
keyness = cs.analysis.read_findings(paths, "keyness")
evaluation = cs.analysis.read_findings(paths, "autocoder_evaluation")

# %% [markdown]
# ### Most frequent words in each part of the notes

# %%
cs.figures.table(cs.analysis.read_findings(paths, "word_frequencies"), digits=1,
                 caption="Most frequent words per part of the notes (per 1,000 words of the part)")

# %% [markdown]
# ### Keyness: the words that set two parts of the notes apart
#
# The parts compared are those named under `compare` in `study.yaml`.
# Dunning's log-likelihood G² (3.84 corresponds to p = .05, one degree of
# freedom; with many words compared, treat it as a ranking, not a test) and
# Hardie's log ratio (log2 of the ratio of relative frequencies; +1 = twice
# as frequent in the first part).

# %%
cs.figures.Note(cs.analysis.compared_note(cs.analysis.compared(paths)))

# %%
cs.figures.keyness_chart(keyness)

# %%
cs.figures.table(keyness.head(15)[["word", "target", "reference", "ll", "log_ratio", "p", "direction"]], digits=3,
                 caption="Keyness: the 15 words with the largest G² (target and reference: counts in the two parts)")

# %% [markdown]
# ### Collocations
#
# Word pairs within a unit that occur together more than chance predicts
# (likelihood ratio; pairs seen at least twice, stop words excluded).

# %%
cs.figures.table(cs.analysis.read_findings(paths, "collocations"), digits=2, caption="Collocations")

# %% [markdown]
# ### Keywords in context

# %%
cs.figures.table(cs.text.kwic_terms(units, kwic_terms), caption="Keywords in context",
                 limit=cs.figures.ROWS_SHOWN, full=paths.reports / "tables" / "keywords_in_context.csv")

# %% [markdown]
# ### Does the codebook's language match the data? The lexicon auto-coder
#
# Each code's keywords (stemmed words and phrases) are matched against every
# unit, and the suggestions are compared with the consensus as if the
# auto-coder were one more coder. It never fills coders' workbooks (that
# would break blind coding). Where a codebook's keywords were written with
# the same notes in view (the bundled framework's were written with its
# example workshop's notes), this is an optimistic check of the codebook's
# language, not an estimate of how well it would code new workshops. Low
# precision flags keywords that are too general.

# %%
cs.figures.illustrative_note(rounds)

# %%
cs.figures.autocoder_chart(evaluation, cs.figures.data_tag(paths))

# %%
cs.figures.table(evaluation, digits=2, caption="Lexicon auto-coder against the consensus, per code",
                 tag=cs.figures.data_tag(paths))
