"""What the boundary asks of data that live on a device, answered there: whether every
value is finite, and the largest magnitude (the frame's scale). Pure JAX; one scalar comes
back to the host."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .tuning import Tuning


def all_finite(X: jax.Array, *, tuning: Tuning) -> jax.Array:
    """``[] bool``: no NaN or infinity in ``X`` (``tuning`` keys the program to its
    platform)."""
    return jnp.all(jnp.isfinite(X))


def magnitude(X: jax.Array, *, tuning: Tuning) -> jax.Array:
    """``[]``: the largest ``|x|`` of ``X`` (0 for an empty array)."""
    return jnp.max(jnp.abs(X)) if X.size else jnp.zeros((), X.dtype)
