"""Lloyd's algorithm as one jitted program, with scikit-learn's stopping and relocation rules.

Pure JAX. The public, validated entry point is :func:`jaxmeans.kmeans`; this module holds
the core it calls once.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from ._distances import block_layout, nearest, sq_norms
from ._init import kmeans_plusplus_core, random_rows_core


class KMeansResult(NamedTuple):
    """Result of :func:`jaxmeans.kmeans`; a pytree, so it passes through ``jit`` and ``vmap``.

    Attributes:
      centroids: ``[k, d]`` float, cluster centres in the input's coordinates.
      labels: ``[n] int32``, index of the nearest of ``centroids`` for every point.
      inertia: ``[]`` float, weighted sum of squared distances of points to their centre.
      n_iter: ``[] int32``, Lloyd iterations run (update steps, as in scikit-learn).
      converged: ``[] bool``, True when the labels stopped changing or the centres moved less
        than the tolerance before ``max_iter`` ran out.
    """

    centroids: jax.Array
    labels: jax.Array
    inertia: jax.Array
    n_iter: jax.Array
    converged: jax.Array


class Data(NamedTuple):
    """Centred, padded data shared by every restart and every k of a fit.

    ``X``, ``Xw``, ``w`` and ``x_sq`` have ``n_blocks * rows`` rows; rows past ``n`` are
    zeros with zero weight.
    """

    X: jax.Array  # [n_pad, d] centred points
    Xw: jax.Array  # [n_pad, d] weighted centred points
    w: jax.Array  # [n_pad] weights
    x_sq: jax.Array  # [n_pad] squared norms of X
    mean: jax.Array  # [d] the shift that was removed
    n: int
    n_blocks: int
    rows: int


def prepare(X: jax.Array, w: jax.Array, k: int) -> Data:
    """Centre ``X`` on its (unweighted) mean, as scikit-learn does, and pad it to row blocks."""
    n = X.shape[0]
    n_blocks, rows = block_layout(n, k)
    mean = jnp.mean(X, axis=0)
    pad = n_blocks * rows - n
    Xc = jnp.pad(X - mean[None, :], ((0, pad), (0, 0)))
    wp = jnp.pad(w, (0, pad))
    return Data(Xc, Xc * wp[:, None], wp, sq_norms(Xc), mean, n, n_blocks, rows)


def _relocate_empty(sums, counts, empty, far, labels, data: Data):
    """Move each empty cluster onto the farthest remaining point, as scikit-learn does.

    Empty clusters are taken in index order; the i-th gets the i-th farthest point (by
    distance to its own centre; zero-weight and padding rows excluded). The point leaves its
    old cluster's sums. Runs zero iterations when nothing is empty.
    """

    def body(state):
        sums, counts, far, empty = state
        j = jnp.argmax(empty)
        p = jnp.argmax(far)
        ok = far[p] > -jnp.inf
        old = labels[p]
        wx = data.Xw[p]
        wp = data.w[p]
        sums = jnp.where(ok, sums.at[old].add(-wx).at[j].set(wx), sums)
        counts = jnp.where(ok, counts.at[old].add(-wp).at[j].set(wp), counts)
        return sums, counts, far.at[p].set(-jnp.inf), empty.at[j].set(False)

    sums, counts, _, _ = lax.while_loop(lambda s: jnp.any(s[3]), body, (sums, counts, far, empty))
    return sums, counts


class _LoopState(NamedTuple):
    n_iter: jax.Array
    centroids: jax.Array
    labels: jax.Array
    strict: jax.Array  # labels identical to the previous iteration's
    done: jax.Array


def lloyd(
    data: Data, init: jax.Array, n_active: jax.Array, tol_abs: jax.Array, max_iter: int
) -> KMeansResult:
    """Lloyd iterations from centred ``init`` ``[k_max, d]`` until scikit-learn's stop rule.

    Only the first ``n_active`` centroids take part; the rest are padding (never assigned,
    never moved, never relocated into), so one compiled program serves every ``k <= k_max``.

    Stops when the labels did not change (strict convergence), when the sum of squared centre
    shifts is ``<= tol_abs``, or after ``max_iter`` iterations. Then, unless strictly
    converged, labels are recomputed against the final centres so that they belong to them.

    Returns:
      A :class:`KMeansResult` in centred coordinates.
    """
    k = init.shape[0]
    active = jnp.arange(k) < n_active
    # Compare real rows only: padding rows may flip between equidistant centres.
    real = jnp.arange(data.X.shape[0]) < data.n

    def assign(centroids):
        return nearest(data.X, centroids, active, data.n_blocks, data.rows)

    def body(s: _LoopState) -> _LoopState:
        labels, partial = assign(s.centroids)
        sums = jax.ops.segment_sum(data.Xw, labels, num_segments=k)
        counts = jax.ops.segment_sum(data.w, labels, num_segments=k)
        far = jnp.where(data.w > 0, data.x_sq + partial, -jnp.inf)
        sums, counts = _relocate_empty(sums, counts, active & (counts <= 0), far, labels, data)
        filled = counts > 0
        safe = jnp.where(filled, counts, 1.0)
        new = jnp.where(filled[:, None], sums / safe[:, None], s.centroids)
        strict = jnp.all((labels == s.labels) | ~real)
        shift = jnp.sum((new - s.centroids) ** 2)
        return _LoopState(s.n_iter + 1, new, labels, strict, strict | (shift <= tol_abs))

    start = _LoopState(
        jnp.int32(0),
        init,
        jnp.full(data.X.shape[0], -1, jnp.int32),
        jnp.bool_(False),
        jnp.bool_(False),
    )
    end = lax.while_loop(lambda s: (s.n_iter < max_iter) & ~s.done, body, start)
    labels = lax.cond(end.strict, lambda c: end.labels, lambda c: assign(c)[0], end.centroids)
    diff = data.X - end.centroids[labels]
    inertia = jnp.sum(data.w * jnp.sum(diff * diff, axis=1))
    return KMeansResult(end.centroids, labels[: data.n], inertia, end.n_iter, end.done)


def initial_centroids(key, data: Data, init, k: int, init_mode: str, n_local_trials: int):
    """Centred starting centroids ``[k, d]`` for one restart."""
    if init_mode == "array":
        return init - data.mean[None, :]
    X, w = data.X[: data.n], data.w[: data.n]
    if init_mode == "random":
        return random_rows_core(key, X, w, k)[0]
    return kmeans_plusplus_core(key, X, data.x_sq[: data.n], w, k, n_local_trials)[0]


def best_of(results: KMeansResult) -> KMeansResult:
    """The restart with the lowest inertia (the first on ties) from stacked results."""
    best = jnp.argmin(results.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], results)


@functools.partial(
    jax.jit, static_argnames=("k", "n_init", "max_iter", "init_mode", "n_local_trials")
)
def kmeans_core(
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
) -> KMeansResult:
    """Whole k-means fit: centre, ``n_init`` restarts in parallel, keep the best.

    Args:
      X: ``[n, d]`` float points.
      w: ``[n]`` non-negative weights, not all zero.
      init: ``[k, d]`` starting centroids when ``init_mode == "array"``, else None.
      key: PRNG key. With ``n_init > 1`` restart ``i`` uses ``jax.random.split(key, n_init)[i]``
        and so repeats the single run ``n_init=1, key=split(key, n_init)[i]``.
      tol: relative tolerance, scaled by the mean per-feature variance of ``X``.
      k, n_init, max_iter, init_mode, n_local_trials: static.
    """
    data = prepare(X, w, k)
    tol_abs = tol * jnp.mean(jnp.var(X, axis=0))

    def one(key):
        start = initial_centroids(key, data, init, k, init_mode, n_local_trials)
        return lloyd(data, start, jnp.int32(k), tol_abs, max_iter)

    if n_init == 1:
        result = one(key)
    else:
        result = best_of(jax.vmap(one)(jax.random.split(key, n_init)))
    return result._replace(centroids=result.centroids + data.mean[None, :])
