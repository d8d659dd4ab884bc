"""Analysis and text: hand-checked frequencies, co-occurrence, keyness, the auto-coder."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from compassion_study import analysis, text
from compassion_study.codebook import Codebook


def _units():
    return pd.DataFrame({
        "unit_id": ["a", "b", "c", "d"], "source": "n.txt", "position": [1, 2, 3, 4],
        "prompt": ["What stops us?", "What stops us?", "What helps?", "What helps?"],
        "section": ["", "", "positives", "positives"], "theme": ["Time", "Time", "Teams", ""],
        "text": ["No time to listen.", "Too much pressure, no time.", "Listening helped; we checked in.", "Check-in calls on Zoom."],
        "session": "s"})


def _consensus():
    applied = {("a", "x"): 1, ("a", "y"): 1, ("b", "x"): 1, ("c", "y"): 1, ("c", "z"): 1, ("d", "z"): 1}
    rows = [(u, c, applied.get((u, c), 0), "unanimous", "r1", False, "") for u in "abcd" for c in "xyz"]
    return pd.DataFrame(rows, columns=["unit_id", "code_id", "applied", "basis", "round", "provisional", "decided_in"])


def test_code_frequencies_by_part_hand_checked():
    f = analysis.code_frequencies(_consensus(), _units(), "part", ["x", "y", "z"]).set_index(["group", "code_id"])
    assert f.loc[("(all units)", "x"), ["units_with_code", "units_in_group", "share"]].tolist() == [2, 4, 0.5]
    assert f.loc[("What stops us?", "x"), "share"] == 1.0
    assert f.loc[("positives", "z"), "units_with_code"] == 2 and f.loc[("positives", "x"), "units_with_code"] == 0
    cmp = analysis.compare_groups(f.reset_index(), "What stops us?", "positives").set_index("code_id")
    assert cmp.loc["z", "difference"] == -1.0 and cmp.loc["y", "difference"] == 0.0


def test_cooccurrence_counts_and_jaccard():
    co = analysis.cooccurrence(_consensus(), ["x", "y", "z"]).set_index(["code_a", "code_b"])
    assert co.loc[("x", "x"), "units_both"] == 2
    assert co.loc[("x", "y"), "units_both"] == 1 and co.loc[("x", "y"), "jaccard"] == pytest.approx(1 / 3)
    assert co.loc[("y", "z"), "jaccard"] == pytest.approx(1 / 3)
    assert co.loc[("x", "z"), "units_both"] == 0 and co.loc[("x", "z"), "jaccard"] == 0


def test_framework_by_theme_and_exemplars():
    t = analysis.framework_by_theme(_consensus(), _units(), ["x", "y", "z"])
    row = t[(t["theme"] == "Time") & (t["code_id"] == "x")].iloc[0]
    assert row["units_with_code"] == 2 and row["units_in_theme"] == 2
    assert "(no theme)" in set(t["theme"])
    ex = analysis.exemplars(_consensus(), _units(), per_code=1, code_order=["x", "y", "z"])
    # x: units a (2 codes) and b (1 code) -> b is more specific
    assert ex.set_index("code_id").loc["x", "unit_id"] == "b"
    assert ex.set_index("code_id").loc["z", "unit_id"] == "d"


def test_log_likelihood_hand_computed():
    # a = 10 in a 1,000-word corpus, b = 2 in another 1,000 words: E1 = E2 = 6,
    # G2 = 2 (10 ln(10/6) + 2 ln(2/6)) = 5.822063320647375; log ratio = log2(5).
    assert text.log_likelihood([10], [2], 1000, 1000)[0] == pytest.approx(5.822063320647375, abs=1e-12)
    assert text.log_ratio([10], [2], 1000, 1000)[0] == pytest.approx(math.log2(5))
    # 0 ln 0 = 0: a word absent from the reference
    assert text.log_likelihood([4], [0], 100, 300)[0] == pytest.approx(2 * 4 * math.log(4 / 1), abs=1e-12)
    assert text.log_ratio([4], [0], 100, 300)[0] == pytest.approx(math.log2((4 / 100) / (0.5 / 300)))


def test_keyness_direction_and_counts():
    k = text.keyness(["time time time pressure"] * 3, ["team team zoom"] * 3, min_freq=2).set_index("word")
    assert k.loc["time", ["target", "reference", "direction"]].tolist() == [9, 0, "target"]
    assert k.loc["team", "direction"] == "reference"
    assert k.loc["time", "ll"] > k.loc["pressure", "ll"]


def test_collocations_stay_within_units():
    texts = ["remote working helps", "remote working again", "working remote"]
    c = text.collocations(texts, min_freq=2)
    assert c[["word_1", "word_2", "count"]].values.tolist()[0] == ["remote", "working", 2]
    c2 = text.collocations(["alpha beta", "gamma delta"], min_freq=1)
    assert ("beta", "gamma") not in set(zip(c2["word_1"], c2["word_2"]))


def test_kwic_matches_by_stem_and_keeps_wording():
    k = text.kwic(_units(), "listen")
    assert k["unit_id"].tolist() == ["a", "c"]
    assert k["match"].tolist() == ["listen", "Listening"]


def test_stopwords_shipped_and_tokens():
    stop = text.stopwords()
    assert {"the", "and", "we"} <= stop and "time" not in stop
    assert text.tokens("We didn't have TIME, self-care!") == ["time", "self-care"]
    # issue 15: "communities." (a full stop inside a text) was counted as a word of its own
    assert text.tokens("Supporting communities. Staff (tired) “kind”…") == ["supporting", "communities", "staff",
                                                                             "tired", "kind"]


def _book(keywords: dict[str, list[str]]) -> Codebook:
    codes = tuple({"id": k, "keywords": v} for k, v in keywords.items())
    return Codebook("t", "1", "", "", {}, codes)


def test_autocoder_stems_phrases_case_punctuation():
    lex = text.lexicon(_book({"listen": ["listening"], "checkin": ["check in"], "self": ["self-care"],
                              "it": ["IT"], "notok": ["not ok"]}))
    texts = ["They LISTENED, carefully.", "We check-in daily; checking in helps", "Self care matters.",
             "It is fine", "it's not OK to not be ok", "check", "in the room"]
    hits = text.autocode(texts, lex)
    codes = list(lex.codes)
    got = [[codes[j] for j in np.flatnonzero(row)] for row in hits]
    assert got == [["listen"], ["checkin"], ["self"], [], ["notok"], [], []]


def test_autocoder_phrase_never_spans_two_texts():
    lex = text.lexicon(_book({"c": ["check in"]}))
    assert not text.autocode(["we check", "in the morning"], lex).any()


def test_autocoder_evaluation_counts():
    units = _units()
    cons = _consensus()
    lex = text.lexicon(_book({"x": ["time"], "y": ["listen"], "z": ["zoom"]}))
    ev = text.evaluate_autocoder(units, cons, lex).set_index("code_id")
    assert ev.loc["x", ["support", "suggested", "true_positive"]].tolist() == [2, 2, 2]
    assert ev.loc["x", "f1"] == 1.0 and ev.loc["x", "kappa"] == pytest.approx(1.0)
    # y: consensus a, c; suggested a (listen), c (listening) -> perfect
    assert ev.loc["y", "precision"] == 1.0
    # z: consensus c, d; suggested d only
    assert ev.loc["z", "recall"] == 0.5 and ev.loc["z", "precision"] == 1.0


def test_single_part_notes_analyse_without_keyness(tmp_path, capsys):
    """Notes with one prompt and no sections: keyness has nothing to compare, so it is empty, not an error."""
    import shutil

    from compassion_study import consensus, figures, files, ingest, sheets
    from compassion_study.cli import main
    from compassion_study.paths import Paths

    from .conftest import REPO

    paths = Paths.from_root(tmp_path / "p")
    shutil.copytree(REPO / "data/raw", paths.raw)
    ingest.ingest(paths=paths)
    sheets.import_codings(paths=paths)
    consensus.run(paths)
    units = ingest.read_units(paths.units)
    files.write_csv(units.assign(prompt="What stops us?", section=""), paths.units)  # a one-part workshop
    assert main(["--root", str(paths.root), "analyse"]) == 0, capsys.readouterr().err
    assert analysis.read_findings(paths, "keyness").empty
    assert analysis.compared(paths) is None
    assert analysis.barriers_vs_enablers(analysis.read_findings(paths, "code_frequencies"), None).empty
    assert "needs two parts of the notes" in figures.keyness_chart(analysis.read_findings(paths, "keyness"))._repr_html_()
    assert main(["--root", str(paths.root), "analyse", "--barriers", "nowhere", "--enablers", "positives"]) == 1
    assert "part 'nowhere' is not in the notes" in capsys.readouterr().err


def _loop_cluster_bootstrap(x, clusters, n_boot, seed, level=0.95):
    """The cluster bootstrap written out resample by resample (Davison & Hinkley 1997, sec. 3.8): the
    reference the vectorised version must reproduce draw for draw."""
    labels = sorted(set(map(str, clusters)))
    members = {c: np.flatnonzero(np.asarray(clusters).astype(str) == c) for c in labels}
    draws = np.random.default_rng(seed).integers(0, len(labels), size=(n_boot, len(labels)))
    shares = []
    for row in draws:
        rows = np.concatenate([members[labels[i]] for i in row])
        shares.append(x[rows].mean(axis=0))
    return np.quantile(np.array(shares), [(1 - level) / 2, (1 + level) / 2], axis=0)


def test_cluster_share_interval_equals_the_resampling_written_out():
    rng = np.random.default_rng(7)
    x = (rng.random((37, 4)) < [0.1, 0.3, 0.5, 0.9]).astype(int)
    clusters = rng.integers(0, 9, size=37)
    low, high = analysis.cluster_share_interval(x, clusters, n_boot=400, seed=3)
    ref_low, ref_high = _loop_cluster_bootstrap(x, clusters, 400, 3)
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)
    assert np.all(low <= x.mean(axis=0) + 1e-12) and np.all(x.mean(axis=0) <= high + 1e-12)


def test_cluster_share_interval_degenerate_and_independent_cases():
    x = np.array([[1, 0]] * 6)
    low, high = analysis.cluster_share_interval(x, [1, 1, 2, 2, 3, 3], n_boot=200)
    assert low.tolist() == [1.0, 0.0] and high.tolist() == [1.0, 0.0]  # no variation, no width
    assert np.isnan(analysis.cluster_share_interval(x, list(range(6)), n_boot=0)[0]).all()
    # one unit per cluster: the ordinary bootstrap of a proportion, close to the Wald interval for large n
    # (Efron & Tibshirani 1993, ch. 13): p = .3, n = 2000 -> 0.3 ± 1.96·sqrt(.21/2000) = [0.2799, 0.3201]
    y = np.zeros((2000, 1))
    y[:600] = 1
    low, high = analysis.cluster_share_interval(y, np.arange(2000), n_boot=4000, seed=1)
    assert abs(low[0] - 0.2799) < 0.004 and abs(high[0] - 0.3201) < 0.004
    # clustering widens the interval when whole groups share a code
    grouped = np.repeat(np.arange(40), 50)
    z = np.repeat((np.arange(40) % 10 < 3).astype(float), 50)[:, None]
    wide_low, wide_high = analysis.cluster_share_interval(z, grouped, n_boot=2000, seed=1)
    assert wide_high[0] - wide_low[0] > 3 * (high[0] - low[0])
    with pytest.raises(ValueError):
        analysis.cluster_share_interval(x, [1, 2], n_boot=10)


def test_code_frequencies_carry_intervals_and_prevalence_table_counts():
    freq = analysis.code_frequencies(_consensus(), _units(), "part", ["x", "y", "z"], n_boot=300, seed=0)
    assert {"ci_low", "ci_high"} <= set(freq.columns)
    allu = freq[freq["group"] == "(all units)"].set_index("code_id")
    assert (allu["ci_low"] <= allu["share"]).all() and (allu["share"] <= allu["ci_high"]).all()
    table = analysis.prevalence_table(freq).set_index("code_id")
    assert table.loc["x", "(all units)"].startswith("2 of 4: 50% [")


def test_adjudication_outcomes_count_whose_marks_prevailed():
    from compassion_study.consensus import adjudication_outcomes

    cons = pd.DataFrame({"unit_id": ["a", "b", "c"], "code_id": "x", "applied": [1, 0, 1],
                         "basis": ["adjudicated", "adjudicated", "unanimous"], "round": "r1",
                         "provisional": False, "decided_in": ["adj.xlsx", "adj.xlsx", ""]})
    codings = pd.DataFrame({"round": "r1", "coder": ["ann", "bob", "ann", "bob", "ann", "bob"],
                            "unit_id": ["a", "a", "b", "b", "c", "c"], "code_id": "x", "applied": [1, 0, 1, 0, 1, 1]})
    out = adjudication_outcomes(cons, codings).set_index("coder")
    assert out.loc["ann", ["adjudicated", "upheld", "overruled"]].tolist() == [2, 1, 1]
    assert out.loc["bob", ["adjudicated", "upheld", "overruled"]].tolist() == [2, 1, 1]
    assert adjudication_outcomes(cons.assign(basis="unanimous"), codings).empty


def test_disputed_table_carries_marks_decision_and_every_memo():
    from compassion_study.consensus import disputed_table

    units = pd.DataFrame({"unit_id": ["b", "a"], "text": ["second in the notes? no: first", "later"]})
    cons = pd.DataFrame({"unit_id": ["a", "b", "b"], "code_id": ["x", "x", "y"], "applied": [1, 0, 1],
                         "basis": ["adjudicated", "tie", "unanimous"], "round": "r1", "provisional": [False, True, False],
                         "decided_in": ["adj.xlsx", "", ""]})
    codings = pd.DataFrame({"round": "r1", "coder": ["bob", "ann", "ann", "bob", "ann", "bob"],
                            "unit_id": ["a", "a", "b", "b", "b", "b"], "code_id": ["x", "x", "x", "x", "y", "y"],
                            "applied": [0, 1, 1, 0, 1, 1]})
    memos = pd.DataFrame({"round": "r1", "coder": ["bob", "ann"], "unit_id": ["b", "b"], "memo": ["=unsure", "maybe"]})
    out = disputed_table(cons, codings, units, memos)
    assert out["unit_id"].tolist() == ["b", "a"]  # document order, unanimous cells left out
    first = out.iloc[0]
    assert (first["applied_by"], first["not_applied_by"], first["decision"], first["basis"]) == ("ann", "bob", "not applied", "tie")
    assert first["memos"] == "ann: maybe | bob: =unsure"  # every memo, verbatim
    assert out.iloc[1]["memos"] == "" and out.iloc[1]["decision"] == "applied"


def test_nltk_loads_without_scipy_stats_and_keeps_fisher():
    """The auto-coder's nltk import holds back scipy.stats (most of its start-up time), and nltk's Fisher
    measure, which needs it, still gives scipy's one-sided p-value (Pedersen 1996's use of fisher_exact)."""
    import subprocess
    import sys

    code = ("import sys; from compassion_study import text; text.stem('caring'); "
            "print('scipy.stats' in sys.modules); "
            "from nltk.metrics import association; "
            "print(float(association.BigramAssocMeasures.fisher(3, (5, 4), 40))); "
            "from scipy.stats import fisher_exact; "
            "print(float(fisher_exact([[3, 2], [1, 34]], alternative='less')[1]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"
    assert out[1] == out[2] and 0 < float(out[1]) <= 1
