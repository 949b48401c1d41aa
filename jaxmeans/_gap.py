"""The gap statistic (Tibshirani, Walther & Hastie, 2001) as one jitted program.

For each k the data's log within-cluster dispersion ``log W_k`` (log inertia) is compared
with its mean over ``n_refs`` reference sets drawn without cluster structure, uniform over
the data's bounding box or over the box of its principal components. The reference sets are
drawn inside the program and every fit, the data's and the references', runs in one
compiled program: the elbow's work queue over the ks, for one data set after another
(``lax.map``; a ``vmap`` over the sets ran 2.5x slower, every set's queue waiting for the
slowest).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _validation as v
from ._buckets import place
from ._compile import Program
from ._placement import device_of
from ._spec import specify
from ._sweep import sweep_program
from ._tuning import tuning_for, tuning_of

# Fits side by side in each data set's work queue. Measured (20,000 x 8, ks 1..10, one
# uniform reference set, 2 cores): 1 slot 0.155 s, 2 slots 0.157 s, 4 slots 0.218 s,
# 8 slots (the elbow's rule) 0.361 s: at this size a pass over the rows is cheap, and the
# many slots of a queue's tail run on while only one fit is left.
GAP_SLOTS = 2

REFERENCES = ("uniform", "pca")


class GapResult(NamedTuple):
    """Result of :func:`gap_statistic`, one entry per k (a pytree).

    Attributes:
      ks: ``[m] int32``, the numbers of clusters, increasing.
      gap: ``[m]`` ``mean_b log W*_kb - log W_k``.
      gap_se: ``[m]`` ``sd_k * sqrt(1 + 1/B)``, ``sd_k`` the standard deviation (over the
        ``B`` reference sets, divided by ``B``) of the references' ``log W*_kb``.
      log_w: ``[m]`` log inertia of the data for each k.
      ref_log_w: ``[B, m]`` log inertia of each reference set for each k.
      k_best: ``[] int32``: the smallest k with ``gap(k) >= gap(k') - gap_se(k')``, k' the
        next k of ``ks``; the last k when no k passes (the rule cannot be checked there:
        more clusters may be wanted).
    """

    ks: jax.Array
    gap: jax.Array
    gap_se: jax.Array
    log_w: jax.Array
    ref_log_w: jax.Array
    k_best: jax.Array


def k_best_rule(ks, gap, gap_se) -> jax.Array:
    """Tibshirani's rule: the smallest ``ks[i]`` with ``gap[i] >= gap[i+1] - gap_se[i+1]``;
    ``ks[-1]`` when none passes. Works eagerly and under ``jit``/``vmap``.

    Example:
      >>> from jaxmeans._gap import k_best_rule
      >>> int(k_best_rule([1, 2, 3, 4], [0.1, 0.5, 0.9, 0.85], [0.05, 0.05, 0.05, 0.05]))
      3
    """
    ks, gap, gap_se = (jnp.asarray(a) for a in (ks, gap, gap_se))
    passes = gap[:-1] >= gap[1:] - gap_se[1:]
    first = jnp.argmax(passes)
    return jnp.where(jnp.any(passes), ks[:-1][first], ks[-1]).astype(jnp.int32)


def reference_sets(X: jax.Array, key: jax.Array, n_refs: int, reference: str) -> jax.Array:
    """``[n_refs, n, d]`` reference data: uniform over the bounding box of ``X``, or over
    the box of its principal components (rotated back), each set from ``fold_in(key, b)``."""
    X = jnp.asarray(X)
    n, d = X.shape
    if reference == "pca":
        mean = jnp.mean(X, axis=0)
        # The principal axes from the d x d scatter matrix (cheaper than an SVD of X).
        _, axes = jnp.linalg.eigh((X - mean[None]).T @ (X - mean[None]))
        Z = (X - mean[None]) @ axes
    else:
        Z = X
    low, high = jnp.min(Z, axis=0), jnp.max(Z, axis=0)

    def draw(b):
        u = jax.random.uniform(jax.random.fold_in(key, b), (n, d), X.dtype)
        ref = low[None] + u * (high - low)[None]
        return ref @ axes.T + mean[None] if reference == "pca" else ref

    return jax.vmap(draw)(jnp.arange(n_refs))


def gap_program(X, key, tol, *, ks, n_refs, reference, n_init, max_iter, tuning) -> GapResult:
    """The whole statistic for ``X`` (pure JAX; ``ks`` a tuple, the rest as
    :func:`gap_statistic` takes them, checked)."""
    del tuning  # keys the program to its platform; the sweep reads the data's own
    refs = reference_sets(X, jax.random.fold_in(key, 1), n_refs, reference)
    sets = jnp.concatenate([X[None], refs])

    def curve(data):
        spec = specify(
            data, ks=ks, key=key, init="k-means++", n_init=n_init, max_iter=max_iter, tol=tol,
            caller="gap_statistic",
        )  # fmt: skip
        slots = min(len(ks) * n_init, GAP_SLOTS)
        out = sweep_program(
            spec.problem, jnp.asarray(spec.ks), plan=spec.plan, slots=slots, tuning=spec.tuning
        )
        return out[0]

    inertia = lax.map(curve, sets)  # [1 + B, m], one work queue after another
    logs = jnp.log(jnp.maximum(inertia, jnp.finfo(inertia.dtype).tiny))
    log_w, ref_log_w = logs[0], logs[1:]
    gap = jnp.mean(ref_log_w, axis=0) - log_w
    gap_se = jnp.std(ref_log_w, axis=0) * jnp.sqrt(1.0 + 1.0 / n_refs)
    ks_arr = jnp.asarray(ks, jnp.int32)
    return GapResult(ks_arr, gap, gap_se, log_w, ref_log_w, k_best_rule(ks_arr, gap, gap_se))


GAP = Program(gap_program, ("ks", "n_refs", "reference", "n_init", "max_iter", "tuning"))


def gap_statistic(
    X,
    ks=range(1, 11),
    *,
    n_refs: int = 10,
    key: jax.Array | int | None = None,
    n_init: int = 1,
    reference: str = "uniform",
    max_iter: int = 300,
    tol: float = 1e-4,
) -> GapResult:
    """The gap statistic for every k of ``ks``, and the k it picks, in one program.

    The data and ``n_refs`` reference sets (drawn inside the program) are each clustered
    for every k by :func:`jaxmeans.elbow`'s work queue, one set after another; the
    gap is the references' mean log inertia minus the data's (Tibshirani, Walther &
    Hastie, 2001).

    Args:
      X: ``[n, d]`` data.
      ks: strictly increasing numbers of clusters (at least two, to compare neighbours).
      n_refs: reference sets ``B``.
      key: PRNG key or int seed (default 0) for the reference draws and the seedings; the
        same seedings serve the data and every reference set.
      n_init: k-means++ restarts per fit.
      reference: ``"uniform"`` over the data's bounding box, or ``"pca"`` over the box of
        its principal components (Tibshirani's second choice; follows elongated data).
      max_iter, tol: as for :func:`jaxmeans.kmeans`.

    Returns:
      :class:`GapResult`; ``int(result.k_best)`` is the chosen k.

    Raises:
      TypeError, ValueError: bad ``X``, ``ks``, ``n_refs``, ``reference`` or the others.

    Example:
      >>> import numpy as np
      >>> import jaxmeans
      >>> rng = np.random.default_rng(0)
      >>> centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
      >>> X = np.concatenate([c + rng.normal(size=(100, 2)) for c in centres])
      >>> result = jaxmeans.gap_statistic(X, range(1, 7), n_refs=5, key=0)
      >>> int(result.k_best)
      3
    """
    X = v.check_data(X)
    ks_t = tuple(int(k) for k in v.check_ks(ks, X.shape[0]))
    if len(ks_t) < 2:
        raise ValueError(f"ks must hold at least two values to compare, got {list(ks_t)}")
    n_refs = v.check_int(n_refs, "n_refs")
    n_init = v.check_int(n_init, "n_init")
    max_iter = v.check_int(max_iter, "max_iter")
    if not isinstance(reference, str) or reference not in REFERENCES:
        raise ValueError(f"reference must be one of {REFERENCES}, got {reference!r}")
    key = v.check_key(key)
    dtype = v.float_dtype(X.dtype)
    tol = np.asarray(v.check_tol(tol, dtype), dtype)
    static = dict(ks=ks_t, n_refs=n_refs, reference=reference, n_init=n_init, max_iter=max_iter)
    if v.any_traced(X, key):  # inside the caller's jit/vmap: part of the caller's program
        return GAP(
            X.astype(dtype), key, tol, tuning=tuning_of(X), work=0, k=0, device=None, **static
        )
    device = device_of(X)
    X = np.asarray(X, dtype) if isinstance(X, np.ndarray) else X.astype(dtype)
    work = X.shape[0] * X.shape[1] * max(ks_t) * (n_refs + 1)
    args = place((X, key, tol), device)
    return GAP(
        *args, tuning=tuning_for(device.platform), work=work, k=max(ks_t), device=device,
        **static,
    )  # fmt: skip
