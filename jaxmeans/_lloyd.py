"""Lloyd's algorithm as one jitted program, with scikit-learn's stopping and relocation rules.

Pure JAX. The public, validated entry point is :func:`jaxmeans.kmeans`; this module holds
the core it calls once.
"""

from __future__ import annotations

import sys
import threading
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from ._distances import HIGHEST, nearest, nearest_in_block, sq_norms
from ._problem import Data, KMeansResult
from ._sums import block_sums, compensated_add
from ._tuning import Tuning


def _assign_and_sum(data: Data, centroids, active, labels_old, tuning: Tuning, after=False):
    """One pass over the row blocks: labels, whether any changed, and per-cluster sums.

    Args:
      labels_old: ``[n_pad] int32`` labels of the previous iteration (-1 before the first).
      after: (static) take the sums after the pass, one scatter over all rows
        (:func:`block_sums` with a partial sum per row block), instead of block by block.

    Returns:
      ``(labels [n_pad] int32, changed, sums [k, d], counts [k])``.

    Under ``vmap`` sums are taken per block while it is in cache (about half the time of
    one ``segment_sum`` over all rows afterwards): a scatter of the weighted points with
    the weight as an extra column, or on accelerators the one-hot assignment times them
    (one small GEMM). For one fit on a CPU the scatter afterwards is cheaper: the pass then
    slices no weighted block out of the data and runs one scatter, not one per block.
    """
    k, d = centroids.shape
    if after:
        labels, changed = _labels_pass(data, centroids, active, labels_old, tuning)
        sums, counts = block_sums(data, labels, k, per_block=True)
        return labels, changed, sums, counts
    c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
    index = jnp.arange(k)
    n_blocks, _, rows = data.blocks.shape
    # Padding rows may flip between equidistant centres: only real rows count as changes.
    real = (jnp.arange(n_blocks * rows) < data.n).reshape(n_blocks, rows)

    def pass_block(carry, args):
        acc, comp, changed = carry
        _, xt, xw1, old, is_real = args
        labels, _ = nearest_in_block(xt, centroids, c_sq, tuning)
        if tuning.one_hot_update(k):
            one_hot = (index[:, None] == labels[None, :]).astype(xw1.dtype)
            part = jnp.dot(one_hot, xw1, precision=HIGHEST)
        else:
            part = jax.ops.segment_sum(xw1, labels, num_segments=k)
        acc, comp = compensated_add(acc, comp, part)
        return (acc, comp, changed | jnp.any((labels != old) & is_real)), labels

    def block(carry, args):
        if isinstance(data.used, int):
            return pass_block(carry, args)
        # Blocks of padding rows only (past the real rows) are skipped.
        skip = lambda carry, args: (carry, jnp.zeros(rows, jnp.int32))  # noqa: E731
        return lax.cond(args[0] < data.used, pass_block, skip, carry, args)

    zeros = jnp.zeros((k, d + 1), data.X.dtype)
    start = (zeros, zeros, jnp.bool_(False))
    xs = (jnp.arange(n_blocks), data.blocks, data.Xw1, labels_old.reshape(n_blocks, rows), real)
    (acc, _, changed), labels = lax.scan(block, start, xs)
    return labels.reshape(-1), changed, acc[:, :d], acc[:, d]


def _labels_pass(data: Data, centroids, active, labels_old, tuning: Tuning):
    """:func:`_assign_and_sum`'s pass without the sums (:func:`nearest`, which skips the
    blocks of padding): ``(labels [n_pad] int32, changed)``. Whether a label changed is one
    comparison over all rows after the pass (per block it had been three small operations
    each, 8% of a step at 20,000 x 8)."""
    labels, _ = nearest(data.blocks, centroids, active, tuning, data.used)
    real = jnp.arange(labels.shape[0]) < data.n
    return labels, jnp.any((labels != labels_old) & real)


def _relocated(data: Data, centroids, labels, active, sums, counts, axis=None):
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
    diff = data.X - centroids[labels]
    far = jnp.where(data.w > 0, jnp.sum(diff * diff, axis=1), -jnp.inf)
    far, top = lax.top_k(far, min(k, far.shape[0]))  # farthest first; ties to the lower row
    cand_x, cand_w, cand_label = data.X[top], data.w[top], labels[top]
    if axis is not None:
        gather = lambda a: lax.all_gather(a, axis).reshape(-1, *a.shape[1:])  # noqa: E731
        far, cand_x, cand_w, cand_label = map(gather, (far, cand_x, cand_w, cand_label))
        far, best = lax.top_k(far, k)
        cand_x, cand_w, cand_label = cand_x[best], cand_w[best], cand_label[best]
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


