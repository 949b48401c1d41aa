"""Sparse input at the boundary: a scipy.sparse matrix checked, laid out in padded row
blocks (:class:`~jaxmeans._sparse.SparseRows`) on the host, fitted, assigned and measured by
the sparse core, and the results cut back to the caller's rows."""

from __future__ import annotations

import jax
import numpy as np

from .._core.sparse import (
    SPARSE_FIT_STATIC,
    SparseProblem,
    SparseRows,
    assign_sparse_program,
    fit_sparse_program,
    sq_dists_sparse_program,
)
from .._core.tuning import tuning_for
from .._core.types import KMeansResult
from . import validation as v
from .compile import Program
from .framing import Frame, cluster_bucket, power_of_two_scale, row_bucket, unframed, weights_scale

FIT = Program(fit_sparse_program, SPARSE_FIT_STATIC)
ASSIGN = Program(assign_sparse_program, ("tuning",))
SQ_DISTS = Program(sq_dists_sparse_program, ("tuning",))

# Stored values times centroids gathered at once per block.
_BLOCK_ENTRIES = 2**21
_MIN_NNZ = 256


def is_sparse(X) -> bool:
    """Whether ``X`` is a scipy.sparse matrix or array (checked without importing scipy)."""
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def check_sparse(X, name: str = "X"):
    """``X`` as a CSR matrix of floats (float32 stays float32, the rest float64), 2-D,
    non-empty, with finite stored values."""
    import scipy.sparse as sp

    csr = sp.csr_matrix(X)
    v.check_shape(csr.shape, name)
    if csr.dtype.kind == "c":
        raise ValueError(f"{name} must be real: Complex data not supported (dtype {csr.dtype})")
    if csr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric sparse matrix, got dtype {csr.dtype}")
    dtype = np.float32 if csr.dtype == np.float32 else np.float64
    csr = csr.astype(dtype, copy=csr.dtype != dtype)
    csr.sum_duplicates()
    bad = ~np.isfinite(csr.data)
    if bad.any():
        i = int(np.argmax(bad))
        row = int(np.searchsorted(csr.indptr, i, side="right") - 1)
        raise ValueError(
            f"{name} contains NaN or infinity ({csr.data[i]} at index ({row}, "
            f"{int(csr.indices[i])})); remove or impute those values first"
        )
    return csr


