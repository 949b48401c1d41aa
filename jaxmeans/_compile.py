"""Two compilations of one jitted core: quick to compile for small problems, fast to run
for the rest.

XLA:CPU spends about 1.3 s compiling a whole fit at its default optimisation level; a
fit of iris then runs in 0.4 ms. With LLVM's optimisation off and XLA's older fusion
emitter, the same program compiles in 0.25-0.3 s and runs in 0.5-0.7 ms, but a large fit
runs several times slower (benchmarks/NOTES.md). So problems below ``QUICK_MAX_WORK``
(``n * d * k`` summed over the fits run side by side) take the quick compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax

QUICK_OPTIONS = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}
QUICK_MAX_WORK = {"cpu": 2**16}


class Programs(NamedTuple):
    """The same function jitted twice, with default and with quick compile options."""

    full: Callable
    quick: Callable

    def for_work(self, work: int, traced: bool = False) -> Callable:
        """The jitted function for a problem of ``work = n * d * k`` (per side-by-side fit,
        summed) on the default backend.

        Compile options only apply to an outermost ``jit``: when the caller is inside its
        own ``jit`` or ``vmap`` (``traced``), the default one is returned.
        """
        limit = QUICK_MAX_WORK.get(jax.default_backend(), -1)
        return self.quick if work <= limit and not traced else self.full


def jit_two_ways(static_argnames: tuple[str, ...]):
    """Decorator: ``fun`` -> :class:`Programs` of ``jax.jit(fun)`` with the given static
    arguments, once with default and once with quick compile options."""

    def wrap(fun) -> Programs:
        return Programs(
            jax.jit(fun, static_argnames=static_argnames),
            jax.jit(fun, static_argnames=static_argnames, compiler_options=QUICK_OPTIONS),
        )

    return wrap
