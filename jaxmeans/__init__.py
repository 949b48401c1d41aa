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

import importlib

# Each public name and the module that defines it. They are imported on first use
# (PEP 562), so that ``import jaxmeans`` and the command line's ``--help`` do not start JAX.
_WHERE = {
    "datasets": None,
    "exceptions": None,
    "metrics": None,
    "plot": None,
    "choose_k": "._api.choose",
    "choose_k_verdict": "._api.choose",
    "assign": "._api.functions",
    "elbow": "._api.functions",
    "find_knee": "._api.functions",
    "kmeans": "._api.functions",
    "kmeans_plusplus": "._api.functions",
    "pairwise_sq_dists": "._api.functions",
    "gap_k_best": "._api.gap",
    "gap_statistic": "._api.gap",
    "ChooseKResult": "._core.types",
    "ElbowResult": "._core.types",
    "GapResult": "._core.types",
    "KMeansResult": "._core.types",
    "KMeans": "._estimators.kmeans",
    "MiniBatchKMeans": "._estimators.minibatch",
    "cache_dir": "._runtime.cache",
    "set_cache_dir": "._runtime.cache",
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'jaxmeans' has no attribute {name!r}")
    where = _WHERE[name]
    if where is None:  # a public module
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__():
    return sorted({*globals(), *_WHERE})


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
