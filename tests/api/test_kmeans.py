"""The fit itself: parity with scikit-learn, semantics, composability."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import sample_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans

import jaxmeans
from jaxmeans.exceptions import ConvergenceWarning


def _same_up_to_permutation(a, b):
    """True when label vectors a and b define the same partition."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize(
    "data,k,seed", [("iris", 3, 0), ("iris", 7, 1), ("blobs", 4, 2), ("blobs", 9, 3)]
)
def test_same_init_same_result_as_scikit_learn(request, data, k, seed):
    X = request.getfixturevalue(data)
    init = sample_rows(X, k, seed)
    sk = KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X)
    ours = jaxmeans.kmeans(X, k, init=init)
    np.testing.assert_allclose(
        np.asarray(ours.centroids), sk.cluster_centers_, rtol=1e-5, atol=1e-4
    )
    assert int(ours.n_iter) == sk.n_iter_
    np.testing.assert_array_equal(np.asarray(ours.labels), sk.labels_)
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=1e-5)
    assert bool(ours.converged)


def test_kmeans_plusplus_matches_scikit_learn_best_of_ten_on_iris(iris, key):
    fits = [KMeans(3, n_init=10, random_state=s).fit(iris) for s in range(3)]
    sk_best = min(fits, key=lambda f: f.inertia_)
    ours = jaxmeans.kmeans(iris, 3, key=key, n_init=10)
    assert float(ours.inertia) <= sk_best.inertia_ * (1 + 1e-4)
    assert _same_up_to_permutation(ours.labels, sk_best.labels_)


def test_n_init_returns_the_best_restart(blobs, key):
    k, n_init = 6, 5
    best = jaxmeans.kmeans(blobs, k, key=key, n_init=n_init, init="random")
    singles = [
        jaxmeans.kmeans(blobs, k, key=sub, init="random") for sub in jax.random.split(key, n_init)
    ]
    inertias = [float(s.inertia) for s in singles]
    assert len(set(np.round(inertias, 2))) > 1  # the restarts really differ
    winner = singles[int(np.argmin(inertias))]
    assert float(best.inertia) == pytest.approx(min(inertias), rel=1e-5)
    np.testing.assert_array_equal(best.labels, winner.labels)
    np.testing.assert_allclose(best.centroids, winner.centroids, rtol=1e-5, atol=1e-5)


def test_integer_weights_equal_repeated_rows(blobs):
    rng = np.random.default_rng(0)
    w = rng.integers(0, 4, len(blobs))
    w[0] = 2  # at least one repeated row
    init = sample_rows(blobs[w > 0], 5, 1)
    weighted = jaxmeans.kmeans(blobs, 5, init=init, sample_weight=w)
    repeated = jaxmeans.kmeans(np.repeat(blobs, w, axis=0), 5, init=init)
    np.testing.assert_allclose(weighted.centroids, repeated.centroids, rtol=1e-5, atol=1e-4)
    assert float(weighted.inertia) == pytest.approx(float(repeated.inertia), rel=1e-5)
    assert int(weighted.n_iter) == int(repeated.n_iter)
    np.testing.assert_array_equal(np.repeat(np.asarray(weighted.labels), w), repeated.labels)


def test_weights_match_scikit_learn(blobs):
    w = np.random.default_rng(5).uniform(0.1, 3.0, len(blobs)).astype(np.float32)
    init = sample_rows(blobs, 4, 5)
    sk = KMeans(4, init=init, n_init=1).fit(blobs, sample_weight=w)
    ours = jaxmeans.kmeans(blobs, 4, init=init, sample_weight=w)
    np.testing.assert_allclose(ours.centroids, sk.cluster_centers_, rtol=1e-5, atol=1e-4)
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=1e-5)


def test_duplicate_initial_centroids_are_relocated_like_scikit_learn(iris):
    init = np.stack([iris[0], iris[0], iris[120]])
    sk = KMeans(3, init=init, n_init=1).fit(iris)
    ours = jaxmeans.kmeans(iris, 3, init=init)
    np.testing.assert_allclose(ours.centroids, sk.cluster_centers_, rtol=1e-5, atol=1e-4)
    assert int(ours.n_iter) == sk.n_iter_
    assert len(np.unique(np.asarray(ours.labels))) == 3
    assert np.isfinite(np.asarray(ours.centroids)).all()


