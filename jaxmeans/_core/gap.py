"""The gap statistic (Tibshirani, Walther & Hastie, 2001) as one jitted program.

For each k the data's log within-cluster dispersion ``log W_k`` (log inertia) is compared
with its mean over ``n_refs`` reference sets drawn without cluster structure, uniform over
the data's bounding box or over the box of its principal components. Every fit, the
data's and the references', runs in one compiled program per set (:func:`set_program`,
the set's index an argument, its reference rows drawn inside): the elbow's work queue over
the ks with one slot. On CPUs the sets run on every core (:mod:`jaxmeans._threads`; on 2
cores, 20,000 x 8, ks 1..10, 10 reference sets: 0.62-0.68 s one set after another,
0.31 s from two threads, the same result). Inside the caller's ``jit``/``vmap`` the
sets run one after another in the caller's program (:func:`gap_program`). A ``vmap`` over
the sets ran 2.5x slower than one after another, every set waiting for the slowest; so did
a queue of two or more slots per set (one reference set: 1 slot 0.155 s, 2 slots 0.157 s,
4 slots 0.218 s, 8 slots 0.361 s: a pass over 20,000 rows is cheap, and a queue's tail
runs many slots for one fit).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .sweep import sweep_program
from .types import GapResult, Plan, Problem


def k_best_rule(ks, gap, gap_se, xp=jnp) -> jax.Array:
    """Tibshirani's rule: the smallest ``ks[i]`` with ``gap[i] >= gap[i+1] - gap_se[i+1]``;
    ``ks[-1]`` when none passes. Works eagerly and under ``jit``/``vmap`` (``xp``: NumPy
    for host arrays).

    Example:
      >>> from jaxmeans._gap import k_best_rule
      >>> int(k_best_rule([1, 2, 3, 4], [0.1, 0.5, 0.9, 0.85], [0.05, 0.05, 0.05, 0.05]))
      3
    """
    ks, gap, gap_se = (xp.asarray(a) for a in (ks, gap, gap_se))
    passes = gap[:-1] >= gap[1:] - gap_se[1:]
    first = xp.argmax(passes)
    return xp.asarray(xp.where(xp.any(passes), ks[:-1][first], ks[-1])).astype(xp.int32)


def _box(X: jax.Array, reference: str):
    """``(low, high, mean, axes)``: the box the reference rows are drawn in, in the data's
    own coordinates (``"uniform"``: ``mean``, ``axes`` None) or in those of its principal
    components (``"pca"``), which ``axes`` rotates back and ``mean`` shifts back."""
    if reference == "pca":
        mean = jnp.mean(X, axis=0)
        # The principal axes from the d x d scatter matrix (cheaper than an SVD of X).
        _, axes = jnp.linalg.eigh((X - mean[None]).T @ (X - mean[None]))
        Z = (X - mean[None]) @ axes
        return jnp.min(Z, axis=0), jnp.max(Z, axis=0), mean, axes
    return jnp.min(X, axis=0), jnp.max(X, axis=0), None, None


def _draw(X: jax.Array, key: jax.Array, b, box) -> jax.Array:
    """Reference set ``b`` (from ``fold_in(key, b)``) in ``box`` (from :func:`_box`)."""
    low, high, mean, axes = box
    u = jax.random.uniform(jax.random.fold_in(key, b), X.shape, X.dtype)
    ref = low[None] + u * (high - low)[None]
    return ref if axes is None else ref @ axes.T + mean[None]


def reference_sets(X: jax.Array, key: jax.Array, n_refs: int, reference: str) -> jax.Array:
    """``[n_refs, n, d]`` reference data: uniform over the bounding box of ``X``, or over
    the box of its principal components (rotated back), each set from ``fold_in(key, b)``."""
    X = jnp.asarray(X)
    box = _box(X, reference)
    return jax.vmap(lambda b: _draw(X, key, b, box))(jnp.arange(n_refs))


def set_program(X, key, tol, b, *, ks, reference, n_init, max_iter, tuning) -> jax.Array:
    """Inertia ``[m]`` of data set ``b`` for every k of ``ks``: the data when ``b`` is 0,
    else reference set ``b - 1`` (drawn here, as :func:`reference_sets` draws it), by the
    elbow's work queue with one slot (the arguments as :func:`gap_statistic` takes them,
    checked)."""
    refs_key = jax.random.fold_in(key, 1)
    data = lax.cond(b == 0, lambda: X, lambda: _draw(X, refs_key, b - 1, _box(X, reference)))
    w = jnp.ones(data.shape[0], data.dtype)
    problem = Problem(data, w, None, key, tol, max_iter, None, None)
    plan = Plan(max(ks), n_init, "k-means++")
    out = sweep_program(problem, jnp.asarray(ks, jnp.int32), plan=plan, slots=1, tuning=tuning)
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


def gap_program(X, key, tol, *, ks, n_refs, reference, n_init, max_iter, tuning) -> GapResult:
    """The whole statistic for ``X`` in one program, one set after another (``lax.map``):
    what :func:`gap_statistic` runs inside the caller's ``jit``/``vmap``."""
    one = lambda b: set_program(  # noqa: E731
        X, key, tol, b, ks=ks, reference=reference, n_init=n_init, max_iter=max_iter,
        tuning=tuning,
    )  # fmt: skip
    return summarise(ks, lax.map(one, jnp.arange(1 + n_refs)))
