"""Data-parallel fits over a device mesh of eight CPU devices.

Run by ``tests/test_sharded.py`` in a process started with
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` (eight devices slow every other test
of the suite down, so only this process has them).
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import sample_rows
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import jaxmeans
from jaxmeans._core.types import Problem
from jaxmeans._runtime.run import FIT_SHARDED
from jaxmeans._runtime.spec import specify


@pytest.fixture(scope="module")
def mesh():
    if jax.device_count() < 8:
        pytest.fail("run with XLA_FLAGS=--xla_force_host_platform_device_count=8")
    return jax.make_mesh((8,), ("data",))


def _shard(X, mesh):
    return jax.device_put(X, NamedSharding(mesh, P("data", None)))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=4.0, size=(6, 5))
    X = centres[rng.integers(0, 6, 4000)] + rng.normal(size=(4000, 5))
    return X.astype(np.float32)


def test_sharded_fit_equals_the_single_device_fit(data, mesh):
    init = sample_rows(data, 6, 0)
    one = jaxmeans.kmeans(data, 6, init=init)
    many = jaxmeans.kmeans(_shard(data, mesh), 6, init=init)
    np.testing.assert_array_equal(np.asarray(many.labels), np.asarray(one.labels))
    np.testing.assert_allclose(many.centroids, one.centroids, rtol=1e-4, atol=1e-5)
    assert float(many.inertia) == pytest.approx(float(one.inertia), rel=1e-5)
    assert int(many.n_iter) == int(one.n_iter) and bool(many.converged)
    assert many.labels.sharding.spec == P("data")  # labels stay split like X


def test_sharded_fit_with_weights_and_relocation_equals_the_single_device_fit(data, mesh):
    w = np.random.default_rng(1).uniform(0.0, 2.0, len(data)).astype(np.float32)
    init = np.repeat(data[:2], 3, axis=0)  # 6 centroids on 2 points: 4 start empty
    one = jaxmeans.kmeans(data, 6, init=init, sample_weight=w)
    many = jaxmeans.kmeans(_shard(data, mesh), 6, init=init, sample_weight=w)
    np.testing.assert_array_equal(np.asarray(many.labels), np.asarray(one.labels))
    np.testing.assert_allclose(many.centroids, one.centroids, rtol=1e-4, atol=1e-4)
    assert int(many.n_iter) == int(one.n_iter)


@pytest.mark.parametrize("init", ["k-means++", "k-means||", "random"])
def test_sharded_seeding_reaches_the_same_optimum(data, mesh, init):
    # Another partition of the same draws: not the same rows, the same quality.
    one = jaxmeans.kmeans(data, 6, key=1, init=init, n_init=10)
    many = jaxmeans.kmeans(_shard(data, mesh), 6, key=1, init=init, n_init=10)
    assert float(many.inertia) == pytest.approx(float(one.inertia), rel=1e-3)
    again = jaxmeans.kmeans(_shard(data, mesh), 6, key=1, init=init, n_init=10)
    np.testing.assert_array_equal(np.asarray(again.labels), np.asarray(many.labels))


def test_rows_not_divisible_by_the_mesh_are_padded_with_zero_weight(data, mesh):
    X = data[:3997]  # 3997 = 8 * 499 + 5
    init = sample_rows(X, 6, 2)
    one = jaxmeans.kmeans(X, 6, init=init)
    many = jaxmeans.kmeans(X, 6, init=init, mesh=mesh)
    assert many.labels.shape == (3997,)
    np.testing.assert_array_equal(np.asarray(many.labels), np.asarray(one.labels))
    np.testing.assert_allclose(many.centroids, one.centroids, rtol=1e-4, atol=1e-5)
    assert float(many.inertia) == pytest.approx(float(one.inertia), rel=1e-5)


def test_sharded_elbow_equals_the_single_device_elbow(data, mesh):
    init = sample_rows(data, 6, 3)
    one = jaxmeans.elbow(data, range(1, 7), init=init)
    many = jaxmeans.elbow(_shard(data, mesh), range(1, 7), init=init)
    np.testing.assert_array_equal(np.asarray(many.labels), np.asarray(one.labels))
    np.testing.assert_allclose(many.inertia, one.inertia, rtol=1e-5)
    assert int(many.knee) == int(one.knee)
    # k-means++: entry i is the sharded kmeans for ks[i] with the same key.
    swept = jaxmeans.elbow(_shard(data, mesh), [2, 5], key=4)
    single = jaxmeans.kmeans(_shard(data, mesh), 5, key=4)
    assert float(swept.inertia[1]) == pytest.approx(float(single.inertia), rel=1e-6)


def test_estimator_fits_sharded_data(data, mesh):
    init = sample_rows(data, 6, 4)
    ours = jaxmeans.KMeans(6, init=init).fit(_shard(data, mesh))
    ref = jaxmeans.KMeans(6, init=init).fit(data)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_array_equal(ours.predict(data[:50]), ref.predict(data[:50]))


def _collectives(hlo: str, op: str) -> list[int]:
    """Element counts of each ``op`` (all-reduce, all-gather) in an HLO module's text."""
    sizes = []
    for line in hlo.splitlines():
        if f" {op}(" not in line:
            continue
        result_type = line.split("=", 1)[1].split(f" {op}(")[0]
        dims = re.findall(r"\[([\d,]*)\]", result_type)
        sizes.append(sum(int(np.prod([int(x) for x in d.split(",") if x])) for d in dims))
    return sizes


