"""Shape buckets: nearby sizes share one program, and the padding is invisible."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import count_compiles
from sklearn.cluster import KMeans as SkKMeans

import jaxmeans
from jaxmeans._core import tuning
from jaxmeans._core.tuning import CPU, tuning_for
from jaxmeans._runtime import run
from jaxmeans._runtime.buckets import cluster_bucket, pair_bucket, row_bucket
from jaxmeans._runtime.compile import FAST_COMPILE, options_for
from jaxmeans._runtime.framing import frame_problem
from jaxmeans._runtime.spec import specify


def _data(n, d, centres, seed):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(centres, d))
    return (means[rng.integers(0, centres, n)] + rng.normal(size=(n, d))).astype(np.float32)


def _unpadded(fn, *args):
    """``fn`` run inside ``jax.jit``: traced input takes no bucket, its shapes are exact."""
    return jax.jit(fn)(*args)


def _same_fit(bucketed, plain):
    np.testing.assert_array_equal(np.asarray(bucketed.labels), np.asarray(plain.labels))
    assert int(bucketed.n_iter) == int(plain.n_iter)
    assert bool(bucketed.converged) == bool(plain.converged)
    np.testing.assert_allclose(bucketed.centroids, plain.centroids, rtol=1e-5, atol=1e-5)
    assert float(bucketed.inertia) == pytest.approx(float(plain.inertia), rel=1e-5)


@pytest.mark.parametrize(
    "n,d,k,init,weighted",
    [
        (37, 2, 3, "k-means++", False),
        (1001, 3, 5, "random", True),
        pytest.param(5003, 4, 12, "k-means++", False, marks=pytest.mark.slow),
        pytest.param(20000, 5, 9, "k-means++", True, marks=pytest.mark.slow),
        pytest.param(3000, 40, 40, "k-means++", False, marks=pytest.mark.slow),  # bounded
    ],
)
def test_bucketed_fit_equals_the_unpadded_fit(n, d, k, init, weighted, key):
    X = _data(n, d, max(k // 2, 2), n)
    w = np.random.default_rng(n).integers(0, 3, n).astype(np.float32) if weighted else None
    fit = lambda X: jaxmeans.kmeans(X, k, key=key, init=init, n_init=2, sample_weight=w)  # noqa: E731
    bucketed, plain = fit(X), _unpadded(fit, X)
    assert bucketed.centroids.shape == (k, d) and bucketed.labels.shape == (n,)
    _same_fit(bucketed, plain)
    assert np.asarray(bucketed.labels).max() < k


@pytest.mark.slow
def test_bucketed_elbow_equals_the_unpadded_elbow(key):
    X = _data(3001, 3, 4, 1)
    sweep = lambda X: jaxmeans.elbow(X, [1, 3, 5, 6], key=key, n_init=2)  # noqa: E731
    bucketed, plain = sweep(X), _unpadded(sweep, X)
    assert bucketed.centroids.shape == (4, 6, 3) and bucketed.labels.shape == (4, 3001)
    np.testing.assert_array_equal(np.asarray(bucketed.labels), np.asarray(plain.labels))
    np.testing.assert_array_equal(np.asarray(bucketed.n_iter), np.asarray(plain.n_iter))
    np.testing.assert_allclose(bucketed.inertia, plain.inertia, rtol=1e-5)
    assert int(bucketed.knee) == int(plain.knee)


def test_bucketed_predict_transform_score_and_metrics_equal_direct_computation():
    X = _data(1234, 3, 5, 2)
    model = jaxmeans.KMeans(5, random_state=0).fit(X)
    new = _data(777, 3, 5, 3)
    d2 = ((new[:, None, :].astype(np.float64) - model.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(model.predict(new), np.argmin(d2, axis=1))
    np.testing.assert_allclose(model.transform(new), np.sqrt(d2), rtol=1e-4, atol=1e-4)
    assert model.score(new) == pytest.approx(-d2.min(axis=1).sum(), rel=1e-5)
    labels, sq = jaxmeans.assign(new, model.cluster_centers_)
    assert labels.shape == (777,) and sq.shape == (777,)
    np.testing.assert_allclose(np.asarray(sq), d2.min(axis=1), rtol=1e-4, atol=1e-4)
    D = jaxmeans.pairwise_sq_dists(new, model.cluster_centers_)
    assert D.shape == (777, 5)
    lab = model.predict(new)
    from sklearn import metrics as sk

    m = jaxmeans.metrics
    assert float(m.silhouette_score(new, lab)) == pytest.approx(
        sk.silhouette_score(new, lab), rel=1e-4
    )
    assert float(m.calinski_harabasz_score(new, lab)) == pytest.approx(
        sk.calinski_harabasz_score(new, lab), rel=1e-4
    )
    assert float(m.davies_bouldin_score(new, lab)) == pytest.approx(
        sk.davies_bouldin_score(new, lab), rel=1e-4
    )


def test_nearby_sizes_and_small_ks_compile_nothing_new(key):
    X = _data(12000, 4, 5, 4)
    model = jaxmeans.KMeans(3, random_state=0, n_init=3)
    model.fit(X[:2000]).score(X[:1500])  # compiles (or loads) the programs once
    jaxmeans.metrics.calinski_harabasz_score(X[:2000], model.labels_)
    with count_compiles() as compiles:
        for n, k in [(2001, 3), (2048, 2), (4097, 4), (9000, 5), (11999, 6), (3333, 8)]:
            model.set_params(n_clusters=k).fit(X[:n])
            model.predict(X[: n // 2 + 1100])
            model.score(X[: n // 3 + 1100])
            jaxmeans.metrics.calinski_harabasz_score(X[:n], model.labels_)
    assert compiles == []


def test_same_key_same_bits_run_to_run(key):
    X = _data(2500, 3, 4, 5)
    a = jaxmeans.kmeans(X, 6, key=key, n_init=3)
    b = jaxmeans.kmeans(X, 6, key=key, n_init=3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_padded_fit_matches_scikit_learn_from_the_same_start():
    X = _data(4321, 3, 6, 6)
    init = X[np.random.default_rng(0).choice(len(X), 6, replace=False)]
    ours = jaxmeans.kmeans(X, 6, init=init)
    sk = SkKMeans(6, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(np.asarray(ours.labels), sk.labels_)
    assert int(ours.n_iter) == sk.n_iter_
    np.testing.assert_allclose(ours.centroids, sk.cluster_centers_, rtol=1e-5, atol=1e-5)


def test_bucket_rules():
    assert row_bucket(150, 4) == 192  # iris-sized: two buckets per doubling, from 32
    assert [row_bucket(n, 4) for n in (1, 32, 33, 48, 49, 97, 1000)] == [
        32,
        32,
        48,
        48,
        64,
        128,
        1024,
    ]
    tiny = {row_bucket(n, 4) for n in range(1, 1025)}
    assert len(tiny) == 11 and all(
        n <= row_bucket(n, 4) <= max(32, 1.5 * n) for n in range(1, 1025)
    )
    assert row_bucket(1025, 4) == row_bucket(16384, 4) == 16384  # small: one program
    assert row_bucket(513, 8) == row_bucket(8192, 8) == 8192
    assert row_bucket(10003, 8) == 10240
    for n in (16385, 50_000, 1_000_000, 123_457):
        bucket = row_bucket(n, 8)
        assert n <= bucket <= n * 17 / 16  # large: at most 1/16 padding
    assert row_bucket(150, 784) < 1024  # wide rows: small buckets
    assert [cluster_bucket(k) for k in (1, 8, 9, 11, 17, 100, 256)] == [8, 8, 10, 12, 20, 112, 256]
    for n in (1, 64, 65, 1000, 50_000):
        assert n <= pair_bucket(n) <= max(64, n * 9 / 8 + 1)


def test_restarts_side_by_side_on_iris_sized_data_one_after_another_above(monkeypatch, key):
    rng = np.random.default_rng(0)
    iris_sized, larger = rng.normal(size=(150, 4)), rng.normal(size=(600, 4))
    settings = dict(k=3, key=key, init="k-means++", n_init=10, max_iter=300, tol=1e-4)
    assert not specify(iris_sized, **settings).plan.sequential  # 192 rows: vmap
    assert specify(larger, **settings).plan.sequential  # 640 rows: lax.map
    # Either way the same fit: restart i draws from the same key and runs the same loop.
    ours = jaxmeans.kmeans(iris_sized, 3, key=key, n_init=10)
    monkeypatch.setattr(tuning, "CPU", dataclasses.replace(CPU, vmap_restarts_max_rows=0))
    assert specify(iris_sized, **settings).plan.sequential
    other = jaxmeans.kmeans(iris_sized, 3, key=key, n_init=10)
    np.testing.assert_array_equal(np.asarray(ours.labels), np.asarray(other.labels))
    assert int(ours.n_iter) == int(other.n_iter)
    np.testing.assert_allclose(ours.centroids, other.centroids, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("options", [FAST_COMPILE])
def test_faster_compile_options_give_the_same_fit(blobs, key, options):
    spec = specify(blobs, k=4, key=key, init="k-means++", n_init=3, max_iter=300, tol=1e-4)
    problem, _, _ = frame_problem(spec)
    lowered = run.FIT.jitted.lower(problem, plan=spec.plan, tuning=CPU)
    fast = lowered.compile(compiler_options=options)(problem)
    full = lowered.compile()(problem)
    np.testing.assert_array_equal(np.asarray(fast.labels), np.asarray(full.labels))
    np.testing.assert_allclose(fast.centroids, full.centroids, rtol=1e-6, atol=1e-6)
    assert int(fast.n_iter) == int(full.n_iter)


def test_fast_compile_only_for_small_programs_on_cpu():
    assert options_for(CPU, 1, 8) == options_for(CPU, 2**16, 8) == FAST_COMPILE  # iris too
    assert options_for(CPU, 2**22, 8) == FAST_COMPILE
    assert options_for(CPU, 2**22 + 1, 8) is None
    assert options_for(CPU, 2**20, 10) is None
    assert options_for(tuning_for("gpu"), 1, 1) is None


@pytest.mark.slow
def test_inside_jit_and_vmap_no_bucket_and_the_same_result(blobs, key):
    eager = jaxmeans.kmeans(blobs, 4, key=key)
    jitted = jax.jit(lambda X: jaxmeans.kmeans(X, 4, key=key))(blobs)
    np.testing.assert_array_equal(np.asarray(jitted.labels), np.asarray(eager.labels))
    keys = jax.random.split(key, 2)
    swept = jax.vmap(lambda k: jaxmeans.elbow(blobs, [2, 3], key=k).inertia)(keys)
    for i, k in enumerate(keys):
        np.testing.assert_allclose(
            swept[i], jaxmeans.elbow(blobs, [2, 3], key=k).inertia, rtol=1e-5
        )
    assert jnp.asarray(swept).shape == (2, 2)
