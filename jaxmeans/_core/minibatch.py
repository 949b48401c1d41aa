"""One mini-batch k-means step (Sculley 2010, scikit-learn's variant), as a program.

Pure JAX. The estimator (:class:`jaxmeans.MiniBatchKMeans`) draws the batches, keeps the
per-centre weight totals, reassigns small clusters and decides when to stop; this module
does the arithmetic of one batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .distances import sq_norms
from .geometry import Metric
from .tuning import Tuning, dot_precision


def minibatch_program(
    centers, weight_sums, X, w, *, metric: Metric, precision: str, tuning: Tuning
):
    """Assign a batch to the nearest centres, then move each centre to the running mean.

    Each centre becomes the weighted mean of every point ever assigned to it: with ``W``
    its weight so far and ``S``, ``V`` the batch's weighted sum and weight for it,
    ``c <- (c W + S) / (W + V)`` (the metric's centre of that sum: its direction for
    cosine), so its learning rate ``V / (W + V)`` falls as it gathers points. Centres with
    no batch point stay put. ``metric``, ``precision`` and ``tuning`` (which keys the
    program to its platform) are static.

    Args:
      centers: ``[k, d]`` current centres.
      weight_sums: ``[k]`` weight assigned to each centre so far.
      X: ``[b, d]`` batch. w: ``[b]`` its weights.

    Returns:
      ``(centers [k, d], weight_sums [k], labels [b] int32, inertia [])``, the labels and
      the (weighted) objective being those of the batch against the centres passed in.
    """
    k = centers.shape[0]
    d2 = sq_norms(X)[:, None] + sq_norms(centers)[None, :]
    d2 = d2 - 2.0 * jnp.dot(X, centers.T, precision=dot_precision(precision))
    d2 = jnp.maximum(d2, 0.0)
    labels = jnp.argmin(d2, axis=1).astype(jnp.int32)
    inertia = jnp.sum(w * jnp.take_along_axis(d2, labels[:, None], axis=1)[:, 0])
    sums = jax.ops.segment_sum(X * w[:, None], labels, num_segments=k)
    batch_w = jax.ops.segment_sum(w, labels, num_segments=k)
    total = weight_sums + batch_w
    moved = metric.centroid(centers * weight_sums[:, None] + sums, total, centers)
    new = jnp.where((batch_w > 0)[:, None], moved, centers)
    return new, total, labels, metric.objective(inertia)


MINIBATCH_STATIC = ("metric", "precision", "tuning")