def test_many_empty_clusters_never_give_nan(blobs):
    init = np.repeat(blobs[:1], 8, axis=0)  # all eight start at one point
    ours = jaxmeans.kmeans(blobs, 8, init=init)
    assert np.isfinite(np.asarray(ours.centroids)).all()
    assert len(np.unique(np.asarray(ours.labels))) == 8
    sk = KMeans(8, init=init, n_init=1).fit(blobs)
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=0.05)


def test_fewer_distinct_points_than_clusters_stays_finite():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5, np.float32)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        ours = jaxmeans.kmeans(X, 3, init="random")
    assert np.isfinite(np.asarray(ours.centroids)).all()
    assert float(ours.inertia) == 0.0


def test_offset_does_not_change_the_clustering(blobs, key):
    base = jaxmeans.kmeans(blobs, 4, key=key)
    shifted = jaxmeans.kmeans(blobs + np.float32(1e4), 4, key=key)
    np.testing.assert_array_equal(base.labels, shifted.labels)
    np.testing.assert_allclose(shifted.centroids - 1e4, base.centroids, atol=0.02)
    assert float(shifted.inertia) == pytest.approx(float(base.inertia), rel=1e-3)


def test_jit_matches_eager(blobs, key):
    eager = jaxmeans.kmeans(blobs, 4, key=key)
    jitted = jax.jit(lambda x: jaxmeans.kmeans(x, 4, key=key))(blobs)
    np.testing.assert_array_equal(eager.labels, jitted.labels)
    assert int(eager.n_iter) == int(jitted.n_iter)
    assert bool(eager.converged) == bool(jitted.converged)
    # An outer jit may fuse the final reductions differently: equal up to rounding.
    np.testing.assert_allclose(eager.centroids, jitted.centroids, rtol=1e-6, atol=1e-6)
    assert float(eager.inertia) == pytest.approx(float(jitted.inertia), rel=1e-6)


def test_vmap_matches_a_python_loop(key):
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(3, 120, 2)).astype(np.float32)
    batch[:, :40] += 6.0
    batched = jax.vmap(lambda x: jaxmeans.kmeans(x, 3, key=key))(batch)
    for i in range(3):
        single = jaxmeans.kmeans(batch[i], 3, key=key)
        np.testing.assert_allclose(batched.centroids[i], single.centroids, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(batched.labels[i], single.labels)
        assert int(batched.n_iter[i]) == int(single.n_iter)
        assert float(batched.inertia[i]) == pytest.approx(float(single.inertia), rel=1e-6)


def test_vmap_over_keys_and_traced_tol(blobs, key):
    keys = jax.random.split(key, 3)
    batched = jax.vmap(lambda k_, t: jaxmeans.kmeans(blobs, 4, key=k_, tol=t))(
        keys, jnp.array([0.0, 1e-4, 1e-2], jnp.float32)
    )
    for i in range(3):
        tol = [0.0, 1e-4, 1e-2][i]
        single = jaxmeans.kmeans(blobs, 4, key=keys[i], tol=tol)
        np.testing.assert_array_equal(batched.labels[i], single.labels)
        assert int(batched.n_iter[i]) == int(single.n_iter)


def test_same_key_bit_identical_and_other_key_differs(blobs, key):
    a = jaxmeans.kmeans(blobs, 6, key=key, init="random")
    b = jaxmeans.kmeans(blobs, 6, key=key, init="random")
    for x, y in zip(a, b, strict=True):
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes()
    c = jaxmeans.kmeans(blobs, 6, key=jax.random.fold_in(key, 1), init="random")
    assert not np.array_equal(np.asarray(a.centroids), np.asarray(c.centroids))


def test_inertia_never_increases_over_iterations(blobs):
    init = sample_rows(blobs, 8, 11)
    inertias = [
        float(jaxmeans.kmeans(blobs, 8, init=init, max_iter=m, tol=0.0).inertia)
        for m in range(1, 9)
    ]
    assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(inertias))
    assert inertias[-1] < inertias[0]


