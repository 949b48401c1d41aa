"""Cluster-quality scores and label comparison, with scikit-learn's definitions.

The scores (silhouette, Calinski-Harabasz, Davies-Bouldin) are jitted and take ``X [n, d]``
and integer ``labels [n]``. With concrete labels any integers work (they are renumbered);
under ``jit``/``vmap`` pass ``n_clusters`` and labels in ``[0, n_clusters)``, and an
undefined score comes back as NaN instead of an error.

``confusion_matrix`` and ``match_labels`` compare a clustering with known classes; they
work on small concrete label vectors in NumPy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._runtime import evaluate, inputs
from ._runtime import validation as v

__all__ = [
    "calinski_harabasz_score",
    "confusion_matrix",
    "davies_bouldin_score",
    "match_labels",
    "silhouette_score",
]


_ARGS = """Args:
      X: ``[n, d]`` data.
      labels: ``[n]`` integer cluster labels.
      n_clusters: static upper bound on the labels; required only when labels are traced.

    Returns:
      ``[]`` float score."""


def _score_doc(fun):
    """Put the scores' shared Args and Returns sections into ``fun``'s docstring."""
    fun.__doc__ = fun.__doc__.replace("{args}", _ARGS)
    return fun


def _prepare(X, labels, n_clusters, name: str):
    # Sparse rows are made dense: every score compares rows with centres or with each
    # other, which the dense programs do.
    X = inputs.check_sparse(X).toarray() if inputs.is_sparse(X) else v.check_data(X)
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
        return X, lab.astype(np.int32), occupied
    if n_clusters is None:
        raise TypeError("n_clusters is required when labels are traced (under jit or vmap)")
    lab = jnp.asarray(labels)
    if lab.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match X, got {tuple(lab.shape)}")
    return X, lab.astype(jnp.int32), v.check_int(n_clusters, "n_clusters")


@_score_doc
def silhouette_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Mean silhouette coefficient over all points (Euclidean), in ``[-1, 1]``.

    For each point, ``a`` is its mean distance to the rest of its cluster and ``b`` the
    smallest mean distance to the points of another cluster; its coefficient is
    ``(b - a) / max(a, b)``, or 0 when it is alone in its cluster. Computed in row blocks:
    memory O(block x n), work O(n^2 d).

    {args}

    Raises:
      ValueError: fewer than 2 or more than ``n - 1`` clusters (concrete labels).

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [1.0], [10.0], [11.0]]
      >>> round(float(jaxmeans.metrics.silhouette_score(X, [0, 0, 1, 1])), 4)
      0.8997
    """
    X, labels, k = _prepare(X, labels, n_clusters, "silhouette_score")
    return evaluate.score("silhouette_score", X, labels, k, traced=v.any_traced(X, labels))


@_score_doc
def calinski_harabasz_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Calinski-Harabasz index: between- over within-cluster dispersion (higher is better).

    ``[B / (k - 1)] / [W / (n - k)]`` where ``B`` sums ``n_j ||c_j - mean||^2`` over
    clusters and ``W`` the squared distances of points to their cluster mean.

    {args}

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [2.0], [10.0], [12.0]]
      >>> float(jaxmeans.metrics.calinski_harabasz_score(X, [0, 0, 1, 1]))
      50.0
    """
    X, labels, k = _prepare(X, labels, n_clusters, "calinski_harabasz_score")
    return evaluate.score("calinski_harabasz_score", X, labels, k, traced=v.any_traced(X, labels))


@_score_doc
def davies_bouldin_score(
    X: ArrayLike, labels: ArrayLike, *, n_clusters: int | None = None
) -> jax.Array:
    """Davies-Bouldin index: mean worst-case cluster similarity (lower is better, >= 0).

    For clusters i and j with mean point-to-centroid distances ``s_i, s_j`` and centroid
    distance ``M_ij``, the similarity is ``(s_i + s_j) / M_ij``; the index averages each
    cluster's largest similarity.

    {args}

    Example:
      >>> import jaxmeans.metrics
      >>> X = [[0.0], [2.0], [10.0], [12.0]]
      >>> round(float(jaxmeans.metrics.davies_bouldin_score(X, [0, 0, 1, 1])), 6)
      0.2
    """
    X, labels, k = _prepare(X, labels, n_clusters, "davies_bouldin_score")
    return evaluate.score("davies_bouldin_score", X, labels, k, traced=v.any_traced(X, labels))


def _label_vector(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _pair(y_true, y_pred):
    t = _label_vector(y_true, "y_true")
    p = _label_vector(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {t.size} and {p.size}")
    return t, p


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Counts of each (true, predicted) label pair, as scikit-learn's ``confusion_matrix``.

    Rows are true labels and columns predicted ones, both over the sorted union of the
    labels that occur.

    Returns:
      ``[c, c] int64`` matrix.

    Example:
      >>> from jaxmeans.metrics import confusion_matrix
      >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2]).tolist()
      [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    """
    t, p = _pair(y_true, y_pred)
    classes, index = np.unique(np.concatenate([t, p]), return_inverse=True)
    cm = np.zeros((classes.size, classes.size), dtype=np.int64)
    np.add.at(cm, (index[: t.size], index[t.size :]), 1)
    return cm


def match_labels(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Renumber cluster labels to agree best with the true classes.

    Cluster numbers are arbitrary; this finds the one-to-one renaming of predicted labels
    that puts the most points on the diagonal of the confusion matrix (the Hungarian
    method, ``scipy.optimize.linear_sum_assignment``), in place of trying permutations by
    hand. Clusters left without a class keep numbers above the classes'.

    Returns:
      ``[n] int64`` renumbered ``y_pred``.

    Example:
      >>> from jaxmeans.metrics import match_labels
      >>> match_labels([0, 0, 1, 1, 2], [2, 2, 0, 0, 1]).tolist()
      [0, 0, 1, 1, 2]
    """
    from scipy.optimize import linear_sum_assignment

    t, p = _pair(y_true, y_pred)
    true_classes, t_index = np.unique(t, return_inverse=True)
    pred_classes, p_index = np.unique(p, return_inverse=True)
    overlap = np.zeros((pred_classes.size, true_classes.size), dtype=np.int64)
    np.add.at(overlap, (p_index, t_index), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    mapping = np.empty(pred_classes.size, dtype=np.int64)
    mapping[rows] = true_classes[cols]
    unmatched = np.setdiff1d(np.arange(pred_classes.size), rows)
    mapping[unmatched] = true_classes.max() + 1 + np.arange(unmatched.size)
    return mapping[p_index]
