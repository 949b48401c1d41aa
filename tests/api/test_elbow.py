"""The elbow sweep: one program for every k, equal to separate fits, and the knee."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import count_compiles
from sklearn.cluster import KMeans

import jaxmeans
from jaxmeans._core import tuning
from jaxmeans._runtime import threads


@pytest.fixture(scope="module")
def three_blobs():
    """600 points in three well-separated 2-D blobs."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [12.0, 0.0], [6.0, 12.0]])
    return np.concatenate([c + rng.normal(size=(200, 2)) for c in centres]).astype(np.float32)


def test_knee_is_three_and_inertia_matches_scikit_learn(three_blobs, key):
    ks = range(1, 11)
    result = jaxmeans.elbow(three_blobs, ks, key=key, n_init=3)
    assert result.knee == 3
    assert result.ks.tolist() == list(ks)
    sk = np.array([KMeans(k, n_init=3, random_state=0).fit(three_blobs).inertia_ for k in ks])
    ratio = np.asarray(result.inertia, np.float64) / sk
    assert np.exp(np.mean(np.log(ratio))) <= 1.01
    assert bool(jnp.all(result.converged))


def test_inertia_does_not_rise_with_k(blobs, key):
    result = jaxmeans.elbow(blobs, range(1, 9), key=key, n_init=2)
    assert np.all(np.diff(np.asarray(result.inertia)) <= 0)


def test_a_k_whose_fit_rises_is_refitted_from_the_previous_centroids():
    from sklearn.datasets import make_blobs

    # k-means++ from the default key lands k=22 above k=21 here (0.5%) on separate fits.
    X, _ = make_blobs(1000, centers=3, random_state=2)
    ks = range(1, 31)
    separate = [float(jaxmeans.kmeans(X, k).inertia) for k in (21, 22)]
    assert separate[1] > separate[0]
    result = jaxmeans.elbow(X, ks)
    inertia = np.asarray(result.inertia)
    assert np.all(np.diff(inertia) <= 0)
    # The refitted entry is a real fit: its labels and centroids give its inertia.
    i = 21
    k = int(result.ks[i])
    centroids = np.asarray(result.centroids[i, :k], np.float64)
    labels = np.asarray(result.labels[i])
    assert labels.max() < k
    own = np.sum((X - centroids[labels]) ** 2)
    np.testing.assert_allclose(inertia[i], own, rtol=1e-4)
    assert inertia[i] <= inertia[i - 1]
    assert int(result.knee) == jaxmeans.find_knee(ks, inertia)


@pytest.mark.parametrize("init,n_init", [("k-means++", 1), ("k-means++", 3), ("random", 2)])
def test_each_entry_equals_a_separate_kmeans_fit(blobs, key, init, n_init):
    ks = [1, 2, 3, 5, 8]
    sweep = jaxmeans.elbow(blobs, ks, key=key, init=init, n_init=n_init)
    for i, k in enumerate(ks):
        single = jaxmeans.kmeans(blobs, k, key=key, init=init, n_init=n_init)
        np.testing.assert_array_equal(sweep.labels[i], single.labels)
        np.testing.assert_allclose(sweep.centroids[i, :k], single.centroids, rtol=1e-5, atol=1e-5)
        assert float(sweep.inertia[i]) == pytest.approx(float(single.inertia), rel=1e-5)
        assert int(sweep.n_iter[i]) == int(single.n_iter)
        assert bool(sweep.converged[i]) == bool(single.converged)
        assert np.asarray(sweep.labels[i]).max() < k


def test_init_array_gives_each_k_its_first_rows(blobs):
    init = blobs[[0, 100, 200, 300, 400]]
    sweep = jaxmeans.elbow(blobs, [2, 5], init=init)
    for i, k in enumerate([2, 5]):
        single = jaxmeans.kmeans(blobs, k, init=init[:k])
        np.testing.assert_allclose(sweep.centroids[i, :k], single.centroids, rtol=1e-5)
        assert int(sweep.n_iter[i]) == int(single.n_iter)


@pytest.mark.slow
def test_one_compilation_serves_any_ks_of_the_same_length_and_bucket(blobs):
    jaxmeans.elbow(blobs, [1, 2, 3, 7])
    with count_compiles() as compiles:
        jaxmeans.elbow(blobs, [2, 4, 5, 7], key=1)
        jaxmeans.elbow(blobs, [1, 3, 6, 8], key=2)  # max(ks) 7 and 8 share a bucket
        jaxmeans.elbow(blobs[:520], [1, 3, 6, 8], key=2)  # and so do 600 and 520 rows
    assert compiles == []
    before = jaxmeans.cache_dir()
    jaxmeans.set_cache_dir(None)  # no disk: an earlier run may have kept this program
    try:
        with count_compiles() as compiles:
            jaxmeans.elbow(blobs, [1, 2, 3, 11])  # another bucket of k: a new program
    finally:
        jaxmeans.set_cache_dir(before)
    assert len(compiles) == 1


