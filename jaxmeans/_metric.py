"""The metric of a fit at the Python boundary: ``"euclidean"`` or ``"cosine"`` (spherical
k-means, whose rows are scaled to unit length before anything else sees them)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ._validation import _describe, is_concrete

METRICS = ("euclidean", "cosine")


def check_metric(metric) -> str:
    """``"euclidean"`` or ``"cosine"``."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {_describe(metric)}")
    return metric


def unit_rows(X, name: str = "X"):
    """The rows of ``X`` scaled to unit L2 norm (cosine k-means), in ``X``'s own kind of
    array and dtype; a concrete row of zero norm is a ValueError naming its index. NumPy
    input is normalised in its own precision after dividing each row by its largest
    magnitude (no overflow, no underflow); traced
    input with ``jnp`` (a zero row stays zero there: it cannot be reported inside a trace).
    """
    if hasattr(X, "tocsr"):  # scipy.sparse: scale the stored values, keep it sparse
        csr = X.tocsr()
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        big = np.zeros(csr.shape[0])
        np.maximum.at(big, rows, np.abs(csr.data))
        _no_zero_rows(big > 0, name)
        scaled = csr.data / big[rows]
        norms = np.sqrt(np.bincount(rows, weights=scaled.astype(np.float64) ** 2))
        out = csr.copy()
        out.data = (scaled / norms[rows]).astype(csr.dtype)
        return out
    if isinstance(X, np.ndarray):
        # Each row divided by its largest magnitude first: its squares then sum to between
        # 1 and d, never overflowing or underflowing, in the row's own precision.
        out = np.empty(X.shape, X.dtype if X.dtype.kind == "f" else np.float64)
        for start in range(0, X.shape[0], 65536):  # a chunk of rows at a time
            rows = np.asarray(X[start : start + 65536], out.dtype)
            big = np.max(np.abs(rows), axis=1, keepdims=True)
            _no_zero_rows(big[:, 0] > 0, name, start)
            scaled = rows / big
            scaled /= np.sqrt(np.einsum("ij,ij->i", scaled, scaled))[:, None]
            out[start : start + len(rows)] = scaled
        return out
    norms = jnp.sqrt(jnp.sum(X * X, axis=1, keepdims=True))
    if is_concrete(norms):
        _no_zero_rows(np.asarray(norms[:, 0]) > 0, name)
    return X / jnp.where(norms > 0, norms, 1.0)


def _no_zero_rows(nonzero: np.ndarray, name: str, offset: int = 0) -> None:
    if not nonzero.all():
        i = offset + int(np.argmin(nonzero))
        raise ValueError(
            f"{name} row {i} is all zeros: metric='cosine' needs a direction for every row "
            "(drop or replace such rows)"
        )
