"""The library's own cache of compiled programs: reused by the next process, robust to
damaged, foreign, read-only and concurrent folders, and off when asked."""

import json
import os
import subprocess
import sys

import jax
import pytest

import jaxmeans
from jaxmeans._runtime import cache

# Counts the compilations of a fresh process (JAX's public monitoring events).
COUNTING = """
import json, jax
compiles = []
def seen(name, seconds, **kwargs):
    if name == "/jax/core/compile/backend_compile_duration":
        compiles.append(seconds)
jax.monitoring.register_event_duration_secs_listener(seen)
"""

SCRIPT = (
    COUNTING
    + """
import numpy as np, jaxmeans
X = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
r = jaxmeans.kmeans(X, 4, key=1, n_init=2)
print(json.dumps({"compiles": len(compiles), "inertia": float(r.inertia),
                  "labels": np.asarray(r.labels).tolist(), "cache": jaxmeans.cache_dir()}))
"""
)


def _env(tmp_path, cache):
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    env.pop("XDG_CACHE_HOME", None)
    if cache is None:
        env.pop("JAXMEANS_CACHE_DIR", None)
    else:
        env["JAXMEANS_CACHE_DIR"] = str(cache)
    return env


def _fit(tmp_path, cache):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=_env(tmp_path, cache),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _entries(folder):
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.slow
def test_second_process_loads_instead_of_compiling(tmp_path):
    folder = tmp_path / "cache"
    first = _fit(tmp_path, folder)
    assert first["compiles"] >= 1 and first["cache"] == str(folder)
    assert len(_entries(folder)) >= 1
    second = _fit(tmp_path, folder)
    assert second["compiles"] == 0
    assert second["labels"] == first["labels"] and second["inertia"] == first["inertia"]


@pytest.mark.slow
def test_damaged_and_foreign_entries_are_compiled_again(tmp_path):
    folder = tmp_path / "cache"
    first = _fit(tmp_path, folder)
    entries = _entries(folder)
    entries[0].write_bytes(entries[0].read_bytes()[: len(entries[0].read_bytes()) // 2])
    for entry in entries[1:]:  # another library version's format
        entry.write_bytes(
            entry.read_bytes().replace(b"jaxmeans-executable-1", b"jaxmeans-executable-0", 1)
        )
    again = _fit(tmp_path, folder)
    assert again["compiles"] >= 1 and again["labels"] == first["labels"]
    assert _fit(tmp_path, folder)["compiles"] == 0  # rewritten whole


@pytest.mark.slow
def test_garbage_entry_is_ignored(tmp_path):
    folder = tmp_path / "cache"
    first = _fit(tmp_path, folder)
    for entry in _entries(folder):
        entry.write_bytes(b"jaxmeans-executable-1\n" + os.urandom(64))
    assert _fit(tmp_path, folder)["labels"] == first["labels"]


@pytest.mark.slow
def test_unwritable_folder_still_fits(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    first = _fit(tmp_path, blocker / "cache")  # cannot be created, even by root
    assert first["compiles"] >= 1
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert _fit(tmp_path, folder)["labels"] == first["labels"]
    finally:
        folder.chmod(0o755)


@pytest.mark.slow
def test_two_processes_filling_the_cache_at_once(tmp_path):
    folder = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            env=_env(tmp_path, folder),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1000:] for _, err in outs]
    a, b = (json.loads(out.strip().splitlines()[-1]) for out, _ in outs)
    assert a["labels"] == b["labels"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    assert _fit(tmp_path, folder)["compiles"] == 0


@pytest.mark.slow
def test_turning_the_cache_off_writes_nothing(tmp_path):
    off = _fit(tmp_path, "")
    assert off["cache"] is None
    assert not (tmp_path / "home").exists()
    default = _fit(tmp_path, None)  # the per-user folder
    assert default["cache"] == str(tmp_path / "home" / ".cache" / "jaxmeans")
    assert _entries(tmp_path / "home" / ".cache" / "jaxmeans")


def test_set_cache_dir_from_python(tmp_path, monkeypatch):
    before = jaxmeans.cache_dir()
    try:
        jaxmeans.set_cache_dir(tmp_path / "here")
        assert jaxmeans.cache_dir() == str(tmp_path / "here")
        jaxmeans.set_cache_dir("")
        assert jaxmeans.cache_dir() is None
        jaxmeans.set_cache_dir(None)
        assert jaxmeans.cache_dir() is None
        with pytest.raises(TypeError, match="path must be a str"):
            jaxmeans.set_cache_dir(3)
    finally:
        jaxmeans.set_cache_dir(before)


def test_the_key_changes_with_what_decides_the_program(monkeypatch):
    x = jax.numpy.ones((4, 2))
    device = jax.devices()[0]
    base = cache.key("p", {"a": 1}, (x,), None, device)
    assert base == cache.key("p", {"a": 1}, (x,), None, device)
    assert base != cache.key("q", {"a": 1}, (x,), None, device)
    assert base != cache.key("p", {"a": 2}, (x,), None, device)
    assert base != cache.key("p", {"a": 1}, (jax.numpy.ones((5, 2)),), None, device)
    assert base != cache.key("p", {"a": 1}, (x,), {"opt": 1}, device)
    monkeypatch.setattr(jax, "__version__", "0.0.0")
    assert base != cache.key("p", {"a": 1}, (x,), None, device)
    monkeypatch.setenv("XLA_FLAGS", "--xla_something")
    assert base != cache.key("p", {"a": 1}, (x,), None, device)


def test_the_folder_size_is_bounded_oldest_first(tmp_path):
    for i in range(10):
        path = tmp_path / f"entry{i}"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))
    cache._prune(tmp_path, 1000)  # 1000 bytes held: nothing to do
    assert len(_entries(tmp_path)) == 10
    cache._prune(tmp_path, 900)
    assert [p.name for p in _entries(tmp_path)] == [f"entry{i}" for i in range(4, 10)]


