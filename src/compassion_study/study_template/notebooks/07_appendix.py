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
# ## Appendix: every coded quote, by code
#
# Every unit the consensus coding gave each code, verbatim, so that a reader
# can check each finding against all of its evidence and not only the
# exemplars. Within a code, quotes follow the exemplar rule's order
# (unanimous before adjudicated, then units with fewer codes, then document
# order); a unit with several codes is listed under each.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)
consensus = cs.consensus.read_consensus(paths)
rounds = cs.sheets.read_rounds(paths)
book = cs.codebook.find(paths, sorted(rounds["codebook_version"])[-1])
verdicts = cs.analysis.latest_verdicts(paths)

# %%
cs.figures.illustrative_note(rounds)

# %%
cs.figures.table(cs.analysis.mark_reliability(
    cs.analysis.exemplars(consensus, units, len(units), book.ids)[["code_id", "rank", "basis", "part", "theme", "text"]],
    verdicts), caption="Every coded quote, by code", tag=cs.figures.data_tag(paths), labels=book.labels,
    limit=cs.figures.ROWS_SHOWN, full=paths.reports / "tables" / "coded_quotes.csv")
