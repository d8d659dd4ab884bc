"""Agreement coefficients against published worked examples, reference implementations and invariances."""

from __future__ import annotations

import itertools
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
    # ASE (Fleiss, Cohen & Everitt 1969) as SAS prints it: 0.1380 unweighted, 0.1457 linear-weighted.
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    assert coeffs(from_table(table))["cohen_kappa"] == pytest.approx(0.4842, abs=5e-5)
    assert coeffs(from_table(table), weights="linear")["cohen_kappa"] == pytest.approx(0.4701, abs=5e-5)
    assert ag.cohen_ase(from_table(table), np.eye(3))[0] == pytest.approx(0.1380, abs=5e-5)
    assert ag.cohen_ase(from_table(table), ag.agreement_weights([0, 1, 2], "linear"))[0] == pytest.approx(0.1457, abs=5e-5)


def test_weighted_cohen_kappa_irr_anxiety():
    # R irr::kappa2(anxiety[, 2:3]) with weights unweighted / "equal" / "squared": -0.006289308,
    # 0.1459075, 0.2520325. irr weights the observed factor levels (1, 2, 3, 4, 6) by rank; numeric
    # categories are weighted by value here (as Gwet's irrCAC does), so pass the levels as labels.
    anxiety = np.array([3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3, 3, 6, 4, 6, 2, 4, 2, 4, 3, 3,
                        2, 3, 3, 3, 2, 2, 1, 3, 3, 4, 2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
                       ).reshape(20, 3, order="F")
    df = pd.DataFrame([(u, g, f"level {anxiety[u, g]}") for u in range(20) for g in (1, 2)], columns=["unit", "coder", "value"])
    levels = [f"level {k}" for k in (1, 2, 3, 4, 6)]  # text labels have no order of their own: it is given
    assert ag.cohen_kappa(df) == pytest.approx(-0.006289308, abs=5e-9)
    assert ag.cohen_kappa(df, weights="linear", categories=levels) == pytest.approx(0.1459075, abs=5e-8)
    assert ag.cohen_kappa(df, weights="quadratic", categories=levels) == pytest.approx(0.2520325, abs=5e-8)
    with pytest.raises(InputError, match="text labels .* no order; give it with --categories"):
        ag.cohen_kappa(df, weights="linear")


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


def test_set_distances_from_subset_sums_equal_the_matrix():
    """MASI and Jaccard alpha use a table of distances by |A|, |B|, |A ∩ B| and subset sums instead of
    the categories × categories matrix: the same distances bit for bit, the same expected disagreement."""
    rng = np.random.default_rng(3)
    sets = sorted({frozenset(map(int, rng.choice(10, size=rng.integers(0, 6), replace=False))) for _ in range(150)},
                  key=lambda s: (len(s), sorted(s)))
    x, y = np.meshgrid(np.arange(len(sets)), np.arange(len(sets)))
    for distance, matrix in (("masi", ag.masi_distance_matrix), ("jaccard", ag.jaccard_distance_matrix)):
        D = matrix(sets)
        fast = ag.weights.set_distance(sets, distance)
        assert isinstance(fast, ag.weights.SetDistance)
        np.testing.assert_array_equal(fast.pairs(x.ravel(), y.ravel()), D[x.ravel(), y.ravel()])
        assert fast.max == np.abs(D).max()
        counts = rng.integers(0, 40, size=(9, len(sets))).astype(float)  # bootstrap-like whole numbers
        np.testing.assert_allclose(fast.expected(counts), np.einsum("bk,bk->b", counts @ D, counts), rtol=1e-12)
        weights = counts + 0.5  # not counts: the matrix itself
        np.testing.assert_allclose(fast.expected(weights), np.einsum("bk,bk->b", weights @ D, weights), rtol=1e-12)


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
    vec = ag.coefficients._evaluate([r], U)[0]
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
    monkeypatch.setattr(ag.uncertainty, "CHUNK_CELLS", 7 * 30)  # 7 resamples per chunk
    chunked = ag.compute([r], n_boot=300, seed=2)[0]
    pd.testing.assert_frame_equal(whole, chunked)


def test_pattern_counts_equal_per_unit_sums_and_pooled_decisions_resample_whole_units():
    """The study's engine counts each code's patterns of marks per resample; the coefficients must equal
    those from the per-unit features summed directly, for all coders and for a pair, and the pooled
    decisions must equal the expanded item-level data resampled by unit."""
    rng = np.random.default_rng(0)
    X = rng.integers(-1, 2, size=(4, 30, 3)).astype(np.int8)  # 4 codes, 30 units, 3 coders, some uncoded
    U = ag.bootstrap_weights(30, 5, seed=1)
    views = [(0, 1, 2), (0, 2)]
    for v, (per_code, pooled) in zip(views, ag.codings._BinaryCodes(X, views)(U)):
        codes = [ag.Ratings(X[k][:, list(v)].astype(np.int64), [0, 1]) for k in range(4)]
        for k, direct in enumerate(ag.coefficients._evaluate(codes, U)):
            assert set(direct) == set(per_code)
            for key, values in direct.items():
                np.testing.assert_allclose(per_code[key][:, k], values, atol=1e-12, equal_nan=True)
        stacked = ag.Ratings(np.vstack([c.X for c in codes]), [0, 1])
        expanded = ag.coefficients._evaluate([stacked], U[:, np.tile(np.arange(30), 4)])[0]
        for key, values in expanded.items():
            np.testing.assert_allclose(pooled[key], values, atol=1e-12, equal_nan=True)


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
    assert "text.csv › line(s) 3: value(s) 'high' are not numbers" in capsys.readouterr().err


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


# --------------------------------------------------------------------------- the calculator (issue 14)


def _run_json(capsys, *argv) -> dict:
    assert main(["agreement", *map(str, argv), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _long_csv(path, matrix, label=lambda v: v, missing="") -> str:
    """A coders × units matrix (NaN = no rating) as a long CSV, values passed through ``label``."""
    rows = ["unit,coder,value"] + [f"{u},{'ABCDEF'[g]},{missing if np.isnan(matrix[g, u]) else label(int(matrix[g, u]))}"
                                   for g in range(matrix.shape[0]) for u in range(matrix.shape[1])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


# irrCAC (Gwet 2019) vignette "Weighted chance-corrected agreement coefficients": the weight matrices
# for categories 1:3 (off-diagonal neighbours, corners); corners are 0 for every scheme but identity.
@pytest.mark.parametrize("scheme,neighbour", [("identity", 0.0), ("radical", 0.2928932), ("linear", 0.5),
                                              ("ordinal", 0.6666667), ("quadratic", 0.75), ("circular", 0.0),
                                              ("bipolar", 0.6666667)])
def test_gwet_weight_schemes_match_irrcac(scheme, neighbour):
    w = ag.agreement_weights([1, 2, 3], scheme)
    assert np.allclose(np.diag(w), 1) and np.allclose(w, w.T)
    assert w[0, 1] == pytest.approx(neighbour, abs=5e-7) and w[1, 2] == pytest.approx(neighbour, abs=5e-7)
    assert w[0, 2] == pytest.approx(0.0, abs=1e-12)


def test_ratio_weights_and_custom_weights_from_a_file(tmp_path, capsys):
    # ratio weights (Gwet 2014, ch. 3): 1 - ((x_k - x_l)/(x_k + x_l))^2 / ((max - min)/(max + min))^2
    w = ag.agreement_weights([1, 2, 3], "ratio")
    assert w[0, 1] == pytest.approx(1 - (1 / 3) ** 2 / 0.25) and w[0, 2] == pytest.approx(0.0)
    ratings = _long_csv(tmp_path / "r.csv", K2011_C)
    quadratic = _run_json(capsys, ratings, "--weights", "quadratic")
    # the same weights written out by hand, rows and columns in another order, give the same coefficients
    grid = ag.agreement_weights([1, 2, 3, 4, 5], "quadratic")
    order = [3, 1, 4, 0, 2]
    lines = ["," + ",".join(str(order[j] + 1) for j in range(5))]
    lines += [f"{order[i] + 1}," + ",".join(f"{grid[order[i], order[j]]:.17g}" for j in range(5)) for i in range(5)]
    (tmp_path / "w.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    custom = _run_json(capsys, ratings, "--weights", tmp_path / "w.csv")
    assert custom["weights"] == "custom" and quadratic["weights"] == "quadratic"
    for key in ag.KEYS:
        assert custom[key] == pytest.approx(quadratic[key], abs=1e-12) or custom[key] is quadratic[key] is None
    (tmp_path / "big.csv").write_text(",1,2\n1,1,2\n2,0.5,1\n", encoding="utf-8")
    assert main(["agreement", str(ratings), "--weights", str(tmp_path / "big.csv")]) == 1
    assert "big.csv: custom weights must be numbers from 0 to 1" in capsys.readouterr().err
    (tmp_path / "few.csv").write_text(",1,2\n1,1,0.5\n2,0.5,1\n", encoding="utf-8")  # the file names the categories
    assert main(["agreement", str(ratings), "--weights", str(tmp_path / "few.csv")]) == 1
    assert "value(s) '3', '4', '5' are not among the categories (1, 2)" in capsys.readouterr().err
    assert main(["agreement", str(ratings), "--weights", str(tmp_path / "few.csv"), "--categories", "1,2,3,4,5"]) == 1
    assert "few.csv › line 1: the weights must name each category once" in capsys.readouterr().err


def test_weights_reach_every_coefficient_and_say_so(tmp_path, capsys):
    # Krippendorff (2011) section C: with quadratic weights alpha's difference 1 - w is the interval
    # metric scaled, so weighted alpha is the published interval alpha .849 (as irrCAC computes it).
    out = _run_json(capsys, _long_csv(tmp_path / "r.csv", K2011_C), "--weights", "quadratic")
    assert round(out["krippendorff_alpha"], 3) == 0.849
    assert out["notes"]["gwet_ac1"] == "AC2: Gwet's AC1 with quadratic weights"
    assert out["notes"]["percent_agreement"] == "weighted agreement (quadratic weights)"
    assert {out["notes"][k] for k in ("fleiss_kappa", "conger_kappa", "scott_pi", "brennan_prediger",
                                      "krippendorff_alpha")} == {"quadratic-weighted"}
    # irrCAC kappa2.table(cont3x3abstractors, weights = quadratic.weights(1:3)): Cohen's kappa 0.8921569
    c = coeffs(from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]), weights="quadratic")
    assert c["cohen_kappa"] == pytest.approx(0.8921569, abs=5e-8)
    assert main(["agreement", str(tmp_path / "r.csv"), "--weights", "quadratic", "--level", "interval"]) == 1
    assert "drop one" in capsys.readouterr().err
    assert main(["agreement", str(tmp_path / "r.csv"), "--weights", "cubic"]) == 1
    assert "use one of identity, linear, quadratic, ordinal, radical, ratio, circular, bipolar" in capsys.readouterr().err


def test_text_labels_are_ordered_as_given_and_missing_tokens_are_missing(tmp_path, capsys):
    """Krippendorff (2011) section C as text labels: ordinal alpha is the published .815 only in the
    order given; alphabetical order would be a silent misreading, so without --categories it is refused."""
    names = ["very low", "low", "medium", "high", "very high"]
    labels = _long_csv(tmp_path / "labels.csv", K2011_C, label=lambda v: names[v - 1])
    assert main(["agreement", str(labels), "--level", "ordinal"]) == 1
    assert "the values are text labels (high, low, medium, very high, very low), not numbers (ordered categories " \
        "are needed: numbers, or their order given with --categories); give the labels in their order with " \
        "--categories" in capsys.readouterr().err
    out = _run_json(capsys, labels, "--level", "ordinal", "--categories", ",".join(names))
    assert round(out["krippendorff_alpha"], 3) == 0.815 and out["categories"] == names
    # one NA in a numeric scale: refused with the line and the fix, then read as missing when listed
    na = _long_csv(tmp_path / "na.csv", K2011_C, missing="NA")
    assert main(["agreement", str(na), "--level", "ordinal"]) == 1
    err = capsys.readouterr().err
    assert "na.csv › line(s) 11, 12, 13, 24, 26, 37, 49:" in err and "'NA' are not numbers" in err and "--missing NA" in err
    assert round(_run_json(capsys, na, "--level", "ordinal", "--missing", "NA,.")["krippendorff_alpha"], 3) == 0.815
    # a value outside the categories is named, never dropped
    assert main(["agreement", str(labels), "--level", "ordinal", "--categories", "low,medium,high"]) == 1
    assert "are not among the categories" in capsys.readouterr().err


def test_unused_categories_count_for_ac1_and_bp(tmp_path, capsys):
    # Gwet (2014): q is the number of categories the coders could use. cont3x3abstractors with a fourth,
    # unused category: BP = (p_a - 1/4) / (1 - 1/4) = (0.89 - 0.25) / 0.75.
    rows = ["unit,coder,value"]
    u = 0
    for i, j, n in [(0, 0, 13), (1, 1, 20), (1, 2, 7), (2, 1, 4), (2, 2, 56)]:
        for _ in range(n):
            rows += [f"{u},A,{'abc'[i]}", f"{u},B,{'abc'[j]}"]
            u += 1
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _run_json(capsys, tmp_path / "t.csv")["brennan_prediger"] == pytest.approx(0.835, abs=5e-8)
    out = _run_json(capsys, tmp_path / "t.csv", "--categories", "a,b,c,d")
    assert out["brennan_prediger"] == pytest.approx((0.89 - 0.25) / 0.75, abs=1e-12)


def test_interval_alpha_does_not_depend_on_the_scale():
    # Krippendorff (2011) section C, interval .849, with every value multiplied by 1e-8 or 1e8
    for scale in (1e-8, 1.0, 1e8):
        alpha = coeffs(ag.ratings_from_matrix(K2011_C * scale), level="interval")["krippendorff_alpha"]
        assert round(alpha, 3) == 0.849, scale


def test_labels_decimal_commas_utf16_and_set_cells(tmp_path, capsys):
    # nominal labels stay as written: "01" and "1" are two categories, so these two coders never agree
    (tmp_path / "ids.csv").write_text("unit,coder,value\n1,a,01\n1,b,1\n2,a,02\n2,b,2\n3,a,1\n3,b,01\n", encoding="utf-8")
    assert _run_json(capsys, tmp_path / "ids.csv")["percent_agreement"] == 0.0
    # decimal commas (a European spreadsheet's export) are the same numbers as decimal points
    commas = tmp_path / "commas.csv"
    rows = ["unit;coder;value"] + [f"{u};{'ABCD'[g]};{'' if np.isnan(K2011_C[g, u]) else str(K2011_C[g, u] / 2).replace('.', ',')}"
                                   for g in range(4) for u in range(12)]
    commas.write_text("\n".join(rows) + "\n", encoding="utf-8")
    a = _run_json(capsys, commas, "--level", "interval")["krippendorff_alpha"]
    assert round(a, 3) == 0.849
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes(commas.read_text(encoding="utf-8").replace(";", "\t").encode("utf-16"))
    assert _run_json(capsys, utf16, "--level", "interval")["krippendorff_alpha"] == pytest.approx(a, abs=1e-12)
    # a cell holding only the separator is neither a set of codes nor missing: it is named
    (tmp_path / "sets.csv").write_text("unit,coder,value\n1,a,x|y\n1,b,|\n2,a,x\n2,b,x\n", encoding="utf-8")
    assert main(["agreement", str(tmp_path / "sets.csv"), "--multilabel-sep", "|"]) == 1
    assert "line(s) 3: a value holds separators but no label" in capsys.readouterr().err
    assert main(["agreement", str(tmp_path / "ids.csv"), "--distance", "masi"]) == 1
    assert "give their separator (--multilabel-sep)" in capsys.readouterr().err
    (tmp_path / "sets.csv").write_text("unit,coder,value\n1,a,x|y\n1,b,x\n2,a,x\n2,b,x\n", encoding="utf-8")
    assert main(["agreement", str(tmp_path / "sets.csv"), "--multilabel-sep", "|", "--weights", "linear"]) == 1
    assert "not by --weights or --level" in capsys.readouterr().err


def test_prevalence_and_bias_name_the_positive_category_and_ci_level(tmp_path, capsys):
    # Byrt, Bishop & Carlin (1993): PI and BI are defined for a "positive" category; the output says which
    (tmp_path / "yn.csv").write_text("unit,coder,value\n" + "".join(
        f"{u},a,{x}\n{u},b,{y}\n" for u, (x, y) in enumerate(
            [("yes", "yes"), ("yes", "no"), ("no", "no"), ("no", "no"), ("yes", "yes"), ("no", "yes")])),
        encoding="utf-8")
    out = _run_json(capsys, tmp_path / "yn.csv", "--bootstrap", "300", "--seed", "3")
    assert out["notes"]["prevalence_index"] == "positive category 'yes'"
    assert out["prevalence_index"] == pytest.approx(2 / 6 - 2 / 6)
    ratings = _long_csv(tmp_path / "r.csv", K2011_C)
    wide = _run_json(capsys, ratings, "--bootstrap", "400", "--seed", "1")
    narrow = _run_json(capsys, ratings, "--bootstrap", "400", "--seed", "1", "--ci-level", "0.8")
    assert wide["ci_level"] == 0.95 and narrow["ci_level"] == 0.8
    (lw, hw), (ln, hn) = wide["ci"]["krippendorff_alpha"], narrow["ci"]["krippendorff_alpha"]
    assert lw <= ln < hn <= hw and (hn - ln) < (hw - lw)
    with pytest.raises(SystemExit) as usage:  # argparse: a usage error
        main(["agreement", str(ratings), "--ci-level", "95"])
    assert usage.value.code == 2 and "between 0 and 1" in capsys.readouterr().err


def test_every_input_shape_gives_the_same_coefficients(tmp_path, capsys):
    """Long, wide and contingency-table forms of Krippendorff's (2011) two-coder example B (alpha .692),
    and counts vs long for Fleiss' (1971) first 15 patients (irrCAC distrib.6raters: Fleiss .4139265)."""
    a = "a a b b d c c c e d d a".split()
    b = "b a b b b c c c e d d d".split()
    (tmp_path / "long.csv").write_text("unit,coder,value\n" + "".join(f"{u},A,{x}\n{u},B,{y}\n" for u, (x, y)
                                                                     in enumerate(zip(a, b))), encoding="utf-8")
    (tmp_path / "wide.csv").write_text("item,A,B\n" + "".join(f"{u},{x},{y}\n" for u, (x, y) in enumerate(zip(a, b))),
                                       encoding="utf-8")
    cats = sorted(set(a + b))
    lines = ["A \\ B," + ",".join(cats)] + [x + "," + ",".join(str(sum(p == (x, y) for p in zip(a, b))) for y in cats)
                                           for x in cats]
    (tmp_path / "table.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    long_ = _run_json(capsys, tmp_path / "long.csv")
    wide = _run_json(capsys, tmp_path / "wide.csv", "--shape", "wide", "--unit", "item")
    table = _run_json(capsys, tmp_path / "table.csv", "--shape", "table")
    assert round(long_["krippendorff_alpha"], 3) == 0.692
    for key in ag.KEYS:
        assert wide[key] == long_[key] and table[key] == pytest.approx(long_[key], abs=1e-12) or \
            wide[key] is long_[key] is table[key] is None
    distrib = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
               [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
               [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    (tmp_path / "counts.csv").write_text("patient,d1,d2,d3,d4,d5\n" + "".join(
        f"p{i}," + ",".join(map(str, row)) + "\n" for i, row in enumerate(distrib)), encoding="utf-8")
    counts = _run_json(capsys, tmp_path / "counts.csv", "--shape", "counts")
    assert counts["fleiss_kappa"] == pytest.approx(0.4139265, abs=5e-8)
    assert counts["gwet_ac1"] == pytest.approx(0.4448007, abs=5e-8)
    assert counts["conger_kappa"] is None and "which coder gave which rating" in counts["notes"]["conger_kappa"]
    # an unused category in the header still counts (q = 6 for Brennan-Prediger)
    (tmp_path / "six.csv").write_text("patient,d1,d2,d3,d4,d5,d6\n" + "".join(
        f"p{i}," + ",".join(map(str, row)) + ",0\n" for i, row in enumerate(distrib)), encoding="utf-8")
    six = _run_json(capsys, tmp_path / "six.csv", "--shape", "counts")
    assert six["fleiss_kappa"] == pytest.approx(0.4139265, abs=5e-8)
    assert counts["brennan_prediger"] == pytest.approx(0.4388889, abs=5e-8)
    assert six["brennan_prediger"] == pytest.approx((counts["percent_agreement"] - 1 / 6) / (5 / 6), abs=1e-12)
    (tmp_path / "bad.csv").write_text("patient,d1,d2\np1,2,x\n", encoding="utf-8")
    assert main(["agreement", str(tmp_path / "bad.csv"), "--shape", "counts"]) == 1
    assert "bad.csv › line 2: 'x' under 'd2' is not a count" in capsys.readouterr().err


def test_analytic_standard_errors_match_irrcac(tmp_path, capsys):
    """irrCAC README (Gwet 2019), cac.raw4raters (12 subjects, 4 raters, missing ratings): coeff.se, the
    95% t-interval and p-values of pa.coeff.raw, gwet.ac1.raw, fleiss.kappa.raw, krippen.alpha.raw,
    conger.kappa.raw and bp.coeff.raw (Gwet 2008; Gwet 2014, ch. 5)."""
    out = _run_json(capsys, _long_csv(tmp_path / "r.csv", CAC_RAW4RATERS))
    published = {"percent_agreement": (0.12561, 0.542, 4.345373e-05), "gwet_ac1": (0.14295, 0.461, 0.000208721),
                 "fleiss_kappa": (0.15302, 0.424, 0.000419173), "krippendorff_alpha": (0.14557, 0.419, 0.0004594257),
                 "brennan_prediger": (0.14472, 0.454, 0.0002375609), "conger_kappa": (0.14917, 0.435, 0.0003367066)}
    for key, (se, low, p) in published.items():
        assert out["se"][key] == pytest.approx(se, abs=5e-6), key
        assert out["se_ci"][key][0] == pytest.approx(low, abs=5e-4) and out["se_ci"][key][1] == 1.0, key
        assert out["p_value"][key] == pytest.approx(p, rel=2e-3), key
    assert out["se"]["cohen_kappa"] is None  # four coders
    # the distribution form of the same statistics, irrCAC gwet.ac1.dist(distrib.6raters): stderr 0.08418757
    counts = tmp_path / "counts.csv"
    distrib = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
               [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
               [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    counts.write_text("p,a,b,c,d,e\n" + "".join(f"{i}," + ",".join(map(str, row)) + "\n" for i, row in enumerate(distrib)),
                      encoding="utf-8")
    dist = _run_json(capsys, counts, "--shape", "counts")
    assert dist["se"]["gwet_ac1"] == pytest.approx(0.08418757, abs=5e-8)
    assert dist["se"]["fleiss_kappa"] == pytest.approx(0.08119291, abs=5e-8)
    assert dist["se"]["brennan_prediger"] == pytest.approx(0.08312142, abs=5e-8)
    # (krippen.alpha.dist documents 0.08243228 from a different, distribution-only formula; the raw-data
    # formula, checked above, is the one used here for every shape)


def test_per_category_kappa_light_kappa_and_pairs(tmp_path, capsys):
    """Fleiss (1971), 30 patients x 6 psychiatrists: per-category kappas .245, .245, .520, .471, .566 (his
    Table; R irr::kappam.fleiss(diagnoses, detail = TRUE)); Light's kappa .459 (R irr::kappam.light)."""
    out = _run_json(capsys, _long_csv(tmp_path / "d.csv", DIAGNOSES.T.astype(float)))
    assert [round(c["kappa"], 3) for c in out["per_category"]] == [0.245, 0.245, 0.520, 0.471, 0.566]
    assert [c["category"] for c in out["per_category"]] == ["1", "2", "3", "4", "5"]  # nominal labels, as written
    # Fleiss (1971) eq. 9-10: p_j = .144, .144, .167, .306, .239 of the 180 assignments; with complete data each
    # kappa_j is (p_o - p_e) / (1 - p_e), p_e = p_j^2 + q_j^2 the chance agreement on "category j or not"
    assert [round(c["share"], 3) for c in out["per_category"]] == [0.144, 0.144, 0.167, 0.306, 0.239]
    for c in out["per_category"]:
        assert c["p_e"] == pytest.approx(c["share"] ** 2 + (1 - c["share"]) ** 2, abs=1e-12)
        assert (c["p_o"] - c["p_e"]) / (1 - c["p_e"]) == pytest.approx(c["kappa"], abs=1e-12)
    assert round(out["light_kappa"], 3) == 0.459 and len(out["pairwise"]) == 15
    first = out["pairwise"][0]
    assert first["n_units"] == 30 and (first["coder_a"], first["coder_b"]) == ("A", "B")
    # each pair's kappa is the two-coder Cohen's kappa of that pair alone
    pair = pd.DataFrame([(u, g, DIAGNOSES[u, j]) for u in range(30) for j, g in ((0, "A"), (1, "B"))],
                        columns=["unit", "coder", "value"])
    assert first["cohen_kappa"] == pytest.approx(ag.cohen_kappa(pair), abs=1e-12)
    assert main(["agreement", str(tmp_path / "d.csv")]) == 0
    shown = capsys.readouterr().out
    assert "Per category" in shown and "Light's kappa" in shown


def test_probability_that_alpha_is_below_a_minimum(tmp_path, capsys):
    """KALPHA's q (Hayes & Krippendorff 2007): the share of bootstrap alphas below each minimum, here over
    resampled units; checked against resampling the units one by one (Krippendorff 2011, section C)."""
    out = _run_json(capsys, _long_csv(tmp_path / "r.csv", K2011_C), "--bootstrap", "200", "--seed", "4")
    q = out["p_alpha_below"]
    assert list(q) == ["0.5", "0.6", "0.667", "0.7", "0.8", "0.9"]
    assert all(a <= b for a, b in zip(q.values(), list(q.values())[1:]))  # more likely below a higher minimum
    r = ag.ratings_from_matrix(K2011_C)
    U = ag.bootstrap_weights(12, 200, seed=4)
    looped = np.array([coeffs(ag.Ratings(r.X[np.repeat(np.arange(12), U[b].astype(int))], r.categories))
                       ["krippendorff_alpha"] for b in range(200)])
    looped = looped[np.isfinite(looped)]
    assert q["0.8"] == pytest.approx(float((looped < 0.8).mean()), abs=1e-12)


def test_reliability_verdicts_use_the_lower_bound_not_the_estimate():
    """Krippendorff (2004): a code must be shown to reach the minimum; the lower CI bound decides. A code
    with alpha 0.95 on a handful of units whose interval reaches down to 0.4 is not shown reliable, and a code
    applied to three units (a [1, 1] interval) is undetermined."""
    base = {"round": "r1", "coefficient": "krippendorff_alpha", "n_ratings": 80, "n_coders": 2, "note": ""}
    rows = [dict(base, code_id="solid", estimate=0.93, ci_low=0.85, ci_high=0.99, prevalence=0.4),
            dict(base, code_id="middling", estimate=0.82, ci_low=0.70, ci_high=0.92, prevalence=0.3),
            dict(base, code_id="wide", estimate=0.95, ci_low=0.40, ci_high=1.0, prevalence=0.15),
            dict(base, code_id="few", estimate=1.0, ci_low=1.0, ci_high=1.0, prevalence=6 / 80),
            dict(base, code_id="no-ci", estimate=0.9, ci_low=np.nan, ci_high=np.nan, prevalence=0.2),
            dict(base, code_id="rare-low", estimate=0.5, ci_low=0.1, ci_high=1.0, prevalence=6 / 80),
            dict(base, code_id="solid", coefficient="cohen_kappa", estimate=0.1, ci_low=0.0, ci_high=0.2, prevalence=0.4)]
    v = ag.reliability_verdicts(pd.DataFrame(rows), minimum=0.667, target=0.8).set_index("code_id")["verdict"]
    assert v.to_dict() == {"solid": "reliable", "middling": "tentative", "wide": "not shown reliable",
                           "few": "undetermined", "no-ci": "undetermined", "rare-low": "not shown reliable"}
    stricter = ag.reliability_verdicts(pd.DataFrame(rows), minimum=0.8, target=0.9).set_index("code_id")["verdict"]
    assert stricter["solid"] == "tentative" and stricter["middling"] == "not shown reliable"
    with pytest.raises(InputError):
        ag.reliability_verdicts(pd.DataFrame(rows), minimum=0.9, target=0.8)


def test_verdicts_give_q_the_bootstrap_probability_of_falling_short():
    """Hayes & Krippendorff (2007): q = P(alpha < minimum) over the bootstrap distribution. A percentile
    interval whose lower bound reaches the minimum leaves at most 2.5% of resamples below it, so q and the
    bound tell the same story; q is reported beside each verdict."""
    rng = np.random.default_rng(5)
    ids = ["often", "noisy"]
    rows = []
    for unit in range(200):
        truth = rng.random() < 0.5
        for coder in ("ann", "ben"):
            noisy = rng.random() < 0.5
            rows += [("r1", coder, f"u{unit}", "often", int(truth if rng.random() > 0.02 else not truth)),
                     ("r1", coder, f"u{unit}", "noisy", int(noisy))]
    codings = pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])
    table = ag.by_code(codings, ids, 400, 1, minimum=0.667)
    alpha = table[table["coefficient"] == "krippendorff_alpha"].set_index("code_id")
    assert table.loc[table["coefficient"] != "krippendorff_alpha", "q_below_minimum"].isna().all()
    assert alpha.loc["often", "ci_low"] >= 0.667 and alpha.loc["often", "q_below_minimum"] <= 0.025
    assert alpha.loc["noisy", "ci_low"] < 0.667 and alpha.loc["noisy", "q_below_minimum"] > 0.9
    reasons = ag.reliability_verdicts(table, 0.667, 0.8).set_index("code_id")["reason"]
    assert f"q = P(alpha < 0.667) = {alpha.loc['noisy', 'q_below_minimum']:.3f}" in reasons["noisy"]
    assert "q_below_minimum" not in ag.by_code(codings, ids, 20, 1).columns  # only when a minimum is given


def test_cohen_kappa_standard_error_matches_irrcac_tables():
    # irrCAC kappa2.table: cont3x3abstractors kappa 0.7964094, SE 0.05891072 (README);
    # cont4x4diagnosis (inst/extdata/cont4x4diagnosis.csv, 223 patients) SE .046 (Gwet 2014, ch. 2)
    assert ag.cohen_ase(from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]), np.eye(3))[0] == pytest.approx(0.05891072, abs=5e-9)
    diagnosis = [[40, 6, 4, 15], [4, 25, 1, 5], [4, 2, 21, 9], [17, 13, 12, 45]]
    assert round(ag.cohen_ase(from_table(diagnosis), np.eye(4))[0], 3) == 0.046


def test_two_coder_standard_errors_match_irrcac_tables():
    """irrCAC README, cont3x3abstractors: scott2.table 0.05905473, gwet.ac1.table 0.04321747, bp2.table
    0.04693346, pa2.table 0.03128898. The table functions divide the variance by n, the raw-data formulas
    used here by n - 1 (Gwet 2014, ch. 5), so the two differ by exactly sqrt(n / (n - 1)) with n = 100."""
    r = from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    se = ag.gwet_variance(r, np.eye(3), 1 - np.eye(3))
    to_table = math.sqrt(99 / 100)
    for key, published in (("scott_pi", 0.05905473), ("gwet_ac1", 0.04321747), ("brennan_prediger", 0.04693346),
                           ("percent_agreement", 0.03128898)):
        assert se[key][0] * to_table == pytest.approx(published, abs=5e-9), key


def test_calculator_csv_is_the_tidy_table(tmp_path, capsys):
    import io

    ratings = _long_csv(tmp_path / "r.csv", CAC_RAW4RATERS)
    js = _run_json(capsys, ratings, "--weights", "linear")
    assert main(["agreement", str(ratings), "--weights", "linear", "--csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(table["coefficient"]) == list(ag.KEYS) + [k for k in ag.TWO_CODER_KEYS if k in set(table["coefficient"])]
    for row in table.itertuples():
        assert (js[row.coefficient] is None and np.isnan(row.estimate)) or row.estimate == pytest.approx(js[row.coefficient])
    assert set(table["weights"]) == {"linear"} and "se" in table.columns


def test_fleiss_null_hypothesis_test_1971():
    """Fleiss (1971), 30 patients x 6 psychiatrists: kappa .430 with z = 17.7 (R irr::kappam.fleiss:
    z 17.652); per category z 5.192, 5.192, 11.031, 9.994, 12.009 (kappam.fleiss(detail = TRUE))."""
    test = ag.fleiss_null_test(ag.ratings_from_matrix(DIAGNOSES.T))
    assert round(test["z"], 2) == 17.65 and test["p_value"] < 1e-12
    assert [round(z, 3) for _, z, _ in test["categories"]] == [5.192, 5.192, 11.031, 9.994, 12.009]
    # defined only when every unit has the same number of ratings
    assert ag.fleiss_null_test(ag.ratings_from_matrix(CAC_RAW4RATERS)) is None


def test_cells_no_column_names_are_refused_not_dropped(tmp_path, capsys):
    """An unquoted decimal comma splits a value into two cells; a coder column without a name would be
    skipped; a superscript or a 5,000-digit count would crash int(): each is one message with its line."""
    cases = {"long.csv": ("unit,coder,value\n1,a,1,5\n1,b,2\n", (), "line 2: a value ('5') in column 4, which has no header"),
             "wide.csv": ("item,A,\n1,x,y\n2,x,x\n", ("--shape", "wide"), "line 2: a value ('y') in column 3"),
             "sup.csv": ("p,a,b\nx,²,1\ny,1,1\n", ("--shape", "counts"), "line 2: '²' under 'a' is not a count"),
             "big.csv": ("p,a,b\nx," + "9" * 5000 + ",1\n", ("--shape", "counts"), "line 2: '999")}
    for name, (text, extra, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert main(["agreement", str(tmp_path / name), *extra]) == 1, name
        err = capsys.readouterr().err
        assert f"{name} › {message}" in err and "Traceback" not in err, err
    # a blank corner cell (R's write.csv) is still fine
    (tmp_path / "corner.csv").write_text(",A,B\n1,x,x\n2,y,y\n3,x,y\n", encoding="utf-8")
    assert _run_json(capsys, tmp_path / "corner.csv", "--shape", "wide")["n_units"] == 3


def test_each_table_alone_equals_the_stage_s_one_pass(tmp_path):
    """``by_code``, ``pairwise``, ``overall`` and ``disagreements`` called alone give exactly the rows the
    agreement stage writes from one pass per round (shared resamples; a coder who coded only some units;
    a second round with two coders)."""
    rng = np.random.default_rng(11)
    ids = ["a", "b", "c", "d"]
    rows = []
    for rnd, coders in (("r1", ["ann", "ben", "cat"]), ("r2", ["ann", "cat"])):
        for unit in range(30):
            for coder in coders:
                if coder == "cat" and unit % 3 == 0:
                    continue  # cat left every third unit uncoded
                marks = rng.random(len(ids)) < 0.3
                rows += [(rnd, coder, f"u{unit}", cid, int(m)) for cid, m in zip(ids, marks)]
    codings = pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])
    parts: dict = {"by_code": [], "pairwise": [], "overall": []}
    for rnd, grp in codings.groupby("round"):
        for part, table in ag.codings._round_tables(grp, ids, 40, 3).items():
            parts[part].append(table.assign(round=rnd))
    together = {part: ag.codings._ordered(part, frames) for part, frames in parts.items()}
    pd.testing.assert_frame_equal(ag.by_code(codings, ids, 40, 3), together["by_code"])
    pd.testing.assert_frame_equal(ag.pairwise(codings, ids, 40, 3), together["pairwise"])
    pd.testing.assert_frame_equal(ag.overall(codings, ids, 40, 3), together["overall"])
    split = ag.disagreements(codings)
    assert len(split) and (split["n_applied"] > 0).all() and (split["n_applied"] < split["n_coders"]).all()
    cells = list(zip(split["round"], split["code_id"], split["unit_id"]))
    first_seen = dict.fromkeys(zip(codings["round"], codings["code_id"], codings["unit_id"]))
    assert cells == [cell for cell in first_seen if cell in set(cells)]  # in order of each cell's first row


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_study_tables_equal_the_general_engine_on_random_codings(seed):
    """The stage's pattern counts and shared resamples against :func:`compute` on each table's own ratings
    (per-unit features, a matrix product per resample): random codings with 2-4 coders, units some coders
    left uncoded, a code nobody applied and a code missing from the codebook's list."""
    rng = np.random.default_rng(seed)
    ids = ["a", "b", "c", "d", "e"]
    coders = ["ann", "ben", "cat", "dan"][: rng.integers(2, 5)]
    rows = []
    for unit in range(25):
        for coder in coders:
            if rng.random() < 0.2:
                continue
            marks = (rng.random(len(ids)) < 0.35) & (np.array(ids) != "e")  # "e": never applied
            rows += [("r1", coder, f"u{unit}", cid, int(m)) for cid, m in zip(ids, marks)]
    codings = pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])
    listed = ids[:-1]  # "e" is in the codings but not in the codebook's list
    n_boot, boot_seed = 60, 4
    cols = ["estimate", "ci_low", "ci_high"]
    by_code = ag.by_code(codings, listed, n_boot, boot_seed)
    general = ag.compute(ag.code_ratings(codings, listed)[0], n_boot=n_boot, seed=boot_seed)
    for cid, table in zip(listed, general):
        mine = by_code[by_code["code_id"] == cid].reset_index(drop=True)
        np.testing.assert_allclose(mine[cols].to_numpy(float), table[cols].to_numpy(float), atol=1e-12)
    overall = ag.overall(codings, listed, n_boot, boot_seed).set_index("coefficient")
    for distance in ("masi", "jaccard"):
        table = ag.compute([ag.set_ratings(codings)], distance=distance, n_boot=n_boot, seed=boot_seed)[0]
        alpha = table.set_index("coefficient").loc["krippendorff_alpha", cols].to_numpy(float)
        np.testing.assert_allclose(overall.loc[f"krippendorff_alpha_{distance}", cols].to_numpy(float), alpha,
                                   atol=1e-12)
    pairwise = ag.pairwise(codings, listed, n_boot, boot_seed)
    for a, b in itertools.combinations(sorted(coders), 2):
        pair = codings[codings["coder"].isin([a, b])]
        mine = pairwise[(pairwise["coder_a"] == a) & (pairwise["coder_b"] == b)]
        for cid, table in zip(listed, ag.compute(ag.code_ratings(pair, listed)[0], n_boot=n_boot, seed=boot_seed)):
            got = mine[(mine["code_id"] == cid) & (mine["coefficient"] == "cohen_kappa")][cols].to_numpy(float)
            want = table[table["coefficient"] == "cohen_kappa"][cols].to_numpy(float)
            np.testing.assert_allclose(got, want, atol=1e-12)
        masi = ag.compute([ag.set_ratings(pair)], distance="masi", n_boot=n_boot, seed=boot_seed)[0]
        got = mine[mine["coefficient"] == "krippendorff_alpha_masi"][cols].to_numpy(float)
        np.testing.assert_allclose(got, masi[masi["coefficient"] == "krippendorff_alpha"][cols].to_numpy(float),
                                   atol=1e-12)


# --------------------------------------------------------------------------- issue 14, audit: silent misreadings


def test_pandas_missing_values_are_missing_never_ratings():
    """``pd.NA`` (nullable Int64 and string columns), ``NaT`` and float32 NaN are missing ratings: Krippendorff's
    (2011) section C data give the published nominal alpha .743 with the same 41 ratings either way."""
    rows = [(u, g, K2011_C[g, u]) for g in range(4) for u in range(12)]
    plain = pd.DataFrame(rows, columns=["unit", "coder", "value"])
    nullable = plain.assign(value=plain["value"].astype("Int64"))
    text = plain.assign(value=pd.array([None if np.isnan(v) else str(int(v)) for v in plain["value"]], dtype="string"))
    for df in (nullable, text):
        t = ag.agreement_table(df).set_index("coefficient")
        assert int(t.loc["krippendorff_alpha", "n_ratings"]) == 41
        assert round(t.loc["krippendorff_alpha", "estimate"], 3) == 0.743
    mixed = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ababab"),
                          "value": ["x", "x", "y", pd.NA, pd.NaT, np.float32("nan")]})
    assert int(ag.agreement_table(mixed)["n_ratings"].iloc[0]) == 3


def test_na_among_numbers_at_the_nominal_level_is_refused_with_the_fix(tmp_path, capsys):
    """Krippendorff (2011) section C with its missing ratings written NA: at the nominal level NA would be a
    sixth category; refused with the lines and --missing NA, after which alpha is the published .743."""
    na = _long_csv(tmp_path / "na.csv", K2011_C, missing="NA")
    assert main(["agreement", str(na)]) == 1
    err = capsys.readouterr().err
    assert "na.csv › line(s) 11, 12, 13, 24, 26, 37, 49: value(s) 'NA' in a column of numbers" in err
    assert "--missing NA" in err and "--categories" in err
    assert round(_run_json(capsys, na, "--missing", "NA")["krippendorff_alpha"], 3) == 0.743
    # every spelling of "no value" a spreadsheet or package writes, in any case
    for token in ("N/A", "#N/A", "NaN", ".", "na"):
        path = _long_csv(tmp_path / "t.csv", K2011_C, missing=token)
        assert main(["agreement", str(path)]) == 1, token
        assert f"'{token}' in a column of numbers" in capsys.readouterr().err
    # NA kept on purpose, as a category named with the others
    out = _run_json(capsys, na, "--categories", "1,2,3,4,5,NA")
    assert "NA" in out["categories"] and out["n_ratings"] == 48
    # text labels may include such a word: no numbers, no refusal
    (tmp_path / "labels.csv").write_text("unit,coder,value\n1,a,yes\n1,b,NA\n2,a,no\n2,b,no\n", encoding="utf-8")
    assert main(["agreement", str(tmp_path / "labels.csv")]) == 0
    capsys.readouterr()


def test_cohen_kappa_se_matches_its_estimate_when_a_unit_has_one_rating(tmp_path, capsys):
    """With some units rated by one of two coders, Cohen's kappa is Gwet's (2014, ch. 2) missing-data form,
    which equals Conger's kappa for two coders; its se is then Gwet's linearised variance (Gwet 2014, sec. 5.3;
    irrCAC conger.kappa.raw), not Fleiss, Cohen & Everitt's (1969) ASE on the complete pairs only. With both
    ratings on every unit the FCE ASE stays (SAS PROC FREQ example: ASE 0.1380)."""
    sas = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]  # SAS PROC FREQ example (as in test_cohen_kappa_sas_example...)
    pairs = [(a, b) for a in range(3) for b in range(3) for _ in range(sas[a][b])]
    complete = "unit,coder,value\n" + "".join(f"{u},A,{a}\n{u},B,{b}\n" for u, (a, b) in enumerate(pairs))
    (tmp_path / "complete.csv").write_text(complete, encoding="utf-8")
    out = _run_json(capsys, tmp_path / "complete.csv")
    assert out["se"]["cohen_kappa"] == pytest.approx(0.1380, abs=5e-5) and "cohen_kappa" not in out["notes"]
    extra = "".join(f"{30 + i},A,{v}\n" for i, v in enumerate([0, 1, 1, 2, 0]))
    (tmp_path / "missing.csv").write_text(complete + extra, encoding="utf-8")
    out = _run_json(capsys, tmp_path / "missing.csv")
    assert out["cohen_kappa"] == pytest.approx(out["conger_kappa"], abs=1e-12)
    assert out["se"]["cohen_kappa"] == pytest.approx(out["se"]["conger_kappa"], abs=1e-12)
    assert out["se"]["cohen_kappa"] != pytest.approx(0.1380, abs=5e-4)  # not the complete pairs' ASE
    assert "linearised variance" in out["notes"]["cohen_kappa"]


