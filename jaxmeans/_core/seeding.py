"""Initial centroids: greedy k-means++, k-means|| and weighted random rows.

k-means++ and random rows are prefix-stable: for one key (and, for k-means++, one
``n_local_trials``), the first ``k`` centroids chosen for ``k_max > k`` are exactly the
``k`` chosen for ``k``. Candidate draws are prefix-stable in the number of trials too, so a
sweep over k can draw the most trials any k needs and mask the extra ones. k-means|| is
not (its rounds draw in proportion to k): it seeds one k at a time."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from .rows import prepare
from .tuning import Tuning


def default_n_local_trials(k: int) -> int:
    """Candidates per step of greedy k-means++, ``2 + floor(ln k)`` as in scikit-learn."""
    return 2 + int(math.log(k))


def _log_weights(w: jax.Array) -> jax.Array:
    # log(0) = -inf: zero-weight rows are never drawn.
    return jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)


def _last_positive(mass: jax.Array) -> jax.Array:
    """Index of the last positive entry along the last axis (0 when there is none)."""
    size = mass.shape[-1]
    return size - 1 - jnp.argmax(jnp.flip(mass > 0, axis=-1), axis=-1)


# Uniforms are drawn in rows of at least this many, of which a step uses the first
# n_local_trials: the elbow sweep draws the most trials any k needs and masks the rest.
_MIN_DRAW_BATCH = 16


def _count_at_most(sorted_values: jax.Array, targets: jax.Array) -> jax.Array:
    """``searchsorted(sorted_values, targets, side="right")`` by counting: one fused
    comparison, cheaper to compile than a binary search and fast for the short rows here."""
    return jnp.sum(sorted_values[None, :] <= targets[:, None], axis=1, dtype=jnp.int32)


def _draw_proportional(u: jax.Array, mass: jax.Array, block: int) -> jax.Array:
    """Indices drawn with replacement with probability proportional to ``mass``, one per
    uniform in ``u`` (values in [0, 1)).

    Two-level inverse-CDF sampling: pick a block of ``block`` entries by the cumulative sum
    of block totals, then an entry inside it by its own cumulative sum. Exact, and far
    cheaper on XLA:CPU than one cumulative sum over all entries (measured 0.3 ms against
    6 ms for 9 x 100,000 entries). Rounding never selects a zero-mass entry while any mass
    remains. ``mass.shape[0]`` must be a multiple of ``block``.
    """
    n_blocks = mass.shape[0] // block
    grid = mass.reshape(n_blocks, block)
    block_mass = jnp.sum(grid, axis=1)
    cdf = jnp.cumsum(block_mass)
    target = u * cdf[-1]
    b = jnp.minimum(_count_at_most(cdf, target), _last_positive(block_mass))
    inside = target - (cdf[b] - block_mass[b])
    rows = grid[b]  # [n_draws, block]
    j = jax.vmap(lambda c, v: _count_at_most(c, v[None])[0])(jnp.cumsum(rows, axis=1), inside)
    return (b * block + jnp.minimum(j, _last_positive(rows))).astype(jnp.int32)


def draw_block(n: int) -> int:
    """Rows per block of :func:`_draw_proportional` over ``n`` entries: the largest divisor
    of ``n`` up to ``sqrt(n)``, so that both cumulative sums (over the blocks, then inside
    one) are short; XLA:CPU's cumulative sum costs far more than linear in its length. On
    2 cores one draw step took 18 us with iris' 192 rows as one block against 2.6 with
    blocks of 16, and 333 us with 8,192 rows in blocks of 2,048 against 83 with 64
    (benchmarks/NOTES.md, "Small and many"). ``n`` itself when it has no divisor of at
    least 8 there."""
    for b in range(math.isqrt(n), 7, -1):
        if n % b == 0:
            return b
    return n


def _pick_shard(u: jax.Array, mass: jax.Array, axis):
    """For a data-parallel draw: which device owns each draw of ``u`` (by the devices' total
    masses, in device order), and each draw's uniform rescaled to that device's own mass
    (meaningful on the owner only). Returns ``(mine [draws] bool, local_u [draws])``."""
    shard_mass = lax.all_gather(jnp.sum(mass), axis)  # [devices]
    cdf = jnp.cumsum(shard_mass)
    target = u * cdf[-1]
    owner = jnp.minimum(_count_at_most(cdf, target), _last_positive(shard_mass))
    inside = target - (cdf[owner] - shard_mass[owner])
    mine = owner == lax.axis_index(axis)
    local_u = jnp.where(mine, inside / jnp.where(mine, shard_mass[owner], 1.0), 0.0)
    return mine, jnp.clip(local_u, 0.0, 1.0)


def kmeans_plusplus_core(
    key: jax.Array,
    data,
    k: int,
    n_local_trials: int,
    *,
    n_trials_used: jax.Array | None = None,
    n_centres: jax.Array | None = None,
    axis=None,
) -> tuple[jax.Array, jax.Array]:
    """Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's greedy variant).

    The first centre is a row drawn with probability proportional to its weight. Each next
    centre is the best, by resulting weighted potential, of ``n_local_trials`` rows drawn
    with probability proportional to ``w * D(x)^2``.

    Args:
      key: PRNG key.
      data: the rows, dense or sparse (:func:`jaxmeans._core.rows.prepare`): their
        weights ``data.w`` (zero-weight rows, padding among them, are never chosen), the
        candidates' rows (``data.rows_at``) and their distances to every row
        (``data.dists_to``).
      k: static number of centres.
      n_local_trials: static candidates drawn per step.
      n_trials_used: optional traced count ``<= n_local_trials`` of those candidates to
        consider; the result equals a run with ``n_local_trials=n_trials_used``.
      n_centres: optional traced count ``<= k`` of centres to choose; the rest of the
        ``k`` rows are zeros. The chosen ones equal a run with ``k=n_centres``.
      axis: inside ``shard_map``, the mesh axis the rows are split over: each draw is made
        over every row of every device (the owning device by the devices' total masses,
        then a row inside it), the candidates are broadcast, potentials summed over
        devices. Same distribution, not the same rows, as on one device.

    Returns:
      ``(centroids [k, d], indices [k] int32)``; with ``axis`` the indices are rows of the
      device that drew them.
    """
    d, n, w = data.d, data.n_pad, data.w
    block = draw_block(n)  # the draws pick a block of rows, then a row in it
    total = (lambda v: v) if axis is None else (lambda v: lax.psum(v, axis))
    # All uniforms up front, a row per step, so the loop body holds no random number
    # generator (each one costs XLA:CPU ~0.1 s to compile). Row i depends only on (key, i),
    # and a row has at least _MIN_DRAW_BATCH entries whatever n_local_trials is: the first
    # j centres and the first t draws of a step do not depend on k or n_local_trials.
    n_draws = max(n_local_trials, _MIN_DRAW_BATCH)
    # Drawn in float32 whatever the data's dtype, so float32 and float64 copies of the same
    # data get the same draws.
    row = lambda i: jax.random.uniform(jax.random.fold_in(key, i), (n_draws,), jnp.float32)  # noqa: E731
    u = jax.vmap(row)(jnp.arange(k))[:, :n_local_trials].astype(data.dtype)
    trial = jnp.arange(n_local_trials)
    n_trials = n_local_trials if n_trials_used is None else n_trials_used

    def candidates(u_step, mass):  # ([t, d] rows, [t] their indices)
        if axis is None:
            idx = _draw_proportional(u_step, mass, block)
            return data.rows_at(idx), idx
        mine, local_u = _pick_shard(u_step, mass, axis)
        idx = _draw_proportional(local_u, mass, n)
        return lax.psum(jnp.where(mine[:, None], data.rows_at(idx), 0.0), axis), idx

    def step(i, carry):
        centres, indices, closest = carry
        # Step 0 draws the first centre by weight alone (one candidate); later steps draw
        # by weight times squared distance to the nearest centre so far. With fewer
        # distinct points than k every point is a centre already: draw by weight again.
        mass = jnp.where(i == 0, w, w * closest)
        mass = jnp.where(total(jnp.sum(mass)) > 0, mass, w)
        C, cand = candidates(u[i], mass)
        dist = data.dists_to(C)
        candidate_closest = jnp.minimum(closest[None, :], dist)  # [trials, n]
        potential = total(jnp.sum(w[None, :] * candidate_closest, axis=1))
        usable = jnp.where(i == 0, trial == 0, trial < n_trials)
        best = jnp.argmin(jnp.where(usable, potential, jnp.inf))
        return (
            centres.at[i].set(C[best]),
            indices.at[i].set(cand[best]),
            candidate_closest[best],
        )

    start = (
        jnp.zeros((k, d), data.dtype),
        jnp.zeros((k,), jnp.int32),
        jnp.full((n,), jnp.inf, data.dtype),
    )
    centres, indices, _ = lax.fori_loop(0, k if n_centres is None else n_centres, step, start)
    return centres, indices


# k-means|| (Bahmani et al. 2012) as Spark runs it: two rounds, each drawing twice as many
# candidates as clusters (benchmarks/NOTES.md, "Large k": the rounds and the factor).
PARALLEL_ROUNDS = 2
PARALLEL_OVERSAMPLING = 2


# Candidates per pass of k-means||: the search for the nearest of them compiles in time
# that grows with their number (2 s for 1,024, 7.6 s for 4,096, its chunks unrolled);
# passes of 4,096 ran 10-15% faster than of 1,024 (benchmarks/NOTES.md, "Large k").
_MAX_GROUP = 4096


def _group_size(k: int) -> int:
    """Candidates per pass: ``k`` halved while above :data:`_MAX_GROUP` (and even)."""
    size = k
    while size > _MAX_GROUP and size % 2 == 0:
        size //= 2
    return size


def kmeans_parallel_core(
    key: jax.Array,
    data,
    k: int,
    *,
    tuning: Tuning,
    n_centres: jax.Array | None = None,
    n_trials_used: jax.Array | None = None,
    rounds: int = PARALLEL_ROUNDS,
    oversampling: int = PARALLEL_OVERSAMPLING,
    axis=None,
) -> tuple[jax.Array, jax.Array]:
    """k-means|| (scalable k-means++, Bahmani, Moseley, Vattani, Kumar & Vassilvitskii,
    2012): a few rounds of many candidates, then greedy k-means++ on the candidates.

    The first candidate is a row drawn by weight. Each of ``rounds`` rounds draws
    ``oversampling * k`` rows with replacement, with probability proportional to
    ``w * D(x)^2`` (the squared distance to the nearest candidate so far): a fixed number
    per round, so that the shapes are static, where the paper samples each row
    independently with ``oversampling * k`` rows expected. A pass over the rows per group
    of new candidates (``k``, halved down to at most 4,096) updates each row's nearest
    candidate (the pass of a Lloyd step, compiled once: a scan over the rounds and
    groups); each candidate
    is then weighted by the rows (their weights) nearest to it, and greedy k-means++
    (:func:`kmeans_plusplus_core`) picks the ``k`` centres among the weighted candidates.
    The passes do the work of ``rounds * oversampling`` Lloyd steps, where greedy
    k-means++ makes ``k`` passes one after another.

    Args:
      key: PRNG key.
      data: dense or sparse rows (:func:`jaxmeans._core.rows.prepare`).
      k: static number of centres.
      tuning: the platform's tuning (the passes' row blocks).
      n_centres, n_trials_used: optional traced count ``<= k`` of centres to pick (the
        rest of the ``k`` rows are zeros) and the k-means++ candidates per step for it, as
        for :func:`kmeans_plusplus_core`; the rounds draw for ``k``.
      rounds, oversampling: static ints; see above.
      axis: inside ``shard_map``, the mesh axis the rows are split over: each draw picks a
        device by the devices' total masses, then a row in it; the candidates are
        broadcast, their weights summed over devices, and every device picks the same
        centres.

    Returns:
      ``(centroids [k, d], indices [k] int32)``: the indices are the chosen rows of
      ``data`` (with ``axis``, of the device that drew them; -1 where another did).
    """
    n, w = data.n_pad, data.w
    block = draw_block(n)
    per_round = oversampling * k
    group_size = _group_size(k)
    groups = per_round // group_size
    total = (lambda v: v) if axis is None else (lambda v: lax.psum(v, axis))
    draw_key, pick_key = jax.random.split(key)

    def draw(i, mass, m):  # ([m, d] rows, [m] their indices, -1 where another device drew)
        # Uniforms in float32 whatever the data's dtype, as k-means++ draws them.
        u = jax.random.uniform(jax.random.fold_in(draw_key, i), (m,), jnp.float32)
        u = u.astype(data.dtype)
        if axis is None:
            idx = _draw_proportional(u, mass, block)
            return data.rows_at(idx), idx
        mine, local_u = _pick_shard(u, mass, axis)
        idx = _draw_proportional(local_u, mass, block)
        rows = lax.psum(jnp.where(mine[:, None], data.rows_at(idx), 0.0), axis)
        return rows, jnp.where(mine, idx, -1)

    first_row, first = draw(0, w, 1)
    closest = data.dists_to(first_row)[0]  # [n] squared distance to the nearest candidate
    owner = jnp.zeros(n, jnp.int32)  # and which candidate that is
    active = jnp.ones(group_size, bool)

    def group(carry, args):  # a group of new candidates against every row
        closest, owner = carry
        C, offset = args
        labels, partial = data.nearest(C, active, tuning)
        dist = jnp.maximum(partial + data.x_sq, 0.0)
        nearer = dist < closest
        return (jnp.where(nearer, dist, closest), jnp.where(nearer, offset + labels, owner)), None

    def one_round(carry, r):
        closest, owner = carry
        mass = w * closest
        mass = jnp.where(total(jnp.sum(mass)) > 0, mass, w)  # every row a candidate already
        C, idx = draw(r + 1, mass, per_round)
        offsets = 1 + r * per_round + group_size * jnp.arange(groups)
        carry, _ = lax.scan(group, (closest, owner), (C.reshape(groups, group_size, -1), offsets))
        return carry, (C, idx)

    (_, owner), (drawn, drawn_idx) = lax.scan(one_round, (closest, owner), jnp.arange(rounds))
    candidates = jnp.concatenate([first_row, drawn.reshape(rounds * per_round, -1)])
    indices = jnp.concatenate([first, drawn_idx.reshape(-1)])
    size = 1 + rounds * per_round
    weights = total(jax.ops.segment_sum(w, owner, num_segments=size))
    # The candidates are dense rows, whatever the data's kind.
    picked = prepare(candidates, weights, k=k, tuning=tuning, metric=data.metric)
    trials = default_n_local_trials(k)
    some = dict(n_centres=n_centres, n_trials_used=n_trials_used)
    _, chosen = kmeans_plusplus_core(pick_key, picked, k, trials, **some)
    return candidates[chosen], indices[chosen]


def random_rows_core(key: jax.Array, data, k: int, *, axis=None):
    """``k`` distinct rows of ``data`` (dense or sparse) drawn without replacement with
    probability proportional to their weights.

    Gumbel top-k: the ``k`` largest of ``log w + Gumbel noise``, sorted, so a longer draw
    starts with a shorter one. With ``axis`` (inside ``shard_map``), each device scores its
    own rows and the best ``k`` of all devices' best ``k`` are taken.

    Returns:
      ``(centroids [k, d], indices [k] int32)``; with ``axis`` the indices are rows of the
      device that holds them.
    """
    w = data.w
    if axis is None:
        noise = jax.random.gumbel(key, (data.n_pad,), jnp.float32).astype(data.dtype)
        _, indices = lax.top_k(_log_weights(w) + noise, k)
        indices = indices.astype(jnp.int32)
        return data.rows_at(indices), indices
    noise = jax.random.gumbel(jax.random.fold_in(key, lax.axis_index(axis)), w.shape, jnp.float32)
    score, top = lax.top_k(_log_weights(w) + noise.astype(data.dtype), min(k, w.shape[0]))
    gather = lambda a: lax.all_gather(a, axis).reshape(-1, *a.shape[1:])  # noqa: E731
    _, best = lax.top_k(gather(score), k)
    return gather(data.rows_at(top))[best], gather(top.astype(jnp.int32))[best]


def kmeans_plusplus_program(key, X, w, n, *, k: int, n_local_trials: int, tuning: Tuning):
    """:func:`kmeans_plusplus_core` on the rows ``X`` of a program (``[size, d]``, or
    sparse rows; the first ``n`` real, None: all; the rest zero-weight padding), prepared
    here. ``k``,
    ``n_local_trials`` and ``tuning`` are static.

    Returns:
      ``[k] int32`` indices of the chosen rows (the caller takes the rows themselves from
      its own array, exactly as they are).
    """
    data = prepare(X, w, k=k, tuning=tuning, n=n)
    return kmeans_plusplus_core(key, data, k, n_local_trials)[1]


SEEDING_STATIC = ("k", "n_local_trials", "tuning")


def kmeans_parallel_program(key, X, w, n, *, k: int, tuning: Tuning):
    """:func:`kmeans_parallel_core` on the rows of a program, as
    :func:`kmeans_plusplus_program` runs k-means++: ``[k] int32`` indices of the chosen
    rows. ``k`` and ``tuning`` are static."""
    data = prepare(X, w, k=k, tuning=tuning, n=n)
    return kmeans_parallel_core(key, data, k, tuning=tuning)[1]


PARALLEL_SEEDING_STATIC = ("k", "tuning")
