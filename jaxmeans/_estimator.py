"""``KMeans``: a scikit-learn-style estimator over the jitted core."""

from __future__ import annotations

import jax
import numpy as np

from . import _run
from . import _validation as v
from ._base import KMeansBase, precision_of, seed_key
from ._spec import specify


class KMeans(KMeansBase):
    """k-means clustering with scikit-learn's interface, computed by :func:`jaxmeans.kmeans`.

    Args:
      n_clusters: number of clusters.
      init: ``"k-means++"``, ``"random"`` or an ``[n_clusters, n_features]`` array.

    Like scikit-learn, the estimator keeps the input's precision: float32 input is fitted
    in float32, float64 and integer input in float64 (64-bit JAX is turned on for the fit
    alone; the global setting is untouched), and ``cluster_centers_``, ``transform`` and
    ``inertia_`` come back in that precision.
      n_init: restarts, or ``"auto"``: 1 for ``"k-means++"`` and array inits, 10 for
        ``"random"`` (scikit-learn's rule).
      max_iter: maximum Lloyd iterations per restart.
      tol: relative tolerance on the centroid shift (scaled by the mean feature variance).
      random_state: None (a new seed each fit), an int, a NumPy generator or a JAX key.
      verbose: 1 prints each iteration's inertia, from inside the jitted loop.

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
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None, sample_weight=None) -> KMeans:
        """Compute the clustering of ``X`` ``[n_samples, n_features]``; ``y`` is ignored."""
        verbose = v.check_int(self.verbose, "verbose", minimum=0)
        data = v.as_array(X, "X")
        with precision_of(data.dtype):
            spec = specify(
                data,
                k=self.n_clusters,
                key=seed_key(self.random_state),
                init=self.init,
                n_init=self._n_init(),
                max_iter=self.max_iter,
                tol=self.tol,
                sample_weight=sample_weight,
                k_name="n_clusters",
                caller=type(self).__name__,
            )
            result = _run.fit(spec, verbose=bool(verbose), host=spec.rows is None)
        self._set_features(X, spec.problem.X.shape[1])
        self.cluster_centers_ = np.asarray(result.centroids)
        self.labels_ = _to_host(result.labels)
        self.inertia_ = float(result.inertia)
        self.n_iter_ = int(result.n_iter)
        return self


def _to_host(array) -> np.ndarray:
    """A NumPy copy of ``array``; one split over several processes is gathered from all."""
    if isinstance(array, jax.Array) and not array.is_fully_addressable:
        from jax.experimental import multihost_utils

        array = multihost_utils.process_allgather(array, tiled=True)
    return np.asarray(array)
