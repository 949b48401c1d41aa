"""What the core's programs take and give: the static :class:`Plan`, the arrays of a
:class:`Problem`, the prepared :class:`Data`, and the :class:`KMeansResult`.

Pure JAX. Shapes never depend on data: a problem's arrays may be padded past the real rows
(``Problem.n``) and centroids (``Problem.k``), so one compiled program serves every size up
to its shapes (the boundary picks those shapes, :mod:`jaxmeans._buckets`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ._distances import sq_norms, to_blocks
from ._tuning import Tuning


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


class Plan(NamedTuple):
    """What a fit does, as the core's programs take it: one hashable, static argument.

    Attributes:
      k: centroid rows of the program (static); the fit's own number of clusters is
        ``Problem.k <= k``, and for a sweep ``k >= max(ks)``.
      n_init: restarts (1 with an init array: every restart would be the same run, as in
        scikit-learn).
      init_mode: ``"k-means++"``, ``"random"`` or ``"array"``.
      spherical: cosine (spherical) k-means: the rows come L2-normalised, the data are
        not centred, and every update normalises the centroids.
    """

    k: int
    n_init: int
    init_mode: str
    spherical: bool = False


class Problem(NamedTuple):
    """The arrays of a fit, as the core's programs take them (a pytree).

    Attributes:
      X: ``[n_rows, d]`` float points; rows past ``n`` are zeros (padding).
      w: ``[n_rows]`` non-negative weights, zero past ``n``, not all zero.
      init: ``[plan.k, d]`` starting centroids when ``plan.init_mode`` is ``"array"`` (rows
        past ``k`` ignored), else None.
      key: PRNG key.
      tol: ``[]`` relative tolerance, scaled by the mean per-feature variance of the rows.
      max_iter: ``[] int32`` iteration limit.
      n: ``[] int32`` real rows.
      k: ``[] int32`` clusters (ignored by a sweep, whose ks say it).
    """

    X: jax.Array
    w: jax.Array
    init: jax.Array | None
    key: jax.Array
    tol: jax.Array
    max_iter: jax.Array
    n: jax.Array
    k: jax.Array


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
