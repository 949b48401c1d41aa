"""Shape buckets: the sizes of the programs that serve a problem of a given size, and the
padding to them and back.

A new number of rows or clusters would otherwise compile a new program (1-3 s on a CPU,
1-8 s on a GPU). Problems are padded up to the next bucket, rows with zero weight (never
seeds, never relocation targets, excluded from the mean, the variance and the inertia) and
centroids masked out, so nearby sizes share one program; the padding is sliced off before
the caller sees a result.

The rule comes from measurements (benchmarks/NOTES.md, "Shape buckets"): a fit skips row
blocks that hold only padding, so padded rows cost memory and a little bookkeeping, not
distance computations; padded centroids do cost distance computations.

- Rows: problems with at most ``2**12 / d`` rows (iris-sized) share a tiny bucket, small
  enough to take the quickest compilation; every problem with at most ``2**16 / d`` rows
  (at most 16,384, at least 128) shares the next, where compilation dominates; above it,
  sixteen buckets per doubling, so at most 1/16 of the rows (and of the memory) is padding.
- Clusters: every k up to 8 shares a bucket (8); above it, four buckets per doubling (10,
  12, 14, 16, 20, 24, ...), at most a quarter more distance work.
- Pairs of rows (the silhouette, O(n^2) work whose padding columns cannot be skipped): up to
  64 rows one bucket, then eight buckets per doubling (at most 27% more work).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .validation import is_concrete

_TINY_ENTRIES, _ROW_ENTRIES = 2**12, 2**16
_MIN_ROWS, _MAX_SMALL_ROWS = 128, 16384
_STEPS_PER_DOUBLING_ROWS = 16
_MIN_PAIR_ROWS, _STEPS_PER_DOUBLING_PAIRS = 64, 8
_MIN_CLUSTERS = 8
_STEPS_PER_DOUBLING_CLUSTERS = 4


def _round_up(n: int, smallest: int, steps: int) -> int:
    """``n`` rounded up to ``smallest`` or to one of ``steps`` points per doubling."""
    if n <= smallest:
        return smallest
    step = max(1, 2 ** ((n - 1).bit_length() - 1) // steps)
    return -(-n // step) * step


def _power_of_two_rows(entries: int, d: int) -> int:
    rows = max(entries // max(d, 1), 1)
    return max(_MIN_ROWS, min(_MAX_SMALL_ROWS, 1 << (rows.bit_length() - 1)))


def row_bucket(n: int, d: int) -> int:
    """Rows of the program that serves ``n`` rows of ``d`` features."""
    tiny = _power_of_two_rows(_TINY_ENTRIES, d)
    if n <= tiny:
        return tiny
    return _round_up(n, _power_of_two_rows(_ROW_ENTRIES, d), _STEPS_PER_DOUBLING_ROWS)


def tiny(n: int, d: int) -> bool:
    """Whether ``n`` rows of ``d`` features fill the smallest row bucket (the programs
    that compile quickest and run in about a millisecond)."""
    return n <= _power_of_two_rows(_TINY_ENTRIES, d)


def cluster_bucket(k: int) -> int:
    """Centroid rows of the program that serves ``k`` clusters."""
    return _round_up(k, _MIN_CLUSTERS, _STEPS_PER_DOUBLING_CLUSTERS)


def pair_bucket(n: int) -> int:
    """Rows of a program whose work grows with the square of the rows (the silhouette)."""
    return _round_up(n, _MIN_PAIR_ROWS, _STEPS_PER_DOUBLING_PAIRS)


def padded(a, rows: int, dtype=None) -> np.ndarray:
    """``a`` (``[n, ...]``, host or device) as a host array ``[rows, ...]`` (in ``dtype``,
    default its own), zeros past ``n``: padding on the host compiles nothing."""
    host = np.asarray(a)
    out = np.zeros((rows, *host.shape[1:]), host.dtype if dtype is None else dtype)
    out[: host.shape[0]] = host
    return out


def power_of_two_scale(extent: float) -> float:
    """A power of two that brings ``extent`` into [1, 2) when it lies outside
    [2**-40, 2**40] (1 inside it, where squares and their sums stay far from float32's
    overflow, 3.4e38, and underflow, 1.2e-38, and no pass over the data is needed):
    multiplying by it is exact."""
    if not np.isfinite(extent) or extent <= 0 or 2.0**-40 <= extent <= 2.0**40:
        return 1.0
    return float(2.0 ** -np.floor(np.log2(extent)))


class Frame(NamedTuple):
    """How data were moved before a program saw them: ``(x - shift) * scale``."""

    shift: np.ndarray  # [d] float64
    scale: float  # a power of two


def _magnitude(a) -> float:
    """``max |a|``, from two flat reductions (per-column ones are 100x slower on narrow
    arrays)."""
    a = np.asarray(a)
    return max(float(a.max()), -float(a.min())) if a.size else 0.0


def framed(X, rows: int, dtype, shift=None, scale=None, extent_of=()):
    """``X`` ``[n, d]`` (host or device, any float precision) as ``(X - shift) * scale`` in
    ``dtype``, padded with zero rows to ``rows``. Returns ``(array, Frame)``.

    ``shift`` defaults to zero, or to the float64 mean of ``X`` when ``X`` has more
    precision than ``dtype`` (centring before the cast keeps float64 data far from the
    origin accurate in float32). ``scale`` defaults to :func:`power_of_two_scale` of the
    largest ``|x - shift|`` over ``X`` and the arrays in ``extent_of`` (bounded by
    ``max |x| + max |shift|``): exact, and it keeps every representable input away from
    overflow and underflow when squared. The programs centre their input themselves.
    """
    host = np.asarray(X)
    dtype = np.dtype(dtype)
    n, d = host.shape
    narrowing = host.dtype.itemsize > dtype.itemsize
    if shift is None:
        shift = (np.ones(n) @ host) / n if narrowing else np.zeros(d)
    shift = np.asarray(shift, np.float64)
    if scale is None:
        extent = max(_magnitude(a) for a in (host, *extent_of)) + _magnitude(shift)
        scale = power_of_two_scale(extent)
    out = np.zeros((rows, d), dtype)
    if not narrowing and 2.0**-126 <= scale <= 2.0**126:
        if shift.any():
            np.subtract(host, shift.astype(dtype), out=out[:n])
        else:
            out[:n] = host
        if scale != 1.0:
            out[:n] *= dtype.type(scale)
    else:  # float64 arithmetic, a chunk of rows at a time
        with np.errstate(over="ignore"):
            for start in range(0, n, 65536):
                chunk = host[start : start + 65536].astype(np.float64)
                out[start : start + len(chunk)] = (chunk - shift) * scale
    return out, Frame(shift, scale)


def unframed(a: np.ndarray, frame: Frame, dtype) -> np.ndarray:
    """Points ``a`` ``[..., d]`` of a program back in the data's coordinates, in ``dtype``."""
    return cast(np.asarray(a, np.float64) / frame.scale + frame.shift, dtype)


