"""The whole fit as one jitted program: centre, seed, restarts, keep the best.

Pure JAX. Chooses the loop: Lloyd's plain passes (:mod:`jaxmeans._lloyd`) or the same
iterations with Hamerly's bounds (:mod:`jaxmeans._bounded`) where the tuning says those are
faster. :func:`restarts` is shared with the data-parallel fit (:mod:`jaxmeans._sharded`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .dense import Data, prepare, variance
from .hamerly import lloyd_bounded
from .lloyd import lloyd
from .seeding import default_n_local_trials, kmeans_plusplus_core, random_rows_core
from .tuning import Tuning
from .types import KMeansResult, Plan, Problem


def trials_for(k: jax.Array, k_max: int) -> jax.Array:
    """k-means++ candidates per step, ``2 + int(ln k)``, for a traced ``k <= k_max``."""
    table = jnp.array([default_n_local_trials(max(j, 1)) for j in range(k_max + 1)], jnp.int32)
    return table[k]


def initial_centroids(key, data: Data, init, k, plan: Plan, axis=None):
    """Centred starting centroids ``[plan.k, d]`` for one restart of a fit with ``k``
    clusters (None: ``plan.k``; traced: rows past ``k`` are padding, ignored by the loop)."""
    if plan.init_mode == "array":
        return init - data.mean[None, :]
    if plan.init_mode == "random":  # the first k of a longer draw are a draw of k
        return random_rows_core(key, data.X, data.w, plan.k, axis=axis)[0]
    # With fewer clusters than rows of centroids, the first k centres and the first
    # 2 + int(ln k) trials of a longer seeding are exactly the seeding of k (prefix-stable).
    some = {} if k is None else dict(n_trials_used=trials_for(k, plan.k), n_centres=k)
    return kmeans_plusplus_core(
        key,
        data.XT,
        data.x_sq,
        data.w,
        plan.k,
        default_n_local_trials(plan.k),
        block=data.blocks.shape[2],
        axis=axis,
        **some,
    )[0]


def best_of(results: KMeansResult) -> KMeansResult:
    """The restart with the lowest inertia (the first on ties) from stacked results."""
    best = jnp.argmin(results.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], results)


def restarts(
    data: Data,
    problem: Problem,
    tol_abs: jax.Array,
    *,
    plan: Plan,
    tuning: Tuning,
    verbose: bool = False,
    axis=None,
) -> KMeansResult:
    """``n_init`` seeded Lloyd runs over prepared data; the best, in the input's coordinates.

    Restart ``i`` uses ``jax.random.split(problem.key, n_init)[i]`` (the key itself when
    ``n_init == 1``). Where Hamerly's bounds pay (:meth:`Tuning.bounded`), each restart runs
    the bounded loop and restarts run one after another (``lax.map``): under ``vmap`` the
    bounded loop's data-dependent trip counts would run to the slowest lane. Data-parallel
    fits (``axis``, inside ``shard_map``) and the smallest programs
    (:meth:`Tuning.sequential_restarts`) also run restarts one after another. Otherwise they
    run side by side under ``vmap``.
    """
    n_init = plan.n_init
    bounded = axis is None and tuning.bounded(plan.k, data.X.shape[1])
    small = tuning.sequential_restarts(data.X.shape[0] * data.X.shape[1] * plan.k)
    sequential = bounded or axis is not None or small
    n_active = jnp.int32(plan.k) if problem.k is None else problem.k
    loop = dict(n_active=n_active, tol_abs=tol_abs, max_iter=problem.max_iter, verbose=verbose)

    def one(key):
        start = initial_centroids(key, data, problem.init, problem.k, plan, axis)
        if verbose:
            jax.debug.print("Initialization complete")
        if bounded:
            precision = tuning.dot_precision()
            return lloyd_bounded(
                data, start, precision=precision, carry_sums=tuning.carry_sums, **loop
            )
        batched = n_init > 1 and not sequential
        return lloyd(data, start, tuning=tuning, batched=batched, axis=axis, **loop)

    if n_init == 1:
        result = one(problem.key)
    else:
        keys = jax.random.split(problem.key, n_init)
        result = best_of(lax.map(one, keys) if sequential else jax.vmap(one)(keys))
    return result._replace(centroids=result.centroids + data.mean[None, :])


def fit_program(problem: Problem, *, plan: Plan, tuning: Tuning, verbose: bool = False):
    """Whole k-means fit on one device: centre the real rows, run ``n_init`` restarts (keys
    as in :func:`restarts`), keep the best. ``plan``, ``tuning`` and ``verbose`` are static.

    Returns:
      :class:`KMeansResult` with ``centroids [plan.k, d]`` (rows past ``problem.k`` are
      padding) and ``labels`` for every row of ``problem.X`` (past ``problem.n``: padding).
    """
    X, w = problem.X, problem.w
    lanes = 1 if tuning.bounded(plan.k, X.shape[1]) else plan.n_init
    data = prepare(X, w, n=problem.n, k=plan.k, tuning=tuning, lanes=lanes, unit=plan.spherical)
    tol_abs = problem.tol * variance(data)
    return restarts(data, problem, tol_abs, plan=plan, tuning=tuning, verbose=verbose)


FIT_STATIC = ("plan", "tuning", "verbose")
