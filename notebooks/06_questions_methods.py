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
# The breakout groups ended by putting these questions to the speaker. They
# are units too (coded like the comments) and are listed here as asked.

# %% tags=["parameters"]
root = None  # project folder; None means the checkout this package runs from

# %%
import compassion_study as cs
from IPython.display import Markdown
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
Markdown(cs.report.methods_markdown(paths))

# %% [markdown]
# ## Reporting checklist
#
# Items recommended for reporting intercoder reliability (Hallgren 2012;
# O'Connor & Joffe 2020), and where this report meets them.

# %%
cs.figures.table(cs.report.checklist(paths))
