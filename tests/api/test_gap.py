"""The gap statistic: the rules (against R's ``cluster::maxSE``), clear cases, and a plain
loop on the same reference sets."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmeans
from jaxmeans._core.gap import k_best_rule
from jaxmeans._runtime import threads
from jaxmeans._runtime.run import reference_sets


@pytest.mark.parametrize(
    "gap, se, best",
    [
        ([0.1, 0.5, 0.9, 0.85, 0.8], [0.05] * 5, 3),  # a peak at 3
        ([0.1, 0.5, 0.9, 0.93, 0.95], [0.05] * 5, 3),  # 3 within one se of 4
        ([0.1, 0.5, 0.9, 1.2, 1.5], [0.05] * 5, 5),  # rising to the end: the last k
        ([0.3, 0.2, 0.1, 0.0, 0.0], [0.01] * 5, 1),  # falling from the start: 1
        ([0.1, 0.3, 0.2, 0.6, 0.5], [0.0, 0.15, 0.0, 0.0, 0.0], 2),  # se(k+1) decides k
    ],
)
def test_rule_on_hand_made_curves(gap, se, best):
    assert int(k_best_rule([1, 2, 3, 4, 5], gap, se)) == best
    # Other ks: the rule names the k of the entry it picks.
    assert int(k_best_rule([2, 4, 6, 8, 10], gap, se)) == 2 * best


def _maxse():
    """R's answers (tests/maxse_reference.py wrote them): one entry per curve."""
    from maxse_reference import OUT

    with open(OUT) as fh:
        return json.load(fh)["cases"]


R_METHODS = ("firstSEmax", "Tibs2001SEmax", "globalSEmax", "firstmax", "globalmax")
# Each of our names, with R's method of the same rule.
OUR_RULES = [(name, name) for name in R_METHODS] + [("tibs2001", "Tibs2001SEmax")]


def test_the_reference_covers_every_method_and_the_rules_differ_on_it():
    cases = _maxse()
    assert len(cases) >= 50
    for case in cases:
        assert set(case["k"]) == set(R_METHODS) and not np.isnan(case["f"]).any()
    # The curves tell the rules apart: no two methods (nor factors, for the three that
    # use the standard errors) agree on every curve.
    answers = {(m, s): tuple(c["k"][m][s] for c in cases) for m in R_METHODS for s in "12"}
    assert len(set(answers.values())) == len(answers) - 2
    for m in ("firstmax", "globalmax"):
        assert answers[m, "1"] == answers[m, "2"]


@pytest.mark.parametrize("se_factor", [1, 2])
@pytest.mark.parametrize("rule, r_method", OUR_RULES)
def test_every_rule_matches_r_maxse_on_every_curve(rule, r_method, se_factor):
    for case in _maxse():
        f, se = np.array(case["f"]), np.array(case["se_f"])
        r_k = case["k"][r_method][str(se_factor)]  # R's k: a position, 1..K
        ks = np.arange(1, len(f) + 1)
        got = k_best_rule(ks, f, se, np, rule=rule, se_factor=se_factor)
        assert int(got) == r_k, (case["name"], rule, se_factor)
        # Any other ks: the answer is the k at R's position.
        ks = 3 + 2 * np.arange(len(f)) + np.arange(len(f)) ** 2
        got = k_best_rule(ks, f, se, np, rule=rule, se_factor=se_factor)
        assert int(got) == ks[r_k - 1], (case["name"], rule, se_factor)