def blocked(csr, w, k_rows: int, dtype, scale: float) -> SparseRows:
    """``csr`` (times ``scale``) and weights ``w`` in row blocks padded to the buckets: as
    many rows per block as keep a block's stored values times ``k_rows`` centroids under
    2**21 entries, every block's values padded to one bucketed count."""
    n, d = csr.shape
    per_row = max(csr.nnz / n, 1.0)
    rows = int(np.clip(_BLOCK_ENTRIES / (per_row * k_rows), 8, 16384))
    rows = 1 << (rows.bit_length() - 1)
    n_rows = row_bucket(n, min(d, 2**12))
    n_blocks = -(-n_rows // rows)
    # Block b holds rows [b * rows, (b + 1) * rows): a contiguous run of stored values.
    bounds = csr.indptr[np.minimum(np.arange(n_blocks + 1) * rows, n)]
    nnz = cluster_bucket(max(int(np.diff(bounds).max()), _MIN_NNZ))
    # Whole groups of blocks for the per-cluster sums (jaxmeans._sparse.sum_group then
    # finds this group size; padding blocks hold no rows).
    want = max(1, min(n_blocks, -(-k_rows * d // nnz)))
    sizes = range(max(1, want // 2), want + 1)  # the fewest padding blocks, then the largest
    group = min(sizes, key=lambda g: (-(-n_blocks // g) * g, -g))
    n_blocks = -(-n_blocks // group) * group
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(csr.indptr))
    values = (csr.data * scale).astype(dtype, copy=False)
    cols = np.zeros((n_blocks, nnz), np.int32)
    vals = np.zeros((n_blocks, nnz), dtype)
    # Padding values (0) sit on each block's last row, so rows stay sorted within a block.
    local = np.full((n_blocks, nnz), rows - 1, np.int32)
    for b in range(len(bounds) - 1):  # slice copies: memory speed
        lo, hi = bounds[b], bounds[b + 1]
        cols[b, : hi - lo] = csr.indices[lo:hi]
        vals[b, : hi - lo] = values[lo:hi]
        local[b, : hi - lo] = row_of[lo:hi] - b * rows
    x_sq = np.zeros(n_blocks * rows, dtype)
    x_sq[:n] = np.bincount(row_of, weights=np.square(values, dtype=np.float64), minlength=n)
    weights = np.zeros(n_blocks * rows, dtype)
    weights[:n] = w
    shape = (n_blocks, rows)
    return SparseRows(cols, vals, local, x_sq.reshape(shape), weights.reshape(shape))


def _variance(csr) -> float:
    """Mean over features of the (unweighted) variance, as scikit-learn scales ``tol``."""
    n, d = csr.shape
    mean = np.bincount(csr.indices, weights=csr.data, minlength=d) / n
    mean_sq = np.bincount(csr.indices, weights=csr.data.astype(np.float64) ** 2, minlength=d) / n
    return float(np.mean(mean_sq - mean**2))


def fit(spec, *, host: bool) -> KMeansResult:
    """The fit a :class:`~jaxmeans._spec.FitSpec` with sparse ``X`` describes."""
    p, plan, dtype, device = spec.problem, spec.plan, spec.dtype, spec.device
    csr = p.X
    n, d = csr.shape
    k = cluster_bucket(plan.k)
    scale = power_of_two_scale(float(np.max(np.abs(csr.data))) if csr.nnz else 0.0)
    w_scale = weights_scale(p.w)
    data = blocked(csr, np.asarray(p.w, np.float64) * w_scale, k, dtype, scale)
    init = None
    if p.init is not None:
        init = np.zeros((k, d), dtype)
        init[: plan.k] = np.asarray(p.init, np.float64) * scale
    problem = SparseProblem(
        data=data,
        init=init,
        key=p.key,
        tol_abs=np.asarray(float(p.tol) * _variance(csr) * scale * scale, dtype),
        max_iter=np.int32(p.max_iter),
        n=np.int32(n),
        k=np.int32(plan.k),
    )
    problem = jax.device_put(problem, device)
    tuning = tuning_for(device.platform)
    # The work that picks compile options: each stored value meets every centroid.
    work = data.cols.size * k * plan.n_init
    result = FIT(
        problem, plan=plan._replace(k=k), d=d, tuning=tuning, work=work, k=k, device=device
    )
    fetched = jax.device_get(result)
    out = KMeansResult(
        centroids=unframed(fetched.centroids[: plan.k], Frame(np.zeros(d), scale), dtype),
        labels=np.asarray(fetched.labels[:n], np.int32),
        inertia=np.float64(fetched.inertia) / scale / scale / w_scale,
        n_iter=fetched.n_iter,
        converged=fetched.converged,
    )
    _warn_degenerate(out.labels, plan.k)
    return out if host else jax.device_put(out._replace(inertia=out.inertia.astype(dtype)), device)


def _warn_degenerate(labels: np.ndarray, k: int) -> None:
    distinct = np.count_nonzero(np.bincount(labels, minlength=k))
    if distinct < k:
        v.warn_convergence(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({k}). "
            "Possibly due to duplicate points in X.",
            stacklevel=4,
        )


def _prepared(X, centres, dtype):
    """Checked sparse ``X`` and dense ``centres`` laid out for a program, and the scale."""
    csr = check_sparse(X)
    n = csr.shape[0]
    k = cluster_bucket(len(centres))
    extent = max(
        float(np.max(np.abs(csr.data))) if csr.nnz else 0.0, float(np.max(np.abs(centres)))
    )
    scale = power_of_two_scale(extent)
    data = blocked(csr, np.ones(n), k, dtype, scale)
    C = np.zeros((k, centres.shape[1]), dtype)
    C[: len(centres)] = np.asarray(centres, np.float64) * scale
    return data, C, scale, n, k


def assign(X, centres, *, host: bool = False):
    """``(labels [n] int32, sq_dists [n])`` of sparse ``X`` against dense ``centres``."""
    dtype = v.float_dtype(np.result_type(X.dtype, centres.dtype))
    data, C, scale, n, k = _prepared(X, centres, dtype)
    device = jax.devices()[0]
    tuning = tuning_for(device.platform)
    work = data.cols.size * k
    out = ASSIGN(data, C, np.int32(len(centres)), tuning=tuning, work=work, k=k, device=device)
    labels, sq = jax.device_get(out)
    sq = (np.asarray(sq[:n], np.float64) / scale / scale).astype(dtype)
    labels = np.asarray(labels[:n], np.int32)
    return (labels, sq) if host else tuple(jax.device_put((labels, sq), device))


def sq_dists(X, centres, *, host: bool = False):
    """``[n, m]`` squared distances of the rows of sparse ``X`` to dense ``centres``."""
    dtype = v.float_dtype(np.result_type(X.dtype, centres.dtype))
    data, C, scale, n, _ = _prepared(X, centres, dtype)
    device = jax.devices()[0]
    tuning, work = tuning_for(device.platform), data.cols.size * len(C)
    out = SQ_DISTS(data, C, tuning=tuning, work=work, k=len(C), device=device)
    sq = np.asarray(jax.device_get(out)[:n, : len(centres)], np.float64) / scale / scale
    sq = sq.astype(dtype)
    return sq if host else jax.device_put(sq, device)
