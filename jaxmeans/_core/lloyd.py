"""Lloyd's algorithm as one jitted program, with scikit-learn's stopping and relocation rules.

Pure JAX, on dense or sparse rows alike (:class:`~jaxmeans._core.dense.Data`,
:class:`~jaxmeans._core.sparse.SparseData`). The public, validated entry point is
:func:`jaxmeans.kmeans`; this module holds the loop its program runs.
"""

from __future__ import annotations

import sys
import threading
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .distances import HIGHEST
from .sums import Carried, carried_start, carried_sums, fresh_sums, stale, step_sums
from .tuning import Tuning
from .types import KMeansResult
from .update import moved, relocation, update


def _assign_then_sum(data, centroids, active, labels_old, carried, tuning: Tuning, precision):
    """The pass of a single fit: it finds labels only (``data.nearest``, which skips the
    blocks of padding), then the sums follow: ``carried`` moved by the rows that changed
    cluster (:func:`jaxmeans._core.sums.carry`), or with ``carried`` None every row summed
    (``data.sums``).

    Returns:
      ``(labels [n_pad] int32, changed, sums [k, d], counts [k], carried)``. Whether a
      label changed is one reduction over the rows after the pass (per block it had been
      three small operations each, 8% of a step at 20,000 x 8): with ``carried``, whether
      :func:`carry` counted a moved row, or the step is the first (from label -1).
    """
    labels, _ = data.nearest(centroids, active, tuning, precision)
    sums, counts, new = step_sums(data, labels, labels_old, carried, centroids.shape[0])
    if carried is None:
        changed = jnp.any((labels != labels_old) & (jnp.arange(labels.shape[0]) < data.n))
    else:
        changed = (new.moved > carried.moved) | (labels_old[0] < 0)
    return labels, changed, sums, counts, new


def lloyd_step(
    data,
    centroids: jax.Array,
    labels_old: jax.Array,
    active: jax.Array,
    *,
    tuning: Tuning,
    precision=HIGHEST,
    batched: bool = False,
    axis=None,
    carried: Carried | None = None,
    tol_abs: jax.Array | None = None,
    last: jax.Array | bool = False,
) -> Step:
    """One Lloyd iteration: assign, average, relocate empty clusters.

    For one fit (``centroids [k, d]``) or for a batch of fits over the same data
    (``centroids [b, k, d]``, every other argument and result with a leading ``[b]``), whose
    assignment runs vmapped and whose relocation runs for all lanes at once, only when one
    needs it. With ``axis`` (a mesh axis name, inside ``shard_map``; single fits) ``data``
    holds this device's rows and the per-cluster sums, weights and the "labels changed"
    flag are summed over the devices: the only values that cross them in an iteration.

    Args:
      data: dense or sparse rows (:func:`jaxmeans._core.rows.prepare`).
      centroids: centred centroids; rows where ``active`` is False are padding, never
        assigned, moved or relocated into.
      labels_old: ``[n_pad] int32`` labels of the previous iteration (-1 before the first).
      active: ``[k] bool``.
      tuning, batched: static; see :func:`relocation`.
      precision: of the distance products (static, a ``lax.Precision``).
      carried: a single fit's per-cluster sums over ``labels_old``, from
        :func:`sums_to_carry` before the first iteration and from the previous
        :class:`Step` after it. None: fits side by side and one-hot updates take their
        sums in the pass, a single fit sums every row after it.
      tol_abs: the fit's tolerance, with ``carried``: at the step where the fit stops
        (no label changed, or ``shift <= tol_abs``) the new centroids are the means of
        sums taken afresh from the labels, so that a fit's result depends on its final
        partition and not on the path to it (restarts that end in the same partition
        end with the same centroids, and the first of them is kept). So are they at the
        ``last`` step (``max_iter``), where a cluster is empty, and once the carried
        sums have moved as many rows as the data holds, which bounds their rounding
        (:func:`update_carried`).

    Returns:
      A :class:`Step`: ``labels`` against the given centroids, ``strict`` when they equal
      ``labels_old`` on every real row, ``shift`` and ``energy`` from :func:`update`.
    """
    lanes = centroids.ndim == 3
    side = lanes or batched  # fits side by side: their sums may take a one-hot GEMM
    if lanes or tuning.one_hot_update(centroids.shape[-2], side):
        one = lambda c, lab, a: data.assign_and_sum(c, a, lab, tuning, precision, side)  # noqa: E731
        pass_ = jax.vmap(one) if lanes else one
        labels, changed, sums, counts = pass_(centroids, labels_old, active)
    else:
        labels, changed, sums, counts, carried = _assign_then_sum(
            data, centroids, active, labels_old, carried, tuning, precision
        )
    total = (lambda a: lax.psum(a, axis)) if axis is not None else (lambda a: a)
    changed = total(changed.astype(jnp.int32)) > 0
    relocate = relocation(data, centroids, labels, active, lanes=lanes, batched=batched, axis=axis)
    new, shift, energy, carried = update_carried(
        data, centroids, active, labels, changed, sums, counts, carried, relocate, tol_abs,
        last, total,
    )  # fmt: skip
    return Step(new, labels, ~changed, shift, energy, carried)


