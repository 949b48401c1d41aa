"""Dense rows as the core's programs use them: centred, padded, laid out in row blocks.

Pure JAX. :func:`prepare` turns a problem's ``X`` and weights into :class:`Data`, shared by
every restart and every k of a fit.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .distances import sq_norms, to_blocks
from .tuning import Tuning


class Data(NamedTuple):
    """Centred, padded data shared by every restart and every k of a fit.

    Row arrays have ``n_pad = n_blocks * rows >= size`` rows; rows past ``n`` are zeros
    with zero weight. ``used`` row blocks hold every real row; a pass skips the rest.
    """

    X: jax.Array  # [n_pad, d] centred points
    XT: jax.Array  # [d, n_pad] the same, transposed (for seeding)
    blocks: jax.Array  # [n_blocks, d, rows] the same, transposed blocks (for assignment)
    Xw1: jax.Array  # [n_pad, d + 1] weighted points with the weight appended
    w: jax.Array  # [n_pad] weights
    x_sq: jax.Array  # [n_pad] squared norms of X
    mean: jax.Array  # [d] the shift that was removed
    n: jax.Array | int  # real rows
    used: jax.Array | int  # row blocks holding real rows
    size: int  # rows of the input (static)
    unit: bool = False  # rows of unit norm, not centred; centroids normalised (static)


def prepare(
    X: jax.Array,
    w: jax.Array,
    *,
    k: int,
    tuning: Tuning,
    n: jax.Array | int | None = None,
    lanes: int = 1,
    mean: jax.Array | None = None,
    unit: bool = False,
) -> Data:
    """Centre ``X`` on the (unweighted) mean of its first ``n`` rows, as scikit-learn does,
    and lay out row blocks sized for ``k`` centroids in each of ``lanes`` vmapped fits.

    Args:
      X: ``[size, d]`` points; rows past ``n`` must be zero with zero weight.
      n: real rows (default all); traced when one program serves several sizes.
      mean: the shift to remove instead (a data-parallel fit passes the mean of all
        shards).
      unit: the rows have unit norm (cosine k-means): nothing is removed, so that a
        centroid's direction is its direction in the data's coordinates.
    """
    size, d = X.shape
    n_blocks, rows = tuning.block_layout(size, k, lanes)
    padded = n is not None and not (isinstance(n, int) and n == size)
    n = size if n is None else n
    if unit:
        mean = jnp.zeros(d, X.dtype)
    elif mean is None:
        mean = jnp.sum(X, axis=0) / n if padded else jnp.mean(X, axis=0)
    Xc = X - mean[None, :]
    if padded:
        Xc = jnp.where((jnp.arange(size) < n)[:, None], Xc, 0.0)
    pad = n_blocks * rows - size
    Xp = jnp.pad(Xc, ((0, pad), (0, 0)))
    wp = jnp.pad(w, (0, pad))
    Xw1 = jnp.concatenate([Xp * wp[:, None], wp[:, None]], axis=1)
    blocks = to_blocks(Xc, n_blocks, rows)
    used = (n + rows - 1) // rows if padded else n_blocks
    return Data(Xp, Xp.T, blocks, Xw1, wp, sq_norms(Xp), mean, n, used, size, unit)


def variance(data: Data) -> jax.Array:
    """Mean over features of the variance of the real rows (scikit-learn's tolerance
    scale)."""
    if data.unit:  # not centred
        mean = jnp.sum(data.X, axis=0) / data.n
        return jnp.mean(jnp.sum(data.X * data.X, axis=0) / data.n - mean * mean)
    return jnp.mean(jnp.sum(data.X * data.X, axis=0) / data.n)