def _padded_with_nan(cases, length, seed=0):
    """Each curve with NaN gaps spliced in at random places, to ``length``: ``(ks, f,
    se)`` stacked ``[cases, length]``, and the ks R's answer names."""
    rng = np.random.default_rng(seed)
    ks, f, se, real = [], [], [], []
    for case in cases:
        keep = np.sort(rng.choice(length, len(case["f"]), replace=False))
        row_f, row_se = np.full(length, np.nan), np.full(length, np.nan)
        row_f[keep], row_se[keep] = case["f"], case["se_f"]
        row_se[rng.random(length) < 0.5] = np.nan  # a NaN gap_se alone also skips its k
        row_se[keep] = case["se_f"]
        ks.append(np.arange(2, 2 + length) * 2)
        f.append(row_f)
        se.append(row_se)
        real.append(ks[-1][keep])
    return np.array(ks), np.array(f), np.array(se), real


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
@pytest.mark.parametrize("rule, r_method", OUR_RULES[:5])
def test_rules_under_jit_and_vmap_match_r_and_skip_nan_gaps(rule, r_method, x64):
    # One program for every curve: the curves padded with NaN gaps to one length, the
    # factor traced. Every value is a multiple of 1/64, so float32 decides as R does.
    cases = _maxse()
    with jax.enable_x64(x64):
        ks, f, se, real = _padded_with_nan(cases, 16)
        pick = jax.jit(
            jax.vmap(
                lambda ks, f, se, s: k_best_rule(ks, f, se, rule=rule, se_factor=s),
                in_axes=(0, 0, 0, None),
            )
        )
        for se_factor in (1, 2):
            got = np.asarray(pick(ks, jnp.asarray(f), jnp.asarray(se), float(se_factor)))
            r_k = [real[i][c["k"][r_method][str(se_factor)] - 1] for i, c in enumerate(cases)]
            np.testing.assert_array_equal(got, r_k)


def _result_with_nan_tail(case, n_nan=3):
    """A GapResult holding R's curve, then ``n_nan`` ks above the distinct rows."""
    m, nan = len(case["f"]), np.full(n_nan, np.nan, np.float32)
    return jaxmeans.GapResult(
        ks=jnp.arange(1, m + 1 + n_nan, dtype=jnp.int32),
        gap=jnp.asarray(np.concatenate([case["f"], nan]), jnp.float32),
        gap_se=jnp.asarray(np.concatenate([case["se_f"], nan]), jnp.float32),
        log_w=jnp.zeros(m + n_nan),
        ref_log_w=jnp.zeros((2, m + n_nan)),
        k_best=jnp.int32(1),
    )


@pytest.mark.parametrize("rule, r_method", OUR_RULES)
def test_gap_k_best_skips_nan_gaps_as_r_without_them(rule, r_method):
    # The ks above the distinct rows have NaN gaps: R's answer on the others.
    cases = _maxse()
    for case in cases:
        result = _result_with_nan_tail(case)
        for se_factor in (1, 2.0):
            got = jaxmeans.gap_k_best(result, rule=rule, se_factor=se_factor)
            assert isinstance(got, jax.Array) and got.dtype == jnp.int32 and got.shape == ()
            assert int(got) == case["k"][r_method][str(int(se_factor))], case["name"]
    # Inside jit, the result and the factor traced.
    pick = jax.jit(lambda result, s: jaxmeans.gap_k_best(result, rule=rule, se_factor=s))
    for case in cases[-8:]:
        result = _result_with_nan_tail(case, n_nan=16 - len(case["f"]))  # one length
        for se_factor in (1, 2):
            assert int(pick(result, se_factor)) == case["k"][r_method][str(se_factor)]


def _blobs(n_per, centres, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + rng.normal(size=(n_per, len(c))) for c in centres])


def test_three_separated_blobs_give_three():
    X = _blobs(100, np.array([[0.0, 0.0], [12.0, 0.0], [0.0, 12.0]]))
    for reference in ("uniform", "pca"):
        result = jaxmeans.gap_statistic(X, range(1, 8), n_refs=10, key=0, reference=reference)
        assert int(result.k_best) == 3, reference
        assert result.gap.shape == result.gap_se.shape == result.log_w.shape == (7,)
        assert result.ref_log_w.shape == (10, 7)


def test_uniform_data_give_one():
    X = np.random.default_rng(3).uniform(size=(400, 2))
    assert int(jaxmeans.gap_statistic(X, range(1, 8), n_refs=10, key=1).k_best) == 1


def _clusgap():
    """R's answers (tests/clusgap_reference.py wrote them) and the data they are for."""
    import json

    from clusgap_reference import OUT, datasets

    with open(OUT) as fh:
        return json.load(fh)["k_best"], datasets()


