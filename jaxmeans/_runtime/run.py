"""Run a checked fit: choose its program from the :class:`~jaxmeans._spec.FitSpec`, pad its
arrays to the program's shapes (:mod:`jaxmeans._buckets`), call it once, and cut the
padding off the results."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._core.fit import FIT_STATIC, fit_program
from .._core.seeding import default_n_local_trials, kmeans_plusplus_program
from .._core.sharded import SHARDED_STATIC, fit_sharded_program, sweep_sharded_program
from .._core.sweep import SWEEP_STATIC, sweep_program, sweep_slots
from .._core.types import KMeansResult, Plan, Problem, SweepOutput
from . import inputs, threads
from . import validation as v
from .compile import Program
from .framing import (
    Frame,
    cast,
    cluster_bucket,
    cut,
    framed,
    padded,
    place,
    row_bucket,
    unframed,
    weights_scale,
)
from .inputs import is_sparse
from .placement import tuning_of, unsplit_labels
from .progress import showing
from .spec import FitSpec

FIT = Program(fit_program, FIT_STATIC, callbacks=("verbose",))
SWEEP = Program(sweep_program, SWEEP_STATIC, callbacks=("progress",))
_FIT_SHARDED = jax.jit(fit_sharded_program, static_argnames=SHARDED_STATIC)
_SWEEP_SHARDED = jax.jit(sweep_sharded_program, static_argnames=SHARDED_STATIC)


def _bucketed(spec: FitSpec) -> tuple[Problem, Plan, Frame, float]:
    """The spec's problem padded to the program's shapes, centred and scaled on the host
    (:func:`jaxmeans._buckets.framed`), ready for its device; its plan with the padded
    number of centroid rows; the frame of the data and the scale of the weights."""
    p, dtype = spec.problem, spec.dtype
    n, d = p.X.shape
    rows, k = row_bucket(n, d), cluster_bucket(spec.plan.k)
    # Unit rows (cosine) stay uncentred: a centroid is normalised in the data's coordinates.
    X, frame = framed(p.X, rows, dtype, shift=np.zeros(d) if spec.plan.spherical else None)
    w_scale = weights_scale(p.w)
    init = None
    if p.init is not None:
        init, _ = framed(p.init, k, dtype, shift=frame.shift, scale=frame.scale)
    problem = Problem(
        X=X,
        w=padded(np.asarray(p.w, np.float64) * w_scale, rows, dtype),
        init=init,
        key=p.key,
        tol=np.asarray(p.tol, dtype),
        max_iter=np.int32(p.max_iter),
        n=np.int32(n),
        k=None if spec.ks is not None else np.int32(spec.plan.k),
    )
    return place(problem, spec.device), spec.plan._replace(k=k), frame, w_scale


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
    if is_sparse(spec.problem.X):
        return inputs.fit(spec, host=host)
    n = spec.problem.X.shape[0]
    if spec.rows is not None:
        result = _sharded(_FIT_SHARDED, spec)
        return result._replace(labels=unsplit_labels(result.labels, spec.rows, n))
    if spec.traced:
        problem, plan = spec.problem, spec.plan
    else:
        problem, plan, frame, w_scale = _bucketed(spec)
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
    result = cut(result, sizes, host=True, device=None)
    distinct = np.count_nonzero(np.bincount(result.labels, minlength=spec.plan.k))
    if distinct < spec.plan.k:
        v.warn_convergence(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
            f"({spec.plan.k}). Possibly due to duplicate points in X.",
            stacklevel=3,
        )
    result = result._replace(
        centroids=unframed(result.centroids, frame, spec.dtype),
        inertia=np.float64(result.inertia) / frame.scale / frame.scale / w_scale,
    )
    if host:
        return result
    return jax.device_put(result._replace(inertia=cast(result.inertia, spec.dtype)), spec.device)


def sweep(spec: FitSpec, *, progress: bool = False) -> SweepOutput:
    """Every k of the spec's ``ks``: one program call, or on a CPU with several cores one
    call per part of the ks from a thread per core (:func:`split_ks`)."""
    if is_sparse(spec.problem.X):
        raise TypeError("elbow takes dense X; fit sparse X with kmeans or KMeans for each k")
    ks = jnp.asarray(spec.ks)
    if spec.rows is not None:
        return SweepOutput(ks, *_sharded(_SWEEP_SHARDED, spec, ks))
    if spec.traced:
        problem, plan = spec.problem, spec.plan
    else:
        problem, plan, frame, w_scale = _bucketed(spec)
    parts = [spec.ks] if spec.traced else _sweep_parts(spec, problem, plan)
    slots = sweep_slots(len(parts[0]) * plan.n_init)

    def call(part):
        return SWEEP(
            problem,
            jnp.asarray(part) if spec.traced else place(part, spec.device),
            plan=plan,
            slots=slots,
            tuning=spec.tuning,
            progress=bool(progress),
            work=_work(problem, plan, slots),
            k=plan.k,
            device=spec.device,
        )

    if spec.traced:
        return SweepOutput(ks, *call(spec.ks))
    sizes = {"centroids": (None, spec.plan.k), "labels": (None, spec.problem.X.shape[0])}

    def run(part):
        return cut(SweepOutput(part, *call(part)), sizes, host=True, device=None)

    if progress:  # the fits, shown as they stop, until the results are here
        # Every fit that runs, a k repeated to even out the parts included.
        with showing(sum(len(part) for part in parts) * plan.n_init):
            outs = threads.run_all(run, parts, len(parts))
            jax.effects_barrier()
    else:
        outs = threads.run_all(run, parts, len(parts))
    out = _merged(spec.ks, parts, outs)
    out = out._replace(
        centroids=unframed(out.centroids, frame, spec.dtype),
        inertia=cast(out.inertia / frame.scale / frame.scale / w_scale, spec.dtype),
    )
    return jax.device_put(out, spec.device)


def _sweep_parts(spec: FitSpec, problem: Problem, plan: Plan) -> list[np.ndarray]:
    """The parts of the spec's ks a sweep runs, one per thread (:meth:`Tuning.split_sweep`):
    :func:`split_ks` over the cores, or all the ks in one part."""
    parts = split_ks(spec.ks, threads.workers(len(spec.ks), spec.tuning))
    entries = problem.X.shape[0] * plan.k * sweep_slots(len(parts[0]) * plan.n_init)
    return parts if len(parts) > 1 and spec.tuning.split_sweep(entries) else [spec.ks]


def split_ks(ks: np.ndarray, parts: int) -> list[np.ndarray]:
    """``ks`` dealt into ``parts`` interleaved parts of one length, so that one compiled
    program runs each and the parts' work is alike (``ks[0::2]`` and ``ks[1::2]`` of
    1..10 take 46% and 54% of the Lloyd iterations of a uniform set). A shorter part
    repeats its smallest k, the cheapest fit; the repeat is dropped from the result."""
    parts = max(1, min(parts, len(ks)))
    dealt = [ks[i::parts] for i in range(parts)]
    size = len(dealt[0])
    return [np.concatenate([p[:1]] * (size - len(p)) + [p]) for p in dealt]


def _merged(ks: np.ndarray, parts: list, outs: list) -> SweepOutput:
    """The parts' results, entry by entry in the order of ``ks``."""
    if len(outs) == 1:
        return outs[0]
    where = {}
    for p, part in enumerate(parts):
        for i, k in enumerate(np.asarray(part)):
            where[int(k)] = (p, i)  # a repeated k is the same fit wherever it ran
    pick = [where[int(k)] for k in ks]
    fields = [np.stack([getattr(outs[p], f)[i] for p, i in pick]) for f in SweepOutput._fields]
    return SweepOutput(*fields)


def seeds(key, X, w, k: int, n_local_trials: int | None = None):
    """Greedy k-means++ seeding of checked ``X`` ``[n, d]`` with weights ``w``:
    ``(centroids [k, d], indices [k] int32)`` (``n_local_trials`` default
    ``2 + int(ln k)``)."""
    trials = default_n_local_trials(k) if n_local_trials is None else n_local_trials
    return kmeans_plusplus_program(key, X, w, k=k, n_local_trials=trials, tuning=tuning_of(X))
