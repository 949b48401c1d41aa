"""Cosine (spherical) k-means against a float64 NumPy reference from the same centroids."""

import jax
import numpy as np
import pytest

import jaxmeans


def _directions(n=600, d=12, k=4, seed=0, noise=0.2):
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(k, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    X = dirs[rng.integers(0, k, n)] + noise * rng.normal(size=(n, d))
    return X * rng.uniform(0.2, 5.0, size=(n, 1))  # lengths carry no information


def spherical_reference(X, init, max_iter=300):
    """Dhillon & Modha's spherical k-means in float64 NumPy, scikit-learn's stopping rule
    (labels unchanged), from ``init``."""
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = init / np.linalg.norm(init, axis=1, keepdims=True)
    labels = None
    for _ in range(max_iter):
        new = np.argmax(U @ C.T, axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        for j in range(len(C)):
            s = U[labels == j].sum(0)
            if np.linalg.norm(s) > 0:
                C[j] = s / np.linalg.norm(s)
    labels = np.argmax(U @ C.T, axis=1)
    objective = float(np.sum(1.0 - np.sum(U * C[labels], axis=1)))
    return labels, C, objective


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kmeans_cosine_matches_the_float64_reference(dtype):
    X = _directions().astype(dtype)
    init = X[[0, 1, 2, 3]].astype(np.float64)
    labels, C, objective = spherical_reference(X.astype(np.float64), init.copy())
    result = jaxmeans.kmeans(X, 4, init=init, metric="cosine", tol=0.0)
    np.testing.assert_array_equal(np.asarray(result.labels), labels)
    np.testing.assert_allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(result.centroids, C, atol=1e-5)
    assert float(result.inertia) == pytest.approx(objective, rel=1e-5)


@pytest.mark.slow
def test_scaling_rows_changes_nothing_and_seeding_is_on_the_cosine_distance():
    X = _directions(seed=1)
    scaled = X * np.random.default_rng(2).uniform(0.01, 100.0, size=(len(X), 1))
    a = jaxmeans.kmeans(X, 4, key=3, metric="cosine")
    b = jaxmeans.kmeans(scaled, 4, key=3, metric="cosine")
    np.testing.assert_array_equal(np.asarray(a.labels), np.asarray(b.labels))
    np.testing.assert_allclose(a.centroids, b.centroids, atol=1e-5)
    # k-means++ on the cosine distance is k-means++ on the unit rows (||u - v||^2 = 2 - 2cos).
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    seeds, _ = jaxmeans.kmeans_plusplus(3, U, 4)
    from_seeds = jaxmeans.kmeans(X, 4, init=np.asarray(seeds), metric="cosine")
    np.testing.assert_array_equal(np.asarray(from_seeds.labels), np.asarray(a.labels))


@pytest.mark.slow
def test_estimator_predict_transform_score_and_elbow():
    X = _directions(seed=4)
    model = jaxmeans.KMeans(4, metric="cosine", random_state=0).fit(X)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos_dist = 1.0 - U @ model.cluster_centers_.T
    np.testing.assert_allclose(model.transform(X), cos_dist, atol=1e-6)
    np.testing.assert_array_equal(model.predict(X), cos_dist.argmin(1))
    np.testing.assert_array_equal(model.labels_, cos_dist.argmin(1))
    assert model.score(X) == pytest.approx(-model.inertia_, rel=1e-6)
    assert model.inertia_ == pytest.approx(cos_dist.min(1).sum(), rel=1e-5)
    curve = jaxmeans.elbow(X, range(1, 8), key=0, metric="cosine")
    assert int(curve.knee) == 4
    single = jaxmeans.kmeans(X, 4, key=0, metric="cosine")
    assert float(curve.inertia[3]) == pytest.approx(float(single.inertia), rel=1e-4)
    labels, dist = jaxmeans.assign(X, model.cluster_centers_, metric="cosine")
    np.testing.assert_array_equal(np.asarray(labels), model.labels_)
    np.testing.assert_allclose(dist, cos_dist.min(1), atol=1e-6)


def test_under_jit_and_vmap():
    X = _directions(n=200, seed=5).astype(np.float32)
    eager = jaxmeans.kmeans(X, 3, key=1, metric="cosine")
    jitted = jax.jit(lambda x: jaxmeans.kmeans(x, 3, key=1, metric="cosine"))(X)
    np.testing.assert_array_equal(np.asarray(eager.labels), np.asarray(jitted.labels))
    assert float(jitted.inertia) == pytest.approx(float(eager.inertia), rel=1e-5)


def test_zero_row_and_bad_metric_are_errors():
    X = _directions(n=50)
    X[17] = 0.0
    with pytest.raises(ValueError, match="X row 17 is all zeros"):
        jaxmeans.kmeans(X, 3, metric="cosine")
    with pytest.raises(ValueError, match="X row 17 is all zeros"):
        jaxmeans.KMeans(3, metric="cosine").fit(X)
    with pytest.raises(ValueError, match="metric must be one of"):
        jaxmeans.kmeans(X[:10], 2, metric="manhattan")


def test_minibatch_cosine_keeps_unit_centres_and_finds_the_directions():
    X = _directions(n=3000, seed=6, noise=0.1)
    model = jaxmeans.MiniBatchKMeans(4, metric="cosine", random_state=0, batch_size=256)
    model.fit(X)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0, atol=1e-6)
    full = jaxmeans.KMeans(4, metric="cosine", random_state=0).fit(X)
    # The same partition as the full-batch spherical fit (up to the clusters' order).
    pairs = set(zip(model.labels_.tolist(), full.labels_.tolist(), strict=True))
    assert len(pairs) == 4
    assert model.inertia_ == pytest.approx(full.inertia_, rel=0.02)
    np.testing.assert_allclose(model.transform(X).min(1).sum(), model.inertia_, rtol=1e-5)
    X[5] = 0.0
    with pytest.raises(ValueError, match="X row 5 is all zeros"):
        jaxmeans.MiniBatchKMeans(4, metric="cosine", random_state=0).fit(X)
    stream = jaxmeans.MiniBatchKMeans(4, metric="cosine", random_state=0)
    stream.partial_fit(_directions(n=500, seed=7))
    np.testing.assert_allclose(np.linalg.norm(stream.cluster_centers_, axis=1), 1.0, atol=1e-6)


@pytest.mark.slow
def test_sparse_rows_give_the_dense_cosine_fit():
    import scipy.sparse as sp

    rng = np.random.default_rng(8)
    X = _directions(n=400, d=30, seed=8)
    X[np.abs(X) < 0.4] = 0.0  # mostly zeros, as text features are
    X[:, 0] += 0.01  # no row left all zeros
    Xs = sp.csr_matrix(X.astype(np.float32))
    init = X[rng.choice(400, 4, replace=False)].astype(np.float32)
    dense = jaxmeans.kmeans(X.astype(np.float32), 4, init=init, metric="cosine", tol=0.0)
    sparse = jaxmeans.kmeans(Xs, 4, init=init, metric="cosine", tol=0.0)
    np.testing.assert_array_equal(np.asarray(sparse.labels), np.asarray(dense.labels))
    np.testing.assert_allclose(sparse.centroids, dense.centroids, atol=1e-5)
    assert float(sparse.inertia) == pytest.approx(float(dense.inertia), rel=1e-5)
    model = jaxmeans.KMeans(4, metric="cosine", random_state=0).fit(Xs)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(model.transform(Xs), model.transform(X), atol=1e-5)
    holed = X.copy()
    holed[3] = 0.0
    with pytest.raises(ValueError, match="X row 3 is all zeros"):
        jaxmeans.kmeans(sp.csr_matrix(holed), 4, metric="cosine")