def test_k_best_equals_r_clusgap_and_does_not_move_with_the_key():
    # R: clusGap(X, kmeans, K.max=10, B=100, d.power=2, spaceH0="original", nstart=10),
    # Tibs2001SEmax, four seeds each; jaxmeans with its default restarts, 50 sets.
    r_k_best, sets = _clusgap()
    for name, X in sets.items():
        assert len(set(r_k_best[name])) == 1, (name, r_k_best[name])  # R itself agrees
        keys = range(4) if name == "wine_standardised" else range(2)
        ours = [int(jaxmeans.gap_statistic(X, range(1, 11), n_refs=50, key=key).k_best)
                for key in keys]  # fmt: skip
        assert ours == [r_k_best[name][0]] * len(ours), (name, ours)


def test_auto_restarts_are_ten_on_small_data_and_one_above():
    X = _blobs(50, np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]]))
    auto = jaxmeans.gap_statistic(X, range(1, 5), n_refs=3, key=2)
    ten = jaxmeans.gap_statistic(X, range(1, 5), n_refs=3, key=2, n_init=10)
    one = jaxmeans.gap_statistic(X, range(1, 5), n_refs=3, key=2, n_init=1)
    np.testing.assert_array_equal(auto.ref_log_w, ten.ref_log_w)
    assert not np.array_equal(auto.ref_log_w, one.ref_log_w)
    big = np.random.default_rng(0).normal(size=(5000, 2))  # beyond the smallest bucket
    auto = jaxmeans.gap_statistic(big, [1, 2], n_refs=2, key=2)
    one = jaxmeans.gap_statistic(big, [1, 2], n_refs=2, key=2, n_init=1)
    np.testing.assert_array_equal(auto.ref_log_w, one.ref_log_w)