def relocation(data: Data, centroids, labels, active, *, lanes: bool, batched: bool, axis=None):
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


def update(centroids, active, sums, counts, relocate, unit: bool = False):
    """The update that ends a Lloyd iteration, for one fit (``[k, d]``) or a batch of fits
    (``[b, k, d]``): relocate empty clusters, then move each centroid to its cluster's
    weighted mean (a cluster with no weight stays put).

    Args:
      sums, counts: per-cluster weighted sums ``[..., k, d]`` and weights ``[..., k]`` of the
        assignment to ``centroids``.
      relocate: from :func:`relocation`.
      unit: cosine k-means (static): each new centroid is the direction of its cluster's
        weighted mean (normalised; a zero mean keeps the old centroid).

    Returns:
      ``(new_centroids, shift, energy)``: ``shift`` the sum of squared centroid moves and
      ``energy`` the inertia of ``centroids`` up to ``sum(w * ||x||^2)`` (for progress
      output; XLA drops it when unused), one per fit.
    """
    # sum_i w_i ||x_i - c_j||^2 = sum_i w_i ||x_i||^2 - 2 c_j.S_j + W_j ||c_j||^2, per cluster.
    c_sq = jnp.where(active, jnp.sum(centroids * centroids, axis=-1), 0.0)
    energy = jnp.sum(counts * c_sq, axis=-1) - 2.0 * jnp.sum(centroids * sums, axis=(-2, -1))
    sums, counts = relocate(sums, counts)
    filled = counts > 0
    safe = jnp.where(filled, counts, 1.0)
    new = jnp.where(filled[..., None], sums / safe[..., None], centroids)
    if unit:
        norm = jnp.sqrt(jnp.sum(new * new, axis=-1, keepdims=True))
        new = jnp.where(norm > 0, new / jnp.where(norm > 0, norm, 1.0), centroids)
    shift = jnp.sum((new - centroids) ** 2, axis=(-2, -1))
    return new, shift, energy


def lloyd_step(
    data: Data,
    centroids: jax.Array,
    labels_old: jax.Array,
    active: jax.Array,
    *,
    tuning: Tuning,
    batched: bool = False,
    axis=None,
):
    """One Lloyd iteration: assign, average, relocate empty clusters.

    For one fit (``centroids [k, d]``) or for a batch of fits over the same data
    (``centroids [b, k, d]``, every other argument and result with a leading ``[b]``), whose
    assignment runs vmapped and whose relocation runs for all lanes at once, only when one
    needs it. With ``axis`` (a mesh axis name, inside ``shard_map``; single fits) ``data``
    holds this device's rows and the per-cluster sums, weights and the "labels changed"
    flag are summed over the devices: the only values that cross them in an iteration.

    Args:
      data: from :func:`prepare`.
      centroids: centred centroids; rows where ``active`` is False are padding, never
        assigned, moved or relocated into.
      labels_old: ``[n_pad] int32`` labels of the previous iteration (-1 before the first).
      active: ``[k] bool``.
      tuning, batched: static; see :func:`relocation`.

    Returns:
      ``(new_centroids, labels [n_pad] int32, strict, shift, energy)``: ``labels`` against
      the given centroids, ``strict`` when they equal ``labels_old`` on every real row, and
      ``shift``, ``energy`` from :func:`update`.
    """
    lanes = centroids.ndim == 3
    after = not lanes and not tuning.one_hot_update(centroids.shape[-2])
    one = lambda c, lab, a: _assign_and_sum(data, c, a, lab, tuning, after)  # noqa: E731
    labels, changed, sums, counts = (jax.vmap(one) if lanes else one)(centroids, labels_old, active)
    if axis is not None:
        sums, counts = lax.psum((sums, counts), axis)
        changed = lax.psum(changed.astype(jnp.int32), axis) > 0
    relocate = relocation(data, centroids, labels, active, lanes=lanes, batched=batched, axis=axis)
    new, shift, energy = update(centroids, active, sums, counts, relocate, unit=data.unit)
    return new, labels, ~changed, shift, energy