def test_thousands_separators_are_not_read_as_decimal_commas(tmp_path, capsys):
    """"1,000" is a thousand in an English export and one in a European one: refused as ambiguous, naming a
    line, unless --decimal-comma says which; decimal commas that are read are said in the notes."""
    rows = ["unit,coder,value"] + [f'{u},{g},"{v:,}"' for u, (a, b) in enumerate(
        [(1000, 1200), (2500, 2400), (800, 950), (3100, 3000)]) for g, v in (("A", a), ("B", b))]
    path = tmp_path / "thousands.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["agreement", str(path), "--level", "interval"]) == 1
    err = capsys.readouterr().err
    assert "thousands.csv › line 2: '1,000' may be a thousands separator (1000) or a decimal comma (1.000)" in err
    assert "--decimal-comma" in err
    as_comma = _run_json(capsys, path, "--level", "interval", "--decimal-comma")
    decimals = tmp_path / "decimals.csv"  # what --decimal-comma reads: 1,000 = 1.0
    decimals.write_text("unit,coder,value\n" + "".join(f"{u},{g},{v}\n" for u, (a, b) in enumerate(
        [(1.0, 1.2), (2.5, 2.4), (800, 950), (3.1, 3.0)]) for g, v in (("A", a), ("B", b))), encoding="utf-8")
    assert as_comma["krippendorff_alpha"] == pytest.approx(
        _run_json(capsys, decimals, "--level", "interval")["krippendorff_alpha"], abs=1e-12)
    assert as_comma["notes"]["input"] == "decimal commas were read as decimal points (1,5 = 1.5)"
    # decimal commas read without being asked for (1,5) are said too, in every output
    commas = tmp_path / "commas.csv"
    commas.write_text("unit;coder;value\n1;A;1,5\n1;B;1,5\n2;A;2,5\n2;B;3\n3;A;4\n3;B;4,5\n", encoding="utf-8")
    assert "decimal commas" in _run_json(capsys, commas, "--level", "interval")["notes"]["input"]
    assert main(["agreement", str(commas), "--level", "interval"]) == 0
    assert "Note: decimal commas were read as decimal points" in capsys.readouterr().out
    assert main(["agreement", str(commas), "--level", "interval", "--csv"]) == 0
    assert "decimal commas were read" in capsys.readouterr().out


