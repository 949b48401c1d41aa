"""The public gap statistic: checks, then the sets' programs on every core."""

from __future__ import annotations

import jax
import numpy as np

from .._core.gap import gap_program, set_program, summarise
from .._core.tuning import tuning_for, without_carried_sums
from .._core.types import GapResult
from .._runtime import threads
from .._runtime import validation as v
from .._runtime.compile import Program
from .._runtime.placement import device_of, tuning_of

REFERENCES = ("uniform", "pca")
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
    n_threads = threads.workers(len(order), tuning)
    done = threads.run_all(lambda b: np.asarray(run(b)), order, n_threads)
    inertia = np.stack([done[order.index(b)] for b in range(1 + n_refs)])
    host = summarise(ks_t, inertia, np)
    return jax.device_put(host, device)
