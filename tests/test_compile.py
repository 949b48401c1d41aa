"""Quick compilation for small problems: same results, and only where it is allowed."""

import jax
import jax.numpy as jnp
import numpy as np
from helpers import sample_rows

import jaxmeans
from jaxmeans._lloyd import Plan, Problem
from jaxmeans._run import FIT
from jaxmeans._tuning import CPU, tuning_for


def _fit(program, X, k, key, init_mode="k-means++"):
    X = jnp.asarray(X)
    w = jnp.ones(X.shape[0], X.dtype)
    problem = Problem(X, w, None, key, jnp.asarray(1e-4, X.dtype))
    return program(problem, plan=Plan(k, 3, 300, init_mode), tuning=CPU)


def test_quick_and_full_compilations_give_the_same_fit(iris, blobs, key):
    for X, k in [(iris, 3), (blobs, 5)]:
        quick = _fit(FIT.quick, X, k, key)
        full = _fit(FIT.full, X, k, key)
        np.testing.assert_array_equal(np.asarray(quick.labels), np.asarray(full.labels))
        np.testing.assert_allclose(quick.centroids, full.centroids, rtol=1e-6, atol=1e-6)
        assert int(quick.n_iter) == int(full.n_iter)
        public = jaxmeans.kmeans(X, k, key=key, n_init=3)
        np.testing.assert_array_equal(np.asarray(public.labels), np.asarray(quick.labels))


def test_small_fits_take_the_quick_compilation_on_cpu_only():
    limit = CPU.quick_max_work
    assert FIT.pick(CPU, limit, traced=False) is FIT.quick
    assert FIT.pick(CPU, limit + 1, traced=False) is FIT.full
    assert FIT.pick(CPU, 1, traced=True) is FIT.full
    assert FIT.pick(tuning_for("gpu"), 1, traced=False) is FIT.full


def test_small_fits_inside_jit_and_vmap_use_the_default_compilation(blobs, key):
    eager = jaxmeans.kmeans(blobs, 4, key=key)
    jitted = jax.jit(lambda X: jaxmeans.kmeans(X, 4, key=key))(blobs)
    np.testing.assert_array_equal(np.asarray(jitted.labels), np.asarray(eager.labels))
    keys = jax.random.split(key, 2)
    swept = jax.vmap(lambda k: jaxmeans.elbow(blobs, [2, 3], key=k).inertia)(keys)
    for i, k in enumerate(keys):
        single = jaxmeans.elbow(blobs, [2, 3], key=k).inertia
        np.testing.assert_allclose(swept[i], single, rtol=1e-5)


def test_iris_fit_uses_sample_rows_init(iris):
    # An init array is one run whatever n_init says.
    init = sample_rows(iris, 4, 0)
    one = jaxmeans.kmeans(iris, 4, init=init)
    many = jaxmeans.kmeans(iris, 4, init=init, n_init=5)
    np.testing.assert_array_equal(np.asarray(one.labels), np.asarray(many.labels))
