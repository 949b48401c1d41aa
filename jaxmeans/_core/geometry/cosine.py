"""Cosine (spherical) k-means, after Dhillon & Modha (2001).

Rows are scaled to unit length first. Between unit vectors ``||x - c||^2 = 2 (1 - cos)``,
so the nearest centre by squared distance is the one of largest cosine and every loop of
the Euclidean fit runs unchanged; what differs is here: a centre is the direction of its
cluster's weighted mean, and the objective and the reported distance are ``1 - cos``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from .base import Metric


@dataclasses.dataclass(frozen=True)
class Cosine(Metric):
    """Spherical k-means: unit rows, unit centres, objective ``sum w (1 - cos)``."""

    name = "cosine"
    unit_rows = True

    def rows(self, X: jax.Array) -> jax.Array:
        """Rows scaled to unit length, each divided by its largest magnitude first so
        that its squares neither overflow nor underflow (a zero row stays zero)."""
        big = jnp.max(jnp.abs(X), axis=-1, keepdims=True)
        X = X / jnp.where(big > 0, big, 1.0)
        norm = jnp.sqrt(jnp.sum(X * X, axis=-1, keepdims=True))
        return X / jnp.where(norm > 0, norm, 1.0)

    def centroid(self, sums: jax.Array, counts: jax.Array, old: jax.Array) -> jax.Array:
        """The direction of each cluster's weighted mean (a zero mean keeps ``old``)."""
        mean = super().centroid(sums, counts, old)
        norm = jnp.sqrt(jnp.sum(mean * mean, axis=-1, keepdims=True))
        return jnp.where(norm > 0, mean / jnp.where(norm > 0, norm, 1.0), old)

    def objective(self, sq: jax.Array) -> jax.Array:
        """``1 - cos``: half the squared distance between unit vectors (linear, so the
        same of a weighted sum)."""
        return sq / 2

    def distance(self, sq: jax.Array) -> jax.Array:
        """The cosine distance ``1 - cos``."""
        return sq / 2


COSINE = Cosine()