def test_missing_number_tokens_compare_as_numbers(tmp_path, capsys):
    """--missing -99 also catches -99.0 where numbers are needed: Krippendorff (2011) section C with its
    missing ratings written -99.0 gives the published ordinal .815 and interval .849."""
    path = _long_csv(tmp_path / "m99.csv", K2011_C, missing="-99.0")
    assert round(_run_json(capsys, path, "--level", "ordinal", "--missing", "-99")["krippendorff_alpha"], 3) == 0.815
    assert round(_run_json(capsys, path, "--level", "interval", "--missing", "-99")["krippendorff_alpha"], 3) == 0.849


def test_labels_say_what_the_ci_level_and_csv_cover(tmp_path, capsys):
    ratings = _long_csv(tmp_path / "r.csv", K2011_C)
    assert main(["agreement", str(ratings), "--ci-level", "0.8"]) == 0
    footer = capsys.readouterr().out.strip().splitlines()[-1]
    assert "80% t-intervals" in footer
    assert main(["agreement", str(ratings), "--ci-level", "0.8", "--bootstrap", "50"]) == 0
    footer = capsys.readouterr().out.strip().splitlines()[-1]
    assert "80% t-intervals" in footer and "80% bootstrap CIs from 50 resamples" in footer
    with pytest.raises(SystemExit):
        main(["agreement", "--help"])
    usage = "".join(capsys.readouterr().out.split())  # the help as wrapped for any terminal width
    assert "analytict-intervalsandthebootstrapintervals" in usage and "(otherlayouts:--shape)" in usage
    assert "per-categoryandpairwisetablesarein--json" in usage
    # ordinal alpha has no analytic se, and says why (Krippendorff 2011: its metric depends on the marginals)
    out = _run_json(capsys, ratings, "--level", "ordinal")
    assert out["se"]["krippendorff_alpha"] is None
    assert "no analytic se for ordinal alpha" in out["notes"]["krippendorff_alpha"]


