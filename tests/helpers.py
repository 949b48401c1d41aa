"""Helpers shared by the tests (imported as ``from helpers import ...``)."""

import contextlib

import jax
import numpy as np
import pytest

_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"


def sample_rows(X, k, seed):
    """k rows of X to start both jaxmeans and scikit-learn from.

    Rows are redrawn until no point is equidistant (in exact arithmetic) from two of them:
    iris lies on a 0.1 grid, so such ties happen, and then float rounding, which differs
    between any two GEMM kernels, picks the label. Parity is only defined without them.
    """
    rng = np.random.default_rng(seed)
    X64 = np.asarray(X, np.float64)
    while True:
        rows = X[rng.choice(len(X), k, replace=False)]
        d = np.sort(((X64[:, None, :] - rows[None].astype(np.float64)) ** 2).sum(-1), axis=1)
        if k == 1 or (d[:, 1] - d[:, 0] > 1e-6 * (1 + d[:, 1])).all():
            return rows


_counting: list[list] = []


def _on_event(name, seconds, **kwargs):
    if name == _BACKEND_COMPILE:
        for seen in _counting:
            seen.append(seconds)


jax.monitoring.register_event_duration_secs_listener(_on_event)


@contextlib.contextmanager
def count_compiles():
    """Count XLA compilations inside the block (JAX's public monitoring events): yields a
    list that gets one entry per backend compile."""
    seen = []
    _counting.append(seen)
    try:
        yield seen
    finally:
        _counting.remove(seen)


def quiet_sklearn_checks(test):
    """Filter the two notes scikit-learn's ``check_estimator`` prints for jaxmeans: that
    the estimator does not subclass its ``BaseEstimator`` (a choice: importing
    ``sklearn.base`` costs 1.3-1.9 s, and jaxmeans must not need scikit-learn) and that the
    array-API check is skipped (it needs ``SCIPY_ARRAY_API`` set before SciPy loads)."""
    test = pytest.mark.filterwarnings("ignore:Skipping check check_array_api_input")(test)
    return pytest.mark.filterwarnings("ignore:Estimator .* does not inherit from:UserWarning")(test)
