"""Agreement coefficients against published worked examples, reference implementations and invariances."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compassion_study import agreement as ag
from compassion_study.cli import main
from compassion_study.errors import InputError

nan = np.nan


def coeffs(ratings: ag.Ratings, **kw) -> dict[str, float]:
    return ag.compute([ratings], **kw)[0].set_index("coefficient")["estimate"].to_dict()


def from_table(table, labels=None) -> ag.Ratings:
    """Two coders' ratings from a contingency table (rows: coder A, columns: coder B)."""
    table = np.asarray(table)
    labels = labels if labels is not None else list(range(table.shape[0]))
    rows, u = [], 0
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            for _ in range(int(table[i, j])):
                rows += [(u, "A", labels[i]), (u, "B", labels[j])]
                u += 1
    return ag.ratings_from_long(pd.DataFrame(rows, columns=["unit", "coder", "value"]), categories=labels)


def from_distribution(counts) -> ag.Ratings:
    """Ratings from a subjects × categories table of how many raters chose each category."""
    rows = []
    for i, row in enumerate(np.asarray(counts)):
        g = 0
        for k, n in enumerate(row):
            for _ in range(int(n)):
                rows.append((i, g, k))
                g += 1
    return ag.ratings_from_long(pd.DataFrame(rows, columns=["unit", "coder", "value"]))


# --------------------------------------------------------------------------- Krippendorff (2011)

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Section C: four observers,
# twelve units, values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849, ratio .797.
K2011_C = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
                    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
                    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])


@pytest.mark.parametrize("level,published", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_2011_all_levels_with_missing_data(level, published):
    alpha = coeffs(ag.ratings_from_matrix(K2011_C), level=level)["krippendorff_alpha"]
    assert round(alpha, 3) == published


def test_krippendorff_2011_binary_two_observers():
    # Section A: two observers, ten units, binary data; published alpha = 0.095.
    data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert round(coeffs(ag.ratings_from_matrix(data))["krippendorff_alpha"], 3) == 0.095


def test_krippendorff_2011_nominal_two_observers():
    # Section B: two observers, twelve units, categories a-e; published alpha = 0.692.
    a = "a a b b d c c c e d d a".split()
    b = "b a b b b c c c e d d d".split()
    assert round(coeffs(ag.ratings_from_matrix([a, b]))["krippendorff_alpha"], 3) == 0.692


# --------------------------------------------------------------------------- Gwet, irrCAC documentation

# irrCAC (Gwet 2019, R package) README: dataset cac.raw4raters (12 subjects x 4 raters, missing
# ratings), documented outputs of pa.coeff.raw, gwet.ac1.raw, fleiss.kappa.raw, krippen.alpha.raw,
# conger.kappa.raw and bp.coeff.raw. Rows below are raters (the README prints subjects as rows).
CAC_RAW4RATERS = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
                           [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
                           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])


def test_irrcac_raw_ratings_with_missing_values():
    c = coeffs(ag.ratings_from_matrix(CAC_RAW4RATERS))
    assert c["percent_agreement"] == pytest.approx(0.8181818, abs=5e-8)
    assert c["gwet_ac1"] == pytest.approx(0.77544, abs=5e-6)
    assert c["fleiss_kappa"] == pytest.approx(0.76117, abs=5e-6)
    assert c["krippendorff_alpha"] == pytest.approx(0.74342, abs=5e-6)
    assert c["conger_kappa"] == pytest.approx(0.76282, abs=5e-6)
    assert c["brennan_prediger"] == pytest.approx(0.77273, abs=5e-6)
    assert math.isnan(c["cohen_kappa"])  # four raters


def test_irrcac_contingency_table_two_raters():
    # irrCAC README: cont3x3abstractors (100 subjects, 2 abstractors, 3 categories).
    c = coeffs(from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]))
    assert c["cohen_kappa"] == pytest.approx(0.7964094, abs=5e-8)
    assert c["scott_pi"] == pytest.approx(0.7962397, abs=5e-8)
    assert c["gwet_ac1"] == pytest.approx(0.8493305, abs=5e-8)
    assert c["brennan_prediger"] == pytest.approx(0.835, abs=5e-8)
    assert c["krippendorff_alpha"] == pytest.approx(0.7972585, abs=5e-8)
    assert c["percent_agreement"] == pytest.approx(0.89, abs=5e-8)


