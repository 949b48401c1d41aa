"""Writing the files people ask for, whole or not at all: shared by the CLI and the demo.

:class:`Outputs` checks every output before any work, writes each into a temporary file in
its own folder and renames them over their targets only once every one is written, so a
failure (or Ctrl-C) leaves every existing file as it was. Named pipes and devices
(``/dev/stdout``, a FIFO) are streams: written to, never replaced.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import sys
import tempfile
import threading
from typing import NamedTuple


class Target(NamedTuple):
    """A checked output.

    Attributes:
      option: the option that named it (``--out``), for messages.
      path: the path as given.
      real: the path through symlinks: the file a rename replaces.
      stream: ``""`` for a file; ``"stdout"`` or ``"stderr"`` for this process's own
        streams; ``"device"`` for a FIFO, a character device or a socket, opened and written.
    """

    option: str
    path: str
    real: str
    stream: str


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _same(a: os.stat_result | None, b: os.stat_result | None) -> bool:
    return a is not None and b is not None and os.path.samestat(a, b)


def check_output(path: str, option: str, inputs: tuple[str, ...] = ()) -> Target:
    """Check that ``path`` may be written before any work: not one of ``inputs`` (through
    symlinks and hard links), not a folder, not a read-only file; its folder exists, is a
    folder and is writable. A FIFO, device or socket (``/dev/stdout``) is a stream.

    Raises:
      OSError, ValueError: naming ``option``, ``path`` and the reason.
    """
    path = os.fspath(path)
    real = os.path.realpath(path)
    st = _stat(path)
    for given in inputs:
        if real == os.path.realpath(given) or _same(st, _stat(given)):
            raise ValueError(
                f"{option} {path} is the input file {given}: writing it would replace your "
                "data; choose another name"
            )
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{option} {path} is a folder, not a file")
    for fd, name in ((1, "stdout"), (2, "stderr")):
        with contextlib.suppress(OSError):
            if _same(st, os.fstat(fd)):
                return Target(option, path, real, name)
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not os.access(path, os.W_OK):
            raise PermissionError(f"{option} {path} is not writable")
        return Target(option, path, real, "device")
    folder = os.path.dirname(real)
    if not os.path.exists(folder):
        raise FileNotFoundError(f"{option} {path}: folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{option} {path}: folder {folder} is not writable")
    if st is not None and not st.st_mode & 0o222:
        raise PermissionError(f"{option} {path} is read-only; not replacing it")
    return Target(option, path, real, "")


@contextlib.contextmanager
def _interrupts_held():
    """Ctrl-C waits until the block is done (and then acts): the renames that publish the
    outputs happen all or none. Only the main thread may set signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