@pytest.mark.slow
@pytest.mark.parametrize("n_init", [1, 10])
def test_matches_a_plain_loop_on_the_same_reference_sets(n_init):
    # Small data: every set's fits run eight side by side (ten restarts each, or one).
    X = _blobs(60, np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]]), seed=1)
    X = X.astype(np.float32)
    ks, n_refs, key = range(1, 6), 4, jax.random.key(7)
    for reference in ("uniform", "pca"):
        result = jaxmeans.gap_statistic(
            X, ks, n_refs=n_refs, key=key, reference=reference, n_init=n_init
        )
        refs = np.asarray(reference_sets(X, jax.random.fold_in(key, 1), n_refs, reference))
        # The reference sets: inside the data's box (of its principal axes, for "pca").
        if reference == "uniform":
            assert (refs >= X.min(0) - 1e-5).all() and (refs <= X.max(0) + 1e-5).all()
        logs = []
        for data in [X, *refs]:
            inertia = [float(jaxmeans.kmeans(data, k, key=key, n_init=n_init).inertia) for k in ks]
            logs.append(np.log(inertia))
        logs = np.array(logs)
        gap = logs[1:].mean(0) - logs[0]
        se = logs[1:].std(0) * np.sqrt(1 + 1 / n_refs)
        np.testing.assert_allclose(result.log_w, logs[0], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(result.ref_log_w, logs[1:], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(result.gap, gap, atol=1e-4)
        np.testing.assert_allclose(result.gap_se, se, atol=1e-4)
        assert int(result.k_best) == int(k_best_rule(list(ks), gap, se))


@pytest.mark.slow
def test_same_key_same_result_and_jit():
    X = _blobs(50, np.array([[0.0, 0.0], [9.0, 9.0]]))
    a = jaxmeans.gap_statistic(X, [1, 2, 3], n_refs=3, key=5)
    b = jaxmeans.gap_statistic(X, [1, 2, 3], n_refs=3, key=5)
    np.testing.assert_array_equal(a.gap, b.gap)
    jitted = jax.jit(lambda x: jaxmeans.gap_statistic(x, [1, 2, 3], n_refs=3, key=5))(
        X.astype(np.float32)
    )
    np.testing.assert_allclose(jitted.gap, a.gap, atol=1e-5)
    assert int(jitted.k_best) == int(a.k_best) == 2


def test_the_result_does_not_depend_on_how_many_threads_run_the_sets(monkeypatch):
    # One set per task, the tasks taken by however many threads there are cores: every
    # entry must land in its own row, whatever order the sets finish in.
    X = _blobs(70, np.array([[0.0, 0.0], [9.0, 0.0], [0.0, 9.0]]), seed=2).astype(np.float32)
    results = []
    for cores in (1, 2, 5):
        monkeypatch.setattr(threads, "cores", lambda cores=cores: cores)
        results.append(jaxmeans.gap_statistic(X, range(1, 6), n_refs=4, key=3))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # ... and every reference set is a set of its own.
    assert len(np.unique(np.asarray(results[0].ref_log_w)[:, 1])) == 4


def _two_groups_of_three():
    """Two far groups of three blobs each: Tibshirani's rule sees the groups (k = 2), the
    largest gap the blobs (k = 6)."""
    centres = np.array([[0, 0], [4, 0], [0, 4], [30, 0], [34, 0], [30, 4]], np.float32)
    return _blobs(40, centres).astype(np.float32)


def test_gap_statistic_rule_is_gap_k_best_of_its_result():
    X = _two_groups_of_three()
    base = jaxmeans.gap_statistic(X, range(1, 9), n_refs=5, key=0)
    picked = {}
    for rule, _ in OUR_RULES:
        for se_factor in (1, 20.0):
            result = jaxmeans.gap_statistic(
                X, range(1, 9), n_refs=5, key=0, rule=rule, se_factor=se_factor
            )
            for a, b in zip(result[:-1], base[:-1], strict=True):  # the same statistic
                np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            k = int(jaxmeans.gap_k_best(base, rule=rule, se_factor=se_factor))
            assert int(result.k_best) == k, (rule, se_factor)
            picked[rule, se_factor] = k
    # The rules (and the factor) make a difference here: the test can tell them apart.
    assert picked["tibs2001", 1] == int(base.k_best) == 2
    assert picked["globalmax", 1] == picked["globalSEmax", 1] == 6
    assert picked["globalSEmax", 20.0] == 2  # 20 standard errors reach back to k = 2


@pytest.mark.slow
def test_rule_and_a_traced_se_factor_inside_jit():
    X = _two_groups_of_three()

    @jax.jit
    def statistic(X, se_factor):
        return jaxmeans.gap_statistic(
            X, range(1, 9), n_refs=5, key=0, rule="globalSEmax", se_factor=se_factor
        )

    eager = jaxmeans.gap_statistic(X, range(1, 9), n_refs=5, key=0)
    for se_factor, expected in ((1.0, 6), (20.0, 2)):
        result = statistic(X, se_factor)
        np.testing.assert_allclose(result.gap, eager.gap, atol=1e-4)
        k = jaxmeans.gap_k_best(result, rule="globalSEmax", se_factor=se_factor)
        assert int(result.k_best) == int(k) == expected


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(ks=[3]), ValueError, "at least two"),
        (dict(n_refs=0), ValueError, "n_refs"),
        (dict(reference="gaussian"), ValueError, "reference must be one of"),
        (dict(ks=[1, 2], n_init=1.5), TypeError, "n_init"),
        (dict(rule="maxSE"), ValueError, r"rule must be one of \(.*'globalmax'\), got 'maxSE'"),
        (dict(rule=None), ValueError, "rule must be one of .*, got None"),
        (dict(se_factor=-1), ValueError, r"se_factor \(=-1.0\) must be a finite number >= 0"),
        (dict(se_factor=float("nan")), ValueError, r"se_factor \(=nan\)"),
        (dict(se_factor=float("inf")), ValueError, r"se_factor \(=inf\)"),
        (dict(se_factor="2"), TypeError, "se_factor must be a real number >= 0, got '2'"),
        (dict(se_factor=True), TypeError, "se_factor must be a real number >= 0, got True"),
        (dict(se_factor=np.ones(2)), TypeError, r"se_factor .* got array\(\[1., 1.\]\)"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(error, match=match):
        jaxmeans.gap_statistic(X, **{"ks": [1, 2, 3], **kwargs})


def test_gap_k_best_bad_arguments_name_the_parameter():
    result = _result_with_nan_tail(_maxse()[5])
    with pytest.raises(ValueError, match=r"rule must be one of .*, got 'Tibs2001'"):
        jaxmeans.gap_k_best(result, rule="Tibs2001")
    with pytest.raises(ValueError, match=r"se_factor \(=-0.5\)"):
        jaxmeans.gap_k_best(result, se_factor=-0.5)
    with pytest.raises(TypeError, match="se_factor must be a real number >= 0, got None"):
        jaxmeans.gap_k_best(result, se_factor=None)
    elbow = jaxmeans.elbow(np.random.default_rng(0).normal(size=(20, 2)), [1, 2], key=0)
    for bad in (elbow, (1, 2, 3), result._replace(gap=result.gap[:-1])):
        with pytest.raises(TypeError, match=r"result must be a jaxmeans\.GapResult"):
            jaxmeans.gap_k_best(bad)


@pytest.mark.parametrize("reference", ["uniform", "pca"])
@pytest.mark.parametrize(
    "move",
    [lambda X: X * 1e20, lambda X: X * 1e-25, lambda X: X + 1e8],
    ids=["times 1e20", "times 1e-25", "plus 1e8"],
)
def test_the_answer_does_not_move_with_scale_or_offset(move, reference):
    # Three blobs: the gap statistic had every gap NaN at 1e20, picked 1 at 1e-25 and 4 at
    # 1e8 away from the origin before it took a fit's framing; the elbow's knee was 0.
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    X = move(_blobs(60, centres, seed=1))
    result = jaxmeans.gap_statistic(X, range(1, 7), n_refs=5, key=0, reference=reference)
    assert np.isfinite(np.asarray(result.gap)).all()
    assert int(result.k_best) == 3
    assert int(jaxmeans.elbow(X, range(1, 7), key=0).knee) == 3


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_ks_above_the_distinct_rows_warn_and_have_no_gap(sparse):
    import scipy.sparse as sp
    from sklearn.cluster import KMeans as SKKMeans
    from sklearn.exceptions import ConvergenceWarning as SKConvergenceWarning

    corners = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [5.0, 5.0]], np.float32)
    X = np.repeat(corners, 10, axis=0)  # 40 rows, 4 distinct
    ks = range(1, 8)
    with pytest.warns(jaxmeans.exceptions.ConvergenceWarning, match=r"distinct clusters \(4\)"):
        result = jaxmeans.gap_statistic(sp.csr_matrix(X) if sparse else X, ks, n_refs=4, key=0)
    # scikit-learn warns on the same data for the same reason.
    with pytest.warns(SKConvergenceWarning, match=r"distinct clusters \(4\)"):
        SKKMeans(5, n_init=1, random_state=0).fit(X)
    gap, se = np.asarray(result.gap), np.asarray(result.gap_se)
    assert np.isnan(gap[4:]).all() and np.isnan(se[4:]).all()  # k = 5, 6, 7
    assert np.isfinite(gap[:4]).all() and np.isfinite(se[:4]).all()
    assert int(result.k_best) <= 4
    expected = k_best_rule(np.arange(1, 5), gap[:4], se[:4], np)
    assert int(result.k_best) == int(expected)
    for rule, _ in OUR_RULES:  # every rule skips the NaN gaps
        expected = k_best_rule(np.arange(1, 5), gap[:4], se[:4], np, rule=rule)
        assert int(jaxmeans.gap_k_best(result, rule=rule)) == int(expected), rule


def test_cosine_counts_distinct_directions():
    # Three directions at many lengths: cosine k-means sees three distinct rows.
    directions = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    X = np.repeat(directions, 10, axis=0) * np.linspace(1, 3, 30, dtype=np.float32)[:, None]
    with pytest.warns(jaxmeans.exceptions.ConvergenceWarning, match=r"distinct clusters \(3\)"):
        result = jaxmeans.gap_statistic(X, range(1, 6), n_refs=3, key=0, metric="cosine")
    assert np.isnan(np.asarray(result.gap)[3:]).all()
    assert np.isfinite(np.asarray(result.gap)[:3]).all()
