"""choose_k: every criterion on the shared fits equals its own function, stability finds the
blobs and nothing in uniform data, the ARI is scikit-learn's, and the verdict says so."""

from functools import partial

import jax
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score

import jaxmeans
from jaxmeans._core.scores import adjusted_rand_index

KS = range(1, 7)


def blobs(centers, seed=0, n=300):
    X, _ = make_blobs(
        n, n_features=2, centers=centers, cluster_std=0.6, center_box=(-15, 15), random_state=seed
    )
    return X.astype(np.float32)


@pytest.fixture(scope="module")
def X():
    return blobs(3)


@pytest.fixture(scope="module")
def result(X):
    return jaxmeans.choose_k(X, KS, key=0, n_init=3, n_refs=3, n_boot=4)


def test_ari_equals_scikit_learn_on_random_and_degenerate_pairs():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(200):  # a few lengths: one compiled program each
        n, k = int(rng.choice([2, 12, 57])), int(rng.integers(1, 8))
        a = rng.integers(0, k, n)
        b = rng.integers(0, int(rng.integers(1, 8)), n)
        pairs.append((a, b))
        pairs.append((a, (a + 1) % 8))  # the same partition, renumbered
    n = 12
    same, alone = np.zeros(n, int), np.arange(n) % 8
    pairs += [(same, same), (alone, alone), (same, alone), (alone, same)]
    pairs += [(np.zeros(1, int), np.zeros(1, int)), (np.array([0, 1]), np.array([0, 0]))]
    ari = jax.jit(partial(adjusted_rand_index, n_clusters=8))
    for a, b in pairs:
        got = float(ari(a, b))
        assert got == pytest.approx(adjusted_rand_score(a, b), abs=1e-5), (a, b)


def test_ari_is_vectorised_over_ks():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 5, (4, 50)), rng.integers(0, 5, (4, 50))
    got = jax.vmap(lambda x, y: adjusted_rand_index(x, y, n_clusters=5))(a, b)
    want = [adjusted_rand_score(x, y) for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_each_criterion_equals_its_own_function(X, result):
    fit = jaxmeans.elbow(X, KS, key=0, n_init=3, scores=True)
    np.testing.assert_array_equal(result.ks, np.arange(1, 7))
    np.testing.assert_allclose(result.inertia, fit.inertia, rtol=1e-6)
    assert int(result.k_elbow) == int(fit.knee)
    np.testing.assert_allclose(result.silhouette, fit.silhouette, rtol=1e-6)
    for i, labels in enumerate(np.asarray(fit.labels)[1:], start=1):
        ch = jaxmeans.metrics.calinski_harabasz_score(X, labels)
        db = jaxmeans.metrics.davies_bouldin_score(X, labels)
        sil = jaxmeans.metrics.silhouette_score(X, labels)
        assert float(result.calinski_harabasz[i]) == pytest.approx(float(ch), rel=1e-6)
        assert float(result.davies_bouldin[i]) == pytest.approx(float(db), rel=1e-6)
        assert float(result.silhouette[i]) == pytest.approx(float(sil), rel=1e-5)
    assert np.isnan(result.calinski_harabasz[0]) and np.isnan(result.davies_bouldin[0])
    gap = jaxmeans.gap_statistic(X, KS, key=0, n_init=3, n_refs=3)
    np.testing.assert_allclose(result.gap, gap.gap, rtol=1e-6)
    np.testing.assert_allclose(result.gap_se, gap.gap_se, rtol=1e-6)
    assert int(result.k_gap) == int(gap.k_best)
    ks = np.arange(1, 7)
    assert int(result.k_silhouette) == ks[np.nanargmax(result.silhouette)]
    assert int(result.k_calinski_harabasz) == ks[np.nanargmax(result.calinski_harabasz)]
    assert int(result.k_davies_bouldin) == ks[np.nanargmin(result.davies_bouldin)]


def test_every_criterion_agrees_on_three_separated_blobs(result):
    picks = [result.k_elbow, result.k_silhouette, result.k_calinski_harabasz]
    picks += [result.k_davies_bouldin, result.k_gap, result.k_stability]
    assert [int(k) for k in picks] == [3] * 6
    np.testing.assert_array_equal(result.votes, [0, 0, 6, 0, 0, 0])
    assert int(result.k_best) == 3
    verdict = jaxmeans.choose_k_verdict(result)
    assert verdict.startswith("All 6 criteria choose k = 3")
    assert "no cluster structure" not in verdict


def test_stability_is_nan_at_one_and_its_sd_is_that_of_the_resamples(result):
    assert np.isnan(result.stability[0]) and np.isnan(result.stability_sd[0])
    assert float(result.stability[2]) == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.asarray(result.stability_sd[1:]) >= 0)
    assert np.all(np.asarray(result.stability[1:]) <= 1 + 1e-6)


