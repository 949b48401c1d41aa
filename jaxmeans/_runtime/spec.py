"""One checked specification of a fit, built in one place at the Python boundary.

:func:`check_settings` checks what a fit is asked to do against the data's size (k or ks,
init, restarts, iterations, tolerance, key); :func:`specify` adds the data itself, its
weights, where its rows live and the backend tuning. :func:`jaxmeans.kmeans`,
:func:`jaxmeans.elbow` and :meth:`jaxmeans.KMeans.fit` consume a :class:`FitSpec`;
:class:`jaxmeans.MiniBatchKMeans`, which streams its data, consumes the :class:`Settings`.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import numpy as np

from .._core.tuning import Tuning, tuning_for, with_precision, without_carried_sums
from .._core.types import Plan, Problem
from . import validation as v
from .framing import unit_rows
from .inputs import check_sparse, is_sparse
from .placement import RowSplit, device_of, split_rows, tuning_of
from .validation import check_metric


class Settings(NamedTuple):
    """What a fit is asked to do, checked.

    Attributes:
      plan: the static :class:`Plan`.
      ks: ``[m] int32`` strictly increasing cluster counts of a sweep, else None.
      init: ``[k, d]`` starting centroids when ``plan.init_mode == "array"``, else None.
      tol: ``[]`` relative tolerance (an array, so that it may be traced).
      key: PRNG key.
      max_iter: iteration limit.
    """

    plan: Plan
    ks: np.ndarray | None
    init: jax.Array | None
    tol: jax.Array
    key: jax.Array
    max_iter: int


class FitSpec(NamedTuple):
    """A checked fit: its arrays, what to do with them, and where and how it runs.

    Attributes:
      problem: the :class:`~jaxmeans._lloyd.Problem`: ``X [n, d]`` (2-D, non-empty, finite
        where concrete), weights ``w [n]`` (non-negative, not all zero where concrete),
        ``init``, ``key`` and ``tol`` from the :class:`Settings`.
      plan: the static :class:`~jaxmeans._lloyd.Plan`.
      ks: ``[m] int32`` cluster counts of a sweep, else None.
      rows: a :class:`~jaxmeans._placement.RowSplit` for a data-parallel fit, else None.
      dtype: the compute dtype (float32, or float64 with 64-bit JAX on).
      device: the device a single-device fit runs on; None when traced or split.
      tuning: the backend :class:`~jaxmeans._tuning.Tuning` of that device's platform.
      traced: whether any input is traced (inside the caller's ``jit``/``vmap``).
    """

    problem: Problem
    plan: Plan
    ks: np.ndarray | None
    rows: RowSplit | None
    dtype: np.dtype
    device: jax.Device | None
    tuning: Tuning
    traced: bool


def check_settings(
    n: int,
    d: int,
    dtype,
    *,
    k=None,
    ks=None,
    init,
    n_init,
    max_iter,
    tol,
    key,
    k_name: str = "k",
    caller: str = "kmeans",
    allow_callable: bool = False,
    metric: str = "euclidean",
) -> Settings:
    """Check a fit's settings for ``n`` rows of ``d`` features in ``dtype``.

    Exactly one of ``k`` (a fit) and ``ks`` (a sweep) is given. ``k_name`` names ``k`` in
    error messages (the estimators say ``n_clusters``); ``caller`` names the entry point in
    warnings.

    Warns:
      RuntimeWarning: an init array with ``n_init > 1`` (one run is made, as in
        scikit-learn).
    """
    if ks is not None:
        ks = v.check_ks(ks, n)
        k = int(ks[-1])
    else:
        k = v.check_k(k, n, k_name)
    init_mode, init_array = v.check_init(init, k, d, dtype, allow_callable)
    n_init = v.check_int(n_init, "n_init")
    if init_mode == "array":
        if n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{caller} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
        n_init = 1
    max_iter = v.check_int(max_iter, "max_iter")
    spherical = check_metric(metric) == "cosine"
    if spherical and init_array is not None:
        init_array = unit_rows(init_array, "init")
    plan = Plan(k, n_init, init_mode, spherical)
    return Settings(plan, ks, init_array, v.check_tol(tol, dtype), v.check_key(key), max_iter)


def specify(
    X,
    *,
    sample_weight=None,
    mesh=None,
    k_name: str = "k",
    caller: str = "kmeans",
    precision: str = "highest",
    **settings,
) -> FitSpec:
    """Check ``X``, its weights and the settings (:func:`check_settings`) once, and decide
    where the fit runs: on the device ``X`` is on, or split by rows over a mesh."""
    sparse = is_sparse(X)
    X = check_sparse(X) if sparse else v.check_data(X)
    if sparse and mesh is not None:
        raise ValueError("mesh= takes dense X only; sparse X is fitted on one device")
    dtype = v.float_dtype(X.dtype)
    n, d = X.shape
    checked = check_settings(n, d, dtype, k_name=k_name, caller=caller, **settings)
    w = v.check_sample_weight(sample_weight, n, dtype)
    v.check_positive_mass(checked.plan.k, w, k_name if checked.ks is None else "max(ks)")
    if checked.plan.spherical:
        X = unit_rows(X)
    problem = Problem(X, w, checked.init, checked.key, checked.tol, checked.max_iter, None, None)
    traced = v.any_traced(problem)
    if traced:
        guard = lambda a: None if a is None else v.not_differentiable(a)  # noqa: E731
        problem = problem._replace(X=guard(X), w=guard(w), init=guard(checked.init))
    rows = split_rows(X, w, mesh, traced)
    device = None if traced or rows is not None else device_of(X)
    tuning = tuning_of(X) if device is None else tuning_for(device.platform)
    if traced or sample_weight is not None:
        tuning = without_carried_sums(tuning)
    tuning = with_precision(tuning, precision)
    return FitSpec(problem, checked.plan, checked.ks, rows, dtype, device, tuning, traced)
