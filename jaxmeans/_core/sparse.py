"""Sparse rows (CSR, as scipy.sparse holds text features) as the core's programs use them.

Pure JAX. Rows come in blocks of ``rows`` rows; each block's stored values are padded to one
static count (:class:`SparseRows`), so one program serves a data set. A distance pass
multiplies each block's stored values by the centroid columns they touch and adds them per
row (``segment_sum``): O(stored values x k) work and O(block's values x k) memory, never
the dense matrix. Centroids are dense ``[k, d]``.

:class:`SparseData` answers the questions :class:`~jaxmeans._core.dense.Data` answers, so
Lloyd's loop, the restarts, the sweep and the seeding run on it unchanged. The data are not
centred (that would make them dense): the boundary shifts only the columns every row
stores, and distances are ``||x||^2 + ||c||^2 - 2 x.c``, the nearest centre found without
``||x||^2`` as the dense pass finds it.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax import lax

from .distances import HIGHEST, sq_norms
from .geometry import EUCLIDEAN, Metric
from .sums import compensated_add
from .tuning import Tuning


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class SparseRows:
    """Rows of a CSR matrix in blocks, as the boundary lays them out (a pytree of arrays;
    the number of columns ``d`` is static).

    Attributes:
      cols: ``[n_blocks, nnz] int32`` column of each stored value (padding: 0).
      vals: ``[n_blocks, nnz]`` the values (padding: 0).
      local: ``[n_blocks, nnz] int32`` row of each value within its block, sorted
        (padding: the block's last row, with value 0).
      x_sq: ``[n_blocks * rows]`` squared norms of the rows (padding rows: 0).
      d: columns (static).
    """

    cols: jax.Array
    vals: jax.Array
    local: jax.Array
    x_sq: jax.Array
    d: int = dataclasses.field(metadata=dict(static=True))

    @property
    def shape(self) -> tuple[int, int]:
        return self.x_sq.shape[0], self.d

    @property
    def dtype(self):
        return self.vals.dtype


def _dots(cols, vals, local, CT, rows: int):
    """``[rows, m]`` products of one block's rows with the columns of ``CT`` ``[d, m]``."""
    return jax.ops.segment_sum(
        vals[:, None] * CT[cols], local, num_segments=rows, indices_are_sorted=True
    )


def sum_group(n_blocks: int, nnz: int, k: int, d: int) -> int:
    """Blocks whose per-cluster sums are added in one scatter: enough that the scatter's
    stored values outnumber the ``k * d`` dense sums it fills (which are then added with
    compensation), and a divisor of ``n_blocks`` (the boundary pads the block count to a
    multiple of it). With one block per scatter, 200 blocks of 100k x 20k TF-IDF rows
    spent most of an iteration on dense ``[k, d]`` sums."""
    want = max(1, min(n_blocks, -(-k * d // max(nnz, 1))))
    return next(g for g in range(want, 0, -1) if n_blocks % g == 0)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class SparseData:
    """Sparse rows prepared for a fit: the blocks, their weights, the real row count (a
    pytree; the metric is static).

    Row arrays are flat ``[n_pad = n_blocks * rows]``; rows past ``n`` are padding (no
    stored values, zero weight); ``used`` blocks hold every real row.
    """

    rows: SparseRows
    w: jax.Array  # [n_pad]
    mean: jax.Array  # [d] zeros: nothing is removed inside the program
    n: jax.Array | int
    used: jax.Array | int
    metric: Metric = dataclasses.field(default=EUCLIDEAN, metadata=dict(static=True))

    @property
    def n_pad(self) -> int:
        return self.rows.x_sq.shape[0]

    @property
    def size(self) -> int:
        return self.n_pad

    @property
    def d(self) -> int:
        return self.rows.d

    @property
    def dtype(self):
        return self.rows.vals.dtype

    @property
    def block_rows(self) -> int:
        return self.n_pad // self.rows.cols.shape[0]

    @property
    def x_sq(self) -> jax.Array:
        return self.rows.x_sq

    def _blocks(self):
        r = self.rows
        return jnp.arange(r.cols.shape[0]), r.cols, r.vals, r.local

    def nearest(self, centroids, active, tuning: Tuning = None, precision=HIGHEST):
        """``(labels [n_pad] int32, partial [n_pad])``: each row's nearest active centroid
        (ties to the lowest index) and ``||c||^2 - 2 x.c`` for it, blocks of padding
        skipped. ``tuning`` and ``precision`` are the dense pass's; a gather and a
        ``segment_sum`` have neither."""
        rows = self.block_rows
        c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
        CT = centroids.T

        def one(args):
            _, cols, vals, local = args
            dist = c_sq[None, :] - 2.0 * _dots(cols, vals, local, CT, rows)
            return jnp.argmin(dist, axis=1).astype(jnp.int32), jnp.min(dist, axis=1)

        def block(args):
            skip = lambda a: (jnp.zeros(rows, jnp.int32), jnp.zeros(rows, self.dtype))  # noqa: E731
            return lax.cond(args[0] < self.used, one, skip, args)

        labels, partial = lax.map(block, self._blocks())
        return labels.reshape(-1), partial.reshape(-1)

    def assign_and_sum(
        self, centroids, active, labels_old, tuning: Tuning, precision=HIGHEST, lanes=False
    ):
        """Labels, whether a real row's label changed, and the per-cluster sums: the
        dense rows' one pass (:meth:`~jaxmeans._core.dense.Data.assign_and_sum`), here a
        pass for the labels and one over the stored values for the sums (``lanes`` as there,
        unused: the sums are a scatter over stored values)."""
        labels, _ = self.nearest(centroids, active, tuning, precision)
        real = jnp.arange(self.n_pad) < self.n
        changed = jnp.any((labels != labels_old) & real)
        return labels, changed, *self.sums(labels, centroids.shape[0])

    def sums(self, labels, k: int):
        """Per-cluster weighted sums ``[k, d]`` (dense) and weights ``[k]``: one scatter per
        group of blocks (:func:`sum_group`), groups added with compensation."""
        r, d = self.rows, self.d
        n_blocks, nnz = r.cols.shape
        rows = self.block_rows
        g = sum_group(n_blocks, nnz, k, d)
        # Rows numbered within each group of g blocks.
        local = r.local + (jnp.arange(n_blocks, dtype=jnp.int32) % g * rows)[:, None]

        def grouped(a):
            return a.reshape(n_blocks // g, -1)

        def add(carry, args):
            cols, vals, local, w, lab = args
            sums, comp, counts = carry
            part = jax.ops.segment_sum(vals * w[local], lab[local] * d + cols, num_segments=k * d)
            sums, comp = compensated_add(sums, comp, part)
            return (sums, comp, counts + jax.ops.segment_sum(w, lab, num_segments=k)), None

        zeros = jnp.zeros(k * d, self.dtype)
        start = (zeros, zeros, jnp.zeros(k, self.dtype))
        xs = tuple(map(grouped, (r.cols, r.vals, local, self.w, labels)))
        (sums, _, counts), _ = lax.scan(add, start, xs)
        return sums.reshape(k, d), counts

    def _own_dots(self, centroids, labels):
        """``[n_pad]`` product of each row with ``centroids[labels]``: one pass over the
        stored values."""
        r = self.rows
        rows = self.block_rows
        lab = labels.reshape(-1, rows)

        def block(args):
            cols, vals, local, lb = args
            return jax.ops.segment_sum(
                vals * centroids[lb[local], cols], local, num_segments=rows,
                indices_are_sorted=True,
            )  # fmt: skip

        return lax.map(block, (r.cols, r.vals, r.local, lab)).reshape(-1)

    def _sq_to(self, centroids, labels):
        """``[n_pad]`` squared distance of each row to ``centroids[labels]``, clamped."""
        c_sq = sq_norms(centroids)[labels]
        return jnp.maximum(self.x_sq + c_sq - 2.0 * self._own_dots(centroids, labels), 0.0)

    def far(self, centroids, labels):
        """``[n_pad]`` squared distance of each row to its centre; ``-inf`` for rows
        without weight (never relocation targets)."""
        return jnp.where(self.w > 0, self._sq_to(centroids, labels), -jnp.inf)

    def rows_at(self, index):
        """Rows ``index`` ``[m]`` (positions in the blocked order) as dense ``[m, d]``."""
        r, rows = self.rows, self.block_rows

        def one(i):
            b, j = i // rows, i % rows
            mine = r.local[b] == j
            return jnp.zeros(self.d, self.dtype).at[r.cols[b]].add(jnp.where(mine, r.vals[b], 0))

        return jax.vmap(one)(index)

    def dists_to(self, C):
        """``[m, n_pad]`` squared distances of every row to the ``m`` rows of ``C``,
        clamped at 0."""
        r, rows = self.rows, self.block_rows
        CT, c_sq = C.T, sq_norms(C)

        def block(args):
            cols, vals, local, x_sq = args
            dots = _dots(cols, vals, local, CT, rows)
            return jnp.maximum(x_sq[:, None] + c_sq[None, :] - 2.0 * dots, 0.0)

        x_sq = self.x_sq.reshape(-1, rows)
        return lax.map(block, (r.cols, r.vals, r.local, x_sq)).reshape(-1, C.shape[0]).T

    def inertia(self, centroids, labels):
        """The fit's objective of the weighted squared distances to
        ``centroids[labels]``."""
        return self.metric.objective(jnp.sum(self.w * self._sq_to(centroids, labels)))

    def variance(self):
        """Mean over features of the (unweighted) variance of the real rows, from the
        stored values, as scikit-learn scales ``tol``."""
        r, d = self.rows, self.d
        col = r.cols.reshape(-1)
        vals = r.vals.reshape(-1)
        mean = jax.ops.segment_sum(vals, col, num_segments=d) / self.n
        mean_sq = jax.ops.segment_sum(vals * vals, col, num_segments=d) / self.n
        return jnp.mean(mean_sq - mean * mean)


def prepare(
    X: SparseRows, w: jax.Array, *, n: jax.Array | int | None = None, metric: Metric = EUCLIDEAN
) -> SparseData:
    """Sparse rows ready for a fit: ``X`` as the boundary laid it out, weights ``w``
    ``[n_pad]`` (zero past ``n``), ``n`` real rows (default all)."""
    n_pad = X.x_sq.shape[0]
    n = n_pad if n is None else n
    rows = n_pad // X.cols.shape[0]
    used = (n + rows - 1) // rows
    return SparseData(X, w, jnp.zeros(X.d, X.vals.dtype), n, used, metric)


def assign_program(X: SparseRows, C: jax.Array, k, *, tuning: Tuning):
    """Labels and squared distances ``[n_pad]`` of sparse rows to the first ``k`` rows of
    ``C``."""
    data = prepare(X, jnp.ones(X.x_sq.shape[0], X.vals.dtype))
    labels, partial = data.nearest(C, jnp.arange(C.shape[0]) < k)
    return labels, jnp.maximum(partial + X.x_sq, 0.0)


def pairwise_program(X: SparseRows, C: jax.Array, *, tuning: Tuning):
    """``[n_pad, m]`` squared distances of sparse rows to the rows of ``C``."""
    data = prepare(X, jnp.ones(X.x_sq.shape[0], X.vals.dtype))
    return data.dists_to(C).T
