"""Quick compilation for small problems: same results, and only where it is allowed."""

import jax
import jax.numpy as jnp
import numpy as np
from conftest import sample_rows

import jaxmeans
from jaxmeans._compile import QUICK_MAX_WORK
from jaxmeans._fit import kmeans_programs


def _fit(program, X, k, key, init_mode="k-means++"):
    X = jnp.asarray(X)
    w = jnp.ones(X.shape[0], X.dtype)
    return program(
        X, w, None, key, jnp.asarray(1e-4, X.dtype),
        k=k, n_init=3, max_iter=300, init_mode=init_mode, n_local_trials=3,
    )  # fmt: skip


def test_quick_and_full_compilations_give_the_same_fit(iris, blobs, key):
    for X, k in [(iris, 3), (blobs, 5)]:
        quick = _fit(kmeans_programs.quick, X, k, key)
        full = _fit(kmeans_programs.full, X, k, key)
        np.testing.assert_array_equal(np.asarray(quick.labels), np.asarray(full.labels))
        np.testing.assert_allclose(quick.centroids, full.centroids, rtol=1e-6, atol=1e-6)
        assert int(quick.n_iter) == int(full.n_iter)


def test_small_fits_take_the_quick_compilation(iris):
    limit = QUICK_MAX_WORK["cpu"]
    assert kmeans_programs.for_work(limit) is kmeans_programs.quick
    assert kmeans_programs.for_work(limit + 1) is kmeans_programs.full
    assert kmeans_programs.for_work(1, traced=True) is kmeans_programs.full
    before = kmeans_programs.quick._cache_size()
    jaxmeans.kmeans(iris, 4, init=sample_rows(iris, 4, 0))
    assert kmeans_programs.quick._cache_size() == before + 1


def test_small_fits_inside_jit_and_vmap_use_the_default_compilation(blobs, key):
    eager = jaxmeans.kmeans(blobs, 4, key=key)
    jitted = jax.jit(lambda X: jaxmeans.kmeans(X, 4, key=key))(blobs)
    np.testing.assert_array_equal(np.asarray(jitted.labels), np.asarray(eager.labels))
    keys = jax.random.split(key, 2)
    swept = jax.vmap(lambda k: jaxmeans.elbow(blobs, [2, 3], key=k).inertia)(keys)
    for i, k in enumerate(keys):
        single = jaxmeans.elbow(blobs, [2, 3], key=k).inertia
        np.testing.assert_allclose(swept[i], single, rtol=1e-5)
