"""``KMeans``: a scikit-learn-style estimator over the jitted core.

It follows scikit-learn's estimator protocol (``get_params``/``set_params``, ``fit`` returns
``self``, fitted attributes end in ``_``) without importing scikit-learn, so ``clone``,
``Pipeline`` and ``GridSearchCV`` work when scikit-learn is installed and nothing needs it
when it is not.
"""

from __future__ import annotations

import inspect
import numbers
import sys

import jax
import jax.numpy as jnp
import numpy as np

from . import _validation as v
from ._distances import assign_core, block_layout, pairwise_sq_dists_core
from ._functional import fit_checked


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator.

    When scikit-learn is already imported, the error raised is also an instance of
    ``sklearn.exceptions.NotFittedError``, so code written for scikit-learn catches it;
    jaxmeans never imports scikit-learn itself.
    """


def _not_fitted(message: str) -> NotFittedError:
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError(message)
    both = type("NotFittedError", (NotFittedError, sklearn_exceptions.NotFittedError), {})
    return both(message)


def _seed_key(random_state) -> jax.Array:
    """A PRNG key from scikit-learn's ``random_state`` conventions.

    None draws a seed from NumPy's global generator (a new result each fit, as in
    scikit-learn); an int is a seed; a NumPy ``RandomState``/``Generator`` gives a seed;
    a JAX key is used as it is.
    """
    if random_state is None:
        # scikit-learn's None is NumPy's global RandomState, so np.random.seed applies.
        return jax.random.key(int(np.random.randint(0, 2**31 - 1)))  # noqa: NPY002
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return jax.random.key(int(random_state) % 2**32)
    if isinstance(random_state, np.random.RandomState):
        return jax.random.key(int(random_state.randint(0, 2**31 - 1)))
    if isinstance(random_state, np.random.Generator):
        return jax.random.key(int(random_state.integers(0, 2**31 - 1)))
    try:
        return v.check_key(random_state)
    except TypeError:
        raise ValueError(
            f"random_state must be None, an int, a NumPy RandomState/Generator or a JAX "
            f"key, got {random_state!r}"
        ) from None


class KMeans:
    """k-means clustering with scikit-learn's interface, computed by :func:`jaxmeans.kmeans`.

    Args:
      n_clusters: number of clusters.
      init: ``"k-means++"``, ``"random"`` or an ``[n_clusters, n_features]`` array.
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

    # -- scikit-learn's parameter protocol ------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(name for name in signature.parameters if name != "self")

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters, as scikit-learn's ``clone`` and grid search read them."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params) -> KMeans:
        """Set constructor parameters; unknown names raise ``ValueError``."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = inspect.signature(type(self).__init__).parameters
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults[name].default
            if isinstance(value, np.ndarray) or not (
                value is default or (type(value) is type(default) and value == default)
            ):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float32"]),
        )

    # -- fitting -----------------------------------------------------------------------------

    def _effective_n_init(self) -> int:
        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}")
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        return v.check_int(self.n_init, "n_init")

    def _validate_X(self, X, *, reset: bool) -> jax.Array:
        names = _feature_names(X)
        arr = v.check_data(X)
        if reset:
            self.n_features_in_ = arr.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return arr
        _check_fitted(self)
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return arr

    def fit(self, X, y=None, sample_weight=None) -> KMeans:
        """Compute the clustering of ``X`` ``[n_samples, n_features]``; ``y`` is ignored."""
        X = self._validate_X(X, reset=True)
        verbose = v.check_int(self.verbose, "verbose", minimum=0)
        result = fit_checked(
            X,
            self.n_clusters,
            key=_seed_key(self.random_state),
            init=self.init,
            n_init=self._effective_n_init(),
            max_iter=self.max_iter,
            tol=self.tol,
            sample_weight=sample_weight,
            verbose=bool(verbose),
            k_name="n_clusters",
        )
        self.cluster_centers_ = np.asarray(result.centroids)
        self.labels_ = _to_host(result.labels)
        self.inertia_ = float(result.inertia)
        self.n_iter_ = int(result.n_iter)
        self._centers = result.centroids
        return self

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit and return the labels of ``X``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _assign(self, X):
        n_blocks, rows = block_layout(X.shape[0], self.n_clusters)
        return assign_core(X, self._centers.astype(X.dtype), n_blocks=n_blocks, rows=rows)

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each row of ``X``, ``[n] int32``."""
        X = self._validate_X(X, reset=False)
        return np.asarray(self._assign(X)[0])

    def transform(self, X) -> np.ndarray:
        """Euclidean distances of each row of ``X`` to each centre, ``[n, n_clusters]``."""
        X = self._validate_X(X, reset=False)
        sq = pairwise_sq_dists_core(X, self._centers.astype(X.dtype))
        return np.asarray(jnp.sqrt(sq))

    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then the distances of ``X`` to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """Opposite of the (weighted) inertia of ``X`` against the fitted centres."""
        X = self._validate_X(X, reset=False)
        w = v.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        _, sq = self._assign(X)
        return -float(jnp.sum(w * sq))

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_centers", None)  # a device array; rebuilt from cluster_centers_
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "cluster_centers_" in state:
            self._centers = jnp.asarray(state["cluster_centers_"])


def _to_host(array: jax.Array) -> np.ndarray:
    """A NumPy copy of ``array``; one split over several processes is gathered from all."""
    if not array.is_fully_addressable:
        from jax.experimental import multihost_utils

        array = multihost_utils.process_allgather(array, tiled=True)
    return np.asarray(array)


def _check_fitted(model) -> None:
    if not hasattr(model, "cluster_centers_"):
        raise _not_fitted(
            f"This {type(model).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def _feature_names(X):
    """String column names of a DataFrame-like ``X``, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape"):
        return None
    names = [str(c) for c in columns] if all(isinstance(c, str) for c in columns) else None
    return np.asarray(names, dtype=object) if names else None
