"""The public gap statistic: the checks, then one program call per data set; and the
rule that picks k from a result, again without refitting."""

from __future__ import annotations

import itertools
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .._core.gap import RULES, gap_program, k_best_rule
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
    rule: str = "tibs2001",
    se_factor: float = 1.0,
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
      reference: ``"uniform"`` over the data's bounding box (R's ``clusGap(...,
        spaceH0 = "original")``), or ``"pca"`` over the box of its principal components
        (Tibshirani's second choice; follows elongated data). ``"pca"`` builds the box
        as ``clusGap(..., spaceH0 = "scaledPCA")`` does: R centres the data without
        scaling them (``scale(x, center = TRUE, scale = FALSE)``, whatever the name
        says), rotates them onto the right singular vectors of the centred data, draws
        uniformly in the range of each component, rotates back and adds the mean. Here
        the axes are the eigenvectors of the centred data's scatter matrix, the same
        axes up to their signs and order, which give the same box, so the two differ in
        their random draws only. (R's default ``d.power = 1`` sums distances, not
        squared ones: ``d.power = 2`` is the ``W`` used here, half the inertia.)
      max_iter, tol: as for :func:`jaxmeans.kmeans`.
      metric: ``"euclidean"``, or ``"cosine"``: the rows are scaled to unit length, ``W``
        is the cosine objective ``sum (1 - cos)``, and the reference rows, drawn in the
        box of the unit rows, are scaled to unit length too.
      rule: how ``k_best`` is picked from the gaps, named as R's ``cluster::maxSE``
        names its methods: ``"tibs2001"`` (Tibshirani's rule; ``"Tibs2001SEmax"`` is
        the same), ``"firstSEmax"`` (R's default), ``"globalSEmax"``, ``"firstmax"`` or
        ``"globalmax"``; see :func:`gap_k_best`, which picks again from a result.
      se_factor: R's ``SE.factor``: how many standard errors the rule allows, a finite
        number >= 0. Here ``gap_se`` divides by ``B`` inside the square root, as
        Tibshirani et al. do; R's ``SE.sim`` divides by ``B - 1``, so it is ``gap_se``
        times ``sqrt(B / (B - 1))``.

    Returns:
      :class:`GapResult`; ``int(result.k_best)`` is the chosen k. For every k above the
      number of distinct rows of ``X`` the data's inertia is 0 and its log a mere floating
      point floor: ``gap`` and ``gap_se`` are NaN there, ``k_best`` is chosen among the
      other ks, and a :class:`~jaxmeans.exceptions.ConvergenceWarning` says so (not inside
      the caller's ``jit``/``vmap``, where the rows are not known).

    Raises:
      TypeError, ValueError: bad ``X``, ``ks``, ``n_refs``, ``reference``, ``rule``,
        ``se_factor`` or the others.

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
    rule, se_factor = _check_rule(rule, se_factor)
    spec = specify(
        X, ks=ks_t, key=key, init="k-means++", n_init=n_init, max_iter=max_iter, tol=tol,
        metric=metric, caller="gap_statistic", slots=gap_slots(*X.shape),
    )  # fmt: skip
    if spec.traced:  # inside the caller's jit/vmap: part of the caller's program
        result = GAP(
            spec.problem, ks=ks_t, n_refs=n_refs, reference=reference, plan=spec.plan,
            tuning=spec.tuning, options=None, device=None,
        )  # fmt: skip
        k_best = k_best_rule(result.ks, result.gap, result.gap_se, rule=rule, se_factor=se_factor)
        return result._replace(k_best=k_best)
    result = _above_distinct(X, run.gap_sets(spec, reference, n_refs), spec.plan.metric.unit_rows)
    k_best = k_best_rule(result.ks, result.gap, result.gap_se, np, rule=rule, se_factor=se_factor)
    return jax.device_put(result._replace(k_best=k_best), spec.device)


def gap_k_best(result: GapResult, *, rule: str = "tibs2001", se_factor: float = 1.0) -> jax.Array:
    """The k ``rule`` picks from a :func:`gap_statistic` result, without refitting.

    The rules are R's ``cluster::maxSE`` methods, applied to the ks whose gap is not NaN
    (the ks above the number of distinct rows are skipped, as :func:`gap_statistic` skips
    them); :func:`jaxmeans._core.gap.k_best_rule` defines each and says how R's
    ``k = 1..K`` map to ``ks``. In short: ``"tibs2001"`` (or ``"Tibs2001SEmax"``) the
    first k with ``gap(k) >= gap(k') - s * gap_se(k')``, k' the next k; ``"firstmax"``
    the first local maximum; ``"globalmax"`` the largest gap; ``"firstSEmax"`` (R's
    default) and ``"globalSEmax"`` the first k within ``s`` standard errors of that
    maximum.

    Works inside ``jit``/``vmap`` too (``rule`` is static; ``se_factor`` may be traced).

    Args:
      result: a :class:`GapResult`.
      rule: ``"tibs2001"`` (default, as :func:`gap_statistic`), ``"Tibs2001SEmax"``,
        ``"firstSEmax"``, ``"globalSEmax"``, ``"firstmax"`` or ``"globalmax"``.
      se_factor: R's ``SE.factor``, a finite number >= 0.

    Returns:
      ``[] int32``: the chosen k; ``ks[0]`` when every gap is NaN.

    Raises:
      TypeError: ``result`` is not a gap result, or ``se_factor`` is not a number.
      ValueError: an unknown ``rule``, or ``se_factor`` negative or not finite.

    Example:
      >>> import numpy as np
      >>> import jaxmeans
      >>> rng = np.random.default_rng(0)
      >>> centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
      >>> X = np.concatenate([c + rng.normal(size=(100, 2)) for c in centres])
      >>> result = jaxmeans.gap_statistic(X, range(1, 7), n_refs=5, key=0)
      >>> int(jaxmeans.gap_k_best(result, rule="globalSEmax", se_factor=2.0))
      3
    """
    ks, gap, gap_se = (getattr(result, name, None) for name in ("ks", "gap", "gap_se"))
    shapes = {np.shape(a) for a in (ks, gap, gap_se)}
    if any(a is None for a in (ks, gap, gap_se)) or len(shapes) != 1 or len(*shapes) != 1:
        raise TypeError(
            "result must be a jaxmeans.GapResult (ks, gap and gap_se: one-dimensional, of "
            f"one length), got {type(result).__name__}"
        )
    rule, se_factor = _check_rule(rule, se_factor)
    if v.any_traced(ks, gap, gap_se, se_factor):
        return k_best_rule(ks, gap, gap_se, rule=rule, se_factor=se_factor)
    host = (np.asarray(jax.device_get(a)) for a in (ks, gap, gap_se))
    return jnp.asarray(k_best_rule(*host, np, rule=rule, se_factor=se_factor))


def _check_rule(rule, se_factor):
    """``rule`` (one of the core's names) and ``se_factor`` (a finite number >= 0, or a
    traced scalar, whose value cannot be checked), checked."""
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule must be one of {tuple(RULES)}, got {rule!r}")
    if isinstance(se_factor, jax.Array) and v.any_traced(se_factor):
        if se_factor.ndim != 0:
            raise ValueError(f"se_factor must be a scalar, got shape {se_factor.shape}")
        return rule, se_factor
    scalar = isinstance(se_factor, np.ndarray | jax.Array) and se_factor.ndim == 0
    number = isinstance(se_factor, numbers.Real) or (scalar and se_factor.dtype.kind in "iuf")
    if isinstance(se_factor, bool) or not number:
        raise TypeError(f"se_factor must be a real number >= 0, got {se_factor!r}")
    value = float(se_factor)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"se_factor (={value}) must be a finite number >= 0")
    return rule, value


def _above_distinct(X, result: GapResult, unit_rows: bool) -> GapResult:
    """``result`` with NaN gaps (and standard errors) for the ks above the number of
    distinct rows of ``X`` (of its unit rows with ``unit_rows``, as cosine k-means
    compares them), and a ConvergenceWarning: the
    data's inertia there is 0, so ``log W`` is a floor and the gap only measures it. The
    rule for ``k_best`` (:func:`k_best_rule`) skips those ks. The rows are counted only when some
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
    return result._replace(gap=gap, gap_se=gap_se)


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
