"""Sparse input at the boundary: a scipy.sparse matrix checked (never changed in place) and
laid out in padded row blocks (:class:`~jaxmeans._core.sparse.SparseRows`) on the host.

The one place that asks whether an input is sparse is :func:`jaxmeans._runtime.spec.specify`
(and the evaluation of data against centres); everything after it goes by the spec's kind.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._core.sparse import SparseRows
from . import validation as v
from .buckets import cluster_bucket, row_bucket

# Stored values times centroids gathered at once per block.
_BLOCK_ENTRIES = 2**21
_MIN_NNZ = 256


def is_sparse(X) -> bool:
    """Whether ``X`` is a scipy.sparse matrix or array (checked without importing scipy)."""
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def check_rows(X, name: str = "X"):
    """``X`` checked as the rows of a fit or an evaluation: a CSR matrix
    (:func:`check_sparse`) or a dense array (:func:`jaxmeans._runtime.validation.check_data`)."""
    return check_sparse(X, name) if is_sparse(X) else v.check_data(X, name)


def check_sparse(X, name: str = "X"):
    """``X`` as a CSR matrix of floats (float32 stays float32, the rest float64), 2-D,
    non-empty, with finite stored values that the compute dtype can hold. A copy wherever
    it must differ from ``X`` (duplicates summed, indices sorted): ``X`` is never changed."""
    import scipy.sparse as sp

    csr = X.tocsr(copy=False) if sp.issparse(X) else sp.csr_matrix(X)
    v.check_shape(csr.shape, name)
    if csr.dtype.kind == "c":
        raise ValueError(f"{name} must be real: Complex data not supported (dtype {csr.dtype})")
    if csr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric sparse matrix, got dtype {csr.dtype}")
    dtype = np.float32 if csr.dtype == np.float32 else np.float64
    if csr.dtype != dtype or not csr.has_canonical_format:
        csr = sp.csr_matrix(csr, dtype=dtype, copy=True)
        csr.sum_duplicates()  # on the copy
    bad = ~np.isfinite(csr.data)
    big = np.abs(csr.data) > np.finfo(v.float_dtype(csr.dtype)).max
    for mask, what in ((bad, "NaN or infinity"), (big, None)):
        if mask.any():
            i = int(np.argmax(mask))
            row = int(np.searchsorted(csr.indptr, i, side="right") - 1)
            where = f"({row}, {int(csr.indices[i])})"
            if what is not None:
                raise ValueError(
                    f"{name} contains {what} ({csr.data[i]} at index {where}); remove or "
                    "impute those values first"
                )
            compute = v.float_dtype(csr.dtype)
            raise ValueError(
                f"{name} holds {csr.data[i]:.6g} at index {where}, beyond the largest "
                f"{compute} ({np.finfo(compute).max:.4g}) that the computation uses; rescale "
                f"{name}, or turn on 64-bit JAX (jax.config.update('jax_enable_x64', True))"
            )
    return csr


class SparseLayout(NamedTuple):
    """How a CSR matrix is cut into blocks for a program with ``k_rows`` centroid rows."""

    rows: int  # rows per block (a power of two)
    n_blocks: int  # blocks, a multiple of the sums' group size
    nnz: int  # stored values per block, padded to a bucket

    @property
    def values(self) -> int:
        """Stored values of the layout, padding included."""
        return self.n_blocks * self.nnz

    @property
    def n_pad(self) -> int:
        return self.n_blocks * self.rows


def sparse_layout(csr, k_rows: int) -> SparseLayout:
    """Blocks of as many rows as keep a block's stored values times ``k_rows`` centroids
    under 2**21 entries, over the row bucket; every block's values padded to one bucketed
    count; whole groups of blocks for the per-cluster sums
    (:func:`jaxmeans._core.sparse.sum_group` then finds that group size)."""
    n, d = csr.shape
    per_row = max(csr.nnz / n, 1.0)
    rows = int(np.clip(_BLOCK_ENTRIES / (per_row * k_rows), 8, 16384))
    rows = 1 << (rows.bit_length() - 1)
    n_blocks = -(-row_bucket(n, min(d, 2**12)) // rows)
    # Block b holds rows [b * rows, (b + 1) * rows): a contiguous run of stored values.
    bounds = csr.indptr[np.minimum(np.arange(n_blocks + 1) * rows, n)]
    nnz = cluster_bucket(max(int(np.diff(bounds).max()), _MIN_NNZ))
    want = max(1, min(n_blocks, -(-k_rows * d // nnz)))
    sizes = range(max(1, want // 2), want + 1)  # the fewest padding blocks, then the largest
    group = min(sizes, key=lambda g: (-(-n_blocks // g) * g, -g))
    return SparseLayout(rows, -(-n_blocks // group) * group, nnz)


def full_columns(csr) -> np.ndarray:
    """``[d] bool``: the columns every row stores a value in. Shifting those (and only
    those) by their mean keeps the matrix as sparse as it is, and makes data far from
    the origin (an offset on every stored value) as accurate as dense data."""
    n, d = csr.shape
    return np.bincount(csr.indices, minlength=d) == n


def blocked(csr, layout: SparseLayout, dtype, shift: np.ndarray, scale: float) -> SparseRows:
    """``(csr - shift) * scale`` (``shift`` zero outside :func:`full_columns`) laid out as
    ``layout`` says, in ``dtype``; squared row norms of those values, summed in float64."""
    n, d = csr.shape
    rows, n_blocks, nnz = layout
    bounds = csr.indptr[np.minimum(np.arange(n_blocks + 1) * rows, n)]
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(csr.indptr))
    moved = csr.data - shift[csr.indices] if shift.any() else csr.data
    values = (moved * scale).astype(dtype, copy=False)
    cols = np.zeros((n_blocks, nnz), np.int32)
    vals = np.zeros((n_blocks, nnz), dtype)
    # Padding values (0) sit on each block's last row, so rows stay sorted within a block.
    local = np.full((n_blocks, nnz), rows - 1, np.int32)
    for b in range(n_blocks):  # slice copies: memory speed
        lo, hi = bounds[b], bounds[b + 1]
        cols[b, : hi - lo] = csr.indices[lo:hi]
        vals[b, : hi - lo] = values[lo:hi]
        local[b, : hi - lo] = row_of[lo:hi] - b * rows
    x_sq = np.zeros(n_blocks * rows, dtype)
    x_sq[:n] = np.bincount(row_of, weights=np.square(values, dtype=np.float64), minlength=n)
    return SparseRows(cols, vals, local, x_sq, d)


def extent(csr, shift: np.ndarray) -> float:
    """``max |x - shift|`` over the stored values (unstored zeros lie in columns that are
    not shifted)."""
    if not csr.nnz:
        return 0.0
    moved = csr.data - shift[csr.indices] if shift.any() else csr.data
    return float(np.max(np.abs(moved)))
