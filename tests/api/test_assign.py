import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import jaxmeans
from jaxmeans._core.tuning import CPU


def _brute(X, C):
    X64, C64 = np.asarray(X, np.float64), np.asarray(C, np.float64)
    return ((X64[:, None, :] - C64[None, :, :]) ** 2).sum(-1)


def test_pairwise_sq_dists_matches_float64_brute_force():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 7)).astype(np.float32)
    Y = rng.normal(size=(9, 7)).astype(np.float32)
    got = np.asarray(jaxmeans.pairwise_sq_dists(X, Y))
    assert got.shape == (50, 9)
    np.testing.assert_allclose(got, _brute(X, Y), rtol=1e-5, atol=1e-5)


def test_pairwise_sq_dists_is_accurate_far_from_the_origin():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3)) + 1e4
    Y = rng.normal(size=(5, 3)) + 1e4
    got = np.asarray(jaxmeans.pairwise_sq_dists(X.astype(np.float32), Y.astype(np.float32)))
    # Without shifting, ||x||^2 ~ 3e8 leaves float32 an absolute error of ~30.
    np.testing.assert_allclose(got, _brute(X.astype(np.float32), Y.astype(np.float32)), atol=0.05)


def test_pairwise_sq_dists_never_negative():
    X = np.full((4, 3), 1.1, np.float32)
    assert float(jnp.min(jaxmeans.pairwise_sq_dists(X, X))) == 0.0


@pytest.mark.parametrize("n,k", [(37, 4), (1000, 1024)])
def test_assign_is_argmin_of_distances(n, k):
    # (1000, 1024) uses two padded row blocks; (37, 4) a single block.
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    C = rng.normal(size=(k, 3)).astype(np.float32)
    labels, sq = jaxmeans.assign(X, C)
    brute = _brute(X, C)
    assert labels.dtype == jnp.int32 and labels.shape == (n,)
    np.testing.assert_array_equal(np.asarray(labels), brute.argmin(1))
    np.testing.assert_allclose(np.asarray(sq), brute.min(1), rtol=1e-4, atol=1e-5)


def test_assign_breaks_ties_to_the_lowest_index():
    # Centres whose mean is 0, so that the shift to it leaves the tie exact in float32.
    X = np.array([[0.0, 0.0], [1.0, 0.0]], np.float32)
    C = np.array([[5.0, 5.0], [0.5, 1.0], [0.5, -1.0], [-6.0, -5.0]], np.float32)
    labels, _ = jaxmeans.assign(X, C)
    assert labels.tolist() == [1, 1]


@given(n=st.integers(1, 3_000_000), k=st.integers(1, 5000))
def test_block_layout_covers_every_row_with_little_padding(n, k):
    n_blocks, rows = CPU.block_layout(n, k)
    assert n_blocks * rows >= n
    assert n_blocks * rows - n < 8 * n_blocks + rows  # less than one block plus alignment
    assert rows <= max(64, min(8192, 2**19 // k)) + 7  # one block's distances stay small


def test_assign_under_jit_and_vmap():
    rng = np.random.default_rng(3)
    Xs = jnp.asarray(rng.normal(size=(3, 40, 2)).astype(np.float32))
    C = jnp.asarray(rng.normal(size=(5, 2)).astype(np.float32))
    batched = jax.vmap(lambda x: jaxmeans.assign(x, C))(Xs)
    for i in range(3):
        labels, sq = jax.jit(lambda x: jaxmeans.assign(x, C))(Xs[i])
        np.testing.assert_array_equal(batched[0][i], labels)
        np.testing.assert_allclose(batched[1][i], sq, rtol=1e-5, atol=1e-6)


def test_float64_numpy_data_with_float32_centres_warns_nothing():
    # With 64-bit JAX off, the computation is float32; the rounding happens on the host,
    # never through JAX's "float64 will be truncated" warning.
    import warnings

    X = np.random.default_rng(0).normal(size=(40, 3))
    C = jnp.asarray(X[:4], jnp.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels, sq = jaxmeans.assign(X, C)
        D = jaxmeans.pairwise_sq_dists(X, C)
    assert sq.dtype == D.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(labels), np.asarray(D).argmin(1))


def test_grad_of_assigned_distances_is_the_analytic_gradient():
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(40, 3)), jnp.float32)
    C = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)

    def total(X, C):
        return jnp.sum(jaxmeans.assign(X, C)[1])

    labels = np.asarray(jaxmeans.assign(X, C)[0])
    diff = np.asarray(X, np.float64) - np.asarray(C, np.float64)[labels]
    grad_c = np.zeros((4, 3))
    np.add.at(grad_c, labels, -2 * diff)
    for grad in (jax.grad(total, (0, 1)), jax.jit(jax.grad(total, (0, 1)))):
        gx, gc = grad(X, C)
        np.testing.assert_allclose(gx, 2 * diff, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(gc, grad_c, rtol=1e-5, atol=1e-5)
    # Labels are integers: they carry no gradient, and the distances do not depend on them.
    assert jaxmeans.assign(X, C)[0].dtype == jnp.int32


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_assign_passes_check_grads(metric):
    from jax.test_util import check_grads

    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        X = jnp.asarray(rng.normal(size=(12, 3)))
        C = jnp.asarray(rng.normal(size=(3, 3)))

        def total(X, C):
            return jnp.sum(jaxmeans.assign(X, C, metric=metric)[1] ** 2)

        check_grads(total, (X, C), order=1, modes=("fwd", "rev"))
