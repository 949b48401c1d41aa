"""Extreme and degenerate data get a right answer or a clear error, never garbage."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

import jaxmeans
from jaxmeans import KMeans


@pytest.fixture(scope="module")
def iris64():
    from sklearn.datasets import load_iris

    return load_iris().data  # float64


def _fit_ref(X, k=3):
    """scikit-learn's best of 10 restarts, in float64."""
    return SkKMeans(k, n_init=10, random_state=0).fit(np.asarray(X, np.float64))


# -- float32 overflow and underflow --------------------------------------------------------


@pytest.mark.parametrize("factor", [1e20, 1e-20, 1e-30, 1e30])
def test_scaled_data_cluster_like_the_original(iris64, factor):
    ref = KMeans(3, random_state=0, n_init=3).fit(iris64.astype(np.float32))
    model = KMeans(3, random_state=0, n_init=3).fit((iris64 * factor).astype(np.float32))
    assert np.isfinite(model.cluster_centers_).all() and np.isfinite(model.inertia_)
    np.testing.assert_array_equal(model.labels_, ref.labels_)
    assert model.inertia_ == pytest.approx(ref.inertia_ * factor**2, rel=1e-5)
    result = jaxmeans.kmeans(iris64 * factor, 3, key=0, n_init=3)
    assert len(np.unique(np.asarray(result.labels))) == 3
    np.testing.assert_allclose(
        np.sort(np.asarray(result.centroids)[:, 0]) / factor,
        np.sort(ref.cluster_centers_[:, 0]),
        rtol=1e-5,
    )


def test_float32_data_near_its_largest_value(iris64):
    X = (iris64 / iris64.max() * 3e38).astype(np.float32)
    result = jaxmeans.kmeans(X, 3, key=0, n_init=3)
    assert np.isfinite(np.asarray(result.centroids)).all()
    assert bool(result.converged)
    ref = jaxmeans.kmeans(iris64.astype(np.float32), 3, key=0, n_init=3)
    np.testing.assert_array_equal(np.asarray(result.labels), np.asarray(ref.labels))


def test_inertia_beyond_float32_is_inf_in_the_functional_api_and_exact_in_the_estimator(iris64):
    result = jaxmeans.kmeans(iris64 * 1e20, 3, key=0, n_init=3)
    assert result.inertia.dtype == jnp.float32 and np.isinf(float(result.inertia))
    model = KMeans(3, random_state=0, n_init=3).fit(iris64 * 1e20)
    assert model.inertia_ == pytest.approx(_fit_ref(iris64).inertia_ * 1e40, rel=1e-6)


def test_large_weights_stay_finite(iris64):
    w = np.full(len(iris64), 1e38)
    model = KMeans(3, random_state=0, n_init=3).fit(iris64.astype(np.float32), sample_weight=w)
    plain = KMeans(3, random_state=0, n_init=3).fit(iris64.astype(np.float32))
    np.testing.assert_array_equal(model.labels_, plain.labels_)
    assert model.inertia_ == pytest.approx(plain.inertia_ * 1e38, rel=1e-5)


def test_pairwise_and_assign_never_give_nan():
    X = np.array([[1e30, 0.0], [0.0, 0.0]])
    Y = np.array([[0.0, 0.0], [1e30, 1.0]])
    D = np.asarray(jaxmeans.pairwise_sq_dists(X, Y))
    assert not np.isnan(D).any()
    assert np.isinf(D[0, 0]) and D[1, 0] == 0.0  # 1e60 is beyond float32: infinite
    labels, sq = jaxmeans.assign(X, Y)
    assert np.asarray(labels).tolist() == [1, 0] and not np.isnan(np.asarray(sq)).any()


def test_values_beyond_the_compute_dtype_are_a_clear_error():
    X = np.array([[1e300, 0.0], [0.0, 1.0], [2.0, 2.0]])
    with pytest.raises(
        ValueError, match=r"X holds 1e\+300 at index \(0, 0\), beyond the largest float32"
    ):
        jaxmeans.kmeans(X, 2)
    model = KMeans(2, random_state=0).fit(X)  # the estimator computes float64 in float64
    assert model.cluster_centers_.dtype == np.float64 and np.isfinite(model.inertia_)


