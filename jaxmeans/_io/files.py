"""Writing the files people ask for, whole or not at all: shared by the CLI and the demo."""

from __future__ import annotations

import contextlib
import os
import tempfile


def check_writable(path: str, option: str) -> str:
    """The file ``path`` may be written by :func:`atomic_write`: its folder exists, it is not
    a folder and not a read-only file. Returns the real path (through symlinks).

    Raises:
      OSError: naming ``option`` and the reason, before anything is written.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{option} {path}: folder {folder} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"{option} {path} is a folder, not a file")
    if os.path.exists(target) and not os.stat(target).st_mode & 0o222:
        raise PermissionError(f"{option} {path} is read-only; not replacing it")
    return target


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "w", option: str = "output"):
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    A symlink stays a symlink (its target is replaced) and an existing file keeps its
    permissions; a read-only file is never replaced (:func:`check_writable`).
    """
    target = check_writable(path, option)
    folder = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(prefix=".jaxmeans-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        if os.path.exists(target):
            permissions = os.stat(target).st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            permissions = 0o666 & ~umask  # mkstemp makes it private; a normal file's mode
        os.chmod(tmp, permissions)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


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


def save_figure(fig, path: str, option: str = "output") -> None:
    """Save a matplotlib figure to ``path`` (format from the extension, PNG by default) and
    close it."""
    fmt = figure_format(path, option)
    with atomic_write(path, "wb", option) as fh:
        fig.savefig(fh, format=fmt, bbox_inches="tight", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
