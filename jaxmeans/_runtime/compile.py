"""How the core's programs are compiled: one :class:`Program` per core function, its
executables kept by :mod:`jaxmeans._runtime.cache`, its compile options chosen by the tuning.

XLA:CPU's default optimisation spends 1.2-2.5 s compiling a fit. With LLVM at optimisation
level 1 and XLA's older fusion emitter (:data:`FAST_COMPILE`) the same program compiles in
0.7-1.0 s and, for small problems with few clusters, runs as fast; with more clusters or
more work it runs 2-5x slower (benchmarks/NOTES.md, "Compile options"). The tuning says
which problems take which. (LLVM's optimisation off compiled iris-sized programs in 0.3 s
but ran them 3-10x slower: an elbow on iris 64 ms against 5.5; with the disk cache a
program is compiled once per machine and run many times, so no program takes it now;
"Small and many".)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
from jax.sharding import Mesh

from .._core.tuning import Tuning, tuning_for
from . import cache

FAST_COMPILE = {"xla_backend_optimization_level": 1, "xla_cpu_use_fusion_emitters": False}


class Program:
    """A core function, jitted with its static arguments (``tuning`` always among them).

    Called outside any trace, it runs an executable for the caller's shapes and static
    arguments from :mod:`jaxmeans._runtime.cache` (memory, then disk, then a compilation); inside
    the caller's own ``jit``/``vmap`` (``traced``) it is the jitted function, inlined into
    the caller's program. ``callbacks`` names static flags that put host callbacks into the
    program (progress printing): such executables are kept in memory only.
    """

    def __init__(self, fun: Callable, static_argnames: tuple[str, ...], callbacks=()):
        if "tuning" not in static_argnames:
            raise ValueError(f"{fun.__name__}: the tuning must be a static argument")
        self.name = f"{fun.__module__}.{fun.__qualname__}"
        self.fun, self.static_argnames = fun, static_argnames
        self.jitted = jax.jit(fun, static_argnames=static_argnames)
        self.callbacks = tuple(callbacks)

    def fresh(self):
        """``fun`` jitted anew, for one compilation: JAX keeps what it traces, lowers and
        compiles for as long as the jitted function lives, so compiling through
        ``self.jitted`` would keep every executable the process ever built, whatever
        :mod:`jaxmeans._runtime.cache` drops (2,000 fits of varied shapes: 1 GB
        resident). A wrapper that lives for one compilation takes that with it."""
        fun = self.fun

        @functools.wraps(fun)
        def once(*args, **kwargs):
            return fun(*args, **kwargs)

        return jax.jit(once, static_argnames=self.static_argnames)

    def __call__(self, *args, tuning: Tuning, options: dict | None, device, **static):
        """Run on ``args`` (placed on ``device``, or NumPy arrays for the default device),
        compiled with ``options`` (:func:`options_for`); ``device`` None: inside the
        caller's trace."""
        static = dict(static, tuning=tuning)
        if device is None:
            return self.jitted(*args, **static)
        persist = not any(static.get(name) for name in self.callbacks)
        compiled = cache.get_compiled(
            self.name, self.fresh, args, static, options, persist=persist, device=device
        )
        return compiled(*args)


def options_for(tuning: Tuning, work: int, k: int) -> dict | None:
    """Compile options for a program of ``work = n * d * k`` summed over side-by-side fits,
    with ``k`` centroid rows. (Programs compiled with either option set do not carry sums
    between iterations: XLA's older emitters run a scatter as a loop over every row, the
    rows it skips included, so carried sums' two scatters would cost twice one; a fit of
    10,000 x 8, k=8: 178 us a step against 110. :mod:`jaxmeans._runtime.spec` decides.)"""
    return FAST_COMPILE if tuning.fast_compile(work, k) else None


def on_its_devices(program: Program, X: jax.Array):
    """``program(X)`` where ``X`` lives: on its device, or over the mesh it is split
    across (the executable kept like every other)."""
    devices = X.devices()
    device = next(iter(devices))
    mesh = getattr(X.sharding, "mesh", None)
    where = mesh if len(devices) > 1 and isinstance(mesh, Mesh) else device
    return program(X, tuning=tuning_for(device.platform), options=None, device=where)
