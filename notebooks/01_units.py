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
# ## The material: comment units from the workshop notes
#
# The breakout groups' notes are split into *comment units*: one bullet
# comment, or one question put to the speaker, per unit. Headings (prompts,
# sections such as *positives* and *areas to improve*, and the groups' theme
# headings) are kept as columns; the "Further resources" paragraph is not a
# unit. Each unit has a stable `unit_id` derived from its text.

# %% tags=["parameters"]
root = None  # project folder; None means the checkout this package runs from

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)

# %% [markdown]
# ### Units per part of the notes

# %%
cs.figures.table(cs.analysis.units_by_part(units))

# %% [markdown]
# ### Units per prompt, section and breakout theme

# %%
cs.figures.table(cs.analysis.units_overview(units).drop(columns="source"))

# %%
cs.figures.units_per_theme(units)
