"""Data-parallel k-means: rows sharded over one axis of a device mesh, centroids replicated.

Pure JAX. Each device runs the Lloyd loop of :mod:`jaxmeans._lloyd` (``axis=``) on its own
rows inside ``shard_map``; per iteration only the per-cluster sums ``[k, d]``, the weights
``[k]`` and the "labels changed" flag cross devices (``psum``). Seeding and empty-cluster
relocation exchange ``O(devices x k x d)`` values (``all_gather``) per centre or per
relocation, never the rows. Rows past the real ``n`` (padding to a multiple of the device
count) are zero with zero weight and are excluded from the mean and the variance.

The same program serves several processes (``jax.distributed``): the mesh then spans every
process's devices and each process holds its own rows.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from ._distances import HIGHEST, sq_norms
from ._fit import best_of
from ._init import (
    _count_at_most,
    _draw_proportional,
    _last_positive,
    _log_weights,
    default_n_local_trials,
)
from ._lloyd import Data, KMeansResult, lloyd, prepare


def row_axis(X) -> tuple[Mesh, str | tuple[str, ...]] | None:
    """``(mesh, axis)`` when ``X`` is a ``jax.Array`` split by rows over ``axis`` of a mesh
    with more than one device along it and not split by columns; else None."""
    sharding = getattr(X, "sharding", None)
    if not isinstance(sharding, NamedSharding) or getattr(X, "ndim", 0) != 2:
        return None
    spec = (*sharding.spec, None, None)
    axis, columns = spec[0], spec[1]
    if axis is None or columns is not None:
        return None
    names = axis if isinstance(axis, tuple) else (axis,)
    size = 1
    for name in names:
        size *= sharding.mesh.shape[name]
    return (sharding.mesh, axis) if size > 1 else None


def _gather_rows(values, axis):
    """All devices' ``[m, ...]`` values stacked in device order, ``[devices * m, ...]``."""
    gathered = lax.all_gather(values, axis)
    return gathered.reshape(-1, *values.shape[1:])


def _plusplus(key, data: Data, k: int, n_local_trials: int, axis, n_trials_used=None):
    """Greedy k-means++ over all shards: each candidate is drawn with probability
    proportional to ``w * D(x)^2`` over every row of every device, then broadcast.
    ``n_trials_used`` (traced, <= ``n_local_trials``) masks the extra candidates, as in
    :func:`jaxmeans._init.kmeans_plusplus_core`."""
    XT, x_sq, w = data.XT, data.x_sq, data.w
    d = XT.shape[0]
    n_draws = max(n_local_trials, 16)
    row = lambda i: jax.random.uniform(jax.random.fold_in(key, i), (n_draws,), XT.dtype)  # noqa: E731
    u = jax.vmap(row)(jnp.arange(k))[:, :n_local_trials]
    trial = jnp.arange(n_local_trials)
    n_trials = n_local_trials if n_trials_used is None else n_trials_used
    me = lax.axis_index(axis)

    def step(i, carry):
        centres, closest = carry
        mass = jnp.where(i == 0, w, w * closest)
        mass = jnp.where(lax.psum(jnp.sum(mass), axis) > 0, mass, w)
        shard_mass = lax.all_gather(jnp.sum(mass), axis)  # [devices]
        cdf = jnp.cumsum(shard_mass)
        target = u[i] * cdf[-1]
        owner = jnp.minimum(_count_at_most(cdf, target), _last_positive(shard_mass))
        inside = target - (cdf[owner] - shard_mass[owner])
        mine = owner == me
        local_u = jnp.where(mine, inside / jnp.where(mine, shard_mass[owner], 1.0), 0.0)
        idx = _draw_proportional(jnp.clip(local_u, 0.0, 1.0), mass, mass.shape[0])
        cand = lax.psum(jnp.where(mine[:, None], XT[:, idx].T, 0.0), axis)  # [trials, d]
        cross = jnp.dot(cand, XT, precision=HIGHEST)
        dist = jnp.maximum(sq_norms(cand)[:, None] + x_sq[None, :] - 2.0 * cross, 0.0)
        candidate_closest = jnp.minimum(closest[None, :], dist)
        potential = lax.psum(jnp.sum(w[None, :] * candidate_closest, axis=1), axis)
        usable = jnp.where(i == 0, trial == 0, trial < n_trials)
        best = jnp.argmin(jnp.where(usable, potential, jnp.inf))
        return centres.at[i].set(cand[best]), candidate_closest[best]

    start = (jnp.zeros((k, d), XT.dtype), jnp.full(x_sq.shape, jnp.inf, XT.dtype))
    return lax.fori_loop(0, k, step, start)[0]


def _random_rows(key, data: Data, k: int, axis):
    """``k`` distinct rows of all shards, drawn without replacement proportionally to
    their weights (Gumbel top-k: each shard's best ``k`` scores, then the best of those)."""
    m = min(k, data.w.shape[0])
    noise = jax.random.gumbel(jax.random.fold_in(key, lax.axis_index(axis)), data.w.shape)
    score, top = lax.top_k(_log_weights(data.w) + noise.astype(data.X.dtype), m)
    _, best = lax.top_k(_gather_rows(score, axis), k)
    return _gather_rows(data.X[top], axis)[best]


