"""The library's own cache of compiled programs: reused by the next process, robust to
damaged, foreign, read-only and concurrent folders, and off when asked."""

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import warnings

import jax
import numpy as np
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
    """The entries in a cache folder (they live in its ``programs`` subfolder)."""
    programs = folder / cache.PROGRAMS
    return sorted(p for p in programs.iterdir() if not p.name.startswith("."))


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
            entry.read_bytes().replace(b"jaxmeans-program-2", b"jaxmeans-program-0", 1)
        )
    again = _fit(tmp_path, folder)
    assert again["compiles"] >= 1 and again["labels"] == first["labels"]
    assert _fit(tmp_path, folder)["compiles"] == 0  # rewritten whole


@pytest.mark.slow
def test_garbage_entry_is_ignored(tmp_path):
    folder = tmp_path / "cache"
    first = _fit(tmp_path, folder)
    for entry in _entries(folder):
        entry.write_bytes(cache._MAGIC + os.urandom(64))
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
    assert not [p for p in (folder / cache.PROGRAMS).iterdir() if p.name.startswith(".tmp-")]
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


def _fake_entry(folder, i, size=100, mtime=None):
    path = folder / f"{i:064x}{cache._SUFFIX}"
    path.write_bytes(cache._MAGIC + b"x" * (size - len(cache._MAGIC)))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_the_folder_size_is_bounded_oldest_first(tmp_path):
    for i in range(10):
        _fake_entry(tmp_path, i, mtime=time.time() - 1000 + i)
    cache._prune(tmp_path, 1000)  # 1000 bytes held: nothing to do
    assert len(list(tmp_path.iterdir())) == 10
    cache._prune(tmp_path, 900)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{i:064x}{cache._SUFFIX}" for i in range(4, 10)
    ]


def test_pruning_never_touches_what_is_not_an_entry(tmp_path):
    # The cache folder pointed at a folder of the user's (~/.cache, a data folder): none of
    # its files is touched, however large, and neither is anything in "programs" that is
    # not named and headed as an entry.
    mine = {"notes.txt": b"my notes", "data.bin": b"d" * 5000, "a" * 64: b"not ours either"}
    for name, content in mine.items():
        (tmp_path / name).write_bytes(content)
    programs = tmp_path / cache.PROGRAMS
    programs.mkdir(mode=0o700)
    odd = {"f" * 64 + cache._SUFFIX: b"no header", "readme": cache._MAGIC + b"no entry name"}
    for name, content in odd.items():
        (programs / name).write_bytes(content)
    ours = [_fake_entry(programs, i, size=400, mtime=1000 + i) for i in range(3)]
    cache._prune(programs, 100)  # far over: every entry of ours goes
    assert not any(p.exists() for p in ours)
    for name, content in mine.items():
        assert (tmp_path / name).read_bytes() == content
    for name, content in odd.items():
        assert (programs / name).read_bytes() == content


def test_stale_temporary_files_are_removed_and_counted(tmp_path):
    stale = tmp_path / f".tmp-dead{cache._SUFFIX}"
    fresh = tmp_path / f".tmp-writing{cache._SUFFIX}"
    for path in (stale, fresh):
        path.write_bytes(b"t" * 600)
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    entry = _fake_entry(tmp_path, 1, size=500)
    cache._prune(tmp_path, 1000)  # the entry and the fresh file: 1,100 bytes
    assert not stale.exists() and fresh.exists()
    assert not entry.exists()  # the fresh temporary file counted towards the bound


def test_entries_of_the_format_before_the_subfolder_are_removed_nothing_else(tmp_path):
    legacy = tmp_path / ("b" * 64)
    legacy.write_bytes(b"jaxmeans-executable-1\n" + b"x" * 10)
    lookalike = tmp_path / ("c" * 64)
    lookalike.write_bytes(b"a file of the user's with a hash for a name")
    programs = tmp_path / cache.PROGRAMS
    programs.mkdir(mode=0o700)
    cache._prune(programs, 1 << 20)
    assert not legacy.exists() and lookalike.exists()


@pytest.fixture
def cache_in(tmp_path):
    """The disk cache in ``tmp_path`` and an empty memory table, for this test only."""
    before = jaxmeans.cache_dir()
    saved = dict(cache._memory)
    cache._memory.clear()
    jaxmeans.set_cache_dir(tmp_path)
    yield tmp_path
    jaxmeans.set_cache_dir(before)
    cache._memory.clear()
    cache._memory.update(saved)


@contextlib.contextmanager
def reads():
    """Whether each disk read inside the block gave an executable."""
    loaded, read = [], cache._read

    def spy(*args):
        compiled = read(*args)
        loaded.append(compiled is not None)
        return compiled

    cache._read = spy
    try:
        yield loaded
    finally:
        cache._read = read