@pytest.mark.slow
def test_vmap_over_datasets_matches_a_loop(key):
    rng = np.random.default_rng(1)
    batch = rng.normal(size=(3, 150, 2)).astype(np.float32)
    batch[:, :50] += 8.0
    batched = jax.vmap(lambda x: jaxmeans.elbow(x, range(1, 5), key=key))(batch)
    assert batched.inertia.shape == (3, 4) and batched.knee.shape == (3,)
    for i in range(3):
        single = jaxmeans.elbow(batch[i], range(1, 5), key=key)
        np.testing.assert_allclose(batched.inertia[i], single.inertia, rtol=1e-5)
        np.testing.assert_array_equal(batched.labels[i], single.labels)
        assert int(batched.knee[i]) == int(single.knee)


def test_scores_add_the_silhouette_of_each_k(three_blobs, key):
    from sklearn.metrics import silhouette_score

    result = jaxmeans.elbow(three_blobs, range(1, 6), key=key, scores=True)
    assert np.isnan(float(result.silhouette[0]))  # undefined for one cluster
    for i in range(1, 5):
        expected = silhouette_score(three_blobs, np.asarray(result.labels[i]))
        assert float(result.silhouette[i]) == pytest.approx(expected, rel=1e-4)
    assert int(np.nanargmax(np.asarray(result.silhouette))) + 1 == 3
    assert jaxmeans.elbow(three_blobs, range(1, 4)).silhouette is None


def test_single_k_and_weights(blobs):
    # One job: the queue's one slot steps the fit unbatched, as a single fit does.
    w = np.random.default_rng(0).integers(1, 4, len(blobs))
    sweep = jaxmeans.elbow(blobs, [4], sample_weight=w)
    single = jaxmeans.kmeans(blobs, 4, sample_weight=w)
    assert float(sweep.inertia[0]) == pytest.approx(float(single.inertia), rel=1e-5)
    np.testing.assert_array_equal(sweep.labels[0], single.labels)
    assert int(sweep.n_iter[0]) == int(single.n_iter)
    assert int(sweep.knee) == 0  # one point has no knee


@pytest.mark.parametrize(
    "ks,error,pattern",
    [
        ([], ValueError, "ks must not be empty"),
        ([0, 1, 2], ValueError, r"ks must be >= 1, got 0"),
        ([1, 2, 601], ValueError, r"ks must be <= n_samples \(=600\), got 601"),
        ([3, 2], ValueError, r"ks must be strictly increasing \(no duplicates\), got 3 then 2"),
        ([1, 2, 2], ValueError, r"ks must be strictly increasing \(no duplicates\), got 2 then 2"),
        ([1.5, 2], TypeError, "ks must hold integers"),
        (["a"], TypeError, "ks must hold integers"),
        ([[1, 2]], ValueError, r"ks must be 1-D"),
    ],
)
def test_bad_ks_are_rejected(blobs, ks, error, pattern):
    with pytest.raises(error, match=pattern):
        jaxmeans.elbow(blobs, ks)


def test_whole_float_ks_are_accepted(blobs):
    assert jaxmeans.elbow(blobs, np.array([1.0, 2.0])).ks.tolist() == [1, 2]


def test_find_knee_kneedle_rule():
    assert jaxmeans.find_knee([1, 2, 3, 4, 5, 6], [100.0, 60.0, 10.0, 8.0, 7.0, 6.5]) == 3
    assert jaxmeans.find_knee([1, 2, 3, 4, 5], [90.0, 30.0, 20.0, 15.0, 12.0]) == 2
    # Flat, straight, too short, or barely bent: no knee.
    assert jaxmeans.find_knee([1, 2, 3, 4], [5.0, 5.0, 5.0, 5.0]) is None
    assert jaxmeans.find_knee([1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0]) is None
    assert jaxmeans.find_knee([1, 2], [4.0, 1.0]) is None
    assert jaxmeans.find_knee([1, 2, 3], [3.0, 1.95, 1.0]) is None
    assert jaxmeans.find_knee([1, 2, 3], [3.0, 1.95, 1.0], min_distance=0.01) == 2
    # Uneven spacing is measured along k, not by position.
    assert jaxmeans.find_knee([1, 2, 10, 20], [100.0, 10.0, 5.0, 4.0]) == 2


def test_find_knee_of_a_curve_that_does_not_fall_is_none():
    ks = [1, 2, 3, 4, 5, 6]
    rising = [1.0, 2.0, 3.0, 10.0, 50.0, 100.0]  # the rule named k=1 here
    assert jaxmeans.find_knee(ks, rising) is None
    assert jaxmeans.find_knee(ks, [1.0, 50.0, 90.0, 95.0, 98.0, 100.0]) is None
    assert jaxmeans.find_knee(ks, [10.0, 100.0, 50.0, 30.0, 20.0, 10.0]) is None
    # Under jit: 0, the elbow's "no knee", as for a flat curve.
    assert int(jax.jit(jaxmeans.find_knee)(jnp.arange(1, 7), jnp.asarray(rising))) == 0
    flat = jaxmeans.elbow(np.ones((20, 2), np.float32), range(1, 5))
    assert int(flat.knee) == 0


