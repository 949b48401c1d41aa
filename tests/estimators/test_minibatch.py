"""MiniBatchKMeans: scikit-learn's mini-batch semantics, streaming from a memory map."""

import jax
import numpy as np
import pytest
from helpers import quiet_sklearn_checks
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.datasets import make_blobs

import jaxmeans
from jaxmeans import MiniBatchKMeans
from jaxmeans._io.rows import read_rows


@pytest.fixture(scope="module")
def blobs12():
    X, _ = make_blobs(80_000, n_features=16, centers=12, cluster_std=2.0, random_state=0)
    return X.astype(np.float32)


@pytest.fixture(scope="module")
def blobs12_file(blobs12, tmp_path_factory):
    path = tmp_path_factory.mktemp("stream") / "blobs.npy"
    np.save(path, blobs12)
    return path


class RowReader:
    """An array-like over a memmap that records how many rows each read asks for."""

    def __init__(self, data):
        self.data, self.shape, self.reads = data, data.shape, []

    def __getitem__(self, index):
        rows = self.data[index]
        self.reads.append(len(rows))
        return rows


@pytest.mark.slow
def test_partial_fit_over_memory_mapped_chunks_is_within_5_percent_of_kmeans(blobs12, blobs12_file):
    full = jaxmeans.kmeans(blobs12, 12, key=0, n_init=3)
    data = np.load(blobs12_file, mmap_mode="r")
    model = MiniBatchKMeans(12, random_state=0)
    for start in range(0, len(data), 4096):
        model.partial_fit(data[start : start + 4096])
    assert model.n_steps_ == 20
    inertia = -model.score(blobs12)
    assert inertia <= 1.05 * float(full.inertia)


def test_fit_streams_a_memory_map_in_batches(blobs12, blobs12_file):
    reader = RowReader(np.load(blobs12_file, mmap_mode="r"))
    model = MiniBatchKMeans(12, batch_size=1024, random_state=3).fit(reader)
    assert max(reader.reads) <= 65536 < len(blobs12)  # batches, seeding sample, label chunks
    in_memory = MiniBatchKMeans(12, batch_size=1024, random_state=3).fit(blobs12)
    np.testing.assert_array_equal(model.cluster_centers_, in_memory.cluster_centers_)
    np.testing.assert_array_equal(model.labels_, model.predict(blobs12))
    assert model.inertia_ == pytest.approx(-model.score(blobs12), rel=1e-5)


def test_fit_quality_matches_scikit_learn(blobs12):
    ours = [MiniBatchKMeans(12, random_state=s).fit(blobs12).inertia_ for s in range(5)]
    theirs = [SkMiniBatchKMeans(12, random_state=s).fit(blobs12).inertia_ for s in range(5)]
    # Both land in the same optimum most of the time and in the same worse one otherwise.
    assert min(ours) == pytest.approx(min(theirs), rel=0.01)
    assert np.median(ours) <= 1.05 * np.median(theirs)


@pytest.mark.parametrize("weighted", [False, True])
def test_steps_equal_scikit_learn_from_the_same_start(blobs12, weighted):
    rng = np.random.default_rng(1)
    init = blobs12[rng.choice(len(blobs12), 12, replace=False)]
    batches = [blobs12[i : i + 500] for i in range(0, 2000, 500)]
    weights = [rng.uniform(0.5, 2.0, 500).astype(np.float32) if weighted else None] * 4
    kw = dict(init=init, batch_size=500, reassignment_ratio=0.0, random_state=0)
    ours, theirs = MiniBatchKMeans(12, **kw), SkMiniBatchKMeans(12, n_init=1, **kw)
    for batch, w in zip(batches, weights, strict=True):
        ours.partial_fit(batch, sample_weight=w)
        theirs.partial_fit(batch, sample_weight=w)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-5)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-5)


@pytest.mark.slow
def test_tiny_clusters_are_reassigned(blobs12):
    init = blobs12[:12].copy()
    init[0] = 1e4  # a centre no point will ever choose
    model = MiniBatchKMeans(12, init=init, random_state=0, max_no_improvement=None).fit(blobs12)
    assert len(np.unique(model.labels_)) == 12
    assert np.abs(model.cluster_centers_).max() < 100
    stuck = MiniBatchKMeans(12, init=init, random_state=0, reassignment_ratio=0.0)
    assert np.abs(stuck.fit(blobs12).cluster_centers_).max() >= 1e4


def test_early_stopping(blobs12):
    full = (100 * len(blobs12)) // 1024
    patient = MiniBatchKMeans(12, random_state=0, max_no_improvement=None, max_iter=2)
    assert patient.fit(blobs12).n_steps_ == (2 * len(blobs12)) // 1024
    assert MiniBatchKMeans(12, random_state=0, max_no_improvement=3).fit(blobs12).n_steps_ < full
    assert MiniBatchKMeans(12, random_state=0, tol=1e-2).fit(blobs12).n_steps_ < full


