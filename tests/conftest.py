import os
import tempfile

# The suite keeps compiled programs in a folder of its own (subprocesses inherit it), not
# in the user's cache; set before jaxmeans is imported.
os.environ.setdefault("JAXMEANS_CACHE_DIR", tempfile.mkdtemp(prefix="jaxmeans-test-cache-"))

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
