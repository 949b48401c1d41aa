"""Data against centres, after a fit: nearest centres, distances and cluster scores, each
one program call on arrays padded to the shape buckets (:mod:`jaxmeans._buckets`)."""

from __future__ import annotations

import jax
import numpy as np

from ._buckets import cluster_bucket, padded, pair_bucket, place, row_bucket
from ._cluster_scores import (
    calinski_harabasz_core,
    davies_bouldin_core,
    silhouette_core,
    silhouettes,
)
from ._compile import Program
from ._distances import assign_program, pairwise_program
from ._placement import device_of
from ._tuning import tuning_for, tuning_of

ASSIGN = Program(assign_program, ("tuning",))
PAIRWISE = Program(pairwise_program, ("tuning",))
_SCORE_STATIC = ("n_clusters", "tuning")
SCORES = {
    "silhouette_score": Program(silhouette_core, _SCORE_STATIC),
    "calinski_harabasz_score": Program(calinski_harabasz_core, _SCORE_STATIC),
    "davies_bouldin_score": Program(davies_bouldin_core, _SCORE_STATIC),
}
_SILHOUETTES = Program(silhouettes, _SCORE_STATIC)


def _traced(program, *args, **static):
    """``program`` inlined into the caller's trace: no buckets, no compilation of its own."""
    return program(*args, None, tuning=tuning_of(args[0]), work=0, k=0, device=None, **static)


def _call(program, args, device, *, work: int, k: int, **static):
    """``program`` on host arrays ``args``, on ``device``."""
    tuning = tuning_for(device.platform)
    return program(*place(args, device), tuning=tuning, work=work, k=k, device=device, **static)


def _out(values, sizes, host: bool, device):
    """``values`` (a tuple of arrays) cut to ``sizes`` on the host, NumPy with ``host``."""
    fetched = jax.device_get(values)
    cut = [
        np.asarray(v)[tuple(slice(0, s) for s in size)]
        for v, size in zip(fetched, sizes, strict=True)
    ]
    return tuple(cut) if host else tuple(jax.device_put(cut, device))


def assign(X, centroids, *, traced: bool, host: bool = False):
    """``(labels [n] int32, sq_dists [n])`` of checked ``X`` against ``centroids``
    (``host``: as NumPy arrays)."""
    if traced:
        return _traced(ASSIGN, X, centroids, None)
    (n, d), k = X.shape, centroids.shape[0]
    rows, k_rows = row_bucket(n, d), cluster_bucket(k)
    args = (padded(X, rows), padded(centroids, k_rows), np.int32(n), np.int32(k))
    device = device_of(X)
    out = _call(ASSIGN, args, device, work=rows * d * k_rows, k=k_rows)
    return _out(out, [(n,), (n,)], host, device)


def sq_dists(X, Y, *, traced: bool, host: bool = False):
    """``[n, m]`` squared distances between the rows of checked ``X`` and ``Y`` (``host``:
    as a NumPy array)."""
    if traced:
        return _traced(PAIRWISE, X, Y)
    (n, d), m = X.shape, Y.shape[0]
    rows, m_rows = row_bucket(n, d), cluster_bucket(m)  # Y: centres, typically
    args = (padded(X, rows), padded(Y, m_rows), np.int32(m))
    device = device_of(X)
    out = _call(PAIRWISE, args, device, work=rows * d * m_rows, k=m_rows)
    return _out((out,), [(n, m)], host, device)[0]


def score(name: str, X, labels, n_clusters: int, *, traced: bool) -> jax.Array:
    """The cluster score ``name`` (:data:`SCORES`) of checked ``X`` and ``labels`` in
    ``[0, n_clusters)``; the silhouette's rows take the pair buckets (its work is O(n^2))."""
    program = SCORES[name]
    if traced:
        return _traced(program, X, labels, n_clusters=n_clusters)
    n, d = X.shape
    rows = pair_bucket(n) if name == "silhouette_score" else row_bucket(n, d)
    k = cluster_bucket(n_clusters)
    args = (padded(X, rows), padded(np.asarray(labels, np.int32), rows), np.int32(n))
    return _call(program, args, device_of(X), work=rows * d * k, k=k, n_clusters=k)


def silhouette_per_k(X, labels, n_clusters: int, *, traced: bool) -> jax.Array:
    """``[m]`` silhouettes of checked ``X`` for each row of ``labels`` ``[m, n]``."""
    if traced:
        return _traced(_SILHOUETTES, X, labels, n_clusters=n_clusters)
    n, d = X.shape
    rows, k = pair_bucket(n), cluster_bucket(n_clusters)
    labels = padded(np.asarray(labels, np.int32).T, rows).T
    args = (padded(X, rows), np.ascontiguousarray(labels), np.int32(n))
    return _call(_SILHOUETTES, args, device_of(X), work=rows * d * k, k=k, n_clusters=k)
