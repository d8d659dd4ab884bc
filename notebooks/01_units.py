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
# ## The material: comment units from the workshop notes
#
# The notes of each workshop session are split into *comment units*: one
# bullet comment, or one question put to a speaker or facilitator, per unit. Headings
# (discussion prompts, sections and the groups' theme headings) are kept as
# columns; resource links are not units. Each unit has a stable `unit_id`
# derived from its text, and keeps the session (notes file) it came from.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)
units = cs.ingest.read_units(paths.units)

# %% [markdown]
# ### Units per session

# %%
cs.figures.table(cs.analysis.units_by_session(units), caption="Comment units per session")

# %% [markdown]
# ### Units per part of the notes

# %%
cs.figures.table(cs.analysis.units_by_part(units), caption="Comment units per part of the notes")

# %% [markdown]
# ### Units per prompt, section and breakout theme

# %%
cs.figures.table(cs.analysis.units_overview(units).drop(columns="source"),
                 caption="Comment units per prompt, section and breakout theme")

# %%
cs.figures.units_per_theme(units)
