"""jaxmeans: k-means clustering in JAX with scikit-learn's semantics.

Public API (everything else is private):

- :func:`kmeans` — the whole fit as one jitted program; returns a :class:`KMeansResult`.
- :func:`kmeans_plusplus` — greedy k-means++ seeding.
- :func:`assign` — nearest centroid and squared distance, in row blocks.
- :func:`pairwise_sq_dists` — all squared Euclidean distances between two sets.
- :func:`elbow` — k-means for many k in one vmapped program, with the knee;
  :class:`ElbowResult`.
- :func:`find_knee` — the Kneedle knee of any decreasing convex curve.
- :func:`gap_statistic` — Tibshirani's gap statistic for many k in one program;
  :class:`GapResult`.
- :func:`gap_k_best` — the k a decision rule (R's ``cluster::maxSE`` methods) picks from a
  :class:`GapResult`, without refitting.
- :func:`choose_k` — every criterion for choosing k (the knee, silhouette,
  Calinski-Harabasz, Davies-Bouldin, the gap, stability), their votes;
  :class:`ChooseKResult`, and :func:`choose_k_verdict` in words.
- :mod:`metrics` — silhouette, Calinski-Harabasz and Davies-Bouldin scores.
- :class:`KMeans` — the scikit-learn-style estimator.
- :class:`MiniBatchKMeans` — mini-batch k-means for data read a batch at a time.
- :mod:`datasets` — the tutorial's blobs, iris, ``make_blobs`` and a CSV reader.
- :mod:`plot` — clusters, elbow curves, the gap statistic, confusion matrices, 3-D views
  (matplotlib).
- :mod:`exceptions` — ``ConvergenceWarning`` and ``NotFittedError``, to catch or filter.
- :func:`cache_dir`, :func:`set_cache_dir` — where compiled programs are kept across
  processes (``JAXMEANS_CACHE_DIR``), or turn that off.
"""

from . import datasets as datasets
from . import exceptions as exceptions
from . import metrics as metrics
from . import plot as plot
from ._api.choose import choose_k as choose_k
from ._api.choose import choose_k_verdict as choose_k_verdict
from ._api.functions import assign as assign
from ._api.functions import elbow as elbow
from ._api.functions import find_knee as find_knee
from ._api.functions import kmeans as kmeans
from ._api.functions import kmeans_plusplus as kmeans_plusplus
from ._api.functions import pairwise_sq_dists as pairwise_sq_dists
from ._api.gap import gap_k_best as gap_k_best
from ._api.gap import gap_statistic as gap_statistic
from ._core.types import ChooseKResult as ChooseKResult
from ._core.types import ElbowResult as ElbowResult
from ._core.types import GapResult as GapResult
from ._core.types import KMeansResult as KMeansResult
from ._estimators.kmeans import KMeans as KMeans
from ._estimators.minibatch import MiniBatchKMeans as MiniBatchKMeans
from ._runtime.cache import cache_dir as cache_dir
from ._runtime.cache import set_cache_dir as set_cache_dir

__version__ = "0.1.0"

__all__ = [
    "ChooseKResult",
    "ElbowResult",
    "GapResult",
    "KMeans",
    "KMeansResult",
    "MiniBatchKMeans",
    "assign",
    "cache_dir",
    "choose_k",
    "choose_k_verdict",
    "datasets",
    "elbow",
    "exceptions",
    "find_knee",
    "gap_k_best",
    "gap_statistic",
    "kmeans",
    "kmeans_plusplus",
    "metrics",
    "pairwise_sq_dists",
    "plot",
    "set_cache_dir",
]