def test_max_iter_reached_is_reported(blobs):
    init = sample_rows(blobs, 8, 11)
    result = jaxmeans.kmeans(blobs, 8, init=init, max_iter=1, tol=0.0)
    assert int(result.n_iter) == 1 and not bool(result.converged)
    # The labels belong to the returned centroids even when stopped early.
    labels, _ = jaxmeans.assign(blobs, result.centroids)
    np.testing.assert_array_equal(result.labels, labels)


def test_tol_is_relative_to_the_data_variance(blobs):
    init = sample_rows(blobs, 8, 11)
    loose = jaxmeans.kmeans(blobs, 8, init=init, tol=1e-1)
    scaled = jaxmeans.kmeans(blobs * 1000, 8, init=init * 1000, tol=1e-1)
    assert int(loose.n_iter) == int(scaled.n_iter)
    sk = KMeans(8, init=init, n_init=1, tol=1e-1).fit(blobs)
    assert int(loose.n_iter) == sk.n_iter_
    assert int(loose.n_iter) < int(jaxmeans.kmeans(blobs, 8, init=init, tol=0.0).n_iter)


def test_float64_when_x64_is_enabled(iris):
    X = iris.astype(np.float64)
    init = sample_rows(X, 3, 0)
    with jax.enable_x64(True):
        ours = jaxmeans.kmeans(X, 3, init=init)
        assert ours.centroids.dtype == jnp.float64 and ours.inertia.dtype == jnp.float64
        assert ours.labels.dtype == jnp.int32
    sk = KMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_allclose(np.asarray(ours.centroids), sk.cluster_centers_, rtol=1e-12)
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=1e-12)


def test_float32_by_default_and_integers_are_cast():
    X = np.array([[0, 0], [0, 2], [10, 10], [10, 12]], np.int64)
    result = jaxmeans.kmeans(X, 2)
    assert result.centroids.dtype == jnp.float32
    assert sorted(np.asarray(result.centroids)[:, 1].tolist()) == [1.0, 11.0]


def test_k_equals_one_and_k_equals_n(blobs):
    one = jaxmeans.kmeans(blobs, 1)
    np.testing.assert_allclose(one.centroids[0], blobs.mean(0), rtol=1e-5, atol=1e-5)
    small = blobs[:12]
    every = jaxmeans.kmeans(small, 12)
    assert float(every.inertia) == pytest.approx(0.0, abs=1e-6)


# Fixed shapes keep compilations to one per k.
_points = arrays(
    np.float32,
    (24, 2),
    elements=st.floats(-100, 100, allow_nan=False, width=32),
)


# Drawn point sets may hold fewer distinct points than k: the ConvergenceWarning that says
# so is right there and tested elsewhere (test_numerics).
_DEGENERATE = pytest.mark.filterwarnings("ignore:Number of distinct clusters:UserWarning")


@_DEGENERATE
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=_points, k=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_labels_are_the_argmin_of_the_final_centroids(X, k, seed):
    result = jaxmeans.kmeans(X, k, key=jax.random.key(seed), max_iter=3)
    d = (
        (X[:, None, :].astype(np.float64) - np.asarray(result.centroids, np.float64)[None]) ** 2
    ).sum(-1)
    chosen = d[np.arange(len(X)), np.asarray(result.labels)]
    scale = 1e-4 * (1.0 + (X.astype(np.float64) ** 2).sum(1))
    assert (chosen <= d.min(1) + scale).all()


@_DEGENERATE
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    X=_points,
    k=st.integers(1, 4),
    w=arrays(np.int64, (24,), elements=st.integers(1, 5)),
    seed=st.integers(0, 2**31 - 1),
)
def test_each_centroid_is_the_weighted_mean_of_its_points_at_convergence(X, k, w, seed):
    result = jaxmeans.kmeans(X, k, key=jax.random.key(seed), tol=0.0, sample_weight=w)
    if not bool(result.converged):
        return  # 300 iterations without settling: nothing to check
    labels = np.asarray(result.labels)
    for j in np.unique(labels):
        members = labels == j
        mean = np.average(X[members].astype(np.float64), axis=0, weights=w[members])
        np.testing.assert_allclose(np.asarray(result.centroids)[j], mean, rtol=1e-4, atol=1e-3)
