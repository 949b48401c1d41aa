"""Data against centres, after a fit: nearest centres, distances and cluster scores, each
one program call on arrays framed and padded to the shape buckets
(:mod:`jaxmeans._runtime.buckets`), dense or sparse, and cut back."""

from __future__ import annotations

import jax
import numpy as np

from .._core import sparse
from .._core.distances import assign_program, pairwise_program
from .._core.scores import (
    agreements,
    bootstrap_draws,
    calinski_harabasz_core,
    davies_bouldin_core,
    silhouette_core,
    silhouettes,
)
from .._core.tuning import tuning_for
from .buckets import cluster_bucket, pair_bucket, row_bucket
from .compile import Program, options_for
from .framing import cast, framed, padded, place, power_of_two_scale
from .inputs import blocked, extent, full_columns, is_sparse, sparse_layout
from .placement import device_of, on_one_device, tuning_of
from .validation import float_dtype

ASSIGN = Program(assign_program, ("tuning",))
PAIRWISE = Program(pairwise_program, ("tuning",))
SPARSE_ASSIGN = Program(sparse.assign_program, ("tuning",))
SPARSE_PAIRWISE = Program(sparse.pairwise_program, ("tuning",))
_SCORE_STATIC = ("n_clusters", "tuning")
SCORES = {
    "silhouette_score": Program(silhouette_core, _SCORE_STATIC),
    "calinski_harabasz_score": Program(calinski_harabasz_core, _SCORE_STATIC),
    "davies_bouldin_score": Program(davies_bouldin_core, _SCORE_STATIC),
}
_SILHOUETTES = Program(silhouettes, _SCORE_STATIC)
_AGREEMENTS = Program(agreements, _SCORE_STATIC)
_DRAWS = Program(bootstrap_draws, ("n", "n_boot", "tuning"))


def _traced(program, *args, **static):
    """``program`` inlined into the caller's trace: no buckets, no compilation of its own."""
    return program(*args, None, tuning=tuning_of(args[0]), options=None, device=None, **static)


def _call(program, args, device, *, work: int, k: int, **static):
    """``program`` on host arrays ``args``, on ``device``, compiled for ``work`` distances
    with ``k`` centroid rows."""
    tuning = tuning_for(device.platform)
    options = options_for(tuning, work, k)
    return program(*place(args, device), tuning=tuning, options=options, device=device, **static)


def _cut(values, sizes):
    """``values`` (a tuple of arrays) fetched and cut to ``sizes`` on the host."""
    fetched = jax.device_get(values)
    return [
        np.asarray(v)[tuple(slice(0, s) for s in size)]
        for v, size in zip(fetched, sizes, strict=True)
    ]


def _against(X, Y, rows: int, y_rows: int):
    """``X`` and ``Y`` centred on ``Y``'s mean and scaled by one power of two (so that no
    squared distance overflows or underflows), padded to ``rows`` and ``y_rows``, in the
    compute dtype; and the scale and that dtype. Sparse ``X`` is shifted in the columns
    every row stores (:func:`jaxmeans._runtime.inputs.full_columns`), ``Y`` alike."""
    dtype = float_dtype(np.result_type(X.dtype, Y.dtype))
    if is_sparse(X):
        n, d = X.shape
        means = np.bincount(X.indices, weights=X.data, minlength=d) / n
        shift = np.where(full_columns(X), means, 0.0)
        moved = np.abs(np.asarray(Y, np.float64) - shift)
        scale = power_of_two_scale(max(extent(X, shift), float(moved.max(initial=0.0))))
        Yp, _ = framed(Y, y_rows, dtype, shift=shift, scale=scale)
        Xp = blocked(X, sparse_layout(X, y_rows), dtype, shift, scale)
        return Xp, Yp, scale, dtype
    Yp, frame = framed(Y, y_rows, dtype, extent_of=(X,))
    Xp, _ = framed(X, rows, dtype, shift=frame.shift, scale=frame.scale)
    return Xp, Yp, frame.scale, dtype


def assign(X, centroids, *, traced: bool, host: bool = False):
    """``(labels [n] int32, sq_dists [n])`` of checked ``X`` (dense or a CSR matrix)
    against ``centroids``: in the compute dtype, on ``X``'s device; with ``host`` as NumPy
    arrays, the distances in float64 (a squared distance beyond float32's range, which the
    compute dtype would hold as infinity, stays finite for the estimators' sums)."""
    if traced:
        return _traced(ASSIGN, X, centroids, None)
    X = on_one_device(X)
    (n, d), k = X.shape, centroids.shape[0]
    rows, k_rows = row_bucket(n, d), cluster_bucket(k)
    Xp, Cp, scale, dtype = _against(X, centroids, rows, k_rows)
    device = device_of(X)
    if is_sparse(X):
        work = Xp.cols.size * k_rows
        out = _call(SPARSE_ASSIGN, (Xp, Cp, np.int32(k)), device, work=work, k=k_rows)
    else:
        args = (Xp, Cp, np.int32(n), np.int32(k))
        out = _call(ASSIGN, args, device, work=rows * d * k_rows, k=k_rows)
    labels, sq = _cut(out, [(n,), (n,)])
    sq = sq.astype(np.float64) / scale / scale
    return (labels, sq) if host else tuple(jax.device_put((labels, cast(sq, dtype)), device))


