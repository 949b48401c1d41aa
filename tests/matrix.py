"""The matrix of every public entry point x input kind x metric x scale (tests/api/test_matrix.py).

Three separated blobs (along the axes, so that they differ in direction too) are moved by
each scale and given in each kind of input; every entry point must find the blobs' own
partition (the dense float64 answer at scale 1, ARI 1), or its score equal scikit-learn's
on the same values. The cells that are not cells, and why, are in :data:`NOT_A_CELL` (the
README lists them).
"""

import os
import tempfile

import jax
import numpy as np
import scipy.sparse as sp
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import jaxmeans

PER_BLOB = 32  # 96 rows: a multiple of the eight devices of the mesh kind
SCALES = {
    "1": lambda a: a,
    "1e-20": lambda a: a * 1e-20,
    "1e20": lambda a: a * 1e20,
    "offset 1e8": lambda a: a + 1e8,
}
# Each move undone in float64 (on the values a kind holds: float32 kinds hold the blobs
# at 1e8 rounded to multiples of 8, and scikit-learn is given those).
UNDONE = {
    "1": lambda a: a,
    "1e-20": lambda a: a * 1e20,
    "1e20": lambda a: a * 1e-20,
    "offset 1e8": lambda a: a - 1e8,
}
KINDS = ("float32", "float64", "csr", "memmap", "device", "mesh")
METRICS = ("euclidean", "cosine")
# Entry points and whether they take metric=.
ENTRIES = {
    "kmeans": True,
    "elbow": True,
    "gap_statistic": True,
    "kmeans_plusplus": False,
    "assign": True,
    "pairwise_sq_dists": False,
    "metrics": False,
    "KMeans": True,
    "MiniBatchKMeans": True,
}
NOT_A_CELL = {
    ("cosine", "offset 1e8"): "cosine distance ignores a row's length, not an offset: moving "
    "the blobs by 1e8 makes every row point along (1, 1, 1) to within 5e-7 radians, another "
    "problem with no three directions to find",
}


def cells(kinds=KINDS):
    """Every ``(entry, kind, metric, scale)`` to check."""
    for entry, takes_metric in ENTRIES.items():
        for kind in kinds:
            for metric in METRICS if takes_metric else ("euclidean",):
                for scale in SCALES:
                    if (metric, scale) not in NOT_A_CELL:
                        yield entry, kind, metric, scale


def blobs():
    """``(X [96, 3] float64, truth [96])``: three blobs 50 apart along the axes, entries
    nearer zero than 0.3 made exactly zero (so sparse rows store some columns only)."""
    rng = np.random.default_rng(0)
    X = np.concatenate([50 * np.eye(3)[i] + rng.normal(size=(PER_BLOB, 3)) for i in range(3)])
    X[np.abs(X) < 0.3] = 0.0
    return X, np.repeat(np.arange(3), PER_BLOB)


def as_kind(X: np.ndarray, kind: str, folder: str):
    """``X`` (float64) in the input kind ``kind``."""
    if kind == "float64":
        return X
    if kind == "csr":
        return sp.csr_matrix(X)
    X32 = X.astype(np.float32)
    if kind == "float32":
        return X32
    if kind == "memmap":
        path = os.path.join(folder, "X.npy")
        np.save(path, X32)
        return np.load(path, mmap_mode="r")
    if kind == "device":
        return jax.device_put(X32)
    if kind == "mesh":
        mesh = jax.make_mesh((jax.device_count(),), ("data",))
        return jax.device_put(X32, NamedSharding(mesh, P("data", None)))
    raise ValueError(kind)


def _ari(a, b) -> float:
    from sklearn.metrics import adjusted_rand_score

    return adjusted_rand_score(np.asarray(a), np.asarray(b))


def _host(X) -> np.ndarray:
    """The values an input holds, as float64 on the host (what scikit-learn is given)."""
    if sp.issparse(X):
        return X.toarray().astype(np.float64)
    return np.asarray(jax.device_get(X) if isinstance(X, jax.Array) else X, np.float64)


def check(entry: str, kind: str, metric: str, scale: str) -> None:
    """Run one cell; AssertionError unless it finds the blobs (or scikit-learn's score)."""
    base, truth = blobs()
    moved = SCALES[scale](base)
    with tempfile.TemporaryDirectory() as folder:
        X = as_kind(moved, kind, folder)
        _check(entry, X, truth, metric, moved, UNDONE[scale])


def _check(entry, X, truth, metric, moved, undo):
    means = np.stack([moved[truth == j].mean(axis=0) for j in range(3)])
    if entry == "kmeans":
        result = jaxmeans.kmeans(X, 3, key=0, metric=metric)
        assert _ari(result.labels, truth) == 1.0
    elif entry == "elbow":
        result = jaxmeans.elbow(X, range(1, 7), key=0, metric=metric)
        assert _ari(result.labels[2], truth) == 1.0
        assert int(result.knee) == 3
    elif entry == "gap_statistic":
        result = jaxmeans.gap_statistic(X, range(1, 7), n_refs=5, key=0, metric=metric)
        assert int(result.k_best) == 3
    elif entry == "kmeans_plusplus":
        centres, index = jaxmeans.kmeans_plusplus(0, X, 3)
        assert sorted(truth[np.asarray(index)].tolist()) == [0, 1, 2]
        np.testing.assert_allclose(np.asarray(centres), _host(X)[np.asarray(index)], rtol=1e-6)
    elif entry == "assign":
        labels, dist = jaxmeans.assign(X, means, metric=metric)
        np.testing.assert_array_equal(np.asarray(labels), truth)
        assert np.all(np.asarray(dist) >= 0)
    elif entry == "pairwise_sq_dists":
        D = np.asarray(jaxmeans.pairwise_sq_dists(X, means))
        exact = ((_host(X)[:, None, :] - means[None]) ** 2).sum(axis=-1)
        # What the compute dtype cannot hold (at 1e20, squared distances near 1e42 in
        # float32) must be infinite; the rest close, and nearest where it was.
        beyond = exact > np.finfo(D.dtype).max
        assert np.isinf(D[beyond]).all() and np.isfinite(D[~beyond]).all()
        if not beyond.any():
            np.testing.assert_array_equal(D.argmin(axis=1), truth)
            np.testing.assert_allclose(D, exact, rtol=1e-3, atol=1e-3 * exact.max())
    elif entry == "metrics":
        from sklearn import metrics as sk

        values = undo(_host(X))  # the scores do not change under the move
        for name in ("silhouette_score", "calinski_harabasz_score", "davies_bouldin_score"):
            ours = float(getattr(jaxmeans.metrics, name)(X, truth))
            theirs = getattr(sk, name)(values, truth)
            assert np.isclose(ours, theirs, rtol=1e-3), (name, ours, theirs)
    elif entry == "KMeans":
        model = jaxmeans.KMeans(3, random_state=0, metric=metric).fit(X)
        assert _ari(model.labels_, truth) == 1.0
        np.testing.assert_array_equal(model.predict(X), model.labels_)
        np.testing.assert_array_equal(np.asarray(model.transform(X)).argmin(1), model.labels_)
        assert np.isclose(model.score(X), -model.inertia_, rtol=1e-4)
    elif entry == "MiniBatchKMeans":
        model = jaxmeans.MiniBatchKMeans(3, batch_size=32, random_state=0, metric=metric)
        model.fit(X)
        assert _ari(model.labels_, truth) == 1.0
        np.testing.assert_array_equal(model.predict(X), model.labels_)
    else:
        raise ValueError(entry)