def test_api_trims_ids_and_values_like_the_calculator():
    """Issue 14 (2) for the Python API: Cohen (1960) kappa .492 with ids carrying a spreadsheet's spaces."""
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]]).T
    pairs = [(a, b) for a in range(3) for b in range(3) for _ in range(table[a, b])]
    rows = [(f"{u} ", "A", a) for u, (a, b) in enumerate(pairs)]
    rows += [(f" {u}", " B", f" {b}") for u, (a, b) in enumerate(pairs)]
    df = pd.DataFrame(rows, columns=["unit", "coder", "value"]).astype({"value": str})
    t = ag.agreement_table(df).set_index("coefficient")
    assert int(t.loc["cohen_kappa", "n_units"]) == 200 and int(t.loc["cohen_kappa", "n_coders"]) == 2
    assert round(t.loc["cohen_kappa", "estimate"], 3) == 0.492


def test_numeric_categories_out_of_order_are_refused_with_weights():
    """Gwet's weights use the values of numeric categories (irrCAC: ``sort(categ)``), so ``--categories 3,1,2``
    cannot also give their order: refused rather than silently ignored."""
    df = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ababab"), "value": [1, 2, 2, 3, 3, 3]})
    with pytest.raises(InputError, match="increasing order"):
        ag.agreement_table(df, weights="linear", categories=[3, 1, 2])
    assert ag.agreement_table(df, weights="linear", categories=[1, 2, 3]) is not None


