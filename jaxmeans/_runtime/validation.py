"""Checks at the Python boundary: user input in, validated JAX arrays out.

Every failure is a ``TypeError`` or ``ValueError`` that names the parameter and its value.
Checks that need values (NaN, negative weights) run only on concrete arrays, so the public
functions still work under ``jax.jit`` and ``jax.vmap``.
"""

from __future__ import annotations

import numbers
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .._core.extent import all_finite
from .._core.geometry import METRICS, Metric
from .._core.tuning import PRECISIONS
from ..exceptions import ConvergenceWarning
from .compile import Program, on_its_devices

ALL_FINITE = Program(all_finite, ("tuning",))

try:  # the public home of Tracer has moved between JAX releases
    from jax.core import Tracer
except ImportError:  # pragma: no cover
    from jax._src.core import Tracer

INIT_MODES = ("k-means++", "k-means||", "random")


def warn_convergence(message: str, stacklevel: int) -> None:
    """Warn with :class:`ConvergenceWarning` (scikit-learn's too when it is loaded)."""
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    category = ConvergenceWarning
    if sklearn_exceptions is not None:
        bases = (ConvergenceWarning, sklearn_exceptions.ConvergenceWarning)
        category = type("ConvergenceWarning", bases, {})
    warnings.warn(message, category, stacklevel=stacklevel + 1)


@jax.custom_jvp
def not_differentiable(x):
    """``x``, unchanged; differentiating through it raises a TypeError that says why,
    instead of JAX's error from deep inside a ``while_loop``."""
    return x


@not_differentiable.defjvp
def _not_differentiable_jvp(primals, tangents):
    raise TypeError(
        "jaxmeans fits are not differentiable: assigning points to their nearest centre is "
        "a discrete choice and the Lloyd loop runs a data-dependent number of steps. "
        "Fit jax.lax.stop_gradient(X) instead and differentiate a function of the result "
        "(e.g. squared distances from X to the fitted centroids)."
    )


def is_concrete(x) -> bool:
    """True when ``x``'s values are known now (not a tracer inside jit/vmap/grad)."""
    return not isinstance(x, Tracer)


def any_traced(*values) -> bool:
    """True when any array in ``values`` (pytrees allowed) is a tracer."""
    return any(isinstance(a, Tracer) for a in jax.tree_util.tree_leaves(values))


def float_dtype(dtype) -> np.dtype:
    """The float dtype computations use: float32, or float64 where the input is float64
    and x64 is enabled. Integers and booleans become the default float type."""
    if jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.promote_types(dtype, jnp.float32)
    else:
        dtype = jnp.zeros((), dtype=float).dtype
    return jax.dtypes.canonicalize_dtype(dtype)


def _describe(x) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(x, name: str) -> np.ndarray | jax.Array:
    """``x`` as a floating array: a NumPy array in its own precision (float32 or float64;
    integers, booleans and numbers held as objects become float64, as scikit-learn does;
    float16 and bfloat16 become float32; a missing value held as an object, pandas'
    ``pd.NA`` or None, is the ValueError NaN gets),
    or, when ``x`` is a JAX array, a JAX array of the compute dtype (:func:`float_dtype`),
    so that it stays where it is, or traced. TypeError for non-numeric input. Never mutates
    ``x``."""
    if hasattr(x, "toarray") and hasattr(x, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix, and sparse input is not supported; "
            f"pass a dense array ({name}.toarray())"
        )
    if isinstance(x, jax.Array):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a numeric array, got {_describe(x)}") from err
    kind = np.dtype(arr.dtype).kind
    if kind == "V" and jnp.issubdtype(arr.dtype, jnp.floating):  # bfloat16 & co (ml_dtypes)
        kind = "f"
    if kind == "O":  # numbers held as Python objects are fine; anything else is not
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            missing = _missing(arr)
            if missing.any():  # pandas' pd.NA (nullable columns), None: missing, as NaN is
                where = tuple(int(i) for i in np.argwhere(missing)[0])
                raise ValueError(
                    f"{name} contains NaN or infinity ({arr[where]} at index {where}); "
                    "remove or impute those values first"
                ) from None
            raise TypeError(
                f"{name} must be a numeric array, got dtype object (non-numeric values: {err})"
            ) from None
        kind = "f"
    if kind == "c":
        raise ValueError(f"{name} must be real: Complex data not supported (dtype {arr.dtype})")
    if kind not in "biuf":
        raise TypeError(
            f"{name} must be a numeric array, got dtype {arr.dtype}"
            + (" (non-numeric values)" if kind in "US" else "")
        )
    if isinstance(arr, jax.Array):
        dtype = float_dtype(arr.dtype)
        return arr if arr.dtype == dtype else arr.astype(dtype)
    host = (
        np.float64
        if kind != "f" or arr.dtype.itemsize > 8
        else np.float32
        if arr.dtype.itemsize < 4
        else np.promote_types(arr.dtype, np.float32)
    )
    return np.asarray(arr, dtype=host)


