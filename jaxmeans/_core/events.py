"""What a running program tells the host as it goes: the core's host callbacks land here.

Pure Python, no JAX. A program reports through ``jax.debug.callback`` into
:func:`fit_stopped`; whoever shows progress (:mod:`jaxmeans._runtime.progress`) listens
with :func:`listen`. The core imports nothing above it, so the listener registers itself
here rather than the core calling up.
"""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[int, int, int, bool], None]] = []


def listen(listener: Callable[[int, int, int, bool], None]) -> None:
    """Call ``listener(k, restart, n_iter, converged)`` each time a fit stops."""
    _listeners.append(listener)


def fit_stopped(k: int, restart: int, n_iter: int, converged: bool) -> None:
    """One fit of a sweep stopped (called from the program's host callback)."""
    for listener in list(_listeners):
        listener(k, restart, n_iter, converged)
