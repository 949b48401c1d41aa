"""Run a checked fit: frame its arrays to the spec's shapes
(:func:`jaxmeans._runtime.framing.frame_problem`), call its program once (or once per part
of a sweep, per data set of the gap statistic, from a thread per core), and cut the padding
off the results, back in the data's coordinates.

Every kind of input the spec knows takes this path: dense rows and sparse rows through the
same programs (the core tells them apart in one place), rows split over a mesh through the
``shard_map`` programs, and arrays traced by the caller's ``jit`` straight into the
caller's program.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._core.fit import FIT_STATIC, fit_program
from .._core.gap import box_of, draw, set_program, summarise
from .._core.geometry import EUCLIDEAN
from .._core.minibatch import MINIBATCH_STATIC, minibatch_program
from .._core.seeding import (
    PARALLEL_SEEDING_STATIC,
    SEEDING_STATIC,
    default_n_local_trials,
    kmeans_parallel_program,
    kmeans_plusplus_program,
)
from .._core.sharded import SHARDED_STATIC, fit_sharded_program, sweep_sharded_program
from .._core.sweep import SWEEP_STATIC, knee_index, sweep_program
from .._core.tuning import tuning_for
from .._core.types import ElbowResult, KMeansResult, SweepOutput
from . import threads
from . import validation as v
from .buckets import row_bucket
from .compile import Program, options_for
from .framing import (
    cast,
    cut,
    frame_problem,
    frame_rows,
    magnitude,
    place,
    power_of_two_scale,
    unframed,
    weights_scale,
)
from .inputs import is_sparse
from .placement import device_of, on_one_device, tuning_of, unsplit_labels
from .progress import showing
from .spec import Spec

FIT = Program(fit_program, FIT_STATIC, callbacks=("verbose",))
SWEEP = Program(sweep_program, SWEEP_STATIC, callbacks=("progress",))
SET = Program(set_program, ("ks", "plan", "tuning", "slots"))
SEEDS = Program(kmeans_plusplus_program, SEEDING_STATIC)
PARALLEL_SEEDS = Program(kmeans_parallel_program, PARALLEL_SEEDING_STATIC)
MINIBATCH = Program(minibatch_program, MINIBATCH_STATIC)
FIT_SHARDED = Program(fit_sharded_program, SHARDED_STATIC)
SWEEP_SHARDED = Program(sweep_sharded_program, SHARDED_STATIC)

KNEE_MIN_DISTANCE = 0.05


def _sharded(program, spec: Spec, *args):
    """``program`` on the spec's rows, split over its mesh, scaled there by a power of two
    into the range where squares neither overflow nor underflow (the program centres the
    rows itself); ``(output, scale, weight_scale)``."""
    split, p = spec.split, spec.problem
    scale, w_scale = power_of_two_scale(magnitude(split.X)), weights_scale(p.w)
    X = split.X if scale == 1.0 else split.X * np.asarray(scale, split.X.dtype)
    w = split.w if w_scale == 1.0 else split.w * np.asarray(w_scale, split.w.dtype)
    init = p.init if p.init is None or scale == 1.0 else p.init * np.asarray(scale, p.init.dtype)
    out = program(
        p._replace(X=X, w=w, init=init),
        *args,
        plan=spec.plan,
        tuning=spec.tuning,
        mesh=split.mesh,
        axis=split.axis,
        n=spec.n,
        options=None,
        device=split.mesh,
    )
    return out, scale, w_scale


def fit(spec: Spec, *, verbose: bool = False, host: bool = False) -> KMeansResult:
    """The best of ``n_init`` runs of k-means as the spec says (one program call).
    ``host``: the inertia a float64 NumPy scalar (an estimator's ``inertia_``, finite
    beyond the compute dtype's range), and the other arrays of a fit on one device NumPy
    arrays too (rows split over a mesh keep their labels split)."""
    if spec.kind == "split":
        result, scale, w_scale = _sharded(FIT_SHARDED, spec)
        labels = unsplit_labels(result.labels, spec.split, spec.n)
        if scale == 1.0 and w_scale == 1.0:
            return result._replace(labels=labels)
        # The inertia out of the frame in float64 (the replicated value is on every
        # process); beyond the compute dtype it is infinite there, not for the estimator.
        inertia = float(result.inertia.addressable_data(0)) / scale / scale / w_scale
        inertia = np.float64(inertia) if host else jnp.asarray(cast(inertia, spec.dtype))
        return result._replace(centroids=result.centroids / scale, labels=labels, inertia=inertia)
    if spec.kind == "traced":
        return FIT(spec.problem, plan=spec.plan, tuning=spec.tuning, options=None, device=None,
                   verbose=verbose)  # fmt: skip
    problem, frame, w_scale = frame_problem(spec)
    result = FIT(
        problem,
        plan=spec.plan,
        tuning=spec.tuning,
        options=spec.options,
        device=spec.device,
        verbose=verbose,
    )
    sizes = {"centroids": (spec.k,), "labels": (spec.n,)}
    result = cut(result, sizes, host=True, device=None)
    distinct = np.count_nonzero(np.bincount(result.labels, minlength=spec.k))
    if distinct < spec.k:
        v.warn_convergence(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
            f"({spec.k}). Possibly due to duplicate points in X.",
            stacklevel=3,
        )
    result = result._replace(
        centroids=unframed(result.centroids, frame, spec.dtype),
        inertia=np.float64(result.inertia) / frame.scale / frame.scale / w_scale,
    )
    if host:
        return result
    return jax.device_put(result._replace(inertia=cast(result.inertia, spec.dtype)), spec.device)


def sweep(spec: Spec, *, progress: bool = False) -> ElbowResult:
    """Every k of the spec's ``ks``, and the knee of the curve: one program call, or one
    per part of the ks (:attr:`Spec.parts`) from a thread per core."""
    if spec.kind == "split":
        out, scale, w_scale = _sharded(SWEEP_SHARDED, spec, spec.ks)
        out = SweepOutput(jax.device_put(spec.ks), *out)
        # In the frame (no overflow), on the host (the replicated inertia, fetched here).
        framed_inertia = np.asarray(out.inertia.addressable_data(0), np.float64)
        knee = knee_index(spec.ks, framed_inertia, KNEE_MIN_DISTANCE, np)
        if scale != 1.0 or w_scale != 1.0:
            out = out._replace(
                centroids=out.centroids / scale, inertia=out.inertia / scale / scale / w_scale
            )
        return _elbow(out, knee)
    if spec.kind == "traced":
        ks = jnp.asarray(spec.ks)
        out = SweepOutput(ks, *_call_sweep(spec, spec.problem, ks, progress))
        return _elbow(out, knee_index(out.ks, out.inertia, KNEE_MIN_DISTANCE))
    problem, frame, w_scale = frame_problem(spec)
    sizes = {"centroids": (None, spec.k), "labels": (None, spec.n)}

    def run(part):
        out = _call_sweep(spec, problem, place(part, spec.device), progress)
        return cut(SweepOutput(part, *out), sizes, host=True, device=None)

    parts = spec.parts
    if progress:  # the fits, shown as they stop, until the results are here
        # Every fit that runs, a k repeated to even out the parts included.
        with showing(sum(len(part) for part in parts) * spec.plan.n_init):
            outs = threads.run_all(run, parts, len(parts))
            jax.effects_barrier()
    else:
        outs = threads.run_all(run, parts, len(parts))
    out = _merged(spec.ks, parts, outs)
    # The knee does not change under the frame's scale: found from the program's values,
    # which neither overflow nor underflow, in float64.
    knee = knee_index(out.ks, np.asarray(out.inertia, np.float64), KNEE_MIN_DISTANCE, np)
    out = out._replace(
        centroids=unframed(out.centroids, frame, spec.dtype),
        inertia=cast(np.asarray(out.inertia, np.float64) / frame.scale**2 / w_scale, spec.dtype),
    )
    # The knee goes to the device with the rest, in the same transfer.
    return jax.device_put(ElbowResult(*out, knee=np.int32(knee)), spec.device)


def _call_sweep(spec: Spec, problem, ks, progress: bool):
    traced = spec.kind == "traced"
    return SWEEP(
        problem,
        ks,
        plan=spec.plan,
        slots=spec.slots,
        tuning=spec.tuning,
        options=None if traced else spec.options,
        device=None if traced else spec.device,
        progress=bool(progress),
    )


def _elbow(out: SweepOutput, knee) -> ElbowResult:
    """The result, its knee an int32 array (traced, or put on a device from the host)."""
    if not isinstance(knee, jax.Array):
        knee = jax.device_put(np.int32(knee))
    return ElbowResult(*out, knee=knee)


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


def gap_sets(spec: Spec, reference: str, n_refs: int):
    """The gap statistic of the spec's data for its ``ks``: the inertia of the data and of
    ``n_refs`` reference sets drawn in the ``reference`` box of the framed data, every k
    of each set by the sweep's queue (the spec's slots), one program call per set from a
    thread per core. Returns the :class:`~jaxmeans._core.types.GapResult`, ``log_w`` and
    ``ref_log_w`` in the data's units."""
    problem, frame, w_scale = frame_problem(spec)
    box = place(_gap_box(problem.X, spec.n, reference), spec.device)
    sets = np.arange(1 + n_refs, dtype=np.int32)
    ks = tuple(int(k) for k in spec.ks)

    def run(b):
        out = SET(
            problem, sets[b], box, ks=ks, plan=spec.plan, tuning=spec.tuning,
            options=spec.options, device=spec.device, slots=spec.slots,
        )  # fmt: skip
        return np.asarray(out)

    # The reference sets first; the data, whose fits stop soonest, last.
    order = [*range(1, 1 + n_refs), 0]
    done = threads.run_all(run, order, threads.workers(len(order), spec.tuning))
    result = summarise(ks, np.stack([done[order.index(b)] for b in range(1 + n_refs)]), np)
    # In the data's units: every set has the frame's scale, so the gap (a difference of
    # logs) is the frame's own, and log W moves by the log of the scale.
    units = 2.0 * np.log(frame.scale) + np.log(w_scale)
    dtype = result.log_w.dtype
    return result._replace(
        log_w=(result.log_w - units).astype(dtype),
        ref_log_w=(result.ref_log_w - units).astype(dtype),
    )


