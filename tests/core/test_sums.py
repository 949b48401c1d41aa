"""Per-cluster sums carried between Lloyd iterations: as accurate as sums taken afresh,
and a fit that carries them ends bit for bit where one that does not ends."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest


@pytest.mark.parametrize(
    "n, d, k, share",
    [
        (20_000, 8, 10, 0.05),
        (20_000, 8, 10, 0.3),
        pytest.param(60_000, 64, 512, 0.05, marks=pytest.mark.slow),
    ],
)
def test_carried_sums_stay_as_accurate_as_summing_afresh(n, d, k, share):
    # A single fit's sums are carried between iterations and moved by the rows that changed
    # cluster (a partial sum per row block; whole blocks per partial sum where a grid of
    # 2**20 values would not hold one per block: the last case), and taken afresh when
    # stale, as lloyd_step does. After max_iter iterations of moves they must be about as
    # accurate as a fresh scatter of every row (0.7-1.5x its error; moves added without
    # fresh sums were 2.5-7.6x).
    from jaxmeans._core.dense import prepare
    from jaxmeans._core.sums import carried_start, carried_sums, carry, fresh_sums, stale
    from jaxmeans._core.tuning import CPU

    rng = np.random.default_rng(1)
    # Rows of many magnitudes: their centred values use every bit of the mantissa.
    X = rng.normal(size=(n, d)) * np.exp(rng.normal(size=(n, 1)))
    data = prepare(jnp.asarray(X, jnp.float32), jnp.ones(n, jnp.float32), k=k, tuning=CPU)
    n_pad = data.X.shape[0]
    move = jax.jit(carry)
    labels = np.full(n_pad, -1, np.int32)
    carried = carried_start(data, k)
    for step in range(300):
        new = rng.integers(0, k, n_pad).astype(np.int32)
        if step:  # after the first iteration some rows move
            new = np.where(rng.random(n_pad) < share, new, labels)
        carried = move(data, jnp.asarray(new), jnp.asarray(labels), carried)
        if stale(data, carried):
            carried = fresh_sums(data, jnp.asarray(new), k)
        labels = new
    ref = np.zeros((k, d + 1))
    np.add.at(ref, labels, np.asarray(data.Xw1, np.float64).reshape(n_pad, d + 1))
    sums, counts = (np.asarray(a, np.float64) for a in carried_sums(carried))
    fresh, fresh_counts = carried_sums(fresh_sums(data, jnp.asarray(labels), k))
    err = np.abs(sums - ref[:, :d]).max()
    assert err <= np.abs(np.asarray(fresh, np.float64) - ref[:, :d]).max() * 2
    np.testing.assert_array_equal(counts, ref[:, d])
    np.testing.assert_array_equal(np.asarray(fresh_counts), ref[:, d])


@pytest.mark.parametrize("bounded", [False, True], ids=["lloyd", "hamerly"])
@pytest.mark.parametrize("tol, max_iter", [(0.0, 300), (1e-4, 300), (0.0, 7)])
def test_carried_sums_end_where_sums_taken_afresh_end(tol, max_iter, bounded):
    # A single fit carries its sums between iterations (moved by the rows that changed
    # cluster); where it stops (strict convergence, tolerance, max_iter) it takes them
    # afresh, so that its centroids depend on its final partition alone: bit for bit those
    # of the same fit without carried sums (what a fit inside a caller's jit/vmap runs).
    from jaxmeans._core.dense import prepare
    from jaxmeans._core.hamerly import lloyd_bounded
    from jaxmeans._core.lloyd import lloyd
    from jaxmeans._core.tuning import CPU

    X = jnp.asarray(np.random.default_rng(3).uniform(size=(5000, 4)), jnp.float32)
    data = prepare(X, jnp.ones(5000, jnp.float32), k=8, tuning=CPU)
    init = data.X[:8] + 0.01

    @functools.partial(jax.jit, static_argnums=0)
    def fit(carry_sums):
        loop = dict(n_active=8, tol_abs=tol * data.variance(), max_iter=max_iter)
        if bounded:
            return lloyd_bounded(data, init, carry_sums=carry_sums, **loop)
        return lloyd(data, init, tuning=CPU, carry_sums=carry_sums, **loop)

    carried, afresh = fit(True), fit(False)
    assert CPU.carry_sums and int(carried.n_iter) >= min(max_iter, 20)
    assert int(carried.n_iter) == int(afresh.n_iter)
    np.testing.assert_array_equal(np.asarray(carried.labels), np.asarray(afresh.labels))
    np.testing.assert_array_equal(np.asarray(carried.centroids), np.asarray(afresh.centroids))