def test_data_far_from_the_origin_in_float64_keep_their_clusters(iris64):
    shifted = jaxmeans.kmeans(iris64 + 1e8, 3, key=0, n_init=3)
    plain = jaxmeans.kmeans(iris64, 3, key=0, n_init=3)
    np.testing.assert_array_equal(np.asarray(shifted.labels), np.asarray(plain.labels))


def test_a_point_on_a_centre_is_at_distance_zero():
    rng = np.random.default_rng(0)
    C = (rng.normal(size=(5, 3)) * 1000 + 5000).astype(np.float32)
    X = np.concatenate([C, rng.normal(size=(20, 3)).astype(np.float32) * 1000 + 5000])
    sq = np.asarray(jaxmeans.assign(X, C)[1])[:5]
    scale = float(np.max(np.abs(C))) ** 2
    assert (sq <= scale * np.finfo(np.float32).eps).all()
    model = KMeans(5, init=C, n_init=1, max_iter=1).fit(X)
    assert model.transform(model.cluster_centers_).diagonal().max() <= 5000 * 1e-6


# -- the precision asked for -----------------------------------------------------------------


def test_estimators_keep_float64_and_compute_in_it(iris64):
    for cls in (KMeans, jaxmeans.MiniBatchKMeans):
        model = cls(3, random_state=0).fit(iris64)
        assert model.cluster_centers_.dtype == np.float64
        assert model.transform(iris64).dtype == np.float64
        assert isinstance(model.inertia_, float)
        small = cls(3, random_state=0).fit(iris64.astype(np.float32))
        assert small.cluster_centers_.dtype == np.float32
        assert small.transform(iris64.astype(np.float32)).dtype == np.float32
    ints = KMeans(3, random_state=0).fit(np.round(iris64 * 10).astype(np.int64))
    assert ints.cluster_centers_.dtype == np.float64  # as scikit-learn
    assert not jax.config.jax_enable_x64  # the user's global setting is untouched


def test_float64_fit_is_the_float64_answer(iris64):
    model = KMeans(3, random_state=42, n_init=10).fit(iris64)
    ref = _fit_ref(iris64)
    assert model.inertia_ == pytest.approx(ref.inertia_, rel=1e-12)
    np.testing.assert_allclose(
        np.sort(model.cluster_centers_, axis=0), np.sort(ref.cluster_centers_, axis=0), rtol=1e-12
    )


@pytest.mark.parametrize("seed", range(4))
def test_same_random_state_same_clustering_in_float32_and_float64(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, 3)) + rng.integers(0, 4, 400)[:, None] * 3.0
    for init in ("k-means++", "random"):
        a = KMeans(4, init=init, random_state=seed, n_init=1).fit(X)
        b = KMeans(4, init=init, random_state=seed, n_init=1).fit(X.astype(np.float32))
        np.testing.assert_array_equal(a.labels_, b.labels_)


def test_one_lloyd_step_in_float32_is_as_close_to_float64_as_scikit_learn():
    # Well-separated clusters (no point near a tie, where float32 rounding may flip a
    # label): the difference is how the per-cluster sums are accumulated.
    rng = np.random.default_rng(0)
    for n, d, k in [(200_000, 2, 10), (50_000, 32, 64)]:
        centres = rng.normal(scale=40, size=(k, d))
        X = (centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)) + 100).astype(np.float32)
        init = (centres + 100 + 0.1 * rng.normal(size=centres.shape)).astype(np.float32)
        X64 = X.astype(np.float64)
        d2 = (X64**2).sum(1)[:, None] - 2 * X64 @ init.T.astype(np.float64)
        d2 += (init.astype(np.float64) ** 2).sum(1)[None]
        lab = np.argmin(d2, axis=1)
        ref = np.stack([X64[lab == j].mean(0) for j in range(k)])
        ours = np.asarray(jaxmeans.kmeans(X, k, init=init, max_iter=1, tol=0).centroids)
        sk = SkKMeans(k, init=init, n_init=1, max_iter=1, tol=0).fit(X).cluster_centers_
        ours_err = np.max(np.abs(ours.astype(np.float64) - ref))
        assert ours_err <= 1.5 * np.max(np.abs(sk.astype(np.float64) - ref)) + 1e-12