@pytest.mark.parametrize("centers", [3, 4, 5])
def test_stability_picks_the_true_k_on_separated_blobs(centers):
    X = blobs(centers, seed=1)
    result = jaxmeans.choose_k(X, range(1, 9), key=0, criteria=("stability",), n_boot=5)
    assert int(result.k_stability) == centers
    assert float(result.stability[centers - 1]) > 0.99


def test_a_resample_clustered_as_weighted_distinct_rows_is_the_repeated_rows_fit(X):
    # Stability clusters a bootstrap resample as its distinct rows weighted by their
    # counts: from the same start, the labels of the drawn rows are those of the rows
    # repeated, and so is the adjusted Rand index against the full data's labels.
    rows = np.random.default_rng(3).integers(0, len(X), len(X))
    distinct, where, counts = np.unique(rows, return_inverse=True, return_counts=True)
    start = X[rows[:3]]
    repeated = jaxmeans.kmeans(X[rows], 3, init=start)
    weighted = jaxmeans.kmeans(X[distinct], 3, init=start, sample_weight=counts)
    np.testing.assert_array_equal(np.asarray(weighted.labels)[where], repeated.labels)
    assert float(weighted.inertia) == pytest.approx(float(repeated.inertia), rel=1e-5)
    full = np.asarray(jaxmeans.kmeans(X, 3, key=0).labels)[rows]
    ari = adjusted_rand_index(full, jax.numpy.asarray(weighted.labels)[where], n_clusters=3)
    assert float(ari) == pytest.approx(adjusted_rand_score(full, repeated.labels), abs=1e-6)


def test_cosine_finds_directions_whatever_their_lengths():
    # Three directions, each row scaled by a length drawn from 1 to 20: by angle there are
    # three clusters, and the criteria computed on unit rows find them.
    rng = np.random.default_rng(0)
    angles = np.repeat([0.2, 2.3, 4.4], 80) + rng.normal(scale=0.08, size=240)
    lengths = rng.uniform(1, 20, size=240)
    X = (np.stack([np.cos(angles), np.sin(angles)], axis=1) * lengths[:, None]).astype("f4")
    result = jaxmeans.choose_k(
        X, range(1, 7), key=0, n_init=3, metric="cosine", n_refs=5, n_boot=5,
        criteria=("silhouette", "calinski_harabasz", "gap", "stability"),
    )  # fmt: skip
    assert int(result.k_silhouette) == 3
    assert int(result.k_gap) == 3 and int(result.k_stability) == 3
    assert float(result.stability[2]) > 0.99
    # The indices are those of the unit rows under the cosine fits' labels.
    fits = jaxmeans.elbow(X, range(1, 7), key=0, n_init=3, metric="cosine")
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    for i in range(1, 6):
        labels = np.asarray(fits.labels[i])
        expected = calinski_harabasz_score(unit, labels), silhouette_score(unit, labels)
        got = float(result.calinski_harabasz[i]), float(result.silhouette[i])
        assert got == pytest.approx(expected, rel=1e-4)


