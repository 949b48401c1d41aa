"""How the core's programs are jitted and compiled: one :class:`Program` per core function.

XLA:CPU spends about 1.3 s compiling a whole fit at its default optimisation level; a
fit of iris then runs in 0.4 ms. With LLVM's optimisation off and XLA's older fusion
emitter, the same program compiles in 0.25-0.3 s and runs in 0.5-0.7 ms, but a large fit
runs several times slower (benchmarks/NOTES.md). So small problems (the tuning's
``quick_max_work``) take the quick compilation.
"""

from __future__ import annotations

from collections.abc import Callable

import jax

from ._tuning import Tuning

QUICK_OPTIONS = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}


class Program:
    """A core function, jitted with its static arguments (``tuning`` always among them).

    Calling it runs the function on the caller's arguments, compiled with the quick options
    where the problem is small, with the default ones otherwise.
    """

    def __init__(self, fun: Callable, static_argnames: tuple[str, ...]):
        if "tuning" not in static_argnames:
            raise ValueError(f"{fun.__name__}: the tuning must be a static argument")
        self.name = fun.__name__
        self.full = jax.jit(fun, static_argnames=static_argnames)
        self.quick = jax.jit(fun, static_argnames=static_argnames, compiler_options=QUICK_OPTIONS)

    def pick(self, tuning: Tuning, work: int, traced: bool) -> Callable:
        """The jitted function for a problem of ``work = n * d * k`` (per side-by-side fit,
        summed). Compile options only apply to an outermost ``jit``: inside the caller's own
        ``jit`` or ``vmap`` (``traced``) it is the default one."""
        return self.quick if tuning.quick_compile(work) and not traced else self.full

    def __call__(self, *args, tuning: Tuning, work: int, traced: bool, **static):
        return self.pick(tuning, work, traced)(*args, tuning=tuning, **static)
