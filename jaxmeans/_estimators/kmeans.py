"""``KMeans``: a scikit-learn-style estimator over the jitted core."""

from __future__ import annotations

import warnings

import jax
import numpy as np

from .._runtime import inputs, run
from .._runtime import validation as v
from .._runtime.spec import specify
from .base import (
    KMeansBase,
    feature_names,
    kept_on_failure,
    numpy_random_state,
    precision_of,
    seed_key,
)

ALGORITHMS = ("lloyd", "elkan")


class KMeans(KMeansBase):
    """k-means clustering with scikit-learn's interface, computed by :func:`jaxmeans.kmeans`.

    Like scikit-learn, the estimator keeps the input's precision: float32 input is fitted in
    float32, float64 and integer input in float64 (64-bit JAX is turned on for the call
    alone; the global setting is untouched), and ``cluster_centers_``, ``transform`` and
    ``inertia_`` come back in that precision.

    Args:
      n_clusters: number of clusters.
      init: ``"k-means++"``, ``"k-means||"`` (scalable k-means++, for large
        ``n_clusters``; see :func:`jaxmeans.kmeans`), ``"random"``, an
        ``[n_clusters, n_features]`` array, or a
        callable ``init(X, n_clusters, random_state) -> [n_clusters, n_features]`` called
        once per restart with a NumPy ``RandomState`` (as in scikit-learn).
      n_init: restarts, or ``"auto"``: 10 for ``"random"`` and callables and 1 for arrays
        (scikit-learn's rule); for ``"k-means++"`` 10 restarts where they cost about what one
        run does (data of at most 4,096 entries, such as iris, and ``n_clusters <= 8``:
        restarts run side by side, and there a fit's time is fixed costs), else 1 as in
        scikit-learn. ``n_init=1`` is always exactly one run.
      max_iter: maximum Lloyd iterations per restart.
      tol: relative tolerance on the centroid shift (scaled by the mean feature variance).
      verbose: 1 prints each iteration's inertia, from inside the jitted loop.
      random_state: None (a new seed each fit), an int, a NumPy generator or a JAX key.
      copy_x: accepted for scikit-learn's interface; ``X`` is never modified either way.
      algorithm: ``"lloyd"`` or ``"elkan"``; both give Lloyd's iterations (scikit-learn's
        Elkan gives the same ones, with bounds). jaxmeans uses Hamerly's bounds where they
        pay, whichever is named.
      metric: ``"euclidean"`` (scikit-learn's k-means), or ``"cosine"``: spherical
        k-means (see :func:`jaxmeans.kmeans`); then ``cluster_centers_`` have unit length,
        ``inertia_`` and ``score`` use ``1 - cos``, and ``transform`` gives cosine
        distances.
      precision: of the distance products, as for :func:`jaxmeans.kmeans`
        (``"highest"``, ``"high"`` or ``"default"``; the same results on CPUs).

    Attributes:
      cluster_centers_: ``[n_clusters, n_features]`` centroids (NumPy).
      labels_: ``[n_samples] int32`` labels of the training data.
      inertia_: sum of squared distances of the training data to their centroid.
      n_iter_: Lloyd iterations of the best restart.
      n_features_in_: number of features seen in ``fit``.
      feature_names_in_: column names, when ``fit`` was given a DataFrame with string
        column names.

    Example:
      >>> from jaxmeans import KMeans
      >>> X = [[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]]
      >>> model = KMeans(n_clusters=2, random_state=0).fit(X)
      >>> sorted(model.cluster_centers_[:, 1].tolist())
      [0.5, 10.5]
      >>> model.predict([[1.0, 1.0], [9.0, 9.0]]).tolist() == model.labels_[[0, 2]].tolist()
      True
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        metric="euclidean",
        precision="highest",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.metric = metric
        self.precision = precision

    def fit(self, X, y=None, sample_weight=None) -> KMeans:
        """Compute the clustering of ``X`` ``[n_samples, n_features]``; ``y`` is ignored."""
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"The 'algorithm' parameter of {type(self).__name__} must be a str among "
                f"{{'elkan', 'lloyd'}}. Got {self.algorithm!r} instead."
            )
        if not isinstance(self.copy_x, bool | np.bool_):
            raise TypeError(f"copy_x must be a bool, got {self.copy_x!r}")
        if self.algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=2,
            )
        verbose = v.check_int(self.verbose, "verbose", minimum=0)
        feature_names(X)  # mixed str and non-str column names: TypeError, as in scikit-learn
        data = inputs.check_sparse(X) if inputs.is_sparse(X) else v.as_array(X, "X")
        with kept_on_failure(self), precision_of(data.dtype):
            n_init = self._resolved_n_init(data)
            common = dict(
                k=self.n_clusters,
                max_iter=self.max_iter,
                tol=self.tol,
                sample_weight=sample_weight,
                k_name="n_clusters",
                caller=type(self).__name__,
                metric=self.metric,
                precision=self.precision,
            )
            if callable(self.init):
                result, spec = self._fit_callable(data, n_init, bool(verbose), common)
            else:
                key = seed_key(self.random_state)
                spec = specify(data, key=key, init=self.init, n_init=n_init, **common)
                result = run.fit(spec, verbose=bool(verbose), host=True)
            self._set_features(X, spec.problem.X.shape[1])
            self.cluster_centers_ = np.asarray(result.centroids)
            self.labels_ = _to_host(result.labels)
            self.inertia_ = float(result.inertia)
            self.n_iter_ = int(result.n_iter)
            self._n_init = spec.plan.n_init if not callable(self.init) else n_init
        return self

    def _fit_callable(self, data, n_init: int, verbose: bool, common: dict):
        """The best of ``n_init`` fits, each from ``self.init(X, n_clusters, random_state)``
        (one NumPy ``RandomState`` shared by the calls, as scikit-learn does)."""
        state = numpy_random_state(self.random_state)
        best = None
        for _ in range(n_init):
            centres = self.init(data, self.n_clusters, random_state=state)
            spec = specify(data, key=0, init=centres, n_init=1, **common)
            result = run.fit(spec, verbose=verbose, host=True)
            if best is None or float(result.inertia) < float(best[0].inertia):
                best = (result, spec)
        return best


def _to_host(array) -> np.ndarray:
    """A NumPy copy of ``array``; one split over several processes is gathered from all."""
    if isinstance(array, jax.Array) and not array.is_fully_addressable:
        from jax.experimental import multihost_utils

        array = multihost_utils.process_allgather(array, tiled=True)
    return np.asarray(array)