def sq_dists(X, Y, *, traced: bool, host: bool = False):
    """``[n, m]`` squared distances between the rows of checked ``X`` (dense or a CSR
    matrix) and ``Y``: in the compute dtype, on ``X``'s device; with ``host`` a float64
    NumPy array (see :func:`assign`)."""
    if traced:
        return _traced(PAIRWISE, X, Y)
    X = on_one_device(X)
    (n, d), m = X.shape, Y.shape[0]
    rows, m_rows = row_bucket(n, d), cluster_bucket(m)  # Y: centres, typically
    Xp, Yp, scale, dtype = _against(X, Y, rows, m_rows)
    device = device_of(X)
    if is_sparse(X):
        out = _call(SPARSE_PAIRWISE, (Xp, Yp), device, work=Xp.cols.size * m_rows, k=m_rows)
    else:
        out = _call(PAIRWISE, (Xp, Yp, np.int32(m)), device, work=rows * d * m_rows, k=m_rows)
    sq = _cut((out,), [(n, m)])[0].astype(np.float64) / scale / scale
    return sq if host else jax.device_put(cast(sq, dtype), device)


def score(name: str, X, labels, n_clusters: int, *, traced: bool) -> jax.Array:
    """The cluster score ``name`` (:data:`SCORES`) of checked ``X`` and ``labels`` in
    ``[0, n_clusters)``; the silhouette's rows take the pair buckets (its work is O(n^2))."""
    program = SCORES[name]
    if traced:
        return _traced(program, X, labels, n_clusters=n_clusters)
    X = on_one_device(X)
    n, d = X.shape
    pairs = name == "silhouette_score"
    rows = pair_bucket(n) if pairs else row_bucket(n, d)
    k = cluster_bucket(n_clusters)
    Xp, _ = framed(X, rows, float_dtype(X.dtype))  # the scores do not change under it
    args = (Xp, padded(np.asarray(labels, np.int32), rows), np.int32(n))
    work = rows * rows * (d + k) if pairs else rows * d * k
    return _call(program, args, device_of(X), work=work, k=k, n_clusters=k)


def silhouette_per_k(X, labels, n_clusters: int, *, traced: bool) -> jax.Array:
    """``[m]`` silhouettes of checked ``X`` for each row of ``labels`` ``[m, n]``."""
    if traced:
        return _traced(_SILHOUETTES, X, labels, n_clusters=n_clusters)
    X = on_one_device(X)
    n, d = X.shape
    rows, k = pair_bucket(n), cluster_bucket(n_clusters)
    labels = padded(np.asarray(labels, np.int32).T, rows).T
    Xp, _ = framed(X, rows, float_dtype(X.dtype))  # the scores do not change under it
    args = (Xp, np.ascontiguousarray(labels), np.int32(n))
    # The work is every pair's distance and its share of each labeling's cluster sums:
    # compiled with the fast-compiling options, XLA's older emitters, it ran 3x slower.
    work = rows * rows * (d + len(labels) * k)
    return _call(_SILHOUETTES, args, device_of(X), work=work, k=k, n_clusters=k)


def adjusted_rand_indices(a, b, n_clusters: int) -> np.ndarray:
    """``[m]`` adjusted Rand indices (float64, on the host) of the rows of the label arrays
    ``a`` and ``b`` ``[m, n]`` in ``[0, n_clusters)``: one program, kept like the others."""
    device = jax.devices()[0]
    args = (np.asarray(a, np.int32), np.asarray(b, np.int32))
    work = a.shape[0] * a.shape[1] * n_clusters
    out = _call(_AGREEMENTS, args, device, work=work, k=n_clusters, n_clusters=n_clusters)
    return np.asarray(out, np.float64)


def bootstrap(key: jax.Array, n: int, n_boot: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~jaxmeans._core.scores.bootstrap_draws` of ``key`` as NumPy arrays: one
    program, kept like the others (drawn eagerly, JAX would compile its random operations
    anew in every process)."""
    device = jax.devices()[0]
    tuning = tuning_for(device.platform)
    out = _DRAWS(key, n=n, n_boot=n_boot, tuning=tuning, options=None, device=device)
    return jax.device_get(out)
