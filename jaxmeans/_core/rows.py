"""The one place that tells the two kinds of rows apart: dense arrays and sparse blocks.

Pure JAX. A program's ``Problem.X`` is a ``[n, d]`` array or a
:class:`~jaxmeans._core.sparse.SparseRows`; :func:`prepare` makes either into the rows a
loop works on (:class:`~jaxmeans._core.dense.Data`,
:class:`~jaxmeans._core.sparse.SparseData`), which answer the same questions.
"""

from __future__ import annotations

import jax

from . import dense, sparse
from .geometry import EUCLIDEAN, Metric
from .tuning import Tuning


def prepare(
    X,
    w: jax.Array,
    *,
    k: int,
    tuning: Tuning,
    n: jax.Array | int | None = None,
    lanes: int = 1,
    metric: Metric = EUCLIDEAN,
):
    """The rows of ``X`` ready for a fit of ``k`` centroid rows in ``lanes`` fits side by
    side (:func:`jaxmeans._core.dense.prepare`, :func:`jaxmeans._core.sparse.prepare`)."""
    if isinstance(X, sparse.SparseRows):
        return sparse.prepare(X, w, n=n, metric=metric)
    return dense.prepare(X, w, k=k, tuning=tuning, n=n, lanes=lanes, metric=metric)
