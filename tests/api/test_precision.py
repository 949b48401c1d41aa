"""The precision of the distance products: accepted everywhere, checked, and on CPUs the
same results in every mode (XLA:CPU computes float32 products in float32)."""

import numpy as np
import pytest

import jaxmeans


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(2000, 6)) + rng.integers(0, 4, size=(2000, 1)) * 3).astype(np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["high", "default"])
def test_every_mode_gives_the_same_fit_on_cpu(X, precision):
    ref = jaxmeans.kmeans(X, 5, key=0)
    got = jaxmeans.kmeans(X, 5, key=0, precision=precision)
    np.testing.assert_array_equal(np.asarray(got.labels), np.asarray(ref.labels))
    np.testing.assert_array_equal(np.asarray(got.centroids), np.asarray(ref.centroids))
    bounded = jaxmeans.kmeans(X, 40, key=0, precision=precision)  # k*d >= 1024: bounds
    np.testing.assert_array_equal(
        np.asarray(bounded.labels), np.asarray(jaxmeans.kmeans(X, 40, key=0).labels)
    )
    e = jaxmeans.elbow(X, [2, 4, 6], key=0, precision=precision)
    np.testing.assert_array_equal(
        np.asarray(e.inertia), np.asarray(jaxmeans.elbow(X, [2, 4, 6], key=0).inertia)
    )
    m = jaxmeans.KMeans(5, random_state=0, precision=precision).fit(X)
    np.testing.assert_array_equal(m.labels_, jaxmeans.KMeans(5, random_state=0).fit(X).labels_)
    mb = jaxmeans.MiniBatchKMeans(5, random_state=0, precision=precision).fit(X)
    ref_mb = jaxmeans.MiniBatchKMeans(5, random_state=0).fit(X)
    np.testing.assert_array_equal(mb.cluster_centers_, ref_mb.cluster_centers_)


def test_a_bad_precision_names_the_parameter(X):
    for call in (
        lambda: jaxmeans.kmeans(X, 3, precision="tf32"),
        lambda: jaxmeans.elbow(X, [1, 2], precision=None),
        lambda: jaxmeans.KMeans(3, precision="fast").fit(X),
        lambda: jaxmeans.MiniBatchKMeans(3, precision="low").fit(X),
    ):
        with pytest.raises(ValueError, match="precision must be one of"):
            call()
