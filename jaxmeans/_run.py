"""Run a checked fit: choose its program from the :class:`~jaxmeans._spec.FitSpec`, pad its
arrays to the program's shapes (:mod:`jaxmeans._buckets`), call it once, and cut the
padding off the results."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._buckets import cluster_bucket, cut, padded, place, row_bucket
from ._compile import Program
from ._fit import FIT_STATIC, fit_program
from ._placement import unsplit_labels
from ._problem import KMeansResult, Plan, Problem
from ._sharded import SHARDED_STATIC, fit_sharded_program, sweep_sharded_program
from ._spec import FitSpec
from ._sweep import SWEEP_STATIC, SweepOutput, sweep_program, sweep_slots

FIT = Program(fit_program, FIT_STATIC, callbacks=("verbose",))
SWEEP = Program(sweep_program, SWEEP_STATIC, callbacks=("progress",))
_FIT_SHARDED = jax.jit(fit_sharded_program, static_argnames=SHARDED_STATIC)
_SWEEP_SHARDED = jax.jit(sweep_sharded_program, static_argnames=SHARDED_STATIC)


def _bucketed(spec: FitSpec) -> tuple[Problem, Plan]:
    """The spec's problem padded to the program's shapes, ready for its device, and its
    plan with the padded number of centroid rows."""
    p = spec.problem
    n, d = p.X.shape
    rows, k = row_bucket(n, d), cluster_bucket(spec.plan.k)
    problem = Problem(
        X=padded(p.X, rows),
        w=padded(p.w, rows),
        init=None if p.init is None else padded(p.init, k),
        key=p.key,
        tol=np.asarray(p.tol),
        max_iter=np.int32(p.max_iter),
        n=np.int32(n),
        k=None if spec.ks is not None else np.int32(spec.plan.k),
    )
    return place(problem, spec.device), spec.plan._replace(k=k)


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


def _work(problem: Problem, plan: Plan, lanes: int) -> int:
    n, d = problem.X.shape
    return n * d * plan.k * lanes


def fit(spec: FitSpec, *, verbose: bool = False, host: bool = False) -> KMeansResult:
    """The best of ``n_init`` runs of k-means as the spec says (one program call);
    ``host``: its arrays as NumPy arrays."""
    n = spec.problem.X.shape[0]
    if spec.rows is not None:
        result = _sharded(_FIT_SHARDED, spec)
        return result._replace(labels=unsplit_labels(result.labels, spec.rows, n))
    problem, plan = (spec.problem, spec.plan) if spec.traced else _bucketed(spec)
    result = FIT(
        problem,
        plan=plan,
        tuning=spec.tuning,
        verbose=verbose,
        work=_work(problem, plan, plan.n_init),
        k=plan.k,
        device=spec.device,
    )
    if spec.traced:
        return result
    sizes = {"centroids": (spec.plan.k,), "labels": (n,)}
    return cut(result, sizes, host=host, device=spec.device)


def sweep(spec: FitSpec, *, progress: bool = False) -> SweepOutput:
    """Every k of the spec's ``ks`` (one program call)."""
    ks = jnp.asarray(spec.ks)
    if spec.rows is not None:
        return SweepOutput(ks, *_sharded(_SWEEP_SHARDED, spec, ks))
    problem, plan = (spec.problem, spec.plan) if spec.traced else _bucketed(spec)
    slots = sweep_slots(len(spec.ks) * plan.n_init)
    out = SWEEP(
        problem,
        ks if spec.traced else place(spec.ks, spec.device),
        plan=plan,
        slots=slots,
        tuning=spec.tuning,
        progress=bool(progress),
        work=_work(problem, plan, slots),
        k=plan.k,
        device=spec.device,
    )
    out = SweepOutput(ks, *out)
    if spec.traced:
        return out
    sizes = {"centroids": (None, spec.plan.k), "labels": (None, spec.problem.X.shape[0])}
    return cut(out, sizes, host=False, device=spec.device)
