"""What a metric is to the core: one value in the :class:`~jaxmeans._core.types.Plan`.

Pure JAX. Every loop (Lloyd's, Hamerly's, the sweep, the sharded and the sparse fits)
finds nearest centroids by squared Euclidean distance on the rows it is given, and asks
the plan's metric everything else that depends on what "near" means:

- :attr:`Metric.unit_rows`: the boundary scales the rows to unit length (and does not
  centre them) before any program sees them (:meth:`Metric.rows` does the same to rows a
  program draws itself, the gap statistic's reference sets);
- :meth:`Metric.centroid`: a cluster's centre from its weighted sum and weight;
- :meth:`Metric.objective`: a row's share of the fit's objective (``inertia``) from its
  squared distance to its centre;
- :meth:`Metric.distance`: the distance ``transform`` reports, from the squared one.

So a metric is one module here (its subclass) plus its tests; nothing else changes.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Metric:
    """The Euclidean rules, which other metrics refine (hashable: a static argument)."""

    name = "euclidean"
    unit_rows = False

    def rows(self, X: jax.Array) -> jax.Array:
        """Rows ``[n, d]`` as this metric compares them (drawn reference rows, inside a
        program; the boundary prepares the caller's rows itself)."""
        return X

    def centroid(self, sums: jax.Array, counts: jax.Array, old: jax.Array) -> jax.Array:
        """Centres ``[..., k, d]`` from per-cluster weighted sums ``[..., k, d]`` and
        weights ``[..., k]``: each cluster's weighted mean; one with no weight keeps its
        ``old`` centre."""
        filled = counts > 0
        safe = jnp.where(filled, counts, 1.0)
        return jnp.where(filled[..., None], sums / safe[..., None], old)

    def objective(self, sq: jax.Array) -> jax.Array:
        """A row's part of the objective from its squared distance to its centre (or a
        weighted sum's, from theirs; NumPy or JAX arrays alike)."""
        return sq

    def distance(self, sq: jax.Array) -> jax.Array:
        """The distance ``transform`` reports, from the squared distance (NumPy or JAX
        arrays alike)."""
        return sq**0.5
