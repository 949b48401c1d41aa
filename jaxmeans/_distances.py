"""Squared Euclidean distances and nearest-centroid assignment in row blocks.

Pure JAX: every function here takes arrays, static sizes and a static
:class:`~jaxmeans._tuning.Tuning`, and returns arrays.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from ._tuning import Tuning

# Distances go through one GEMM; on GPUs the default precision would use TF32.
HIGHEST = lax.Precision.HIGHEST


def to_blocks(X: jax.Array, n_blocks: int, rows: int) -> jax.Array:
    """``[n, d]`` -> zero-padded, transposed blocks ``[n_blocks, d, rows]``."""
    n, d = X.shape
    Xp = jnp.pad(X, ((0, n_blocks * rows - n), (0, 0)))
    return Xp.reshape(n_blocks, rows, d).transpose(0, 2, 1)


def sq_norms(X: jax.Array) -> jax.Array:
    """Row-wise squared norms, ``[n, d] -> [n]``."""
    return jnp.sum(X * X, axis=1)


def cross_sq_dists(X: jax.Array, Y: jax.Array, x_sq: jax.Array, y_sq: jax.Array) -> jax.Array:
    """``[n, m]`` squared distances from precomputed norms, clamped at 0."""
    xy = jnp.dot(X, Y.T, precision=HIGHEST)
    return jnp.maximum(x_sq[:, None] + y_sq[None, :] - 2.0 * xy, 0.0)


@jax.jit
def pairwise_sq_dists_core(X: jax.Array, Y: jax.Array) -> jax.Array:
    """``[n, m]`` squared Euclidean distances, both sets shifted to ``Y``'s mean first.

    Distances do not change under a common shift, and shifting to where the data is keeps
    float32 accurate for data far from the origin.
    """
    shift = jnp.mean(Y, axis=0)
    Xs, Ys = X - shift[None, :], Y - shift[None, :]
    return cross_sq_dists(Xs, Ys, sq_norms(Xs), sq_norms(Ys))


def _first_min(a, b):
    """Combiner for a (value, index) reduction: the smaller value, then the smaller index."""
    take_a = (a[0] < b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
    return jnp.where(take_a, a[0], b[0]), jnp.where(take_a, a[1], b[1])


def _first_min_rows(dist: jax.Array, index: jax.Array):
    """``(value, index)`` of the smallest entry of each column of ``[m, rows]`` blocks,
    the lowest index on ties."""
    init = (jnp.array(jnp.inf, dist.dtype), jnp.int32(2**31 - 1))
    return lax.reduce((dist, index), init, _first_min, (0,))


def nearest_in_block(xb: jax.Array, centroids: jax.Array, c_sq: jax.Array, tuning: Tuning):
    """Nearest centroid for one transposed block ``xb`` ``[d, rows]``.

    ``c_sq`` holds ``||c||^2`` for active rows and ``+inf`` for padded ones. Returns
    ``(labels [rows] int32, partial [rows])`` where ``partial + ||x||^2`` is the squared
    distance to the nearest centroid; ties go to the lowest index, as with ``argmin``.

    The block is ``[k, rows]`` (centroid-major), so reducing over centroids is an
    elementwise operation across rows of points, which XLA:CPU vectorises. Small k takes
    one (value, index) reduction; larger k one such reduction per chunk of
    ``tuning.chunk_k`` centroids and a running minimum over the chunks (see
    :attr:`~jaxmeans._tuning.Tuning.variadic_max_k`).
    """
    k = centroids.shape[0]
    chunk = tuning.chunk_k
    dist = c_sq[:, None] - 2.0 * jnp.dot(centroids, xb, precision=HIGHEST)
    if tuning.variadic_reduce(k):
        best, labels = _first_min_rows(dist, lax.broadcasted_iota(jnp.int32, dist.shape, 0))
        return jnp.minimum(labels, k - 1), best
    index = lax.broadcasted_iota(jnp.int32, dist.shape, 0)
    best, labels = _first_min_rows(dist[:chunk], index[:chunk])
    # Unrolled: as a scan over chunks the same reductions measured 1.3-1.8x slower.
    for start in range(chunk, k, chunk):
        b, i = _first_min_rows(dist[start : start + chunk], index[start : start + chunk])
        take = b < best  # strict: on ties the earlier chunk's lower index stays
        best, labels = jnp.where(take, b, best), jnp.where(take, i, labels)
    return jnp.minimum(labels, k - 1), best


def nearest(blocks: jax.Array, centroids: jax.Array, active: jax.Array, tuning: Tuning):
    """Nearest active centroid for every point, block by block.

    Memory is O(rows x k): one distance block is live at a time.

    Args:
      blocks: ``[n_blocks, d, rows]`` points from :func:`to_blocks`.
      centroids: ``[k, d]``.
      active: ``[k] bool``; inactive centroids are never chosen.

    Returns:
      ``(labels [n_blocks * rows] int32, partial [n_blocks * rows])`` with
      ``partial + ||x||^2`` the squared distance.
    """
    c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
    if blocks.shape[0] == 1:
        return nearest_in_block(blocks[0], centroids, c_sq, tuning)
    labels, partial = lax.map(lambda xb: nearest_in_block(xb, centroids, c_sq, tuning), blocks)
    return labels.reshape(-1), partial.reshape(-1)


@functools.partial(jax.jit, static_argnames=("tuning",))
def assign_core(X: jax.Array, centroids: jax.Array, *, tuning: Tuning):
    """Labels and clamped squared distances of ``X`` ``[n, d]`` to ``centroids`` ``[k, d]``."""
    n = X.shape[0]
    n_blocks, rows = tuning.block_layout(n, centroids.shape[0])
    shift = jnp.mean(centroids, axis=0)
    Xs = X - shift[None, :]
    Cs = centroids - shift[None, :]
    active = jnp.ones(centroids.shape[0], dtype=bool)
    labels, partial = nearest(to_blocks(Xs, n_blocks, rows), Cs, active, tuning)
    sq = jnp.maximum(sq_norms(Xs) + partial[:n], 0.0)
    return labels[:n], sq
