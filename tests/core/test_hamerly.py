"""Hamerly's bounded loop: the same iterations as the plain Lloyd loop, on any data."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import sample_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans

import jaxmeans
from jaxmeans._core.dense import prepare
from jaxmeans._core.hamerly import lloyd_bounded
from jaxmeans._core.lloyd import lloyd
from jaxmeans._core.tuning import CPU


def _blobs(n, d, centres, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=3.0, size=(centres, d))
    X = means[rng.integers(0, centres, n)] + rng.normal(size=(n, d))
    return X.astype(dtype)


@functools.partial(jax.jit, static_argnames=("k", "bounded", "max_iter"))
def _run(X, w, init, *, k, bounded, max_iter=300):
    data = prepare(X, w, k=k, tuning=CPU)
    tol = jnp.asarray(0.0, X.dtype)
    loop = dict(n_active=jnp.int32(k), tol_abs=tol, max_iter=max_iter)
    if bounded:
        return lloyd_bounded(data, init - data.mean[None, :], **loop)
    return lloyd(data, init - data.mean[None, :], tuning=CPU, **loop)


def _both(X, init, w=None, max_iter=300):
    X = jnp.asarray(X)
    w = jnp.ones(X.shape[0], X.dtype) if w is None else jnp.asarray(w, X.dtype)
    init = jnp.asarray(init, X.dtype)
    k = init.shape[0]
    return (
        _run(X, w, init, k=k, bounded=False, max_iter=max_iter),
        _run(X, w, init, k=k, bounded=True, max_iter=max_iter),
    )


def _assert_same(plain, bounded):
    np.testing.assert_array_equal(np.asarray(bounded.labels), np.asarray(plain.labels))
    assert int(bounded.n_iter) == int(plain.n_iter)
    assert bool(bounded.converged) == bool(plain.converged)
    np.testing.assert_allclose(bounded.centroids, plain.centroids, rtol=1e-5, atol=1e-5)
    assert float(bounded.inertia) == pytest.approx(float(plain.inertia), rel=1e-5)


@pytest.mark.parametrize(
    "n,d,centres,k,seed",
    [
        pytest.param(3000, 16, 12, 40, 0, marks=pytest.mark.slow),
        (2000, 32, 50, 64, 1),
        (1500, 4, 3, 36, 2),
        pytest.param(4000, 2, 8, 48, 3, marks=pytest.mark.slow),
    ],
)
def test_bounded_loop_equals_plain_loop(n, d, centres, k, seed):
    X = _blobs(n, d, centres, seed)
    plain, bounded = _both(X, sample_rows(X, k, seed))
    assert int(plain.n_iter) > 3  # the bounds had iterations to skip work in
    _assert_same(plain, bounded)


def test_bounded_loop_equals_plain_loop_with_weights():
    X = _blobs(2000, 8, 6, 4)
    w = np.random.default_rng(4).uniform(0.0, 3.0, len(X))
    w[::7] = 0.0
    plain, bounded = _both(X, sample_rows(X, 40, 4), w)
    _assert_same(plain, bounded)


@pytest.mark.slow
def test_bounded_loop_relocates_empty_clusters_like_the_plain_loop():
    X = _blobs(1500, 8, 5, 5)
    init = np.repeat(X[:5], 8, axis=0)  # 40 centroids on 5 points: 35 start empty
    plain, bounded = _both(X, init)
    _assert_same(plain, bounded)
    assert len(np.unique(np.asarray(bounded.labels))) == 40


def test_bounded_loop_stops_at_max_iter_like_the_plain_loop():
    X = _blobs(2000, 16, 30, 6)
    plain, bounded = _both(X, sample_rows(X, 48, 6), max_iter=3)
    assert int(bounded.n_iter) == 3 and not bool(bounded.converged)
    _assert_same(plain, bounded)


@pytest.mark.slow
def test_bounded_loop_in_float64():
    with jax.enable_x64(True):
        X = _blobs(1500, 12, 10, 7, np.float64)
        plain, bounded = _both(X, sample_rows(X, 40, 7))
        assert bounded.centroids.dtype == jnp.float64
        _assert_same(plain, bounded)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(40, 300),
    d=st.integers(1, 6),
    k=st.integers(2, 12),
    seed=st.integers(0, 2**16),
)
@pytest.mark.slow
def test_bounded_labels_are_the_plain_loops_labels(n, d, k, seed):
    # Continuous random data: exact ties, which either loop may break by rounding, have
    # probability zero.
    X = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    init = X[np.random.default_rng(seed + 1).choice(n, k, replace=False)]
    plain, bounded = _both(X, init)
    np.testing.assert_array_equal(np.asarray(bounded.labels), np.asarray(plain.labels))
    assert int(bounded.n_iter) == int(plain.n_iter)


def test_large_k_fits_take_the_bounded_loop_and_match_scikit_learn():
    X = _blobs(3000, 32, 25, 8)
    k = 40
    assert CPU.bounded(k, X.shape[1])
    assert not CPU.bounded(10, X.shape[1]) and not CPU.bounded(40, 2)
    init = sample_rows(X, k, 8)
    sk = KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X)
    ours = jaxmeans.kmeans(X, k, init=init)
    np.testing.assert_array_equal(np.asarray(ours.labels), sk.labels_)
    assert int(ours.n_iter) == sk.n_iter_
    np.testing.assert_allclose(ours.centroids, sk.cluster_centers_, rtol=1e-5, atol=1e-4)
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=1e-5)


@pytest.mark.slow
def test_bounded_restarts_are_the_single_runs(key):
    X = _blobs(2000, 32, 20, 9)
    k, n_init = 40, 3
    best = jaxmeans.kmeans(X, k, key=key, n_init=n_init)
    singles = [jaxmeans.kmeans(X, k, key=sub) for sub in jax.random.split(key, n_init)]
    winner = singles[int(np.argmin([float(s.inertia) for s in singles]))]
    np.testing.assert_array_equal(np.asarray(best.labels), np.asarray(winner.labels))
    assert float(best.inertia) == float(winner.inertia)


@pytest.mark.slow
def test_bounded_fit_prints_progress_when_verbose(capfd):
    X = _blobs(1000, 32, 10, 10)
    jaxmeans.KMeans(40, random_state=0, verbose=1).fit(X)
    out = capfd.readouterr().out
    assert "Iteration 0, inertia" in out
    assert "Converged at iteration" in out
