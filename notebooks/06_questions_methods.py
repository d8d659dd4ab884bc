# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
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
from IPython.display import HTML
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)

# %%
cs.figures.table(cs.analysis.questions(units))

# %% [markdown]
# ## Methods
#
# Written by the software from the results above, so that every number in it
# matches the tables.

# %%
HTML(cs.report.methods_html(paths))

# %% [markdown]
# ## Reporting checklist
#
# Items recommended for reporting intercoder reliability (Hallgren 2012;
# O'Connor & Joffe 2020), and where this report meets them.

# %%
cs.figures.table(cs.report.checklist(paths))
