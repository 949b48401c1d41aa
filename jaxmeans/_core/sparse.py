"""k-means on sparse rows (CSR, as scipy.sparse holds text features), block by block.

Pure JAX. Rows come in blocks of ``rows`` rows; each block's stored values are padded to
one static count (:class:`SparseRows`), so one program serves a data set. A distance pass
multiplies each block's stored values by the centroid columns they touch and adds them per
row (``segment_sum``): O(stored values x k) work and O(block's values x k) memory, never
the dense matrix. Centroids are dense ``[k, d]``. The data are not centred (that would make
them dense); as in scikit-learn, distances are ``||x||^2 + ||c||^2 - 2 x.c``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .distances import sq_norms
from .seeding import _draw_proportional, default_n_local_trials
from .sums import compensated_add
from .tuning import Tuning
from .types import KMeansResult, Plan
from .update import move_onto


class SparseRows(NamedTuple):
    """Rows of a CSR matrix in blocks (a pytree of arrays).

    Attributes:
      cols: ``[n_blocks, nnz] int32`` column of each stored value (padding: 0).
      vals: ``[n_blocks, nnz]`` the values (padding: 0).
      local: ``[n_blocks, nnz] int32`` row of each value within its block, sorted
        (padding: the block's last row, with value 0).
      x_sq: ``[n_blocks, rows]`` squared norms of the rows (padding rows: 0).
      w: ``[n_blocks, rows]`` weights (padding rows: 0).
    """

    cols: jax.Array
    vals: jax.Array
    local: jax.Array
    x_sq: jax.Array
    w: jax.Array


class SparseProblem(NamedTuple):
    """The arrays of a sparse fit: :class:`SparseRows` and what :class:`Problem` holds
    besides ``X`` and ``w``."""

    data: SparseRows
    init: jax.Array | None
    key: jax.Array
    tol_abs: jax.Array  # the tolerance, already scaled by the data's variance
    max_iter: jax.Array
    n: jax.Array
    k: jax.Array | None


def _dots(cols, vals, local, CT, rows: int):
    """``[rows, m]`` products of one block's rows with the columns of ``CT`` ``[d, m]``."""
    return jax.ops.segment_sum(
        vals[:, None] * CT[cols], local, num_segments=rows, indices_are_sorted=True
    )


def sq_dists_to(data: SparseRows, C: jax.Array, c_sq: jax.Array) -> jax.Array:
    """``[n_blocks, rows, m]`` squared distances of every row to the rows of ``C``
    (``c_sq`` their squared norms, ``inf`` for rows to ignore), clamped at 0."""
    rows = data.x_sq.shape[1]
    CT = C.T

    def block(args):
        cols, vals, local, x_sq = args
        dots = _dots(cols, vals, local, CT, rows)
        return jnp.maximum(x_sq[:, None] + c_sq[None, :] - 2.0 * dots, 0.0)

    return lax.map(block, (data.cols, data.vals, data.local, data.x_sq))


def nearest(data: SparseRows, C: jax.Array, active: jax.Array):
    """``(labels [n_blocks, rows] int32, sq_dists [n_blocks, rows])`` of every row's
    nearest active centre (ties to the lowest index)."""
    rows = data.x_sq.shape[1]
    c_sq = jnp.where(active, sq_norms(C), jnp.inf)
    CT = C.T

    def block(args):
        cols, vals, local, x_sq = args
        dist = x_sq[:, None] + c_sq[None, :] - 2.0 * _dots(cols, vals, local, CT, rows)
        labels = jnp.argmin(dist, axis=1).astype(jnp.int32)
        return labels, jnp.maximum(jnp.min(dist, axis=1), 0.0)

    return lax.map(block, (data.cols, data.vals, data.local, data.x_sq))


def sum_group(n_blocks: int, nnz: int, k: int, d: int) -> int:
    """Blocks whose per-cluster sums are added in one scatter: enough that the scatter's
    stored values outnumber the ``k * d`` dense sums it fills (which are then added with
    compensation), and a divisor of ``n_blocks`` (:func:`jaxmeans._csr.blocked` pads the
    block count to a multiple of it). With one block per scatter, 200 blocks of 100k x 20k
    TF-IDF rows spent most of an iteration on dense ``[k, d]`` sums."""
    want = max(1, min(n_blocks, -(-k * d // max(nnz, 1))))
    return next(g for g in range(want, 0, -1) if n_blocks % g == 0)


def cluster_sums(data: SparseRows, labels: jax.Array, k: int, d: int):
    """Per-cluster weighted sums ``[k, d]`` (dense) and weights ``[k]``: one scatter per
    group of blocks (:func:`sum_group`), groups added with compensation."""
    n_blocks, nnz = data.cols.shape
    rows = data.x_sq.shape[1]
    g = sum_group(n_blocks, nnz, k, d)
    # Rows numbered within each group of g blocks.
    local = data.local + (jnp.arange(n_blocks, dtype=jnp.int32) % g * rows)[:, None]

    def grouped(a):
        return a.reshape(n_blocks // g, g * a.shape[1])

    def add(carry, args):
        cols, vals, local, w, lab = args
        sums, comp, counts = carry
        part = jax.ops.segment_sum(vals * w[local], lab[local] * d + cols, num_segments=k * d)
        sums, comp = compensated_add(sums, comp, part)
        return (sums, comp, counts + jax.ops.segment_sum(w, lab, num_segments=k)), None

    zeros = jnp.zeros(k * d, data.vals.dtype)
    start = (zeros, zeros, jnp.zeros(k, data.vals.dtype))
    xs = tuple(map(grouped, (data.cols, data.vals, local, data.w, labels)))
    (sums, _, counts), _ = lax.scan(add, start, xs)
    return sums.reshape(k, d), counts


def dense_rows(data: SparseRows, index: jax.Array, d: int) -> jax.Array:
    """Rows ``index`` ``[m]`` (positions in the blocked order) as dense ``[m, d]``."""
    rows = data.x_sq.shape[1]

    def one(i):
        b, r = i // rows, i % rows
        mine = data.local[b] == r
        return jnp.zeros(d, data.vals.dtype).at[data.cols[b]].add(jnp.where(mine, data.vals[b], 0))

    return jax.vmap(one)(index)


def _real(data: SparseRows, n) -> jax.Array:
    n_blocks, rows = data.x_sq.shape
    return (jnp.arange(n_blocks * rows) < n).reshape(n_blocks, rows)


def _relocated(data, C, labels, sqd, active, sums, counts, d: int):
    """Empty clusters moved onto the points farthest from their centres (positive weight,
    away from their centre), each point leaving its old cluster: the dense rule
    (:func:`jaxmeans._relocation.move_onto`) on sparse rows."""
    k = C.shape[0]
    empty = active & (counts <= 0)
    far = jnp.where(data.w > 0, sqd, -jnp.inf).reshape(-1)
    far, top = lax.top_k(far, k)
    cand = dense_rows(data, top, d)
    cand_w, cand_label = data.w.reshape(-1)[top], labels.reshape(-1)[top]
    return move_onto(empty, far, cand, cand_w, cand_label, sums, counts)


def _lloyd(
    data: SparseRows, init, n_active, tol_abs, max_iter, n, d: int, unit: bool = False
) -> KMeansResult:
    """Lloyd iterations from ``init`` ``[k, d]`` with scikit-learn's stopping rule."""
    k = init.shape[0]
    active = jnp.arange(k) < n_active
    real = _real(data, n)

    def body(s):
        it, C, old, _ = s
        labels, sqd = nearest(data, C, active)
        strict = ~jnp.any((labels != old) & real)
        sums, counts = cluster_sums(data, labels, k, d)
        sums, counts = lax.cond(
            jnp.any(active & (counts <= 0)),
            lambda sc: _relocated(data, C, labels, sqd, active, *sc, d),
            lambda sc: sc,
            (sums, counts),
        )
        filled = counts > 0
        new = jnp.where(filled[:, None], sums / jnp.where(filled, counts, 1.0)[:, None], C)
        if unit:  # cosine: each centroid is the direction of its mean
            norm = jnp.sqrt(sq_norms(new))[:, None]
            new = jnp.where(norm > 0, new / jnp.where(norm > 0, norm, 1.0), C)
        shift = jnp.sum((new - C) ** 2)
        return it + 1, new, labels, strict | (shift <= tol_abs)

    old = jnp.full(data.x_sq.shape, -1, jnp.int32)
    start = (jnp.int32(0), init, old, jnp.bool_(False))
    it, C, _, done = lax.while_loop(lambda s: (s[0] < max_iter) & ~s[3], body, start)
    labels, sqd = nearest(data, C, active)
    inertia = jnp.sum(data.w * sqd)
    inertia = inertia / 2 if unit else inertia  # cosine: sum w (1 - cos) on unit rows
    return KMeansResult(C, labels.reshape(-1), inertia, it, done)


def _plusplus(key, data: SparseRows, k: int, k_real, d: int):
    """Greedy k-means++ over the rows, as :func:`jaxmeans._init.kmeans_plusplus_core` draws
    it (the same uniforms, two-level draws over the blocks): ``[k, d]`` dense centres, the
    first ``k_real`` chosen."""
    t_max = default_n_local_trials(k)
    table = jnp.array([default_n_local_trials(max(j, 1)) for j in range(k + 1)], jnp.int32)
    n_trials = table[k_real]
    n_draws = max(t_max, 16)
    row = lambda i: jax.random.uniform(jax.random.fold_in(key, i), (n_draws,), jnp.float32)  # noqa: E731
    u = jax.vmap(row)(jnp.arange(k))[:, :t_max].astype(data.vals.dtype)
    w = data.w.reshape(-1)
    block = data.x_sq.shape[1]
    trial = jnp.arange(t_max)

    def step(i, carry):
        centres, closest = carry
        mass = jnp.where(i == 0, w, w * closest)
        mass = jnp.where(jnp.sum(mass) > 0, mass, w)
        cand = _draw_proportional(u[i], mass, block)
        C = dense_rows(data, cand, d)
        dist = sq_dists_to(data, C, sq_norms(C)).reshape(-1, t_max).T  # [t, n]
        candidate_closest = jnp.minimum(closest[None, :], dist)
        potential = jnp.sum(w[None, :] * candidate_closest, axis=1)
        usable = jnp.where(i == 0, trial == 0, trial < n_trials)
        best = jnp.argmin(jnp.where(usable, potential, jnp.inf))
        return centres.at[i].set(C[best]), candidate_closest[best]

    start = (jnp.zeros((k, d), data.vals.dtype), jnp.full(w.shape, jnp.inf, data.vals.dtype))
    return lax.fori_loop(0, k_real, step, start)[0]


def _random_rows(key, data: SparseRows, k: int, d: int):
    """``k`` distinct rows drawn in proportion to their weights (Gumbel top-k, as the dense
    draw), dense."""
    w = data.w.reshape(-1)
    noise = jax.random.gumbel(key, w.shape, jnp.float32).astype(w.dtype)
    logw = jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)
    _, top = lax.top_k(logw + noise, k)
    return dense_rows(data, top, d)


def fit_sparse_program(problem: SparseProblem, *, plan: Plan, d: int, tuning: Tuning):
    """The best of ``plan.n_init`` Lloyd runs on sparse rows (restarts one after another).

    Returns:
      :class:`KMeansResult` with dense ``centroids [plan.k, d]`` and ``labels`` in the
      blocked row order (rows past ``problem.n``: padding). ``tuning`` keys the program to
      its platform.
    """
    data, k = problem.data, plan.k
    k_real = jnp.int32(k) if problem.k is None else problem.k

    def one(key):
        if plan.init_mode == "array":
            start = problem.init
        elif plan.init_mode == "random":
            start = _random_rows(key, data, k, d)
        else:
            start = _plusplus(key, data, k, k_real, d)
        return _lloyd(
            data, start, k_real, problem.tol_abs, problem.max_iter, problem.n, d,
            unit=plan.spherical,
        )  # fmt: skip

    if plan.n_init == 1:
        return one(problem.key)
    runs = lax.map(one, jax.random.split(problem.key, plan.n_init))
    best = jnp.argmin(runs.inertia)
    return jax.tree_util.tree_map(lambda a: a[best], runs)


def assign_sparse_program(data: SparseRows, C: jax.Array, k, *, tuning: Tuning):
    """Labels and squared distances of sparse rows to the first ``k`` rows of ``C``."""
    labels, sqd = nearest(data, C, jnp.arange(C.shape[0]) < k)
    return labels.reshape(-1), sqd.reshape(-1)


def sq_dists_sparse_program(data: SparseRows, C: jax.Array, *, tuning: Tuning):
    """``[n_blocks * rows, m]`` squared distances of sparse rows to the rows of ``C``."""
    dist = sq_dists_to(data, C, sq_norms(C))
    return dist.reshape(-1, C.shape[0])


SPARSE_FIT_STATIC = ("plan", "d", "tuning")
