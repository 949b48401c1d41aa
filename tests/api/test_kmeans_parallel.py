"""init="k-means||": rows of the data, never a zero-weight one, fits as good as
k-means++'s, under jit, in the estimators, refused by the sweeps."""

import jax
import numpy as np
import pytest
from sklearn.datasets import make_blobs

import jaxmeans
from jaxmeans._runtime import run
from jaxmeans._runtime import validation as v


@pytest.fixture(scope="module")
def X():
    return make_blobs(20_000, n_features=8, centers=50, random_state=0)[0].astype(np.float32)


def test_the_seeds_are_distinct_rows_and_never_zero_weight_ones(X):
    w = np.ones(len(X), np.float32)
    w[::3] = 0.0
    centres, index = run.seeds(v.check_key(0), X, w, 300, init="k-means||")
    index = np.asarray(index)
    assert len(np.unique(index)) == 300  # 13,334 weighted rows: no repeats
    assert np.all(w[index] > 0)
    np.testing.assert_array_equal(np.asarray(centres), X[index])
    again = run.seeds(v.check_key(0), X, w, 300, init="k-means||")[1]
    np.testing.assert_array_equal(np.asarray(again), index)  # the key decides


@pytest.mark.parametrize("k", [100, 200])
def test_fits_are_as_good_as_kmeans_plusplus_fits(X, k):
    # 50 blobs, 2 or 4 centroids each: the local optima differ by a fraction of a percent.
    plus = [float(jaxmeans.kmeans(X, k, key=s).inertia) for s in range(3)]
    parallel = [float(jaxmeans.kmeans(X, k, key=s, init="k-means||").inertia) for s in range(3)]
    assert np.mean(parallel) == pytest.approx(np.mean(plus), rel=0.01)


def test_a_k_below_its_bucket_gets_k_distinct_centroids(X):
    # k = 37 runs in a program of more centroid rows: the padding rows stay out.
    result = jaxmeans.kmeans(X[:3000], 37, key=2, init="k-means||")
    assert result.centroids.shape == (37, 8)
    assert len(np.unique(np.asarray(result.labels))) == 37
    assert len(np.unique(np.asarray(result.centroids), axis=0)) == 37


def test_it_runs_inside_jit_and_vmap(X):
    data = X[:2000]
    fit = jax.jit(lambda key: jaxmeans.kmeans(data, 10, key=key, init="k-means||").inertia)
    outside = float(jaxmeans.kmeans(data, 10, key=jax.random.key(4), init="k-means||").inertia)
    assert float(fit(jax.random.key(4))) == pytest.approx(outside, rel=1e-4)
    keys = jax.random.split(jax.random.key(0), 3)
    many = jax.vmap(lambda key: jaxmeans.kmeans(data, 10, key=key, init="k-means||").inertia)
    assert np.all(np.isfinite(np.asarray(many(keys))))


def test_the_estimators_take_it(X):
    from sklearn.cluster import KMeans as SkKMeans

    data = X[:4000]
    model = jaxmeans.KMeans(50, init="k-means||", random_state=0).fit(data)
    theirs = SkKMeans(50, n_init=1, random_state=0).fit(data)
    assert model.inertia_ <= 1.03 * theirs.inertia_  # no worse than scikit-learn's seeding
    np.testing.assert_array_equal(model.predict(data), model.labels_)
    mini = jaxmeans.MiniBatchKMeans(20, init="k-means||", random_state=0, n_init=1).fit(data)
    assert mini.cluster_centers_.shape == (20, 8) and np.isfinite(mini.inertia_)


def test_the_sweep_refuses_it_by_name(X):
    # The elbow seeds every k from one seeding (k-means++'s prefix), which k-means|| is not.
    with pytest.raises(ValueError, match=r"init='k-means\|\|' seeds one k at a time; elbow"):
        jaxmeans.elbow(X[:500], range(1, 5), init="k-means||")


def test_candidates_in_groups_pick_what_one_group_picks(X, monkeypatch):
    # Each round's 2k candidates meet the rows in groups (of at most 4,096): the grouping
    # changes the passes, not the nearest candidate of any row, nor the centres.
    from jaxmeans._core import seeding
    from jaxmeans._core.rows import prepare
    from jaxmeans._core.tuning import tuning_for

    tuning = tuning_for("cpu")
    rows, w = X[:3000], np.ones(3000, np.float32)

    def seed():
        def program(key, rows, w):
            data = prepare(rows, w, k=40, tuning=tuning)
            return seeding.kmeans_parallel_core(key, data, 40, tuning=tuning)[1]

        return np.asarray(jax.jit(program)(jax.random.key(5), rows, w))

    whole = seed()
    monkeypatch.setattr(seeding, "_MAX_GROUP", 8)
    assert seeding._group_size(40) == 5
    np.testing.assert_array_equal(seed(), whole)