def test_a_withheld_ci_in_the_study_s_overall_table_carries_its_note():
    """The study's overall table (pooled decisions, sets of codes) withholds a bootstrap CI when the
    coefficient is undefined in more than half of the resamples, and says so in its note."""
    rows = [("r1", "ann", f"u{u}", "a", int(u == 0)) for u in range(10)]
    rows += [("r1", "ben", f"u{u}", "a", int(u == 0)) for u in (0, 1)]  # ben coded two units only
    codings = pd.DataFrame(rows, columns=["round", "coder", "unit_id", "code_id", "applied"])
    table = ag.overall(codings, ["a"], 200, 5)
    alpha = table[table["coefficient"].str.startswith("krippendorff_alpha")]
    assert len(alpha) >= 2 and alpha["estimate"].notna().all() and alpha["ci_low"].isna().all()
    assert alpha["note"].str.contains("CI not reported: the coefficient is undefined in").all()


# Published weighted results on irrCAC's cac.raw4raters (12 subjects, 4 raters, missing ratings; categories 1-5):
# quadratic from the irrCAC vignette "Weighted chance-corrected agreement coefficients" (Gwet 2019;
# pa.coeff.raw, gwet.ac1.raw, fleiss.kappa.raw, krippen.alpha.raw, conger.kappa.raw, bp.coeff.raw with
# weights = "quadratic", 5 decimals); the other schemes (3 decimals) from the unit tests of the Python port
# of irrCAC (afergadis/irrCAC, test/unit/irrCAC/raw/test_gwet.py, test_fleiss.py, test_krippendorff.py),
# whose unweighted values are irrCAC's published ones. key -> (estimate, se).
WEIGHTED_RAW4RATERS = {
    "quadratic": {"percent_agreement": (0.9753788, 0.09062), "gwet_ac1": (0.914, 0.10396),
                  "fleiss_kappa": (0.86494, 0.14603), "krippendorff_alpha": (0.84911, 0.12913),
                  "conger_kappa": (0.85771, 0.14367), "brennan_prediger": (0.90152, 0.11089)},
    "linear": {"gwet_ac1": (0.859, 0.117), "fleiss_kappa": (0.818, 0.149), "krippendorff_alpha": (0.800, 0.135)},
    "ordinal": {"gwet_ac1": (0.899, 0.107), "fleiss_kappa": (0.850, 0.147), "krippendorff_alpha": (0.834, 0.131)},
    "radical": {"gwet_ac1": (0.820, 0.128), "fleiss_kappa": (0.790, 0.150), "krippendorff_alpha": (0.772, 0.140)},
    "ratio": {"gwet_ac1": (0.857, 0.122), "fleiss_kappa": (0.821, 0.152), "krippendorff_alpha": (0.797, 0.140)},
    "circular": {"gwet_ac1": (0.830, 0.133), "fleiss_kappa": (0.807, 0.149), "krippendorff_alpha": (0.790, 0.141)},
    "bipolar": {"gwet_ac1": (0.900, 0.106), "fleiss_kappa": (0.853, 0.145), "krippendorff_alpha": (0.835, 0.128)},
}