def test_irrcac_distribution_of_six_raters():
    # irrCAC README: distrib.6raters (15 psychiatric patients, 6 raters, 5 diagnoses; the first half of
    # Fleiss 1971), documented AC1 0.4448007, Fleiss 0.4139265, alpha 0.4204384, BP 0.4388889.
    distrib = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
               [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
               [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    c = coeffs(from_distribution(distrib))
    assert c["gwet_ac1"] == pytest.approx(0.4448007, abs=5e-8)
    assert c["fleiss_kappa"] == pytest.approx(0.4139265, abs=5e-8)
    assert c["krippendorff_alpha"] == pytest.approx(0.4204384, abs=5e-8)
    assert c["brennan_prediger"] == pytest.approx(0.4388889, abs=5e-8)


# --------------------------------------------------------------------------- Fleiss (1971)

# Fleiss, J. L. (1971), Table 1: 30 patients, 6 psychiatrists, 5 diagnoses; published kappa .430
# (R irr::kappam.fleiss(diagnoses) = 0.4302445; the raw ratings as in R's irr and statsmodels' tests).
DIAGNOSES = np.array([[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
                      [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
                      [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
                      [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
                      [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
                      [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
                      [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
                      [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]])


def test_fleiss_1971():
    c = coeffs(ag.ratings_from_matrix(DIAGNOSES.T))
    assert c["fleiss_kappa"] == pytest.approx(0.4302445, abs=5e-8)
    assert round(c["fleiss_kappa"], 3) == 0.430
    # complete data: Scott's pi with the coders' mean marginals equals Fleiss' kappa
    assert c["scott_pi"] == pytest.approx(c["fleiss_kappa"], abs=1e-12)


def test_fleiss_wikipedia_worked_example():
    # The worked example of Fleiss' kappa on Wikipedia (10 subjects, 14 raters, 5 categories):
    # P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    c = coeffs(from_distribution(counts))
    assert round(c["percent_agreement"], 3) == 0.378
    assert round(c["fleiss_kappa"], 3) == 0.210


# --------------------------------------------------------------------------- Cohen's kappa, textbook examples

def test_cohen_1960_table():
    # Cohen (1960), Table 1 as proportions of 200 judgements: p_o = .70, p_c = .41, kappa = .492.
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]]).T  # rows judge A, columns judge B
    c = coeffs(from_table(table))
    assert c["percent_agreement"] == pytest.approx(0.70)
    assert round(c["cohen_kappa"], 3) == 0.492


def test_cohen_kappa_sas_example_unweighted_and_linear():
    # SAS PROC FREQ example used in statsmodels' tests: kappa 0.4842; weighted (Cicchetti-Allison,
    # i.e. linear, scores 0, 1, 2) 0.4701.
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    assert coeffs(from_table(table))["cohen_kappa"] == pytest.approx(0.4842, abs=5e-5)
    assert coeffs(from_table(table), weights="linear")["cohen_kappa"] == pytest.approx(0.4701, abs=5e-5)


def test_weighted_cohen_kappa_irr_anxiety():
    # R irr::kappa2(anxiety[, 2:3]) with weights unweighted / "equal" / "squared": -0.006289308,
    # 0.1459075, 0.2520325. irr weights the observed factor levels (1, 2, 3, 4, 6) by rank; numeric
    # categories are weighted by value here (as Gwet's irrCAC does), so pass the levels as labels.
    anxiety = np.array([3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3, 3, 6, 4, 6, 2, 4, 2, 4, 3, 3,
                        2, 3, 3, 3, 2, 2, 1, 3, 3, 4, 2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
                       ).reshape(20, 3, order="F")
    df = pd.DataFrame([(u, g, f"level {anxiety[u, g]}") for u in range(20) for g in (1, 2)], columns=["unit", "coder", "value"])
    assert ag.cohen_kappa(df) == pytest.approx(-0.006289308, abs=5e-9)
    assert ag.cohen_kappa(df, weights="linear") == pytest.approx(0.1459075, abs=5e-8)
    assert ag.cohen_kappa(df, weights="quadratic") == pytest.approx(0.2520325, abs=5e-8)


def test_pabak_and_indices_byrt_1993():
    # Byrt, Bishop & Carlin (1993), Table 1a: a=40 both yes, b=9, c=6, d=45 both no.
    # p_o = .85, kappa = .70, PI = (a - d)/n = -.05, BI = (b - c)/n = .03, PABAK = 2 p_o - 1 = .70.
    # rows: coder A (0, 1), columns: coder B (0, 1): a (1,1)=40, b (A=1,B=0)=9, c (A=0,B=1)=6, d (0,0)=45
    c = coeffs(from_table([[45, 6], [9, 40]], labels=[0, 1]))
    assert c["percent_agreement"] == pytest.approx(0.85)
    assert c["prevalence_index"] == pytest.approx(-0.05)
    assert c["bias_index"] == pytest.approx(0.03)
    assert c["pabak"] == pytest.approx(0.70)
    assert round(c["cohen_kappa"], 2) == 0.70


# --------------------------------------------------------------------------- multi-label

def test_masi_distance_values_passonneau_2006():
    # MASI = 1 - J * M with M = 1 (identical), 2/3 (subset), 1/3 (overlap), 0 (disjoint).
    sets = [frozenset("ab"), frozenset("ab"), frozenset("a"), frozenset("bc"), frozenset("d"), frozenset()]
    D = ag.masi_distance_matrix(sets)
    assert D[0, 1] == 0
    assert D[0, 2] == pytest.approx(1 - 0.5 * 2 / 3)
    assert D[0, 3] == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert D[0, 4] == 1
    assert D[5, 5] == 0  # two empty sets: identical, distance 0 (nltk divides by zero here)
    assert D[0, 5] == 1
    J = ag.jaccard_distance_matrix(sets)
    assert J[0, 2] == pytest.approx(0.5) and J[5, 5] == 0


def test_multilabel_alpha_matches_nltk():
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import masi_distance

    rng = np.random.default_rng(1)
    labels = list("abcde")
    rows = []
    for u in range(60):
        base = frozenset(rng.choice(labels, size=rng.integers(1, 3), replace=False))
        for g in ("c1", "c2", "c3"):
            s = set(base)
            if rng.random() < 0.3:
                s ^= {labels[rng.integers(5)]}
            if s and rng.random() > 0.1:
                rows.append((g, str(u), frozenset(s)))
    nltk_alpha = AnnotationTask(data=rows, distance=masi_distance).alpha()
    df = pd.DataFrame([(u, g, v) for g, u, v in rows], columns=["unit", "coder", "value"])
    ours = ag.agreement_table(df, distance="masi")
    assert ours.set_index("coefficient").loc["krippendorff_alpha", "estimate"] == pytest.approx(nltk_alpha, abs=1e-9)


# --------------------------------------------------------------------------- properties

ratings_matrices = st.integers(2, 4).flatmap(lambda n_coders: st.integers(3, 25).flatmap(
    lambda n_units: st.lists(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=n_units, max_size=n_units),
                             min_size=n_coders, max_size=n_coders)))


def _usable(matrix) -> bool:
    values = [v for row in matrix for v in row if v is not None]
    pairable = sum(1 for u in range(len(matrix[0])) if sum(row[u] is not None for row in matrix) >= 2)
    return len(set(values)) >= 2 and pairable >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(ratings_matrices.filter(_usable))
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_alpha_equals_nltk_and_krippendorff_package(matrix):
    import krippendorff
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import interval_distance

    arr = np.array([[nan if v is None else v for v in row] for row in matrix], dtype=float)
    r = ag.ratings_from_matrix(arr)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = coeffs(r, level=level)["krippendorff_alpha"]
        ref = krippendorff.alpha(reliability_data=arr, level_of_measurement=level)
        if math.isnan(ours):  # undefined here; the package divides 0 by 0
            assert not np.isfinite(ref), level
            continue
        assert ours == pytest.approx(ref, abs=1e-9), level
    triples = [(str(g), str(u), v) for g, row in enumerate(matrix) for u, v in enumerate(row) if v is not None]
    # nltk drops units with one rating itself; missing ratings are simply absent triples
    pairable_units = {u for _, u, _ in triples if sum(1 for _, uu, _ in triples if uu == u) >= 2}
    if len({v for _, u, v in triples if u in pairable_units}) >= 2:
        assert coeffs(r)["krippendorff_alpha"] == pytest.approx(AnnotationTask(data=triples).alpha(), abs=1e-9)
        assert coeffs(r, level="interval")["krippendorff_alpha"] == pytest.approx(
            AnnotationTask(data=triples, distance=interval_distance).alpha(), abs=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(ratings_matrices.filter(_usable), st.randoms(use_true_random=False))
def test_invariance_coders_units_and_category_names(matrix, rnd):
    arr = np.array([[nan if v is None else v for v in row] for row in matrix], dtype=float)
    base = coeffs(ag.ratings_from_matrix(arr))
    coder_perm = list(range(arr.shape[0]))
    unit_perm = list(range(arr.shape[1]))
    rnd.shuffle(coder_perm)
    rnd.shuffle(unit_perm)
    permuted = coeffs(ag.ratings_from_matrix(arr[coder_perm][:, unit_perm]))
    names = {1: "delta", 2: "alpha", 3: "charlie", 4: "bravo"}  # renamed, and their order changed
    renamed = [[None if v is None else names[v] for v in row] for row in matrix]
    relabelled = coeffs(ag.ratings_from_matrix(renamed))
    for key in ag.KEYS:
        for other in (permuted, relabelled):
            if math.isnan(base[key]):
                assert math.isnan(other[key]), key
            else:
                assert other[key] == pytest.approx(base[key], abs=1e-12), key


# --------------------------------------------------------------------------- edge cases

def _long(rows):
    return pd.DataFrame(rows, columns=["unit", "coder", "value"])


def test_perfect_agreement():
    c = coeffs(ag.ratings_from_long(_long([(u, g, u % 3) for u in range(9) for g in "abc"])))
    for key in ("percent_agreement", "fleiss_kappa", "conger_kappa", "krippendorff_alpha", "gwet_ac1", "brennan_prediger", "scott_pi"):
        assert c[key] == pytest.approx(1.0), key


def test_one_category_only_is_nan_with_reason_not_one():
    t = ag.agreement_table(_long([(u, g, "yes") for u in range(5) for g in "ab"])).set_index("coefficient")
    for key in ("cohen_kappa", "scott_pi", "fleiss_kappa", "conger_kappa", "krippendorff_alpha"):
        assert math.isnan(t.loc[key, "estimate"]), key
        assert "only one category" in t.loc[key, "note"]
    assert t.loc["percent_agreement", "estimate"] == 1.0
    assert math.isnan(t.loc["gwet_ac1", "estimate"]) and "two categories" in t.loc["gwet_ac1", "note"]


def test_binary_code_never_applied_keeps_ac1_defined_but_not_kappa():
    # per code, the category set is {0, 1} even when only 0 was used
    r = ag.Ratings(np.zeros((10, 2), dtype=int), [0, 1])
    c = coeffs(r)
    assert math.isnan(c["cohen_kappa"]) and math.isnan(c["krippendorff_alpha"])
    assert c["gwet_ac1"] == 1.0 and c["brennan_prediger"] == 1.0 and c["pabak"] == 1.0


def test_single_unit_and_all_missing_unit():
    one = ag.agreement_table(_long([(1, "a", 1), (1, "b", 2)])).set_index("coefficient")
    assert one.loc["percent_agreement", "estimate"] == 0
    assert one.loc["krippendorff_alpha", "estimate"] == 0  # D_o = D_e = 1 for one unit with two values
    same = ag.agreement_table(_long([(1, "a", 1), (1, "b", 1)])).set_index("coefficient")
    assert math.isnan(same.loc["krippendorff_alpha", "estimate"]) and same.loc["percent_agreement", "estimate"] == 1
    rows = [(1, "a", 1), (1, "b", 1), (2, "a", 2), (2, "b", 2), (3, "a", None), (3, "b", None), (4, "a", 1), (4, "b", 2)]
    t = ag.agreement_table(_long(rows)).set_index("coefficient")
    assert t.loc["percent_agreement", "estimate"] == pytest.approx(2 / 3)
    assert t.loc["percent_agreement", "n_units"] == 3  # the unrated unit is not a unit of the data
    none = ag.agreement_table(_long([(1, "a", 1), (2, "b", 2)])).set_index("coefficient")
    assert none["estimate"].isna().all() and (none["note"] == "no unit has two or more ratings").all()


def test_empty_value_is_missing_never_a_category():
    t = ag.agreement_table(_long([(1, "a", "x"), (1, "b", ""), (2, "a", "y"), (2, "b", "y"), (3, "a", "x"), (3, "b", "x")]))
    assert t.iloc[0]["n_ratings"] == 5


def test_empty_sets_are_agreement_and_uncoded_is_missing():
    rows = [(1, "a", frozenset()), (1, "b", frozenset()), (2, "a", frozenset({"x"})), (2, "b", frozenset({"x"})),
            (3, "a", frozenset({"x", "y"})), (3, "b", frozenset({"y"})), (4, "a", None), (4, "b", frozenset({"x"}))]
    t = ag.agreement_table(_long(rows), distance="masi").set_index("coefficient")
    assert t.loc["krippendorff_alpha", "n_pairable_units"] == 3
    assert 0 < t.loc["krippendorff_alpha", "estimate"] < 1


def test_duplicate_rows_are_an_error_naming_the_lines():
    with pytest.raises(InputError) as info:
        ag.agreement_table(_long([(1, "a", 1), (1, "b", 1), (1, "a", 2), (2, "a", 1)]), )
    assert "lines 2, 4: unit '1' is rated twice by coder 'a'" in info.value.message


# --------------------------------------------------------------------------- bootstrap and calculator

def test_bootstrap_is_seeded_and_brackets_the_estimate():
    r = ag.ratings_from_matrix(DIAGNOSES.T)
    a = ag.compute([r], n_boot=400, seed=3)[0].set_index("coefficient")
    b = ag.compute([r], n_boot=400, seed=3)[0].set_index("coefficient")
    pd.testing.assert_frame_equal(a, b)
    c = ag.compute([r], n_boot=400, seed=4)[0].set_index("coefficient")
    assert not np.allclose(a["ci_low"].dropna(), c["ci_low"].dropna())
    for key in ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1"):
        assert a.loc[key, "ci_low"] < a.loc[key, "estimate"] < a.loc[key, "ci_high"]


def test_vectorised_bootstrap_equals_looping_the_point_estimate():
    r = ag.ratings_from_matrix(CAC_RAW4RATERS)
    U = ag.bootstrap_weights(12, 25, seed=9)
    vec = ag._evaluate([r], U)[0]
    for b in range(25):
        idx = np.repeat(np.arange(12), U[b].astype(int))
        looped = coeffs(ag.Ratings(r.X[idx], r.categories))
        for key in ("fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "conger_kappa", "percent_agreement"):
            if math.isnan(looped[key]):
                assert math.isnan(vec[key][b])
            else:
                assert vec[key][b] == pytest.approx(looped[key], abs=1e-12), key


def test_alpha_batch_equals_compute():
    rng = np.random.default_rng(5)
    X = rng.integers(-1, 3, size=(6, 40, 3))
    sets = [ag.Ratings(x, [0, 1, 2]) for x in X]
    for level in ("nominal", "ordinal", "interval"):
        batch = ag.alpha_batch(sets, level)
        for r, a in zip(sets, batch):
            assert a == pytest.approx(coeffs(r, level=level)["krippendorff_alpha"], abs=1e-12)


def test_chunked_bootstrap_equals_one_block(monkeypatch):
    r = ag.ratings_from_matrix(DIAGNOSES.T)
    whole = ag.compute([r], n_boot=300, seed=2)[0]
    monkeypatch.setattr(ag, "CHUNK_CELLS", 7 * 30)  # 7 resamples per chunk
    chunked = ag.compute([r], n_boot=300, seed=2)[0]
    pd.testing.assert_frame_equal(whole, chunked)


def test_pooled_decisions_resample_whole_units():
    rng = np.random.default_rng(0)
    codes = [ag.Ratings(rng.integers(0, 2, size=(30, 2)), [0, 1]) for _ in range(4)]
    pooled, unit_of = ag._pooled(codes)
    U = ag.bootstrap_weights(30, 5, seed=1)
    grouped = ag._evaluate([pooled], U, unit_of=unit_of)[0]
    expanded = ag._evaluate([pooled], U[:, unit_of])[0]
    for key in ("cohen_kappa", "krippendorff_alpha", "gwet_ac1"):
        np.testing.assert_allclose(grouped[key], expanded[key], atol=1e-12)


def test_interpretation_bands():
    assert ag.interpret("krippendorff_alpha", 0.81) == "reliable"
    assert ag.interpret("krippendorff_alpha", 0.70) == "tentative"
    assert ag.interpret("krippendorff_alpha", 0.60) == "unreliable"
    assert [ag.interpret("cohen_kappa", v) for v in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.9)] == \
        ["poor", "slight", "fair", "moderate", "substantial", "almost perfect"]
    assert ag.interpret("percent_agreement", 0.9) == ""


def test_calculator_json(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    rows = ["unit,coder,value"] + [f"{u},{'ABCD'[g]},{'' if np.isnan(K2011_C[g, u]) else int(K2011_C[g, u])}"
                                   for g in range(4) for u in range(12)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["agreement", str(path), "--level", "interval", "--bootstrap", "200", "--seed", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(ag.KEYS) <= set(out) and out["cohen_kappa"] is None
    assert round(out["krippendorff_alpha"], 3) == 0.849
    assert out["n_units"] == 12 and out["n_coders"] == 4 and out["n_ratings"] == 41 and out["level"] == "interval"
    assert set(out["ci"]) == set(ag.KEYS) and out["ci"]["cohen_kappa"] is None and out["seed"] == 5
    low, high = out["ci"]["krippendorff_alpha"]
    assert low < 0.849 < high


def test_calculator_multilabel_and_errors(tmp_path, capsys):
    path = tmp_path / "sets.csv"
    path.write_text("item;who;codes\n1;a;x|y\n1;b;x\n2;a;{}\n2;b;{}\n3;a;z\n3;b;z\n4;a;x\n4;b;\n", encoding="utf-8")
    assert main(["agreement", str(path), "--unit", "item", "--coder", "who", "--value", "codes",
                 "--multilabel-sep", "|", "--distance", "jaccard", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fleiss_kappa"] is None and out["krippendorff_alpha"] is not None and out["n_ratings"] == 7
    dup = tmp_path / "dup.csv"
    dup.write_text("unit,coder,value\n1,a,1\n1,a,2\n2,a,1\n", encoding="utf-8")
    assert main(["agreement", str(dup)]) == 1
    err = capsys.readouterr().err
    assert "lines 2, 3: unit '1' is rated twice by coder 'a'" in err and "Traceback" not in err
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,rater,score\n1,a,1\n", encoding="utf-8")
    assert main(["agreement", str(bad)]) == 1
    assert "no column(s) coder, value" in capsys.readouterr().err
    text = tmp_path / "text.csv"
    text.write_text("unit,coder,value\n1,a,1\n1,b,high\n", encoding="utf-8")
    assert main(["agreement", str(text), "--level", "interval"]) == 1
    assert "text.csv › line(s) 3: value is not a number" in capsys.readouterr().err


def test_study_stage_outputs(project):
    from compassion_study import ingest, sheets

    ingest.ingest(paths=project)
    sheets.import_codings(paths=project)
    out = ag.run(project, n_boot=200, seed=1)
    by_code = out["by_code"]
    assert set(by_code["coefficient"]) >= set(ag.KEYS) | set(ag.TWO_CODER_KEYS)
    assert by_code.groupby("code_id").ngroups == 17
    assert (by_code["seed"] == 1).all() and (by_code["n_boot"] == 200).all()
    assert {"krippendorff_alpha_masi", "krippendorff_alpha_jaccard"} <= set(out["overall"]["coefficient"])
    assert set(out["pairwise"]["coder_a"]) == {"alice"} and "(all codes)" in set(out["pairwise"]["code_id"])
    # every disagreement listed is a real split between the two coders
    codings = sheets.read_codings(project)
    for row in out["disagreements"].itertuples():
        marks = codings[(codings.unit_id == row.unit_id) & (codings.code_id == row.code_id)]["applied"]
        assert sorted(marks) == [0, 1]
    written = ag.read_table(project.agreement_by_code)
    assert len(written) == len(by_code)


def test_calculator_trims_ids_and_leaves_out_a_coder_with_no_ratings(tmp_path, capsys):
    """Issue 14 (1, 2): Cohen (1960), Table 1 (kappa .492 over 200 judgements) as a long CSV in which a
    third coder has a row for every unit but no rating, and ids carry the spaces a spreadsheet hides."""
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]]).T  # rows judge A, columns judge B
    pairs = [(a, b) for a in range(3) for b in range(3) for _ in range(table[a, b])]
    rows = ["unit,coder,value"]
    for u, (a, b) in enumerate(pairs):
        rows += [f"{u} , A,{a}", f" {u},B ,{b}", f"{u},C,"]
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["agreement", str(path), "--bootstrap", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_units"] == 200 and out["n_coders"] == 2 and out["n_ratings"] == 400
    assert round(out["cohen_kappa"], 3) == 0.492 and out["percent_agreement"] == pytest.approx(0.70)
