"""The gap statistic (Tibshirani, Walther & Hastie, 2001) as one jitted program.

For each k the data's log within-cluster dispersion ``log W_k`` (log inertia) is compared
with its mean over ``n_refs`` reference sets drawn without cluster structure, uniform over
the data's bounding box or over the box of its principal components. Every fit, the
data's and the references', runs in one compiled program per set (:func:`set_program`,
the set's index an argument, its reference rows drawn inside): the elbow's work queue over
the ks with one slot (eight on small data). On CPUs the sets run on every core
(:mod:`jaxmeans._runtime.threads`; on 2 cores, 20,000 x 8, ks 1..10, 10 reference sets:
0.62-0.68 s one set after another, 0.31 s from two threads, the same result). Inside the
caller's ``jit``/``vmap`` the sets run one after another in the caller's program
(:func:`gap_program`). A ``vmap`` over the sets ran 2.5x slower than one after another,
every set waiting for the slowest; so did a queue of two or more slots per set (one
reference set: 1 slot 0.155 s, 2 slots 0.157 s, 4 slots 0.218 s, 8 slots 0.361 s: a pass
over 20,000 rows is cheap, and a queue's tail runs many slots for one fit). On small data
the opposite holds: iris' sets, each 192 rows, ran faster eight slots at a time
(:func:`jaxmeans._runtime.spec.gap_slots`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .geometry import Metric
from .sweep import sweep_program
from .tuning import Tuning
from .types import GapResult, Plan, Problem


def k_best_rule(ks, gap, gap_se, xp=jnp) -> jax.Array:
    """Tibshirani's rule: the smallest ``ks[i]`` with ``gap[i] >= gap[i+1] - gap_se[i+1]``;
    ``ks[-1]`` when none passes. Works eagerly and under ``jit``/``vmap`` (``xp``: NumPy
    for host arrays).

    Example:
      >>> from jaxmeans._core.gap import k_best_rule
      >>> int(k_best_rule([1, 2, 3, 4], [0.1, 0.5, 0.9, 0.85], [0.05, 0.05, 0.05, 0.05]))
      3
    """
    ks, gap, gap_se = (xp.asarray(a) for a in (ks, gap, gap_se))
    passes = gap[:-1] >= gap[1:] - gap_se[1:]
    first = xp.argmax(passes)
    return xp.asarray(xp.where(xp.any(passes), ks[:-1][first], ks[-1])).astype(xp.int32)


def box_of(X: jax.Array, n, reference: str):
    """``(low, high, mean, axes)``: the box reference rows are drawn in, over the first
    ``n`` rows of ``X`` (None: all), in the data's own coordinates (``"uniform"``:
    ``mean``, ``axes`` None) or in those of its principal components (``"pca"``), which
    ``axes`` rotates back and ``mean`` shifts back. (The boundary computes the same box on
    the host, so that no program it keeps holds a LAPACK call; this is the box inside the
    caller's ``jit``.)"""
    real = (jnp.arange(X.shape[0]) < (X.shape[0] if n is None else n))[:, None]
    if reference == "pca":
        mean = jnp.sum(jnp.where(real, X, 0.0), axis=0) / jnp.sum(real)
        Xc = jnp.where(real, X - mean[None], 0.0)
        # The principal axes from the d x d scatter matrix (cheaper than an SVD of X).
        _, axes = jnp.linalg.eigh(Xc.T @ Xc)
        Z = Xc @ axes
        low = jnp.min(jnp.where(real, Z, jnp.inf), axis=0)
        return low, jnp.max(jnp.where(real, Z, -jnp.inf), axis=0), mean, axes
    low = jnp.min(jnp.where(real, X, jnp.inf), axis=0)
    return low, jnp.max(jnp.where(real, X, -jnp.inf), axis=0), None, None


def draw(X: jax.Array, n, key: jax.Array, b, box, metric: Metric) -> jax.Array:
    """Reference set ``b`` (from ``fold_in(key, b)``), shaped like ``X`` with rows past
    ``n`` zero: uniform in ``box`` (from :func:`box_of`), rotated back for ``"pca"``, as
    the metric compares rows (unit rows for cosine). The draws of a longer ``X`` begin
    with those of a shorter one, so padding rows change no real row's draw."""
    low, high, mean, axes = box
    u = jax.random.uniform(jax.random.fold_in(key, b), X.shape, X.dtype)
    ref = low[None] + u * (high - low)[None]
    ref = metric.rows(ref if axes is None else ref @ axes.T + mean[None])
    if n is None:
        return ref
    return jnp.where((jnp.arange(X.shape[0]) < n)[:, None], ref, 0.0)


def set_program(problem: Problem, b, box, *, ks: tuple, plan: Plan, tuning: Tuning,
                slots: int = 1):  # fmt: skip
    """Inertia ``[m]`` of data set ``b`` for every k of ``ks``: the data (``problem.X``)
    when ``b`` is 0, else reference set ``b - 1`` (drawn here, as :func:`reference_sets`
    draws it), by the elbow's work queue with ``slots`` slots (static)."""
    refs_key = jax.random.fold_in(problem.key, 1)
    X, n = problem.X, problem.n
    data = lax.cond(b == 0, lambda: X, lambda: draw(X, n, refs_key, b - 1, box, plan.metric))
    out = sweep_program(
        problem._replace(X=data), jnp.asarray(ks, jnp.int32), plan=plan, slots=slots, tuning=tuning
    )
    return out[0]


def summarise(ks, inertia, xp=jnp) -> GapResult:
    """The statistic from the inertia ``[1 + B, m]`` of the data (row 0) and of the ``B``
    reference sets, in ``xp`` (``jax.numpy`` inside a program, NumPy on the host)."""
    logs = xp.log(xp.maximum(inertia, xp.finfo(inertia.dtype).tiny))
    log_w, ref_log_w = logs[0], logs[1:]
    gap = xp.mean(ref_log_w, axis=0) - log_w
    gap_se = xp.std(ref_log_w, axis=0) * xp.sqrt(1.0 + 1.0 / ref_log_w.shape[0])
    gap_se = gap_se.astype(inertia.dtype)
    ks = xp.asarray(ks, dtype=xp.int32)
    return GapResult(ks, gap, gap_se, log_w, ref_log_w, k_best_rule(ks, gap, gap_se, xp))


def gap_program(problem: Problem, *, ks: tuple, n_refs: int, reference: str, plan: Plan,
                tuning: Tuning) -> GapResult:  # fmt: skip
    """The whole statistic for ``problem.X`` in one program, one set after another
    (``lax.map``): what :func:`jaxmeans.gap_statistic` runs inside the caller's
    ``jit``/``vmap``."""
    box = box_of(problem.X, problem.n, reference)
    one = lambda b: set_program(problem, b, box, ks=ks, plan=plan, tuning=tuning)  # noqa: E731
    return summarise(ks, lax.map(one, jnp.arange(1 + n_refs)))