# -- degenerate data says so ------------------------------------------------------------------


def test_fewer_distinct_points_than_clusters_warns():
    from sklearn.exceptions import ConvergenceWarning

    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    with pytest.warns(
        ConvergenceWarning, match=r"distinct clusters \(2\) found smaller than n_clusters \(3\)"
    ):
        KMeans(3, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning):
        jaxmeans.kmeans(X, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KMeans(2, random_state=0).fit(X)


def test_init_array_with_n_init_warns_and_runs_once(iris64):
    init = iris64[[0, 50, 100]]
    with pytest.warns(
        RuntimeWarning, match="performing only one init in KMeans instead of n_init=5"
    ):
        model = KMeans(3, init=init, n_init=5).fit(iris64)
    with pytest.warns(RuntimeWarning, match="in kmeans instead of n_init=4"):
        jaxmeans.kmeans(iris64, 3, init=init, n_init=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        once = KMeans(3, init=init).fit(iris64)  # n_init="auto": no warning
    np.testing.assert_array_equal(model.labels_, once.labels_)


# -- bad parameters at the boundary -----------------------------------------------------------


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda X: jaxmeans.kmeans(X, 2, max_iter=2**40),
            r"max_iter \(=1099511627776\) must be <=",
        ),
        (lambda X: jaxmeans.kmeans(X, 2, key=2**70), r"key \(=1180591620717411303424\) must be"),
        (lambda X: jaxmeans.kmeans(X, 2, n_init=2**33), r"n_init \(=8589934592\) must be <="),
        (lambda X: KMeans(2, max_iter=2**40).fit(X), r"max_iter \(=1099511627776\)"),
        (lambda X: jaxmeans.find_knee([], []), "must not be empty"),
        (lambda X: jaxmeans.find_knee([3, 2, 1], [1.0, 2.0, 3.0]), "strictly increasing"),
        (lambda X: jaxmeans.find_knee([1, 2, 3], [1.0, np.nan, 2.0]), "NaN"),
        (lambda X: jaxmeans.datasets.make_blobs(10, n_features=0), r"n_features \(=0\)"),
        (lambda X: jaxmeans.datasets.make_blobs(10, cluster_std=np.nan), "cluster_std"),
        (lambda X: jaxmeans.datasets.make_blobs(10, center_box=(5, 1)), "center_box"),
        (lambda X: jaxmeans.metrics.confusion_matrix([0, 1], [0]), "same length"),
        (lambda X: jaxmeans.plot.confusion_matrix(np.ones((2, 3), int)), "square"),
        (lambda X: jaxmeans.plot.clusters(X, [0, 1]), r"labels must have shape \(20,\)"),
        (lambda X: jaxmeans.plot.clusters(X[:, :1]), "at least 2 columns"),
        (lambda X: jaxmeans.plot.clusters_3d(X, np.zeros(20, int)), "at least 3 columns"),
    ],
)
def test_every_parameter_is_checked_at_the_boundary(call, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=match):
        call(X)


def test_grad_through_a_fit_says_it_is_not_differentiable():
    X = jnp.asarray(np.random.default_rng(0).normal(size=(30, 2)), jnp.float32)
    with pytest.raises(TypeError, match="jaxmeans fits are not differentiable"):
        jax.grad(lambda X: jaxmeans.kmeans(X, 2, key=0).inertia)(X)
    with pytest.raises(TypeError, match="not differentiable"):
        jax.grad(lambda X: jaxmeans.elbow(X, [1, 2]).inertia.sum())(X)
    # A fit of stopped data inside a differentiated function works.
    fit = lambda X: jaxmeans.kmeans(jax.lax.stop_gradient(X), 2, key=0)  # noqa: E731
    f = lambda X: jnp.sum((X - fit(X).centroids[0][None, :]) ** 2)  # noqa: E731
    assert jax.grad(f)(X).shape == X.shape
