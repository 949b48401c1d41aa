"""Progress of a long sweep, shown on the host as the jitted program reports fits stopping.

The program calls back (``jax.debug.callback``, from XLA's threads, in no fixed order) each
time a fit stops; :func:`fit_stopped` hands that to the :class:`ProgressLine` the caller
opened with :func:`showing`. On a terminal the line is rewritten in place; elsewhere (a
file, a pipe, a notebook's captured stream) each fit gets its own line. Output goes to
stderr, so that what a command prints on stdout is only its result.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import TextIO

from .._core import events

_LOCK = threading.Lock()
_CURRENT: list[ProgressLine] = []


class ProgressLine:
    """A count of finished fits out of ``total``, with the last one's outcome.

    Args:
      total: fits the program will run.
      label: what is running (the line's first word).
      stream: where to write (default: ``sys.stderr`` at the time of writing).
      in_place: rewrite one line (``\\r``); default: whether ``stream`` is a terminal.
    """

    def __init__(
        self, total: int, label: str = "elbow", stream: TextIO | None = None,
        in_place: bool | None = None,
    ):  # fmt: skip
        self.total, self.label, self.done = total, label, 0
        self._stream = stream
        self._in_place = in_place
        self._width = 0

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def in_place(self) -> bool:
        if self._in_place is None:
            isatty = getattr(self.stream, "isatty", None)
            self._in_place = bool(isatty and isatty())
        return self._in_place

    def fit_stopped(self, k: int, restart: int, n_iter: int, converged: bool) -> None:
        """Count one stopped fit and show it."""
        self.done += 1
        how = "converged" if converged else "stopped at max_iter"
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        text = (
            f"{self.label}: {count} fits done "
            f"(k={k} restart {restart}: {how} after {n_iter} iterations)"
        )
        if self.in_place:
            pad = " " * max(self._width - len(text), 0)
            self._width = len(text)
            self.stream.write("\r" + text + pad)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line (on a terminal), so what follows starts on a fresh one."""
        if self.in_place and self._width:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def showing(total: int, label: str = "elbow", stream: TextIO | None = None):
    """Show the fits of the program run inside the block on a :class:`ProgressLine`."""
    line = ProgressLine(total, label, stream)
    with _LOCK:
        _CURRENT.append(line)
    try:
        yield line
    finally:
        with _LOCK:
            _CURRENT.remove(line)
        line.close()


def fit_stopped(k: int, restart: int, n_iter: int, converged: bool) -> None:
    """One fit stopped (the program's host callback, through :mod:`jaxmeans._core.events`)."""
    with _LOCK:
        line = _CURRENT[-1] if _CURRENT else None
        if line is None:  # a program run outside :func:`showing` (inside a user's jit)
            line = ProgressLine(0, "fit", in_place=False)
        line.fit_stopped(k, restart, n_iter, converged)


events.listen(fit_stopped)
