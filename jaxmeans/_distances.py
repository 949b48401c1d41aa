"""Squared Euclidean distances and nearest-centroid assignment in row blocks.

Pure JAX: every function here takes arrays and static sizes and returns arrays.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

# Distances go through one GEMM; on GPUs the default precision would use TF32.
HIGHEST = lax.Precision.HIGHEST

# Entries of the distance block kept live at once, over all vmapped lanes. On CPUs, 2**19
# float32 values (2 MiB) stay in L2 (see benchmarks/NOTES.md for the measurements). On
# accelerators each block is a kernel launch, so blocks are made large: 2**26 values is
# 256 MiB, still far below the full matrix for the sizes that need blocking at all.
_BLOCK_ENTRIES = {"cpu": 2**19}
_ACCELERATOR_BLOCK_ENTRIES = 2**26
_MAX_BLOCK_ROWS = {"cpu": 8192}
_ACCELERATOR_MAX_BLOCK_ROWS = 2**20
_MIN_BLOCK_ROWS = 64


def block_layout(n: int, k: int, lanes: int = 1) -> tuple[int, int]:
    """Static row blocking for ``n`` points, ``k`` centroids and ``lanes`` vmapped fits,
    sized for the default backend.

    Returns:
      ``(n_blocks, rows)`` with ``n_blocks * rows >= n`` and as little padding as possible;
      ``rows`` is a multiple of 8 unless a single block holds all ``n`` rows.
    """
    backend = jax.default_backend()
    budget = _BLOCK_ENTRIES.get(backend, _ACCELERATOR_BLOCK_ENTRIES)
    max_rows = _MAX_BLOCK_ROWS.get(backend, _ACCELERATOR_MAX_BLOCK_ROWS)
    per_row = max(k, 1) * max(lanes, 1)
    target = max(_MIN_BLOCK_ROWS, min(max_rows, budget // per_row))
    if n <= target:
        return 1, n
    n_blocks = -(-n // target)
    rows = -(-n // n_blocks)
    rows = -(-rows // 8) * 8
    return n_blocks, rows


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


# Up to this many centroids, a single (value, index) reduction over the [k, rows] block is
# the fastest way to the nearest centroid on XLA:CPU. Above it XLA:CPU runs that reduction
# several times slower (n=200,000, d=8: k=16 0.47x the time of two plain reductions, k=24
# 3.1x), so larger blocks are reduced in chunks of CHUNK_K rows, one (value, index)
# reduction each, with a running elementwise minimum across chunks: 0.6-0.75x the time of
# two plain reductions at k = 32 and 64 (benchmarks/NOTES.md). Other backends reduce
# (value, index) pairs natively: always one reduction there.
VARIADIC_MAX_K = {"cpu": 20}
CHUNK_K = 16


def uses_variadic_reduce(k: int) -> bool:
    """Whether the nearest-centroid search for ``k`` centroids is one (value, index)
    reduction on the default backend (static)."""
    return k <= VARIADIC_MAX_K.get(jax.default_backend(), 2**31)


def _first_min(a, b):
    """Combiner for a (value, index) reduction: the smaller value, then the smaller index."""
    take_a = (a[0] < b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
    return jnp.where(take_a, a[0], b[0]), jnp.where(take_a, a[1], b[1])


def _first_min_rows(dist: jax.Array, index: jax.Array):
    """``(value, index)`` of the smallest entry of each column of ``[m, rows]`` blocks,
    the lowest index on ties."""
    init = (jnp.array(jnp.inf, dist.dtype), jnp.int32(2**31 - 1))
    return lax.reduce((dist, index), init, _first_min, (0,))


def nearest_in_block(xb: jax.Array, centroids: jax.Array, c_sq: jax.Array):
    """Nearest centroid for one transposed block ``xb`` ``[d, rows]``.

    ``c_sq`` holds ``||c||^2`` for active rows and ``+inf`` for padded ones. Returns
    ``(labels [rows] int32, partial [rows])`` where ``partial + ||x||^2`` is the squared
    distance to the nearest centroid; ties go to the lowest index, as with ``argmin``.

    The block is ``[k, rows]`` (centroid-major), so reducing over centroids is an
    elementwise operation across rows of points, which XLA:CPU vectorises. Small k takes
    one (value, index) reduction; larger k one such reduction per chunk of ``CHUNK_K``
    centroids and a running minimum over the chunks (see ``VARIADIC_MAX_K``).
    """
    k = centroids.shape[0]
    dist = c_sq[:, None] - 2.0 * jnp.dot(centroids, xb, precision=HIGHEST)
    if uses_variadic_reduce(k):
        best, labels = _first_min_rows(dist, lax.broadcasted_iota(jnp.int32, dist.shape, 0))
        return jnp.minimum(labels, k - 1), best
    index = lax.broadcasted_iota(jnp.int32, dist.shape, 0)
    best, labels = _first_min_rows(dist[:CHUNK_K], index[:CHUNK_K])
    # Unrolled: as a scan over chunks the same reductions measured 1.3-1.8x slower.
    for start in range(CHUNK_K, k, CHUNK_K):
        b, i = _first_min_rows(dist[start : start + CHUNK_K], index[start : start + CHUNK_K])
        take = b < best  # strict: on ties the earlier chunk's lower index stays
        best, labels = jnp.where(take, b, best), jnp.where(take, i, labels)
    return jnp.minimum(labels, k - 1), best


def nearest(blocks: jax.Array, centroids: jax.Array, active: jax.Array):
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
        return nearest_in_block(blocks[0], centroids, c_sq)
    labels, partial = lax.map(lambda xb: nearest_in_block(xb, centroids, c_sq), blocks)
    return labels.reshape(-1), partial.reshape(-1)


@functools.partial(jax.jit, static_argnames=("n_blocks", "rows"))
def assign_core(X: jax.Array, centroids: jax.Array, *, n_blocks: int, rows: int):
    """Labels and clamped squared distances of ``X`` ``[n, d]`` to ``centroids`` ``[k, d]``."""
    n = X.shape[0]
    shift = jnp.mean(centroids, axis=0)
    Xs = X - shift[None, :]
    Cs = centroids - shift[None, :]
    active = jnp.ones(centroids.shape[0], dtype=bool)
    labels, partial = nearest(to_blocks(Xs, n_blocks, rows), Cs, active)
    sq = jnp.maximum(sq_norms(Xs) + partial[:n], 0.0)
    return labels[:n], sq
