"""Initial centroids: greedy k-means++ and weighted random rows.

Both are prefix-stable: for one key (and, for k-means++, one ``n_local_trials``), the first
``k`` centroids chosen for ``k_max > k`` are exactly the ``k`` chosen for ``k``. Candidate
draws are prefix-stable in the number of trials too, so a sweep over k can draw the most
trials any k needs and mask the extra ones.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ._distances import cross_sq_dists


def default_n_local_trials(k: int) -> int:
    """Candidates per step of greedy k-means++, ``2 + floor(ln k)`` as in scikit-learn."""
    return 2 + int(math.log(k))


def _log_weights(w: jax.Array) -> jax.Array:
    # log(0) = -inf: zero-weight rows are never drawn.
    return jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)


def _draw_proportional(key: jax.Array, mass: jax.Array, n_draws: int) -> jax.Array:
    """``n_draws`` indices drawn with replacement with probability proportional to ``mass``.

    Inverse-CDF sampling: one cumulative sum and a binary search per draw. ``side="right"``
    never lands on a zero-mass row while any mass remains.
    """
    cdf = jnp.cumsum(mass)
    # One key per draw, so the first j draws do not depend on n_draws.
    draw_keys = jax.vmap(lambda t: jax.random.fold_in(key, t))(jnp.arange(n_draws))
    u = jax.vmap(lambda kk: jax.random.uniform(kk, (), dtype=mass.dtype))(draw_keys) * cdf[-1]
    idx = jnp.searchsorted(cdf, u, side="right").astype(jnp.int32)
    return jnp.minimum(idx, mass.shape[0] - 1)


def kmeans_plusplus_core(
    key: jax.Array,
    X: jax.Array,
    x_sq: jax.Array,
    w: jax.Array,
    k: int,
    n_local_trials: int,
) -> tuple[jax.Array, jax.Array]:
    """Greedy k-means++ (Arthur & Vassilvitskii; scikit-learn's greedy variant).

    The first centre is a row drawn with probability proportional to its weight. Each next
    centre is the best, by resulting weighted potential, of ``n_local_trials`` rows drawn
    with probability proportional to ``w * D(x)^2``.

    Args:
      key: PRNG key.
      X: ``[n, d]`` points (already centred).
      x_sq: ``[n]`` squared norms of ``X``.
      w: ``[n]`` non-negative weights.
      k: static number of centres.
      n_local_trials: static candidates per step.

    Returns:
      ``(centroids [k, d], indices [k] int32)``.
    """
    n, d = X.shape
    key_first, key_steps = jax.random.split(key)
    # Gumbel-max rather than a CDF: with sample_weight=None the weights are a constant under
    # an outer jit, and XLA may spend seconds constant-folding a cumsum of a constant.
    first = jnp.argmax(_log_weights(w) + jax.random.gumbel(key_first, (n,), X.dtype))
    first = first.astype(jnp.int32)
    closest = cross_sq_dists(X, X[first][None, :], x_sq, x_sq[first][None])[:, 0]
    centroids = jnp.zeros((k, d), X.dtype).at[0].set(X[first])
    indices = jnp.zeros((k,), jnp.int32).at[0].set(first)

    def step(i, carry):
        centroids, indices, closest = carry
        cand = _draw_proportional(jax.random.fold_in(key_steps, i), w * closest, n_local_trials)
        dist = cross_sq_dists(X, X[cand], x_sq, x_sq[cand])  # [n, trials]
        candidate_closest = jnp.minimum(closest[:, None], dist)
        potential = jnp.sum(w[:, None] * candidate_closest, axis=0)
        best = jnp.argmin(potential)
        chosen = cand[best]
        return (
            centroids.at[i].set(X[chosen]),
            indices.at[i].set(chosen),
            candidate_closest[:, best],
        )

    centroids, indices, _ = lax.fori_loop(1, k, step, (centroids, indices, closest))
    return centroids, indices


def random_rows_core(key: jax.Array, X: jax.Array, w: jax.Array, k: int):
    """``k`` distinct rows drawn without replacement with probability proportional to ``w``.

    Gumbel top-k: the ``k`` largest of ``log w + Gumbel noise``, sorted, so a longer draw
    starts with a shorter one.

    Returns:
      ``(centroids [k, d], indices [k] int32)``.
    """
    noise = jax.random.gumbel(key, (X.shape[0],), X.dtype)
    _, indices = lax.top_k(_log_weights(w) + noise, k)
    indices = indices.astype(jnp.int32)
    return X[indices], indices
