"""Internal cluster-quality indices: silhouette, Calinski-Harabasz, Davies-Bouldin.

Pure JAX. Labels are ints in ``[0, n_clusters)`` with ``n_clusters`` static; clusters with
no members are ignored, so a padded ``n_clusters`` (as in the elbow sweep) is harmless.
Only the first ``n`` rows count (``n`` traced, None: all): the rest are padding, so one
program serves every size up to its shapes. The validated public versions live in
:mod:`jaxmeans.metrics`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .distances import HIGHEST, cross_sq_dists, sq_norms

# Entries of the [rows, n] distance block live at once in the silhouette: 4 MiB of float32.
_SILHOUETTE_BLOCK_ENTRIES = 2**20


def silhouette_layout(n: int) -> tuple[int, int]:
    """Static ``(n_blocks, rows)`` for the silhouette's ``[rows, n]`` distance blocks."""
    rows = max(8, min(n, _SILHOUETTE_BLOCK_ENTRIES // n))
    n_blocks = -(-n // rows)
    return n_blocks, -(-n // n_blocks)


def _one_hot(labels: jax.Array, n_clusters: int, dtype) -> jax.Array:
    return (labels[:, None] == jnp.arange(n_clusters)[None, :]).astype(dtype)


def _real_rows(X: jax.Array, labels: jax.Array, n, n_clusters: int):
    """``(Xc, labels, n)``: the first ``n`` rows centred on their mean, padding rows zero
    and labelled ``n_clusters`` (in no cluster)."""
    if n is None:
        return X - jnp.mean(X, axis=0)[None, :], labels, X.shape[0]
    real = jnp.arange(X.shape[0]) < n
    X = jnp.where(real[:, None], X, 0.0)
    Xc = jnp.where(real[:, None], X - (jnp.sum(X, axis=0) / n)[None, :], 0.0)
    return Xc, jnp.where(real, labels, n_clusters), n


def silhouette_core(X: jax.Array, labels: jax.Array, n=None, *, n_clusters: int, tuning=None):
    """Mean silhouette coefficient, Euclidean, as scikit-learn defines it.

    For point i with ``a`` the mean distance to the other members of its cluster and ``b``
    the smallest mean distance to another cluster's members, ``s = (b - a) / max(a, b)``;
    ``s = 0`` for a point alone in its cluster. NaN when fewer than 2 or more than ``n - 1``
    clusters are occupied (undefined there). Memory is O(rows x n), never O(n^2).
    ``tuning`` is unused; it keys the program to its platform.
    """
    return silhouettes(X, labels[None, :], n, n_clusters=n_clusters)[0]


def silhouettes(X: jax.Array, labels: jax.Array, n=None, *, n_clusters: int, tuning=None):
    """:func:`silhouette_core` of each row of ``labels`` ``[m, size]``, sharing the distances.

    The ``[rows, n]`` block of distances, the costly part (a square root per pair), is
    computed once for all ``m`` labelings; one product with their stacked one-hot
    memberships ``[n, m * n_clusters]`` gives every labeling's per-cluster sums.
    """
    m, size = labels.shape
    n_blocks, rows = silhouette_layout(size)
    if n is not None:  # padding rows: in no cluster
        labels = jnp.where(jnp.arange(size)[None, :] < n, labels, n_clusters)
    Xc, _, n = _real_rows(X, labels[0], n, n_clusters)
    x_sq = sq_norms(Xc)
    member = _one_hot(labels.T.reshape(-1), n_clusters, X.dtype).reshape(size, m * n_clusters)
    counts = jnp.sum(member, axis=0).reshape(m, n_clusters)
    pad = n_blocks * rows - size
    Xp = jnp.pad(Xc, ((0, pad), (0, 0))).reshape(n_blocks, rows, -1)
    x_sq_p = jnp.pad(x_sq, (0, pad)).reshape(n_blocks, rows)
    labels_p = jnp.pad(labels.T, ((0, pad), (0, 0))).reshape(n_blocks, rows, m)

    def block(args):
        xb, xb_sq, lb = args
        dist = jnp.sqrt(cross_sq_dists(xb, Xc, xb_sq, x_sq))  # [rows, n]
        sums = jnp.dot(dist, member, precision=lax.Precision.HIGHEST)
        sums = sums.reshape(rows, m, n_clusters)
        own = lb[:, :, None] == jnp.arange(n_clusters)[None, None, :]
        own_count = jnp.sum(jnp.where(own, counts[None], 0.0), axis=2)  # 0 for padding
        a = jnp.sum(jnp.where(own, sums, 0.0), axis=2) / jnp.maximum(own_count - 1, 1)
        others = jnp.where(own | (counts[None] == 0), jnp.inf, sums / counts[None])
        b = jnp.min(others, axis=2)
        s = (b - a) / jnp.maximum(jnp.maximum(a, b), jnp.finfo(X.dtype).tiny)
        return jnp.where(own_count > 1, s, 0.0)  # [rows, m]

    s = lax.map(block, (Xp, x_sq_p, labels_p)).reshape(-1, m)[:size]
    occupied = jnp.sum(counts > 0, axis=1)
    defined = (occupied >= 2) & (occupied <= n - 1)
    return jnp.where(defined, jnp.sum(s, axis=0) / n, jnp.nan)


def _centroids_and_counts(X, labels, n_clusters):
    member = _one_hot(labels, n_clusters, X.dtype)
    counts = jnp.sum(member, axis=0)
    sums = jnp.dot(member.T, X, precision=lax.Precision.HIGHEST)
    return sums / jnp.maximum(counts, 1)[:, None], counts


def calinski_harabasz_core(
    X: jax.Array, labels: jax.Array, n=None, *, n_clusters: int, tuning=None
):
    """Ratio of between- to within-cluster dispersion, each over its degrees of freedom.

    ``[B / (k - 1)] / [W / (n - k)]`` with k the occupied clusters; 1.0 when W is 0 (as
    scikit-learn returns), NaN when k < 2 or k > n - 1.
    """
    Xc, labels, n = _real_rows(X, labels, n, n_clusters)
    centroids, counts = _centroids_and_counts(Xc, labels, n_clusters)
    k = jnp.sum(counts > 0)
    between = jnp.sum(counts * sq_norms(centroids))
    diff = Xc - jnp.dot(_one_hot(labels, n_clusters, X.dtype), centroids, precision=HIGHEST)
    within = jnp.sum(diff * diff)
    score = jnp.where(
        within > 0, between * (n - k) / jnp.where(within > 0, within, 1) / (k - 1), 1.0
    )
    return jnp.where((k >= 2) & (k <= n - 1), score, jnp.nan)


def davies_bouldin_core(X: jax.Array, labels: jax.Array, n=None, *, n_clusters: int, tuning=None):
    """Mean over clusters of the worst ``(s_i + s_j) / ||c_i - c_j||`` (lower is better).

    ``s_i`` is the mean distance of cluster i's points to its centroid. Coinciding centroids
    contribute 0, as in scikit-learn; NaN when fewer than 2 clusters are occupied.
    """
    Xc, labels, _ = _real_rows(X, labels, n, n_clusters)
    centroids, counts = _centroids_and_counts(Xc, labels, n_clusters)
    occupied = counts > 0
    member = _one_hot(labels, n_clusters, X.dtype)
    own = jnp.dot(member, centroids, precision=HIGHEST)  # 0 for padding rows
    distance = jnp.sqrt(jnp.sum((Xc - own) ** 2, axis=1))
    spread = jnp.dot(distance, member, precision=HIGHEST) / jnp.maximum(counts, 1)
    c_sq = sq_norms(centroids)
    sep = jnp.sqrt(cross_sq_dists(centroids, centroids, c_sq, c_sq))
    pair = occupied[:, None] & occupied[None, :] & ~jnp.eye(n_clusters, dtype=bool)
    ratio = jnp.where(
        pair & (sep > 0), (spread[:, None] + spread[None, :]) / jnp.where(sep > 0, sep, 1), 0.0
    )
    worst = jnp.max(ratio, axis=1)
    k = jnp.sum(occupied)
    score = jnp.sum(jnp.where(occupied, worst, 0.0)) / jnp.maximum(k, 1)
    return jnp.where(k >= 2, score, jnp.nan)


def adjusted_rand_index(a: jax.Array, b: jax.Array, *, n_clusters: int) -> jax.Array:
    """Adjusted Rand index of two labelings ``a, b [n]`` in ``[0, n_clusters)``, as
    scikit-learn's ``adjusted_rand_score`` computes it: from the pair confusion matrix of
    the ``[n_clusters, n_clusters]`` contingency table, 1 where the two partitions are the
    same up to renumbering (both one cluster, or both every point alone, included).

    The pair counts are divided by ``n^2`` before their products, so float32 keeps them in
    ``[0, 1]``. Vectorise over several labelings with ``vmap``.
    """
    dtype = jnp.result_type(float)
    table = jnp.matmul(
        _one_hot(a, n_clusters, dtype).T, _one_hot(b, n_clusters, dtype), precision=HIGHEST
    )
    n = jnp.asarray(a.shape[0], dtype)
    same_both = jnp.sum(table * table)
    rows, cols = jnp.sum(table, axis=1), jnp.sum(table, axis=0)
    same_a, same_b = jnp.sum(rows * rows), jnp.sum(cols * cols)
    tp = (same_both - n) / n**2  # ordered pairs together in both
    fp = (same_b - same_both) / n**2  # together in b only
    fn = (same_a - same_both) / n**2  # together in a only
    tn = 1 - fp - fn - same_both / n**2  # apart in both
    ari = 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
    return jnp.where((same_a == same_both) & (same_b == same_both), 1.0, ari).astype(dtype)


def agreements(a: jax.Array, b: jax.Array, *, n_clusters: int, tuning=None) -> jax.Array:
    """``[m]`` adjusted Rand indices of the rows of ``a`` and ``b`` ``[m, n]``. ``tuning``
    is unused; it keys the program to its platform."""
    return jax.vmap(lambda x, y: adjusted_rand_index(x, y, n_clusters=n_clusters))(a, b)


def bootstrap_draws(key: jax.Array, *, n: int, n_boot: int, tuning=None):
    """``(rows [n_boot, n] int32, seeds [n_boot] int32)``: ``n_boot`` resamples of ``n``
    rows drawn with replacement, and a seed for clustering each, from ``key`` folded with 1
    (the stability's stream, apart from the fits' own)."""
    rows_key, seeds_key = jax.random.split(jax.random.fold_in(key, 1))
    rows = jax.random.randint(rows_key, (n_boot, n), 0, n, dtype=jnp.int32)
    seeds = jax.random.randint(seeds_key, (n_boot,), 0, jnp.iinfo(jnp.int32).max, jnp.int32)
    return rows, seeds