def test_bad_partial_fit_batches_leave_the_model_unchanged(blobs12):
    fresh = MiniBatchKMeans(12, random_state=0)
    with pytest.raises(ValueError, match=r"n_clusters \(=12\) must be <= n_samples \(=5\)"):
        fresh.partial_fit(blobs12[:5])
    assert not hasattr(fresh, "cluster_centers_")
    model = MiniBatchKMeans(12, random_state=0).partial_fit(blobs12[:2000])
    before = (model.cluster_centers_.copy(), model.n_steps_, model._counts.copy())
    with pytest.raises(ValueError, match="X has 15 features, but MiniBatchKMeans is expecting 16"):
        model.partial_fit(blobs12[:100, :15])
    bad = blobs12[:100].copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.partial_fit(bad)
    np.testing.assert_array_equal(model.cluster_centers_, before[0])
    assert model.n_steps_ == before[1]
    np.testing.assert_array_equal(model._counts, before[2])


def test_bad_fit_arguments(blobs12):
    with pytest.raises(ValueError, match=r"n_clusters \(=12\) must be <= n_samples \(=10\)"):
        MiniBatchKMeans(12).fit(blobs12[:10])
    with pytest.raises(ValueError, match="batch_size"):
        MiniBatchKMeans(3, batch_size=0).fit(blobs12[:100])
    with pytest.raises(ValueError, match="2-D"):
        MiniBatchKMeans(3).fit(blobs12[0])
    with pytest.raises(ValueError, match="reassignment_ratio"):
        MiniBatchKMeans(3, reassignment_ratio=-1.0).fit(blobs12[:100])


def test_rows_of_a_memory_map_are_read_without_mapping_the_file(tmp_path):

    path = tmp_path / "big.npy"
    data = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(400_000, 40))
    data[:] = np.arange(400_000, dtype=np.float32)[:, None] + np.arange(40, dtype=np.float32)
    data.flush()
    del data
    X = np.load(path, mmap_mode="r")
    index = np.sort(np.random.default_rng(0).choice(len(X), 512, replace=False))
    index[100:110] = index[100] + np.arange(10)  # a run of consecutive rows
    index = np.unique(index)

    def resident_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096 / 1e6

    before = resident_mb()
    rows = read_rows(X, index)
    assert resident_mb() - before < 16  # the file is 64 MB
    np.testing.assert_array_equal(rows, np.asarray(X[index], dtype=np.float64))
    view = X[1000:3000]  # not a whole memmap: indexed, same values
    np.testing.assert_array_equal(read_rows(view, np.arange(5)), X[1000:1005])


@pytest.mark.slow
@quiet_sklearn_checks
def test_scikit_learn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    expected = {
        # Batches are drawn by row index: repeating a row changes which rows a batch
        # holds, so weights and repeated rows give different (equally valid) fits.
        # scikit-learn's own MiniBatchKMeans fails this check for the same reason.
        "check_sample_weight_equivalence_on_dense_data": "batches are drawn by row index",
        "check_sample_weight_equivalence_on_sparse_data": "batches are drawn by row index",
    }
    results = check_estimator(
        MiniBatchKMeans(n_clusters=3, batch_size=10, random_state=0),
        expected_failed_checks=expected,
        on_fail=None,
    )
    assert {r["check_name"] for r in results if r["status"] == "failed"} == set()
    assert {r["check_name"] for r in results if r["status"] == "xfail"} == set(expected)
    assert sum(r["status"] == "passed" for r in results) >= 50


def test_every_row_is_checked_and_named_by_its_index(blobs12):
    X = blobs12.copy()
    X[7777, 3] = np.nan  # a row the batches may never draw: the labelling pass reads it
    model = MiniBatchKMeans(12, batch_size=256, random_state=0, max_iter=1)
    with pytest.raises(ValueError, match=r"index \(7777, 3\)"):
        model.fit(X)
    assert not hasattr(model, "cluster_centers_")  # a failed fit leaves nothing behind


def test_parameters_and_random_state_as_for_kmeans(blobs12):
    with pytest.raises(ValueError, match="tol"):
        MiniBatchKMeans(12, tol=-1.0).fit(blobs12)
    with pytest.raises(ValueError, match="max_iter"):
        MiniBatchKMeans(12, max_iter=2**40).fit(blobs12)
    for state in (3, np.random.RandomState(3), np.random.default_rng(3), jax.random.key(3)):
        model = MiniBatchKMeans(12, batch_size=512, random_state=state, max_iter=2).fit(blobs12)
        assert model.cluster_centers_.shape == (12, blobs12.shape[1])
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        MiniBatchKMeans(12, random_state="x").fit(blobs12)
