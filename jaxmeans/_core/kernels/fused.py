"""A fused nearest-centroid kernel (Pallas): distances and a running (min, argmin) per row,
never writing the ``[k, rows]`` distance block to memory.

Pure JAX. :func:`nearest_block` has the contract of
:func:`jaxmeans._core.distances.nearest_in_block` and replaces it where the tuning says
(``Tuning.fused_assign``). Each grid step takes ``block_rows`` points and walks the
centroids ``block_k`` at a time: one ``[block_k, d] x [d, block_rows]`` product on the
matrix units, then the smallest entry of each column, kept if strictly smaller than the
running best (so ties go to the lowest index, as ``argmin``). Only ``labels`` and the
partial distances leave the kernel.

Off by default everywhere: it has been run only in Pallas' interpret mode on CPU (tests
compare it with the XLA path); a GPU run must show it correct and faster before a GPU
tuning turns it on.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl


def _kernel(x_ref, c_ref, csq_ref, labels_ref, best_ref, *, block_k: int, n_tiles: int, precision):
    x = x_ref[...]  # [d, R]
    rows = x.shape[1]

    def tile(t, carry):
        best, labels = carry
        start = pl.multiple_of(t * block_k, block_k)
        c = c_ref[pl.ds(start, block_k), :]  # [TK, d]
        c_sq = csq_ref[pl.ds(start, block_k)]  # [TK]
        dist = c_sq[:, None] - 2.0 * jnp.dot(c, x, precision=precision)  # [TK, R]
        local = jnp.min(dist, axis=0)
        index = lax.broadcasted_iota(jnp.int32, dist.shape, 0)
        # The lowest index among the tile's minima (argmin's rule, written out for Pallas).
        first = jnp.min(jnp.where(dist == local[None, :], index, block_k), axis=0) + start
        take = local < best  # strict: an earlier tile keeps its lower index on ties
        return jnp.where(take, local, best), jnp.where(take, first, labels)

    start = (jnp.full((rows,), jnp.inf, x.dtype), jnp.zeros((rows,), jnp.int32))
    best, labels = lax.fori_loop(0, n_tiles, tile, start)
    labels_ref[...] = labels
    best_ref[...] = best


@functools.partial(jax.jit, static_argnames=("block_rows", "block_k", "interpret", "precision"))
def nearest_block(
    xb: jax.Array,
    centroids: jax.Array,
    c_sq: jax.Array,
    *,
    block_rows: int = 128,
    block_k: int = 64,
    interpret: bool = False,
    precision=lax.Precision.HIGHEST,
):
    """Nearest centroid for transposed points ``xb`` ``[d, rows]``: ``(labels [rows] int32,
    partial [rows])`` with ``partial + ||x||^2`` the squared distance; ``c_sq`` holds
    ``||c||^2`` for active centroids and ``inf`` for the others.

    Rows are padded to a multiple of ``block_rows`` and centroids to one of ``block_k``
    (padding centroids have ``c_sq = inf``, so they are never chosen)."""
    d, rows = xb.shape
    k = centroids.shape[0]
    block_k = min(block_k, max(8, -(-k // 8) * 8))
    k_pad = -(-k // block_k) * block_k
    rows_pad = -(-rows // block_rows) * block_rows
    xp = jnp.pad(xb, ((0, 0), (0, rows_pad - rows)))
    cp = jnp.pad(centroids, ((0, k_pad - k), (0, 0)))
    csq = jnp.pad(c_sq, (0, k_pad - k), constant_values=jnp.inf)
    kernel = functools.partial(
        _kernel, block_k=block_k, n_tiles=k_pad // block_k, precision=precision
    )
    labels, best = pl.pallas_call(
        kernel,
        grid=(rows_pad // block_rows,),
        in_specs=[
            pl.BlockSpec((d, block_rows), lambda i: (0, i)),
            pl.BlockSpec((k_pad, d), lambda i: (0, 0)),
            pl.BlockSpec((k_pad,), lambda i: (0,)),
        ],
        out_specs=[
            pl.BlockSpec((block_rows,), lambda i: (i,)),
            pl.BlockSpec((block_rows,), lambda i: (i,)),
        ],
        out_shape=[
            jax.ShapeDtypeStruct((rows_pad,), jnp.int32),
            jax.ShapeDtypeStruct((rows_pad,), xb.dtype),
        ],
        interpret=interpret,
    )(xp, cp, csq)
    return jnp.minimum(labels[:rows], k - 1), best[:rows]
