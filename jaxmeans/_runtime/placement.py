"""Where a fit's rows live, and which backend's rules apply: on one device, or split by
rows over one axis of a mesh; the platform of that device and its
:class:`~jaxmeans._core.tuning.Tuning`. The only module that asks JAX which backend is in
use."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .._core.tuning import Tuning, tuning_for
from .validation import is_concrete


class RowSplit(NamedTuple):
    """Data split by rows for a data-parallel fit.

    Attributes:
      X: ``[n_pad, d]`` rows split over ``axis`` (zero rows past the real ``n``).
      w: ``[n_pad]`` weights split the same way (zero past ``n``).
      mesh: the mesh.
      axis: the mesh axis name (or names) the rows are split over.
    """

    X: jax.Array
    w: jax.Array
    mesh: Mesh
    axis: str | tuple[str, ...]


def device_of(X) -> jax.Device:
    """The device a single-device fit of ``X`` runs on: where a ``jax.Array`` already is,
    else JAX's default device (``jax.default_device`` included)."""
    if isinstance(X, jax.Array):
        devices = X.devices()
        if len(devices) == 1:
            return next(iter(devices))
    default = jax.config.jax_default_device
    if isinstance(default, jax.Device):
        return default
    return jax.devices(default)[0] if isinstance(default, str) else jax.devices()[0]


def on_one_device(X):
    """``X``, or when it is a ``jax.Array`` split over several devices, the same rows
    gathered onto the first device of :func:`device_of` (device to device): programs that
    are not data-parallel (evaluations against centres, scores, seedings) run on one
    device."""
    if not (isinstance(X, jax.Array) and is_concrete(X) and len(X.devices()) > 1):
        return X
    mesh = getattr(X.sharding, "mesh", None)
    if mesh is None:
        return jax.device_put(X, device_of(X))
    # Replicated over the mesh, then one device's copy: an array moved straight onto one
    # device would keep the mesh's axes in its type (JAX 0.10), which a one-device program
    # rejects.
    return jax.device_put(X, NamedSharding(mesh, P())).addressable_data(0)


def row_axis(X) -> tuple[Mesh, str | tuple[str, ...]] | None:
    """``(mesh, axis)`` when ``X`` is a ``jax.Array`` split by rows over ``axis`` of a mesh
    with more than one device along it and not split by columns; else None."""
    sharding = getattr(X, "sharding", None)
    if not isinstance(sharding, NamedSharding) or getattr(X, "ndim", 0) != 2:
        return None
    spec = (*sharding.spec, None, None)
    axis, columns = spec[0], spec[1]
    if axis is None or columns is not None:
        return None
    names = axis if isinstance(axis, tuple) else (axis,)
    size = 1
    for name in names:
        size *= sharding.mesh.shape[name]
    return (sharding.mesh, axis) if size > 1 else None


def split_rows(X: jax.Array, w: jax.Array, mesh) -> RowSplit | None:
    """The rows split for a data-parallel fit, or None for a fit on one device.

    ``X`` already split by rows over a mesh is used as it is (``w`` follows it). With a
    ``mesh``, ``X`` and ``w`` are padded with zero-weight rows to a multiple of the size of
    the mesh's first axis and split over it.
    """
    if mesh is None:
        found = row_axis(X)
        if found is None:
            return None
        mesh, axis = found
    else:
        if not isinstance(mesh, Mesh):
            raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
        axis = mesh.axis_names[0]
        pad = -X.shape[0] % mesh.shape[axis]
        X = jnp.pad(X, ((0, pad), (0, 0)))
        w = jnp.pad(w, (0, pad))
        X = jax.device_put(X, NamedSharding(mesh, P(axis, None)))
    # From host memory, so that the same values land on every process's devices.
    w = jax.device_put(np.asarray(w), NamedSharding(mesh, P(axis)))
    return RowSplit(X, w, mesh, axis)


def unsplit_labels(labels: jax.Array, rows: RowSplit, n: int) -> jax.Array:
    """The labels of a data-parallel fit: split like ``X`` when no row was padded, else the
    ``n`` real labels, replicated (an uneven split does not exist)."""
    if rows.X.shape[0] == n:
        return labels
    return jax.device_put(labels, NamedSharding(rows.mesh, P()))[:n]


def platform_of(*arrays) -> str:
    """The platform of the first concrete ``jax.Array`` in ``arrays`` that lives on
    devices; the default backend for NumPy input and tracers (inside a caller's ``jit``
    the caller's placement decides, and JAX compiles for the default backend)."""
    for a in arrays:
        if isinstance(a, jax.Array) and is_concrete(a):
            return next(iter(a.devices())).platform
    return jax.default_backend()


def tuning_of(*arrays) -> Tuning:
    """:func:`tuning_for` the platform the arrays live on."""
    return tuning_for(platform_of(*arrays))
