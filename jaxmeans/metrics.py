"""Cluster-quality scores, jitted, with scikit-learn's definitions.

Each takes ``X [n, d]`` and integer ``labels [n]``. With concrete labels any integers work
(they are renumbered); under ``jit``/``vmap`` pass ``n_clusters`` and labels in
``[0, n_clusters)``, and an undefined score comes back as NaN instead of an error.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _validation as v
from ._cluster_scores import calinski_harabasz_core, davies_bouldin_core, silhouette_core

__all__ = ["calinski_harabasz_score", "davies_bouldin_score", "silhouette_score"]


def _prepare(X, labels, n_clusters, name: str):
    X = v.check_data(X)
    n = X.shape[0]
    if v.is_concrete(labels):
        lab = np.asarray(labels)
        if lab.shape != (n,):
            raise ValueError(f"labels must have shape ({n},) to match X, got {lab.shape}")
        if lab.dtype.kind not in "iub":
            raise TypeError(f"labels must be integers, got dtype {lab.dtype}")
        _, lab = np.unique(lab, return_inverse=True)
        occupied = int(lab.max()) + 1
        if not 2 <= occupied <= n - 1:
            raise ValueError(
                f"{name} needs 2 <= number of clusters <= n_samples - 1 "
                f"(= {n - 1}), got {occupied} clusters"
            )
        return X, jnp.asarray(lab, jnp.int32), occupied
    if n_clusters is None:
        raise TypeError("n_clusters is required when labels are traced (under jit or vmap)")
    lab = jnp.asarray(labels)
    if lab.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match X, got {tuple(lab.shape)}")
    return X, lab.astype(jnp.int32), v.check_int(n_clusters, "n_clusters")


def silhouette_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Mean silhouette coefficient over all points (Euclidean), in ``[-1, 1]``.

    For each point, ``a`` is its mean distance to the rest of its cluster and ``b`` the
    smallest mean distance to the points of another cluster; its coefficient is
    ``(b - a) / max(a, b)``, or 0 when it is alone in its cluster. Computed in row blocks:
    memory O(block x n), work O(n^2 d).

    Args:
      X: ``[n, d]`` data.
      labels: ``[n]`` integer cluster labels.
      n_clusters: static upper bound on the labels; required only when labels are traced.

    Returns:
      ``[]`` float score.

    Raises:
      ValueError: fewer than 2 or more than ``n - 1`` clusters (concrete labels).

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [1.0], [10.0], [11.0]]
      >>> round(float(jaxmeans.metrics.silhouette_score(X, [0, 0, 1, 1])), 4)
      0.8997
    """
    X, labels, k = _prepare(X, labels, n_clusters, "silhouette_score")
    return silhouette_core(X, labels, k)


def calinski_harabasz_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Calinski-Harabasz index: between- over within-cluster dispersion (higher is better).

    ``[B / (k - 1)] / [W / (n - k)]`` where ``B`` sums ``n_j ||c_j - mean||^2`` over
    clusters and ``W`` the squared distances of points to their cluster mean.

    Args:
      X: ``[n, d]`` data.
      labels: ``[n]`` integer cluster labels.
      n_clusters: static upper bound on the labels; required only when labels are traced.

    Returns:
      ``[]`` float score.

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [2.0], [10.0], [12.0]]
      >>> float(jaxmeans.metrics.calinski_harabasz_score(X, [0, 0, 1, 1]))
      50.0
    """
    X, labels, k = _prepare(X, labels, n_clusters, "calinski_harabasz_score")
    return calinski_harabasz_core(X, labels, k)


def davies_bouldin_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Davies-Bouldin index: mean worst-case cluster similarity (lower is better, >= 0).

    For clusters i and j with mean point-to-centroid distances ``s_i, s_j`` and centroid
    distance ``M_ij``, the similarity is ``(s_i + s_j) / M_ij``; the index averages each
    cluster's largest similarity.

    Args:
      X: ``[n, d]`` data.
      labels: ``[n]`` integer cluster labels.
      n_clusters: static upper bound on the labels; required only when labels are traced.

    Returns:
      ``[]`` float score.

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [2.0], [10.0], [12.0]]
      >>> round(float(jaxmeans.metrics.davies_bouldin_score(X, [0, 0, 1, 1])), 6)
      0.2
    """
    X, labels, k = _prepare(X, labels, n_clusters, "davies_bouldin_score")
    return davies_bouldin_core(X, labels, k)
