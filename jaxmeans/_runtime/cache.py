"""Compiled programs kept in memory and on disk, so that a new process skips compiling.

The library owns this cache; JAX's global configuration (its own persistent compilation
cache included) is never touched. Each entry is one executable serialised with
``jax.experimental.serialize_executable``, in a file named by a hash of everything that
decides the program: the library's source, the jax and jaxlib versions, the platform and the
device kind (and, on CPUs, the processor, whose instruction set the code is compiled for),
``XLA_FLAGS``, the JAX settings that change a trace, the program, its static arguments, the
shapes and dtypes of its inputs and the compile options. A file that is corrupt, truncated,
from another version or unreadable is ignored and the program compiled again; writes go to
a temporary file that is then renamed, so concurrent processes never see half an entry; the
folder's size is bounded, least recently used entries removed first.

On by default in a per-user folder (``$XDG_CACHE_HOME/jaxmeans``, else
``~/.cache/jaxmeans``). ``JAXMEANS_CACHE_DIR`` moves it; set to an empty string it turns the
cache off, as :func:`set_cache_dir` with ``None`` does from Python.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import pickle
import platform
import re
import tempfile
import threading

import jax
import jaxlib
from jax.sharding import Mesh

ENV = "JAXMEANS_CACHE_DIR"
MAX_BYTES = 1 << 30
_MAGIC = b"jaxmeans-executable-1\n"
_UNSET = object()

_lock = threading.Lock()
_memory: dict[tuple, object] = {}
_folder: object = _UNSET  # pathlib.Path, None (off), or _UNSET (read the environment)
_fingerprint: str | None = None


def _default_folder() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "jaxmeans"


def cache_dir() -> str | None:
    """The folder where compiled programs are kept across processes, or None when the disk
    cache is off.

    Example:
      >>> import jaxmeans
      >>> folder = jaxmeans.cache_dir()  # e.g. '/home/me/.cache/jaxmeans'
      >>> folder is None or isinstance(folder, str)
      True
    """
    folder = _current()
    return None if folder is None else str(folder)


def set_cache_dir(path: str | os.PathLike | None) -> None:
    """Keep compiled programs in ``path`` from now on; ``None`` or ``""`` turns the disk
    cache off (programs are then compiled once per process, as plain ``jax.jit`` does).

    This overrides ``JAXMEANS_CACHE_DIR`` for the rest of the process. JAX's own settings are
    not changed.

    Args:
      path: a folder (created when first written to), or None.

    Example:
      >>> import jaxmeans
      >>> before = jaxmeans.cache_dir()
      >>> jaxmeans.set_cache_dir(None)
      >>> jaxmeans.cache_dir() is None
      True
      >>> jaxmeans.set_cache_dir(before)
    """
    global _folder
    if path is not None and not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str, an os.PathLike or None, got {path!r}")
    with _lock:
        _folder = pathlib.Path(path).expanduser() if path not in (None, "") else None


def _current() -> pathlib.Path | None:
    global _folder
    with _lock:
        if _folder is _UNSET:
            env = os.environ.get(ENV)
            if env is None:
                _folder = _default_folder()
            else:
                _folder = pathlib.Path(env).expanduser() if env else None
        return _folder


def _library_fingerprint() -> str:
    """A hash of the library's source files and of this machine's processor: a change to
    either makes every older entry unreachable."""
    global _fingerprint
    if _fingerprint is None:
        digest = hashlib.sha256()
        package = pathlib.Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
        digest.update(_processor().encode())
        _fingerprint = digest.hexdigest()
    return _fingerprint


def _processor() -> str:
    """The CPU model and its instruction-set flags (XLA:CPU compiles for the host's)."""
    try:
        with open("/proc/cpuinfo") as fh:
            lines = [ln for ln in fh if ln.startswith(("model name", "flags", "Features"))]
        return "".join(sorted(set(lines)))
    except OSError:
        return platform.processor() or platform.machine()


def _settings() -> tuple:
    """JAX settings that change what a trace produces."""
    config = jax.config
    names = ("jax_enable_x64", "jax_threefry_partitionable", "jax_default_prng_impl")
    return tuple((name, getattr(config, name, None)) for name in names)


def key(name: str, static: dict, args, options: dict | None, device) -> str:
    """The hash naming the executable of program ``name`` for these inputs."""
    avals = [repr(jax.typeof(a)) for a in jax.tree.leaves(args)]
    devices = _devices(device)
    parts = (
        _library_fingerprint(),
        jax.__version__,
        jaxlib.__version__,
        devices[0].platform,
        devices[0].device_kind,
        getattr(devices[0].client, "platform_version", ""),
        [d.id for d in devices] if isinstance(device, Mesh) else None,
        os.environ.get("XLA_FLAGS", ""),
        _settings(),
        name,
        sorted((k, repr(v)) for k, v in static.items()),
        repr(jax.tree.structure(args)),
        avals,
        sorted((options or {}).items()),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _devices(device) -> list:
    """The devices a program runs on: ``device``, or every device of a mesh."""
    return list(device.devices.flat) if isinstance(device, Mesh) else [device]


def get_compiled(name: str, jitted, args, static: dict, options, *, persist: bool, device):
    """The compiled executable of ``jitted`` for ``args`` (arrays or NumPy arrays, which the
    executable takes as they are) and ``static`` on ``device`` (a device, or for a
    data-parallel program the mesh its arrays are split over): from memory, from the
    disk cache, or compiled now (and then stored). Programs with host callbacks
    (``persist`` False) are kept in memory only, and so are programs over a mesh that
    spans several processes (each process would write the same entry)."""
    leaves, tree = jax.tree.flatten(args)
    memo = (
        name,
        tuple(sorted(static.items())),
        tree,
        tuple(jax.typeof(a) for a in leaves),
        device,
        tuple(sorted((options or {}).items())),
        _settings(),
        os.environ.get("XLA_FLAGS", ""),
    )
    compiled = _memory.get(memo)
    if compiled is not None:
        return compiled
    entry = key(name, static, args, options, device)
    spans_processes = isinstance(device, Mesh) and jax.process_count() > 1
    folder = _current() if persist and not spans_processes else None
    if folder is not None:
        compiled = _read(folder / entry, device)
    if compiled is None:
        # Compiled for the device the inputs are on (arrays split over a mesh already are).
        placed = args if isinstance(device, Mesh) else jax.device_put(args, device)
        compiled = jitted.lower(*placed, **static).compile(compiler_options=options)
        if folder is not None and loadable(compiled):
            _write(folder, entry, compiled)
    _memory[memo] = compiled
    return compiled


# Custom calls XLA itself provides (its TopK; on GPUs the "__cublas$gemm"-style calls of its
# own emitters): an executable holding only these runs in a process that has just started.
_XLA_CUSTOM_CALLS = {"TopK"}
_CUSTOM_CALL = re.compile(r'custom_call_target="([^"]+)"')


def loadable(compiled) -> bool:
    """Whether an executable may be stored for another process to load: it calls no kernel
    that a library registers at run time (jaxlib's LAPACK solvers behind ``eigh``, say).
    A fresh process that had not yet registered such a kernel crashed on loading one
    (segmentation fault); those programs are compiled once per process instead."""
    try:
        targets = set(_CUSTOM_CALL.findall(compiled.as_text()))
    except Exception:  # no text to read: do not store what cannot be checked
        return False
    return all(t in _XLA_CUSTOM_CALLS or t.startswith("__") for t in targets)


def _read(path: pathlib.Path, device):
    """The executable stored at ``path``, or None when it is missing or unusable."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        if not blob.startswith(_MAGIC):
            return None
        body = blob[len(_MAGIC) :]
        digest, body = body[:32], body[32:]
        if hashlib.sha256(body).digest() != digest:
            return None
        payload, in_tree, out_tree = pickle.loads(body)
        from jax.experimental import serialize_executable

        compiled = serialize_executable.deserialize_and_load(
            payload, in_tree, out_tree, execution_devices=_devices(device)
        )
    except Exception:  # a damaged or foreign entry: compile again
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return compiled


def _write(folder: pathlib.Path, entry: str, compiled) -> None:
    """Store ``compiled`` as ``folder/entry``; any failure (read-only folder, full disk,
    an executable that cannot be serialised) leaves the cache as it was."""
    try:
        from jax.experimental import serialize_executable

        body = pickle.dumps(serialize_executable.serialize(compiled))
    except Exception:
        return
    blob = _MAGIC + hashlib.sha256(body).digest() + body
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, folder / entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        _prune(folder, MAX_BYTES)
    except OSError:
        return


def _prune(folder: pathlib.Path, max_bytes: int) -> None:
    """Remove the least recently used entries until the folder holds at most three
    quarters of ``max_bytes``, once it holds more than ``max_bytes``."""
    entries = []
    for item in os.scandir(folder):
        with contextlib.suppress(OSError):
            if item.is_file() and not item.name.startswith(".tmp-"):
                info = item.stat()
                entries.append((info.st_mtime, info.st_size, item.path))
    total = sum(size for _, size, _ in entries)
    if total <= max_bytes:
        return
    for _, size, path in sorted(entries):
        with contextlib.suppress(OSError):
            os.remove(path)
            total -= size
        if total <= max_bytes * 3 // 4:
            return
