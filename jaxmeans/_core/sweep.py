"""The elbow sweep: k-means for many k in one jitted, vmapped program, and the knee rule.

Pure JAX, dense or sparse rows alike. Every k of a sweep runs on centroids padded to the
static ``k_max`` with the rows past ``k`` masked, so one compiled program serves any ``ks``
of the same length and ``k_max``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from . import events
from .lloyd import finish, lloyd_step, sums_to_carry
from .rows import prepare
from .seeding import default_n_local_trials, kmeans_plusplus_core, random_rows_core
from .sums import Carried
from .tuning import Tuning, dot_precision
from .types import Plan, Problem


def sweep_slots(n_jobs: int) -> int:
    """How many fits run side by side in the sweep's work queue (static).

    Fewer slots waste less on fits that are already done; more slots share each pass over
    the data among more fits. See benchmarks/NOTES.md for the measurements behind it.
    """
    return max(1, min(n_jobs, 8))


def starts(data, init, keys, plan: Plan, tuning: Tuning, axis=None):
    """Centred starting centroids ``[n_init, n_groups, k_max, d]`` for every restart, and
    ``group [k_max + 1] int32``: which of the ``n_groups`` seedings serves each k.

    k-means++ draws ``2 + int(ln k)`` candidates per step, so ks with the same count share a
    seeding (it is prefix-stable in k): one run per distinct count, not one per k, each
    stopping at the largest k it serves (rows past it are zeros, never used).
    Random and array starts are shared by every k outright (one group). The seedings run
    side by side or one after another as the tuning says
    (:attr:`~jaxmeans._core.tuning.Tuning.sequential_seedings`); with ``axis`` (inside
    ``shard_map``) they are drawn over every device's rows, one after another.
    """
    k_max = plan.k
    table = [default_n_local_trials(max(k, 1)) for k in range(k_max + 1)]
    if plan.init_mode == "array":
        return (init - data.mean[None, :])[None, None], jnp.zeros(k_max + 1, jnp.int32)
    one_by_one = axis is not None or tuning.sequential_seedings
    each = (lambda f: lambda xs: lax.map(f, xs)) if one_by_one else jax.vmap
    if plan.init_mode == "random":
        one = lambda key: random_rows_core(key, data, k_max, axis=axis)[0]  # noqa: E731
        return each(one)(keys)[:, None], jnp.zeros(k_max + 1, jnp.int32)
    trials_max = table[-1]
    trials = range(table[1], trials_max + 1)
    counts = jnp.array(trials, jnp.int32)
    # A seeding stops at the largest k it serves (the later rows would go unused).
    needed = jnp.array([max(k for k in range(1, k_max + 1) if table[k] <= t) for t in trials])

    def one(key, trials, centres):
        return kmeans_plusplus_core(
            key, data, k_max, trials_max, n_trials_used=trials, n_centres=centres, axis=axis
        )[0]

    seeded = each(lambda key: each(lambda tc: one(key, *tc))((counts, needed)))(keys)
    return seeded, jnp.array(table, jnp.int32) - table[1]


class _Queue(NamedTuple):
    job: jax.Array  # [slots] job in each slot; n_jobs marks an idle slot
    centroids: jax.Array  # [slots, k_max, d]
    labels: jax.Array  # [slots, n_pad] labels of each slot's previous iteration
    n_iter: jax.Array  # [slots]
    next_job: jax.Array  # []
    out_centroids: jax.Array  # [n_jobs + 1, k_max, d]; the last row takes idle writes
    out_n_iter: jax.Array  # [n_jobs + 1]
    out_converged: jax.Array  # [n_jobs + 1]
    carried: Carried | None  # the one slot's sums (lloyd_step), when carried


def _report(stops, ks, restarts, n_iter, converged):
    """Host callback: the fits that stopped in this round of the queue
    (:func:`jaxmeans._core.events.fit_stopped`)."""
    for stop, k, r, it, ok in zip(stops, ks, restarts, n_iter, converged, strict=True):
        if stop:
            events.fit_stopped(int(k), int(r), int(it), bool(ok))


def sweep_program(
    problem: Problem,
    ks: jax.Array,
    *,
    plan: Plan,
    slots: int,
    tuning: Tuning,
    progress: bool = False,
):
    """k-means for every k in ``ks`` (``[m] int32``, increasing, each ``<= k_max = plan.k``).

    Entry ``i`` repeats ``kmeans(X, ks[i], key=key, ...)``: the same key for every k, so
    seedings are shared and the curve is smooth. With an ``init`` array ``[k_max, d]``,
    entry ``i`` starts from its first ``ks[i]`` rows.

    The ``m * n_init`` fits ("jobs") run through a work queue of ``slots`` vmapped Lloyd
    fits: when a fit stops, its slot takes the next job. Iteration counts vary widely (a
    large k can take 20x the iterations of k=2), and a plain ``vmap`` over all jobs would
    run every lane until the slowest one stops. Jobs start largest k first, so the longest
    fits do not start last. With ``progress`` (static), a line is printed from inside the
    loop as each fit stops.

    Returns:
      ``(inertia [m], centroids [m, k_max, d], labels [m, n], n_iter [m], converged [m])``.
    """
    X, init, key, max_iter = problem.X, problem.init, problem.key, problem.max_iter
    k_max, n_init = plan.k, plan.n_init
    m = ks.shape[0]
    n_jobs = m * n_init
    data = prepare(
        X, problem.w, n=problem.n, k=k_max, tuning=tuning, lanes=slots, metric=plan.metric
    )
    tol_abs = problem.tol * data.variance()
    precision = dot_precision(plan.precision)
    keys = key[None] if n_init == 1 else jax.random.split(key, n_init)
    seeds, group_of = starts(data, init, keys, plan, tuning)

    # Job j fits ks[job_k[j]] from restart job_r[j]; largest k first.
    job_k = m - 1 - jnp.arange(n_jobs) // n_init
    job_r = jnp.arange(n_jobs) % n_init

    def load(job):
        j = jnp.minimum(job, n_jobs - 1)
        k = ks[job_k[j]]
        return seeds[job_r[j], group_of[k]], k

    def active_rows(job):
        k = ks[job_k[jnp.minimum(job, n_jobs - 1)]]
        return jnp.arange(k_max) < k

    first = jnp.arange(slots, dtype=jnp.int32)
    d = data.d
    state = _Queue(
        job=first,
        centroids=jax.vmap(lambda j: load(j)[0])(first),
        labels=jnp.full((slots, data.n_pad), -1, jnp.int32),
        n_iter=jnp.zeros(slots, jnp.int32),
        next_job=jnp.int32(slots),
        out_centroids=jnp.zeros((n_jobs + 1, k_max, d), data.dtype),
        out_n_iter=jnp.zeros(n_jobs + 1, jnp.int32),
        out_converged=jnp.zeros(n_jobs + 1, bool),
        carried=sums_to_carry(data, seeds[0, 0], plan.carry_sums, tuning) if slots == 1 else None,
    )

    def body(q: _Queue) -> _Queue:
        active = jax.vmap(active_rows)(q.job)
        carried = q.carried
        if slots == 1:  # one fit: its step unbatched, its sums carried (see lloyd_step)
            step = lloyd_step(
                data, q.centroids[0], q.labels[0], active[0], tuning=tuning, precision=precision,
                carried=carried, tol_abs=tol_abs, last=q.n_iter[0] + 1 >= max_iter,
            )  # fmt: skip
            new, labels, strict, shift = (a[None] for a in step[:4])
            carried = step.carried
        else:
            new, labels, strict, shift, *_ = lloyd_step(
                data, q.centroids, q.labels, active, tuning=tuning, precision=precision
            )
        n_iter = q.n_iter + 1
        converged = strict | (shift <= tol_abs)
        stops = (converged | (n_iter >= max_iter)) & (q.job < n_jobs)
        if progress:
            j = jnp.minimum(q.job, n_jobs - 1)
            jax.debug.callback(_report, stops, ks[job_k[j]], job_r[j], n_iter, converged)
        slot_out = jnp.where(stops, q.job, n_jobs)
        out = q._replace(
            out_centroids=q.out_centroids.at[slot_out].set(new),
            out_n_iter=q.out_n_iter.at[slot_out].set(n_iter),
            out_converged=q.out_converged.at[slot_out].set(converged),
        )
        rank = jnp.cumsum(stops, dtype=jnp.int32) - 1
        job = jnp.where(stops, jnp.minimum(q.next_job + rank, n_jobs), q.job)
        fresh = jax.vmap(lambda j: load(j)[0])(job)
        return out._replace(
            job=job,
            centroids=jnp.where(stops[:, None, None], fresh, new),
            labels=jnp.where(stops[:, None], -1, labels),
            n_iter=jnp.where(stops, 0, n_iter),
            next_job=q.next_job + jnp.sum(stops, dtype=jnp.int32),
            # A new fit starts from empty sums (and labels -1).
            carried=jax.tree.map(lambda a: jnp.where(stops[0], 0, a), carried),
        )

    q = lax.while_loop(lambda q: jnp.any(q.job < n_jobs), body, state)

    def finish_entry(i):
        # Final labels and exact inertia of entry i's restarts; keep the best (first on ties).
        jobs = (m - 1 - i) * n_init + jnp.arange(n_init)
        labels, inertia = jax.vmap(
            lambda j: finish(data, q.out_centroids[j], active_rows(j), tuning, precision)
        )(jobs)
        b = jnp.argmin(inertia)
        return inertia[b], labels[b], jobs[b]

    inertia, labels, best = lax.map(finish_entry, jnp.arange(m))
    centroids = q.out_centroids[best] + data.mean[None, None, :]
    return inertia, centroids, labels, q.out_n_iter[best], q.out_converged[best]


SWEEP_STATIC = ("plan", "slots", "tuning", "progress")


def knee_index(ks, inertia, min_distance, xp=jnp):
    """Kneedle on a decreasing convex curve: the k farthest below the chord, or 0.

    Both axes are scaled to [0, 1]; the chord then joins (0, 1) to (1, 0) and the distance
    below it is proportional to ``1 - x - y``. The knee is the k with the largest such
    distance, provided it exceeds ``min_distance`` (flat and straight curves have none).
    A curve that does not fall overall (its last value not below its first: flat or
    rising) has no knee, and neither end point is ever one.
    In ``xp``: ``jax.numpy`` inside a program, NumPy on the host.
    """
    ks, inertia = xp.asarray(ks), xp.asarray(inertia)
    x = ks.astype(inertia.dtype)
    span_x = x[-1] - x[0]
    lo, hi = xp.min(inertia), xp.max(inertia)
    span_y = hi - lo
    xn = (x - x[0]) / xp.where(span_x > 0, span_x, 1)
    yn = (inertia - lo) / xp.where(span_y > 0, span_y, 1)
    gap = 1 - xn - yn
    best = xp.argmax(gap)
    falls = inertia[-1] < inertia[0]
    inside = (best > 0) & (best < ks.shape[0] - 1)
    has_knee = falls & inside & (ks.shape[0] >= 3) & (gap[best] > min_distance)
    return xp.asarray(xp.where(has_knee, ks[best], 0)).astype(xp.int32)
