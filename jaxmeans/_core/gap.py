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


def _first(mask, default, xp):
    """The first position where ``mask`` holds, else ``default``."""
    if mask.shape[0] == 0:  # one k: nothing to compare
        return xp.asarray(default)
    return xp.where(xp.any(mask), xp.argmax(mask), default)


def _firstmax(f, se, n, xp):
    """The first local maximum: the first position whose next gap is not larger."""
    falls = (f[1:] <= f[:-1]) & (xp.arange(1, f.shape[0]) < n)
    return _first(falls, xp.maximum(n - 1, 0), xp)


def _globalmax(f, se, n, xp):
    """The largest gap (the first of equal ones)."""
    return xp.argmax(xp.where(xp.arange(f.shape[0]) < n, f, -xp.inf))


def _tibs2001(f, se, n, xp):
    """The first position whose gap is at least the next one's less its standard error."""
    passes = (f[:-1] >= f[1:] - se[1:]) & (xp.arange(1, f.shape[0]) < n)
    return _first(passes, xp.maximum(n - 1, 0), xp)


def _within_se(at):
    """The first position before ``at``'s whose gap is within one standard error of the
    gap at ``at``'s, else ``at``'s."""

    def rule(f, se, n, xp):
        top = at(f, se, n, xp)
        near = (f >= f[top] - se[top]) & (xp.arange(f.shape[0]) < top)
        return _first(near, top, xp)

    return rule


# The rules by name, as R's ``cluster::maxSE`` names its methods ("tibs2001" is today's
# default and R's "Tibs2001SEmax" under a shorter name).
RULES = {
    "tibs2001": _tibs2001,
    "Tibs2001SEmax": _tibs2001,
    "firstSEmax": _within_se(_firstmax),
    "globalSEmax": _within_se(_globalmax),
    "firstmax": _firstmax,
    "globalmax": _globalmax,
}


def k_best_rule(ks, gap, gap_se, xp=jnp, *, rule: str = "tibs2001", se_factor=1.0) -> jax.Array:
    """The k a decision rule picks from the gap curve: ``ks[i]`` for the position ``i``
    it chooses. Works eagerly and under ``jit``/``vmap`` (``xp``: NumPy for host arrays;
    ``rule`` static, ``se_factor`` may be traced).

    The rules are those of R's ``cluster::maxSE(f, SE.f, method, SE.factor)``, with
    ``f`` the gaps and ``SE.f`` the standard errors of the ks whose ``gap`` and
    ``gap_se`` are not NaN, in order: R's ``k = 1..K`` are the positions of those ks
    (``ks`` need not start at 1 nor be contiguous; NaN entries are skipped, wherever
    they are), and R's answer ``k`` names the ``k``-th of them. With ``s = se_factor``
    (R's ``SE.factor``) and ``gap(k')`` the gap of the next k:

    - ``"tibs2001"`` (or ``"Tibs2001SEmax"``): the first k with
      ``gap(k) >= gap(k') - s * gap_se(k')`` (Tibshirani, Walther & Hastie, 2001);
      the last k when none passes.
    - ``"firstmax"``: the first local maximum, the first k with ``gap(k') <= gap(k)``;
      the last k when the gap rises throughout.
    - ``"globalmax"``: the k of the largest gap (the first of equal ones).
    - ``"firstSEmax"``: the first k with ``gap(k) >= gap(m) - s * gap_se(m)``, ``m``
      the ``"firstmax"`` k (``m`` itself when no smaller k is that close).
    - ``"globalSEmax"``: the same with ``m`` the ``"globalmax"`` k (Dudoit & Fridlyand,
      2002).

    When every gap is NaN, ``ks[0]``.

    Example:
      >>> from jaxmeans._core.gap import k_best_rule
      >>> int(k_best_rule([1, 2, 3, 4], [0.1, 0.5, 0.9, 0.85], [0.05, 0.05, 0.05, 0.05]))
      3
      >>> int(k_best_rule([2, 4, 6], [0.5, 0.45, 0.9], [0.1, 0.1, 0.1], rule="globalmax"))
      6
    """
    ks, gap, gap_se = (xp.asarray(a) for a in (ks, gap, gap_se))
    m = gap.shape[0]
    position = xp.arange(m)
    valid = ~(xp.isnan(gap) | xp.isnan(gap_se))
    order = xp.argsort(xp.where(valid, position, position + m))  # the valid ks first
    f, se = gap[order], se_factor * gap_se[order]
    i = RULES[rule](f, se, xp.sum(valid), xp)
    return xp.asarray(ks[order][i]).astype(xp.int32)


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