def test_find_knee_under_jit_returns_zero_for_none():
    f = jax.jit(lambda y: jaxmeans.find_knee(jnp.arange(1, 5), y))
    assert int(f(jnp.array([9.0, 3.0, 2.0, 1.5]))) == 2
    assert int(f(jnp.array([4.0, 3.0, 2.0, 1.0]))) == 0


def test_find_knee_validates():
    with pytest.raises(ValueError, match="same length"):
        jaxmeans.find_knee([1, 2, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="inertia contains NaN"):
        jaxmeans.find_knee([1, 2, 3], [1.0, np.nan, 2.0])


@pytest.mark.slow
def test_result_has_one_pytree_structure_eager_and_under_jit(blobs, key):
    eager = jaxmeans.elbow(blobs, [1, 2, 3], key=key)
    flat = jaxmeans.elbow(blobs[:, :1] * 0 + 1, [1, 2, 3], key=key)  # no knee at all
    jitted = jax.jit(lambda X: jaxmeans.elbow(X, [1, 2, 3], key=key))(blobs)
    assert jax.tree.structure(eager) == jax.tree.structure(jitted)
    assert jax.tree.structure(flat) == jax.tree.structure(eager)
    assert eager.knee.dtype == jnp.int32 and eager.knee.shape == ()
    assert int(flat.knee) == 0 and int(jitted.knee) == int(eager.knee)


def test_seedings_one_after_another_equal_seedings_side_by_side(monkeypatch, blobs, key):
    # CPUs run a sweep's k-means++ seedings one after another; accelerators side by side.
    ks, n_init = [1, 3, 8], 2
    ours = jaxmeans.elbow(blobs, ks, key=key, n_init=n_init)
    assert tuning.CPU.sequential_seedings
    side = dataclasses.replace(tuning.CPU, sequential_seedings=False)
    monkeypatch.setattr(tuning, "CPU", side)
    other = jaxmeans.elbow(blobs, ks, key=key, n_init=n_init)
    np.testing.assert_array_equal(ours.labels, other.labels)
    np.testing.assert_array_equal(ours.n_iter, other.n_iter)
    np.testing.assert_allclose(ours.centroids, other.centroids, rtol=1e-6, atol=1e-6)


def test_split_ks_deals_interleaved_parts_of_one_length():
    from jaxmeans._runtime.spec import split_ks

    parts = split_ks(np.arange(1, 11), 2)
    assert [p.tolist() for p in parts] == [[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]
    parts = split_ks(np.array([2, 3, 5, 8, 13]), 2)  # the shorter part repeats its smallest
    assert [p.tolist() for p in parts] == [[2, 5, 13], [3, 3, 8]]
    assert [p.tolist() for p in split_ks(np.array([4, 6]), 8)] == [[4], [6]]
    assert [p.tolist() for p in split_ks(np.array([4, 6, 7]), 1)] == [[4, 6, 7]]


def test_a_sweep_split_over_cores_equals_one_program(monkeypatch, key):
    # 10,000 rows: a sweep that runs its ks in one part per core on a CPU.
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=6, size=(6, 3))
    X = (centres[rng.integers(0, 6, 10_000)] + rng.normal(size=(10_000, 3))).astype(np.float32)
    calls, original = [], threads.run_all

    def counted(fn, tasks, n_workers):
        calls.append(len(tasks))
        return original(fn, tasks, n_workers)

    monkeypatch.setattr(threads, "run_all", counted)
    results = []
    for cores in (1, 2):
        monkeypatch.setattr(threads, "cores", lambda cores=cores: cores)
        results.append(jaxmeans.elbow(X, range(1, 10), key=key))
    assert calls == [1, 2]  # one part, then two
    # The same fits: labels and iteration counts equal; the parts run fewer fits side by
    # side, whose one-hot sums XLA may add in another order (jax 0.8: up to 2e-6).
    for name in ("ks", "labels", "n_iter", "converged", "knee"):
        np.testing.assert_array_equal(getattr(results[0], name), getattr(results[1], name))
    for name in ("inertia", "centroids"):
        a, b = getattr(results[0], name), getattr(results[1], name)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-5)


def test_progress_of_a_split_sweep_counts_every_fit_that_runs(monkeypatch, capsys):
    # Seven ks on two cores: parts [1, 3, 5, 7] and [2, 2, 4, 6], eight fits in all.
    monkeypatch.setattr(threads, "cores", lambda: 2)
    X = np.random.default_rng(0).normal(size=(10_000, 3)).astype(np.float32)
    jaxmeans.elbow(X, range(1, 8), key=0, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if "fits done" in line]
    assert len(lines) == 8
    assert lines[-1].startswith("elbow: 8/8 fits done")
