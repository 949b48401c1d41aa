"""Compiled programs kept in memory and on disk, so that a new process skips compiling.

The library owns this cache; JAX's global configuration (its own persistent compilation
cache included) is never touched. Each entry is one executable serialised with
``jax.experimental.serialize_executable``, in a file named by a hash of everything that
decides the program: the library's source, the jax and jaxlib versions, the platform and the
device kind (and, on CPUs, the processor, whose instruction set the code is compiled for),
``XLA_FLAGS``, the JAX settings that change a trace, the program, its static arguments, the
shapes and dtypes of its inputs and the compile options.

What the cache trusts, and what it never does:

- Entries live in the library's own subfolder, ``programs``, of the cache folder; only
  files there that are named and headed as entries are ever removed, so a cache folder set
  to ``~/.cache`` or a data folder loses nothing of the user's.
- An executable is native code: whoever can write the folder can make this process run
  code. The ``programs`` folder is created readable by its owner only, and a ``programs``
  folder owned by another user, or writable by group or others, is not used (as ``ssh``
  refuses such keys): programs are then compiled in each process, with one warning.
- Each entry holds the full text of its key, checked before anything else is read: an entry
  written for another program is compiled again, never used. Its body is unpickled by an
  unpickler that builds only the classes an executable of this library is made of, so a
  crafted file cannot name a function to call.
- A file that is corrupt, truncated, from another version or unreadable is ignored and the
  program compiled again; writes go to a temporary file that is then renamed, so concurrent
  processes never see half an entry; temporary files a killed writer left are removed
  after an hour; the folder's size is bounded (least recently used entries removed first,
  temporary files counted).
- In memory, at most :data:`MEMORY_PROGRAMS` executables are kept, least recently used
  dropped first, so a long run of varied shapes does not grow without bound.

On by default in a per-user folder (``$XDG_CACHE_HOME/jaxmeans``, else
``~/.cache/jaxmeans``). ``JAXMEANS_CACHE_DIR`` moves it; set to an empty string it turns the
cache off, as :func:`set_cache_dir` with ``None`` does from Python.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import os
import pathlib
import pickle
import platform
import re
import stat
import struct
import tempfile
import threading
import time
import warnings

import jax
import jaxlib
from jax.sharding import Mesh

ENV = "JAXMEANS_CACHE_DIR"
MAX_BYTES = 1 << 30
MEMORY_PROGRAMS = 32
PROGRAMS = "programs"  # the library's own subfolder of the cache folder
_MAGIC = b"jaxmeans-program-2\n"
_SUFFIX = ".program"
_ENTRY = re.compile(r"[0-9a-f]{64}\.program")
_TMP_PREFIX = ".tmp-"
_TMP_MAX_AGE = 3600.0  # seconds: older temporary files were left by a writer that died
_LEGACY = (re.compile(r"[0-9a-f]{64}"), b"jaxmeans-executable-1\n")  # before "programs"
_UNSET = object()

_lock = threading.Lock()
_memory: collections.OrderedDict[tuple, object] = collections.OrderedDict()
_folder: object = _UNSET  # pathlib.Path, None (off), or _UNSET (read the environment)
_fingerprint: str | None = None
_refused: set[str] = set()  # folders already warned about
_building: dict[tuple, threading.Lock] = {}  # programs a thread is loading or compiling


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


def key_text(name: str, static: dict, args, options: dict | None, device) -> str:
    """Everything that decides the executable of program ``name`` for these inputs, as
    text: an entry records it, and is used only for the same text."""
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
    return repr(parts)


def key(name: str, static: dict, args, options: dict | None, device) -> str:
    """The hash naming the executable of program ``name`` for these inputs."""
    return _entry_name(key_text(name, static, args, options, device))


def _entry_name(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest() + _SUFFIX


def _devices(device) -> list:
    """The devices a program runs on: ``device``, or every device of a mesh."""
    return list(device.devices.flat) if isinstance(device, Mesh) else [device]


def get_compiled(name: str, make_jitted, args, static: dict, options, *, persist: bool, device):
    """The compiled executable of ``make_jitted()`` (a jitted function, made only to
    compile) for ``args`` (arrays or NumPy arrays, which the executable takes as they are)
    and ``static`` on ``device`` (a device, or for a data-parallel program the mesh its
    arrays are split over): from memory, from the disk cache, or compiled now (and then
    stored). Programs with host callbacks (``persist`` False) are kept in memory only, and
    so are programs over a mesh that spans several processes (each process would write
    the same entry)."""
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
    with _lock:
        compiled = _memory.get(memo)
        if compiled is not None:
            _memory.move_to_end(memo)
            return compiled
        building = _building.setdefault(memo, threading.Lock())
    # One thread builds a program; others that want it (a sweep's parts, the gap's sets)
    # wait for it rather than load or compile it again.
    with building:
        with _lock:
            compiled = _memory.get(memo)
        if compiled is None:
            compiled = _build(name, make_jitted, args, static, options, persist, device)
            with _lock:
                _memory[memo] = compiled
                while len(_memory) > MEMORY_PROGRAMS:
                    _memory.popitem(last=False)
    with _lock:
        _building.pop(memo, None)
    return compiled


def _build(name: str, make_jitted, args, static: dict, options, persist: bool, device):
    """The executable from the disk cache, or compiled now (and then stored)."""
    compiled = None
    spans_processes = isinstance(device, Mesh) and jax.process_count() > 1
    folder = _programs_folder() if persist and not spans_processes else None
    if folder is not None:
        text = key_text(name, static, args, options, device)
        compiled = _read(folder / _entry_name(text), text, device)
    if compiled is None:
        # Compiled for the device the inputs are on (arrays split over a mesh already are).
        placed = args if isinstance(device, Mesh) else jax.device_put(args, device)
        compiled = make_jitted().lower(*placed, **static).compile(compiler_options=options)
        if folder is not None and loadable(compiled):
            _write(folder, text, compiled)
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


def _programs_folder() -> pathlib.Path | None:
    """The folder entries live in, or None when the cache is off or the folder is not
    safe to load code from (:func:`_untrusted`)."""
    folder = _current()
    if folder is None:
        return None
    programs = folder / PROGRAMS
    problem = _untrusted(programs)
    if problem is None:
        return programs
    with _lock:
        first = str(programs) not in _refused
        _refused.add(str(programs))
    if first:
        warnings.warn(
            f"jaxmeans: not using the compiled-program cache in {programs}: {problem}, so "
            "a program stored there could have been written by someone else. Programs are "
            f"compiled in each process instead; make the folder yours with mode 700 (chmod "
            f"700 {programs}), or set {ENV} to another folder.",
            RuntimeWarning,
            stacklevel=6,
        )
    return None


def _untrusted(folder: pathlib.Path) -> str | None:
    """Why ``folder`` must not be loaded from (owned by another user, writable by group or
    others, not a folder), or None. A folder that does not exist yet is created private;
    systems without user ids (Windows) are not checked."""
    if not hasattr(os, "getuid"):
        return None
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if info.st_uid != os.getuid():
        return f"it is owned by user id {info.st_uid}, not this user ({os.getuid()})"
    if info.st_mode & 0o022:
        return f"it is writable by {'group' if info.st_mode & 0o020 else 'others'}"
    return None


# What an executable's pickle is built from (jax 0.8 to 0.10 name some differently): only
# these are found, so a file cannot name any other function for the unpickler to call.
_ALLOWED = {
    "builtins": {"slice", "frozenset", "set", "complex", "range"},
    "numpy": {"dtype", "ndarray"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "jax": {"P"},
    "jax._src.core": {"ShapedArray", "ManualAxisType", "MemorySpace"},
    "jax._src.memory": {"Space"},
    "jax._src.interpreters.pxla": {"AllArgsInfo", "UnloadedMeshExecutable"},
    "jax._src.layout": {"Layout", "Format", "DeviceLocalLayout"},
    "jax._src.linear_util": {"DebugInfo"},
    "jax._src.mesh": {"AbstractDevice", "AbstractMesh", "AxisType", "Mesh", "_unpicke_mesh"},
    "jax._src.named_sharding": {"_unpickle_named_sharding", "NamedSharding"},
    "jax._src.partition_spec": {"unpickle_pspec", "PartitionSpec"},
    "jax._src.sharding_impls": {"_unpickle_single_device_sharding", "SingleDeviceSharding"},
    "jax._src.stages": {"ArgInfo"},
    "jax._src.tree_util": {"default_registry", "tracing_registry"},
    "jaxlib._jax": {"DeviceList"},
    "jaxlib._jax.pytree": {"PyTreeDef"},
    "jaxlib.xla_extension": {"DeviceList"},
    "jaxlib.xla_extension.pytree": {"PyTreeDef"},
}
_PRNG_MODULES = ("jax._src.prng", "jax._src.random.prng", "jax._src.random.threefry2x32")
_PRNG_NAME = re.compile(r"(KeyTy|PRNGImpl|_?(threefry|rbg|unsafe_rbg)_\w+)")


def _allowed(module: str, name: str) -> bool:
    if name in _ALLOWED.get(module, ()):
        return True
    if module in _PRNG_MODULES:
        return _PRNG_NAME.fullmatch(name) is not None
    if module.startswith("jaxmeans._core."):  # the library's own result and input types
        import importlib

        value = getattr(importlib.import_module(module), name, None)
        return isinstance(value, type) and issubclass(value, (tuple, *_dataclass_types()))
    return False


def _dataclass_types() -> tuple:
    from .._core.dense import Data
    from .._core.sparse import SparseRows

    return (Data, SparseRows)


class _Refused(pickle.UnpicklingError):
    pass


class _Unpickler(pickle.Unpickler):
    """Finds only what :func:`_allowed` allows."""

    def find_class(self, module: str, name: str):
        if not _allowed(module, name):
            raise _Refused(f"{module}.{name} is not part of an executable")
        return super().find_class(module, name)


def _unpickle(data: bytes):
    """The tree pair of an entry, unpickled with :data:`_ALLOWED` only."""
    return _Unpickler(io.BytesIO(data)).load()


def _load_executable(payload: bytes, in_tree, out_tree, devices):
    """``serialize_executable.deserialize_and_load`` with :data:`_ALLOWED` only."""
    from jax.experimental import serialize_executable as se

    class Unpickler(se._JaxPjrtUnpickler):
        def find_class(self, module, name):
            if not _allowed(module, name):
                raise _Refused(f"{module}.{name} is not part of an executable")
            return super().find_class(module, name)

    backend = devices[0].client
    unloaded, args_info_flat, no_kwargs = Unpickler(io.BytesIO(payload), backend, devices).load()
    args_info = in_tree.unflatten(args_info_flat)
    return jax.stages.Compiled(unloaded.load(), [], args_info, out_tree, no_kwargs=no_kwargs)


def _read(path: pathlib.Path, text: str, device):
    """The executable stored at ``path`` for the key ``text``, or None when it is missing,
    unusable or written for another key."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        if not blob.startswith(_MAGIC):
            return None
        at = len(_MAGIC)
        (length,) = struct.unpack_from("<Q", blob, at)
        at += 8
        if blob[at : at + length] != text.encode():
            return None  # written for another program: never used
        at += length
        digest, body = blob[at : at + 32], blob[at + 32 :]
        if hashlib.sha256(body).digest() != digest:
            return None
        (trees_length,) = struct.unpack_from("<Q", body, 0)
        in_tree, out_tree = _unpickle(body[8 : 8 + trees_length])
        compiled = _load_executable(body[8 + trees_length :], in_tree, out_tree, _devices(device))
    except Exception:  # a damaged, foreign or refused entry: compile again
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return compiled


