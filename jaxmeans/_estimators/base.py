"""What :class:`jaxmeans.KMeans` and :class:`jaxmeans.MiniBatchKMeans` share: scikit-learn's
parameter protocol, ``random_state`` and ``n_init`` rules, input checks, and the methods of
a fitted model (``predict``, ``transform``, ``score``).

The protocol is followed without importing scikit-learn, so ``clone``, ``Pipeline`` and
``GridSearchCV`` work when scikit-learn is installed and nothing needs it when it is not.
"""

from __future__ import annotations

import contextlib
import inspect
import numbers
import sys
import warnings

import jax
import numpy as np

from .._runtime import evaluate, inputs, run
from .._runtime import validation as v
from .._runtime.buckets import tiny
from .._runtime.framing import cast, unit_rows
from .._runtime.placement import tuning_of
from ..exceptions import NotFittedError


def _not_fitted(message: str) -> NotFittedError:
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError(message)
    both = type("NotFittedError", (NotFittedError, sklearn_exceptions.NotFittedError), {})
    return both(message)


def random_seed(random_state) -> int | jax.Array:
    """An int seed, or a JAX key, from scikit-learn's ``random_state`` conventions.

    None draws a seed from NumPy's global RandomState (a new result each fit, and
    ``np.random.seed`` applies, as in scikit-learn); an int is the seed; a NumPy
    ``RandomState``/``Generator`` gives one; a JAX key is returned as it is.
    """
    if random_state is None:
        return int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    try:
        return v.check_key(random_state)
    except TypeError:
        raise ValueError(
            f"random_state must be None, an int, a NumPy RandomState/Generator or a JAX "
            f"key, got {random_state!r}"
        ) from None


def precision_of(dtype):
    """A context in which JAX computes in ``dtype``'s precision: 64-bit JAX for float64
    (for this scope only, as scikit-learn's estimators keep float64 input in float64),
    nothing otherwise."""
    if np.dtype(dtype) == np.float64:
        return jax.enable_x64(True)
    return contextlib.nullcontext()


@contextlib.contextmanager
def kept_on_failure(model):
    """The estimator's attributes as they were if the block raises: a failed fit never
    leaves a half-updated model (new features count with old centres)."""
    before = dict(model.__dict__)
    try:
        yield
    except BaseException:
        model.__dict__.clear()
        model.__dict__.update(before)
        raise