def _missing(arr: np.ndarray) -> np.ndarray:
    """Where an object array holds a missing value: None or pandas' ``pd.NA``."""
    return np.frompyfunc(lambda e: e is None or type(e).__name__ == "NAType", 1, 1)(arr).astype(
        bool
    )


def check_finite(arr: jax.Array, name: str) -> None:
    """ValueError naming the first NaN/inf entry of a concrete array. A ``jax.Array`` is
    tested where it lives (one reduction on its devices); only a failing one is fetched,
    to name the entry (rows on other processes: no index)."""
    if not is_concrete(arr):
        return
    if isinstance(arr, jax.Array):
        with jax.ensure_compile_time_eval():  # a value now, even inside the caller's trace
            finite = on_its_devices(ALL_FINITE, arr)
        if bool(jax.device_get(finite)):
            return
        if not arr.is_fully_addressable:
            raise ValueError(f"{name} contains NaN or infinity; remove or impute those values")
        arr = jax.device_get(arr)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains NaN or infinity ({arr[where]} at index {where}); "
            "remove or impute those values first"
        )


def check_data(X, name: str = "X", dtype=None):
    """A 2-D, non-empty, finite, floating ``[n, d]`` array (:func:`as_array`) whose values
    the compute dtype ``dtype`` (default :func:`float_dtype` of its own) can hold."""
    arr = as_array(X, name)
    check_shape(arr.shape, name)
    check_finite(arr, name)
    check_representable(arr, name, float_dtype(arr.dtype) if dtype is None else dtype)
    return arr


def check_representable(arr, name: str, dtype) -> None:
    """ValueError when a finite value of ``arr`` is beyond what ``dtype`` holds (a float64
    1e300 computed in float32), instead of a silent infinity."""
    dtype = np.dtype(dtype)
    if (
        not is_concrete(arr)
        or not isinstance(arr, np.ndarray)
        or arr.dtype.itemsize <= dtype.itemsize
    ):
        return
    big = np.abs(arr) > np.finfo(dtype).max
    if big.any():
        where = tuple(int(i) for i in np.argwhere(big)[0])
        raise ValueError(
            f"{name} holds {arr[where]:.6g} at index {where}, beyond the largest {dtype} "
            f"({np.finfo(dtype).max:.4g}) that the computation uses; rescale {name}, or turn "
            "on 64-bit JAX (jax.config.update('jax_enable_x64', True)); the estimators "
            "compute float64 input in float64"
        )


