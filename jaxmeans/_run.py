"""Run a checked fit: choose its program from the :class:`~jaxmeans._spec.FitSpec` and call
it once."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._compile import Program
from ._fit import FIT_STATIC, fit_program
from ._lloyd import KMeansResult
from ._placement import unsplit_labels
from ._sharded import SHARDED_STATIC, fit_sharded_program, sweep_sharded_program
from ._spec import FitSpec
from ._sweep import SWEEP_STATIC, sweep_program, sweep_slots

FIT = Program(fit_program, FIT_STATIC)
SWEEP = Program(sweep_program, SWEEP_STATIC)
_FIT_SHARDED = jax.jit(fit_sharded_program, static_argnames=SHARDED_STATIC)
_SWEEP_SHARDED = jax.jit(sweep_sharded_program, static_argnames=SHARDED_STATIC)


def _sharded(program, spec: FitSpec, *args):
    """``program`` on the spec's rows, split over its mesh."""
    rows = spec.rows
    problem = spec.problem._replace(X=rows.X, w=rows.w)
    return program(
        problem,
        *args,
        plan=spec.plan,
        tuning=spec.tuning,
        mesh=rows.mesh,
        axis=rows.axis,
        n=spec.problem.X.shape[0],
    )


def _work(spec: FitSpec, lanes: int) -> int:
    n, d = spec.problem.X.shape
    return n * d * spec.plan.k * lanes


def fit(spec: FitSpec, *, verbose: bool = False) -> KMeansResult:
    """The best of ``n_init`` runs of k-means as the spec says (one program call)."""
    if spec.rows is not None:
        result = _sharded(_FIT_SHARDED, spec)
        n = spec.problem.X.shape[0]
        return result._replace(labels=unsplit_labels(result.labels, spec.rows, n))
    return FIT(
        spec.problem,
        plan=spec.plan,
        tuning=spec.tuning,
        verbose=verbose,
        work=_work(spec, spec.plan.n_init),
        traced=spec.traced,
    )


def sweep(spec: FitSpec, *, progress: bool = False):
    """Every k of the spec's ``ks`` (one program call).

    Returns:
      ``(ks [m] int32, inertia [m], centroids [m, k_max, d], labels [m, n], n_iter [m],
      converged [m])``.
    """
    ks = jnp.asarray(spec.ks)
    if spec.rows is not None:
        return (ks, *_sharded(_SWEEP_SHARDED, spec, ks))
    slots = sweep_slots(len(spec.ks) * spec.plan.n_init)
    out = SWEEP(
        spec.problem,
        ks,
        plan=spec.plan,
        slots=slots,
        tuning=spec.tuning,
        progress=bool(progress),
        work=_work(spec, slots),
        traced=spec.traced,
    )
    return (ks, *out)