def reference_sets(X, key, n_refs: int, reference: str = "uniform", metric=EUCLIDEAN):
    """``[n_refs, n, d]`` reference data for the rows ``X`` ``[n, d]`` of a program (in its
    frame), as the gap statistic's programs draw them (``key``: the statistic's key folded
    with 1, as :func:`jaxmeans._core.gap.set_program` folds it): for tests and benchmarks
    that fit the same references by other means."""
    X = np.asarray(X)
    box = _gap_box(X, X.shape[0], reference)
    draws = [draw(jnp.asarray(X), None, key, b, box, metric) for b in range(n_refs)]
    return jnp.stack(draws)


def _gap_box(X, n: int, reference: str):
    """The gap statistic's reference box (:func:`jaxmeans._core.gap.box_of`) of the first
    ``n`` rows of the program's rows ``X``: on the host in float64 (NumPy's eigenvectors
    for ``"pca"``, so that the programs the cache keeps hold no LAPACK call), or for rows
    on a device, there."""
    if not isinstance(X, np.ndarray):
        return box_of(X, n, reference)
    R = X[:n].astype(np.float64)
    if reference == "pca":
        mean = R.mean(axis=0)
        _, axes = np.linalg.eigh((R - mean).T @ (R - mean))
        Z = (R - mean) @ axes
        box = Z.min(axis=0), Z.max(axis=0), mean, axes
    else:
        box = R.min(axis=0), R.max(axis=0), None, None
    return tuple(None if a is None else a.astype(X.dtype) for a in box)


