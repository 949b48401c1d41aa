"""Sparse input gives the dense path's results (up to rounding) and scikit-learn's."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans

import jaxmeans
from jaxmeans._runtime import inputs


def _text_like(n=600, d=400, density=0.03, seed=0):
    """Non-negative rows with a few stored values each, three topics of columns."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, 3, n)
    rows, cols = [], []
    for i in range(n):
        m = max(1, rng.poisson(density * d))
        pool = np.arange(topic[i] * d // 3, (topic[i] + 1) * d // 3)
        words = rng.choice(pool, size=min(m, len(pool)), replace=False)
        rows += [i] * len(words)
        cols += words.tolist()
    vals = rng.gamma(2.0, 1.0, len(rows))
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, d), dtype=np.float64)
    X = sp.diags(1.0 / np.sqrt(X.multiply(X).sum(1)).A1) @ X
    return X.astype(np.float32).tocsr(), topic


@pytest.fixture(params=["one block", "many blocks"])
def blocks(request, monkeypatch):
    if request.param == "many blocks":
        # Small blocks: many of them, summed in groups, the last ones padding.
        monkeypatch.setattr(inputs, "_BLOCK_ENTRIES", 2**11)
    return request.param


def test_kmeans_on_sparse_rows_equals_the_dense_fit(blocks):
    X, topic = _text_like()
    init = X[[int(np.argmax(topic == t)) for t in range(3)]].toarray()
    ours = jaxmeans.kmeans(X, 3, init=init, tol=0.0, max_iter=50)
    dense = jaxmeans.kmeans(X.toarray(), 3, init=init, tol=0.0, max_iter=50)
    np.testing.assert_array_equal(np.asarray(ours.labels), np.asarray(dense.labels))
    # With tol=0 the dense path may stop one iteration early, when the centred centroids
    # stop moving exactly (same labels, same inertia).
    assert abs(int(ours.n_iter) - int(dense.n_iter)) <= 1
    np.testing.assert_allclose(ours.centroids, dense.centroids, rtol=1e-4, atol=1e-6)
    assert float(ours.inertia) == pytest.approx(float(dense.inertia), rel=1e-5)
    sk = SKKMeans(3, init=init, n_init=1, tol=0.0, max_iter=50).fit(X)
    np.testing.assert_array_equal(np.asarray(ours.labels), sk.labels_)
    assert int(ours.n_iter) == sk.n_iter_
    assert float(ours.inertia) == pytest.approx(sk.inertia_, rel=1e-5)


