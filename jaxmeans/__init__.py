"""jaxmeans: k-means clustering in JAX with scikit-learn's semantics.

Public API (everything else is private):

- :func:`kmeans` — the whole fit as one jitted program; returns a :class:`KMeansResult`.
- :func:`kmeans_plusplus` — greedy k-means++ seeding.
- :func:`assign` — nearest centroid and squared distance, in row blocks.
- :func:`pairwise_sq_dists` — all squared Euclidean distances between two sets.
"""

from ._functional import assign as assign
from ._functional import kmeans as kmeans
from ._functional import kmeans_plusplus as kmeans_plusplus
from ._functional import pairwise_sq_dists as pairwise_sq_dists
from ._lloyd import KMeansResult as KMeansResult

__version__ = "0.1.0"

__all__ = [
    "KMeansResult",
    "assign",
    "kmeans",
    "kmeans_plusplus",
    "pairwise_sq_dists",
]