# Every kind of program the library runs, once each: single fits (dense, sparse, cosine,
# the bounded loop, restarts), sweeps (dense, sparse), the gap statistic's sets (uniform
# and principal-component boxes), seedings, mini-batch steps, evaluations (dense and
# sparse), scores; and with SHARDED, the data-parallel fit and sweep.
EVERY_PROGRAM = (
    COUNTING
    + """
import sys, warnings
import numpy as np, scipy.sparse as sp, jaxmeans
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = np.concatenate([c + rng.normal(size=(80, 3)) for c in 20 * np.eye(3)]).astype(np.float32)
S = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
W = rng.normal(size=(3000, 16)).astype(np.float32)
out = {
    "fit": jaxmeans.kmeans(X, 3, key=0).inertia,
    "fit_restarts": jaxmeans.kmeans(X, 3, key=0, n_init=3).inertia,
    "fit_cosine": jaxmeans.kmeans(X, 3, key=0, metric="cosine").inertia,
    "fit_sparse": jaxmeans.kmeans(S, 3, key=0).inertia,
    "fit_bounded": jaxmeans.kmeans(W, 80, key=0).inertia,
    "sweep": jaxmeans.elbow(X, range(1, 5), key=0, scores=True).silhouette,
    "sweep_sparse": jaxmeans.elbow(S, range(1, 5), key=0).inertia,
    "gap": jaxmeans.gap_statistic(X, range(1, 5), n_refs=3, key=0).gap,
    "gap_pca": jaxmeans.gap_statistic(X, range(1, 5), n_refs=3, key=0, reference="pca").gap,
    "seeds": jaxmeans.kmeans_plusplus(0, X, 3)[1],
    "assign": jaxmeans.assign(X, X[:3])[1],
    "assign_sparse": jaxmeans.assign(S, X[:3])[1],
    "pairwise": jaxmeans.pairwise_sq_dists(X, X[:3]),
    "pairwise_sparse": jaxmeans.pairwise_sq_dists(S, X[:3]),
    "scores": [getattr(jaxmeans.metrics, f)(X, np.arange(240) // 80) for f in
               ("silhouette_score", "calinski_harabasz_score", "davies_bouldin_score")],
    "minibatch": jaxmeans.MiniBatchKMeans(3, batch_size=64, random_state=0).fit(X).inertia_,
    "estimator": jaxmeans.KMeans(3, random_state=0).fit(X).predict(X),
}
if "--sharded" in sys.argv:
    from jax.sharding import NamedSharding, PartitionSpec as P
    mesh = jax.make_mesh((8,), ("data",))
    Xs = jax.device_put(X, NamedSharding(mesh, P("data", None)))
    out = {"fit": jaxmeans.kmeans(Xs, 3, key=0).inertia,
           "sweep": jaxmeans.elbow(Xs, range(1, 5), key=0).inertia}
values = {k: np.asarray(jax.device_get(v), np.float64).tolist() for k, v in out.items()}
print(json.dumps({"compiles": len(compiles), "values": values}))
"""
)


def _every_program(tmp_path, folder, sharded=False):
    env = _env(tmp_path, folder)
    if sharded:
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    argv = [sys.executable, "-c", EVERY_PROGRAM] + (["--sharded"] if sharded else [])
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]  # a program that crashed on load: -11
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("sharded", [False, True], ids=["one device", "rows over a mesh"])
def test_every_kind_of_program_loads_in_a_fresh_process(tmp_path, sharded):
    folder = tmp_path / "cache"
    first = _every_program(tmp_path, folder, sharded)
    second = _every_program(tmp_path, folder, sharded)
    assert first["compiles"] > 0
    # Nothing compiled: every program came from the disk (the pca gap's box, which needs
    # LAPACK, is computed on the host, so no stored program holds a LAPACK call).
    assert second["compiles"] == 0
    assert second["values"] == first["values"]  # (compared here: the output stays short)


def test_a_program_holding_a_lapack_call_is_not_stored(tmp_path, monkeypatch):
    # A fresh process that had not yet registered jaxlib's LAPACK kernels crashed when it
    # loaded such an executable; those are compiled once per process instead.
    before = jaxmeans.cache_dir()
    jaxmeans.set_cache_dir(tmp_path)
    try:
        eigh = jax.jit(lambda a: jax.numpy.linalg.eigh(a)[1])
        plain = jax.jit(lambda a: a * 2.0)
        A = jax.numpy.eye(3)
        device = jax.devices()[0]
        for name, jitted in (("eigh", eigh), ("plain", plain)):
            compiled = cache.get_compiled(
                f"test.{name}", jitted, (A,), {}, None, persist=True, device=device
            )
            assert cache.loadable(compiled) is (name == "plain")
        assert len(_entries(tmp_path)) == 1  # the plain program only
    finally:
        jaxmeans.set_cache_dir(before)