@pytest.mark.parametrize("form", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_estimator_methods_on_sparse_input_equal_dense(form, blocks):
    X, _ = _text_like(seed=1)
    Xs = form(X)
    model = jaxmeans.KMeans(3, random_state=0).fit(Xs)
    dense = jaxmeans.KMeans(3, random_state=0).fit(X.toarray())
    np.testing.assert_array_equal(model.labels_, dense.labels_)
    np.testing.assert_allclose(model.cluster_centers_, dense.cluster_centers_, atol=1e-5)
    np.testing.assert_array_equal(model.predict(Xs), dense.predict(X.toarray()))
    np.testing.assert_allclose(model.transform(Xs), dense.transform(X.toarray()), atol=1e-5)
    assert model.score(Xs) == pytest.approx(dense.score(X.toarray()), rel=1e-5)
    assert isinstance(Xs, form)  # the input is not converted in place
    assert Xs.nnz == X.nnz


def test_assign_and_distances_on_sparse_rows(blocks):
    X, _ = _text_like(seed=2)
    C = X[:5].toarray() * np.array([0.5, 0.6, 0.7, 0.8, 0.9])[:, None]  # no equal norms
    labels, sq = jaxmeans.assign(X, C)
    dense_labels, dense_sq = jaxmeans.assign(X.toarray(), C)
    np.testing.assert_array_equal(np.asarray(labels), np.asarray(dense_labels))
    np.testing.assert_allclose(sq, dense_sq, rtol=1e-5, atol=1e-6)
    D = jaxmeans.pairwise_sq_dists(X, C)
    brute = ((X.toarray()[:, None].astype(np.float64) - C[None]) ** 2).sum(-1)
    np.testing.assert_allclose(D, brute, rtol=1e-4, atol=1e-6)


def test_sparse_blocks_are_grouped_for_the_sums_and_hold_every_value(monkeypatch):
    monkeypatch.setattr(inputs, "_BLOCK_ENTRIES", 2**11)
    X, _ = _text_like(n=1000, seed=3)
    layout = inputs.sparse_layout(X, 8)
    data = inputs.blocked(X, layout, np.float32, np.zeros(X.shape[1]), 1.0)
    n_blocks, nnz = data.cols.shape
    assert n_blocks > 8
    from jaxmeans._core.sparse import sum_group

    group = sum_group(n_blocks, nnz, 8, X.shape[1])
    assert group > 1 and n_blocks % group == 0
    # Every stored value is in its row's block, once.
    rows = layout.rows
    assert data.x_sq.shape == (n_blocks * rows,)
    rebuilt = np.zeros((n_blocks * rows, X.shape[1]), np.float32)  # padding adds zeros
    for b in range(n_blocks):
        np.add.at(rebuilt, (b * rows + data.local[b], data.cols[b]), data.vals[b])
    np.testing.assert_array_equal(rebuilt[: X.shape[0]], X.toarray())
    np.testing.assert_allclose(
        data.x_sq.reshape(-1)[:1000], np.asarray(X.multiply(X).sum(1)).ravel(), rtol=1e-6
    )


def test_minibatch_on_sparse_input_equals_dense():
    X, _ = _text_like(seed=4)
    ours = jaxmeans.MiniBatchKMeans(3, random_state=0, batch_size=128, n_init=1).fit(X)
    dense = jaxmeans.MiniBatchKMeans(3, random_state=0, batch_size=128, n_init=1)
    dense.fit(X.toarray())
    np.testing.assert_allclose(ours.cluster_centers_, dense.cluster_centers_, atol=1e-5)
    np.testing.assert_array_equal(ours.labels_, dense.labels_)


def _unsorted_with_duplicates(dtype=np.float64):
    """A CSR matrix, 6 x 3, whose rows store unsorted column indices and duplicates."""
    data = np.arange(1.0, 13.0, dtype=dtype)
    indices = np.array([2, 0, 0, 1, 2, 1, 0, 0, 2, 1, 1, 0], np.int32)
    indptr = np.array([0, 3, 4, 6, 8, 10, 12], np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(6, 3))
    assert not X.has_canonical_format
    return X


FITS = {
    "KMeans.fit": lambda X: jaxmeans.KMeans(2, n_init=1, random_state=0).fit(X),
    "kmeans": lambda X: jaxmeans.kmeans(X, 2),
    "elbow": lambda X: jaxmeans.elbow(X, [1, 2, 3]),
}


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_callers_csr_matrix_is_never_changed(fit, dtype):
    X = _unsorted_with_duplicates(dtype)
    before = [a.copy() for a in (X.data, X.indices, X.indptr)]
    fit(X)
    for was, now in zip(before, (X.data, X.indices, X.indptr), strict=True):
        assert was.dtype == now.dtype and was.tobytes() == now.tobytes()
    assert not X.has_canonical_format


@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
def test_read_only_inputs_fit(fit):
    X = _unsorted_with_duplicates()
    for a in (X.data, X.indices, X.indptr):
        a.setflags(write=False)
    dense = X.toarray()
    dense.setflags(write=False)
    fit(X)
    fit(dense)
    expected = jaxmeans.KMeans(2, n_init=1, random_state=0).fit(X.toarray())
    got = jaxmeans.KMeans(2, n_init=1, random_state=0).fit(X)
    np.testing.assert_allclose(got.cluster_centers_, expected.cluster_centers_, rtol=1e-6)