def check_shape(shape, name: str = "X") -> None:
    """ValueError unless ``shape`` is a 2-D ``[n, d]`` shape with ``n, d >= 1``."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(
            f"{name} must be 2-D [n_samples, n_features], got shape {shape}. "
            "Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) for "
            "one sample"
        )
    for size, what in zip(shape, ("sample", "feature"), strict=True):
        if size == 0:
            raise ValueError(
                f"{name} must be non-empty: found 0 {what}(s) (shape={shape}) while a "
                "minimum of 1 is required."
            )


INT32_MAX = 2**31 - 1


def check_int(value, name: str, minimum: int = 1, maximum: int = INT32_MAX) -> int:
    """A Python int in ``[minimum, maximum]`` (default: what an int32 holds, as the
    programs count in int32); bools and floats are rejected."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_describe(value)}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} (={value}) must be >= {minimum}")
    if value > maximum:
        raise ValueError(f"{name} (={value}) must be <= {maximum}")
    return value


def check_k(k, n_samples: int, name: str = "k") -> int:
    """Number of clusters: ``1 <= k <= n_samples``."""
    k = check_int(k, name)
    if k > n_samples:
        raise ValueError(
            f"{name} (={k}) must be <= n_samples (={n_samples}): n_samples={n_samples} "
            f"should be >= {name}={k}"
        )
    return k


def check_tol(tol, dtype) -> jax.Array:
    """A non-negative, finite relative tolerance (kept as an array so it may be traced)."""
    if tol is None or isinstance(tol, bool):
        raise TypeError(f"tol must be a real number, got {tol!r}")
    if isinstance(tol, numbers.Real):
        if not np.isfinite(tol) or tol < 0:
            raise ValueError(f"tol (={tol}) must be a finite number >= 0")
        return np.asarray(tol, dtype)
    arr = as_array(tol, "tol")
    if arr.ndim != 0:
        raise ValueError(f"tol must be a scalar, got shape {tuple(arr.shape)}")
    if is_concrete(arr):
        value = float(arr)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"tol (={value}) must be a finite number >= 0")
    return arr.astype(dtype)


def check_sample_weight(sample_weight, n_samples: int, dtype) -> jax.Array:
    """``[n]`` non-negative finite weights, not all zero; ones when None. Host weights
    keep their precision (the boundary scales them into range); traced ones take
    ``dtype``."""
    if sample_weight is None:
        return np.ones((n_samples,), dtype)
    w = as_array(sample_weight, "sample_weight")
    if isinstance(w, jax.Array):
        w = w.astype(dtype)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {tuple(w.shape)}"
        )
    if is_concrete(w):
        check_finite(w, "sample_weight")
        values = np.asarray(w)
        if (values < 0).any():
            i = int(np.argmax(values < 0))
            raise ValueError(f"sample_weight must be >= 0, got {values[i]} at index {i}")
        if not (values > 0).any():
            raise ValueError("sample_weight must not be all zero")
    return w


def check_positive_mass(k: int, w: jax.Array, name: str = "k") -> None:
    """At least ``k`` points with positive weight, so k distinct rows can seed the centres."""
    if is_concrete(w):
        n_pos = int(np.count_nonzero(np.asarray(w) > 0))
        if k > n_pos:
            raise ValueError(
                f"{name} (={k}) must be <= the number of samples with positive "
                f"sample_weight (={n_pos})"
            )


def check_init(init, k: int, n_features: int, dtype, allow_callable: bool = False):
    """``(mode, array_or_None)`` for ``init``: a mode name, a ``[k, d]`` array or (where
    ``allow_callable``) a callable, mode ``"callable"``."""
    if callable(init) and allow_callable:
        return "callable", None
    if callable(init):
        raise TypeError(
            "init must be 'k-means++', 'k-means||', 'random' or an array here; a callable "
            "init(X, k, random_state) is taken by the estimators KMeans and MiniBatchKMeans"
        )
    if init is None:
        raise TypeError(
            f"init must be one of {', '.join(map(repr, INIT_MODES))} or an array of shape "
            f"({k}, {n_features}), got None"
        )
    if isinstance(init, str):
        if init not in INIT_MODES:
            raise ValueError(
                f"init must be one of {', '.join(map(repr, INIT_MODES))} or an array "
                f"of shape ({k}, {n_features}), got {init!r}"
            )
        return init, None
    arr = as_array(init, "init")
    if arr.shape != (k, n_features):
        shape = tuple(arr.shape)
        what = (
            f"the number of clusters {k}"
            if not shape or shape[0] != k
            else f"the number of features of the data {n_features}"
        )
        raise ValueError(
            f"init array must have shape ({k}, {n_features}) = (k, n_features), got {shape}: "
            f"The shape of the initial centers {shape} does not match {what}"
        )
    check_finite(arr, "init")
    check_representable(arr, "init", dtype)
    return "array", arr.astype(dtype) if isinstance(arr, jax.Array) else arr


