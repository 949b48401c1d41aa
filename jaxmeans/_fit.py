"""The whole fit as one jitted program: centre, seed, restarts, keep the best.

Pure JAX. Chooses the loop: Lloyd's plain passes (:mod:`jaxmeans._lloyd`) or the same
iterations with Hamerly's bounds (:mod:`jaxmeans._bounded`) where those are faster.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._bounded import lloyd_bounded, uses_bounds
from ._compile import jit_two_ways
from ._init import kmeans_plusplus_core, random_rows_core
from ._lloyd import Data, KMeansResult, lloyd, prepare


def initial_centroids(key, data: Data, init, k: int, init_mode: str, n_local_trials: int):
    """Centred starting centroids ``[k, d]`` for one restart."""
    if init_mode == "array":
        return init - data.mean[None, :]
    if init_mode == "random":
        return random_rows_core(key, data.X, data.w, k)[0]
    return kmeans_plusplus_core(
        key, data.XT, data.x_sq, data.w, k, n_local_trials, block=data.blocks.shape[2]
    )[0]


def best_of(results: KMeansResult) -> KMeansResult:
    """The restart with the lowest inertia (the first on ties) from stacked results."""
    best = jnp.argmin(results.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], results)


@jit_two_ways(("k", "n_init", "max_iter", "init_mode", "n_local_trials", "verbose"))
def kmeans_programs(
    X: jax.Array,
    w: jax.Array,
    init: jax.Array | None,
    key: jax.Array,
    tol: jax.Array,
    *,
    k: int,
    n_init: int,
    max_iter: int,
    init_mode: str,
    n_local_trials: int,
    verbose: bool = False,
) -> KMeansResult:
    """Whole k-means fit: centre, run ``n_init`` restarts, keep the best.

    Where Hamerly's bounds pay (:func:`jaxmeans._bounded.uses_bounds`), each restart runs the
    bounded loop and restarts run one after another (``lax.map``): under ``vmap`` the bounded
    loop's data-dependent trip counts would run to the slowest lane. Otherwise restarts run
    side by side under ``vmap``.

    Args:
      X: ``[n, d]`` float points.
      w: ``[n]`` non-negative weights, not all zero.
      init: ``[k, d]`` starting centroids when ``init_mode == "array"``, else None.
      key: PRNG key. With ``n_init > 1`` restart ``i`` uses ``jax.random.split(key, n_init)[i]``
        and so repeats the single run ``n_init=1, key=split(key, n_init)[i]``.
      tol: relative tolerance, scaled by the mean per-feature variance of ``X``.
      k, n_init, max_iter, init_mode, n_local_trials, verbose: static.
    """
    bounded = uses_bounds(k, X.shape[1])
    data = prepare(X, w, k, lanes=1 if bounded else n_init)
    tol_abs = tol * jnp.mean(jnp.var(X, axis=0))

    batched = n_init > 1 and not bounded

    def one(key):
        start = initial_centroids(key, data, init, k, init_mode, n_local_trials)
        if verbose:
            jax.debug.print("Initialization complete")
        if bounded:
            return lloyd_bounded(data, start, jnp.int32(k), tol_abs, max_iter, verbose)
        return lloyd(data, start, jnp.int32(k), tol_abs, max_iter, verbose, batched)

    if n_init == 1:
        result = one(key)
    else:
        keys = jax.random.split(key, n_init)
        result = best_of(jax.lax.map(one, keys) if bounded else jax.vmap(one)(keys))
    return result._replace(centroids=result.centroids + data.mean[None, :])
