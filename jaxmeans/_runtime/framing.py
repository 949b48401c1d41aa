"""Frames: data moved, exactly, into the range a program computes in, and back; padding
to the program's shapes and cutting results back to the caller's.

A program sees ``(x - shift) * scale``: ``shift`` centres float64 data before a float32
computation (or the columns every sparse row stores), ``scale`` is a power of two that
keeps squared distances away from overflow and underflow. Shapes come from
:mod:`jaxmeans._runtime.buckets`.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._core.extent import magnitude as magnitude_program
from .._core.types import Problem
from .compile import Program, on_its_devices
from .inputs import blocked, extent, full_columns, is_sparse, sparse_layout
from .validation import is_concrete

MAGNITUDE = Program(magnitude_program, ("tuning",))


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


def magnitude(a) -> float:
    """``max |a|``, from two flat reductions (per-column ones are 100x slower on narrow
    arrays)."""
    if isinstance(a, jax.Array):
        return float(jax.device_get(on_its_devices(MAGNITUDE, a)))
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
    dtype = np.dtype(dtype)
    if isinstance(X, jax.Array) and X.dtype == dtype:
        return _framed_on_device(X, rows, shift, scale, extent_of)
    host = np.asarray(X)
    n, d = host.shape
    narrowing = host.dtype.itemsize > dtype.itemsize
    if shift is None:
        shift = (np.ones(n) @ host) / n if narrowing else np.zeros(d)
    shift = np.asarray(shift, np.float64)
    if scale is None:
        extent = max(magnitude(a) for a in (host, *extent_of)) + magnitude(shift)
        scale = power_of_two_scale(extent)
    out = np.zeros((rows, d), dtype)
    exact_shift = not shift.any() or np.array_equal(shift.astype(dtype), shift)
    if not narrowing and exact_shift and 2.0**-126 <= scale <= 2.0**126:
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


def _framed_on_device(X: jax.Array, rows: int, shift, scale, extent_of):
    """:func:`framed` for an array already on its device, in its dtype: the extent is
    measured there and the rows are moved and padded there (only the extent, a scalar,
    comes to the host)."""
    n, d = X.shape
    shift = np.zeros(d) if shift is None else np.asarray(shift, np.float64)
    if scale is None:
        extents = [magnitude(X)]
        extents += [magnitude(a) for a in extent_of]
        scale = power_of_two_scale(max(extents) + magnitude(shift))
    frame = Frame(shift, scale)
    if rows == n and scale == 1.0 and not shift.any():
        return X, frame
    moved = _moved(X, shift.astype(X.dtype), np.asarray(scale, X.dtype), rows=rows)
    return moved, frame


@functools.partial(jax.jit, static_argnames="rows")
def _moved(X, shift, scale, *, rows: int):
    return jnp.pad((X - shift[None, :]) * scale, ((0, rows - X.shape[0]), (0, 0)))


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
    magnitude (no overflow, no underflow); a ``jax.Array`` alike, on its device, and
    traced input too (there a zero row cannot be reported: it stays zero).
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
    # As for NumPy: each row divided by its largest magnitude first (squares in range).
    big = jnp.max(jnp.abs(X), axis=1, keepdims=True)
    if is_concrete(big) and not bool(jax.device_get(jnp.all(big > 0))):
        _no_zero_rows(jax.device_get(big[:, 0]) > 0, name)  # fetched to name the row
    scaled = X / jnp.where(big > 0, big, 1.0)
    norms = jnp.sqrt(jnp.sum(scaled * scaled, axis=1, keepdims=True))
    return scaled / jnp.where(norms > 0, norms, 1.0)


def _no_zero_rows(nonzero: np.ndarray, name: str, offset: int = 0) -> None:
    if not nonzero.all():
        i = offset + int(np.argmin(nonzero))
        raise ValueError(
            f"{name} row {i} is all zeros: metric='cosine' needs a direction for every row "
            "(drop or replace such rows)"
        )


def frame_rows(X, w, *, rows: int, k_rows: int, dtype, unit: bool = False):
    """Rows ``X`` (dense or a CSR matrix) and weights ``w`` as a program takes them, moved
    into its frame (``(x - shift) * scale``: centred in float64 where the input has more
    precision than the computation, sparse rows shifted only in the columns every row
    stores, none of it for unit rows; scaled by a power of two so that no squared distance
    overflows or underflows) and padded: dense rows to ``rows``, sparse rows laid out in
    blocks for ``k_rows`` centroid rows. Weights scaled by a power of two into range.

    Returns ``(X, w, frame, weight_scale)``.
    """
    n, d = X.shape
    if is_sparse(X):
        shift = np.zeros(d)
        if not unit:
            means = np.bincount(X.indices, weights=X.data, minlength=d) / n
            shift = np.where(full_columns(X), means, 0.0)
        frame = Frame(shift, power_of_two_scale(extent(X, shift)))
        layout = sparse_layout(X, k_rows)
        X, rows = blocked(X, layout, dtype, frame.shift, frame.scale), layout.n_pad
    else:
        X, frame = framed(X, rows, dtype, shift=np.zeros(d) if unit else None)
    w_scale = weights_scale(w)
    return X, padded(np.asarray(w, np.float64) * w_scale, rows, dtype), frame, w_scale


def frame_problem(spec) -> tuple[Problem, Frame, float]:
    """The spec's problem as its program takes it (:func:`frame_rows`; the init moved
    alike), put where the program runs. Returns ``(problem, frame, weight_scale)``."""
    p, plan, dtype = spec.problem, spec.plan, spec.dtype
    X, w, frame, w_scale = frame_rows(
        p.X, p.w, rows=spec.rows, k_rows=plan.k, dtype=dtype, unit=plan.metric.unit_rows
    )
    init = None
    if p.init is not None:
        init, _ = framed(p.init, plan.k, dtype, shift=frame.shift, scale=frame.scale)
    problem = Problem(
        X=X,
        w=w,
        init=init,
        key=p.key,
        tol=np.asarray(p.tol, dtype),
        max_iter=np.int32(p.max_iter),
        n=np.int32(spec.n),
        k=None if spec.ks is not None else np.int32(spec.k),
    )
    return place(problem, spec.device), frame, w_scale
