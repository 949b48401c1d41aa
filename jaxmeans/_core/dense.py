"""Dense rows as the core's programs use them: centred, padded, laid out in row blocks.

Pure JAX. :func:`prepare` turns a problem's ``X`` and weights into :class:`Data`, shared by
every restart and every k of a fit. :class:`Data` and
:class:`~jaxmeans._core.sparse.SparseData` answer the same questions (the nearest
centroids, per-cluster sums, distances to a few points, rows by index), so Lloyd's loop,
the sweep and the seeding run on either without asking which they hold.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax import lax

from .distances import HIGHEST, nearest, nearest_in_block, sq_norms, to_blocks
from .geometry import EUCLIDEAN, Metric
from .sums import carried_sums, compensated_add, fresh_sums
from .tuning import Tuning


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Data:
    """Centred, padded data shared by every restart and every k of a fit (a pytree; the
    input's row count and the metric are static).

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
    size: int = dataclasses.field(metadata=dict(static=True))  # rows of the input
    metric: Metric = dataclasses.field(default=EUCLIDEAN, metadata=dict(static=True))

    @property
    def n_pad(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def block_rows(self) -> int:
        """Rows per block (the seeding draws a block, then a row in it)."""
        return self.blocks.shape[2]

    def nearest(self, centroids, active, tuning: Tuning, precision=HIGHEST):
        """``(labels [n_pad] int32, partial [n_pad])``: the nearest active centroid of
        every row (:func:`jaxmeans._core.distances.nearest`; blocks of padding skipped)."""
        return nearest(self.blocks, centroids, active, tuning, self.used, precision)

    def assign_and_sum(
        self, centroids, active, labels_old, tuning: Tuning, precision=HIGHEST, lanes=False
    ):
        """One pass over the row blocks: labels, whether any real row's label changed
        from ``labels_old`` (``[n_pad] int32``, -1 before the first iteration), and the
        per-cluster sums ``[k, d]`` and weights ``[k]``.

        For fits side by side (under ``vmap``) the sums are taken per block while it is in
        cache (about half the time of one ``segment_sum`` over all rows afterwards): a
        scatter of the weighted points with the weight as an extra column, or on
        accelerators the one-hot assignment times them (one small GEMM), the blocks' sums
        added with compensation. ``lanes`` (static): this pass runs under the fits' ``vmap``
        (:meth:`~jaxmeans._core.tuning.Tuning.one_hot_update`).
        """
        k, d = centroids.shape
        c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
        index = jnp.arange(k)
        n_blocks, _, rows = self.blocks.shape
        # Padding rows may flip between equidistant centres: only real rows count as changes.
        real = (jnp.arange(n_blocks * rows) < self.n).reshape(n_blocks, rows)

        def pass_block(carry, args):
            acc, comp, changed = carry
            _, xt, xw1, old, is_real = args
            labels, _ = nearest_in_block(xt, centroids, c_sq, tuning, precision)
            if tuning.one_hot_update(k, lanes):
                one_hot = (index[:, None] == labels[None, :]).astype(xw1.dtype)
                part = jnp.dot(one_hot, xw1, precision=HIGHEST)
            else:
                part = jax.ops.segment_sum(xw1, labels, num_segments=k)
            acc, comp = compensated_add(acc, comp, part)
            return (acc, comp, changed | jnp.any((labels != old) & is_real)), labels

        def block(carry, args):
            if isinstance(self.used, int):
                return pass_block(carry, args)
            # Blocks of padding rows only (past the real rows) are skipped.
            skip = lambda carry, args: (carry, jnp.zeros(rows, jnp.int32))  # noqa: E731
            return lax.cond(args[0] < self.used, pass_block, skip, carry, args)

        zeros = jnp.zeros((k, d + 1), self.X.dtype)
        start = (zeros, zeros, jnp.bool_(False))
        Xw1 = self.Xw1.reshape(n_blocks, rows, d + 1)
        old = labels_old.reshape(n_blocks, rows)
        xs = (jnp.arange(n_blocks), self.blocks, Xw1, old, real)
        (acc, _, changed), labels = lax.scan(block, start, xs)
        return labels.reshape(-1), changed, acc[:, :d], acc[:, d]

    def sums(self, labels, k: int):
        """Per-cluster weighted sums ``[k, d]`` and weights ``[k]`` of the rows labelled
        ``labels`` ``[n_pad]`` (one scatter into partial sums per group of row blocks)."""
        return carried_sums(fresh_sums(self, labels, k))

    def far(self, centroids, labels):
        """``[n_pad]`` squared distance of each row to ``centroids[labels]`` from exact
        differences; ``-inf`` for rows without weight (never relocation targets)."""
        diff = self.X - centroids[labels]
        return jnp.where(self.w > 0, jnp.sum(diff * diff, axis=1), -jnp.inf)

    def rows_at(self, index):
        """Rows ``index`` ``[m]`` as ``[m, d]``."""
        return self.X[index]

    def dists_to(self, C):
        """``[m, n_pad]`` squared distances of every row to the ``m`` rows of ``C``."""
        cross = jnp.dot(C, self.XT, precision=HIGHEST)
        return jnp.maximum(sq_norms(C)[:, None] + self.x_sq[None, :] - 2.0 * cross, 0.0)

    def inertia(self, centroids, labels):
        """The fit's objective (:meth:`Metric.objective`) of the weighted squared
        distances to ``centroids[labels]``, from exact differences."""
        diff = self.X - centroids[labels]
        return self.metric.objective(jnp.sum(self.w * jnp.sum(diff * diff, axis=1)))

    def variance(self):
        """Mean over features of the variance of the real rows (scikit-learn's tolerance
        scale)."""
        if self.metric.unit_rows:  # not centred
            mean = jnp.sum(self.X, axis=0) / self.n
            return jnp.mean(jnp.sum(self.X * self.X, axis=0) / self.n - mean * mean)
        return jnp.mean(jnp.sum(self.X * self.X, axis=0) / self.n)


def prepare(
    X: jax.Array,
    w: jax.Array,
    *,
    k: int,
    tuning: Tuning,
    n: jax.Array | int | None = None,
    lanes: int = 1,
    mean: jax.Array | None = None,
    metric: Metric = EUCLIDEAN,
) -> Data:
    """Centre ``X`` on the (unweighted) mean of its first ``n`` rows, as scikit-learn does,
    and lay out row blocks sized for ``k`` centroids in each of ``lanes`` vmapped fits.

    Args:
      X: ``[size, d]`` points; rows past ``n`` must be zero with zero weight.
      n: real rows (default all); traced when one program serves several sizes.
      mean: the shift to remove instead (a data-parallel fit passes the mean of all
        shards).
      metric: with unit rows (cosine k-means) nothing is removed, so that a centroid's
        direction is its direction in the data's coordinates.
    """
    size, d = X.shape
    n_blocks, rows = tuning.block_layout(size, k, lanes)
    padded = n is not None and not (isinstance(n, int) and n == size)
    n = size if n is None else n
    if metric.unit_rows:
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
    return Data(Xp, Xp.T, blocks, Xw1, wp, sq_norms(Xp), mean, n, used, size, metric)