def cast(a, dtype) -> np.ndarray:
    """``a`` in ``dtype``; a value beyond its range becomes infinite (the true value cannot
    be held), without NumPy's overflow warning."""
    with np.errstate(over="ignore"):
        return np.asarray(a).astype(dtype)


def weights_scale(w) -> float:
    """:func:`power_of_two_scale` of the largest weight: weights of 1e38 stay finite when
    summed (scaling every weight by one factor changes no fit)."""
    w = np.asarray(w)
    return power_of_two_scale(float(w.max())) if w.size else 1.0


def place(args, device: jax.Device):
    """``args`` ready for a program on ``device``: host arrays as they are for the default
    device (an executable takes them in one cheap step; ``jax.device_put`` first costs
    three times as long), else put on ``device``."""
    if device == jax.devices()[0]:
        return args
    return jax.device_put(args, device)


def cut(tree, sizes: dict, *, host: bool, device):
    """The fields of a result NamedTuple ``tree`` cut to their real sizes (``sizes``: field
    name -> leading sizes, None keeps an axis whole), fetched in one transfer; NumPy arrays
    with ``host``, else put back on ``device`` in one transfer."""
    fetched = jax.device_get(tree)
    fields = {}
    for name, size in sizes.items():
        index = tuple(slice(None) if s is None else slice(0, s) for s in size)
        fields[name] = np.asarray(getattr(fetched, name))[index]
    out = fetched._replace(**fields)
    return out if host else jax.device_put(out, device)


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