def key_from_seed(seed: int, name: str = "key") -> jax.Array:
    """``jax.random.key(seed)``, made on the host where that is exact (the default
    threefry keys of seeds in ``[0, 2**32)`` hold ``[0, seed]``): JAX's own seeding
    compiles two small programs in every new process. ``name`` names the seed in the
    ValueError for one JAX cannot take."""
    if 0 <= seed < 2**32 and jax.config.jax_default_prng_impl == "threefry2x32":
        return jax.random.wrap_key_data(np.array([0, seed], np.uint32))
    if not -(2**63) <= seed < 2**64:
        raise ValueError(f"{name} (={seed}) must be an int seed in [-2**63, 2**64)")
    return jax.random.key(seed)


def check_key(key) -> jax.Array:
    """A PRNG key: ``None`` means ``jax.random.key(0)``; an int is used as a seed."""
    if key is None:
        return key_from_seed(0)
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        return key_from_seed(int(key))
    if isinstance(key, jax.Array | np.ndarray):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            if key.shape != ():
                raise ValueError(f"key must be a single PRNG key, got shape {key.shape}")
            return key
        if key.shape == (2,) and key.dtype == np.uint32:
            return jax.random.wrap_key_data(jnp.asarray(key))
    raise TypeError(
        f"key must be a jax.random.key, a legacy uint32[2] PRNGKey, an int seed or None, "
        f"got {_describe(key)}"
    )


def check_ks(ks, n_samples: int) -> np.ndarray:
    """Concrete, strictly increasing cluster counts in ``[1, n_samples]`` as ``int32``."""
    if isinstance(ks, Tracer):
        raise TypeError("ks must be concrete (a list, range or NumPy array), not a traced array")
    if ks is None or isinstance(ks, str | bytes | dict):
        raise TypeError(f"ks must be a sequence of ints, got {_describe(ks)}")
    # A range, or an iterator or generator (read once, here): its values as a list.
    listed = isinstance(ks, range) or (not hasattr(ks, "__len__") and hasattr(ks, "__iter__"))
    try:
        arr = np.asarray(list(ks) if listed else ks)
    except (TypeError, ValueError) as err:
        raise TypeError(f"ks must be a sequence of ints, got {_describe(ks)}") from err
    if arr.ndim != 1:
        raise ValueError(f"ks must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("ks must not be empty")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"ks must hold integers, got {_describe(ks)}")
    if arr.min() < 1:
        raise ValueError(f"ks must be >= 1, got {int(arr.min())}")
    if arr.max() > n_samples:
        raise ValueError(f"ks must be <= n_samples (={n_samples}), got {int(arr.max())}")
    steps = np.diff(arr)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise ValueError(
            f"ks must be strictly increasing (no duplicates), got {int(arr[i])} "
            f"then {int(arr[i + 1])}"
        )
    return arr.astype(np.int32)


def check_metric(metric) -> Metric:
    """The :class:`~jaxmeans._core.geometry.base.Metric` a ``metric=`` name names
    (:data:`jaxmeans._core.geometry.METRICS`)."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric must be one of {tuple(METRICS)}, got {_describe(metric)}")
    return METRICS[metric]


def check_precision(precision) -> str:
    """A ``precision=`` name: one of :data:`jaxmeans._core.tuning.PRECISIONS`."""
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return precision
