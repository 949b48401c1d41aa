"""The public gap statistic: the checks, then one program call per data set."""

from __future__ import annotations

import itertools

import jax
import numpy as np

from .._core.gap import gap_program, k_best_rule
from .._core.types import GapResult
from .._runtime import inputs, run
from .._runtime import validation as v
from .._runtime.buckets import tiny
from .._runtime.compile import Program
from .._runtime.placement import tuning_of
from .._runtime.spec import gap_slots, specify

REFERENCES = ("uniform", "pca")
GAP = Program(gap_program, ("ks", "n_refs", "reference", "plan", "tuning"))


def gap_statistic(
    X,
    ks=range(1, 11),
    *,
    n_refs: int = 10,
    key: jax.Array | int | None = None,
    n_init: int | str = "auto",
    reference: str = "uniform",
    max_iter: int = 300,
    tol: float = 1e-4,
    metric: str = "euclidean",
) -> GapResult:
    """The gap statistic for every k of ``ks``, and the k it picks, in one program.

    The data and ``n_refs`` reference sets (drawn inside the program) are each clustered
    for every k by :func:`jaxmeans.elbow`'s work queue, one set after another; the
    gap is the references' mean log inertia minus the data's (Tibshirani, Walther &
    Hastie, 2001). The data are framed as :func:`jaxmeans.kmeans` frames them (centred
    in float64, scaled by a power of two), so the answer does not depend on their scale or
    offset; sparse data are made dense first (every reference set is dense anyway), and
    rows split over a mesh are gathered onto one device.

    Args:
      X: ``[n, d]`` data.
      ks: strictly increasing numbers of clusters (at least two, to compare neighbours), as
        for :func:`jaxmeans.elbow` (an iterator or generator is read once).
      n_refs: reference sets ``B``.
      key: PRNG key or int seed (default 0) for the reference draws and the seedings; the
        same seedings serve the data and every reference set.
      n_init: k-means++ restarts per fit, or ``"auto"``: 10 for data of at most
        ``4096 / d`` rows (iris, standardised wine; the smallest row buckets), 1 above.
        With one restart the statistic's ``k_best`` on standardised wine moved between 3
        and 5 with the key; with ten it was 4 for every key (50 reference sets), as
        R's ``clusGap`` finds. On such data ten restarts run in a fraction of a second.
      reference: ``"uniform"`` over the data's bounding box, or ``"pca"`` over the box of
        its principal components (Tibshirani's second choice; follows elongated data).
      max_iter, tol: as for :func:`jaxmeans.kmeans`.
      metric: ``"euclidean"``, or ``"cosine"``: the rows are scaled to unit length, ``W``
        is the cosine objective ``sum (1 - cos)``, and the reference rows, drawn in the
        box of the unit rows, are scaled to unit length too.

    Returns:
      :class:`GapResult`; ``int(result.k_best)`` is the chosen k. For every k above the
      number of distinct rows of ``X`` the data's inertia is 0 and its log a mere floating
      point floor: ``gap`` and ``gap_se`` are NaN there, ``k_best`` is chosen among the
      other ks, and a :class:`~jaxmeans.exceptions.ConvergenceWarning` says so (not inside
      the caller's ``jit``/``vmap``, where the rows are not known).

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
    if inputs.is_sparse(X):  # the reference sets are dense: so is the data's copy
        X = inputs.check_sparse(X).toarray()
    elif isinstance(X, jax.Array) and not v.any_traced(X) and len(X.devices()) > 1:
        X = np.asarray(jax.device_get(X))  # rows split over a mesh: gathered
    X = v.check_data(X)
    ks_t = tuple(int(k) for k in v.check_ks(ks, X.shape[0]))
    if len(ks_t) < 2:
        raise ValueError(f"ks must hold at least two values to compare, got {list(ks_t)}")
    n_refs = v.check_int(n_refs, "n_refs")
    if isinstance(n_init, str) and n_init == "auto":
        n_init = tuning_of(X).auto_restarts if tiny(*X.shape) else 1
    if not isinstance(reference, str) or reference not in REFERENCES:
        raise ValueError(f"reference must be one of {REFERENCES}, got {reference!r}")
    spec = specify(
        X, ks=ks_t, key=key, init="k-means++", n_init=n_init, max_iter=max_iter, tol=tol,
        metric=metric, caller="gap_statistic", slots=gap_slots(*X.shape),
    )  # fmt: skip
    if spec.traced:  # inside the caller's jit/vmap: part of the caller's program
        return GAP(
            spec.problem, ks=ks_t, n_refs=n_refs, reference=reference, plan=spec.plan,
            tuning=spec.tuning, options=None, device=None,
        )  # fmt: skip
    result = run.gap_sets(spec, reference, n_refs)
    return jax.device_put(_above_distinct(X, result, spec.plan.metric.unit_rows), spec.device)


def _above_distinct(X, result: GapResult, unit_rows: bool) -> GapResult:
    """``result`` with NaN gaps (and standard errors) for the ks above the number of
    distinct rows of ``X`` (of its unit rows with ``unit_rows``, as cosine k-means
    compares them), and a ConvergenceWarning: the
    data's inertia there is 0, so ``log W`` is a floor and the gap only measures it. The
    rule for ``k_best`` looks at the other ks only. The rows are counted only when some
    ``log W`` has fallen far (20, a factor of 5e8) below the first k's: otherwise no
    inertia is 0 and the count (a sort of the rows) is skipped."""
    log_w = np.asarray(result.log_w, np.float64)
    if np.all(np.isfinite(log_w)) and log_w.min() > log_w[0] - 20:
        return result
    distinct = _distinct_rows(X, unit_rows)
    ks = np.asarray(result.ks)
    above = ks > distinct
    if not above.any():
        return result
    v.warn_convergence(
        f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
        f"({int(ks[above][0])}): X has {distinct} distinct rows, so the gap statistic is NaN "
        f"for ks above {distinct} (their inertia is 0). Possibly due to duplicate points in X.",
        stacklevel=3,
    )
    gap, gap_se = np.array(result.gap), np.array(result.gap_se)
    gap[above], gap_se[above] = np.nan, np.nan
    valid = ~above
    k_best = k_best_rule(ks[valid], gap[valid], gap_se[valid], np) if valid.sum() > 1 else ks[0]
    return result._replace(gap=gap, gap_se=gap_se, k_best=np.int32(k_best))


def _distinct_rows(X, unit_rows: bool) -> int:
    """How many different rows ``X`` (dense or sparse) holds, scaled to unit length first
    with ``unit_rows``."""
    if inputs.is_sparse(X):
        rows = X.tocsr().astype(np.float64)  # a copy: the caller's matrix is not touched
        rows.sum_duplicates()
        rows.sort_indices()
        if unit_rows:
            norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
            rows = rows.multiply(1 / np.where(norms > 0, norms, 1)[:, None]).tocsr()
            rows.data = np.round(rows.data, 9)
            rows.sort_indices()
        return len({
            (rows.indices[a:b].tobytes(), rows.data[a:b].tobytes())
            for a, b in itertools.pairwise(rows.indptr)
        })  # fmt: skip
    rows = np.asarray(jax.device_get(X), np.float64)
    if unit_rows:  # equal directions, up to the rounding of the scaling
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = np.round(rows / np.where(norms > 0, norms, 1), 9)
    return len(np.unique(rows, axis=0))
