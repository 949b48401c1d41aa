import jax
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key():
    return jax.random.key(42)


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    return load_iris().data.astype(np.float32)


@pytest.fixture(scope="session")
def blobs():
    """600 points in 4 overlapping 3-D blobs, float32."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(600, n_features=3, centers=4, cluster_std=2.0, random_state=7)
    return X.astype(np.float32)


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
