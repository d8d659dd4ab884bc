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
# ## The codebook and the coding process
#
# Every unit is coded against a versioned codebook, described below from its
# own metadata (its title, description and groups). Each code follows MacQueen et al. (1998):
# a brief and a full definition, when to use it and when not to, and an
# example quote with where it is from. Coders work independently in a spreadsheet
# (one workbook each), and their returned workbooks are checked cell by cell
# on import.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)
round_ = None  # a round such as "round-1"; None shows every round
coders = None  # a list such as ["alice", "bob"]; None shows every coder

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
book = cs.codebook.find(paths)
rounds = cs.sheets.read_rounds(paths).pipe(cs.analysis.subset, round_=round_, coders=coders)
codings = cs.sheets.read_codings(paths).pipe(cs.analysis.subset, round_=round_, coders=coders)
units = cs.ingest.read_units(paths.units)

# %% [markdown]
# ### Codebook

# %%
cs.figures.Note(f"Codebook '{book.title or book.name}', version {book.full_version} ({len(book.ids)} codes; "
                f"the part after '+' is a hash of the codebook's content). {book.description}")

# %%
cs.figures.table(book.table()[["id", "label", "group", "brief"]], caption="The codes")

# %% [markdown]
# Full definitions (open a code to read when to use it, when not to, an
# example quote with where it is from, and the source it draws on):

# %%
cs.figures.CodeDefinitions(book.table())

# %% [markdown]
# ### Coders and rounds
#
# One row per coder and round: the workbook returned, the codebook version it
# was coded with, and how many of the units assigned were coded. A unit left
# unmarked counts as *not coded yet* (missing), never as "no code".

# %%
cs.figures.illustrative_note(rounds)

# %%
cs.figures.table(rounds[["round", "coder", "source", "codebook_version", "illustrative", "units_assigned", "units_coded"]],
                 caption="Coders and rounds")

# %%
cs.figures.table(cs.analysis.coding_process(rounds, codings, len(units)), percent=("share_double_coded",),
                 caption="Coding process per round")

# %% [markdown]
# Cells on which coders disagree go to a consensus step, where an adjudicator
# decides each one with the coders' marks and memos in front of them; how far
# that has happened is stated under *Consensus and findings*.

# %% [markdown]
# ### How often each coder applied each code

# %%
cs.figures.table(cs.analysis.codes_by_coder(codings, book.ids), caption="Units each coder marked with each code",
                 tag=cs.figures.data_tag(paths), labels=book.labels)