class Outputs:
    """Output files written together, all or none.

    ``add`` checks each output (:func:`check_output`) before the work; ``open`` writes one
    into a temporary file beside its target (a stream's into memory); ``commit`` writes the
    streams, then renames every temporary file over its target. Leaving the ``with`` block
    without a commit (an error, Ctrl-C) removes the temporary files: existing files stay as
    they were. A symlink stays a symlink (its target is replaced) and a replaced file keeps
    its permissions. What cannot be taken back: a stream already written, and a rename that
    fails after others succeeded (the folders were checked, so only a change under the
    command, such as a full or removed disk, can cause that).

    Example:
      >>> import os
      >>> import tempfile
      >>> from jaxmeans._io.files import Outputs
      >>> folder = tempfile.TemporaryDirectory()
      >>> path = os.path.join(folder.name, "a.txt")
      >>> with Outputs() as outputs:
      ...     _ = outputs.add(path, "--out")
      ...     with outputs.open("--out") as fh:
      ...         _ = fh.write("hello")
      ...     outputs.commit()
      >>> open(path).read(), os.listdir(folder.name)
      ('hello', ['a.txt'])
      >>> folder.cleanup()
    """

    def __init__(self, inputs: tuple[str, ...] = ()):
        self._inputs = tuple(os.fspath(p) for p in inputs)
        self._targets: dict[str, Target] = {}
        self._staged: dict[str, str | io.IOBase] = {}

    def add(self, path: str, option: str) -> Target:
        """Check ``path`` (named by ``option``) and plan to write it."""
        target = check_output(path, option, self._inputs)
        st = _stat(target.path)
        for other in self._targets.values():
            if target.real == other.real or _same(st, _stat(other.path)):
                raise ValueError(f"{option} and {other.option} name the same file {path}")
        self._targets[option] = target
        return target

    def __contains__(self, option: str) -> bool:
        return option in self._targets

    @contextlib.contextmanager
    def open(self, option: str, binary: bool = False):
        """A file object for the output ``option`` (text: UTF-8, newlines as written)."""
        target = self._targets[option]
        if target.stream:
            buffer = io.BytesIO() if binary else io.StringIO(newline="")
            yield buffer
            self._staged[option] = buffer
            return
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=".jaxmeans-", suffix=os.path.splitext(target.path)[1],
                dir=os.path.dirname(target.real),
            )  # fmt: skip
        except OSError as err:
            raise OSError(f"{option} {target.path}: cannot write: {_reason(err)}") from None
        self._staged[option] = tmp
        try:
            with (
                os.fdopen(fd, "wb") if binary else open(fd, "w", encoding="utf-8", newline="") as fh
            ):
                yield fh
        except OSError as err:
            raise OSError(f"{option} {target.path}: cannot write: {_reason(err)}") from None

    def commit(self) -> None:
        """Write the streams, then rename every temporary file over its target."""
        for option, staged in list(self._staged.items()):
            if isinstance(staged, io.IOBase):
                _write_stream(self._targets[option], staged.getvalue())
                del self._staged[option]
        with _interrupts_held():
            for option, tmp in list(self._staged.items()):
                target = self._targets[option]
                try:
                    os.chmod(tmp, _permissions(target.real))
                    os.replace(tmp, target.real)
                except OSError as err:
                    raise OSError(f"{option} {target.path}: cannot write: {_reason(err)}") from None
                del self._staged[option]

    def discard(self) -> None:
        """Remove the temporary files not yet renamed."""
        for staged in self._staged.values():
            if isinstance(staged, str):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(staged)
        self._staged.clear()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def _permissions(real: str) -> int:
    """The mode a replaced file keeps, or a new file's (mkstemp makes it private)."""
    if os.path.exists(real):
        return os.stat(real).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_stream(target: Target, data: str | bytes) -> None:
    try:
        if target.stream in ("stdout", "stderr"):
            stream = getattr(sys, target.stream)
            stream.flush()
            if isinstance(data, bytes):
                stream.buffer.write(data)
                stream.buffer.flush()
            else:
                stream.write(data)
                stream.flush()
            return
        fd = os.open(target.path, os.O_WRONLY)  # never created, never truncated
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    except OSError as err:
        raise OSError(f"{target.option} {target.path}: cannot write: {_reason(err)}") from None


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "w", option: str = "output"):
    """Open ``path`` to be written whole or not at all (an :class:`Outputs` of one file)."""
    with Outputs() as outputs:
        outputs.add(path, option)
        with outputs.open(option, binary="b" in mode) as fh:
            yield fh
        outputs.commit()


def figure_format(path: str, option: str = "output") -> str:
    """The image format of ``path``'s extension (PNG when it has none).

    Raises:
      ValueError: matplotlib cannot write that format.
    """
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    from matplotlib.figure import Figure

    supported = Figure().canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"{option} {path}: cannot write .{fmt} pictures; use one of "
            + ", ".join(sorted(supported))
        )
    return fmt


def write_figure(fig, fh, fmt: str) -> None:
    """Draw a matplotlib figure into the binary file ``fh`` and close the figure."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(fh, format=fmt, bbox_inches="tight", dpi=100)
    finally:
        plt.close(fig)


def save_figure(fig, path: str, option: str = "output") -> None:
    """Save a matplotlib figure to ``path`` (format from the extension, PNG by default) and
    close it."""
    fmt = figure_format(path, option)
    with atomic_write(path, "wb", option) as fh:
        write_figure(fig, fh, fmt)