def report(n_iter, inertia, strict, shift, tol_abs, done=False):
    """Print one iteration's inertia and, when the loop stops there, why (scikit-learn's
    ``verbose=1`` lines), from inside jitted code. ``done``: the fit had already stopped
    (restarts run side by side keep stepping until the last one stops); it prints nothing.

    One host callback decides what to print: under ``vmap`` a ``lax.cond`` on a batched
    predicate runs both branches, so the choice cannot be made on the device."""
    jax.debug.callback(_print_report, n_iter, inertia, strict, shift, tol_abs, done)


def _print_report(n_iter, inertia, strict, shift, tol_abs, done) -> None:
    if done:
        return
    lines = [f"Iteration {int(n_iter)}, inertia {float(inertia)}."]
    if strict:
        lines.append(f"Converged at iteration {int(n_iter)}: strict convergence.")
    elif shift <= tol_abs:
        lines.append(
            f"Converged at iteration {int(n_iter)}: center shift {float(shift)} "
            f"within tolerance {float(tol_abs)}."
        )
    with _PRINTING:  # restarts side by side call back from several threads at once
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()


_PRINTING = threading.Lock()


def finish(data: Data, centroids: jax.Array, active: jax.Array, tuning: Tuning):
    """Labels of the real rows against ``centroids`` and the exact weighted inertia.

    Returns:
      ``(labels [size] int32, inertia [])``: labels of the input's rows (padding rows past
      ``data.n`` included, with unspecified labels).
    """
    labels, _ = nearest(data.blocks, centroids, active, tuning, data.used)
    return labels[: data.size], inertia_of(data, centroids, labels)


def inertia_of(data: Data, centroids: jax.Array, labels: jax.Array) -> jax.Array:
    """Weighted sum of exact squared differences to the assigned centroids (``labels`` over
    the padded rows); for unit rows (cosine) half of it, ``sum w (1 - cos)``, since
    ``||x - c||^2 = 2 (1 - cos)`` between unit vectors."""
    diff = data.X - centroids[labels]
    total = jnp.sum(data.w * jnp.sum(diff * diff, axis=1))
    return total / 2 if data.unit else total


class _LoopState(NamedTuple):
    n_iter: jax.Array
    centroids: jax.Array
    labels: jax.Array
    done: jax.Array


def lloyd(
    data: Data,
    init: jax.Array,
    *,
    n_active: jax.Array,
    tol_abs: jax.Array,
    max_iter: jax.Array | int,
    tuning: Tuning,
    verbose: bool = False,
    batched: bool = False,
    axis=None,
) -> KMeansResult:
    """Lloyd iterations from centred ``init`` ``[k_max, d]`` until scikit-learn's stop rule.

    Only the first ``n_active`` centroids take part; the rest are padding, so one compiled
    program serves every ``k <= k_max``.

    Stops when the labels did not change (strict convergence), when the sum of squared centre
    shifts is ``<= tol_abs``, or after ``max_iter`` iterations; then assigns once more so
    that the labels belong to the returned centroids.

    With ``verbose`` (static), prints each iteration's inertia from inside the loop, as
    scikit-learn's ``verbose=1`` does, and how the loop stopped. ``batched`` (static): the
    caller runs this under ``vmap`` (see :func:`relocation`). ``axis`` (static): the
    mesh axis the rows are split over, inside ``shard_map`` (see :func:`lloyd_step`); the
    inertia is then summed over devices and the labels are this device's.

    Returns:
      A :class:`KMeansResult` in centred coordinates.
    """
    active = jnp.arange(init.shape[0]) < n_active
    base = jnp.sum(data.w * data.x_sq) if verbose else 0.0

    def body(s: _LoopState) -> _LoopState:
        new, labels, strict, shift, energy = lloyd_step(
            data, s.centroids, s.labels, active, tuning=tuning, batched=batched, axis=axis
        )
        if verbose:
            report(s.n_iter, base + energy, strict, shift, tol_abs, s.done)
        return _LoopState(s.n_iter + 1, new, labels, strict | (shift <= tol_abs))

    no_labels = jnp.full(data.X.shape[0], -1, jnp.int32)
    start = _LoopState(jnp.int32(0), init, no_labels, jnp.bool_(False))
    end = lax.while_loop(lambda s: (s.n_iter < max_iter) & ~s.done, body, start)
    labels, inertia = finish(data, end.centroids, active, tuning)
    if axis is not None:
        inertia = lax.psum(inertia, axis)
    return KMeansResult(end.centroids, labels, inertia, end.n_iter, end.done)