def numpy_random_state(random_state) -> np.random.RandomState:
    """A NumPy ``RandomState`` from ``random_state`` (what scikit-learn passes to a callable
    ``init``): NumPy's global one for None, as scikit-learn does."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, np.random.RandomState):
        return random_state
    seed = random_seed(random_state)
    if isinstance(seed, int):
        return np.random.RandomState(seed % 2**32)
    return np.random.RandomState(np.asarray(jax.random.key_data(seed)).ravel())  # key bits


def seed_key(random_state) -> jax.Array:
    """A PRNG key from ``random_state`` (:func:`random_seed`)."""
    seed = random_seed(random_state)
    return v.key_from_seed(seed % 2**32) if isinstance(seed, int) else seed


def _is_count(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class KMeansBase:
    """Base of the k-means estimators. Subclasses define ``__init__`` (its parameters are
    the estimator's), ``fit``, and ``_auto_n_init_random``: the restarts ``n_init="auto"``
    means for ``init="random"`` (1 for the other inits)."""

    _auto_n_init_random = 10

    # -- scikit-learn's parameter protocol ------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(name for name in signature.parameters if name != "self")

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters, as scikit-learn's ``clone`` and grid search read them."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
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
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="clusterer",
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
            input_tags=InputTags(sparse=True),
        )

    # -- checks ------------------------------------------------------------------------------

    def _resolved_n_init(self, data=None) -> int:
        """``n_init`` with "auto" resolved: more restarts for random and callable inits
        (``_auto_n_init_random``, as scikit-learn); for k-means++ and arrays one, except
        that with ``data`` given (KMeans) a small k-means++ fit runs the restarts that cost
        about what one run does (:meth:`jaxmeans._core.tuning.Tuning.auto_restarts`). Array
        inits are one run whatever it says."""
        if isinstance(self.n_init, str):
            if self.n_init != "auto":
                raise ValueError(f"n_init must be 'auto' or an int >= 1, got {self.n_init!r}")
            drawn = callable(self.init) or (isinstance(self.init, str) and self.init == "random")
            if drawn:
                return self._auto_n_init_random
            plusplus = isinstance(self.init, str) and self.init == "k-means++"
            k = self.n_clusters
            if data is None or not plusplus or len(data.shape) != 2 or not _is_count(k):
                return 1  # (a bad n_clusters or X is reported by the fit's checks)
            n, d = data.shape
            return tuning_of(data).restarts_for_auto(tiny(n, d), int(k))
        return v.check_int(self.n_init, "n_init")

    def _init_centroids(
        self, X, x_squared_norms, init, random_state, sample_weight, init_size=None,
        n_centroids=None,
    ):  # fmt: skip
        """Starting centres as scikit-learn's private hook of the same name draws them (its
        tests call it): ``n_centroids`` (default ``n_clusters``) rows of ``X``, or of
        ``init_size`` rows drawn from it, by ``init`` with the NumPy ``random_state``;
        ``x_squared_norms`` is accepted and not needed."""
        X = np.asarray(v.check_data(X))
        w = np.asarray(v.check_sample_weight(sample_weight, len(X), X.dtype), np.float64)
        k = self.n_clusters if n_centroids is None else n_centroids
        if init_size is not None and init_size < len(X):
            pick = random_state.randint(0, len(X), init_size)
            X, w = X[pick], w[pick]
        if isinstance(init, str) and init in ("k-means++", "k-means||"):
            seed = int(random_state.randint(0, 2**31 - 1))
            return np.asarray(run.seeds(v.check_key(seed), X, w, k, init=init)[0], X.dtype)
        if isinstance(init, str) and init == "random":
            return X[random_state.choice(len(X), k, replace=False, p=w / w.sum())]
        if callable(init):
            init = init(X, k, random_state=random_state)
        return np.asarray(v.check_init(init, k, X.shape[1], X.dtype)[1], X.dtype)

    def _check_features(self, d: int) -> None:
        if d != self.n_features_in_:
            raise ValueError(
                f"X has {d} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )

    def _set_features(self, X_in, d: int) -> None:
        """Record ``n_features_in_`` and, for a DataFrame, ``feature_names_in_``."""
        self.n_features_in_ = d
        names = feature_names(X_in)
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _validate_X(self, X) -> jax.Array:
        """``X`` checked for a fitted model's methods: its features must be the fitted
        ones (count, and names and order when either side has names)."""
        _check_fitted(self)
        self._check_feature_names(X)
        arr = inputs.check_rows(X)
        self._check_features(arr.shape[1])
        return arr

    def _check_feature_names(self, X) -> None:
        """scikit-learn's rule: different column names or order raise; names on one side
        only warn."""
        names = feature_names(X)
        fitted = getattr(self, "feature_names_in_", None)
        cls = type(self).__name__
        if names is None and fitted is None:
            return
        if fitted is None:
            warnings.warn(
                f"X has feature names, but {cls} was fitted without feature names",
                UserWarning,
                stacklevel=3,
            )
            return
        if names is None:
            warnings.warn(
                f"X does not have valid feature names, but {cls} was fitted with feature names",
                UserWarning,
                stacklevel=3,
            )
            return
        if len(names) == len(fitted) and (names == fitted).all():
            return
        unseen = [n for n in names if n not in set(fitted)]
        missing = [n for n in fitted if n not in set(names)]
        message = "The feature names should match those that were passed during fit.\n"
        if unseen:
            message += "Feature names unseen at fit time:\n" + "".join(f"- {n}\n" for n in unseen)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + "".join(
                f"- {n}\n" for n in missing
            )
        if not unseen and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(message)

    # -- a fitted model -------------------------------------------------------------------

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit and return the labels of ``X``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _metric(self):
        """The :class:`~jaxmeans._core.geometry.base.Metric` ``metric`` names."""
        return v.check_metric(getattr(self, "metric", "euclidean"))

    def _assign(self, X):
        """``(labels, objective)`` of checked ``X`` against the centres, as NumPy arrays,
        computed in the precision of the fit: each row's part of the objective
        (:meth:`Metric.objective`: the squared Euclidean distance, or for
        ``metric="cosine"`` the cosine distance ``1 - cos``), in float64."""
        metric = self._metric()
        with precision_of(self.cluster_centers_.dtype):
            X = unit_rows(X) if metric.unit_rows else X
            labels, sq = evaluate.assign(X, self.cluster_centers_, traced=False, host=True)
        return labels, metric.objective(sq)

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each row of ``X``, ``[n] int32``."""
        X = self._validate_X(X)
        return self._assign(X)[0]

    def transform(self, X):
        """Euclidean distances of each row of ``X`` to each centre, ``[n, n_clusters]``, in
        the precision of the fit (a DataFrame after ``set_output(transform="pandas")``, or
        without a ``set_output`` under scikit-learn's ``set_config(transform_output="pandas")``
        or ``config_context``, columns ``kmeans0``, ``kmeans1``...);
        with ``metric="cosine"`` cosine distances ``1 - cos(x, c)``."""
        data = self._validate_X(X)
        metric = self._metric()
        dtype = self.cluster_centers_.dtype
        with precision_of(dtype):
            data = unit_rows(data) if metric.unit_rows else data
            sq = evaluate.sq_dists(data, self.cluster_centers_, traced=False, host=True)
        return self._wrap_output(cast(metric.distance(sq), dtype), X)

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then the distances of ``X`` to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the ``transform`` columns: the class name in lower case and the
        cluster number (``kmeans0``, ``kmeans1``...), as scikit-learn names them."""
        _check_fitted(self)
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            fitted = getattr(self, "feature_names_in_", None)
            if len(given) != self.n_features_in_ or (
                fitted is not None and not np.array_equal(given, fitted)
            ):
                raise ValueError(
                    "input_features is not equal to feature_names_in_"
                    if fitted is not None
                    else f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(given)}"
                )
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(len(self.cluster_centers_))], object)

    def set_output(self, *, transform=None):
        """Choose the container ``transform`` and ``fit_transform`` return: ``"default"``
        (NumPy), ``"pandas"`` or ``"polars"``; None leaves it as it is. scikit-learn's
        ``Pipeline.set_output`` calls this."""
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ValueError(
                f"transform must be 'default', 'pandas', 'polars' or None, got {transform!r}"
            )
        self._sklearn_output_config = {"transform": transform}
        return self

    def _wrap_output(self, out: np.ndarray, X):
        # As scikit-learn decides: this estimator's set_output, else the global
        # sklearn.set_config / config_context (read only where scikit-learn is loaded:
        # whoever set it has imported it).
        config = getattr(self, "_sklearn_output_config", {})
        sklearn = sys.modules.get("sklearn")
        default = "default" if sklearn is None else sklearn.get_config().get("transform_output")
        default = default or "default"
        kind = config.get("transform", default)
        if kind == "default":
            return out
        columns = list(self.get_feature_names_out())
        if kind == "polars":
            import polars

            return polars.DataFrame(out, schema=columns)
        import pandas

        return pandas.DataFrame(out, columns=columns, index=getattr(X, "index", None))

    def score(self, X, y=None, sample_weight=None) -> float:
        """Opposite of the (weighted) inertia of ``X`` against the fitted centres (with
        ``metric="cosine"``, of ``sum w * (1 - cos)``)."""
        X = self._validate_X(X)
        w = v.check_sample_weight(sample_weight, X.shape[0], X.dtype)
        _, sq = self._assign(X)
        return -float(np.sum(np.asarray(w, np.float64) * sq, dtype=np.float64))


def _check_fitted(model) -> None:
    if not hasattr(model, "cluster_centers_"):
        raise _not_fitted(
            f"This {type(model).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )


def feature_names(X):
    """String column names of a DataFrame-like ``X``, else None; TypeError for names of
    mixed types, some strings (scikit-learn's rule and message)."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape"):
        return None
    types = sorted({"str" if isinstance(c, str) else type(c).__name__ for c in columns})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, but "
            f"your input has {types} as feature name / column name types. If you want "
            "feature names to be stored and validated, you must convert them all to strings, "
            "by using X.columns = X.columns.astype(str) for example. Otherwise you can remove "
            "feature / column names from your input data, or convert them all to a "
            "non-string data type."
        )
    names = [str(c) for c in columns] if all(isinstance(c, str) for c in columns) else None
    return np.asarray(names, dtype=object) if names else None