@pytest.mark.parametrize("scheme", list(WEIGHTED_RAW4RATERS))
def test_weighted_coefficients_match_published_irrcac_values(scheme, tmp_path, capsys):
    out = _run_json(capsys, _long_csv(tmp_path / "r.csv", CAC_RAW4RATERS), "--weights", scheme)
    for key, (estimate, se) in WEIGHTED_RAW4RATERS[scheme].items():
        digits = 5 if scheme == "quadratic" else 3
        assert out[key] == pytest.approx(estimate, abs=0.5 * 10 ** -digits + 1e-9), key
        assert out["se"][key] == pytest.approx(se, abs=0.5 * 10 ** -digits + 1e-9), key


# Weighted AC2 on two coders' tables (categories 1..q): cont3x3abstractors (100 units) and cont4x4diagnosis
# (223 patients), the Python port of irrCAC's unit tests (afergadis/irrCAC test/unit/irrCAC/table/
# test_gwet.py, 3 decimals); quadratic on cont3x3abstractors also the irrCAC vignette "Weighted
# chance-corrected agreement coefficients": gwet.ac1.table 0.9402369 (se 0.01792019, the table formula's
# divisor n; the raw-data formula's is n - 1, Gwet 2014 ch. 5), kappa2.table 0.8921569, scott2.table
# 0.8921093, bp2.table 0.9175, krippen2.table 0.8926487, pa2.table 0.9725.
@pytest.mark.parametrize("scheme,abstractors,diagnosis", [
    ("linear", 0.900, (0.377, 0.056)), ("ordinal", 0.925, (0.324, 0.069)), ("quadratic", 0.940, (0.299, 0.075)),
    ("radical", 0.875, (0.418, 0.048)), ("ratio", 0.963, (0.359, 0.070)), ("circular", 0.849, (0.488, 0.045)),
    ("bipolar", 0.925, (0.315, 0.068))])
