"""Independent programs on the host's cores.

XLA:CPU runs a program of a few small operations per step on one core, and executions
started from several host threads run at once. Work made of independent programs (the
gap statistic's data sets, the parts of an elbow sweep) is spread over one thread per
core (measured on 2 cores: the gap statistic's eleven sets took 1.2-1.3 s one after
another, 0.49-0.54 s from two threads; with sums carried between iterations, 0.62-0.68 s
and 0.31 s). Other platforms run the programs in turn.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from .._core.tuning import Tuning


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers(tasks: int, tuning: Tuning) -> int:
    """Threads for ``tasks`` independent programs on ``tuning``'s platform."""
    return max(1, min(tasks, cores())) if tuning.platform == "cpu" else 1


def run_all(fn: Callable, tasks: Sequence, n_workers: int) -> list:
    """``[fn(t) for t in tasks]``, from ``n_workers`` threads taking the tasks in order."""
    if n_workers <= 1:
        return [fn(t) for t in tasks]
    with ThreadPoolExecutor(n_workers, thread_name_prefix="jaxmeans") as pool:
        return list(pool.map(fn, tasks))
