"""Two processes on loopback (jax.distributed, CPU, gloo), each holding half of the rows."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import jaxmeans

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multihost.py"


@pytest.fixture(scope="module")
def multihost():
    spec = importlib.util.spec_from_file_location("multihost", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=5.0, size=(5, 4))
    X = (centres[rng.integers(0, 5, 3000)] + rng.normal(size=(3000, 4))).astype(np.float32)
    path = tmp_path_factory.mktemp("multihost") / "data.npy"
    np.save(path, X)
    return X, path


@pytest.mark.slow
def test_two_processes_agree_with_a_single_process_fit(multihost, dataset, tmp_path):
    X, path = dataset
    outs = multihost.run_local(str(path), 5, 2, str(tmp_path), extra=["--first-rows-init"])
    ref = jaxmeans.kmeans(X, 5, init=X[:5])
    assert [o["rows"] for o in outs] == [[0, 1500], [1500, 3000]]
    for out in outs:
        np.testing.assert_allclose(out["centroids"], ref.centroids, rtol=1e-4, atol=1e-5)
        assert out["inertia"] == pytest.approx(float(ref.inertia), rel=1e-5)
        assert out["n_iter"] == int(ref.n_iter)
    labels = np.concatenate([outs[0]["labels"], outs[1]["labels"]])
    np.testing.assert_array_equal(labels, np.asarray(ref.labels))
    for out in outs:  # KMeans.fit on the same global array: every row's label on each host
        assert out["estimator_inertia"] == pytest.approx(float(ref.inertia), rel=1e-5)
        assert out["estimator_labels"] == len(X)


@pytest.mark.slow
def test_two_processes_seed_together(multihost, dataset, tmp_path):
    X, path = dataset
    outs = multihost.run_local(str(path), 5, 2, str(tmp_path))  # k-means++ across processes
    assert outs[0]["centroids"] == outs[1]["centroids"]
    assert outs[0]["inertia"] == outs[1]["inertia"]
    best = jaxmeans.kmeans(X, 5, key=0, n_init=5)
    assert outs[0]["inertia"] == pytest.approx(float(best.inertia), rel=1e-3)


@pytest.mark.slow
def test_local_demo_prints_one_line_per_process_with_row_ranges():
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--local-demo"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert len(lines) == 2, run.stdout  # the processes' own logs stay in their files
    assert lines[0].startswith("process 0: rows 0 to 999, inertia ")
    assert lines[1].startswith("process 1: rows 1000 to 1999, inertia ")