def test_uniform_data_are_unstable_at_every_k_and_the_verdict_says_so():
    X = np.random.default_rng(0).uniform(size=(300, 3)).astype(np.float32)
    result = jaxmeans.choose_k(
        X, range(1, 9), key=0, criteria=("stability", "silhouette"), n_boot=5
    )
    assert np.nanmax(np.asarray(result.stability)) < 0.9
    assert int(result.k_stability) == 0
    verdict = jaxmeans.choose_k_verdict(result)
    assert "no cluster structure" in verdict and "stability is below 0.9 at every k" in verdict


def test_the_verdict_names_a_gap_of_one_as_no_structure():
    X = np.random.default_rng(0).uniform(size=(200, 2)).astype(np.float32)
    result = jaxmeans.choose_k(X, range(1, 6), key=0, criteria=("gap",), n_refs=5)
    assert int(result.k_gap) == 1
    verdict = jaxmeans.choose_k_verdict(result)
    assert "the gap statistic picks k = 1" in verdict and "no cluster structure" in verdict


def test_the_result_is_a_pytree_of_arrays(result):
    doubled = jax.tree.map(lambda a: a * 2, result)
    assert isinstance(doubled, jaxmeans.ChooseKResult)
    assert int(doubled.k_best) == 6
    leaves = jax.tree.leaves(result)
    assert len(leaves) == len(jaxmeans.ChooseKResult._fields)
    assert all(isinstance(leaf, jax.Array) for leaf in leaves)
    for name in ("k_elbow", "k_gap", "k_stability", "k_best"):
        assert getattr(result, name).shape == () and getattr(result, name).dtype == np.int32
    assert result.votes.dtype == np.int32 and result.votes.shape == (6,)


def test_a_subset_of_criteria_leaves_nan_and_zero_elsewhere(X):
    result = jaxmeans.choose_k(X, KS, key=0, n_init=3, criteria=("inertia", "davies_bouldin"))
    for name in ("silhouette", "calinski_harabasz", "gap", "gap_se", "stability", "stability_sd"):
        assert np.all(np.isnan(getattr(result, name))), name
    for name in ("k_silhouette", "k_calinski_harabasz", "k_gap", "k_stability"):
        assert int(getattr(result, name)) == 0, name
    assert np.all(np.isfinite(result.inertia))
    assert int(result.k_elbow) == 3 and int(result.k_davies_bouldin) == 3
    assert int(result.k_best) == 3 and int(np.sum(result.votes)) == 2
    only_gap = jaxmeans.choose_k(X, KS, key=0, n_init=3, criteria="gap", n_refs=3)
    assert np.all(np.isnan(only_gap.inertia)) and int(only_gap.k_gap) == 3
    assert jaxmeans.choose_k_verdict(only_gap) == "The gap statistic chooses k = 3."


def test_ties_in_the_votes_go_to_the_smaller_k():
    X = np.random.default_rng(0).uniform(size=(200, 3)).astype(np.float32)
    result = jaxmeans.choose_k(
        X, range(1, 8), key=0, criteria=("inertia", "calinski_harabasz"), n_init=1
    )
    picks = sorted({int(result.k_elbow), int(result.k_calinski_harabasz)} - {0})
    assert int(result.k_best) == picks[0]
    if len(picks) == 2:
        assert "The criteria disagree" in jaxmeans.choose_k_verdict(result)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(criteria=("inertia", "knee")), "criteria holds unknown names ['knee']"),
        (dict(criteria=()), "criteria must name at least one"),
        (dict(n_boot=0), "n_boot"),
        (dict(n_boot=-3), "n_boot"),
    ],
)
def test_bad_arguments_name_the_parameter(X, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        jaxmeans.choose_k(X, KS, **kwargs)


def test_float64_data_give_float64_criteria_and_the_same_picks(X):
    with jax.enable_x64(True):
        result = jaxmeans.choose_k(
            X.astype(np.float64), KS, key=0, n_init=3, n_boot=4,
            criteria=("silhouette", "davies_bouldin", "stability"),
        )  # fmt: skip
        assert result.silhouette.dtype == np.float64 and result.stability.dtype == np.float64
        assert int(result.k_silhouette) == int(result.k_davies_bouldin) == 3
        assert int(result.k_stability) == 3
