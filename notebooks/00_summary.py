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
# ## Summary
#
# What was studied, the key findings with their reliability, and the
# caveats, written by the software from the study's tables (see
# `compassion_study.narrative`), so every number in it matches a table below.

# %% tags=["parameters"]
root = None  # study folder; None means the study this notebook is in (the nearest study.yaml upwards)

# %%
import compassion_study as cs
from compassion_study.paths import Paths

paths = Paths.from_root(root)

# %%
cs.figures.Prose(cs.narrative.summary(paths))
