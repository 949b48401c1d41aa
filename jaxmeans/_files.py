"""Writing the files people ask for, whole or not at all: shared by the CLI and the demo."""

from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "w"):
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    Raises:
      FileNotFoundError: the folder of ``path`` does not exist.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".jaxmeans-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def save_figure(fig, path: str) -> None:
    """Save a matplotlib figure to ``path`` (format from the extension, PNG by default) and
    close it."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, bbox_inches="tight", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