def test_weighted_ac2_on_contingency_tables_matches_published_values(scheme, abstractors, diagnosis):
    abstr = from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]], labels=[1, 2, 3])
    assert round(coeffs(abstr, weights=scheme)["gwet_ac1"], 3) == abstractors
    diag = from_table([[40, 6, 4, 15], [4, 25, 1, 5], [4, 2, 21, 9], [17, 13, 12, 45]], labels=[1, 2, 3, 4])
    w = ag.agreement_weights([1, 2, 3, 4], scheme)
    assert round(coeffs(diag, weights=scheme)["gwet_ac1"], 3) == diagnosis[0]
    se = ag.gwet_variance(diag, w)["gwet_ac1"][0] * math.sqrt(222 / 223)
    assert round(se, 3) == diagnosis[1]
    if scheme == "quadratic":
        c = coeffs(abstr, weights=scheme)
        published = {"gwet_ac1": 0.9402369, "cohen_kappa": 0.8921569, "scott_pi": 0.8921093,
                     "brennan_prediger": 0.9175, "krippendorff_alpha": 0.8926487, "percent_agreement": 0.9725}
        for key, value in published.items():
            assert c[key] == pytest.approx(value, abs=5e-8), key
        se_ac2 = ag.gwet_variance(abstr, ag.agreement_weights([1, 2, 3], "quadratic"))["gwet_ac1"][0]
        assert se_ac2 * math.sqrt(99 / 100) == pytest.approx(0.01792019, abs=5e-9)
