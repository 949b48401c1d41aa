"""Data-parallel k-means: rows sharded over one axis of a device mesh, centroids replicated.

Pure JAX. Each device runs the restarts and the Lloyd loop of :mod:`jaxmeans._core.fit` and
:mod:`jaxmeans._core.lloyd` (``axis=``) on its own rows inside ``shard_map``; per iteration only
the per-cluster sums ``[k, d]``, the weights ``[k]`` and the "labels changed" flag cross
devices (``psum``). Seeding and empty-cluster
relocation exchange ``O(devices x k x d)`` values (``all_gather``) per centre or per
relocation, never the rows. Rows past the real ``n`` (padding to a multiple of the device
count) are zero with zero weight and are excluded from the mean and the variance.

The same program serves several processes (``jax.distributed``): the mesh then spans every
process's devices and each process holds its own rows.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from .dense import Data, prepare
from .fit import best_of, restarts
from .geometry import EUCLIDEAN, Metric
from .lloyd import lloyd
from .sweep import starts
from .tuning import Tuning, dot_precision
from .types import KMeansResult, Plan, Problem


def _local_data(
    Xs, ws, tol, *, n: int, k: int, tuning: Tuning, axis, metric: Metric = EUCLIDEAN
) -> tuple[Data, jax.Array]:
    """This device's rows centred on the mean of all real rows (not centred for a metric
    of unit rows, cosine k-means), laid out in blocks (padding rows zero, with zero
    weight); ``(data, tol_abs)`` with the tolerance scaled by the variance of all real
    rows."""
    rows = Xs.shape[0]
    real = lax.axis_index(axis) * rows + jnp.arange(rows) < n
    mean = lax.psum(jnp.sum(jnp.where(real[:, None], Xs, 0.0), axis=0), axis) / n
    Xc = jnp.where(real[:, None], Xs - mean[None, :], 0.0)
    tol_abs = tol * jnp.mean(lax.psum(jnp.sum(Xc * Xc, axis=0), axis) / n)
    if metric.unit_rows:
        Xu = jnp.where(real[:, None], Xs, 0.0)
        data = prepare(Xu, jnp.where(real, ws, 0.0), k=k, tuning=tuning, metric=metric)
        return data, tol_abs
    data = prepare(Xc, jnp.where(real, ws, 0.0), k=k, tuning=tuning, mean=jnp.zeros_like(mean))
    return dataclasses.replace(data, mean=mean), tol_abs


def _with_init(problem: Problem, k: int) -> Problem:
    """``problem`` with zeros for a missing init (``shard_map`` needs an array there)."""
    if problem.init is not None:
        return problem
    return problem._replace(init=jnp.zeros((k, problem.X.shape[1]), problem.X.dtype))


def _specs(axis) -> Problem:
    """How a problem's arrays are laid out over the mesh: rows split, the rest replicated."""
    return Problem(P(axis, None), P(axis), P(), P(), P(), P(), None, None)


def fit_sharded_program(
    problem: Problem, *, plan: Plan, tuning: Tuning, mesh: Mesh, axis, n: int
) -> KMeansResult:
    """:func:`jaxmeans._core.fit.fit_program` with ``X`` ``[n_pad, d]`` and ``w`` split by rows
    over mesh axis ``axis`` (static, as are ``mesh`` and the real row count ``n``).

    Returns a :class:`KMeansResult` whose labels ``[n_pad]`` are split like ``X``; the
    rest is replicated.
    """

    def per_shard(p: Problem):
        data, tol_abs = _local_data(
            p.X, p.w, p.tol, n=n, k=plan.k, tuning=tuning, axis=axis, metric=plan.metric
        )
        return restarts(data, p, tol_abs, plan=plan, tuning=tuning, axis=axis)

    fit = jax.shard_map(
        per_shard,
        mesh=mesh,
        in_specs=(_specs(axis),),
        out_specs=KMeansResult(P(), P(axis), P(), P(), P()),
        check_vma=False,
    )
    return fit(_with_init(problem, plan.k))


def sweep_sharded_program(
    problem: Problem, ks: jax.Array, *, plan: Plan, tuning: Tuning, mesh: Mesh, axis, n: int
):
    """:func:`jaxmeans._core.sweep.sweep_program` for ``X`` split by rows over ``axis``: one fit
    per k, one after another, each data-parallel; entry ``i`` is the sharded
    ``kmeans(X, ks[i], key=key)``.

    Returns ``(inertia [m], centroids [m, k_max, d], labels [m, n_pad], n_iter [m],
    converged [m])`` with the labels split like ``X``.
    """

    def per_shard(p: Problem, ks):
        data, tol_abs = _local_data(
            p.X, p.w, p.tol, n=n, k=plan.k, tuning=tuning, axis=axis, metric=plan.metric
        )
        # Starts for every restart, shared by all ks, as in the single-device sweep.
        keys = p.key[None] if plan.n_init == 1 else jax.random.split(p.key, plan.n_init)
        seeds, group = starts(data, p.init, keys, plan, tuning, axis=axis)
        loop = dict(
            tol_abs=tol_abs, max_iter=p.max_iter, tuning=tuning, axis=axis,
            precision=dot_precision(plan.precision), carry_sums=plan.carry_sums,
        )  # fmt: skip

        def fit_k(k):
            runs = lax.map(lambda s: lloyd(data, s, n_active=k, **loop), seeds[:, group[k]])
            return best_of(runs)

        r = lax.map(fit_k, ks)
        return r.inertia, r.centroids + data.mean[None, None, :], r.labels, r.n_iter, r.converged

    fit = jax.shard_map(
        per_shard,
        mesh=mesh,
        in_specs=(_specs(axis), P()),
        out_specs=(P(), P(), P(None, axis), P(), P()),
        check_vma=False,
    )
    return fit(_with_init(problem, plan.k), ks)


SHARDED_STATIC = ("plan", "tuning", "mesh", "axis", "n")
