"""Agreement: chance-corrected inter-coder agreement, per code and overall.

A small package by responsibility, reshaping apart from statistics (as
statsmodels' ``inter_rater``), long DataFrame in and tidy DataFrame out (as
pingouin):

==================  ============================================================
``ratings``         the :class:`Ratings` matrix; long tables reshaped into it
``weights``         agreement weights and Krippendorff's differences
``coefficients``    per-unit statistics -> every coefficient (vectorised)
``uncertainty``     bootstrap over units, analytic variances, the tidy table
``codings``         the study's stage: per code, per pair, overall
``calculator``      any ratings table in (four shapes), every coefficient out
==================  ============================================================

Everything public is importable from ``compassion_study.agreement``.

Coefficients (keys as in design.md)

==================== ========================================================
``percent_agreement`` observed agreement over pairable ratings, p_a (Gwet 2014)
``cohen_kappa``       Cohen (1960); weighted, Cohen (1968); two coders only
``scott_pi``          Scott (1955): chance from the coders' mean marginals
``fleiss_kappa``      Fleiss (1971); with missing ratings, Gwet's (2014) form
``conger_kappa``      Conger (1980): multi-coder Cohen (Gwet's 2014 form)
``krippendorff_alpha`` Krippendorff (2011): nominal, ordinal, interval, ratio,
                      or sets of codes with the MASI or Jaccard distance
``gwet_ac1``          Gwet (2008) AC1 (AC2 when weighted)
``brennan_prediger``  Brennan & Prediger (1981)
==================== ========================================================

Every kappa-type coefficient is ``(p_a - p_e) / (1 - p_e)`` with the same
observed agreement ``p_a`` (Gwet 2014, ch. 2): the mean over units rated by
two or more coders of ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))``, where
``r_ik`` counts the coders who put unit *i* in category *k*, ``r_i`` the
coders who rated unit *i*, and ``r*_ik = sum_l w_kl r_il`` (weights ``w``;
identity when unweighted).  They differ only in chance agreement ``p_e``:

* Fleiss / AC1: from ``pi_k``, the mean over rated units of ``r_ik / r_i``;
  Fleiss ``p_e = sum w_kl pi_k pi_l``; AC1 ``p_e = T_w / (q (q - 1)) sum_k
  pi_k (1 - pi_k)`` with ``T_w = sum w_kl``;
* Conger / Cohen: from each coder's marginal ``p_gk`` (over the units that
  coder rated), ``p_e = sum w_kl (pbar_k pbar_l - s2_kl / R)``; with two
  coders this is Cohen's ``sum_k p_1k p_2k``;
* Scott: ``p_e = sum w_kl pbar_k pbar_l`` (the coders' mean marginals);
* Brennan–Prediger: ``p_e = T_w / q**2``.

With complete data Fleiss equals Scott, and Conger with two coders equals
Cohen.  Krippendorff's alpha is ``1 - D_o / D_e`` from the coincidence matrix
of pairable values (units with two or more ratings).

Missing ratings are allowed throughout.  A coefficient that is undefined for
the data is NaN with the reason in ``note``, never a crash and never a
made-up 1.0 (nltk's ``AnnotationTask.alpha`` returns 1 for one category).

Confidence intervals: percentile bootstrap over *units* (Hayes & Krippendorff
2007 resample units too).  All coefficients are computed from per-unit
sufficient statistics summed with unit weights, so the point estimate (all
weights 1) and every resample (multinomial weights) run through the same
vectorised code: one matrix product for all resamples and all codes.

References
----------
Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses,
misuses, and alternatives. *Educational and Psychological Measurement*, 41,
687-699.
Byrt, T., Bishop, J., & Carlin, J. B. (1993). Bias, prevalence and kappa.
*Journal of Clinical Epidemiology*, 46(5), 423-429.
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
and Psychological Measurement*, 20, 37-46.
Conger, A. J. (1980). Integration and generalization of kappas for multiple
raters. *Psychological Bulletin*, 88(2), 322-328.
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
*Psychological Bulletin*, 76(5), 378-382.
Gwet, K. L. (2008). Computing inter-rater reliability and its variance in
the presence of high agreement. *British Journal of Mathematical and
Statistical Psychology*, 61, 29-48.
Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).
Advanced Analytics.
Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
reliability measure for coding data. *Communication Methods and Measures*,
1(1), 77-89.
Krippendorff, K. (2004). *Content Analysis* (2nd ed.). Sage.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
Annenberg School for Communication, University of Pennsylvania.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement
for categorical data. *Biometrics*, 33, 159-174.
Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for
semantic and pragmatic annotation. *Proceedings of LREC 2006*.
Scott, W. A. (1955). Reliability of content analysis: the case of nominal
scale coding. *Public Opinion Quarterly*, 19(3), 321-325.
"""


from .calculator import (MAX_COUNTED, SHAPES, agreement_table, as_json, brennan_prediger, category_table,
                         cohen_kappa, conger_kappa, fleiss_kappa, gwet_ac1, krippendorff_alpha, pairwise_table,
                         percent_agreement, read_ratings_csv, scott_pi)
from .codings import (VERDICTS, by_code, code_ratings, disagreements, overall, pairwise, read_table,
                      reliability_verdicts, run, set_ratings, tables)
from .coefficients import KEYS, TWO_CODER_KEYS, alpha_batch, interpret, weights_name
from .ratings import EMPTY_SET_TOKENS, Ratings, parse_sets, ratings_from_long, ratings_from_matrix
from .uncertainty import (ALPHA_MINIMA, CHUNK_CELLS, DEFAULT_BOOT, SE_KEYS, analytic_interval, bootstrap_chunks,
                          bootstrap_weights, cohen_ase, compute, fleiss_null_test, gwet_variance)
from .weights import (DISTANCES, LEVELS, MASI_M, WEIGHTS, agreement_weights, difference, jaccard_distance_matrix,
                      masi_distance_matrix, read_weights_csv)

__all__ = [
    "ALPHA_MINIMA", "CHUNK_CELLS", "DEFAULT_BOOT", "DISTANCES", "EMPTY_SET_TOKENS", "KEYS", "LEVELS", "MASI_M",
    "MAX_COUNTED", "SE_KEYS", "SHAPES", "TWO_CODER_KEYS", "VERDICTS", "WEIGHTS", "Ratings", "agreement_table", "agreement_weights",
    "alpha_batch", "analytic_interval", "as_json", "bootstrap_chunks", "bootstrap_weights", "brennan_prediger",
    "by_code", "category_table", "code_ratings", "cohen_ase", "cohen_kappa", "compute", "conger_kappa", "difference",
    "disagreements", "fleiss_kappa", "fleiss_null_test", "gwet_ac1", "gwet_variance", "interpret", "jaccard_distance_matrix",
    "krippendorff_alpha", "masi_distance_matrix", "overall", "pairwise", "pairwise_table", "parse_sets",
    "percent_agreement", "ratings_from_long", "ratings_from_matrix", "read_ratings_csv", "read_table",
    "read_weights_csv", "reliability_verdicts", "run", "scott_pi", "set_ratings", "tables", "weights_name",
]