def seeds(key, X, w, k: int, n_local_trials: int | None = None, *, init: str = "k-means++"):
    """Greedy k-means++ seeding (``init="k-means||"``: k-means||) of checked ``X``
    ``[n, d]`` with weights ``w``: ``(centroids [k, d], indices [k] int32)``, the centroids
    the chosen rows of ``X`` exactly (``n_local_trials`` default ``2 + int(ln k)``). One
    program, framed and bucketed as a fit's (its indices are cut back to ``X``'s rows)."""
    if init == "k-means||":
        program, static = PARALLEL_SEEDS, dict(k=k)
    else:
        trials = default_n_local_trials(k) if n_local_trials is None else n_local_trials
        program, static = SEEDS, dict(k=k, n_local_trials=trials)
    if v.any_traced(key, X, w):
        tuning = tuning_of(X)
        index = program(key, X, w, None, tuning=tuning, options=None, device=None, **static)
        return X[index], index
    X = on_one_device(X)
    (n, d), dtype = X.shape, v.float_dtype(X.dtype)
    rows = row_bucket(n, d)
    Xp, wp, _, _ = frame_rows(X, w, rows=rows, k_rows=k, dtype=dtype)
    device = device_of(X)
    tuning = tuning_for(device.platform)
    args = place((key, Xp, wp, np.int32(n)), device)
    options = options_for(tuning, rows * d * k, k)
    index = np.asarray(program(*args, tuning=tuning, options=options, device=device, **static))
    centres = X[index].toarray() if is_sparse(X) else X[index]
    return jax.device_put((centres, index), device)


def minibatch_step(centres, counts, rows, w, *, metric, precision: str):
    """One mini-batch step (:func:`jaxmeans._core.minibatch.minibatch_program`) on host
    arrays, in the program's frame: ``(centres, counts, labels, objective)`` as NumPy
    arrays. Compiled with full optimisation whatever its size: a fit runs it thousands of
    times."""
    device = device_of(rows)
    out = MINIBATCH(
        *place((centres, counts, rows, w), device), metric=metric, precision=precision,
        tuning=tuning_for(device.platform), options=None, device=device,
    )  # fmt: skip
    return jax.device_get(out)
