"""Reading rows of an array that may live in a file: a NumPy memmap, an HDF5 dataset, any
array-like with ``shape`` and row indexing."""

from __future__ import annotations

import mmap
import os

import numpy as np


def release(X) -> None:
    """Drop a NumPy memmap's pages from this process once read: the file stays in the page
    cache, but pages a memory map has touched count towards the process's resident memory
    until released, so a pass over a file larger than memory would otherwise grow it."""
    mapping = getattr(X, "_mmap", None)
    if mapping is None and isinstance(getattr(X, "base", None), mmap.mmap):
        mapping = X.base
    if isinstance(mapping, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):
            pass


def read_rows(X, index: np.ndarray) -> np.ndarray:
    """``X[index]`` as float64 for sorted ``index``.

    From a whole C-ordered ``np.memmap`` (``np.load(..., mmap_mode="r")``) the rows are read
    from its file with ``os.pread``, runs of consecutive rows at once: touching a memory
    map maps whole page-cache folios (2 MiB each on this kernel) into the process, so 64
    random rows grew resident memory by 128 MB. Anything else is indexed, and a memory map
    behind it released afterwards.
    """
    name = getattr(X, "filename", None)
    if isinstance(X, np.memmap) and name and isinstance(X.base, mmap.mmap) and X.flags.c_contiguous:
        row_bytes = X.shape[1] * X.itemsize
        out = np.empty((len(index), X.shape[1]), dtype=X.dtype)
        buffer = out.reshape(-1).view(np.uint8)
        breaks = np.flatnonzero(np.diff(index) != 1) + 1
        with open(name, "rb", buffering=0) as fh:
            for run in np.split(np.arange(len(index)), breaks):
                first, count = int(index[run[0]]), len(run)
                got = os.preadv(
                    fh.fileno(),
                    [memoryview(buffer[run[0] * row_bytes : (run[0] + count) * row_bytes])],
                    X.offset + first * row_bytes,
                )
                if got != count * row_bytes:
                    raise OSError(f"short read from {name}: {got} of {count * row_bytes} bytes")
        return out.astype(np.float64)
    rows = X[index]
    rows = np.asarray(rows.toarray() if hasattr(rows, "toarray") else rows, dtype=np.float64)
    release(X)
    return rows


def unit_rows_at(rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``rows`` (``X[index]``) scaled to unit length; a row of zeros is a ValueError naming
    its index in ``X``."""
    norms = np.linalg.norm(rows.astype(np.float64), axis=1)
    if not (norms > 0).all():
        i = int(index[int(np.argmin(norms > 0))])
        raise ValueError(
            f"X row {i} is all zeros: metric='cosine' needs a direction for every row "
            "(drop or replace such rows)"
        )
    return (rows / norms[:, None]).astype(rows.dtype)


def checked_rows(rows: np.ndarray, index: np.ndarray, dtype) -> np.ndarray:
    """``rows`` (read from ``X[index]``) in ``dtype``; ValueError naming the index in ``X``
    of the first row holding NaN or infinity, or a value ``dtype`` cannot hold."""
    bad = ~np.isfinite(rows) | (np.abs(rows) > np.finfo(dtype).max)
    if bad.any():
        i, j = (int(a) for a in np.argwhere(bad)[0])
        raise ValueError(
            f"X holds {rows[i, j]} at index ({int(index[i])}, {j}), which is NaN, infinite "
            f"or beyond {np.dtype(dtype)}; remove or impute those values first"
        )
    return rows.astype(dtype, copy=False)
