"""Lloyd's algorithm with Hamerly's distance bounds: the same iterations, fewer distances.

Pure JAX. Every point carries an upper bound ``u`` on its distance to its own centre and a
lower bound ``l`` on its distance to every other centre. After an update moves centre ``j``
by ``delta[j]``, ``u += delta[own]`` and ``l -= max(delta[other])`` keep them valid (triangle
inequality). A point whose own centre is provably still the nearest (``u <= l``, or ``u``
within half the gap to the nearest other centre) keeps its label without a distance row; the
others are gathered into row blocks and get the full ``[k, rows]`` GEMM. On well-clustered
data most points stop needing it after a few iterations, so each iteration costs a fraction
of a full pass, while the labels, centres and stopping test stay Lloyd's.

Rounding: the GEMM distances are ``||c||^2 - 2 c.x + ||x||^2`` in floating point, off by up
to a few ulps of ``||x||^2 + ||c||^2``. Every bound is widened by a margin of that size, so a
point is skipped only when the full computation could not have picked another centre; near
ties are always recomputed.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .dense import Data
from .distances import HIGHEST, sq_norms
from .lloyd import report, update_carried
from .sums import Carried, carried_start, step_sums
from .types import KMeansResult
from .update import relocation

# Above this many centroids the [k, k] centre distances are not formed and only the lower
# bounds settle rows (still valid, just fewer settled), to keep memory O(n + k).
_GAPS_MAX_K = 4096

# Slack, in ulps of ``||x||^2 + max ||c||^2``, added to squared distances before bounding.
_ULPS = 16.0


class _State(NamedTuple):
    n_iter: jax.Array
    centroids: jax.Array  # [k, d]
    labels: jax.Array  # [n_pad] int32, nearest of the previous centroids
    upper: jax.Array  # [n_pad] >= distance to centroids[labels]
    lower: jax.Array  # [n_pad] <= distance to every other centroid
    done: jax.Array
    carried: Carried | None  # the sums over `labels`, when carried


def _half_gaps(centroids, active, slack):
    """Half the distance from each centroid to its nearest other active centroid, shrunk
    by the rounding slack (a lower bound)."""
    k = centroids.shape[0]
    if k > _GAPS_MAX_K:
        return jnp.zeros(k, centroids.dtype)
    c_sq = sq_norms(centroids)
    cc = c_sq[:, None] + c_sq[None, :] - 2.0 * jnp.dot(centroids, centroids.T, precision=HIGHEST)
    other = active[None, :] & ~jnp.eye(k, dtype=bool)
    cc = jnp.where(other, cc, jnp.inf)
    return 0.5 * jnp.sqrt(jnp.maximum(jnp.min(cc, axis=1) - 2.0 * slack, 0.0))


def _assign(data: Data, centroids, active, labels, upper, lower, first, precision=HIGHEST):
    """Nearest active centroid for every row, recomputing only rows the bounds cannot settle.

    Returns ``(labels, upper, lower)`` valid for ``centroids``.
    """
    k = centroids.shape[0]
    n_pad = data.X.shape[0]
    rows = data.blocks.shape[2]
    eps = jnp.finfo(data.X.dtype).eps
    c_sq = jnp.where(active, sq_norms(centroids), jnp.inf)
    c_max = jnp.max(jnp.where(active, c_sq, 0.0))
    slack = _ULPS * eps * (data.x_sq + c_max)  # [n_pad]

    # A row keeps its label when its own centre is provably nearest. (Hamerly also tightens
    # the upper bound to the exact distance first; the [n, d] gather that takes costs a
    # third of a full pass on XLA:CPU and settled few more rows here: not done.)
    settle = jnp.maximum(lower, _half_gaps(centroids, active, _ULPS * eps * 2.0 * c_max)[labels])
    real = jnp.arange(n_pad) < data.n
    need = real & (first | (upper > settle))

    count = jnp.sum(need, dtype=jnp.int32)
    (order,) = jnp.nonzero(need, size=n_pad, fill_value=n_pad)
    index = lax.broadcasted_iota(jnp.int32, (k, rows), 0)

    def block(b, state):
        labels, upper, lower = state
        ib = lax.dynamic_slice(order, (b * rows,), (rows,))
        xb = data.X.at[ib].get(mode="fill", fill_value=0)
        xs = data.x_sq.at[ib].get(mode="fill", fill_value=0)
        sl = slack.at[ib].get(mode="fill", fill_value=0)
        dist = c_sq[:, None] - 2.0 * jnp.dot(centroids, xb.T, precision=precision)
        best = jnp.min(dist, axis=0)
        lab = jnp.minimum(jnp.min(jnp.where(dist == best[None, :], index, k), axis=0), k - 1)
        second = jnp.min(jnp.where(index == lab[None, :], jnp.inf, dist), axis=0)
        up = jnp.sqrt(jnp.maximum(best + xs + sl, 0.0))
        lo = jnp.sqrt(jnp.maximum(second + xs - sl, 0.0))
        return (
            labels.at[ib].set(lab, mode="drop"),
            upper.at[ib].set(up, mode="drop"),
            lower.at[ib].set(lo, mode="drop"),
        )

    n_blocks = (count + rows - 1) // rows
    return lax.fori_loop(0, n_blocks, block, (labels, upper, lower))


def _loosen(upper, lower, labels, shift_dist):
    """Keep the bounds valid after the centres moved by ``shift_dist`` ``[k]``."""
    top, arg = lax.top_k(shift_dist, 2)
    other_max = jnp.where(labels == arg[0], top[1], top[0])
    return upper + shift_dist[labels], lower - other_max


def lloyd_bounded(
    data: Data,
    init: jax.Array,
    *,
    n_active: jax.Array,
    tol_abs: jax.Array,
    max_iter: int,
    verbose: bool = False,
    precision=HIGHEST,
    carry_sums: bool = False,
) -> KMeansResult:
    """:func:`jaxmeans._core.lloyd.lloyd` with Hamerly's bounds: same arguments (but a
    single, unbatched fit of dense rows on one device), same iterations, same result up to
    rounding in exact ties. ``carry_sums``: the per-cluster sums are carried between
    iterations, as :func:`jaxmeans._core.lloyd.lloyd_step` carries them (else a fresh sum
    of every row each step). Needs ``k >= 2`` centroid rows and a scatter update
    (:meth:`jaxmeans._core.tuning.Tuning.bounded`)."""
    k = init.shape[0]
    active = jnp.arange(k) < n_active
    real = jnp.arange(data.X.shape[0]) < data.n
    base = jnp.sum(data.w * data.x_sq) if verbose else 0.0

    def body(s: _State) -> _State:
        first = s.n_iter == 0
        labels, upper, lower = _assign(
            data, s.centroids, active, s.labels, s.upper, s.lower, first, precision
        )
        strict = ~first & ~jnp.any((labels != s.labels) & real)
        sums, counts, carried = step_sums(
            data, labels, jnp.where(first, -1, s.labels), s.carried, k
        )
        relocate = relocation(data, s.centroids, labels, active, lanes=False, batched=False)
        new, shift, energy, carried = update_carried(
            data, s.centroids, active, labels, ~strict, sums, counts, carried, relocate, tol_abs,
            s.n_iter + 1 >= max_iter,
        )  # fmt: skip
        moved = jnp.sqrt(sq_norms(new - s.centroids))
        if verbose:
            report(s.n_iter, base + energy, strict, shift, tol_abs)
        upper, lower = _loosen(upper, lower, labels, moved)
        done = strict | (shift <= tol_abs)
        return _State(s.n_iter + 1, new, labels, upper, lower, done, carried)

    n_pad = data.X.shape[0]
    start = _State(
        jnp.int32(0),
        init,
        jnp.zeros(n_pad, jnp.int32),
        jnp.full(n_pad, jnp.inf, data.X.dtype),
        jnp.zeros(n_pad, data.X.dtype),
        jnp.bool_(False),
        carried_start(data, k) if carry_sums else None,
    )
    end = lax.while_loop(lambda s: (s.n_iter < max_iter) & ~s.done, body, start)
    labels, _, _ = _assign(
        data, end.centroids, active, end.labels, end.upper, end.lower, end.n_iter == 0,
        precision,
    )  # fmt: skip
    return KMeansResult(
        end.centroids,
        labels[: data.size],
        data.inertia(end.centroids, labels),
        end.n_iter,
        end.done,
    )
