"""The whole fit as one jitted program: centre, seed, restarts, keep the best.

Pure JAX. Chooses the loop: Lloyd's plain passes (:mod:`jaxmeans._lloyd`) or the same
iterations with Hamerly's bounds (:mod:`jaxmeans._bounded`) where the tuning says those are
faster. :func:`restarts` is shared with the data-parallel fit (:mod:`jaxmeans._sharded`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ._bounded import lloyd_bounded
from ._init import default_n_local_trials, kmeans_plusplus_core, random_rows_core
from ._lloyd import Data, KMeansResult, Plan, Problem, lloyd, prepare
from ._tuning import Tuning


def initial_centroids(key, data: Data, init, k: int, init_mode: str, axis=None):
    """Centred starting centroids ``[k, d]`` for one restart (``init_mode`` static)."""
    if init_mode == "array":
        return init - data.mean[None, :]
    if init_mode == "random":
        return random_rows_core(key, data.X, data.w, k, axis=axis)[0]
    return kmeans_plusplus_core(
        key,
        data.XT,
        data.x_sq,
        data.w,
        k,
        default_n_local_trials(k),
        block=data.blocks.shape[2],
        axis=axis,
    )[0]


def best_of(results: KMeansResult) -> KMeansResult:
    """The restart with the lowest inertia (the first on ties) from stacked results."""
    best = jnp.argmin(results.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], results)


def restarts(
    data: Data,
    init,
    key: jax.Array,
    tol_abs: jax.Array,
    *,
    plan: Plan,
    tuning: Tuning,
    verbose: bool = False,
    axis=None,
) -> KMeansResult:
    """``n_init`` seeded Lloyd runs over prepared data; the best, in the input's coordinates.

    Restart ``i`` uses ``jax.random.split(key, n_init)[i]`` (``key`` itself when
    ``n_init == 1``). Where Hamerly's bounds pay (:meth:`Tuning.bounded`), each restart runs
    the bounded loop and restarts run one after another (``lax.map``): under ``vmap`` the
    bounded loop's data-dependent trip counts would run to the slowest lane. Data-parallel
    fits (``axis``, inside ``shard_map``) also run restarts one after another. Otherwise they
    run side by side under ``vmap``.
    """
    k, n_init = plan.k, plan.n_init
    bounded = axis is None and tuning.bounded(k, data.X.shape[1])
    sequential = bounded or axis is not None
    loop = dict(n_active=jnp.int32(k), tol_abs=tol_abs, max_iter=plan.max_iter, verbose=verbose)

    def one(key):
        start = initial_centroids(key, data, init, k, plan.init_mode, axis)
        if verbose:
            jax.debug.print("Initialization complete")
        if bounded:
            return lloyd_bounded(data, start, **loop)
        batched = n_init > 1 and not sequential
        return lloyd(data, start, tuning=tuning, batched=batched, axis=axis, **loop)

    if n_init == 1:
        result = one(key)
    else:
        keys = jax.random.split(key, n_init)
        result = best_of(lax.map(one, keys) if sequential else jax.vmap(one)(keys))
    return result._replace(centroids=result.centroids + data.mean[None, :])


def fit_program(problem: Problem, *, plan: Plan, tuning: Tuning, verbose: bool = False):
    """Whole k-means fit on one device: centre, run ``n_init`` restarts (keys as in
    :func:`restarts`), keep the best. ``plan``, ``tuning`` and ``verbose`` are static.

    Returns:
      :class:`KMeansResult`.
    """
    X, w, init, key, tol = problem
    lanes = 1 if tuning.bounded(plan.k, X.shape[1]) else plan.n_init
    data = prepare(X, w, k=plan.k, tuning=tuning, lanes=lanes)
    tol_abs = tol * jnp.mean(jnp.var(X, axis=0))
    return restarts(data, init, key, tol_abs, plan=plan, tuning=tuning, verbose=verbose)


FIT_STATIC = ("plan", "tuning", "verbose")
