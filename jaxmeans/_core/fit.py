"""The whole fit as one jitted program: centre, seed, restarts, keep the best.

Pure JAX, dense or sparse rows alike. Runs the loop the plan names: Lloyd's plain passes
(:mod:`jaxmeans._core.lloyd`) or the same iterations with Hamerly's bounds
(:mod:`jaxmeans._core.hamerly`). :func:`restarts` is shared with the data-parallel fit
(:mod:`jaxmeans._core.sharded`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .hamerly import lloyd_bounded
from .lloyd import lloyd
from .rows import prepare
from .seeding import (
    default_n_local_trials,
    kmeans_parallel_core,
    kmeans_plusplus_core,
    random_rows_core,
)
from .tuning import Tuning, dot_precision
from .types import KMeansResult, Plan, Problem


def trials_for(k: jax.Array, k_max: int) -> jax.Array:
    """k-means++ candidates per step, ``2 + int(ln k)``, for a traced ``k <= k_max``."""
    table = jnp.array([default_n_local_trials(max(j, 1)) for j in range(k_max + 1)], jnp.int32)
    return table[k]


def initial_centroids(key, data, init, k, plan: Plan, tuning: Tuning, axis=None):
    """Centred starting centroids ``[plan.k, d]`` for one restart of a fit with ``k``
    clusters (None: ``plan.k``; traced: rows past ``k`` are padding, ignored by the loop)."""
    if plan.init_mode == "array":
        return init - data.mean[None, :]
    if plan.init_mode == "random":  # the first k of a longer draw are a draw of k
        return random_rows_core(key, data, plan.k, axis=axis)[0]
    # With fewer clusters than rows of centroids, the first k centres and the first
    # 2 + int(ln k) trials of a longer seeding are exactly the seeding of k (prefix-stable).
    some = {} if k is None else dict(n_trials_used=trials_for(k, plan.k), n_centres=k)
    if plan.init_mode == "k-means||":
        return kmeans_parallel_core(key, data, plan.k, tuning=tuning, axis=axis, **some)[0]
    trials = default_n_local_trials(plan.k)
    return kmeans_plusplus_core(key, data, plan.k, trials, axis=axis, **some)[0]


def best_of(results: KMeansResult) -> KMeansResult:
    """The restart with the lowest inertia (the first on ties) from stacked results."""
    best = jnp.argmin(results.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], results)


def restarts(
    data,
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
    ``n_init == 1``). With ``plan.bounded`` each restart runs Hamerly's loop. With
    ``plan.sequential`` (the spec's rule: bounded loops, whose data-dependent trip counts
    would run to the slowest lane under ``vmap``, data-parallel fits, sparse rows and the
    smallest programs) restarts run one after another (``lax.map``), else side by side
    under ``vmap``.
    """
    n_init = plan.n_init
    loop = dict(
        n_active=jnp.int32(plan.k) if problem.k is None else problem.k,
        tol_abs=tol_abs,
        max_iter=problem.max_iter,
        verbose=verbose,
        precision=dot_precision(plan.precision),
        carry_sums=plan.carry_sums,
    )

    def one(key):
        start = initial_centroids(key, data, problem.init, problem.k, plan, tuning, axis)
        if verbose:
            jax.debug.print("Initialization complete")
        if plan.bounded:
            return lloyd_bounded(data, start, **loop)
        batched = n_init > 1 and not plan.sequential
        return lloyd(data, start, tuning=tuning, batched=batched, axis=axis, **loop)

    if n_init == 1:
        result = one(problem.key)
    else:
        keys = jax.random.split(problem.key, n_init)
        result = best_of(lax.map(one, keys) if plan.sequential else jax.vmap(one)(keys))
    return result._replace(centroids=result.centroids + data.mean[None, :])


def fit_program(problem: Problem, *, plan: Plan, tuning: Tuning, verbose: bool = False):
    """Whole k-means fit on one device: centre the real rows, run ``n_init`` restarts (keys
    as in :func:`restarts`), keep the best. ``plan``, ``tuning`` and ``verbose`` are static.

    Returns:
      :class:`KMeansResult` with ``centroids [plan.k, d]`` (rows past ``problem.k`` are
      padding) and ``labels`` for every row of ``problem.X`` (past ``problem.n``: padding).
    """
    lanes = 1 if plan.bounded else plan.n_init
    data = prepare(
        problem.X, problem.w, n=problem.n, k=plan.k, tuning=tuning, lanes=lanes,
        metric=plan.metric,
    )  # fmt: skip
    tol_abs = problem.tol * data.variance()
    return restarts(data, problem, tol_abs, plan=plan, tuning=tuning, verbose=verbose)


FIT_STATIC = ("plan", "tuning", "verbose")
