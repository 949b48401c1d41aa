"""Squared Euclidean distances and nearest-centroid assignment in row blocks.

Pure JAX: every function here takes arrays, static sizes and a static
:class:`~jaxmeans._core.tuning.Tuning`, and returns arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .tuning import Tuning

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


def _mean_of_first(Y: jax.Array, m: jax.Array | None) -> jax.Array:
    """Mean of the first ``m`` rows of ``Y`` (all rows when ``m`` is None)."""
    if m is None:
        return jnp.mean(Y, axis=0)
    real = (jnp.arange(Y.shape[0]) < m)[:, None]
    return jnp.sum(jnp.where(real, Y, 0.0), axis=0) / m


def pairwise_program(X: jax.Array, Y: jax.Array, m: jax.Array | None, *, tuning: Tuning):
    """``[n, m_rows]`` squared Euclidean distances, both sets shifted to the mean of the
    first ``m`` rows of ``Y`` first (the rest may be padding; their columns are ``inf``).
    ``tuning`` is unused; it keys the program to its platform.

    Distances do not change under a common shift, and shifting to where the data is keeps
    float32 accurate for data far from the origin.
    """
    shift = _mean_of_first(Y, m)
    Xs, Ys = X - shift[None, :], Y - shift[None, :]
    D = cross_sq_dists(Xs, Ys, sq_norms(Xs), sq_norms(Ys))
    if m is not None:
        D = jnp.where(jnp.arange(Y.shape[0])[None, :] < m, D, jnp.inf)
    # Each row's nearest entry from exact differences: ||x||^2 + ||y||^2 - 2 x.y cancels
    # there, and a point on a centre must be at distance 0.
    nearest_col = jnp.argmin(D, axis=1)
    diff = Xs - Ys[nearest_col]
    return D.at[jnp.arange(X.shape[0]), nearest_col].set(jnp.sum(diff * diff, axis=1))


def _first_min(a, b):
    """Combiner for a (value, index) reduction: the smaller value, then the smaller index."""
    take_a = (a[0] < b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
    return jnp.where(take_a, a[0], b[0]), jnp.where(take_a, a[1], b[1])


def _first_min_rows(dist: jax.Array, index: jax.Array):
    """``(value, index)`` of the smallest entry of each column of ``[m, rows]`` blocks,
    the lowest index on ties."""
    init = (jnp.array(jnp.inf, dist.dtype), jnp.int32(2**31 - 1))
    return lax.reduce((dist, index), init, _first_min, (0,))


def nearest_in_block(
    xb: jax.Array, centroids: jax.Array, c_sq: jax.Array, tuning: Tuning, precision=HIGHEST
):
    """Nearest centroid for one transposed block ``xb`` ``[d, rows]``, the distance
    products at ``precision`` (a ``lax.Precision``).

    ``c_sq`` holds ``||c||^2`` for active rows and ``+inf`` for padded ones. Returns
    ``(labels [rows] int32, partial [rows])`` where ``partial + ||x||^2`` is the squared
    distance to the nearest centroid; ties go to the lowest index, as with ``argmin``.

    The block is ``[k, rows]`` (centroid-major), so reducing over centroids is an
    elementwise operation across rows of points, which XLA:CPU vectorises. Small k takes
    one (value, index) reduction; larger k one such reduction per chunk of
    ``tuning.chunk_k`` centroids and a running minimum over the chunks (see
    :attr:`~jaxmeans._core.tuning.Tuning.variadic_max_k`).
    """
    k = centroids.shape[0]
    if tuning.fused_assign:
        from .kernels.fused import nearest_block

        return nearest_block(
            xb, centroids, c_sq, block_rows=tuning.fused_block_rows,
            block_k=tuning.fused_block_k, interpret=tuning.platform == "cpu",
            precision=precision,
        )  # fmt: skip
    chunk = tuning.chunk_k
    dist = c_sq[:, None] - 2.0 * jnp.dot(centroids, xb, precision=precision)
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


def nearest(
    blocks: jax.Array,
    centroids: jax.Array,
    active: jax.Array,
    tuning: Tuning,
    used: jax.Array | int | None = None,
    precision=HIGHEST,
):
    """Nearest active centroid for every point, block by block (distance products at
    ``precision``).

    Memory is O(rows x k): one distance block is live at a time.

    Args:
      blocks: ``[n_blocks, d, rows]`` points from :func:`to_blocks`.
      centroids: ``[k, d]``.
      active: ``[k] bool``; inactive centroids are never chosen.
      used: blocks holding real rows (traced); the rest are skipped and get label 0.

    Returns:
      ``(labels [n_blocks * rows] int32, partial [n_blocks * rows])`` with
      ``partial + ||x||^2`` the squared distance.
    """
    c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
    n_blocks, _, rows = blocks.shape
    if n_blocks == 1:
        return nearest_in_block(blocks[0], centroids, c_sq, tuning, precision)

    def one(xb):
        return nearest_in_block(xb, centroids, c_sq, tuning, precision)

    def block(args):
        b, xb = args
        if used is None or isinstance(used, int):
            return one(xb)
        skip = lambda xb: (jnp.zeros(rows, jnp.int32), jnp.zeros(rows, xb.dtype))  # noqa: E731
        return lax.cond(b < used, one, skip, xb)

    labels, partial = lax.map(block, (jnp.arange(n_blocks), blocks))
    return labels.reshape(-1), partial.reshape(-1)


def assign_program(
    X: jax.Array,
    centroids: jax.Array,
    n: jax.Array | None,
    k: jax.Array | None,
    *,
    tuning: Tuning,
):
    """Labels and clamped squared distances of ``X`` ``[size, d]`` to ``centroids``
    ``[k_rows, d]``: only the first ``k`` centroids count and only the row blocks holding the
    first ``n`` rows are computed (None: all); padding rows get label 0 and distance 0."""
    size, k_rows = X.shape[0], centroids.shape[0]
    n_blocks, rows = tuning.block_layout(size, k_rows)
    active = jnp.ones(k_rows, dtype=bool) if k is None else jnp.arange(k_rows) < k
    shift = _mean_of_first(centroids, k)
    Xs = X - shift[None, :]
    Cs = centroids - shift[None, :]
    used = None if n is None else (n + rows - 1) // rows
    labels, _ = nearest(to_blocks(Xs, n_blocks, rows), Cs, active, tuning, used)
    labels = labels[:size]
    diff = Xs - Cs[labels]  # exact differences: a point on a centre is at distance 0
    sq = jnp.sum(diff * diff, axis=1)
    if n is not None:
        sq = jnp.where(jnp.arange(size) < n, sq, 0.0)
    return labels, sq
