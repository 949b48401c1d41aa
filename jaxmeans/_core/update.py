"""The update that ends every Lloyd iteration, shared by every loop: empty clusters
relocated as scikit-learn does (each onto a point far from its centre), then each centroid
moved to its cluster's centre by the metric's rule.

Pure JAX; :func:`relocation` gives a Lloyd step (:mod:`jaxmeans._core.lloyd`,
:mod:`jaxmeans._core.hamerly`) the function that runs it only when a cluster is empty, and
:func:`update` takes the step's sums to the new centroids. Rows are dense or sparse
(:meth:`~jaxmeans._core.dense.Data.far`, :meth:`~jaxmeans._core.dense.Data.rows_at`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .geometry import Metric


def _relocated(data, centroids, labels, active, sums, counts, axis=None):
    """Move each empty cluster onto a point far from its centre, as scikit-learn does.

    ``labels`` ``[n_pad]`` are the rows' nearest of ``centroids``. Empty clusters are taken
    in index order; the i-th gets the i-th farthest point from its centre (exact squared
    differences; zero-weight and padding rows excluded), and each point leaves its old
    cluster's sums. All empty clusters are handled at once: one ``[n, d]`` pass and one
    ``top_k``. With no empty cluster the sums come back unchanged.

    With ``axis`` (a mesh axis name, inside ``shard_map``), the rows are this device's:
    each device's ``k`` farthest candidates are gathered (device order, so ties still go
    to the lower row) and the farthest of all are taken.
    """
    k = centroids.shape[0]
    empty = active & (counts <= 0)
    far = data.far(centroids, labels)
    far, top = lax.top_k(far, min(k, far.shape[0]))  # farthest first; ties to the lower row
    cand_x, cand_w, cand_label = data.rows_at(top), data.w[top], labels[top]
    if axis is not None:
        gather = lambda a: lax.all_gather(a, axis).reshape(-1, *a.shape[1:])  # noqa: E731
        far, cand_x, cand_w, cand_label = map(gather, (far, cand_x, cand_w, cand_label))
        far, best = lax.top_k(far, k)
        cand_x, cand_w, cand_label = cand_x[best], cand_w[best], cand_label[best]
    return move_onto(empty, far, cand_x, cand_w, cand_label, sums, counts)


def move_onto(empty, far, cand_x, cand_w, cand_label, sums, counts):
    """Sums and counts ``[k, d]``, ``[k]`` with the i-th ``empty`` cluster (index order)
    moved onto the i-th candidate point (farthest from its centre first: squared distance
    ``far``, row ``cand_x``, weight ``cand_w``, cluster ``cand_label``), which leaves its
    old cluster's sums."""
    k = sums.shape[0]
    rank = jnp.where(empty, jnp.cumsum(empty) - 1, 0)
    # Only onto a point away from its centre: with fewer distinct points than clusters the
    # farthest point may sit on its centre, and moving there changes nothing but the count
    # of iterations (scikit-learn then stops too).
    ok = empty & (far[rank] > 0)
    wp = jnp.where(ok, cand_w[rank], 0.0)
    wx = cand_x[rank] * wp[:, None]
    old = cand_label[rank]
    sums = sums - jax.ops.segment_sum(wx, old, num_segments=k)
    counts = counts - jax.ops.segment_sum(wp, old, num_segments=k)
    return jnp.where(ok[:, None], wx, sums), jnp.where(ok, wp, counts)


def _any_empty(active, counts):
    return jnp.any(active & (counts <= 0))


def relocation(data, centroids, labels, active, *, lanes: bool, batched: bool, axis=None):
    """A function ``(sums, counts) -> (sums, counts)`` that runs :func:`_relocated` only when
    some cluster is empty.

    ``lanes``: ``centroids`` is ``[b, k, d]``, a batch of fits this code vmaps itself; one
    ``lax.cond`` outside the vmap relocates every lane at once when any lane needs it.
    ``batched`` (a single fit the caller runs under ``vmap``): there a ``lax.cond`` would
    become a select that relocates on every step, so the pass sits in a ``while_loop`` that
    runs once when any lane has an empty cluster (a barrier keeps XLA from hoisting it out
    as loop-invariant). Otherwise a ``lax.cond``: as a loop operand the data would cost
    XLA:CPU a copy per step (10 of 21 ms per step at n=1,000,000, d=2, k=10). ``axis``: see
    :func:`_relocated` (single fits only).
    """
    if lanes:
        per_lane = jax.vmap(lambda c, lab, a, su, co: _relocated(data, c, lab, a, su, co))
        return lambda sums, counts: lax.cond(
            _any_empty(active, counts),
            lambda s: per_lane(centroids, labels, active, *s),
            lambda s: s,
            (sums, counts),
        )
    if not batched:
        return lambda sums, counts: lax.cond(
            _any_empty(active, counts),
            lambda s: _relocated(data, centroids, labels, active, *s, axis),
            lambda s: s,
            (sums, counts),
        )

    def relocate(state):
        c, lab, _ = lax.optimization_barrier((centroids, labels, state[2]))
        return *_relocated(data, c, lab, active, state[0], state[1]), jnp.bool_(True)

    def run(sums, counts):
        go = _any_empty(active, counts)
        state = lax.while_loop(lambda s: go & ~s[2], relocate, (sums, counts, jnp.bool_(False)))
        return state[0], state[1]

    return run


def update(centroids, active, sums, counts, relocate, metric: Metric):
    """The update that ends a Lloyd iteration, for one fit (``[k, d]``) or a batch of fits
    (``[b, k, d]``): relocate empty clusters, then move each centroid to its cluster's
    centre (:meth:`Metric.centroid`: the weighted mean, or its direction for cosine; a
    cluster with no weight stays put).

    Args:
      sums, counts: per-cluster weighted sums ``[..., k, d]`` and weights ``[..., k]`` of the
        assignment to ``centroids``.
      relocate: from :func:`relocation`.
      metric: the fit's metric (static).

    Returns:
      ``(new_centroids, shift, energy)``: ``shift`` the sum of squared centroid moves and
      ``energy`` the inertia of ``centroids`` up to ``sum(w * ||x||^2)`` (for progress
      output; XLA drops it when unused), one per fit.
    """
    # sum_i w_i ||x_i - c_j||^2 = sum_i w_i ||x_i||^2 - 2 c_j.S_j + W_j ||c_j||^2, per cluster.
    c_sq = jnp.where(active, jnp.sum(centroids * centroids, axis=-1), 0.0)
    energy = jnp.sum(counts * c_sq, axis=-1) - 2.0 * jnp.sum(centroids * sums, axis=(-2, -1))
    new, shift = moved(centroids, *relocate(sums, counts), metric)
    return new, shift, energy


def moved(centroids, sums, counts, metric: Metric):
    """Each centroid moved to its cluster's centre (:meth:`Metric.centroid`), and the sum
    of squared moves."""
    new = metric.centroid(sums, counts, centroids)
    return new, jnp.sum((new - centroids) ** 2, axis=(-2, -1))
