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

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _threads
from . import _validation as v
from ._compile import Program
from ._placement import device_of
from ._spec import specify
from ._sweep import sweep_program
from ._tuning import tuning_for, tuning_of, without_carried_sums

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
    spec = specify(
        data, ks=ks, key=key, init="k-means++", n_init=n_init, max_iter=max_iter, tol=tol,
        caller="gap_statistic",
    )  # fmt: skip
    # The given tuning, not the one specify() takes for the traced data here: this
    # program is the caller's own only inside the caller's jit/vmap (gap_program).
    out = sweep_program(spec.problem, jnp.asarray(spec.ks), plan=spec.plan, slots=1, tuning=tuning)
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


SET = Program(set_program, ("ks", "reference", "n_init", "max_iter", "tuning"))
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
        traced = without_carried_sums(tuning_of(X))
        return GAP(X.astype(dtype), key, tol, tuning=traced, work=0, k=0, device=None, **static)
    device = device_of(X)
    X = np.asarray(X, dtype) if isinstance(X, np.ndarray) else X.astype(dtype)
    X, key, tol = jax.device_put((X, key, tol), device)  # once, for every set
    tuning = tuning_for(device.platform)
    sets = np.arange(1 + n_refs, dtype=np.int32)
    work = X.shape[0] * X.shape[1] * max(ks_t)
    del static["n_refs"]

    def run(b):
        return SET(
            X, key, tol, sets[b], tuning=tuning, work=work, k=max(ks_t), device=device, **static
        )

    # The reference sets first; the data, whose fits stop soonest, last.
    order = [*range(1, 1 + n_refs), 0]
    threads = _threads.workers(len(order), tuning)
    done = _threads.run_all(lambda b: np.asarray(run(b)), order, threads)
    inertia = np.stack([done[order.index(b)] for b in range(1 + n_refs)])
    host = summarise(ks_t, inertia, np)
    return jax.device_put(host, device)
