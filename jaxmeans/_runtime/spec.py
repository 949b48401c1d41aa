"""One checked description of a fit, decided in one place at the Python boundary.

:func:`check_settings` checks what a fit is asked to do against the data's size (k or ks,
init, restarts, iterations, tolerance, key, metric, precision); :func:`specify` adds the
data itself and decides, once, everything the program depends on: the input's kind
(dense rows on one device, sparse rows, rows split over a mesh, or arrays traced by the
caller's ``jit``), its device and backend :class:`~jaxmeans._core.tuning.Tuning`, the
program's shapes (row and cluster buckets), the compile options, and the
:class:`~jaxmeans._core.types.Plan` the core runs (bounds, restarts one after another,
carried sums). Nothing after it changes a decision: :mod:`jaxmeans._runtime.run` frames
the arrays to the spec's shapes and calls the program once.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax
import numpy as np

from .._core.geometry import Metric
from .._core.sweep import sweep_slots
from .._core.tuning import Tuning, tuning_for
from .._core.types import Plan, Problem
from . import threads
from . import validation as v
from .buckets import cluster_bucket, row_bucket, tiny
from .compile import options_for
from .framing import unit_rows
from .inputs import check_rows, is_sparse, sparse_layout
from .placement import RowSplit, device_of, split_rows, tuning_of

KINDS = ("dense", "sparse", "split", "traced")


class Settings(NamedTuple):
    """What a fit is asked to do, checked.

    Attributes:
      k: the fit's number of clusters (a sweep's largest).
      ks: ``[m] int32`` strictly increasing cluster counts of a sweep, else None.
      n_init: restarts (1 with an init array).
      init_mode: ``"k-means++"``, ``"k-means||"``, ``"random"``, ``"array"`` or (estimators)
        ``"callable"``.
      init: ``[k, d]`` starting centroids when ``init_mode == "array"``, else None.
      tol: ``[]`` relative tolerance (an array, so that it may be traced).
      key: PRNG key.
      max_iter: iteration limit.
      metric: the :class:`~jaxmeans._core.geometry.base.Metric`.
      precision: of the distance products (a name of
        :data:`jaxmeans._core.tuning.PRECISIONS`).
    """

    k: int
    ks: np.ndarray | None
    n_init: int
    init_mode: str
    init: jax.Array | None
    tol: jax.Array
    key: jax.Array
    max_iter: int
    metric: Metric
    precision: str


class Spec(NamedTuple):
    """A checked fit: its arrays, what to do with them, and where and how it runs.

    Attributes:
      kind: ``"dense"`` (rows on one device, host or device arrays), ``"sparse"``
        (a CSR matrix), ``"split"`` (rows split over a mesh) or ``"traced"`` (inside the
        caller's ``jit``/``vmap``: no buckets, no cache, part of the caller's program).
      problem: the checked arrays in the caller's shapes: ``X`` (a ``[n, d]`` array or a
        CSR matrix), weights ``w [n]``, ``init``, ``key``, ``tol`` and ``max_iter``.
      plan: the static :class:`~jaxmeans._core.types.Plan`; ``plan.k`` is the program's
        centroid rows (the cluster bucket; the fit's own ``k`` outside a trace).
      k: the fit's number of clusters (a sweep's largest).
      ks: ``[m] int32`` cluster counts of a sweep, else None.
      parts: a sweep's ks as the parts that run side by side from threads
        (:func:`split_ks`), else None.
      slots: fits side by side in a sweep's work queue.
      rows: the program's rows (the row bucket; ``n`` when traced or split).
      dtype: the compute dtype (float32, or float64 with 64-bit JAX on).
      device: the device the program runs on; None when traced or split.
      tuning: the backend :class:`~jaxmeans._core.tuning.Tuning` of that device.
      options: XLA compile options (:func:`jaxmeans._runtime.compile.options_for`).
      split: the :class:`~jaxmeans._runtime.placement.RowSplit` of a ``"split"`` fit.
    """

    kind: str
    problem: Problem
    plan: Plan
    k: int
    ks: np.ndarray | None
    parts: list | None
    slots: int
    rows: int
    dtype: np.dtype
    device: jax.Device | None
    tuning: Tuning
    options: dict | None
    split: RowSplit | None

    @property
    def traced(self) -> bool:
        return self.kind == "traced"

    @property
    def n(self) -> int:
        return self.problem.X.shape[0]


def check_settings(
    n: int,
    d: int,
    dtype,
    *,
    k=None,
    ks=None,
    init,
    n_init,
    max_iter,
    tol,
    key,
    k_name: str = "k",
    caller: str = "kmeans",
    allow_callable: bool = False,
    metric="euclidean",
    precision="highest",
) -> Settings:
    """Check a fit's settings for ``n`` rows of ``d`` features in ``dtype``.

    Exactly one of ``k`` (a fit) and ``ks`` (a sweep) is given. ``k_name`` names ``k`` in
    error messages (the estimators say ``n_clusters``); ``caller`` names the entry point in
    warnings.

    Warns:
      RuntimeWarning: an init array with ``n_init > 1`` (one run is made, as in
        scikit-learn).
    """
    if ks is not None:
        ks = v.check_ks(ks, n)
        k = int(ks[-1])
    else:
        k = v.check_k(k, n, k_name)
    init_mode, init_array = v.check_init(init, k, d, dtype, allow_callable)
    if init_mode == "k-means||" and ks is not None:
        raise ValueError(
            f"init='k-means||' seeds one k at a time; {caller} seeds every k of its sweep "
            "from one seeding: use init='k-means++', 'random' or an array"
        )
    n_init = v.check_int(n_init, "n_init")
    if init_mode == "array":
        if n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{caller} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
        n_init = 1
    max_iter = v.check_int(max_iter, "max_iter")
    metric = v.check_metric(metric)
    if metric.unit_rows and init_array is not None:
        init_array = unit_rows(init_array, "init")
    tol, key = v.check_tol(tol, dtype), v.check_key(key)
    precision = v.check_precision(precision)
    return Settings(k, ks, n_init, init_mode, init_array, tol, key, max_iter, metric, precision)


def specify(
    X,
    *,
    sample_weight=None,
    mesh=None,
    k_name: str = "k",
    caller: str = "kmeans",
    slots: int | None = None,
    **settings,
) -> Spec:
    """Check ``X``, its weights and the settings (:func:`check_settings`) once, and decide
    everything the fit's program depends on (see :class:`Spec`). ``slots``: a sweep's fits
    side by side (default :func:`jaxmeans._core.sweep.sweep_slots` of its fits)."""
    sparse = is_sparse(X)
    X = check_rows(X)
    if sparse and mesh is not None:
        raise ValueError("mesh= takes dense X only; sparse X is fitted on one device")
    dtype = v.float_dtype(X.dtype)
    n, d = X.shape
    s = check_settings(n, d, dtype, k_name=k_name, caller=caller, **settings)
    w = v.check_sample_weight(sample_weight, n, dtype)
    v.check_positive_mass(s.k, w, k_name if s.ks is None else "max(ks)")
    if s.metric.unit_rows:
        X = unit_rows(X)
    problem = Problem(X, w, s.init, s.key, s.tol, s.max_iter, None, None)
    traced = v.any_traced(problem)
    if traced:
        if mesh is not None:
            raise ValueError("mesh cannot be used inside jax.jit or jax.vmap; shard X instead")
        guard = lambda a: None if a is None else v.not_differentiable(a)  # noqa: E731
        problem = problem._replace(X=guard(X), w=guard(w), init=guard(s.init))
        kind, split, device, tuning = "traced", None, None, tuning_of(X)
    else:
        split = None if sparse else split_rows(X, w, mesh)
        kind = "sparse" if sparse else "split" if split is not None else "dense"
        device = None if split is not None else device_of(X)
        tuning = tuning_of(X) if device is None else tuning_for(device.platform)
    weighted = sample_weight is not None
    return _decide(kind, problem, s, n, d, dtype, device, tuning, split, weighted, slots)


def _decide(kind, problem, s: Settings, n, d, dtype, device, tuning, split, weighted, slots):
    """The shapes, the compile options and the plan of a checked fit (:func:`specify`)."""
    bucketed = kind in ("dense", "sparse")
    rows = row_bucket(n, d) if bucketed else n
    k_rows = cluster_bucket(s.k) if bucketed else s.k
    sweep = s.ks is not None
    parts, lanes = None, s.n_init  # lanes: fits side by side, which share a row block
    if sweep:
        parts = [s.ks]
        if bucketed and slots is None:
            parts = _sweep_parts(s.ks, rows, k_rows, s.n_init, tuning)
        slots = slots or sweep_slots(len(parts[0]) * s.n_init)
        lanes = slots
    bounded = kind in ("dense", "traced") and not sweep and tuning.bounded(k_rows, d)
    # The work that picks compile options: every fit's distances, restarts or slots.
    if kind == "sparse":
        work = sparse_layout(problem.X, k_rows).values * k_rows * lanes
    else:
        work = rows * d * k_rows * lanes
    options = options_for(tuning, work, k_rows) if bucketed else None
    n_blocks, block = tuning.block_layout(rows, k_rows, 1 if bounded else lanes)
    small = tuning.sequential_restarts(n_blocks * block * d * k_rows, n_blocks * block)
    carry = tuning.carry_sums and kind in ("dense", "split") and not weighted and options is None
    plan = Plan(
        k=k_rows,
        n_init=s.n_init,
        init_mode=s.init_mode,
        metric=s.metric,
        precision=s.precision,
        bounded=bounded,
        sequential=bounded or small or kind in ("split", "sparse"),
        carry_sums=carry,
    )
    return Spec(kind, problem, plan, s.k, s.ks, parts, slots or 1, rows, dtype, device,
                tuning, options, split)  # fmt: skip


def _sweep_parts(ks, rows: int, k_rows: int, n_init: int, tuning: Tuning) -> list[np.ndarray]:
    """The parts of a sweep's ks that run side by side, one per thread
    (:meth:`Tuning.split_sweep`): :func:`split_ks` over the cores, or all the ks in one."""
    parts = split_ks(ks, threads.workers(len(ks), tuning))
    entries = rows * k_rows * sweep_slots(len(parts[0]) * n_init)
    return parts if len(parts) > 1 and tuning.split_sweep(entries) else [ks]


def gap_slots(n: int, d: int) -> int:
    """Slots of each data set's work queue in the gap statistic: one for data of more
    than ``4096 / d`` rows, whose single fit carries its sums from step to step; eight for
    smaller data (iris, standardised wine), where a step's fixed cost outweighs its
    rows. Measured on 2 cores, ks 1..10, ``n_init=10``, 50 reference sets: iris 150-171 ms
    with one slot, 115-118 ms with eight; 5,000 x 8 blobs (10 sets) 1.36 s with one,
    1.9-2.4 s with four to sixteen (benchmarks/NOTES.md, "Small and many")."""
    return 8 if tiny(n, d) else 1


def split_ks(ks: np.ndarray, parts: int) -> list[np.ndarray]:
    """``ks`` dealt into ``parts`` interleaved parts of one length, so that one compiled
    program runs each and the parts' work is alike (``ks[0::2]`` and ``ks[1::2]`` of
    1..10 take 46% and 54% of the Lloyd iterations of a uniform set). A shorter part
    repeats its smallest k, the cheapest fit; the repeat is dropped from the result."""
    parts = max(1, min(parts, len(ks)))
    dealt = [ks[i::parts] for i in range(parts)]
    size = len(dealt[0])
    return [np.concatenate([p[:1]] * (size - len(p)) + [p]) for p in dealt]