def update_carried(
    data, centroids, active, labels, changed, sums, counts, carried, relocate, tol_abs,
    last=False, total=None,
):  # fmt: skip
    """:func:`update` for a single fit's step whose sums ``carried`` (None: not carried)
    gave ``sums, counts`` (added over devices by ``total``, inside ``shard_map``).

    The update takes sums afresh from ``labels`` (one scatter of every row) where the fit
    stops (no label ``changed``, a shift ``<= tol_abs``, or the ``last`` step it may take),
    where a cluster is empty (then relocated) and once the carried sums are stale
    (:func:`jaxmeans._core.sums.stale`). Whether it stops is judged from the carried sums'
    means; the update itself, its relocation included, runs once, on the sums taken.

    Returns:
      ``(new_centroids, shift, energy, carried)``.
    """
    total = total or (lambda a: a)
    sums, counts = total((sums, counts))
    if carried is not None:
        shift = moved(centroids, sums, counts, data.metric)[1]
        empty = jnp.any(active & (counts <= 0))
        due = total(stale(data, carried).astype(jnp.int32)) > 0
        afresh = ~changed | (shift <= tol_abs) | last | empty | due

        def fresh():
            taken = fresh_sums(data, labels, centroids.shape[0])
            return *total(carried_sums(taken)), taken

        sums, counts, carried = lax.cond(afresh, fresh, lambda: (sums, counts, carried))
    new, shift, energy = update(centroids, active, sums, counts, relocate, data.metric)
    return new, shift, energy, carried


class Step(NamedTuple):
    """What :func:`lloyd_step` gives."""

    centroids: jax.Array  # the new centroids
    labels: jax.Array  # [n_pad] int32 against the centroids given to the step
    strict: jax.Array  # no real row changed label
    shift: jax.Array  # sum of squared centroid moves
    energy: jax.Array  # inertia of the given centroids, up to sum(w ||x||^2)
    carried: Carried | None  # the sums over `labels` for the next step, when carried


def sums_to_carry(
    data, centroids: jax.Array, carry_sums: bool, tuning: Tuning, batched: bool = False
) -> Carried | None:
    """The carried sums a fit starts from (:func:`lloyd_step`), or None: for a single fit
    (``centroids [k, d]``) whose sums are a scatter, where the plan carries sums
    (:attr:`~jaxmeans._core.types.Plan.carry_sums`). Not for fits side by side
    (``[b, k, d]``, or ``batched``: this fit under our own ``vmap``, where the step's
    ``lax.cond`` would become a select that sums afresh every step) or one-hot updates.
    """
    lanes = batched or centroids.ndim == 3
    if lanes or not carry_sums or tuning.one_hot_update(centroids.shape[-2]):
        return None
    return carried_start(data, centroids.shape[-2])


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


def finish(data, centroids: jax.Array, active: jax.Array, tuning: Tuning, precision=HIGHEST):
    """Labels of the real rows against ``centroids`` and the fit's objective
    (``data.inertia``: exact differences for dense rows).

    Returns:
      ``(labels [size] int32, inertia [])``: labels of the input's rows (padding rows past
      ``data.n`` included, with unspecified labels).
    """
    labels, _ = data.nearest(centroids, active, tuning, precision)
    return labels[: data.size], data.inertia(centroids, labels)


class _LoopState(NamedTuple):
    n_iter: jax.Array
    centroids: jax.Array
    labels: jax.Array
    done: jax.Array
    carried: Carried | None


def lloyd(
    data,
    init: jax.Array,
    *,
    n_active: jax.Array,
    tol_abs: jax.Array,
    max_iter: jax.Array | int,
    tuning: Tuning,
    precision=HIGHEST,
    carry_sums: bool = False,
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
    scikit-learn's ``verbose=1`` does, and how the loop stopped. ``precision`` and
    ``carry_sums`` (static): see :func:`lloyd_step` and :func:`sums_to_carry`.
    ``batched`` (static): the caller runs this under ``vmap`` (see :func:`relocation`).
    ``axis`` (static): the mesh axis the rows are split over, inside ``shard_map`` (see
    :func:`lloyd_step`); the inertia is then summed over devices and the labels are this
    device's.

    Returns:
      A :class:`KMeansResult` in centred coordinates.
    """
    active = jnp.arange(init.shape[0]) < n_active
    base = jnp.sum(data.w * data.x_sq) if verbose else 0.0

    def body(s: _LoopState) -> _LoopState:
        step = lloyd_step(
            data, s.centroids, s.labels, active, tuning=tuning, precision=precision,
            batched=batched, axis=axis, carried=s.carried, tol_abs=tol_abs,
            last=s.n_iter + 1 >= max_iter,
        )  # fmt: skip
        if verbose:
            report(s.n_iter, base + step.energy, step.strict, step.shift, tol_abs, s.done)
        done = step.strict | (step.shift <= tol_abs)
        return _LoopState(s.n_iter + 1, step.centroids, step.labels, done, step.carried)

    no_labels = jnp.full(data.n_pad, -1, jnp.int32)
    carried = sums_to_carry(data, init, carry_sums, tuning, batched)
    start = _LoopState(jnp.int32(0), init, no_labels, jnp.bool_(False), carried)
    end = lax.while_loop(lambda s: (s.n_iter < max_iter) & ~s.done, body, start)
    labels, inertia = finish(data, end.centroids, active, tuning, precision)
    if axis is not None:
        inertia = lax.psum(inertia, axis)
    return KMeansResult(end.centroids, labels, inertia, end.n_iter, end.done)
