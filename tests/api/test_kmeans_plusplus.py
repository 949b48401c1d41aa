import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

import jaxmeans
from jaxmeans._core.seeding import default_n_local_trials


def _potential(X, C):
    X64, C64 = np.asarray(X, np.float64), np.asarray(C, np.float64)
    return ((X64[:, None] - C64[None]) ** 2).sum(-1).min(1).sum()


def test_returns_distinct_rows_of_x(blobs, key):
    centroids, indices = jaxmeans.kmeans_plusplus(key, blobs, 8)
    assert centroids.shape == (8, 3) and indices.shape == (8,) and indices.dtype == jnp.int32
    assert len(set(np.asarray(indices).tolist())) == 8
    np.testing.assert_array_equal(np.asarray(centroids), blobs[np.asarray(indices)])


def test_default_trials_follow_scikit_learn():
    assert [default_n_local_trials(k) for k in (1, 2, 3, 8, 1024)] == [2, 2, 3, 4, 8]


@pytest.mark.slow
def test_prefix_stable_in_k_for_fixed_trials(blobs, key):
    _, long = jaxmeans.kmeans_plusplus(key, blobs, 9, n_local_trials=3)
    for k in (1, 4, 8):
        _, short = jaxmeans.kmeans_plusplus(key, blobs, k, n_local_trials=3)
        np.testing.assert_array_equal(np.asarray(short), np.asarray(long)[:k])


def test_one_seed_per_well_separated_blob(key):
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [100, 0], [0, 100], [100, 100], [50, 200]], np.float32)
    X = (centres[rng.integers(0, 5, 500)] + rng.normal(size=(500, 2))).astype(np.float32)
    for seed in range(5):
        C, _ = jaxmeans.kmeans_plusplus(jax.random.fold_in(key, seed), X, 5)
        nearest_true = ((np.asarray(C)[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
        assert sorted(nearest_true.tolist()) == [0, 1, 2, 3, 4]


def test_potential_matches_scikit_learn_on_average(blobs, key):
    ours = [
        _potential(blobs, jaxmeans.kmeans_plusplus(jax.random.fold_in(key, s), blobs, 10)[0])
        for s in range(20)
    ]
    theirs = [
        _potential(blobs, sk_kmeans_plusplus(blobs, 10, random_state=s)[0]) for s in range(20)
    ]
    assert np.median(ours) == pytest.approx(np.median(theirs), rel=0.15)


def test_zero_weight_rows_are_never_chosen(blobs, key):
    w = np.zeros(len(blobs), np.float32)
    w[::7] = 1.0
    for seed in range(3):
        _, idx = jaxmeans.kmeans_plusplus(jax.random.fold_in(key, seed), blobs, 12, sample_weight=w)
        assert (np.asarray(idx) % 7 == 0).all()


def test_heavy_weight_attracts_a_seed(key):
    # Ten far-away points with huge weight: the weighted potential is dominated by them.
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(size=(200, 2)), rng.normal(size=(10, 2)) + 30]).astype(
        np.float32
    )
    w = np.ones(210, np.float32)
    w[200:] = 1000.0
    hits = 0
    for seed in range(10):
        _, idx = jaxmeans.kmeans_plusplus(jax.random.fold_in(key, seed), X, 1, sample_weight=w)
        hits += int(idx[0]) >= 200
    assert hits >= 8  # P(first seed among the heavy rows) = 10000 / 10200


def test_same_key_same_seeds_and_explicit_trials(blobs, key):
    a = jaxmeans.kmeans_plusplus(key, blobs, 6, n_local_trials=1)
    b = jaxmeans.kmeans_plusplus(key, blobs, 6, n_local_trials=1)
    np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b[1]))
    c = jaxmeans.kmeans_plusplus(jax.random.fold_in(key, 1), blobs, 6, n_local_trials=1)
    assert not np.array_equal(np.asarray(a[1]), np.asarray(c[1]))


def test_int_seed_and_none_are_fixed_keys(blobs):
    a = jaxmeans.kmeans_plusplus(None, blobs, 3)[1]
    b = jaxmeans.kmeans_plusplus(jax.random.key(0), blobs, 3)[1]
    c = jaxmeans.kmeans_plusplus(0, blobs, 3)[1]
    d = jaxmeans.kmeans_plusplus(jax.random.PRNGKey(0), blobs, 3)[1]
    for other in (b, c, d):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(other))