def _compile_of(name="test.double", scale=2.0):
    jitted = jax.jit(lambda a: a * scale)
    A = jax.numpy.arange(3.0)
    device = jax.devices()[0]
    compiled = cache.get_compiled(name, lambda: jitted, (A,), {}, None, persist=True, device=device)
    return compiled, A, device, jitted


def test_a_crafted_entry_runs_no_code(cache_in, tmp_path):
    import pickle
    import struct

    _, A, device, jitted = _compile_of()
    [entry] = _entries(cache_in)
    text = cache.key_text("test.double", {}, (A,), None, device)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').close()",))

    evil = pickle.dumps(Evil())
    for trees, payload in ((evil, b""), (pickle.dumps((None, None)), evil)):
        body = struct.pack("<Q", len(trees)) + trees + payload
        encoded = text.encode()
        blob = cache._MAGIC + struct.pack("<Q", len(encoded)) + encoded
        entry.write_bytes(blob + hashlib.sha256(body).digest() + body)
        cache._memory.clear()
        compiled = cache.get_compiled(
            "test.double", lambda: jitted, (A,), {}, None, persist=True, device=device
        )
        assert not marker.exists()  # refused before anything was called
        assert compiled(A).tolist() == [0.0, 2.0, 4.0]  # compiled again


def test_an_entry_written_for_another_program_is_compiled_again(cache_in):
    X = np.random.default_rng(0).normal(size=(200, 3)).astype(np.float32)
    euclid = jaxmeans.kmeans(X, 3, key=0)
    cosine = jaxmeans.kmeans(X, 3, key=0, metric="cosine")
    entries = _entries(cache_in)
    assert len(entries) == 2
    a, b = (p.read_bytes() for p in entries)
    entries[0].write_bytes(b)  # each entry under the other's name
    entries[1].write_bytes(a)
    cache._memory.clear()
    with reads() as loaded:
        again_euclid = jaxmeans.kmeans(X, 3, key=0)
        again_cosine = jaxmeans.kmeans(X, 3, key=0, metric="cosine")
    assert loaded == [False, False]  # neither mixed-up entry was used
    assert float(again_euclid.inertia) == float(euclid.inertia)
    assert float(again_cosine.inertia) == float(cosine.inertia)
    np.testing.assert_array_equal(again_cosine.labels, cosine.labels)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no user ids on this system")
def test_a_folder_others_can_write_or_another_user_owns_is_not_used(cache_in, monkeypatch):
    _compile_of()  # one entry written
    programs, other_user = cache_in / cache.PROGRAMS, os.getuid() + 1
    assert programs.stat().st_mode & 0o777 == 0o700
    for problem in ("group", "owner"):
        cache._memory.clear()
        cache._refused.clear()
        if problem == "group":
            programs.chmod(0o770)
        else:
            programs.chmod(0o700)
            monkeypatch.setattr(os, "getuid", lambda: other_user)
        with reads() as loaded, pytest.warns(RuntimeWarning, match="not using"):
            _compile_of()
        assert loaded == []  # not even looked at: compiled
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # one warning per process and folder
            cache._memory.clear()
            _compile_of()
    monkeypatch.undo()
    programs.chmod(0o700)
    cache._memory.clear()
    with reads() as loaded:
        _compile_of()
    assert loaded == [True]  # the folder is the user's again: loaded


def test_the_memory_table_keeps_the_most_recently_used(cache_in, monkeypatch):
    monkeypatch.setattr(cache, "MEMORY_PROGRAMS", 2)
    first, *_ = _compile_of("test.a", 2.0)
    _compile_of("test.b", 3.0)
    assert _compile_of("test.a", 2.0)[0] is first  # used again: now the most recent
    _compile_of("test.c", 4.0)  # drops test.b, the least recently used
    assert len(cache._memory) == 2
    assert sorted(m[0] for m in cache._memory) == ["test.a", "test.c"]


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
                f"test.{name}", lambda j=jitted: j, (A,), {}, None, persist=True, device=device
            )
            assert cache.loadable(compiled) is (name == "plain")
        assert len(_entries(tmp_path)) == 1  # the plain program only
    finally:
        jaxmeans.set_cache_dir(before)


def test_threads_wanting_one_program_build_it_once(cache_in):
    # A sweep's parts and the gap's sets ask for the same program from several threads;
    # the first builds it and the others wait (each had compiled it: the gap's first call
    # on iris took 3.2 s instead of 2.2).
    import threading

    made = []

    def make():
        made.append(1)
        time.sleep(0.2)  # the others arrive while this one compiles
        return jax.jit(lambda a: a + 1.0)

    A, device, got = jax.numpy.arange(3.0), jax.devices()[0], []
    start = threading.Barrier(4)

    def want():
        start.wait()
        got.append(
            cache.get_compiled("test.plus", make, (A,), {}, None, persist=True, device=device)
        )

    threads = [threading.Thread(target=want) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(got) == 4
    assert all(compiled is got[0] for compiled in got)