def _write(folder: pathlib.Path, text: str, compiled) -> None:
    """Store ``compiled`` for the key ``text`` in ``folder``; any failure (read-only
    folder, full disk, an executable that cannot be serialised) leaves the cache as it
    was."""
    try:
        from jax.experimental import serialize_executable

        payload, in_tree, out_tree = serialize_executable.serialize(compiled)
        trees = pickle.dumps((in_tree, out_tree))
    except Exception:
        return
    body = struct.pack("<Q", len(trees)) + trees + payload
    encoded = text.encode()
    blob = _MAGIC + struct.pack("<Q", len(encoded)) + encoded
    blob += hashlib.sha256(body).digest() + body
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_SUFFIX, dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, folder / _entry_name(text))
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        _prune(folder, MAX_BYTES)
    except OSError:
        return


def _is_entry(path: str) -> bool:
    """Whether the file at ``path`` is one of the library's entries (its header says so)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_MAGIC)) == _MAGIC
    except OSError:
        return False


def _prune(folder: pathlib.Path, max_bytes: int) -> None:
    """Remove temporary files older than an hour, and once the entries and temporary files
    hold more than ``max_bytes``, the least recently used entries until they hold three
    quarters of it. Only the library's own files are touched: entries (named and headed
    as such) and its temporary files; in the cache folder above, entries of the format
    before the ``programs`` subfolder."""
    now = time.time()
    entries, total = [], 0
    for item in os.scandir(folder):
        with contextlib.suppress(OSError):
            if not item.is_file(follow_symlinks=False):
                continue
            info = item.stat(follow_symlinks=False)
            if item.name.startswith(_TMP_PREFIX) and item.name.endswith(_SUFFIX):
                if now - info.st_mtime > _TMP_MAX_AGE:
                    os.remove(item.path)
                else:
                    total += info.st_size
            elif _ENTRY.fullmatch(item.name) and _is_entry(item.path):
                entries.append((info.st_mtime, info.st_size, item.path))
                total += info.st_size
    _remove_legacy(folder.parent)
    if total <= max_bytes:
        return
    for _, size, path in sorted(entries):
        with contextlib.suppress(OSError):
            os.remove(path)
            total -= size
        if total <= max_bytes * 3 // 4:
            return


def _remove_legacy(folder: pathlib.Path) -> None:
    """Entries an earlier version kept at the top of the cache folder (named by a hash and
    headed as its entries): nothing else there is touched."""
    pattern, magic = _LEGACY
    with contextlib.suppress(OSError):
        for item in os.scandir(folder):
            if pattern.fullmatch(item.name) and item.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError), open(item.path, "rb") as fh:
                    if fh.read(len(magic)) == magic:
                        os.remove(item.path)
