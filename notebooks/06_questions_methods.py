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
# ## The questions the groups asked
#
# Questions the groups put to the speaker or facilitator, as listed under a
# *Questions* heading in the notes. They are units too (coded like the
# comments) and are listed here as asked.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)

# %%
cs.figures.table(cs.analysis.questions(units), caption="Questions put to the speaker or facilitator",
                 limit=cs.figures.ROWS_SHOWN, full=paths.reports / "tables" / "questions.csv")

# %% [markdown]
# ## Methods
#
# Written by the software from the results above (`compassion_study.narrative`),
# so that every number in it matches the tables.

# %%
cs.figures.Prose(cs.narrative.methods(paths))

# %% [markdown]
# ## Limitations
#
# Each stated from a fact in the study's files.

# %%
cs.figures.Bullets(cs.narrative.limitations(paths))

# %% [markdown]
# ## Reporting checklist
#
# Items recommended for reporting intercoder reliability (Hallgren 2012;
# O'Connor & Joffe 2020), and where this report meets them.

# %%
cs.figures.table(cs.narrative.checklist(paths), caption="Reporting checklist")

# %% [markdown]
# ## References
#
# Every work cited in this report.

# %%
cs.figures.Bullets(list(cs.narrative.reference_list()["reference"]))