def test_only_cluster_sums_cross_devices_per_iteration(mesh):
    n, d, k = 8000, 5, 6
    X = _shard(np.random.default_rng(0).normal(size=(n, d)).astype(np.float32), mesh)
    w = jax.device_put(np.ones(n, np.float32), NamedSharding(mesh, P("data")))
    init = jnp.asarray(np.random.default_rng(1).normal(size=(k, d)), jnp.float32)
    spec = specify(X, k=k, key=0, init=init, n_init=1, max_iter=300, tol=1e-4)
    assert spec.kind == "split" and spec.plan.carry_sums  # as the spec decides for X
    static = dict(plan=spec.plan, tuning=spec.tuning, mesh=mesh, axis="data", n=n)
    problem = Problem(X, w, init, jax.random.key(0), jnp.float32(1e-4), 300, None, None)
    lowered = FIT_SHARDED.jitted.lower(problem, **static)
    hlo = lowered.compile().as_text()
    reduces = _collectives(hlo, "all-reduce")
    # Per iteration: the sums and weights (one combined all-reduce), and two flags (a label
    # changed; the carried sums are due to be taken afresh); where the fit stops or the
    # sums are due, the sums taken afresh; once per fit: mean and variance (d each) and
    # the inertia.
    assert sorted(reduces) == sorted([k * d + k, 2, k * d + k, d, d, 1])
    # Relocation (only when a cluster is empty) gathers k candidates per device; no
    # collective ever carries rows of X.
    assert max(_collectives(hlo, "all-gather")) <= 8 * k * d
    assert max(reduces + _collectives(hlo, "all-gather")) < n // 8


def test_bad_mesh_arguments_are_clear_errors(data, mesh):
    with pytest.raises(TypeError, match=r"mesh must be a jax\.sharding\.Mesh, got str"):
        jaxmeans.kmeans(data, 3, mesh="data")
    with pytest.raises(ValueError, match=r"mesh cannot be used inside jax\.jit"):
        jax.jit(lambda X: jaxmeans.kmeans(X, 3, mesh=mesh).inertia)(data)
    bad = data.copy()
    bad[17, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        jaxmeans.kmeans(_shard(bad, mesh), 3)


def test_sharded_cosine_fit_equals_the_single_device_fit(data, mesh):
    init = sample_rows(data, 6, seed=5)
    one = jaxmeans.kmeans(data, 6, init=init, metric="cosine")
    split = jaxmeans.kmeans(_shard(data, mesh), 6, init=init, metric="cosine")
    np.testing.assert_array_equal(np.asarray(split.labels), np.asarray(one.labels))
    np.testing.assert_allclose(split.centroids, one.centroids, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(split.centroids, axis=1), 1.0, atol=1e-6)
    assert float(split.inertia) == pytest.approx(float(one.inertia), rel=1e-5)