def _local_data(Xs, ws, tol, n: int, k: int, axis):
    """This device's rows centred on the mean of all real rows, laid out in blocks;
    ``(data, mean, tol_abs)`` with the tolerance scaled by the variance of all real rows."""
    rows = Xs.shape[0]
    real = lax.axis_index(axis) * rows + jnp.arange(rows) < n
    mean = lax.psum(jnp.sum(jnp.where(real[:, None], Xs, 0.0), axis=0), axis) / n
    Xc = jnp.where(real[:, None], Xs - mean[None, :], 0.0)
    tol_abs = tol * jnp.mean(lax.psum(jnp.sum(Xc * Xc, axis=0), axis) / n)
    data = prepare(Xc, jnp.where(real, ws, 0.0), k, mean=jnp.zeros_like(mean))
    return data, mean, tol_abs


@functools.partial(
    jax.jit,
    static_argnames=(
        "mesh",
        "axis",
        "n",
        "k",
        "n_init",
        "max_iter",
        "init_mode",
        "n_local_trials",
    ),
)
def kmeans_sharded_core(
    X: jax.Array,
    w: jax.Array,
    init: jax.Array | None,
    key: jax.Array,
    tol: jax.Array,
    *,
    mesh: Mesh,
    axis,
    n: int,
    k: int,
    n_init: int,
    max_iter: int,
    init_mode: str,
    n_local_trials: int,
) -> KMeansResult:
    """``jaxmeans._fit.kmeans_programs`` with ``X`` ``[n_pad, d]`` and ``w`` split by rows
    over mesh axis ``axis`` (static, as are ``mesh`` and the real row count ``n``).

    Returns a :class:`KMeansResult` whose labels ``[n_pad]`` are split like ``X``; the
    rest is replicated.
    """
    d = X.shape[1]
    init = jnp.zeros((k, d), X.dtype) if init is None else init

    def per_shard(Xs, ws, init, key, tol):
        data, mean, tol_abs = _local_data(Xs, ws, tol, n, k, axis)

        def one(key):
            if init_mode == "array":
                start = init - mean[None, :]
            elif init_mode == "random":
                start = _random_rows(key, data, k, axis)
            else:
                start = _plusplus(key, data, k, n_local_trials, axis)
            return lloyd(data, start, jnp.int32(k), tol_abs, max_iter, axis=axis)

        if n_init == 1:
            result = one(key)
        else:
            result = best_of(lax.map(one, jax.random.split(key, n_init)))
        return result._replace(centroids=result.centroids + mean[None, :])

    rows_spec, row_spec = P(axis, None), P(axis)
    fit = jax.shard_map(
        per_shard,
        mesh=mesh,
        in_specs=(rows_spec, row_spec, P(), P(), P()),
        out_specs=KMeansResult(P(), row_spec, P(), P(), P()),
        check_vma=False,
    )
    return fit(X, w, init, key, tol)


@functools.partial(
    jax.jit, static_argnames=("mesh", "axis", "n", "k_max", "n_init", "max_iter", "init_mode")
)
def elbow_sharded_core(
    X: jax.Array,
    w: jax.Array,
    ks: jax.Array,
    init: jax.Array | None,
    key: jax.Array,
    tol: jax.Array,
    *,
    mesh: Mesh,
    axis,
    n: int,
    k_max: int,
    n_init: int,
    max_iter: int,
    init_mode: str,
):
    """``jaxmeans._sweep.elbow_programs`` for ``X`` split by rows over ``axis``: one fit
    per k, one after another, each data-parallel; entry ``i`` is the sharded
    ``kmeans(X, ks[i], key=key)``.

    Returns ``(inertia [m], centroids [m, k_max, d], labels [m, n_pad], n_iter [m],
    converged [m])`` with the labels split like ``X``.
    """
    d = X.shape[1]
    init = jnp.zeros((k_max, d), X.dtype) if init is None else init
    table = [default_n_local_trials(max(k, 1)) for k in range(k_max + 1)]
    trials, t_max = jnp.array(table), max(table)

    def per_shard(Xs, ws, ks, init, key, tol):
        data, mean, tol_abs = _local_data(Xs, ws, tol, n, k_max, axis)

        # Starts for every restart, shared by all ks: k-means++ once per restart and per
        # distinct trial count (it is prefix-stable in k), as the single-device sweep does.
        keys = key[None] if n_init == 1 else jax.random.split(key, n_init)
        if init_mode == "array":
            starts, group = (init - mean[None, :])[None, None], 0 * trials
        elif init_mode == "random":
            starts = lax.map(lambda kk: _random_rows(kk, data, k_max, axis), keys)[:, None]
            group = 0 * trials
        else:
            counts = jnp.arange(table[1], t_max + 1)
            seed = lambda kk, t: _plusplus(kk, data, k_max, t_max, axis, n_trials_used=t)  # noqa: E731
            starts = lax.map(lambda kk: lax.map(lambda t: seed(kk, t), counts), keys)
            group = trials - table[1]

        def fit_k(k):
            runs = lax.map(
                lambda s: lloyd(data, s, k, tol_abs, max_iter, axis=axis), starts[:, group[k]]
            )
            return best_of(runs)

        r = lax.map(fit_k, ks)
        return r.inertia, r.centroids + mean[None, None, :], r.labels, r.n_iter, r.converged

    fit = jax.shard_map(
        per_shard,
        mesh=mesh,
        in_specs=(P(axis, None), P(axis), P(), P(), P(), P()),
        out_specs=(P(), P(), P(None, axis), P(), P()),
        check_vma=False,
    )
    return fit(X, w, ks, init, key, tol)
